"""`mutual accounts chart`: record a society's chart of accounts from a date (a `ChartOfAccountsSet`).

Checked: the society is in the books, the roles are the chart's and each name is of its role's type (the event's
schema), the date is outside the society's closed periods; a retry of the same fact writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ledger import streams
from ledger.commands.consistency import checks_again
from ledger.commands.fund import StoreReader, Written, _append, _replay, _same_event, _schema
from ledger.errors import FieldError, ValidationFailed
from ledger.events.accounts import ChartOfAccountsSet
from ledger.events.coop import SocietyRegistered
from ledger.store import EventStore, NewEvent
from ledger.store.envelope import model_fact_key


@checks_again
def set_chart(store: EventStore, society: str, accounts: Sequence[tuple[str, str, str | None]], *, on: date,
              actor: str, key: str | None = None) -> Written:
    """From `on`, the society's accounts for these roles are named (role, name, code)."""
    reader = StoreReader(store)
    with _schema("chart of accounts"):
        payload = ChartOfAccountsSet.model_validate({
            "society_id": society,
            "accounts": [{"role": r, "name": n, **({"code": c} if c else {})} for r, n, c in accounts]})
    stream = streams.society(society)
    if not any(e.type == SocietyRegistered.event_type for e in reader.stream(stream)):
        raise ValidationFailed([FieldError("society_id", f"society {society} is not in the books")],
                               where="chart of accounts refused, nothing written")
    key = key or model_fact_key(stream, payload, on)
    done = _replay(store, reader, stream, key, _same_event(payload, on), "chart of accounts")
    if done is not None:
        return done
    return _append(store, stream, [NewEvent(payload, on, key)], reader, actor)
