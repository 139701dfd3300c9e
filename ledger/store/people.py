"""The register of people's tables (migration 0007_people): read, add, change and erase, each with its log row.

The one mutable table of the ledger, and never part of the chain (ledger/people/register.py says why). Every
change and the row of `people_changes` that logs it are written in one transaction: a change is logged or not
made. No row of `people` is ever deleted; an erasure clears every personal field and keeps the tombstone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from ledger.clock import UTC
from ledger.errors import StoreUnavailable
from ledger.people.register import FIELDS, Change, Kind, Person
from ledger.store.engine import WRITE

_metadata = MetaData()

people = Table(
    "people", _metadata,
    Column("person_id", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    *(Column(name, Text) for name in FIELDS),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True)),
    Column("erasure_reason", Text),
)

people_changes = Table(
    "people_changes", _metadata,
    Column("change_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("person_id", String(64), nullable=False),
    Column("fields", Text, nullable=False),
    Column("reason", Text),
)


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive times: they were written in UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _person(row: Any) -> Person:
    m = row._mapping
    created, updated = _utc(m["created_at"]), _utc(m["updated_at"])
    assert created is not None and updated is not None
    return Person(m["person_id"], m["kind"], {f: m[f] for f in FIELDS}, created, updated, _utc(m["erased_at"]),
                  m["erasure_reason"])


def _change(row: Any) -> Change:
    m = row._mapping
    at = _utc(m["at"])
    assert at is not None
    return Change(m["change_id"], at, m["actor"], m["action"], m["kind"], m["person_id"],
                  tuple(f for f in m["fields"].split(",") if f), m["reason"])


def _refused(exc: DBAPIError) -> StoreUnavailable:
    message = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    hint = (" (the register is kept by the writer role; the auditor reads no personal data)"
            if "permission denied" in message else
            " (has `mutual init` been run on this database, since this version?)" if "people" in message else "")
    return StoreUnavailable(f"register of people: the database refused: {message}{hint}; nothing was changed")


class Register:
    """The register of people in one ledger's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- reading ---------------------------------------------------------------------------------
    def find(self, person_id: str, kind: Kind | None = None) -> list[Person]:
        """The entries for an id (of one kind, or of every kind: a member and a society may share an id)."""
        query = select(people).where(people.c.person_id == person_id)
        if kind is not None:
            query = query.where(people.c.kind == kind)
        try:
            with self.engine.connect() as conn:
                return [_person(r) for r in conn.execute(query.order_by(people.c.kind))]
        except DBAPIError as exc:
            raise _refused(exc) from None

    def changes(self, person_id: str | None = None) -> list[Change]:
        """The register's change log (of one id, or all), oldest first: who changed which fields, and when."""
        query = select(people_changes)
        if person_id is not None:
            query = query.where(people_changes.c.person_id == person_id)
        try:
            with self.engine.connect() as conn:
                return [_change(r) for r in conn.execute(query.order_by(people_changes.c.change_id))]
        except DBAPIError as exc:
            raise _refused(exc) from None

    # -- writing ---------------------------------------------------------------------------------
    def _write(self, work: Any) -> Any:
        try:
            with self.engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
                return work(conn)
        except DBAPIError as exc:
            raise _refused(exc) from None

    @staticmethod
    def _log(conn: Connection, at: datetime, actor: str, action: str, kind: Kind, person_id: str,
             fields: list[str], reason: str | None = None) -> None:
        conn.execute(insert(people_changes).values(at=at, actor=actor, action=action, kind=kind,
                                                   person_id=person_id, fields=",".join(fields), reason=reason))

    def add(self, person_id: str, kind: Kind, fields: Mapping[str, str | None], *, actor: str,
            at: datetime) -> None:
        given = {f: v for f, v in fields.items() if v is not None}

        def work(conn: Connection) -> None:
            conn.execute(insert(people).values(person_id=person_id, kind=kind, created_at=at, updated_at=at,
                                               **given))
            self._log(conn, at, actor, "add", kind, person_id, sorted(given, key=FIELDS.index))
        self._write(work)

    def update(self, person_id: str, kind: Kind, fields: Mapping[str, str | None], *, actor: str,
               at: datetime) -> None:
        def work(conn: Connection) -> None:
            conn.execute(update(people).where(people.c.person_id == person_id, people.c.kind == kind,
                                              people.c.erased_at.is_(None)).values(updated_at=at, **fields))
            self._log(conn, at, actor, "update", kind, person_id, sorted(fields, key=FIELDS.index))
        self._write(work)

    def erase(self, person_id: str, kind: Kind, reason: str, *, actor: str, at: datetime) -> list[str]:
        """Clear every personal field; the tombstone keeps the id, the kind, when and why. Returns the fields
        that held something (the log names them, never their values)."""
        def work(conn: Connection) -> list[str]:
            row = conn.execute(select(people).where(people.c.person_id == person_id, people.c.kind == kind)).one()
            held = [f for f in FIELDS if row._mapping[f] is not None]
            conn.execute(update(people).where(people.c.person_id == person_id, people.c.kind == kind).values(
                updated_at=at, erased_at=at, erasure_reason=reason, **dict.fromkeys(FIELDS)))
            self._log(conn, at, actor, "erase", kind, person_id, held, reason)
            return held
        found: list[str] = self._write(work)
        return found
