"""A co-op run from nothing with the typed commands only (issue #12, item 1; docs/clerk.md): the books they make
are the books the same facts make through `mutual record`; a dry run writes nothing; bad input names the field and
writes nothing; a command run again is a replay; a member leaving is one batch, all or nothing."""

from __future__ import annotations

import json

import orjson
import pytest
from click.testing import CliRunner

from cli.main import cli
from ledger.commands import coop as coop_commands
from ledger.errors import FieldError

# --- running the CLI -----------------------------------------------------------------------------------------------


def run(backend, *args, input=None):
    return CliRunner(env={"MUTUAL_ACTOR": "treasurer"}).invoke(cli, ["--db", backend.url, *args], input=input,
                                                                catch_exceptions=False)


def ok(backend, *args, input=None):
    result = run(backend, *args, input=input)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def data(backend, *args):
    return json.loads(ok(backend, *args, "--json").output)


def head(backend) -> int:
    return data(backend, "verify")["head_position"]


def ev(stream: str, type_: str, on: str, payload: dict) -> dict:
    return {"stream": stream, "type": type_, "effective_date": on, "payload": payload}


def record(backend, *events: dict) -> None:
    ok(backend, "record", "-", input="\n".join(orjson.dumps(e).decode() for e in events) + "\n")


# --- the co-op, as typed commands and as the same facts in JSON -----------------------------------------------------

ALICE = ["--coop", "riverside", "--dwelling", "flat1", "--net-salary", "24000", "--payment-rate", "0.33",
         "--deposit", "6300", "--debt-share", "119700", "--mortgage", "m1", "--share", "1"]
BOB = ["--coop", "riverside", "--dwelling", "flat2", "--net-salary", "21000", "--payment-rate", "0.33",
       "--deposit", "5600", "--debt-share", "106400", "--mortgage", "m1", "--share", "1"]
CAROL = ["--incoming", "carol", "--incoming-net-salary", "22000", "--incoming-payment-rate", "0.32",
         "--incoming-deposit", "6000", "--incoming-debt-share", "113000", "--incoming-share", "1"]
CHARGES = ["--management", "480", "--maintenance", "190", "--insurance", "205", "--services", "380",
           "--sinking-fund", "310"]
CHARGES_JSON = {"management": "480.00", "maintenance": "190.00", "insurance": "205.00", "services": "380.00",
                "sinking_fund": "310.00"}

SETUP_TYPED = [
    ["society", "register", "clt1", "--kind", "clt", "--name", "Leaside CLT", "--on", "2025-01-01"],
    ["society", "register", "riverside", "--kind", "coop", "--name", "Riverside", "--clt", "clt1",
     "--on", "2025-01-01"],
    ["dwelling", "register", "flat1", "--coop", "riverside", "--value", "180000", "--units", "1000",
     "--clt-units", "300", "--on", "2025-01-01"],
    ["dwelling", "register", "flat2", "--coop", "riverside", "--value", "160000", "--units", "1000",
     "--clt-units", "300", "--on", "2025-01-01"],
    ["index", "publish", "RPI", "--period", "2024", "--value", "390", "--on", "2024-01-01"],
    ["index", "publish", "RPI", "--period", "2025", "--value", "400", "--on", "2025-01-01"],
    ["index", "publish", "RPI", "--period", "2026", "--value", "412", "--on", "2026-01-01"],
    ["mortgage", "draw", "m1", "--coop", "riverside", "--kind", "index-linked", "--principal", "226100",
     "--rate", "0.0235", "--series", "RPI", "--term-years", "30", "--on", "2025-04-01"],
    ["policy", "set", "resale", "riverside", "--deduction", "0.10", "--on", "2025-01-01"],
    ["policy", "set", "indexation", "riverside", "--series", "RPI", "--margin", "0.005", "--on", "2025-01-01"],
    ["policy", "set", "deposit", "riverside", "--minimum-fraction", "0.05", "--on", "2025-01-01"],
    ["policy", "set", "equity-stake", "riverside", "--fraction", "0.5", "--on", "2025-01-01"],
    ["policy", "set", "charges", "flat1", *CHARGES, "--on", "2025-01-01"],
    ["policy", "set", "charges", "flat2", *CHARGES, "--on", "2025-01-01"],
    ["member", "admit", "alice", *ALICE, "--on", "2025-04-01"],
    ["member", "admit", "bob", *BOB, "--on", "2025-04-01"],
]

