"""The savings-and-loans fund's commands: check the rules against the books, then append (all or nothing).

Every handler reads the streams it needs from the store (as known now),
folds them with ledger/fund/, refuses with `ValidationFailed` naming
the field and the reason, and otherwise appends to one stream at the
version it read (a concurrent writer gets a ConcurrencyConflict, never a
lost update). Each command's checks are small named functions returning
the reason they refuse (a FieldError) or None, run in order by
`_first_refusal`. The contract arithmetic is ledger/rules/loans.py's
`quote`; the liquidity rule is ledger/rules/fund.py's `funding_refusal`,
called by every command that takes money out of the fund (`_fundable`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from pydantic import ValidationError

from ledger import streams
from ledger.calendar import months_between
from ledger.canonical import canonical_json
from ledger.commands.consistency import checks_again
from ledger.errors import FieldError, NotFound, ValidationFailed
from ledger.events import EventPayload
from ledger.events.base import field_errors
from ledger.events.fund import (
    FeeCharged,
    FundExpense,
    FundPolicySet,
    InstalmentReceived,
    LoanDisbursed,
    LoanGranted,
    LoanWrittenOff,
    PointsGifted,
    SavingsAccountOpened,
    SavingsDeposited,
    SavingsWithdrawn,
    ShareDepositBought,
    ShareDepositReleased,
)
from ledger.folded import Event
from ledger.fund.account import account_state
from ledger.fund.books import FundBooks
from ledger.fund.common import money
from ledger.fund.flows import lowest_position_from
from ledger.fund.loan import LoanState, after_savings_by_account, grant_of, loan_state
from ledger.fund.policy import REPORT_POLICY, Policy, policies, policy_at
from ledger.fund.reading import FundIndex, read_holder, read_releases

if TYPE_CHECKING:
    from ledger.source import EventSource as Reader
from ledger.fund.typed import (
    DISBURSED,
    GRANTED,
    RECEIVED,
    WRITTEN_OFF,
    Opened,
    account_opened,
    instalment_received,
    loan_granted,
    loan_written_off,
    points_gifted,
)
from ledger.money import ZERO, money_text
from ledger.periods import ADVICE_FUND, PeriodGuard, adjustment_metadata
from ledger.rules.fund import funding_refusal
from ledger.rules.loans import LoanContract, LoanPolicy, consumption, quote
from ledger.rules.points import to_points
from ledger.source import StoreSource
from ledger.store import EventStore, NewEvent, StoredEvent
from ledger.store.envelope import model_fact_key
from ledger.store.mapper import FACT_KEY_PREFIX, current_payload, fact_key
from ledger.store.records import AppendResult, FoldedEvent, Head

ONE_DAY = timedelta(days=1)


class StoreReader(StoreSource):
    """The fund's commands read the books as known now (ledger/source.py), noting the head before they read."""

    def __init__(self, store: EventStore) -> None:
        super().__init__(store)
        self.head = store.head().position  # before anything is read: an append is refused if the log moves on

    def version(self, stream: str) -> int:
        return len(self.raw(stream))  # the recorded version: versions run 1..n without gaps

    def raw(self, stream: str) -> list[StoredEvent]:
        """A stream's events as recorded (reversed ones too), with their idempotency keys."""
        return self._raw_stream(stream)


class Replayed(NamedTuple):
    """What a command returns when the log holds its fact already: nothing written (an AppendResult's fields)."""

    positions: list[int]
    written: int
    head: Head
    key: str


# What a command returns: what it appended, or (a retry) the event the log already held.
Written = AppendResult | Replayed
HolderKind = Literal["member", "coop"]

def _same_event(payload: EventPayload, on: date) -> Callable[[Any], bool]:
    """Whether a recorded event is this one: its type, effective date and canonical payload."""
    text = canonical_json(payload.to_json())
    return lambda e: (e.type == payload.event_type and e.effective_date == on
                      and canonical_json(current_payload(e)) == text)


def _replay(store: EventStore, reader: StoreReader, stream: str, key: str, same: Callable[[Any], bool], where: str,
            legacy_prefix: str | None = None, fixed: bool = False) -> Replayed | None:
    """The command's event if the log holds it already, before any rule is checked (a retry is a replay, not a
    refusal): under its key, or, for a derived key, the same fact under a key derived before facts were
    (`legacy_prefix`: `deposit:<account>:`, ..., which counted the stream's versions). A key already used for
    another fact is refused; a `fixed` key (one per loan or account: `grant:<loan>`, ...) leaves that to the
    command's own checks, which say why (the loan is already in the books, ...)."""
    raw = reader.raw(stream)
    reversed_positions = _reversed(raw)
    key = _unspent(raw, key, reversed_positions)
    for e in raw:
        if e.idempotency_key == key:
            if same(e):
                return Replayed([e.position], 0, store.head(), key)
            if fixed:
                return None
            raise _refuse("key", f"{key!r} was already used at position {e.position} for a different {e.type}", where)
    if legacy_prefix is not None and key.startswith(FACT_KEY_PREFIX):
        for e in raw:  # (one reversed is no retry's: the fact entered again is new)
            if e.idempotency_key.startswith(legacy_prefix) and same(e) and e.position not in reversed_positions:
                return Replayed([e.position], 0, store.head(), e.idempotency_key)
    return None


