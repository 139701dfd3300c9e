"""A member's statement as the treasurer sends it: every figure is the queries' own, read back from the PDF."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import orjson
import pytest

from projections.documents import chromium
from projections.documents.render import amount, long_date, money, month_name
from tests.e2e.documents_cli import EXAMPLE, as_json, ok, pdf_text, run

PERIOD = ("--from", "2020-01-01", "--to", "2020-12-31")


def imported(backend):
    ok(backend, "import", str(EXAMPLE))
    return backend


def html_text(path: Path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", path.read_text()))


def expected_figures(backend, member: str) -> list[str]:
    """Every figure the statement shows, from the queries' --json on the same dates, formatted as it prints them."""
    closing = as_json(backend, "member", "show", member, "--as-of", "2020-12-31")
    opening = as_json(backend, "member", "show", member, "--as-of", "2020-01-01")
    arrears = as_json(backend, "arrangement", "show", member, "--as-of", "2020-12-31")
    figures = [money(closing[k]) for k in ("gross_equity", "debt_share", "payout_if_leaving", "arrears",
                                           "dwelling_value", "unit_value", "deposit", "principal_repaid",
                                           "annual_payment", "share_capital")]
    figures += [amount(closing["units"][k]) for k in ("clt", "member", "financed", "total")]
    figures += [money(closing["payout_detail"][k]) for k in ("growth", "deduction", "arrears_deducted", "deposit")]
    figures += [money(opening[k]) for k in ("gross_equity", "debt_share", "unit_value", "arrears")]
    figures += [amount(opening["units"]["member"])]
    for m in arrears["months"]:
        figures += [f"{month_name(m['period'])}", money(m["outstanding"]), money(m["due"])]
    figures += [money(arrears["outstanding"])]
    figures += [long_date("2020-01-01"), long_date("2020-12-31"), closing["coop"], closing["dwelling"]]
    return figures


def test_every_figure_on_the_pdf_statement_is_the_queries_json_figure_on_the_same_dates(backend, tmp_path):
    imported(backend)
    out = tmp_path / "bob.pdf"
    said = ok(backend, "statement", "bob", *PERIOD, "-o", str(out)).output
    assert out.read_bytes().startswith(b"%PDF")
    text = pdf_text(out)
    missing = [f for f in expected_figures(backend, "bob") if f not in text]
    assert missing == []
    assert "£1,828.74" in text and "Payout if leaving" in text  # bob's arrears, and his lien on the payout
    head = as_json(backend, "verify")
    assert f"chain head {head['head_position']} {head['head_hash']}" in said
    assert f"mutual audit prove {head['head_position']} {head['head_hash']}" in text.replace("\n", " ")
    # each payment of the period and the months it paid, by the one allocation rule
    assert "3 February 2020 £304.80 November 2019 £304.78; December 2019 £0.02" in text


def test_the_html_and_the_pdf_come_from_one_template_and_show_the_same_figures(backend, tmp_path):
    imported(backend)
    ok(backend, "statement", "alice", *PERIOD, "-o", str(tmp_path / "alice.html"))
    ok(backend, "statement", "alice", *PERIOD, "--format", "pdf", "-o", str(tmp_path / "alice.pdf"))
    html, pdf = html_text(tmp_path / "alice.html"), pdf_text(tmp_path / "alice.pdf")
    figures = expected_figures(backend, "alice")
    assert [f for f in figures if f not in html] == [] and [f for f in figures if f not in pdf] == []
    source = (tmp_path / "alice.html").read_text()
    assert "<svg" in source and "Equity and debt share" in source  # the chart, inline
    for heading in ("Member statement", "If you left on", "Dues and payments in the period", "Arrears on"):
        assert heading in html and heading in pdf


