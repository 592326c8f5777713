//! `selfreport-authority padded-sizes`: the exact size every part of each form is padded to,
//! per recipient, as devices pad them — the sizes a `/2` policy declares, and for a `/1`
//! policy (which declares none) the sizes the core computes. A third party opening or
//! sealing parts reads them here as JSON instead of reproducing the core's computation.

use std::collections::BTreeMap;
use std::path::Path;

use selfreport_core::minimize::padded_size;
use selfreport_core::policy::PolicyDocument;

use crate::error::Result;
use crate::policy_file::policy_document_of;

/// `{"form": {"recipient": bytes}}` for every form and each recipient it sends to.
pub fn padded_sizes(document: &PolicyDocument) -> BTreeMap<String, BTreeMap<String, usize>> {
    document
        .forms
        .iter()
        .map(|form| {
            let sizes = form
                .fields
                .iter()
                .filter(|field| field.upload.uploads())
                .filter_map(|field| field.to.clone())
                .filter_map(|recipient| {
                    let size = padded_size(document, &form.id, &recipient).ok()?;
                    Some((recipient, size))
                })
                .collect();
            (form.id.clone(), sizes)
        })
        .collect()
}

/// Runs `padded-sizes`: the policy in `policy_path` (signed, its signature checked with
/// `trust_path` when given, or plain), its sizes as one line of JSON.
pub fn padded_sizes_command(policy_path: &Path, trust_path: Option<&Path>) -> Result<String> {
    let document = policy_document_of(policy_path, trust_path)?;
    // A map of strings to numbers always serializes.
    Ok(serde_json::to_string(&padded_sizes(&document)).unwrap_or_default())
}
