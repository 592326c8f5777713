"""pytest set-up for the Python bindings: imports the installed selfreport package, makes
a fresh loopback drop box fixture (keys, TLS, signed policies) with `selfreport-fixture`,
and runs the real `selfreport-endpoint` for the tests that sync."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("SELFREPORT_TARGET_DIR", ROOT / "target")) / "debug"


@pytest.fixture(scope="session")
def sr():
    """The installed `selfreport` package (the wheel bindings/python/run-tests builds and
    installs into a fresh virtual environment), never a module from the source tree."""
    try:
        import selfreport
    except ImportError:
        pytest.fail("the selfreport package is not installed: run bindings/python/run-tests, "
                    "which builds the wheel and installs it into a fresh virtual environment")
    if Path(selfreport.__file__).resolve().is_relative_to(ROOT / "bindings"):
        pytest.fail(f"selfreport was imported from the source tree ({selfreport.__file__})")
    return selfreport


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
