"""A server's books read into memory when it starts, co-op by co-op, so its first pages are as quick as its later
ones (SharedBooks keeps what pages read; this reads ahead what they will).

Each co-op's society, members and dwellings are read in one query, until the window holds nine tenths of what it
may (`SharedBooks.EVENTS`); the rest is read as pages ask for it. Run in a thread of its own: a page asked for
meanwhile reads what it needs itself.
"""

from __future__ import annotations

import logging
import time

from ledger import streams
from ledger.coop.member import admission_of
from ledger.events.coop import MemberAdmitted, SocietyRegistered
from ledger.store import EventStore
from projections.documents.statement import StatementBooks

log = logging.getLogger("mutual.warm")


def warm_books(store: EventStore) -> int:
    """Read the books as they stand into the server's shared window; how many events it then holds."""
    started = time.perf_counter()
    books = StatementBooks.open(store, None, shared=True)
    source, window = books.source, books.source.window
    assert window is not None
    members: dict[str, list[str]] = {}
    for e in source.of_type(MemberAdmitted.event_type):
        adm = admission_of([e])
        if adm is not None:
            members.setdefault(adm.coop_id, []).extend((streams.member(adm.member_id),
                                                        streams.dwelling(adm.dwelling_id)))
    for e in source.of_type(SocietyRegistered.event_type):
        society = e.payload.get("society_id")
        if window.held >= window.limit * 9 // 10:
            break
        if society:
            source.prefetch([streams.society(society), *members.get(society, [])])
    log.info("books read ahead: %d events in %.1f s", window.held, time.perf_counter() - started)
    return window.held
