"""The audit: is the log intact, does every event follow its schema, and do the books follow from it?

An auditor's question is "do the books follow from the log, and is the log
the one we signed?". `run_audit` answers it in four phases, each timed
(`timings`, seconds) and each with its own progress count:

1. `verify`: one walk over the log, shared out among worker processes by
   position range (ledger/store/verify.py: check_range, stitch). Each row's
   chain is checked (position, prev_hash, stream version, recorded time,
   hash); each event as known at the audit's time is checked against its
   type's schema as an import checks a line, and its stored text held to
   what the import would write (so an import of the log would re-seal every
   event to its hash); the events are counted by type, and the events that
   say who owns each stream kept for the replay's plan. The walks are joined
   at the ranges' edges. A broken chain is walked once more by `verify`
   alone, which says exactly where and why.
2. `replay`: every co-op's and fund's books folded from the log, the co-ops
   and funds shared out among worker processes (projections/replay.py) by the
   plan the first phase's events give.
3. `checkpoints`: every checkpoint's books folded again up to its position.
4. `live`: the same figures through the live read side (per-stream queries on
   the real database, a co-op's streams read in one query), co-op by co-op,
   shared out among the same workers; every figure on which the two differ is
   a discrepancy.

Until issue 15 the second check was a re-import of the whole log into a
scratch SQLite store (440 s of a 658 s audit at 10M events), folded from
there; what that re-import checked that the chain's walk did not (each
event's schema, its canonical text, a recorded time not in the future) is
now checked on the walk's own rows, without writing them anywhere.

The live read side of this ledger is its per-stream projections (there are no
separately stored read-model tables to drift), so phase 4 compares the query
path auditors and staff use with an independent rebuild.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from datetime import date, datetime
from typing import Any, Optional

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger import streams
from ledger.canonical import GENESIS_HASH
from ledger.clock import format_recorded_at
from ledger.coop.member import admission_of
from ledger.errors import FieldError, ValidationFailed
from ledger.events.coop import MemberAdmitted
from ledger.source import Window
from ledger.store import EventStore
from ledger.store.checkpoints import Checkpoint, record_checkpoint
from ledger.store.checkpoints import checkpoints as checkpoints_of
from ledger.store.digests import WitnessLine, check_witness
from ledger.store.digests import positions as digest_positions
from ledger.store.engine import make_engine, source_url
from ledger.store.verify import RangeCheck, VerifyReport, check_range, stitch, verify
from projections.books import books
from projections.replay import (
    PLAN_TYPES,
    Bounds,
    Portion,
    default_workers,
    in_workers,
    plan,
    plan_events,
    plan_of,
    tick,
)
from projections.replay import replay_books as replay_books_of
from projections.view import LedgerView

MIN_RANGE = 20_000  # positions a walker of the log is given at least (fewer: fewer walkers; one walks in-process)
MAX_SCHEMA_ERRORS = 20  # events that fail their schema named in the report (as many as an import names)


def _differences(live: Any, replay: Any, path: str = "") -> list[dict[str, Any]]:
    if isinstance(live, dict) and isinstance(replay, dict):
        out = []
        for key in sorted(set(live) | set(replay)):
            out += _differences(live.get(key), replay.get(key), f"{path}.{key}" if path else key)
        return out
    if str(live) != str(replay):
        return [{"figure": path, "live": live, "replay": replay}]
    return []


class _Phases:
    """Each phase's wall-clock seconds, and its progress reported under its own name (one bar per phase)."""

    def __init__(self, on_progress: Optional[Callable[[str, int], None]]) -> None:
        self.on_progress = on_progress or (lambda stage, n: None)
        self.seconds: dict[str, float] = {}
        self.name = ""
        self.started = 0.0

    def start(self, name: str) -> Callable[[int], None]:
        self.stop()
        self.name, self.started = name, time.perf_counter()
        return lambda n: self.on_progress(name, n)

    def stop(self) -> None:
        if self.name:
            self.seconds[self.name] = round(time.perf_counter() - self.started, 3)
            self.name = ""


