"""The statement parsers: each format to the same typed lines, line identities, returns, and refusals that name
the line and the field."""

from __future__ import annotations

import ast
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from ledger.bank import samples
from ledger.bank.account import bank_book
from ledger.bank.formats import read_statement, sniff
from ledger.bank.lines import BankFileRefused, equal_line_refs, line_id
from ledger.bank.matching import MatchRule, compile_rule, match_credit, payee_key, payment_period, RuleRefused

ROOT = Path(__file__).resolve().parents[2]
A, B = samples.riverside_statements()
WRITERS = {name: writer for name, (_, writer) in samples.WRITERS.items()}


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_every_format_reads_to_the_same_lines(fmt):
    statement = read_statement(WRITERS[fmt](B))
    assert statement.format == fmt
    assert [(l.booked, l.amount, l.reference) for l in statement.lines] == [
        (l.day, l.amount, l.reference) for l in B.lines]
    assert [l.kind for l in statement.lines] == ["credit", "credit", "credit", "returned-dd", "debit"]
    assert statement.closing.amount == B.closing()


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_auto_sniffs_every_format(fmt):
    assert sniff(WRITERS[fmt](A)) == fmt


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_two_equal_payments_on_one_day_have_two_identities(fmt):
    lines = [l for l in read_statement(WRITERS[fmt](A)).lines if l.reference == "SO-dan-2025-04"]
    assert len(lines) == 2 and lines[0].amount == lines[1].amount and lines[0].booked == lines[1].booked
    assert lines[0].line_ref != lines[1].line_ref


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_the_same_line_in_overlapping_statements_has_one_identity(fmt):
    first = {l.reference + str(l.amount) + l.line_ref for l in read_statement(WRITERS[fmt](A)).lines
             if l.booked >= date(2025, 4, 10)}
    second = {l.reference + str(l.amount) + l.line_ref for l in read_statement(WRITERS[fmt](B)).lines
              if l.booked <= date(2025, 4, 12)}
    assert first == second and len(first) == 3


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_a_returned_direct_debit_is_recognised_and_linked_to_the_payment_it_returns(fmt):
    lines = read_statement(WRITERS[fmt](A)).lines + read_statement(WRITERS[fmt](B)).lines
    events = []
    for n, l in enumerate({l.line_ref: l for l in lines}.values(), start=1):
        events.append(_Event("BankLineImported", {
            "line_id": line_id("acc", l.line_ref), "bank_line_ref": l.line_ref, "booked_date": l.booked.isoformat(),
            "value_date": l.value.isoformat(), "amount": f"{l.amount:f}", "currency": l.currency,
            "reference": l.reference, "kind": l.kind, "returns_ref": l.returns_ref, "format": fmt}, n))
    book = bank_book("acc", events)
    returned = [l for l in book.lines.values() if l.kind == "returned-dd"]
    assert len(returned) == 1 and returned[0].amount == D("-740.80")
    target = book.return_target(returned[0])
    assert target is not None and target.booked == date(2025, 4, 1) and target.reference == "DD-dan-2025-04"


class _Event:
    def __init__(self, type_, payload, position):
        self.type, self.payload, self.position = type_, payload, position


def test_csv_identity_is_date_amount_reference_and_number_among_equal_lines():
    on = date(2025, 4, 11)
    refs = equal_line_refs([(on, D("1.00"), "X"), (on, D("1.00"), "X"), (on, D("2.00"), "X")])
    assert refs == ["2025-04-11|1.00|X|1", "2025-04-11|1.00|X|2", "2025-04-11|2.00|X|1"]


def test_a_line_id_names_the_account_and_the_bank_line():
    assert line_id("a", "FIT1") == line_id("a", "FIT1") != line_id("b", "FIT1")
    assert line_id("a", "FIT1").startswith("bl-") and len(line_id("a", "FIT1")) == 27


