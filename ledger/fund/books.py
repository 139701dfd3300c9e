"""A fund's books: its streams read once, its report and its forecast."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from ledger import streams
from ledger.errors import NotFound
from ledger.folded import Event
from ledger.fund.account import Release, account_opening
from ledger.fund.common import money_json
from ledger.fund.flows import Flow, fund_flows, position_of
from ledger.fund.forecast import forecast_years, projected_flows
from ledger.fund.loan import loan_state
from ledger.fund.policy import policies, policy_at
from ledger.fund.reading import FundIndex, known, read_releases

if TYPE_CHECKING:
    from ledger.source import EventSource as Reader
from ledger.fund.typed import account_opened
from ledger.money import ZERO


class FundBooks:
    """A fund's streams, read once: its society stream, its accounts and its loans."""

    def __init__(self, reader: Reader, fund: str, index: FundIndex | None = None, must_exist: bool = True) -> None:
        self.fund = fund
        self.reader = reader
        self.index = index or FundIndex(reader)
        self.society = reader.stream(streams.society(fund))
        self.accounts = {a: reader.stream(streams.account(a)) for a in self.index.fund_accounts(fund)}
        self.loans = {x: reader.stream(streams.loan(x)) for x in self.index.fund_loans(fund)}
        if must_exist and not self.society and not self.accounts and not self.loans:
            raise NotFound(f"fund {fund}: no such fund in the books{known(reader)}")

    def every(self) -> list[Event]:
        return self.society + [f for fs in self.accounts.values() for f in fs] + \
            [f for fs in self.loans.values() for f in fs]

    def flows(self) -> list[Flow]:
        return fund_flows(self.society, [f for fs in self.accounts.values() for f in fs],
                          [f for fs in self.loans.values() for f in fs])

    def releases(self, through: date) -> list[Release]:
        """The releases of the fund's loans on or before `through` (each holder's, holder_releases), by date."""
        holders = sorted({self.index.granted[x].holder_id for x in self.loans})
        found = [r for h in holders for r in read_releases(self.reader, h, through, self.index)
                 if r.loan_id in self.loans]
        return sorted(found, key=lambda r: (r.on, r.loan_id))

    def first_date(self) -> date:
        return min(f.effective_date for f in self.every())

    def last_date(self) -> date:
        return max(f.effective_date for f in self.every())

    def report(self, as_of: date) -> dict[str, Any]:
        """The fund's position and totals on `as_of`."""
        position = position_of(self.flows(), as_of)
        releases = self.releases(as_of)
        loans = [loan_state(fs, as_of, releases) for _, fs in sorted(self.loans.items())]
        active = [s for s in loans if s.status == "disbursed"]
        owing = [s for s in loans if s.status in ("disbursed", "repaid")]
        in_force = policy_at(policies(self.society), as_of)
        opened = [account_opening(fs) for fs in self.accounts.values()]  # the fund counts accounts, not balances
        data = {
            "fund_id": self.fund,
            "as_of": as_of,
            "savings": position.savings,
            "share_capital": position.share_capital,
            "fees": position.fees,
            "loans_outstanding": position.loans_outstanding,
            "expenses": position.expenses,
            "liquidity": position.liquidity,
            "accounts": sum(1 for f in opened if f.effective_date <= as_of),
            "holders": len({account_opened(f).holder_id for f in opened if f.effective_date <= as_of}),
            "loans_granted": sum(1 for s in loans if s.contract.granted_on <= as_of),
            "loans_active": len(active),
            # (a repaid loan left short of its after-savings is in arrears too, as `loan show` says, and takes them)
            "loans_in_arrears": sum(1 for s in owing if s.arrears > 0),
            "arrears": sum((s.arrears for s in owing), ZERO),
            "locked_after_savings": sum((s.locked_after_savings for s in loans), ZERO),
            "policy": in_force.to_json() if in_force else None,
        }
        return money_json(data, ("savings", "share_capital", "fees", "loans_outstanding", "expenses", "liquidity",
                                  "arrears", "locked_after_savings"))

    def forecast(self, years: int, start: date | None = None, as_of: date | None = None) -> dict[str, Any]:
        """Year by year from `start` (default: the first event): recorded flows up to `as_of`
        (default: the last event), then the contracts in force."""
        start = start or self.first_date()
        as_of = as_of or self.last_date()
        recorded = [f for f in self.flows() if f.on <= as_of]
        planned = projected_flows(self.loans, as_of)
        return {"fund_id": self.fund, "from": start, "recorded_through": as_of,
                "years": forecast_years(recorded + planned, start, years)}
