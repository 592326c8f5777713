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
use crate::corrections::NeedsCorrection;
use crate::crypto::KeySource;
use crate::error::{Error, Result};
use crate::model::{
    Answers, DueItem, MonitoringPeriod, MonitoringReason, NewProfile, Profile, ProfileId, RecordId,
    due, validate_answers,
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

/// Everything the store holds about the person, decrypted, for export.
#[derive(Debug, Clone, Serialize)]
pub struct Export {
    /// `"selfreport.export/1"`.
    pub format: &'static str,
    /// When the export was made, local time, RFC 3339.
    pub exported_at: String,
    /// Installed policies, as their documents' JSON.
    pub policies: Vec<serde_json::Value>,
    /// Profiles.
    pub profiles: Vec<Profile>,
    /// Monitoring periods.
    pub monitoring_periods: Vec<MonitoringPeriod>,
    /// Records with their outbox state.
    pub records: Vec<StoredRecord>,
    /// Rows that failed their integrity check and could not be exported.
    pub damaged: Vec<String>,
    /// Stored values today's rules refuse, exported as they are and flagged here.
    pub needs_correction: NeedsCorrection,
    /// The ledger, each entry with its exact hashed bytes, hash and predecessor's hash
    /// (the form `selfreport ledger --json` prints).
    pub ledger: Vec<crate::ledger::ChainedEntry>,
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
        self.store.add_monitoring_period(NewMonitoringPeriod {
            profile_id: profile.clone(),
            policy_id: policy_id.to_owned(),
            start: start.unwrap_or_else(|| self.today()),
            days: monitoring.days,
            reason,
            retention_days: document.retention.device_days,
        })
    }

    /// Every monitoring period.
    pub fn monitoring_periods(&self) -> Result<Vec<MonitoringPeriod>> {
        self.store.monitoring_periods()
    }

    /// What each profile still owes on `today` (default: the person's today).
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
        match failure.into_inner() {
            Some(error) => Err(error),
            None => Ok(items),
        }
    }

    /// Validates answers against the policy's form and saves the record for `date`
    /// (default today). A second save of a daily form for the same day amends the unsent
    /// record.
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
        self.store.save_record(NewRecord {
            profile_id: profile_id.clone(),
            policy_id: policy_id.to_owned(),
            policy_version: document.version,
            form_id: form_id.to_owned(),
            once_per: form.once_per,
            date,
            values,
            saved_at: self.clock.now(),
            retention_days: document.retention.device_days,
        })
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

    /// Everything the store holds, decrypted, for the person to take away.
    pub fn export(&self) -> Result<Export> {
        let policies = self
            .store
            .policies()?
            .iter()
            .map(|policy| {
                serde_json::from_slice(policy.payload_bytes())
                    .map_err(|_| Error::corrupt(format!("policies/{}", policy.id())))
            })
            .collect::<Result<Vec<_>>>()?;
        let listing = self.store.records()?;
        Ok(Export {
            format: "selfreport.export/1",
            exported_at: self.clock.now().to_rfc3339(),
            policies,
            profiles: self.store.profiles()?,
            monitoring_periods: self.store.monitoring_periods()?,
            records: listing.records,
            damaged: listing.damaged,
            needs_correction: self.needs_correction()?,
            ledger: self.store.ledger_chain()?,
        })
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
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, FixedOffset};

    use super::*;
    use crate::clock::FixedClock;
    use crate::model::Rule;
    use crate::policy::PolicyError;
    use crate::policy::test_support::{anchor_for, signed, test_key, test_policy_json, today};
    use crate::store::OutboxState;
    use crate::store::test_support::key_source;

    struct Setup {
        _dir: tempfile::TempDir,
        core: SelfReport,
        clock: Arc<FixedClock>,
        key: crate::crypto::SigningKey,
        profile: ProfileId,
    }

    fn at(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    fn setup(now: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(FixedClock::new(at(now)));
        let key = test_key();
        let options = Options {
            trust_anchors: anchor_for(&key),
            clock: clock.clone(),
        };
        let core = SelfReport::create(dir.path(), &key_source(9), options).unwrap();
        core.install_policy(&signed(&key, &test_policy_json("sh", 1, today())))
            .unwrap();
        let profile = core
            .add_profile(NewProfile {
                display_name: "Grandpa".into(),
                name: Some("王建国".into()),
                ..NewProfile::default()
            })
            .unwrap();
        Setup {
            _dir: dir,
            core,
            clock,
            key,
            profile,
        }
    }

    fn daily(temperature: &str) -> Answers {
        Answers::new().text("temperature", temperature)
    }

    #[test]
    fn a_second_save_the_same_day_amends_until_sent_then_adds_a_revision() {
        let s = setup("2026-11-28T09:00:00+08:00");
        let first = s
            .core
            .save_record(&s.profile, "sh", "daily", None, daily("36.6"))
            .unwrap();
        assert!(!first.amended);
        let second = s
            .core
            .save_record(&s.profile, "sh", "daily", None, daily("36.9"))
            .unwrap();
        assert!(second.amended);
        assert_eq!(second.id, first.id);
        assert_eq!(s.core.records().unwrap().records.len(), 1);
        let stored = s.core.record(&first.id).unwrap();
        assert_eq!(
            stored.record.value("temperature").unwrap().to_string(),
            "36.9"
        );

        s.core
            .store()
            .set_record_state(&first.id, OutboxState::Sent)
            .unwrap();
        let third = s
            .core
            .save_record(&s.profile, "sh", "daily", None, daily("37.1"))
            .unwrap();
        assert!(!third.amended);
        assert_ne!(third.id, first.id);
        assert_eq!(third.revision, 2);
        let amendment = s.core.record(&third.id).unwrap().record;
        assert_eq!(amendment.amends, Some(first.id.clone()));
        // The sent record is untouched.
        let sent = s.core.record(&first.id).unwrap();
        assert_eq!(sent.state, OutboxState::Sent);
        assert_eq!(
            sent.record.value("temperature").unwrap().to_string(),
            "36.9"
        );
    }

    #[test]
    fn the_day_of_a_record_is_the_local_day_across_midnight() {
        // 23:59 in Shanghai (15:59 UTC) and two minutes later (00:01, the next local day,
        // still the same UTC day) are two different daily records.
        let s = setup("2026-11-28T23:59:00+08:00");
        let late = s
            .core
            .save_record(&s.profile, "sh", "daily", None, daily("36.6"))
            .unwrap();
        s.clock.set(at("2026-11-29T00:01:00+08:00"));
        let early = s
            .core
            .save_record(&s.profile, "sh", "daily", None, daily("36.7"))
            .unwrap();
        assert!(!early.amended);
        assert_ne!(late.id, early.id);
        let dates: Vec<_> = s
            .core
            .records()
            .unwrap()
            .records
            .iter()
            .map(|stored| stored.record.date.to_string())
            .collect();
        assert_eq!(dates, ["2026-11-28", "2026-11-29"]);
        // West of UTC the same instant is still the 28th: the record amends the 28th's.
        s.clock.set(at("2026-11-28T11:01:00-05:00"));
        assert_eq!(s.core.today().to_string(), "2026-11-28");
        let west = s
            .core
            .save_record(&s.profile, "sh", "daily", None, daily("36.8"))
            .unwrap();
        assert!(west.amended);
        assert_eq!(west.id, late.id);
    }

    #[test]
    fn a_record_dated_tomorrow_is_refused() {
        let s = setup("2026-11-28T23:59:00+08:00");
        let tomorrow = "2026-11-29".parse().unwrap();
        let error = s
            .core
            .save_record(&s.profile, "sh", "daily", Some(tomorrow), daily("36.6"))
            .unwrap_err();
        match error {
            Error::Invalid(invalid) => assert_eq!(invalid.rule, Rule::FutureDate),
            other => panic!("expected FutureDate, got {other:?}"),
        }
    }

    #[test]
    fn due_lists_the_daily_form_until_it_is_filed_and_only_within_the_period() {
        let s = setup("2026-11-28T08:00:00+08:00");
        assert!(
            s.core.due(None).unwrap().is_empty(),
            "no monitoring period yet"
        );
        let period = s
            .core
            .start_monitoring(&s.profile, "sh", None, MonitoringReason::Arrival)
            .unwrap();
        assert_eq!(period.days, 14);
        let due = s.core.due(None).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].form_id.as_str(), due[0].day, due[0].of_days),
            ("daily", 1, 14)
        );
        s.core
            .save_record(&s.profile, "sh", "daily", None, daily("36.6"))
            .unwrap();
        assert!(s.core.due(None).unwrap().is_empty());
        // Next local day it is due again; after the 14th day it is not.
        s.clock.advance_days(1);
        assert_eq!(s.core.due(None).unwrap()[0].day, 2);
        let after = period.last_day().succ_opt().unwrap();
        assert!(s.core.due(Some(after)).unwrap().is_empty());
        // An overlapping period for the same policy is refused.
        assert!(matches!(
            s.core
                .start_monitoring(&s.profile, "sh", None, MonitoringReason::SelfReported),
            Err(Error::Conflict(_))
        ));
    }

    /// Issue 13's first attack: a second trusted key signs version 5 of an installed id
    /// with its own endpoint and recipients. It is refused as not the owner's, and the
    /// installed version stays.
    #[test]
    fn a_second_trusted_keys_version_of_an_installed_id_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let owner = test_key();
        let other = test_key();
        let anchors: crate::policy::TrustAnchors = [
            crate::policy::TrustAnchor::new(owner.public_key()),
            crate::policy::TrustAnchor::new(other.public_key()),
        ]
        .into_iter()
        .collect();
        let options = Options {
            trust_anchors: anchors,
            clock: Arc::new(FixedClock::new(at("2026-11-28T08:00:00+08:00"))),
        };
        let core = SelfReport::create(dir.path(), &key_source(9), options).unwrap();
        core.install_policy(&signed(
            &owner,
            &test_policy_json("sh-arrivals", 1, today()),
        ))
        .unwrap();
        let mut hijack = crate::policy::test_support::test_policy_value("sh-arrivals", 5, today());
        hijack["endpoint"]["url"] = serde_json::json!("https://collector.example.net/v1");
        let hijack = signed(&other, &serde_json::to_string(&hijack).unwrap());
        assert!(matches!(
            core.install_policy(&hijack),
            Err(Error::Policy(PolicyError::NotOwner { .. }))
        ));
        let installed = core.policy("sh-arrivals").unwrap();
        assert_eq!(installed.version(), 1);
        assert_eq!(installed.root_key_id(), owner.key_id());
        // The owner's own next version still installs.
        core.install_policy(&signed(
            &owner,
            &test_policy_json("sh-arrivals", 2, today()),
        ))
        .unwrap();
    }

    /// A `/1` policy and a `/2` policy installed side by side, both usable.
    #[test]
    fn v1_and_v2_policies_install_side_by_side() {
        let s = setup("2026-11-28T08:00:00+08:00");
        let mut v2 = crate::policy::test_support::test_policy_value("sh-v2", 1, today());
        v2["format"] = serde_json::json!("selfreport.policy/2");
        v2["region"] = serde_json::json!(["310000"]);
        v2["recipients"]["health"]["role"] = serde_json::json!("health");
        v2["recipients"]["identity"]["role"] = serde_json::json!("identity");
        crate::policy::declare_minimum_padded_sizes(&mut v2).unwrap();
        s.core
            .install_policy(&signed(&s.key, &serde_json::to_string(&v2).unwrap()))
            .unwrap();
        let formats: Vec<_> = ["sh", "sh-v2"]
            .iter()
            .map(|id| s.core.policy(id).unwrap().document().format)
            .collect();
        assert_eq!(
            formats,
            [
                crate::policy::PolicyFormat::V1,
                crate::policy::PolicyFormat::V2
            ]
        );
        assert_eq!(s.core.policies().unwrap().len(), 2);
        // Both take a record.
        for id in ["sh", "sh-v2"] {
            s.core
                .start_monitoring(&s.profile, id, None, MonitoringReason::SelfReported)
                .unwrap();
            s.core
                .save_record(&s.profile, id, "daily", None, daily("36.6"))
                .unwrap();
        }
    }

    #[test]
    fn a_refused_update_leaves_the_installed_policy_untouched() {
        let s = setup("2026-11-28T08:00:00+08:00");
        let rollback = signed(&s.key, &test_policy_json("sh", 1, today()));
        assert!(matches!(
            s.core.install_policy(&rollback),
            Err(Error::Policy(PolicyError::Rollback { .. }))
        ));
        let mut tampered = signed(&s.key, &test_policy_json("sh", 2, today()));
        let middle = tampered.len() / 2;
        tampered[middle] ^= 0x01;
        assert!(matches!(
            s.core.install_policy(&tampered),
            Err(Error::Policy(_))
        ));
        let policies = s.core.policies().unwrap();
        assert_eq!(policies.len(), 1);
        assert_eq!(policies[0].version, 1);
        let update = s
            .core
            .install_policy(&signed(&s.key, &test_policy_json("sh", 2, today())))
            .unwrap();
        assert_eq!(update.version, 2);
        assert_eq!(s.core.policy("sh").unwrap().version(), 2);
    }

    #[test]
    fn unknown_form_and_profile_fields_are_typed_errors() {
        let s = setup("2026-11-28T08:00:00+08:00");
        assert!(matches!(
            s.core
                .save_record(&s.profile, "sh", "nope", None, daily("36.6")),
            Err(Error::NotFound { what: "form", .. })
        ));
        let error = s
            .core
            .save_record(
                &s.profile,
                "sh",
                "daily",
                None,
                daily("36.6").text("shoe_size", "42"),
            )
            .unwrap_err();
        assert_eq!(error.code(), "InvalidInput");
        let error = s
            .core
            .save_record(&s.profile, "sh", "daily", None, daily("45.0"))
            .unwrap_err();
        assert!(error.to_string().contains("temperature"), "{error}");
    }

    #[test]
    fn debug_output_never_shows_what_a_person_typed() {
        let s = setup("2026-11-28T08:00:00+08:00");
        let saved = s
            .core
            .save_record(&s.profile, "sh", "daily", None, daily("38.9"))
            .unwrap();
        let profile = format!("{:?}", s.core.profiles().unwrap());
        let record = format!("{:?}", s.core.record(&saved.id).unwrap());
        let answers = format!("{:?}", daily("38.9"));
        for printed in [&profile, &record, &answers] {
            assert!(
                !printed.contains("王建国") && !printed.contains("38.9"),
                "{printed}"
            );
        }
        assert!(profile.contains("name"), "{profile}");
        // Random ids may contain any digits; the value itself is redacted.
        assert!(record.contains("<redacted>"), "{record}");
    }

    #[test]
    fn export_holds_everything_decrypted() {
        let s = setup("2026-11-28T08:00:00+08:00");
        s.core
            .save_record(&s.profile, "sh", "daily", None, daily("36.6"))
            .unwrap();
        let export = serde_json::to_value(s.core.export().unwrap()).unwrap();
        assert_eq!(export["format"], "selfreport.export/1");
        assert_eq!(export["profiles"][0]["name"], "王建国");
        assert_eq!(export["policies"][0]["id"], "sh");
        assert_eq!(export["records"].as_array().unwrap().len(), 1);
    }
}
