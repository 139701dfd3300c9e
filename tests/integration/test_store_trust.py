"""What the store holds against writers it does not trust: no append on a broken head (item 11), the writers'
lock that only writers can take, per ledger (item 10), commands that converge under load (item 15), and
checkpoints that only the owner or an auditor write, each one checked (item 9)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ledger.canonical import GENESIS_HASH
from ledger.errors import ChainBroken
from ledger.store.verify import row_hash, verify
from tests.factories import ACTOR, index_value


def _insert_raw(backend, row: tuple) -> None:
    """A row written around the store, as an attacker with INSERT on the table could."""
    with backend.engine.begin() as conn:
        conn.execute(text("INSERT INTO events (position, stream, version, type, schema_version, effective_date, "
                          "recorded_at, payload, metadata, idempotency_key, prev_hash, hash) VALUES (:p, :s, :v, "
                          ":t, :sv, :e, :r, :pl, :m, :k, :ph, :h)"),
                     dict(zip(("p", "s", "v", "t", "sv", "e", "r", "pl", "m", "k", "ph", "h"), row)))


def _forged_after(store, prev_hash: str) -> tuple:
    """The last row again as position head+1, sealed by its own content but chained to `prev_hash`."""
    with store.recorder.reading() as conn:
        last = store.recorder.last_rows(conn)[0]
    row = (last[0] + 1, "index-X", 1, last[3], last[4], last[5], last[6], last[7], last[8], "forged", prev_hash, "")
    return row[:11] + (row_hash(row, prev_hash),)


def test_an_append_on_a_row_chained_to_nothing_is_refused_and_names_it(backend):
    store = backend.store()
    store.append("index-RPI", [index_value("2020"), index_value("2021")], metadata=ACTOR)
    _insert_raw(backend, _forged_after(store, GENESIS_HASH))  # its own hash holds; it follows nothing
    with pytest.raises(ChainBroken) as caught:
        store.append("index-RPI", [index_value("2022")], metadata=ACTOR)
    assert "position 3" in str(caught.value) and "prev_hash" in str(caught.value)
    with pytest.raises(ChainBroken):
        store.import_lines([])  # an import is a write like any other (even of nothing: it reads the head)
    assert verify(store).first_bad_position == 3 and store.head().position == 3


def test_an_append_on_an_intact_head_still_goes_in(backend):
    store = backend.store()
    store.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    _insert_raw(backend, _forged_after(store, store.head().hash))  # a well-formed row written around the store
    assert store.append("index-RPI", [index_value("2021")], metadata=ACTOR).head.position == 3
    assert verify(store).intact
