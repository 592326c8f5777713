#!/usr/bin/env python3
"""Writes the corpus class `passes/` (see README.md), deterministically: arrival passes
(`selfreport.arrival-pass/1`) as a checkpoint scans them, each fed to
`ArrivalPass::verify` for policy `sh-arrivals` at 2026-12-08T09:31:00Z.

Written from docs/protocol.md ("Arrival pass and confirmation") with the `cryptography`
package's Ed25519 and hashlib, not with the Rust code: the Rust side must accept what
this independent writer produces and refuse each broken case with its documented code.

    python3 tests/corpus/generate-pass-cases.py
"""

import base64
import hashlib
import json
import pathlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

HERE = pathlib.Path(__file__).resolve().parent / "passes"
POLICY = "sh-arrivals"
SHOWN_AT = "2026-12-08T09:30:00Z"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def key(byte):
    return Ed25519PrivateKey.from_private_bytes(bytes([byte]) * 32)


def public(private):
    return private.public_key().public_bytes_raw()


def pseudonym_of(public_key):
    return hashlib.sha256(b"selfreport.pseudonym/1\n" + public_key).digest()[:16].hex()


def canonical(members):
    return json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def members(private=None, policy=POLICY, shown_at=SHOWN_AT, pseudonym=None, signed_policy=None,
            signed_pseudonym=None, signed_shown_at=None, signer=None):
    private = private or key(0x21)
    pseudonym = pseudonym or pseudonym_of(public(private))
    message = "selfreport.arrival-pass/1\n{}\n{}\n{}".format(
        signed_policy or policy, signed_pseudonym or pseudonym, signed_shown_at or shown_at
    ).encode()
    signature = (signer or private).sign(message)
    return {
        "format": "selfreport.arrival-pass/1",
        "key": b64url(public(private)),
        "policy_id": policy,
        "pseudonym": pseudonym,
        "shown_at": shown_at,
        "signature": b64url(signature),
    }


def changed(**updates):
    value = members()
    for name, replacement in updates.items():
        if replacement is None:
            del value[name]
        else:
            value[name] = replacement
    return canonical(value)


def cases():
    other = members(key(0x22))
    yield "ok", canonical(members()), "Ok"
    yield "ok-other-key", canonical(members(key(0x22))), "Ok"
    yield "ok-trailing-newline", canonical(members()) + b"\n", "Ok"
    yield "ok-shown-two-minutes-ahead", canonical(members(shown_at="2026-12-08T09:33:00Z")), "Ok"
    yield "ok-shown-ten-minutes-ago", canonical(members(shown_at="2026-12-08T09:21:00Z")), "Ok"
    # The proof does not hold.
    yield "another-keys-pseudonym", changed(pseudonym=other["pseudonym"]), "ArrivalPassBadProof"
    yield "another-key-signing", canonical(members(signer=key(0x22))), "ArrivalPassBadProof"
    yield "key-and-signature-of-another", changed(key=other["key"], signature=other["signature"]), "ArrivalPassBadProof"
    yield "signed-for-another-time", canonical(members(signed_shown_at="2026-12-08T09:29:59Z")), "ArrivalPassBadProof"
    yield "signed-for-another-policy", canonical(members(signed_policy="sh-daily-health")), "ArrivalPassBadProof"
    yield "signature-of-zeros", changed(signature=b64url(bytes(64))), "ArrivalPassBadProof"
    # Stale or from the future.
    yield "shown-eleven-minutes-ago", canonical(members(shown_at="2026-12-08T09:19:59Z")), "ArrivalPassStale"
    yield "shown-three-minutes-ahead", canonical(members(shown_at="2026-12-08T09:34:00Z")), "ArrivalPassStale"
    yield "shown-last-year", canonical(members(shown_at="2025-12-08T09:30:00Z")), "ArrivalPassStale"
    # For another policy.
    yield "another-policy", canonical(members(policy="sh-daily-health")), "ArrivalPassWrongPolicy"
    # Not a pass.
    yield "empty", b"", "ArrivalPassMalformed"
    yield "not-json", b"selfreport.arrival-pass/1", "ArrivalPassMalformed"
    yield "array", b"[]", "ArrivalPassMalformed"
    yield "spaces", json.dumps(members(), sort_keys=True).encode(), "ArrivalPassMalformed"
    yield "keys-out-of-order", json.dumps(dict(reversed(list(members().items()))), separators=(",", ":")).encode(), "ArrivalPassMalformed"
    yield "duplicate-format", canonical(members()).replace(b"{", b'{"format":"x",', 1), "ArrivalPassMalformed"
    yield "format-2", changed(format="selfreport.arrival-pass/2"), "ArrivalPassMalformed"
    yield "missing-signature", changed(signature=None), "ArrivalPassMalformed"
    yield "missing-key", changed(key=None), "ArrivalPassMalformed"
    yield "unknown-member", canonical({**members(), "name": "林晓雯"}), "ArrivalPassMalformed"
    yield "key-a-number", canonical({**members(), "key": 7}), "ArrivalPassMalformed"
    yield "key-padded", changed(key=members()["key"] + "="), "ArrivalPassMalformed"
    yield "key-31-bytes", changed(key=b64url(public(key(0x21))[:31])), "ArrivalPassMalformed"
    yield "key-standard-base64", changed(key=base64.b64encode(public(key(0x23))).decode()), "ArrivalPassMalformed"
    yield "signature-63-bytes", changed(signature=b64url(bytes(63))), "ArrivalPassMalformed"
    yield "pseudonym-upper-case", changed(pseudonym=members()["pseudonym"].upper()), "ArrivalPassMalformed"
    yield "pseudonym-short", changed(pseudonym=members()["pseudonym"][:30]), "ArrivalPassMalformed"
    yield "shown-at-offset", changed(shown_at="2026-12-08T17:30:00+08:00"), "ArrivalPassMalformed"
    yield "shown-at-fraction", changed(shown_at="2026-12-08T09:30:00.000Z"), "ArrivalPassMalformed"
    yield "shown-at-date", changed(shown_at="2026-12-08"), "ArrivalPassMalformed"
    yield "too-long", canonical({**members(), "format": "x" * 1100}), "ArrivalPassMalformed"


def main():
    HERE.mkdir(exist_ok=True)
    for old in HERE.iterdir():
        old.unlink()
    for number, (name, data, code) in enumerate(cases()):
        stem = f"{number:03d}-{name}"
        (HERE / f"{stem}.json").write_bytes(data)
        (HERE / f"{stem}.expect").write_text(code + "\n")


if __name__ == "__main__":
    main()
