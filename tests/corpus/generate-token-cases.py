#!/usr/bin/env python3
"""Writes the corpus classes `orders/`, `tokens/` and `token-replies/` (see README.md),
deterministically, with the fixtures their test reads (`order-policy.signed.json`,
`token-fixture.json`).

Written from docs/policy-format.md (§16 enrollment orders) and docs/protocol.md ("Upload
tokens") with the `cryptography` package's Ed25519 and Python's integers, not with the
Rust code: the Rust side must accept what this independent writer produces and refuse
each broken case with its documented code.

    python3 tests/corpus/generate-token-cases.py

Orders are signed by the corpus root (32 bytes of 0x11), which also signs the policy they
are verified against, on 2026-11-28. Tokens and issuance replies come from RFC 9578's
first Blind RSA test vector (core/src/token/rfc9578_vectors.json).
"""

import base64
import hashlib
import importlib.util
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
ROOT_DIR = HERE.parent.parent
ENROLLMENT_CONTEXT = b"selfreport.enrollment/1\n"

spec = importlib.util.spec_from_file_location("chains", HERE / "generate-chain-cases.py")
chains = importlib.util.module_from_spec(spec)
spec.loader.exec_module(chains)
ROOT, STRANGER = chains.ROOT, chains.STRANGER


def write(cls, name, data, code):
    (HERE / cls / f"{name}.json").write_bytes(data)
    (HERE / cls / f"{name}.expect").write_text(code + "\n")


def order(**changes):
    document = {
        "format": "selfreport.enrollment/1",
        "policy_id": "sh-daily-health",
        "monitoring": {"start": "2026-11-28", "days": 14},
        "reason": "arrival",
        "district": "310101",
        "forms": {"daily": {"per_day": 1}},
        "secret": chains.b64url(bytes(range(16))),
        "issued_at": "2026-11-27T18:00:00+08:00",
    }
    for pointer, value in changes.items():
        chains.set_at(document, pointer, value)
    return document


def signed_order(document, signer=ROOT, context=ENROLLMENT_CONTEXT, **envelope_changes):
    payload = chains.compact(document) if not isinstance(document, bytes) else document
    envelope = chains.envelope(signer, context, payload)
    for pointer, value in envelope_changes.items():
        chains.set_at(envelope, pointer, value)
    return chains.compact(envelope)


