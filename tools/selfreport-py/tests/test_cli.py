"""`python -m selfreport_wire`, run as a separate process as a person would run it."""

import json
import os
import subprocess
import sys
from pathlib import Path

from test_ledger import chain

SRC = Path(__file__).resolve().parents[1] / "src"


def wire(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "selfreport_wire", *args], input=stdin, capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(SRC)}, timeout=60)


def test_verify_ledger_accepts_a_good_chain_and_refuses_a_changed_one(tmp_path):
    good = tmp_path / "ledger.json"
    good.write_text(json.dumps(chain()))
    result = wire("verify-ledger", str(good))
    assert result.returncode == 0 and b"3 entries, 1 receipts" in result.stdout
    changed = chain()
    changed["entries"][1]["form"] = "arrival"
    result = wire("verify-ledger", "-", stdin=json.dumps(changed).encode())
    assert result.returncode == 1 and b"LedgerChainBroken" in result.stderr


def test_a_usage_error_exits_2():
    assert wire("verify-ledger").returncode == 2
