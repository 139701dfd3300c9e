"""docs/events.md, generated from the models so that the contract cannot drift.

`python -m ledger.events.catalog > docs/events.md` rewrites it; a test fails
when the file and the models disagree.
"""

from __future__ import annotations

import inspect

from pydantic import BaseModel

from ledger.events import REGISTRY
from ledger.events.fund import AccountKind

HEADER = """# Events: the public contract

Generated from `ledger/events/` by `python -m ledger.events.catalog > docs/events.md`;
`tests/unit/test_events_doc.py` fails when this file and the models disagree.

## The envelope

Every line of `mutual import` / `mutual export` is one JSON object, an *envelope*:

| field | type | on import | meaning |
|---|---|---|---|
| `position` | integer ≥ 1 | optional; if given must equal the position the ledger assigns | global order, gap-free, equal to commit order |
| `stream` | `<kind>-<id>`: the whole stream matches `{stream}` | required | the stream the event belongs to (`member-m1`, `dwelling-d1`, `society-coop1`, ...): a kind the event's type allows, and the id its payload names (below) |
| `version` | integer ≥ 1 | optional; if given must be the stream's next version | the event's number within its stream |
| `type` | string | required | one of the event types below |
| `schema_version` | integer ≥ 1 | optional (default: current, or the older version whose shape the payload has: a `MemberAdmitted` with `net_salary` and no `annual_payment` is version 1) | the payload's schema version; older versions are upcast on read. `mutual import` keeps an older event as given (a restore); `mutual record` writes a new one at the current version, lifted by the upcaster |
| `effective_date` | ISO date | required | the date the fact took effect |
| `recorded_at` | ISO-8601 UTC, `2026-11-22T14:59:46.123456Z` | optional (default: the store's clock) | when the ledger recorded it; never earlier than the event before it, never in the future |
| `payload` | object | required | the fact, per the type's schema below |
| `metadata` | object | optional | `actor` (required, filled from `--actor` on import), `reason`, `correlation_id`, `causation_id` (strings of 1–500 characters, not only white space, no NUL); `adjustment`: `"prior-period"` marks a prior-period adjustment into a closed period (needs a `reason`) |
| `idempotency_key` | 1–200 characters, each printable ASCII but space, `"` and `\\`: the whole key matches `{key}` (so no newline, tab, NUL or other control character, and nothing beyond ASCII) | optional (default: `fact:` + SHA-256 of the fact, below) | a retry with the same key and fact writes nothing; the same key with another fact is refused |
| `prev_hash` | 64 hex | optional; if given must match | the hash of the event at `position - 1` (64 zeros for the first) |
| `hash` | 64 hex | optional; if given must match | SHA-256 of the canonical envelope |

**Canonical serialisation.** An event's `hash` is SHA-256, written as 64
lower-case hex digits, over the UTF-8 bytes of its *canonical envelope*: the
JSON object of the eleven fields `effective_date`, `idempotency_key`,
`metadata`, `payload`, `position`, `prev_hash`, `recorded_at`,
`schema_version`, `stream`, `type` and `version` (every field of an exported
line but `hash`), written as follows. This section is enough to recompute every
hash of an export from outside the ledger
(`tests/integration/test_outside_verifier.py` does, with Python's `json` and
`hashlib` only).

1. **Objects**: members in ascending order of their keys (every key is ASCII),
   no white space anywhere: `,` between members and between array elements,
   `:` between a key and its value. Nested objects (the payload, the metadata,
   a correction's replacement payload, a fund policy's account kinds) are
   written the same way, at every depth.
2. **Strings**: between `"`; `"` is written `\\"` and `\\` is written `\\\\`;
   U+0008, U+0009, U+000A, U+000C and U+000D are written `\\b`, `\\t`, `\\n`,
   `\\f` and `\\r`; every other character below U+0020 is written `\\u00XX` with
   lower-case hex digits (`\\u001f`); every other character (`/`, DEL, U+2028,
   U+2029 and everything beyond ASCII included) is written as itself. No
   string holds a NUL (refused on the way in) or a lone surrogate (not JSON).
3. **Numbers and literals**: integers (`position`, `version`,
   `schema_version`, integer payload fields) in decimal, without `+`, leading
   zeros, fraction or exponent; `true`, `false`, `null`. No floats occur:
   money, rates, units, points and dates are strings.
4. **Values** are those of the exported line: the payload as stored, its fields
   written exactly as given once they passed their type's check (`"5800"`
   stays `"5800"`; it does not become `"5800.00"`) and every optional field
   present, with its default (`null` for most) when it was absent on the way
   in (a correction's replacement payload is kept as given); the metadata as
   stored (`actor` always there, absent fields left out rather than `null`);
   `effective_date` as `YYYY-MM-DD`; `recorded_at` as
   `YYYY-MM-DDTHH:MM:SS.ffffffZ`, UTC with exactly six fraction digits;
   `prev_hash` the `hash` of the event at `position - 1`, 64 zeros for the
   first event.

That is exactly what Python's
`json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`
writes for these values; the ledger writes it with orjson (`OPT_SORT_KEYS`).

**Added fields.** The exception to rule 4 is an *added* field (marked "left out
when absent or null" below): an optional field given to a type after events
of it were recorded. It is left out of the canonical payload when absent or
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
| `Id` | string | 1–64 characters: ASCII letters, digits, `_ . : -`, starting with a letter or digit |
| `Text` | string | 1–500 characters, any but NUL (U+0000): new lines, tabs and any language are kept as given |
| `Period` | string | `YYYY` or `YYYY-MM` |
| `Months` / `Years` | integer | 1–600 / 1–100 |

Every pattern matches the whole value: `"12.30\\n"` is not money and `"k1\\n"` is
not a key. A NUL (`\\u0000`) is refused in every string (payload, metadata,
key), naming the field. Unknown fields are refused everywhere.

## Streams and their ids

An event is on the stream of the thing it is about, and where its payload names
that thing's id it must be the stream's: a `LoanGranted` on `loan-L1` grants
loan `L1`. These payload fields, when set, must equal the id of the stream
(the part after the first `-`):

| stream kind | fields that must name the stream's id |
|---|---|
{own_ids}

Import, `mutual record`, every command and a correction's replacement refuse
an event that breaks this (`payload.loan_id: is L2 but the stream is
loan-L1`), as they refuse an event on a stream of a kind its type does not
allow. Ids of other things (a loan's fund and holder, a member's co-op, a
gift's receiver) are not the stream's. A log that holds such an event all the
same (a row written around the ledger) makes every query name it and its
position in an error rather than fold it (docs/store.md).

## Event types
"""


