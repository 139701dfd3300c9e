"""mutual-ledger: the books of mutual home ownership co-ops, their CLTs and a JAK fund."""

__version__ = "0.1.0"
