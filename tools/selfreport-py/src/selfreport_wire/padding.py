"""The padded size of a form's part for a recipient.

A `selfreport.policy/2` document declares it: `forms[].padded_bytes.RECIPIENT`, bytes,
signed with the policy (docs/vectors/README.md, `padding.json`). A
`selfreport.policy/1` document declares none; its size is computed by a rule the
documents do not yet state byte for byte, so it is refused here with a typed error
rather than guessed.
"""

from .errors import PolicyError
from .policy import Policy


def padded_size(policy: Policy, form_id: str, recipient: str) -> int:
    """The exact plaintext length of every part of `form_id` for `recipient`."""
    if recipient not in policy.form_recipients(form_id):
        raise PolicyError(f"form {form_id!r} sends nothing to {recipient!r}")
    if policy.format == "selfreport.policy/1":
        raise PolicyError("a selfreport.policy/1 document declares no padded size, and protocol.md "
                          "gives no rule a second implementation can compute it by")
    declared = policy.form(form_id).get("padded_bytes")
    if not isinstance(declared, dict) or recipient not in declared:
        raise PolicyError(f"form {form_id!r} declares no padded_bytes for {recipient!r}")
    size = declared[recipient]
    if type(size) is not int or size <= 0 or size % policy.block_bytes:
        raise PolicyError(f"padded_bytes.{recipient} is not a positive multiple of padding.block_bytes")
    return size
