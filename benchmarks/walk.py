"""Follow one payment from `mutual record` to `member show --as-of`: the project files that run, and those that
handle the payment itself.

    python -m benchmarks.walk

Records one `PaymentReceived` for alice on the example books (examples/coop-ten-years.jsonl, imported into a
temporary SQLite ledger first), then asks `member show alice --as-of 2025-03-31 --json`, with a profiler hook
that notes every function called in `ledger/`, `projections/` and `cli/` (not code run while a module is being
imported). `files_run`: the files those functions are in. `files_handling_the_payment`: the files whose
functions were handed the payment (a local holding its bank reference: the envelope, its payload, the checked
event, the row, the folded event), the files a reader follows to see where the payment goes. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from types import FrameType
from typing import Any

from click.testing import CliRunner

from cli.main import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARK = "WALK-PAYMENT-REFERENCE"
PACKAGES = tuple(os.path.join(ROOT, p) + os.sep for p in ("ledger", "projections", "cli"))


def _holds(value: Any, depth: int = 0) -> bool:
    """Whether `value` is or holds the payment (its bank reference), looking a few containers deep."""
    if isinstance(value, str):
        return MARK in value
    if isinstance(value, (bytes, bytearray)):
        return MARK.encode() in value
    if depth > 2:
        return False
    if isinstance(value, dict):
        return any(_holds(v, depth + 1) for v in list(value.values())[:50])
    if isinstance(value, (list, tuple)) and len(value) < 50:
        return any(_holds(v, depth + 1) for v in value)
    for attr in ("payload", "envelope", "pending", "event"):
        inner = None if isinstance(value, type) else getattr(value, attr, None)
        if inner is not None and not callable(inner) and _holds(inner, depth + 1):
            return True
    return False


def walk() -> dict[str, Any]:
    folder = tempfile.mkdtemp()
    db = f"sqlite:///{folder}/walk.db"
    runner = CliRunner()
    for args in (["init"], ["import", os.path.join(ROOT, "examples", "coop-ten-years.jsonl")]):
        done = runner.invoke(cli, ["--db", db, *args])
        assert done.exit_code == 0, done.output
    line = json.dumps({"stream": "member-alice", "type": "PaymentReceived", "effective_date": "2025-03-20",
                       "payload": {"member_id": "alice", "amount": "10.00", "period": "2025-03",
                                   "bank_reference": MARK}})
    ran: set[str] = set()
    handled: set[str] = set()

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call" or frame.f_code.co_name == "<module>":
            return
        filename = frame.f_code.co_filename
        if not filename.startswith(PACKAGES):
            return
        outer = frame.f_back
        while outer is not None:
            if outer.f_code.co_name == "<module>" and outer.f_code.co_filename != __file__:
                return  # import-time work, not the payment's walk
            outer = outer.f_back
        name = os.path.relpath(filename, ROOT)
        ran.add(name)
        if name not in handled and any(_holds(v) for v in list(frame.f_locals.values())):
            handled.add(name)

    sys.setprofile(hook)
    try:
        recorded = runner.invoke(cli, ["--db", db, "record", "-"], input=line + "\n")
        shown = runner.invoke(cli, ["--db", db, "member", "show", "alice", "--as-of", "2025-03-31", "--json"])
    finally:
        sys.setprofile(None)
    assert recorded.exit_code == 0, recorded.output
    assert shown.exit_code == 0, shown.output
    return {"files_run": len(ran), "files_handling_the_payment": len(handled), "handling": sorted(handled),
            "run": sorted(ran)}


if __name__ == "__main__":
    print(json.dumps(walk()))
