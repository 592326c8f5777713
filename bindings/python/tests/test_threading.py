"""The threading contract: a long call does its work on the core's threads, never on the
caller's. The listener is called on a core thread, the event loop that awaits a sync of
many records keeps running, the key source is called off the caller's thread; `erase`
cancels a running sync, then erases; a closed core answers with a typed error."""

import asyncio
import datetime
import sys
import threading
import time
from pathlib import Path

import pytest

PROFILES = 24
DAYS = 5
HANDSHAKE_EVERY = 20


def os_thread_name(native_id):
    """The name the OS knows a thread by (Linux only; None elsewhere)."""
    comm = Path(f"/proc/self/task/{native_id}/comm")
    return comm.read_text().strip() if sys.platform.startswith("linux") and comm.exists() else None


async def store_with_records(sr, path, key, options, fixture, profiles=PROFILES, days=DAYS):
    """A store with the policy consented and `profiles * days` daily reports to send."""
    core = await sr.SelfReport.open(str(path), key, options)
    policy = core.install_policy(Path(fixture["signed_policy"]).read_bytes())
    core.grant_consent(policy.id)
    today = core.today()
    first = today - datetime.timedelta(days=days - 1)
    for member in range(profiles):
        profile = core.add_profile(
            sr.NewProfile(display_name=f"member {member}", name="王芳", id_number=None,
                          phone=None, birth_date=None, passport_number=None)
        )
        core.start_monitoring(profile, policy.id, first,
                              sr.MonitoringReason.SELF_REPORTED)
        for day in range(days):
            date = first + datetime.timedelta(days=day)
            core.save_record(profile, policy.id, "daily", date, fixture["answers"])
    return core


class ThreadProbe:
    """Records each callback's thread and, every HANDSHAKE_EVERY events, waits until the
    event loop's ticker advanced: a callback run on the loop would wait in vain."""

    def __init__(self, sr):
        self.ticks = 0
        self.threads = []
        self.stalled = False
        self.listener = type("Probe", (sr.SyncListener,), {"on_event": self.on_event})()

    def on_event(self, _event):
        self.threads.append((threading.get_ident(), threading.get_native_id()))
        if len(self.threads) % HANDSHAKE_EVERY == 1:
            before = self.ticks
            deadline = time.monotonic() + 10
            while self.ticks <= before + 1:
                if time.monotonic() > deadline:
                    self.stalled = True
                    return
                time.sleep(0.001)


def test_sync_works_on_core_threads_while_the_event_loop_keeps_running(
        sr, tmp_path, key, options, dropbox):
    probe = ThreadProbe(sr)

    async def main():
        core = await store_with_records(sr, tmp_path / "store", key, options, dropbox)

        async def ticker():
            while True:
                probe.ticks += 1
                await asyncio.sleep(0.001)

        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        before = probe.ticks
        summary = await core.sync(probe.listener, None)
        during = probe.ticks - before
        ticking.cancel()
        return summary, during, threading.get_ident()

    summary, ticks_during_sync, loop_thread = asyncio.run(main())
    assert summary.queued >= PROFILES * DAYS
    assert (summary.delivered, summary.failed) == (summary.queued, 0)
    assert len(probe.threads) == 2 * summary.queued
    assert all(ident != loop_thread for ident, _ in probe.threads), \
        "a listener callback ran on the event loop's thread"
    names = {os_thread_name(native) for _, native in probe.threads}
    assert names <= {"selfreport-core", None}
    assert not probe.stalled, "the event loop stalled during the sync"
    assert ticks_during_sync > 0


def test_the_key_source_is_called_off_the_callers_thread(sr, tmp_path, key, options):
    threads = []

    def wrap(_self, blob):
        threads.append(threading.get_ident())
        return key.wrap(blob)

    def unwrap(_self, blob):
        threads.append(threading.get_ident())
        return key.unwrap(blob)

    source = type("Recording", (sr.KeySource,), {"wrap": wrap, "unwrap": unwrap})()

    async def main():
        store = str(tmp_path / "store")
        await sr.SelfReport.open(store, source, options)
        core = await sr.SelfReport.open(store, source, options)
        await core.change_key(source)

    asyncio.run(main())
    assert len(threads) >= 3  # wrap at create, unwrap at open, wrap at change
    assert threading.get_ident() not in threads


