"""Sample statements made by the ledger itself (never copied from a bank): one month of a co-op's receipts
written in each of the four formats, and statements of any size for the benchmark.

`python -m ledger.bank.samples examples/bank` writes the shipped samples: April 2025 of the Riverside co-op
(the members of examples/coop-ten-years.jsonl), as two statements that overlap by three days, with a returned
direct debit (dan's, after it was matched), a payment no rule matches, two equal payments on one day, bank
charges and a transfer to the lender.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

D = Decimal


@dataclass(frozen=True)
class SampleLine:
    day: date
    amount: Decimal  # signed
    reference: str
    name: str
    bank_id: str  # the bank's own identity (FITID, AcctSvcrRef, MT940 bank reference)
    kind: str = ""  # "returned-dd" for a direct debit returned unpaid; "" otherwise
    code: str = "FPI"  # the bank's transaction type: FPI, DD, SO, CHG, FPO
    returns_id: str = ""  # the bank id of the line a returned direct debit returns


@dataclass(frozen=True)
class SampleStatement:
    statement_id: str
    account_iban: str
    start: date
    end: date
    opening: Decimal  # the balance at the end of the day before `start`
    lines: tuple[SampleLine, ...]

    def closing(self) -> Decimal:
        return self.opening + sum((line.amount for line in self.lines), D(0))

    def balances(self) -> list[Decimal]:
        """The balance after each line, in the statement's order."""
        out, running = [], self.opening
        for line in self.lines:
            running += line.amount
            out.append(running)
        return out


def riverside_april() -> list[SampleLine]:
    """April 2025 at the Riverside co-op's bank: what the shipped samples hold."""
    d = date
    return [
        SampleLine(d(2025, 4, 1), D("718.85"), "SO-alice-2025-04", "A SMITH", "RVS250401001", code="SO"),
        SampleLine(d(2025, 4, 1), D("971.86"), "DD-carol-2025-04", "C JONES", "RVS250401002", code="DD"),
        SampleLine(d(2025, 4, 1), D("740.80"), "DD-dan-2025-04", "D PATEL", "RVS250401003", code="DD"),
        SampleLine(d(2025, 4, 3), D("-12.50"), "SERVICE-CHARGE", "RIVERSIDE BANK", "RVS250403001", code="CHG"),
        SampleLine(d(2025, 4, 11), D("120.00"), "THANKYOU", "R BROWN", "RVS250411001"),
        SampleLine(d(2025, 4, 11), D("370.40"), "SO-dan-2025-04", "D PATEL", "RVS250411002"),
        SampleLine(d(2025, 4, 11), D("370.40"), "SO-dan-2025-04", "D PATEL", "RVS250411003"),
        SampleLine(d(2025, 4, 16), D("-740.80"), "DD-dan-2025-04", "D PATEL", "RVS250416001", kind="returned-dd",
                   code="DD", returns_id="RVS250401003"),
        SampleLine(d(2025, 4, 22), D("-1500.00"), "MORTGAGE-2025-04", "RIVERSIDE LENDER", "RVS250422001",
                   code="FPO"),
    ]


RIVERSIDE_IBAN = "GB33BUKB20201555555555"
RIVERSIDE_OPENING = D("10000.00")


def riverside_statements() -> tuple[SampleStatement, SampleStatement]:
    """Two statements of April 2025: 1 to 12 April and 10 to 30 April (overlapping 10 to 12 April)."""
    lines = riverside_april()
    first = tuple(line for line in lines if line.day <= date(2025, 4, 12))
    before_second = [line for line in lines if line.day < date(2025, 4, 10)]
    second = tuple(line for line in lines if line.day >= date(2025, 4, 10))
    opening_second = RIVERSIDE_OPENING + sum((line.amount for line in before_second), D(0))
    return (SampleStatement("RVS-2025-04-A", RIVERSIDE_IBAN, date(2025, 4, 1), date(2025, 4, 12), RIVERSIDE_OPENING,
                            first),
            SampleStatement("RVS-2025-04-B", RIVERSIDE_IBAN, date(2025, 4, 10), date(2025, 4, 30), opening_second,
                            second))


# --- camt.053.001.02 ---------------------------------------------------------------------------------------------


def _camt_amount(amount: Decimal) -> tuple[str, str]:
    return f"{abs(amount):.2f}", "CRDT" if amount >= 0 else "DBIT"