def test_a_person_in_the_register_is_named_and_addressed_and_an_erased_one_is_not(backend, tmp_path):
    imported(backend)
    ok(backend, "person", "add", "alice", "--name", "Alice Smith", "--address", "1 River Row, Leeds, LS1 1AA")
    ok(backend, "statement", "alice", *PERIOD, "-o", str(tmp_path / "named.pdf"))
    named = pdf_text(tmp_path / "named.pdf")
    assert "Alice Smith" in named and "1 River Row" in named and "LS1 1AA" in named
    ok(backend, "person", "erase", "alice", "--reason", "asked to be forgotten")
    ok(backend, "statement", "alice", *PERIOD, "-o", str(tmp_path / "erased.html"))
    erased = html_text(tmp_path / "erased.html")
    assert "erased at the person's request" in erased
    assert "Alice Smith" not in erased and "River Row" not in erased
    ok(backend, "statement", "carol", *PERIOD, "-o", str(tmp_path / "carol.html"))
    assert "not in the register of people: shown by member id" in html_text(tmp_path / "carol.html")


def test_a_savers_statement_shows_balances_points_and_loans_as_savings_show_does(backend, tmp_path):
    imported(backend)
    ok(backend, "fund", "policy", "f1", "--on", "2019-01-01", "--kind", "jak:1")
    ok(backend, "savings", "open", "pool", "--fund", "f1", "--holder", "pool", "--kind", "jak", "--on", "2019-01-01")
    ok(backend, "savings", "deposit", "pool", "--amount", "5000", "--on", "2019-01-01")
    ok(backend, "savings", "open", "alice-jak", "--fund", "f1", "--holder", "alice", "--kind", "jak",
       "--on", "2019-01-01")
    ok(backend, "savings", "deposit", "alice-jak", "--amount", "650", "--on", "2019-01-01")
    ok(backend, "loan", "grant", "L1", "--holder", "alice", "--account", "alice-jak", "--amount", "1200",
       "--months", "12", "--on", "2020-07-01")
    ok(backend, "loan", "shares", "L1", "--on", "2020-07-01")
    ok(backend, "loan", "disburse", "L1", "--on", "2020-07-01")
    ok(backend, "statement", "alice", *PERIOD, "-o", str(tmp_path / "alice.pdf"))
    ok(backend, "statement", "alice", *PERIOD, "-o", str(tmp_path / "alice.html"))
    text = pdf_text(tmp_path / "alice.pdf")
    saver = as_json(backend, "savings", "show", "alice", "--as-of", "2020-12-31")
    assert "Savings and loans on 31 December 2020" in text
    wanted = [money(saver["savings"]), amount(saver["points"]), "alice-jak", "L1",
              money(saver["loans"][0]["outstanding"]), money(saver["locked_after_savings"])]
    assert [f for f in wanted if f not in text] == []
    assert "Savings points" in (tmp_path / "alice.html").read_text()  # the points curve on the chart


def test_as_known_at_draws_the_earlier_statement_again_byte_for_byte(backend, tmp_path):
    imported(backend)
    first_html, first_pdf = tmp_path / "first.html", tmp_path / "first.pdf"
    said = ok(backend, "statement", "bob", *PERIOD, "-o", str(first_html)).output
    ok(backend, "statement", "bob", *PERIOD, "-o", str(first_pdf))
    known_at = re.search(r"as known at (\S+)\)", said).group(1)
    late = {"stream": "member-bob", "type": "PaymentReceived", "effective_date": "2020-12-20",
            "payload": {"member_id": "bob", "amount": "500.00", "period": "2020-12", "bank_reference": "LATE-1"}}
    late_file = tmp_path / "late.jsonl"
    late_file.write_bytes(orjson.dumps(late) + b"\n")
    ok(backend, "record", str(late_file))
    now = tmp_path / "now.html"
    ok(backend, "statement", "bob", *PERIOD, "-o", str(now))
    assert now.read_bytes() != first_html.read_bytes() and "£500.00" in html_text(now)
    again_html, again_pdf = tmp_path / "again.html", tmp_path / "again.pdf"
    ok(backend, "statement", "bob", *PERIOD, "--as-known-at", known_at, "-o", str(again_html))
    ok(backend, "statement", "bob", *PERIOD, "--as-known-at", known_at, "-o", str(again_pdf))
    assert again_html.read_bytes() == first_html.read_bytes()
    assert again_pdf.read_bytes() == first_pdf.read_bytes()


