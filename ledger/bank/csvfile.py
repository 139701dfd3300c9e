"""UK banks' CSV exports, read through the column-mapping profiles of profiles.toml (docs/bank.md).

A CSV line has no identity of the bank's unless its profile names an `id` column: its identity is then the
booked date, the amount, the reference and its number among the statement's equal lines (`equal_line_refs`), so
that an overlapping statement gives the same identities and two equal payments on one day stay two.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any, NamedTuple

from ledger.bank.lines import (
    Balance,
    BankFileRefused,
    BankLine,
    Statement,
    amount_of,
    equal_line_refs,
    free_text,
    kind_of,
)


class Profile(NamedTuple):
    name: str
    title: str
    header: tuple[str, ...]
    has_header: bool
    skip_lines: int
    encoding: str
    date: str
    date_format: str
    value_date: str | None
    amount: str | None
    debit: str | None
    credit: str | None
    reference: str | None
    name_column: str | None
    type: str | None
    id: str | None
    balance: str | None
    description: str | None
    description_pattern: re.Pattern[str] | None
    order: str
    currency: str
    returned: tuple[re.Pattern[str], ...]
    reversal: tuple[re.Pattern[str], ...]


def _profile(name: str, raw: Mapping[str, Any]) -> Profile:
    def opt(key: str) -> str | None:
        value = raw.get(key)
        return str(value) if value is not None else None

    pattern = opt("description_pattern")
    return Profile(
        name, str(raw.get("title", name)), tuple(raw["header"]), bool(raw.get("has_header", True)),
        int(raw.get("skip_lines", 0)), str(raw.get("encoding", "utf-8-sig")), str(raw["date"]),
        str(raw.get("date_format", "%d/%m/%Y")), opt("value_date"), opt("amount"), opt("debit"), opt("credit"),
        opt("reference"), opt("name"), opt("type"), opt("id"), opt("balance"), opt("description"),
        re.compile(pattern) if pattern else None, str(raw.get("order", "oldest-first")),
        str(raw.get("currency", "GBP")), tuple(re.compile(p) for p in raw.get("returned", ())),
        tuple(re.compile(p) for p in raw.get("reversal", ())))


def load_profiles(text: str | None = None) -> dict[str, Profile]:
    """The profiles shipped in ledger/bank/profiles.toml (or given as TOML text)."""
    if text is None:
        text = resources.files("ledger.bank").joinpath("profiles.toml").read_text(encoding="utf-8")
    return {name: _profile(name, raw) for name, raw in tomllib.loads(text).items()}


PROFILES = load_profiles()


def _rows(data: bytes, profile: Profile) -> list[tuple[int, list[str]]]:
    try:
        text = data.decode(profile.encoding)
    except UnicodeDecodeError as exc:
        raise BankFileRefused("file", "encoding", f"is not {profile.encoding} text at byte {exc.start}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise BankFileRefused(f"line {reader.line_num}", "csv", str(exc)) from None
    return rows


def sniff_profile(data: bytes) -> Profile | None:
    """The profile whose header row is the file's (None: no profile with a header fits)."""
    for profile in PROFILES.values():
        if not profile.has_header:
            continue
        try:
            rows = _rows(data, profile)
        except BankFileRefused:
            continue
        body = [r for _, r in rows[profile.skip_lines:] if any(c.strip() for c in r)]
        if body and tuple(c.strip() for c in body[0]) == profile.header:
            return profile
    return None


def _money(text: str, where: str, field: str) -> Decimal | None:
    clean = text.strip().replace("£", "").replace(",", "").replace("\u00a3", "")
    if not clean:
        return None
    return amount_of(clean, where, field)


def parse(data: bytes, profile: str | None = None) -> Statement:
    if profile is None:
        found = sniff_profile(data)
        if found is None:
            raise BankFileRefused("file", "profile", "no CSV profile's header fits this file: give --profile "
                                                     f"(known: {', '.join(PROFILES)})")
    else:
        found = PROFILES.get(profile)
        if found is None:
            raise BankFileRefused("", "profile", f"{profile!r} is not a CSV profile (known: {', '.join(PROFILES)})")
    return _parse(data, found)