def run_audit(store: EventStore, *, as_known_at: Optional[datetime] = None, as_of: Optional[date] = None,
              on_progress: Optional[Callable[[str, int], None]] = None,
              workers: Optional[int] = None, witness: Optional[list[WitnessLine]] = None,
              public_key: Optional[Ed25519PublicKey] = None) -> dict[str, Any]:
    """Verify, check and replay the log and report; `discrepancies` is empty when the books follow from an intact log.

    `workers`: processes each phase shares its work among (default one per core; projections/replay.py).
    `witness`: the lines of a witness file, each a digest signed with the society's key, whose public key is
    `public_key`: every one must still hold on the log as stored (ledger/store/digests.py), whatever
    `as_known_at` says. `timings` in the report: each phase's seconds (`verify`, `replay`, `checkpoints`, `live`).
    """

    if witness is not None and public_key is None:
        raise ValidationFailed([FieldError("public_key", "is required with a witness: the society's public key "
                                                         "its digests are signed with")], where="audit")
    phases = _Phases(on_progress)
    count = workers or default_workers()
    discrepancies: list[dict[str, Any]] = []

    # 1. verify: the chain, every event's schema, the tally and the plan's events, on one walk over the log
    progress = phases.start("verify")
    taken = checkpoints_of(store, recorded_to=as_known_at)  # every one: a forged last one must not hide the rest
    head = store.head()
    known_to = head.position if as_known_at is None else store.head(as_known_at).position
    signed = digest_positions(witness) if witness else set()
    at_checkpoints = {c.position for c in taken if not c.malformed}
    walked = walk(store, head.position, known_to, signed | at_checkpoints, count, progress)
    tally = _Tally(walked, at_checkpoints)
    intact = stitch(walked)
    if intact:
        hashes = {p: h for r in walked for p, h in (r.hashes or {}).items() if p in signed}
        if 0 in signed:
            hashes[0] = GENESIS_HASH
        last_hash = next((r.last_hash for r in reversed(walked) if r.rows), GENESIS_HASH)
        chain = VerifyReport(True, head.position, head.position, last_hash, hashes=hashes if signed else None)
    else:  # where and why, exactly as `mutual verify` says it
        chain = verify(store, up_to=head.position or None, on_progress=progress, collect=signed)
        discrepancies.append({"figure": "chain", "live": f"broken at position {chain.first_bad_position}",
                              "replay": chain.problem})
    if witness is not None and public_key is not None:
        discrepancies += check_witness(witness, public_key, chain.head_position, chain.first_bad_position,
                                       chain.hashes or {})
    refused = tally.refused(store.clock()) if intact else []
    if refused:
        discrepancies.append({"figure": "rebuild", "live": "the log as stored", "replay": str(ValidationFailed(
            refused, where="the log does not re-import (its events are not as an import writes them)"))})
    sound = intact and not refused  # the books are folded only from a log that is intact and re-imports
    as_of = as_of or tally.last_date or date.today()
    bounds = Bounds(tally.head[0] if sound else 0, as_known_at)
    portions = plan_of(plan_events(tally.kept), tally.lengths, count) if sound else None

    # 2. replay
    progress = phases.start("replay")
    replay_books = replay_books_of(store, bounds, as_of, count, portions, progress).books

    # 3. checkpoints
    progress = phases.start("checkpoints")
    folded: dict[tuple[int, date], dict[str, Any]] = {}  # checkpoints of one position and date fold once
    for checkpoint in taken:
        discrepancies += check_checkpoint(checkpoint, tally.hashes_at.get(checkpoint.position),
                                          store if sound else None, workers, folded)
        progress(1)

    # 4. live: the read side staff use, co-op by co-op
    progress = phases.start("live")
    shares = portions if portions is not None else plan(store, Bounds(tally.head[0], as_known_at), count)
    live_books = live_books_of(store, Bounds(tally.head[0], as_known_at), as_of, shares, progress)
    discrepancies += _differences(live_books, replay_books)
    phases.stop()
    return {
        "as_of": as_of,
        "as_known_at": as_known_at,
        "events": tally.count,
        "events_by_type": dict(sorted(tally.by_type.items())),
        "chain": {"intact": chain.intact, "head_position": tally.head[0], "head_hash": tally.head[1]},
        "totals": replay_books,
        "checkpoint": taken[-1].to_json() if taken else None,
        "checkpoints": [c.to_json() for c in taken],
        "witness": None if witness is None else {"digests": len(witness)},
        "discrepancies": discrepancies,
        "timings": phases.seconds,
    }


