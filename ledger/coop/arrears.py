"""A member's arrears month by month, aged, and their repayment arrangements: folds of the member's stream.

Which dues a member's payments have paid is the one allocation rule of `ledger.rules.payments`
(`paid_oldest_first`): payments, pooled whatever month each names, pay the dues oldest first; the lien's arrears
recovered from a payout count as paid. So the months' outstanding add up to `member show`'s arrears on every date.

- a month's **due date** is the effective date of its `PaymentDue` (accrual posts it on the admission day of each
  month); a due counts from that day, as it does in `member show`;
- **age** is the days from the due date to the date asked; the buckets are 0-30, 31-60, 61-90 and 90+ (91 days and
  more) past the due date;
- an **arrangement** (`ArrangementAgreed`) is kept, broken, completed or ended early: worked out on read
  (`arrangement_state`), never recorded. docs/arrears.md says when an arrangement is broken.
"""

from __future__ import annotations

import calendar
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate

from ledger.coop.fold import Events, dec, effective, payload_of
from ledger.coop.payloads import Payout, due_of, payment_of
from ledger.errors import FieldError
from ledger.events.coop import ArrangementAgreed, EquityPaidOut, PaymentDue, PaymentReceived, PaymentReturned
from ledger.money import ZERO
from ledger.rules.payments import paid_oldest_first, unpaid

# (label, fewest days past the due date, most days; None: no limit)
BUCKETS: tuple[tuple[str, int, int | None], ...] = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90),
                                                     ("90+", 91, None))

ON_TRACK, COMPLETED, BROKEN, ENDED_EARLY = "on track", "completed", "broken", "ended early"


def bucket_of(days_past_due: int) -> str:
    """The ageing bucket of an amount `days_past_due` days after its due date."""
    for label, low, high in BUCKETS:
        if days_past_due >= low and (high is None or days_past_due <= high):
            return label
    return BUCKETS[0][0]  # (never: a due counts only from its due date)


