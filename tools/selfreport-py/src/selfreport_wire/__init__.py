"""selfreport_wire: selfreport's wire protocol implemented a second time, from
docs/protocol.md, docs/policy-format.md and docs/vectors/README.md alone.

Modules, one job each: `encoding` (hex, base64, times), `canonical` (canonical JSON),
`suites` (HPKE seal/open, info, aad), `signatures` (Ed25519), `signed` (envelopes, key
ids, delegation chains), `policy` (what a policy says), `padding` (padded sizes),
`plaintext` (the submission plaintext), `fields` (a part's fields against its form),
`sealed_body` (the request body), `sealing` and `opening` (whole submissions),
`receipt` (single and batch receipts), `deletion` (tokens), `ledger` (the device's
hash chain), `vectors` (docs/vectors files).
"""
