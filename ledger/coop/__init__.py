"""Pure folds over the shared-equity co-op's events, one module per concept.

- `fold`: what every fold shares (events in effective order, timelines, pending facts);
- `society`: a CLT's or co-op's reserve moves and policies;
- `dwelling`: value, CLT units, charges budget, lease assignments;
- `index`: index series and the rate of a year;
- `mortgage`: the lender's balance and the schedule a member's debt share follows;
- `member`: the member's fold, member-years, units, equity and the payout on leaving.

The read side (`projections/coop.py`) feeds them from a `LedgerView`; the command handlers
(`ledger/commands/coop.py`) feed them the current log to check invariants; the accrual engine
(`ledger/accrual.py`) builds on them.
"""
