"""The same fact entered twice is recorded once, whoever enters it (issue #10, items 2 and 3; docs/events.md
"Idempotency: the same fact is recorded once")."""

from __future__ import annotations

import json

import orjson
import pytest
from click.testing import CliRunner

from cli.main import cli
from ledger.commands.coop import EQUITY_TYPES


def run(backend, *args, actor="clerk-a", input=None):
    return CliRunner(env={"MUTUAL_ACTOR": actor}).invoke(cli, ["--db", backend.url, *args], input=input,
                                                         catch_exceptions=False)


def ok(backend, *args, actor="clerk-a", input=None):
    result = run(backend, *args, actor=actor, input=input)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def head(backend) -> int:
    return json.loads(ok(backend, "verify", "--json").output)["head_position"]


def lines(*events: dict) -> str:
    return "\n".join(orjson.dumps(e).decode() for e in events) + "\n"


def ev(stream: str, type_: str, on: str, payload: dict) -> dict:
    """An envelope as a clerk writes it: no key, no metadata (the actor comes from MUTUAL_ACTOR)."""
    return {"stream": stream, "type": type_, "effective_date": on, "payload": payload}


SETUP = [
    ev("society-clt1", "SocietyRegistered", "2004-01-01", {"society_id": "clt1", "kind": "clt", "name": "The CLT"}),
    ev("society-coop1", "SocietyRegistered", "2004-01-01",
       {"society_id": "coop1", "kind": "coop", "name": "The co-op", "clt_id": "clt1"}),
    ev("index-RPI", "IndexValuePublished", "2004-01-01", {"series": "RPI", "period": "2004", "value": "100"}),
    ev("dwelling-d1", "DwellingRegistered", "2004-01-01",
       {"dwelling_id": "d1", "coop_id": "coop1", "value": "145000", "units": "1000", "clt_units": "213"}),
    ev("mortgage-mg1", "CollectiveMortgageDrawn", "2004-04-01",
       {"mortgage_id": "mg1", "coop_id": "coop1", "kind": "index-linked", "principal": "100000", "rate": "0.0235",
        "index_series": "RPI", "term_years": 30}),
    ev("member-m1", "MemberAdmitted", "2004-04-01",
       {"member_id": "m1", "coop_id": "coop1", "dwelling_id": "d1", "net_salary": "17089.23", "payment_rate": "0.325",
        "deposit": "5800", "debt_share": "100000", "mortgage_id": "mg1"}),
]
_SETUP_TYPES = {e["type"]: [] for e in SETUP}
_LEFT = ev("dwelling-d1", "LeaseAssigned", "2006-01-01", {"dwelling_id": "d1", "outgoing_member_id": "m1"})
_BOUGHT = ev("member-m1", "ShareCapitalBought", "2004-05-01", {"member_id": "m1", "society_id": "coop1", "amount": "5"})

