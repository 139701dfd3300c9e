"""The savings-and-loans fund's state on any date: pure folds over its events (no I/O).

The read side (projections/fund.py) hands these functions the events of
the streams it read (an EventSource's, ledger/source.py: payloads already
at their current schema version) and an `as_of` date; everything here is a function of those.
The rules themselves live in ledger/rules/{points,loans,fund}.py and are
reused, never restated. docs/fund-projections.md describes the model.
One module a concept:

* common: what every fold shares (the Event it takes, amounts as shown);
* policy: the product policy and the factor timeline;
* loan, account, gifts, holder: the folds of a loan, an account, the gifts and a holder;
* releases: the release of after-savings (a fold);
* flows, forecast: the fund's cash flows, position and forecast;
* reading, books: the folds over an EventSource (a holder, a loan, a fund's books).

The model:

* an account holds a FREE balance, earning points at its kind's savings
  factor (the factor timeline comes from the fund's policy events), and
  LOCKED after-savings per loan, earning at factor 1 (the contract's
  convention) until the loan's release moves them to the free balance: a
  release is itself a fold (`releases.holder_releases`), the day after the holder's
  points are first back to zero or above once the loan is repaid; an
  `AfterSavingsReleased` event (written by `settle` before the release was a
  fold) is read as nothing;
* an instalment's after-saving is paid into the account named by the loan's
  LoanGranted (the loan stream's InstalmentReceived is the only record of
  it; a SavingsDeposited with `after_saving_for_loan` is an after-saving
  paid separately);
* a loan is a negative balance at factor 1: disbursement, less repayments
  and write-offs;
* a gift moves points from the giver to the receiver on its date.

Points are summed exactly (Fraction) and rounded once, when shown.
"""
