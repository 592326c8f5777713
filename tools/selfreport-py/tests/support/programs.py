"""The project's binaries, run as a person or an operator would run them."""

import json
import os
import socket
import subprocess
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[4]
PASSPHRASE = "correct horse battery staple"


def binary_dir() -> Path:
    """`SELFREPORT_BIN_DIR`, or the checkout's own `target/debug`."""
    return Path(os.environ.get("SELFREPORT_BIN_DIR", REPO_ROOT / "target" / "debug"))


def program(name: str) -> Path:
    """The path of binary `name`; it must have been built."""
    path = binary_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `cargo build --workspace --bins` first")
    return path


def run(name: str, *args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Runs binary `name` with `args`, capturing output; fails loudly with its stderr."""
    result = subprocess.run(
        [str(program(name)), *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})},
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{name} {' '.join(args)} exited {result.returncode}: {result.stderr.strip()}")
    return result


def free_loopback_port() -> int:
    """A port the system just handed out on 127.0.0.1 and released."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


class Device:
    """A `selfreport` CLI store in `store`, trusting `trust` and the test CA."""

    def __init__(self, store: Path, ca_pem: Path):
        self.store = store
        self.ca_pem = ca_pem

    def cli(self, *args: str) -> str:
        """Runs `selfreport` on this store; returns stdout."""
        return run(
            "selfreport", "--store", str(self.store), "--pbkdf2-iterations", "1000",
            "--extra-root", str(self.ca_pem), *args,
            env={"SELFREPORT_PASSPHRASE": PASSPHRASE},
        ).stdout

    def json(self, *args: str) -> Any:
        """Runs a listing command with `--json` and parses its output."""
        return json.loads(self.cli(*args, "--json"))