SETUP_JSON = [
    ev("society-clt1", "SocietyRegistered", "2025-01-01", {"society_id": "clt1", "kind": "clt", "name": "Leaside CLT"}),
    ev("society-riverside", "SocietyRegistered", "2025-01-01",
       {"society_id": "riverside", "kind": "coop", "name": "Riverside", "clt_id": "clt1"}),
    ev("dwelling-flat1", "DwellingRegistered", "2025-01-01",
       {"dwelling_id": "flat1", "coop_id": "riverside", "value": "180000.00", "units": "1000", "clt_units": "300"}),
    ev("dwelling-flat2", "DwellingRegistered", "2025-01-01",
       {"dwelling_id": "flat2", "coop_id": "riverside", "value": "160000.00", "units": "1000", "clt_units": "300"}),
    ev("index-RPI", "IndexValuePublished", "2024-01-01", {"series": "RPI", "period": "2024", "value": "390"}),
    ev("index-RPI", "IndexValuePublished", "2025-01-01", {"series": "RPI", "period": "2025", "value": "400"}),
    ev("index-RPI", "IndexValuePublished", "2026-01-01", {"series": "RPI", "period": "2026", "value": "412"}),
    ev("mortgage-m1", "CollectiveMortgageDrawn", "2025-04-01",
       {"mortgage_id": "m1", "coop_id": "riverside", "kind": "index-linked", "principal": "226100.00",
        "rate": "0.0235", "index_series": "RPI", "term_years": 30}),
    ev("society-riverside", "ResaleFormulaSet", "2025-01-01", {"coop_id": "riverside", "deduction": "0.1"}),
    ev("society-riverside", "PaymentIndexationPolicySet", "2025-01-01",
       {"coop_id": "riverside", "series": "RPI", "margin": "0.005"}),
    ev("society-riverside", "DepositRuleSet", "2025-01-01", {"coop_id": "riverside", "minimum_fraction": "0.05"}),
    ev("society-riverside", "EquityStakePolicySet", "2025-01-01", {"coop_id": "riverside", "fraction": "0.5"}),
    ev("dwelling-flat1", "ChargesBudgetSet", "2025-01-01", {"dwelling_id": "flat1", **CHARGES_JSON}),
    ev("dwelling-flat2", "ChargesBudgetSet", "2025-01-01", {"dwelling_id": "flat2", **CHARGES_JSON}),
    ev("member-alice", "MemberAdmitted", "2025-04-01",
       {"member_id": "alice", "coop_id": "riverside", "dwelling_id": "flat1", "net_salary": "24000",
        "payment_rate": "0.33", "deposit": "6300", "debt_share": "119700", "mortgage_id": "m1"}),
    ev("member-alice", "ShareCapitalBought", "2025-04-01", {"member_id": "alice", "society_id": "riverside",
                                                            "amount": "1"}),
    ev("member-bob", "MemberAdmitted", "2025-04-01",
       {"member_id": "bob", "coop_id": "riverside", "dwelling_id": "flat2", "net_salary": "21000",
        "payment_rate": "0.33", "deposit": "5600", "debt_share": "106400", "mortgage_id": "m1"}),
    ev("member-bob", "ShareCapitalBought", "2025-04-01", {"member_id": "bob", "society_id": "riverside",
                                                          "amount": "1"}),
]

MONTHS = ["2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12",
          "2026-01", "2026-02", "2026-03"]


def _paid(member: str, month: str) -> bool:
    return member == "alice" or month < "2025-10"  # bob stops paying in October


