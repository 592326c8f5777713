"""Every vector of docs/vectors/ (described by docs/vectors/README.md), checked by this
second implementation: valid vectors reproduce byte for byte and verify; every invalid
vector is refused."""

import base64
import hashlib

import pytest

from selfreport_wire import encoding, ledger, receipt as rc, signed, suites
from selfreport_wire.canonical import parse_canonical
from selfreport_wire.deletion import deletion_hash
from selfreport_wire.errors import PartDoesNotOpen, WireError
from selfreport_wire.key_schedule import sender_schedule
from selfreport_wire.plaintext import read_plaintext
from selfreport_wire.signatures import ed25519_public_key
from selfreport_wire.vectors import load_topic

SUITE_IDS = {
    "x25519-sha256-chacha20poly1305": (0x0020, 0x0001, 0x0003),
    "x25519-sha256-aes128gcm": (0x0020, 0x0001, 0x0001),
}


def hx(text: str) -> bytes:
    return bytes.fromhex(text)


def test_hpke_vectors_seal_exactly_and_open(vectors):
    cases = load_topic(vectors, "hpke")
    assert {case["suite"] for case in cases} == set(SUITE_IDS)
    for case in cases:
        name = case["name"]
        assert (case["kem_id"], case["kdf_id"], case["aead_id"]) == SUITE_IDS[case["suite"]], name
        sk_r = hx(case["recipient_private_key_hex"])
        assert suites.x25519_public_key(sk_r).hex() == case["recipient_public_key_hex"], name
        assert encoding.std_b64(case["recipient_public_key"], "pkR", 32) == hx(case["recipient_public_key_hex"]), name
        info = suites.submission_info(case["policy_id"], case["policy_version"], case["recipient"])
        aad = suites.submission_aad(case["submission_id"])
        assert info.hex() == case["info_hex"], name
        assert aad.hex() == case["aad_hex"], name
        plaintext = hx(case["plaintext_hex"])
        enc, ct = suites.seal(case["suite"], hx(case["recipient_public_key_hex"]), info, aad, plaintext,
                              ephemeral_private_key=hx(case["ephemeral_private_key_hex"]))
        assert enc.hex() == case["enc_hex"], name
        assert ct.hex() == case["ct_hex"], name
        assert encoding.std_b64(case["enc"], "enc", 32) == enc, name
        assert encoding.std_b64(case["ct"], "ct") == ct, name
        assert suites.open_part(case["suite"], sk_r, enc, ct, info, aad) == plaintext, name
        schedule = sender_schedule(case["suite"], hx(case["ephemeral_private_key_hex"]),
                                   hx(case["recipient_public_key_hex"]), info)
        assert schedule.enc == enc, name
        assert schedule.shared_secret.hex() == case["shared_secret_hex"], name
        assert schedule.key.hex() == case["key_hex"], name
        assert schedule.base_nonce.hex() == case["base_nonce_hex"], name
        with pytest.raises(PartDoesNotOpen):
            suites.open_part(case["suite"], sk_r, enc, ct, info + b"x", aad)
        with pytest.raises(PartDoesNotOpen):
            suites.open_part(case["suite"], sk_r, enc, ct, info, b"0" * 32)
        flipped = bytes([ct[0] ^ 1]) + ct[1:]
        with pytest.raises(PartDoesNotOpen):
            suites.open_part(case["suite"], sk_r, enc, flipped, info, aad)


def test_padding_vectors_are_canonical_and_padded_to_the_declared_size(vectors):
    cases = load_topic(vectors, "padding")
    for case in cases:
        name = case["name"]
        canonical = hx(case["canonical_hex"])
        assert canonical == case["canonical_json"].encode("utf-8"), name
        value = parse_canonical(canonical)
        size = case["padded_bytes"]
        assert size % case["block_bytes"] == 0, name
        padded = hx(case["padded_hex"])
        assert padded == canonical + b" " * (size - len(canonical)), name
        assert (value["policy_id"], value["policy_version"], value["form"]) == (
            case["policy_id"], case["policy_version"], case["form"]), name
        read_plaintext(padded, size, case["policy_id"], case["policy_version"], value["submission_id"])


