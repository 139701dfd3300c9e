"""Releasing a repaid loan's after-savings: a fold, never an event (docs/fund-projections.md)."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction

from ledger.events.fund import AfterSavingsReleased
from ledger.folded import Event
from ledger.fund.account import AccountState, Release, account_state
from ledger.fund.common import EPOCH, ONE_DAY, Streams
from ledger.fund.gifts import gifts_of
from ledger.fund.loan import after_savings_by_account, loan_state
from ledger.fund.policy import FACTOR_ONE, Policy, factor_timeline, policies
from ledger.money import ZERO
from ledger.rules.points import (
    BalanceChange,
    FactorChange,
    days_in_month,
    month_time,
)

# Event types the read side computes from the facts and reads as nothing when recorded: no command writes one
# (`mutual record` and `mutual correct` refuse them with this reason; `mutual import` restores old ledgers as
# they were, docs/rules-fund.md "Ledgers written before the release was a fold").
COMPUTED_ON_READ = {
    AfterSavingsReleased.event_type: "the release of a loan's after-savings is computed from the facts on every read "
                            "(the day after the holder's points are back to zero or above once the loan is "
                            "repaid); a recorded one would be ignored. `mutual fund releases` reports them",
}



class PointsCurve:
    """A holder's end-of-day points on any day, exact: between the days anything changes (a balance, a factor,
    a gift) the points move at a constant rate (balance x factor a month), so each stretch is monotonic."""

    def __init__(self, tracks: Iterable[tuple[Iterable[BalanceChange], Iterable[FactorChange]]],
                 jumps: Iterable[tuple[date, Fraction]] = ()) -> None:
        changes: dict[date, list[tuple[int, str, Fraction]]] = defaultdict(list)
        balance: list[Fraction] = []
        factor: list[Fraction] = []
        for i, (moves, factors) in enumerate(tracks):
            balance.append(Fraction(0))
            factor.append(Fraction(0))
            for f in sorted(factors, key=lambda f: f.effective):
                if f.effective <= EPOCH:
                    factor[i] = Fraction(f.factor)
                else:
                    changes[f.effective].append((i, "factor", Fraction(f.factor)))
            for c in moves:
                changes[c.on].append((i, "balance", Fraction(c.delta)))
        for on, points in jumps:
            changes[on].append((-1, "jump", Fraction(points)))
        self.days: list[date] = []
        self.points: list[Fraction] = []  # at the end of each day in `days`
        self.rates: list[Fraction] = []  # points a month from the day after it
        points, rate, last = Fraction(0), Fraction(0), None
        for day in sorted(changes):
            if last is not None:
                points += rate * month_time(last + ONE_DAY, day - ONE_DAY)
            for i, what, value in changes[day]:
                if what == "balance":
                    balance[i] += value
                    rate += value * factor[i]
                elif what == "factor":
                    rate += balance[i] * (value - factor[i])
                    factor[i] = value
                else:
                    points += value
            points += rate / days_in_month(day)
            self.days.append(day)
            self.points.append(points)
            self.rates.append(rate)
            last = day

    def _at(self, i: int, day: date) -> Fraction:
        return self.points[i] + self.rates[i] * month_time(self.days[i] + ONE_DAY, day)

    def on(self, day: date) -> Fraction:
        """The end-of-day points of `day`."""
        i = bisect_right(self.days, day) - 1
        return Fraction(0) if i < 0 else self._at(i, day)

    def first_day_at_or_above_zero(self, start: date, last: date) -> date | None:
        """The first day in start..last whose end-of-day points are >= 0, or None."""
        if last < start:
            return None
        i = bisect_right(self.days, start) - 1
        if i < 0:
            return start  # nothing has happened yet: no points either way
        while i < len(self.days) and self.days[i] <= last:
            first = max(self.days[i], start)
            end = min(self.days[i + 1] - ONE_DAY, last) if i + 1 < len(self.days) else last
            if self._at(i, first) >= 0:
                return first
            if self.rates[i] > 0 and self._at(i, end) >= 0:  # rising through zero in this stretch
                lo, hi = first.toordinal(), end.toordinal()  # points(lo) < 0 <= points(hi)
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if self._at(i, date.fromordinal(mid)) >= 0:
                        hi = mid
                    else:
                        lo = mid
                return date.fromordinal(hi)
            i += 1
        return None


Track = tuple[Iterable[BalanceChange], Iterable[FactorChange]]  # a balance and the factor it earns at


def _account_tracks(accounts: Iterable[AccountState], found: dict[str, tuple[Policy, ...]]) -> list[Track]:
    tracks: list[Track] = []
    for a in accounts:
        tracks.append((a.free, factor_timeline(found.get(a.fund_id, ()), a.kind)))
        tracks.extend((changes, FACTOR_ONE) for changes in a.locked.values())
    return tracks


def holder_releases(holder_id: str, through: date, account_streams: Streams,
                    loan_streams: Streams, gift_facts: Iterable[Event],
                    policy_facts: Streams) -> tuple[Release, ...]:
    """The releases of a holder's after-savings on or before `through`: THE rule, for the read side and the commands.

    Each loan repaid (not written off) is released the day after the first day, from its repayment on, whose
    end-of-day points of the holder are >= 0. Releases are taken in date order (ties by loan id): each moves
    the loan's locked after-savings (factor 1) to the free balance (the kind's factor), which changes the
    holder's points from its day on, and so the days of the releases after it. A function of the facts
    only: the same facts in any entry order give the same releases.
    """
    found = {fund: policies(facts) for fund, facts in policy_facts.items()}
    loans = {x: loan_state(facts, date.max) for x, facts in loan_streams.items()}
    waiting = sorted((s.repaid_on, x) for x, s in loans.items()
                     if s.status == "repaid" and s.repaid_on is not None and s.repaid_on < through)
    if not waiting:
        return ()
    paid = after_savings_by_account(loan_streams)
    loan_tracks: list[Track] = [(s.loan_changes, FACTOR_ONE) for s in loans.values()]
    jumps = [(g.on, Fraction(g.points) * (1 if g.receiver == holder_id else -1))
             for g in gifts_of(gift_facts) if holder_id in (g.giver, g.receiver) and g.giver != g.receiver]
    released: list[Release] = []
    while waiting:
        accounts = [account_state(facts, date.max, paid.get(a, ()), released) for a, facts in account_streams.items()]
        curve = PointsCurve(_account_tracks(accounts, found) + loan_tracks, jumps)
        best = None
        for repaid_on, x in waiting:
            day = curve.first_day_at_or_above_zero(repaid_on, through - ONE_DAY)
            if day is not None and (best is None or (day, x) < best):
                best = (day, x)
        if best is None:
            break
        day, x = best
        waiting = [w for w in waiting if w[1] != x]
        released.append(Release(day + ONE_DAY, x, loans[x].contract.account_id, ZERO))
    moved: dict[str, Decimal] = {}
    for a, facts in account_streams.items():
        moved.update(account_state(facts, date.max, paid.get(a, ()), released).released)
    return tuple(Release(r.on, r.loan_id, r.account_id, moved.get(r.loan_id, ZERO)) for r in released)
