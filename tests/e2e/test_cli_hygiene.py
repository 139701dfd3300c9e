"""Small crashes of the command line, each now a clear `error: ...` and a non-zero exit (issue #10, item 14):
arguments that are not UTF-8, positions past 2^63, an export to where nothing can be written, a ledger that
does not exist, and a NUL in any text field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "appendix6.jsonl"
HUGE = str(2**63)  # 9223372036854775808: one more than SQLite's largest integer


def run(backend, *args, input=None):
    return CliRunner().invoke(cli, ["--db", backend.url, *args], input=input, catch_exceptions=False)


def mutual(*args: str | bytes, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command in a process of its own, its arguments as bytes where they must be (not UTF-8)."""
    return subprocess.run([sys.executable.encode(), b"-m", b"cli.main", *[a if isinstance(a, bytes) else a.encode()
                                                                         for a in args]],
                          capture_output=True, cwd=ROOT, env={**os.environ, **(env or {})}, timeout=120)


def clean_error(result: subprocess.CompletedProcess, exit_code: int = 1) -> str:
    stderr = result.stderr.decode()
    assert result.returncode == exit_code, stderr
    assert "Traceback" not in stderr, stderr
    return stderr


# -- arguments that are not UTF-8 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("args, named", [
    ([b"member", b"show", b"\xff"], "argument 5: b'\\xff' is not valid UTF-8"),  # (after --db URL)
    ([b"savings", b"deposit", b"landlord", b"--amount", b"1", b"--on", b"2010-01-05", b"--actor", b"\xff"],
     "--actor: b'\\xff' is not valid UTF-8"),
    ([b"savings", b"deposit", b"landlord", b"--amount", b"1", b"--on", b"2010-01-05", b"--actor=ab\xfe"],
     "--actor: b'ab\\xfe' is not valid UTF-8"),
    ([b"log", b"--stream", b"member-\xc3"], "--stream: b'member-\\xc3' is not valid UTF-8"),
])
def test_an_argument_that_is_not_utf8_is_named_in_a_clear_error(backend, args, named):
    assert run(backend, "import", str(EXAMPLE), "--actor", "a").exit_code == 0
    head = backend.store().head()
    result = mutual("--db", backend.url, *args)
    stderr = clean_error(result, 2)
    assert stderr.startswith("error: ") and named in stderr, stderr
    assert backend.store().head() == head


def test_a_default_actor_that_is_not_utf8_is_a_clear_error(backend):
    assert run(backend, "import", str(EXAMPLE), "--actor", "a").exit_code == 0
    result = mutual("--db", backend.url, "savings", "deposit", "landlord", "--amount", "1", "--on", "2010-01-05",
                    env={"MUTUAL_ACTOR": os.fsdecode(b"\xfe")})
    assert "error: --actor: the default actor b'\\xfe'" in clean_error(result)


def test_a_blank_actor_is_refused_not_replaced_by_the_default(backend):
    """`--actor ""` once fell back silently to $MUTUAL_ACTOR."""
    assert run(backend, "import", str(EXAMPLE), "--actor", "a").exit_code == 0
    head = backend.store().head()
    result = mutual("--db", backend.url, "payment", "receive", "alice", "--amount", "1.00", "--period", "2025-04",
                    "--bank-reference", "X", "--on", "2025-04-02", "--actor", "  ", env={"MUTUAL_ACTOR": "clerk"})
    assert "error: --actor: is blank" in clean_error(result)
    assert backend.store().head() == head


# -- positions past 2^63 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["correct", HUGE, "--reason", "x"], ["audit", "prove", HUGE, "a" * 64],
                                  ["correct", str(2**70), "--reason", "x"], ["correct", "0", "--reason", "x"]])
def test_a_position_past_what_a_ledger_can_hold_is_a_clear_error(backend, args):
    assert run(backend, "import", str(EXAMPLE), "--actor", "a").exit_code == 0
    result = run(backend, *args)
    assert result.exit_code == 2, result.output
    assert "is not a position: positions run from 1 to 9223372036854775807" in result.stderr


def test_the_largest_position_is_asked_about_and_answered(backend):
    assert run(backend, "import", str(EXAMPLE), "--actor", "a").exit_code == 0
    largest = str(2**63 - 1)
    result = run(backend, "correct", largest, "--reason", "x")
    assert result.exit_code == 1 and f"there is no event at position {largest}" in result.stderr
    result = run(backend, "audit", "prove", largest, "a" * 64)
    assert result.exit_code == 1 and "the log holds only 1155 events" in result.stderr


# -- export to where nothing can be written -----------------------------------------------------------------------


