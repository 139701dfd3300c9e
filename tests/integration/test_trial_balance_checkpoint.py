"""A balance checkpoint gives the trial balance the whole log's fold gives, on both engines: carried forward over
the member events appended since, and set aside (the whole log folded) for a correction, any other event, or a
time before it (docs/accounts.md, "Balance checkpoints")."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections.accounts import (
    Books,
    Period,
    balance_sheet,
    chain_head,
    income,
    take_balance_checkpoint,
    trial_balance,
    whole_log,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coop-ten-years.jsonl"
ON = date(2025, 3, 31)
MEMBERS = ("alice", "bob", "carol", "dan")


def imported(backend):
    store = backend.store()
    store.import_lines(EXAMPLE.read_bytes().splitlines())
    return store


def both(store, on=ON, society=None, as_known_at=None):
    """The trial balance from `Books` (a checkpoint when one holds) and from the whole log; the books used."""
    head = chain_head(store, as_known_at)
    books = Books(store, as_known_at, head)
    from_books = trial_balance(books, Period(None, on), society, head, as_known_at)
    folded = trial_balance(whole_log(store, as_known_at, head), Period(None, on), society, head, as_known_at)
    return from_books, folded, books


def append(store, *envelopes):
    store.import_lines([orjson.dumps(e) for e in envelopes], default_actor="clerk")


def receipt(member, on, amount, ref):
    return {"stream": f"member-{member}", "type": "PaymentReceived", "effective_date": on.isoformat(),
            "payload": {"member_id": member, "amount": amount, "period": on.strftime("%Y-%m"),
                        "bank_reference": ref}}


def due(member, on, amount, charges, ref):
    return {"stream": f"member-{member}", "type": "PaymentDue", "effective_date": on.isoformat(),
            "payload": {"member_id": member, "period": f"{on.year + 1}-{on.month:02d}", "amount": amount,
                        "charges": charges}, "idempotency_key": ref}


def test_the_trial_balance_from_a_checkpoint_is_the_whole_logs_on_every_society(backend):
    store = imported(backend)
    for on in (date(2016, 12, 31), ON):
        take_balance_checkpoint(store, on, "auditor")
        for society in (None, "riverside"):
            from_books, folded, books = both(store, on, society)
            assert from_books == folded and from_books["balanced"] and books.checkpoint_used is not None
    head = chain_head(store, None)
    books = Books(store, None, head)
    assert balance_sheet(books, Period(None, ON), None, head, None) == balance_sheet(
        whole_log(store, None, head), Period(None, ON), None, head, None)
    assert income(books, Period(date(2024, 4, 1), ON), None, head, None) == income(
        whole_log(store, None, head), Period(date(2024, 4, 1), ON), None, head, None)


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000"), places=2).map(str)
member_events = st.lists(st.tuples(st.sampled_from(MEMBERS), st.integers(0, 4000), amounts, st.booleans()),
                         min_size=1, max_size=6)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(member_events, min_size=1, max_size=3), take_at=st.integers(0, 2))
def test_a_checkpoint_carried_forward_over_member_events_equals_the_full_fold(backend, batches, take_at):
    """Receipts and dues on members' streams, dated before or after the checkpoint's date, appended before or after
    it is taken: the trial balance on the date is the whole log's, and the checkpoint is used."""
    store = backend.store()
    if store.head().position == 0:
        store.import_lines(EXAMPLE.read_bytes().splitlines())
    tag = store.head().position
    for n, batch in enumerate(batches):
        if n == take_at:
            take_balance_checkpoint(store, ON, "auditor")
        append(store, *[(receipt(m, date(2014, 1, 1) + timedelta(days=d), a, f"P-{tag}-{n}-{i}") if paid else
                         due(m, date(2014, 1, 1) + timedelta(days=d), a, "0.00", f"D-{tag}-{n}-{i}"))
                        for i, (m, d, a, paid) in enumerate(batch)])
    from_books, folded, books = both(store)
    assert from_books == folded
    if take_at < len(batches):
        assert books.checkpoint_used is not None


def test_a_correction_after_the_checkpoint_sets_it_aside_and_the_whole_log_is_folded(backend):
    store = imported(backend)
    take_balance_checkpoint(store, ON, "auditor")
    position = next(e.position for e in store.read(type="PaymentReceived", stream="member-bob"))
    append(store, {"stream": "member-bob", "type": "EventReversed", "effective_date": "2020-01-05",
                   "payload": {"position": position, "reason": "bounced"}})
    from_books, folded, books = both(store)
    assert books.checkpoint_used is None and from_books == folded