def test_erase_cancels_a_running_sync_then_erases(sr, tmp_path, key, options, dropbox):
    store = tmp_path / "store"
    started = threading.Event()
    cancellation = sr.SyncCancellation()

    def hold_at_first_event(_self, _event):
        # Holds the sync at its first event until erase cancels it, so the erase surely
        # meets a running sync.
        if not started.is_set():
            started.set()
            deadline = time.monotonic() + 20
            while not cancellation.is_cancelled() and time.monotonic() < deadline:
                time.sleep(0.001)

    listener = type("Held", (sr.SyncListener,), {"on_event": hold_at_first_event})()

    async def main():
        core = await store_with_records(sr, store, key, options, dropbox)
        syncing = asyncio.create_task(core.sync(listener, cancellation))
        assert await asyncio.to_thread(started.wait, 30), "the sync did not start"
        await core.erase()
        return core, await syncing

    core, summary = asyncio.run(main())
    assert summary.cancelled and summary.delivered < summary.queued
    assert not sr.store_exists(str(store))
    assert not store.exists() or not any(p.is_file() for p in store.iterdir())
    with pytest.raises(sr.SelfReportError.Closed):
        core.profiles()


def test_a_closed_core_answers_every_call_with_closed(sr, tmp_path, key, options, fixture):
    async def main():
        core = await store_with_records(sr, tmp_path / "store", key, options, fixture, 1, 1)
        await core.erase()
        return core

    core = asyncio.run(main())
    policy = Path(fixture["signed_policy"]).read_bytes()
    for call in (core.today, core.policies, core.profiles, lambda: core.due(None),
                 lambda: core.install_policy(policy), lambda: core.has_consent("x"),
                 lambda: core.check_answers(sr.ProfileId(value="00" * 16), "x", "daily", None, {}),
                 lambda: core.delete_profile(sr.ProfileId(value="00" * 16)),
                 lambda: core.end_monitoring(sr.MonitoringId(value="00" * 16), None)):
        with pytest.raises(sr.SelfReportError.Closed) as raised:
            call()
        assert raised.value.code == "Closed"
    for call in (core.records, core.ledger, core.verify_ledger, core.export,
                 lambda: core.purge(None), lambda: core.sync(None, None),
                 lambda: core.request_deletion(sr.SubmissionId(value="00" * 16)), lambda: core.update_policy("x"),
                 core.erase):
        with pytest.raises(sr.SelfReportError.Closed):
            asyncio.run(call())


def test_cancelling_the_awaiting_task_stops_the_sync_mid_request(sr, tmp_path, key):
    """The sync runs on the core's threads, but cancelling the asyncio task that awaits it
    still stops it at once: the request in flight is dropped, the submission stays queued."""
    import json
    import re
    import socket
    import subprocess

    from conftest import TARGET

    # A fixture of its own: its port is free for a drop box that never answers.
    out = tmp_path / "fixture"
    subprocess.run([str(TARGET / "selfreport-fixture"), "--out", str(out)], check=True,
                   capture_output=True)
    own = json.loads((out / "fixture.json").read_text())
    port = int(re.search(r":(\d+)/", own["endpoint_url"]).group(1))
    options = sr.OpenOptions(
        trust_anchors=[sr.TrustAnchor(public_key=own["trust_anchor"], not_before=None, not_after=None)],
        extra_roots_der=[Path(own["ca_der"]).read_bytes()],
    )
    silent = socket.create_server(("127.0.0.1", port))
    silent.settimeout(30)

    async def main():
        core = await store_with_records(sr, tmp_path / "store", key, options, own, 1, 1)
        syncing = asyncio.create_task(core.sync(None, None))
        connection, _ = await asyncio.to_thread(silent.accept)
        connection.settimeout(20)
        hello = await asyncio.to_thread(connection.recv, 512)
        assert hello, "the TLS ClientHello: the request is in flight"
        syncing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await syncing
        cancelled_at = time.monotonic()

        def read_until_closed():
            try:
                while connection.recv(4096):
                    pass
            except ConnectionResetError:
                pass  # reset by the client: closed as well

        await asyncio.to_thread(read_until_closed)
        closed_after = time.monotonic() - cancelled_at
        connection.close()
        return core, closed_after

    try:
        core, closed_after = asyncio.run(main())
    finally:
        silent.close()
    # Long before the client's own 10-second connect and 30-second total timeouts.
    assert closed_after < 8, f"the connection stayed open {closed_after:.1f} s after the cancel"
    assert asyncio.run(core.records()).records[0].state == sr.RecordState.QUEUED
