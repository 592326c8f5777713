#!/usr/bin/env python3
"""Writes the corpus class `revocations/` (see README.md), deterministically.

Written from docs/policy-format.md (§1 envelope, §2 key ids, §15 revocation lists) with
the `cryptography` package's Ed25519, not with the Rust code. Keys, seeds and the
verification day are those of `generate-chain-cases.py` (whose helpers this reuses): the
root is 32 bytes of 0x11, the district office 0x33, a stranger 0x44; 2026-11-28.

    python3 tests/corpus/generate-revocation-cases.py
"""

import base64
import importlib.util
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("chain_cases", HERE / "generate-chain-cases.py")
chain = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(chain)

REVOCATIONS_CONTEXT = b"selfreport.revocations/1\n"
CLASS = "revocations"


def b64(data):
    return base64.b64encode(data).decode()


def document(**changes):
    doc = {
        "format": "selfreport.revocations/1",
        "sequence": 4,
        "issued_at": "2026-11-27",
        "next_update": "2026-12-04",
        "delegations": [{"subject_key": b64(chain.public(chain.DISTRICT)), "reason": "key-compromise"}],
        "policies": [{"id": "sh-arrivals", "version": 3, "reason": "superseded"}],
    }
    for pointer, value in changes.items():
        chain.set_at(doc, pointer, value)
    return doc


def signed(doc, signer=None, context=REVOCATIONS_CONTEXT, **envelope_changes):
    payload = doc if isinstance(doc, bytes) else chain.compact(doc)
    fields = chain.envelope(signer or chain.ROOT, context, payload)
    for name, value in envelope_changes.items():
        if value is ...:
            del fields[name]
        else:
            fields[name] = value
    return chain.compact(fields)


def cases():
    bad = "PolicyBadRevocations"
    many_policies = [{"id": "sh-a", "version": n, "reason": "superseded"} for n in range(1, 202)]
    many_ok = [{"id": "sh-a", "version": n, "reason": "superseded"} for n in range(1, 11)]
    yield "ok-empty", signed(document(delegations=[], policies=[])), "Ok"
    yield "ok-lists-omitted", signed(document(delegations=..., policies=...)), "Ok"
    yield "ok-delegation-and-policy", signed(document()), "Ok"
    yield "ok-ten-policies", signed(document(policies=many_ok)), "Ok"
    yield "ok-largest-sequence", signed(document(sequence=2**53 - 1)), "Ok"
    yield "ok-issued-tomorrow", signed(document(issued_at="2026-11-29", next_update="2026-12-06")), "Ok"
    yield "ok-stale", signed(document(issued_at="2026-10-01", next_update="2026-10-08")), "Ok"
    yield "ok-next-update-same-day", signed(document(next_update="2026-11-27")), "Ok"
    for reason in ["superseded", "ceased-operation", "privilege-withdrawn"]:
        yield f"ok-reason-{reason}", signed(document(**{"delegations/0/reason": reason})), "Ok"
    changes = {
        "format-policy": {"format": "selfreport.policy/2"},
        "format-v2": {"format": "selfreport.revocations/2"},
        "format-missing": {"format": ...},
        "format-number": {"format": 1},
        "sequence-zero": {"sequence": 0},
        "sequence-above-2-53": {"sequence": 2**53},
        "sequence-negative": {"sequence": -1},
        "sequence-string": {"sequence": "4"},
        "sequence-fraction": {"sequence": 4.5},
        "sequence-missing": {"sequence": ...},
        "issued-at-missing": {"issued_at": ...},
        "issued-at-slashes": {"issued_at": "2026/11/27"},
        "issued-at-impossible": {"issued_at": "2026-02-30"},
        "next-update-before-issue": {"next_update": "2026-11-26"},
        "issued-after-tomorrow": {"issued_at": "2026-11-30", "next_update": "2026-12-07"},
        "unknown-field": {"comment": "hello"},
        "delegations-not-array": {"delegations": {}},
        "delegation-unknown-field": {"delegations/0/since": "2026-11-01"},
        "delegation-key-not-base64": {"delegations/0/subject_key": "not base64!"},
        "delegation-key-31-bytes": {"delegations/0/subject_key": b64(bytes(31))},
        "delegation-key-urlsafe": {"delegations/0/subject_key": chain.b64url(chain.public(chain.DISTRICT))},
        "delegation-reason-unknown": {"delegations/0/reason": "bored"},
        "delegation-reason-missing": {"delegations/0/reason": ...},
        "delegation-twice": {"delegations": [document()["delegations"][0]] * 2},
        "policy-id-uppercase": {"policies/0/id": "SH-ARRIVALS"},
        "policy-id-empty": {"policies/0/id": ""},
        "policy-id-too-long": {"policies/0/id": "s" * 65},
        "policy-version-zero": {"policies/0/version": 0},
        "policy-version-above-2-53": {"policies/0/version": 2**53},
        "policy-unknown-field": {"policies/0/note": "x"},
        "policy-twice": {"policies": [document()["policies"][0]] * 2},
        "too-many-policies": {"policies": many_policies},
    }
    for name, change in changes.items():
        yield name, signed(document(**change)), bad
    yield "payload-not-json", signed(b"{not json"), bad
    yield "payload-array", signed(b"[]"), bad
    yield "payload-duplicate-key", signed(b'{"format":"selfreport.revocations/1","sequence":1,"sequence":2,"issued_at":"2026-11-27","next_update":"2026-12-04"}'), bad
    yield "signed-by-stranger", signed(document(), signer=chain.STRANGER), "PolicyUnknownKey"
    yield "signed-by-delegated-office", signed(document(), signer=chain.DISTRICT), "PolicyUnknownKey"
    yield "signed-as-policy", signed(document(), context=chain.POLICY_CONTEXT), "PolicyBadSignature"
    yield "signed-as-delegation", signed(document(), context=chain.DELEGATION_CONTEXT), "PolicyBadSignature"
    other = chain.compact(document(sequence=5))
    yield "signature-of-another-list", signed(document(), signature=chain.envelope(chain.ROOT, REVOCATIONS_CONTEXT, other)["signature"]), "PolicyBadSignature"
    yield "envelope-with-chain", signed(document(), chain=[]), bad
    yield "envelope-format-unknown", signed(document(), format="selfreport.signed/2"), bad
    yield "envelope-key-id-short", signed(document(), key_id="abcd"), bad
    yield "envelope-signature-short", signed(document(), signature=chain.b64url(bytes(32))), bad
    yield "envelope-payload-missing", signed(document(), payload=...), bad
    yield "envelope-not-json", b"\xff\xfe not json", bad
    yield "envelope-oversized", signed(document(policies=[{"id": "sh-" + "a" * 60, "version": n, "reason": "superseded"} for n in range(1, 700)])), "PolicyTooLarge"


def main():
    out = HERE / CLASS
    out.mkdir(exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    for n, (name, data, code) in enumerate(cases(), 1):
        chain.write(CLASS, f"{n:03}-{name}", data, code)


if __name__ == "__main__":
    main()