def year_typed() -> list[list[str]]:
    steps = []
    for month in MONTHS:
        for member, amount in (("alice", "660.00"), ("bob", "577.50")):
            if _paid(member, month):
                steps.append(["payment", "receive", member, "--amount", amount, "--period", month,
                              "--bank-reference", f"SO-{member}-{month}", "--on", f"{month}-03"])
    steps += [
        ["payment", "extra", "alice", "--amount", "2000", "--bank-reference", "FP-ALICE-1", "--on", "2025-09-14"],
        ["mortgage", "prepay", "m1", "--amount", "2000", "--bank-reference", "CHAPS-1", "--on", "2025-09-20"],
        ["units", "transfer", "flat1", "--from", "clt", "--to", "member", "--units", "10", "--price", "1800",
         "--on", "2025-10-01"],
        ["dwelling", "revalue", "flat2", "--value", "170000", "--on", "2026-01-01"],
        ["share", "buy", "alice", "--society", "riverside", "--amount", "99", "--on", "2025-11-01"],
        ["dividend", "pay", "alice", "--society", "riverside", "--amount", "2.00", "--period", "2025",
         "--on", "2026-03-31"],
        ["reserve", "transfer", "riverside", "--amount", "5000", "--purpose", "grant from the council",
         "--on", "2025-12-01"],
        ["reserve", "spend", "riverside", "--amount", "1850", "--purpose", "boiler, flat 1", "--on", "2026-02-10"],
        ["mortgage", "top-up", "m1", "--amount", "3000", "--purpose", "new roof", "--on", "2026-02-11"],
        ["payment", "reduce", "alice", "--annual-payment", "7500", "--units-sold", "0", "--reason", "hours cut",
         "--on", "2026-03-01"],
        ["share", "withdraw", "alice", "--society", "riverside", "--amount", "50", "--on", "2026-03-15"],
    ]
    return steps


def year_json() -> list[dict]:
    lines = []
    for month in MONTHS:
        for member, amount in (("alice", "660.00"), ("bob", "577.50")):
            if _paid(member, month):
                lines.append(ev(f"member-{member}", "PaymentReceived", f"{month}-03",
                                {"member_id": member, "amount": amount, "period": month,
                                 "bank_reference": f"SO-{member}-{month}"}))
    return lines + [
        ev("member-alice", "ExtraPaymentReceived", "2025-09-14",
           {"member_id": "alice", "amount": "2000", "bank_reference": "FP-ALICE-1"}),
        ev("mortgage-m1", "MortgagePrepaid", "2025-09-20",
           {"mortgage_id": "m1", "amount": "2000", "bank_reference": "CHAPS-1"}),
        ev("dwelling-flat1", "UnitsTransferred", "2025-10-01",
           {"dwelling_id": "flat1", "from_holder": "clt", "to_holder": "member", "units": "10", "price": "1800"}),
        ev("dwelling-flat2", "DwellingRevalued", "2026-01-01", {"dwelling_id": "flat2", "value": "170000"}),
        ev("member-alice", "ShareCapitalBought", "2025-11-01",
           {"member_id": "alice", "society_id": "riverside", "amount": "99"}),
        ev("member-alice", "DividendPaid", "2026-03-31",
           {"member_id": "alice", "society_id": "riverside", "amount": "2", "period": "2025"}),
        ev("society-riverside", "ReserveTransferred", "2025-12-01",
           {"coop_id": "riverside", "amount": "5000", "purpose": "grant from the council"}),
        ev("society-riverside", "ReserveSpent", "2026-02-10",
           {"coop_id": "riverside", "amount": "1850", "purpose": "boiler, flat 1"}),
        ev("mortgage-m1", "TopUpLoanDrawn", "2026-02-11", {"mortgage_id": "m1", "amount": "3000", "purpose": "new roof"}),
        ev("member-alice", "PaymentReductionAgreed", "2026-03-01",
           {"member_id": "alice", "annual_payment": "7500", "units_sold": "0", "reason": "hours cut"}),
        ev("member-alice", "ShareCapitalWithdrawn", "2026-03-15",
           {"member_id": "alice", "society_id": "riverside", "amount": "50"}),
    ]