def _reversed(raw: Sequence[StoredEvent]) -> set[int]:
    """The positions a stream's corrections reversed."""
    return {e.payload["position"] for e in raw if e.type == "EventReversed"}


def _unspent(raw: Sequence[StoredEvent], key: str, reversed_positions: set[int] | None = None) -> str:
    """The key a command's event goes in under: its own, or, when the event that holds it was reversed
    (`mutual correct`), `<key>:again-2`, `-3`, ...: the same fact entered again after its reversal is a new event
    (it was once taken for a retry of the reversed one and silently not recorded, or, under a key fixed for the
    loan, refused as another fact)."""
    if reversed_positions is None:
        reversed_positions = _reversed(raw)
    held = {e.idempotency_key for e in raw if e.position in reversed_positions}
    live, n = key, 1
    while live in held:
        n += 1
        live = f"{key}:again-{n}"
    return live


def _refuse(field: str, reason: str, where: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, reason)], where=f"{where} refused, nothing written")


@contextmanager
def _schema(where: str) -> Iterator[None]:
    """An event built from a command's arguments that its schema refuses: the fields named, nothing written."""
    try:
        yield
    except ValidationError as exc:
        raise ValidationFailed([FieldError(e.field.lstrip("."), e.reason) for e in field_errors(exc, prefix="")],
                               where=f"{where} refused, nothing written") from None


def _append(store: EventStore, stream: str, events: list[NewEvent], reader: StoreReader, actor: str) -> AppendResult:
    raw = reader.raw(stream)
    events = [NewEvent(e.payload, e.effective_date, _unspent(raw, e.idempotency_key)) for e in events]
    metadata = {"actor": actor, **adjustment_metadata()}
    _check_closed(stream, events, reader, metadata)
    return store.append(stream, events, expected_version=reader.version(stream), metadata=metadata,
                        expected_head=reader.head)


def _check_closed(stream: str, events: list[NewEvent], reader: StoreReader, metadata: dict[str, Any]) -> None:
    """No event dated inside a closed period of its fund, unless a prior-period adjustment (ledger/periods.py).

    An event belongs to its fund: the fund's own stream, its loan's or account's fund; a points gift to every
    fund its giver saves in.
    """
    guard = PeriodGuard(reader.stream, ADVICE_FUND)
    for event in events:
        payload = event.payload.model_dump(mode="json")
        extra = []
        kind, sid = streams.kind_and_id(stream)
        if kind == "member":
            index = FundIndex(reader)
            extra = [index.opened[a].fund_id for a in index.holder_accounts(sid)]
        problem = guard.error(stream, payload, event.effective_date, metadata, extra)
        if problem is not None:
            raise _refuse(problem.field, problem.reason, f"{event.payload.event_type} on {stream}")


# A command's checks: small named functions, each returning the reason it refuses (a FieldError) or None. A
# command lists them in order and is refused, nothing written, by the first that finds an error.
Check = Callable[[], FieldError | None]


def _first_refusal(where: str, *checks: Check) -> None:
    for check in checks:
        error = check()
        if error is not None:
            raise _refuse(error.field, error.reason, where)


def _fundable(reader: StoreReader, fund: str, on: date, amount: Decimal, *, to: str,
              without_loan: str | None = None) -> FieldError | None:
    """The fund's liquidity rule (ledger.rules.fund.funding_refusal) at the fund's lowest from `on` on, the
    flows of `without_loan` (the loan being paid out) left out."""
    flows = FundBooks(reader, fund).flows()
    if without_loan is not None:
        own = {e.position for e in reader.stream(streams.loan(without_loan))}
        flows = [f for f in flows if f.position not in own]
    return funding_refusal(lowest_position_from(flows, on), amount, to=to, since=on)


def _lendable(reader: StoreReader, fund: str, on: date, amount: Decimal) -> FieldError | None:
    """A new loan is held to the fund's liquidity less what the loans granted and not yet paid out will take (the
    forecast counts them as paid out: two grants once promised more than the fund held, and the second was only
    refused at its payout)."""
    promised: dict[str, Decimal] = {}
    for loan in FundIndex(reader).fund_loans(fund):
        facts = reader.stream(streams.loan(loan))
        if not any(e.type in (DISBURSED, WRITTEN_OFF) for e in facts):
            granted = grant_of(facts)
            if granted is not None:
                promised[loan] = loan_granted(granted).principal
    if not promised:
        return _fundable(reader, fund, on, amount, to="lend")
    total = sum(promised.values(), ZERO)
    position = lowest_position_from(FundBooks(reader, fund).flows(), on)
    if position.liquidity - total - amount < 0:
        return FieldError("amount", f"the fund has {position.liquidity} to lend from {on}, of which {total} is "
                                    f"promised to loans granted and not yet paid out ({', '.join(sorted(promised))}): "
                                    f"{position.liquidity - total} is less than the {amount} asked for")
    return _fundable(reader, fund, on, amount, to="lend")


def _text(value: Decimal) -> str:
    return money_text(value)


