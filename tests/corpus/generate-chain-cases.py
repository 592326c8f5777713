#!/usr/bin/env python3
"""Writes the corpus classes `delegations/` and `chains/` (see README.md), deterministically.

Written from docs/policy-format.md (§1 envelope, §2 key ids, §11 delegations) with the
`cryptography` package's Ed25519, not with the Rust code: the Rust side must accept what
this independent writer signs, and refuse each broken case with its documented code.

    python3 tests/corpus/generate-chain-cases.py

Keys come from fixed seeds: the root is 32 bytes of 0x11 (the corpus test trusts it),
the city office 0x22, the district office 0x33, a stranger 0x44. Verification day:
2026-11-28.
"""

import base64
import copy
import hashlib
import json
import pathlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = pathlib.Path(__file__).resolve().parent
ROOT_DIR = HERE.parent.parent
POLICY_CONTEXT = b"selfreport.policy/1\n"
DELEGATION_CONTEXT = b"selfreport.delegation/1\n"


def key(seed_byte):
    return Ed25519PrivateKey.from_private_bytes(bytes([seed_byte]) * 32)


def public(private):
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(private):
    return hashlib.sha256(b"selfreport.key-id/1\n" + public(private)).digest()[:8].hex()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def envelope(signer, context, payload, chain=None, key_id_override=None):
    fields = {
        "format": "selfreport.signed/1",
        "key_id": key_id_override or key_id(signer),
        "payload": b64url(payload),
        "signature": b64url(signer.sign(context + payload)),
    }
    if chain is not None:
        fields["chain"] = chain
    return fields


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


ROOT, CITY, DISTRICT, STRANGER = key(0x11), key(0x22), key(0x33), key(0x44)


def delegation(subject, depth, **changes):
    document = {
        "format": "selfreport.delegation/1",
        "subject": {
            "public_key": base64.b64encode(public(subject)).decode(),
            "name": {"zh": "黄浦区疾病预防控制中心", "en": "Huangpu District CDC"},
        },
        "valid_from": "2026-11-01",
        "valid_until": "2027-05-01",
        "constraints": {
            "namespace": "sh-",
            "purposes": ["epidemic-control", "health-monitoring"],
            "regions": ["310000"],
            "max_device_days": 28,
            "max_server_days": 28,
            "endpoint_hosts": ["report.example.org"],
            "kinds": {
                "person_name": "keep",
                "phone": "keep",
                "temperature_c": "threshold",
                "multi_choice": "keep",
                "district": "generalize:city",
                "yes_no": "keep",
            },
            "depth": depth,
        },
    }
    for pointer, value in changes.items():
        set_at(document, pointer, value)
    return document


def set_at(document, pointer, value):
    """Sets `a/b/c` (or removes it when value is ...)."""
    parts = pointer.split("/")
    target = document
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    if value is ...:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


def policy(**changes):
    document = json.loads((ROOT_DIR / "examples/policies/daily-report.json").read_text())
    document["format"] = "selfreport.policy/2"
    document["region"] = ["310101"]
    document["recipients"]["health"]["role"] = "health"
    document["recipients"]["identity"]["role"] = "identity"
    # The padded plaintext sizes a /2 form declares (policy-format.md): the smallest
    # multiples of padding.block_bytes the core accepts for this form.
    document["forms"][0]["padded_bytes"] = {"health": 1024, "identity": 1024}
    for pointer, value in changes.items():
        set_at(document, pointer, value)
    return document


def write(cls, name, data, code):
    (HERE / cls / f"{name}.json").write_bytes(data)
    (HERE / cls / f"{name}.expect").write_text(code + "\n")


