"""RFC 9180's base-mode key schedule for the two suites, written out with the standard
library's HMAC-SHA256: the intermediate values (`shared_secret`, AEAD `key`, `base_nonce`)
the HPKE vectors give for debugging. Sealing and opening use pyhpke; this module lets a
test check pyhpke and the vectors against the RFC's own steps."""

import hashlib
import hmac
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from .errors import PolicyError

_KEM_ID = 0x0020
_KDF_ID = 0x0001
_AEAD = {"x25519-sha256-chacha20poly1305": (0x0003, 32), "x25519-sha256-aes128gcm": (0x0001, 16)}
_MODE_BASE = b"\x00"


@dataclass(frozen=True)
class Schedule:
    """What the sender derives: the KEM output and the AEAD key and base nonce."""

    enc: bytes
    shared_secret: bytes
    key: bytes
    base_nonce: bytes


def _extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()


def _expand(prk: bytes, info: bytes, length: int) -> bytes:
    output, block, counter = b"", b"", 1
    while len(output) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        output += block
        counter += 1
    return output[:length]


def _labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return _extract(salt, b"HPKE-v1" + suite_id + label + ikm)


def _labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    return _expand(prk, struct.pack(">H", length) + b"HPKE-v1" + suite_id + label + info, length)


def sender_schedule(suite_name: str, ephemeral_private_key: bytes, recipient_public_key: bytes, info: bytes) -> Schedule:
    """SetupBaseS with a given ephemeral key: DHKEM(X25519) Encap, then KeySchedule."""
    try:
        aead_id, key_length = _AEAD[suite_name]
    except KeyError:
        raise PolicyError(f"unsupported suite {suite_name!r}") from None
    ephemeral = X25519PrivateKey.from_private_bytes(ephemeral_private_key)
    enc = ephemeral.public_key().public_bytes_raw()
    dh = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public_key))
    kem_suite = b"KEM" + struct.pack(">H", _KEM_ID)
    eae_prk = _labeled_extract(kem_suite, b"", b"eae_prk", dh)
    shared_secret = _labeled_expand(kem_suite, eae_prk, b"shared_secret", enc + recipient_public_key, 32)
    suite_id = b"HPKE" + struct.pack(">HHH", _KEM_ID, _KDF_ID, aead_id)
    context = (
        _MODE_BASE
        + _labeled_extract(suite_id, b"", b"psk_id_hash", b"")
        + _labeled_extract(suite_id, b"", b"info_hash", info)
    )
    secret = _labeled_extract(suite_id, shared_secret, b"secret", b"")
    return Schedule(
        enc=enc,
        shared_secret=shared_secret,
        key=_labeled_expand(suite_id, secret, b"key", context, key_length),
        base_nonce=_labeled_expand(suite_id, secret, b"base_nonce", context, 12),
    )
