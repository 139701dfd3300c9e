"""The fund's liquidity: one rule, called by every command that takes money out of the fund.

    liquidity = savings + share capital + fees - loans outstanding - expenses

A payout (a loan, a withdrawal, a share deposit back, an expense) is
allowed when the liquidity left after it is not below zero
(`funding_refusal`). The report's Appendix 6 forecast, which reproduces the
report's table from quoted contracts, is an example of these rules, not a
rule: examples/appendix6.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledger.errors import FieldError
from ledger.money import ZERO
from ledger.money import exact_decimal as _decimal

# --- liquidity ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FundPosition:
    """The fund's cumulative totals on a date (expenses: what the fund itself spent)."""

    savings: Decimal = ZERO
    share_capital: Decimal = ZERO
    fees: Decimal = ZERO
    loans_outstanding: Decimal = ZERO
    expenses: Decimal = ZERO

    def __post_init__(self) -> None:
        for name in ("savings", "share_capital", "fees", "loans_outstanding", "expenses"):
            _decimal(name, getattr(self, name))

    @property
    def liquidity(self) -> Decimal:
        return liquidity(self.savings, self.share_capital, self.fees, self.loans_outstanding, self.expenses)

    def plus(self, **changes: Decimal) -> FundPosition:
        """The position after some flows, e.g. plus(savings=Decimal("10"))."""
        values = {name: getattr(self, name) + _decimal(name, amount) for name, amount in changes.items()}
        return FundPosition(**{**self._asdict(), **values})

    def _asdict(self) -> dict[str, Decimal]:
        names = ("savings", "share_capital", "fees", "loans_outstanding", "expenses")
        return {name: getattr(self, name) for name in names}


def liquidity(
    savings: Decimal, share_capital: Decimal, fees: Decimal, loans_outstanding: Decimal, expenses: Decimal
) -> Decimal:
    """What the fund holds in cash; negative means it has lent or spent money it never had."""
    return (
        _decimal("savings", savings)
        + _decimal("share_capital", share_capital)
        + _decimal("fees", fees)
        - _decimal("loans_outstanding", loans_outstanding)
        - _decimal("expenses", expenses)
    )


def funding_refusal(position: FundPosition, amount: Decimal, *, to: str = "lend", since: date | None = None,
                    field: str = "amount") -> FieldError | None:
    """Why the fund cannot pay out `amount` from `position`, or None when it can: THE liquidity rule, for every
    command that takes money out of the fund (a loan, a withdrawal, a share deposit back, an expense).

    `position` is the fund's at its lowest from the day of the payout on (`since`, named in the reason), so
    that a payout never leaves the fund short on any later day; `to` says what the money is for ("lend",
    "pay out"). A new loan's own fee and share deposit are not counted: they may be netted from the payout or
    paid later, and a liquidity rule should not lean on them.
    """
    amount = _decimal("amount", amount)
    if amount <= 0:
        return FieldError(field, "must be more than zero")
    available = position.liquidity
    if available - amount < 0:
        when = "" if since is None else f" from {since}"
        return FieldError(field, f"the fund has {available} to {to}{when}, less than the {amount} asked for")
    return None


def can_fund(position: FundPosition, amount: Decimal) -> bool:
    """Whether paying out `amount` leaves the fund's liquidity at or above zero."""
    return funding_refusal(position, amount) is None