# For each type `mutual record` accepts: the events after SETUP that end with one of that type.
BATCHES: dict[str, list[dict]] = {
    **_SETUP_TYPES,
    "DwellingRevalued": [ev("dwelling-d1", "DwellingRevalued", "2005-01-01", {"dwelling_id": "d1", "value": "150000"})],
    "PaymentIndexationPolicySet": [ev("society-coop1", "PaymentIndexationPolicySet", "2004-01-01",
                                      {"coop_id": "coop1", "series": "RPI", "margin": "0.005"})],
    "ChargesBudgetSet": [ev("dwelling-d1", "ChargesBudgetSet", "2004-04-01",
                            {"dwelling_id": "d1", "management": "100", "maintenance": "50", "insurance": "40",
                             "services": "80", "sinking_fund": "60"})],
    "DepositRuleSet": [ev("society-coop1", "DepositRuleSet", "2004-01-01", {"coop_id": "coop1", "minimum_fraction": "0.05"})],
    "EquityStakePolicySet": [ev("society-coop1", "EquityStakePolicySet", "2004-01-01", {"coop_id": "coop1", "fraction": "0"})],
    "ResaleFormulaSet": [ev("society-coop1", "ResaleFormulaSet", "2004-01-01", {"coop_id": "coop1", "deduction": "0.1"})],
    "MortgageYearPosted": [ev("mortgage-mg1", "MortgageYearPosted", "2005-04-01",
                              {"year": 1, "opening_debt": "100000", "interest": "2350", "payment": "4682.66",
                               "indexation": "0", "closing_debt": "97667.34", "index_rate": "0"})],
    "TopUpLoanDrawn": [ev("mortgage-mg1", "TopUpLoanDrawn", "2005-01-01",
                          {"mortgage_id": "mg1", "amount": "1000", "purpose": "roof"})],
    "MortgagePrepaid": [ev("member-m1", "ExtraPaymentReceived", "2004-06-01",
                           {"member_id": "m1", "amount": "1000", "bank_reference": "X-1"}),
                        ev("mortgage-mg1", "MortgagePrepaid", "2004-07-01", {"mortgage_id": "mg1", "amount": "1000"})],
    "PaymentIndexed": [ev("member-m1", "PaymentIndexed", "2005-04-01",
                          {"member_id": "m1", "period": "2005", "index_change": "0.03", "annual_payment": "6000"})],
    "PaymentDue": [ev("member-m1", "PaymentDue", "2004-05-01", {"member_id": "m1", "period": "2004-05", "amount": "500"})],
    "PaymentReceived": [ev("member-m1", "PaymentReceived", "2004-05-01",
                           {"member_id": "m1", "amount": "500", "period": "2004-05", "bank_reference": "BR-1"})],
    "PaymentReturned": [ev("member-m1", "PaymentReceived", "2004-05-01",
                           {"member_id": "m1", "amount": "500", "period": "2004-05", "bank_reference": "BR-1"}),
                        ev("member-m1", "PaymentReturned", "2004-05-06",
                           {"member_id": "m1", "amount": "500", "bank_reference": "RETURN BR-1"})],
    "ExtraPaymentReceived": [ev("member-m1", "ExtraPaymentReceived", "2004-06-01",
                                {"member_id": "m1", "amount": "1000", "bank_reference": "X-1"})],
    "PaymentReductionAgreed": [ev("member-m1", "PaymentReductionAgreed", "2005-01-01",
                                  {"member_id": "m1", "annual_payment": "5000", "units_sold": "0", "reason": "illness"})],
    "UnitsTransferred": [ev("dwelling-d1", "UnitsTransferred", "2004-06-01",
                            {"dwelling_id": "d1", "from_holder": "financed", "to_holder": "member", "units": "1",
                             "price": "145"})],
    "LeaseAssigned": [_LEFT],
    "EquityPaidOut": [_LEFT, ev("member-m1", "EquityPaidOut", "2006-02-01", {"member_id": "m1", "amount": "0"})],
    "ReserveSpent": [ev("society-coop1", "ReserveSpent", "2005-01-01", {"coop_id": "coop1", "amount": "100", "purpose": "gutters"})],
    "ReserveTransferred": [ev("society-coop1", "ReserveTransferred", "2005-01-01",
                              {"coop_id": "coop1", "amount": "100", "purpose": "top-up"})],
    "ShareCapitalBought": [_BOUGHT],
    "ShareCapitalWithdrawn": [_BOUGHT, ev("member-m1", "ShareCapitalWithdrawn", "2004-06-01",
                                          {"member_id": "m1", "society_id": "coop1", "amount": "5"})],
    "ArrangementAgreed": [ev("member-m1", "PaymentDue", "2004-05-01", {"member_id": "m1", "period": "2004-05", "amount": "500"}),
                          ev("member-m1", "ArrangementAgreed", "2004-05-10",
                             {"member_id": "m1", "amount": "50", "start_month": "2004-06", "months": 10})],
    "DividendPaid": [_BOUGHT, ev("member-m1", "DividendPaid", "2005-01-01",
                                 {"member_id": "m1", "society_id": "coop1", "amount": "0.10", "period": "2004"})],
}


def test_the_batches_cover_every_type_record_accepts():
    assert set(BATCHES) == EQUITY_TYPES


@pytest.mark.parametrize("type_", sorted(EQUITY_TYPES))
def test_a_batch_recorded_again_is_a_replay_for_every_type(backend, type_, tmp_path):
    batch = SETUP + BATCHES[type_]
    assert batch[-1]["type"] == type_ or type_ in _SETUP_TYPES
    path = tmp_path / "setup.jsonl"
    path.write_text(lines(*batch))
    first = ok(backend, "record", str(path), "--json")
    assert json.loads(first.output)["written"] == len(batch)
    before = head(backend)
    for actor in ("clerk-a", "clerk-b"):  # the same clerk retrying, and a second clerk re-running the file
        again = ok(backend, "record", str(path), "--json", actor=actor)
        assert json.loads(again.output) | {"head_hash": None} == {
            "checked": len(batch), "written": 0, "already_recorded": len(batch), "head_position": before,
            "head_hash": None}
    said = ok(backend, "record", str(path), actor="clerk-b")
    assert f"recorded 0 of {len(batch)} events; {len(batch)} already recorded" in said.output
    assert head(backend) == before


