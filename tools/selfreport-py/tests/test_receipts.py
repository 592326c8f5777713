"""Receipts and batch proofs, checked with receipts this test signs: every leaf of trees
of 1 to 33 leaves verifies alone, and each changed byte or field is refused."""

import base64
import hashlib
import secrets

import pytest

from selfreport_wire import receipt as rc
from selfreport_wire.errors import (
    BatchProofInvalid,
    EncodingError,
    ReceiptMismatch,
    SignatureInvalid,
)
from selfreport_wire.signatures import ed25519_public_key, sign_ed25519

SEED = hashlib.sha256(b"selfreport_wire tests: receipt key").digest()
PUBLIC = ed25519_public_key(SEED)
BODY = b'{"format":"selfreport.sealed/1"}'


def fields(n: int = 0) -> dict:
    return {
        "submission_id": hashlib.sha256(b"id%d" % n).hexdigest()[:32],
        "policy_id": "sh-wire-test",
        "policy_version": 3,
        "body_sha256": hashlib.sha256(BODY + bytes([n])).hexdigest(),
        "received_at": "2026-11-28T08:00:00Z",
    }


def single(n: int = 0) -> dict:
    value = fields(n)
    message = rc.receipt_message(*value.values())
    value["signature"] = base64.b64encode(sign_ed25519(SEED, message)).decode()
    return value


def batch(size: int) -> list[dict]:
    leaves = [rc.leaf_hash(rc.receipt_message(*fields(n).values())) for n in range(size)]
    root = rc.tree_root(leaves)
    signature = base64.b64encode(sign_ed25519(SEED, rc.batch_message(size, root))).decode()
    result = []
    for index in range(size):
        value = fields(index)
        path = [node.hex() for node in rc.tree_path(leaves, index)]
        value["batch"] = {"index": index, "size": size, "path": path}
        value["signature"] = signature
        result.append(value)
    return result


def test_a_single_receipt_verifies_and_names_what_was_sent():
    value = single()
    parsed = rc.parse_receipt(value)
    rc.verify_receipt(parsed, PUBLIC)
    body = BODY + b"\x00"
    rc.check_receipt_names(parsed, value["submission_id"], "sh-wire-test", 3, body)
    with pytest.raises(ReceiptMismatch):
        rc.check_receipt_names(parsed, value["submission_id"], "sh-wire-test", 3, body + b" ")
    with pytest.raises(ReceiptMismatch):
        rc.check_receipt_names(parsed, value["submission_id"], "sh-wire-test", 4, body)


@pytest.mark.parametrize(
    "key,replacement",
    [
        ("submission_id", "0" * 32),
        ("policy_id", "sh-other"),
        ("policy_version", 4),
        ("body_sha256", "0" * 64),
        ("received_at", "2026-11-28T08:00:01Z"),
    ],
)
def test_a_changed_field_breaks_the_signature(key, replacement):
    value = single()
    value[key] = replacement
    with pytest.raises(SignatureInvalid):
        rc.verify_receipt(rc.parse_receipt(value), PUBLIC)


def test_another_key_or_a_flipped_signature_bit_is_refused():
    value = single()
    with pytest.raises(SignatureInvalid):
        rc.verify_receipt(rc.parse_receipt(value), ed25519_public_key(secrets.token_bytes(32)))
    raw = bytearray(base64.b64decode(value["signature"]))
    raw[5] ^= 1
    value["signature"] = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(SignatureInvalid):
        rc.verify_receipt(rc.parse_receipt(value), PUBLIC)


@pytest.mark.parametrize(
    "key,replacement",
    [("submission_id", "A" * 32), ("body_sha256", "0" * 63), ("received_at", "2026-11-28T08:00:00+00:00"),
     ("signature", "AAAA"), ("policy_version", "3"), ("policy_id", "SH")],
)
def test_malformed_fields_are_refused_before_verifying(key, replacement):
    value = single()
    value[key] = replacement
    with pytest.raises(EncodingError):
        rc.parse_receipt(value)


def test_an_extra_or_missing_key_is_refused():
    value = single()
    value["extra"] = 1
    with pytest.raises(EncodingError):
        rc.parse_receipt(value)
    value = single()
    del value["received_at"]
    with pytest.raises(EncodingError):
        rc.parse_receipt(value)


@pytest.mark.parametrize("size", list(range(1, 33)))
def test_every_leaf_of_a_batch_verifies_alone(size):
    for value in batch(size):
        parsed = rc.parse_receipt(value)
        assert len(parsed.batch.path) <= 5
        rc.verify_receipt(parsed, PUBLIC)


def test_a_batch_of_33_is_refused():
    leaves = [rc.leaf_hash(bytes([n])) for n in range(33)]
    with pytest.raises(BatchProofInvalid):
        rc.root_from_path(leaves[0], 0, 33, rc.tree_path(leaves, 0))


@pytest.mark.parametrize("size", [2, 3, 7, 16])
def test_a_changed_batch_is_refused(size):
    for value in batch(size):
        path = value["batch"]["path"]
        cases = [
            {**value, "batch": {**value["batch"], "path": path[:-1]}},
            {**value, "batch": {**value["batch"], "path": path + [path[0]]}},
            {**value, "batch": {**value["batch"], "path": [p[::-1] for p in path]}},
            {**value, "batch": {**value["batch"], "index": (value["batch"]["index"] + 1) % size}},
            {**value, "batch": {**value["batch"], "size": size + 1}},
            {**value, "body_sha256": "f" * 64},
        ]
        for case in cases:
            with pytest.raises((BatchProofInvalid, SignatureInvalid)):
                rc.verify_receipt(rc.parse_receipt(case), PUBLIC)


def test_a_batch_leaf_does_not_verify_as_a_single_receipt():
    value = batch(3)[1]
    del value["batch"]
    with pytest.raises(SignatureInvalid):
        rc.verify_receipt(rc.parse_receipt(value), PUBLIC)
