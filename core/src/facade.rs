//! [`SelfReport`]: the one object apps, bindings and the CLI use.
//!
//! It owns the encrypted store, the trust anchors and the clock, and turns the person's
//! actions into checked store operations: verify before install, validate before save,
//! "today" always the person's local date.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::clock::Clock;
use crate::crypto::KeySource;
use crate::error::{Error, Result};
use crate::model::{
    Answers, DueItem, MonitoringPeriod, MonitoringReason, NewProfile, Profile, ProfileId, RecordId,
    RegistrationFiling, due, is_registration, registration_due, stored_arrival, validate_answers,
};
use crate::policy::{Labels, OncePer, SignedPolicy, TrustAnchors, VerifiedPolicy};
use crate::store::{
    NewMonitoringPeriod, NewRecord, PurgeReport, RecordListing, SavedRecord, Store, StoredRecord,
};

/// What an app configures when it opens the core.
#[derive(Clone)]
pub struct Options {
    /// The authority keys whose signatures this app accepts on policies.
    pub trust_anchors: TrustAnchors,
    /// Where "now" and "today" come from.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("trust_anchors", &self.trust_anchors.len())
            .finish_non_exhaustive()
    }
}

/// A summary of an installed policy, for lists and settings screens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicySummary {
    /// Policy id.
    pub id: String,
    /// Installed version.
    pub version: u64,
    /// Who issues it.
    pub issuer: Labels,
    /// Purpose code.
    pub purpose_code: String,
    /// Purpose statement.
    pub purpose: Labels,
    /// First valid day.
    pub valid_from: NaiveDate,
    /// Last valid day.
    pub valid_until: NaiveDate,
    /// Form ids.
    pub forms: Vec<String>,
    /// Where submissions would go.
    pub endpoint_url: String,
    /// Device retention in days.
    pub device_retention_days: u32,
    /// Key id of the signing authority key.
    pub key_id: String,
}

impl PolicySummary {
    fn of(policy: &VerifiedPolicy) -> Self {
        let document = policy.document();
        Self {
            id: document.id.clone(),
            version: document.version,
            issuer: document.issuer.name.clone(),
            purpose_code: document.purpose.code.clone(),
            purpose: document.purpose.text.clone(),
            valid_from: document.valid_from,
            valid_until: document.valid_until,
            forms: document.forms.iter().map(|form| form.id.clone()).collect(),
            endpoint_url: document.endpoint.url.clone(),
            device_retention_days: document.retention.device_days,
            key_id: policy.key_id().to_owned(),
        }
    }
}

/// The selfreport core, opened on one store.
pub struct SelfReport {
    store: Store,
    trust_anchors: TrustAnchors,
    clock: Arc<dyn Clock>,
    /// Held for the whole of a sync: two syncs at once would seal and send the same
    /// records twice.
    sync_gate: tokio::sync::Mutex<()>,
    /// The installed policy envelopes (by SHA-256) that verified against the trust
    /// anchors on a day, by policy id: the re-check before each seal and send verifies a
    /// chain once per policy and day (the anchors are fixed for an open core).
    pub(crate) verified_on: std::sync::Mutex<HashMap<String, ([u8; 32], NaiveDate)>>,
    /// Delegation signatures this core has verified: an update under the same chain, and
    /// each day's first re-check, verify only the policy's own signature.
    pub(crate) verified_links: crate::policy::VerifiedLinks,
}

