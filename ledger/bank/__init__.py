"""Bank statements in: parsers that turn a statement's bytes into typed bank lines, the fold of a bank account
(what is imported, matched, ignored, returned), the matching rules and the sample statements.

Everything here is pure (bytes in, typed lines out; events in, figures out) but `personal.py`, which keeps the
lines' personal data (payer names and account numbers) in a mutable table beside the chain: the store side of
the package (docs/bank.md).
"""
