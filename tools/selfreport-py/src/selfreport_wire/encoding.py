"""The encodings of protocol.md's "Encodings" table, decoded strictly.

Strict means the decoded value re-encodes to exactly the text given: no missing or
extra padding, no non-zero trailing bits, no whitespace, no upper-case hex.
"""

import base64
import binascii
import re
from datetime import datetime, timezone

from .errors import EncodingError

_LOWER_HEX = re.compile(r"[0-9a-f]*")
_RFC3339_UTC_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def lower_hex(text: str, length: int, what: str) -> bytes:
    """Decodes `length` characters of lowercase hex (`length` counts characters)."""
    if not isinstance(text, str) or len(text) != length or not _LOWER_HEX.fullmatch(text):
        raise EncodingError(f"{what}: expected {length} lowercase hex characters")
    return bytes.fromhex(text)


def std_b64(text: str, what: str, length: int | None = None) -> bytes:
    """Decodes standard base64 with padding; `length` is the decoded byte count if fixed."""
    if not isinstance(text, str):
        raise EncodingError(f"{what}: expected a base64 string")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as error:
        raise EncodingError(f"{what}: not standard base64 ({error})") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise EncodingError(f"{what}: not the canonical standard base64 of its bytes")
    if length is not None and len(raw) != length:
        raise EncodingError(f"{what}: expected {length} bytes, got {len(raw)}")
    return raw


def std_b64_encode(raw: bytes) -> str:
    """Standard base64 with padding."""
    return base64.b64encode(raw).decode("ascii")


def url_b64(text: str, what: str, length: int | None = None) -> bytes:
    """Decodes base64url without padding (RFC 4648 section 5)."""
    if not isinstance(text, str) or "=" in text:
        raise EncodingError(f"{what}: expected base64url without padding")
    try:
        raw = base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError) as error:
        raise EncodingError(f"{what}: not base64url ({error})") from None
    if url_b64_encode(raw) != text:
        raise EncodingError(f"{what}: not the canonical base64url of its bytes")
    if length is not None and len(raw) != length:
        raise EncodingError(f"{what}: expected {length} bytes, got {len(raw)}")
    return raw


def url_b64_encode(raw: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def received_at(text: str) -> datetime:
    """Parses `received_at`: RFC 3339, UTC, whole seconds, `Z` suffix."""
    if not isinstance(text, str) or not _RFC3339_UTC_SECONDS.fullmatch(text):
        raise EncodingError("received_at: expected YYYY-MM-DDTHH:MM:SSZ")
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise EncodingError("received_at: not a real time") from None
