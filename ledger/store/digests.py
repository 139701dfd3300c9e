"""Signed digests: the log's head, signed with the society's key and kept outside the database.

A hash chain shows that nothing was changed *inside* the log, but not that
the log you are shown is the whole of it: whoever can write the database can
cut its tail, or rewrite it from some position on and re-seal every event
after (the chain is then intact, and `mutual verify` passes). Only something
kept outside the database can tell. A signed digest is that something: the
head's position and hash and the time, signed with the society's Ed25519
key. Appended to a witness file kept elsewhere (the treasurer's machine, the
auditor's mailbox, a printed year-end report), each digest is a promise the
log must keep for ever: position P still has hash H. A cut tail no longer
reaches P; a rewritten history no longer has H there.

The signed text is fixed: canonical JSON (sorted keys, no spaces) of the
format name, the position, the hash and the signing time, so any tool can
check a digest with the public key alone. The key's fingerprint (the first
16 hex digits of the SHA-256 of its 32 raw bytes) says which key signed.

No I/O here: the caller reads key files and witness files, and hands over
their bytes (cli/audit_commands.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.clock import format_recorded_at
from ledger.errors import FieldError, ValidationFailed

FORMAT = "mutual-ledger digest 1"
FIELDS = ("position", "hash", "signed_at", "key", "signature")
HASH = re.compile(r"[0-9a-f]{64}")
FINGERPRINT = re.compile(r"[0-9a-f]{16}")
SIGNED_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
SIGNATURE = re.compile(r"[A-Za-z0-9+/]{86}==")  # 64 bytes, base64


@dataclass(frozen=True, slots=True)
class SignedDigest:
    position: int
    hash: str
    signed_at: str  # UTC, as recorded times are written: 2027-01-18T10:00:00.000000Z
    key: str  # fingerprint of the public key that signed
    signature: str  # base64 Ed25519 signature of `message()`

    def message(self) -> bytes:
        """The bytes signed: canonical JSON of what the digest promises."""
        return signed_text(self.position, self.hash, self.signed_at)

    def to_json(self) -> dict[str, Any]:
        return {"position": self.position, "hash": self.hash, "signed_at": self.signed_at, "key": self.key,
                "signature": self.signature}

    def line(self) -> str:
        """One line of a witness file."""
        return orjson.dumps(self.to_json(), option=orjson.OPT_SORT_KEYS).decode()

    def describe(self) -> str:
        return f"position {self.position}, signed {self.signed_at}"


def signed_text(position: int, hash_: str, signed_at: str) -> bytes:
    return orjson.dumps({"digest": FORMAT, "hash": hash_, "position": position, "signed_at": signed_at},
                        option=orjson.OPT_SORT_KEYS)


# -- keys ---------------------------------------------------------------------------------------------
def new_key() -> tuple[bytes, bytes]:
    """A new society key: (private key PEM, PKCS#8 unencrypted; public key PEM)."""
    private = Ed25519PrivateKey.generate()
    return (private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()),
            public_pem(private.public_key()))


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def private_key(pem: bytes, field: str) -> Ed25519PrivateKey:
    """The Ed25519 private key in `pem`, or a refusal naming `field`."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        reason = f"is not an unencrypted PEM private key ({_first_line(exc)})"
        raise ValidationFailed([FieldError(field, reason)]) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationFailed([FieldError(field, "is not an Ed25519 key (make one with `mutual audit keygen`)")])
    return key


def public_key(pem: bytes, field: str) -> Ed25519PublicKey:
    """The Ed25519 public key in `pem`, or a refusal naming `field`."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed([FieldError(field, f"is not a PEM public key ({_first_line(exc)})")]) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValidationFailed([FieldError(field, "is not an Ed25519 public key (the one `mutual audit keygen` "
                                                  "printed)")])
    return key


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- signing and checking ------------------------------------------------------------------------------
def sign(key: Ed25519PrivateKey, position: int, hash_: str, signed_at: datetime) -> SignedDigest:
    when = format_recorded_at(signed_at)
    signature = key.sign(signed_text(position, hash_, when))
    return SignedDigest(position, hash_, when, fingerprint(key.public_key()), base64.b64encode(signature).decode())


