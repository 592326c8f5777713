"""HPKE (RFC 9180) as protocol.md's "Sealing" section fixes it: the suites by name, the
`info` and `aad` bytes, single-shot base mode seal and open with pyhpke."""

from pyhpke import AEADId, CipherSuite, KDFId, KEMId, KEMKey, KEMKeyPair
from pyhpke.exceptions import PyHPKEError
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from .errors import PartDoesNotOpen, PolicyError

SUBMISSION_INFO_CONTEXT = b"selfreport.submission/1"

_AEAD_BY_SUITE = {
    "x25519-sha256-chacha20poly1305": AEADId.CHACHA20_POLY1305,
    "x25519-sha256-aes128gcm": AEADId.AES128_GCM,
}


def cipher_suite(name: str) -> CipherSuite:
    """The HPKE suite a policy's `recipients.NAME.suite` names."""
    try:
        aead = _AEAD_BY_SUITE[name]
    except KeyError:
        raise PolicyError(f"unsupported suite {name!r}") from None
    return CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, aead)


def submission_info(policy_id: str, policy_version: int, recipient: str) -> bytes:
    """`info` = "selfreport.submission/1" 0x00 policy_id 0x00 version (decimal) 0x00 recipient."""
    for name, value in (("policy id", policy_id), ("recipient", recipient)):
        if "\x00" in value:
            raise PolicyError(f"{name} contains NUL")
    return b"\x00".join(
        [
            SUBMISSION_INFO_CONTEXT,
            policy_id.encode("utf-8"),
            str(int(policy_version)).encode("ascii"),
            recipient.encode("utf-8"),
        ]
    )


def submission_aad(submission_id: str) -> bytes:
    """`aad` = the submission id's 32 ASCII characters."""
    return submission_id.encode("ascii")


def seal(
    suite_name: str,
    recipient_public_key: bytes,
    info: bytes,
    aad: bytes,
    plaintext: bytes,
    ephemeral_private_key: bytes | None = None,
) -> tuple[bytes, bytes]:
    """Single-shot base-mode seal; returns (enc, ct). A fixed ephemeral key is for test
    vectors only: a real seal must leave it None so a fresh key is drawn."""
    suite = cipher_suite(suite_name)
    pk_r = suite.kem.deserialize_public_key(recipient_public_key)
    ephemeral = None
    if ephemeral_private_key is not None:
        private = X25519PrivateKey.from_private_bytes(ephemeral_private_key)
        ephemeral = KEMKeyPair(
            KEMKey.from_pyca_cryptography_key(private),
            KEMKey.from_pyca_cryptography_key(private.public_key()),
        )
    enc, sender = suite.create_sender_context(pk_r, info, eks=ephemeral)
    return enc, sender.seal(plaintext, aad)


def open_part(
    suite_name: str,
    recipient_private_key: bytes,
    enc: bytes,
    ct: bytes,
    info: bytes,
    aad: bytes,
) -> bytes:
    """Single-shot base-mode open; `PartDoesNotOpen` on any failure."""
    suite = cipher_suite(suite_name)
    try:
        sk_r = suite.kem.deserialize_private_key(recipient_private_key)
        recipient = suite.create_recipient_context(enc, sk_r, info)
        return recipient.open(ct, aad)
    except (PyHPKEError, ValueError) as error:
        raise PartDoesNotOpen(f"the part does not open: {type(error).__name__}") from None


def x25519_public_key(private_key: bytes) -> bytes:
    """The X25519 public key of a raw 32-byte private key."""
    private = X25519PrivateKey.from_private_bytes(private_key)
    return private.public_key().public_bytes_raw()
