"""The padded size of a form's part for a recipient.

A `selfreport.policy/2` document declares it: `forms[].padded_bytes.RECIPIENT`, bytes,
signed with the policy (policy-format.md section 5). A `selfreport.policy/1` document
declares none: its parts are padded to "the minimum the core computes", a rule the
documents describe but do not state byte for byte (protocol.md "Padding" names
`selfreport-authority check-policy` as the way to learn it). So a `/1` size comes from
the caller (`Policy.legacy_padded_bytes`), and without one it is refused with a typed
error, never guessed.
"""

from .errors import PolicyError
from .policy import Policy


def padded_size(policy: Policy, form_id: str, recipient: str) -> int:
    """The exact plaintext length of every part of `form_id` for `recipient`."""
    if recipient not in policy.form_recipients(form_id):
        raise PolicyError(f"form {form_id!r} sends nothing to {recipient!r}")
    if policy.format == "selfreport.policy/1":
        size = policy.legacy_padded_bytes.get((form_id, recipient))
        if size is None:
            raise PolicyError(f"a selfreport.policy/1 document declares no padded size for form {form_id!r} "
                              f"and {recipient!r}, and protocol.md gives no rule to compute it by")
    else:
        declared = policy.form(form_id).get("padded_bytes")
        if not isinstance(declared, dict) or recipient not in declared:
            raise PolicyError(f"form {form_id!r} declares no padded_bytes for {recipient!r}")
        size = declared[recipient]
    if type(size) is not int or size <= 0 or size % policy.block_bytes:
        raise PolicyError(f"padded_bytes.{recipient} is not a positive multiple of padding.block_bytes")
    return size