LEAVE_ON = "2026-05-01"


def leave_by_hand(backend) -> None:
    """Bob leaves as a clerk did it before: the lease, then the payout copied from `member show`, then the rest."""
    record(backend, ev("dwelling-flat2", "LeaseAssigned", LEAVE_ON,
                       {"dwelling_id": "flat2", "outgoing_member_id": "bob", "incoming_member_id": "carol"}))
    payout = data(backend, "member", "show", "bob", "--as-of", LEAVE_ON)["payout_detail"]
    record(backend,
           ev("member-bob", "EquityPaidOut", LEAVE_ON, {"member_id": "bob", "amount": payout["payout_at_leaving"],
                                                        "arrears_deducted": payout["arrears_deducted"]}),
           ev("mortgage-m1", "TopUpLoanDrawn", LEAVE_ON, {"mortgage_id": "m1", "amount": payout["payout_at_leaving"],
                                                          "purpose": "pay out member bob on leaving"}),
           ev("member-bob", "ShareCapitalWithdrawn", LEAVE_ON, {"member_id": "bob", "society_id": "riverside",
                                                                "amount": "1"}),
           ev("member-carol", "MemberAdmitted", LEAVE_ON,
              {"member_id": "carol", "coop_id": "riverside", "dwelling_id": "flat2", "net_salary": "22000",
               "payment_rate": "0.32", "deposit": "6000", "debt_share": "113000", "mortgage_id": "m1"}),
           ev("member-carol", "ShareCapitalBought", LEAVE_ON, {"member_id": "carol", "society_id": "riverside",
                                                               "amount": "1"}))


def build_typed(backend, through_leaving: bool = True) -> None:
    for step in SETUP_TYPED:
        ok(backend, *step)
    ok(backend, "accrue", "--through", "2025-12-31")
    for step in year_typed():
        ok(backend, *step)
    ok(backend, "accrue", "--through", "2026-04-30")
    if through_leaving:
        ok(backend, "member", "leave", "bob", *CAROL, "--on", LEAVE_ON)
        ok(backend, "accrue", "--through", "2026-12-31")


def build_by_hand(backend) -> None:
    record(backend, *SETUP_JSON)
    ok(backend, "accrue", "--through", "2025-12-31")
    record(backend, *year_json())
    ok(backend, "accrue", "--through", "2026-04-30")
    leave_by_hand(backend)
    ok(backend, "accrue", "--through", "2026-12-31")


SHOWN = [("member", "alice"), ("member", "bob"), ("member", "carol"), ("coop", "riverside"), ("dwelling", "flat1"),
         ("dwelling", "flat2"), ("register", "riverside")]


def test_a_coop_run_for_a_year_with_typed_commands_has_the_books_the_same_facts_in_json_give(backend, new_backend):
    build_typed(backend)
    by_hand = new_backend(backend.name)
    build_by_hand(by_hand)
    for as_of in ("2025-12-31", "2026-04-30", LEAVE_ON, "2026-12-31"):
        for what, name in SHOWN:
            if name == "carol" and as_of < LEAVE_ON:
                continue
            args = [what, name] if what == "register" else [what, "show", name]
            assert data(backend, *args, "--as-of", as_of) == data(by_hand, *args, "--as-of", as_of), (what, name)
    bob = data(backend, "member", "show", "bob", "--as-of", "2026-12-31")
    assert bob["status"] == "left" and bob["share_capital"] == "0.00" and D(bob["equity_paid_out"]) > 0
    assert D(bob["payout_detail"]["arrears_deducted"]) > 0  # bob's unpaid months came out of his payout
    coop = data(backend, "coop", "show", "riverside", "--as-of", "2026-12-31")
    assert coop["members"] == ["alice", "carol"]


def D(text):
    from decimal import Decimal

    return Decimal(text)


@pytest.fixture
def coop_ready(backend):
    build_typed(backend, through_leaving=False)
    return backend


