"""A ledger that can be trusted by someone who does not trust its writers: no appending on a broken chain,
checkpoints that one forged row cannot take over, and digests signed by the society and kept outside."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cli.main import cli
from tests.e2e.test_cli_store import _lines, run
from tests.factories import tamper


def _record_line(period: str) -> str:
    return json.dumps({"stream": "index-RPI", "type": "IndexValuePublished", "effective_date": f"{period}-01-01",
                       "payload": {"series": "RPI", "period": period, "value": "100"},
                       "metadata": {"actor": "clerk"}}) + "\n"


def test_record_refuses_to_append_on_a_head_whose_hash_does_not_match_it_and_names_the_position(backend):
    run(backend, "import", "-", input=_lines(4))
    tamper(backend, "UPDATE events SET hash = '" + "b" * 64 + "' WHERE position = 4")
    assert "BROKEN at position 4" in CliRunner().invoke(cli, ["--db", backend.url, "verify"]).stderr
    result = CliRunner().invoke(cli, ["--db", backend.url, "record", "-"], input=_record_line("2030"))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # a refusal, not a crash
    assert result.stderr.startswith("error: ") and "position 4" in result.stderr and "Traceback" not in result.output
    assert _rows(backend) == 4  # nothing appended on top


def test_record_refuses_to_append_on_a_head_whose_content_was_altered(backend):
    run(backend, "import", "-", input=_lines(3))
    tamper(backend, "UPDATE events SET metadata = '{\"actor\":\"mallory\"}' WHERE position = 3")
    result = CliRunner().invoke(cli, ["--db", backend.url, "record", "-"], input=_record_line("2030"))
    assert result.exit_code == 1 and "position 3" in result.stderr and "nothing was written" in result.stderr
    assert _rows(backend) == 3


def _rows(backend) -> int:
    from sqlalchemy import text

    with backend.engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM events")).scalar()


# --- item 9: checkpoints ----------------------------------------------------------------------------


def _example(backend, name: str = "coop-ten-years.jsonl") -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / name
    assert run(backend, "import", str(path)).exit_code == 0


def _insert_checkpoint(backend, books: str, *, checkpoint_id=None, position: int = 0, as_of: str = "2020-01-01",
                       head_hash: str = "0" * 64) -> None:
    """A checkpoint row written straight into the table, as anyone with INSERT on it could."""
    import hashlib
    from datetime import datetime, timezone

    from sqlalchemy import text

    columns = "position, head_hash, as_of, recorded_at, actor, books, books_hash"
    values = dict(position=position, head_hash=head_hash, as_of=as_of, actor="mallory", books=books,
                  recorded_at=datetime.now(timezone.utc).isoformat(sep=" ") if backend.name == "sqlite"
                  else datetime.now(timezone.utc), books_hash=hashlib.sha256(books.encode()).hexdigest())
    if checkpoint_id is not None:
        columns, values["checkpoint_id"] = "checkpoint_id, " + columns, checkpoint_id
    marks = ", ".join(f":{c.strip()}" for c in columns.split(","))
    with backend.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO checkpoints ({columns}) VALUES ({marks})"), values)


def _audit(backend) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["--db", backend.url, "audit", "--json", "--workers", "1"])
    assert "Traceback" not in result.output and not isinstance(result.exception, (KeyError, ValueError, TypeError))
    return result.exit_code, json.loads(result.output)


def test_a_checkpoint_forged_with_the_highest_id_does_not_take_over_the_audit(backend):
    import pytest
    from sqlalchemy.exc import DBAPIError

    from tests.e2e.test_cli_audit import _tamper_checkpoint

    _example(backend)
    taken = json.loads(run(backend, "audit", "checkpoint", "--json").output)
    debt = taken["books"]["coops"]["riverside"]["debt"]
    _tamper_checkpoint(backend, f"UPDATE checkpoints SET books = replace(books, '\"debt\":\"{debt}\"', "
                                f"'\"debt\":\"1.00\"')")  # the published books no longer follow from the log
    empty = '{"coops":{},"funds":{}}'  # true of the empty log: it holds, and before, it was all an audit checked
    with pytest.raises(DBAPIError) as caught:
        _insert_checkpoint(backend, empty, checkpoint_id=1_000_000)
    assert "assigned by the ledger" in str(caught.value)
    _insert_checkpoint(backend, empty)  # the next id, whoever writes it
    code, report = _audit(backend)
    assert code == 1 and report["checkpoint"]["checkpoint"] == 2
    assert [c["checkpoint"] for c in report["checkpoints"]] == [1, 2]
    assert [d["figure"] for d in report["discrepancies"]] == [
        "checkpoint 1 (position 788, as of 2025-03-31): coops.riverside.debt"]


def test_a_malformed_checkpoint_is_a_discrepancy_and_never_a_traceback(backend):
    _example(backend)
    run(backend, "audit", "checkpoint")
    _insert_checkpoint(backend, "x")
    _insert_checkpoint(backend, "[1, 2]", position=788, head_hash="not a hash")
    code, report = _audit(backend)
    assert code == 1
    found = {d["figure"]: d for d in report["discrepancies"]}
    assert set(found) == {"checkpoint 2", "checkpoint 3"}
    assert "books" in found["checkpoint 2"]["replay"] and "JSON" in found["checkpoint 2"]["replay"]
    assert "head_hash" in found["checkpoint 3"]["replay"]
    plain = CliRunner().invoke(cli, ["--db", backend.url, "audit", "--workers", "1"])
    assert plain.exit_code == 1 and "checkpoint 2" in plain.output and "Traceback" not in plain.output
    listed = run(backend, "audit", "checkpoints", "--json")
    assert [c["checkpoint"] for c in json.loads(listed.output)] == [1, 2, 3]
    assert run(backend, "audit", "checkpoints").exit_code == 0


def test_a_checkpoint_with_an_unreadable_date_is_a_discrepancy(backend):
    import pytest

    if backend.name != "sqlite":
        pytest.skip("PostgreSQL's date column refuses such a row itself")
    _example(backend)
    _insert_checkpoint(backend, '{"coops":{},"funds":{}}', as_of="the year end")
    code, report = _audit(backend)
    assert code == 1 and [d["figure"] for d in report["discrepancies"]] == ["checkpoint 1"]
    assert "as_of" in report["discrepancies"][0]["replay"]


# --- item 12: signed digests and the witness file ---------------------------------------------------


def _keys(tmp_path) -> tuple[str, str]:
    key, pub = str(tmp_path / "society.key"), str(tmp_path / "society.pub")
    made = CliRunner().invoke(cli, ["audit", "keygen", "-o", key])
    assert made.exit_code == 0, made.output
    with open(pub, "w") as out:
        out.write(made.stdout)
    return key, pub


def _cut(backend, after: int) -> None:
    """Cut the log's tail behind the store's back, as the database's owner could (triggers bypassed)."""
    tamper(backend, f"DELETE FROM events WHERE position > {after}")


