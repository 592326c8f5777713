"""The package under test is the wheel, installed: the committed generated module and the
native library inside it, at the workspace's version."""

import importlib.metadata
import re
import sys
from pathlib import Path

from conftest import ROOT


def workspace_version():
    cargo = (ROOT / "Cargo.toml").read_text()
    section = cargo.split("[workspace.package]", 1)[1]
    return re.search(r'^version = "([^"]+)"', section, re.M).group(1)


def test_the_package_is_installed_in_the_environment_not_imported_from_the_source_tree(sr):
    package = Path(sr.__file__).resolve().parent
    assert package.is_relative_to(Path(sys.prefix).resolve()), package
    assert sys.prefix != sys.base_prefix, "the tests run in a virtual environment"
    assert not package.is_relative_to(ROOT / "bindings"), "not the source tree"


def test_the_wheel_carries_the_committed_module_and_the_native_library(sr):
    package = Path(sr.__file__).resolve().parent
    committed = ROOT / "bindings" / "generated" / "python" / "selfreport.py"
    assert (package / "selfreport.py").read_bytes() == committed.read_bytes()
    libraries = [p.name for p in package.iterdir() if p.name.startswith("libselfreport_ffi.")]
    assert libraries in (["libselfreport_ffi.so"], ["libselfreport_ffi.dylib"]), libraries


def test_the_distribution_has_the_workspace_version():
    assert importlib.metadata.version("selfreport") == workspace_version()
