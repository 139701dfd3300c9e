"""The JSON API: one route per CLI command, generated from the click tree (web/api_spec.py), so every question and
every write has one definition, one set of checks and one answer.

A query is `GET /api/<group>/<command>/{arguments}?option=value`: the answer is the bytes `mutual ... --json` prints.
A write is `POST /api/<group>/<command>` with a flat JSON object of its arguments and options; it runs through
`web.writes.perform` as the logged-in user (200, the command's JSON; 202 when it became a four-eyes proposal). A
command that reads a file (`record`, `bank import`) takes the file as the request body and its options in the query
string. Every value is checked here only for what a command line cannot carry (NUL, lone surrogates, JSON numbers
that would be floats, more than MAX_TEXT characters, unknown or repeated names); click's own types check the rest
and name the option. docs/web-api.md.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from web.api_spec import (
    API_ROLES,
    EXCLUDED_COMMANDS,
    EXCLUDED_OPTIONS,
    ID_PATTERN,
    MEMBER_OWN,
    ApiCommand,
    Field,
    api_commands,
    schema_of,
)
from web.deps import Viewer, current_viewer, own_member, refusal_status, require, text_problem
from web.sessions import csrf_checked

__all__ = ["API_ROLES", "EXCLUDED_COMMANDS", "EXCLUDED_OPTIONS", "router"]

MAX_BODY = 1_000_000
"""The largest JSON body a write takes, in bytes."""
MAX_UPLOAD = 20_000_000
"""The largest file `record` or `bank import` takes as its body, in bytes."""


Values = dict[str, Any]
ID = re.compile(ID_PATTERN.strip("^$"))


class Refused(Exception):
    """A request the API refuses before running anything: 400 naming the field."""


def _text(name: str, value: str) -> str:
    problem = text_problem(name, value)
    if problem is not None:
        raise Refused(problem)
    return value


def _path_id(name: str, value: str) -> str:
    """A URL's argument is always an id: held to the ids' own pattern (a newline, a slash or a quote never passes)."""
    if not ID.fullmatch(_text(name, value)):
        raise Refused(f"{name}: {value[:80]!r} is not an id (letters, digits and _ . : -, starting with a letter or "
                      "digit, at most 64)")
    return value


def _scalar(name: str, value: Any) -> str:
    """One value as a command line carries it: text, or a whole number (never a float: money is never a float)."""
    if isinstance(value, bool) or value is None:
        raise Refused(f"{name}: expected text, got {json.dumps(value)}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, _Float):
        raise Refused(f"{name}: {value} is a JSON number; send amounts and decimals as strings (\"660.00\")")
    if isinstance(value, str):
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):  # as the forms refuse it (one_line_field)
            raise Refused(f"{name}: must be one line of text (no new lines or control characters)")
        return _text(name, value)
    raise Refused(f"{name}: expected text, got a JSON {type(value).__name__}")


class _Float(str):
    """A JSON number with a fraction or exponent, kept as its text so that it can be refused by name."""


def _no_constant(text: str) -> Any:
    raise Refused(f"body: {text} is not a JSON value the API takes")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise Refused(f"{_text('field name', key)}: given more than once")
        out[key] = value
    return out


def _decode(name: str, raw: bytes) -> str:
    try:
        return _text(name, raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Refused(f"{name}: is not valid UTF-8 text") from None


def _query_values(request: Request) -> dict[str, list[str]]:
    """The query string, each name and value decoded strictly (a bad byte is refused naming its field)."""
    raw: bytes = request.scope.get("query_string", b"")
    out: dict[str, list[str]] = {}
    for part in raw.split(b"&"):
        if not part:
            continue
        key, _, value = part.partition(b"=")
        name = _decode("query string", unquote_to_bytes(key.replace(b"+", b" ")))
        out.setdefault(name, []).append(_decode(name, unquote_to_bytes(value.replace(b"+", b" "))))
    return out


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", ""):
        return True
    if isinstance(value, str) and value.lower() in ("false", "0", "no"):
        return False
    raise Refused(f"{name}: expected true or false, got {str(value)[:40]!r}")


def _checked(spec: ApiCommand, given: dict[str, Any], *, from_query: bool) -> Values:
    """The given values by field, each of the shape its field takes; unknown names are refused naming the known."""
    values: Values = {}
    for name, value in given.items():
        field = spec.field(name)
        if field is None or (spec.query and field in spec.path_arguments and from_query):
            known = ", ".join(f.name for f in spec.fields
                              if f.name != spec.upload and not (from_query and f in spec.path_arguments)) or "none"
            raise Refused(f"{_text('field name', name)[:80]}: not an option of `mutual {spec.name}` "
                          f"(it takes: {known})")
        if from_query and not field.multiple and len(value) > 1:
            raise Refused(f"{name}: given more than once")
        if from_query and not field.multiple:
            value = value[0]
        values[name] = _shaped(field, value)
    return values


def _shaped(field: Field, value: Any) -> Any:
    name = field.name
    if field.is_flag:
        return _flag(name, value)
    if field.multiple:
        if not isinstance(value, list):
            value = [value]
        return [_item(field, item) for item in value]
    return _item(field, value)


def _item(field: Field, value: Any) -> Any:
    import click

    if isinstance(field.param.type, click.Tuple):
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list) or len(value) != len(field.param.type.types):
            raise Refused(f"{field.name}: expected a list of {len(field.param.type.types)} values")
        return [_scalar(field.name, v) for v in value]
    if type(field.param.type).__name__ == "JsonObject" and isinstance(value, dict):
        return _text(field.name, orjson.dumps(value).decode())
    return _scalar(field.name, value)


def _argv(spec: ApiCommand, values: Values, upload_path: str | None = None, *, last: tuple[str, ...] = ()) -> list[str]:
    """`mutual` argv for these values: options as `--name=value` (a value can never be read as an option). A query's
    arguments follow `--` (so one starting with - stays an argument); a write's come first, since `perform` adds its
    own options at the end, and one starting with - is refused by its type's own words."""
    argv = list(spec.path)
    for field in spec.options:
        if field.name not in values:
            continue
        value = values[field.name]
        if field.is_flag:
            secondary = getattr(field.param, "secondary_opts", [])
            if value:
                argv.append(field.flag)
            elif secondary:
                argv.append(secondary[0])
            continue
        for item in (value if field.multiple else [value]):
            if isinstance(item, list):
                argv.extend([field.flag, *item])
            else:
                argv.append(f"{field.flag}={item}")
    positional: list[str] = []
    missing_before: str | None = None
    for field in (f for f in spec.fields if f.argument):
        if field.name == spec.upload:
            if upload_path is not None:
                positional.append(upload_path)
            continue
        if field.name not in values:
            if field.required:
                raise Refused(f"{field.name}: missing (the command needs it)")
            missing_before = missing_before or field.name
            continue
        if missing_before:
            raise Refused(f"{missing_before}: needed when {field.name} is given")
        item = values[field.name]
        positional.extend(item if isinstance(item, list) else [item])
    for field in spec.options:
        if field.required and field.name not in values:
            raise Refused(f"{field.name}: missing (the command needs it)")
    if spec.query:
        return [*argv, *last, *(["--", *positional] if positional else [])]
    for field, value in zip((f for f in spec.fields if f.argument), positional, strict=False):
        if value.startswith("-") and value != upload_path:
            _refuse_dash(field, value)
    return [*spec.path, *positional, *argv[len(spec.path):], *last]


