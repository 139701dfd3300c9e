"""The board pack as a board reads it: every figure is the queries' own, in the PDF and in the workbook."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import orjson

from projections.documents.render import amount, money
from tests.e2e.documents_cli import EXAMPLE, as_json, ok, pdf_text, run

PERIOD = ("--from", "2021-01-01", "--to", "2021-12-31")
MONTH_ENDS = ("2021-01-31", "2021-06-30", "2021-10-31")


def with_a_fund(backend):
    ok(backend, "import", str(EXAMPLE))
    ok(backend, "fund", "policy", "jak", "--on", "2015-01-01", "--kind", "jak:1")
    ok(backend, "savings", "open", "riverside-sink", "--fund", "jak", "--holder", "riverside", "--holder-kind",
       "coop", "--kind", "jak", "--on", "2015-02-01")
    ok(backend, "savings", "deposit", "riverside-sink", "--amount", "20000", "--on", "2015-02-01")
    ok(backend, "savings", "open", "alice-jak", "--fund", "jak", "--holder", "alice", "--kind", "jak",
       "--on", "2016-01-01")
    ok(backend, "savings", "deposit", "alice-jak", "--amount", "3000", "--on", "2016-01-01")
    ok(backend, "loan", "grant", "L1", "--holder", "alice", "--account", "alice-jak", "--amount", "4000",
       "--months", "24", "--on", "2021-03-01")
    ok(backend, "loan", "shares", "L1", "--on", "2021-03-01")
    ok(backend, "loan", "disburse", "L1", "--on", "2021-03-01")
    return backend


def test_every_figure_of_the_board_pack_pdf_is_the_queries_json_figure(backend, tmp_path):
    with_a_fund(backend)
    out = tmp_path / "board.pdf"
    said = ok(backend, "report", "board", "--coop", "riverside", *PERIOD, "-o", str(out)).output
    text = pdf_text(out)
    closing = as_json(backend, "coop", "show", "riverside", "--as-of", "2021-12-31")
    wanted = [closing["name"], money(closing["debt"]), money(closing["reserve"]), money(closing["arrears"])]
    for day in MONTH_ENDS:  # the trend: coop show at month ends
        shown = as_json(backend, "coop", "show", "riverside", "--as-of", day)
        wanted += [money(shown["debt"]), money(shown["reserve"]), money(shown["members_debt_shares"])]
    arrears = as_json(backend, "arrears", "--coop", "riverside", "--as-of", "2021-12-31")
    wanted += [money(arrears["outstanding"])]
    for dwelling in closing["dwellings"]:
        shown = as_json(backend, "dwelling", "show", dwelling, "--as-of", "2021-12-31")
        wanted += [money(shown["value"]), amount(shown["units"]["member"]), amount(shown["units"]["financed"])]
    bob = as_json(backend, "member", "show", "bob", "--as-of", "2021-12-31")
    wanted += [money(bob["equity_paid_out"]), money(bob["payout_detail"]["arrears_deducted"]), "dan"]
    fund = as_json(backend, "fund", "show", "jak", "--as-of", "2021-12-31")
    forecast = as_json(backend, "fund", "forecast", "jak", "--years", "5", "--from", "2022-01-01",
                       "--as-of", "2021-12-31")
    wanted += [money(fund["liquidity"])] + [money(y["fund_balance"]) for y in forecast["years"]]
    assert [w for w in wanted if w not in text] == []
    for heading in ("Board pack", "Debt and reserve over the period", "Arrears on 31 December 2021, aged",
                    "Members joined and left", "Units held by each party", "The fund's liquidity forecast"):
        assert heading in text
    head = as_json(backend, "verify")
    assert f"chain head {head['head_position']} {head['head_hash']}" in said
    assert head["head_hash"] in text.replace("\n", "")


def test_a_coop_with_no_fund_is_told_so(backend, tmp_path):
    ok(backend, "import", str(EXAMPLE))
    out = tmp_path / "board.pdf"
    ok(backend, "report", "board", "--coop", "riverside", *PERIOD, "-o", str(out))
    assert "No fund is linked to this co-op" in pdf_text(out)


def _cells(path: Path) -> dict[str, list[object]]:
    """Every cell's value, sheet by sheet."""
    book = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: [v for row in ws.iter_rows(values_only=True) for v in row if v is not None]
            for ws in book.worksheets}