def test_a_dry_run_writes_nothing_and_shows_the_arrears_before_and_after(coop_ready):
    before = head(coop_ready)
    shown = data(coop_ready, "payment", "receive", "bob", "--amount", "577.50", "--period", "2025-10",
                 "--bank-reference", "SO-bob-late", "--on", "2026-04-20", "--dry-run")
    assert head(coop_ready) == before
    assert shown["dry_run"] is True and [e["type"] for e in shown["events"]] == ["PaymentReceived"]
    arrears = shown["figures"]["member bob arrears"]
    assert D(arrears["before"]) - D(arrears["after"]) == D("577.50")
    assert arrears["before"] == data(coop_ready, "member", "show", "bob", "--as-of", "2026-04-20")["arrears"]
    value = data(coop_ready, "dwelling", "revalue", "flat1", "--value", "200000", "--on", "2026-04-01",
                 "--dry-run")["figures"]["dwelling flat1 unit_value"]
    assert value == {"before": "180.00", "after": "200.00"} and head(coop_ready) == before
    table = ok(coop_ready, "payment", "receive", "bob", "--amount", "577.50", "--period", "2025-10",
               "--bank-reference", "SO-bob-late", "--on", "2026-04-20", "--dry-run").output
    assert "nothing written" in table and "member bob arrears" in table and head(coop_ready) == before


def test_member_leave_dry_run_shows_the_payout_as_member_show_gives_it_and_writes_nothing(coop_ready):
    before = head(coop_ready)
    shown = data(coop_ready, "member", "leave", "bob", *CAROL, "--on", LEAVE_ON, "--dry-run")
    assert head(coop_ready) == before
    assert [e["type"] for e in shown["events"]] == ["LeaseAssigned", "EquityPaidOut", "TopUpLoanDrawn",
                                                    "ShareCapitalWithdrawn", "MemberAdmitted", "ShareCapitalBought"]
    detail = shown["detail"]
    record(coop_ready, ev("dwelling-flat2", "LeaseAssigned", LEAVE_ON,
                          {"dwelling_id": "flat2", "outgoing_member_id": "bob", "incoming_member_id": "carol"}))
    payout = data(coop_ready, "member", "show", "bob", "--as-of", LEAVE_ON)["payout_detail"]
    assert (detail["payout"], detail["arrears_deducted"]) == (payout["payout_at_leaving"], payout["arrears_deducted"])
    assert D(detail["arrears_deducted"]) > 0 and detail["funding"] == "top-up"
    assert detail["shares_withdrawn"] == {"riverside": "1.00"}


@pytest.mark.parametrize("args, field, code", [
    (["payment", "receive", "alice", "--amount", "-5", "--period", "2026-04", "--bank-reference", "x",
      "--on", "2026-04-03"], "--amount", 2),
    (["payment", "receive", "alice", "--amount", "5", "--period", "2026-13", "--bank-reference", "x",
      "--on", "2026-04-03"], "--period", 2),
    (["payment", "receive", "alice", "--amount", "5", "--period", "2025-01", "--bank-reference", "x",
      "--on", "2025-01-03"], "--on (effective_date): 2025-01-03 is before member alice was admitted", 1),
    (["payment", "receive", "nobody", "--amount", "5", "--period", "2026-04", "--bank-reference", "x",
      "--on", "2026-04-03"], "member nobody has not been admitted", 1),
    (["share", "buy", "alice", "--society", "riverside", "--amount", "19951", "--on", "2026-04-01"],
     "--amount (payload.amount): would bring member alice's share capital", 1),
    (["dwelling", "register", "flat3", "--coop", "riverside", "--value", "1000", "--units", "10",
      "--clt-units", "11", "--on", "2026-04-01"], "--clt-units (payload.clt_units)", 1),
    (["units", "transfer", "flat1", "--from", "clt", "--to", "member", "--units", "999", "--price", "0",
      "--on", "2026-04-01"], "--units (payload.units)", 1),
    (["index", "publish", "RPI", "--period", "2025", "--value", "401", "--on", "2026-04-01"],
     "--period (payload.period): index RPI already has a value", 1),
    (["mortgage", "draw", "m2", "--coop", "riverside", "--kind", "conventional", "--principal", "1000", "--rate",
      "0.04", "--tilt", "0.01", "--term-years", "10", "--on", "2026-04-01"], "--tilt (payload.tilt)", 1),
    (["member", "admit", "dan", *ALICE, "--on", "2026-04-01"], "--dwelling (payload.dwelling_id): dwelling flat1 "
                                                               "is occupied by member alice", 1),
    (["policy", "set", "equity-stake", "riverside", "--fraction", "1.5", "--on", "2026-04-01"], "--fraction", 1),
    (["reserve", "transfer", "riverside", "--amount", "0", "--purpose", "x", "--on", "2026-04-01"],
     "--amount (payload.amount): must not be zero", 1),
])
def test_bad_input_names_the_field_and_writes_nothing(coop_ready, args, field, code):
    before = head(coop_ready)
    result = run(coop_ready, *args)
    assert result.exit_code == code, result.output + result.stderr
    assert field in result.stderr and "Traceback" not in result.stderr
    assert head(coop_ready) == before


