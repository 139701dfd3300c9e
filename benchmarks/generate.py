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
            yield {"stream": f"society-coop{rng.randrange(100)}", "type": "ReserveSpent",
                   "effective_date": day.isoformat(),
                   "payload": {"coop_id": "coop1", "amount": f"{rng.randrange(10, 5000)}.00", "purpose": "cyclical repairs"},
                   "metadata": {"actor": "bench", "reason": "planned maintenance"}, "idempotency_key": f"bench-{i}"}


def store_lines(n: int, seed: int = 7) -> list[bytes]:
    return [orjson.dumps(e) for e in store_events(n, seed)]
