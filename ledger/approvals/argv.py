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
GROUPS = ("member", "loan", "period", "reserve", "policy", "fund", "savings", "payment", "share", "society", "bank")


def canonical(argv: Sequence[str]) -> list[str]:
    """The argv as proposed: `--actor X`, `--actor=X`, `--db URL`, `--json` left out where click reads them as those
    options, and nowhere else (`--purpose --json` keeps its purpose, or every option after it would shift)."""
    path = command_path(argv)
    flags = FLAGS.get(path, OTHER_FLAGS) | {name for name, takes in SET_BY_THE_RUNNER.items() if not takes}
    head = list(argv[:len(path.split())]) if argv and not argv[0].startswith("-") else []
    rest = list(argv[len(head):])
    out: list[str] = list(head)
    number = 0
    while number < len(rest):
        arg = rest[number]
        number += 1
        if arg == "--":
            out.extend(rest[number - 1:])
            break
        if not arg.startswith("--"):
            out.append(arg)
            continue
        name = arg.split("=", 1)[0]
        value: list[str] = []
        if "=" not in arg and arg not in flags and number < len(rest):
            value = [rest[number]]
            number += 1
        if name not in SET_BY_THE_RUNNER:
            out += [arg, *value]
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


# The options that take no value (flags), per command under four eyes: `--prior-period` is a flag of `correct` but
# takes a REASON everywhere else, so one list for all would read a reason as the command's subject (a test holds
# this table equal to the CLI's own options).
FLAGS: dict[str, frozenset[str]] = {
    "member leave": frozenset({"--dry-run", "--json"}),
    "loan grant": frozenset({"--json"}),
    "loan disburse": frozenset({"--json"}),
    "loan write-off": frozenset({"--json"}),
    "correct": frozenset({"--prior-period", "--json"}),
    "bank unmatch": frozenset({"--json"}),
    "period close": frozenset({"--json"}),
    "reserve spend": frozenset({"--dry-run", "--json"}),
    "reserve transfer": frozenset({"--dry-run", "--json"}),
}
OTHER_FLAGS = frozenset({"--dry-run", "--prior-period", "--json", "--floor-at-zero"})


def _scan(argv: Sequence[str]) -> tuple[list[tuple[str, str | None]], list[str]]:
    """The options (name, value) and the arguments after the command path, read as click reads them: an option
    takes the next word as its value (even one that looks like an option) unless it is one of the command's flags
    (FLAGS); `--name=value` is one word; after `--` every word is an argument."""
    path = command_path(argv)
    flags = FLAGS.get(path, OTHER_FLAGS)
    rest = list(argv[len(path.split()):]) if argv else []
    options: list[tuple[str, str | None]] = []
    arguments: list[str] = []
    number = 0
    while number < len(rest):
        arg = rest[number]
        number += 1
        if arg == "--":
            arguments.extend(rest[number:])
            break
        if not arg.startswith("--"):
            arguments.append(arg)
        elif "=" in arg:
            name, value = arg.split("=", 1)
            options.append((name, value))
        elif arg in flags:
            options.append((arg, None))
        else:
            options.append((arg, rest[number] if number < len(rest) else None))
            number += 1
    return options, arguments


def positionals(argv: Sequence[str]) -> list[str]:
    """The arguments after the command path that are not options or option values."""
    return _scan(argv)[1]


def option(argv: Sequence[str], name: str) -> str | None:
    """The value given to option `name` (`--amount 10` or `--amount=10`; the last one given wins, as click does);
    a word that is another option's value (`--purpose --amount=10`) is that option's, as click reads it."""
    found = None
    for given, value in _scan(argv)[0]:
        if given == name and value is not None:
            found = value
    return found


def flag(argv: Sequence[str], name: str) -> bool:
    """Is flag `name` given as an option (not as another option's value: `--key --dry-run` is a key)?"""
    return any(given == name for given, _ in _scan(argv)[0])
