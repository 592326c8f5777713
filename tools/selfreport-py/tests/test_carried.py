"""The optional header keys (protocol.md, "The plaintext"): `monitoring_district` in the
health part of a form filed under enrollment orders, `notice_key` in the identity part under
a policy with access notices — sealed, opened, and flagged when missing or misplaced."""

import json

import pytest

from selfreport_wire.canonical import dumps
from selfreport_wire.errors import PlaintextInvalid, PolicyError
from selfreport_wire.opening import open_submission
from selfreport_wire.plaintext import Plaintext, build_plaintext, read_plaintext
from selfreport_wire.policy import policy_from_document
from selfreport_wire.sealing import minimize, seal_submission

from test_sealing import ANSWERS, KEYS, PSEUDONYM, document

NOTICE_KEY = "0f" * 32


def ordered_policy(notices: bool = True, enrollment: str = "required"):
    doc = document()
    doc["region"] = ["310100"]
    doc["access_notices"] = notices
    doc["monitoring"] = {"days": 14}
    doc["forms"][0]["requires_monitoring"] = True
    doc["forms"][0]["enrollment"] = enrollment
    return policy_from_document(doc)


def seal(policy, **carried):
    return seal_submission(policy, "daily", "2026-11-28", PSEUDONYM, minimize(policy, "daily", ANSWERS), **carried)


def test_each_key_is_sealed_into_the_part_that_carries_it_and_opens_without_flags():
    policy = ordered_policy()
    opened = open_submission(seal(policy, monitoring_district="310104", notice_key=NOTICE_KEY).body, policy, KEYS)
    assert opened.flags == []
    assert opened.parts["health"].monitoring_district == "310104"
    assert opened.parts["health"].notice_key is None
    assert opened.parts["identity"].notice_key == NOTICE_KEY
    assert opened.parts["identity"].monitoring_district is None


def test_a_key_the_part_does_not_carry_is_never_sealed():
    policy = ordered_policy(notices=False, enrollment="open")
    opened = open_submission(seal(policy, monitoring_district="310104", notice_key=NOTICE_KEY).body, policy, KEYS)
    assert opened.flags == []
    assert all(part.monitoring_district is None and part.notice_key is None for part in opened.parts.values())


def test_sealing_refuses_to_leave_out_a_carried_key():
    with pytest.raises(PolicyError):
        seal(ordered_policy(), notice_key=NOTICE_KEY)
    with pytest.raises(PolicyError):
        seal(ordered_policy(), monitoring_district="310104")


def test_opening_flags_a_missing_misplaced_or_foreign_key():
    # Sealed as if the policy carried nothing, opened under one that carries both.
    plain = ordered_policy(notices=False, enrollment="open")
    body = seal(plain).body
    flags = dict(open_submission(body, ordered_policy(), KEYS).flags)
    assert "monitoring_district" in flags and "notice_key" in flags
    # Sealed with both, opened under a policy that carries neither.
    body = seal(ordered_policy(), monitoring_district="310104", notice_key=NOTICE_KEY).body
    flags = dict(open_submission(body, plain, KEYS).flags)
    assert "monitoring_district" in flags and "notice_key" in flags
    # A district outside the policy's regions.
    body = seal(ordered_policy(), monitoring_district="420106", notice_key=NOTICE_KEY).body
    assert dict(open_submission(body, ordered_policy(), KEYS).flags).get("monitoring_district")


def test_the_keys_sort_between_format_and_policy_id_and_are_read_strictly():
    header = Plaintext(date="2026-11-28", dummy=False, fields={}, form="daily", policy_id="p",
                       policy_version=1, pseudonym=PSEUDONYM, submission_id="cd" * 16,
                       monitoring_district="310104", notice_key=NOTICE_KEY)
    text = build_plaintext(header, 1024).rstrip(b" ")
    assert b'"format":"selfreport.submission/1","monitoring_district":"310104","notice_key":"' in text
    assert read_plaintext(build_plaintext(header, 1024), 1024, "p", 1, "cd" * 16) == header
    for key, bad in (("monitoring_district", "310100"), ("monitoring_district", 310104),
                     ("notice_key", NOTICE_KEY.upper()), ("notice_key", "0f")):
        value = json.loads(text)
        value[key] = bad
        padded = dumps(value)
        padded += b" " * (1024 - len(padded))
        with pytest.raises(PlaintextInvalid):
            read_plaintext(padded, 1024, "p", 1, "cd" * 16)
