"""What the JSON API offers, read off the click command tree (`cli.main.cli`): one definition of every command, its
arguments, options, types and help, so the API, its OpenAPI schema and the CLI never drift apart.

`API_ROLES` (command path -> roles) is the one table of who may call what: the routes and the authorisation-matrix
test read it. Commands that take files on the server, or that are not the back office's (users, serving), are left
out, and so are options that name a server path or set what the server decides (`EXCLUDED_COMMANDS`,
`EXCLUDED_OPTIONS`: docs/web-api.md says why).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import click

from web.deps import MAX_TEXT, STAFF, WRITERS

EXCLUDED_COMMANDS: dict[str, str] = {
    "init": "creates or upgrades the tables: an operator's job on the server",
    "import": "reads a file on the server (the raw restore path); `record` takes JSON lines in the request body",
    "export": "writes files on the server; the queries' JSON carries the same figures",
    "serve": "runs the web server itself",
    "user": "users are managed on the users page, not through the API",
    "proposal": "proposals are decided through /api/approvals and the approvals page, which check the approver's "
                "role (the CLI's `proposal approve` acts as the database owner)",
    "propose": "writes under four eyes become proposals by themselves; POST /api/proposals proposes one",
    "audit keygen": "writes the society's private key to a file on the server",
    "bank erase": "erases payers' personal details (off the chain): done on the bank page, not by the API",
    "bank rules forget": "forgets a payer's learned name (personal data, off the chain): the bank page does it",
    "statement": "a PDF/HTML document written to a file: the documents page serves it",
    "statements": "documents written to files: the documents page serves them",
    "report board": "the board pack, a PDF/XLSX file: the documents page serves it",
}
"""Command paths (or whole groups) the API leaves out, with the reason the docs give."""

EXCLUDED_OPTIONS: dict[str, str] = {
    "--output": "names a file on the server; the API answers in the response body",
    "--json": "always given: the API answers in JSON",
    "--actor": "set by the server: the logged-in user",
    "--db": "set by the server",
    "--witness": "names a witness file on the server",
    "--public-key": "names a key file on the server",
    "--signed": "names a signed digest file on the server",
    "--sign": "names the private key file on the server",
    "--workers": "processes on the server: the server decides",
}
"""Options the API does not take. `--format` of a query (table/csv/xlsx/json) is left out too: the API's answer
is the `--json` form; a command's own `--format` (a bank statement's file format) is kept."""

QUERIES_WITH_ACTOR = frozenset({"fund releases", "jak settle"})
"""Commands that take `--actor` (an older signature) but write nothing: served as queries."""

UPLOADS: dict[str, str] = {"record": "source", "bank import": "file"}
"""Commands that read a file: the API takes the file's bytes as the request body instead (argument named)."""

MEMBER_OWN: dict[str, str] = {"member show": "member_id", "savings show": "holder", "arrangement show": "member_id"}
"""Queries a member may ask about themselves only: the argument naming the member (anyone else's is 404)."""

ROLE_OVERRIDES: dict[str, tuple[str, ...]] = {
    "period close": ("treasurer",),
    "policy set approval-limit": ("treasurer",),  # the limit above which reserve spending needs a second user
    "audit checkpoint": ("auditor", "treasurer"),
    "accounts checkpoint": ("auditor", "treasurer"),  # balance checkpoints: the auditor's, as audit checkpoints
    "audit digest": ("auditor", "treasurer"),
    "person show": ("clerk", "treasurer"),  # names, addresses, bank details: those who keep the register
    "person add": ("clerk", "treasurer"),
    "person update": ("clerk", "treasurer"),
    "person erase": ("clerk", "treasurer"),
    # the bank queue and the closed periods are read by those who work them, as on their pages (web/pages/bank.py,
    # web/pages/corrections.py): not the board
    "bank unmatched": ("clerk", "treasurer", "auditor"),
    "bank reconcile": ("clerk", "treasurer", "auditor"),
    "bank rules": ("clerk", "treasurer", "auditor"),
    "bank rules payees": ("clerk", "treasurer", "auditor"),
    "period list": ("clerk", "treasurer", "auditor"),
}