def test_an_event_that_is_not_a_members_own_sets_the_checkpoint_aside(backend):
    store = imported(backend)
    take_balance_checkpoint(store, ON, "auditor")
    append(store, {"stream": "society-riverside", "type": "ReserveSpent", "effective_date": "2024-05-01",
                   "payload": {"coop_id": "riverside", "amount": "999.00", "purpose": "roof"}})
    from_books, folded, books = both(store)
    assert books.checkpoint_used is None and from_books == folded


def test_as_known_at_before_the_checkpoint_the_whole_log_as_it_stood_is_folded(backend):
    store = imported(backend)
    before, _, _ = both(store)
    known = store.head().recorded_at
    append(store, receipt("alice", date(2024, 6, 3), "50.00", "LATE-1"))
    take_balance_checkpoint(store, ON, "auditor")
    from_books, folded, books = both(store, as_known_at=known)
    assert books.checkpoint_used is None and from_books == folded
    assert from_books["accounts"] == before["accounts"] and from_books["chain_head"] == before["chain_head"]
    now, _, books = both(store)
    assert books.checkpoint_used is not None and now["accounts"] != before["accounts"]


def test_a_checkpoint_on_another_date_is_not_used(backend):
    store = imported(backend)
    take_balance_checkpoint(store, date(2024, 12, 31), "auditor")
    from_books, folded, books = both(store)
    assert books.checkpoint_used is None and from_books == folded


def test_mutual_accounts_checkpoint_keeps_the_balances_and_the_trial_balance_reads_the_same(backend):
    import json

    from click.testing import CliRunner

    from cli.main import cli

    def run(*args):
        return CliRunner().invoke(cli, ["--db", backend.url, *args], catch_exceptions=False)

    assert run("import", str(EXAMPLE)).exit_code == 0
    asked = ("accounts", "trial-balance", "--as-of", ON.isoformat(), "--json")
    before = run(*asked).output
    kept = run("accounts", "checkpoint", "--as-of", ON.isoformat(), "--actor", "auditor", "--json")
    assert kept.exit_code == 0 and json.loads(kept.output)["chain_head"] == json.loads(before)["chain_head"]
    assert run(*asked).output == before
    one = run("accounts", "trial-balance", "--society", "riverside", "--as-of", ON.isoformat(), "--json")
    assert one.exit_code == 0 and json.loads(one.output)["balanced"]
    refused = run("accounts", "checkpoint", "--as-of", "2025-02-30")
    assert refused.exit_code == 2 and "--as-of" in refused.output


def test_when_most_members_have_events_since_the_checkpoint_the_whole_log_is_folded_once_instead(backend,
                                                                                                  monkeypatch):
    import projections.accounts

    monkeypatch.setattr(projections.accounts, "CARRIED_MEMBERS", 0)
    store = imported(backend)
    take_balance_checkpoint(store, ON, "auditor")
    append(store, receipt("alice", date(2024, 6, 3), "50.00", "ONE-1"))
    from_books, folded, books = both(store)
    assert books.checkpoint_used is not None and from_books == folded
    append(store, receipt("bob", date(2024, 6, 3), "50.00", "TWO-1"))
    from_books, folded, books = both(store)
    assert books.checkpoint_used is None and from_books == folded


def test_on_postgresql_an_auditor_takes_a_balance_checkpoint_and_a_writer_may_only_read_them(backend):
    import pytest

    from ledger.errors import StoreUnavailable
    from ledger.store import EventStore
    from ledger.store.engine import make_engine

    if backend.name != "postgresql":
        pytest.skip("roles are a PostgreSQL feature; SQLite has file permissions")
    imported(backend)

    def as_role(role):
        return EventStore(make_engine(backend.url.replace("options=", f"options=-crole%3D{role}%20")))

    clerk, auditor = as_role("mutual_writer"), as_role("mutual_auditor")
    try:
        with pytest.raises(StoreUnavailable, match="auditor"):
            take_balance_checkpoint(clerk, ON, "clerk")
        take_balance_checkpoint(auditor, ON, "auditor")
        from_books, folded, books = both(clerk)
        assert books.checkpoint_used is not None and from_books == folded
    finally:
        clerk.engine.dispose()
        auditor.engine.dispose()
