"""What the wire protocol needs from a verified policy document: its id and version,
the receipt key, each recipient's suite and key, and the forms' routing."""

from dataclasses import dataclass, field
from typing import Any, Mapping

from . import encoding
from .errors import PolicyError, WireError

POLICY_FORMATS = ("selfreport.policy/1", "selfreport.policy/2")


@dataclass(frozen=True)
class Recipient:
    """A recipient of sealed parts: its name, HPKE suite name and X25519 public key."""

    name: str
    suite: str
    public_key: bytes


@dataclass(frozen=True)
class Policy:
    """A policy document (already verified by `signed.verify_policy`). For a
    `selfreport.policy/1` document only, `legacy_padded_bytes` holds the sizes its parts
    are padded to, by (form, recipient): `/1` states none, and the documents give no rule
    to compute them, only the tool that reports them (`selfreport-authority check-policy`
    on the document as a `/2` draft)."""

    document: dict[str, Any]
    legacy_padded_bytes: Mapping[tuple[str, str], int] = field(default_factory=dict)

    @property
    def format(self) -> str:
        """`selfreport.policy/1` or `/2`."""
        return self.document["format"]

    @property
    def id(self) -> str:
        """The policy id."""
        return self.document["id"]

    @property
    def version(self) -> int:
        """The policy version."""
        return self.document["version"]

    @property
    def receipt_key(self) -> bytes:
        """`endpoint.receipt_key`: the Ed25519 key receipts verify with."""
        return encoding.std_b64(self.document["endpoint"]["receipt_key"], "receipt_key", 32)

    @property
    def block_bytes(self) -> int:
        """`padding.block_bytes` (default 512)."""
        return self.document.get("padding", {}).get("block_bytes", 512)

    def recipient(self, name: str) -> Recipient:
        """The declared recipient `name`."""
        entry = self.document.get("recipients", {}).get(name)
        if entry is None:
            raise PolicyError(f"the policy declares no recipient {name!r}")
        return Recipient(name, entry["suite"], encoding.std_b64(entry["public_key"], "recipient key", 32))

    def form(self, form_id: str) -> dict[str, Any]:
        """The form `form_id`."""
        for form in self.document["forms"]:
            if form["id"] == form_id:
                return form
        raise PolicyError(f"the policy has no form {form_id!r}")

    def routed_fields(self, form_id: str, recipient: str) -> list[dict[str, Any]]:
        """The fields of a form uploaded (not `omit`) to `recipient`, in form order."""
        return [
            field
            for field in self.form(form_id)["fields"]
            if field.get("upload", "omit") != "omit" and field.get("to") == recipient
        ]

    def carries(self, form_id: str, recipient: str) -> tuple[bool, bool]:
        """Which optional header keys a real part of `form_id` for `recipient` carries
        (protocol.md, "The plaintext"): `monitoring_district` in a health-role part of a
        form with `enrollment: required`, `notice_key` in an identity-role part under a
        policy with `access_notices: true`. Cover traffic carries neither."""
        role = self.document.get("recipients", {}).get(recipient, {}).get("role")
        form = self.form(form_id)
        district = role == "health" and form.get("enrollment") == "required"
        notice_key = role == "identity" and self.document.get("access_notices") is True
        return district, notice_key

    def form_recipients(self, form_id: str) -> list[str]:
        """The recipients the form routes any uploaded field to, sorted: its parts."""
        names = {
            field["to"] for field in self.form(form_id)["fields"]
            if field.get("upload", "omit") != "omit"
        }
        return sorted(names)


def policy_from_document(
    document: dict[str, Any], legacy_padded_bytes: Mapping[tuple[str, str], int] | None = None
) -> Policy:
    """Wraps a document after checking the few things this package relies on. Sizes for
    a `/1` document may be given; a `/2` document's own declared sizes cannot be
    overridden."""
    try:
        if document["format"] not in POLICY_FORMATS:
            raise PolicyError(f"unknown policy format {document['format']!r}")
        if type(document["version"]) is not int or not isinstance(document["id"], str):
            raise PolicyError("id and version")
        if legacy_padded_bytes and document["format"] != "selfreport.policy/1":
            raise PolicyError("only a selfreport.policy/1 document takes padded sizes from outside")
        policy = Policy(document, dict(legacy_padded_bytes or {}))
        policy.receipt_key
        for name in document.get("recipients", {}):
            policy.recipient(name)
        return policy
    except (KeyError, TypeError):
        raise PolicyError("the policy lacks a field this package needs") from None
    except WireError as error:
        raise PolicyError(str(error)) from None