def _witnessed(backend, tmp_path, *sizes: int) -> tuple[str, str, str]:
    """A ledger grown to each size in turn, a signed digest appended to the witness at each."""
    key, pub = _keys(tmp_path)
    witness = str(tmp_path / "witness.jsonl")
    for size in sizes:
        run(backend, "import", "-", input=_lines(size))
        signed = run(backend, "audit", "digest", "--sign", key, "--witness", witness)
        assert signed.exit_code == 0, signed.output
    return key, pub, witness


def _audit_with(backend, witness: str, pub: str):
    return CliRunner().invoke(cli, ["--db", backend.url, "audit", "--workers", "1", "--json", "--witness", witness,
                                    "--public-key", pub])


def test_keygen_writes_a_private_key_only_its_owner_reads_and_prints_the_public_key(tmp_path):
    import os
    import stat

    key = tmp_path / "society.key"
    made = CliRunner().invoke(cli, ["audit", "keygen", "-o", str(key)])
    assert made.exit_code == 0 and made.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and b"PRIVATE KEY" in key.read_bytes()
    again = CliRunner().invoke(cli, ["audit", "keygen", "-o", str(key)])
    assert again.exit_code == 1 and again.stderr.startswith("error: --output:") and "never overwritten" in again.stderr


def test_a_witness_of_signed_digests_is_proven_while_the_log_only_grows(backend, tmp_path):
    key, pub, witness = _witnessed(backend, tmp_path, 3, 5, 8)
    lines = [json.loads(line) for line in open(witness)]
    assert [d["position"] for d in lines] == [3, 5, 8] and {d["key"] for d in lines} == {lines[0]["key"]}
    proven = run(backend, "audit", "prove", "--witness", witness, "--public-key", pub)
    assert proven.exit_code == 0 and "all 3 signed digests" in proven.output
    result = _audit_with(backend, witness, pub)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["witness"] == {"digests": 3}
    signed = tmp_path / "digest.json"
    signed.write_text(run(backend, "audit", "digest", "--sign", key, "--json").output)
    one = run(backend, "audit", "prove", "--signed", str(signed), "--public-key", pub)
    assert one.exit_code == 0 and "proven: the log up to position 8" in one.output
    assert run(backend, "audit", "prove", "3", lines[0]["hash"]).exit_code == 0  # the plain proof as before


