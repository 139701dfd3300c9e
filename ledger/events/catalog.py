"""docs/events.md, generated from the models so that the contract cannot drift.

`python -m ledger.events.catalog > docs/events.md` rewrites it; a test fails
when the file and the models disagree.
"""

from __future__ import annotations

import inspect

from ledger.events import REGISTRY
from ledger.events.jak import AccountKind

HEADER = """# Events: the public contract

Generated from `ledger/events/` by `python -m ledger.events.catalog > docs/events.md`;
`tests/unit/test_events_doc.py` fails when this file and the models disagree.

## The envelope

Every line of `mutual import` / `mutual export` is one JSON object, an *envelope*:

| field | type | on import | meaning |
|---|---|---|---|
| `position` | integer ≥ 1 | optional; if given must equal the position the ledger assigns | global order, gap-free, equal to commit order |
| `stream` | `<kind>-<id>` | required | the stream the event belongs to (`member-m1`, `dwelling-d1`, `society-coop1`, ...) |
| `version` | integer ≥ 1 | optional; if given must be the stream's next version | the event's number within its stream |
| `type` | string | required | one of the event types below |
| `schema_version` | integer ≥ 1 | optional (default: current) | the payload's schema version; older versions are upcast on read |
| `effective_date` | ISO date | required | the date the fact took effect |
| `recorded_at` | ISO-8601 UTC, `2026-11-22T14:59:46.123456Z` | optional (default: the store's clock) | when the ledger recorded it; never earlier than the event before it, never in the future |
| `payload` | object | required | the fact, per the type's schema below |
| `metadata` | object | optional | `actor` (required, filled from `--actor` on import), `reason`, `correlation_id`, `causation_id` (strings); `adjustment`: `"prior-period"` marks a prior-period adjustment into a closed period (needs a `reason`) |
| `idempotency_key` | 1–200 printable ASCII | optional (default: `fact:` + SHA-256 of the fact, below) | a retry with the same key and fact writes nothing; the same key with another fact is refused |
| `prev_hash` | 64 hex | optional; if given must match | the hash of the event at `position - 1` (64 zeros for the first) |
| `hash` | 64 hex | optional; if given must match | SHA-256 of the canonical envelope |

**Canonical serialisation.** The hash is SHA-256 over the UTF-8 bytes of the
envelope *without* `hash`, written as JSON with keys sorted, no white space
(`,` and `:` separators), non-ASCII characters as themselves, and the payload
and metadata in their canonical form (keys sorted; money as a string with
payload fields written exactly as given once they pass their type's check,
e.g. `"5800.00"` or `"5800"`, `"0.035"`; dates as `YYYY-MM-DD`; optional
fields present with their default, `null` for most, when absent). No floats
occur anywhere. The exception is an *added* field (marked "left out when
absent or null" below): an optional field given to a type after events of it
were recorded. It is left out of the canonical payload when absent or
`null`, so every event recorded before it existed, and every file written
then, keeps its canonical text, its idempotency key and its hash. (A change
that alters what a stored payload means gets a new `schema_version` and an
upcaster instead.)

## Idempotency: the same fact is recorded once

An event's **fact** is its `stream`, `type`, `schema_version`,
`effective_date` and canonical `payload`. It is never the `metadata` (who
entered it, and why), the recorded time or the stream version.

- **Default key.** An event given without an `idempotency_key` gets
  `fact:` + SHA-256 of the fact (its five parts joined by U+001F). The same
  line imported or recorded again, by the same clerk or another, today or
  next year, has the same key. Nothing is written, and the command says the
  event was already recorded (exit 0).
- **Retries.** An event whose key the log holds with the same fact writes
  nothing and counts as already recorded; the same key with another fact is
  refused. `mutual record` and the fund's commands look for the event in the
  log *before* they check their rules, so a retry is a replay, never a
  refusal such as "society ... is already registered".
- **Two equal facts.** Two payments of the same amount, into the same
  account or from the same member, on the same day, are two events only
  when something tells them apart. That is a payload field: `bank_reference`
  (`PaymentReceived`, `ExtraPaymentReceived`), `purpose` (`FundExpense`,
  `ReserveSpent`, `ReserveTransferred`, `TopUpLoanDrawn`), `period`
  (`PaymentDue`, `DividendPaid`), or the optional `reference` (a bank
  reference or statement line) of `SavingsDeposited`, `SavingsWithdrawn` and
  `InstalmentReceived` (`--reference` on `savings deposit`, `savings
  withdraw`, `loan pay`). Or it is an explicit `idempotency_key` (`--key`).
- **The fund's commands** derive their keys the same way. `savings
  deposit`, `savings withdraw`, `fund expense`, `fund policy` and `points
  gift` use the fact of the event they write: the key `mutual import`
  derives for the same line. `loan pay` uses the payment *received* (the
  loan, the date, the amount and the reference): the fact of an
  `InstalmentReceived` whose payload is `{"amount", "loan_id"[,
  "reference"]}`. The split into repayment, after-saving and fee depends on
  the payments before it, so a retry could split differently. Commands that
  happen once per loan or account keep their fixed keys: `open:<account>`,
  `grant:<loan>`, `shares:<loan>`, `disburse:<loan>`, `shares-back:<loan>`,
  `write-off:<loan>:<date>`, `release:<loan>`. A retry on the same date is
  already recorded.
- **Keys derived before this rule.** Such keys stay as they were stored,
  and so do their hashes. `import` and `record` derived `content:` +
  SHA-256 of the fact and the metadata (and so the actor); the fund's
  commands counted stream versions (`deposit:<account>:<n>`,
  `withdraw:<account>:<n>`, `expense:<fund>:<n>`, `gift:<member>:<n>`,
  `instalment:<loan>:<n>`, `policy:<fund>:<date>:<n>`). An event with a
  derived key also counts as already recorded when an event on its stream
  holds the same fact under one of those older keys.
- **A reversed event keeps its key.** To enter the fact again after
  reversing it, give it a reference or a key, or let the correction carry
  the replacement.

## Field types

| type | JSON form | rule |
|---|---|---|
| `Money` | string | decimal with at most 2 places, no exponent; floats, NaN, Infinity refused |
| `PositiveMoney` / `NonNegativeMoney` | string | `Money` > 0 / ≥ 0 |
| `Rate` | string | decimal fraction (0.035 = 3.5%), at most 12 places, no exponent, between -1 and 10 |
| `NonNegativeRate` / `Fraction01` | string | `Rate` ≥ 0 / between 0 and 1 |
| `Units` / `PositiveUnits` | string | fractional equity units ≥ 0 / > 0 |
| `IndexValue` | string | an index level > 0 |
| `EventDate` | string | ISO date `YYYY-MM-DD`, a real calendar date, years 1900–2199 |
| `Id` | string | 1–64 characters: letters, digits, `_ . : -`, starting with a letter or digit |
| `Text` | string | 1–500 characters |
| `Period` | string | `YYYY` or `YYYY-MM` |
| `Months` / `Years` | integer | 1–600 / 1–100 |

Unknown fields are refused everywhere.

## Event types
"""


