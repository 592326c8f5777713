"""The sealed plaintext (`selfreport.submission/1`): built canonical and padded with
spaces, and read back strictly (protocol.md "The plaintext" and "Opening")."""

import re
from dataclasses import dataclass
from typing import Any

from .canonical import dumps, parse_canonical
from .errors import NotCanonicalJson, PlaintextInvalid

SUBMISSION_FORMAT = "selfreport.submission/1"
PLAINTEXT_KEYS = frozenset(
    ["date", "dummy", "fields", "form", "format", "policy_id", "policy_version", "pseudonym", "submission_id"]
)
_HEX32 = re.compile(r"[0-9a-f]{32}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Plaintext:
    """One recipient's opened part, its header checked, its fields not yet."""

    date: str
    dummy: bool
    fields: dict[str, Any]
    form: str
    policy_id: str
    policy_version: int
    pseudonym: str
    submission_id: str


def build_plaintext(header: Plaintext, padded_size: int) -> bytes:
    """The canonical JSON of `header` followed by spaces up to `padded_size` bytes."""
    value = {
        "date": header.date,
        "dummy": header.dummy,
        "fields": header.fields,
        "form": header.form,
        "format": SUBMISSION_FORMAT,
        "policy_id": header.policy_id,
        "policy_version": header.policy_version,
        "pseudonym": header.pseudonym,
        "submission_id": header.submission_id,
    }
    text = dumps(value)
    if len(text) > padded_size:
        raise PlaintextInvalid(f"{len(text)} bytes do not fit the padded size {padded_size}")
    return text + b" " * (padded_size - len(text))


def read_plaintext(
    data: bytes, padded_size: int, policy_id: str, policy_version: int, submission_id: str
) -> Plaintext:
    """Checks `data` is canonical JSON padded with spaces to exactly `padded_size`, with
    exactly the documented keys, and ids matching the envelope's; returns its header."""
    if len(data) != padded_size:
        raise PlaintextInvalid(f"the plaintext is {len(data)} bytes, the padded size is {padded_size}")
    text = data.rstrip(b" ")
    try:
        value = parse_canonical(text)
    except NotCanonicalJson as error:
        raise PlaintextInvalid(f"not canonical JSON: {error}") from None
    if not isinstance(value, dict) or set(value) != PLAINTEXT_KEYS:
        raise PlaintextInvalid(f"the plaintext has exactly the keys {sorted(PLAINTEXT_KEYS)}")
    if value["format"] != SUBMISSION_FORMAT:
        raise PlaintextInvalid(f"format is not {SUBMISSION_FORMAT}")
    outside = (policy_id, policy_version, submission_id)
    inside = (value["policy_id"], value["policy_version"], value["submission_id"])
    if inside != outside or type(value["policy_version"]) is not int:
        raise PlaintextInvalid(f"the plaintext names {inside}, the envelope {outside}")
    if not isinstance(value["date"], str) or not _DATE.fullmatch(value["date"]):
        raise PlaintextInvalid("date is not YYYY-MM-DD")
    if type(value["dummy"]) is not bool:
        raise PlaintextInvalid("dummy is not a boolean")
    if not isinstance(value["fields"], dict) or (value["dummy"] and value["fields"]):
        raise PlaintextInvalid("fields is an object, empty for cover traffic")
    if not isinstance(value["form"], str):
        raise PlaintextInvalid("form is not a string")
    if not isinstance(value["pseudonym"], str) or not _HEX32.fullmatch(value["pseudonym"]):
        raise PlaintextInvalid("pseudonym is not 32 lowercase hex")
    return Plaintext(
        date=value["date"], dummy=value["dummy"], fields=value["fields"], form=value["form"],
        policy_id=value["policy_id"], policy_version=value["policy_version"],
        pseudonym=value["pseudonym"], submission_id=value["submission_id"],
    )
