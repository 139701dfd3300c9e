"""The general ledger as a projection: a chart of accounts per society, the postings every event type makes,
the postings derived from the folds at period ends, and the journal, trial balance and statements they add up to.

Pure domain code (standard library only, no I/O): projections/accounts.py reads the books and hands the events
over; docs/accounts.md is generated from these tables (`python -m ledger.accounts.catalog`).
"""
