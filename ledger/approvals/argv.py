"""A proposal's command line: the argv `mutual` takes (as web/writes.py and cli/invoke.py run it), in the one
canonical form whose SHA-256 goes on the chain.

Canonical: the argv without what the server or the approver sets (`--actor`, `--json`, `--db`), as a JSON array
of strings with no white space, UTF-8; the digest is SHA-256 of those bytes, as 64 lower-case hex digits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

# Options set by whoever runs the command, never part of what was proposed: (name, takes a value).
SET_BY_THE_RUNNER = {"--actor": True, "--db": True, "--json": False}

# The commands whose path is two words (`member leave`); every other is one (`correct`).
GROUPS = ("member", "loan", "period", "reserve", "policy", "fund", "savings", "payment", "share", "society")


def canonical(argv: Sequence[str]) -> list[str]:
    """The argv as proposed: `--actor X`, `--actor=X`, `--db URL`, `--json` left out."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in SET_BY_THE_RUNNER:
            skip = SET_BY_THE_RUNNER[name] and "=" not in arg
            continue
        out.append(arg)
    return out


def digest(argv: Sequence[str]) -> str:
    """SHA-256 of the canonical argv's JSON text (what ProposalMade and ProposalApproved name)."""
    text = json.dumps(canonical(argv), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def command_path(argv: Sequence[str]) -> str:
    """`member leave`, `correct`, ... (empty for an empty argv)."""
    if not argv:
        return ""
    if argv[0] in GROUPS and len(argv) > 1 and not argv[1].startswith("-"):
        return f"{argv[0]} {argv[1]}"
    return argv[0]


def positionals(argv: Sequence[str]) -> list[str]:
    """The arguments after the command path that are not options or option values (a flag's next word is counted
    as its value only for options this module knows take none: `--dry-run`, `--prior-period`, `--json`)."""
    flags = {"--dry-run", "--prior-period", "--json", "--floor-at-zero"}
    rest = list(argv[len(command_path(argv).split()):]) if argv else []
    out: list[str] = []
    skip = False
    for arg in rest:
        if skip:
            skip = False
            continue
        if arg.startswith("--"):
            skip = "=" not in arg and arg not in flags
            continue
        out.append(arg)
    return out


def option(argv: Sequence[str], name: str) -> str | None:
    """The value given to option `name` (`--amount 10` or `--amount=10`; the last one given wins, as click does)."""
    found = None
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith(name + "="):
            found = arg[len(name) + 1:]
    return found