impl std::fmt::Debug for SelfReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelfReport")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl SelfReport {
    /// Creates a new store in `dir` whose key is wrapped by `key_source`.
    pub fn create(dir: &Path, key_source: &dyn KeySource, options: Options) -> Result<Self> {
        let store = Store::create(dir, key_source)?;
        Ok(Self::with(store, options))
    }

    /// Opens the store in `dir`. `WrongKey` if the key source does not open it (the files
    /// are then unchanged), `KeyUnavailable` if the platform lost its key, `Corrupt` if
    /// the key material on disk is damaged.
    pub fn open(dir: &Path, key_source: &dyn KeySource, options: Options) -> Result<Self> {
        let store = Store::open(dir, key_source)?;
        Ok(Self::with(store, options))
    }

    fn with(store: Store, options: Options) -> Self {
        Self {
            store,
            trust_anchors: options.trust_anchors,
            clock: options.clock,
            sync_gate: tokio::sync::Mutex::new(()),
            verified_on: std::sync::Mutex::new(HashMap::new()),
            verified_links: crate::policy::VerifiedLinks::new(),
        }
    }

    /// Taken by `sync` so that syncs of this store run one after the other.
    pub(crate) fn sync_gate(&self) -> &tokio::sync::Mutex<()> {
        &self.sync_gate
    }

    /// Whether a store exists in `dir`.
    pub fn exists(dir: &Path) -> bool {
        Store::exists(dir)
    }

    /// The person's local date now.
    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    /// Verifies a signed policy against the trust anchors and today's date and installs
    /// it. Any refusal is a typed error and leaves the installed policy untouched.
    ///
    /// A consent given for an earlier version carries over only when this one lets no
    /// more leave; otherwise nothing is sent under it until the person consents again
    /// (see [`SelfReport::consent_status`]). Either way the ledger says so.
    pub fn install_policy(&self, signed: &[u8]) -> Result<PolicySummary> {
        let verified = SignedPolicy::parse_remembering(signed, &self.verified_links)?
            .into_verified_remembering(&self.trust_anchors, self.today(), &self.verified_links)?;
        if let Some(refusal) = self.revocation_refusal(&verified)? {
            return Err(refusal.into());
        }
        let previous = match self.store.policy(verified.id()) {
            Ok(previous) => Some(previous),
            Err(Error::NotFound { .. }) => None,
            Err(error) => return Err(error),
        };
        self.store.install_policy(&verified)?;
        self.after_install(previous.as_ref(), &verified)?;
        Ok(PolicySummary::of(&verified))
    }

    /// Installed policies.
    pub fn policies(&self) -> Result<Vec<PolicySummary>> {
        Ok(self
            .store
            .policies()?
            .iter()
            .map(PolicySummary::of)
            .collect())
    }

    /// The installed policy with this id.
    pub fn policy(&self, id: &str) -> Result<VerifiedPolicy> {
        self.store.policy(id)
    }

    /// Adds a household profile after validating its attributes.
    pub fn add_profile(&self, profile: NewProfile) -> Result<ProfileId> {
        let validated = profile.validate(self.today())?;
        Ok(self.store.add_profile(validated)?.id)
    }

    /// Every profile.
    pub fn profiles(&self) -> Result<Vec<Profile>> {
        self.store.profiles()
    }

    /// Starts a monitoring period for a profile under a policy, from `start` (default
    /// today), for the number of days the policy sets.
    pub fn start_monitoring(
        &self,
        profile: &ProfileId,
        policy_id: &str,
        start: Option<NaiveDate>,
        reason: MonitoringReason,
    ) -> Result<MonitoringPeriod> {
        self.store.profile(profile)?;
        let policy = self.store.policy(policy_id)?;
        let document = policy.document();
        let monitoring = document.monitoring.ok_or_else(|| {
            Error::Conflict(format!(
                "policy {policy_id} does not define monitoring periods"
            ))
        })?;
        self.check_self_monitoring_allowed(document)?;
        self.store.add_monitoring_period(NewMonitoringPeriod {
            profile_id: profile.clone(),
            policy_id: policy_id.to_owned(),
            start: start.unwrap_or_else(|| self.today()),
            days: monitoring.days,
            reason,
            retention_days: document.retention.device_days,
            order: None,
        })
    }

    /// Every monitoring period.
    pub fn monitoring_periods(&self) -> Result<Vec<MonitoringPeriod>> {
        self.store.monitoring_periods()
    }

    /// What each profile still owes on `today` (default: the person's today): the daily
    /// forms of its active monitoring periods not filed for today, then the registrations
    /// (pre-registration) of valid policies it filled in and has not sent yet
    /// ([`crate::model::is_registration`]).
    pub fn due(&self, today: Option<NaiveDate>) -> Result<Vec<DueItem>> {
        let today = today.unwrap_or_else(|| self.today());
        let periods = self.store.monitoring_periods()?;
        let policies = self.store.policies()?;
        let documents: Vec<_> = policies.iter().map(VerifiedPolicy::document).collect();
        // The blind-index lookup cannot fail silently inside the closure, so remember
        // the first error and report it.
        let failure = std::cell::RefCell::new(None);
        let items = due(
            today,
            &periods,
            &documents,
            |profile, policy, form, date| match self.store.is_filed(
                profile,
                policy,
                form,
                OncePer::Day,
                date,
            ) {
                Ok(filed) => filed,
                Err(error) => {
                    failure.borrow_mut().get_or_insert(error);
                    false
                }
            },
        );
        if let Some(error) = failure.into_inner() {
            return Err(error);
        }
        // Then each registration filled in but not sent, by profile in the store's order,
        // policies in installed order, forms in policy order.
        let mut items = items;
        for profile in self.store.profiles()? {
            for policy in documents
                .iter()
                .filter(|policy| policy.valid_from <= today && today <= policy.valid_until)
            {
                for form in policy.forms.iter().filter(|form| is_registration(form)) {
                    let filing =
                        self.store
                            .registration_filing(&profile.id, &policy.id, &form.id)?;
                    if filing == RegistrationFiling::Unsent {
                        items.push(registration_due(today, &profile.id, policy, form));
                    }
                }
            }
        }
        Ok(items)
    }

    /// Validates answers against the policy's form and saves the record for `date`
    /// (default today). A second save of a daily form for the same day amends the unsent
    /// record.
    ///
    /// A traveler's arrival (`crate::arrival`): a daily report dated before the arrival
    /// the person registered under the policy is refused ([`Rule::BeforeArrival`] on
    /// `date`); saving a registration with an arrival date starts the policy's monitoring
    /// period from that day ([`SavedRecord::monitoring_started`]).
    ///
    /// [`Rule::BeforeArrival`]: crate::model::Rule::BeforeArrival
    pub fn save_record(
        &self,
        profile_id: &ProfileId,
        policy_id: &str,
        form_id: &str,
        date: Option<NaiveDate>,
        answers: Answers,
    ) -> Result<SavedRecord> {
        let today = self.today();
        let date = date.unwrap_or(today);
        let profile = self.store.profile(profile_id)?;
        let policy = self.store.policy(policy_id)?;
        let document = policy.document();
        let form = document.form(form_id).ok_or_else(|| Error::NotFound {
            what: "form",
            id: form_id.to_owned(),
        })?;
        let values = validate_answers(form, &profile, answers, date, today)?;
        self.check_not_before_arrival(profile_id, document, form, date)?;
        self.check_enrolled(profile_id, document, form, date)?;
        let arrival = stored_arrival(form, &values);
        let mut saved = self.store.save_record(NewRecord {
            profile_id: profile_id.clone(),
            policy_id: policy_id.to_owned(),
            policy_version: document.version,
            form_id: form_id.to_owned(),
            once_per: form.once_per,
            date,
            values,
            saved_at: self.clock.now(),
            retention_days: document.retention.device_days,
        })?;
        if let Some(arrival) = arrival {
            saved.monitoring_started =
                self.start_monitoring_on_arrival(profile_id, document, arrival)?;
        }
        Ok(saved)
    }

    /// The record with this id.
    pub fn record(&self, id: &RecordId) -> Result<StoredRecord> {
        self.store.record(id)
    }

    /// Every record, with the ids of any damaged rows.
    pub fn records(&self) -> Result<RecordListing> {
        self.store.records()
    }

    /// One profile's records dated `from..=to`.
    pub fn records_of_profile(
        &self,
        profile: &ProfileId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<RecordListing> {
        self.store.records_of_profile(profile, from, to)
    }

    /// Deletes everything whose retention has ended by `today` (default the person's
    /// today) and shreds the keys that sealed it.
    pub fn purge(&self, today: Option<NaiveDate>) -> Result<PurgeReport> {
        self.store.purge(today.unwrap_or_else(|| self.today()))
    }

    /// Re-wraps the store key with a new key source (a new passphrase); records are not
    /// re-encrypted. The old key source no longer opens the store.
    pub fn change_key(&self, new_source: &dyn KeySource) -> Result<()> {
        self.store.change_key(new_source)
    }

    /// Shreds the store key and deletes every file of the store.
    pub fn erase(self) -> Result<()> {
        self.store.erase()
    }

    /// Deletes a store's files without opening it: the documented reset path when the
    /// platform lost the key (`KeyUnavailable`) or the person forgot the passphrase.
    pub fn erase_dir(dir: &Path) -> Result<()> {
        Store::erase_files(dir)
    }

    /// The store's database file and companions (some may not exist at a given moment).
    pub fn store_files(&self) -> Vec<PathBuf> {
        self.store.files()
    }

    /// The trust anchors this instance verifies policies with.
    pub(crate) fn trust_anchors(&self) -> &TrustAnchors {
        &self.trust_anchors
    }

    /// Now, local time.
    pub(crate) fn clock_now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        self.clock.now()
    }

    /// Now, local time, RFC 3339 with seconds.
    pub(crate) fn now_string(&self) -> String {
        self.clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    }

    /// The store underneath, for crate-internal flows and tests.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

#[cfg(test)]
#[path = "facade_tests.rs"]
pub(crate) mod tests;
