"""Command handlers: check the invariants against the books, then append."""
