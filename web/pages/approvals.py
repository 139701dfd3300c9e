"""`/approvals`: the proposals awaiting a second user, with approve and reject buttons for the roles that may, and
the history of every decision (docs/approvals.md). The rules are ledger/approvals/'s; the writes are
ledger/commands/approvals.py's, the approved command run through cli/invoke.py as the approver.

`/api/approvals` answers the same as JSON; `POST /api/proposals` proposes a command under four eyes (or, reserve
spending within the limit, runs it at once) through web/writes.py `perform`, like every other web write.
"""

from __future__ import annotations

import shlex
from typing import Any

from fastapi import APIRouter, Body, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from ledger.approvals.argv import digest
from ledger.approvals.rules import may_decide, same_user
from ledger.errors import LedgerError
from web.deps import STAFF, WRITERS, Viewer, require
from web.pages.ops_common import one_line_field
from web.render import page
from web.sessions import csrf_checked

router = APIRouter()

READERS = (*STAFF, "admin")
DECIDERS = (*WRITERS, "board")  # a clerk is let in to be refused by the rule, by name
reader, decider, writer = require(*READERS), require(*DECIDERS), require(*WRITERS)


def _runner(request: Request) -> Any:
    from web.writes import run

    return lambda argv: run(request, argv)


def _lists(request: Request, viewer: Viewer) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from ledger.commands import approvals

    rows = [p.to_json(with_argv=True) for p in approvals.listed(request.app.state.store)]
    for row in rows:
        argv = row.pop("argv")
        row["may_approve"] = may_decide(viewer.role, row["command"]) and not same_user(viewer.username,
                                                                                        row["proposer"])
        row["may_reject"] = may_decide(viewer.role, row["command"]) or same_user(viewer.username, row["proposer"])
        if row["status"] == "pending" and (row["may_approve"] or row["may_reject"]):
            # whoever decides reads the whole command line that will run (its options, a --prior-period, a --key),
            # not only the summary; the line is kept off the chain, so whether it still matches its digest is shown
            row["command_line"] = shlex.join(argv)
            row["matches_digest"] = digest(argv) == row["argv_digest"]
    return [r for r in rows if r["status"] == "pending"], [r for r in rows if r["status"] != "pending"]


@router.get("/approvals")
def approvals_page(request: Request, viewer: Viewer = Depends(reader)) -> Response:
    pending, history = _lists(request, viewer)
    return page(request, "approvals/index.html", viewer, pending=pending, history=history)


@router.get("/api/approvals")
def approvals_json(request: Request, viewer: Viewer = Depends(reader)) -> Response:
    pending, history = _lists(request, viewer)
    return JSONResponse({"pending": pending, "history": history})


def _decided(request: Request, decision: Any) -> Response:
    if request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", ""):
        return JSONResponse(decision.to_json(), status_code=200 if decision.status != "refused" else 409)
    return RedirectResponse(f"/approvals#{decision.proposal_id}", status_code=303)


@router.post("/approvals/{proposal_id}/approve", dependencies=[Depends(csrf_checked)])
@router.post("/api/approvals/{proposal_id}/approve", dependencies=[Depends(csrf_checked)])
def approve(request: Request, proposal_id: str, viewer: Viewer = Depends(decider)) -> Response:
    from ledger.commands import approvals

    decision = approvals.approve(request.app.state.store, proposal_id, viewer.username, viewer.role,
                                 _runner(request))
    return _decided(request, decision)


@router.post("/approvals/{proposal_id}/reject", dependencies=[Depends(csrf_checked)])
def reject_form(request: Request, proposal_id: str, reason: str = Form(""),
                viewer: Viewer = Depends(decider)) -> Response:
    from ledger.commands import approvals

    reason = one_line_field("reason", reason) if reason.strip() else reason  # (not UTF-8: refused by name)
    return _decided(request, approvals.reject(request.app.state.store, proposal_id, viewer.username, viewer.role,
                                              reason))


@router.post("/api/approvals/{proposal_id}/reject", dependencies=[Depends(csrf_checked)])
def reject_json(request: Request, proposal_id: str, reason: Any = Body("", embed=True),
                viewer: Viewer = Depends(decider)) -> Response:
    from ledger.commands import approvals

    return _decided(request, approvals.reject(request.app.state.store, proposal_id, viewer.username, viewer.role,
                                              reason))


@router.post("/api/proposals", dependencies=[Depends(csrf_checked)])
def propose(request: Request, argv: Any = Body(..., embed=True),
            viewer: Viewer = Depends(writer)) -> Response:
    """Propose a command under four eyes, as the CLI takes it (`{"argv": ["member", "leave", "bob", ...]}`); reserve
    spending within the co-op's limit runs at once. Any other command is refused: it has its own page."""
    from ledger.approvals.rules import proposal_errors
    from ledger.errors import ValidationFailed
    from web.writes import perform

    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise LedgerError("argv: must be a list of strings, the command line as `mutual` takes it")
    errors = proposal_errors(argv, viewer.username)
    if errors:
        raise ValidationFailed(errors, where="proposal refused, nothing written")
    outcome = perform(request, viewer, argv)
    if not outcome.ok:
        return JSONResponse({"error": outcome.error}, status_code=400)
    if outcome.proposed:
        return JSONResponse({"proposal": outcome.proposal}, status_code=202)
    return JSONResponse({"done": outcome.data}, status_code=200)