def _annotation(cls, name: str) -> str:
    for klass in cls.__mro__:
        raw = klass.__dict__.get("__annotations__", {}).get(name)
        if raw is not None:
            return raw if isinstance(raw, str) else getattr(raw, "__name__", str(raw))
    return "?"


def _fields(cls) -> list[str]:
    rows = ["| field | type | required | meaning |", "|---|---|---|---|"]
    for name, info in cls.model_fields.items():
        if info.is_required():
            required = "yes"
        elif name in getattr(cls, "added_fields", ()):
            required = "no (left out when absent or null)"
        else:
            required = f"no (default `{_default(info.default)}`)"
        rows.append(f"| `{name}` | `{_annotation(cls, name)}` | {required} | {info.description or ''} |")
    return rows


def _default(value) -> str:
    return "null" if value is None else str(value)


def render() -> str:
    parts = [HEADER]
    for name in sorted(REGISTRY):
        cls = REGISTRY[name]
        doc = inspect.cleandoc(cls.__doc__ or "").replace("\n", " ")
        parts.append(f"### `{name}` (schema version {cls.schema_version})\n")
        if doc:
            parts.append(doc + "\n")
        parts.append(f"Streams: {', '.join(f'`{k}-…`' for k in cls.stream_kinds)}.\n")
        parts.append("\n".join(_fields(cls)) + "\n")
        if cls.upcasters:
            parts.append("Upcasters from versions: " + ", ".join(str(v) for v in sorted(cls.upcasters)) + "\n")
    parts.append("### `AccountKind` (inside `FundPolicySet.account_kinds`)\n")
    parts.append("\n".join(_fields(AccountKind)) + "\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
