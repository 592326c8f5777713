//! Authority tools for delegation chains: a root (or a delegated office) delegating to a
//! subject key (`delegate`), signing a policy under a chain (`sign-policy --chain`), and
//! listing every rule a draft policy breaks (`check-policy`).

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use selfreport_core::policy::chain::check_next_link;
use selfreport_core::policy::delegation::MAX_SIGNED_DELEGATION_BYTES;
use selfreport_core::policy::{
    PolicyError, SignedDelegation, TrustAnchor, parse_policy_document, policy_refusals,
    sign_delegation, sign_policy_with_chain,
};
use serde_json::json;

use crate::authority::{SignedPolicyOutput, read_policy_document, refuse_same_file, replace_file};
use crate::error::{AuthorityError, Result};
use crate::keyfile::read_signing_key;

/// The kinds a delegation allows when none are named, each with its weakest transform:
/// identity kinds whole (to the identity recipient only, by the guardrails), answers as
/// given, districts to the city, travel history within a window, no free text.
pub const DEFAULT_DELEGATED_KINDS: [(&str, &str); 13] = [
    ("yes_no", "keep"),
    ("choice", "keep"),
    ("multi_choice", "keep"),
    ("temperature_c", "keep"),
    ("integer", "keep"),
    ("date", "keep"),
    ("district", "generalize:city"),
    ("travel_history", "window"),
    ("person_name", "keep"),
    ("resident_id", "keep"),
    ("passport_number", "keep"),
    ("phone", "keep"),
    ("transport_number", "keep"),
];

/// What a delegation grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationRequest {
    /// Policy ids the subject may sign start with this.
    pub namespace: String,
    /// Purpose codes (empty: `epidemic-control`).
    pub purposes: Vec<String>,
    /// GB/T 2260 codes of the regions served (at least one).
    pub regions: Vec<String>,
    /// Longest device retention, in days.
    pub max_device_days: u32,
    /// Longest server retention, in days.
    pub max_server_days: u32,
    /// Hosts the subject's endpoints may use (at least one).
    pub endpoint_hosts: Vec<String>,
    /// `(kind, weakest transform)` pairs (empty: [`DEFAULT_DELEGATED_KINDS`]).
    pub kinds: Vec<(String, String)>,
    /// How many more links may follow (0: the subject signs policies only).
    pub depth: u32,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// The subject's name by language (`zh`, `en`).
    pub subject_name: BTreeMap<String, String>,
}

/// What [`delegate_file`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationOutput {
    /// The issuer's key id (the key that signed).
    pub issuer_key_id: String,
    /// The subject's key id.
    pub subject_key_id: String,
    /// The file written.
    pub out_path: PathBuf,
}

/// Delegates to the public key in `subject_path` (a `.pub` file) with `request`, signed
/// by the key in `key_path`, and writes the signed delegation to `out_path`. With
/// `parent` (the delegation that authorizes the signing key), the new link is checked to
/// follow it: the key is the parent's subject and nothing is wider than the parent.
/// Nothing is written when anything fails.
pub fn delegate_file(
    key_path: &Path,
    subject_path: &Path,
    parent: Option<&Path>,
    request: &DelegationRequest,
    out_path: &Path,
) -> Result<DelegationOutput> {
    refuse_same_file(out_path, key_path, "signing key")?;
    refuse_same_file(out_path, subject_path, "subject's public key")?;
    let key = read_signing_key(key_path)?;
    let subject_text =
        fs::read_to_string(subject_path).map_err(AuthorityError::io("read", subject_path))?;
    let subject = TrustAnchor::from_public_key_base64(&subject_text)?;
    let purposes = if request.purposes.is_empty() {
        vec!["epidemic-control".to_owned()]
    } else {
        request.purposes.clone()
    };
    let kinds: BTreeMap<String, String> = if request.kinds.is_empty() {
        DEFAULT_DELEGATED_KINDS
            .iter()
            .map(|(kind, step)| ((*kind).to_owned(), (*step).to_owned()))
            .collect()
    } else {
        request.kinds.iter().cloned().collect()
    };
    let document = json!({
        "format": selfreport_core::policy::DELEGATION_FORMAT,
        "subject": {"public_key": subject.public_key_base64(), "name": request.subject_name},
        "valid_from": request.valid_from.to_string(),
        "valid_until": request.valid_until.to_string(),
        "constraints": {
            "namespace": request.namespace,
            "purposes": purposes,
            "regions": request.regions,
            "max_device_days": request.max_device_days,
            "max_server_days": request.max_server_days,
            "endpoint_hosts": request.endpoint_hosts,
            "kinds": kinds,
            "depth": request.depth,
        }
    });
    // A JSON value always serializes; an empty payload would be refused just below.
    let payload = serde_json::to_vec_pretty(&document).unwrap_or_default();
    let envelope = sign_delegation(&key, &payload)?;
    if let Some(parent) = parent {
        let parent = SignedDelegation::parse(&read_delegation(parent)?)?;
        let child = SignedDelegation::parse(&envelope)?;
        check_next_link(&parent, &child)?;
    }
    replace_file(out_path, &envelope)?;
    Ok(DelegationOutput {
        issuer_key_id: key.key_id().to_owned(),
        subject_key_id: subject.key_id().to_owned(),
        out_path: out_path.to_path_buf(),
    })
}

