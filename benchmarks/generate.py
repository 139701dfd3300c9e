"""Deterministic event logs for benchmarks: a secondary co-op's years of business."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Iterator

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
                   "payload": {"coop_id": coop, "amount": f"{rng.randrange(10, 5000)}.00", "purpose": "cyclical repairs"},
                   "metadata": {"actor": "bench", "reason": "planned maintenance"}, "idempotency_key": f"bench-{i}"}


def store_lines(n: int, seed: int = 7) -> list[bytes]:
    return [orjson.dumps(e) for e in store_events(n, seed)]


def fund_savers(events: int, seed: int = 13, fund: str = "jak", start: date = date(1995, 1, 1)) -> list[bytes]:
    """About `events` envelopes of a JAK fund's savers: thirty years of monthly deposits, a withdrawal a year."""
    rng = random.Random(seed)
    years = 30
    per_saver = 1 + years * 13
    out = [{"stream": f"society-{fund}", "type": "SocietyRegistered", "effective_date": start.isoformat(),
            "payload": {"society_id": fund, "kind": "fund", "name": "The savings and loan fund"},
            "idempotency_key": f"reg-{fund}"},
           {"stream": f"society-{fund}", "type": "FundPolicySet", "effective_date": start.isoformat(),
            "payload": {"fund_id": fund, "setup_fee": "0.035", "annual_fee": "0.01", "share_deposit": "0.06",
                        "account_kinds": [{"kind": "jak", "factor": "1", "notice_days": 0}]},
            "idempotency_key": f"policy-{fund}"}]
    for s in range(max(1, events // per_saver)):
        account, opened = f"{fund}-s{s:05d}", start + timedelta(days=rng.randrange(0, 365))
        stream = f"account-{account}"
        out.append({"stream": stream, "type": "SavingsAccountOpened", "effective_date": opened.isoformat(),
                    "payload": {"account_id": account, "fund_id": fund, "holder_id": f"saver{s:05d}",
                                "holder_kind": "member", "kind": "jak"}, "idempotency_key": f"open-{account}"})
        monthly = rng.randrange(20, 200)
        for month in range(years * 12):
            on = date(opened.year + month // 12, 1 + month % 12, min(opened.day, 28))
            out.append({"stream": stream, "type": "SavingsDeposited", "effective_date": on.isoformat(),
                        "payload": {"account_id": account, "amount": f"{monthly}.00"},
                        "idempotency_key": f"dep-{account}-{month}"})
            if month % 12 == 11:
                out.append({"stream": stream, "type": "SavingsWithdrawn", "effective_date": on.isoformat(),
                            "payload": {"account_id": account, "amount": f"{monthly * 6}.00"},
                            "idempotency_key": f"wd-{account}-{month}"})
    for envelope in out:
        envelope["metadata"] = {"actor": "bench"}
    return [orjson.dumps(e) for e in out]
