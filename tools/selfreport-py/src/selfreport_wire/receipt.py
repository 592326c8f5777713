"""Receipts (protocol.md "The receipt" and "The batch receipt"): the signed message, the
hash tree of a batch, and the verification of either kind against the receipt key."""

import hashlib
from dataclasses import dataclass
from typing import Any

from . import encoding
from .errors import BatchProofInvalid, EncodingError, ReceiptMismatch
from .signatures import verify_ed25519

RECEIPT_CONTEXT = "selfreport.receipt/1"
BATCH_CONTEXT = "selfreport.receipt-batch/1"
MAX_BATCH_SIZE = 32
_ID_PATTERN_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")
_SINGLE_KEYS = ["submission_id", "policy_id", "policy_version", "body_sha256", "received_at", "signature"]
_BATCH_KEYS = _SINGLE_KEYS[:-1] + ["batch", "signature"]


@dataclass(frozen=True)
class BatchPosition:
    """`batch`: the receipt's leaf index, the number of leaves and the sibling path."""

    index: int
    size: int
    path: tuple[bytes, ...]


@dataclass(frozen=True)
class Receipt:
    """A receipt's fields, decoded and checked for form (not yet for signature)."""

    submission_id: str
    policy_id: str
    policy_version: int
    body_sha256: str
    received_at: str
    signature: bytes
    batch: BatchPosition | None

    def message(self) -> bytes:
        """The `selfreport.receipt/1` message a single receipt signs (and a leaf hashes)."""
        return receipt_message(
            self.submission_id, self.policy_id, self.policy_version,
            self.body_sha256, self.received_at,
        )


def receipt_message(
    submission_id: str, policy_id: str, policy_version: int, body_sha256: str, received_at: str
) -> bytes:
    """`selfreport.receipt/1\\n<id>\\n<policy>\\n<version>\\n<sha256>\\n<received_at>`."""
    lines = [RECEIPT_CONTEXT, submission_id, policy_id, str(policy_version), body_sha256, received_at]
    return "\n".join(lines).encode("ascii")


def batch_message(size: int, root: bytes) -> bytes:
    """`selfreport.receipt-batch/1\\n<size>\\n<lowercase hex root>`."""
    return f"{BATCH_CONTEXT}\n{size}\n{root.hex()}".encode("ascii")


def leaf_hash(message: bytes) -> bytes:
    """Leaf = SHA-256(0x00 || receipt message)."""
    return hashlib.sha256(b"\x00" + message).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Inner node = SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_root(leaves: list[bytes]) -> bytes:
    """The root over leaf hashes; an odd level lifts its last node unchanged."""
    if not leaves:
        raise BatchProofInvalid("a tree needs at least one leaf")
    level = list(leaves)
    while len(level) > 1:
        lifted = [level[-1]] if len(level) % 2 else []
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)] + lifted
    return level[0]


def tree_path(leaves: list[bytes], index: int) -> list[bytes]:
    """The sibling hashes from leaf `index` up to the root (one per level with a sibling)."""
    if not 0 <= index < len(leaves):
        raise BatchProofInvalid("index outside the tree")
    path, level, position = [], list(leaves), index
    while len(level) > 1:
        sibling = position ^ 1
        if sibling < len(level):
            path.append(level[sibling])
        lifted = [level[-1]] if len(level) % 2 else []
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)] + lifted
        position //= 2
    return path


def root_from_path(leaf: bytes, index: int, size: int, path: tuple[bytes, ...] | list[bytes]) -> bytes:
    """Climbs from `leaf` by protocol.md's rule; the path must be used up exactly."""
    if not (0 <= index < size <= MAX_BATCH_SIZE):
        raise BatchProofInvalid(f"need index < size <= {MAX_BATCH_SIZE}, got {index}/{size}")
    node, position, width, used = leaf, index, size, 0
    while width > 1:
        if position ^ 1 < width:
            if used == len(path):
                raise BatchProofInvalid("the path is too short")
            sibling = path[used]
            used += 1
            node = node_hash(sibling, node) if position % 2 else node_hash(node, sibling)
        position //= 2
        width = (width + 1) // 2
    if used != len(path):
        raise BatchProofInvalid("the path is too long")
    return node


def parse_receipt(value: Any) -> Receipt:
    """Reads a receipt object (the value of `"receipt"`), checking every field's form."""
    if not isinstance(value, dict):
        raise EncodingError("a receipt is a JSON object")
    keys = _BATCH_KEYS if "batch" in value else _SINGLE_KEYS
    if sorted(value) != sorted(keys):
        raise EncodingError(f"a receipt has exactly the keys {keys}, got {sorted(value)}")
    submission_id = value["submission_id"]
    encoding.lower_hex(submission_id, 32, "submission_id")
    encoding.lower_hex(value["body_sha256"], 64, "body_sha256")
    encoding.received_at(value["received_at"])
    policy_id = value["policy_id"]
    if not isinstance(policy_id, str) or not 1 <= len(policy_id) <= 64 or not set(policy_id) <= _ID_PATTERN_CHARS:
        raise EncodingError("policy_id: not an identifier")
    version = value["policy_version"]
    if type(version) is not int or not 1 <= version < 2**63:
        raise EncodingError("policy_version: a whole number from 1 to 2^63-1")
    signature = encoding.std_b64(value["signature"], "signature", 64)
    batch = _parse_batch(value["batch"]) if "batch" in value else None
    return Receipt(submission_id, policy_id, version, value["body_sha256"],
                   value["received_at"], signature, batch)


def _parse_batch(value: Any) -> BatchPosition:
    if not isinstance(value, dict) or sorted(value) != ["index", "path", "size"]:
        raise BatchProofInvalid("batch has exactly index, size and path")
    index, size, path = value["index"], value["size"], value["path"]
    if type(index) is not int or type(size) is not int or not isinstance(path, list):
        raise BatchProofInvalid("batch index and size are integers, path a list")
    hashes = tuple(encoding.lower_hex(entry, 64, "batch.path[]") for entry in path)
    return BatchPosition(index, size, hashes)


def verify_receipt(receipt: Receipt, receipt_public_key: bytes) -> None:
    """Verifies a single or batch receipt's signature by the receipt key, alone."""
    if receipt.batch is None:
        verify_ed25519(receipt_public_key, receipt.signature, receipt.message(), "receipt")
        return
    batch = receipt.batch
    root = root_from_path(leaf_hash(receipt.message()), batch.index, batch.size, batch.path)
    verify_ed25519(receipt_public_key, receipt.signature, batch_message(batch.size, root), "batch receipt")


def check_receipt_names(
    receipt: Receipt, submission_id: str, policy_id: str, policy_version: int, body: bytes
) -> None:
    """What the device checks beyond the signature: the receipt names what it sent."""
    expected = (submission_id, policy_id, policy_version, hashlib.sha256(body).hexdigest())
    actual = (receipt.submission_id, receipt.policy_id, receipt.policy_version, receipt.body_sha256)
    if actual != expected:
        raise ReceiptMismatch(f"the receipt names {actual}, the device sent {expected}")
