"""The register of people lives beside the chain: changes and erasures never touch the events, and on PostgreSQL
the auditor reads no personal data."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ledger.commands.people import add_person, display_name, erase_person, show_person, update_person
from ledger.errors import NotFound, StoreUnavailable, ValidationFailed
from ledger.store import EventStore
from ledger.store.engine import make_engine
from ledger.store.verify import verify
from tests.factories import ACTOR, index_value

ALICE = {"name": "Alice Smith", "address": "Flat 1, 2 Mill Lane, Leeds", "email": "alice@example.org",
         "phone": "0113 496 0000", "sort_code": "12-34-56", "account_number": "12345678", "account_name": "A SMITH",
         "net_salary": "17089.23"}


def test_a_person_the_books_do_not_know_is_added_only_with_a_kind(store):
    with pytest.raises(ValidationFailed) as caught:
        add_person(store, "alice", ALICE, actor="clerk")
    assert caught.value.errors[0].field == "id" and "--kind" in caught.value.errors[0].reason
    added = add_person(store, "alice", ALICE, actor="clerk", kind="member")
    assert added.person.fields == ALICE and added.fields == list(ALICE)


def test_a_refused_change_leaves_the_register_as_it_was(store):
    add_person(store, "alice", ALICE, actor="clerk", kind="member")
    with pytest.raises(ValidationFailed):
        update_person(store, "alice", {"email": "new@example.org", "account_number": "123"}, actor="clerk")
    with pytest.raises(ValidationFailed):
        update_person(store, "alice", {"sort_code": None}, actor="clerk")  # bank details go together
    entry, changes = show_person(store, "alice")
    assert entry.fields == ALICE and [c.action for c in changes] == ["add"]


def test_an_update_logs_who_changed_which_fields_and_never_their_values(store):
    add_person(store, "alice", ALICE, actor="clerk-a", kind="member")
    changed = update_person(store, "alice", {"email": "a.smith@example.org", "phone": ALICE["phone"]}, actor="clerk-b")
    assert changed.fields == ["email"]  # the phone did not change
    _, changes = show_person(store, "alice")
    assert [(c.action, c.actor, c.fields) for c in changes] == [("add", "clerk-a", tuple(ALICE)),
                                                                ("update", "clerk-b", ("email",))]
    with store.engine.connect() as conn:
        logged = " ".join(str(v) for row in conn.execute(text("SELECT * FROM people_changes")) for v in row)
    assert "example.org" not in logged and "Alice" not in logged


def test_an_erasure_removes_every_personal_field_keeps_a_tombstone_and_leaves_the_chain_alone(store):
    store.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    head = store.head()
    add_person(store, "alice", ALICE, actor="clerk", kind="member")
    erased = erase_person(store, "alice", "request ref E-1", actor="dpo")
    assert erased.fields == list(ALICE)
    entry, changes = show_person(store, "alice")
    assert entry.erased and entry.erasure_reason == "request ref E-1" and set(entry.fields.values()) == {None}
    assert display_name(store, "alice") == "erased at the person's request"
    assert [(c.action, c.actor, c.reason) for c in changes][-1] == ("erase", "dpo", "request ref E-1")
    assert store.head() == head and verify(store).intact
    with store.engine.connect() as conn:
        row = " ".join(str(v) for v in conn.execute(text("SELECT * FROM people")).one())
    assert not any(value in row for value in ALICE.values())
    with pytest.raises(ValidationFailed) as caught:
        update_person(store, "alice", {"name": "Alice"}, actor="clerk")
    assert "tombstone" in str(caught.value)
    assert erase_person(store, "alice", "again", actor="dpo").fields == []


def test_a_tombstone_cannot_be_deleted_and_the_change_log_cannot_be_rewritten(store):
    add_person(store, "alice", ALICE, actor="clerk", kind="member")
    for statement in ("DELETE FROM people", "DELETE FROM people_changes", "UPDATE people_changes SET actor = 'x'"):
        with pytest.raises(DBAPIError):
            with store.engine.begin() as conn:
                conn.execute(text(statement))
    with pytest.raises(DBAPIError):  # an erased row cannot hold personal data again, even written around the ledger
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE people SET erased_at = updated_at"))


def test_an_unknown_id_is_not_found(store):
    with pytest.raises(NotFound):
        show_person(store, "nobody")


@pytest.fixture
def pg(backend):
    if backend.name != "postgresql":
        pytest.skip("roles are a PostgreSQL feature; SQLite has file permissions")
    return backend


def _as(pg, role: str) -> EventStore:
    return EventStore(make_engine(pg.url.replace("options=", f"options=-crole%3D{role}%20")))


def test_the_writer_keeps_the_register_but_cannot_delete_from_it(pg):
    writer = _as(pg, "mutual_writer")
    add_person(writer, "alice", ALICE, actor="clerk", kind="member")
    update_person(writer, "alice", {"phone": None}, actor="clerk")
    erase_person(writer, "alice", "request ref E-1", actor="clerk")
    with pytest.raises(DBAPIError) as caught:
        with writer.engine.begin() as conn:
            conn.execute(text("DELETE FROM people"))
    assert "permission denied" in str(caught.value)


def test_the_auditor_sees_that_an_erasure_happened_but_reads_no_personal_data(pg):
    add_person(pg.store(), "alice", ALICE, actor="clerk", kind="member")
    erase_person(pg.store(), "alice", "request ref E-1", actor="dpo")
    add_person(pg.store(), "bob", {"name": "Bob Jones"}, actor="clerk", kind="member")
    auditor = _as(pg, "mutual_auditor")
    with auditor.engine.connect() as conn:
        rows = conn.execute(text("SELECT person_id, erased_at IS NOT NULL FROM people ORDER BY person_id")).all()
        assert [tuple(r) for r in rows] == [("alice", True), ("bob", False)]
        assert conn.execute(text("SELECT count(*) FROM people_changes")).scalar_one() == 3
    for column in ("name", "address", "email", "phone", "sort_code", "account_number", "account_name", "net_salary"):
        with pytest.raises(DBAPIError) as caught:
            with auditor.engine.connect() as conn:
                conn.execute(text(f"SELECT {column} FROM people"))
        assert "permission denied" in str(caught.value)
    with pytest.raises(StoreUnavailable) as refused:
        show_person(auditor, "bob")
    assert "permission denied" in str(refused.value)
    with pytest.raises(StoreUnavailable):
        add_person(auditor, "carol", {"name": "Carol"}, actor="auditor", kind="member")
