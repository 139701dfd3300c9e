"""The audit replay: every co-op's and fund's books folded from the log, one pass per worker process.

Co-ops and funds keep separate books: a co-op's figures come from its own
society, mortgage, dwelling and member streams, a fund's from its society,
account and loan streams, and both from the shared ones (index series,
gifts of points). So the replay portions the co-ops and funds out among worker
processes (one per core by default) and each worker folds its portion from its
own pass over the log: it reads its owners' streams and every shared stream,
and the database skips the streams of owners another worker folds before a
row is decoded. The portions are disjoint, so the books are their union: the
same figures one pass folds (tests hold the two together on both engines).

Who owns a stream is read from the events that say so (`OWNING_EVENTS`,
`SocietyRegistered`, and replacements carried by `EventReversed`). Owners
linked by any of them -- a member admitted to another co-op's dwelling, a
loan drawn on another fund's account, a saver with accounts in two funds, a
stream that names two owners -- are folded together by one worker; a stream that names no owner, or that
carries an event other owners read (`SHARED_TYPES`), is read by every
worker. Reading a stream twice costs time, never correctness: a worker's
books count only the co-ops and funds it was given.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Optional, cast

import orjson

from ledger.periods import STREAM_OWNERS
from ledger.source import ReplaySource
from ledger.store import EventStore, StoredEvent
from ledger.store.engine import make_engine, source_url
from ledger.store.mapper import effective_value
from ledger.store.recorder import FOLD_COLUMNS
from ledger.store.records import FoldedEvent
from projections.books import books

# Streams of these kinds can belong to one co-op or one fund; any other stream is read by every worker.
OWNED_KINDS = ("member", "dwelling", "society", "mortgage", "account", "loan")
# Events on an owned stream that another owner's fold reads (a gift of points names two holders):
# a stream carrying one is read by every worker.
SHARED_TYPES = ("PointsGifted",)
# What an event costs to read and fold, in relative units. Measured at 1M events (issue 15; each share folded alone,
# CPU seconds, twice): 4.7 µs for a co-op's event, 8.1 µs for a fund's (its points and cash flows cost more than
# dues and receipts). The earlier 2 and 5 gave the share with the fund 13% less work than the other.
FOLD_COST = {"coop": 4, "fund": 7}

# The most events a worker folds from one pass over its share, holding them all (about 750 bytes an event: 1.1 GB);
# a bigger share is folded group by group, one query a group, holding one group's events at a time. At 1M events
# one pass was 10% quicker (the streams every group reads are read once, not once a group); at 10M a share held
# whole was 3.7 GB a worker.
HELD_WHOLE = 1_500_000

# The events that say who owns their stream: type -> (owner kind, payload field naming the owner). The same
# events tell a closed period which society an event belongs to (ledger/periods.py); a fund's own society
# stream also says so by its policy and expenses.
OWNING_EVENTS = {
    **{type_: ("coop" if field == "coop_id" else "fund", field) for type_, field in STREAM_OWNERS.values()},
    "FundPolicySet": ("fund", "fund_id"),
    "FundExpense": ("fund", "fund_id"),
}


@dataclass(frozen=True)
class Group:
    """Owners folded together (linked by their events), and the streams their books are folded from: their own and
    every stream no one owns alone (index series, streams with a gift of points)."""

    coops: tuple[str, ...]
    funds: tuple[str, ...]
    reads: frozenset[str]


@dataclass(frozen=True)
class Portion:
    """One worker's part of the replay: the co-ops and funds it folds, the streams it need not read, and the
    streams it does read (None: the whole log, in one position-ordered pass). `groups`: the same, group by group,
    when the portion is too big to hold whole (`HELD_WHOLE`) and the streams every group reads are few enough to
    read once per group (then a worker holds one group's events at a time, not its whole portion's)."""

    coops: tuple[str, ...]
    funds: tuple[str, ...]
    skip: frozenset[str] = field(default_factory=frozenset)
    reads: Optional[frozenset[str]] = None
    groups: tuple[Group, ...] = ()


@dataclass(frozen=True)
class Bounds:
    """The slice of the log the replay folds: up to a position, as known at a recorded time."""

    to_position: int
    as_known_at: Optional[datetime] = None

    def filters(self, **more: Any) -> dict[str, Any]:
        return {"to_position": self.to_position, "recorded_to": self.as_known_at, **more}


class _Groups:
    """Union-find over owners ("coop:<id>", "fund:<id>"): owners whose books must be folded together."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, owner: str) -> str:
        root = owner
        while self.parent.setdefault(root, root) != root:
            root = self.parent[root]
        while owner != root:  # path compression
            self.parent[owner], owner = root, self.parent[owner]
        return root

    def join(self, owners: set[str]) -> None:
        roots = sorted({self.find(o) for o in owners})
        for other in roots[1:]:
            self.parent[other] = roots[0]