def _refuse_dash(field: Field, value: str) -> None:
    """A write's argument starting with '-' would be read as an option: refused, in its type's words if it has any."""
    import click

    try:
        field.param.type.convert(value, field.param, None)
    except click.BadParameter as exc:
        raise Refused(f"{field.name}: {exc.message}") from None
    raise Refused(f"{field.name}: {value[:40]!r} cannot start with '-'")


def _failed(spec: ApiCommand, error: str, usage: bool) -> JSONResponse:
    status = 400 if usage else refusal_status(error)
    if usage:
        error = _named(spec, error)
    return JSONResponse({"error": error or "the command failed; nothing was written"}, status_code=status)


def _named(spec: ApiCommand, error: str) -> str:
    """Click's message names an option as the command line spells it ('--as-of', 'MEMBER'): led by the API's name."""
    for field in spec.fields:
        spelled = {*field.param.opts, field.param.human_readable_name, (field.param.metavar or "")} - {""}
        if any(f"'{name}'" in error or f" {name} " in error or f"'{name}" in error for name in spelled):
            return f"{field.name}: {error}"
    return error


def _member_only_self(spec: ApiCommand, viewer: Viewer, values: Values) -> None:
    if viewer.role == "member":
        asked = str(values.get(MEMBER_OWN.get(spec.name, ""), ""))
        if spec.name == "savings show":  # savings are held under the user's saver id, not the member id
            from web.deps import own_saver

            own_saver(viewer, asked)
        else:
            own_member(viewer, asked)


