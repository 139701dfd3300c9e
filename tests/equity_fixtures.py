"""Builders of shared-equity scenarios as event envelopes, recorded through the store's command path."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from ledger.calendar import add_months, anniversary, member_year_bounds
from ledger.commands.coop import accrue, record
from ledger.money import ZERO, money_text, round_money
from ledger.rules.payments import indexed_amount
from tests.unit import annex_figures as A

ACTOR = "test-clerk"
ADMITTED = date(2004, 4, 1)
START = date(2004, 1, 1)


def ev(stream: str, type_: str, on, payload: dict, key: str | None = None) -> dict:
    line = {"stream": stream, "type": type_, "effective_date": on.isoformat() if isinstance(on, date) else on,
            "payload": payload, "metadata": {"actor": ACTOR}}
    if key:
        line["idempotency_key"] = key
    return line


def society(sid: str, kind: str = "coop", on=START, clt_id: str | None = None) -> dict:
    payload = {"society_id": sid, "kind": kind, "name": f"Society {sid}"}
    if clt_id:
        payload["clt_id"] = clt_id
    return ev(f"society-{sid}", "SocietyRegistered", on, payload)


def dwelling(did: str, coop: str, value: str, units: str, clt_units: str, on=START) -> dict:
    return ev(f"dwelling-{did}", "DwellingRegistered", on,
              {"dwelling_id": did, "coop_id": coop, "value": value, "units": units, "clt_units": clt_units})


def revalue(did: str, value, on) -> dict:
    return ev(f"dwelling-{did}", "DwellingRevalued", on, {"dwelling_id": did, "value": money_text(D(value))})


def charges(did: str, total: D, on) -> dict:
    """A yearly charges budget split over the heads in the Annex 4 weekly proportions (2.80, 1.10, 1.20, 2.20, 1.80)."""
    weights = {"management": D("2.80"), "maintenance": D("1.10"), "insurance": D("1.20"), "services": D("2.20")}
    heads = {k: round_money(total * w / D("9.10")) for k, w in weights.items()}
    heads["sinking_fund"] = total - sum(heads.values())
    return ev(f"dwelling-{did}", "ChargesBudgetSet", on, {"dwelling_id": did, **{k: money_text(v) for k, v in heads.items()}})


def index_series(series: str, first_year: int, last_year: int, rate: D, base: D = D("100")) -> list[dict]:
    out = []
    for year in range(first_year, last_year + 1):
        value = (base * (1 + rate) ** (year - first_year)).quantize(D("0.000000000001"))
        out.append(ev(f"index-{series}", "IndexValuePublished", date(year, 1, 1),
                      {"series": series, "period": str(year), "value": format(value, "f")}))
    return out


def mortgage(mid: str, coop: str, principal: D, on=ADMITTED, rate="0.0235", term=30) -> dict:
    return ev(f"mortgage-{mid}", "CollectiveMortgageDrawn", on,
              {"mortgage_id": mid, "coop_id": coop, "kind": "index-linked", "principal": money_text(principal),
               "rate": rate, "index_series": "RPI", "term_years": term})


def admit(mid: str, coop: str, did: str, deposit: D, debt: D, on=ADMITTED, salary="17089.23", rate="0.325",
          mortgage_id: str | None = "m1") -> dict:
    payload = {"member_id": mid, "coop_id": coop, "dwelling_id": did, "net_salary": salary, "payment_rate": rate,
               "deposit": money_text(deposit), "debt_share": money_text(debt)}
    if mortgage_id:
        payload["mortgage_id"] = mortgage_id
    return ev(f"member-{mid}", "MemberAdmitted", on, payload)


def received(mid: str, amount: D, on, ref: str) -> dict:
    return ev(f"member-{mid}", "PaymentReceived", on,
              {"member_id": mid, "amount": money_text(amount), "period": f"{on.year}-{on.month:02d}", "bank_reference": ref})


def property_value_at_end(year: int) -> D:
    """The annex's property value after year `year`'s inflation (none in years 1 and 2, then 3.5%)."""
    value = A.DWELLING_VALUE
    for y in range(1, year + 1):
        if y >= 3:
            value = round_money(value * (1 + A.PROPERTY_INFLATION))
    return value


def annex_setup(total_units: str, clt_units: str, debt: D) -> list[dict]:
    lines = [
        society("clt1", "clt"),
        society("coop1", "coop", clt_id="clt1"),
        ev("society-coop1", "PaymentIndexationPolicySet", START, {"coop_id": "coop1", "series": "RPI", "margin": "0.005"}),
        dwelling("d1", "coop1", "145000", total_units, clt_units),
        *index_series("RPI", 2003, 2035, A.INFLATION),
        mortgage("m1", "coop1", debt),
        admit("a1", "coop1", "d1", A.A5B_DEPOSIT, debt),
        ev("member-a1", "ShareCapitalBought", ADMITTED, {"member_id": "a1", "society_id": "coop1", "amount": "1"}),
    ]
    budget = A.FIRST_YEAR_CHARGES
    for year in range(1, 31):
        start = anniversary(ADMITTED, year - 1)
        lines.append(charges("d1", budget, start))
        budget = indexed_amount(budget, A.INFLATION + A.CHARGES_ABOVE_RPI)
        if year >= 3:
            lines.append(revalue("d1", property_value_at_end(year), anniversary(ADMITTED, year)))
    return lines


def run_annex(store, total_units: str, clt_units: str, debt: D, years: int = 30) -> None:
    """Record the annex inputs, then for each year accrue the dues, pay them in full, and close the year."""
    record(store, annex_setup(total_units, clt_units, debt), actor=ACTOR)
    for year in range(1, years + 1):
        start, end = member_year_bounds(ADMITTED, year)
        last_due = add_months(start, 11)
        accrue(store, last_due, actor=ACTOR)
        dues = sum((D(e.payload["amount"]) for e in store.read(stream="member-a1", type="PaymentDue")
                    if start <= e.effective_date <= end), ZERO)
        record(store, [received("a1", dues, last_due, f"annex-{year}")], actor=ACTOR)
        accrue(store, end, actor=ACTOR)


def end_of_year(year: int) -> date:
    return anniversary(ADMITTED, year) - timedelta(days=1)


def leaving_date(year: int) -> date:
    """Leaving "at the end of year k": the k-th anniversary, when the year's property inflation is in the value."""
    return anniversary(ADMITTED, year)
