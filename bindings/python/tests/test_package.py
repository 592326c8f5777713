"""The package under test is the wheel, installed: the committed generated module and the
native library inside it, at the workspace's version."""

import asyncio
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest
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


def test_the_library_and_the_bindings_are_of_the_workspace_version(sr):
    assert sr.library_version() == workspace_version()
    assert sr.OpenOptions(trust_anchors=[], extra_roots_der=[]).bindings_version == workspace_version()


def test_open_refuses_bindings_of_another_release(sr, options, key, tmp_path):
    options.bindings_version = "0.0.9"
    store = tmp_path / "store"
    with pytest.raises(sr.SelfReportError.Incompatible) as refused:
        asyncio.run(sr.SelfReport.open(str(store), key, options))
    assert refused.value.code == "BindingsVersion"
    assert "selfreport 0.0.9" in refused.value.detail
    assert f"selfreport {workspace_version()}" in refused.value.detail
    assert not store.exists()