def _points_text(value: Decimal) -> str:
    text = format(to_points(Fraction(value)).normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


# --- policy ---------------------------------------------------------------------------------------


@checks_again
def set_policy(store: EventStore, fund: str, *, on: date, actor: str, setup_fee: Decimal = Decimal("0.035"),
               annual_fee: Decimal = Decimal("0.01"), share_deposit: Decimal = Decimal("0.06"),
               minimum_presaving_months: int = 0, maximum_loan_multiple: Decimal | None = None,
               kinds: tuple[tuple[str, Decimal, int], ...] = (("jak", Decimal(1), 0),),
               key: str | None = None) -> Written:
    """Record the fund's product policy from `on` (a factor change applies from `on`)."""
    reader = StoreReader(store)
    with _schema("fund policy"):  # (validated whole, so that a bad kind is named by its place: account_kinds.N)
        payload = FundPolicySet.model_validate(dict(
            fund_id=fund, setup_fee=str(setup_fee), annual_fee=str(annual_fee), share_deposit=str(share_deposit),
            minimum_presaving_months=minimum_presaving_months,
            maximum_loan_multiple=None if maximum_loan_multiple is None else str(maximum_loan_multiple),
            account_kinds=[{"kind": k, "factor": str(f), "notice_days": n} for k, f, n in kinds]))
    stream = streams.society(fund)
    key = key or model_fact_key(stream, payload, on)
    done = _replay(store, reader, stream, key, _same_event(payload, on), "fund policy",
                   f"policy:{fund}:{on.isoformat()}:")
    if done is not None:
        return done
    _first_refusal("fund policy", lambda: _not_another_society(reader, fund))
    return _append(store, stream, [NewEvent(payload, on, key)], reader, actor)


def _not_another_society(reader: StoreReader, fund: str) -> FieldError | None:
    """A fund's policy on a society registered as a co-op or a CLT would make it a fund, savers and all."""
    registered = next((e for e in reader.stream(streams.society(fund)) if e.type == "SocietyRegistered"), None)
    kind = registered.payload.get("kind") if registered is not None else None
    if kind is not None and kind != "fund":
        return FieldError("fund", f"{fund} is registered as a {kind}, not a fund")
    return None


@checks_again
def record_expense(store: EventStore, fund: str, amount: Decimal, *, on: date, purpose: str, actor: str,
                   key: str | None = None) -> Written:
    """A fund expense: refused if it would take the fund's liquidity below zero on any date from `on`."""
    reader = StoreReader(store)
    stream = streams.society(fund)
    with _schema("expense"):
        payload = FundExpense(fund_id=fund, amount=_text(amount), purpose=purpose)
    key = key or model_fact_key(stream, payload, on)
    done = _replay(store, reader, stream, key, _same_event(payload, on), "expense", f"expense:{fund}:")
    if done is not None:
        return done
    _first_refusal("expense", lambda: _fundable(reader, fund, on, amount, to="pay out"))
    return _append(store, stream, [NewEvent(payload, on, key)], reader, actor)


def _policy_in_force(reader: StoreReader, fund: str, on: date) -> Policy | None:
    return policy_at(policies(reader.stream(streams.society(fund))), on)


def _has_policy(policy: Policy | None, fund: str, on: date, field: str) -> FieldError | None:
    if policy is None:
        return FieldError(field, f"fund {fund} has no product policy in force on {on}")
    return None


# --- accounts --------------------------------------------------------------------------------------


def _not_open(reader: StoreReader, account: str) -> FieldError | None:
    if reader.stream(streams.account(account)):
        return FieldError("account", f"{account} is already open")
    return None


def _kind_offered(policy: Policy | None, fund: str, kind: str, on: date) -> FieldError | None:
    if policy is not None and kind not in policy.kinds:
        offered = ", ".join(sorted(policy.kinds))
        return FieldError("kind", f"{kind} is not an account kind of fund {fund} on {on} (offered: {offered})")
    return None


def _same_holder_kind(reader: StoreReader, holder: str, holder_kind: str) -> FieldError | None:
    other = FundIndex(reader).holder_kind(holder)
    if other is not None and other != holder_kind:
        return FieldError("holder_kind", f"{holder} already holds accounts as a {other}")
    return None


@checks_again
def open_account(store: EventStore, account: str, *, fund: str, holder: str, holder_kind: HolderKind, kind: str,
                 on: date, actor: str) -> Written:
    where = f"opening account {account}"
    reader = StoreReader(store)
    stream = streams.account(account)
    with _schema(where):
        payload = SavingsAccountOpened(account_id=account, fund_id=fund, holder_id=holder, holder_kind=holder_kind,
                                       kind=kind)
    done = _replay(store, reader, stream, f"open:{account}", _same_event(payload, on), where, fixed=True)
    if done is not None:
        return done
    policy = _policy_in_force(reader, fund, on)
    _first_refusal(where,
                   lambda: _not_open(reader, account),
                   lambda: _has_policy(policy, fund, on, "fund"),
                   lambda: _kind_offered(policy, fund, kind, on),
                   lambda: _same_holder_kind(reader, holder, holder_kind))
    return _append(store, stream, [NewEvent(payload, on, f"open:{account}")], reader, actor)


def _account_open_on(facts: Sequence[Event], account: str, on: date) -> FieldError | None:
    if not facts:
        return FieldError("account", f"no savings account {account} in the books")
    opened = facts[0]
    if on < opened.effective_date:
        return FieldError("on", f"account {account} was opened on {opened.effective_date}, after {on}")
    return None


def _account(reader: StoreReader, account: str, on: date, where: str) -> tuple[list[StoredEvent], Opened]:
    """The account's stream and its opening, refused unless it is open on `on`."""
    facts = reader.stream(streams.account(account))
    _first_refusal(where, lambda: _account_open_on(facts, account, on))
    return facts, account_opened(facts[0])


def _loan_exists(reader: StoreReader, loan: str | None, field: str) -> FieldError | None:
    if loan is not None and not reader.stream(streams.loan(loan)):
        return FieldError(field, f"no loan {loan} in the books")
    return None


@checks_again
def deposit(store: EventStore, account: str, amount: Decimal, *, on: date, actor: str, key: str | None = None,
            after_saving_for_loan: str | None = None, reference: str | None = None) -> Written:
    """A deposit; without `key`, the deposit is known by its account, date, amount and `reference` (docs/events.md
    "Idempotency"): entered again, it is already recorded."""
    reader = StoreReader(store)
    where = f"deposit into {account}"
    stream = streams.account(account)
    with _schema(where):
        payload = SavingsDeposited(account_id=account, amount=_text(amount),
                                   after_saving_for_loan=after_saving_for_loan, reference=reference)
    key = key or model_fact_key(stream, payload, on)
    done = _replay(store, reader, stream, key, _same_event(payload, on), where, f"deposit:{account}:")
    if done is not None:
        return done
    _account(reader, account, on, where)
    _first_refusal(where, lambda: _loan_exists(reader, after_saving_for_loan, "after_saving_for_loan"))
    return _append(store, stream, [NewEvent(payload, on, key)], reader, actor)


def _within_free_balance(reader: StoreReader, account: str, facts: list[StoredEvent], holder: str, amount: Decimal,
                         on: date) -> FieldError | None:
    """Never beyond the free balance on `on` or on any later date a known event takes effect (locked after-savings
    never count). Releases are a fold: with this withdrawal the holder's points fall from `on`, so a later release
    may come later."""
    paid = _after_savings_paid(reader, account)
    days = sorted({on} | {f.effective_date for f in facts if f.effective_date > on} | {d for d, _, _ in paid if d > on})
    asked = FoldedEvent(1 << 62, streams.account(account), SavingsWithdrawn.event_type, SavingsWithdrawn.schema_version,
                        on, {"account_id": account, "amount": str(amount)})
    released = read_releases(reader, holder, days[-1], accounts={account: [*facts, asked]})
    lowest = min(account_state(facts, d, paid, released).free_balance for d in days)
    if amount > lowest:
        locked = account_state(facts, on, paid, released).locked_balance
        extra = f" (after-savings of {locked} are locked until their loans are repaid)" if locked else ""
        return FieldError("amount", f"{amount} is more than the free balance of {lowest}{extra}")
    return None


def _notice_given(policy: Policy | None, kind_name: str, on: date,
                  notice_given_on: date | None) -> FieldError | None:
    """A kind with notice days needs the notice given at least that many days before `on`."""
    kind = policy.kinds.get(kind_name) if policy else None
    if kind is None or kind.notice_days <= 0:
        return None
    if notice_given_on is None:
        return FieldError("notice_given_on",
                          f"is required: a {kind.kind} account needs {kind.notice_days} days' notice")
    if (on - notice_given_on).days < kind.notice_days:
        return FieldError("notice_given_on", f"notice given on {notice_given_on} is less than the {kind.notice_days} "
                                             f"days a {kind.kind} account needs before {on}")
    return None


@checks_again
def withdraw(store: EventStore, account: str, amount: Decimal, *, on: date, actor: str,
             notice_given_on: date | None = None, key: str | None = None, reference: str | None = None) -> Written:
    """Refused beyond the free balance (locked after-savings never count), the kind's notice, or the fund's liquidity.
    Without `key`, known by its account, date, amount, notice and `reference`: entered again, already recorded."""
    reader = StoreReader(store)
    where = f"withdrawal from {account}"
    stream = streams.account(account)
    with _schema(where):
        payload = SavingsWithdrawn(account_id=account, amount=_text(amount), reference=reference,
                                   notice_given_on=notice_given_on.isoformat() if notice_given_on else None)
    key = key or model_fact_key(stream, payload, on)
    done = _replay(store, reader, stream, key, _same_event(payload, on), where, f"withdraw:{account}:")
    if done is not None:
        return done
    facts, opened = _account(reader, account, on, where)
    policy = _policy_in_force(reader, opened.fund_id, on)
    _first_refusal(where,
                   lambda: _within_free_balance(reader, account, facts, opened.holder_id, amount, on),
                   lambda: _notice_given(policy, opened.kind, on, notice_given_on),
                   lambda: _fundable(reader, opened.fund_id, on, amount, to="pay out"))
    return _append(store, stream, [NewEvent(payload, on, key)], reader, actor)


def _after_savings_paid(reader: StoreReader, account: str) -> list[tuple[date, str, Decimal]]:
    """The after-savings paid with instalments into `account` (the loans that name it)."""
    index = FundIndex(reader)
    named = {x: reader.stream(streams.loan(x)) for x, g in index.granted.items() if g.account_id == account}
    return after_savings_by_account(named).get(account, [])


# --- points ----------------------------------------------------------------------------------------


def _points_shape(points: Decimal) -> FieldError | None:
    if points <= 0 or points != points.quantize(Decimal("0.0001")):
        return FieldError("points", "must be more than zero with at most 4 decimal places")
    return None


def _not_to_themselves(giver: str, receiver: str) -> FieldError | None:
    if giver == receiver:
        return FieldError("to_member_id", "a member cannot give points to themselves")
    return None


def _a_member(index: FundIndex, field: str, who: str) -> FieldError | None:
    kind = index.holder_kind(who)
    if kind is None:
        return FieldError(field, f"{who} holds no savings account in the fund")
    if kind != "member":
        return FieldError(field, f"{who} is a co-op: points may only pass between members")
    return None


def _points_held(reader: StoreReader, index: FundIndex, giver: str, points: Decimal, on: date) -> FieldError | None:
    """The gift is within the points the giver holds, less those promised to their running loans, at the end of
    its day and of every later day on which they gave points or were granted a loan: each of those was checked
    against points this gift takes back (a backdated gift once gave the same points twice). Points not promised
    only grow between such days, so the gift is checked where it could bite, whatever order the facts came in."""
    later = {g.effective_date for g in index.holder_gifts(giver)
             if points_gifted(g).giver == giver and g.effective_date > on}
    grants = (grant_of(reader.stream(streams.loan(x))) for x in index.holder_loans(giver))
    later |= {g.effective_date for g in grants if g is not None and g.effective_date > on}
    for day in sorted({on, *later}):
        held = read_holder(reader, giver, day, index).points_exact
        promised = promised_points(reader, index, giver, day)
        if Fraction(points) > held - promised:
            mine = f", {to_points(promised)} more promised to their running loans" if promised else ""
            after = "" if day == on else f" (a gift or loan of theirs on {day} was checked against them)"
            return FieldError("points", f"{points} is more than the {to_points(held - promised)} points {giver} "
                                        f"holds on {day}{mine}{after}")
    return None


@checks_again
def gift_points(store: EventStore, giver: str, receiver: str, points: Decimal, *, on: date, actor: str,
                key: str | None = None) -> Written:
    """Members only, never more than the giver holds at the end of `on`."""
    reader = StoreReader(store)
    where = f"points gift from {giver}"
    _first_refusal(where, lambda: _points_shape(points), lambda: _not_to_themselves(giver, receiver))
    stream = streams.member(giver)
    with _schema(where):
        payload = PointsGifted(from_member_id=giver, to_member_id=receiver, points=_points_text(points))
    key = key or model_fact_key(stream, payload, on)
    done = _replay(store, reader, stream, key, _same_event(payload, on), where, f"gift:{giver}:")
    if done is not None:
        return done
    index = FundIndex(reader)
    _first_refusal(where,
                   lambda: _a_member(index, "from_member_id", giver),
                   lambda: _a_member(index, "to_member_id", receiver),
                   lambda: _points_held(reader, index, giver, points, on))
    return _append(store, stream, [NewEvent(payload, on, key)], reader, actor)


# --- loans -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """What the rules need to know of an applicant the day before a loan is paid out."""

    points: Fraction
    savings: Decimal
    saved_months: int


def standing(reader: Reader, holder: str, on: date, fund: str | None = None) -> Standing:
    """The holder's points and savings at the end of the day before `on`, and months since their first deposit.
    The points are those not promised to the holder's running loans (`promised_points`)."""
    index = FundIndex(reader)
    state = read_holder(reader, holder, on - ONE_DAY, index)
    accounts = [a for a in state.accounts if fund is None or a.fund_id == fund]
    first = min((a.first_deposit for a in accounts if a.first_deposit), default=None)
    saved = months_between(first, on) if first else 0
    points = state.points_exact - promised_points(reader, index, holder, on)  # (a loan granted that day too)
    return Standing(points, sum((a.balance for a in accounts), ZERO), saved)


def promised_points(reader: Reader, index: FundIndex, holder: str, on: date) -> Fraction:
    """The pre-saved points the holder's running loans (granted or paid out, not repaid or written off) were
    granted on and have not yet consumed: each contract's `points_used`, less what its loan has consumed by `on`
    (a loan consumes its points month by month as it runs). The same points once made three loans' contracts on
    one day."""
    promised = Fraction(0)
    for loan in index.holder_loans(holder):
        facts = reader.stream(streams.loan(loan))
        granted = grant_of(facts)
        if granted is None or granted.effective_date > on:
            continue
        state = loan_state(facts, on)
        if state.status in ("granted", "disbursed"):
            promised += max(Fraction(state.contract.points_used) - state.points_consumed, Fraction(0))
    return promised


def contract_terms(reader: Reader | None, amount: Decimal, months: int, *, points: Decimal | None = None,
                   holder: str | None = None, fund: str | None = None, on: date) -> tuple[LoanContract, str]:
    """The contract a loan would get, writing nothing: (contract, where its terms came from).

    With a holder: their points, savings and pre-saving months on `on`, and
    their fund's policy in force, every rule applied. Without one: the given
    points (default 0) and the policy of `fund` in force on `on`, or the
    report's terms when none is recorded; the pre-saving rules need a holder
    and are not applied. `reader` may be None only when neither is given.
    """
    if reader is None:
        if holder is not None or fund is not None:
            raise ValueError("a holder's or a fund's terms are read from the books: no reader given")
        return quote(amount, months, points if points is not None else ZERO, _relaxed(REPORT_POLICY)), \
            "report terms (no policy recorded)"
    if holder is not None and fund is None:
        funds = FundIndex(reader).holder_funds(holder)
        if not funds:
            raise NotFound(f"holder {holder}: no savings account in the books")
        fund = funds[0]
    policy, source = REPORT_POLICY, "report terms (no policy recorded)"
    if fund is not None:
        found = policy_at(policies(reader.stream(streams.society(fund))), on)
        if found is not None:
            policy, source = found.loan_policy(), f"fund {fund} policy of {found.effective.isoformat()}"
    if holder is None:
        return quote(amount, months, points if points is not None else ZERO, _relaxed(policy)), source
    s = standing(reader, holder, on, fund)
    return _quote_for(amount, months, s, policy), source


def _relaxed(policy: LoanPolicy) -> LoanPolicy:
    """The policy's fees and share deposit without its pre-saving rules (they need a holder)."""
    return LoanPolicy(policy.setup_fee_rate, policy.annual_fee_rate, policy.share_deposit_rate)


def _quote_for(amount: Decimal, months: int, s: Standing, policy: LoanPolicy) -> LoanContract:
    available = to_points(s.points)
    if available > 0:
        available = min(available, consumption(amount, months))
    return quote(amount, months, available, policy, savings=s.savings, saved_months=s.saved_months)


def _new_loan(reader: StoreReader, loan: str) -> FieldError | None:
    if reader.stream(streams.loan(loan)):
        return FieldError("loan_id", f"{loan} is already in the books")
    return None


def _holds_account(opened: Opened, account: str, holder: str) -> FieldError | None:
    if opened.holder_id != holder:
        return FieldError("account_id", f"account {account} belongs to {opened.holder_id}, not {holder}")
    return None


@checks_again
def grant_loan(store: EventStore, loan: str, *, holder: str, account: str, amount: Decimal, months: int,
               on: date, actor: str) -> Written:
    """The ledger computes the contract from the policy in force and the holder's points; or refuses, with reasons."""
    reader = StoreReader(store)
    where = f"loan {loan}"
    stream = streams.loan(loan)

    def same(e: Event) -> bool:
        if e.type != GRANTED or e.effective_date != on:
            return False
        g = loan_granted(e)
        return g.principal == amount and (g.holder_id, g.account_id, g.months) == (holder, account, months)

    done = _replay(store, reader, stream, f"grant:{loan}", same, where, fixed=True)
    if done is not None:
        return done
    _first_refusal(where, lambda: _new_loan(reader, loan))
    _, opened = _account(reader, account, on, where)
    fund = opened.fund_id
    found = _policy_in_force(reader, fund, on)
    _first_refusal(where, lambda: _holds_account(opened, account, holder),
                   lambda: _has_policy(found, fund, on, "fund_id"))
    assert found is not None
    contract = _quote_for(amount, months, standing(reader, holder, on, fund), found.loan_policy())
    _first_refusal(where, lambda: _lendable(reader, fund, on, amount))
    payload = LoanGranted(
        loan_id=loan, fund_id=fund, holder_id=holder, account_id=account, principal=_text(amount), months=months,
        instalment=_text(contract.instalment), points_used=_points_text(contract.available_points),
        after_saving=_text(contract.after_saving), setup_fee=_text(contract.setup_fee),
        annual_fee=_text(contract.annual_fee), share_deposit=_text(contract.share_deposit),
        final_instalment=_text(contract.final_instalment), first_after_saving=_text(contract.first_after_saving),
        final_after_saving=_text(contract.final_after_saving))
    return _append(store, stream, [NewEvent(payload, on, f"grant:{loan}")], reader, actor)


def _on(on: date) -> Callable[[Event], bool]:
    """A command whose key names its loan, and whose amount the contract fixes: the same if on the same date."""
    return lambda e: e.effective_date == on


def _granted_by(facts: Sequence[Event], loan: str, on: date) -> FieldError | None:
    if not facts:
        return FieldError("loan_id", f"no loan {loan} in the books")
    granted = grant_of(facts)
    if granted is not None and on < granted.effective_date:
        return FieldError("on", f"loan {loan} was granted on {granted.effective_date}, after {on}")
    return None


def _loan(reader: StoreReader, loan: str, on: date, where: str) -> LoanState:
    """The loan on `on` (what is owed and paid: a release changes none of it), refused unless granted by then."""
    facts = reader.stream(streams.loan(loan))
    _first_refusal(where, lambda: _granted_by(facts, loan, on))
    return loan_state(facts, on)


def _share_deposit_due(state: LoanState) -> FieldError | None:
    if state.contract.share_deposit - state.share_deposit_paid <= 0:
        return FieldError("amount", f"the share deposit of {state.contract.share_deposit} is already paid")
    return None


@checks_again
def buy_share_deposit(store: EventStore, loan: str, *, on: date, actor: str) -> Written:
    reader = StoreReader(store)
    where = f"share deposit of loan {loan}"
    done = _replay(store, reader, streams.loan(loan), f"shares:{loan}", _on(on), where, fixed=True)
    if done is not None:
        return done
    state = _loan(reader, loan, on, where)
    _first_refusal(where, lambda: _share_deposit_due(state))
    due = state.contract.share_deposit - state.share_deposit_paid
    event = NewEvent(ShareDepositBought(loan_id=loan, amount=_text(due)), on, f"shares:{loan}")
    return _append(store, streams.loan(loan), [event], reader, actor)


def _not_paid_out(state: LoanState, loan: str) -> FieldError | None:
    if state.disbursed:
        return FieldError("loan_id", f"loan {loan} was already paid out on {state.disbursed_on}")
    return None


def _share_deposit_paid(state: LoanState) -> FieldError | None:
    c = state.contract
    if state.share_deposit_paid < c.share_deposit:
        return FieldError("share_deposit", f"unpaid: {state.share_deposit_paid} of the {c.share_deposit} share deposit "
                                           "is paid; the loan is paid out only once it is")
    return None


@checks_again
def disburse(store: EventStore, loan: str, *, on: date, actor: str) -> Written:
    """Pay the loan out, with its set-up fee and first annual fee; refused when the share
    deposit is unpaid or the fund cannot fund it (on `on` and every later known date)."""
    reader = StoreReader(store)
    where = f"disbursing loan {loan}"
    done = _replay(store, reader, streams.loan(loan), f"disburse:{loan}", _on(on), where, fixed=True)
    if done is not None:
        return done
    state = _loan(reader, loan, on, where)
    c = state.contract
    _first_refusal(where,
                   lambda: _not_paid_out(state, loan),
                   lambda: _share_deposit_paid(state),
                   lambda: _fundable(reader, c.fund_id, on, c.principal, to="lend", without_loan=loan))
    events = [NewEvent(LoanDisbursed(loan_id=loan, amount=_text(c.principal)), on, f"disburse:{loan}")]
    if c.setup_fee:
        setup = FeeCharged(loan_id=loan, kind="setup", amount=_text(c.setup_fee))
        events.append(NewEvent(setup, on, f"fee:{loan}:setup"))
    if c.annual_fee:
        annual = FeeCharged(loan_id=loan, kind="annual", amount=_text(c.annual_fee))
        events.append(NewEvent(annual, on, f"fee:{loan}:annual:1"))
    return _append(store, streams.loan(loan), events, reader, actor)


@dataclass(frozen=True)
class Split:
    repayment: Decimal
    after_saving: Decimal
    fee: Decimal


def split_payment(state: LoanState, amount: Decimal) -> Split:
    """Fees due first; then, instalment by instalment, its repayment then its after-saving, for
    the instalments fallen due (or, when none is unpaid, the next one, paid ahead of its date);
    anything more repays the loan early, with no after-saving."""
    c = state.contract
    rest = amount
    fee = min(rest, state.fee_arrears)
    rest -= fee
    repaid, saved = state.repaid, state.after_savings_paid
    rep = sav = ZERO
    cum_rep = cum_sav = ZERO
    upto = state.instalments_due
    if repaid >= sum(c.instalments[:upto], ZERO) and saved >= sum(c.after_savings[:upto], ZERO):
        upto += 1  # nothing due is unpaid: the payment is the next instalment, paid ahead of its date
    upto = min(upto, c.months)
    for k in range(upto):
        cum_rep += c.instalments[k]
        cum_sav += c.after_savings[k]
        r = min(rest, max(cum_rep - repaid - rep, ZERO), state.outstanding - rep)
        rep += r
        rest -= r
        s = min(rest, max(cum_sav - saved - sav, ZERO))
        sav += s
        rest -= s
    extra = min(rest, state.outstanding - rep)
    rep += extra
    rest -= extra
    if rest > 0:
        raise ValueError(f"{amount} is more than is owed: at most {amount - rest} can be received on this loan")
    return Split(rep, sav, fee)


def _owing(state: LoanState, loan: str, on: date) -> FieldError | None:
    """A loan takes payments while it runs, and once repaid while fees or after-savings that fell due before it was
    repaid are unpaid (a borrower who paid the quote's usual monthly figure every month is left a few pounds short:
    the first and last months and the annual fee ask more, and that shortfall was once shown and refused)."""
    if state.status == "repaid" and state.fee_arrears + state.after_saving_arrears > 0:
        return None
    if state.status != "disbursed":
        return FieldError("loan_id", f"loan {loan} is {state.status} on {on}: nothing is owed")
    return None


def _in_date_order(reader: StoreReader, loan: str, on: date) -> FieldError | None:
    """A loan's payments and write-offs are entered in date order. Each splits against what the payments before
    it left owing (the split is recorded), so one dated before a payment already in the books would split as if
    that later one had not been made, and the two would read differently had they come in date order (a loan
    once fell below zero that way). Correct the later one first (`mutual correct`), then enter both in order."""
    later = [e for e in reader.stream(streams.loan(loan))
             if e.type in (RECEIVED, WRITTEN_OFF) and e.effective_date > on]
    if later:
        first = min(later, key=lambda e: (e.effective_date, e.position))
        return FieldError("on", f"loan {loan} has a {first.type} on {first.effective_date} (position "
                                f"{first.position}), after {on}: a loan's payments and write-offs are entered in "
                                "date order; correct that one first (`mutual correct`), then enter both in order")
    return None


def _within_outstanding(state: LoanState, amount: Decimal, field: str) -> FieldError | None:
    if amount > state.outstanding:
        return FieldError(field, f"{amount} is more than the {state.outstanding} outstanding")
    return None


@checks_again
def receive_instalment(store: EventStore, loan: str, amount: Decimal, *, on: date, actor: str,
                       key: str | None = None, split: Split | None = None, reference: str | None = None) -> Written:
    """A borrower's payment, split into repayment, after-saving and fee (see split_payment).

    Without `key`, the payment is known by what was received: the loan, the date, the amount and `reference`, never
    by the split (which depends on the payments before it, so a retry would split differently). Entered again, it is
    already recorded.
    """
    reader = StoreReader(store)
    where = f"instalment on loan {loan}"
    stream = streams.loan(loan)
    if split is not None:
        amount = split.repayment + split.after_saving + split.fee
    with _schema(where):
        InstalmentReceived(loan_id=loan, repayment="0", after_saving="0", fee="0", reference=reference)
    received = {"amount": _text(amount), "loan_id": loan}
    if reference is not None:
        received["reference"] = reference
    key = key or fact_key(stream, InstalmentReceived.event_type, InstalmentReceived.schema_version, on.isoformat(),
                          canonical_json(received))

    def same(e: Event) -> bool:
        if e.type != RECEIVED or e.effective_date != on:
            return False
        paid = instalment_received(e)
        return paid.reference == reference and paid.repayment + paid.after_saving + paid.fee == amount

    done = _replay(store, reader, stream, key, same, where, f"instalment:{loan}:")
    if done is not None:
        return done
    state = _loan(reader, loan, on, where)
    _first_refusal(where, lambda: _in_date_order(reader, loan, on), lambda: _owing(state, loan, on))
    if split is None:
        try:
            split = split_payment(state, amount)
        except ValueError as exc:
            raise _refuse("amount", str(exc), where) from None
    else:
        _first_refusal(where, lambda: _within_outstanding(state, split.repayment, "repayment"))
    payload = InstalmentReceived(loan_id=loan, repayment=_text(split.repayment), after_saving=_text(split.after_saving),
                                 fee=_text(split.fee), reference=reference)
    return _append(store, stream, [NewEvent(payload, on, key)], reader, actor)


def _repaid(state: LoanState, loan: str, on: date) -> FieldError | None:
    if state.status != "repaid":
        return FieldError("loan_id", f"loan {loan} is {state.status} on {on}: shares come back once it is repaid")
    return None


def _shares_held(held: Decimal) -> FieldError | None:
    if held <= 0:
        return FieldError("loan_id", "no share deposit is held")
    return None


@checks_again
def release_share_deposit(store: EventStore, loan: str, *, on: date, actor: str) -> Written:
    """Withdraw a repaid loan's share deposit (refused while the loan runs, or beyond the fund's liquidity)."""
    reader = StoreReader(store)
    where = f"releasing the share deposit of loan {loan}"
    done = _replay(store, reader, streams.loan(loan), f"shares-back:{loan}", _on(on), where, fixed=True)
    if done is not None:
        return done
    state = _loan(reader, loan, on, where)
    held = state.share_deposit_paid - state.share_deposit_released
    _first_refusal(where,
                   lambda: _repaid(state, loan, on),
                   lambda: _shares_held(held),
                   lambda: _fundable(reader, state.contract.fund_id, on, held, to="pay out"))
    event = NewEvent(ShareDepositReleased(loan_id=loan, amount=_text(held)), on, f"shares-back:{loan}")
    return _append(store, streams.loan(loan), [event], reader, actor)


@checks_again
def write_off(store: EventStore, loan: str, amount: Decimal, *, on: date, reason: str, actor: str) -> Written:
    reader = StoreReader(store)
    where = f"writing off loan {loan}"
    done = _replay(store, reader, streams.loan(loan), f"write-off:{loan}:{on}", lambda e: (
        e.type == WRITTEN_OFF and loan_written_off(e) == (amount, reason)),
        where, fixed=True)
    if done is not None:
        return done
    state = _loan(reader, loan, on, where)
    _first_refusal(where, lambda: _in_date_order(reader, loan, on),
                   lambda: _within_outstanding(state, amount, "amount"))
    with _schema(where):
        payload = LoanWrittenOff(loan_id=loan, amount=_text(amount), reason=reason)
    return _append(store, streams.loan(loan), [NewEvent(payload, on, f"write-off:{loan}:{on}")], reader, actor)


# --- after-savings release: a fold, reported --------------------------------------------------------------


def releases(store: EventStore, *, through: date, fund: str | None = None,
             reader: Reader | None = None) -> list[dict[str, Any]]:
    """The releases of locked after-savings the books show on or before `through`, writing nothing.

    A release is a fold of the facts (ledger.fund.releases.holder_releases, the one rule): every repaid loan's
    after-savings are released the day after the holder's points are first back to zero or above. Each is
    {loan_id, account_id, on, amount}, by date then loan.
    """
    reader = reader or StoreReader(store)
    index = FundIndex(reader)
    holders = sorted({g.holder_id for g in index.granted.values() if fund is None or g.fund_id == fund})
    released = [r for h in holders for r in read_releases(reader, h, through, index)
                if fund is None or index.granted[r.loan_id].fund_id == fund]
    return [{"loan_id": r.loan_id, "account_id": r.account_id, "on": r.on, "amount": money(r.amount)}
            for r in sorted(released, key=lambda r: (r.on, r.loan_id))]


__all__ = [
    "Split",
    "StoreReader",
    "buy_share_deposit",
    "contract_terms",
    "deposit",
    "disburse",
    "gift_points",
    "grant_loan",
    "open_account",
    "receive_instalment",
    "record_expense",
    "release_share_deposit",
    "releases",
    "set_policy",
    "split_payment",
    "standing",
    "withdraw",
    "write_off",
]
