"""Access notices (`selfreport.notice/1`, protocol.md "Access notices"): a 512-byte slot
from the drop box's mailbox opened with a person's notice key, as a device does; a slot
sealed to another key, or filler, is nobody's notice to this key."""

import json
import re
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import WireError

NOTICE_FORMAT = "selfreport.notice/1"
SLOT_BYTES = 512
NONCE_BYTES = 12
PLAINTEXT_BYTES = SLOT_BYTES - NONCE_BYTES - 16
NOTICE_KEYS = frozenset(["at", "format", "office", "officer", "policy_id", "reason", "submission_id"])
REASONS = frozenset(["follow-up-symptoms", "missed-reports", "arrange-care", "confirm-intake"])
_HEX32 = re.compile(r"[0-9a-f]{32}")


class NoticeInvalid(WireError):
    """A slot opened under the key, but does not hold a notice."""


def notice_aead_key(notice_key: bytes) -> bytes:
    """HKDF-SHA256 (salt `selfreport.notice/1`, info `chacha20poly1305 key`) of the key."""
    if len(notice_key) != 32:
        raise NoticeInvalid("a notice key is 32 bytes")
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=NOTICE_FORMAT.encode(), info=b"chacha20poly1305 key"
    ).derive(notice_key)


def open_notice(notice_key: bytes, slot: bytes) -> dict[str, Any] | None:
    """The notice in `slot` when it is sealed to `notice_key`; `None` when it is not (or is
    not a slot); `NoticeInvalid` when it opens but is not a notice."""
    if len(slot) != SLOT_BYTES:
        return None
    aead = ChaCha20Poly1305(notice_aead_key(notice_key))
    try:
        plaintext = aead.decrypt(slot[:NONCE_BYTES], slot[NONCE_BYTES:], NOTICE_FORMAT.encode())
    except InvalidTag:
        return None
    text = plaintext.rstrip(b" ")
    try:
        notice = json.loads(text)
    except ValueError:
        raise NoticeInvalid("the plaintext is not JSON") from None
    if not isinstance(notice, dict) or set(notice) != NOTICE_KEYS:
        raise NoticeInvalid(f"a notice has exactly the keys {sorted(NOTICE_KEYS)}")
    if not all(isinstance(value, str) and value for value in notice.values()):
        raise NoticeInvalid("every value of a notice is a non-empty string")
    if json.dumps(notice, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() != text:
        raise NoticeInvalid("the notice is not written with sorted keys and no whitespace")
    if notice["format"] != NOTICE_FORMAT or notice["reason"] not in REASONS:
        raise NoticeInvalid("not a selfreport.notice/1 notice with a known reason")
    if not _HEX32.fullmatch(notice["submission_id"]):
        raise NoticeInvalid("submission_id is not 32 lowercase hex")
    return notice
