"""Statements and board packs download as the CLI writes them, with a file name, to whom they may."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pdfplumber
from openpyxl import load_workbook

from cli.invoke import run
from projections.documents.render import money
from tests.web.conftest import login

PERIOD = {"from": "2025-01-01", "to": "2025-03-31"}


def pdf_text(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_a_members_statement_downloads_as_a_pdf_holding_their_equity(examples, app, client):
    ran = run(examples.url, ["member", "show", "alice", "--as-of", PERIOD["to"], "--json"])
    equity = money(Decimal(json.loads(ran.stdout)["gross_equity"]))
    login(client, "member", member="alice")
    got = client.get("/members/alice/statement", params={**PERIOD, "format": "pdf"})
    assert got.status_code == 200, got.text
    assert got.content.startswith(b"%PDF") and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == 'attachment; filename="statement-alice-2025-01-01-2025-03-31.pdf"'
    assert equity in pdf_text(got.content)


def test_a_statement_as_html_opens_in_the_browser_and_defaults_to_the_year_to_its_date(examples, app, client):
    login(client, "clerk")
    got = client.get("/members/alice/statement", params={"as_of": "2025-03-31", "format": "html"})
    assert got.status_code == 200
    assert got.headers["content-disposition"] == 'inline; filename="statement-alice-2025-01-01-2025-03-31.html"'
    assert "Member statement" in got.text and "<svg" in got.text


def test_a_member_may_download_only_their_own_statement(examples, app, client):
    login(client, "member", member="alice")
    assert client.get("/members/bob/statement", params={"from": "2020-01-01", "to": "2020-12-31"}).status_code == 404
    assert client.get("/members/alice/statement", params={**PERIOD, "format": "html"}).status_code == 200
    login(client, "admin")
    assert client.get("/members/alice/statement", params=PERIOD).status_code == 403


def test_the_board_pack_downloads_as_pdf_and_xlsx_for_staff(examples, app, client):
    ran = run(examples.url, ["coop", "show", "riverside", "--as-of", PERIOD["to"], "--json"])
    debt = money(Decimal(json.loads(ran.stdout)["debt"]))
    login(client, "board")
    pdf = client.get("/coops/riverside/board-pack", params=PERIOD)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"] == 'attachment; filename="board-pack-riverside-2025-01-01-2025-03-31.pdf"'
    assert debt in pdf_text(pdf.content)
    xlsx = client.get("/coops/riverside/board-pack", params={**PERIOD, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert xlsx.headers["content-disposition"].endswith('filename="board-pack-riverside-2025-01-01-2025-03-31.xlsx"')
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames


def test_the_board_pack_is_not_for_members_or_admins(examples, app, client):
    login(client, "member", member="alice")
    assert client.get("/coops/riverside/board-pack", params=PERIOD).status_code == 404
    login(client, "admin")
    assert client.get("/coops/riverside/board-pack", params=PERIOD).status_code == 403


def test_a_bad_period_or_format_is_refused_naming_the_field(examples, app, client):
    login(client, "treasurer")
    for path in ("/members/alice/statement", "/coops/riverside/board-pack"):
        backwards = client.get(path, params={"from": "2025-04-01", "to": "2025-03-31"})
        assert backwards.status_code == 400 and "to: 2025-03-31 is before from 2025-04-01" in backwards.text
        assert "from:" in client.get(path, params={"from": "2025-02-30"}).text
        wrong = client.get(path, params={**PERIOD, "format": "doc"})
        assert wrong.status_code == 400 and "format:" in wrong.text
        assert "Traceback" not in wrong.text
    unknown = client.get("/members/zed/statement", params=PERIOD)
    assert unknown.status_code == 404 and "member zed" in unknown.text
    assert client.get("/coops/nowhere/board-pack", params=PERIOD).status_code == 404


def test_the_board_pack_opens_as_a_web_page_from_the_dashboards_form(examples, app, client):
    login(client, "board")
    form = client.get("/coops/riverside?as_of=2025-03-31").text.split('action="/coops/riverside/board-pack"')[1]
    assert 'name="from" value="2025-01-01"' in form and 'name="to" value="2025-03-31"' in form
    got = client.get("/coops/riverside/board-pack", params={**PERIOD, "format": "html"})
    assert got.status_code == 200 and "<svg" in got.text
    assert got.headers["content-disposition"] == 'inline; filename="board-pack-riverside-2025-01-01-2025-03-31.html"'


def test_dates_past_the_ledgers_years_and_centuries_long_documents_are_a_400_naming_the_field(examples, app, client):
    """Pages once took any year to 9999: a 500 from the chart, or a member's page folded for 8 s, a board pack held
    4.9 GB. They take the command line's years (1900 to 2199), and a document at most 50 years."""
    login(client, "member", member="alice")
    for path, params, field in (("/members/alice", {"as_of": "9999-12-30"}, "as_of"),
                                ("/members/alice/statement", {"to": "9999-12-31"}, "to"),
                                ("/members/alice/statement", {"from": "1899-12-31", "to": "2020-01-01"}, "from")):
        got = client.get(path, params=params)
        assert got.status_code == 400 and field in got.text and "outside the years 1900 to 2199" in got.text, path
    login(client, "board")
    got = client.get("/coops/riverside/board-pack", params={"from": "2015-01-01", "to": "2199-12-31",
                                                             "format": "xlsx"})
    assert got.status_code == 400 and "at most 50 years" in got.text
    assert client.get("/coops/riverside/board-pack", params={"from": "2015-01-01", "to": "2064-12-31",
                                                              "format": "html"}).status_code == 200