def test_the_workbook_has_one_sheet_per_section_with_the_same_figures(backend, tmp_path):
    with_a_fund(backend)
    out = tmp_path / "board.xlsx"
    ok(backend, "report", "board", "--coop", "riverside", *PERIOD, "-o", str(out))
    cells = _cells(out)
    assert list(cells) == ["Summary", "Debt and reserve", "Arrears", "Members", "Payouts", "Units", "Fund forecast"]
    closing = as_json(backend, "coop", "show", "riverside", "--as-of", "2021-12-31")
    assert float(closing["debt"]) in cells["Debt and reserve"] and float(closing["reserve"]) in cells["Debt and reserve"]
    bob = as_json(backend, "member", "show", "bob", "--as-of", "2021-12-31")
    assert float(bob["equity_paid_out"]) in cells["Payouts"] and "bob" in cells["Payouts"]
    assert "dan" in cells["Members"] and "joined" in cells["Members"]
    forecast = as_json(backend, "fund", "forecast", "jak", "--years", "5", "--from", "2022-01-01",
                       "--as-of", "2021-12-31")
    rows = list(openpyxl.load_workbook(out, read_only=True)["Fund forecast"].iter_rows(min_row=4, values_only=True))
    assert [float(y["fund_balance"]) for y in forecast["years"]] == [row[6] for row in rows]
    head = as_json(backend, "verify")
    assert head["head_hash"] in cells["Summary"] and head["head_position"] in cells["Summary"]


def test_as_known_at_draws_the_same_pack_again_in_pdf_and_xlsx(backend, tmp_path):
    ok(backend, "import", str(EXAMPLE))
    first_pdf, first_xlsx = tmp_path / "first.pdf", tmp_path / "first.xlsx"
    said = ok(backend, "report", "board", "--coop", "riverside", *PERIOD, "-o", str(first_pdf)).output
    ok(backend, "report", "board", "--coop", "riverside", *PERIOD, "-o", str(first_xlsx))
    known_at = re.search(r"as known at (\S+)\)", said).group(1)
    late = {"stream": "member-carol", "type": "PaymentReceived", "effective_date": "2021-12-20",
            "payload": {"member_id": "carol", "amount": "900.00", "period": "2021-12", "bank_reference": "LATE-2"}}
    (tmp_path / "late.jsonl").write_bytes(orjson.dumps(late) + b"\n")
    ok(backend, "record", str(tmp_path / "late.jsonl"))
    again_pdf, again_xlsx = tmp_path / "again.pdf", tmp_path / "again.xlsx"
    ok(backend, "report", "board", "--coop", "riverside", *PERIOD, "--as-known-at", known_at, "-o", str(again_pdf))
    ok(backend, "report", "board", "--coop", "riverside", *PERIOD, "--as-known-at", known_at, "-o", str(again_xlsx))
    assert again_pdf.read_bytes() == first_pdf.read_bytes()
    assert again_xlsx.read_bytes() == first_xlsx.read_bytes()


def test_refusals_name_the_field(backend, tmp_path):
    ok(backend, "import", str(EXAMPLE))
    out = tmp_path / "x.pdf"
    backwards = run(backend, "report", "board", "--coop", "riverside", "--from", "2021-12-31", "--to", "2021-01-01",
                    "-o", str(out))
    assert backwards.exit_code == 2 and "--to" in backwards.output and not out.exists()
    nowhere = run(backend, "report", "board", "--coop", "nowhere", *PERIOD, "-o", str(out))
    assert nowhere.exit_code == 1 and nowhere.stderr.startswith("error: society nowhere") and not out.exists()


def test_a_clt_is_not_shown_as_a_co_op_nor_given_a_board_pack(backend, tmp_path):
    """`coop show` and `report board` of the CLT once answered a co-op's figures, all zeros."""
    ok(backend, "import", str(EXAMPLE))
    out = tmp_path / "clt.pdf"
    for args in (["coop", "show", "riverside-clt", "--as-of", "2021-12-31"],
                 ["report", "board", "--coop", "riverside-clt", "--from", "2021-01-01", "--to", "2021-12-31",
                  "-o", str(out)]):
        result = run(backend, *args)
        assert result.exit_code != 0 and "riverside-clt is a clt, not a co-op" in result.output + result.stderr
    assert not out.exists()


def test_the_forecast_years_after_the_period_are_a_forecast_not_recorded(backend, tmp_path):
    """Years after the period whose loans had all been repaid were once labelled "recorded"."""
    with_a_fund(backend)
    out = tmp_path / "board.html"
    ok(backend, "report", "board", "--coop", "riverside", *PERIOD, "-o", str(out))
    page = out.read_text()
    start = page.index("<th>Basis</th>")
    section = page[start:page.index("</table>", start)]
    rows = re.findall(r"<tr><td>[^<]*</td>.*?</tr>", section)
    assert len(rows) == 5
    assert all(row.endswith("<td>forecast: contracts in force</td></tr>") for row in rows), rows