def _parse(data: bytes, p: Profile) -> Statement:
    rows = [(n, r) for n, r in _rows(data, p)[p.skip_lines:] if any(c.strip() for c in r)]
    if p.has_header:
        if not rows:
            raise BankFileRefused("file", "header", f"is missing: a {p.name} export starts with {', '.join(p.header)}")
        n, header = rows[0]
        if tuple(c.strip() for c in header) != p.header:
            raise BankFileRefused(f"line {n}", "header", f"is {', '.join(header)!s}; the {p.name} profile expects "
                                                         f"{', '.join(p.header)}")
        rows = rows[1:]
    parsed: list[tuple[BankLine, Decimal | None]] = []
    for n, row in rows:
        parsed.append(_row(n, row, p))
    if p.order == "newest-first":
        parsed.reverse()
    if p.id is None:
        refs = equal_line_refs([(line.booked, line.amount, line.reference) for line, _ in parsed])
        parsed = [(line._replace(line_ref=ref), bal) for (line, bal), ref in zip(parsed, refs, strict=True)]
    opening = closing = None
    if parsed and p.balance is not None and parsed[-1][1] is not None and parsed[0][1] is not None:
        first, last = parsed[0][0], parsed[-1][0]
        # the balance column is the balance after each line: before the first line it was that less its amount
        opening = Balance(date.fromordinal(first.booked.toordinal() - 1), parsed[0][1] - first.amount, p.currency)
        closing = Balance(last.booked, parsed[-1][1], p.currency)
    return Statement("csv", p.name, p.currency, opening, closing, tuple(line for line, _ in parsed))


def _row(n: int, row: list[str], p: Profile) -> tuple[BankLine, Decimal | None]:
    where = f"line {n}"
    if len(row) != len(p.header):
        raise BankFileRefused(where, "columns", f"has {len(row)} columns; the {p.name} profile has {len(p.header)}")
    cells = dict(zip(p.header, (c.strip() for c in row), strict=True))
    booked = _date(cells[p.date], p, where, p.date)
    value = _date(cells[p.value_date], p, where, p.value_date) if p.value_date and cells[p.value_date] else booked
    if p.amount is not None:
        amount = _money(cells[p.amount], where, p.amount)
        if amount is None:
            raise BankFileRefused(where, p.amount, "is empty")
    else:
        assert p.debit is not None and p.credit is not None
        debit, credit = _money(cells[p.debit], where, p.debit), _money(cells[p.credit], where, p.credit)
        if (debit is None) == (credit is None):
            raise BankFileRefused(where, p.credit, f"exactly one of {p.debit} and {p.credit} must hold an amount")
        for column, given in ((p.debit, debit), (p.credit, credit)):
            if given is not None and given < 0:  # which way a signed one moves money is a guess: not made
                raise BankFileRefused(where, column, f"is negative ({given}): the {p.debit} and {p.credit} columns "
                                                     "hold amounts without a sign, the column saying which way")
        amount = credit if credit is not None else -debit  # type: ignore[operator]
    if amount == 0:
        raise BankFileRefused(where, p.amount or p.credit or "amount", "is zero: a statement line moves money")
    name = cells[p.name_column] if p.name_column else ""
    reference = cells[p.reference] if p.reference else ""
    description = cells[p.description] if p.description else ""
    if description and p.description_pattern is not None:
        match = p.description_pattern.fullmatch(description)
        if match:
            name = name or (match.groupdict().get("name") or "")
            reference = reference or (match.groupdict().get("reference") or "")
    if p.description_pattern is None:
        reference = reference or description
    # (with a pattern, a description it cannot split keeps no reference: the whole text would put the payer's name
    # into the chain, which keeps references; the name goes off the chain with the line's details)
    kind_text = " ".join(x for x in (cells[p.type] if p.type else "", description, reference) if x)
    returned = amount < 0 and any(r.fullmatch(kind_text) for r in p.returned)
    reversal = any(r.fullmatch(kind_text) for r in p.reversal)
    balance = _money(cells[p.balance], where, p.balance) if p.balance else None
    line = BankLine(cells[p.id] if p.id else "", booked, value, amount, p.currency, free_text(reference),
                    free_text(name), "", kind_of(amount, returned, reversal and not returned), where=where)
    return line, balance


def _date(text: str, p: Profile, where: str, field: str) -> date:
    try:
        return datetime.strptime(text, p.date_format).date()
    except ValueError:
        raise BankFileRefused(where, field, f"{text!r} is not a date written {p.date_format}") from None


def sniff(data: bytes) -> bool:
    return sniff_profile(data) is not None
