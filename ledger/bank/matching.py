"""Matching a credit to a member: rules a treasurer can read and edit, and payee names learned from confirmed
matches; and the month a matched payment pays (docs/bank.md, "Matching").

Pure: no store, no names from the store. The learned names are personal data and come in as a mapping from the
off-chain table (ledger/bank/personal.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import NamedTuple

from ledger.coop.arrears import MemberBook
from ledger.coop.fold import Events


class MatchRule(NamedTuple):
    rule_id: str
    pattern: re.Pattern[str]
    member_id: str | None  # None: the pattern's group `member` names the member


class RuleRefused(ValueError):
    pass


def compile_rule(pattern: str, member_id: str | None = None, check: bool = False) -> re.Pattern[str]:
    """A rule's pattern, matched against the whole reference, ignoring case. With `check`: refused (RuleRefused,
    saying why) if it does not compile, or names no member (neither a fixed member nor a group `member`)."""
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise RuleRefused(f"is not a regular expression ({exc})") from None
    if check and member_id is None and "member" not in compiled.groupindex:
        raise RuleRefused("names no member: give --member, or a group (?P<member>...) that captures the member id")
    return compiled


def payee_key(name: str) -> str:
    """A payer's name as the learned names are keyed: upper case, letters, digits and single spaces."""
    return " ".join(re.sub(r"[^0-9A-Za-z]+", " ", name).upper().split())


class Match(NamedTuple):
    member_id: str
    rule: str  # `rule:<id>` or `payee`


def match_credit(reference: str, counterparty: str, rules: Iterable[MatchRule], payees: Mapping[str, str],
                 members: Mapping[str, str]) -> Match | None:
    """The member a credit pays, by the first rule whose pattern matches the whole reference and names a member in
    the books (`members`: lower-case id -> id), else by the payer's name learned from a confirmed match."""
    for rule in rules:
        found = rule.pattern.fullmatch(reference)
        if found is None:
            continue
        named = rule.member_id or found.groupdict().get("member")
        member = members.get(named.lower()) if named else None
        if member is not None:
            return Match(member, f"rule:{rule.rule_id}")
    if counterparty:
        learned = payees.get(payee_key(counterparty))
        if learned is not None and learned.lower() in members:
            return Match(members[learned.lower()], "payee")
    return None


def payment_period(member_events: Events, booked: date) -> str:
    """The month a payment booked on `booked` pays, by the arrears' own fold (ledger/coop/arrears.py: payments pay
    the oldest dues first, a returned payment is a negative one): the earliest month due by then that the payments
    made by then leave unpaid, else the booked month itself (a payment in advance, a member's first)."""
    for month in MemberBook(member_events).owed(booked):
        if month.outstanding > 0:
            return month.period
    return f"{booked.year:04d}-{booked.month:02d}"
