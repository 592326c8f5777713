"""The `selfreport.sealed/1` request body of POST {url}/submissions: read strictly by
the table of protocol.md, and written compact with the fields in the documented order."""

import json
from dataclasses import dataclass
from typing import Any

from . import encoding
from .canonical import loads_strict
from .errors import SealedBodyInvalid, WireError

SEALED_FORMAT = "selfreport.sealed/1"
MAX_SUBMISSION_BYTES = 262_144
MAX_PARTS = 16
_BODY_KEYS = ["format", "policy_id", "policy_version", "submission_id", "deletion_hash", "parts"]
_PART_KEYS = ["to", "enc", "ct"]
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True)
class SealedPart:
    """One recipient's part: its name, the 32-byte `enc` and the ciphertext with tag."""

    to: str
    enc: bytes
    ct: bytes


@dataclass(frozen=True)
class SealedBody:
    """A sealed submission body, decoded."""

    policy_id: str
    policy_version: int
    submission_id: str
    deletion_hash: str
    parts: tuple[SealedPart, ...]

    def part(self, recipient: str) -> SealedPart:
        """The part for `recipient`."""
        for part in self.parts:
            if part.to == recipient:
                return part
        raise SealedBodyInvalid(f"no part for {recipient!r}")


def is_identifier(value: Any) -> bool:
    """1 to 64 characters of a-z 0-9 - _ (policy-format.md section 4)."""
    return isinstance(value, str) and 1 <= len(value) <= 64 and set(value) <= _ID_CHARS


def parse_sealed_body(body: bytes) -> SealedBody:
    """Reads a body as the drop box must: exactly the documented fields, each in form."""
    if len(body) > MAX_SUBMISSION_BYTES:
        raise SealedBodyInvalid("the body is over 262,144 bytes")
    try:
        value = loads_strict(body)
    except WireError as error:
        raise SealedBodyInvalid(str(error)) from None
    if not isinstance(value, dict) or sorted(value) != sorted(_BODY_KEYS):
        raise SealedBodyInvalid(f"a sealed body has exactly the keys {_BODY_KEYS}")
    try:
        return _decode(value)
    except WireError as error:
        raise SealedBodyInvalid(str(error)) from None


def _decode(value: dict[str, Any]) -> SealedBody:
    if value["format"] != SEALED_FORMAT:
        raise SealedBodyInvalid(f"format is not {SEALED_FORMAT}")
    if not is_identifier(value["policy_id"]):
        raise SealedBodyInvalid("policy_id is not an identifier")
    version = value["policy_version"]
    if type(version) is not int or not 1 <= version < 2**63:
        raise SealedBodyInvalid("policy_version is not a whole number from 1")
    encoding.lower_hex(value["submission_id"], 32, "submission_id")
    encoding.lower_hex(value["deletion_hash"], 64, "deletion_hash")
    parts = value["parts"]
    if not isinstance(parts, list) or not 1 <= len(parts) <= MAX_PARTS:
        raise SealedBodyInvalid(f"parts: 1 to {MAX_PARTS}")
    decoded = []
    for part in parts:
        if not isinstance(part, dict) or sorted(part) != sorted(_PART_KEYS):
            raise SealedBodyInvalid(f"a part has exactly the keys {_PART_KEYS}")
        if not is_identifier(part["to"]):
            raise SealedBodyInvalid("parts[].to is not an identifier")
        enc = encoding.std_b64(part["enc"], "parts[].enc", 32)
        ct = encoding.std_b64(part["ct"], "parts[].ct")
        if len(ct) < 16:
            raise SealedBodyInvalid("parts[].ct is shorter than the 16-byte tag")
        decoded.append(SealedPart(part["to"], enc, ct))
    names = [part.to for part in decoded]
    if names != sorted(set(names)):
        raise SealedBodyInvalid("parts are sorted by `to`, one per recipient")
    return SealedBody(value["policy_id"], version, value["submission_id"],
                      value["deletion_hash"], tuple(decoded))


def dumps_sealed_body(body: SealedBody) -> bytes:
    """The compact body, fields in protocol.md's order (what a device stores and sends)."""
    value = {
        "format": SEALED_FORMAT,
        "policy_id": body.policy_id,
        "policy_version": body.policy_version,
        "submission_id": body.submission_id,
        "deletion_hash": body.deletion_hash,
        "parts": [
            {"to": part.to, "enc": encoding.std_b64_encode(part.enc), "ct": encoding.std_b64_encode(part.ct)}
            for part in sorted(body.parts, key=lambda part: part.to)
        ],
    }
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode("ascii")