def test_a_cut_tail_passes_verify_but_not_the_witness_which_names_the_first_digest_lost(backend, tmp_path):
    key, pub, witness = _witnessed(backend, tmp_path, 3, 5, 8)
    _cut(backend, 4)
    assert run(backend, "verify").exit_code == 0  # without a witness, a cut tail is invisible
    result = _audit_with(backend, witness, pub)
    assert result.exit_code == 1
    [found] = [d for d in json.loads(result.output)["discrepancies"] if d["figure"].startswith("witness")]
    assert found["figure"].startswith("witness line 2 (position 5, signed ")
    assert "holds only 4 events" in found["replay"] and "tail was cut" in found["replay"]
    assert "and 1 later digest" in found["replay"]
    proof = CliRunner().invoke(cli, ["--db", backend.url, "audit", "prove", "--witness", witness, "--public-key", pub])
    assert proof.exit_code == 1 and "NOT PROVEN: witness line 2" in proof.stderr
    refused = CliRunner().invoke(cli, ["--db", backend.url, "audit", "digest", "--sign", key, "--witness", witness])
    assert refused.exit_code == 1 and refused.stderr.startswith("error: --witness: line 2")
    assert len(open(witness).readlines()) == 3  # nothing signed over the cut


def test_a_rewritten_history_passes_verify_but_not_the_witness(backend, tmp_path):
    key, pub, witness = _witnessed(backend, tmp_path, 3, 5, 8)
    _cut(backend, 3)
    run(backend, "import", "-", input=_lines(9))  # grown back past 8, re-sealed: another history from 4 on
    assert run(backend, "verify").exit_code == 0
    result = _audit_with(backend, witness, pub)
    assert result.exit_code == 1
    [found] = [d for d in json.loads(result.output)["discrepancies"] if d["figure"].startswith("witness")]
    assert found["figure"].startswith("witness line 2 (position 5,") and "rewritten" in found["replay"]


def test_a_forged_or_garbled_witness_line_is_named_and_proves_nothing(backend, tmp_path):
    key, pub, witness = _witnessed(backend, tmp_path, 3, 5)
    lines = open(witness).read().splitlines()
    forged = json.loads(lines[1])
    forged["position"] = 4  # a digest someone would like the log to keep instead
    (tmp_path / "other").mkdir()
    other_key, _ = _keys(tmp_path / "other")  # signed, but not with the society's key
    foreign = json.loads(run(backend, "audit", "digest", "--sign", other_key, "--json").output)
    with open(witness, "w") as out:
        out.write("\n".join([lines[0], json.dumps(forged), "not json", json.dumps(foreign)]) + "\n")
    result = _audit_with(backend, witness, pub)
    assert result.exit_code == 1 and "Traceback" not in result.output
    found = {d["figure"].split(" (")[0]: d["replay"] for d in json.loads(result.output)["discrepancies"]}
    assert "does not verify" in found["witness line 2"]
    assert "not a signed digest" in found["witness line 3"]
    assert "signed by key" in found["witness line 4"]
    assert "witness line 1" not in found


def test_witness_options_are_refused_without_their_partner_and_a_key_others_can_read_is_refused(backend, tmp_path):
    import os

    key, pub, witness = _witnessed(backend, tmp_path, 2)
    alone = CliRunner().invoke(cli, ["--db", backend.url, "audit", "--witness", witness])
    assert alone.exit_code == 2 and "--public-key" in alone.output
    unsigned = CliRunner().invoke(cli, ["--db", backend.url, "audit", "digest", "--witness", witness])
    assert unsigned.exit_code == 2 and "--sign" in unsigned.output
    os.chmod(key, 0o644)
    loose = CliRunner().invoke(cli, ["--db", backend.url, "audit", "digest", "--sign", key])
    assert loose.exit_code == 1 and loose.stderr.startswith("error: --sign:") and "chmod 600" in loose.stderr
    not_a_key = CliRunner().invoke(cli, ["--db", backend.url, "audit", "prove", "--witness", witness,
                                         "--public-key", witness])
    assert not_a_key.exit_code == 1 and not_a_key.stderr.startswith("error: --public-key:")
