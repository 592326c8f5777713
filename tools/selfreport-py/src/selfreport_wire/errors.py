"""Typed errors: one class per way a protocol object can be refused.

Every check in this package raises a subclass of `WireError`, never a bare
`ValueError`, so a caller (and a test) can tell which rule was broken.
"""


class WireError(Exception):
    """Base of every refusal raised by selfreport_wire."""


class EncodingError(WireError):
    """A value is not in the encoding protocol.md prescribes (hex, base64, date...)."""


class NotCanonicalJson(WireError):
    """JSON bytes differ from the canonical encoding of the value they hold."""


class SignatureInvalid(WireError):
    """An Ed25519 signature does not verify with the key it must verify with."""


class ReceiptMismatch(WireError):
    """A receipt names another submission, policy, version or body than the one sent."""


class BatchProofInvalid(WireError):
    """A batch receipt's index, size or path is malformed or not used up exactly."""


class SealedBodyInvalid(WireError):
    """A `selfreport.sealed/1` body breaks a rule of POST {url}/submissions."""


class PartDoesNotOpen(WireError):
    """HPKE open failed: wrong key, or a changed enc, ct, info or aad."""


class PlaintextInvalid(WireError):
    """An opened `selfreport.submission/1` plaintext breaks a rule of protocol.md."""


class PolicyError(WireError):
    """A policy (or delegation) document cannot be used as protocol.md needs it."""


class LedgerChainBroken(WireError):
    """A ledger entry's hash or link to its predecessor does not verify."""
