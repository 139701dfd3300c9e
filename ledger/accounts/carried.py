"""What a balance checkpoint may be carried forward over, and how its sums are written down.

A balance checkpoint (projections/accounts.py, docs/accounts.md) holds the general ledger's postings on one date
added up by (society, role, party), as the log stood at one position: the events' postings, each member's closed
years' postings (derived from the member's own fold) and the funds' releases. An event appended after the checkpoint
can be added to it without folding the whole log again only when what it changes is known exactly: its own postings
(ledger/accounts/postings.py), and the derived postings of the one member on whose stream it is (folded again from
that member's stream). These are the types a member's stream carries that no other fold reads. Anything else --
a correction (EventReversed re-writes an earlier event), an admission, a leaving, a policy, an index value, a
revaluation, the lender's year on the mortgage, anything of the fund -- may change other members' or societies'
derived postings, so the trial balance folds the whole log instead (and a new checkpoint is due).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

CARRIED_TYPES = frozenset({
    "PaymentDue", "PaymentReceived", "PaymentReturned", "PaymentIndexed", "MortgageYearPosted",
    "ExtraPaymentReceived", "ShareCapitalBought", "ShareCapitalWithdrawn", "DividendPaid", "ArrangementAgreed",
})

MEMBER_STREAM = "member-"

Key = tuple[str, str, Optional[str]]


def carried(stream: str, event_type: str) -> bool:
    """Whether an event appended after a checkpoint can be added to it (else: fold the whole log)."""
    return event_type in CARRIED_TYPES and stream.startswith(MEMBER_STREAM)


def sums_to_json(sums: dict[Key, Decimal]) -> list[list[Any]]:
    """[society, role, party, amount as text], sorted: the same text on SQLite and PostgreSQL."""
    return [[s, r, p, str(a)] for (s, r, p), a in sorted(sums.items(), key=lambda kv: (kv[0][0], kv[0][1],
                                                                                        kv[0][2] or ""))]


def sums_of_json(rows: list[list[Any]]) -> dict[Key, Decimal]:
    return {(str(s), str(r), p if p is None else str(p)): Decimal(a) for s, r, p, a in rows}