def order_cases():
    policy = chains.policy(**{"forms/0/enrollment": "required"})
    (HERE / "order-policy.signed.json").write_bytes(
        chains.compact(chains.envelope(ROOT, chains.POLICY_CONTEXT, chains.compact(policy)))
    )
    cases = [
        ("ok", signed_order(order()), "Ok"),
        ("ok-close-contact", signed_order(order(reason="close_contact")), "Ok"),
        ("ok-secret-64-bytes", signed_order(order(secret=chains.b64url(bytes(64)))), "Ok"),
        ("ok-twice-a-day", signed_order(order(**{"forms/daily/per_day": 2})), "Ok"),
    ]
    bad_documents = {
        "format-policy": ({"format": "selfreport.policy/2"}, "EnrollmentMalformed"),
        "format-missing": ({"format": ...}, "EnrollmentMalformed"),
        "policy-other": ({"policy_id": "sh-arrivals"}, "NotFound"),
        "reason-unknown": ({"reason": "neighbour"}, "EnrollmentMalformed"),
        "reason-number": ({"reason": 1}, "EnrollmentMalformed"),
        "district-outside-region": ({"district": "310104"}, "EnrollmentOutsidePolicy"),
        "district-city": ({"district": "310100"}, "EnrollmentMalformed"),
        "district-not-gbt2260": ({"district": "319999"}, "EnrollmentOutsidePolicy"),
        "form-unknown": ({"forms": {"weekly": {"per_day": 1}}}, "EnrollmentOutsidePolicy"),
        "forms-empty": ({"forms": {}}, "EnrollmentMalformed"),
        "per-day-zero": ({"forms/daily/per_day": 0}, "EnrollmentMalformed"),
        "per-day-25": ({"forms/daily/per_day": 25}, "EnrollmentMalformed"),
        "per-day-text": ({"forms/daily/per_day": "1"}, "EnrollmentMalformed"),
        "secret-15-bytes": ({"secret": chains.b64url(bytes(15))}, "EnrollmentMalformed"),
        "secret-65-bytes": ({"secret": chains.b64url(bytes(65))}, "EnrollmentMalformed"),
        "secret-standard-base64": ({"secret": "+/+/+/+/+/+/+/+/+/+/+w"}, "EnrollmentMalformed"),
        "days-zero": ({"monitoring/days": 0}, "EnrollmentMalformed"),
        "days-367": ({"monitoring/days": 367}, "EnrollmentMalformed"),
        "start-not-a-date": ({"monitoring/start": "28/11/2026"}, "EnrollmentMalformed"),
        "start-before-policy": ({"monitoring/start": "2026-10-20"}, "EnrollmentOutsidePolicy"),
        "end-after-policy": ({"monitoring/start": "2027-04-25"}, "EnrollmentOutsidePolicy"),
        "issued-at-not-a-time": ({"issued_at": "yesterday"}, "EnrollmentMalformed"),
        "unknown-field": ({"name": "林晓雯"}, "EnrollmentMalformed"),
        "monitoring-missing": ({"monitoring": ...}, "EnrollmentMalformed"),
    }
    for name, (changes, code) in bad_documents.items():
        cases.append((name, signed_order(order(**changes)), code))
    cases += [
        ("signed-by-stranger", signed_order(order(), signer=STRANGER), "EnrollmentBadSignature"),
        ("signed-as-policy", signed_order(order(), context=chains.POLICY_CONTEXT), "EnrollmentBadSignature"),
        ("key-id-of-stranger", signed_order(order(), key_id=chains.key_id(STRANGER)), "EnrollmentBadSignature"),
        ("signature-cut", signed_order(order(), signature="AAAA"), "EnrollmentMalformed"),
        ("payload-not-json", signed_order(b"not json"), "EnrollmentMalformed"),
        ("envelope-not-json", b"{\"format\":", "EnrollmentMalformed"),
        ("envelope-too-large", signed_order(order(padding="x" * 4200)), "EnrollmentMalformed"),
    ]
    for index, (name, data, code) in enumerate(cases):
        write("orders", f"{index:03}-{name}", data, code)


# --- tokens ----------------------------------------------------------------------------

VECTORS = json.loads((ROOT_DIR / "core/src/token/rfc9578_vectors.json").read_text())
V = {name: bytes.fromhex(value) for name, value in VECTORS["vectors"][0].items()}


def der_modulus(spki):
    """n of the RSAPublicKey at the end of an RFC 9578 SubjectPublicKeyInfo."""
    # SEQUENCE header, AlgorithmIdentifier, BIT STRING header and its unused-bits byte.
    rsa = spki[4 + 63 + 5:]
    assert rsa[0] == 0x30 and rsa[4] == 0x02
    length = int.from_bytes(rsa[6:8], "big")
    return int.from_bytes(rsa[8:8 + length], "big")


def token_fixture():
    spki = V["pkS"]
    n = der_modulus(spki)
    key_id = hashlib.sha256(spki).digest()
    challenge = hashlib.sha256(V["token_challenge"]).digest()
    token_input = b"\x00\x02" + V["nonce"] + challenge + key_id
    inverse = pow(int.from_bytes(V["blind"], "big"), -1, n)
    fixture = {
        "source": "RFC 9578 Appendix A.2, test vector 1",
        "spki": spki.hex(),
        "challenge_digest": challenge.hex(),
        "pending": (token_input + inverse.to_bytes(256, "big")).hex(),
    }
    (HERE / "token-fixture.json").write_text(json.dumps(fixture, indent=1) + "\n")
    return n


def b64(data, alphabet="url", pad=True):
    encoded = base64.urlsafe_b64encode(data) if alphabet == "url" else base64.b64encode(data)
    return (encoded if pad else encoded.rstrip(b"=")).decode()


def flip(data, index):
    changed = bytearray(data)
    changed[index] ^= 1
    return bytes(changed)


