"""Sealing a submission as a device does: one padded plaintext per recipient the form
routes fields to, each sealed with HPKE to that recipient's key, in a compact
`selfreport.sealed/1` body with a fresh id and deletion token."""

import secrets
from dataclasses import dataclass
from typing import Any

from . import suites
from .deletion import deletion_hash, new_deletion_token
from .errors import PolicyError
from .padding import padded_size
from .plaintext import Plaintext, build_plaintext
from .policy import Policy
from .sealed_body import SealedBody, SealedPart, dumps_sealed_body


@dataclass(frozen=True)
class SealedSubmission:
    """A sealed body ready to POST, with what only the device keeps: the deletion token."""

    submission_id: str
    body: bytes
    deletion_token: str


def seal_submission(
    policy: Policy,
    form_id: str,
    record_date: str,
    pseudonym: str,
    fields: dict[str, dict[str, Any]],
    dummy: bool = False,
    monitoring_district: str | None = None,
    notice_key: str | None = None,
) -> SealedSubmission:
    """Seals `fields` (recipient -> already minimized field values) for every recipient
    of the form; a recipient with no answered field still gets its (padded) part. A real
    part that carries `monitoring_district` or `notice_key` (`Policy.carries`) gets the
    value given, which must then be given (`PolicyError` otherwise)."""
    recipients = policy.form_recipients(form_id)
    unknown = set(fields) - set(recipients)
    if unknown:
        raise PolicyError(f"form {form_id!r} sends nothing to {sorted(unknown)}")
    submission_id = secrets.token_hex(16)
    token = new_deletion_token()
    parts = []
    for name in recipients:
        carries_district, carries_key = (False, False) if dummy else policy.carries(form_id, name)
        if (carries_district and monitoring_district is None) or (carries_key and notice_key is None):
            raise PolicyError(f"the part for {name} carries a monitoring district or notice key not given")
        header = Plaintext(
            date=record_date, dummy=dummy, fields={} if dummy else fields.get(name, {}),
            form=form_id, policy_id=policy.id, policy_version=policy.version,
            pseudonym=pseudonym, submission_id=submission_id,
            monitoring_district=monitoring_district if carries_district else None,
            notice_key=notice_key if carries_key else None,
        )
        plaintext = build_plaintext(header, padded_size(policy, form_id, name))
        recipient = policy.recipient(name)
        enc, ct = suites.seal(
            recipient.suite, recipient.public_key,
            suites.submission_info(policy.id, policy.version, name),
            suites.submission_aad(submission_id), plaintext,
        )
        parts.append(SealedPart(name, enc, ct))
    body = SealedBody(policy.id, policy.version, submission_id, deletion_hash(token), tuple(parts))
    return SealedSubmission(submission_id, dumps_sealed_body(body), token)


def minimize(policy: Policy, form_id: str, answers: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Applies the transforms of a simple form to typed answers (already valid values:
    bool, str, list of codes, float temperature): `keep`, `threshold` and district
    `generalize`. Any other transform is refused with `PolicyError`, never guessed."""
    result: dict[str, dict[str, Any]] = {name: {} for name in policy.form_recipients(form_id)}
    for field in policy.form(form_id)["fields"]:
        upload = field.get("upload", "omit")
        if upload == "omit" or field["id"] not in answers:
            continue
        value = answers[field["id"]]
        if upload == "keep":
            if field["kind"] == "multi_choice":
                value = [code for code in field["codes"] if code in value]
            reduced = value
        elif isinstance(upload, dict) and "threshold" in upload:
            reduced = value >= upload["threshold"]
        elif isinstance(upload, dict) and upload.get("generalize") in ("city", "province") \
                and field["kind"] == "district":
            keep = 4 if upload["generalize"] == "city" else 2
            reduced = value[:keep] + "0" * (6 - keep)
        else:
            raise PolicyError(f"field {field['id']!r}: transform {upload!r} is not supported here")
        result[field["to"]][field["id"]] = reduced
    return result
