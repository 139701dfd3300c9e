"""The register of people (names, addresses, bank details), outside the hash chain: docs/people.md."""

from ledger.people.register import ERASED, FIELDS, KINDS, Change, Kind, Person, checked

__all__ = ["ERASED", "FIELDS", "KINDS", "Change", "Kind", "Person", "checked"]