def _query_endpoint(spec: ApiCommand) -> Callable[..., Any]:
    allowed = require(*spec.roles)

    async def endpoint(request: Request, viewer: Viewer = Depends(allowed)) -> Response:
        try:
            given: dict[str, Any] = dict(_query_values(request))
            asked = {field.name: _path_id(field.name, request.path_params[field.name])
                     for field in spec.path_arguments}
            _member_only_self(spec, viewer, asked)  # before the options: another's page is 404 whatever is asked
            values = _checked(spec, given, from_query=True)
            values.update(asked)
            argv = _argv(spec, values, last=("--json",))
        except Refused as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        from cli.invoke import run

        ran = await run_in_threadpool(run, request.app.state.url, argv)
        if ran.ok or (ran.exit_code == 1 and ran.stdout.strip() and not ran.stderr.strip()):
            # an audit or verify that found something prints its report and exits 1: the report is the answer
            return Response(ran.stdout.encode("utf-8"), media_type="application/json",
                            headers={"X-Mutual-Exit-Code": str(ran.exit_code)})
        return _failed(spec, ran.error, ran.exit_code == 2)

    endpoint.__name__ = "query_" + "_".join(spec.path).replace("-", "_")
    return endpoint


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Refused(f"body: {int(declared)} bytes is more than the {limit} this command takes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(f"body: more than the {limit} bytes this command takes")
        chunks.append(chunk)
    return b"".join(chunks)


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("body: is not valid UTF-8 text") from None
    try:
        data = json.loads(text, parse_float=_Float, parse_constant=_no_constant, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise Refused(f"body: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise Refused("body: nested too deeply") from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise Refused(f"body: {str(exc)[:120]}") from None
    if not isinstance(data, dict):
        raise Refused("body: expected a JSON object of the command's arguments and options")
    return data


def _write_endpoint(spec: ApiCommand) -> Callable[..., Any]:
    allowed = require(*spec.roles)

    async def endpoint(request: Request, viewer: Viewer = Depends(allowed)) -> Response:
        upload: str | None = None
        try:
            if spec.upload:
                values = _checked(spec, dict(_query_values(request)), from_query=True)
                content = await _body(request, MAX_UPLOAD)
                if not content:
                    raise Refused(f"{spec.upload}: the request body (the file) is empty")
                handle, upload = tempfile.mkstemp(prefix="mutual-api-")
                with os.fdopen(handle, "wb") as out:
                    out.write(content)
            else:
                values = _checked(spec, _json_object(await _body(request, MAX_BODY)), from_query=False)
            argv = _argv(spec, values, upload)
        except Refused as exc:
            if upload:
                os.unlink(upload)
            return JSONResponse({"error": str(exc)}, status_code=400)
        from web.writes import perform

        try:
            outcome = await run_in_threadpool(perform, request, viewer, argv)
        finally:
            if upload:
                os.unlink(upload)
        if outcome.proposed:
            return Response(orjson.dumps(outcome.proposal, default=str, option=orjson.OPT_SORT_KEYS),
                            status_code=202, media_type="application/json")
        if not outcome.ok:
            error = outcome.error.replace(upload, spec.upload or "body") if upload else outcome.error
            return _failed(spec, error, outcome.usage)
        from cli.output import dumps

        # the CLI's own encoder: the same bytes `mutual ... --json` printed (perform hands them over parsed)
        return Response((dumps(outcome.data) + "\n").encode("utf-8"), media_type="application/json")

    endpoint.__name__ = "write_" + "_".join(spec.path).replace("-", "_")
    return endpoint


# --- the OpenAPI description of each route -------------------------------------------------------------------------

_ERROR = {"content": {"application/json": {"schema": {"type": "object", "properties": {"error": {"type": "string"}},
                                                      "required": ["error"]}}}}


def _described(field: Field) -> str:
    """A field's help, what its type asks for, and what the command line calls it."""
    cli_name = (field.param.metavar or field.name.upper()) if field.argument else field.flag
    kind = schema_of(field).get("description", "")
    return " ".join(part for part in (field.help, kind and f"({kind})", f"`{cli_name}`") if part)


def _parameter(field: Field, where: str) -> dict[str, Any]:
    schema = schema_of(field)
    out = {"name": field.name, "in": where, "required": where == "path" or field.required, "schema": schema,
           "description": _described(field)}
    if where == "query" and field.multiple:
        out["explode"] = True
    return out


def _openapi(spec: ApiCommand) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": "the command's JSON, as `mutual ... --json` prints it",
                "content": {"application/json": {"schema": {}}}},
        "400": {"description": "a field refused, named with the reason; nothing written", **_ERROR},
        "401": {"description": "not logged in", **_ERROR},
        "403": {"description": "this role may not (or, for a write, the X-CSRF-Token header is missing)", **_ERROR},
        "404": {"description": "no such member, society, account or loan (or not yours to see)", **_ERROR},
    }
    description = (f"`mutual {spec.name}`. Roles: {', '.join(spec.roles)}.\n\n{spec.help}")
    extra: dict[str, Any] = {"summary": f"mutual {spec.name}", "description": description, "responses": responses,
                             "tags": [spec.path[0]]}
    if spec.query:
        extra["parameters"] = [_parameter(f, "path") for f in spec.path_arguments] + \
            [_parameter(f, "query") for f in spec.fields if f not in spec.path_arguments]
        return extra
    responses["202"] = {"description": "the write needs a second user's approval: the proposal's JSON",
                        "content": {"application/json": {"schema": {}}}}
    extra["parameters"] = [{"name": "X-CSRF-Token", "in": "header", "required": True, "schema": {"type": "string"},
                            "description": "the session's CSRF token"}]
    if spec.upload:
        extra["parameters"] += [_parameter(f, "query") for f in spec.fields if f.name != spec.upload]
        extra["requestBody"] = {"required": True, "description": f"the file `{spec.upload}` itself",
                                "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                    "format": "binary"}}}}
        return extra
    properties = {f.name: {**schema_of(f), "description": _described(f)} for f in spec.fields}
    required = [f.name for f in spec.fields if f.required]
    body_schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        body_schema["required"] = required
    extra["requestBody"] = {"required": bool(required), "content": {"application/json": {"schema": body_schema}}}
    return extra


# --- the router ----------------------------------------------------------------------------------------------------

def _build() -> APIRouter:
    built = APIRouter()
    for spec in api_commands():
        if spec.query:
            built.add_api_route(spec.route, _query_endpoint(spec), methods=["GET"], openapi_extra=_openapi(spec),
                                response_class=Response)
        else:
            built.add_api_route(spec.route, _write_endpoint(spec), methods=["POST"], openapi_extra=_openapi(spec),
                                response_class=Response, dependencies=[Depends(csrf_checked)])

    @built.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def unknown(request: Request, rest: str, viewer: Viewer = Depends(current_viewer)) -> Response:
        """An API path no command answers: 400 naming what was asked, and what would answer."""
        words = [w for w in rest.split("/") if w]
        for spec in api_commands():
            if tuple(words[:len(spec.path)]) == spec.path:
                if request.method != ("GET" if spec.query else "POST"):
                    verb = "GET" if spec.query else "POST"
                    hint = f"`mutual {spec.name}` is a {'query' if spec.query else 'write'}: {verb} {spec.route}"
                    return JSONResponse({"error": f"method: {hint}"}, status_code=400)
                if len(words) < len(spec.path) + len(spec.path_arguments):
                    missing = spec.path_arguments[len(words) - len(spec.path)].name
                    return JSONResponse({"error": f"{missing}: missing (GET {spec.route})"}, status_code=400)
                return JSONResponse({"error": f"arguments: too many for `mutual {spec.name}` (GET {spec.route})"},
                                    status_code=400)
        shown = " ".join(words)[:80] or "(none)"
        return JSONResponse({"error": f"command: {shown!r} is not a command of the API (they are listed at "
                                      "/api/docs)"}, status_code=400)

    return built


router = _build()

