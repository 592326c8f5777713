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
# Present only in the parts that carry them (protocol.md, "The plaintext").
OPTIONAL_KEYS = frozenset(["monitoring_district", "notice_key"])
_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
# A county-level GB/T 2260 code: six digits, not ending in 00 (those name a city or province).
_COUNTY = re.compile(r"\d{4}(?!00)\d{2}")
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
    monitoring_district: str | None = None
    notice_key: str | None = None


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
    if header.monitoring_district is not None:
        value["monitoring_district"] = header.monitoring_district
    if header.notice_key is not None:
        value["notice_key"] = header.notice_key
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
    if not isinstance(value, dict) or not PLAINTEXT_KEYS <= set(value) <= PLAINTEXT_KEYS | OPTIONAL_KEYS:
        raise PlaintextInvalid(
            f"the plaintext has exactly the keys {sorted(PLAINTEXT_KEYS)}, and may have {sorted(OPTIONAL_KEYS)}"
        )
    district = value.get("monitoring_district")
    if district is not None and not (isinstance(district, str) and _COUNTY.fullmatch(district)):
        raise PlaintextInvalid("monitoring_district is not a county-level code")
    notice_key = value.get("notice_key")
    if notice_key is not None and not (isinstance(notice_key, str) and _HEX64.fullmatch(notice_key)):
        raise PlaintextInvalid("notice_key is not 64 lowercase hex")
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
        monitoring_district=district, notice_key=notice_key,
    )