def token_cases():
    token = V["token"]
    header = lambda value: f'PrivateToken token="{value}"'.encode()
    cases = [
        ("ok", header(b64(token)), "Ok"),
        ("ok-unpadded", header(b64(token, pad=False)), "Ok"),
        ("ok-scheme-lower-case", f'privatetoken token="{b64(token)}"'.encode(), "Ok"),
        ("ok-unquoted", f"PrivateToken token={b64(token)}".encode(), "Ok"),
        ("ok-other-parameter", f'PrivateToken realm="x", token="{b64(token)}"'.encode(), "Ok"),
        ("scheme-bearer", f'Bearer token="{b64(token)}"'.encode(), "TokenMalformed"),
        ("no-token-parameter", b'PrivateToken realm="x"', "TokenMalformed"),
        ("token-twice", f'PrivateToken token="{b64(token)}", token="{b64(token)}"'.encode(), "TokenMalformed"),
        ("empty", b"", "TokenMalformed"),
        ("scheme-only", b"PrivateToken", "TokenMalformed"),
        ("standard-alphabet", header(b64(token, "std")), "TokenMalformed"),
        ("cut-by-one-byte", header(b64(token[:-1])), "TokenMalformed"),
        ("one-byte-more", header(b64(token + b"\x00")), "TokenMalformed"),
        ("type-0001", header(b64(b"\x00\x01" + token[2:])), "TokenMalformed"),
        ("not-base64", header("!" * 472), "TokenMalformed"),
        ("authenticator-flipped", header(b64(flip(token, 200))), "TokenUnverified"),
        ("nonce-flipped", header(b64(flip(token, 2))), "TokenUnverified"),
        ("challenge-flipped", header(b64(flip(token, 40))), "TokenUnverified"),
        ("key-id-flipped", header(b64(flip(token, 70))), "TokenUnverified"),
        ("authenticator-zero", header(b64(token[:98] + bytes(256))), "TokenUnverified"),
        ("authenticator-all-ones", header(b64(token[:98] + b"\xff" * 256)), "TokenUnverified"),
    ]
    for index, (name, data, code) in enumerate(cases):
        write("tokens", f"{index:03}-{name}", data, code)


def reply_cases(n):
    response = V["token_response"]
    body = lambda responses, fmt="selfreport.token-response/1": json.dumps(
        {"format": fmt, "responses": responses}
    ).encode()
    other = bytes.fromhex(VECTORS["vectors"][1]["token_response"])
    cases = [
        ("ok", body([b64(response)]), "Ok"),
        ("ok-unpadded", body([b64(response, pad=False)]), "Ok"),
        ("format-other", body([b64(response)], "selfreport.token-response/2"), "TokenMalformedResponse"),
        ("format-missing", json.dumps({"responses": [b64(response)]}).encode(), "TokenMalformedResponse"),
        ("extra-field", json.dumps({"format": "selfreport.token-response/1", "responses": [b64(response)], "more": 1}).encode(), "TokenMalformedResponse"),
        ("responses-not-array", json.dumps({"format": "selfreport.token-response/1", "responses": b64(response)}).encode(), "TokenMalformedResponse"),
        ("two-for-one", body([b64(response), b64(response)]), "TokenMalformedResponse"),
        ("none-for-one", body([]), "TokenMalformedResponse"),
        ("response-number", body([1]), "TokenMalformedResponse"),
        ("response-255-bytes", body([b64(response[1:])]), "TokenMalformedResponse"),
        ("response-257-bytes", body([b64(response + b"\x00")]), "TokenMalformedResponse"),
        ("response-standard-alphabet", body([b64(response, "std")]), "TokenMalformedResponse"),
        ("not-json", b"<html>502 Bad Gateway</html>", "TokenMalformedResponse"),
        ("top-level-array", json.dumps([b64(response)]).encode(), "TokenMalformedResponse"),
        ("null", b"null", "TokenMalformedResponse"),
        ("another-requests-response", body([b64(other)]), "TokenBadBlindSignature"),
        ("bit-flipped", body([b64(flip(response, 100))]), "TokenBadBlindSignature"),
        ("all-zero", body([b64(bytes(256))]), "TokenBadBlindSignature"),
        ("modulus-itself", body([b64(n.to_bytes(256, "big"))]), "TokenBadBlindSignature"),
        ("echo-of-the-request", body([b64(V["token_request"][3:])]), "TokenBadBlindSignature"),
    ]
    for index, (name, data, code) in enumerate(cases):
        write("token-replies", f"{index:03}-{name}", data, code)


if __name__ == "__main__":
    for cls in ["orders", "tokens", "token-replies"]:
        for old in (HERE / cls).glob("*"):
            old.unlink()
    order_cases()
    n = token_fixture()
    token_cases()
    reply_cases(n)