def _scan(store: EventStore, bounds: Bounds, type_: str) -> Iterator[StoredEvent]:
    return store.read(type=type_, to_position=bounds.to_position, recorded_to=bounds.as_known_at)


# The events a plan reads, in the order it reads them: who owns each stream, what links owners, what is shared.
PLAN_TYPES = ("SocietyRegistered", *OWNING_EVENTS, "EventReversed", *SHARED_TYPES)
_PLAN_ORDER = {type_: i for i, type_ in enumerate(PLAN_TYPES)}


def plan(store: EventStore, bounds: Bounds, workers: int) -> list[Portion]:
    """Split the co-ops and funds (weighted by the events of the streams they own) among at most `workers` portions.

    The stream lengths (one pass over the (stream, version) index) are counted in a thread while the owning events
    are read by type: both wait on the database, which releases the interpreter while it works."""
    with ThreadPoolExecutor(max_workers=1) as counting:
        lengths = counting.submit(_stream_lengths, store)
        scanned = [(e.stream, type_, e.payload) for type_ in PLAN_TYPES for e in _scan(store, bounds, type_)]
        return plan_of(scanned, lengths.result(), workers)


def _stream_lengths(store: EventStore) -> dict[str, int]:
    with store.recorder.reading() as conn:
        return store.recorder.stream_lengths(conn)


def plan_events(kept: Iterable[tuple[str, str, Any]]) -> list[tuple[str, str, Any]]:
    """(stream, type, payload) of PLAN_TYPES events in log order, put in the order `plan` reads them (by type), so
    that a plan made from them is the one `plan` makes (an audit keeps them on its pass over the log)."""
    return sorted(kept, key=lambda k: _PLAN_ORDER[k[1]])  # (stable: each type stays in log order)


def plan_of(scanned: list[tuple[str, str, Any]], lengths: Mapping[str, int], workers: int) -> list[Portion]:
    """The plan from the PLAN_TYPES events (stream, type, payload; by type, each in log order) and each stream's
    number of events."""
    owners: dict[str, set[str]] = {}  # stream -> the owners its events name
    links: list[set[str]] = []  # owners that must be folded together
    linked_streams: list[tuple[str, str]] = []  # (owner, a stream whose owners must be folded with it)

    def own(stream: str, kind: str, owner: object) -> Optional[str]:
        if not isinstance(owner, str):
            return None
        key = f"{kind}:{owner}"
        owners.setdefault(stream, set()).add(key)
        return key

    def claim(stream: str, type_: str, payload: Mapping[str, Any]) -> None:
        """What an owning event (or a replacement of one) says about its stream and the streams it links."""
        kind, name = OWNING_EVENTS[type_]
        key = own(stream, kind, payload.get(name))
        if key is None:
            return
        if type_ == "MemberAdmitted":  # the member's dwelling is folded with the member
            linked_streams.append((key, f"dwelling-{payload.get('dwelling_id')}"))
        elif type_ == "LoanGranted":  # and a loan with the account it draws on
            linked_streams.append((key, f"account-{payload.get('account_id')}"))
        if type_ in ("SavingsAccountOpened", "LoanGranted") and isinstance(payload.get("holder_id"), str):
            links.append({key, f"holder:{payload['holder_id']}"})  # a holder's points span their funds

    shared: set[str] = set()
    for stream, type_, payload in scanned:
        if not isinstance(payload, dict):
            continue
        if type_ == "SocietyRegistered":
            if payload.get("kind") in ("coop", "fund"):
                own(stream, payload["kind"], payload.get("society_id"))
        elif type_ in OWNING_EVENTS:
            claim(stream, type_, payload)
        elif type_ == "EventReversed":  # a replacement may name another owner
            replacement = payload.get("replacement_type")
            if replacement in OWNING_EVENTS and isinstance(payload.get("replacement_payload"), dict):
                claim(stream, replacement, payload["replacement_payload"])
        if type_ in SHARED_TYPES:
            shared.add(stream)
    shared |= {s for s in owners if s.split("-", 1)[0] not in OWNED_KINDS}

    links += [{key} | owners.get(stream, set()) for key, stream in linked_streams]
    groups = _Groups()
    for named in [*owners.values(), *links]:
        groups.join(named)
    weight: dict[str, int] = {}  # the events a group's own streams hold, by what they cost to fold
    for stream, named in owners.items():
        root = groups.find(min(named))
        cost = max(FOLD_COST[key.split(":", 1)[0]] for key in named)
        weight[root] = weight.get(root, 0) + cost * lengths.get(stream, 0)
    members: dict[str, list[str]] = {}
    for key in sorted({k for named in owners.values() for k in named}):
        members.setdefault(groups.find(key), []).append(key)

    # Heaviest groups first, each to the least loaded worker: deterministic, and roughly even.
    count = max(1, min(workers, len(members)))
    loads = [0] * count
    given: list[list[str]] = [[] for _ in range(count)]
    roots: list[list[str]] = [[] for _ in range(count)]
    for root in sorted(members, key=lambda r: (-weight[r], r)):
        worker = min(range(count), key=lambda w: (loads[w], w))
        given[worker] += members[root]
        loads[worker] += weight[root]
        roots[worker].append(root)
    owned: dict[str, set[str]] = {}  # root -> the streams only its group's owners own
    for stream, named in owners.items():
        if stream not in shared:
            owned.setdefault(groups.find(min(named)), set()).add(stream)
    common = frozenset(lengths).difference(*owned.values())
    common_events = sum(lengths.get(stream, 0) for stream in common)

    worker_of = {key: w for w, keys in enumerate(given) for key in keys}
    stream_worker: dict[str, int] = {}
    for stream, named in owners.items():
        found = {worker_of[key] for key in named}
        if stream not in shared and len(found) == 1:
            stream_worker[stream] = found.pop()
    portions = []
    for w in range(count):
        skip = frozenset(s for s, owner in stream_worker.items() if owner != w)
        by_group: tuple[Group, ...] = ()
        own_events = sum(lengths.get(s, 0) for r in roots[w] for s in owned.get(r, ()))
        if own_events + common_events > HELD_WHOLE and common_events * len(roots[w]) <= own_events // 10:
            by_group = tuple(Group(*_named(members[r]), frozenset(owned.get(r, ())) | common) for r in roots[w])
        portions.append(Portion(*_named(given[w]), skip, frozenset(lengths).difference(skip) if count > 1 else None,
                                by_group))
    return portions


