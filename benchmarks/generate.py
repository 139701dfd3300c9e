"""Deterministic event logs for benchmarks: a secondary co-op's years of business."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

import orjson


def store_events(n: int, seed: int = 7) -> Iterator[dict]:
    """n envelopes over many member streams: mostly payments, some dues and index values."""
    rng = random.Random(seed)
    members = max(10, n // 500)
    day = date(1995, 1, 1)
    for i in range(n):
        member = f"m{rng.randrange(members)}"
        if i % 50 == 0:
            day += timedelta(days=1)
        kind = rng.random()
        if kind < 0.6:
            yield {"stream": f"member-{member}", "type": "PaymentReceived", "effective_date": day.isoformat(),
                   "payload": {"member_id": member, "amount": f"{rng.randrange(200, 900)}.{rng.randrange(100):02d}",
                               "period": f"{day.year}-{day.month:02d}", "bank_reference": f"BACS-{i:09d}"},
                   "metadata": {"actor": "bench", "correlation_id": f"batch-{i // 1000}"},
                   "idempotency_key": f"bench-{i}"}
        elif kind < 0.95:
            yield {"stream": f"member-{member}", "type": "PaymentDue", "effective_date": day.isoformat(),
                   "payload": {"member_id": member, "amount": f"{rng.randrange(300, 700)}.00",
                               "period": f"{day.year}-{day.month:02d}"},
                   "metadata": {"actor": "bench"}, "idempotency_key": f"bench-{i}"}
        else:
            coop = f"coop{rng.randrange(100)}"  # (its payload names its own stream: docs/events.md)
            yield {"stream": f"society-{coop}", "type": "ReserveSpent",
                   "effective_date": day.isoformat(),
                   "payload": {"coop_id": coop, "amount": f"{rng.randrange(10, 5000)}.00",
                               "purpose": "cyclical repairs"},
                   "metadata": {"actor": "bench", "reason": "planned maintenance"}, "idempotency_key": f"bench-{i}"}


def store_lines(n: int, seed: int = 7) -> list[bytes]:
    return [orjson.dumps(e) for e in store_events(n, seed)]


def fund_savers(events: int, seed: int = 13, fund: str = "jak", start: date = date(1995, 1, 1)) -> list[bytes]:
    """About `events` envelopes of a JAK fund's savers: thirty years of monthly deposits, a withdrawal a year."""
    return [orjson.dumps(e) for e in fund_saver_envelopes(events, seed, fund, start)]


def fund_saver_envelopes(events: int, seed: int = 13, fund: str = "jak",
                         start: date = date(1995, 1, 1)) -> Iterator[dict]:
    """`fund_savers`' envelopes one at a time (the same envelopes, in the same order)."""
    rng = random.Random(seed)
    years = 30
    per_saver = 1 + years * 13
    metadata = {"actor": "bench"}
    yield {"stream": f"society-{fund}", "type": "SocietyRegistered", "effective_date": start.isoformat(),
           "payload": {"society_id": fund, "kind": "fund", "name": "The savings and loan fund"},
           "idempotency_key": f"reg-{fund}", "metadata": dict(metadata)}
    yield {"stream": f"society-{fund}", "type": "FundPolicySet", "effective_date": start.isoformat(),
           "payload": {"fund_id": fund, "setup_fee": "0.035", "annual_fee": "0.01", "share_deposit": "0.06",
                       "account_kinds": [{"kind": "jak", "factor": "1", "notice_days": 0}]},
           "idempotency_key": f"policy-{fund}", "metadata": dict(metadata)}
    for s in range(max(1, events // per_saver)):
        account, opened = f"{fund}-s{s:05d}", start + timedelta(days=rng.randrange(0, 365))
        stream = f"account-{account}"
        yield {"stream": stream, "type": "SavingsAccountOpened", "effective_date": opened.isoformat(),
               "payload": {"account_id": account, "fund_id": fund, "holder_id": f"saver{s:05d}",
                           "holder_kind": "member", "kind": "jak"}, "idempotency_key": f"open-{account}",
               "metadata": dict(metadata)}
        monthly = rng.randrange(20, 200)
        for month in range(years * 12):
            on = date(opened.year + month // 12, 1 + month % 12, min(opened.day, 28))
            yield {"stream": stream, "type": "SavingsDeposited", "effective_date": on.isoformat(),
                   "payload": {"account_id": account, "amount": f"{monthly}.00"},
                   "idempotency_key": f"dep-{account}-{month}", "metadata": dict(metadata)}
            if month % 12 == 11:
                yield {"stream": stream, "type": "SavingsWithdrawn", "effective_date": on.isoformat(),
                       "payload": {"account_id": account, "amount": f"{monthly * 6}.00"},
                       "idempotency_key": f"wd-{account}-{month}", "metadata": dict(metadata)}


FEDERATION_COOPS = 100


def federation(events: int, *, coops: int = FEDERATION_COOPS, fund_share: float = 0.1, seed: int = 11,
               admitted: list[tuple[str, date]] | None = None) -> Iterator[bytes]:
    """About `events` JSON lines of a secondary co-op's federation over thirty years, one at a time (bounded memory:
    one member's events are held at once): `coops` primary co-ops sharing their members evenly, each member with
    benchmarks/queries.py's stream (admission, thirty years of dues, payments, indexation, mortgage years, the
    dwelling's revaluations, the co-op's reserve transfers), and for `fund_share` of the events a JAK fund's savers
    (`fund_saver_envelopes`). The shapes are benchmarks/queries.py's, so a million events of it fold as its books do.
    `admitted`, if given, receives (member, admission date) for every member (what a point query asks about)."""
    from benchmarks.queries import PER_MEMBER, START, member_years, opening

    rng = random.Random(seed)
    fund_events = int(events * fund_share)
    members = max(1, (events - fund_events) // PER_MEMBER)
    coops = max(1, min(coops, members))
    out: list[bytes] = []
    opening(coops, out)
    yield from out
    for m in range(members):
        out.clear()
        coop = f"c{m % coops:03d}"  # (members dealt out to the co-ops in turn: every co-op as big as the next)
        member, dwelling = f"m{m:05d}", f"d{m:05d}"
        on = START + timedelta(days=rng.randrange(0, 365))
        if admitted is not None:
            admitted.append((member, on))
        member_years(rng, coop, member, dwelling, on, out)
        yield from out
    if fund_events:
        dumps = orjson.dumps
        for envelope in fund_saver_envelopes(fund_events):
            yield dumps(envelope)
