"""Bank statements in: import a statement, match its credits to members, ignore a line, keep the matching rules.

Every command here holds the writers' lock from its first read to its append (`store.writers_lock()`): the
events and the off-chain rows (payers' names, learned payees; ledger/bank/personal.py) go in one transaction,
all or nothing, and nothing can move between the checks and the append. Bank commands are a few a day; the lock
is held for the length of one statement's import (the benchmark's 10,000 lines: docs/bank.md).

Credits are matched before returns are settled, so a direct debit and its return give the same books whether
they came in one statement, in two, or the return first: the payment counted from the day it was collected to the
day it was returned. A match is that member's `PaymentReceived`, checked by the same named checks as `mutual record`
(ledger/commands/coop.py `check`, and the closed-period rule), so a match can never break an invariant. A
returned direct debit whose line was matched is that member's `PaymentReturned`, effective on the day the bank
took the money back: the payment counted until then and the member owes again from then (docs/bank.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal, TypeVar, cast

from pydantic import ValidationError

from ledger import streams
from ledger.bank import personal
from ledger.bank.account import BankBook, Line, bank_book
from ledger.bank.formats import read_statement
from ledger.bank.lines import Balance, BankFileRefused, BankLine, Statement, line_id
from ledger.bank.matching import Match, RuleRefused, compile_rule, match_credit, payee_key, payment_period
from ledger.commands.coop import World, check
from ledger.coop.payloads import reference_key
from ledger.errors import FieldError, NotFound, ValidationFailed
from ledger.events.audit import EventReversed
from ledger.events.bank import (
    BankBalanceStated,
    BankLineIgnored,
    BankLineImported,
    BankLineMatched,
    BankMatchRuleRemoved,
    BankMatchRuleSet,
    BankPaymentReturned,
    StatementFormat,
)
from ledger.events.base import EventPayload, field_errors
from ledger.events.coop import MemberAdmitted, PaymentReceived, PaymentReturned
from ledger.money import money_text
from ledger.periods import PeriodGuard, adjustment_metadata
from ledger.store import EventStore, Head
from ledger.store.envelope import pending_from_model
from ledger.store.records import Pending

T = TypeVar("T")


@dataclass
class Outcome:
    """What a bank command did: events written, lines matched, returns settled, what it could not do and why."""

    account_id: str
    written: int = 0
    already_recorded: int = 0
    lines_read: int = 0
    lines_new: int = 0
    balances_new: int = 0
    matched: list[dict[str, Any]] = field(default_factory=list)
    returned: list[dict[str, Any]] = field(default_factory=list)
    not_matched: list[dict[str, Any]] = field(default_factory=list)
    unmatched_left: int = 0
    head: Head | None = None
    format: str = ""
    statement_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "format": self.format, "statement_id": self.statement_id,
                "lines_read": self.lines_read, "lines_new": self.lines_new, "balances_new": self.balances_new,
                "written": self.written, "already_recorded": self.already_recorded, "matched": self.matched,
                "returned": self.returned, "not_matched": self.not_matched, "unmatched_left": self.unmatched_left,
                "head_position": self.head.position if self.head else None,
                "head_hash": self.head.hash if self.head else None}


class _Batch:
    """The events of one command, checked against the world as it stands plus the batch so far."""

    def __init__(self, store: EventStore, account_id: str, actor: str) -> None:
        self.store, self.account, self.actor = store, account_id, actor
        self.world = World(store)
        self.stream = streams.bank(account_id)
        self.book = bank_book(account_id, self.world.stream(self.stream))
        self.guard = PeriodGuard(self.world.stream)
        self.pendings: list[Pending] = []
        self.details: list[tuple[str, str, str]] = []
        self.learned: list[tuple[str, str, str]] = []
        self._members: dict[str, str] | None = None
        self._payees: dict[str, str] | None = None
        self._decided: dict[tuple[str, str], int] | None = None

    def metadata(self, reason: str | None = None) -> dict[str, str]:
        meta = {"actor": self.actor}
        if reason:
            meta["reason"] = reason
        return {**meta, **adjustment_metadata()}

    def add(self, stream: str, payload: EventPayload, on: date, key: str, reason: str | None = None) -> Pending:
        pending = pending_from_model(stream, payload, on, metadata=self.metadata(reason), idempotency_key=key)
        self.pendings.append(pending)
        self.world.add(stream, pending.type, pending.schema_version, on, payload.to_json(), key)
        if stream == self.stream:
            self.book.apply(pending.type, payload.to_json(), 0)
        return pending

    def members(self) -> dict[str, str]:
        """Every admitted member's id, by its lower case (banks write references in capitals)."""
        if self._members is None:
            self._members = {e.payload["member_id"].lower(): e.payload["member_id"]
                             for e in self.world.of_type(MemberAdmitted.event_type)}
        return self._members

    def payees(self) -> dict[str, str]:
        if self._payees is None:
            with self.store.recorder.reading() as conn:
                self._payees = personal.payees(conn, self.account)
        return self._payees

    def names(self, line_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        with self.store.recorder.reading() as conn:
            return personal.details(conn, line_ids)

    # -- a payment, checked as `mutual record` checks it -----------------------------------------------------
    def payment_problems(self, line: Line, member_id: str, period: str | None) -> tuple[str, list[FieldError]]:
        stream = streams.member(member_id)
        if line.kind != "credit":
            return "", [FieldError("line", f"{line.line_id} is a {line.kind} of {money_text(line.amount)}: only a "
                                           "credit is a member's payment")]
        if line.currency != "GBP":
            return "", [FieldError("line", f"{line.line_id} is in {line.currency}: members pay in GBP")]
        if period is None:
            events = self.world.stream(stream)
            period = payment_period(events, line.booked)
        payload = self.payment(line, member_id, period).model_dump(mode="json")
        made = next((e for e in self.world.stream(stream) if e.type == PaymentReceived.event_type
                     and e.payload.get("bank_line") == line.line_id), None)
        if made is not None:  # (a line's money is one payment, whatever became of the match that made it)
            return period, [FieldError("line", f"{line.line_id} is {member_id}'s payment at position {made.position} "
                                               "already")]
        by_hand = self.entered_by_hand(line, stream)
        if by_hand is not None:
            reason = (f"{line.line_id} is {money_text(line.amount)} from {member_id} on {line.booked.isoformat()}, "
                      f"a payment entered by hand already (position {by_hand}): `mutual bank ignore "
                      f"{line.line_id[:12]} --reason 'entered by hand'` keeps it once (or correct that entry)")
            return period, [FieldError("line", reason)]
        problems = check(self.world, stream, PaymentReceived.event_type, line.booked, payload)
        if not problems:
            closed = self.guard.error(stream, payload, line.booked, self.metadata())
            problems = [closed] if closed is not None else []
        return period, problems

    def entered_by_hand(self, line: Line, stream: str) -> int | None:
        """The receipt entered by hand (no bank line) that is this line's money, a match of which would count it
        twice: of the line's amount on its day, under its reference if it gave one (ignoring case and spaces). Its
        position, or None.

        One entry is one line's money: equal lines of the member's on one day (the rules or learned names say
        whose) take the equal entries in turn (the bank's order), an equal line ignored (`bank ignore`, as the
        refusal advises, whoever's it is when no rule or name says) having taken its entry first, so a second equal
        line is matched as the payment it is; an equal line of another member's takes nothing of this one's."""
        key = reference_key(line.reference)
        hand = [int(e.position) for e in self.world.stream(stream)
                if e.type == PaymentReceived.event_type and not e.payload.get("bank_line")
                and e.effective_date == line.booked and Decimal(e.payload["amount"]) == line.amount
                and (not key or reference_key(e.payload.get("bank_reference")) == key)]
        if not hand:
            return None
        order = {lid: i for i, lid in enumerate(self.book.lines)}
        rivals = [other for other in self.book.lines.values()
                  if other.line_id != line.line_id and other.kind == "credit" and other.booked == line.booked
                  and other.amount == line.amount and reference_key(other.reference) == key
                  and (other.line_id in self.book.ignored
                       or (not self.book.cleared(other.line_id) and order[other.line_id] < order[line.line_id]))]
        member = stream.partition("-")[2]  # (only a line of this member's takes this member's entry)
        taken = sum(1 for other, found in zip(rivals, self.member_of(rivals), strict=True)
                    if (found.member_id == member if found is not None else other.line_id in self.book.ignored))
        return hand[taken] if taken < len(hand) else None

    @staticmethod
    def payment(line: Line, member_id: str, period: str) -> PaymentReceived:
        return PaymentReceived(member_id=member_id, amount=money_text(line.amount), period=period,
                               bank_reference=line.reference or line.bank_line_ref[:500], bank_line=line.line_id)

    def record_match(self, line: Line, member_id: str, rule: str, period: str) -> None:
        again = self.times_decided(line.line_id, BankLineMatched.event_type)
        suffix = f":{again + 1}" if again else ""  # (a line matched again after `bank unmatch`: a new fact)
        self.add(self.stream, BankLineMatched(account_id=self.account, line_id=line.line_id, member_id=member_id,
                                              period=period, rule=rule), line.booked,
                 f"bank-match:{line.line_id}{suffix}")
        self.add(streams.member(member_id), self.payment(line, member_id, period), line.booked,
                 f"bank-payment:{line.line_id}{suffix}", reason=f"bank line {line.line_id} ({rule})")

    def times_decided(self, line_id: str, type_: str) -> int:
        """How often the line was matched (or ignored) before, reversals and all: each decision has a key of its
        own, so a line put back in the queue (`bank unmatch`) and decided again is a new fact, not a replay. (The
        account's decisions are counted in one read a command: an import matches thousands of lines.)"""
        if self._decided is None:
            self._decided = {}
            for t in (BankLineMatched.event_type, BankLineIgnored.event_type):
                for e in self.store.read(stream=self.stream, type=t):
                    key = (t, str(e.payload.get("line_id")))
                    self._decided[key] = self._decided.get(key, 0) + 1
        return self._decided.get((type_, line_id), 0)

    # -- returns --------------------------------------------------------------------------------------------
    def settle_returns(self, outcome: Outcome) -> None:
        """Every returned direct debit or reversal not yet settled whose line it returns is in the books: settle
        both; a matched payment is returned on the day the bank took it back (the member's `PaymentReturned`,
        checked as `mutual record` checks it). One that cannot be settled stays in the queue, its reason given."""
        for ret in self.book.pending_returns():
            target = self.book.return_target(ret)
            if target is None:
                continue
            member, payment = self.payment_returned(target)
            position = None
            returned: PaymentReturned | None = None
            if member is not None:
                stream = streams.member(member)
                if payment is not None:
                    position = payment.position if payment.position < 10**15 else None
                    returned = PaymentReturned(member_id=member, amount=payment.payload["amount"],
                                               bank_reference=ret.reference or ret.bank_line_ref[:500],
                                               returned_line=target.line_id)
                    payload = returned.model_dump(mode="json", exclude_none=True)
                    problems = check(self.world, stream, PaymentReturned.event_type, ret.booked, payload)
                    closed = self.guard.error(stream, payload, ret.booked, self.metadata())
                    if problems or closed is not None:
                        outcome.not_matched.append({"line_id": ret.line_id,
                                                    "reason": str(closed or "; ".join(map(str, problems)))})
                        continue
            self.add(self.stream, BankPaymentReturned(account_id=self.account, line_id=ret.line_id,
                                                      returned_line_id=target.line_id, member_id=member,
                                                      reversed_position=position),
                     ret.booked, f"bank-return:{ret.line_id}")
            if returned is not None and member is not None:
                self.add(streams.member(member), returned, ret.booked, f"bank-returned-payment:{ret.line_id}",
                         reason=f"bank line {ret.line_id} returns {target.line_id}")
            outcome.returned.append({"line_id": ret.line_id, "returns": target.line_id, "member_id": member,
                                     "reversed_position": position})

    def payment_returned(self, target: Line) -> tuple[str | None, Any]:
        """The member and the receipt a returned line's money was: the payment matched from it, else (a line
        neither matched nor settled, or ignored) a payment entered by hand for it, of the member the rules or
        learned names find for it (a direct debit entered by hand and then returned is returned too). (None, None)
        when no member's payment was this line's money."""
        match = self.book.matched.get(target.line_id)
        if match is not None:
            member = match["member_id"]
            return member, next((e for e in self.world.stream(streams.member(member))
                                 if e.type == PaymentReceived.event_type
                                 and e.payload.get("bank_line") == target.line_id), None)
        if target.kind != "credit":
            return None, None
        found = self.member_of([target])[0]
        if found is None:
            return None, None
        stream = streams.member(found.member_id)
        position = self.entered_by_hand(target, stream)
        if position is None:
            return None, None
        return found.member_id, next(e for e in self.world.stream(stream) if int(e.position) == position)

    def member_of(self, credits: Sequence[Line]) -> list[Match | None]:
        """The member each credit pays, by the account's rules and the names learned from confirmed matches."""
        rules = list(self.book.rules.values())
        payees = self.payees()
        names = self.names([c.line_id for c in credits]) if payees else {}
        names.update({lid: (name, acct) for lid, name, acct in self.details})
        members = self.members()
        return [match_credit(line.reference, names.get(line.line_id, ("", ""))[0], rules, payees, members)
                for line in credits]

    # -- auto-matching ----------------------------------------------------------------------------------------
    def auto_match(self, outcome: Outcome) -> None:
        credits = [line for line in self.book.unmatched() if line.kind == "credit"]
        if not credits:
            return
        found: Match | None
        for line, found in zip(credits, self.member_of(credits), strict=True):
            if found is None:
                continue
            period, problems = self.payment_problems(line, found.member_id, None)
            if problems:
                outcome.not_matched.append({"line_id": line.line_id, "member_id": found.member_id,
                                            "reason": "; ".join(map(str, problems))})
                continue
            self.record_match(line, found.member_id, found.rule, period)
            outcome.matched.append({"line_id": line.line_id, "member_id": found.member_id, "rule": found.rule,
                                    "period": period, "amount": line.amount})

    # -- the append -----------------------------------------------------------------------------------------
    def append(self, outcome: Outcome) -> Outcome:
        if self.pendings:
            expected = {s: self.world.versions.get(s, 0) for s in dict.fromkeys(p.stream for p in self.pendings)}
            result = self.store.append_pending(self.pendings, expected)
            outcome.written += result.written
            outcome.already_recorded += len(self.pendings) - result.written
            outcome.head = result.head
        else:
            outcome.head = self.store.head()
        if self.details or self.learned:
            with self.store.recorder.writing() as conn:
                personal.save_details(conn, self.account, self.details)
                for key, member, lid in self.learned:
                    personal.learn_payee(conn, self.account, key, member, lid)
        outcome.unmatched_left = len(self.book.unmatched())
        return outcome


def _locked(store: EventStore, run: Callable[[], T]) -> T:
    with store.writers_lock():
        return run()


# --- import ----------------------------------------------------------------------------------------------------


def import_statement(store: EventStore, data: bytes, account_id: str, *, actor: str, format: str = "auto",
                     profile: str | None = None, auto_match: bool = True) -> Outcome:
    """Read a statement and record each line not yet recorded for the account (its id: the account and the
    bank's identity of the line), the balances it states, the returns it settles and the credits the rules match;
    all in one transaction. A file that cannot be read is refused naming the line and field, nothing written."""
    statement = read_statement(data, format, profile)
    _refuse_repeated_lines(statement)
    return _locked(store, lambda: _import(store, statement, account_id, actor, auto_match))


def _refuse_repeated_lines(statement: Statement) -> None:
    seen: dict[str, BankLine] = {}
    for line in statement.lines:
        first = seen.setdefault(line.line_ref, line)
        if first is not line:
            raise BankFileRefused(line.where, "line identity", f"{line.line_ref!r} is the identity of {first.where} "
                                                               "too: the bank's identity of a line must be unique")


def _import(store: EventStore, statement: Statement, account_id: str, actor: str, auto_match: bool) -> Outcome:
    batch = _Batch(store, account_id, actor)
    outcome = Outcome(account_id, format=statement.format, statement_id=statement.statement_id,
                      lines_read=len(statement.lines))
    for line in statement.lines:
        lid = line_id(account_id, line.line_ref)
        if lid in batch.book.lines:
            outcome.already_recorded += 1
            continue
        event = _line_event(account_id, lid, line, statement.format)
        batch.add(batch.stream, event, line.booked, f"bank-line:{lid}")
        batch.details.append((lid, line.counterparty, line.counterparty_account))
        outcome.lines_new += 1
    known = {(b.on, b.kind, b.amount) for b in batch.book.balances}
    stated_kinds: tuple[tuple[Literal["opening", "closing"], Balance | None], ...] = (
        ("opening", statement.opening), ("closing", statement.closing))
    for kind, balance in stated_kinds:
        if balance is None:
            continue
        on = balance.on if kind == "closing" or statement.format != "camt053" else date.fromordinal(
            balance.on.toordinal() - 1)  # camt.053's OPBD is the balance at the start of its day
        if (on, kind, balance.amount) in known:
            continue
        stated = BankBalanceStated(account_id=account_id, balance_date=on.isoformat(),
                                   amount=money_text(balance.amount), currency=balance.currency, kind=kind)
        batch.add(batch.stream, stated, on, f"bank-balance:{account_id}:{kind}:{on.isoformat()}:"
                                            f"{money_text(balance.amount)}")
        outcome.balances_new += 1
    if auto_match:
        batch.auto_match(outcome)
    batch.settle_returns(outcome)
    return batch.append(outcome)


def _line_event(account_id: str, lid: str, line: BankLine, format: str) -> BankLineImported:
    try:
        return BankLineImported(account_id=account_id, line_id=lid, bank_line_ref=line.line_ref[:500],
                                booked_date=line.booked.isoformat(), value_date=line.value.isoformat(),
                                amount=money_text(line.amount), currency=line.currency,
                                reference=line.reference or None, kind=line.kind,
                                returns_ref=line.returns_ref[:500] if line.returns_ref else None,
                                format=cast(StatementFormat, format))
    except ValidationError as exc:  # (the parsers check what they read; this names the line if one slipped by)
        raise ValidationFailed(field_errors(exc, prefix="line"), where=f"{line.where} refused, nothing written") \
            from None


# --- the queue: match, ignore, auto-match ----------------------------------------------------------------------


def _line_of(batch: _Batch, line_ref: str) -> Line | None:
    """The account's line by its id, or by the start of one (6+ characters) if only one line has it."""
    line = batch.book.lines.get(line_ref)
    if line is None and len(line_ref) >= 6:  # a clerk may type the start of an id, if only one line has it
        found = [lid for lid in batch.book.lines if lid.startswith(line_ref)]
        line = batch.book.lines[found[0]] if len(found) == 1 else None
    return line


def _book_line(batch: _Batch, line_ref: str) -> Line:
    line = _line_of(batch, line_ref)
    if line is None:
        raise NotFound(f"line: {line_ref} is not a line of bank account {batch.account} "
                       "(`mutual bank unmatched` lists the queue)")
    if batch.book.cleared(line.line_id):
        how = ("matched to " + batch.book.matched[line.line_id]["member_id"] if line.line_id in batch.book.matched
               else "ignored" if line.line_id in batch.book.ignored else "settled by a return")
        raise ValidationFailed([FieldError("line", f"{line.line_id} is already {how}")],
                               where="refused, nothing written")
    return line


def _decided_already(batch: _Batch, line_ref: str, same: Callable[[str], bool]) -> Outcome | None:
    """A clerk's retry, or another clerk's, of a decision the books hold already (the line matched to that member,
    or ignored): already recorded, nothing written, as every typed command answers a repeat."""
    line = _line_of(batch, line_ref)
    if line is not None and same(line.line_id):
        outcome = Outcome(batch.account, already_recorded=1)
        outcome.head = batch.store.head()
        return outcome
    return None


def account_of(store: EventStore, line_ref: str) -> str:
    """The account a line id belongs to (a line id names its account through its hash: looked up)."""
    found = {str(e.payload["account_id"]) for e in store.read(type=BankLineImported.event_type)
             if e.payload["line_id"] == line_ref or (len(line_ref) >= 6 and e.payload["line_id"].startswith(line_ref))}
    if len(found) == 1:
        return found.pop()
    if found:
        raise ValidationFailed([FieldError("line", f"{line_ref} starts lines of accounts {', '.join(sorted(found))}: "
                                                   "give --account or more of the id")])
    raise NotFound(f"line: {line_ref} is not a bank line in the books (`mutual bank unmatched` lists the queue)")


def match_line(store: EventStore, account_id: str, line_ref: str, member_id: str, *, actor: str,
               period: str | None = None, learn: bool = True) -> Outcome:
    """Match a credit to a member by hand: that member's PaymentReceived, checked as `mutual record` checks it;
    the payer's name is learned for the next statements (off the chain)."""

    def run() -> Outcome:
        batch = _Batch(store, account_id, actor)
        asked = batch.members().get(member_id.lower())
        done = None if asked is None else _decided_already(
            batch, line_ref, lambda lid: (batch.book.matched.get(lid) or {}).get("member_id") == asked)
        if done is not None:
            return done
        line = _book_line(batch, line_ref)
        member = batch.members().get(member_id.lower())
        if member is None:
            raise ValidationFailed([FieldError("member", f"member {member_id} has not been admitted")],
                                   where="refused, nothing written")
        chosen, problems = batch.payment_problems(line, member, period)
        if problems:
            raise ValidationFailed(problems, where=f"matching {line.line_id} to {member} refused, nothing written")
        batch.record_match(line, member, "manual", chosen)
        outcome = Outcome(account_id, matched=[{"line_id": line.line_id, "member_id": member, "rule": "manual",
                                                "period": chosen, "amount": line.amount}])
        if learn:
            name = batch.names([line.line_id]).get(line.line_id, ("", ""))[0]
            if name:
                batch.learned.append((payee_key(name), member, line.line_id))
        return batch.append(outcome)

    return _locked(store, run)


def ignore_line(store: EventStore, account_id: str, line_ref: str, reason: str, *, actor: str) -> Outcome:
    def run() -> Outcome:
        batch = _Batch(store, account_id, actor)
        done = _decided_already(batch, line_ref, lambda lid: lid in batch.book.ignored)
        if done is not None:
            return done
        line = _book_line(batch, line_ref)
        if not reason.strip():
            raise ValidationFailed([FieldError("reason", "is required: say why the line is not a member's payment")])
        again = batch.times_decided(line.line_id, BankLineIgnored.event_type)
        batch.add(batch.stream, BankLineIgnored(account_id=account_id, line_id=line.line_id, reason=reason.strip()),
                  line.booked, f"bank-ignore:{line.line_id}" + (f":{again + 1}" if again else ""),
                  reason=reason.strip())
        return batch.append(Outcome(account_id))

    return _locked(store, run)


def unmatch_line(store: EventStore, account_id: str, line_ref: str, reason: str, *, actor: str) -> Outcome:
    """Put a matched or ignored line back in the queue: its match (and the member's payment made from it) or its
    ignoring reversed, each an `EventReversed` on its own stream, in one transaction, checked against closed
    periods. A line a return settled is refused (the return stands on it)."""

    def run() -> Outcome:
        if not reason.strip():
            raise ValidationFailed([FieldError("reason", "is required: say why the decision was wrong")],
                                   where="refused, nothing written")
        batch = _Batch(store, account_id, actor)
        line = _decided_line(batch, line_ref)
        book_events = batch.world.stream(batch.stream)
        targets: list[tuple[str, Any]] = []
        if line.line_id in batch.book.matched:
            decision = next(e for e in reversed(book_events) if e.type == BankLineMatched.event_type
                            and e.payload["line_id"] == line.line_id)
            member_stream = streams.member(batch.book.matched[line.line_id]["member_id"])
            targets.append((batch.stream, decision))
            targets += [(member_stream, e) for e in batch.world.stream(member_stream)
                        if e.type == PaymentReceived.event_type and e.payload.get("bank_line") == line.line_id]
        else:
            decision = next(e for e in reversed(book_events) if e.type == BankLineIgnored.event_type
                            and e.payload["line_id"] == line.line_id)
            targets.append((batch.stream, decision))
        for stream, event in targets:
            reversal = EventReversed(position=int(event.position), reason=reason.strip())
            closed = None if stream == batch.stream else batch.guard.error(  # (as a match is held: its payment)
                stream, event.payload, event.effective_date, batch.metadata())
            if closed is not None:
                raise ValidationFailed([closed], where=f"putting {line.line_id} back in the queue refused, nothing "
                                                       "written")
            batch.pendings.append(pending_from_model(stream, reversal, event.effective_date,
                                                     metadata=batch.metadata(reason.strip()),
                                                     idempotency_key=f"reverse:{event.position}"))
        return batch.append(Outcome(account_id))

    return _locked(store, run)


def _decided_line(batch: _Batch, line_ref: str) -> Line:
    """A line of the account that is matched or ignored (by its id, or the start of one)."""
    line = _line_of(batch, line_ref)
    if line is None:
        raise NotFound(f"line: {line_ref} is not a line of bank account {batch.account}")
    if line.line_id in batch.book.returns or line.line_id in batch.book.returned:
        raise ValidationFailed([FieldError("line", f"{line.line_id} is settled by a return: the return stands on "
                                                   "it (correct the member's PaymentReturned instead)")],
                               where="refused, nothing written")
    if line.line_id not in batch.book.matched and line.line_id not in batch.book.ignored:
        raise ValidationFailed([FieldError("line", f"{line.line_id} is in the queue already: neither matched nor "
                                                   "ignored")], where="refused, nothing written")
    return line


def auto_match(store: EventStore, account_id: str, *, actor: str) -> Outcome:
    """Run the rules and learned names over the queue (after a rule was set), then settle the returns (matching
    first, as an import does: docs/bank.md "Returned direct debits and reversals")."""

    def run() -> Outcome:
        batch = _Batch(store, account_id, actor)
        outcome = Outcome(account_id)
        batch.auto_match(outcome)
        batch.settle_returns(outcome)
        return batch.append(outcome)

    return _locked(store, run)


def state_opening_balance(store: EventStore, account_id: str, amount: Decimal, on: date, *, actor: str) -> Outcome:
    """The account's balance at the end of `on`, as a paper statement or the bank's letter states it: where the
    reconciliation starts when no imported statement stated an opening balance (OFX states none)."""

    def run() -> Outcome:
        batch = _Batch(store, account_id, actor)
        stated = BankBalanceStated(account_id=account_id, balance_date=on.isoformat(), amount=money_text(amount),
                                   currency="GBP", kind="opening")
        batch.add(batch.stream, stated, on, f"bank-balance:{account_id}:opening:{on.isoformat()}:{money_text(amount)}")
        return batch.append(Outcome(account_id, balances_new=1))

    return _locked(store, run)


# --- rules -----------------------------------------------------------------------------------------------------


def set_rule(store: EventStore, account_id: str, rule_id: str, pattern: str, member_id: str | None, *,
             actor: str) -> Outcome:
    """A matching rule: a credit whose whole reference matches `pattern` (ignoring case) pays `member_id`, or the
    member its group `member` names. Setting a rule id again replaces it."""
    try:
        compile_rule(pattern, member_id, check=True)
    except RuleRefused as exc:
        raise ValidationFailed([FieldError("pattern", str(exc))], where="rule refused, nothing written") from None

    def run() -> Outcome:
        batch = _Batch(store, account_id, actor)
        member = batch.members().get(member_id.lower()) if member_id is not None else None
        if member_id is not None and member is None:
            raise ValidationFailed([FieldError("member", f"member {member_id} has not been admitted")],
                                   where="rule refused, nothing written")
        current = batch.book.rules.get(rule_id)
        if current is not None and current.pattern.pattern == pattern and current.member_id == member:
            return batch.append(Outcome(account_id, already_recorded=1))
        count = sum(1 for e in batch.world.stream(batch.stream) if e.type == BankMatchRuleSet.event_type)
        batch.add(batch.stream, BankMatchRuleSet(account_id=account_id, rule_id=rule_id, pattern=pattern,
                                                 member_id=member), date.today(),
                  f"bank-rule:{account_id}:{rule_id}:{count + 1}")
        return batch.append(Outcome(account_id))

    return _locked(store, run)


def remove_rule(store: EventStore, account_id: str, rule_id: str, *, actor: str) -> Outcome:
    def run() -> Outcome:
        batch = _Batch(store, account_id, actor)
        if rule_id not in batch.book.rules:
            raise NotFound(f"rule: {rule_id} is not a rule of bank account {account_id}")
        count = sum(1 for e in batch.world.stream(batch.stream) if e.type == BankMatchRuleRemoved.event_type)
        batch.add(batch.stream, BankMatchRuleRemoved(account_id=account_id, rule_id=rule_id), date.today(),
                  f"bank-rule-removed:{account_id}:{rule_id}:{count + 1}")
        return batch.append(Outcome(account_id))

    return _locked(store, run)


# --- personal data ----------------------------------------------------------------------------------------------


def line_names(store: EventStore, line_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """The payers' names and account numbers kept off the chain for these lines (what is left after erasures)."""
    with store.recorder.reading() as conn:
        return personal.details(conn, line_ids)


def learned_payees(store: EventStore, account_id: str) -> dict[str, str]:
    with store.recorder.reading() as conn:
        return personal.payees(conn, account_id)


def forget_payee(store: EventStore, account_id: str, name: str) -> bool:
    with store.writers_lock(), store.recorder.writing() as conn:
        return personal.forget_payee(conn, account_id, payee_key(name))


def erase_line_details(store: EventStore, line_ref: str) -> bool:
    with store.writers_lock(), store.recorder.writing() as conn:
        return personal.erase_details(conn, line_ref)


def book_of(store: EventStore, account_id: str) -> BankBook:
    return bank_book(account_id, World(store).stream(streams.bank(account_id)))

