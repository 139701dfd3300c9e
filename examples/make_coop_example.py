"""Write examples/coop-ten-years.jsonl: ten years of a co-op on CLT land, through the real command path.

    python -m examples.make_coop_example            (or: python examples/make_coop_example.py)

Riverside Co-op leases its land from Riverside CLT and has three dwellings.
Alice and Bob join in April 2015, Carol in July 2016. Everyone pays monthly;
Bob falls behind in 2019-20; Alice staircases up with an extra payment of
£3,000 in 2019 (passed to the lender a month later) and buys £500 more
co-op shares; the co-op spends £2,400 of
its reserve on repairs in 2020; Bob leaves in October 2021 and is paid out
under the resale formula (arrears deducted), the co-op topping up its loan;
Dan takes over Bob's lease. Every event is recorded with `record` (the
invariants are checked) and the dues, payment indexation and the lender's
mortgage years come from `accrue` (the members' debt-share years and the
reserve are folds, computed on read), in a throw-away SQLite ledger; the
file is its log without positions, hashes and recorded times, so importing
it into any ledger gives the same books.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from decimal import Decimal as D

import orjson

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ledger.commands.coop import accrue, record  # noqa: E402
from ledger.calendar import add_months  # noqa: E402
from ledger.store import EventStore, migrate  # noqa: E402
from ledger.store.engine import make_engine  # noqa: E402
from projections.coop import member_show  # noqa: E402
from projections.view import LedgerView  # noqa: E402

ACTOR = "example-clerk"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "coop-ten-years.jsonl")
RPI = {2014: "256.0", 2015: "258.5", 2016: "263.1", 2017: "272.5", 2018: "281.0", 2019: "288.2", 2020: "292.7",
       2021: "304.0", 2022: "338.4", 2023: "370.8", 2024: "384.6", 2025: "398.2"}


def ev(stream, type_, on, payload, key=None):
    line = {"stream": stream, "type": type_, "effective_date": on.isoformat(), "payload": payload,
            "metadata": {"actor": ACTOR}}
    if key:
        line["idempotency_key"] = key
    return line


def charges(did, on, management, maintenance, insurance, services, sinking):
    return ev(f"dwelling-{did}", "ChargesBudgetSet", on,
              {"dwelling_id": did, "management": management, "maintenance": maintenance, "insurance": insurance,
               "services": services, "sinking_fund": sinking})


def setup() -> list[dict]:
    start = date(2015, 1, 1)
    lines = [
        ev("society-riverside-clt", "SocietyRegistered", date(2014, 6, 1),
           {"society_id": "riverside-clt", "kind": "clt", "name": "Riverside Community Land Trust"}),
        ev("society-riverside", "SocietyRegistered", start,
           {"society_id": "riverside", "kind": "coop", "name": "Riverside Mutual Home Ownership Co-op",
            "clt_id": "riverside-clt"}),
        ev("society-riverside", "PaymentIndexationPolicySet", start, {"coop_id": "riverside", "series": "RPI", "margin": "0.005"}),
        ev("society-riverside", "DepositRuleSet", start, {"coop_id": "riverside", "minimum_fraction": "0.04"}),
        ev("society-riverside", "EquityStakePolicySet", start, {"coop_id": "riverside", "fraction": "0"}),
        ev("society-riverside", "ResaleFormulaSet", start,
           {"coop_id": "riverside", "deduction": "0.10", "minimum_tenure_years": 3}),
    ]
    for year, value in RPI.items():
        lines.append(ev("index-RPI", "IndexValuePublished", date(year, 2, 15), {"series": "RPI", "period": str(year), "value": value}))
    for did, value, clt in (("flat1", "145000", "213"), ("flat2", "160000", "200"), ("house3", "210000", "250")):
        lines.append(ev(f"dwelling-{did}", "DwellingRegistered", start,
                        {"dwelling_id": did, "coop_id": "riverside", "value": value, "units": "1000", "clt_units": clt}))
        lines.append(charges(did, start, "145.60", "57.20", "62.40", "114.40", "93.60"))
    # Alice: 145,000 flat, 213 CLT units; deposit 5,800 (40 units); debt share 108,315 (747 units).
    # Bob: 160,000 flat, 200 CLT units; deposit 6,400 (40 units); debt share 121,600 (760 units).
    april = date(2015, 4, 1)
    lines += [
        ev("mortgage-riverside-1", "CollectiveMortgageDrawn", april,
           {"mortgage_id": "riverside-1", "coop_id": "riverside", "kind": "index-linked", "principal": "229915",
            "rate": "0.0235", "index_series": "RPI", "term_years": 30}),
        admit("alice", "flat1", april, "17089.23", "0.325", "5800", "108315", "riverside-1"),
        admit("bob", "flat2", april, "19500", "0.33", "6400", "121600", "riverside-1"),
        shares("alice", april, "1"), shares("bob", april, "1"),
    ]
    july = date(2016, 7, 1)
    lines += [
        ev("mortgage-riverside-2", "CollectiveMortgageDrawn", july,
           {"mortgage_id": "riverside-2", "coop_id": "riverside", "kind": "index-linked", "principal": "149100",
            "rate": "0.0235", "index_series": "RPI", "term_years": 30}),
        admit("carol", "house3", july, "24000", "0.32", "8400", "149100", "riverside-2"),
        shares("carol", july, "1"),
    ]
    return lines


def admit(member, did, on, salary, rate, deposit, debt, mortgage):
    return ev(f"member-{member}", "MemberAdmitted", on,
              {"member_id": member, "coop_id": "riverside", "dwelling_id": did, "net_salary": salary,
               "payment_rate": rate, "deposit": deposit, "debt_share": debt, "mortgage_id": mortgage})


def shares(member, on, amount):
    return ev(f"member-{member}", "ShareCapitalBought", on, {"member_id": member, "society_id": "riverside", "amount": amount})


def one_offs() -> dict[date, list[dict]]:
    """Events on particular days, recorded before that day's payments."""
    return {
        date(2017, 4, 1): [ev("dwelling-flat1", "DwellingRevalued", date(2017, 4, 1), {"dwelling_id": "flat1", "value": "152000"}),
                           ev("dwelling-flat2", "DwellingRevalued", date(2017, 4, 1), {"dwelling_id": "flat2", "value": "167500"}),
                           ev("dwelling-house3", "DwellingRevalued", date(2017, 4, 1), {"dwelling_id": "house3", "value": "219000"})],
        date(2019, 6, 1): [ev("member-alice", "ExtraPaymentReceived", date(2019, 6, 1),
                              {"member_id": "alice", "amount": "3000", "bank_reference": "ALICE-STAIRCASE-1"}),
                           shares("alice", date(2019, 6, 1), "500")],
        date(2019, 7, 1): [ev("mortgage-riverside-1", "MortgagePrepaid", date(2019, 7, 1),
                              {"mortgage_id": "riverside-1", "amount": "3000", "bank_reference": "CHAPS-LENDER-2019-07"})],
        date(2019, 4, 1): [ev("dwelling-flat1", "DwellingRevalued", date(2019, 4, 1), {"dwelling_id": "flat1", "value": "161000"}),
                           ev("dwelling-flat2", "DwellingRevalued", date(2019, 4, 1), {"dwelling_id": "flat2", "value": "176000"}),
                           ev("dwelling-house3", "DwellingRevalued", date(2019, 4, 1), {"dwelling_id": "house3", "value": "228500"})],
        date(2020, 9, 1): [ev("society-riverside", "ReserveSpent", date(2020, 9, 1),
                              {"coop_id": "riverside", "amount": "2400", "purpose": "cyclical repairs: roof and gutters"})],
        date(2021, 4, 1): [ev("dwelling-flat1", "DwellingRevalued", date(2021, 4, 1), {"dwelling_id": "flat1", "value": "172500"}),
                           ev("dwelling-flat2", "DwellingRevalued", date(2021, 4, 1), {"dwelling_id": "flat2", "value": "188000"}),
                           ev("dwelling-house3", "DwellingRevalued", date(2021, 4, 1), {"dwelling_id": "house3", "value": "241000"})],
        date(2023, 4, 1): [ev("dwelling-flat1", "DwellingRevalued", date(2023, 4, 1), {"dwelling_id": "flat1", "value": "181000"}),
                           ev("dwelling-flat2", "DwellingRevalued", date(2023, 4, 1), {"dwelling_id": "flat2", "value": "197000"}),
                           ev("dwelling-house3", "DwellingRevalued", date(2023, 4, 1), {"dwelling_id": "house3", "value": "250500"})],
    }


