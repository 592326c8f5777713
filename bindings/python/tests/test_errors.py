"""Typed errors through the Python bindings: wrong key, invalid answers, refused
policies, a lost or failing key source (and the reset path), bad arguments."""

import asyncio
from pathlib import Path

import pytest


def test_wrong_key_is_typed_and_changes_nothing(sr, tmp_path, key, options):
    store = str(tmp_path / "store")
    asyncio.run(sr.SelfReport.open(store, key, options))
    before = {p.name: p.read_bytes() for p in Path(store).iterdir() if p.is_file()}
    with pytest.raises(sr.SelfReportError.WrongKey) as raised:
        asyncio.run(sr.SelfReport.open(store, sr.passphrase_key_source("not the passphrase", 1000), options))
    assert raised.value.code == "WrongKey"
    after = {p.name: p.read_bytes() for p in Path(store).iterdir() if p.is_file()}
    assert after == before


def test_invalid_answer_names_the_field_and_saves_nothing(sr, tmp_path, key, options, fixture):
    core = asyncio.run(sr.SelfReport.open(str(tmp_path / "store"), key, options))
    policy = core.install_policy(Path(fixture["signed_policy"]).read_bytes())
    profile = core.add_profile(
        sr.NewProfile(display_name="Dad", name="李雷", id_number=None, phone=None,
                      birth_date=None, passport_number=None)
    )
    answers = dict(fixture["answers"], temperature="45.0")
    with pytest.raises(sr.SelfReportError.InvalidInput) as raised:
        core.save_record(profile, policy.id, "daily", None, answers)
    assert raised.value.field == "temperature" and raised.value.rule == "OutOfRange"
    assert asyncio.run(core.records()).records == []
    with pytest.raises(sr.SelfReportError.InvalidInput) as raised:
        core.record(sr.RecordId(value="28/11/2026"))
    assert raised.value.field == "record_id"
    with pytest.raises(sr.SelfReportError.InvalidInput):
        core.add_profile(sr.NewProfile(display_name="X", name=None, id_number="110101199003070000",
                                       phone=None, birth_date=None, passport_number=None))


def test_untrusted_policy_is_refused_and_the_installed_one_kept(sr, tmp_path, key, options, fixture):
    core = asyncio.run(sr.SelfReport.open(str(tmp_path / "store"), key, options))
    core.install_policy(Path(fixture["signed_policy"]).read_bytes())
    with pytest.raises(sr.SelfReportError.PolicyRefused) as raised:
        core.install_policy(Path(fixture["untrusted_policy"]).read_bytes())
    assert raised.value.code == "PolicyUnknownKey"
    with pytest.raises(sr.SelfReportError.PolicyRefused):
        core.install_policy(b"{not a policy")
    assert [policy.id for policy in core.policies()] == [fixture["policy_id"]]


class Switchable:
    """A key source written in Python, delegating to the passphrase source, that can be
    told to lose its key or to throw."""

    def __init__(self, sr, inner):
        self.sr = sr
        self.inner = inner
        self.mode = "ok"
        self.source = type("Source", (sr.KeySource,), {"wrap": self.wrap, "unwrap": self.unwrap})()

    def wrap(self, key):
        return self.inner.wrap(key)

    def unwrap(self, blob):
        if self.mode == "lost":
            raise self.sr.KeySourceError.Unavailable(reason="keystore was reset")
        if self.mode == "throws":
            raise RuntimeError("the keystore crashed")
        return self.inner.unwrap(blob)


def test_lost_key_is_typed_and_the_app_can_reset(sr, tmp_path, key, options):
    store = str(tmp_path / "store")
    source = Switchable(sr, key)
    asyncio.run(sr.SelfReport.open(store, source.source, options)).add_profile(
        sr.NewProfile(display_name="Kid", name=None, id_number=None, phone=None,
                      birth_date=None, passport_number=None)
    )
    source.mode = "lost"
    with pytest.raises(sr.SelfReportError.KeyUnavailable):
        asyncio.run(sr.SelfReport.open(store, source.source, options))
    asyncio.run(sr.erase_store(store))
    source.mode = "ok"
    fresh = asyncio.run(sr.SelfReport.open(store, source.source, options))
    assert fresh.profiles() == []


def test_an_exception_inside_the_key_source_is_a_typed_error(sr, tmp_path, key, options):
    store = str(tmp_path / "store")
    source = Switchable(sr, key)
    asyncio.run(sr.SelfReport.open(store, source.source, options))
    source.mode = "throws"
    with pytest.raises(sr.SelfReportError.KeySourceFailed) as raised:
        asyncio.run(sr.SelfReport.open(store, source.source, options))
    assert raised.value.code == "KeySourceFailed"
    source.mode = "ok"
    asyncio.run(sr.SelfReport.open(store, source.source, options))
