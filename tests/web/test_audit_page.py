"""The audit page: verify, digest, prove (right and wrong hash, a witness file), checkpoints by who may."""

from __future__ import annotations

import orjson
import pytest

from cli.invoke import run
from tests.web.conftest import csrf, login


def digest(backend):
    return orjson.loads(run(backend.url, ["audit", "digest", "--json"]).stdout)


@pytest.mark.parametrize("role", ["clerk", "treasurer", "auditor", "board"])
def test_the_audit_page_shows_the_chain_intact_and_its_digest_to_every_reader(examples, client, role):
    login(client, role)
    response = client.get("/audit")
    assert response.status_code == 200
    d = digest(examples)
    assert 'id="intact"' in response.text
    assert f'<td id="digest-position">{d["position"]}</td>' in response.text
    assert f'<code id="digest-hash">{d["hash"]}</code>' in response.text  # `audit digest`'s, from one walk


@pytest.mark.parametrize(("role", "status"), [("admin", 403), ("member", 404)])
def test_the_audit_page_is_refused_to_admins_and_members(examples, client, role, status):
    login(client, role, member="alice" if role == "member" else None)
    assert client.get("/audit").status_code == status


def test_prove_with_the_right_hash_is_proven(examples, client):
    login(client, "auditor")
    d = digest(examples)
    response = client.post("/audit/prove", data={"position": str(d["position"]), "hash": d["hash"],
                                                 "csrf": csrf(client)})
    assert response.status_code == 200 and 'id="proven"' in response.text


def test_prove_with_a_wrong_hash_is_not_proven(examples, client):
    login(client, "auditor")
    d = digest(examples)
    response = client.post("/audit/prove", data={"position": str(d["position"]), "hash": "0" * 64,
                                                 "csrf": csrf(client)})
    assert 'id="not-proven"' in response.text and "rewritten" in response.text


@pytest.mark.parametrize(("position", "hash_", "field"), [("0", "a" * 64, "position"), ("x", "a" * 64, "position"),
                                                          ("3", "not-hex", "HASH")])
def test_prove_with_a_bad_position_or_hash_names_the_field(examples, client, position, hash_, field):
    login(client, "clerk")
    response = client.post("/audit/prove", data={"position": position, "hash": hash_, "csrf": csrf(client)})
    assert response.status_code == 400 and field in response.text


def test_prove_against_an_uploaded_witness_file(examples, client, tmp_path):
    key, witness = tmp_path / "key.pem", tmp_path / "witness.jsonl"
    made = run(examples.url, ["audit", "keygen", "-o", str(key)])
    assert made.ok
    assert run(examples.url, ["audit", "digest", "--sign", str(key), "--witness", str(witness)]).ok
    login(client, "auditor")
    response = client.post("/audit/prove", data={"csrf": csrf(client)},
                           files={"witness": ("witness.jsonl", witness.read_bytes()),
                                  "public_key": ("key.pub.pem", made.stdout.encode())})
    assert response.status_code == 200 and 'id="proven"' in response.text


def test_a_non_utf8_witness_file_is_refused_naming_the_field(examples, client):
    login(client, "auditor")
    response = client.post("/audit/prove", data={"csrf": csrf(client)},
                           files={"witness": ("w.jsonl", b"\xff\xfe\x00bad"), "public_key": ("k.pem", b"x")})
    assert response.status_code == 400 and "witness" in response.text


def test_an_auditor_takes_a_checkpoint(examples, client):
    login(client, "auditor")
    response = client.post("/audit/checkpoint", data={"csrf": csrf(client)})
    assert response.status_code == 200, response.text
    assert orjson.loads(run(examples.url, ["audit", "checkpoints", "--json"]).stdout)


@pytest.mark.parametrize("role", ["clerk", "board"])
def test_a_clerk_or_the_board_may_not_take_a_checkpoint(examples, client, role):
    login(client, role)
    assert client.post("/audit/checkpoint", data={"csrf": csrf(client)}).status_code == 403
    assert orjson.loads(run(examples.url, ["audit", "checkpoints", "--json"]).stdout) == []


def test_a_checkpoint_without_the_csrf_token_is_refused_and_nothing_written(examples, client):
    login(client, "auditor")
    assert client.post("/audit/checkpoint", data={}).status_code == 403
    assert orjson.loads(run(examples.url, ["audit", "checkpoints", "--json"]).stdout) == []