ENGINES = ["weasyprint", pytest.param("chromium", marks=pytest.mark.skipif(
    not chromium.available(), reason="no Chromium (/usr/bin/chromium or $MUTUAL_CHROMIUM) or no Playwright"))]


@pytest.mark.parametrize("engine", ENGINES)
def test_statements_for_a_coop_write_one_file_per_member_from_one_chain_head(engine, backend, tmp_path):
    imported(backend)
    out = tmp_path / "out"
    said = ok(backend, "statements", "--coop", "riverside", *PERIOD, "--engine", engine, "--workers", "2",
              "-o", str(out)).output
    assert sorted(p.name for p in out.iterdir()) == [f"statement-{m}-2020-01-01-2020-12-31.pdf"
                                                     for m in ("alice", "bob", "carol")]
    assert "3 statement(s) of co-op riverside" in said
    batch_bob = out / "statement-bob-2020-01-01-2020-12-31.pdf"
    if engine == "weasyprint":  # the same bytes `mutual statement` writes
        single = tmp_path / "bob.pdf"
        ok(backend, "statement", "bob", *PERIOD, "-o", str(single))
        assert batch_bob.read_bytes() == single.read_bytes()
    else:  # the same figures and text: Chromium stamps the PDF with the time it printed it
        text = pdf_text(batch_bob)
        assert [f for f in expected_figures(backend, "bob") if f not in text] == []
        assert "3 February 2020 £304.80 November 2019 £304.78; December 2019 £0.02" in text
        assert "Member statement" in text and "page 1 of 3" in text and "page 3 of 3" in text
        head = as_json(backend, "verify")
        assert head["head_hash"] in text.replace("\n", "")
        known_at = re.search(r"as known at (\S+)\)", said).group(1)
        again = tmp_path / "again"
        ok(backend, "statements", "--coop", "riverside", *PERIOD, "--engine", engine, "--workers", "1",
           "--as-known-at", known_at, "-o", str(again))
        assert pdf_text(again / batch_bob.name) == text
    html = tmp_path / "html"
    ok(backend, "statements", "--coop", "riverside", "--from", "2022-01-01", "--to", "2022-12-31", "--format", "html",
       "--workers", "1", "-o", str(html))
    names = sorted(p.name for p in html.iterdir())
    assert "statement-dan-2022-01-01-2022-12-31.html" in names and not any("-bob-" in n for n in names)  # bob left 2021


def test_the_chromium_engine_is_refused_by_name_where_there_is_no_chromium(backend, tmp_path, monkeypatch):
    imported(backend)
    monkeypatch.setenv("MUTUAL_CHROMIUM", str(tmp_path / "no-chromium"))
    result = run(backend, "statements", "--coop", "riverside", *PERIOD, "--engine", "chromium",
                 "-o", str(tmp_path / "out"))
    assert result.exit_code == 2 and "--engine" in result.output and "no Chromium" in result.output
    assert not (tmp_path / "out").exists()
    fallen_back = ok(backend, "statements", "--coop", "riverside", *PERIOD, "--workers", "1",
                     "-o", str(tmp_path / "wp")).output  # no --engine: WeasyPrint, as there is no Chromium
    assert "3 statement(s)" in fallen_back


@pytest.mark.skipif(importlib.util.find_spec("playwright") is None, reason="no Playwright")
def test_a_chromium_that_fails_is_named_without_a_traceback(backend, tmp_path, monkeypatch):
    imported(backend)
    monkeypatch.setenv("MUTUAL_CHROMIUM", "/bin/false")
    result = run(backend, "statements", "--coop", "riverside", *PERIOD, "--engine", "chromium",
                 "-o", str(tmp_path / "out"))
    assert result.exit_code == 1 and result.stderr.startswith("error: --engine: Chromium failed")
    assert "Traceback" not in result.output + result.stderr and list((tmp_path / "out").iterdir()) == []


