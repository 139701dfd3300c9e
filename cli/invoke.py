"""Run a `mutual` command in this process and keep what it printed: the web API and approved proposals call the
CLI's own commands through here, so a question asked over HTTP gets the same bytes as `mutual ... --json`, and is
checked by the same option types (one definition of every command, two ways in).

Output is captured per call, not by swapping `sys.stdout` for everyone: `sys.stdout` and `sys.stderr` are replaced
once by a dispatcher that writes to the calling context's buffer when one is set (a `ContextVar`, which FastAPI's
thread pool carries into each request) and to the real stream otherwise, so concurrent calls never mix.
"""

from __future__ import annotations

import contextvars
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click

_OUT: contextvars.ContextVar[io.StringIO | None] = contextvars.ContextVar("mutual_invoke_out", default=None)
_ERR: contextvars.ContextVar[io.StringIO | None] = contextvars.ContextVar("mutual_invoke_err", default=None)


class _Dispatch(io.TextIOBase):
    """A text stream that writes to the current call's buffer, else to the stream it replaced."""

    def __init__(self, fallback: Any, var: contextvars.ContextVar[io.StringIO | None]) -> None:
        self._fallback, self._var = fallback, var

    @property
    def _target(self) -> Any:
        return self._var.get() or self._fallback

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8" if self._var.get() is not None else getattr(self._fallback, "encoding", "utf-8")

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return "strict" if self._var.get() is not None else getattr(self._fallback, "errors", "strict")

    def write(self, text: str) -> int:
        return self._target.write(text)  # type: ignore[no-any-return]

    def flush(self) -> None:
        self._target.flush()

    def isatty(self) -> bool:
        return False if self._var.get() is not None else bool(getattr(self._fallback, "isatty", lambda: False)())

    @property
    def buffer(self) -> Any:
        """The bytes side (`mutual export` writes there): the call's buffer, decoded as UTF-8, else the real one's."""
        target = self._var.get()
        if target is None:
            return self._fallback.buffer
        return _Bytes(target)

    def fileno(self) -> int:
        if self._var.get() is not None:
            raise io.UnsupportedOperation("fileno")
        return self._fallback.fileno()  # type: ignore[no-any-return]


class _Bytes(io.RawIOBase):
    """Bytes written to a call's text buffer, decoded as UTF-8 as they come (a character split across writes is
    kept until its last byte arrives)."""

    def __init__(self, target: io.StringIO) -> None:
        import codecs

        super().__init__()
        self._target, self._decoder = target, codecs.getincrementaldecoder("utf-8")("surrogateescape")

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._target.write(self._decoder.decode(chunk))
        return len(chunk)

    def flush(self) -> None:
        self._target.write(self._decoder.decode(b"", final=True))


def _install() -> None:
    if not isinstance(sys.stdout, _Dispatch):
        sys.stdout = _Dispatch(sys.stdout, _OUT)
    if not isinstance(sys.stderr, _Dispatch):
        sys.stderr = _Dispatch(sys.stderr, _ERR)


@dataclass(frozen=True)
class Ran:
    """What a command did: its exit code, what it printed, and its error line (without the `error: ` prefix)."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def error(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        text = "\n".join(lines)
        return text.removeprefix("error: ") if text else ("" if self.ok else "the command failed")


def run(url: str, argv: Sequence[str]) -> Ran:
    """`mutual --db URL ARGV...`, in this process. A click usage error (a bad option value, a missing argument)
    comes back as exit code 2 with click's own message naming the option; a ledger error as 1 with its line."""
    from cli.main import cli

    _install()
    out, err = io.StringIO(), io.StringIO()
    out_token, err_token = _OUT.set(out), _ERR.set(err)
    try:
        try:
            cli.main(["--db", url, *argv], prog_name="mutual", standalone_mode=False)
            code = 0
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.ClickException as exc:
            err.write(f"error: {exc.format_message()}\n")
            code = exc.exit_code
        except click.Abort:
            err.write("error: aborted\n")
            code = 1
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        return Ran(code, out.getvalue(), err.getvalue())
    finally:
        _OUT.reset(out_token)
        _ERR.reset(err_token)


def usage_error(argv: Sequence[str]) -> str | None:
    """What is wrong with ARGV as a command line (an unknown command, a bad option value, a missing argument), in
    click's own words naming the option, without running it; None when it parses. A proposal is checked by this
    before it is recorded: a command line that could never run is refused now, not when it is approved."""
    from cli.main import cli

    args = list(argv)
    ctx: click.Context | None = None
    try:
        ctx = cli.make_context("mutual", list(args), resilient_parsing=False)
        command: click.Command = cli
        rest = [*getattr(ctx, "_protected_args", ()), *ctx.args]
        while isinstance(command, click.Group):
            name, found, rest = command.resolve_command(ctx, rest)
            if found is None:
                return f"no such command {name!r}"
            command = found
            ctx = command.make_context(name or "", list(rest), parent=ctx, resilient_parsing=False)
            rest = [*getattr(ctx, "_protected_args", ()), *ctx.args] if isinstance(command, click.Group) else []
        return None
    except click.ClickException as exc:
        return exc.format_message()
    except click.exceptions.Exit:
        return "the command line asks for help or the version: it writes nothing to propose"
