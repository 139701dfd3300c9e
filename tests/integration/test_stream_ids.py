"""An event's ids name its own stream, however it comes in; a log that breaks it all the same is named, not folded
(issue #10, item 13).

Import, `mutual record`, the commands and a correction's replacement share one check
(ledger.store.mapper.own_id_errors); the read side checks what it reads (mapper.consistent), so a row written
around the ledger with SQL gets a clear error naming its position from `fund show` and `savings show`, never a
traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from ledger.errors import InconsistentLog, ValidationFailed
from ledger.events.fund import LoanGranted
from ledger.store import NewEvent
from tests.factories import forge

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "appendix6.jsonl"


def run(backend, *args, input=None):
    return CliRunner().invoke(cli, ["--db", backend.url, *args], input=input, catch_exceptions=False)


def _appendix6_until_first_grant() -> tuple[list[str], dict]:
    """The example's lines before its first LoanGranted, and that grant."""
    lines = EXAMPLE.read_text().splitlines()
    first = next(i for i, text in enumerate(lines) if json.loads(text)["type"] == "LoanGranted")
    return lines[:first], json.loads(lines[first])


def test_import_refuses_a_loan_granted_naming_another_loan_naming_line_and_field(backend):
    before, grant = _appendix6_until_first_grant()
    grant["payload"]["loan_id"] = "someone-else"
    stream = grant["stream"]
    result = run(backend, "import", "-", input="\n".join([*before, json.dumps(grant)]) + "\n")
    assert result.exit_code == 1
    assert f"line {len(before) + 1}: payload.loan_id: is someone-else but the stream is {stream}" in result.stderr
    assert "Traceback" not in result.output
    assert backend.store().head().position == 0  # all or nothing


@pytest.mark.parametrize("stream, type_, payload, field", [
    ("account-a1", "SavingsDeposited", {"account_id": "a2", "amount": "1"}, "account_id"),
    ("society-f1", "FundExpense", {"fund_id": "f2", "amount": "1", "purpose": "x"}, "fund_id"),
    ("society-c1", "PeriodClosed", {"society_id": "c2", "period_start": "2020-01-01", "period_end": "2020-12-31"},
     "society_id"),
    ("member-m1", "PointsGifted", {"from_member_id": "m2", "to_member_id": "m1", "points": "1"}, "from_member_id"),
    ("index-RPI", "IndexValuePublished", {"series": "CPI", "period": "2020", "value": "1"}, "series"),
])
def test_import_checks_every_stream_kinds_own_id(backend, stream, type_, payload, field):
    text = json.dumps({"stream": stream, "type": type_, "effective_date": "2024-01-01", "payload": payload,
                       "metadata": {"actor": "a"}})
    result = run(backend, "import", "-", input=text + "\n")
    assert result.exit_code == 1 and f"line 1: payload.{field}: is " in result.stderr, result.stderr
    one_by_one = backend.store()
    with pytest.raises(ValidationFailed, match=f"payload.{field}"):
        one_by_one.import_lines([text, text.replace('"a"', '"b"')])  # (a block the per-line path checks)


def test_many_good_lines_and_one_bad_still_name_the_bad_one(backend):
    """The import's fast path (a block of lines checked at once) gives way to the per-line path for the bad line."""
    lines = [json.dumps({"stream": f"index-S{i}", "type": "IndexValuePublished", "effective_date": "2024-01-01",
                         "payload": {"series": f"S{i}", "period": "2020", "value": "1"}, "metadata": {"actor": "a"}})
             for i in range(600)]
    lines[400] = lines[400].replace('"series": "S400"', '"series": "S401"')
    result = run(backend, "import", "-", input="\n".join(lines) + "\n")
    assert result.exit_code == 1 and "line 401: payload.series: is S401 but the stream is index-S400" in result.stderr


def test_record_and_a_correction_use_the_same_check(backend):
    result = run(backend, "record", "-", input=json.dumps({
        "stream": "index-RPI", "type": "IndexValuePublished", "effective_date": "2024-01-01",
        "payload": {"series": "CPI", "period": "2020", "value": "1"}}) + "\n")
    assert result.exit_code == 1 and "payload.series: is CPI but the stream is index-RPI" in result.stderr
    assert run(backend, "import", "-", input=json.dumps({
        "stream": "index-RPI", "type": "IndexValuePublished", "effective_date": "2024-01-01",
        "payload": {"series": "RPI", "period": "2020", "value": "1"}}) + "\n").exit_code == 0
    result = run(backend, "correct", "1", "--reason", "typo", "--replacement-type", "IndexValuePublished",
                 "--replacement-payload", '{"series": "CPI", "period": "2020", "value": "2"}')
    assert result.exit_code == 1 and "replacement_payload.series: is CPI but the stream is index-RPI" in result.stderr


def test_a_command_built_event_gets_the_same_check(store):
    grant = LoanGranted(loan_id="L2", fund_id="f", holder_id="h", account_id="a", principal="10", months=1,
                        instalment="10", points_used="0", after_saving="0", setup_fee="0", annual_fee="0",
                        share_deposit="0")
    with pytest.raises(ValidationFailed, match="payload.loan_id: is L2 but the stream is loan-L1"):
        store.append("loan-L1", [NewEvent(grant, __import__("datetime").date(2024, 1, 1), "g")], metadata={"actor": "a"})


def _forged_grant(backend) -> dict:
    """The example up to its first loan grant, then that grant forged with SQL to name another loan."""
    before, grant = _appendix6_until_first_grant()
    assert run(backend, "import", "-", input="\n".join(before) + "\n").exit_code == 0
    payload = dict(grant["payload"], loan_id="someone-else")
    row = forge(backend, stream=grant["stream"], type_="LoanGranted", payload=payload, key="forged-grant",
                effective_date=grant["effective_date"])
    verified = run(backend, "verify")
    assert verified.exit_code == 0  # the chain is sound: the forger hashed it as the ledger would
    return row


@pytest.mark.parametrize("command", [["fund", "show", "app6"], ["savings", "show", "r01"], ["loan", "show", "r01-1"],
                                     ["fund", "forecast", "app6", "--years", "2"], ["audit"]])
def test_a_forged_row_gets_a_clear_error_naming_its_position_from_the_read_side(backend, command):
    row = _forged_grant(backend)
    result = run(backend, *command)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: the log is inconsistent at position "
                                    f"{row['position']} (LoanGranted on {row['stream']}): payload.loan_id: is "
                                    f"someone-else but the stream is {row['stream']}"), result.stderr
    assert "Traceback" not in result.output


def test_a_write_command_on_a_forged_log_gets_the_same_clear_error(backend):
    row = _forged_grant(backend)
    result = run(backend, "loan", "grant", "r01-9", "--holder", "r01", "--account", "r01-jak", "--amount", "100",
                 "--months", "10", "--on", "2004-08-01", "--actor", "a")
    assert result.exit_code == 1 and f"inconsistent at position {row['position']}" in result.stderr


def test_the_read_side_check_is_the_mappers(backend):
    from projections.view import LedgerView

    row = _forged_grant(backend)
    with pytest.raises(InconsistentLog) as caught:
        list(LedgerView(backend.store()).of_type("LoanGranted"))
    assert (caught.value.position, caught.value.stream) == (row["position"], row["stream"])
