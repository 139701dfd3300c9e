"""Postings derived on read at a period's end, from the same folds the projections use.

Event-driven postings (ledger/accounts/postings.py) follow one event each. Two figures are not events but folds,
so their postings are derived here from the fold's own result, never from a second copy of its rule:

* a closed member-year's reserve movement (`MemberYear.reserve`, ledger/coop/member.py: receipts less charges,
  mortgage payment and equity stake), dated the year's last day: Dr retained_surplus, Cr reserve (a deficit the
  other way round);
* the release of a repaid loan's locked after-savings (`Release`, ledger/fund/releases.py), dated the release:
  Dr locked_after_savings, Cr savers_deposits.

The debt share's year (interest and indexation on the member's part of the debt) is a memorandum of the collective
mortgage, whose lender's year posts as an event: it makes no postings of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ledger.accounts.postings import Leg, Legs
from ledger.coop.member import MemberYear
from ledger.fund.account import Release


@dataclass(frozen=True)
class Derived:
    """Postings a fold derived: when, for which society, what, and the legs."""

    on: date
    society: str
    what: str
    legs: Legs


def member_years(coop_id: str, member_id: str, years: Iterable[MemberYear]) -> list[Derived]:
    """Each closed member-year's reserve movement."""
    found = []
    for y in years:
        r = y.reserve
        if not r:
            continue
        legs = (Leg("retained_surplus", r), Leg("reserve", -r))
        found.append(Derived(y.end, coop_id, f"member {member_id} year {y.year}: to reserve", legs))
    return found


def releases(fund_id: str, released: Iterable[Release]) -> list[Derived]:
    """Each repaid loan's locked after-savings moved to its saver's free balance."""
    return [Derived(r.on, fund_id, f"loan {r.loan_id}: after-savings released to account {r.account_id}",
                    (Leg("locked_after_savings", r.amount), Leg("savers_deposits", -r.amount)))
            for r in released if r.amount]
