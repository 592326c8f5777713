//! Revocation lists on the authority side: a root writing the next list
//! (`selfreport-authority revoke`), and reading a list file as the drop box relays it.
//!
//! Lists are complete, not deltas: the next list carries every entry of the previous one
//! (`--previous`) plus what is revoked now, under the next sequence number, so a device
//! that missed a list loses nothing by installing the latest.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use selfreport_core::policy::revocation::{
    MAX_SIGNED_REVOCATIONS_BYTES, REVOCATIONS_FORMAT, RevocationReason,
};
use selfreport_core::policy::{
    PolicyError, SignedDelegation, SignedRevocations, TrustAnchor, sign_revocations,
};
use serde_json::json;

use crate::authority::{refuse_same_file, replace_file};
use crate::error::{AuthorityError, Result};
use crate::keyfile::read_signing_key;

/// What the next list adds to the previous one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRequest {
    /// Files naming delegations to revoke: a subject's `.pub` file or a signed delegation.
    pub delegations: Vec<PathBuf>,
    /// Policy versions to revoke, `ID@VERSION`.
    pub policies: Vec<String>,
    /// Why (for every entry added now).
    pub reason: Option<String>,
    /// The day it is issued.
    pub issued_at: NaiveDate,
    /// The day the next list will be published by.
    pub next_update: NaiveDate,
    /// The sequence number (default: the previous list's plus one, or 1).
    pub sequence: Option<u64>,
}

/// What `revoke` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationOutput {
    /// The root's key id.
    pub root_key_id: String,
    /// The list's sequence number.
    pub sequence: u64,
    /// Delegations it revokes.
    pub delegations: usize,
    /// Policy versions it revokes.
    pub policies: usize,
    /// Where it was written.
    pub out_path: PathBuf,
}

/// Writes the next revocation list of the root whose signing key is in `key_path`: the
/// entries of `previous` (a list this root signed) and those of `request`, signed, to
/// `out_path`. Refuses what a device would refuse; nothing is written when anything
/// fails.
pub fn revoke_file(
    key_path: &Path,
    previous: Option<&Path>,
    request: &RevocationRequest,
    out_path: &Path,
) -> Result<RevocationOutput> {
    refuse_same_file(out_path, key_path, "signing key")?;
    let key = read_signing_key(key_path)?;
    let mut delegations: Vec<(String, String)> = Vec::new();
    let mut policies: Vec<(String, u64, String)> = Vec::new();
    let mut sequence = 1;
    if let Some(previous) = previous {
        let held = SignedRevocations::parse(&read_revocations(previous)?)?;
        let anchor: selfreport_core::policy::TrustAnchors =
            TrustAnchor::new(key.public_key()).into();
        // Verified on its own issue day: only the signature and the root matter here.
        let issued_at = held.document().issued_at;
        let held = held.verify(&anchor, issued_at)?;
        let document = held.document();
        sequence = document.sequence.saturating_add(1);
        for (subject, reason) in &document.delegations {
            delegations.push((base64_key(subject), reason.code().to_owned()));
        }
        for ((id, version), reason) in &document.policies {
            policies.push((id.clone(), *version, reason.code().to_owned()));
        }
    }
    let adding = !request.delegations.is_empty() || !request.policies.is_empty();
    let reason = match (&request.reason, adding) {
        (Some(reason), _) => {
            RevocationReason::from_code(reason).ok_or_else(|| bad(format!(
                "--reason `{reason}` is not one of key-compromise, superseded, ceased-operation, privilege-withdrawn"
            )))?;
            reason.clone()
        }
        (None, true) => {
            return Err(bad("--reason is required with --delegation or --policy").into());
        }
        (None, false) => String::new(),
    };
    for path in &request.delegations {
        let subject = subject_key(path)?;
        if !delegations.iter().any(|(key, _)| *key == subject) {
            delegations.push((subject, reason.clone()));
        }
    }
    for entry in &request.policies {
        let (id, version) = entry
            .rsplit_once('@')
            .and_then(|(id, version)| Some((id.to_owned(), version.parse::<u64>().ok()?)))
            .ok_or_else(|| bad(format!("--policy `{entry}` is not ID@VERSION")))?;
        if !policies.iter().any(|(i, v, _)| *i == id && *v == version) {
            policies.push((id, version, reason.clone()));
        }
    }
    if let Some(explicit) = request.sequence {
        if explicit < sequence {
            return Err(bad(format!(
                "--sequence {explicit} is not above the previous list's ({})",
                sequence - 1
            ))
            .into());
        }
        sequence = explicit;
    }
    let document = json!({
        "format": REVOCATIONS_FORMAT,
        "sequence": sequence,
        "issued_at": request.issued_at.to_string(),
        "next_update": request.next_update.to_string(),
        "delegations": delegations.iter().map(|(key, reason)| json!({"subject_key": key, "reason": reason})).collect::<Vec<_>>(),
        "policies": policies.iter().map(|(id, version, reason)| json!({"id": id, "version": version, "reason": reason})).collect::<Vec<_>>(),
    });
    // A JSON value always serializes; an empty payload would be refused just below.
    let payload = serde_json::to_vec_pretty(&document).unwrap_or_default();
    let envelope = sign_revocations(&key, &payload)?;
    replace_file(out_path, &envelope)?;
    Ok(RevocationOutput {
        root_key_id: key.key_id().to_owned(),
        sequence,
        delegations: delegations.len(),
        policies: policies.len(),
        out_path: out_path.to_path_buf(),
    })
}

/// A signed revocation list file, refusing one larger than any device would read.
pub fn read_revocations(path: &Path) -> Result<Vec<u8>> {
    let file = fs::File::open(path).map_err(AuthorityError::io("read", path))?;
    let mut bytes = Vec::new();
    file.take(MAX_SIGNED_REVOCATIONS_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(AuthorityError::io("read", path))?;
    if bytes.len() > MAX_SIGNED_REVOCATIONS_BYTES {
        return Err(PolicyError::TooLarge {
            size: bytes.len(),
            limit: MAX_SIGNED_REVOCATIONS_BYTES,
        }
        .into());
    }
    Ok(bytes)
}

/// The subject key a `--delegation` file names: a `.pub` file's key, or a signed
/// delegation's subject.
fn subject_key(path: &Path) -> Result<String> {
    let bytes = fs::read(path).map_err(AuthorityError::io("read", path))?;
    let text = String::from_utf8_lossy(&bytes);
    if let Ok(anchor) = TrustAnchor::from_public_key_base64(&text) {
        return Ok(anchor.public_key_base64());
    }
    match SignedDelegation::parse(&bytes) {
        Ok(delegation) => Ok(base64_key(&delegation.document().subject_key)),
        Err(_) => Err(bad(format!(
            "{} is neither a public key file nor a signed delegation",
            path.display()
        ))
        .into()),
    }
}

fn base64_key(key: &[u8; 32]) -> String {
    TrustAnchor::new(*key).public_key_base64()
}

fn bad(detail: impl Into<String>) -> PolicyError {
    PolicyError::BadRevocations {
        detail: detail.into(),
    }
}
