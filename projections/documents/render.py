"""One Jinja2 environment for every document, the en_GB formats people read, and the PDF engine.

HTML and PDF come from the same template: the PDF is WeasyPrint's rendering of the HTML (or, for a batch of
statements, Chromium's: chromium.py), with two differences:
a chart goes in as an <img> of the same SVG (WeasyPrint lays out an SVG image faster than inline SVG elements,
each of which it styles as HTML), and the stylesheet is handed over parsed once per process rather than inline.
A PDF is reproducible: its creation date is the recorded time of the chain head the document was drawn from
(never the clock), and WeasyPrint writes no other time.

Amounts are Decimal to the end: babel formats them (en_GB, £, thousands separated); nothing here rounds money
except to show it (half up to the penny, as `round_money` does).
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

import jinja2
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from ledger.money import round_money

LOCALE = "en_GB"


def money(value: Decimal | str | None) -> str:
    """£1,828.74; -£12.00; an absent amount as a dash."""
    if value is None:
        return "-"
    shown = round_money(Decimal(value))
    return str(format_currency(shown if shown else abs(shown), "GBP", locale=LOCALE))  # never -£0.00


def below_zero(value: Decimal | str | None) -> bool:
    """A template's test (`is below_zero`): an amount shown with a word of explanation when it is negative as
    shown (to the penny: -0.004 is shown as £0.00 and needs no word)."""
    return value is not None and round_money(Decimal(value)) < 0


def amount(value: Decimal | str | None, places: int = 2) -> str:
    """A plain number with separators: units 137.72, points 1,234.50."""
    if value is None:
        return "-"
    exponent = Decimal(1).scaleb(-places)
    quantized = Decimal(value).quantize(exponent, rounding=ROUND_HALF_UP)
    return str(format_decimal(quantized, format="#,##0." + "0" * places if places else "#,##0", locale=LOCALE))


def percent(value: Decimal | str | None) -> str:
    if value is None:
        return "-"
    return amount(Decimal(value) * 100, 1) + "%"


def long_date(value: date | str | None) -> str:
    """30 June 2020."""
    if value is None:
        return "-"
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return str(format_date(value, format="d MMMM y", locale=LOCALE))


def month_name(period: str) -> str:
    """2020-04 as April 2020."""
    year, month = period.split("-")
    return str(format_date(date(int(year), int(month), 1), format="MMMM y", locale=LOCALE))


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("projections.documents", "templates"),
                             autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(money=money, amount=amount, percent=percent, long_date=long_date, month_name=month_name,
                       data_uri=data_uri)
    env.tests["below_zero"] = below_zero
    return env


ENGINES = ("weasyprint", "chromium")


def render_html(template: str, context: dict[str, Any], *, for_pdf: bool = False, engine: str = "weasyprint") -> str:
    """The document's HTML; `for_pdf`, the HTML the PDF `engine` prints (WeasyPrint's leaves the stylesheet out, as
    it is handed over parsed; Chromium's has it inline, with the footer's title, which Chromium cannot take from
    the page)."""
    return environment().get_template(template).render(**context, for_pdf=for_pdf, engine=engine)


@cache
def _fonts() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@cache
def _stylesheet() -> Any:
    """style.css parsed once per process (the HTML a PDF is made from leaves it out; a browser's HTML has it inline)."""
    import weasyprint

    source = environment().loader.get_source(environment(), "style.css")[0]  # type: ignore[union-attr]
    return weasyprint.CSS(string=source, font_config=_fonts())


# The cyclic collector's thresholds while a batch renders: WeasyPrint builds tens of thousands of short-lived boxes
# per document and the default (700) rescans them many times over; most of it is freed by reference counting.
# Measured on a three-page statement: 0.33 s of CPU with the defaults, 0.26 s with these and the long-lived
# objects (fonts, stylesheet, templates) frozen out of the collector's scans.
BATCH_GC_THRESHOLDS = (50_000, 50, 100)


def for_a_batch() -> None:
    """Set this process up to render many documents: the fonts, stylesheet and templates loaded, then frozen out of
    the cyclic collector's scans, and the collector run less often (`BATCH_GC_THRESHOLDS`). For a worker process
    that renders a batch and ends; the collector still runs, so no cycle is kept for ever."""
    import gc

    _stylesheet()
    environment()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*BATCH_GC_THRESHOLDS)


def html_to_pdf(html: str, created: datetime | None) -> bytes:
    """The PDF of a document's HTML (rendered `for_pdf`); its creation date is `created` (the chain head's
    recorded time)."""
    import weasyprint

    document = weasyprint.HTML(string=html, base_url=".").render(stylesheets=[_stylesheet()], font_config=_fonts())
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ") if created is not None else None
    document.metadata.created = stamp
    document.metadata.modified = stamp
    pdf: bytes = document.write_pdf()
    return pdf


def render_pdf(template: str, context: dict[str, Any], created: datetime | None) -> bytes:
    return html_to_pdf(render_html(template, context, for_pdf=True), created)
