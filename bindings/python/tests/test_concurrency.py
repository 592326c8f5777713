"""One `SelfReport` shared by several threads, and the logger seeing no personal data."""

import asyncio
import threading
from pathlib import Path


NAMES = ["赵一", "钱二", "孙三", "李四", "周五", "吴六", "郑七", "王八"]


def test_calls_from_several_threads_at_once(sr, tmp_path, key, options, fixture):
    core = asyncio.run(sr.SelfReport.open(str(tmp_path / "store"), key, options))
    policy = core.install_policy(Path(fixture["signed_policy"]).read_bytes())
    errors = []

    def family_member(n):
        try:
            profile = core.add_profile(
                sr.NewProfile(display_name=f"member {n}", name=NAMES[n], id_number=None,
                              phone=None, birth_date=None, passport_number=None)
            )
            core.save_record(profile, policy.id, "daily", None, fixture["answers"])
            asyncio.run(core.records())
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=family_member, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(core.profiles()) == 8
    assert len(asyncio.run(core.records()).records) == 8


def test_logger_receives_lines_without_personal_data(sr, tmp_path, key, options, fixture):
    lines = []
    logger = type("Lines", (sr.Logger,), {
        "log": lambda self, level, target, message: lines.append((level, target, message))
    })()
    sr.set_logger(logger)
    try:
        core = asyncio.run(sr.SelfReport.open(str(tmp_path / "store"), key, options))
        policy = core.install_policy(Path(fixture["signed_policy"]).read_bytes())
        profile = core.add_profile(
            sr.NewProfile(display_name="Grandma", name="Canarina Quill", id_number=None,
                          phone="+8613912345678", birth_date=None, passport_number=None)
        )
        record = core.save_record(profile, policy.id, "daily", None, fixture["answers"])
        try:
            core.save_record(profile, policy.id, "daily", None,
                             dict(fixture["answers"], temperature="99.9"))
        except sr.SelfReportError.InvalidInput:
            pass
    finally:
        sr.set_logger(None)
    text = "\n".join(message for _, _, message in lines)
    assert "save_record: ok" in text
    assert "save_record: failed with" in text
    for secret in ("Canarina Quill", "+8613912345678", "canary-note-7f3a9c", "99.9",
                   "Grandma", profile.value, record.id.value):
        assert secret not in text


def test_a_throwing_logger_or_listener_never_fails_the_operation(sr, tmp_path, key, options, dropbox):
    def explode(*_args):
        raise RuntimeError("the app's callback crashed")

    sr.set_logger(type("Broken", (sr.Logger,), {"log": explode})())
    try:
        core = asyncio.run(sr.SelfReport.open(str(tmp_path / "store"), key, options))
        policy = core.install_policy(Path(dropbox["signed_policy"]).read_bytes())
        profile = core.add_profile(
            sr.NewProfile(display_name="Aunt", name="周敏", id_number=None, phone=None,
                          birth_date=None, passport_number=None)
        )
        core.save_record(profile, policy.id, "daily", None, dropbox["answers"])
        core.grant_consent(policy.id)
        listener = type("BrokenListener", (sr.SyncListener,), {"on_event": explode})()
        summary = asyncio.run(core.sync(listener, None))
    finally:
        sr.set_logger(None)
    assert (summary.queued, summary.delivered, summary.failed) == (1, 1, 0)
    assert asyncio.run(core.verify_ledger()).valid
