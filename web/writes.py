"""Every write from the web, page or API, goes through `perform`: the CLI's own command (cli/invoke.py) run with the
logged-in user as its actor, or, where four-eyes approval applies, a proposal instead (docs/approvals.md).

One way in means one set of checks: an option the CLI refuses is refused here with the same words, and nothing is
written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request

from web.deps import Viewer


@dataclass(frozen=True)
class Outcome:
    """What a write did: done (with the command's JSON), proposed (awaiting another user's approval), or refused."""

    ok: bool
    data: Any = None
    error: str = ""
    proposal: Any = None  # set when the write became a proposal (web/approvals hook)
    usage: bool = False  # refused as a bad option value (HTTP 400) rather than by the books (also 400)

    @property
    def proposed(self) -> bool:
        return self.proposal is not None


def perform(request: Request, viewer: Viewer, argv: Sequence[str]) -> Outcome:
    """Run `mutual ARGV --actor USER --json` as `viewer`. ARGV is the command and its arguments as the CLI takes
    them, e.g. ["payment", "receive", "alice", "--amount", "660.00", ...]; never put --actor or --db in it."""
    for at, value in enumerate(argv):
        if value in ("--actor", "--db") or value.startswith(("--actor=", "--db=")):
            given = argv[at - 1] if at and argv[at - 1].startswith("--") else "argument"
            return Outcome(False, error=f"{given}: {value[:40]!r} looks like --actor or --db, which the server sets, "
                                        "not the request", usage=True)
    argv = [*argv, "--actor", viewer.username, "--json"]
    proposal = _propose_if_needed(request, viewer, argv)
    if proposal is not None:
        return proposal
    return ran(run(request, argv))


def run(request: Request, argv: Sequence[str]) -> Any:
    from cli.invoke import run as invoke

    return invoke(request.app.state.url, list(argv))


def ran(result: Any) -> Outcome:
    if not result.ok:
        return Outcome(False, error=result.error, usage=result.exit_code == 2)
    try:
        data = orjson.loads(result.stdout) if result.stdout.strip() else None
    except orjson.JSONDecodeError:
        data = result.stdout
    return Outcome(True, data=data)


def _propose_if_needed(request: Request, viewer: Viewer, argv: list[str]) -> Outcome | None:
    """Four-eyes approval (docs/approvals.md): a payout, a loan, a write-off, a correction, a period close or reserve
    spending above the co-op's limit becomes a proposal that a different user approves (None: run it now). The
    proposal is checked first (a dry run where the command has one): refused, nothing is written."""
    from ledger.commands import approvals
    from ledger.errors import LedgerError

    store = request.app.state.store
    need = approvals.need_of(store, argv)
    if need is None:
        return None
    from cli.invoke import usage_error

    problem = usage_error(argv)
    if problem is not None:
        return Outcome(False, error=problem, usage=True)
    try:
        found = approvals.propose(store, argv, viewer.username, viewer.role,
                                  runner=lambda line: run(request, line), need=need)
    except LedgerError as exc:
        return Outcome(False, error=str(exc))
    return Outcome(True, proposal=found.to_json(with_argv=False))
