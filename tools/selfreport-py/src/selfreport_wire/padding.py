"""The padded size of a form's part for a recipient.

A `selfreport.policy/2` document declares it: `forms[].padded_bytes.RECIPIENT`, bytes,
signed with the policy (docs/vectors/README.md, `padding.json`). Only a
`selfreport.policy/1` document, which has no such field, falls back to the rule
protocol.md gives for it (`legacy_padding`).
"""

from .errors import PolicyError
from .policy import Policy


def padded_size(policy: Policy, form_id: str, recipient: str) -> int:
    """The exact plaintext length of every part of `form_id` for `recipient`."""
    if recipient not in policy.form_recipients(form_id):
        raise PolicyError(f"form {form_id!r} sends nothing to {recipient!r}")
    form = policy.form(form_id)
    if policy.format == "selfreport.policy/1":
        from .legacy_padding import legacy_padded_size

        return legacy_padded_size(policy, form_id, recipient)
    declared = form.get("padded_bytes")
    if not isinstance(declared, dict) or recipient not in declared:
        raise PolicyError(f"form {form_id!r} declares no padded_bytes for {recipient!r}")
    size = declared[recipient]
    if type(size) is not int or size <= 0:
        raise PolicyError(f"padded_bytes.{recipient} is not a positive whole number")
    return size
