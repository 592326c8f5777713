//! Consent bound to what leaves. The person consents to one version of a policy, and the
//! consent keeps that version's document: a later version that lets no more leave
//! ([`compare_scopes`]) keeps the consent (the ledger says so, listing rotated keys); a
//! wider one seals and sends nothing until the person consents again, and
//! [`SelfReport::consent_status`] says exactly what widened.
//!
//! Sending also needs the policy to hold today, re-checked at every seal and send, not
//! only at install: its chain from a trust anchor the app still has, through delegations
//! valid today, and its own validity window ([`SelfReport::usable_policy`]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::Result;
use crate::facade::SelfReport;
use crate::ledger::{LedgerEntry, LedgerEvent};
use crate::policy::disclosure_scope::{compare_scopes, disclosure_digest};
use crate::policy::{PolicyDocument, SignedPolicy, VerifiedPolicy, parse_policy_document};
use crate::store::{Consent, ConsentScope};

/// Where the person stands with a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentStatus {
    /// They have not been asked.
    NotAsked,
    /// They withdrew it.
    Withdrawn,
    /// Sending is allowed: the installed version lets no more leave than what they
    /// consented to.
    Granted {
        /// The version they consented to.
        consented_version: u64,
        /// The installed version.
        version: u64,
    },
    /// The installed version lets more leave than what they consented to: nothing is
    /// sealed or sent under it until they consent again.
    Widened {
        /// The version they consented to.
        consented_version: u64,
        /// The installed version.
        version: u64,
        /// Each way it discloses more, in words the person can read.
        widened: Vec<String>,
    },
}

impl ConsentStatus {
    /// Whether sending is allowed.
    pub fn allows_sending(&self) -> bool {
        matches!(self, ConsentStatus::Granted { .. })
    }
}

/// The scope a consent to `policy` records.
fn scope_of(policy: &VerifiedPolicy) -> ConsentScope {
    ConsentScope {
        version: policy.version(),
        disclosure_sha256: disclosure_digest(policy.document()),
        document: STANDARD.encode(policy.payload_bytes()),
    }
}

/// The document a consent was given for; `None` when the stored scope cannot be read
/// back (treated as no consent to anything wider than nothing).
fn consented_document(scope: &ConsentScope) -> Option<PolicyDocument> {
    let bytes = STANDARD.decode(&scope.document).ok()?;
    parse_policy_document(&bytes).ok()
}

impl SelfReport {
    /// Allows sending under the installed version of a policy (and later versions that
    /// let no more leave); recorded in the ledger with the version and the digest of what
    /// it lets leave.
    pub fn grant_consent(&self, policy_id: &str) -> Result<()> {
        let policy = self.store().policy(policy_id)?;
        let at = self.now_string();
        let scope = scope_of(&policy);
        let event = LedgerEvent::ConsentGranted {
            policy_id: policy_id.to_owned(),
            purpose: policy.document().purpose.code.clone(),
            version: Some(scope.version),
            disclosure_sha256: Some(scope.disclosure_sha256.clone()),
        };
        self.store().set_consent(
            &Consent {
                policy_id: policy_id.to_owned(),
                granted: true,
                at: self.clock_now(),
                scope: Some(scope),
            },
            |_| LedgerEntry { at, event },
        )?;
        self.revive_withdrawn(policy_id)?;
        Ok(())
    }

    /// Submissions withdrawn with an earlier consent whose record has not changed since
    /// they were sealed are sent again, as the same bytes (the drop box keeps one copy of
    /// an id); one whose record changed stays withdrawn, with its deletion token, and the
    /// record is sealed anew.
    fn revive_withdrawn(&self, policy_id: &str) -> Result<()> {
        let now = chrono::Utc::now().timestamp();
        for item in self.store().outbox()? {
            let payload = &item.payload;
            if !payload.withdrawn || payload.policy_id != policy_id {
                continue;
            }
            let Some(record_id) = payload.record_id.as_deref() else {
                continue;
            };
            let Ok(record_id) = record_id.parse() else {
                continue;
            };
            let unchanged = match self.store().record(&record_id) {
                Ok(stored) if stored.state == crate::store::OutboxState::Saved => {
                    self.would_seal_the_same(&stored.record, payload)?
                }
                Ok(_) | Err(crate::error::Error::NotFound { .. }) => false,
                Err(error) => return Err(error),
            };
            if unchanged {
                self.store().revive_withdrawn(&payload.submission_id, now)?;
            }
        }
        Ok(())
    }

    /// Withdraws consent: nothing more is sent under the policy and its queued
    /// submissions are dropped; recorded in the ledger. Returns how many were dropped.
    pub fn withdraw_consent(&self, policy_id: &str) -> Result<u64> {
        let policy = self.store().policy(policy_id)?;
        let at = self.now_string();
        let purpose = policy.document().purpose.code.clone();
        self.store().set_consent(
            &Consent {
                policy_id: policy_id.to_owned(),
                granted: false,
                at: self.clock_now(),
                scope: None,
            },
            |dropped| LedgerEntry {
                at,
                event: LedgerEvent::ConsentWithdrawn {
                    policy_id: policy_id.to_owned(),
                    purpose,
                    dropped,
                },
            },
        )
    }

