"""The audit replay: rebuild every projection from the log and compare with the live read side.

An auditor's question is "do the books follow from the log, and is the log
the one we signed?". The replay answers it in four steps:

1. verify the chain in place (positions, stream versions, every hash);
2. copy the log, as known at the audit time, into a scratch SQLite store by
   importing its envelopes *with their hashes*: the scratch store re-seals
   every event itself and refuses any line whose hash it cannot reproduce;
3. fold every projection from the scratch copy: one pass per worker process,
   the co-ops shared out among them (projections/replay.py);
4. compute the same figures through the live read side (per-stream queries
   on the real database) and list every figure on which the two differ.

The live read side of this ledger is its per-stream projections (there are no
separately stored read-model tables to drift), so step 4 compares the query
path auditors and staff use with an independent one-pass rebuild.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator, Optional

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.errors import FieldError, LedgerError, NotFound, ValidationFailed
from ledger.store import EventStore, StoredEvent, migrate
from ledger.store.checkpoints import Checkpoint, checkpoints as checkpoints_of, record_checkpoint
from ledger.store.digests import WitnessLine, check_witness, positions as digest_positions
from ledger.store.engine import make_engine
from ledger.canonical import GENESIS_HASH
from ledger.store.mapper import to_envelope
from ledger.store.verify import verify
from projections.view import LedgerView


def societies(view: LedgerView) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"clt": [], "coop": [], "fund": []}
    for event in view.of_type("SocietyRegistered"):
        found[event.payload["kind"]].append(event.payload["society_id"])
    for event in view.of_type("FundPolicySet"):  # a fund's books may begin with its policy
        found["fund"].append(event.payload["fund_id"])
    return {kind: sorted(set(ids)) for kind, ids in found.items()}


def books(view: LedgerView, as_of: date, *, coops: Optional[Iterable[str]] = None,
          funds: Optional[Iterable[str]] = None) -> dict[str, Any]:
    """The totals an auditor checks: per co-op debt, reserve, members, units; per fund savings, points, loans.

    `coops` and `funds` restrict the books to those societies (a replay worker's share); None means all.
    """
    from projections.equity import coop_show, dwelling_show
    from projections.fund import FundIndex as JakIndex, fund, holder

    named = societies(view)
    wanted_coops = named["coop"] if coops is None else sorted(set(coops) & set(named["coop"]))
    wanted_funds = named["fund"] if funds is None else sorted(set(funds) & set(named["fund"]))
    coops_books: dict[str, Any] = {}
    for coop in wanted_coops:
        try:
            shown = coop_show(view, coop, as_of)
        except NotFound:
            continue  # registered after as_of
        units = {"clt": Decimal(0), "member": Decimal(0), "financed": Decimal(0), "total": Decimal(0)}
        for dwelling in shown.get("dwellings", []):
            try:
                held = dwelling_show(view, dwelling, as_of)["units"]
            except NotFound:
                continue
            for holder_name in units:
                units[holder_name] += Decimal(held[holder_name])
        coops_books[coop] = {"debt": shown["debt"], "reserve": shown["reserve"], "members": shown["member_count"],
                             "units": {k: str(v) for k, v in units.items()}}
    funds_books: dict[str, Any] = {}
    if not wanted_funds:
        return {"coops": coops_books, "funds": funds_books}
    reader = view
    index = JakIndex(reader)
    for fund_id in wanted_funds:
        try:
            shown = fund(reader, fund_id, as_of)
        except NotFound:
            continue
        holders = sorted({index.accounts[a]["holder_id"] for a in index.fund_accounts(fund_id)})
        points = Decimal(0)
        for holder_id in holders:
            try:
                points += holder(reader, holder_id, as_of).points  # the shown figure, as `savings show` prints it
            except NotFound:
                continue
        funds_books[fund_id] = {key: shown[key] for key in ("savings", "share_capital", "fees", "loans_outstanding",
                                                        "expenses", "liquidity", "locked_after_savings")}
        funds_books[fund_id]["points"] = str(points)
        funds_books[fund_id]["loans_active"] = shown["loans_active"]
    return {"coops": coops_books, "funds": funds_books}


def _differences(live: Any, replay: Any, path: str = "") -> list[dict[str, Any]]:
    if isinstance(live, dict) and isinstance(replay, dict):
        out = []
        for key in sorted(set(live) | set(replay)):
            out += _differences(live.get(key), replay.get(key), f"{path}.{key}" if path else key)
        return out
    if str(live) != str(replay):
        return [{"figure": path, "live": live, "replay": replay}]
    return []


def run_audit(store: EventStore, *, as_known_at: Optional[datetime] = None, as_of: Optional[date] = None,
              on_progress: Optional[Callable[[str, int], None]] = None,
              workers: Optional[int] = None, witness: Optional[list[WitnessLine]] = None,
              public_key: Optional[Ed25519PublicKey] = None) -> dict[str, Any]:
    """Replay the log and report; `discrepancies` is empty when the books follow from an intact log.

    `workers`: processes the replay folds in (default one per core; projections/replay.py). `witness`: the
    lines of a witness file, each a digest signed with the society's key, whose public key is `public_key`:
    every one must still hold on the log as stored (ledger/store/digests.py), whatever `as_known_at` says.
    """
    from projections.replay import Bounds, replay_books as replay_books_of

    progress = on_progress or (lambda stage, n: None)
    discrepancies: list[dict[str, Any]] = []
    chain = verify(store, on_progress=lambda n: progress("verify", n),
                   collect=digest_positions(witness) if witness else ())
    if not chain.intact:
        discrepancies.append({"figure": "chain", "live": f"broken at position {chain.first_bad_position}",
                              "replay": chain.problem})
    if witness is not None:
        discrepancies += check_witness(witness, public_key, chain.head_position, chain.first_bad_position,
                                       chain.hashes or {})
    taken = checkpoints_of(store, recorded_to=as_known_at)  # every one: a forged last one must not hide the rest
    tally = _Tally(store.read(recorded_to=as_known_at), {c.position for c in taken if not c.malformed})

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{os.path.join(folder, 'replay.db')}")
        migrate.upgrade(engine)
        scratch = EventStore(engine)
        try:
            if chain.intact:  # the log streams through: read, counted and re-sealed a chunk at a time
                scratch.import_lines(tally.envelopes(), on_progress=lambda n: progress("rebuild", n))
            tally.finish()
            replayed_head = scratch.head()
            if chain.intact and (replayed_head.position, replayed_head.hash) != tally.head:
                discrepancies.append({"figure": "head", "live": f"{tally.head[0]} {tally.head[1]}",
                                      "replay": f"{replayed_head.position} {replayed_head.hash}"})
        except LedgerError as exc:
            tally.finish()
            discrepancies.append({"figure": "rebuild", "live": "the log as stored", "replay": str(exc)})
        head = tally.head
        as_of = as_of or tally.last_date or date.today()
        replayed_to = scratch.head().position
        replay_books = replay_books_of(scratch, Bounds(replayed_to, as_known_at), as_of, workers).books
        folded: dict[tuple[int, date], dict[str, Any]] = {}  # checkpoints of one position and date fold once
        for checkpoint in taken:
            discrepancies += check_checkpoint(checkpoint, tally.hashes_at.get(checkpoint.position),
                                              scratch if chain.intact else None, workers, folded)
        engine.dispose()
    live_books = books(LedgerView(store, as_known_at), as_of)
    discrepancies += _differences(live_books, replay_books)
    return {
        "as_of": as_of,
        "as_known_at": as_known_at,
        "events": tally.count,
        "events_by_type": dict(sorted(tally.by_type.items())),
        "chain": {"intact": chain.intact, "head_position": head[0], "head_hash": head[1]},
        "totals": replay_books,
        "checkpoint": taken[-1].to_json() if taken else None,
        "checkpoints": [c.to_json() for c in taken],
        "witness": None if witness is None else {"digests": len(witness)},
        "discrepancies": discrepancies,
    }


class _Tally:
    """One pass over the log as read: counted by type, its head and last date noted, and the hash found at each
    checkpoint's position; `envelopes()` hands the events on for re-sealing as they go by."""

    def __init__(self, events: Iterator[StoredEvent], checkpoint_positions: set[int]) -> None:
        self.events = events
        self.checkpoint_positions = checkpoint_positions
        self.by_type: dict[str, int] = {}
        self.count = 0
        self.head = (0, GENESIS_HASH)
        self.last_date: Optional[date] = None
        self.hashes_at: dict[int, str] = {0: GENESIS_HASH} if 0 in checkpoint_positions else {}

    def envelopes(self) -> Iterator[bytes]:
        by_type, dumps, positions = self.by_type, orjson.dumps, self.checkpoint_positions
        for e in self.events:
            by_type[e.type] = by_type.get(e.type, 0) + 1
            self.count += 1
            self.head = (e.position, e.hash)
            if self.last_date is None or e.effective_date > self.last_date:
                self.last_date = e.effective_date
            if e.position in positions:
                self.hashes_at[e.position] = e.hash
            yield dumps(to_envelope(e))

    def finish(self) -> None:
        """Count whatever the re-sealing did not take (it stops at a refused line; a broken chain takes none)."""
        for _ in self.envelopes():
            pass


def check_checkpoint(checkpoint: Checkpoint, hash_at_position: Optional[str], scratch: Optional[EventStore],
                     workers: Optional[int] = None,
                     folded: Optional[dict[tuple[int, date], dict[str, Any]]] = None) -> list[dict[str, Any]]:
    """Every figure of a checkpoint the log no longer gives ("live" is the checkpoint's figure).

    `hash_at_position` is the hash the log as read has at the checkpoint's
    position (None: no such position); `scratch` is the log's verified copy,
    which the checkpoint's books are replayed from (None when the chain is
    broken: then only the position and hash are checked). A malformed
    checkpoint is one discrepancy saying why. `folded` keeps the books
    replayed for each position and date, for the next checkpoint of the same.
    """
    from projections.replay import Bounds, replay_books as replay_books_of

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
    if scratch is None:
        return []
    folded = {} if folded is None else folded
    key = (position, checkpoint.as_of)
    if key not in folded:
        folded[key] = replay_books_of(scratch, Bounds(position), checkpoint.as_of, workers).books
    return [dict(d, figure=f"{name} (position {position}, as of {checkpoint.as_of.isoformat()}): {d['figure']}")
            for d in _differences(checkpoint.books, folded[key])]


def take_checkpoint(store: EventStore, *, actor: str, as_of: Optional[date] = None,
                    workers: Optional[int] = None) -> Checkpoint:
    """Fold the books at the head of an intact log (on `as_of`, default its last date) and keep them."""
    from projections.replay import Bounds, replay_books as replay_books_of

    chain = verify(store)
    if not chain.intact:
        raise ValidationFailed([FieldError("log", f"is broken at position {chain.first_bad_position}: "
                                                  f"{chain.problem}; no checkpoint is taken of a broken log")])
    bounds = Bounds(chain.head_position)
    replayed = replay_books_of(store, bounds, as_of, workers)
    return record_checkpoint(store, position=chain.head_position, head_hash=chain.head_hash,
                             as_of=replayed.as_of or store.clock().date(), books=replayed.books, actor=actor)
