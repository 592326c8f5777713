"""The API an app builds its screens on (issue 17): forms described for a UI, answers
checked without saving, dates as datetime.date and ids as types of their own, profiles
edited and deleted, monitoring periods ended, the export with its ledger and outbox."""

import asyncio
import datetime
import json
from pathlib import Path

import pytest

VALID = {"temperature": "36.8", "symptoms": "", "district": "310104", "contact_with_case": "no"}


def opened(sr, tmp_path, key, options, fixture):
    core = asyncio.run(sr.SelfReport.open(str(tmp_path / "store"), key, options))
    policy = core.install_policy(Path(fixture["signed_policy"]).read_bytes())
    profile = core.add_profile(sr.NewProfile(display_name="Mum", name="王芳", id_number=None,
                                             phone="+8613800138000", birth_date=None,
                                             passport_number=None))
    return core, policy, profile


def test_a_form_is_described_with_what_leaves_and_how(sr, tmp_path, key, options, fixture):
    core, policy, _ = opened(sr, tmp_path, key, options, fixture)
    form = next(form for form in policy.forms if form.id == "daily")
    fields = {field.id: field for field in form.fields}
    temperature = fields["temperature"]
    assert isinstance(temperature.kind, sr.FieldKind.TEMPERATURE_C)
    assert temperature.reduction == sr.Reduction.THRESHOLD(at=37.3)
    assert temperature.recipient == "health" and temperature.required
    assert set(temperature.label) >= {"zh", "en"}
    assert fields["district"].reduction == sr.Reduction.GENERALIZE(level=sr.PlaceLevel.CITY)
    assert fields["notes"].reduction == sr.Reduction.OMIT()
    assert fields["name"].from_profile


def test_answers_are_checked_field_by_field_without_saving(sr, tmp_path, key, options, fixture):
    core, policy, profile = opened(sr, tmp_path, key, options, fixture)
    assert core.check_answers(profile, policy.id, "daily", None, VALID) == []
    tomorrow = core.today() + datetime.timedelta(days=1)
    problems = core.check_answers(profile, policy.id, "daily", tomorrow,
                                  {"temperature": "45", "symptoms": "sneezing",
                                   "contact_with_case": "no"})
    assert [(p.field, p.rule) for p in problems] == [
        ("date", "FutureDate"), ("symptoms", "UnknownCode"), ("temperature", "OutOfRange")]
    assert (problems[2].min, problems[2].max) == ("34.0", "43.0")
    assert "cough" in problems[1].allowed
    assert asyncio.run(core.records()).records == []


def test_dates_and_ids_are_types_of_their_own(sr, tmp_path, key, options, fixture):
    core, policy, profile = opened(sr, tmp_path, key, options, fixture)
    today = core.today()
    assert isinstance(today, datetime.date)
    assert isinstance(profile, sr.ProfileId) and not isinstance(profile, str)
    yesterday = today - datetime.timedelta(days=1)
    saved = core.save_record(profile, policy.id, "daily", yesterday, VALID)
    assert isinstance(saved.id, sr.RecordId)
    record = core.record(saved.id)
    assert record.date == yesterday and record.profile_id == profile
    with pytest.raises(sr.SelfReportError.NotFound):
        core.record(sr.RecordId(value=profile.value))


def test_a_profile_is_updated_then_deleted_with_its_records(sr, tmp_path, key, options, fixture):
    core, policy, profile = opened(sr, tmp_path, key, options, fixture)
    updated = core.update_profile(profile, sr.NewProfile(
        display_name="Mum", name="王芳", id_number=None, phone="+8613900139000",
        birth_date=datetime.date(1950, 3, 7), passport_number=None))
    assert updated.id == profile and updated.birth_date == datetime.date(1950, 3, 7)
    with pytest.raises(sr.SelfReportError.InvalidInput) as raised:
        core.update_profile(profile, sr.NewProfile(display_name="Mum", name=None, id_number=None,
                                                   phone="139", birth_date=None,
                                                   passport_number=None))
    assert raised.value.field == "phone"
    core.start_monitoring(profile, policy.id, None, sr.MonitoringReason.SELF_REPORTED)
    core.save_record(profile, policy.id, "daily", None, VALID)
    removal = core.delete_profile(profile)
    assert (removal.records, removal.monitoring_periods) == (1, 1)
    assert core.profiles() == [] and core.monitoring_periods() == []
    assert asyncio.run(core.records()).records == []


def test_a_monitoring_period_ends_early(sr, tmp_path, key, options, fixture):
    core, policy, profile = opened(sr, tmp_path, key, options, fixture)
    today = core.today()
    period = core.start_monitoring(profile, policy.id, today - datetime.timedelta(days=3),
                                   sr.MonitoringReason.CONTACT)
    ended = core.end_monitoring(period.id, today - datetime.timedelta(days=1))
    assert ended.id == period.id and ended.days == 3 and ended.start == period.start
    assert core.monitoring_periods() == [ended]
    with pytest.raises(sr.SelfReportError.Conflict):
        core.end_monitoring(period.id, today + datetime.timedelta(days=5))


def test_the_export_holds_the_ledger_and_the_outbox(sr, tmp_path, key, options, fixture):
    core, policy, _ = opened(sr, tmp_path, key, options, fixture)
    core.grant_consent(policy.id)
    export = json.loads(asyncio.run(core.export()))
    assert [entry["event"] for entry in export["ledger"]] == ["consent_granted"]
    assert export["outbox"] == []


def test_an_enrollment_order_opens_the_form_only_enrolled_people_file(sr, tmp_path, key, options, fixture):
    core = asyncio.run(sr.SelfReport.open(str(tmp_path / "store"), key, options))
    policy = core.install_policy(Path(fixture["enrollment_policy"]).read_bytes())
    profile = core.add_profile(sr.NewProfile(display_name="Mum", name="王芳", id_number=None,
                                             phone=None, birth_date=None, passport_number=None))
    answers = {"temperature": "36.8", "symptoms": ""}
    with pytest.raises(sr.SelfReportError.InvalidInput) as raised:
        core.save_record(profile, policy.id, "daily", None, answers)
    assert (raised.value.field, raised.value.rule) == ("date", "NotEnrolled")
    with pytest.raises(sr.SelfReportError.PolicyRefused) as raised:
        core.enroll(profile, Path(fixture["untrusted_enrollment_order"]).read_bytes())
    assert raised.value.code == "EnrollmentBadSignature"
    period = core.enroll(profile, Path(fixture["enrollment_order"]).read_bytes())
    assert period.ordered_district == "310101"
    core.save_record(profile, policy.id, "daily", None, answers)
    with pytest.raises(sr.SelfReportError.Conflict):
        core.end_monitoring(period.id, None)


def test_a_mistyped_enrollment_code_is_refused_before_anything_is_sent(sr, tmp_path, key, options, fixture):
    core = asyncio.run(sr.SelfReport.open(str(tmp_path / "store"), key, options))
    policy = core.install_policy(Path(fixture["enrollment_policy"]).read_bytes())
    profile = core.add_profile(sr.NewProfile(display_name="Mum", name="王芳", id_number=None,
                                             phone=None, birth_date=None, passport_number=None))
    # No drop box answers at the policy's endpoint: only a local refusal can come back.
    for typed in ["ABCDE-FGHJK", "ABCDE-FGHJK-U", "00000-00000-1"]:
        with pytest.raises(sr.SelfReportError.InvalidInput) as raised:
            asyncio.run(core.enroll_with_code(profile, policy.id, typed))
        assert (raised.value.code, raised.value.field) == ("EnrollmentCodeMalformed", "code")
    assert core.monitoring_periods() == []