def test_mt940_marks_a_reversed_credit_as_money_out_and_a_reversed_debit_as_money_in():
    text = (":20:S1\r\n:25:GB00\r\n:28C:1/1\r\n:60F:C250331GBP100,00\r\n"
            ":61:2504020402RC10,00NTRFREF1//B1\r\n:86:/NAME/X/REMI/REF1/ REVERSAL\r\n"
            ":61:2504030403RD5,00NTRFREF2//B2\r\n:86:/REMI/REF2/\r\n:62F:C250403GBP95,00\r\n-\r\n").encode()
    lines = read_statement(text, "mt940").lines
    assert [(l.amount, l.kind) for l in lines] == [(D("-10.00"), "reversal"), (D("5.00"), "reversal")]


def test_ofx_correctaction_is_a_reversal_naming_the_line_it_corrects():
    data = samples.ofx(A).replace(b"<FITID>RVS250403001\n", b"<FITID>RVS250403001\n<CORRECTFITID>RVS250401001\n"
                                                              b"<CORRECTACTION>DELETE\n")
    line = [l for l in read_statement(data).lines if l.line_ref == "RVS250403001"][0]
    assert line.kind == "reversal" and line.returns_ref == "RVS250401001"


def test_camt_reversal_indicator_makes_a_reversal():
    data = samples.camt053(A).replace(b"<Sts>BOOK</Sts><BookgDt><Dt>2025-04-03",
                                      b"<RvslInd>true</RvslInd><Sts>BOOK</Sts><BookgDt><Dt>2025-04-03")
    assert [l.kind for l in read_statement(data).lines if l.booked == date(2025, 4, 3)] == ["reversal"]


@pytest.mark.parametrize("profile", ["barclays", "hsbc", "nationwide"])
def test_the_other_csv_profiles_read_their_layouts(profile):
    files = {
        "barclays": b"Number,Date,Account,Amount,Subcategory,Memo\r\n"
                    b",01/04/2025,20-20-15 55555555,718.85,Standing Order,A SMITH    SO-alice-2025-04    SO\r\n"
                    b",16/04/2025,20-20-15 55555555,-740.80,Direct Debit,UNPAID DD    DD-dan-2025-04\r\n",
        "hsbc": b"16/04/2025,UNPAID D PATEL DD-dan-2025-04,-740.80\r\n01/04/2025,A SMITH SO-alice-2025-04,718.85\r\n",
        "nationwide": ('"Account Name:","Co-op current ****5555"\r\n"Account Balance:","\u00a39,978.05"\r\n'
                       '"Available Balance: ","\u00a39,978.05"\r\n\r\n'
                       '"Date","Transaction type","Description","Paid out","Paid in","Balance"\r\n'
                       '"01 Apr 2025","Standing order","A SMITH SO-alice-2025-04","","\u00a3718.85","\u00a310,718.85"\r\n'
                       '"16 Apr 2025","Direct debit","UNPAID D PATEL DD-dan-2025-04","\u00a3740.80","",'
                       '"\u00a39,978.05"\r\n').encode("cp1252"),
    }
    statement = read_statement(files[profile], "csv", profile)
    assert [(l.booked, l.amount, l.reference, l.kind) for l in statement.lines] == [
        (date(2025, 4, 1), D("718.85"), "SO-alice-2025-04", "credit"),
        (date(2025, 4, 16), D("-740.80"), "DD-dan-2025-04", "returned-dd")]
    assert statement.lines[0].counterparty == "A SMITH"
    if profile == "nationwide":
        assert statement.opening.amount == D("10000.00") and statement.closing.amount == D("9978.05")
    if profile == "barclays":
        assert sniff(files[profile]) == "csv"


# --- refusals: the line and the field named ---------------------------------------------------------------------


def _refused(data: bytes, fmt: str = "auto", profile: str | None = None) -> str:
    with pytest.raises(BankFileRefused) as caught:
        read_statement(data, fmt, profile)
    return str(caught.value)


def test_camt_missing_a_required_element_is_refused_naming_the_entry_and_element():
    data = samples.camt053(A).replace(b"<Sts>BOOK</Sts>", b"", 1)
    assert "Ntry 1" in (message := _refused(data)) and "Sts" in message and "required" in message


def test_camt_not_well_formed_is_refused_naming_the_line():
    message = _refused(b'<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
                       b'\n<BkToCstmrStmt>\n</Document>', "camt053")
    assert "line" in message and "well-formed" in message


