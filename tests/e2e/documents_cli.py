"""What the documents' end-to-end tests share: `mutual` run as the treasurer on a backend, its JSON, and a PDF's
text read back (pdfplumber) to compare with it."""

from __future__ import annotations

import json
from pathlib import Path

import pdfplumber
from click.testing import CliRunner

from cli.main import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coop-ten-years.jsonl"


def run(backend, *args):
    return CliRunner(env={"MUTUAL_ACTOR": "treasurer"}).invoke(cli, ["--db", backend.url, *args])


def ok(backend, *args):
    result = run(backend, *args)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def as_json(backend, *args):
    return json.loads(ok(backend, *args, "--json").output)


def pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)