/// Signs the policy in `in_path` with the key in `key_path` under the delegations in
/// `chain` (root first), embedding them, and writes the envelope to `out_path`. Refuses
/// what a device would refuse, checking the first link against `root` (the root's
/// `.pub` file) when given. Nothing is written when anything fails.
pub fn sign_policy_under_chain(
    key_path: &Path,
    in_path: &Path,
    chain: &[PathBuf],
    root: Option<&Path>,
    out_path: &Path,
) -> Result<SignedPolicyOutput> {
    refuse_same_file(out_path, in_path, "policy document")?;
    refuse_same_file(out_path, key_path, "signing key")?;
    for link in chain {
        refuse_same_file(out_path, link, "delegation")?;
    }
    let key = read_signing_key(key_path)?;
    let payload = read_policy_document(in_path)?;
    let document = parse_policy_document(&payload)?;
    let links = chain
        .iter()
        .map(|path| read_delegation(path))
        .collect::<Result<Vec<_>>>()?;
    let root = root.map(read_anchor).transpose()?;
    let envelope = sign_policy_with_chain(&key, &payload, &links, root.as_ref())?;
    replace_file(out_path, &envelope)?;
    Ok(SignedPolicyOutput {
        key_id: key.key_id().to_owned(),
        policy_id: document.id,
        version: document.version,
        out_path: out_path.to_path_buf(),
    })
}

/// Every rule the draft policy in `in_path` breaks if signed under `chain` by the
/// chain's last subject (or by a root, without a chain): content, chain, delegation
/// constraints and guardrails. Empty when a device would accept it (dates aside).
pub fn check_policy_file(
    in_path: &Path,
    chain: &[PathBuf],
    root: Option<&Path>,
) -> Result<Vec<PolicyError>> {
    let payload = read_policy_document(in_path)?;
    let links = chain
        .iter()
        .map(|path| read_delegation(path))
        .collect::<Result<Vec<_>>>()?;
    let signer = match links.last() {
        Some(last) => SignedDelegation::parse(last)?
            .document()
            .subject_key_id
            .clone(),
        None => String::new(),
    };
    let root = root.map(read_anchor).transpose()?;
    Ok(policy_refusals(&signer, &payload, &links, root.as_ref()))
}

/// A signed delegation file, refusing one larger than any device would read.
fn read_delegation(path: &Path) -> Result<Vec<u8>> {
    let file = fs::File::open(path).map_err(AuthorityError::io("read", path))?;
    let mut bytes = Vec::new();
    file.take(MAX_SIGNED_DELEGATION_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(AuthorityError::io("read", path))?;
    if bytes.len() > MAX_SIGNED_DELEGATION_BYTES {
        return Err(PolicyError::BadDelegation {
            detail: format!(
                "{} is larger than a signed delegation may be ({MAX_SIGNED_DELEGATION_BYTES} bytes)",
                path.display()
            ),
        }
        .into());
    }
    Ok(bytes)
}

/// A root's public key from its `.pub` file.
fn read_anchor(path: &Path) -> Result<TrustAnchor> {
    let text = fs::read_to_string(path).map_err(AuthorityError::io("read", path))?;
    Ok(TrustAnchor::from_public_key_base64(&text)?)
}

/// The `KIND=STEP` pairs of `selfreport-authority delegate --kind`.
pub fn kind_pairs(kinds: &[String]) -> Result<Vec<(String, String)>> {
    kinds
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(kind, step)| (kind.to_owned(), step.to_owned()))
                .ok_or_else(|| {
                    PolicyError::BadDelegation {
                        detail: format!("--kind `{pair}` is not KIND=STEP"),
                    }
                    .into()
                })
        })
        .collect()
}