def _annotation(cls: type, name: str) -> str:
    for klass in cls.__mro__:
        raw = inspect.get_annotations(klass).get(name)
        if raw is not None:
            return raw if isinstance(raw, str) else getattr(raw, "__name__", str(raw))
    return "?"


def _fields(cls: type[BaseModel]) -> list[str]:
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


def _default(value: object) -> str:
    return "null" if value is None else str(value)


def _header() -> str:
    """HEADER with the patterns and the own-id rule filled in from the code that applies them."""
    from ledger.store.mapper import KEY_BODY, OWN_ID_FIELDS, STREAM_BODY

    own_ids = "\n".join(f"| `{kind}` | {', '.join(f'`{name}`' for name in names)} |"
                         for kind, names in OWN_ID_FIELDS.items())
    return HEADER.replace("{key}", KEY_BODY).replace("{stream}", STREAM_BODY).replace("{own_ids}", own_ids)


def render() -> str:
    parts = [_header()]
    for name in sorted(REGISTRY):
        cls = REGISTRY[name]
        doc = inspect.cleandoc(cls.__doc__ or "").replace("\n", " ")
        parts.append(f"### `{name}` (schema version {cls.schema_version})\n")
        if doc:
            parts.append(doc + "\n")
        parts.append(f"Streams: {', '.join(f'`{k}-…`' for k in cls.stream_kinds)}.\n")
        parts.append("\n".join(_fields(cls)) + "\n")
        for version in sorted(cls.older_versions, reverse=True):
            older = cls.older_versions[version]
            parts.append(f"#### `{name}` schema version {version} (read, upcast to {version + 1})\n")
            doc = inspect.cleandoc(older.__doc__ or "").replace("\n", " ")
            if doc:
                parts.append(doc + "\n")
            parts.append("\n".join(_fields(older)) + "\n")
        for version in sorted(cls.upcasters):
            upcaster = cls.upcasters[version]
            doc = inspect.cleandoc(upcaster.__doc__ or "").replace("\n", " ")
            parts.append(f"Upcaster from version {version} to {version + 1} (`{upcaster.__name__}`)"
                         + (f": {doc}" if doc else "") + "\n")
    parts.append("### `AccountKind` (inside `FundPolicySet.account_kinds`)\n")
    parts.append("\n".join(_fields(AccountKind)) + "\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
