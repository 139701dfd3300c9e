"""The `mutual` command on the log: init, import, export, log, verify."""

from __future__ import annotations

import json

import orjson
from click.testing import CliRunner

from cli.main import cli
from tests.factories import envelope, tamper


def run(backend, *args, input=None):
    return CliRunner().invoke(cli, ["--db", backend.url, *args], input=input, catch_exceptions=False)


def _lines(n=5) -> str:
    return "\n".join(orjson.dumps(envelope("index-RPI", "IndexValuePublished",
                                           {"series": "RPI", "period": str(2000 + i), "value": "100"},
                                           effective_date=f"{2000 + i}-01-01")).decode() for i in range(n)) + "\n"


def test_init_is_safe_to_run_twice(empty_backend):
    assert run(empty_backend, "init").exit_code == 0
    result = run(empty_backend, "init")
    assert result.exit_code == 0 and "0014_legacy_keys_index" in result.output


def test_import_then_verify_prints_the_head(backend):
    imported = run(backend, "import", "-", "--json", input=_lines())
    assert imported.exit_code == 0, imported.output
    summary = json.loads(imported.output)
    assert summary["written"] == 5
    verified = run(backend, "verify", "--json")
    assert verified.exit_code == 0
    report = json.loads(verified.output)
    assert report["intact"] and report["head_position"] == 5 and report["head_hash"] == summary["head_hash"]
    plain = run(backend, "verify")
    assert f"head position 5 hash {summary['head_hash']}" in plain.output


def test_a_bad_import_names_the_line_and_field_on_stderr_and_writes_nothing(backend):
    bad = _lines(2) + '{"stream":"index-RPI","type":"IndexValuePublished","effective_date":"2020-01-01",' \
                      '"payload":{"series":"RPI","period":"2020","value":1.5},"metadata":{"actor":"x"}}\n'
    result = CliRunner().invoke(cli, ["--db", backend.url, "import", "-"], input=bad)
    assert result.exit_code == 1
    assert "line 3: payload.value" in result.stderr and "float" in result.stderr
    assert json.loads(run(backend, "verify", "--json").output)["head_position"] == 0


def test_export_then_import_into_an_empty_ledger_reproduces_the_chain(backend, new_backend):
    run(backend, "import", "-", input=_lines(8))
    exported = run(backend, "export")
    target = new_backend(backend.name)
    run(target, "import", "-", input=exported.output)
    assert run(target, "export").output == exported.output
    assert json.loads(run(target, "verify", "--json").output)["head_hash"] == \
        json.loads(run(backend, "verify", "--json").output)["head_hash"]


def test_log_filters_by_stream_type_and_date(backend):
    run(backend, "import", "-", input=_lines(6))
    result = run(backend, "log", "--type", "IndexValuePublished", "--from", "2002-01-01", "--to", "2003-12-31", "--json")
    assert [e["position"] for e in json.loads(result.output)] == [3, 4]
    table = run(backend, "log", "--stream", "index-RPI", "--limit", "2")
    assert "IndexValuePublished" in table.output


def test_a_bad_date_option_names_the_option(backend):
    result = CliRunner().invoke(cli, ["--db", backend.url, "log", "--from", "2020-13-01"])
    assert result.exit_code == 2 and "--from" in result.output and "not a real date" in result.output


def test_verify_fails_and_names_the_position_of_a_tampered_event(backend):
    run(backend, "import", "-", input=_lines(4))
    tamper(backend, "UPDATE events SET effective_date = '1999-01-01' WHERE position = 2")
    result = CliRunner().invoke(cli, ["--db", backend.url, "verify"])
    assert result.exit_code == 1 and "BROKEN at position 2" in result.stderr


def test_the_version_is_printed():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and "mutual, version" in result.output


def test_an_uninitialised_database_gets_a_hint(tmp_path):
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path}/none.db", "verify"])
    assert result.exit_code == 1 and "mutual init" in result.stderr


def test_a_timestamp_whose_offset_takes_it_before_year_one_is_refused_by_name(backend):
    result = CliRunner().invoke(cli, ["--db", backend.url, "log", "--as-known-at", "0001-01-01T00:00:00+01:00"])
    assert result.exit_code == 2 and "--as-known-at" in result.output and "outside the range" in result.output
