"""Every query in four forms (docs/outputs.md): a table for people (amounts in en_GB), CSV for machines, XLSX for an
accountant, JSON as before; each carries the same figures as --json, on both engines."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cli.coop_commands import _flat
from cli.main import cli
from cli.output import COUNT, DATE, MONEY, POINTS, RATE, TEXT, UNITS, kind_of, money_for_people

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
COOP = EXAMPLES / "coop-ten-years.jsonl"
FUND = EXAMPLES / "appendix6.jsonl"


def run(backend, *args):
    return CliRunner(env={"MUTUAL_ACTOR": "treasurer"}).invoke(cli, ["--db", backend.url, *args])


def ok(backend, *args):
    result = run(backend, *args)
    assert result.exit_code == 0, result.output
    return result


def as_json(backend, *args):
    return json.loads(ok(backend, *args, "--json").stdout)


def csv_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def same_figure(shown: object, books: object) -> bool:
    """A cell read back holds the figure the JSON holds: the same Decimal for a number, the same text else."""
    if books is None:
        return shown in ("", None)
    if isinstance(books, bool):
        return str(shown).lower() == str(books).lower()
    if isinstance(shown, datetime):
        return shown.date().isoformat() == str(books)
    try:
        wanted = D(str(books))
    except ArithmeticError:
        return str(shown) == str(books)
    if isinstance(shown, float):
        return D(repr(shown)) == wanted
    try:
        return D(str(shown)) == wanted
    except ArithmeticError:
        return False


@pytest.fixture
def coop(backend):
    ok(backend, "import", str(COOP))
    return backend


@pytest.fixture
def fund(backend):
    ok(backend, "import", str(FUND))
    return backend


def test_a_member_show_as_csv_parses_back_to_the_figures_of_its_json(coop):
    args = ("member", "show", "bob", "--as-of", "2020-06-30")
    result = ok(coop, *args, "--format", "csv")
    rows = csv_of(result.stdout)
    assert rows[0] == ["figure", "value"] and len(rows) > 20
    figures = dict(_flat(as_json(coop, *args)))
    assert [name for name, _ in rows[1:]] == list(figures)
    for name, value in rows[1:]:
        assert same_figure(value, figures[name]), name
    shown = dict(rows[1:])
    assert shown["arrears"] == "1828.74" and shown["dwelling_value"] == "176000.00"  # no £, no separators
    assert shown["units.total"] == figures["units.total"]  # units as the books hold them
    assert "drawn from chain head" in result.stderr and "drawn from" not in result.stdout


def test_list_tables_as_csv_hold_the_json_figures_row_by_row(coop):
    arrears = as_json(coop, "arrears", "--coop", "riverside", "--as-of", "2020-06-30")
    rows = csv_of(ok(coop, "arrears", "--coop", "riverside", "--as-of", "2020-06-30", "--format", "csv").stdout)
    header, bob = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[:3] == ["member", "months in arrears", "outstanding"] and len(rows) == 2
    assert bob["outstanding"] == arrears["members"][0]["outstanding"] == "1828.74"
    for bucket, value in arrears["members"][0]["buckets"].items():
        assert bob[f"{bucket} days"] == value
    register = as_json(coop, "register", "riverside", "--as-of", "2020-06-30")
    rows = csv_of(ok(coop, "register", "riverside", "--as-of", "2020-06-30", "--format", "csv").stdout)
    assert [r[0] for r in rows[1:]] == [m["member"] for m in register["members"]]
    assert [r[2] for r in rows[1:]] == [m["admitted_on"] for m in register["members"]]


def test_a_forecast_as_csv_and_xlsx_agrees_with_its_json_year_by_year(fund, tmp_path):
    args = ("fund", "forecast", "app6", "--years", "6")
    years = as_json(fund, *args)["years"]
    rows = csv_of(ok(fund, *args, "--format", "csv").stdout)
    assert len(rows[0]) == 7 and rows[0][0] == "row"
    for label, *cells in rows[1:]:
        assert [D(c) for c in cells] == [D(y[label]) for y in years], label
    path = tmp_path / "forecast.xlsx"
    ok(fund, *args, "-o", str(path))  # the format follows the file's name
    sheet = openpyxl.load_workbook(path).worksheets[0]
    by_label = {r[0].value: r[1:] for r in sheet.iter_rows(min_row=2)}
    for label, cells in by_label.items():
        assert all(same_figure(c.value, y[label]) for c, y in zip(cells, years, strict=True)), label
        assert all(isinstance(c.value, (int, float)) and c.number_format.startswith("£") for c in cells)
    inflows = ("deposits", "after_savings", "shares_bought", "setup_fees", "annual_fees", "repaid")
    for column, year in enumerate(years):  # numbers that sum: the inflows add up to the total, to the penny
        added = sum(D(repr(by_label[name][column].value)) for name in inflows)
        assert added == D(year["total_inflows"])


def test_an_xlsx_has_numbers_in_pounds_dates_as_dates_and_names_its_chain_head(coop, tmp_path):
    args = ("member", "show", "bob", "--as-of", "2020-06-30")
    figures = dict(_flat(as_json(coop, *args)))
    path = tmp_path / "bob.xlsx"
    result = ok(coop, *args, "--format", "xlsx", "-o", str(path))
    assert result.stdout == "" and f"wrote {path}" in result.stderr
    book = openpyxl.load_workbook(path)
    data, about = book.worksheets
    assert [c.value for c in data[1]] == ["figure", "value"] and data["A1"].font.b
    cells = {r[0].value: r[1] for r in data.iter_rows(min_row=2)}
    for name, cell in cells.items():
        assert same_figure(cell.value, figures[name]), name
    assert isinstance(cells["debt_share"].value, float) and cells["debt_share"].number_format.startswith("£#,##0.00")
    assert cells["as_of"].value == datetime(2020, 6, 30) and cells["as_of"].is_date
    assert isinstance(cells["units.clt"].value, int | float) and "£" not in cells["units.clt"].number_format
    assert data.column_dimensions["A"].width > len("payout_detail.formula_in_force.minimum_tenure_years")
    facts = {r[0].value: r[1].value for r in about.iter_rows(min_row=2)}
    head = as_json(coop, "verify")
    assert facts["what"] == "member bob on 2020-06-30"
    assert facts["chain head position"] == head["head_position"] and facts["chain head hash"] == head["head_hash"]


def test_an_xlsx_as_known_at_an_earlier_time_names_the_head_then(fund, tmp_path):
    last = as_json(fund, "log", "--tail", "1")[0]
    ok(fund, "savings", "deposit", "r01-jak", "--amount", "10.00", "--on", "2009-12-31")
    path = tmp_path / "fund.xlsx"
    ok(fund, "fund", "show", "app6", "--as-of", "2009-12-31", "--as-known-at", last["recorded_at"],
       "--format", "xlsx", "-o", str(path))
    facts = {r[0].value: r[1].value for r in openpyxl.load_workbook(path)["about"].iter_rows(min_row=2)}
    assert facts["chain head position"] == last["position"] and facts["chain head hash"] == last["hash"]
    assert facts["as known at"] == last["recorded_at"]
    then = as_json(fund, "fund", "show", "app6", "--as-of", "2009-12-31", "--as-known-at", last["recorded_at"])
    cells = {r[0].value: r[1].value for r in openpyxl.load_workbook(path).worksheets[0].iter_rows(min_row=2)}
    assert same_figure(cells["savings"], then["savings"]) and then["liquidity"] == "24837.45"


def test_the_terminal_table_shows_amounts_in_en_gb_and_units_not_as_money(coop):
    out = ok(coop, "member", "show", "bob", "--as-of", "2020-06-30").stdout
    assert "£176,000.00" in out and "£1,828.74" in out and "£120,855.82" in out
    assert "1,000.000000" in out and "£1,000.000000" not in out  # units are not money
    assert "2020-06-30" in out  # dates as the books spell them
    head = as_json(coop, "verify")
    assert f"drawn from chain head {head['head_position']} {head['head_hash']}" in out


def test_json_is_json_whichever_way_it_is_asked_for(fund, tmp_path):
    args = ("savings", "show", "r01", "--as-of", "2009-12-31")
    plain = ok(fund, *args, "--json").stdout
    assert ok(fund, *args, "--format", "json").stdout == plain
    path = tmp_path / "r01.json"
    ok(fund, *args, "--format", "json", "-o", str(path))
    assert path.read_text(encoding="utf-8") == plain
    assert json.loads(plain)["accounts"][0]["balance"] == "1375.49"  # amounts as strings, never formatted


def test_text_from_a_bank_statement_that_a_spreadsheet_would_run_is_shown_never_run(coop, tmp_path):
    statement = tmp_path / "hostile.csv"
    statement.write_text("Transaction Date,Transaction Type,Sort Code,Account Number,Transaction Description,"
                         "Debit Amount,Credit Amount,Balance\n"
                         "11/04/2025,FPI,'20-20-15,55555555,=HYPERLINK(X) =CMD|A,,1234.50,11234.50\n", encoding="utf-8")
    ok(coop, "bank", "import", str(statement), "--account", "riverside-current", "--format", "csv")
    line = as_json(coop, "bank", "unmatched")[0]
    assert (line["counterparty"], line["reference"]) == ("=HYPERLINK(X)", "=CMD|A")  # the books keep them as given
    rows = csv_of(ok(coop, "bank", "unmatched", "--format", "csv").stdout)
    shown = dict(zip(rows[0], rows[1], strict=True))
    assert (shown["payer"], shown["reference"], shown["amount"]) == ("'=HYPERLINK(X)", "'=CMD|A", "1234.50")
    path = tmp_path / "queue.xlsx"
    ok(coop, "bank", "unmatched", "-o", str(path))
    sheet = openpyxl.load_workbook(path).worksheets[0]
    payer = sheet.cell(row=2, column=[c.value for c in sheet[1]].index("payer") + 1)
    assert payer.value == "=HYPERLINK(X)" and payer.data_type == "s"  # a string, never a formula


def test_a_query_of_several_tables_writes_each_beside_the_csv(fund, tmp_path):
    args = ("savings", "show", "r01", "--as-of", "2009-12-31")
    data = as_json(fund, *args)
    on_stdout = ok(fund, *args, "--format", "csv")
    assert csv_of(on_stdout.stdout)[1][0] == "r01-jak" and "not written: the table 'loans'" in on_stdout.stderr
    assert "savings 1375.49" in on_stdout.stderr  # what the command printed besides its tables: stderr
    path = tmp_path / "r01.csv"
    ok(fund, *args, "-o", str(path))
    accounts = csv_of(path.read_text(encoding="utf-8"))
    assert dict(zip(accounts[0], accounts[1], strict=True))["locked after-savings"] == "849.26"
    loans = csv_of((tmp_path / "r01-2-loans.csv").read_text(encoding="utf-8"))
    assert [r[2] for r in loans[1:]] == [x["outstanding"] for x in data["loans"]]


def test_the_log_and_the_releases_come_out_a_row_each(fund, tmp_path):
    events = as_json(fund, "log", "--type", "LoanGranted")
    rows = csv_of(ok(fund, "log", "--type", "LoanGranted", "--format", "csv").stdout)
    assert rows[0][:5] == ["position", "effective date", "recorded at", "type", "stream"]
    assert [(int(r[0]), r[1], r[2], r[6]) for r in rows[1:]] == [
        (e["position"], e["effective_date"], e["recorded_at"], e["hash"]) for e in events]
    assert ok(fund, "log", "--type", "LoanGranted").stdout.startswith("pos")  # the readable log is as it was
    released = as_json(fund, "fund", "releases", "--through", "2009-12-31")["released"]
    path = tmp_path / "releases.xlsx"
    ok(fund, "fund", "releases", "--through", "2009-12-31", "-o", str(path))
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert [(r[0].value, r[2].value.date().isoformat(), D(repr(r[3].value))) for r in sheet.iter_rows(min_row=2)] \
        == [(r["loan_id"], r["on"], D(r["amount"])) for r in released]
    verify = dict(csv_of(ok(fund, "verify", "--format", "csv").stdout)[1:])
    assert verify["head_hash"] == as_json(fund, "verify")["head_hash"] and verify["intact"] == "true"


def test_a_bad_format_or_an_xlsx_without_a_file_is_refused_naming_the_option(coop, tmp_path):
    args = ("coop", "show", "riverside", "--as-of", "2020-06-30")
    bad = run(coop, *args, "--format", "pdf")
    assert bad.exit_code == 2 and "--format" in bad.stderr and "pdf" in bad.stderr
    no_file = run(coop, *args, "--format", "xlsx")
    assert no_file.exit_code == 2 and "--format" in no_file.stderr and "-o FILE.xlsx" in no_file.stderr
    both = run(coop, "arrears", "--coop", "riverside", "--json", "--format", "csv")
    assert both.exit_code == 2 and "--format" in both.stderr and "--json" in both.stderr
    nowhere = run(coop, *args, "--format", "csv", "-o", str(tmp_path / "missing" / "x.csv"))
    assert nowhere.exit_code == 1 and "-o/--output" in nowhere.stderr and "Traceback" not in nowhere.output
    assert not (tmp_path / "missing").exists()


def test_every_query_command_takes_format_and_output():
    from cli.main import cli as root

    takes = []

    def walk(command, path):
        names = {p.name for p in command.params}
        if "output_format" in names:
            assert "output_path" in names, path
            takes.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(root, "")
    for path in ("member show", "dwelling show", "coop show", "register", "savings show", "loan show", "loan quote",
                 "fund show", "fund forecast", "arrears", "arrangement show", "bank unmatched", "bank reconcile",
                 "bank rules", "bank rules payees", "period list", "audit", "audit checkpoints", "log", "verify",
                 "person show", "fund releases"):
        assert path in takes, path


@pytest.mark.parametrize(("name", "kind"), [
    ("debt_share", MONEY), ("payout_detail.deduction", MONEY), ("payout_detail.formula_in_force.deduction", RATE),
    ("units.clt", UNITS), ("points consumed", POINTS), ("factor", RATE), ("position", COUNT), ("as_of", DATE),
    ("share_capital_by_society.riverside", MONEY), ("charges.insurance", MONEY), ("0-30 days", MONEY),
    ("member", TEXT), ("line", TEXT), ("reference", TEXT), ("account", TEXT), ("payments_received", MONEY),
    ("units.member", UNITS), ("mortgage_years_posted", COUNT),  # (once text cells in a spreadsheet)
    ("payout_detail.formula_in_force.minimum_tenure_years", COUNT)])
def test_a_column_is_known_by_its_name(name, kind):
    assert kind_of(name) == kind


def test_amounts_for_people_keep_every_place_the_books_hold():
    assert money_for_people(D("1234.56")) == "£1,234.56"
    assert money_for_people(D("-0.5")) == "-£0.50"
    assert money_for_people(D("1234.5678")) == "£1,234.5678"  # never rounded for show
    assert date(2020, 1, 1).isoformat() == "2020-01-01"


def test_a_command_with_a_format_of_its_own_keeps_it():
    import click

    from cli.params import query_options

    @click.command()
    @query_options
    @click.option("--format", "fmt", type=click.Choice(["html", "pdf"]))
    def statement(fmt, as_of, as_known_at, as_json):
        click.echo(fmt)

    assert [p.opts for p in statement.params].count(["--format"]) == 1
    assert CliRunner().invoke(statement, ["--format", "pdf"]).output == "pdf\n"


def test_every_number_a_show_answers_is_in_a_number_column(backend):
    """A spreadsheet cell is a number wherever the JSON holds one (units.member, a count of years were once text)."""
    import re

    ok(backend, "import", str(COOP))

    def flat(value, prefix=""):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield from flat(inner, f"{prefix}.{key}" if prefix else key)
        else:
            yield prefix, value

    for args in (["member", "show", "alice"], ["member", "show", "bob"], ["dwelling", "show", "flat1"],
                 ["coop", "show", "riverside"]):
        shown = json.loads(ok(backend, *args, "--as-of", "2021-12-31", "--json").output)
        texts = [name for name, value in flat(shown) if not isinstance(value, bool)
                 and isinstance(value, (int, str)) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", str(value))
                 and kind_of(name) == TEXT]
        assert texts == [], args