def build(path: str) -> EventStore:
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    store = EventStore(engine)
    record(store, setup(), actor=ACTOR)
    specials = one_offs()
    month = date(2015, 4, 1)
    while month <= date(2025, 3, 1):
        if month == date(2021, 10, 1):
            leave_bob(store)
        accrue(store, month, actor=ACTOR)
        for line in specials.get(month, []):
            record(store, [line], actor=ACTOR)
        pay_month(store, month)
        month = add_months(month, 1)
    accrue(store, date(2025, 3, 31), actor=ACTOR)
    return store


def pay_month(store: EventStore, month: date) -> None:
    for member in ("alice", "bob", "carol", "dan"):
        dues = [e for e in store.read(stream=f"member-{member}", type="PaymentDue", date_from=month, date_to=month)]
        for due in dues:
            amount = D(due.payload["amount"])
            if member == "bob" and date(2019, 9, 1) <= month <= date(2020, 2, 1):
                amount = (amount / 2).quantize(D("0.01"))  # Bob falls behind for six months
            paid_on = add_months(month, 0).replace(day=3)
            record(store, [ev(f"member-{member}", "PaymentReceived", paid_on,
                              {"member_id": member, "amount": format(amount, "f"), "period": due.payload["period"],
                               "bank_reference": f"SO-{member}-{due.payload['period']}"})], actor=ACTOR)