    /// Whether `record` would seal, under the installed policy, to exactly what `payload`
    /// holds (same submission id, same plaintext): then sending the kept bytes sends the
    /// record as it is now.
    fn would_seal_the_same(
        &self,
        record: &crate::model::Record,
        payload: &crate::store::OutboxPayload,
    ) -> Result<bool> {
        let Some(sealed) = payload.disclosure_sha256.as_deref() else {
            return Ok(false);
        };
        let (policy, profile, pseudonym, _, carried) = self.disclosure_inputs(record)?;
        if policy.version() != payload.policy_version {
            return Ok(false);
        }
        let disclosure = crate::minimize::minimize_carrying(
            policy.document(),
            record,
            &profile,
            &pseudonym,
            &payload.submission_id,
            carried,
        )?;
        Ok(crate::sync::disclosure_digest(&disclosure).as_deref() == Some(sealed))
    }

    /// Where the person stands with the installed version of a policy.
    pub fn consent_status(&self, policy_id: &str) -> Result<ConsentStatus> {
        let Some(consent) = self.store().consent(policy_id)? else {
            return Ok(ConsentStatus::NotAsked);
        };
        if !consent.granted {
            return Ok(ConsentStatus::Withdrawn);
        }
        let installed = self.store().policy(policy_id)?;
        let version = installed.version();
        let Some(scope) = consent.scope else {
            // Given before consent was bound to a version: it is bound to the version
            // installed then at the next install, so until then it covers this one.
            return Ok(ConsentStatus::Granted {
                consented_version: version,
                version,
            });
        };
        if scope.version == version {
            return Ok(ConsentStatus::Granted {
                consented_version: version,
                version,
            });
        }
        let widened = match consented_document(&scope) {
            Some(consented) => compare_scopes(&consented, installed.document()).wider,
            None => vec!["the consented version can no longer be read".to_owned()],
        };
        Ok(if widened.is_empty() {
            ConsentStatus::Granted {
                consented_version: scope.version,
                version,
            }
        } else {
            ConsentStatus::Widened {
                consented_version: scope.version,
                version,
                widened,
            }
        })
    }

    /// Whether sending under the installed version of the policy is allowed.
    pub fn has_consent(&self, policy_id: &str) -> Result<bool> {
        Ok(self.consent_status(policy_id)?.allows_sending())
    }

    /// The installed policy if anything may be sealed or sent under it now: it still
    /// verifies against the app's trust anchors today (a removed anchor, a delegation past
    /// its window or a policy past its own stop everything under them), no revocation
    /// list held for its root revokes it or its chain, and the person's consent covers it.
    /// `None` otherwise. Every seal and send asks this first.
    ///
    /// The chain is verified once per policy and day (the anchors are fixed while the
    /// core is open, every window is a whole day, and installing a revocation list clears
    /// what was verified); the consent is read every time.
    pub fn usable_policy(&self, policy_id: &str) -> Result<Option<VerifiedPolicy>> {
        let policy = self.store().policy(policy_id)?;
        let today = self.today();
        let digest = crate::crypto::sha256(policy.envelope_bytes());
        let checked = self
            .verified_on
            .lock()
            .map(|verified| verified.get(policy_id) == Some(&(digest, today)))
            .unwrap_or(false);
        if !checked {
            let holds =
                SignedPolicy::parse_remembering(policy.envelope_bytes(), &self.verified_links)
                    .and_then(|signed| {
                        signed.verify_remembering(self.trust_anchors(), today, &self.verified_links)
                    })
                    .is_ok();
            if !holds || self.revocation_refusal(&policy)?.is_some() {
                return Ok(None);
            }
            if let Ok(mut verified) = self.verified_on.lock() {
                verified.insert(policy_id.to_owned(), (digest, today));
            }
        }
        if !self.has_consent(policy_id)? {
            return Ok(None);
        }
        Ok(Some(policy))
    }

    /// After `installed` replaced `previous` (or was installed first): a consent given
    /// before is bound to what it was given for, and the ledger says whether it carries
    /// over (listing rotated keys) or must be given again (listing what widened).
    pub(crate) fn after_install(
        &self,
        previous: Option<&VerifiedPolicy>,
        installed: &VerifiedPolicy,
    ) -> Result<()> {
        let Some(mut consent) = self.store().consent(installed.id())? else {
            return Ok(());
        };
        if !consent.granted {
            return Ok(());
        }
        let scope = match (consent.scope.take(), previous) {
            (Some(scope), _) => scope,
            (None, Some(previous)) => scope_of(previous),
            (None, None) => scope_of(installed),
        };
        let widened = match consented_document(&scope) {
            Some(consented) => compare_scopes(&consented, installed.document()).wider,
            None => vec!["the consented version can no longer be read".to_owned()],
        };
        let rotated = previous
            .map(|previous| compare_scopes(previous.document(), installed.document()).rotated)
            .unwrap_or_default();
        let event = if widened.is_empty() {
            LedgerEvent::ConsentCarriedOver {
                policy_id: installed.id().to_owned(),
                from_version: scope.version,
                to_version: installed.version(),
                disclosure_sha256: disclosure_digest(installed.document()),
                rotated,
            }
        } else {
            LedgerEvent::ConsentNeeded {
                policy_id: installed.id().to_owned(),
                version: installed.version(),
                widened,
            }
        };
        consent.scope = Some(scope);
        let at = self.now_string();
        self.store()
            .set_consent(&consent, |_| LedgerEntry { at, event })?;
        Ok(())
    }
}

#[cfg(test)]
#[path = "consent_tests.rs"]
mod tests;
