"""Arrears a housing officer can act on: per member of a co-op, the months unpaid or part-paid, aged, and the
state of their repayment arrangements (`mutual arrears`, `mutual arrangement show`).

The figures are the fold's (ledger/coop/arrears.py: one allocation rule with `member show`); this module finds a
co-op's members, asks the fold for each, and shapes plain data (Decimals and dates) for the CLI.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ledger import streams
from ledger.coop.arrears import (
    BROKEN,
    BUCKETS,
    COMPLETED,
    ENDED_EARLY,
    ON_TRACK,
    ArrangementState,
    MemberArrears,
    MemberBook,
    MonthOwed,
    bucket_of,
    member_arrears,
)
from ledger.coop.dwelling import leaving_date
from ledger.coop.member import Admission, admission_of
from ledger.events.coop import MemberAdmitted
from ledger.money import ZERO, round_money
from ledger.source import EventSource
from projections.coop import admitted
from projections.view import check_as_of


def _admission(view: EventSource, member_id: str, as_of: date) -> tuple[Admission, list[Any]]:
    return admitted(view, member_id, as_of)


def member_book(view: EventSource, member_id: str) -> MemberBook:
    """The member's dues, payments and arrangements from their whole stream, built once a view (and, shared with
    `share_folds`, once for every view of the same books): it answers for any date."""
    books = view.__dict__.setdefault("_member_books", {})
    found: MemberBook | None = books.get(member_id)
    if found is None:
        found = books[member_id] = MemberBook(view.stream(streams.member(member_id)))
    return found


def month_json(m: MonthOwed, as_of: date) -> dict[str, Any]:
    days = (as_of - m.due_on).days
    return {"period": m.period, "due_on": m.due_on, "due": round_money(m.due), "paid": round_money(m.paid),
            "outstanding": round_money(m.outstanding), "part_paid": m.part_paid, "days_past_due": days,
            "bucket": bucket_of(days)}


def arrangement_json(s: ArrangementState) -> dict[str, Any]:
    a = s.arrangement
    return {"agreed_on": a.agreed_on, "amount": round_money(a.amount), "start_month": a.start_month,
            "last_month": a.last_month, "months": a.months, "reason": a.reason, "state": s.state,
            "months_kept": s.months_kept, "since": s.since, "month": s.month, "required": round_money(s.required),
            "paid": round_money(s.paid), "summary": arrangement_summary(s)}


def arrangement_summary(s: ArrangementState) -> str:
    """One line: "on track (2/6 kept, next 2025-05)", "broken in 2025-04", "completed", "ended early 2025-03-14"."""
    n = s.arrangement.months
    if s.state == ON_TRACK:
        return f"on track ({s.months_kept}/{n} kept, next {s.month})"
    if s.state == BROKEN:
        return f"broken in {s.month} ({s.months_kept}/{n} kept)"
    if s.state == ENDED_EARLY:
        cleared = s.since.isoformat() if s.since is not None else "?"
        return f"ended early ({s.months_kept}/{n} kept): arrears cleared on {cleared}"
    assert s.state == COMPLETED
    return f"completed ({s.months_kept}/{n} kept)"


def months_compact(months: list[MonthOwed]) -> str:
    """The months in arrears as an officer reads them: "2025-01 (part), 2025-02, 2025-03"; three or more months in
    a row fully unpaid as "2025-02 to 2025-06"."""
    parts: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= 3:
            parts.append(f"{run[0]} to {run[-1]}")
        else:
            parts.extend(run)
        run.clear()

    for m in months:
        if m.part_paid:
            flush()
            parts.append(f"{m.period} (part)")
        elif run and not _next_month(run[-1], m.period):
            flush()
            run.append(m.period)
        else:
            run.append(m.period)
    flush()
    return ", ".join(parts)


def _next_month(a: str, b: str) -> bool:
    if len(a) != 7 or len(b) != 7:
        return False
    y, m = int(a[:4]), int(a[5:])
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return b == f"{y:04d}-{m:02d}"


def member_row(found: MemberArrears, adm: Admission, left_on: date | None) -> dict[str, Any]:
    latest = found.latest_arrangement
    return {
        "member": found.member_id,
        "dwelling": adm.dwelling_id,
        "left_on": left_on,
        "months": [month_json(m, found.as_of) for m in found.months],
        "months_in_arrears": months_compact(found.months),
        "outstanding": round_money(found.outstanding),
        "credit": round_money(found.credit),
        "buckets": {k: round_money(v) for k, v in found.buckets.items()},
        "arrangements": [arrangement_json(s) for s in found.arrangements],
        "arrangement": arrangement_summary(latest) if latest is not None else None,
        "broken": found.broken,
    }


def _open(found: MemberArrears) -> bool:
    """In the report: arrears outstanding, or a latest arrangement still running or broken."""
    latest = found.latest_arrangement
    return found.outstanding > 0 or (latest is not None and latest.state in (ON_TRACK, BROKEN))


def coop_arrears(view: EventSource, coop_id: str, as_of: date, *, broken_only: bool = False) -> dict[str, Any]:
    """Every member of `coop_id` admitted by `as_of` who is in arrears or has an arrangement running or broken (with
    `broken_only`, only those whose latest arrangement is broken), and the co-op's totals."""
    society = view.require(streams.society(coop_id), f"society {coop_id}")
    check_as_of(society, as_of, f"society {coop_id}")
    rows: list[dict[str, Any]] = []
    totals = {label: ZERO for label, _, _ in BUCKETS}
    outstanding = ZERO
    admissions = [adm for e in view.of_type(MemberAdmitted.event_type)
                  if (adm := admission_of([e])) is not None and adm.coop_id == coop_id and adm.admitted_on <= as_of]
    view.prefetch([name for adm in admissions
                   for name in (streams.member(adm.member_id), streams.dwelling(adm.dwelling_id))])
    for adm in admissions:
        found = member_arrears(adm.member_id, (), as_of, member_book(view, adm.member_id))
        if not _open(found) or (broken_only and not found.broken):
            continue
        left = leaving_date(view.stream(streams.dwelling(adm.dwelling_id)), adm.member_id)
        rows.append(member_row(found, adm, left if left is not None and left <= as_of else None))
        outstanding += found.outstanding
        for label, amount in found.buckets.items():
            totals[label] += amount
    rows.sort(key=lambda r: (-r["outstanding"], r["member"]))
    return {
        "coop": coop_id,
        "as_of": as_of,
        "broken_only": broken_only,
        "members": rows,
        "members_in_arrears": sum(1 for r in rows if r["outstanding"] > 0),
        "broken_arrangements": sum(1 for r in rows if r["broken"]),
        "outstanding": round_money(outstanding),
        "buckets": {k: round_money(v) for k, v in totals.items()},
    }


def member_arrears_show(view: EventSource, member_id: str, as_of: date) -> dict[str, Any]:
    """One member's arrears month by month and their arrangements on `as_of` (`mutual arrangement show`)."""
    book = member_book(view, member_id)  # the whole stream read first: the admission check then reads no part again
    adm, _ = _admission(view, member_id, as_of)
    found = member_arrears(member_id, (), as_of, book)
    left = leaving_date(view.stream(streams.dwelling(adm.dwelling_id)), member_id)
    return {"as_of": as_of, "coop": adm.coop_id,
            **member_row(found, adm, left if left is not None and left <= as_of else None)}


def months_outstanding(view: EventSource, member_id: str, as_of: date) -> Decimal:
    """The sum of a member's months outstanding on `as_of` (what `member show` calls arrears)."""
    _, events = _admission(view, member_id, as_of)
    return member_arrears(member_id, events, as_of).outstanding