def walk(store: EventStore, last: int, known_to: int, collect: Collection[int], workers: int,
         on_progress: Callable[[int], None]) -> list[RangeCheck]:
    """The log's positions 1..`last` walked once (check_range), in ranges of about equal length, one per worker."""
    if last <= 0:
        return []
    count = max(1, min(workers, last // MIN_RANGE))
    edges = [last * i // count for i in range(count + 1)]
    ranges = [(edges[i] + 1, edges[i + 1]) for i in range(count)]
    wanted = sorted(collect)
    if count == 1:
        return [check_range(store, 1, last, known_to=known_to, collect=wanted, keep_types=PLAN_TYPES,
                            on_rows=on_progress)]
    url = source_url(store.engine)
    return list(in_workers(_walk_in_worker, [(url, first, end, known_to, [p for p in wanted if first <= p <= end])
                                             for first, end in ranges], on_progress))


def _walk_in_worker(url: str, first: int, last: int, known_to: int, collect: list[int]) -> RangeCheck:
    engine = make_engine(url)
    try:
        return check_range(EventStore(engine), first, last, known_to=known_to, collect=collect,
                           keep_types=PLAN_TYPES, on_rows=tick)
    finally:
        engine.dispose()


class _Tally:
    """The log as known at the audit's time, from the walks: counted by type, its head and last date, its streams'
    lengths, the plan's events, the hash at each checkpoint's position, and the events that do not re-import."""

    def __init__(self, walked: list[RangeCheck], checkpoint_positions: set[int]) -> None:
        self.by_type: dict[str, int] = {}
        self.lengths: dict[str, int] = {}
        self.kept: list[tuple[str, str, Any]] = []
        self.count = 0
        self.head = (0, GENESIS_HASH)
        self.recorded = ""
        self.last_date: Optional[date] = None
        self.schema_errors: list[FieldError] = []
        self.hashes_at: dict[int, str] = {0: GENESIS_HASH} if 0 in checkpoint_positions else {}
        for r in walked:
            self.count += r.known
            for type_, n in (r.by_type or {}).items():
                self.by_type[type_] = self.by_type.get(type_, 0) + n
            for stream, n in (r.lengths or {}).items():
                self.lengths[stream] = self.lengths.get(stream, 0) + n
            self.kept += r.kept or []
            if r.known:
                self.head, self.recorded = r.known_head, r.known_recorded
            if r.last_date is not None and (self.last_date is None or r.last_date > self.last_date):
                self.last_date = r.last_date
            self.schema_errors += r.schema_errors or []
            self.hashes_at.update({p: h for p, h in (r.hashes or {}).items()
                                   if p in checkpoint_positions and p <= r.known_head[0]})

    def refused(self, now: datetime) -> list[FieldError]:
        """What an import of the log as known would refuse: events not as an import writes them, and a recorded
        time in the future of the store's clock (recorded times never run backwards, so the last is the latest)."""
        errors = self.schema_errors[:MAX_SCHEMA_ERRORS]
        if self.recorded and self.recorded > format_recorded_at(now) and len(errors) < MAX_SCHEMA_ERRORS:
            errors.append(FieldError(f"position {self.head[0]}: recorded_at", "is in the future of the store's clock"))
        return errors


def live_books_of(store: EventStore, bounds: Bounds, as_of: date, shares: list[Portion],
                  on_progress: Callable[[int], None]) -> dict[str, Any]:
    """The books through the live read side (the per-stream queries staff use), each share's co-ops and funds in a
    worker process of its own (one share: in this process)."""
    if len(shares) == 1:
        parts = [_live_share(store, bounds, as_of, shares[0].coops, shares[0].funds, on_progress)]
    else:
        url = source_url(store.engine)
        parts = in_workers(_live_in_worker, [(url, bounds, as_of, s.coops, s.funds) for s in shares], on_progress)
    merged: dict[str, Any] = {"coops": {}, "funds": {}}
    for part in parts:
        for kind in merged:
            merged[kind].update(part[kind])
    return {kind: dict(sorted(found.items())) for kind, found in merged.items()}


def _live_in_worker(url: str, bounds: Bounds, as_of: date, coops: tuple[str, ...],
                    funds: tuple[str, ...]) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        return _live_share(EventStore(engine), bounds, as_of, coops, funds, tick)
    finally:
        engine.dispose()


def _live_share(store: EventStore, bounds: Bounds, as_of: date, coops: tuple[str, ...], funds: tuple[str, ...],
                on_progress: Callable[[int], None]) -> dict[str, Any]:
    """Co-op by co-op, each from a source of its own whose streams (its society, members and dwellings) are read in
    one query and let go when its books are done; the type scans they all ask for are read once and kept."""
    window = Window(limit=1 << 62)  # let go of by hand, co-op by co-op
    out: dict[str, Any] = {"coops": {}, "funds": {}}
    members: Optional[dict[str, list[str]]] = None
    for coop in coops:
        view = LedgerView(store, bounds.as_known_at, window=window, to_position=bounds.to_position)
        if members is None:
            members = {}
            for e in view.of_type(MemberAdmitted.event_type):
                adm = admission_of([e])
                if adm is not None:
                    members.setdefault(adm.coop_id, []).extend((streams.member(adm.member_id),
                                                                streams.dwelling(adm.dwelling_id)))
        own = [streams.society(coop), *members.get(coop, [])]
        view.prefetch(own)
        for name in own:  # taken as read: a fold asking for a member's events up to a date gets them all, as a
            view.stream(name)  # replay does (its folds take what is effective), rather than reading them again
        out["coops"].update(books(view, as_of, coops=[coop], funds=[])["coops"])
        for held in (window.raw, window.streams, window.typed):
            held.clear()
        on_progress(1)
    if funds:
        view = LedgerView(store, bounds.as_known_at, window=window, to_position=bounds.to_position)
        out["funds"].update(books(view, as_of, coops=[], funds=funds)["funds"])
        on_progress(len(funds))
    return out


def check_checkpoint(checkpoint: Checkpoint, hash_at_position: Optional[str], log: Optional[EventStore],
                     workers: Optional[int] = None,
                     folded: Optional[dict[tuple[int, date], dict[str, Any]]] = None) -> list[dict[str, Any]]:
    """Every figure of a checkpoint the log no longer gives ("live" is the checkpoint's figure).

    `hash_at_position` is the hash the log as read has at the checkpoint's
    position (None: no such position); `log` is the store the checkpoint's
    books are replayed from (None when the chain is broken or the log does not
    re-import: then only the position and hash are checked). A malformed
    checkpoint is one discrepancy saying why. `folded` keeps the books
    replayed for each position and date, for the next checkpoint of the same.
    """

    name = f"checkpoint {checkpoint.checkpoint_id}"
    if checkpoint.malformed:
        return [{"figure": name, "live": f"taken {checkpoint.recorded_at or '?'} by {checkpoint.actor}",
                 "replay": f"malformed: {checkpoint.malformed}"}]
    position = checkpoint.position
    at = hash_at_position
    if at != checkpoint.head_hash:
        found = "no such position in the log" if at is None else f"hash {at}"
        return [{"figure": f"{name}: position {position}", "live": f"hash {checkpoint.head_hash}",
                 "replay": found}]
    if log is None:
        return []
    as_of = checkpoint.as_of
    assert as_of is not None, "a checkpoint without its date is malformed (ledger/store/checkpoints.py)"
    folded = {} if folded is None else folded
    key = (position, as_of)
    if key not in folded:
        folded[key] = replay_books_of(log, Bounds(position), as_of, workers).books
    return [dict(d, figure=f"{name} (position {position}, as of {as_of.isoformat()}): {d['figure']}")
            for d in _differences(checkpoint.books, folded[key])]


def take_checkpoint(store: EventStore, *, actor: str, as_of: Optional[date] = None,
                    workers: Optional[int] = None) -> Checkpoint:
    """Fold the books at the head of an intact log (on `as_of`, default its last date) and keep them."""

    chain = verify(store)
    if not chain.intact:
        raise ValidationFailed([FieldError("log", f"is broken at position {chain.first_bad_position}: "
                                                  f"{chain.problem}; no checkpoint is taken of a broken log")])
    bounds = Bounds(chain.head_position)
    replayed = replay_books_of(store, bounds, as_of, workers)
    return record_checkpoint(store, position=chain.head_position, head_hash=chain.head_hash,
                             as_of=replayed.as_of or store.clock().date(), books=replayed.books, actor=actor)