def delegation_cases():
    base = delegation(DISTRICT, 0)
    cases = [("ok-district", base, "Ok"), ("ok-depth-3", delegation(CITY, 3), "Ok")]
    cases.append(("ok-text-allowed", delegation(CITY, 0, **{"constraints/kinds/text": "keep"}), "Ok"))
    cases.append(("ok-suffix-host", delegation(CITY, 0, **{"constraints/endpoint_hosts": [".example.org"]}), "Ok"))
    bad = {
        "format-policy": {"format": "selfreport.policy/2"},
        "format-v2": {"format": "selfreport.delegation/2"},
        "format-missing": {"format": ...},
        "format-number": {"format": 1},
        "subject-missing": {"subject": ...},
        "subject-key-short": {"subject/public_key": "AAAA"},
        "subject-key-urlsafe": {"subject/public_key": b64url(public(DISTRICT))},
        "subject-key-33-bytes": {"subject/public_key": base64.b64encode(b"\x01" * 33).decode()},
        "subject-extra": {"subject/role": "office"},
        "subject-name-bad-tag": {"subject/name": {"z h": "x"}},
        "subject-name-too-long": {"subject/name": {"en": "x" * 513}},
        "window-reversed": {"valid_until": "2026-10-01"},
        "window-not-a-date": {"valid_from": "2026-13-01"},
        "window-missing": {"valid_until": ...},
        "constraints-missing": {"constraints": ...},
        "constraints-extra": {"constraints/free_text": True},
        "namespace-empty": {"constraints/namespace": ""},
        "namespace-upper": {"constraints/namespace": "SH-"},
        "namespace-space": {"constraints/namespace": "sh "},
        "namespace-too-long": {"constraints/namespace": "s" * 65},
        "purposes-empty": {"constraints/purposes": []},
        "purposes-marketing": {"constraints/purposes": ["marketing"]},
        "purposes-twice": {"constraints/purposes": ["epidemic-control", "epidemic-control"]},
        "purposes-not-a-list": {"constraints/purposes": "epidemic-control"},
        "regions-empty": {"constraints/regions": []},
        "regions-unknown-province": {"constraints/regions": ["990000"]},
        "regions-five-digits": {"constraints/regions": ["31000"]},
        "regions-no-level": {"constraints/regions": ["310004"]},
        "regions-twice": {"constraints/regions": ["310000", "310000"]},
        "regions-too-many": {"constraints/regions": [f"31{n:02d}00" for n in range(1, 66)]},
        "device-days-zero": {"constraints/max_device_days": 0},
        "device-days-above-core": {"constraints/max_device_days": 91},
        "server-days-above-core": {"constraints/max_server_days": 181},
        "server-days-negative": {"constraints/max_server_days": -1},
        "hosts-empty": {"constraints/endpoint_hosts": []},
        "hosts-upper": {"constraints/endpoint_hosts": ["Report.example.org"]},
        "hosts-trailing-dot": {"constraints/endpoint_hosts": ["report.example.org."]},
        "hosts-url": {"constraints/endpoint_hosts": ["https://report.example.org"]},
        "hosts-twice": {"constraints/endpoint_hosts": ["a.example.org", "a.example.org"]},
        "kinds-unknown-kind": {"constraints/kinds/mood": "keep"},
        "kinds-unknown-step": {"constraints/kinds/district": "generalize"},
        "kinds-step-not-applicable": {"constraints/kinds/temperature_c": "pseudonym"},
        "kinds-transport-pseudonym": {"constraints/kinds/transport_number": "pseudonym"},
        "kinds-object-step": {"constraints/kinds/district": {"generalize": "city"}},
        "depth-four": {"constraints/depth": 4},
        "depth-negative": {"constraints/depth": -1},
        "depth-missing": {"constraints/depth": ...},
    }
    for name, changes in bad.items():
        document = copy.deepcopy(base)
        for pointer, value in changes.items():
            set_at(document, pointer, value)
        cases.append((name, document, "PolicyBadDelegation"))
    for n, (name, document, code) in enumerate(cases, 1):
        write("delegations", f"{n:03d}-{name}", json.dumps(document, ensure_ascii=False, indent=1).encode(), code)
    raw = [
        ("not-json", b"{", "PolicyBadDelegation"),
        ("array", b"[]", "PolicyBadDelegation"),
        ("duplicate-key", b'{"format":"selfreport.delegation/1","format":"selfreport.delegation/1"}', "PolicyBadDelegation"),
        ("too-large", b'{"format":"selfreport.delegation/1","pad":"' + b"x" * 9000 + b'"}', "PolicyBadDelegation"),
    ]
    for m, (name, data, code) in enumerate(raw, len(cases) + 1):
        write("delegations", f"{m:03d}-{name}", data, code)
    return len(cases) + len(raw)