@dataclass(frozen=True)
class Field:
    """One argument or option of a command as the API names it (`--as-of` is `as_of`, `--from` is `from`)."""

    name: str
    param: click.Parameter
    argument: bool

    @property
    def flag(self) -> str:
        """The option as the command line spells it (its long form)."""
        longs = [o for o in self.param.opts if o.startswith("--")]
        return (longs or list(self.param.opts))[0]

    @property
    def is_flag(self) -> bool:
        return isinstance(self.param, click.Option) and self.param.is_flag

    @property
    def multiple(self) -> bool:
        return bool(getattr(self.param, "multiple", False)) or (self.argument and self.param.nargs != 1)

    @property
    def required(self) -> bool:
        return bool(self.param.required)

    @property
    def help(self) -> str:
        return (getattr(self.param, "help", None) or "").strip()


@dataclass(frozen=True)
class ApiCommand:
    """One CLI command as an API route: a query (GET, the CLI's `--json` bytes) or a write (POST, through
    web/writes.perform)."""

    path: tuple[str, ...]
    command: click.Command
    query: bool
    fields: tuple[Field, ...]
    upload: str | None = None  # the argument the request body stands for

    @property
    def name(self) -> str:
        return " ".join(self.path)

    @property
    def route(self) -> str:
        base = "/api/" + "/".join(self.path)
        return base + "".join(f"/{{{f.name}}}" for f in self.path_arguments)

    @property
    def path_arguments(self) -> tuple[Field, ...]:
        """A query's required single arguments, in order, in its URL (a write takes everything in its body)."""
        if not self.query:
            return ()
        return tuple(f for f in self.fields if f.argument and f.required and not f.multiple)

    @property
    def arguments(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.argument and f.name != self.upload)

    @property
    def options(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.argument)

    @property
    def roles(self) -> tuple[str, ...]:
        return _roles(self)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name and f.name != self.upload), None)

    @property
    def help(self) -> str:
        return (self.command.help or "").strip()


def _api_name(param: click.Parameter, argument: bool) -> str:
    if argument:
        return (param.name or "").rstrip("_")
    longs = [o for o in param.opts if o.startswith("--")]
    return (longs or list(param.opts))[0].lstrip("-").replace("-", "_")


def _excluded_option(param: click.Parameter, has_json: bool) -> bool:
    if any(o in EXCLUDED_OPTIONS or o == "-o" for o in param.opts):
        return True
    return has_json and "--format" in param.opts and getattr(param.type, "choices", None) is not None \
        and "table" in param.type.choices  # type: ignore[attr-defined]


def _excluded(path: tuple[str, ...]) -> bool:
    return any(" ".join(path[:n]) in EXCLUDED_COMMANDS for n in range(1, len(path) + 1))


def _spec(path: tuple[str, ...], command: click.Command) -> ApiCommand | None:
    opts = {o for p in command.params for o in p.opts}
    name = " ".join(path)
    if "--json" not in opts:
        return None  # its answer is not JSON: not mirrored
    query = "--actor" not in opts or name in QUERIES_WITH_ACTOR
    fields = []
    for param in command.params:
        argument = isinstance(param, click.Argument)
        if not argument and _excluded_option(param, "--json" in opts):
            continue
        fields.append(Field(_api_name(param, argument), param, argument))
    names = [f.name for f in fields]
    if len(names) != len(set(names)):  # pragma: no cover - a command the API cannot name flat
        raise ValueError(f"mutual {name}: an argument and an option share a name in {names}")
    return ApiCommand(path, command, query, tuple(fields), UPLOADS.get(name))


