"""Reading docs/vectors/ (docs/vectors/README.md): where the directory is, and one
topic's vectors after checking the file's common shape."""

import json
import os
from pathlib import Path
from typing import Any

from .errors import WireError

VECTORS_FORMAT = "selfreport.vectors/1"
TOPICS = (
    "hpke",
    "padding",
    "receipt",
    "batch",
    "ledger",
    "signatures",
    "deletion",
    "notice",
    "token",
    "arrival",
)


class VectorFileInvalid(WireError):
    """A vector file does not have the common shape the README gives."""


def vectors_dir(repo_root: Path) -> Path:
    """`SELFREPORT_VECTORS_DIR`, or `docs/vectors` of the checkout at `repo_root`."""
    override = os.environ.get("SELFREPORT_VECTORS_DIR")
    return Path(override) if override else repo_root / "docs" / "vectors"


def load_topic(directory: Path, topic: str) -> list[dict[str, Any]]:
    """The vectors of `directory/topic.json`, each with a unique `name`."""
    value = json.loads((directory / f"{topic}.json").read_text(encoding="utf-8"))
    if value.get("format") != VECTORS_FORMAT or value.get("topic") != topic:
        raise VectorFileInvalid(f"{topic}.json: format {value.get('format')!r}, topic {value.get('topic')!r}")
    vectors = value.get("vectors")
    if not isinstance(vectors, list) or not vectors:
        raise VectorFileInvalid(f"{topic}.json: no vectors")
    names = [vector.get("name") for vector in vectors]
    if len(set(names)) != len(names) or not all(isinstance(name, str) for name in names):
        raise VectorFileInvalid(f"{topic}.json: names are not unique strings")
    return vectors