def check_receipt(receipt_value: dict, sent: dict, key: bytes) -> rc.Receipt:
    parsed = rc.parse_receipt(receipt_value)
    rc.verify_receipt(parsed, key)
    rc.check_receipt_names(parsed, sent["submission_id"], sent["policy_id"], sent["policy_version"],
                           hx(sent["body_hex"]))
    return parsed


def receipt_key(case: dict) -> bytes:
    key = encoding.std_b64(case["receipt_key"], "receipt_key", 32)
    assert key == hx(case["receipt_key_hex"]), case["name"]
    assert ed25519_public_key(hx(case["receipt_key_seed_hex"])) == key, case["name"]
    return key


def test_receipt_vectors_valid_verify_and_invalid_are_refused(vectors):
    cases = load_topic(vectors, "receipt")
    assert {case["valid"] for case in cases} == {True, False}
    for case in cases:
        name, key = case["name"], receipt_key(case)
        if case["valid"]:
            parsed = check_receipt(case["receipt"], case["sent"], key)
            assert parsed.message() == case["signed_message"].encode() == hx(case["signed_message_hex"]), name
            assert parsed.signature == hx(case["signature_hex"]), name
        else:
            with pytest.raises(WireError):
                check_receipt(case["receipt"], case["sent"], key)
                pytest.fail(f"{name}: accepted ({case['reason']})")


def test_batch_vectors_every_leaf_verifies_alone(vectors):
    cases = load_topic(vectors, "batch")
    assert {case["size"] for case in cases if case["valid"]} >= {1, 2, 3, 7, 16}
    assert any(not case["valid"] for case in cases)
    for case in cases:
        name, key = case["name"], receipt_key(case)
        leaves = case["leaves"]
        assert len(leaves) == case["size"], name
        if not case["valid"]:
            for leaf in leaves:
                with pytest.raises(WireError):
                    check_receipt(leaf["receipt"], leaf["sent"], key)
                    pytest.fail(f"{name}: leaf {leaf['index']} accepted ({case['reason']})")
            continue
        hashes = []
        for position, leaf in enumerate(leaves):
            assert leaf["index"] == position, name
            parsed = check_receipt(leaf["receipt"], leaf["sent"], key)
            assert parsed.received_at == case["received_at"], name
            assert parsed.message() == leaf["signed_message"].encode() == hx(leaf["signed_message_hex"]), name
            assert rc.leaf_hash(parsed.message()).hex() == leaf["leaf_hex"], name
            hashes.append(hx(leaf["leaf_hex"]))
        root = rc.tree_root(hashes)
        assert root.hex() == case["root_hex"], name
        assert rc.batch_message(case["size"], root) == case["signed_message"].encode() == hx(
            case["signed_message_hex"]), name
        assert base64.b64decode(case["signature"]) == hx(case["signature_hex"]), name


def test_ledger_vectors_valid_chains_verify_and_broken_ones_are_refused(vectors):
    cases = load_topic(vectors, "ledger")
    assert {case["valid"] for case in cases} == {True, False}
    for case in cases:
        if case["valid"]:
            summary = ledger.verify_ledger({"entries": case["entries"]})
            assert summary.entries == len(case["entries"]), case["name"]
        else:
            with pytest.raises(WireError):
                ledger.verify_ledger({"entries": case["entries"]})
                pytest.fail(f"{case['name']}: accepted ({case['reason']})")


