"""MemberAdmitted version 2 carries the agreed annual payment, not the salary: the first real use of upcasting.

The example books were written with version 1 admissions (a net salary and a payment rate). Imported as written,
recorded (lifted to version 2), or rewritten as version 2 by hand, they read exactly as they did before version 2
existed: `tests/fixtures/member-admitted-v1-figures.json` holds `member show` and `coop show` at five dates as the
code before this change printed them.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from cli.main import cli
from ledger.events.coop import MemberAdmitted
from ledger.money import money_text
from ledger.rules.payments import annual_payment
from ledger.store.mapper import encode_payload

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "coop-ten-years.jsonl"
BEFORE = json.loads((ROOT / "tests" / "fixtures" / "member-admitted-v1-figures.json").read_text())


def mutual(backend, *args: str, input: str | None = None):
    result = CliRunner().invoke(cli, ["--db", backend.url, *args], input=input)
    return result


def ok(backend, *args: str, input: str | None = None):
    result = mutual(backend, *args, input=input)
    assert result.exit_code == 0, result.output + (result.stderr if result.stderr_bytes else "")
    return result


def figures(backend) -> dict[str, object]:
    """`member show` and `coop show` at the dates the fixture was taken on, as the CLI prints them."""
    out: dict[str, object] = {}
    for key in BEFORE:
        what, name, on = key.split()
        result = mutual(backend, what, "show", name, "--as-of", on, "--json")
        out[key] = json.loads(result.output) if result.exit_code == 0 else {"error": result.output.strip()}
    return out


def example_lines() -> list[dict]:
    return [orjson.loads(line) for line in EXAMPLE.read_bytes().splitlines()]


def as_version_2(line: dict) -> dict:
    """An example line with a version 1 admission rewritten by hand as version 2 (the payment as the rule says)."""
    if line["type"] != "MemberAdmitted":
        return line
    p = dict(line["payload"])
    payment = annual_payment(Decimal(p.pop("net_salary")), Decimal(p.pop("payment_rate")), rate_checked=False)
    rest = {k: v for k, v in line.items() if k != "idempotency_key"}
    return {**rest, "schema_version": 2, "payload": {**p, "annual_payment": money_text(payment)}}


def jsonl(lines: list[dict]) -> str:
    return "".join(orjson.dumps(line).decode() + "\n" for line in lines)


def admissions(backend) -> list[dict]:
    return [e for e in json.loads(ok(backend, "log", "--json", "--type", "MemberAdmitted").output)]


def test_the_example_imported_as_written_reads_as_it_did_before_version_2(backend):
    ok(backend, "import", str(EXAMPLE))
    assert figures(backend) == BEFORE
    stored = admissions(backend)
    assert [e["schema_version"] for e in stored] == [1, 1, 1, 1]  # a restore keeps what was written
    assert all("net_salary" in e["payload"] for e in stored)
    assert ok(backend, "verify").exit_code == 0


def test_the_example_recorded_now_is_lifted_to_version_2_and_reads_the_same(backend):
    ok(backend, "record", str(EXAMPLE), "--actor", "clerk")
    assert figures(backend) == BEFORE
    stored = admissions(backend)
    assert [e["schema_version"] for e in stored] == [2, 2, 2, 2]
    assert not any("net_salary" in e["payload"] or "payment_rate" in e["payload"] for e in stored)
    alice = next(e for e in stored if e["stream"] == "member-alice")
    assert alice["payload"]["annual_payment"] == "5554.00"  # 17089.23 x 0.325 = 5553.99975, half up


def test_the_example_written_as_version_2_by_hand_reads_the_same_imported_or_recorded(backend, new_backend):
    lines = jsonl([as_version_2(line) for line in example_lines()])
    ok(backend, "import", "-", input=lines)
    assert figures(backend) == BEFORE
    recorded = new_backend(backend.name)
    ok(recorded, "record", "-", "--actor", "clerk", input=lines)
    assert figures(recorded) == BEFORE


def test_a_file_recorded_after_it_was_imported_and_imported_after_it_was_recorded_is_one_fact(backend,
                                                                                                new_backend):
    ok(backend, "import", str(EXAMPLE))
    ok(backend, "record", str(EXAMPLE), "--actor", "clerk")  # the version 1 admissions are in the log: replays
    assert len(json.loads(ok(backend, "log", "--json").output)) == 788
    other = new_backend(backend.name)
    ok(other, "record", str(EXAMPLE), "--actor", "clerk")  # lifted, under the keys the file gives
    assert "0 written, 788 already recorded" in ok(other, "import", str(EXAMPLE)).output
    ok(other, "record", str(EXAMPLE), "--actor", "clerk")
    assert len(json.loads(ok(other, "log", "--json").output)) == 788
    assert figures(other) == BEFORE


@pytest.mark.parametrize("member", ["alice", "bob", "carol", "dan"])
def test_the_upcaster_computes_the_payment_the_fold_computed_from_the_salary(member):
    line = next(e for e in example_lines() if e["stream"] == f"member-{member}" and e["type"] == "MemberAdmitted")
    v1 = line["payload"]
    lifted = MemberAdmitted.upcasters[1](dict(v1))
    assert set(lifted) == set(v1) - {"net_salary", "payment_rate"} | {"annual_payment"}
    assert Decimal(lifted["annual_payment"]) == annual_payment(Decimal(v1["net_salary"]), Decimal(v1["payment_rate"]),
                                                               rate_checked=False)
    MemberAdmitted.model_validate(lifted)


def test_a_version_1_admission_with_a_bad_salary_is_refused_naming_the_field_as_given():
    v1 = {"member_id": "m1", "coop_id": "c1", "dwelling_id": "d1", "net_salary": "20000.001",
          "payment_rate": "0.33", "deposit": "0", "debt_share": "1000"}
    _, errors = encode_payload(MemberAdmitted, v1, 1, "member-m1")
    assert [e.field for e in errors] == ["payload.net_salary"]
    v1["net_salary"] = "20000"
    _, errors = encode_payload(MemberAdmitted, {k: v for k, v in v1.items() if k != "payment_rate"}, 1, "member-m1")
    assert [(e.field, e.reason) for e in errors] == [("payload.payment_rate", "is required")]


def test_a_payload_given_without_a_schema_version_is_read_by_its_shape():
    assert MemberAdmitted.version_of({"net_salary": "1", "payment_rate": "0.3"}) == 1
    assert MemberAdmitted.version_of({"annual_payment": "1"}) == 2
    assert MemberAdmitted.version_of({"annual_payment": "1", "net_salary": "1"}) == 2  # refused as version 2


def test_an_admission_carrying_both_a_salary_and_a_payment_is_refused_naming_the_salary(backend):
    line = as_version_2(next(e for e in example_lines() if e["type"] == "MemberAdmitted"))
    line["payload"]["net_salary"] = "17089.23"
    result = mutual(backend, "import", "-", input=jsonl([line]))
    assert result.exit_code == 1 and "payload.net_salary: is not a field of this event type" in result.output \
        + result.stderr


def test_a_correction_given_a_version_1_admission_writes_it_lifted(backend):
    ok(backend, "import", str(EXAMPLE))
    alice = next(e for e in admissions(backend) if e["stream"] == "member-alice")
    replacement = {**alice["payload"], "deposit": "5800"}
    ok(backend, "correct", str(alice["position"]), "--reason", "typed again", "--replacement-type",
       "MemberAdmitted", "--replacement-payload", json.dumps(replacement), "--actor", "clerk")
    [reversal] = json.loads(ok(backend, "log", "--type", "EventReversed", "--json").output)
    assert reversal["payload"]["replacement_payload"] == {k: v for k, v in replacement.items()
                                                          if k not in ("net_salary", "payment_rate")} \
        | {"annual_payment": "5554.00"}
    shown = json.loads(ok(backend, "member", "show", "alice", "--as-of", "2025-03-31", "--json").output)
    assert [c["reason"] for c in shown.pop("corrections")] == ["typed again"]
    assert shown == BEFORE["member alice 2025-03-31"]


def test_a_correction_recorded_before_version_2_with_a_version_1_replacement_is_read_lifted(backend):
    lines = example_lines()
    alice = next(i for i, e in enumerate(lines, start=1) if e["stream"] == "member-alice"
                 and e["type"] == "MemberAdmitted")
    reversal = {"stream": "member-alice", "type": "EventReversed", "effective_date": "2015-04-01",
                "metadata": {"actor": "clerk", "reason": "typed again"},
                "payload": {"position": alice, "reason": "typed again", "replacement_type": "MemberAdmitted",
                            "replacement_payload": lines[alice - 1]["payload"]}}
    ok(backend, "import", "-", input=jsonl(lines + [reversal]))
    [stored] = json.loads(ok(backend, "log", "--type", "EventReversed", "--json").output)
    assert "net_salary" in stored["payload"]["replacement_payload"]  # restored as written
    shown = json.loads(ok(backend, "member", "show", "alice", "--as-of", "2025-03-31", "--json").output)
    assert [c["reason"] for c in shown.pop("corrections")] == ["typed again"]
    assert shown == BEFORE["member alice 2025-03-31"]


def test_a_version_1_admission_recorded_without_a_key_is_keyed_by_its_lift_so_the_key_holds_no_salary(backend):
    """A key derived from the version 1 payload would let anyone find the salary again by hashing guesses."""
    from ledger.store.envelope import pending_from_envelope

    line = {"stream": "member-erin", "type": "MemberAdmitted", "effective_date": "2015-04-01",
            "payload": {"member_id": "erin", "coop_id": "riverside", "dwelling_id": "flat1", "net_salary": "18123.45",
                        "payment_rate": "0.33", "deposit": "5800", "debt_share": "108315",
                        "mortgage_id": "riverside-1"}}
    ok(backend, "import", "-", input=jsonl([e for e in example_lines()
                                           if e["type"] in ("SocietyRegistered", "DwellingRegistered",
                                                            "CollectiveMortgageDrawn")]))
    ok(backend, "record", "-", input=jsonl([line]))
    stored = json.loads(ok(backend, "log", "--json", "--type", "MemberAdmitted").output)[-1]
    from ledger.store.keys import fact_key
    from ledger.store.payloads import encode_payload

    v1_text, _ = encode_payload(MemberAdmitted, line["payload"], 1, line["stream"])
    v1_key = fact_key("member-erin", "MemberAdmitted", 1, "2015-04-01", v1_text)
    as_imported, _ = pending_from_envelope(line, default_actor="clerk")  # a restore keys it by its lift too
    assert as_imported is not None and as_imported.idempotency_key != v1_key
    assert stored["idempotency_key"] != v1_key
    assert "net_salary" not in stored["payload"] and "18123.45" not in json.dumps(stored)
    assert "already recorded" in ok(backend, "record", "-", input=jsonl([line])).output  # a retry is still a replay
    assert stored["idempotency_key"] == as_imported.idempotency_key  # recorded or imported: one fact, one key