def leave_bob(store: EventStore) -> None:
    """Bob assigns his lease to Dan; the co-op pays Bob out by topping up its loan."""
    on = date(2021, 10, 1)
    record(store, [ev("dwelling-flat2", "LeaseAssigned", on,
                      {"dwelling_id": "flat2", "outgoing_member_id": "bob", "incoming_member_id": "dan"})], actor=ACTOR)
    position = member_show(LedgerView(store), "bob", on)
    payout = position["payout_detail"]
    record(store, [
        ev("member-bob", "EquityPaidOut", on, {"member_id": "bob", "amount": format(payout["payout"], "f"),
                                               "arrears_deducted": format(payout["arrears_deducted"], "f")}),
        ev("mortgage-riverside-1", "TopUpLoanDrawn", on,
           {"mortgage_id": "riverside-1", "amount": format(payout["payout"], "f"), "purpose": "pay out Bob on leaving"}),
        ev("member-bob", "ShareCapitalWithdrawn", on, {"member_id": "bob", "society_id": "riverside", "amount": "1"}),
        admit("dan", "flat2", on, "21000", "0.33", "7520", "142880", "riverside-1"),
        shares("dan", on, "1"),
    ], actor=ACTOR)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = build(os.path.join(folder, "example.db"))
        with open(OUT, "wb") as out:
            for e in store.read():
                out.write(orjson.dumps({"stream": e.stream, "type": e.type, "effective_date": e.effective_date.isoformat(),
                                        "payload": e.payload, "metadata": e.metadata,
                                        "idempotency_key": e.idempotency_key}, option=orjson.OPT_SORT_KEYS))
                out.write(b"\n")
        print(f"wrote {store.head().position} events to {OUT}")
        store.dispose()


if __name__ == "__main__":
    main()