def _named(keys: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The co-ops and the funds among owner keys ("coop:<id>", "fund:<id>")."""
    keys = list(keys)
    return (tuple(sorted(k.split(":", 1)[1] for k in keys if k.startswith("coop:"))),
            tuple(sorted(k.split(":", 1)[1] for k in keys if k.startswith("fund:"))))


def folded_events(store: EventStore, bounds: Bounds, reads: Optional[frozenset[str]] = None,
                  dates: Optional[dict[Any, date]] = None) -> Iterator[FoldedEvent]:
    """The log within `bounds` as the folds read it (records.FoldedEvent): all of it in position order, or only the
    streams in `reads`, stream by stream (each in its own order) straight from the (stream, version) index, which
    costs a worker less than passing over the rows of every other worker's streams (measured at 1M events:
    0.53 s against 0.77 s of SQLite's time for 444k of them).

    A log has far fewer distinct effective dates than events, so each is
    parsed once; `dates` collects them (as stored -> date).
    """
    loads, new, folded = orjson.loads, tuple.__new__, FoldedEvent
    dates = {} if dates is None else dates
    filters = bounds.filters() if reads is None else bounds.filters(streams=reads)
    with store.recorder.reading() as conn:
        for position, stream, type_, schema_version, effective_text, payload in store.recorder.select(
                conn, filters=filters, columns=FOLD_COLUMNS, by_stream=reads is not None):
            effective = dates.get(effective_text)
            if effective is None:
                effective = dates[effective_text] = effective_value(effective_text)
            yield new(folded, (position, stream, type_, schema_version, effective, loads(payload)))


def fold_portion(store: EventStore, bounds: Bounds, portion: Portion, as_of: date) -> dict[str, Any]:
    """One worker's books on `as_of`: its co-ops and funds, folded from one pass over its streams, one group of
    linked owners at a time where the plan made groups (so that a worker holds one group's events, not its share's).
    """
    collecting = gc.isenabled()
    gc.disable()  # a million containers that live until the fold ends: the collector would only rescan them
    try:
        dates: dict[Any, date] = {}
        if portion.groups:
            out: dict[str, Any] = {"coops": {}, "funds": {}}
            for group in portion.groups:
                grouped = cast(Iterator[StoredEvent], folded_events(store, bounds, group.reads, dates))
                part = books(ReplaySource(grouped, bounds.as_known_at), as_of, coops=group.coops, funds=group.funds)
                out["coops"].update(part["coops"])
                out["funds"].update(part["funds"])
            return out
        # A replay folds FoldedEvents, StoredEvents less the store's own fields: a fold reaching for one fails loudly.
        events = cast(Iterator[StoredEvent], folded_events(store, bounds, portion.reads, dates))
        return books(ReplaySource(events, bounds.as_known_at), as_of, coops=portion.coops, funds=portion.funds)
    finally:
        if collecting:
            gc.enable()


_counter: Any = None  # a worker process's share of the progress count (a shared integer), set when it starts


def _join(counter: Any) -> None:
    global _counter
    _counter = counter


def tick(n: int) -> None:
    """Count `n` more things done towards the progress the parent shows (nothing outside a worker process)."""
    if _counter is not None:
        with _counter.get_lock():
            _counter.value += n


def in_workers(work: Callable[..., Any], calls: Sequence[tuple[Any, ...]],
               on_progress: Optional[Callable[[int], None]] = None) -> list[Any]:
    """`work(*call)` for every call, each in a worker process of its own (forked where the system can), in order.

    What the workers count with `tick` is handed to `on_progress` as it grows. If a worker fails, its error is
    raised once the others have finished."""
    context = _context()
    if context.get_start_method() == "fork":
        _return_freed_memory()
    counter = context.Value("q", 0)
    told = 0
    with ProcessPoolExecutor(max_workers=len(calls), mp_context=context, initializer=_join,
                             initargs=(counter,)) as pool:
        futures = [pool.submit(work, *call) for call in calls]
        waiting: set[Future[Any]] = set(futures)
        while waiting:  # (a failed worker ends nothing early: the others run on, and their progress is told)
            _, waiting = wait(waiting, timeout=0.25)
            if on_progress is not None and counter.value != told:
                on_progress(counter.value - told)
                told = counter.value
        failures = [e for e in map(Future.exception, futures) if e is not None]
        if failures:
            raise failures[0]
        return [f.result() for f in futures]


def _fold_in_worker(url: str, bounds: Bounds, portion: Portion, as_of: date) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        return fold_portion(EventStore(engine), bounds, portion, as_of)
    finally:
        engine.dispose()
        tick(1)


def last_effective_date(store: EventStore, bounds: Bounds) -> Optional[date]:
    """The latest effective date in the log within `bounds` (an audit's default as-of date); None if empty."""
    with store.recorder.reading() as conn:
        return store.recorder.last_effective_date(conn, bounds.filters())


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _return_freed_memory() -> None:
    """Hand the heap this process has freed back to the system before it forks the workers.

    A process that has just handled a million events can keep gigabytes of
    freed heap (measured: 4.2 GB resident after generating and importing a
    million, 0.12 GB once trimmed); glibc returns it only when asked. Forked
    workers would map all of it and take a copy-on-write fault for each page
    of it they reuse: the first replay in that process ran 30% slower.
    Elsewhere than glibc there is nothing to ask, and nothing is done.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return
    trim(0)


@dataclass(frozen=True)
class Replayed:
    books: dict[str, Any]
    portions: int
    as_of: Optional[date]  # the date the books are on (None: no event to date them by, and no books)


def replay_books(store: EventStore, bounds: Bounds, as_of: Optional[date] = None,
                 workers: Optional[int] = None, portions: Optional[list[Portion]] = None,
                 on_progress: Optional[Callable[[int], None]] = None) -> Replayed:
    """Every co-op's and fund's books on `as_of`, folded from the log within `bounds`.

    With no `as_of`, the books are on the latest effective date in `bounds` (a checkpoint's default), asked of the
    database while the plan is made: with the date known, each worker folds one group of linked owners at a time.
    (The workers once found the date as they read, holding their whole share of the log until the last row: at 10M
    events 4 GB a worker and 15 s of the kernel's time handing them memory, against a 2 s query beside the plan.)
    An empty log has no date: its books are empty. `portions`: a plan made already (an audit makes it on its pass
    over the log); `on_progress` is told of each portion folded.
    """
    with ThreadPoolExecutor(max_workers=1) as dating:
        latest = dating.submit(last_effective_date, store, bounds) if as_of is None else None
        portions = portions if portions is not None else plan(store, bounds, workers or default_workers())
        as_of = as_of if latest is None else latest.result()
    merged: dict[str, Any] = {"coops": {}, "funds": {}}
    if as_of is None:  # no dated event within bounds: the log is empty there, and so are its books
        return Replayed(merged, len(portions), None)
    if len(portions) == 1:
        parts = [fold_portion(store, bounds, portions[0], as_of)]
        if on_progress is not None:
            on_progress(1)
    else:
        url = source_url(store.engine)
        parts = in_workers(_fold_in_worker, [(url, bounds, portion, as_of) for portion in portions], on_progress)
    for part in parts:
        for kind in merged:
            merged[kind].update(part[kind])
    return Replayed({kind: dict(sorted(found.items())) for kind, found in merged.items()}, len(portions), as_of)
