"""The chart of accounts: the roles a posting names, and the account each role is in a society's books.

A posting names a *role* ("bank", "reserve", "members_debtors"), never an account; the chart turns a role and a
society into an account name valid for beancount and hledger (`Assets:Riverside:Bank`: the type, the society,
the role's own components, each capitalised) and a code for Xero. The default chart is the same for every
society; a society's kind says which roles it is expected to use (the docs and the statements list those).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Protocol

AccountType = Literal["Assets", "Liabilities", "Equity", "Income", "Expenses"]
SocietyKind = Literal["coop", "clt", "fund"]

# The order a trial balance and a balance sheet list the types in.
TYPE_ORDER: tuple[AccountType, ...] = ("Assets", "Liabilities", "Equity", "Income", "Expenses")


@dataclass(frozen=True)
class Role:
    """What a role is: its account type, the default account's own components and code, and what it holds."""

    role: str
    type: AccountType
    suffix: str  # beancount components after the society's, e.g. "Members:Arrears"
    code: str  # the Xero account code of the default chart
    kinds: tuple[SocietyKind, ...]
    holds: str
    by_party: bool = False  # one sub-account per member (a sub-ledger)


_ALL: tuple[SocietyKind, ...] = ("coop", "clt", "fund")

ROLES: dict[str, Role] = {r.role: r for r in (
    Role("bank", "Assets", "Bank", "1000", _ALL, "the society's bank account"),
    Role("property", "Assets", "Property:Dwellings", "1100", ("coop",),
         "the dwellings the collective mortgage bought, at cost"),
    Role("members_debtors", "Assets", "Members:Arrears", "1200", ("coop",),
         "members' dues not yet paid (a credit balance: paid ahead), one sub-account per member", by_party=True),
    Role("loans_receivable", "Assets", "Loans", "1300", ("fund",), "interest-free loans disbursed, not yet repaid"),
    Role("land", "Assets", "Land", "1400", ("clt",), "the CLT's land (no event moves money into it yet)"),
    Role("units_held", "Assets", "Units-held", "1410", ("clt",),
         "the equity units the CLT holds permanently (no event moves money into it yet)"),
    Role("mortgage", "Liabilities", "Mortgage:Collective", "2100", ("coop",),
         "the collective mortgage: drawn, plus interest and indexation, less payments and prepayments"),
    Role("top_up_loans", "Liabilities", "Mortgage:Top-up", "2110", ("coop",),
         "top-up loans drawn (e.g. to pay out a leaving member)"),
    Role("prepayments_held", "Liabilities", "Members:Prepayments-held", "2200", ("coop",),
         "members' extra payments held for the lender until passed on as a prepayment"),
    Role("savers_deposits", "Liabilities", "Savers:Deposits", "2300", ("fund",), "savers' free balances"),
    Role("locked_after_savings", "Liabilities", "Savers:Locked-after-savings", "2310", ("fund",),
         "after-savings locked until their loan is repaid and its points are balanced"),
    Role("members_equity", "Equity", "Members:Deposits-and-equity", "3000", ("coop",),
         "members' deposits and the equity their staircasing bought, less payouts"),
    Role("share_capital", "Equity", "Share-capital", "3100", _ALL, "members' share capital"),
    Role("share_deposits", "Equity", "Share-deposits", "3150", ("fund",),
         "borrowers' share deposits, withdrawable once their loan is repaid"),
    Role("reserve", "Equity", "Reserve", "3200", ("coop",),
         "the co-op's reserve: closed member-years' surpluses, transfers, less spending"),
    Role("retained_surplus", "Equity", "Retained-surplus", "3300", _ALL,
         "the surplus not appropriated to the reserve"),
    Role("payments_income", "Income", "Members:Payments", "4000", ("coop",), "members' dues, less their charges"),
    Role("charges_income", "Income", "Members:Charges", "4100", ("coop",),
         "the dwellings' share of the co-op's charges, as they fall due"),
    Role("fee_income", "Income", "Fees", "4200", ("fund",), "loan set-up, annual and instalment fees"),
    Role("ground_lease_income", "Income", "Ground-lease", "4300", ("clt",),
         "ground rent from the co-ops (no event records it yet)"),
    Role("interest_expense", "Expenses", "Mortgage:Interest", "5000", ("coop",), "the lender's interest"),
    Role("indexation_expense", "Expenses", "Mortgage:Indexation", "5010", ("coop",),
         "the index-linked mortgage's indexation of the debt"),
    Role("reserve_spending", "Expenses", "Repairs:From-reserve", "5100", ("coop",),
         "spending from the reserve (e.g. cyclical repairs)"),
    Role("share_interest", "Expenses", "Share-interest", "5200", _ALL, "dividends (interest) on share capital"),
    Role("running_costs", "Expenses", "Running-costs", "5300", ("fund",), "the fund's expenses"),
    Role("loans_written_off", "Expenses", "Loans-written-off", "5310", ("fund",), "loans written off (a loss)"),
)}