def month_after_end(period: str) -> date:
    """The last day of the month after `period` (YYYY-MM): an arrangement month's deadline."""
    year, month = map(int, period.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


def month_start(period: str) -> date:
    year, month = map(int, period.split("-"))
    return date(year, month, 1)


def months_from(start: str, count: int) -> list[str]:
    """`count` months YYYY-MM from `start` on."""
    year, month = map(int, start.split("-"))
    out = []
    for n in range(count):
        y, m = divmod(year * 12 + month - 1 + n, 12)
        out.append(f"{y:04d}-{m + 1:02d}")
    return out


@dataclass(frozen=True)
class MonthOwed:
    """One due and what the payments paid against it."""

    period: str
    due_on: date
    due: Decimal
    paid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.due - self.paid

    @property
    def part_paid(self) -> bool:
        return ZERO < self.paid < self.due


@dataclass(frozen=True)
class Arrangement:
    """An agreed arrangement as recorded: `amount` a month on top of the normal payment, `months` months from
    `start_month`."""

    agreed_on: date
    position: int
    amount: Decimal
    start_month: str
    months: int
    reason: str | None

    @property
    def periods(self) -> list[str]:
        return months_from(self.start_month, self.months)

    @property
    def last_month(self) -> str:
        return self.periods[-1]

    def overlaps(self, start_month: str, months: int) -> bool:
        mine, theirs = self.periods, months_from(start_month, months)
        return mine[0] <= theirs[-1] and theirs[0] <= mine[-1]


@dataclass(frozen=True)
class ArrangementState:
    """What became of an arrangement by a date (a fold: never recorded)."""

    arrangement: Arrangement
    state: str  # ON_TRACK, COMPLETED, BROKEN or ENDED_EARLY
    months_kept: int  # arrangement months whose normal due and instalment were paid in time
    since: date | None  # when it was completed, broken or ended early (None while on track)
    month: str | None  # the month that broke it, or (on track) the next month to be paid
    required: Decimal  # dues since the first month began + the instalments, to the month's deadline (or the date)
    paid: Decimal  # paid since the first month began, to the same day


class MemberBook:
    """A member's dues, payments and arrangements in effective order: what the arrears folds read.

    Built once from the member's stream; asked about any date (`owed`, `arrears_on`, `state`).
    """

    def __init__(self, member_events: Events) -> None:
        dues: list[tuple[date, str, Decimal]] = []
        payments: list[tuple[date, Decimal]] = []
        liens: set[int] = set()  # the places in `payments` of arrears the lien took from a payout (no money came in)
        arrangements: list[Arrangement] = []
        for e in effective(member_events):
            t = e.type
            if t == PaymentDue.event_type:
                dues.append((e.effective_date, payload_of(e)["period"], due_of(e)[0]))
            elif t == PaymentReceived.event_type or t == PaymentReturned.event_type:
                payments.append((e.effective_date, payment_of(e)))  # (a return: negative, on its own day)
            elif t == EquityPaidOut.event_type:
                recovered = Payout.of(e).arrears_deducted
                if recovered:
                    liens.add(len(payments))
                    payments.append((e.effective_date, recovered))
            elif t == ArrangementAgreed.event_type:
                p = payload_of(e)
                arrangements.append(Arrangement(e.effective_date, e.position, dec(p["amount"]), p["start_month"],
                                                int(p["months"]), p.get("reason")))
        self.dues, self.payments, self.arrangements, self.liens = dues, payments, arrangements, liens
        self._due_dates = [d for d, _, _ in dues]
        self._due_totals = list(accumulate((a for _, _, a in dues), initial=ZERO))
        self._paid_dates = [d for d, _ in payments]
        self._paid_totals = list(accumulate((a for _, a in payments), initial=ZERO))

    def due_by(self, day: date) -> Decimal:
        return self._due_totals[bisect_right(self._due_dates, day)]

    def paid_by(self, day: date) -> Decimal:
        return self._paid_totals[bisect_right(self._paid_dates, day)]

    def paid_between(self, first: date, last: date) -> Decimal:
        return self.paid_by(last) - self.paid_by(first - timedelta(days=1))

    def arrears_on(self, day: date) -> Decimal:
        """The member's arrears at the end of `day` (the total of `owed`)."""
        return unpaid(self.due_by(day), self.paid_by(day))

    def credit_on(self, day: date) -> Decimal:
        return max(self.paid_by(day) - self.due_by(day), ZERO)

    def owed(self, day: date) -> list[MonthOwed]:
        """Every due effective by `day`, with what the payments by `day` paid against it (oldest first)."""
        dues = self.dues[:bisect_right(self._due_dates, day)]
        paid = paid_oldest_first((a for _, _, a in dues), self.paid_by(day))
        return [MonthOwed(period, on, amount, part) for (on, period, amount), part in zip(dues, paid, strict=True)]

    def due_between(self, first: date, last: date) -> Decimal:
        return self.due_by(last) - self.due_by(first - timedelta(days=1))

    def arrangements_by(self, day: date) -> list[Arrangement]:
        return [a for a in self.arrangements if a.agreed_on <= day]

    def state(self, arrangement: Arrangement, day: date) -> ArrangementState:
        """What became of `arrangement` by `day` (docs/arrears.md, "Arrangements").

        Month k of the arrangement is kept when, by the end of the month after it, the payments since the first
        day of the arrangement's first month cover every due that fell due in that time plus k instalments: a
        shortfall may be made up in the month after, but that month's own normal payment cannot make it up twice.
        The arrangement is broken on the day after the first such deadline not met; completed when its last month
        is kept (the day after its deadline); ended early when the member's arrears are cleared before its last
        month begins (cleared in the last month, it is completed). Until a month's deadline is over it is on track.
        """
        a = arrangement
        periods = a.periods
        first_day = month_start(periods[0])
        last_deadline = month_after_end(periods[-1])
        cleared = self._cleared_on(a.agreed_on, min(day, last_deadline))
        kept = 0
        required = paid = ZERO
        for k, period in enumerate(periods, start=1):
            deadline = month_after_end(period)
            if cleared is not None and cleared <= deadline:
                ended = ENDED_EARLY if cleared < month_start(periods[-1]) else COMPLETED
                return ArrangementState(a, ended, kept, cleared, None, required, paid)
            last = min(day, deadline)
            required = self.due_between(first_day, last) + k * a.amount
            paid = self.paid_between(first_day, last)
            if day <= deadline:  # (decided once the deadline's day is over)
                return ArrangementState(a, ON_TRACK, kept, None, period, required, paid)
            if paid < required:
                return ArrangementState(a, BROKEN, kept, deadline + timedelta(days=1), period, required, paid)
            kept = k
        return ArrangementState(a, COMPLETED, kept, last_deadline + timedelta(days=1), None, required, paid)

    def _cleared_on(self, first: date, last: date) -> date | None:
        """The first day from `first` to `last` that ends with no arrears (arrears fall only when a payment comes)."""
        if last < first:
            return None
        if self.arrears_on(first) == 0:
            return first
        for on in self._paid_dates[bisect_right(self._paid_dates, first):bisect_right(self._paid_dates, last)]:
            if self.arrears_on(on) == 0:
                return on
        return None


@dataclass(frozen=True)
class MemberArrears:
    """A member's arrears on a date: the months unpaid or part-paid, aged, and their arrangements."""

    member_id: str
    as_of: date
    months: list[MonthOwed]  # the months with something outstanding, oldest first
    outstanding: Decimal  # the sum of the months' outstanding: `member show`'s arrears
    credit: Decimal  # paid beyond every due so far, carried forward
    buckets: dict[str, Decimal]
    arrangements: list[ArrangementState]

    @property
    def latest_arrangement(self) -> ArrangementState | None:
        return self.arrangements[-1] if self.arrangements else None

    @property
    def broken(self) -> bool:
        """Whether the member's latest arrangement is broken (an earlier broken one was replaced by it)."""
        latest = self.latest_arrangement
        return latest is not None and latest.state == BROKEN


def member_arrears(member_id: str, member_events: Events, as_of: date, book: MemberBook | None = None) -> MemberArrears:
    """The fold: a member's arrears month by month on `as_of`, aged by days past each due date, and the state of
    each arrangement agreed by then (in the order agreed). `book`: the member's book already built from the same
    stream (it answers for any date)."""
    if book is None:
        book = MemberBook(member_events)
    owed = [m for m in book.owed(as_of) if m.outstanding > 0]
    buckets = {label: ZERO for label, _, _ in BUCKETS}
    for m in owed:
        buckets[bucket_of((as_of - m.due_on).days)] += m.outstanding
    states = [book.state(a, as_of) for a in book.arrangements_by(as_of)]
    return MemberArrears(member_id, as_of, owed, sum((m.outstanding for m in owed), ZERO), book.credit_on(as_of),
                         buckets, states)


def arrangement_refusals(member_id: str, member_events: Events, on: date, start_month: str,
                         months: int) -> list[FieldError]:
    """Why an arrangement agreed on `on` cannot be (none: it can): the member has no arrears that day, it would start
    before the month it is agreed in, or its months overlap an arrangement still on track that day, or one agreed
    later (entered first: in date order that one would have been refused)."""
    book = MemberBook(member_events)
    errors = []
    if book.arrears_on(on) <= 0:
        errors.append(FieldError("payload.member_id", f"member {member_id} has no arrears on {on.isoformat()}: "
                                                      "an arrangement is agreed to clear arrears"))
    if start_month < f"{on.year:04d}-{on.month:02d}":
        errors.append(FieldError("payload.start_month", f"{start_month} is before the month the arrangement is "
                                                        f"agreed in ({on.isoformat()})"))
    for a in book.arrangements_by(on):
        if a.overlaps(start_month, months) and book.state(a, on).state == ON_TRACK:
            errors.append(FieldError("payload.start_month",
                                     f"overlaps the arrangement agreed on {a.agreed_on.isoformat()} for "
                                     f"{a.start_month} to {a.last_month}, which is still on track"))
    for a in book.arrangements:  # one agreed later, entered first: both would be on track at once
        if a.agreed_on > on and a.overlaps(start_month, months):
            errors.append(FieldError("payload.start_month",
                                     f"overlaps the arrangement agreed later, on {a.agreed_on.isoformat()}, for "
                                     f"{a.start_month} to {a.last_month}: agreed in date order the later one would "
                                     "have been refused; correct it first (`mutual correct`), then agree both in "
                                     "order (the reversed one again with a --key of its own: a reversed event keeps "
                                     "its key)"))
    return errors


__all__ = ["BROKEN", "BUCKETS", "COMPLETED", "ENDED_EARLY", "ON_TRACK", "Arrangement", "ArrangementState",
           "MemberArrears", "MemberBook", "MonthOwed", "arrangement_refusals", "bucket_of", "member_arrears",
           "month_after_end", "month_start", "months_from"]
