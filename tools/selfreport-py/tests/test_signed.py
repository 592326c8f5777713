"""Signed envelopes: key ids, the policy and delegation contexts, and chains, with
envelopes this test signs and with a chain `selfreport-authority delegate` and
`sign-policy --chain` write."""

import base64
import copy
import datetime
import hashlib
import json

import pytest

from selfreport_wire import signed
from selfreport_wire.encoding import url_b64_encode
from selfreport_wire.errors import EncodingError, PolicyError, SignatureInvalid
from selfreport_wire.signatures import ed25519_public_key, sign_ed25519
from support.authority import live_policy_document, read_key
from support.pki import make_test_pki
from support.programs import run


def seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def envelope(signer: str, context: bytes, document: dict, chain: list | None = None) -> dict:
    payload = json.dumps(document).encode()
    value = {
        "format": "selfreport.signed/1",
        "key_id": signed.key_id(ed25519_public_key(seed(signer))),
        "payload": url_b64_encode(payload),
        "signature": url_b64_encode(sign_ed25519(seed(signer), context + payload)),
    }
    if chain:
        value["chain"] = chain
    return value


def delegation(issuer: str, subject: str) -> dict:
    public = base64.b64encode(ed25519_public_key(seed(subject))).decode()
    document = {"format": "selfreport.delegation/1", "subject": {"public_key": public}}
    return envelope(issuer, signed.DELEGATION_CONTEXT, document)


POLICY = {"format": "selfreport.policy/2", "id": "sh-x", "version": 1}
ROOT = ed25519_public_key(seed("root"))


def test_a_root_signed_policy_verifies_and_a_changed_one_does_not():
    value = envelope("root", signed.POLICY_CONTEXT, POLICY)
    assert signed.verify_policy(signed.parse_envelope(value), ROOT) == POLICY
    changed = dict(value, payload=url_b64_encode(json.dumps(dict(POLICY, version=2)).encode()))
    with pytest.raises(SignatureInvalid):
        signed.verify_policy(signed.parse_envelope(changed), ROOT)
    with pytest.raises(SignatureInvalid):
        signed.verify_policy(signed.parse_envelope(value), ed25519_public_key(seed("other")))


def test_a_delegation_signature_is_not_a_policy_signature():
    value = envelope("root", signed.DELEGATION_CONTEXT, POLICY)
    with pytest.raises(SignatureInvalid):
        signed.verify_policy(signed.parse_envelope(value), ROOT)


def test_a_chain_verifies_link_by_link():
    chain = [delegation("root", "city"), delegation("city", "district")]
    value = envelope("district", signed.POLICY_CONTEXT, POLICY, chain)
    assert signed.verify_policy(signed.parse_envelope(value), ROOT) == POLICY
    skipped = envelope("district", signed.POLICY_CONTEXT, POLICY, chain[1:])
    with pytest.raises(SignatureInvalid):
        signed.verify_policy(signed.parse_envelope(skipped), ROOT)
    by_parent = envelope("city", signed.POLICY_CONTEXT, POLICY, chain)
    with pytest.raises(SignatureInvalid):
        signed.verify_policy(signed.parse_envelope(by_parent), ROOT)
    v1 = envelope("district", signed.POLICY_CONTEXT, dict(POLICY, format="selfreport.policy/1"), chain)
    with pytest.raises(PolicyError):
        signed.verify_policy(signed.parse_envelope(v1), ROOT)


@pytest.mark.parametrize(
    "change",
    [lambda v: v.update(format="selfreport.signed/2"), lambda v: v.update(key_id="ABCDEF0123456789"),
     lambda v: v.update(payload=v["payload"] + "="), lambda v: v.update(signature=v["signature"][:-2]),
     lambda v: v.update(chain=[]), lambda v: v.update(extra=1)],
)
def test_a_malformed_envelope_is_refused(change):
    value = envelope("root", signed.POLICY_CONTEXT, POLICY)
    change(value)
    with pytest.raises((EncodingError, PolicyError)):
        signed.parse_envelope(value)


@pytest.mark.live
def test_a_chain_the_authority_tool_writes_verifies_here(tmp_path):
    for who in ("commission", "office"):
        run("selfreport-authority", "keygen", "--out", str(tmp_path / who), "--recipient", "health",
            "--recipient", "identity")
    commission, office = tmp_path / "commission", tmp_path / "office"
    link = tmp_path / "office.delegation.json"
    run("selfreport-authority", "delegate", "--key", str(commission / "signing.key"),
        "--subject", str(office / "signing.pub"), "--namespace", "sh-wire-", "--region", "310000",
        "--endpoint-host", "report.example.org",
        "--valid-from", (datetime.date.today() - datetime.timedelta(days=60)).isoformat(), "--valid-until", "2099-12-31", "--out", str(link))
    document = live_policy_document("selfreport.policy/2", "https://report.example.org/v1",
                                    make_test_pki(tmp_path / "tls"), office, {"health": 1024, "identity": 1024})
    (tmp_path / "policy.json").write_text(json.dumps(document))
    out = tmp_path / "policy.signed.json"
    run("selfreport-authority", "sign-policy", "--key", str(office / "signing.key"), "--in",
        str(tmp_path / "policy.json"), "--chain", str(link), "--root", str(commission / "signing.pub"),
        "--out", str(out))
    value = json.loads(out.read_bytes())
    assert signed.verify_policy(signed.parse_envelope(value), read_key(commission / "signing.pub")) == document
    with pytest.raises(SignatureInvalid):
        signed.verify_policy(signed.parse_envelope(value), read_key(office / "signing.pub"))
    tampered = copy.deepcopy(value)
    tampered["chain"][0]["payload"] = url_b64_encode(
        signed.parse_envelope(value).chain[0].payload.replace(b"sh-wire-", b"sh-")
    )
    with pytest.raises(SignatureInvalid):
        signed.verify_policy(signed.parse_envelope(tampered), read_key(commission / "signing.pub"))