def parse(text: str | bytes) -> SignedDigest:
    """A signed digest from its JSON; ValueError saying what is wrong with it."""
    try:
        found = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ValueError("is not JSON") from None
    if not isinstance(found, dict) or set(found) != set(FIELDS):
        raise ValueError(f"is not a signed digest (an object of exactly {', '.join(FIELDS)})")
    position, hash_, signed_at, key, signature = (found[f] for f in FIELDS)
    if type(position) is not int or position < 0:
        raise ValueError("position: is not a position of a log")
    if not isinstance(hash_, str) or not HASH.fullmatch(hash_):
        raise ValueError("hash: is not 64 lowercase hex digits")
    if not isinstance(signed_at, str) or not SIGNED_AT.fullmatch(signed_at):
        raise ValueError("signed_at: is not a UTC time (YYYY-MM-DDTHH:MM:SS.ffffffZ)")
    if not isinstance(key, str) or not FINGERPRINT.fullmatch(key):
        raise ValueError("key: is not a key fingerprint (16 hex digits)")
    if not isinstance(signature, str) or not SIGNATURE.fullmatch(signature):
        raise ValueError("signature: is not a base64 Ed25519 signature")
    return SignedDigest(position, hash_, signed_at, key, signature)


def signature_problem(digest: SignedDigest, key: Ed25519PublicKey) -> str | None:
    """Why the digest is not signed by `key` (None: it is)."""
    if digest.key != fingerprint(key):
        return f"it was signed by key {digest.key}, not by the public key given ({fingerprint(key)})"
    try:
        key.verify(binascii.a2b_base64(digest.signature), digest.message())
    except (InvalidSignature, binascii.Error):
        return "its signature does not verify with the public key: it was altered or forged"
    return None


@dataclass(frozen=True, slots=True)
class WitnessLine:
    """A line of a witness file: its number, and the digest on it or why it is none."""

    number: int
    digest: SignedDigest | None
    problem: str = ""


def read_witness(lines: Iterable[str | bytes]) -> list[WitnessLine]:
    """Every non-blank line, numbered from 1, parsed."""
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(WitnessLine(number, parse(line)))
        except ValueError as exc:
            out.append(WitnessLine(number, None, f"not a signed digest: {exc}"))
    return out


def holds(digest: SignedDigest, head_position: int, broken_at: int | None,
          hashes: dict[int, str]) -> str | None:
    """Why the log no longer keeps the digest's promise (None: it does).

    `head_position`, `broken_at` and `hashes` are from one verify pass over the log that collected the hash at
    the digest's position (ledger/store/verify.py).
    """
    if broken_at is not None and digest.position >= broken_at:
        return f"cannot be shown: the log is broken at position {broken_at}"
    if digest.position > head_position:
        return (f"the log holds only {head_position} events, not {digest.position}: its tail was cut "
                "after this digest was signed")
    found = hashes.get(digest.position)
    if found != digest.hash:
        return (f"the hash at position {digest.position} is {found}, not {digest.hash}: the log up to there was "
                "rewritten after this digest was signed")
    return None


def check_witness(witness: list[WitnessLine], key: Ed25519PublicKey, head_position: int,
                  broken_at: int | None, hashes: dict[int, str]) -> list[dict[str, Any]]:
    """What is wrong with a witness file against the log, as audit discrepancies: every line that is no digest
    signed by `key`, and the first signed digest that the log no longer keeps (how many later ones fail with it
    is said)."""
    out: list[dict[str, Any]] = []
    failing: list[tuple[WitnessLine, SignedDigest, str]] = []
    for line in witness:
        if line.digest is None:
            out.append({"figure": f"witness line {line.number}", "live": "a signed digest", "replay": line.problem})
            continue
        problem = signature_problem(line.digest, key)
        if problem is not None:
            out.append({"figure": f"witness line {line.number} ({line.digest.describe()})",
                        "live": f"signed hash {line.digest.hash}", "replay": problem})
            continue
        problem = holds(line.digest, head_position, broken_at, hashes)
        if problem is not None:
            failing.append((line, line.digest, problem))
    if failing:
        (line, digest, problem), later = failing[0], len(failing) - 1
        more = f" (and {later} later digest{'s' if later > 1 else ''} with it)" if later else ""
        out.append({"figure": f"witness line {line.number} ({digest.describe()})",
                    "live": f"signed hash {digest.hash}", "replay": problem + more})
    return out


def positions(witness: list[WitnessLine]) -> set[int]:
    """The positions whose hashes a check of the witness needs."""
    return {line.digest.position for line in witness if line.digest is not None}
