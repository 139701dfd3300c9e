"""One door for every format: `read_statement(bytes, format, profile)`, `--format auto` sniffing the format."""

from __future__ import annotations

from ledger.bank import camt053, csvfile, mt940, ofx
from ledger.bank.lines import FORMATS, BankFileRefused, Statement, StatementParser

PARSERS: dict[str, StatementParser] = {"csv": csvfile.parse, "ofx": ofx.parse, "camt053": camt053.parse,
                                       "mt940": mt940.parse}
MAX_BYTES = 50 * 1024 * 1024


def sniff(data: bytes) -> str:
    """The format of a statement's bytes: OFX, CAMT.053 and MT940 by their opening marks, CSV by a profile's
    header; refused naming the formats when none fits."""
    for name, test in (("ofx", ofx.sniff), ("camt053", camt053.sniff), ("mt940", mt940.sniff), ("csv", csvfile.sniff)):
        if test(data):
            return name
    raise BankFileRefused("file", "format", f"is not recognised: give --format ({', '.join(FORMATS)}) and, for a "
                                            "CSV, --profile")


def read_statement(data: bytes, format: str = "auto", profile: str | None = None) -> Statement:
    if len(data) > MAX_BYTES:
        raise BankFileRefused("file", "size", f"is more than {MAX_BYTES // (1024 * 1024)} MB: split the statement")
    if not data.strip():
        raise BankFileRefused("file", "content", "is empty")
    if format == "auto":
        format = "csv" if profile is not None else sniff(data)
    parser = PARSERS.get(format)
    if parser is None:
        raise BankFileRefused("", "format", f"{format!r} is not a format ({', '.join(FORMATS)}, auto)")
    return parser(data, profile)
