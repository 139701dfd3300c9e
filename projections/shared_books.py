"""What a server's pages read and folded, kept for the next page of exactly the same books (ledger and chain head).

A server answers many pages from the same books: a co-op's streams, a member's positions at month ends, a page's
figures. `SharedBooks` keeps them, bounded, keyed by the chain head, so nothing kept can be stale (docs/web.md,
"What a server keeps in memory, and its speed"). `StatementBooks.open(..., shared=True)` is its one user.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ledger.source import Window
from ledger.store import EventStore, StoredEvent
from ledger.store.engine import source_url
from projections.coop import fresh_folds
from projections.head import ChainHead

WORKERS_ENV = "MUTUAL_SERVE_WORKERS"  # how many server processes share the machine (set by `mutual serve --workers`)


def events_to_hold(memory: int | None = None, workers: int | None = None) -> int:
    """How many events a server process keeps by default: an eighth of the machine's memory shared among the
    server's processes, at about 1,100 bytes an event, between 50,000 and 2,000,000 a process."""
    if workers is None:
        workers = int(os.environ.get(WORKERS_ENV) or 1)
    if memory is None:
        try:
            memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return 250_000
    return max(50_000, min(2_000_000, memory // 8 // max(workers, 1) // 1100))


class SharedBooks:
    """What a server's pages read and folded from exactly the same books (ledger and chain head), kept for the next
    page of the same books: the streams read (a `Window` of at most EVENTS events) and the members' positions and
    books (at most KEPT each) and pages' figures (at most ANSWERS) folded. Only HEADS books are kept, the ledger's
    latest head always among them, so memory stays bounded (about a kilobyte an event: docs/web.md). Nothing kept
    can be stale: a new head (an append) gets new folds, and the streams of the last head carried over, less those
    the appended events touch."""

    HEADS = 3
    KEPT = 20_000  # members' positions (by date), members' books
    ANSWERS = 1_000  # pages' figures (a member page's about 30 KB): a page asked at many dates cannot fill memory
    EVENTS = int(os.environ.get("MUTUAL_WEB_EVENTS_HELD") or 0) or events_to_hold()
    CARRY_MOST = 5_000  # more events appended since the last head than this: start afresh

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_books: OrderedDict[tuple[Any, ...], tuple[dict[str, dict[Any, Any]], Window]] = OrderedDict()

    def of(self, books: tuple[Any, ...], appended: Callable[[int], list[StoredEvent]] | None = None
           ) -> tuple[dict[str, dict[Any, Any]], Window]:
        """The folds and window of `books` ((ledger, head position, head hash, recorded time)). New books take the
        window of the latest earlier head of the same ledger, carried over: `appended(position)` gives the events
        from that position (its head's own event) up to these books' head."""
        with self.lock:
            found = self.by_books.get(books)
            if found is not None and not self._full(found[0]):
                self.by_books.move_to_end(books)
                return found
            earlier = self._earlier(books) if found is None else None
        window = found[1] if found is not None else self._carried(books, earlier, appended)
        with self.lock:
            found = self.by_books.get(books)
            if found is None or self._full(found[0]):
                found = self.by_books[books] = (fresh_folds(), found[1] if found is not None else window)
            self.by_books.move_to_end(books)
            while len(self.by_books) > self.HEADS:
                self._let_go()
            return found

    def _full(self, folds: dict[str, dict[Any, Any]]) -> bool:
        return len(folds["_answers"]) > self.ANSWERS or any(len(kept) > self.KEPT for kept in folds.values())

    def _let_go(self) -> None:
        """Let the least recently used books go, but never a ledger's latest head (the books every live page
        reads): pages as known at earlier times cannot push them out."""
        latest: dict[str, tuple[int, tuple[Any, ...]]] = {}
        for key in self.by_books:
            if key[1] > latest.get(key[0], (-1,))[0]:
                latest[key[0]] = (key[1], key)
        keep = {key for _, key in latest.values()}
        for key in self.by_books:
            if key not in keep:
                del self.by_books[key]
                return
        self.by_books.popitem(last=False)

    def _earlier(self, books: tuple[Any, ...]) -> tuple[int, str, Window] | None:
        kept = [(key[1], key[2], window) for key, (_, window) in self.by_books.items()
                if key[0] == books[0] and 0 < key[1] < books[1]]
        return max(kept, key=lambda kept: kept[0]) if kept else None

    def _carried(self, books: tuple[Any, ...], earlier: tuple[int, str, Window] | None,
                 appended: Callable[[int], list[StoredEvent]] | None) -> Window:
        """The earlier window carried over, if its head is in these books' chain: the event at its head's position
        must be sealed with its head's hash (a ledger restored or replaced at the same address is another chain)."""
        if earlier is None or appended is None or books[1] - earlier[0] > self.CARRY_MOST:
            return Window(self.EVENTS)
        position, hash_, window = earlier
        events = appended(position)  # from the earlier head itself, to these books' head
        if not events or events[0].position != position or events[0].hash != hash_:
            return Window(self.EVENTS)
        return window.carried(events[1:]) or Window(self.EVENTS)


SHARED_BOOKS = SharedBooks()


def books_key(store: EventStore, head: ChainHead) -> tuple[Any, ...]:
    """What names a set of books exactly: the ledger and its chain head. Books are read up to their head's position
    and no further, so books as known at any time at or after the head's recorded time are these same books."""
    return source_url(store.engine), head.position, head.hash
