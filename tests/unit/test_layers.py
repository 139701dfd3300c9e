"""Dependencies point one way (docs/architecture.md): interfaces -> read side / commands -> domain -> store.

Read from the import statements of the source, so a layer cannot lean on another by accident."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The domain: events, rules and folds. Standard library and pydantic only: no database, no I/O.
DOMAIN = ["ledger/coop", "ledger/fund", "ledger/rules", "ledger/people", "ledger/users", "ledger/approvals",
          "ledger/events/approvals.py", "ledger/accrual.py", "ledger/calendar.py",
          "ledger/streams.py", "ledger/folded.py", "ledger/money.py", "ledger/periods.py", "ledger/events/base.py",
          "ledger/events/types.py", "ledger/events/coop.py", "ledger/events/fund.py", "ledger/events/audit.py"]


def _files(*roots: str) -> list[Path]:
    found = []
    for root in roots:
        path = ROOT / root
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.exists() else []
    return found


def _imports(path: Path) -> set[str]:
    """What a module imports to run (an import under `if TYPE_CHECKING:` names a type only)."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            node.body = []
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _offenders(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [f"{path.relative_to(ROOT)} imports {name}" for path in files for name in sorted(_imports(path))
            if any(name == f or name.startswith(f + ".") for f in forbidden)]


def test_the_ledger_never_imports_the_read_side_or_an_interface():
    assert _offenders(_files("ledger"), ("projections", "cli", "web", "fastapi", "starlette", "click")) == []


def test_the_read_side_never_imports_an_interface():
    assert _offenders(_files("projections"), ("cli", "web", "fastapi", "starlette", "click")) == []


def test_the_command_line_never_imports_the_web():
    """`mutual serve` starts the web app by importing it inside the command, so the CLI loads without it."""
    assert _offenders([p for p in _files("cli") if p.name != "serve_commands.py"], ("web", "fastapi")) == []


def test_the_web_writes_only_through_the_commands():
    """No page or API route appends to the store or builds an event itself: writes go through web/writes.py
    (the CLI's own commands, or a four-eyes proposal) and ledger/commands."""
    assert _offenders(_files("web/pages", "web/api.py", "web/api_spec.py"),
                      ("ledger.events.coop", "ledger.events.fund", "ledger.events.audit", "ledger.events.approvals",
                       "ledger.store.eventstore", "ledger.store.recorder")) == []


def test_the_domain_touches_no_database():
    assert _offenders(_files(*DOMAIN), ("sqlalchemy", "psycopg", "sqlite3", "ledger.store", "ledger.source",
                                        "ledger.commands", "orjson")) == []