_COMPONENT = re.compile(r"[A-Z0-9][A-Za-z0-9-]*")
_INVALID = re.compile(r"[^A-Za-z0-9-]")


def component(ident: str, prefix: str = "") -> str:
    """An id as an account-name component: beancount's first character a capital or digit, then letters, digits
    and dashes. A member's id is prefixed (`M-`), a society's first letter capitalised. Two ids never share an
    account: an id the name cannot spell as it is (`_ . :` in it, which become `-`; a society's id starting with a
    capital, whose name a lower-case twin's would be) also carries the first 8 hex digits of its SHA-256, so `x_1`
    is `M-x-1-…` and `x-1` is `M-x-1`."""
    text = _INVALID.sub("-", ident)
    if prefix:
        plain, text = text == ident, prefix + text
    else:
        plain, text = text == ident and not ident[:1].isupper(), text[:1].upper() + text[1:]
    if not plain:
        text += "-" + hashlib.sha256(ident.encode()).hexdigest()[:8]
    if not _COMPONENT.fullmatch(text):  # pragma: no cover - ids start with a letter or digit (cli/params.ID)
        text = "X-" + text
    return text


@dataclass(frozen=True)
class Account:
    """An account of one society's books."""

    name: str
    code: str
    role: str
    society: str
    party: str | None = None

    @property
    def type(self) -> AccountType:
        return ROLES[self.role].type


Settings = dict[tuple[str, str], tuple[str, str | None]]  # (society, role) -> (account name, code or None)


class Chart:
    """The accounts of the books: each (society, role, party) once, named by the chart in force (`settings`: what
    the societies' `ChartOfAccountsSet` say, `chart_settings`), else by the default chart."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._made: dict[tuple[str, str, str | None], Account] = {}
        self._settings = settings or {}

    def account(self, society: str, role: str, party: str | None = None) -> Account:
        key = (society, role, party)
        found = self._made.get(key)
        if found is None:
            r = ROLES[role]
            name, code = self._settings.get((society, role), (None, None))
            name = name or f"{r.type}:{component(society)}:{r.suffix}"
            if r.by_party and party is not None:
                name += ":" + component(party, "M-")
            found = self._made[key] = Account(name, code or r.code, role, society, party if r.by_party else None)
        return found


class Setting(Protocol):
    """What the chart's fold reads of a `ChartOfAccountsSet` (a StoredEvent has it)."""

    @property
    def position(self) -> int: ...
    @property
    def effective_date(self) -> date: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...


def chart_settings(events: Iterable[Setting], end: date) -> Settings:
    """The chart in force on `end`: each society's `ChartOfAccountsSet` effective by then, in effective order (log
    order on a day), each naming some roles; a later one overrides an earlier one's roles only."""
    found: Settings = {}
    for e in sorted((e for e in events if e.effective_date <= end), key=lambda e: (e.effective_date, e.position)):
        society = str(e.payload["society_id"])
        for a in e.payload["accounts"]:
            found[(society, str(a["role"]))] = (str(a["name"]), a.get("code"))
    return found