def test_a_second_clerk_importing_the_same_file_writes_nothing_and_says_so(backend, tmp_path):
    pay = tmp_path / "pay.jsonl"
    pay.write_text(lines(*SETUP, ev("member-m1", "PaymentReceived", "2004-05-01",
                                    {"member_id": "m1", "amount": "500", "period": "2004-05", "bank_reference": "BR-1"})))
    first = ok(backend, "import", str(pay), actor="clerk-a")
    assert "7 written, 0 already recorded" in first.output
    before = head(backend)
    second = ok(backend, "import", str(pay), actor="clerk-b")
    assert "read 7 events: 0 written, 7 already recorded" in second.output
    assert head(backend) == before
    actors = {json.loads(line)["metadata"]["actor"] for line in ok(backend, "export").output.splitlines()}
    assert actors == {"clerk-a"}


def test_a_file_recorded_by_one_clerk_is_a_replay_when_another_imports_it_and_vice_versa(backend, tmp_path):
    path = tmp_path / "setup.jsonl"
    path.write_text(lines(*SETUP))
    ok(backend, "record", str(path), actor="clerk-a")
    before = head(backend)
    assert "0 written, 6 already recorded" in ok(backend, "import", str(path), actor="clerk-b").output
    assert head(backend) == before


def test_two_equal_payments_on_one_day_are_two_events_when_their_references_or_keys_differ(backend, tmp_path):
    def paid(ref: str, key: str | None = None) -> dict:
        line = ev("member-m1", "PaymentReceived", "2004-05-01",
                  {"member_id": "m1", "amount": "500", "period": "2004-05", "bank_reference": ref})
        return line | ({"idempotency_key": key} if key else {})

    path = tmp_path / "pay.jsonl"
    path.write_text(lines(*SETUP, paid("BR-1"), paid("BR-2"), paid("BR-3", "stmt-9"), paid("BR-3", "stmt-10")))
    assert json.loads(ok(backend, "record", str(path), "--json").output)["written"] == 10
    assert json.loads(ok(backend, "record", str(path), "--json", actor="clerk-b").output)["written"] == 0


def test_an_event_stored_under_a_legacy_content_key_is_recognised_by_its_fact(backend, tmp_path):
    """Before facts were the key, an import derived `content:` + SHA-256 of the fact and the metadata (the actor
    sealed in). Those keys and hashes stay; the same fact entered now, by another clerk, is already recorded."""
    from ledger.store.mapper import content_key, pending_from_envelope

    legacy = []
    for e in SETUP:
        pending, _ = pending_from_envelope(e, default_actor="clerk-a")
        legacy.append(e | {"metadata": {"actor": "clerk-a"}, "idempotency_key": content_key(
            pending.stream, pending.type, pending.schema_version, pending.effective_date, pending.payload_json,
            pending.metadata_json)})
    old = tmp_path / "old.jsonl"
    old.write_text(lines(*legacy))
    ok(backend, "import", str(old))
    keys = [json.loads(line)["idempotency_key"] for line in ok(backend, "export").output.splitlines()]
    assert all(k.startswith("content:") for k in keys)
    before = head(backend)
    path = tmp_path / "setup.jsonl"
    path.write_text(lines(*SETUP))
    assert "0 written, 6 already recorded" in ok(backend, "import", str(path), actor="clerk-b").output
    assert json.loads(ok(backend, "record", str(path), "--json", actor="clerk-b").output)["written"] == 0
    assert head(backend) == before
    assert ok(backend, "verify").exit_code == 0


# --- the fund's commands -----------------------------------------------------------------------------


def _fund(backend):
    ok(backend, "fund", "policy", "f1", "--on", "2024-01-01", "--kind", "jak:1")
    ok(backend, "savings", "open", "s-jak", "--fund", "f1", "--holder", "saver", "--kind", "jak", "--on", "2024-01-01")


