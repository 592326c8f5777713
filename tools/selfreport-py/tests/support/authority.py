"""The authority's side of a live test: keys from `selfreport-authority keygen`, a test
policy written and signed at test time, and a `selfreport-endpoint serve` process."""

import base64
import datetime
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .pki import LoopbackPki
from .programs import program, run

POLICY_ID = "sh-wire-test"
FORM_ID = "daily"


def read_key(path: Path) -> bytes:
    """A key file's raw 32 bytes (one line of standard base64)."""
    return base64.b64decode(path.read_text().strip(), validate=True)


def live_policy_document(
    policy_format: str, url: str, pki: LoopbackPki, keys: Path, padded_bytes: dict[str, int] | None
) -> dict[str, Any]:
    """A daily form whose fields go to a health and an identity recipient. For
    `selfreport.policy/2`, `padded_bytes` is the declared size per recipient."""
    today = datetime.date.today()
    key = lambda name: (keys / name).read_text().strip()  # noqa: E731
    recipients: dict[str, Any] = {
        name: {"suite": suite, "public_key": key(f"recipient-{name}.pub")}
        for name, suite in (("health", "x25519-sha256-chacha20poly1305"),
                            ("identity", "x25519-sha256-aes128gcm"))
    }
    form: dict[str, Any] = {
        "id": FORM_ID, "once_per": "day", "requires_monitoring": True,
        "title": {"en": "Daily health report"},
        "fields": [
            {"id": "name", "kind": "person_name", "source": "profile", "required": True,
             "upload": "keep", "to": "identity"},
            {"id": "temperature", "kind": "temperature_c", "required": True,
             "upload": {"threshold": 37.3}, "to": "health"},
            {"id": "symptoms", "kind": "multi_choice", "codes": ["fever", "cough", "fatigue"],
             "required": True, "upload": "keep", "to": "health"},
            {"id": "district", "kind": "district", "upload": {"generalize": "city"}, "to": "health"},
            {"id": "contact_with_case", "kind": "yes_no", "required": True, "upload": "keep", "to": "health"},
            {"id": "notes", "kind": "text", "max_len": 200, "upload": "omit"},
        ],
    }
    document: dict[str, Any] = {
        "format": policy_format, "id": POLICY_ID, "version": 1,
        "issuer": {"name": {"en": "selfreport_wire live test"}},
        "purpose": {"code": "epidemic-control"},
        "valid_from": (today - datetime.timedelta(days=30)).isoformat(),
        "valid_until": (today + datetime.timedelta(days=180)).isoformat(),
        "endpoint": {"url": url, "spki_sha256": [pki.spki_pin], "receipt_key": key("receipt.pub")},
        "recipients": recipients,
        "monitoring": {"days": 14},
        "retention": {"device_days": 28, "server_days": 28},
        "padding": {"block_bytes": 512},
        "forms": [form],
    }
    if policy_format == "selfreport.policy/2":
        document["region"] = ["310000"]
        for name in recipients:
            recipients[name]["role"] = name
        if padded_bytes is not None:
            form["padded_bytes"] = padded_bytes
    return document


def sign_policy(keys: Path, document: dict[str, Any], directory: Path) -> Path:
    """Writes the document and signs it with `selfreport-authority sign-policy`."""
    unsigned = directory / "policy.json"
    unsigned.write_text(json.dumps(document, indent=2, ensure_ascii=False))
    signed = directory / "policy.signed.json"
    run("selfreport-authority", "sign-policy", "--key", str(keys / "signing.key"),
        "--in", str(unsigned), "--out", str(signed))
    return signed


@dataclass
class DropBox:
    """A running `selfreport-endpoint serve` and where it stores."""

    url: str
    db: Path
    process: subprocess.Popen

    def stop(self) -> None:
        """Terminates the process and waits for it."""
        self.process.terminate()
        self.process.wait(timeout=15)


def start_drop_box(port: int, db: Path, pki: LoopbackPki, keys: Path, signed_policy: Path) -> DropBox:
    """Starts the drop box on 127.0.0.1:`port` and waits for its "listening on" line."""
    process = subprocess.Popen(
        [str(program("selfreport-endpoint")), "serve", "--listen", f"127.0.0.1:{port}",
         "--db", str(db), "--tls-cert", str(pki.leaf_pem), "--tls-key", str(pki.leaf_key_pem),
         "--receipt-key", str(keys / "receipt.key"), "--policy", str(signed_policy)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    line = process.stdout.readline()
    if "listening on" not in line:
        process.kill()
        process.wait(timeout=15)
        raise AssertionError(f"the drop box did not start: {line!r}")
    return DropBox(f"https://127.0.0.1:{port}/v1", db, process)


_MINIMUM = re.compile(r"form `([a-z0-9_-]+)`, recipient `([a-z0-9_-]+)`: .*declare at least (\d+) bytes")


def minimum_padded_sizes(v1_document: dict[str, Any], directory: Path) -> dict[tuple[str, str], int]:
    """The sizes a `/1` document's parts are padded to, found the way protocol.md says:
    `selfreport-authority check-policy` on the document as a `/2` draft without sizes,
    which names the minimum for each form and recipient (read from its message)."""
    draft = json.loads(json.dumps(v1_document))
    draft["format"] = "selfreport.policy/2"
    draft["region"] = ["310000"]
    for name, recipient in draft["recipients"].items():
        recipient["role"] = name
    path = directory / "v2-draft.json"
    path.write_text(json.dumps(draft))
    result = run("selfreport-authority", "check-policy", str(path), check=False)
    sizes = {(form, recipient): int(size) for form, recipient, size in _MINIMUM.findall(result.stdout + result.stderr)}
    if not sizes:
        raise AssertionError(f"check-policy named no minimum size: {result.stdout}{result.stderr}")
    return sizes