def _walk(group: click.Group, path: tuple[str, ...]) -> list[ApiCommand]:
    found: list[ApiCommand] = []
    for name in sorted(group.commands):
        command, at = group.commands[name], (*path, name)
        if _excluded(at) or getattr(command, "hidden", False):
            continue
        if isinstance(command, click.Group):
            if command.invoke_without_command:
                spec = _spec(at, command)
                if spec:
                    found.append(spec)
            found.extend(_walk(command, at))
        else:
            spec = _spec(at, command)
            if spec:
                found.append(spec)
    return found


def _roles(spec: ApiCommand) -> tuple[str, ...]:
    if spec.name in ROLE_OVERRIDES:
        return ROLE_OVERRIDES[spec.name]
    if spec.query:
        return (*STAFF, "member") if spec.name in MEMBER_OWN else STAFF
    return WRITERS


@cache
def api_commands() -> tuple[ApiCommand, ...]:
    """Every command the API mirrors, read once from the click tree."""
    from cli.main import cli

    return tuple(_walk(cli, ()))


API_ROLES: dict[str, tuple[str, ...]] = {spec.name: _roles(spec) for spec in api_commands()}
"""Command path (`"member show"`) -> the roles that may call it through the API. Queries of co-op and fund figures:
clerk, treasurer, auditor, board (and a member, for `MEMBER_OWN` about themselves); writes: clerk and treasurer;
`ROLE_OVERRIDES` for the rest."""


# --- the OpenAPI schema of one field -------------------------------------------------------------------------------

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"


def schema_of(field: Field) -> dict[str, Any]:
    """A field's JSON schema: its click type as a client sends it (amounts and decimals as strings)."""
    item = _type_schema(field.param.type)
    if field.is_flag:
        item = {"type": "boolean"}
    if field.multiple:
        return {"type": "array", "items": item}
    return item


def _type_schema(kind: click.ParamType) -> dict[str, Any]:
    from cli.params import AmountParam, DecimalParam, IdParam, ISODate, MonthParam, NumberParam, Position, Timestamp

    name = type(kind).__name__
    if isinstance(kind, ISODate):
        return {"type": "string", "format": "date", "example": "2025-03-31"}
    if isinstance(kind, Timestamp):
        return {"type": "string", "format": "date-time", "example": "2030-04-15T12:00:00Z",
                "description": "UTC; a bare date means the end of that day"}
    if isinstance(kind, AmountParam) or name == "_Balance":
        return {"type": "string", "format": "amount", "pattern": r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$",
                "example": "660.00", "description": "pounds, as a string (never a JSON number)"}
    if isinstance(kind, (DecimalParam, NumberParam)):
        return {"type": "string", "format": "decimal", "pattern": r"^-?[0-9]{1,15}(\.[0-9]{1,12})?$",
                "example": "0.33"}
    if isinstance(kind, MonthParam):
        return {"type": "string", "format": "month", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$", "example": "2025-04"}
    if isinstance(kind, IdParam) or name == "SocietyId":
        return {"type": "string", "format": "id", "pattern": ID_PATTERN, "maxLength": 64}
    if isinstance(kind, Position):
        return {"type": "integer", "minimum": 1, "maximum": Position.LARGEST}
    if isinstance(kind, click.IntRange):
        out: dict[str, Any] = {"type": "integer"}
        if kind.min is not None:
            out["minimum"] = kind.min
        if kind.max is not None:
            out["maximum"] = kind.max
        return out
    if isinstance(kind, click.Choice):
        return {"type": "string", "enum": list(kind.choices)}
    if isinstance(kind, click.Tuple):
        return {"type": "array", "items": {"type": "string"}, "minItems": len(kind.types),
                "maxItems": len(kind.types)}
    if name == "JsonObject":
        return {"oneOf": [{"type": "object"}, {"type": "string", "format": "json"}]}
    if isinstance(kind, (click.File, click.Path)):
        return {"type": "string", "format": "binary"}
    return {"type": "string", "maxLength": MAX_TEXT}
