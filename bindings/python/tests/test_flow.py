"""The whole flow through the Python bindings, against a real drop box on loopback:
open, install a signed policy, profiles, monitoring, save and amend, preview, consent,
async sync with progress, ledger, export, erase."""

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

NAME = "王芳-canary"
PHONE = "+8613800138000"
NOTE = "canary-note-7f3a9c"


def open_with_policy(sr, tmp_path, key, options, fixture):
    core = asyncio.run(sr.SelfReport.open(str(tmp_path / "store"), key, options))
    policy = core.install_policy(Path(fixture["signed_policy"]).read_bytes())
    profile = core.add_profile(
        sr.NewProfile(
            display_name="Mum",
            name=NAME,
            id_number=None,
            phone=PHONE,
            birth_date=None,
            passport_number=None,
        )
    )
    return core, policy, profile


class Progress:
    """Collects sync events (called from a background thread)."""

    def __init__(self, sr):
        self.events = []
        self.listener = type("Listener", (sr.SyncListener,), {"on_event": self.on_event})()

    def on_event(self, event):
        self.events.append(event)


def test_whole_flow_delivers_only_the_minimized_fields(sr, tmp_path, key, options, dropbox):
    core, policy, profile = open_with_policy(sr, tmp_path, key, options, dropbox)
    assert policy.id == dropbox["policy_id"]
    assert policy.issuer["en"] and policy.purpose["zh"]
    fields = {field.id: field for field in policy.forms[0].fields}
    assert fields["name"].from_profile and fields["notes"].transform == "omit"
    assert isinstance(fields["symptoms"].kind, sr.FieldKind.MULTI_CHOICE)

    core.start_monitoring(profile, policy.id, None, sr.MonitoringReason.ARRIVAL)
    due = core.due(None)
    assert [(item.profile_id, item.form_id) for item in due] == [(profile, "daily")]

    answers = dict(dropbox["answers"])
    first = core.save_record(profile, policy.id, "daily", None, answers)
    answers["temperature"] = "36.8"
    amended = core.save_record(profile, policy.id, "daily", None, answers)
    assert amended.id == first.id and amended.amended
    assert core.due(None) == []
    assert core.record(first.id).answers["temperature"] == "36.8"

    preview = core.preview(first.id)
    health = next(part for part in preview.parts if part.recipient == "health")
    sent = json.loads(health.json)
    assert sent["fields"]["temperature"] is False  # 36.8 is under the 37.3 threshold
    assert sent["fields"]["district"] == "310100"  # generalized to the city
    assert all(NOTE not in part.json for part in preview.parts)
    notes = next(field for field in preview.fields if field.field == "notes")
    assert notes.before == NOTE and notes.after is None

    # Without consent nothing is sealed or sent.
    before_consent = asyncio.run(core.sync(None, None))
    assert (before_consent.queued, before_consent.delivered) == (0, 0)
    assert asyncio.run(core.records()).records[0].state == sr.RecordState.SAVED

    core.grant_consent(policy.id)
    progress = Progress(sr)
    summary = asyncio.run(core.sync(progress.listener, None))
    assert (summary.queued, summary.delivered, summary.failed) == (1, 1, 0)
    kinds = [type(event).__name__.split(".")[-1] for event in progress.events]
    assert kinds == ["QUEUED", "DELIVERED"]
    assert asyncio.run(core.records()).records[0].state == sr.RecordState.SENT

    disclosures = [e.event for e in asyncio.run(core.ledger()) if isinstance(e.event, sr.LedgerEvent.DISCLOSURE)]
    assert len(disclosures) == 1 and disclosures[0].receipt_signature
    assert {f.field for f in disclosures[0].fields} == {
        "name", "phone", "temperature", "symptoms", "district", "contact_with_case"
    }
    check = asyncio.run(core.verify_ledger())
    assert check.valid and check.receipts_verified == 1

    stored = sqlite3.connect(dropbox["dropbox_db"]).execute("SELECT * FROM submissions").fetchall()
    raw = repr(stored).encode()
    for value in (NAME, PHONE, NOTE, "36.8"):
        assert value.encode() not in raw

    exported = json.loads(asyncio.run(core.export()))
    assert exported["format"] == "selfreport.export/1"
    assert exported["profiles"][0]["name"] == NAME

    store = tmp_path / "store"
    asyncio.run(core.erase())
    assert not sr.store_exists(str(store))
    with pytest.raises(sr.SelfReportError.Closed):
        core.profiles()


