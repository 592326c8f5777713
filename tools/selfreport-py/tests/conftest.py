"""Shared fixtures: the test vectors directory (docs/vectors/ of this checkout unless
SELFREPORT_VECTORS_DIR names another) and the session's live drop box set-up."""

import os
from pathlib import Path

import pytest

from selfreport_wire.vectors import vectors_dir
from support.programs import REPO_ROOT


@pytest.fixture(scope="session")
def vectors() -> Path:
    """The vectors directory. Missing, it fails the test: only a developer's explicit
    SELFREPORT_VECTORS_OPTIONAL=1 turns that into a skip (never set in CI)."""
    directory = vectors_dir(REPO_ROOT)
    if not (directory / "README.md").is_file():
        message = f"no test vectors at {directory} (docs/vectors/README.md is missing)"
        if os.environ.get("SELFREPORT_VECTORS_OPTIONAL") == "1":
            pytest.skip(message)
        pytest.fail(message)
    return directory
