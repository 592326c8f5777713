"""pytest set-up for the Python bindings: loads the generated module with the host
library, makes a fresh loopback drop box fixture (keys, TLS, signed policies) with
`selfreport-fixture`, and runs the real `selfreport-endpoint` for the tests that sync."""

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("SELFREPORT_TARGET_DIR", ROOT / "target")) / "debug"
LIBRARY = "libselfreport_ffi.dylib" if sys.platform == "darwin" else "libselfreport_ffi.so"


@pytest.fixture(scope="session")
def sr(tmp_path_factory):
    """The generated `selfreport` module, loaded beside a copy of the host library
    (uniffi's Python loader looks for the library next to the module)."""
    # SELFREPORT_FFI_LIBRARY tests another build of the library, such as the release
    # cdylib apps ship (scripts/ffi-size builds it).
    library = Path(os.environ.get("SELFREPORT_FFI_LIBRARY", TARGET / LIBRARY))
    if not library.exists():
        pytest.fail(f"{library} is missing: run `cargo build -p selfreport-ffi` first")
    home = tmp_path_factory.mktemp("module")
    shutil.copy(ROOT / "bindings" / "generated" / "python" / "selfreport.py", home)
    shutil.copy(library, home)
    sys.path.insert(0, str(home))
    return importlib.import_module("selfreport")


@pytest.fixture(scope="session")
def fixture(tmp_path_factory):
    """Keys, test PKI and signed policies made by `selfreport-fixture`."""
    out = tmp_path_factory.mktemp("fixture")
    program = TARGET / "selfreport-fixture"
    if not program.exists():
        pytest.fail(f"{program} is missing: run `cargo build --workspace --bins` first")
    subprocess.run([str(program), "--out", str(out)], check=True, capture_output=True)
    return json.loads((out / "fixture.json").read_text())


@pytest.fixture(scope="session")
def dropbox(fixture):
    """The real drop box, `selfreport-endpoint serve`, on the fixture's loopback port."""
    process = subprocess.Popen(
        fixture["endpoint_command"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline()
    if "listening on" not in line:
        process.kill()
        pytest.fail(f"the drop box did not start: {line!r}")
    yield fixture
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def options(sr, fixture):
    """Options trusting the fixture's authority key and its test CA."""
    return sr.OpenOptions(
        trust_anchors=[
            sr.TrustAnchor(public_key=fixture["trust_anchor"], not_before=None, not_after=None)
        ],
        extra_roots_der=[Path(fixture["ca_der"]).read_bytes()],
    )


@pytest.fixture
def key(sr):
    """A passphrase key source at a test iteration count (the default is 600,000)."""
    return sr.passphrase_key_source("correct horse battery staple", 1000)
