//! The demo's policies: the examples pointed at the demo's drop boxes, pinned to their
//! test certificate, with the demo authority's keys and each drop box's upload token keys,
//! as `/2` documents. The traveler policy files its daily form under enrollment orders.

use chrono::NaiveDate;
use selfreport_core::policy::TokenKeyUse;
use selfreport_endpoint::KeygenOutput;
use selfreport_endpoint::token_key::{IssuerSecretKey, TokenKeyEntry, add_token_key};

use super::internal;
use crate::failure::Failure;

/// The policy whose daily form is filed only under a collector's enrollment order (its
/// pre-registration stays open to anyone).
pub(super) const ORDERED_POLICY: &str = "sh-arrivals";

/// An example policy pointed at `url`, pinned to `pin`, with the authority's real
/// receipt and recipient keys and `token_keys` (enrolled, open) over its whole validity.
pub(super) fn repointed_policy(
    text: &str,
    url: &str,
    keys: &KeygenOutput,
    pin: &str,
    token_keys: [&IssuerSecretKey; 2],
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
    if policy["id"] == ORDERED_POLICY {
        if let Some(forms) = policy["forms"].as_array_mut() {
            for form in forms {
                let ordered = form["id"] == "daily";
                form["enrollment"] = if ordered { "required" } else { "open" }.into();
            }
        }
    }
    let date = |name: &str| -> Result<NaiveDate, Failure> {
        policy[name]
            .as_str()
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| internal("an example policy has no validity"))
    };
    let (from, until) = (date("valid_from")?, date("valid_until")?);
    for (usage, key) in [TokenKeyUse::Enrolled, TokenKeyUse::Open]
        .into_iter()
        .zip(token_keys)
    {
        let entry = TokenKeyEntry {
            usage,
            spki: key.spki().to_vec(),
            from,
            until,
        };
        add_token_key(&mut policy, &entry).ok_or_else(|| internal("no endpoint object"))?;
    }
    // Each form's padded size per recipient, declared in the signed /2 policy: the
    // smallest the core accepts.
    selfreport_core::policy::declare_minimum_padded_sizes(&mut policy)
        .map_err(|error| internal(&format!("an example policy does not parse: {error}")))?;
    serde_json::to_string_pretty(&policy).map_err(|_| internal("cannot write a policy"))
}