def test_the_same_command_run_again_is_a_replay_and_writes_nothing(coop_ready):
    payment = ["payment", "receive", "bob", "--amount", "577.50", "--period", "2025-10", "--bank-reference",
               "SO-bob-late", "--on", "2026-04-20"]
    assert data(coop_ready, *payment)["written"] == 1
    before = head(coop_ready)
    again = data(coop_ready, *payment[:4], "577.5", *payment[5:])  # the same amount, typed otherwise
    assert again["written"] == 0 and again["already_recorded"] == 1 and head(coop_ready) == before
    assert "already recorded; nothing written" in ok(coop_ready, *payment).output
    assert data(coop_ready, "member", "admit", "alice", *ALICE, "--on", "2025-04-01")["written"] == 0
    leave = ["member", "leave", "bob", *CAROL, "--on", LEAVE_ON]
    assert data(coop_ready, *leave)["written"] == 6
    before = head(coop_ready)
    assert data(coop_ready, *leave) == {**data(coop_ready, *leave), "written": 0}
    assert data(coop_ready, *leave)["already_recorded"] == 6 and head(coop_ready) == before


def test_an_explicit_key_names_the_fact_and_refuses_another_fact_under_it(coop_ready):
    payment = ["payment", "receive", "alice", "--amount", "660.00", "--period", "2026-04", "--bank-reference",
               "SO-alice-2026-04", "--on", "2026-04-03", "--key", "bank:lloyds:2026-04-03:17"]
    assert data(coop_ready, *payment)["key"] == "bank:lloyds:2026-04-03:17"
    before = head(coop_ready)
    assert data(coop_ready, *payment)["written"] == 0
    other = run(coop_ready, *[a if a != "660.00" else "661.00" for a in payment])
    assert other.exit_code == 1 and "idempotency_key" in other.stderr and head(coop_ready) == before


def _forced(world, event):
    return [FieldError("payload.amount", "forced failure in the batch")]


def test_member_leave_is_one_batch_a_failure_in_it_writes_nothing(coop_ready, monkeypatch):
    before = head(coop_ready)
    monkeypatch.setitem(coop_commands.CHECKS, ("member", "ShareCapitalWithdrawn"),
                        (coop_commands.Rule(_forced, False),))
    failed = run(coop_ready, "member", "leave", "bob", *CAROL, "--on", LEAVE_ON)
    assert failed.exit_code == 1 and "forced failure in the batch" in failed.stderr
    assert head(coop_ready) == before
    assert data(coop_ready, "member", "show", "bob", "--as-of", LEAVE_ON)["status"] == "member"
    monkeypatch.undo()
    too_much = [a if a != "113000" else "200000" for a in CAROL]  # carol's terms exceed the dwelling: the last event
    failed = run(coop_ready, "member", "leave", "bob", *too_much, "--on", LEAVE_ON)
    assert failed.exit_code == 1 and "debt_share" in failed.stderr and head(coop_ready) == before
    assert data(coop_ready, "dwelling", "show", "flat2", "--as-of", LEAVE_ON)["occupant"] == "bob"


