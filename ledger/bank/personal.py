"""The personal data of bank lines, kept beside the chain: payers' names and account numbers, and the payee
names learned from confirmed matches (migrations/versions/0008_bank_lines.py).

This is the store side of the package (SQLAlchemy Core on a connection the command hands over, so the rows go
in with the events, in one transaction, or not at all). A row can be updated or erased; the chain keeps only the
line's id, amount, dates and reference, so `mutual verify` and `mutual audit` still pass after an erasure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, delete, insert, select, update
from sqlalchemy.engine import Connection

metadata = MetaData()

line_details = Table(
    "bank_line_details", metadata,
    Column("line_id", String(64), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("counterparty_name", String(200), nullable=True),
    Column("counterparty_account", String(64), nullable=True),
)

learned_payees = Table(
    "bank_payees", metadata,
    Column("account_id", String(64), nullable=False),
    Column("payee_key", String(200), nullable=False),
    Column("member_id", String(64), nullable=False),
    Column("learned_from_line", String(64), nullable=False),
    PrimaryKeyConstraint("account_id", "payee_key", name="pk_bank_payees"),
)

CHUNK = 500


def save_details(conn: Connection, account_id: str, rows: Sequence[tuple[str, str, str]]) -> int:
    """Keep (line_id, name, account number) of lines new to the ledger (the import calls it for those only, so a
    re-import never brings back details that were erased); a line already kept is left as it is."""
    wanted = [r for r in rows if r[1] or r[2]]
    known: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        ids = [r[0] for r in wanted[start:start + CHUNK]]
        known |= set(conn.execute(select(line_details.c.line_id).where(line_details.c.line_id.in_(ids))).scalars())
    new = [{"line_id": lid, "account_id": account_id, "counterparty_name": name or None,
            "counterparty_account": acct or None} for lid, name, acct in wanted if lid not in known]
    if new:
        conn.execute(insert(line_details), new)
    return len(new)


def details(conn: Connection, line_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """{line_id: (name, account number)} of the lines that have details kept."""
    ids = list(line_ids)
    out: dict[str, tuple[str, str]] = {}
    for start in range(0, len(ids), CHUNK):
        rows = conn.execute(select(line_details.c.line_id, line_details.c.counterparty_name,
                                   line_details.c.counterparty_account)
                            .where(line_details.c.line_id.in_(ids[start:start + CHUNK])))
        out.update({lid: (name or "", acct or "") for lid, name, acct in rows})
    return out


def erase_details(conn: Connection, line_id: str) -> bool:
    """Erase a line's personal details (a person's right to erasure); the chain is untouched."""
    return bool(conn.execute(delete(line_details).where(line_details.c.line_id == line_id)).rowcount)


def erase_member(conn: Connection, member_id: str, line_ids: Sequence[str]) -> int:
    """A member's erasure reaches the bank's off-chain tables too: the payers' details of the lines matched to them,
    and the payer names learned for them. Returns how many rows went."""
    gone = 0
    ids = list(line_ids)
    for start in range(0, len(ids), CHUNK):
        gone += conn.execute(delete(line_details).where(line_details.c.line_id.in_(ids[start:start + CHUNK]))).rowcount
    gone += conn.execute(delete(learned_payees).where(learned_payees.c.member_id == member_id)).rowcount
    return gone


def payees(conn: Connection, account_id: str) -> dict[str, str]:
    rows = conn.execute(select(learned_payees.c.payee_key, learned_payees.c.member_id)
                        .where(learned_payees.c.account_id == account_id))
    return {key: member for key, member in rows}


def learn_payee(conn: Connection, account_id: str, key: str, member_id: str, line_id: str) -> None:
    """Remember that a payer's name pays for `member_id` (from a confirmed match)."""
    if not key:
        return
    found = conn.execute(select(learned_payees.c.member_id).where(
        learned_payees.c.account_id == account_id, learned_payees.c.payee_key == key)).first()
    if found is None:
        conn.execute(insert(learned_payees).values(account_id=account_id, payee_key=key, member_id=member_id,
                                                   learned_from_line=line_id))
    elif found[0] != member_id:
        conn.execute(update(learned_payees).where(learned_payees.c.account_id == account_id,
                                                  learned_payees.c.payee_key == key)
                     .values(member_id=member_id, learned_from_line=line_id))


def forget_payee(conn: Connection, account_id: str, key: str) -> bool:
    return bool(conn.execute(delete(learned_payees).where(learned_payees.c.account_id == account_id,
                                                          learned_payees.c.payee_key == key)).rowcount)
