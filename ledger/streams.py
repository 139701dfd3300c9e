"""Stream names, made in one place: `<kind>-<id>`, one stream per society, dwelling, member, mortgage,
index series, savings account and loan (docs/events.md, "Streams and their ids")."""

from __future__ import annotations


def society(society_id: str) -> str:
    return f"society-{society_id}"


def dwelling(dwelling_id: str) -> str:
    return f"dwelling-{dwelling_id}"


def member(member_id: str) -> str:
    return f"member-{member_id}"


def mortgage(mortgage_id: str) -> str:
    return f"mortgage-{mortgage_id}"


def index(series: str) -> str:
    return f"index-{series}"


def account(account_id: str) -> str:
    return f"account-{account_id}"


def loan(loan_id: str) -> str:
    return f"loan-{loan_id}"


def bank(account_id: str) -> str:
    """A bank account's statements and what was decided about each line (ledger/events/bank.py)."""
    return f"bank-{account_id}"


def kind_and_id(stream: str) -> tuple[str, str]:
    """A stream's kind and its id (`member-alice` -> ("member", "alice"))."""
    kind, _, sid = stream.partition("-")
    return kind, sid


__all__ = ["account", "bank", "dwelling", "index", "kind_and_id", "loan", "member", "mortgage", "society"]