@pytest.mark.parametrize("args, message", [
    (["member", "leave", "nobody", "--on", LEAVE_ON], "MEMBER: member nobody has not been admitted"),
    (["member", "leave", "bob", "--on", "2025-01-01"], "--on: 2025-01-01 is before member bob was admitted"),
    (["member", "leave", "bob", "--incoming", "zoe", "--on", LEAVE_ON], "--incoming: member zoe is unknown"),
    (["member", "leave", "bob", "--incoming", "alice", "--on", LEAVE_ON], "--incoming: member alice is already admitted"),
    (["member", "leave", "bob", "--funding", "reserve", "--on", LEAVE_ON], "--funding: co-op riverside's reserve"),
    (["member", "leave", "bob", "--mortgage", "m9", "--on", LEAVE_ON], "--mortgage: mortgage m9 is not a mortgage"),
])
def test_member_leave_refuses_by_name_what_the_books_do_not_allow(coop_ready, args, message):
    before = head(coop_ready)
    result = run(coop_ready, *args)
    assert result.exit_code == 1 and message in result.stderr, result.stderr
    assert head(coop_ready) == before


def test_a_member_who_has_left_cannot_leave_again_and_a_leave_can_be_funded_from_the_reserve(coop_ready):
    ok(coop_ready, "reserve", "transfer", "riverside", "--amount", "60000", "--purpose", "members' loan stock",
       "--on", "2026-04-01")
    shown = data(coop_ready, "member", "leave", "bob", "--funding", "reserve", "--on", LEAVE_ON, "--dry-run")
    reserve = shown["figures"]["co-op riverside reserve"]
    assert D(reserve["before"]) - D(reserve["after"]) == D(shown["detail"]["payout"])
    ok(coop_ready, "member", "leave", "bob", "--funding", "reserve", "--on", LEAVE_ON)
    assert data(coop_ready, "dwelling", "show", "flat2", "--as-of", LEAVE_ON)["occupant"] is None
    again = run(coop_ready, "member", "leave", "bob", "--on", "2026-06-01")
    assert again.exit_code == 1 and "member bob has already left dwelling flat2 (on 2026-05-01)" in again.stderr


def test_prior_period_records_a_dated_fact_inside_a_closed_period_with_its_reason(coop_ready):
    ok(coop_ready, "period", "close", "riverside", "--start", "2025-04-01", "--end", "2026-03-31")
    late = ["payment", "receive", "bob", "--amount", "577.50", "--period", "2026-01", "--bank-reference",
            "SO-bob-2026-01", "--on", "2026-01-03"]
    refused = run(coop_ready, *late)
    assert refused.exit_code == 1 and "--prior-period" in refused.stderr
    assert data(coop_ready, *late, "--prior-period", "January's standing order found late")["written"] == 1


GROUPS = ["society", "dwelling", "index", "mortgage", "policy set", "member", "payment", "units", "share",
          "dividend", "reserve"]


def test_every_typed_command_shows_a_worked_example_in_its_help(backend):
    import click

    from cli.coop_entry_commands import COMMANDS
    from cli.coop_commands import dwelling, member

    typed = [c for c in COMMANDS if c.name != "policy"] + [COMMANDS[3].commands["set"], dwelling, member]  # type: ignore
    names = [(g.name, n) for g in typed for n, c in g.commands.items()
             if isinstance(c, click.Command) and not isinstance(c, click.Group) and n != "show"]
    assert len(names) == 24  # policy set approval-limit: cli/approval_commands.py
    for group, name in names:
        path = (["policy", "set"] if group == "set" else [group]) + [name]
        shown = ok(backend, *path, "--help").output
        assert f"mutual {' '.join(path)} " in shown and "Example:" in shown, path
        for option in ("--dry-run", "--json", "--key", "--actor", "--prior-period", "--on"):
            assert option in shown, (path, option)
