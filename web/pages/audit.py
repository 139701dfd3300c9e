"""The audit page: the chain verified, the digest an auditor writes down, the checkpoints, a proof against a
digest (position and hash) or a witness file, and (auditor, treasurer) a checkpoint taken. Every answer is the
CLI's own (`mutual verify`, `mutual audit digest|prove|checkpoint|checkpoints`)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse

from web.deps import STAFF, Viewer, require
from web.pages.ops_common import argument, cli_json, saved, status_of, upload_bytes
from web.render import page
from web.sessions import csrf_checked

router = APIRouter()
CHECKPOINTERS = ("auditor", "treasurer")
CHECKPOINTER = require(*CHECKPOINTERS)
READER = require(*STAFF)


def _audit_page(request: Request, viewer: Viewer, status: int = 200, **context: Any) -> HTMLResponse:
    verified = cli_json(request, ["verify"])
    # `mutual audit digest` (unsigned) is the intact chain's head, which `verify` has just walked the log to find:
    # the page does not walk it again (tests/web: the same position and hash as `audit digest --json`)
    digest = {"position": verified["head_position"], "hash": verified["head_hash"],
              "events": verified["events"]} if verified["intact"] else None
    checkpoints = cli_json(request, ["audit", "checkpoints"])
    return page(request, "audit/audit.html", viewer, status_code=status, verified=verified, digest=digest,
                checkpoints=checkpoints, may_checkpoint=viewer.role in CHECKPOINTERS, **context)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, viewer: Viewer = Depends(READER)) -> HTMLResponse:
    return _audit_page(request, viewer)


def _proof(request: Request, argv: list[str]) -> dict[str, Any]:
    """`mutual audit prove ... --json`: proven or not (the JSON says why), or refused (a usage error)."""
    from web.writes import run

    result = run(request, [*argv, "--json"])
    if result.stdout.strip():
        return {"ok": result.ok, "data": orjson.loads(result.stdout)}
    raise HTTPException(400, result.error)


@router.post("/audit/prove", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
async def prove(request: Request, position: str = Form(""), hash: str = Form(""),
                witness: UploadFile | None = File(None), public_key: UploadFile | None = File(None),
                viewer: Viewer = Depends(READER)) -> HTMLResponse:
    """Prove the log against a digest (position and hash), or every signed digest in a witness file (with the
    society's public key)."""
    if witness is not None and witness.filename:
        witness_data = await upload_bytes(witness, "witness")
        key_data = await upload_bytes(public_key, "public_key")
        with saved(witness_data, "witness.jsonl") as witness_path, saved(key_data, "key.pem") as key_path:
            proof = _proof(request, ["audit", "prove", "--witness", witness_path, "--public-key", key_path])
    else:
        position, hash = position.strip(), hash.strip()
        if not position.isascii() or not position.isdigit() or int(position) < 1:
            raise HTTPException(400, f"position: {position!r} is not a position (a whole number from 1)")
        proof = _proof(request, ["audit", "prove", position, argument("hash", hash)])
    return _audit_page(request, viewer, proof=proof, form={"position": position, "hash": hash})


@router.post("/audit/checkpoint", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
def checkpoint(request: Request, viewer: Viewer = Depends(CHECKPOINTER)) -> HTMLResponse:
    """Keep the books folded at the head (after checking the chain): later audits replay against them."""
    from web.writes import perform

    outcome = perform(request, viewer, ["audit", "checkpoint", "--workers", "1"])
    return _audit_page(request, viewer, status_of(outcome), outcome=outcome)
