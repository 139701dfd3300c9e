"""The general ledger's policy event: a society's chart of accounts (docs/accounts.md).

Stream: `society-<id>`.
"""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ledger.accounts.chart import ROLES
from ledger.events.base import EventPayload
from ledger.events.types import Id, whole

# A beancount/hledger account name: a type, then components each starting with a capital or a digit.
AccountName = Annotated[str, StringConstraints(
    pattern=whole(r"(Assets|Liabilities|Equity|Income|Expenses)(:[A-Z0-9][A-Za-z0-9-]{0,63}){1,6}"))]
AccountCode = Annotated[str, StringConstraints(pattern=whole(r"[A-Za-z0-9][A-Za-z0-9.-]{0,9}"))]


class AccountNaming(BaseModel):
    """One role of the chart given its account name (and its code for Xero)."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")
    role: Id
    name: AccountName
    code: Optional[AccountCode] = None

    @model_validator(mode="after")
    def _known_role_of_its_type(self) -> AccountNaming:
        role = ROLES.get(self.role)
        if role is None:
            raise ValueError(f"role {self.role!r} is not a role of the chart: {', '.join(sorted(ROLES))}")
        if not self.name.startswith(role.type + ":"):
            raise ValueError(f"name {self.name!r}: role {self.role} is in {role.type}, so its name starts "
                             f"{role.type}:")
        return self


def _each_role_once(accounts: list[AccountNaming]) -> list[AccountNaming]:
    roles = [a.role for a in accounts]
    twice = sorted({r for r in roles if roles.count(r) > 1})
    if twice:
        raise ValueError(f"roles named twice: {', '.join(twice)}")
    return accounts


class ChartOfAccountsSet(EventPayload):
    """From its effective date, the society's accounts for the roles named take these names and codes (the roles it
    does not name keep theirs). The chart in force on a report's last day names every posting of the report."""

    event_type = "ChartOfAccountsSet"
    stream_kinds = ("society",)
    society_id: Id
    accounts: Annotated[list[AccountNaming], AfterValidator(_each_role_once)] = Field(min_length=1,
                                                                                      max_length=len(ROLES))


__all__ = ["AccountNaming", "ChartOfAccountsSet"]
