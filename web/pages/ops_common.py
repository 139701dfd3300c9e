"""What the operations pages (fund, log, audit, bank, corrections) share: reading a `mutual ... --json` answer,
the page's dates as CLI options, an uploaded file saved for a command, and a write's outcome as a page.

Reads through the CLI's own commands are the same code and the same JSON as `mutual ... --json`, so a page never
shows a figure the CLI would not; writes go through `web.writes.perform` (which may make them proposals).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from fastapi import HTTPException, Request, UploadFile

from web.deps import When, refusal_status, text_problem

MAX_UPLOAD = 5 * 1024 * 1024  # a month's statement or a witness file is kilobytes; more is a mistake or an attack


def cli_json(request: Request, argv: Sequence[str]) -> Any:
    """`mutual ARGV --json`, read in-process; a refusal is a 400 with the command's own words (a 404 when what was
    asked for is not in the books, as the API answers: `refusal_status`)."""
    from web.writes import run

    result = run(request, [*argv, "--json"])
    if not result.ok:
        raise HTTPException(refusal_status(result.error), result.error)
    return orjson.loads(result.stdout) if result.stdout.strip() else None


def dates(moment: When, as_of: bool = True) -> list[str]:
    """The page's `as_of` / `as_known_at` as the CLI's options."""
    out = ["--as-of", moment.as_of.isoformat()] if as_of else []
    query = moment.query()
    if "as_known_at" in query:
        out += ["--as-known-at", query["as_known_at"]]
    return out


async def upload_bytes(upload: UploadFile | None, field: str, *, text: bool = True) -> bytes:
    """An uploaded file's bytes: refused, naming the form field, when missing, empty, over MAX_UPLOAD or (for a
    text file) not UTF-8."""
    if upload is None or not upload.filename:
        raise HTTPException(400, f"{field}: choose a file to upload")
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise HTTPException(400, f"{field}: the file is larger than {MAX_UPLOAD // (1024 * 1024)} MB; nothing was "
                                 "written")
    if not data.strip():
        raise HTTPException(400, f"{field}: the file is empty")
    if text:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HTTPException(400, f"{field}: the file is not UTF-8 text (byte {exc.start}); nothing was "
                                     "written") from None
    return data


@contextmanager
def saved(data: bytes, filename: str | None) -> Iterator[str]:
    """`data` in a temporary file (keeping a safe form of the upload's extension, which format sniffing may read),
    removed afterwards."""
    suffix = os.path.splitext(os.path.basename(filename or ""))[1].lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ".dat"
    handle, path = tempfile.mkstemp(prefix="mutual-upload-", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        yield path
    finally:
        os.unlink(path)


def one_line_field(field: str, value: str) -> str:
    """A free-text form value (a reason) on one line: a new line or a control character is refused, naming the
    field, since it would forge a line in the log's text and outputs; so is a value longer than deps.MAX_TEXT, or one
    that was not UTF-8 (the form parser turns such bytes into U+FFFD, which nobody types)."""
    if not value.strip():
        raise HTTPException(400, f"{field}: give a {field}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise HTTPException(400, f"{field}: must be one line of text (no new lines or control characters)")
    problem = text_problem(field, value)  # (too long, or not UTF-8: the API's own check)
    if problem is not None:
        raise HTTPException(400, problem)
    return value.strip()


def optional_field(field: str, value: str | None) -> str | None:
    """An optional form value given to a command as an option's value (a date, a month, a format): None when
    blank, else held to `one_line_field`'s rules; click's own type then checks it and names the option."""
    if value is None or not value.strip():
        return None
    return one_line_field(field, value)


def status_of(outcome: Any) -> int:
    """Done 200, proposed 202 (awaiting another user's approval), refused 400."""
    if outcome.proposed:
        return 202
    return 200 if outcome.ok else 400


def argument(field: str, value: str) -> str:
    """A form value passed as a command's positional argument: one line, and never taken for an option (a value
    starting with '-' would be read as one)."""
    value = one_line_field(field, value)
    if value.startswith("-"):
        raise HTTPException(400, f"{field}: {value!r} may not start with '-'")
    return value
