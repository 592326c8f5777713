//! The chain from a trust anchor (a root) to the key that signed a policy: each link
//! signed by the previous link's subject (the first by the root), each valid on the day
//! of use, each no wider than its parent; the policy signed by the last subject and within
//! its constraints. A root may also sign a policy directly (an empty chain).

use chrono::NaiveDate;

use crate::crypto::signature::ED25519_PUBLIC_KEY_LEN;

use super::constraints::{Constraints, Link};
use super::delegation::{MAX_CHAIN_LINKS, SignedDelegation};
use super::guardrails::FreeText;
use super::verified_links::VerifiedLinks;
use super::{PolicyDocument, PolicyError, TrustAnchor, TrustAnchors};

/// Who authorized a policy's signer: the root, and the constraints of the last link.
#[derive(Debug, Clone)]
pub struct Authority {
    root_key_id: String,
    root_namespaces: Vec<String>,
    signer_key: [u8; ED25519_PUBLIC_KEY_LEN],
    leaf: Option<LeafLink>,
}

#[derive(Debug, Clone)]
struct LeafLink {
    valid_from: NaiveDate,
    valid_until: NaiveDate,
    /// The last delegation, whose constraints bind the policy (shared, not copied).
    delegation: SignedDelegation,
}

impl LeafLink {
    fn constraints(&self) -> &Constraints {
        &self.delegation.document().constraints
    }
}

impl Authority {
    /// The key id of the root (the trust anchor the chain starts from).
    pub fn root_key_id(&self) -> &str {
        &self.root_key_id
    }

    /// The key the policy must be signed with.
    pub(crate) fn signer_key(&self) -> &[u8; ED25519_PUBLIC_KEY_LEN] {
        &self.signer_key
    }

    /// The namespace the signer's policies live in: the last link's, or `None` for a
    /// policy a root signed directly.
    pub fn namespace(&self) -> Option<&str> {
        self.leaf
            .as_ref()
            .map(|leaf| leaf.constraints().namespace.as_str())
    }

    /// Whether free text may be uploaded at all under this authority.
    pub(crate) fn free_text(&self) -> FreeText {
        match &self.leaf {
            Some(leaf) if leaf.constraints().kinds.contains_key("text") => FreeText::Permitted,
            _ => FreeText::Refused,
        }
    }

    /// Every way `policy` lies outside what this authority allows: the root's owned
    /// namespaces, and the last link's constraints.
    pub fn refusals(&self, policy: &PolicyDocument) -> Vec<PolicyError> {
        let mut refusals = Vec::new();
        if !self.root_namespaces.is_empty()
            && !self
                .root_namespaces
                .iter()
                .any(|namespace| policy.id.starts_with(namespace.as_str()))
        {
            refusals.push(PolicyError::NamespaceNotOwned {
                id: policy.id.clone(),
                root_key_id: self.root_key_id.clone(),
            });
        }
        if let Some(leaf) = &self.leaf {
            if policy.format == super::PolicyFormat::V1 {
                refusals.push(PolicyError::ChainBroken {
                    link: 0,
                    detail: "a policy signed under a delegation must be selfreport.policy/2".into(),
                });
            }
            refusals.extend(
                leaf.constraints()
                    .refusals((leaf.valid_from, leaf.valid_until), policy),
            );
        }
        refusals
    }
}

/// Verifies `chain` (root first) from `anchors` for a policy whose envelope names
/// `signer_key_id`, on `today`; returns who authorized the signer. The policy's own
/// signature and content are checked by the caller with [`Authority::signer_key`] and
/// [`Authority::refusals`].
pub fn verify_chain(
    anchors: &TrustAnchors,
    chain: &[SignedDelegation],
    signer_key_id: &str,
    today: NaiveDate,
    verified: &VerifiedLinks,
) -> Result<Authority, PolicyError> {
    check_length(chain)?;
    let root_key_id = chain
        .first()
        .map_or(signer_key_id, |first| first.issuer_key_id());
    let root = anchors
        .find(root_key_id)
        .ok_or_else(|| PolicyError::UnknownKey {
            key_id: root_key_id.to_owned(),
        })?;
    if !root.covers(today) {
        return Err(PolicyError::KeyOutsideWindow {
            key_id: root_key_id.to_owned(),
        });
    }
    let (signer_key, leaf) = walk(Some(root), chain, signer_key_id, Some(today), verified)?;
    Ok(Authority {
        root_key_id: root_key_id.to_owned(),
        root_namespaces: root.namespaces().to_vec(),
        signer_key: signer_key.unwrap_or(*root.public_key()),
        leaf,
    })
}

