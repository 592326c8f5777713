"""Signed envelopes (`selfreport.signed/1`, policy-format.md sections 1, 2 and 11): key
ids, the signature contexts, and a policy's delegation chain from a root key.

Only signatures and the issuer links are checked here; the narrowing of constraints
and the content checks of a policy are the device's job, not the wire protocol's.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from . import encoding
from .canonical import loads_strict
from .errors import EncodingError, PolicyError, SignatureInvalid
from .signatures import verify_ed25519

ENVELOPE_FORMAT = "selfreport.signed/1"
POLICY_CONTEXT = b"selfreport.policy/1\n"
DELEGATION_CONTEXT = b"selfreport.delegation/1\n"
KEY_ID_CONTEXT = b"selfreport.key-id/1\n"
MAX_CHAIN_LINKS = 4


def key_id(public_key: bytes) -> str:
    """Lowercase hex of the first 8 bytes of SHA-256("selfreport.key-id/1\\n" || key)."""
    if len(public_key) != 32:
        raise EncodingError("a public key is 32 bytes")
    return hashlib.sha256(KEY_ID_CONTEXT + public_key).digest()[:8].hex()


@dataclass(frozen=True)
class Envelope:
    """A decoded envelope: the signer's key id, the payload bytes, the signature, and
    the chain's envelopes (policies signed under a delegation)."""

    key_id: str
    payload: bytes
    signature: bytes
    chain: tuple["Envelope", ...]

    def document(self) -> dict[str, Any]:
        """The payload parsed as JSON (duplicate keys refused)."""
        value = loads_strict(self.payload)
        if not isinstance(value, dict):
            raise PolicyError("the payload is not a JSON object")
        return value


def parse_envelope(value: Any, chain_allowed: bool = True) -> Envelope:
    """Reads an envelope object: exactly format, key_id, payload, signature (and chain)."""
    if not isinstance(value, dict):
        raise EncodingError("an envelope is a JSON object")
    allowed = {"format", "key_id", "payload", "signature"} | ({"chain"} if chain_allowed else set())
    if not {"format", "key_id", "payload", "signature"} <= set(value) <= allowed:
        raise EncodingError(f"envelope keys: {sorted(value)}")
    if value["format"] != ENVELOPE_FORMAT:
        raise EncodingError(f"envelope format {value['format']!r}")
    encoding.lower_hex(value["key_id"], 16, "key_id")
    chain: tuple[Envelope, ...] = ()
    if "chain" in value:
        links = value["chain"]
        if not isinstance(links, list) or not 1 <= len(links) <= MAX_CHAIN_LINKS:
            raise PolicyError(f"a chain holds 1 to {MAX_CHAIN_LINKS} delegations")
        chain = tuple(parse_envelope(link, chain_allowed=False) for link in links)
    return Envelope(
        key_id=value["key_id"],
        payload=encoding.url_b64(value["payload"], "payload"),
        signature=encoding.url_b64(value["signature"], "signature", 64),
        chain=chain,
    )


def load_envelope(data: bytes) -> Envelope:
    """Parses envelope bytes (as `sign-policy` writes them, or a delegation file)."""
    return parse_envelope(loads_strict(data))


def verify_signed(envelope: Envelope, public_key: bytes, context: bytes, what: str) -> None:
    """Checks the envelope names `public_key` by its key id and that the signature over
    `context || payload` verifies with it."""
    if envelope.key_id != key_id(public_key):
        raise SignatureInvalid(f"{what}: key_id {envelope.key_id} is not the signer's {key_id(public_key)}")
    verify_ed25519(public_key, envelope.signature, context + envelope.payload, what)


def subject_key(delegation: Envelope) -> bytes:
    """The Ed25519 key a delegation authorizes (`subject.public_key`)."""
    document = delegation.document()
    if document.get("format") != "selfreport.delegation/1":
        raise PolicyError("not a selfreport.delegation/1 document")
    try:
        return encoding.std_b64(document["subject"]["public_key"], "subject.public_key", 32)
    except (KeyError, TypeError):
        raise PolicyError("a delegation names subject.public_key") from None


def verify_policy(envelope: Envelope, root_public_key: bytes) -> dict[str, Any]:
    """Verifies a policy envelope from a root key: directly, or link by link through its
    chain (each delegation signed by the previous subject, the policy by the last).
    Returns the policy document."""
    signer = root_public_key
    for position, link in enumerate(envelope.chain):
        verify_signed(link, signer, DELEGATION_CONTEXT, f"delegation {position}")
        signer = subject_key(link)
    verify_signed(envelope, signer, POLICY_CONTEXT, "policy")
    document = envelope.document()
    if envelope.chain and document.get("format") != "selfreport.policy/2":
        raise PolicyError("only a selfreport.policy/2 document may be signed under a chain")
    return document


def envelope_json(envelope: Envelope) -> dict[str, Any]:
    """The envelope as a JSON object (the inverse of `parse_envelope`)."""
    value: dict[str, Any] = {
        "format": ENVELOPE_FORMAT,
        "key_id": envelope.key_id,
        "payload": encoding.url_b64_encode(envelope.payload),
        "signature": encoding.url_b64_encode(envelope.signature),
    }
    if envelope.chain:
        value["chain"] = [envelope_json(link) for link in envelope.chain]
    return value


def dumps_envelope(envelope: Envelope) -> bytes:
    """Compact JSON of an envelope."""
    return json.dumps(envelope_json(envelope), separators=(",", ":")).encode("ascii")
