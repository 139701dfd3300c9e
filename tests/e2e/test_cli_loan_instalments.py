"""`mutual loan show` counts the instalments the money received covers, and shows a part-paid one apart
(issue #10 item 6; docs/fund-projections.md)."""

from __future__ import annotations

import json

from tests.e2e.test_cli_fund import as_json, ok


def test_loan_show_counts_a_part_paid_instalment_apart(backend):
    ok(backend, "fund", "policy", "f1", "--on", "2024-01-01", "--kind", "jak:1")
    ok(backend, "savings", "open", "s-jak", "--fund", "f1", "--holder", "saver", "--kind", "jak", "--on", "2024-01-01")
    ok(backend, "savings", "deposit", "s-jak", "--amount", "5000", "--on", "2024-01-01")
    ok(backend, "savings", "open", "m1-jak", "--fund", "f1", "--holder", "m1", "--kind", "jak", "--on", "2024-01-01")
    ok(backend, "savings", "deposit", "m1-jak", "--amount", "650", "--on", "2024-01-01")
    ok(backend, "loan", "grant", "L1", "--holder", "m1", "--account", "m1-jak", "--amount", "1200", "--months", "12",
       "--on", "2024-07-01")
    ok(backend, "loan", "shares", "L1", "--on", "2024-07-01")
    ok(backend, "loan", "disburse", "L1", "--on", "2024-07-01")
    for month in range(8, 13):  # five instalments of 150.00 (100.00 repayment + 50.00 after-saving)
        ok(backend, "loan", "pay", "L1", "--amount", "150", "--on", f"2024-{month:02d}-01")
    ok(backend, "loan", "pay", "L1", "--amount", "100", "--on", "2025-01-01")  # the sixth: 100.00 of 150.00
    loan = as_json(backend, "loan", "show", "L1", "--as-of", "2025-01-15")
    assert loan["instalments_due"] == 6 and loan["payments_received"] == 6
    assert loan["instalments_received"] == 5 and loan["instalment_part_paid"] == "100.00"
    assert loan["arrears"] == "50.00"
    table = ok(backend, "loan", "show", "L1", "--as-of", "2025-01-15").output
    assert "instalment_part_paid" in table and "100.00" in table
    ok(backend, "loan", "pay", "L1", "--amount", "50", "--on", "2025-01-02")
    loan = json.loads(ok(backend, "loan", "show", "L1", "--as-of", "2025-01-15", "--json").output)
    assert loan["instalments_received"] == 6 and loan["instalment_part_paid"] == "0.00"