/// The chain's links checked against each other (each signed by its parent, no wider
/// than it, valid on `today` when given), the first signed by `root` when it is given
/// (the signing tool may not have the root's key); returns the key the policy must be
/// signed with (`None` only without a root and without links) and the last link.
fn walk(
    root: Option<&TrustAnchor>,
    chain: &[SignedDelegation],
    signer_key_id: &str,
    today: Option<NaiveDate>,
    verified: &VerifiedLinks,
) -> Result<(Option<[u8; ED25519_PUBLIC_KEY_LEN]>, Option<LeafLink>), PolicyError> {
    let mut issuer_key = root.map(|root| *root.public_key());
    let mut issuer_key_id = root.map(|root| root.key_id().to_owned());
    let root_namespaces = root.map(TrustAnchor::namespaces).unwrap_or_default();
    let mut parent: Option<&SignedDelegation> = None;
    for (index, link) in chain.iter().enumerate() {
        let number = index + 1;
        if let Some(expected) = &issuer_key_id {
            if link.issuer_key_id() != expected {
                return Err(PolicyError::ChainBroken {
                    link: number,
                    detail: format!(
                        "it names issuer key {}, but its issuer is {expected}",
                        link.issuer_key_id()
                    ),
                });
            }
        }
        if let Some(key) = &issuer_key {
            if !verified.signed_by(link, key) {
                return Err(PolicyError::ChainBroken {
                    link: number,
                    detail: "its signature does not verify".into(),
                });
            }
        }
        let document = link.document();
        if let Some(today) = today {
            if !document.covers(today) {
                return Err(PolicyError::DelegationNotValid {
                    link: number,
                    valid_from: document.valid_from,
                    valid_until: document.valid_until,
                });
            }
        }
        match parent {
            Some(parent) => {
                let parent = parent.document();
                let wider = parent.constraints.widened_by(
                    &Link {
                        valid_from: parent.valid_from,
                        valid_until: parent.valid_until,
                        constraints: &parent.constraints,
                    },
                    &Link {
                        valid_from: document.valid_from,
                        valid_until: document.valid_until,
                        constraints: &document.constraints,
                    },
                );
                if let Some((constraint, detail)) = wider.into_iter().next() {
                    return Err(PolicyError::DelegationWidens {
                        link: number,
                        constraint: constraint.name(),
                        detail,
                    });
                }
            }
            None if !root_namespaces.is_empty()
                && !root_namespaces
                    .iter()
                    .any(|owned| document.constraints.namespace.starts_with(owned.as_str())) =>
            {
                return Err(PolicyError::DelegationWidens {
                    link: number,
                    constraint: "namespace",
                    detail: format!(
                        "`{}` is not within the root's own namespaces",
                        document.constraints.namespace
                    ),
                });
            }
            None => {}
        }
        issuer_key = Some(document.subject_key);
        issuer_key_id = Some(document.subject_key_id.clone());
        parent = Some(link);
    }
    if let Some(expected) = &issuer_key_id {
        if signer_key_id != expected {
            return Err(PolicyError::ChainBroken {
                link: chain.len(),
                detail: format!(
                    "the policy is signed by key {signer_key_id}, not by {expected}, the chain's last subject"
                ),
            });
        }
    }
    let leaf = parent.map(|last| {
        let document = last.document();
        LeafLink {
            valid_from: document.valid_from,
            valid_until: document.valid_until,
            delegation: last.clone(),
        }
    });
    Ok((issuer_key, leaf))
}

/// What an authority's signing tool can check without a device's anchors and date: the
/// chain's links against each other, the first link's signature when `root` is given,
/// and the policy's signer against the last subject. Dates are not checked: a chain may
/// be prepared ahead.
pub fn check_chain_for_signing(
    root: Option<&TrustAnchor>,
    chain: &[SignedDelegation],
    signer_key_id: &str,
) -> Result<Authority, PolicyError> {
    check_length(chain)?;
    let root_key_id = match (root, chain.first()) {
        (Some(root), _) => root.key_id().to_owned(),
        (None, Some(first)) => first.issuer_key_id().to_owned(),
        (None, None) => signer_key_id.to_owned(),
    };
    let (signer_key, leaf) = walk(root, chain, signer_key_id, None, &VerifiedLinks::new())?;
    Ok(Authority {
        root_key_id,
        root_namespaces: root
            .map(|root| root.namespaces().to_vec())
            .unwrap_or_default(),
        signer_key: signer_key.unwrap_or([0; ED25519_PUBLIC_KEY_LEN]),
        leaf,
    })
}

/// Checks that `child` may follow `parent` in a chain: signed by the parent's subject,
/// within its window and constraints, and within its depth. For a signing tool that
/// makes the next link; a device checks the same while it walks a chain.
pub fn check_next_link(
    parent: &SignedDelegation,
    child: &SignedDelegation,
) -> Result<(), PolicyError> {
    let subject = TrustAnchor::new(parent.document().subject_key);
    walk(
        Some(&subject),
        std::slice::from_ref(child),
        &child.document().subject_key_id,
        None,
        &VerifiedLinks::new(),
    )?;
    let (parent, child) = (parent.document(), child.document());
    let wider = parent.constraints.widened_by(
        &Link {
            valid_from: parent.valid_from,
            valid_until: parent.valid_until,
            constraints: &parent.constraints,
        },
        &Link {
            valid_from: child.valid_from,
            valid_until: child.valid_until,
            constraints: &child.constraints,
        },
    );
    match wider.into_iter().next() {
        Some((constraint, detail)) => Err(PolicyError::DelegationWidens {
            link: 2,
            constraint: constraint.name(),
            detail,
        }),
        None => Ok(()),
    }
}

fn check_length(chain: &[SignedDelegation]) -> Result<(), PolicyError> {
    if chain.len() > MAX_CHAIN_LINKS {
        return Err(PolicyError::ChainBroken {
            link: MAX_CHAIN_LINKS + 1,
            detail: format!("a chain has at most {MAX_CHAIN_LINKS} delegations"),
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "chain_tests.rs"]
mod tests;