def camt053(s: SampleStatement) -> bytes:
    def bal(code: str, amount: Decimal, on: date) -> str:
        value, ind = _camt_amount(amount)
        return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"GBP\">{value}</Amt>"
                f"<CdtDbtInd>{ind}</CdtDbtInd><Dt><Dt>{on.isoformat()}</Dt></Dt></Bal>")

    entries = []
    for line in s.lines:
        value, ind = _camt_amount(line.amount)
        returned = line.kind == "returned-dd"
        family = ("PMNT", "RDDT", "UPDD") if returned else \
            ("PMNT", "RCDT", "ESCT") if line.amount > 0 else ("ACMT", "MDOP", "CHRG") if line.code == "CHG" else \
            ("PMNT", "ICDT", "ESCT")
        party = "Dbtr" if line.amount > 0 or returned else "Cdtr"
        rtr = "<RtrInf><Rsn><Cd>MS03</Cd></Rsn></RtrInf>" if returned else ""
        end_to_end = line.reference
        entries.append(
            f"<Ntry><NtryRef>{line.bank_id}</NtryRef><Amt Ccy=\"GBP\">{value}</Amt><CdtDbtInd>{ind}</CdtDbtInd>"
            f"<Sts>BOOK</Sts><BookgDt><Dt>{line.day.isoformat()}</Dt></BookgDt>"
            f"<ValDt><Dt>{line.day.isoformat()}</Dt></ValDt><AcctSvcrRef>{line.bank_id}</AcctSvcrRef>"
            f"<BkTxCd><Domn><Cd>{family[0]}</Cd><Fmly><Cd>{family[1]}</Cd><SubFmlyCd>{family[2]}</SubFmlyCd></Fmly>"
            f"</Domn></BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>{escape(end_to_end)}</EndToEndId></Refs>"
            f"<RltdPties><{party}><Nm>{escape(line.name)}</Nm></{party}></RltdPties>"
            f"<RmtInf><Ustrd>{escape(line.reference)}</Ustrd></RmtInf>{rtr}</TxDtls></NtryDtls></Ntry>")
    body = "\n".join(entries)
    created = f"{s.end.isoformat()}T23:00:00"
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            f"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\n<BkToCstmrStmt>\n"
            f"<GrpHdr><MsgId>{s.statement_id}</MsgId><CreDtTm>{created}</CreDtTm></GrpHdr>\n"
            f"<Stmt><Id>{s.statement_id}</Id><CreDtTm>{created}</CreDtTm>"
            f"<Acct><Id><IBAN>{s.account_iban}</IBAN></Id><Ccy>GBP</Ccy></Acct>\n"
            f"{bal('OPBD', s.opening, s.start)}\n{bal('CLBD', s.closing(), s.end)}\n{body}\n"
            f"</Stmt>\n</BkToCstmrStmt>\n</Document>\n").encode()


# --- OFX 1.02 (SGML) ------------------------------------------------------------------------------------------------


def ofx(s: SampleStatement) -> bytes:
    def stamp(day: date) -> str:
        return day.strftime("%Y%m%d") + "120000"

    txs = []
    for line in s.lines:
        returned = line.kind == "returned-dd"
        trntype = ("DIRECTDEBIT" if returned else "CREDIT" if line.amount > 0 else
                   "SRVCHG" if line.code == "CHG" else "DEBIT")
        name = f"UNPAID DD {line.name}" if returned else line.name
        txs.append(f"<STMTTRN>\n<TRNTYPE>{trntype}\n<DTPOSTED>{stamp(line.day)}\n<TRNAMT>{line.amount:.2f}\n"
                   f"<FITID>{line.bank_id}\n<NAME>{escape(name[:32])}\n<MEMO>{escape(line.reference)}\n</STMTTRN>")
    header = ("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
              "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n")
    body = "\n".join(txs)
    return (header +
            "<OFX>\n<SIGNONMSGSRSV1>\n<SONRS>\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n</STATUS>\n"
            f"<DTSERVER>{stamp(s.end)}\n<LANGUAGE>ENG\n</SONRS>\n</SIGNONMSGSRSV1>\n"
            "<BANKMSGSRSV1>\n<STMTTRNRS>\n<TRNUID>1\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n</STATUS>\n"
            "<STMTRS>\n<CURDEF>GBP\n<BANKACCTFROM>\n<BANKID>202015\n<ACCTID>55555555\n<ACCTTYPE>CHECKING\n"
            f"</BANKACCTFROM>\n<BANKTRANLIST>\n<DTSTART>{stamp(s.start)}\n<DTEND>{stamp(s.end)}\n{body}\n"
            f"</BANKTRANLIST>\n<LEDGERBAL>\n<BALAMT>{s.closing():.2f}\n<DTASOF>{stamp(s.end)}\n</LEDGERBAL>\n"
            "</STMTRS>\n</STMTTRNRS>\n</BANKMSGSRSV1>\n</OFX>\n").encode("ascii")


