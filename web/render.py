"""Pages: one Jinja2 environment, one base template, and `page()`, which every HTML route answers with."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from projections.documents.render import amount, below_zero, long_date, money, month_name, percent
from web.deps import Viewer, When

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


# Figures for people as the statements show them (en_GB, £1,828.74): one formatting for documents and pages.
TEMPLATES.env.filters["money"] = money
TEMPLATES.env.filters["amount"] = amount
TEMPLATES.env.filters["long_date"] = long_date
TEMPLATES.env.filters["month_name"] = month_name
TEMPLATES.env.filters["percent"] = percent
TEMPLATES.env.tests["below_zero"] = below_zero
TEMPLATES.env.globals["Decimal"] = Decimal


def page(request: Request, template: str, viewer: Viewer | None, moment: When | None = None,
         status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render `template` with who is asking, their CSRF token, and the page's dates."""
    csrf = request.app.state.sessions.csrf_token(viewer) if viewer is not None else ""
    return TEMPLATES.TemplateResponse(request, template, {"viewer": viewer, "csrf": csrf, "when": moment,
                                                          **context}, status_code=status_code)
