//! The demo's policies: the examples pointed at the demo's drop boxes, pinned to their
//! test certificate, with the demo authority's keys, as `/2` documents.

use selfreport_endpoint::KeygenOutput;

use super::internal;
use crate::failure::Failure;

/// An example policy pointed at `url`, pinned to `pin`, with the authority's real
/// receipt and recipient keys.
pub(super) fn repointed_policy(
    text: &str,
    url: &str,
    keys: &KeygenOutput,
    pin: &str,
) -> Result<String, Failure> {
    let mut policy: serde_json::Value =
        serde_json::from_str(text).map_err(|_| internal("an example policy is not JSON"))?;
    policy["format"] = "selfreport.policy/2".into();
    policy["region"] = serde_json::json!(["310000"]);
    policy["endpoint"]["url"] = url.into();
    policy["endpoint"]["spki_sha256"] = serde_json::json!([pin]);
    policy["endpoint"]["receipt_key"] = keys.receipt_public_key_base64.clone().into();
    for recipient in &keys.recipients {
        let slot = &mut policy["recipients"][&recipient.name];
        if slot.is_object() {
            slot["public_key"] = recipient.public_key_base64.clone().into();
            slot["role"] = recipient.name.clone().into();
        }
    }
    // Each form's padded size per recipient, declared in the signed /2 policy: the
    // smallest the core accepts.
    selfreport_core::policy::declare_minimum_padded_sizes(&mut policy)
        .map_err(|error| internal(&format!("an example policy does not parse: {error}")))?;
    serde_json::to_string_pretty(&policy).map_err(|_| internal("cannot write a policy"))
}