def test_refusals_name_the_field_and_write_nothing(backend, tmp_path):
    imported(backend)
    out = tmp_path / "x.pdf"
    backwards = run(backend, "statement", "bob", "--from", "2020-12-31", "--to", "2020-01-01", "-o", str(out))
    assert backwards.exit_code == 2 and "--to" in backwards.output and not out.exists()
    nobody = run(backend, "statement", "nobody", *PERIOD, "-o", str(out))
    assert nobody.exit_code == 1 and nobody.stderr.startswith("error: member nobody") and not out.exists()
    early = run(backend, "statement", "dan", *PERIOD, "-o", str(out))
    assert early.exit_code == 1 and "not yet admitted" in early.stderr and not out.exists()
    unknown = run(backend, "statements", "--coop", "nowhere", *PERIOD, "-o", str(tmp_path / "d"))
    assert unknown.exit_code == 1 and "society nowhere" in unknown.stderr


def test_a_file_that_cannot_be_written_is_refused_by_name(backend, tmp_path):
    imported(backend)
    result = run(backend, "statement", "bob", *PERIOD, "-o", str(tmp_path / "no-such-folder" / "bob.pdf"))
    assert result.exit_code == 1 and result.stderr.startswith("error: --output: cannot write")


def test_a_member_who_left_in_the_period_is_shown_what_was_paid_out(backend, tmp_path):
    imported(backend)
    ok(backend, "statement", "bob", "--from", "2021-01-01", "--to", "2021-12-31", "-o", str(tmp_path / "bob.pdf"))
    text = pdf_text(tmp_path / "bob.pdf")
    shown = as_json(backend, "member", "show", "bob", "--as-of", "2021-12-31")
    assert "When you left on 1 October 2021" in text and "Paid out on leaving" in text
    assert money(shown["equity_paid_out"]) in text and "Payout if leaving" not in text


def test_the_lien_taken_from_a_payout_is_marked_as_no_payment_on_the_statement(backend, tmp_path):
    """Bob's arrears taken from his payout (£1,828.74 on 1 October 2021) once read as a payment received."""
    ok(backend, "import", str(EXAMPLE))
    out = tmp_path / "bob.html"
    ok(backend, "statement", "bob", "--from", "2021-01-01", "--to", "2021-12-31", "-o", str(out))
    page = out.read_text()
    row = next(r for r in page.split("<tr>") if "1 October 2021" in r and "1,828.74" in r)
    assert "not a payment: arrears taken from the payout" in row
    assert sum(1 for r in page.split("<tr>") if "not a payment" in r) == 1


def test_a_payment_recorded_after_the_payout_dated_before_leaving_shows_what_is_still_owed(backend, tmp_path):
    """Bob's £77.77 of 20 September 2021, recorded after his payout: the statement's breakdown once added to
    £24,634.15 under a "Paid out £24,556.38", and the board pack's row the same."""
    ok(backend, "import", str(EXAMPLE))
    ok(backend, "payment", "receive", "bob", "--amount", "77.77", "--period", "2021-09", "--bank-reference", "X2",
       "--on", "2021-09-20")
    out, board = tmp_path / "bob.html", tmp_path / "board.html"
    ok(backend, "statement", "bob", "--from", "2021-01-01", "--to", "2021-12-31", "-o", str(out))
    page = out.read_text()
    for row, figure in (("Due at leaving", "24,634.15"), ("Paid out", "24,556.38"), ("Still owed to you", "77.77")):
        assert re.search(rf"<td>{row}.*?</td><td class=\"n\">£{figure}</td>", page, re.S), row
    ok(backend, "report", "board", "--coop", "riverside", "--from", "2021-01-01", "--to", "2021-12-31", "-o",
       str(board))
    assert "still owed £77.77" in board.read_text()