def test_signature_vectors_of_policies_and_delegations(vectors):
    cases = load_topic(vectors, "signatures")
    assert {case["kind"] for case in cases} == {"policy", "delegation"}
    assert {case["valid"] for case in cases} == {True, False}
    contexts = {"policy": signed.POLICY_CONTEXT, "delegation": signed.DELEGATION_CONTEXT}
    for case in cases:
        name = case["name"]
        public = encoding.std_b64(case["signer_public_key"], "signer", 32)
        assert public == hx(case["signer_public_key_hex"]), name
        context = contexts[case["kind"]]
        assert case["context"].encode() == context, name

        def verify():
            envelope = signed.parse_envelope(case["envelope"], chain_allowed=case["kind"] == "policy")
            signed.verify_signed(envelope, public, context, name)
            return envelope

        if case["valid"]:
            assert signed.key_id(public) == case["key_id"], name
            envelope = verify()
            assert envelope.payload == hx(case["payload_hex"]), name
            assert context + envelope.payload == hx(case["signed_message_hex"]), name
            assert envelope.signature == hx(case["signature_hex"]), name
        else:
            with pytest.raises(WireError):
                verify()
                pytest.fail(f"{name}: accepted ({case['reason']})")


def test_deletion_token_vectors(vectors):
    cases = load_topic(vectors, "deletion")
    for case in cases:
        assert len(case["token"]) == 43, case["name"]
        assert encoding.url_b64(case["token"], "token", 32) == hx(case["token_bytes_hex"]), case["name"]
        assert deletion_hash(case["token"]) == case["deletion_hash"], case["name"]
        assert case["deletion_hash"] == hashlib.sha256(case["token"].encode("ascii")).hexdigest()


def test_notice_vectors_open_with_their_key_only(vectors):
    from selfreport_wire.notice import open_notice

    for case in load_topic(vectors, "notice"):
        key = bytes.fromhex(case["notice_key"])
        slot = bytes.fromhex(case["slot"])
        assert slot[:12] == bytes.fromhex(case["nonce"])
        assert open_notice(key, slot) == case["notice"], case["name"]
        padded = case["plaintext_json"].encode()
        assert len(padded) <= 484
        # Another key, or one changed byte, opens nothing.
        assert open_notice(bytes(32), slot) is None
        assert open_notice(key, slot[:-1] + bytes([slot[-1] ^ 1])) is None


def test_arrival_passes_and_confirmations_follow_the_protocol(vectors):
    """Pseudonym = SHA-256("selfreport.pseudonym/1\\n" || key)[:16]; the pass is canonical
    JSON signed by the arrival key; the register line is signed by the collector's key."""
    import json

    from selfreport_wire.signatures import verify_ed25519

    def url_b64(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    for case in load_topic(vectors, "arrival"):
        name = case["name"]
        public = ed25519_public_key(hx(case["arrival_seed_hex"]))
        assert url_b64(case["arrival_public_key"]) == public, name
        pseudonym = hashlib.sha256(b"selfreport.pseudonym/1\n" + public).digest()[:16].hex()
        assert pseudonym == case["pseudonym"], name
        message = f"selfreport.arrival-pass/1\n{case['policy_id']}\n{pseudonym}\n{case['shown_at']}"
        assert message.encode() == hx(case["signed_message_hex"]), name
        members = json.loads(case["pass"])
        assert json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=False) == case["pass"], name
        assert sorted(members) == ["format", "key", "policy_id", "pseudonym", "shown_at", "signature"], name
        assert members["format"] == "selfreport.arrival-pass/1", name
        assert (members["pseudonym"], members["shown_at"]) == (pseudonym, case["shown_at"]), name
        verify_ed25519(public, url_b64(members["signature"]), message.encode(), name)
        signer = ed25519_public_key(hx(case["signer_seed_hex"]))
        assert url_b64(case["signer_public_key"]) == signer, name
        line = json.loads(case["confirmation_line"])
        assert json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False) == case["confirmation_line"], name
        assert line["format"] == "selfreport.arrival-confirmation/1", name
        assert line["key_id"] == signed.key_id(signer), name
        signed_line = "\n".join(
            ["selfreport.arrival-confirmation/1", line["policy_id"], line["pseudonym"], line["district"], line["confirmed_at"]]
        )
        verify_ed25519(signer, url_b64(line["signature"]), signed_line.encode(), name)
        assert (line["pseudonym"], line["district"]) == (pseudonym, case["district"]), name