def test_cancelled_sync_sends_nothing_and_keeps_the_queue(sr, tmp_path, key, options, dropbox):
    core, policy, profile = open_with_policy(sr, tmp_path, key, options, dropbox)
    core.save_record(profile, policy.id, "daily", None, dropbox["answers"])
    core.grant_consent(policy.id)
    cancellation = sr.SyncCancellation()
    cancellation.cancel()
    summary = asyncio.run(core.sync(None, cancellation))
    assert summary.cancelled and summary.delivered == 0
    assert asyncio.run(core.records()).records[0].state == sr.RecordState.QUEUED
    assert asyncio.run(core.sync(None, None)).delivered == 1


def test_a_version_that_lets_more_leave_needs_consent_again(sr, tmp_path, key, options, dropbox):
    core, policy, _ = open_with_policy(sr, tmp_path, key, options, dropbox)
    assert isinstance(core.consent_status(policy.id), sr.ConsentStatus.NOT_ASKED)
    core.grant_consent(policy.id)
    granted = core.consent_status(policy.id)
    assert isinstance(granted, sr.ConsentStatus.GRANTED)
    assert granted.consented_version == granted.version == policy.version

    # Version 2 by the same authority keeps the temperature as typed.
    wider = core.install_policy(Path(dropbox["wider_policy_v2"]).read_bytes())
    status = core.consent_status(policy.id)
    assert isinstance(status, sr.ConsentStatus.WIDENED)
    assert (status.consented_version, status.version) == (policy.version, wider.version)
    assert any(line.startswith("field daily/temperature") for line in status.widened), status.widened
    assert not core.has_consent(policy.id)

    core.grant_consent(policy.id)
    again = core.consent_status(policy.id)
    assert isinstance(again, sr.ConsentStatus.GRANTED)
    assert again.consented_version == wider.version
    assert core.has_consent(policy.id)
    asyncio.run(core.erase())


def test_a_revoked_version_stops_sending_and_the_person_is_told_why(sr, tmp_path, key, options, dropbox):
    core, policy, profile = open_with_policy(sr, tmp_path, key, options, dropbox)
    core.start_monitoring(profile, policy.id, None, sr.MonitoringReason.ARRIVAL)
    core.grant_consent(policy.id)
    core.save_record(profile, policy.id, "daily", None, dropbox["answers"])
    status = core.revocation_status(policy.id)
    assert isinstance(status, sr.RevocationStatus.NOT_REVOKED) and status.list is None

    signed = Path(dropbox["revocations"]).read_bytes()
    update = asyncio.run(core.install_revocations(signed))
    assert update.changed and update.revoked_policies == [policy.id]
    assert update.list.sequence == 1 and not update.list.stale
    status = core.revocation_status(policy.id)
    assert isinstance(status, sr.RevocationStatus.VERSION_REVOKED)
    assert (status.version, status.reason) == (policy.version, "superseded")
    assert status.list.sequence == 1 and not status.list.stale

    # Nothing is sealed or sent under it; the ledger says why.
    assert asyncio.run(core.sync(None, None)).delivered == 0
    events = [entry.event for entry in asyncio.run(core.ledger())]
    revoked = [event for event in events if isinstance(event, sr.LedgerEvent.POLICY_REVOKED)]
    assert len(revoked) == 1 and revoked[0].reason == "superseded" and revoked[0].revoked == "version"
    assert asyncio.run(core.verify_ledger()).valid

    # The same list again changes nothing; garbage is refused with a stable code.
    assert not asyncio.run(core.install_revocations(signed)).changed
    with pytest.raises(sr.SelfReportError) as refused:
        asyncio.run(core.install_revocations(b"{}"))
    assert refused.value.code == "PolicyBadRevocations"
    asyncio.run(core.erase())
