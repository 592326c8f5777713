"""The ledger chain rules of docs/vectors/README.md (`ledger.json`), on chains this test
builds: a good chain verifies; each changed field, byte, link or receipt is refused."""

import base64
import copy
import hashlib
import json

import pytest

from selfreport_wire import receipt as rc
from selfreport_wire.canonical import dumps_jcs as dumps
from selfreport_wire.errors import LedgerChainBroken
from selfreport_wire.ledger import ZERO_HASH, entry_hash, verify_ledger
from selfreport_wire.signatures import ed25519_public_key, sign_ed25519

SEED = hashlib.sha256(b"selfreport_wire tests: ledger receipt key").digest()
BODY = b'{"format":"selfreport.sealed/1","submission_id":"x"}'


def receipt(submission_id: str) -> dict:
    value = {"submission_id": submission_id, "policy_id": "sh-wire-test", "policy_version": 1,
             "body_sha256": hashlib.sha256(BODY).hexdigest(), "received_at": "2026-12-01T08:00:00Z"}
    value["signature"] = base64.b64encode(sign_ed25519(SEED, rc.receipt_message(*value.values()))).decode()
    return value


def chain() -> dict:
    sid = "ab" * 16
    own = [
        (b'{"event":"consent_granted","at":"2026-12-01T07:00:00+00:00","policy_id":"sh-wire-test"}',
         {"format": "selfreport.ledger/1", "event": "consent_granted", "at": "2026-12-01T07:00:00+00:00",
          "policy_id": "sh-wire-test"}),
        (None, {"format": "selfreport.ledger/2", "event": "disclosure", "submission_id": sid,
                "policy_id": "sh-wire-test", "policy_version": 1, "body_sha256": hashlib.sha256(BODY).hexdigest(),
                "receipt": receipt(sid), "receipt_key": base64.b64encode(ed25519_public_key(SEED)).decode(),
                "fields": [{"field": "name", "recipient": "identity", "transform": "keep"}], "form": "daily"}),
        (None, {"format": "selfreport.ledger/2", "event": "consent_withdrawn", "policy_id": "sh-wire-test",
                "note": "引号\"与\\反斜杠\n"}),
    ]
    entries, previous = [], ZERO_HASH
    for seq, (stored, fields) in enumerate(own, start=1):
        data = stored if stored is not None else dumps(fields)
        digest = entry_hash(previous, data)
        entries.append({**fields, "seq": seq, "prev_hash": previous, "hash": digest, "bytes_hex": data.hex()})
        previous = digest
    return {"entries": entries, "verification": None}


def test_a_good_chain_verifies():
    summary = verify_ledger(chain())
    assert (summary.entries, summary.disclosures) == (3, 1)
    assert summary.head == chain()["entries"][-1]["hash"]


def test_the_hash_covers_the_raw_predecessor_hash_and_the_entry_bytes():
    first = chain()["entries"][0]
    expected = hashlib.sha256(bytes(32) + bytes.fromhex(first["bytes_hex"])).hexdigest()
    assert first["hash"] == expected


def rehash_from(printed: dict, start: int) -> None:
    """Recomputes every hash from `start` on, as a forger rewriting the tail would."""
    previous = printed["entries"][start - 1]["hash"] if start else ZERO_HASH
    for entry in printed["entries"][start:]:
        entry["prev_hash"] = previous
        entry["hash"] = previous = entry_hash(previous, bytes.fromhex(entry["bytes_hex"]))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: p["entries"][1].update(policy_version=2),  # printed field differs from the hashed bytes
        lambda p: p["entries"][2].update(note="changed"),
        lambda p: p["entries"][0].update(bytes_hex=p["entries"][0]["bytes_hex"][:-2] + "7e"),
        lambda p: p["entries"][1].update(hash="f" * 64),
        lambda p: p["entries"][0].update(prev_hash="1" * 64),
        lambda p: p["entries"].pop(1),
        lambda p: p["entries"].insert(0, p["entries"].pop(1)),
        lambda p: p["entries"][1].update(seq=5),
        lambda p: p["entries"][2].update(format="selfreport.ledger/3"),
        lambda p: p["entries"][1].update(hash=p["entries"][1]["hash"].upper()),
        lambda p: p["entries"][2].pop("prev_hash"),
        lambda p: p.pop("entries"),
    ],
)
def test_a_changed_chain_is_refused(tamper):
    printed = chain()
    tamper(printed)
    with pytest.raises(LedgerChainBroken):
        verify_ledger(printed)


def test_bytes_that_are_not_canonical_are_refused_even_when_rehashed():
    printed = chain()
    entry = printed["entries"][2]
    fields = {k: v for k, v in entry.items() if k not in ("seq", "prev_hash", "hash", "bytes_hex")}
    entry["bytes_hex"] = json.dumps(fields, ensure_ascii=False).encode().hex()
    rehash_from(printed, 2)
    with pytest.raises(LedgerChainBroken):
        verify_ledger(printed)


def test_a_receipt_that_does_not_verify_or_names_another_body_is_refused_even_when_rehashed():
    for change in (lambda r: r.update(received_at="2026-12-02T08:00:00Z"),
                   lambda r: r.update(signature=base64.b64encode(bytes(64)).decode())):
        printed = chain()
        entry = printed["entries"][1]
        change(entry["receipt"])
        fields = {k: v for k, v in entry.items() if k not in ("seq", "prev_hash", "hash", "bytes_hex")}
        entry["bytes_hex"] = dumps(fields).hex()
        rehash_from(printed, 1)
        with pytest.raises(LedgerChainBroken):
            verify_ledger(printed)
    printed = chain()
    entry = printed["entries"][1]
    entry["body_sha256"] = "0" * 64
    fields = {k: v for k, v in entry.items() if k not in ("seq", "prev_hash", "hash", "bytes_hex")}
    entry["bytes_hex"] = dumps(fields).hex()
    rehash_from(printed, 1)
    with pytest.raises(LedgerChainBroken):
        verify_ledger(copy.deepcopy(printed))
