"""The `mutual` commands of the JAK fund: savings, loan, fund, points, jak."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

from click.testing import CliRunner

from cli.main import cli
from examples.appendix6 import APPENDIX_6, forecast

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "appendix6.jsonl"


def run(backend, *args, input=None):
    return CliRunner().invoke(cli, ["--db", backend.url, *args], input=input, catch_exceptions=False)


def ok(backend, *args, input=None):
    result = run(backend, *args, input=input)
    assert result.exit_code == 0, result.output
    return result


def as_json(backend, *args):
    return json.loads(ok(backend, *args, "--json").output)


def test_quote_shows_the_whole_contract_and_writes_nothing(backend):
    data = as_json(backend, "loan", "quote", "--amount", "1200", "--months", "12")
    assert {k: data[k] for k in ("instalment", "after_saving", "points_consumed", "setup_fee", "annual_fee",
                                 "share_deposit", "monthly_total")} == {
        "instalment": "100.00", "after_saving": "100.00", "points_consumed": "7800.0000", "setup_fee": "42.00",
        "annual_fee": "12.00", "share_deposit": "72.00", "monthly_total": "200.00"}
    curve = data["points_curve"]
    assert len(curve) == 13 and curve[-1]["closing"] == "0.0000" and D(min(m["closing"] for m in curve)) < 0
    assert data["policy"].startswith("report terms")
    half = as_json(backend, "loan", "quote", "--amount", "1200", "--months", "12", "--points", "3900")
    assert half["after_saving"] == "50.00" and half["monthly_total"] == "150.00"
    assert D(half["points_curve"][-1]["closing"]) >= 0
    table = ok(backend, "loan", "quote", "--amount", "500", "--months", "24")
    assert "points curve" in table.output and "20.91" in table.output
    assert as_json(backend, "verify")["head_position"] == 0


def test_a_refused_quote_names_the_field(backend):
    result = run(backend, "loan", "quote", "--amount", "1200", "--months", "12", "--points", "-100")
    assert result.exit_code == 1 and "points" in result.stderr and "cannot balance" in result.stderr
    bad = run(backend, "loan", "quote", "--amount", "12.345", "--months", "12")
    assert bad.exit_code == 2 and "--amount" in bad.output


def test_a_member_saves_borrows_repays_and_is_released_through_the_cli(backend):
    ok(backend, "fund", "policy", "f1", "--on", "2024-01-01", "--kind", "jak:1")  # the report's terms by default
    ok(backend, "savings", "open", "s-jak", "--fund", "f1", "--holder", "saver", "--kind", "jak", "--on", "2024-01-01")
    ok(backend, "savings", "deposit", "s-jak", "--amount", "5000", "--on", "2024-01-01")
    ok(backend, "savings", "open", "m1-jak", "--fund", "f1", "--holder", "m1", "--kind", "jak", "--on", "2024-01-01")
    ok(backend, "savings", "deposit", "m1-jak", "--amount", "650", "--on", "2024-01-01")
    before = as_json(backend, "verify")["head_position"]
    quoted = as_json(backend, "loan", "quote", "--amount", "1200", "--months", "12", "--holder", "m1", "--on", "2024-07-01")
    assert quoted["available_points"] == "3900.0000" and quoted["after_saving"] == "50.00"
    assert as_json(backend, "verify")["head_position"] == before
    ok(backend, "loan", "grant", "L1", "--holder", "m1", "--account", "m1-jak", "--amount", "1200", "--months", "12",
       "--on", "2024-07-01")
    refused = run(backend, "loan", "disburse", "L1", "--on", "2024-07-01")
    assert refused.exit_code == 1 and "share_deposit: unpaid" in refused.stderr
    ok(backend, "loan", "shares", "L1", "--on", "2024-07-01")
    ok(backend, "loan", "disburse", "L1", "--on", "2024-07-01")
    for month in range(8, 13):
        ok(backend, "loan", "pay", "L1", "--amount", "150", "--on", f"2024-{month:02d}-01")
    loan = as_json(backend, "loan", "show", "L1", "--as-of", "2025-01-15")
    assert loan["instalments_due"] == 6 and loan["instalments_received"] == 5
    assert loan["arrears"] == "150.00" and loan["outstanding"] == "700.00"
    mine = as_json(backend, "savings", "show", "m1", "--as-of", "2024-12-31")
    assert mine["locked_after_savings"] == "250.00" and mine["savings"] == "900.00"
    # as the books stood before anything was recorded: no such holder
    early = run(backend, "savings", "show", "m1", "--as-of", "2024-12-31", "--as-known-at", "2000-01-01T00:00:00Z")
    assert early.exit_code == 1 and "as known at" in early.stderr
    for month in range(1, 8):
        ok(backend, "loan", "pay", "L1", "--amount", "150", "--on", f"2025-{month:02d}-01")
    head = as_json(backend, "verify")["head_position"]
    settled = as_json(backend, "jak", "settle", "--through", "2025-12-31")
    assert as_json(backend, "verify")["head_position"] == head  # a report: the release is a fold, nothing written
    # the 650 kept in the fund earned 12 more months meanwhile, so the points are back to zero or above at
    # the end of the repayment day itself (1 July): the after-savings are released the next day
    assert settled["released"] == [{"account_id": "m1-jak", "amount": "600.00", "loan_id": "L1", "on": "2025-07-02"}]
    after = as_json(backend, "savings", "show", "m1", "--as-of", "2025-08-01")
    assert after["locked_after_savings"] == "0.00" and D(after["points"]) >= 0
    fund = as_json(backend, "fund", "show", "f1", "--as-of", "2025-08-01")
    assert D(fund["liquidity"]) == D("5000") + 650 + 600 + 72 + 54 and fund["liquidity"] == "6376.00"
    assert "liquidity" in ok(backend, "fund", "show", "f1", "--as-of", "2025-08-01").output
    # the repaid loan's share deposit comes back; the fund pays an expense, but not one beyond its liquidity
    ok(backend, "loan", "shares-back", "L1", "--on", "2025-08-01")
    too_much = run(backend, "fund", "expense", "f1", "--amount", "7000", "--on", "2025-08-01", "--purpose", "audit")
    assert too_much.exit_code == 1 and "amount: the fund has 6304.00 to pay out from 2025-08-01" in too_much.stderr
    ok(backend, "fund", "expense", "f1", "--amount", "104", "--on", "2025-08-01", "--purpose", "the auditor's fee")
    after_all = as_json(backend, "fund", "show", "f1", "--as-of", "2025-08-01")
    assert after_all["liquidity"] == "6200.00" and after_all["expenses"] == "104.00"


def test_a_fund_policy_is_set_from_the_cli_and_a_bad_one_is_refused_by_name(backend):
    ok(backend, "fund", "policy", "f1", "--on", "2024-01-01", "--kind", "jak:1", "--kind", "instant:0.2",
       "--kind", "notice:0.8:30", "--setup-fee", "0.03", "--maximum-loan-multiple", "4")
    [policy] = [e for e in as_json(backend, "log") if e["type"] == "FundPolicySet"]
    assert policy["payload"]["setup_fee"] == "0.03" and policy["payload"]["maximum_loan_multiple"] == "4"
    assert [k["kind"] for k in policy["payload"]["account_kinds"]] == ["jak", "instant", "notice"]
    assert policy["payload"]["account_kinds"][2]["notice_days"] == 30
    ok(backend, "savings", "open", "a1", "--fund", "f1", "--holder", "m1", "--kind", "notice", "--on", "2024-01-02")
    head = as_json(backend, "verify")["head_position"]
    for args, said in [(["--kind", "jak"], "NAME:FACTOR"), (["--kind", "jak:1:x"], "whole number of days"),
                       (["--kind", "jak:1.5"], "account_kinds.0.factor"), (["--kind", "j k:1"], "is not an id"),
                       (["--setup-fee", "-0.1"], "setup_fee")]:
        refused = run(backend, "fund", "policy", "f1", "--on", "2024-02-01", *args)
        assert refused.exit_code in (1, 2) and said in refused.output + refused.stderr, (args, refused.output)
    assert as_json(backend, "verify")["head_position"] == head


def test_a_loan_is_written_off_in_part_and_never_beyond_what_is_outstanding(backend):
    ok(backend, "fund", "policy", "f1", "--on", "2024-01-01")
    ok(backend, "savings", "open", "s1", "--fund", "f1", "--holder", "saver", "--kind", "jak", "--on", "2024-01-01")
    ok(backend, "savings", "deposit", "s1", "--amount", "5000", "--on", "2024-01-01")
    ok(backend, "savings", "open", "m1", "--fund", "f1", "--holder", "m1", "--kind", "jak", "--on", "2024-01-01")
    ok(backend, "savings", "deposit", "m1", "--amount", "650", "--on", "2024-01-01")
    ok(backend, "loan", "grant", "L1", "--holder", "m1", "--account", "m1", "--amount", "1200", "--months", "12",
       "--on", "2024-07-01")
    ok(backend, "loan", "shares", "L1", "--on", "2024-07-01")
    ok(backend, "loan", "disburse", "L1", "--on", "2024-07-01")
    too_much = run(backend, "loan", "write-off", "L1", "--amount", "1200.01", "--on", "2024-09-01", "--reason", "x")
    assert too_much.exit_code == 1 and "amount: 1200.01 is more than the 1200.00 outstanding" in too_much.stderr
    no_reason = run(backend, "loan", "write-off", "L1", "--amount", "200", "--on", "2024-09-01", "--reason", "")
    assert no_reason.exit_code == 1 and "reason" in no_reason.stderr
    ok(backend, "loan", "write-off", "L1", "--amount", "200", "--on", "2024-09-01", "--reason", "hardship, agreed")
    assert as_json(backend, "loan", "show", "L1", "--as-of", "2024-09-01")["outstanding"] == "1000.00"
    early = run(backend, "loan", "shares-back", "L1", "--on", "2024-09-02")
    assert early.exit_code == 1 and "shares come back once it is repaid" in early.stderr


def test_appendix_6_imports_and_forecasts_the_six_year_table(backend):
    ok(backend, "import", str(EXAMPLE))
    data = as_json(backend, "fund", "forecast", "app6", "--years", "6")
    rules = forecast(APPENDIX_6)
    assert [r["fund_balance"] for r in data["years"]] == [str(r.fund_balance) for r in rules]
    assert [r["total_inflows"] for r in data["years"]] == [str(r.total_inflows) for r in rules]
    assert [D(r["total_outflows"]) for r in data["years"]] == [r.total_outflows for r in rules]
    assert data["years"][-1]["fund_balance"] == "24837.45"
    table = ok(backend, "fund", "forecast", "app6", "--years", "6")
    assert "£24,837.45" in table.output  # (en_GB on the terminal)
    # from the end of year 2, only the contracts then in force: the first loans run off
    early = as_json(backend, "fund", "forecast", "app6", "--years", "6", "--as-of", "2005-12-31")
    assert [r["projected"] for r in early["years"]] == [False, False, True, True, False, False]
    assert early["years"][3]["disbursed"] == "0.00"
    member = as_json(backend, "savings", "show", "r01", "--as-of", "2009-12-31")
    assert member["loans"][0]["status"] == "repaid" and D(member["locked_after_savings"]) > 0
    fund = as_json(backend, "fund", "show", "app6", "--as-of", "2009-12-31")
    assert fund["liquidity"] == "24837.45"


def test_a_fund_command_into_a_closed_period_is_told_its_own_way_in_and_can_take_it(backend):
    ok(backend, "fund", "policy", "f1", "--on", "2024-01-01", "--kind", "jak:1")
    ok(backend, "savings", "open", "s-jak", "--fund", "f1", "--holder", "saver", "--kind", "jak", "--on", "2024-01-01")
    ok(backend, "savings", "deposit", "s-jak", "--amount", "500", "--on", "2024-01-02")
    ok(backend, "period", "close", "f1", "--start", "2024-01-01", "--end", "2024-06-30")
    refused = CliRunner().invoke(cli, ["--db", backend.url, "savings", "deposit", "s-jak", "--amount", "20",
                                       "--on", "2024-03-01"])
    assert refused.exit_code == 1 and "closed period 2024-01-01 to 2024-06-30" in refused.stderr
    assert "pass --prior-period REASON" in refused.stderr
    blank = CliRunner().invoke(cli, ["--db", backend.url, "savings", "deposit", "s-jak", "--amount", "20",
                                     "--on", "2024-03-01", "--prior-period", " "])
    assert blank.exit_code == 2 and "--prior-period" in blank.output
    ok(backend, "savings", "deposit", "s-jak", "--amount", "20", "--on", "2024-03-01",
       "--prior-period", "standing order found on the March statement")
    log = as_json(backend, "log", "--stream", "account-s-jak", "--type", "SavingsDeposited")
    assert log[-1]["metadata"]["adjustment"] == "prior-period"
    assert log[-1]["metadata"]["reason"] == "standing order found on the March statement"