def test_camt_with_an_entity_is_refused_or_read_without_expanding_it():
    data = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>&x;'
            b'</MsgId></GrpHdr></BkToCstmrStmt></Document>')
    assert "root:" not in _refused(data, "camt053")


def test_camt_amount_with_three_places_is_refused():
    data = samples.camt053(A).replace(b">718.85<", b">718.855<")
    assert "Ntry 1" in (message := _refused(data)) and "Amt" in message and "2 decimal places" in message


def test_camt_wrong_namespace_is_refused():
    data = samples.camt053(A).replace(b"camt.053.001.02", b"camt.053.001.08")
    assert "Document" in _refused(data, "camt053")


def test_ofx_without_fitid_is_refused_naming_the_transaction():
    data = samples.ofx(A).replace(b"<FITID>RVS250403001\n", b"")
    message = _refused(data)
    assert "STMTTRN 4" in message and "FITID" in message


@pytest.mark.parametrize("field, given", [("BALAMT", b"1E20"), ("BALAMT", b"13279.815"), ("TRNAMT", b"1E5")])
def test_ofx_amounts_are_held_to_two_places_and_no_exponent_as_every_format_s_are(field, given):
    import re

    data = re.sub(rb"<" + field.encode() + rb">[-0-9.]+", b"<" + field.encode() + b">" + given, samples.ofx(A),
                  count=1)
    message = _refused(data, "ofx")
    assert field in message and "at most 2 decimal places" in message


def test_ofx_garbage_is_refused():
    assert "ofx" in _refused(b"OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><BANKMSGSRSV1>", "ofx")


def test_mt940_bad_statement_line_is_refused_naming_the_line():
    data = samples.mt940(A).replace(b":61:2504030403D12,50", b":61:25AB030403D12,50")
    message = _refused(data)
    assert ":61: line 4" in message and "line 11" in message


def test_mt940_amount_with_three_places_is_refused():
    data = samples.mt940(A).replace(b"D12,50", b"D12,505")
    assert ":61:" in _refused(data, "mt940")


def test_csv_with_a_bad_date_is_refused_naming_the_line_and_column():
    data = samples.lloyds_csv(A).replace(b"03/04/2025", b"31/02/2025")
    message = _refused(data)
    assert "line" in message and "Transaction Date" in message


def test_csv_with_both_debit_and_credit_is_refused():
    data = samples.lloyds_csv(A).replace(b",12.50,,", b",12.50,12.50,")
    assert "Credit Amount" in _refused(data)


@pytest.mark.parametrize("before, after, column", [(b",12.50,,", b",-12.50,,", "Debit Amount"),
                                                   (b",,718.85,", b",,-718.85,", "Credit Amount")])
def test_csv_with_a_signed_debit_or_credit_is_refused_not_turned_round(before, after, column):
    """A minus in the debit column once made money out a member's receipt (-(-718.85))."""
    data = samples.lloyds_csv(A).replace(before, after, 1)
    assert data != samples.lloyds_csv(A)
    message = _refused(data)
    assert column in message and "negative" in message


def test_csv_with_a_missing_column_is_refused():
    lines = samples.lloyds_csv(A).split(b"\r\n")
    lines[2] = lines[2].rsplit(b",", 1)[0]
    assert "line 3" in (message := _refused(b"\r\n".join(lines))) and "columns" in message


def test_unknown_csv_is_refused_naming_the_profiles():
    assert "--profile" in _refused(b"a,b,c\r\n1,2,3\r\n")


def test_unknown_profile_and_empty_file_are_refused():
    assert "barclays" in _refused(samples.lloyds_csv(A), "csv", "monzo")
    assert "empty" in _refused(b"  \n")


# --- matching -----------------------------------------------------------------------------------------------------


def test_a_rule_matches_the_whole_reference_and_names_the_member_by_its_group():
    rules = [MatchRule("so", compile_rule(r"(SO|DD)-(?P<member>[a-z0-9]+)-[0-9]{4}-[0-9]{2}"), None)]
    members = {"alice": "alice", "dan": "dan"}
    assert match_credit("SO-ALICE-2025-04", "", rules, {}, members).member_id == "alice"
    assert match_credit("SO-alice-2025-04 extra", "", rules, {}, members) is None  # the whole reference
    assert match_credit("SO-zed-2025-04", "", rules, {}, members) is None  # no such member


