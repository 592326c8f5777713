"""Sealing and opening without a drop box: a sealed submission opens to exactly what was
sealed, and every changed byte, size, key or id is refused or flagged."""

import base64
import hashlib
import json

import pytest

from selfreport_wire import suites
from selfreport_wire.canonical import dumps
from selfreport_wire.errors import PlaintextInvalid, PolicyError, SealedBodyInvalid
from selfreport_wire.opening import open_submission
from selfreport_wire.plaintext import Plaintext, build_plaintext
from selfreport_wire.policy import policy_from_document
from selfreport_wire.sealed_body import SealedBody, SealedPart, dumps_sealed_body, parse_sealed_body
from selfreport_wire.sealing import minimize, seal_submission


def private_key(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


KEYS = {"health": private_key("health"), "identity": private_key("identity")}
PSEUDONYM = "ab" * 16


def document(padded: int = 1024) -> dict:
    public = lambda name: base64.b64encode(suites.x25519_public_key(KEYS[name])).decode()  # noqa: E731
    return {
        "format": "selfreport.policy/2", "id": "sh-wire-test", "version": 2,
        "endpoint": {"url": "https://127.0.0.1:1/v1", "spki_sha256": ["A" * 43 + "="],
                     "receipt_key": base64.b64encode(b"\x01" * 32).decode()},
        "recipients": {
            "health": {"suite": "x25519-sha256-chacha20poly1305", "public_key": public("health"), "role": "health"},
            "identity": {"suite": "x25519-sha256-aes128gcm", "public_key": public("identity"), "role": "identity"},
        },
        "padding": {"block_bytes": 512},
        "forms": [{"id": "daily", "once_per": "day", "padded_bytes": {"health": padded, "identity": padded},
                   "fields": [
                       {"id": "name", "kind": "person_name", "required": True, "upload": "keep", "to": "identity"},
                       {"id": "temperature", "kind": "temperature_c", "required": True,
                        "upload": {"threshold": 37.3}, "to": "health"},
                       {"id": "symptoms", "kind": "multi_choice", "codes": ["fever", "cough"],
                        "upload": "keep", "to": "health"},
                       {"id": "district", "kind": "district", "upload": {"generalize": "city"}, "to": "health"},
                       {"id": "notes", "kind": "text", "max_len": 20, "upload": "omit"},
                   ]}],
    }


POLICY = policy_from_document(document())
ANSWERS = {"name": "林晓雯", "temperature": 37.6, "symptoms": ["cough", "fever"], "district": "310104",
           "notes": "never sent"}


def sealed():
    fields = minimize(POLICY, "daily", ANSWERS)
    return seal_submission(POLICY, "daily", "2026-11-28", PSEUDONYM, fields)


def test_a_sealed_submission_opens_to_the_minimized_fields():
    submission = sealed()
    opened = open_submission(submission.body, POLICY, KEYS)
    assert opened.flags == []
    assert opened.fields("health") == {"temperature": True, "symptoms": ["fever", "cough"], "district": "310100"}
    assert opened.fields("identity") == {"name": "林晓雯"}
    assert not opened.dummy
    body = parse_sealed_body(submission.body)
    assert [len(part.ct) for part in body.parts] == [1024 + 16, 1024 + 16]
    assert hashlib.sha256(submission.deletion_token.encode()).hexdigest() == body.deletion_hash


def test_only_the_given_keys_open_their_parts():
    opened = open_submission(sealed().body, POLICY, {"health": KEYS["health"]})
    assert list(opened.parts) == ["health"] and opened.flags == []


def test_a_wrong_key_is_flagged():
    opened = open_submission(sealed().body, POLICY, {"health": KEYS["identity"]})
    assert [name for name, _ in opened.flags] == ["part:health"]


@pytest.mark.parametrize("what", ["enc", "ct"])
def test_a_flipped_byte_in_enc_or_ct_is_flagged(what):
    value = json.loads(sealed().body)
    raw = bytearray(base64.b64decode(value["parts"][0][what]))
    raw[len(raw) // 2] ^= 0x01
    value["parts"][0][what] = base64.b64encode(bytes(raw)).decode()
    opened = open_submission(json.dumps(value).encode(), POLICY, KEYS)
    assert ("part:health" in [name for name, _ in opened.flags])
    assert "health" not in opened.parts and "identity" in opened.parts


def seal_raw(plaintext_by_recipient: dict, submission_id: str = "cd" * 16, info_version: int = 2,
             aad_id: str | None = None) -> bytes:
    parts = []
    for name, plaintext in sorted(plaintext_by_recipient.items()):
        recipient = POLICY.recipient(name)
        enc, ct = suites.seal(recipient.suite, recipient.public_key,
                              suites.submission_info("sh-wire-test", info_version, name),
                              suites.submission_aad(aad_id or submission_id), plaintext)
        parts.append(SealedPart(name, enc, ct))
    return dumps_sealed_body(SealedBody("sh-wire-test", 2, submission_id, "ef" * 32, tuple(parts)))


def header(**changes) -> Plaintext:
    values = dict(date="2026-11-28", dummy=False, fields={"name": "林晓雯"}, form="daily",
                  policy_id="sh-wire-test", policy_version=2, pseudonym=PSEUDONYM, submission_id="cd" * 16)
    values.update(changes)
    return Plaintext(**values)


def flags_of(body: bytes) -> list:
    return open_submission(body, POLICY, {"identity": KEYS["identity"]}).flags


def test_a_part_bound_to_another_version_or_id_does_not_open():
    good = build_plaintext(header(), 1024)
    assert flags_of(seal_raw({"identity": good})) == [("parts", "form 'daily' sends exactly ['health', 'identity']")]
    assert flags_of(seal_raw({"identity": good}, info_version=1))[0][0] == "part:identity"
    assert flags_of(seal_raw({"identity": good}, aad_id="00" * 16))[0][0] == "part:identity"


@pytest.mark.parametrize(
    "plaintext",
    [
        build_plaintext(header(), 512),  # padded to another size
        build_plaintext(header(), 1024)[:-1] + b"\x00",  # padded with NUL
        dumps({"date": "2026-11-28"}) + b" " * 1003,  # missing keys
        build_plaintext(header(submission_id="00" * 16), 1024),  # another id inside
        build_plaintext(header(policy_version=1), 1024),
        build_plaintext(header(pseudonym="AB" * 16), 1024),
        build_plaintext(header(dummy=True), 1024),  # cover traffic with fields
        (b'{"date": "2026-11-28"}' + b" " * 1024)[:1024],  # not canonical
    ],
)
def test_a_plaintext_breaking_a_rule_is_flagged(plaintext):
    assert flags_of(seal_raw({"identity": plaintext, "health": build_plaintext(header(fields={
        "temperature": False}), 1024)}))[0][0] == "part:identity"


def test_non_canonical_key_order_is_flagged():
    good = build_plaintext(header(), 1024).rstrip(b" ")
    value = json.loads(good)
    reordered = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    reordered = reordered.replace(b'{"date"', b'{"form":"daily","date"', 1).replace(b',"form":"daily"', b"", 1)
    assert reordered != good and json.loads(reordered) == value
    assert flags_of(seal_raw({"identity": reordered + b" " * (1024 - len(reordered))}))[0][0] == "part:identity"


@pytest.mark.parametrize(
    "fields,flagged",
    [
        ({"name": "林晓雯", "notes": "x"}, "notes"),  # omitted by the policy
        ({"name": "林晓雯", "temperature": True}, "temperature"),  # routed to health
        ({"name": "林晓雯", "age": 3}, "age"),  # not in the form
        ({"name": 7}, "name"),  # wrong shape
        ({}, "name"),  # required, absent
    ],
)
def test_fields_outside_the_policy_are_flagged_and_left_out(fields, flagged):
    body = seal_raw({"identity": build_plaintext(header(fields=fields), 1024)})
    opened = open_submission(body, POLICY, {"identity": KEYS["identity"]})
    assert flagged in [name for name, _ in opened.flags]
    assert flagged not in opened.fields("identity")


@pytest.mark.parametrize(
    "fields",
    [{"temperature": 37.6}, {"temperature": False, "district": "310104"},
     {"temperature": False, "symptoms": ["cough", "fever"]}, {"temperature": False, "symptoms": ["cough", "cough"]}],
)
def test_values_more_precise_than_their_transform_are_flagged(fields):
    body = seal_raw({"health": build_plaintext(header(fields=fields), 1024)})
    opened = open_submission(body, POLICY, {"health": KEYS["health"]})
    assert any(name in fields for name, _ in opened.flags)


def test_a_body_under_another_policy_version_or_malformed_is_refused():
    value = json.loads(sealed().body)
    value["policy_version"] = 1
    with pytest.raises(SealedBodyInvalid):
        open_submission(json.dumps(value).encode(), POLICY, KEYS)
    for change in [lambda v: v.update(extra=1), lambda v: v["parts"].reverse(),
                   lambda v: v["parts"][0].update(enc=v["parts"][0]["enc"][:-4]),
                   lambda v: v.update(submission_id=v["submission_id"].upper())]:
        value = json.loads(sealed().body)
        change(value)
        with pytest.raises(SealedBodyInvalid):
            parse_sealed_body(json.dumps(value).encode())


def test_a_plaintext_larger_than_the_declared_size_is_refused_at_sealing():
    doc = document(padded=128)
    doc["padding"]["block_bytes"] = 128
    small = policy_from_document(doc)
    with pytest.raises(PlaintextInvalid):
        seal_submission(small, "daily", "2026-11-28", PSEUDONYM, minimize(small, "daily", ANSWERS))


def test_an_unsupported_transform_is_refused_not_guessed():
    doc = document()
    doc["forms"][0]["fields"][1]["upload"] = {"round": 0.5}
    with pytest.raises(PolicyError):
        minimize(policy_from_document(doc), "daily", ANSWERS)



def test_a_declared_size_is_required_and_used():
    doc = document()
    del doc["forms"][0]["padded_bytes"]["identity"]
    with pytest.raises(PolicyError):
        sealed_with(policy_from_document(doc))
    doc = document(padded=1000)  # not a multiple of the 512-byte block
    with pytest.raises(PolicyError):
        sealed_with(policy_from_document(doc))
    larger = policy_from_document(document(padded=2048))
    body = parse_sealed_body(sealed_with(larger).body)
    assert [len(part.ct) for part in body.parts] == [2048 + 16, 2048 + 16]


def test_a_v1_policy_takes_sizes_from_outside_and_without_them_is_refused_not_guessed():
    doc = document()
    doc["format"] = "selfreport.policy/1"
    del doc["forms"][0]["padded_bytes"]
    with pytest.raises(PolicyError):
        sealed_with(policy_from_document(doc))
    v1 = policy_from_document(doc, {("daily", "health"): 512, ("daily", "identity"): 1536})
    submission = sealed_with(v1)
    assert [len(part.ct) for part in parse_sealed_body(submission.body).parts] == [512 + 16, 1536 + 16]
    assert open_submission(submission.body, v1, KEYS).flags == []
    with pytest.raises(PolicyError):
        policy_from_document(document(), {("daily", "health"): 512})


def sealed_with(policy):
    return seal_submission(policy, "daily", "2026-11-28", PSEUDONYM, minimize(policy, "daily", ANSWERS))
