//! Revocation on the device: installing a root's list (from a file or relayed by any drop
//! box), what it stops, and where each policy stands.
//!
//! A list newly installed stops at once everything it revokes: the re-check before every
//! seal and send ([`SelfReport::usable_policy`]) refuses a revoked policy, queued
//! submissions sealed under a revoked version or delegation are dropped unsent, and the
//! ledger says which policy was revoked and why. A revoked version cannot be installed.

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::facade::SelfReport;
use crate::ledger::{LedgerEntry, LedgerEvent};
use crate::policy::revocation::Revocation;
use crate::policy::{
    PolicyError, RevocationList, RevocationReason, SignedRevocations, VerifiedPolicy,
};
use crate::store::{OutboxItemState, RevocationsInstalled};
use crate::sync::transport::{Transport, TransportConfig};

/// A revocation list held for a root, as the person and the app see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationListInfo {
    /// The root's key id.
    pub root_key_id: String,
    /// Its sequence number.
    pub sequence: u64,
    /// The day it was issued.
    pub issued_at: NaiveDate,
    /// The day the next list is due.
    pub next_update: NaiveDate,
    /// Whether today is past `next_update` (reported, not a revocation).
    pub stale: bool,
    /// Delegations it revokes.
    pub revoked_delegations: u64,
    /// Policy versions it revokes.
    pub revoked_policies: u64,
}

impl RevocationListInfo {
    fn of(list: &RevocationList, today: NaiveDate) -> Self {
        let document = list.document();
        Self {
            root_key_id: list.root_key_id().to_owned(),
            sequence: document.sequence,
            issued_at: document.issued_at,
            next_update: document.next_update,
            stale: list.is_stale(today),
            revoked_delegations: document.delegations.len() as u64,
            revoked_policies: document.policies.len() as u64,
        }
    }
}

/// Where an installed policy stands with its root's revocation list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationStatus {
    /// Nothing revokes it. `list` is the list held for its root, if any.
    NotRevoked {
        /// The list held for its root.
        list: Option<RevocationListInfo>,
    },
    /// Its installed version is revoked: nothing is sealed or sent under it.
    VersionRevoked {
        /// The version revoked.
        version: u64,
        /// Why.
        reason: RevocationReason,
        /// The list that revoked it.
        list: RevocationListInfo,
    },
    /// A delegation of its chain is revoked: nothing is sealed or sent under it.
    DelegationRevoked {
        /// The key id of the revoked delegation's subject.
        subject_key_id: String,
        /// Why.
        reason: RevocationReason,
        /// The list that revoked it.
        list: RevocationListInfo,
    },
}

impl RevocationStatus {
    /// Whether it stops sending.
    pub fn is_revoked(&self) -> bool {
        !matches!(self, RevocationStatus::NotRevoked { .. })
    }
}

/// What installing a list did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationUpdate {
    /// The list now held.
    pub list: RevocationListInfo,
    /// Whether it was new (false: the very list was held already).
    pub changed: bool,
    /// Installed policies it newly stops, by id.
    pub revoked_policies: Vec<String>,
    /// Queued submissions dropped unsent because of it.
    pub dropped: u64,
}

impl SelfReport {
    /// Verifies a signed revocation list against the trust anchors (a root's signature
    /// under the revocation context) and keeps it if it is newer than the one held for
    /// that root. Everything it revokes stops at once, queued submissions under it are
    /// dropped, and the ledger records each policy it stops.
    ///
    /// An older list is refused with `PolicyRevocationsStale`, another list under the
    /// same number with `PolicyRevocationsConflict`.
    pub fn install_revocations(&self, signed: &[u8]) -> Result<RevocationUpdate> {
        let list = SignedRevocations::parse(signed)?.verify(self.trust_anchors(), self.today())?;
        let installed = self.store().install_revocations(&list)?;
        let info = RevocationListInfo::of(&list, self.today());
        if installed == RevocationsInstalled::Unchanged {
            return Ok(RevocationUpdate {
                list: info,
                changed: false,
                revoked_policies: Vec::new(),
                dropped: 0,
            });
        }
        // Every cached "verified today" answer predates this list.
        if let Ok(mut verified) = self.verified_on.lock() {
            verified.clear();
        }
        let mut revoked_policies = Vec::new();
        let mut dropped_total = 0;
        let queued: Vec<_> = self
            .store()
            .outbox()?
            .into_iter()
            .filter(|item| item.state == OutboxItemState::Pending)
            .collect();
        for policy in self.store().policies()? {
            if policy.root_key_id() != list.root_key_id() {
                continue;
            }
            let installed_revocation =
                list.revocation_of(policy.id(), policy.version(), policy.chain_subject_keys());
            // Queued items sealed under a revoked version, or under a revoked chain
            // (every version installed since shares the item's root; its chain is the
            // installed one's when the installed one is revoked by delegation).
            let mut dropped = 0;
            for item in queued
                .iter()
                .filter(|item| item.payload.policy_id == policy.id())
            {
                let revocation = match &installed_revocation {
                    Some(revocation @ Revocation::Delegation { .. }) => Some(revocation.clone()),
                    _ => list.revocation_of(policy.id(), item.payload.policy_version, &[]),
                };
                if let Some(revocation) = revocation {
                    self.drop_revoked(item, &revocation)?;
                    dropped += 1;
                }
            }
            dropped_total += dropped;
            let Some(revocation) = installed_revocation else {
                continue;
            };
            self.store().append_ledger(&LedgerEntry {
                at: self.now_string(),
                event: LedgerEvent::PolicyRevoked {
                    policy_id: policy.id().to_owned(),
                    version: policy.version(),
                    revoked: revoked_what(&revocation),
                    reason: revocation.reason().code().to_owned(),
                    sequence: list.document().sequence,
                    dropped,
                },
            })?;
            revoked_policies.push(policy.id().to_owned());
        }
        Ok(RevocationUpdate {
            list: info,
            changed: true,
            revoked_policies,
            dropped: dropped_total,
        })
    }

