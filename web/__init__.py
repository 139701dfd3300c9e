"""The web back office and the members' window: pages and a JSON API over the same books as the CLI.

No rule is computed here: pages read the projections (`projections/`), the API runs the CLI's own commands
(web/api.py), and writes go through `ledger/commands/`. docs/web.md says how it fits together.
"""
