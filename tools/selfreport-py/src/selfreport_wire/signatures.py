"""Ed25519 (RFC 8032) verification and signing over raw 32-byte keys."""

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from .errors import SignatureInvalid


def verify_ed25519(public_key: bytes, signature: bytes, message: bytes, what: str) -> None:
    """Raises `SignatureInvalid` unless `signature` is `public_key`'s over `message`."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        raise SignatureInvalid(f"{what}: the signature does not verify") from None


def sign_ed25519(seed: bytes, message: bytes) -> bytes:
    """Signs `message` with the Ed25519 key of the 32-byte `seed` (tests only sign)."""
    return Ed25519PrivateKey.from_private_bytes(seed).sign(message)


def ed25519_public_key(seed: bytes) -> bytes:
    """The raw public key of a 32-byte Ed25519 seed."""
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