    /// Fetches `GET {endpoint}/revocations` from the endpoint of the installed policy
    /// `policy_id` and installs the list as [`SelfReport::install_revocations`] does.
    /// `Ok(None)` when the drop box relays no list (404) or one older than the list held
    /// (a relay that has not caught up is no error).
    pub async fn update_revocations(
        &self,
        policy_id: &str,
        config: &TransportConfig,
    ) -> Result<Option<RevocationUpdate>> {
        let installed = self.store().policy(policy_id)?;
        let transport = Transport::for_endpoint(&installed.document().endpoint, config)?;
        let reply = transport.fetch_revocations().await?;
        match reply.status {
            200 => {}
            404 => return Ok(None),
            status => {
                return Err(Error::Conflict(format!(
                    "the endpoint answered {status} for the revocation list"
                )));
            }
        }
        match self.install_revocations(&reply.body) {
            Ok(update) => Ok(Some(update)),
            Err(Error::Policy(PolicyError::RevocationsStale { .. })) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Every revocation list held, by root key id.
    pub fn revocation_lists(&self) -> Result<Vec<RevocationListInfo>> {
        let today = self.today();
        Ok(self
            .store()
            .revocation_lists()?
            .iter()
            .map(|list| RevocationListInfo::of(list, today))
            .collect())
    }

    /// Where the installed policy `policy_id` stands with its root's list.
    pub fn revocation_status(&self, policy_id: &str) -> Result<RevocationStatus> {
        let policy = self.store().policy(policy_id)?;
        let Some(list) = self.store().revocations_of(policy.root_key_id())? else {
            return Ok(RevocationStatus::NotRevoked { list: None });
        };
        let info = RevocationListInfo::of(&list, self.today());
        Ok(
            match list.revocation_of(policy.id(), policy.version(), policy.chain_subject_keys()) {
                None => RevocationStatus::NotRevoked { list: Some(info) },
                Some(Revocation::Version { reason }) => RevocationStatus::VersionRevoked {
                    version: policy.version(),
                    reason,
                    list: info,
                },
                Some(Revocation::Delegation {
                    subject_key_id,
                    reason,
                }) => RevocationStatus::DelegationRevoked {
                    subject_key_id,
                    reason,
                    list: info,
                },
            },
        )
    }

    /// The refusal the list held for `policy`'s root makes of it, if any.
    pub(crate) fn revocation_refusal(
        &self,
        policy: &VerifiedPolicy,
    ) -> Result<Option<PolicyError>> {
        Ok(self
            .store()
            .revocations_of(policy.root_key_id())?
            .and_then(|list| list.check(policy).err()))
    }

    /// Marks a queued item failed because of `revocation`, and ledgers the drop.
    fn drop_revoked(&self, item: &crate::store::OutboxItem, revocation: &Revocation) -> Result<()> {
        let reason = format!(
            "revoked by its root ({}): {}",
            revocation.reason().code(),
            revoked_what(revocation)
        );
        self.store()
            .mark_failed(&item.payload.submission_id, reason.clone())?;
        self.store()
            .append_ledger(&LedgerEntry {
                at: self.now_string(),
                event: LedgerEvent::SubmissionDropped {
                    policy_id: item.payload.policy_id.clone(),
                    submission_id: item.payload.submission_id.clone(),
                    reason,
                },
            })
            .map(|_| ())
    }
}

/// What a revocation names, for the ledger: `version`, or `delegation <key id>`.
fn revoked_what(revocation: &Revocation) -> String {
    match revocation {
        Revocation::Version { .. } => "version".to_owned(),
        Revocation::Delegation { subject_key_id, .. } => format!("delegation {subject_key_id}"),
    }
}

#[cfg(test)]
#[path = "revocations_tests.rs"]
mod tests;