# --- MT940 ------------------------------------------------------------------------------------------------------


def _mt_amount(amount: Decimal) -> str:
    return f"{abs(amount):.2f}".replace(".", ",")


def mt940(s: SampleStatement) -> bytes:
    def yymmdd(day: date) -> str:
        return day.strftime("%y%m%d")

    def bal(tag: str, amount: Decimal, on: date) -> str:
        return f":{tag}:{'C' if amount >= 0 else 'D'}{yymmdd(on)}GBP{_mt_amount(amount)}"

    out = [f":20:{s.statement_id}", f":25:{s.account_iban}", ":28C:00004/001",
           bal("60F", s.opening, s.start - timedelta(days=1))]
    for line in s.lines:
        returned = line.kind == "returned-dd"
        mark = "RC" if returned else "C" if line.amount > 0 else "D"
        code = {"DD": "NDDT", "SO": "NSTO", "CHG": "NCHG", "FPO": "NTRF"}.get(line.code, "NTRF")
        out.append(f":61:{yymmdd(line.day)}{line.day.strftime('%m%d')}{mark}{_mt_amount(line.amount)}{code}"
                   f"{line.reference[:16]}//{line.bank_id}")
        extra = f"/ORIG/{line.returns_id}" if returned else ""
        out.append(f":86:/NAME/{line.name}/REMI/{line.reference}{extra}/" + (" UNPAID" if returned else ""))
    out.append(bal("62F", s.closing(), s.end))
    return ("\r\n".join(out) + "\r\n-\r\n").encode("ascii")


# --- CSV (the lloyds profile) -----------------------------------------------------------------------------------


def lloyds_csv(s: SampleStatement) -> bytes:
    rows = ["Transaction Date,Transaction Type,Sort Code,Account Number,Transaction Description,Debit Amount,"
            "Credit Amount,Balance"]
    for line, balance in reversed(list(zip(s.lines, s.balances(), strict=True))):  # newest first, as Lloyds does
        returned = line.kind == "returned-dd"
        code = "UNPAID DD" if returned else {"SO": "SO", "DD": "DD", "CHG": "PAY", "FPO": "FPO"}.get(line.code, "FPI")
        debit = f"{-line.amount:.2f}" if line.amount < 0 else ""
        credit = f"{line.amount:.2f}" if line.amount > 0 else ""
        rows.append(f"{line.day.strftime('%d/%m/%Y')},{code},'20-20-15,55555555,{line.name} {line.reference},"
                    f"{debit},{credit},{balance:.2f}")
    return ("\r\n".join(rows) + "\r\n").encode()


WRITERS: dict[str, tuple[str, Callable[[SampleStatement], bytes]]] = {
    "camt053": ("xml", camt053), "ofx": ("ofx", ofx), "mt940": ("sta", mt940), "csv": ("csv", lloyds_csv),
}


def write_samples(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for statement, part in zip(riverside_statements(), "ab", strict=True):
        for fmt, (ext, writer) in WRITERS.items():
            path = folder / f"riverside-2025-04-{part}.{fmt}.{ext}"
            path.write_bytes(writer(statement))
            written.append(path)
    return written


def large_statement(lines: int, members: Sequence[str], start: date = date(2025, 4, 1)) -> SampleStatement:
    """A statement of `lines` lines for the benchmark: members' standing orders over a month (`SO-<member>-<month>`),
    every 50th line a payment no rule matches, every 200th a debit."""
    out = []
    for n in range(lines):
        day = start + timedelta(days=n % 28)
        bank_id = f"BM{n:08d}"
        if n % 200 == 199:
            out.append(SampleLine(day, D("-25.00"), f"CHARGE-{n}", "RIVERSIDE BANK", bank_id, code="CHG"))
        elif n % 50 == 49:
            out.append(SampleLine(day, D("60.00"), f"GIFT{n}", "A DONOR", bank_id))
        else:
            member = members[n % len(members)]
            out.append(SampleLine(day, D("700.00") + D(n % 97), f"SO-{member}-{start:%Y-%m}", f"PAYER {member}",
                                  bank_id, code="SO"))
    return SampleStatement("BENCH-1", RIVERSIDE_IBAN, start, start + timedelta(days=27), D("0.00"), tuple(out))


if __name__ == "__main__":
    for written in write_samples(Path(sys.argv[1] if len(sys.argv) > 1 else "examples/bank")):
        print(written)
