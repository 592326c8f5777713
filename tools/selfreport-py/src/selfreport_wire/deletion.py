"""Deletion tokens: 32 random bytes in base64url without padding, kept on the device;
the body carries `deletion_hash`, lowercase hex SHA-256 of the token's ASCII."""

import hashlib
import secrets

from . import encoding


def new_deletion_token() -> str:
    """A fresh token: 32 random bytes, base64url without padding (43 characters)."""
    return encoding.url_b64_encode(secrets.token_bytes(32))


def deletion_hash(token: str) -> str:
    """SHA-256 of the token's ASCII bytes, lowercase hex; the token is checked for form."""
    encoding.url_b64(token, "deletion token", 32)
    return hashlib.sha256(token.encode("ascii")).hexdigest()