def test_a_retried_fund_deposit_without_a_key_is_recorded_once(backend):
    _fund(backend)
    first = ok(backend, "savings", "deposit", "s-jak", "--amount", "5000", "--on", "2024-01-01")
    assert "1 event(s) written" in first.output
    before = head(backend)
    for actor in ("clerk-a", "clerk-b"):
        again = ok(backend, "savings", "deposit", "s-jak", "--amount", "5000", "--on", "2024-01-01", actor=actor)
        assert "deposit: already recorded (key fact:" in again.output and "nothing written" in again.output
    assert head(backend) == before
    shown = json.loads(ok(backend, "savings", "show", "saver", "--as-of", "2024-12-31", "--json").output)
    assert shown["savings"] == "5000.00"
    # the policy and the account, entered again, are replays too
    assert "already recorded" in ok(backend, "fund", "policy", "f1", "--on", "2024-01-01", "--kind", "jak:1").output
    assert "already recorded" in ok(backend, "savings", "open", "s-jak", "--fund", "f1", "--holder", "saver",
                                    "--kind", "jak", "--on", "2024-01-01", actor="clerk-b").output
    assert head(backend) == before


def test_two_equal_deposits_on_one_day_are_two_when_their_references_or_keys_differ(backend):
    _fund(backend)
    deposit = ("savings", "deposit", "s-jak", "--amount", "100", "--on", "2024-02-01")
    for extra in (("--reference", "stmt 14"), ("--reference", "stmt 15"), ("--key", "bank-1"), ("--key", "bank-2"), ()):
        assert "1 event(s) written" in ok(backend, *deposit, *extra).output
    for extra in (("--reference", "stmt 14"), ("--key", "bank-2"), ()):
        assert "already recorded" in ok(backend, *deposit, *extra, actor="clerk-b").output
    shown = json.loads(ok(backend, "savings", "show", "saver", "--as-of", "2024-12-31", "--json").output)
    assert shown["savings"] == "500.00"
    refused = run(backend, "savings", "deposit", "s-jak", "--amount", "101", "--on", "2024-02-01", "--key", "bank-1")
    assert refused.exit_code == 1 and "key: 'bank-1' was already used" in refused.stderr
    empty = run(backend, "savings", "deposit", "s-jak", "--amount", "100", "--on", "2024-02-01", "--reference", "")
    assert empty.exit_code == 1 and "error: deposit into s-jak refused, nothing written: reference:" in empty.stderr


def test_a_retried_loan_payment_withdrawal_and_expense_are_recorded_once(backend):
    _fund(backend)
    ok(backend, "savings", "deposit", "s-jak", "--amount", "5000", "--on", "2024-01-01")
    ok(backend, "savings", "open", "m1-jak", "--fund", "f1", "--holder", "m1", "--kind", "jak", "--on", "2024-01-01")
    ok(backend, "savings", "deposit", "m1-jak", "--amount", "650", "--on", "2024-01-01")
    ok(backend, "loan", "grant", "L1", "--holder", "m1", "--account", "m1-jak", "--amount", "1200", "--months", "12",
       "--on", "2024-07-01")
    ok(backend, "loan", "shares", "L1", "--on", "2024-07-01")
    ok(backend, "loan", "disburse", "L1", "--on", "2024-07-01")
    before = head(backend)
    for command in (("loan", "grant", "L1", "--holder", "m1", "--account", "m1-jak", "--amount", "1200", "--months",
                     "12", "--on", "2024-07-01"), ("loan", "shares", "L1", "--on", "2024-07-01"),
                    ("loan", "disburse", "L1", "--on", "2024-07-01")):
        assert "already recorded" in ok(backend, *command, actor="clerk-b").output
    assert head(backend) == before
    writes = [("loan", "pay", "L1", "--amount", "150", "--on", "2024-08-01"),
              ("savings", "withdraw", "s-jak", "--amount", "10", "--on", "2024-08-01"),
              ("fund", "expense", "f1", "--amount", "20", "--on", "2024-08-01", "--purpose", "stationery")]
    for command in writes:
        assert "1 event(s) written" in ok(backend, *command).output
    after = head(backend)
    for command in writes:  # the retry: the split of a second 150 would differ, the key does not
        again = run(backend, *command, actor="clerk-b")
        assert again.exit_code == 0 and "already recorded (key fact:" in again.output, again.output + again.stderr
    assert head(backend) == after
    loan = json.loads(ok(backend, "loan", "show", "L1", "--as-of", "2024-08-31", "--json").output)
    assert loan["repaid"] == "100.00" and loan["after_savings_paid"] == "50.00"
    assert "1 event(s) written" in ok(backend, *writes[0], "--reference", "second standing order").output
    loan = json.loads(ok(backend, "loan", "show", "L1", "--as-of", "2024-08-31", "--json").output)
    assert loan["repaid"] == "200.00"
