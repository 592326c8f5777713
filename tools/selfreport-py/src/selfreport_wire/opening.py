"""Opening a stored or sent submission with recipient keys, as the authority does
(protocol.md "Opening"): each part opened with HPKE, its plaintext read strictly, its
fields checked against the form; anything else is a flag, never silently accepted."""

from dataclasses import dataclass, field
from typing import Any

from . import suites
from .canonical import loads_strict
from .errors import (
    NotCanonicalJson,
    PartDoesNotOpen,
    PlaintextInvalid,
    PolicyError,
    SealedBodyInvalid,
)
from .fields import check_fields
from .padding import padded_size
from .plaintext import Plaintext, read_plaintext
from .policy import Policy
from .sealed_body import parse_sealed_body


@dataclass
class OpenedSubmission:
    """What opening gave: each opened recipient's plaintext and the flags raised."""

    submission_id: str
    parts: dict[str, Plaintext] = field(default_factory=dict)
    flags: list[tuple[str, str]] = field(default_factory=list)

    @property
    def dummy(self) -> bool:
        """Cover traffic: every opened part says `"dummy":true`."""
        return bool(self.parts) and all(part.dummy for part in self.parts.values())

    def fields(self, recipient: str) -> dict[str, Any]:
        """The fields of `recipient`'s part, with flagged fields left out."""
        flagged = {name for name, _ in self.flags}
        return {k: v for k, v in self.parts[recipient].fields.items() if k not in flagged}


def open_submission(body: bytes, policy: Policy, private_keys: dict[str, bytes]) -> OpenedSubmission:
    """Opens every part whose recipient key is in `private_keys` (name -> raw X25519
    private key). The body must be a well-formed sealed body for this policy id;
    `SealedBodyInvalid` otherwise. Per-part problems become flags (`part:NAME`)."""
    sealed = parse_sealed_body(body)
    if sealed.policy_id != policy.id or sealed.policy_version != policy.version:
        raise SealedBodyInvalid(
            f"sealed under {sealed.policy_id} v{sealed.policy_version}, not {policy.id} v{policy.version}"
        )
    opened = OpenedSubmission(sealed.submission_id)
    forms = set()
    for part in sealed.parts:
        if part.to not in private_keys:
            continue
        try:
            recipient = policy.recipient(part.to)
            info = suites.submission_info(policy.id, policy.version, part.to)
            data = suites.open_part(recipient.suite, private_keys[part.to], part.enc, part.ct,
                                    info, suites.submission_aad(sealed.submission_id))
            head = _peek_form(data)
            size = padded_size(policy, head, part.to)
            plaintext = read_plaintext(data, size, policy.id, policy.version, sealed.submission_id)
        except (PartDoesNotOpen, PlaintextInvalid, PolicyError) as error:
            opened.flags.append((f"part:{part.to}", str(error)))
            continue
        opened.parts[part.to] = plaintext
        forms.add(plaintext.form)
        opened.flags.extend(_check_carried(policy, plaintext, part.to))
        form = policy.form(plaintext.form)
        opened.flags.extend(check_fields(form, part.to, plaintext.fields, plaintext.date, plaintext.dummy))
    if len(forms) > 1:
        opened.flags.append(("form", f"parts name different forms: {sorted(forms)}"))
    for form_id in forms:
        expected = policy.form_recipients(form_id)
        if sorted(part.to for part in sealed.parts) != expected:
            opened.flags.append(("parts", f"form {form_id!r} sends exactly {expected}"))
    return opened


def _check_carried(policy: Policy, plaintext: Plaintext, recipient: str) -> list[tuple[str, str]]:
    """Flags an optional header key that is missing from a real part that carries it, or
    present in any other part (or in cover traffic); a district must lie in the policy's
    regions."""
    district, notice_key = policy.carries(plaintext.form, recipient)
    flags = []
    for key, expected, value in (
        ("monitoring_district", district and not plaintext.dummy, plaintext.monitoring_district),
        ("notice_key", notice_key and not plaintext.dummy, plaintext.notice_key),
    ):
        if expected and value is None:
            flags.append((key, f"missing from the part for {recipient}"))
        elif not expected and value is not None:
            flags.append((key, f"the part for {recipient} does not carry it"))
    if district and plaintext.monitoring_district is not None:
        regions = policy.document.get("region", [])
        if not any(plaintext.monitoring_district.startswith(_significant(code)) for code in regions):
            flags.append(("monitoring_district", "outside the policy's regions"))
    return flags


def _significant(code: str) -> str:
    """A region code's significant digits: `31` for `310000`, `3101` for `310100`."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def _peek_form(data: bytes) -> str:
    """The `form` a plaintext names, to look up its padded size before the strict read
    (which then checks the whole plaintext, this key included)."""
    try:
        value = loads_strict(data.rstrip(b" "))
    except NotCanonicalJson as error:
        raise PlaintextInvalid(f"not JSON: {error}") from None
    if not isinstance(value, dict) or not isinstance(value.get("form"), str):
        raise PlaintextInvalid("the plaintext names no form")
    return value["form"]