def chain_cases():
    first = delegation(CITY, 1)
    second = delegation(DISTRICT, 0, **{"constraints/namespace": "sh-huangpu-", "constraints/regions": ["310101"]})
    good_policy = policy(id="sh-huangpu-daily")

    def signed_chain(first_doc=first, second_doc=second, first_signer=ROOT, second_signer=CITY):
        return [
            envelope(first_signer, DELEGATION_CONTEXT, compact(first_doc)),
            envelope(second_signer, DELEGATION_CONTEXT, compact(second_doc)),
        ]

    def case(policy_doc=None, chain=None, signer=DISTRICT, **kw):
        payload = compact(policy_doc if policy_doc is not None else good_policy)
        return compact(envelope(signer, POLICY_CONTEXT, payload, chain if chain is not None else signed_chain(), **kw))

    cases = [
        ("ok-two-links", case(), "Ok"),
        ("ok-root-signs-directly", compact(envelope(ROOT, POLICY_CONTEXT, compact(good_policy))), "Ok"),
        ("ok-one-link", case(policy(id="sh-daily"), [envelope(ROOT, DELEGATION_CONTEXT, compact(delegation(DISTRICT, 0)))]), "Ok"),
    ]
    # The second link widens its parent, one constraint at a time.
    widen = {
        "namespace": {"constraints/namespace": "s"},
        "purposes": {"constraints/purposes": ["contact-tracing"]},
        "regions": {"constraints/regions": ["420100"]},
        "device-days": {"constraints/max_device_days": 29},
        "server-days": {"constraints/max_server_days": 29},
        "hosts": {"constraints/endpoint_hosts": ["report.example.net"]},
        "kinds-new": {"constraints/kinds/passport_number": "keep"},
        "kinds-weaker": {"constraints/kinds/district": "keep"},
        "kinds-incomparable": {"constraints/kinds/temperature_c": "round"},
        "window-start": {"valid_from": "2026-10-31"},
        "window-end": {"valid_until": "2027-05-02"},
        "depth": {"constraints/depth": 1},
    }
    for name, changes in widen.items():
        child = copy.deepcopy(second)
        for pointer, value in changes.items():
            set_at(child, pointer, value)
        cases.append((f"link2-widens-{name}", case(chain=signed_chain(second_doc=child)), "PolicyDelegationWidens"))
    parent_depth0 = delegation(CITY, 0)
    cases.append(("link1-depth-zero-cannot-delegate", case(chain=signed_chain(first_doc=parent_depth0)), "PolicyDelegationWidens"))
    # The policy lies outside its last link.
    outside = {
        "namespace": {"id": "sh-daily"},
        "purpose": {"purpose/code": "contact-tracing"},
        "region": {"region": ["310101", "310104"]},
        "device-days": {"retention/device_days": 29},
        "server-days": {"retention/server_days": 29},
        "host": {"endpoint/url": "https://report.example.net/v1"},
        "kind-weaker": {"forms/0/fields/2/upload": "keep"},
        "kind-unlisted": {"forms/0/fields/4/upload": {"generalize": "district"}},
        "window": {"valid_until": "2027-05-02"},
    }
    for name, changes in outside.items():
        document = policy(**{"id": "sh-huangpu-daily", **changes})
        cases.append((f"policy-outside-{name}", case(document), "PolicyOutsideDelegation"))
    # Broken chains.
    v1_policy = copy.deepcopy(good_policy)
    v1_policy["format"] = "selfreport.policy/1"
    del v1_policy["region"]
    del v1_policy["forms"][0]["padded_bytes"]
    for recipient in v1_policy["recipients"].values():
        del recipient["role"]
    cases += [
        ("link2-signed-by-root", case(chain=signed_chain(second_signer=ROOT)), "PolicyChainBroken"),
        ("policy-signed-by-city", case(signer=CITY), "PolicyChainBroken"),
        ("policy-signed-by-stranger", case(signer=STRANGER), "PolicyChainBroken"),
        ("v1-under-chain", case(v1_policy), "PolicyChainBroken"),
        ("empty-chain", case(chain=[]), "PolicyChainBroken"),
        ("five-links", case(chain=signed_chain() * 2 + signed_chain()[:1]), "PolicyChainBroken"),
        ("unknown-root", case(chain=signed_chain(first_signer=STRANGER)), "PolicyUnknownKey"),
        ("link-expired", case(chain=signed_chain(second_doc=dict(second, valid_from="2026-11-01", valid_until="2026-11-27"))), "PolicyDelegationNotValid"),
        ("link-not-yet-valid", case(chain=signed_chain(second_doc=dict(second, valid_from="2026-11-29"))), "PolicyDelegationNotValid"),
    ]
    # A link whose signature is over the policy context, or tampered after signing.
    wrong_context = signed_chain()
    wrong_context[1] = envelope(CITY, POLICY_CONTEXT, compact(second))
    cases.append(("link-signed-as-policy", case(chain=wrong_context), "PolicyChainBroken"))
    tampered = signed_chain()
    tampered[1]["payload"] = b64url(compact(dict(second, valid_until="2027-04-30")))
    cases.append(("link-payload-changed", case(chain=tampered), "PolicyChainBroken"))
    misnamed = signed_chain()
    misnamed[1]["key_id"] = key_id(STRANGER)
    cases.append(("link-names-wrong-issuer", case(chain=misnamed), "PolicyChainBroken"))
    # Malformed chain elements.
    for name, element in [
        ("element-string", "not an envelope"),
        ("element-array", []),
        ("element-format", dict(signed_chain()[0], format="selfreport.signed/2")),
        ("element-extra-field", dict(signed_chain()[0], note="x")),
        ("element-nested-chain", dict(signed_chain()[0], chain=[])),
        ("element-bad-base64", dict(signed_chain()[0], payload="!!!")),
        ("element-short-signature", dict(signed_chain()[0], signature="AAAA")),
        ("element-bad-key-id", dict(signed_chain()[0], key_id="XYZ")),
        ("element-policy-document", envelope(ROOT, DELEGATION_CONTEXT, compact(good_policy))),
    ]:
        cases.append((f"chain-{name}", case(chain=[element, signed_chain()[1]]), "PolicyBadDelegation"))
    cases.append(("chain-not-a-list", case(chain="x"), "PolicyMalformed"))
    # Guardrails still apply under a chain that allows free text.
    text_first = delegation(CITY, 1, **{"constraints/kinds/text": "keep"})
    text_second = delegation(DISTRICT, 0, **{"constraints/namespace": "sh-huangpu-", "constraints/regions": ["310101"], "constraints/kinds/text": "keep"})
    notes_to_identity = policy(id="sh-huangpu-daily", **{"forms/0/fields/6/upload": "keep", "forms/0/fields/6/to": "identity", "forms/0/padded_bytes": {"health": 1024, "identity": 2048}})
    cases.append(("guardrail-text-to-identity", case(notes_to_identity, signed_chain(text_first, text_second)), "PolicyFreeTextUploaded"))
    notes_to_health = policy(id="sh-huangpu-daily", **{"forms/0/fields/6/upload": "keep", "forms/0/fields/6/to": "health", "forms/0/padded_bytes": {"health": 2048, "identity": 1024}})
    cases.append(("ok-text-allowed-to-health", case(notes_to_health, signed_chain(text_first, text_second)), "Ok"))
    cases.append(("guardrail-marketing-direct", compact(envelope(ROOT, POLICY_CONTEXT, compact(policy(**{"purpose/code": "marketing"})))), "PolicyPurposeNotAllowed"))
    for n, (name, data, code) in enumerate(cases, 1):
        write("chains", f"{n:03d}-{name}", data, code)
    return len(cases)


if __name__ == "__main__":
    for directory in ("delegations", "chains"):
        for old in (HERE / directory).glob("*"):
            old.unlink()
    print(f"delegations: {delegation_cases()}, chains: {chain_cases()}")
