"""The device's hash-chained ledger, verified from `selfreport ledger --json` alone
(docs/vectors/README.md, `ledger.json`; protocol.md "The ledger").

Each printed entry carries its own fields plus `seq`, `format`, `prev_hash`, `hash` and
`bytes_hex` (the bytes that were hashed). For entries in order: `seq` runs 1, 2, 3...;
`prev_hash` is 64 zeros first and the previous `hash` after; `hash` = SHA-256(prev_hash
bytes || entry bytes). A `selfreport.ledger/2` entry's bytes are its printed fields (the
chain fields aside) in RFC 8785 JCS as restricted for entries, so they are rebuilt here
from what is printed; a `selfreport.ledger/1` entry (written before versioned entries) is hashed as
stored. Disclosure entries' receipts must verify by the entry's receipt key.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from . import encoding
from .canonical import dumps_jcs
from .errors import LedgerChainBroken, WireError
from .receipt import parse_receipt, verify_receipt

LEDGER_V1 = "selfreport.ledger/1"
LEDGER_V2 = "selfreport.ledger/2"
ZERO_HASH = "0" * 64
# Printed beside an entry's own fields, never part of its hashed bytes.
CHAIN_KEYS = frozenset(["seq", "prev_hash", "hash", "bytes_hex"])


@dataclass(frozen=True)
class LedgerSummary:
    """What a verified chain holds: its entries and how many disclosures were checked."""

    entries: int
    disclosures: int
    head: str


def entry_hash(prev_hash: str, entry_bytes: bytes) -> str:
    """SHA-256(the 32 bytes of prev_hash || the entry's bytes), lowercase hex."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + entry_bytes).hexdigest()


def entry_bytes(entry: dict[str, Any]) -> bytes:
    """The bytes a printed entry's hash covers: for `/2`, rebuilt canonically from the
    printed fields and required to equal `bytes_hex`; for `/1`, `bytes_hex` itself."""
    stored = bytes.fromhex(entry["bytes_hex"])
    if entry["format"] == LEDGER_V1:
        return stored
    if entry["format"] != LEDGER_V2:
        raise LedgerChainBroken(f"entry {entry['seq']}: unknown format {entry['format']!r}")
    rebuilt = dumps_jcs({key: value for key, value in entry.items() if key not in CHAIN_KEYS})
    if rebuilt != stored:
        raise LedgerChainBroken(f"entry {entry['seq']}: the printed fields are not the hashed bytes")
    return rebuilt


def verify_ledger(printed: dict[str, Any]) -> LedgerSummary:
    """Verifies the chain of a parsed `selfreport ledger --json` output; raises
    `LedgerChainBroken` at the first entry that does not verify."""
    entries = printed.get("entries") if isinstance(printed, dict) else None
    if not isinstance(entries, list):
        raise LedgerChainBroken("no `entries` array")
    previous, disclosures = ZERO_HASH, 0
    for position, entry in enumerate(entries, start=1):
        try:
            _check_form(entry, position)
            if entry["prev_hash"] != previous:
                raise LedgerChainBroken(f"entry {position}: prev_hash is not the previous entry's hash")
            if entry_hash(previous, entry_bytes(entry)) != entry["hash"]:
                raise LedgerChainBroken(f"entry {position}: hash does not match its bytes")
            if entry.get("event") == "disclosure":
                _verify_disclosure_receipt(entry)
                disclosures += 1
        except LedgerChainBroken:
            raise
        except (WireError, KeyError, TypeError, ValueError) as error:
            raise LedgerChainBroken(f"entry {position}: {type(error).__name__}: {error}") from None
        previous = entry["hash"]
    return LedgerSummary(len(entries), disclosures, previous)


def _check_form(entry: Any, position: int) -> None:
    if not isinstance(entry, dict) or not CHAIN_KEYS | {"format"} <= set(entry):
        raise LedgerChainBroken(f"entry {position}: lacks seq, format, prev_hash, hash or bytes_hex")
    if type(entry["seq"]) is not int or entry["seq"] != position:
        raise LedgerChainBroken(f"entry {position}: seq is {entry['seq']!r}")
    encoding.lower_hex(entry["prev_hash"], 64, "prev_hash")
    encoding.lower_hex(entry["hash"], 64, "hash")
    if not isinstance(entry["bytes_hex"], str) or len(entry["bytes_hex"]) % 2:
        raise LedgerChainBroken(f"entry {position}: bytes_hex is not hex")
    encoding.lower_hex(entry["bytes_hex"], len(entry["bytes_hex"]), "bytes_hex")


def _verify_disclosure_receipt(entry: dict[str, Any]) -> None:
    receipt = parse_receipt(entry["receipt"])
    key = encoding.std_b64(entry["receipt_key"], "receipt_key", 32)
    verify_receipt(receipt, key)
    named = (receipt.submission_id, receipt.policy_id, receipt.policy_version, receipt.body_sha256)
    own = (entry["submission_id"], entry["policy_id"], entry["policy_version"], entry["body_sha256"])
    if named != own:
        raise LedgerChainBroken(f"entry {entry['seq']}: the receipt names {named}, the entry {own}")