def test_a_learned_payee_name_matches_when_no_rule_does():
    found = match_credit("THANKYOU", "r. brown", [], {payee_key("R BROWN"): "carol"}, {"carol": "carol"})
    assert found is not None and found.member_id == "carol" and found.rule == "payee"


def test_a_rule_that_names_no_member_or_does_not_compile_is_refused():
    with pytest.raises(RuleRefused, match="names no member"):
        compile_rule("SO-.*", None, check=True)
    with pytest.raises(RuleRefused, match="not a regular expression"):
        compile_rule("SO-(", None, check=True)


def _facts(rows):
    """(type, effective date, payload) rows as the member's stream the folds read."""
    from ledger.store.records import FoldedEvent

    return [FoldedEvent(n, "member-m1", type_, 1, on, payload) for n, (type_, on, payload) in enumerate(rows, 1)]


def test_a_payment_pays_the_earliest_unpaid_month_else_the_booked_month():
    events = [("PaymentDue", date(2025, 2, 1), {"period": "2025-02", "amount": "100"}),
              ("PaymentDue", date(2025, 3, 1), {"period": "2025-03", "amount": "100"}),
              ("PaymentReceived", date(2025, 2, 3), {"period": "2025-02", "amount": "100"}),
              ("PaymentReceived", date(2025, 3, 3), {"period": "2025-03", "amount": "60"})]
    assert payment_period(_facts(events), date(2025, 3, 20)) == "2025-03"  # part-paid
    assert payment_period(_facts(events[:2]), date(2025, 3, 20)) == "2025-02"  # the earliest unpaid month first
    assert payment_period(_facts(events[:3] + [("PaymentReceived", date(2025, 3, 3), {"period": "2025-03",
                                                                                         "amount": "100"})]),
                          date(2025, 4, 2)) == "2025-04"
    # a payment returned by then is not paid; one booked later has not been made yet
    returned = events + [("PaymentReturned", date(2025, 3, 5), {"amount": "60"})]
    assert payment_period(_facts(returned[:3] + [returned[-1]]), date(2025, 3, 20)) == "2025-02"
    later = ("PaymentReceived", date(2025, 3, 25), {"period": "2025-02", "amount": "100"})
    assert payment_period(_facts(events[:2] + [later]), date(2025, 3, 20)) == "2025-02"


def test_the_bank_domain_touches_no_database_but_its_personal_table():
    offenders = []
    for path in sorted((ROOT / "ledger" / "bank").glob("*.py")):
        if path.name == "personal.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {n}" for n in names
                          if n.split(".")[0] in ("sqlalchemy", "psycopg", "sqlite3")
                          or n.startswith(("ledger.store", "ledger.commands", "ledger.source"))]
    assert offenders == []


def test_the_shipped_samples_are_what_the_generator_writes(tmp_path):
    for path in samples.write_samples(tmp_path):
        assert (ROOT / "examples" / "bank" / path.name).read_bytes() == path.read_bytes(), path.name


def test_mt940_lines_without_a_bank_reference_are_numbered_among_equal_lines():
    text = (":20:S1\r\n:25:GB00\r\n:28C:1/1\r\n:60F:C250331GBP100,00\r\n"
            ":61:2504020402C10,00NTRFREF1\r\n:86:/REMI/REF1/\r\n"
            ":61:2504020402C10,00NTRFREF1\r\n:86:/REMI/REF1/\r\n:62F:C250402GBP120,00\r\n-\r\n").encode()
    lines = read_statement(text, "mt940").lines
    assert [l.line_ref for l in lines] == ["2025-04-02|10.00|REF1|1", "2025-04-02|10.00|REF1|2"]


def test_a_description_the_profile_cannot_split_keeps_no_reference_so_no_name_reaches_the_chain():
    from ledger.bank.csvfile import parse

    data = b"02/05/2025,JANEDOE,100.00\n"  # HSBC (no header row); no space: nothing for the pattern to split
    statement = parse(data, "hsbc")
    assert statement.lines[0].reference == ""
