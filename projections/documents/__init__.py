"""Documents that go out: a member's statement and the board pack, as HTML, PDF and (the board pack) XLSX.

A read-side product (the web UI serves the same documents): each document is plain data gathered from the
projections' own queries (the figures are the `--json` figures, never computed again here), rendered through one
Jinja2 template per document (render.py), with charts drawn by matplotlib to SVG (charts.py). Every document names
the chain head it was drawn from (head.py), so an auditor can prove it with `mutual audit prove`.
"""
