"""Commands on the register of people: add, update, show, erase (docs/people.md).

Nothing here touches the events: the register lives beside the chain, keyed by the ledger's ids. An id is
looked up in the books to know what it is: a member id (a `member-<id>` stream) is a member, a society's id (a
`society-<id>` stream: a CLT, a co-op, the fund) is that society's contact. A person the books do not know yet
(someone about to be admitted, the contact of a society about to be registered) is added only with an explicit
kind, so that a mistyped id is refused rather than filed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ledger import streams
from ledger.errors import FieldError, NotFound, ValidationFailed
from ledger.people.register import (
    FIELDS,
    KINDS,
    Change,
    Kind,
    Person,
    bank_details_errors,
    checked,
    id_error,
    reason_error,
)
from ledger.source import StoreSource
from ledger.store import EventStore
from ledger.store.people import Register


def kinds_in_the_books(store: EventStore, person_id: str) -> list[Kind]:
    """What the books know the id as: a member (its stream), the contact of a society (its stream), or both."""
    source = StoreSource(store)
    found: list[Kind] = []
    if source.stream(streams.member(person_id)):
        found.append("member")
    if source.stream(streams.society(person_id)):
        found.append("contact")
    return found


def _check_id(person_id: str) -> None:
    error = id_error(person_id)
    if error is not None:
        raise ValidationFailed([error])


def _check_kind(kind: str | None) -> Kind | None:
    if kind is not None and kind not in KINDS:
        raise ValidationFailed([FieldError("kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")])
    return kind


def _entry(register: Register, person_id: str, kind: Kind | None) -> Person:
    """The one entry an id names (its kind needed only when a member and a society share the id)."""
    found = register.find(person_id, kind)
    if not found:
        of = f" as a {kind}" if kind else ""
        raise NotFound(f"id: {person_id} is not in the register of people{of} (`mutual person add`)")
    if len(found) > 1:
        raise ValidationFailed([FieldError("kind", f"{person_id} is in the register as a member and as a contact: "
                                                   "give --kind member or --kind contact")])
    return found[0]


@dataclass(frozen=True)
class Changed:
    person: Person
    fields: list[str]


def add_person(store: EventStore, person_id: str, fields: Mapping[str, str | None], *, actor: str,
               kind: str | None = None) -> Changed:
    """Add a member or a contact to the register (what `member admit` may call with the salary it was given)."""
    _check_id(person_id)
    wanted = _check_kind(kind)
    clean = {f: v for f, v in checked(fields).items() if v is not None}
    errors = bank_details_errors(clean)
    if errors:
        raise ValidationFailed(errors)
    known = kinds_in_the_books(store, person_id)
    if wanted is None:
        if not known:
            raise ValidationFailed([FieldError("id", f"{person_id} is not in the books (no member-{person_id} or "
                                                     f"society-{person_id} stream): give --kind member or --kind "
                                                     "contact to add a person the books do not know yet")])
        if len(known) > 1:
            raise ValidationFailed([FieldError("kind", f"{person_id} is a member and a society in the books: give "
                                                       "--kind member or --kind contact")])
        wanted = known[0]
    elif known and wanted not in known:
        raise ValidationFailed([FieldError("kind", f"{person_id} is a {' and a '.join(known)} in the books, "
                                                   f"not a {wanted}")])
    register = Register(store.engine)
    if register.find(person_id, wanted):
        raise ValidationFailed([FieldError("id", f"{person_id} is already in the register as a {wanted}: use "
                                                 "`mutual person update`")])
    at = store.clock()
    register.add(person_id, wanted, clean, actor=actor, at=at)
    return Changed(_entry(register, person_id, wanted), sorted(clean, key=FIELDS.index))


def update_person(store: EventStore, person_id: str, fields: Mapping[str, str | None], *, actor: str,
                  kind: str | None = None) -> Changed:
    """Change some fields of an entry (None clears one); an erased entry cannot be filled again."""
    _check_id(person_id)
    register = Register(store.engine)
    entry = _entry(register, person_id, _check_kind(kind))
    if not fields:
        raise ValidationFailed([FieldError("fields", "nothing to change: give at least one field, e.g. --email")])
    clean = checked(fields)
    if entry.erased:
        assert entry.erased_at is not None
        raise ValidationFailed([FieldError("id", f"{person_id} was erased on {entry.erased_at.date().isoformat()} "
                                                 "at the person's request: nothing can be added to a tombstone")])
    errors = bank_details_errors({**entry.fields, **clean})
    if errors:
        raise ValidationFailed(errors)
    changed = {f: v for f, v in clean.items() if entry.fields.get(f) != v}
    if changed:
        register.update(person_id, entry.kind, changed, actor=actor, at=store.clock())
    return Changed(_entry(register, person_id, entry.kind), sorted(changed, key=FIELDS.index))


def erase_person(store: EventStore, person_id: str, reason: str, *, actor: str, kind: str | None = None) -> Changed:
    """Erase every personal field (UK GDPR art. 17), keep the tombstone, log who and when (never what)."""
    _check_id(person_id)
    error = reason_error(reason)
    if error is not None:
        raise ValidationFailed([error])
    register = Register(store.engine)
    entry = _entry(register, person_id, _check_kind(kind))
    if entry.erased:
        return Changed(entry, [])  # erased already: nothing left to erase, and nothing is logged twice
    if entry.kind == "member":
        _erase_bank_details(store, person_id)  # (first: a failure after it leaves the entry to erase again)
    held = register.erase(person_id, entry.kind, reason, actor=actor, at=store.clock())
    return Changed(_entry(register, person_id, entry.kind), held)


def _erase_bank_details(store: EventStore, member_id: str) -> None:
    """The payers' names and account numbers of the bank lines matched to the member, and the names learned for
    them (ledger/bank/personal.py): personal data of the member's that the bank's tables hold."""
    from ledger.bank import personal

    lines = [e.payload["line_id"] for e in store.read(type="BankLineMatched")
             if e.payload.get("member_id") == member_id]
    with store.writers_lock(), store.recorder.writing() as conn:
        personal.erase_member(conn, member_id, lines)


def show_person(store: EventStore, person_id: str, kind: str | None = None) -> tuple[Person, list[Change]]:
    """An entry and its change log."""
    _check_id(person_id)
    register = Register(store.engine)
    entry = _entry(register, person_id, _check_kind(kind))
    return entry, [c for c in register.changes(person_id) if c.kind == entry.kind]


def display_name(store: EventStore, person_id: str, kind: Kind = "member") -> str:
    """What a statement or a letter calls an id: the name, "erased at the person's request", or the id itself."""
    found = Register(store.engine).find(person_id, kind)
    return found[0].display_name if found else person_id


__all__ = ["Changed", "add_person", "display_name", "erase_person", "kinds_in_the_books", "show_person",
           "update_person"]