@pytest.mark.parametrize("target, reason", [("missing-folder/out.jsonl", "No such file or directory"),
                                            (".", "Is a directory"), ("/dev/full", "No space left on device")])
def test_an_export_that_cannot_be_written_is_a_clear_error(backend, tmp_path, target, reason):
    if target == "/dev/full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    assert run(backend, "import", str(EXAMPLE), "--actor", "a").exit_code == 0
    path = target if target.startswith("/") else str(tmp_path / target)
    result = run(backend, "export", "-o", path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: --output: cannot write {path!r}: {reason}"), result.stderr
    assert not (tmp_path / "missing-folder").exists()


def test_an_export_to_a_file_still_writes_the_log(backend, tmp_path):
    assert run(backend, "import", str(EXAMPLE), "--actor", "a").exit_code == 0
    assert run(backend, "export", "-o", str(tmp_path / "out.jsonl")).exit_code == 0
    assert (tmp_path / "out.jsonl").read_text() == run(backend, "export").output


# -- a ledger that does not exist ---------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["member", "show", "m1"], ["log"], ["verify"], ["export"], ["fund", "show", "f"],
                                  ["import", str(EXAMPLE)], ["audit"], ["export", "-o", "out.jsonl"]])
def test_a_ledger_that_does_not_exist_is_said_so_and_not_created(tmp_path, monkeypatch, args):
    missing = tmp_path / "nowhere.db"
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{missing}", *args], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: --db: there is no ledger at {missing} (nothing was created); "
                                    "`mutual init` creates one"), result.stderr
    assert not missing.exists() and not (tmp_path / "out.jsonl").exists()


def test_init_still_creates_the_ledger(tmp_path):
    path = tmp_path / "new.db"
    result = mutual("--db", f"sqlite:///{path}", "init")
    assert result.returncode == 0 and path.exists()
    assert mutual("--db", f"sqlite:///{path}", "verify").returncode == 0


# -- a NUL in any text field --------------------------------------------------------------------------------------

GOOD = {"stream": "society-c1", "type": "SocietyRegistered", "effective_date": "2024-01-01",
        "payload": {"society_id": "c1", "kind": "coop", "name": "Riverside"},
        "metadata": {"actor": "clerk", "reason": "joins"}, "idempotency_key": "reg-c1"}


def _with(path: str, value: str) -> dict:
    line = json.loads(json.dumps(GOOD))
    where, _, name = path.rpartition(".")
    (line[where] if where else line)[name] = value
    return line


@pytest.mark.parametrize("path", ["payload.name", "payload.society_id", "metadata.actor", "metadata.reason",
                                  "metadata.correlation_id", "idempotency_key"])
@pytest.mark.parametrize("command", ["import", "record"])
def test_a_nul_in_any_text_field_is_refused_naming_the_field(backend, path, command):
    for value in ("\x00", "Riverside\x00", "\x00Riverside"):
        result = run(backend, command, "-", input=json.dumps(_with(path, value)) + "\n")
        assert result.exit_code == 1, result.output
        assert f"{path}: must not contain a NUL character (\\u0000)" in result.stderr, result.stderr
    assert backend.store().head().position == 0
    assert run(backend, command, "-", input=json.dumps(GOOD) + "\n").exit_code == 0


def test_a_nul_in_a_correction_is_refused_naming_the_field(backend):
    assert run(backend, "import", "-", input=json.dumps(GOOD) + "\n").exit_code == 0
    result = run(backend, "correct", "1", "--reason", "renamed", "--replacement-type", "SocietyRegistered",
                 "--replacement-payload", json.dumps({"society_id": "c1", "kind": "coop", "name": "River\x00side"}))
    assert result.exit_code == 1 and "replacement_payload.name: must not contain a NUL character" in result.stderr
    reversal = {"stream": "society-c1", "type": "EventReversed", "effective_date": "2024-01-01",
                "payload": {"position": 1, "reason": "typo\x00"}}
    result = run(backend, "import", "-", "--actor", "a", input=json.dumps(reversal) + "\n")
    assert result.exit_code == 1 and "payload.reason: must not contain a NUL character" in result.stderr
    assert backend.store().head().position == 1


def test_a_nul_given_to_a_command_in_code_is_refused_naming_the_field(store):
    from ledger.errors import ValidationFailed
    from tests.factories import society

    with pytest.raises(ValidationFailed, match=r"metadata.actor: must not contain a NUL"):
        store.append("society-coop1", [society()], metadata={"actor": "cl\x00erk"})
    with pytest.raises(ValidationFailed, match=r"idempotency_key: must not contain a NUL"):
        store.append("society-coop1", [society(key="k\x00")], metadata={"actor": "clerk"})
    assert store.head().position == 0
