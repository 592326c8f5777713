//! The [`SelfReport`] object apps hold: one per store, safe to call from any thread.
//!
//! The threading contract (issue 17): every call that can take long is async and does its
//! work on the core's own threads ([`crate::runtime`]); the calls that stay blocking do
//! short, bounded work on the caller's thread (each says what in its doc comment, and
//! docs/integration-*.md list them).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use selfreport_core::Options;
use selfreport_core::sync::{SyncOptions, transport::TransportConfig};

use crate::convert;
use crate::dates::LocalDate;
use crate::error::SelfReportError;
use crate::ids::{ProfileId, RecordId, SubmissionId};
use crate::key_source::{Bridge, KeySource};
use crate::logger::{LogLevel, log};
use crate::revocation::{RevocationStatus, RevocationUpdate};
use crate::runtime;
use crate::sync::{RunningSyncs, SyncCancellation, SyncListener};
use crate::types::*;

type Result<T> = std::result::Result<T, SelfReportError>;
type Core = Arc<selfreport_core::SelfReport>;

/// How often `erase` looks whether the calls still running on the store have ended.
const ERASE_WAIT_STEP: Duration = Duration::from_millis(5);

/// The selfreport core, opened on one encrypted store.
///
/// Create it once per app process (`await SelfReport.open(dir, keySource, options)`) and
/// share it: every method may be called from any thread. Async methods (open, sync,
/// deletion requests, policy update, purge, export, listing records and the ledger,
/// verifying the ledger, key change, erase) do their work on the core's own threads,
/// never on the caller's; the blocking ones do short, bounded work (one or a few store
/// rows, one signature check) and return in milliseconds.
#[derive(uniffi::Object)]
pub struct SelfReport {
    core: RwLock<Option<Core>>,
    sync_options: SyncOptions,
    running_syncs: Arc<RunningSyncs>,
}

impl std::fmt::Debug for SelfReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelfReport").finish_non_exhaustive()
    }
}

/// Whether a store exists in `dir`.
#[uniffi::export]
pub fn store_exists(dir: String) -> bool {
    selfreport_core::SelfReport::exists(Path::new(&dir))
}

/// Deletes a store's files without opening it: the reset path when the key source lost
/// its key (`KeyUnavailable`) or the person forgot the passphrase. Everything in it is
/// gone for good. Runs on the core's threads.
#[uniffi::export]
pub async fn erase_store(dir: String) -> Result<()> {
    runtime::blocking(move || {
        let result = selfreport_core::SelfReport::erase_dir(Path::new(&dir));
        logged("erase_store", result)
    })
    .await
}

/// Logs how an operation ended (its name and, on failure, the error code only).
pub(crate) fn logged<T>(operation: &str, result: selfreport_core::Result<T>) -> Result<T> {
    match result {
        Ok(value) => {
            log(LogLevel::Debug, "selfreport", || format!("{operation}: ok"));
            Ok(value)
        }
        Err(error) => {
            let error = SelfReportError::from(error);
            log(LogLevel::Warn, "selfreport", || {
                format!("{operation}: failed with {}", error.code())
            });
            Err(error)
        }
    }
}

#[uniffi::export]
impl SelfReport {
    /// Opens the store in `dir`, creating it on first use, with the store key wrapped by
    /// `key_source`. Throws `WrongKey` if the key source does not open it (nothing is
    /// changed), `KeyUnavailable` if the platform lost the key (see [`erase_store`]),
    /// `Incompatible` if `options` come from bindings of another release.
    /// Runs on the core's threads: the key source is called there (a passphrase source
    /// derives its key, 600,000 PBKDF2 rounds), then the store is checked and migrated.
    #[uniffi::constructor]
    pub async fn open(
        dir: String,
        key_source: Arc<dyn KeySource>,
        options: OpenOptions,
    ) -> Result<Arc<Self>> {
        // Before anything touches the store: the generated code must be this release's.
        if options.bindings_version != crate::LIBRARY_VERSION {
            return Err(SelfReportError::bindings_version(&options.bindings_version));
        }
        let dir = PathBuf::from(dir);
        let trust_anchors = convert::trust_anchors(&options.trust_anchors)?;
        let core_options = Options {
            trust_anchors,
            clock: Arc::new(crate::clock::PlatformClock),
        };
        let core = runtime::blocking(move || {
            let bridge = Bridge(key_source);
            let opened = if selfreport_core::SelfReport::exists(&dir) {
                selfreport_core::SelfReport::open(&dir, &bridge, core_options)
            } else {
                std::fs::create_dir_all(&dir)
                    .map_err(selfreport_core::Error::from)
                    .and_then(|()| selfreport_core::SelfReport::create(&dir, &bridge, core_options))
            };
            logged("open", opened)
        })
        .await?;
        Ok(Arc::new(Self {
            core: RwLock::new(Some(Arc::new(core))),
            running_syncs: Arc::default(),
            sync_options: SyncOptions {
                transport: TransportConfig {
                    extra_roots: options.extra_roots_der,
                    ..TransportConfig::default()
                },
                ..SyncOptions::default()
            },
        }))
    }

    /// The person's local date.
    pub fn today(&self) -> Result<LocalDate> {
        Ok(self.core()?.today())
    }

    /// Verifies a signed policy (the `selfreport.signed-policy/1` JSON bytes) against the
    /// trust anchors and installs it (its signature chain checked, one write). A refusal
    /// throws `PolicyRefused` with the failed check's code and leaves the installed policy
    /// untouched.
    pub fn install_policy(&self, signed: Vec<u8>) -> Result<PolicyInfo> {
        let core = self.core()?;
        let summary = logged("install_policy", core.install_policy(&signed))?;
        policy_info_of(&core, summary)
    }

    /// Installed policies, with their forms (a handful of rows).
    pub fn policies(&self) -> Result<Vec<PolicyInfo>> {
        let core = self.core()?;
        logged("policies", core.policies())?
            .into_iter()
            .map(|summary| policy_info_of(&core, summary))
            .collect()
    }

    /// Adds a household profile; returns its id. Attributes are validated (ID check
    /// digit, E.164 phone...) and stored encrypted.
    pub fn add_profile(&self, profile: NewProfile) -> Result<ProfileId> {
        let profile = convert::new_profile(profile);
        let id = logged("add_profile", self.core()?.add_profile(profile))?;
        Ok(ProfileId::new(id.to_string()))
    }

    /// Every profile (a household's few rows).
    pub fn profiles(&self) -> Result<Vec<ProfileInfo>> {
        let profiles = logged("profiles", self.core()?.profiles())?;
        Ok(profiles.into_iter().map(convert::profile_info).collect())
    }

    /// Starts a monitoring period for a profile under a policy, from `start` (default
    /// today), for as many days as the policy sets.
    pub fn start_monitoring(
        &self,
        profile_id: ProfileId,
        policy_id: String,
        start: Option<LocalDate>,
        reason: MonitoringReason,
    ) -> Result<MonitoringInfo> {
        let profile = profile_id.core()?;
        let period = logged(
            "start_monitoring",
            self.core()?
                .start_monitoring(&profile, &policy_id, start, convert::reason(reason)),
        )?;
        Ok(convert::monitoring_info(period))
    }

    /// Every monitoring period (a few per profile).
    pub fn monitoring_periods(&self) -> Result<Vec<MonitoringInfo>> {
        let periods = logged("monitoring_periods", self.core()?.monitoring_periods())?;
        Ok(periods.into_iter().map(convert::monitoring_info).collect())
    }

    /// What each profile still owes on `today` (default: the person's today), for
    /// reminders.
    pub fn due(&self, today: Option<LocalDate>) -> Result<Vec<DueItem>> {
        let items = logged("due", self.core()?.due(today))?;
        Ok(items.into_iter().map(convert::due_item).collect())
    }

    /// Validates `answers` (field id → text form) against the form and saves the record
    /// for `date` (default today). Saving a daily form again the same day, before it is
    /// sent, amends it; after it is sent, the amendment is a new revision. An invalid
    /// answer throws `InvalidInput` naming the field and rule; nothing is saved.
    pub fn save_record(
        &self,
        profile_id: ProfileId,
        policy_id: String,
        form_id: String,
        date: Option<LocalDate>,
        answers: HashMap<String, String>,
    ) -> Result<SavedRecord> {
        let profile = profile_id.core()?;
        let answers = convert::answers(answers);
        let saved = logged(
            "save_record",
            self.core()?
                .save_record(&profile, &policy_id, &form_id, date, answers),
        )?;
        Ok(SavedRecord {
            id: RecordId::new(saved.id.to_string()),
            amended: saved.amended,
            revision: saved.revision,
        })
    }

    /// The record with this id.
    pub fn record(&self, record_id: RecordId) -> Result<RecordInfo> {
        let id = record_id.core()?;
        let record = logged("record", self.core()?.record(&id))?;
        Ok(convert::record_info(record))
    }

    /// Every record, and the ids of any damaged rows. Runs on the core's threads (it
    /// decrypts every record).
    pub async fn records(&self) -> Result<RecordList> {
        let core = self.core()?;
        let listing = runtime::blocking(move || logged("records", core.records())).await?;
        Ok(RecordList {
            records: listing
                .records
                .into_iter()
                .map(convert::record_info)
                .collect(),
            damaged: listing.damaged,
        })
    }

    /// "What will be shared": each field before and after its transform, and the exact
    /// JSON each recipient will receive if the record is sent now.
    pub fn preview(&self, record_id: RecordId) -> Result<Preview> {
        let id = record_id.core()?;
        let preview = logged("preview", self.core()?.preview(&id))?;
        Ok(convert::preview(preview))
    }

    /// Records the person's consent to send under a policy (written to the ledger).
    /// Nothing is sealed or sent before it.
    pub fn grant_consent(&self, policy_id: String) -> Result<()> {
        logged("grant_consent", self.core()?.grant_consent(&policy_id))
    }

    /// Withdraws consent: queued submissions are dropped unsent and nothing more is sent.
    /// Returns how many were dropped.
    pub fn withdraw_consent(&self, policy_id: String) -> Result<u64> {
        logged(
            "withdraw_consent",
            self.core()?.withdraw_consent(&policy_id),
        )
    }

    /// Whether sending under the installed version of a policy is allowed: the person
    /// consented to it, or to an earlier version that lets no less leave.
    pub fn has_consent(&self, policy_id: String) -> Result<bool> {
        logged("has_consent", self.core()?.has_consent(&policy_id))
    }

    /// Where the person stands with the installed version of a policy; after an update
    /// that lets more leave, exactly what widened (show it before asking again).
    pub fn consent_status(&self, policy_id: String) -> Result<ConsentStatus> {
        logged("consent_status", self.core()?.consent_status(&policy_id))
            .map(convert::consent_status)
    }

    /// Verifies a root's signed revocation list (`selfreport.revocations/1`, from a file
    /// or a message) and keeps it when newer than the one held: everything it revokes
    /// stops at once, queued submissions under it are dropped and the ledger says why.
    /// `PolicyRevocationsStale` for an older list. Runs on the core's threads.
    pub async fn install_revocations(&self, signed: Vec<u8>) -> Result<RevocationUpdate> {
        let core = self.core()?;
        runtime::blocking(move || {
            logged("install_revocations", core.install_revocations(&signed))
                .map(crate::revocation::update)
        })
        .await
    }

    /// Where the installed policy stands with its root's revocation list (show the
    /// reason when it is revoked: nothing is sent under it).
    pub fn revocation_status(&self, policy_id: String) -> Result<RevocationStatus> {
        logged(
            "revocation_status",
            self.core()?.revocation_status(&policy_id),
        )
        .map(crate::revocation::status)
    }

    /// Every ledger entry, oldest first: each disclosure with its receipt, each consent
    /// given, carried over or needed again, each submission dropped, each policy revoked
    /// and each deletion request. Runs on the core's threads.
    pub async fn ledger(&self) -> Result<Vec<LedgerEntry>> {
        let core = self.core()?;
        let entries = runtime::blocking(move || logged("ledger", core.ledger())).await?;
        Ok(entries.into_iter().map(convert::ledger_entry).collect())
    }

    /// Verifies the ledger's hash chain and every receipt signature. Runs on the core's
    /// threads.
    pub async fn verify_ledger(&self) -> Result<LedgerCheck> {
        let core = self.core()?;
        let check =
            runtime::blocking(move || logged("verify_ledger", core.verify_ledger())).await?;
        Ok(convert::ledger_check(check))
    }

    /// Everything the store holds about the person, decrypted, as JSON
    /// (`selfreport.export/1`), for them to keep or move. Runs on the core's threads.
    pub async fn export(&self) -> Result<String> {
        let core = self.core()?;
        runtime::blocking(move || {
            let export = logged("export", core.export())?;
            serde_json::to_string(&export).map_err(|error| SelfReportError::Internal {
                code: "Export".to_owned(),
                detail: error.to_string(),
            })
        })
        .await
    }

    /// Deletes everything whose retention has ended by `today` (default the person's
    /// today) and shreds the keys that sealed it. Run it daily. Runs on the core's
    /// threads.
    pub async fn purge(&self, today: Option<LocalDate>) -> Result<PurgeSummary> {
        let core = self.core()?;
        let report = runtime::blocking(move || logged("purge", core.purge(today))).await?;
        Ok(convert::purge_summary(report))
    }

    /// Re-wraps the store key with a new key source; records are not re-encrypted and the
    /// old key source no longer opens the store. Runs on the core's threads (the new key
    /// source is called there).
    pub async fn change_key(&self, new_key_source: Arc<dyn KeySource>) -> Result<()> {
        let core = self.core()?;
        runtime::blocking(move || {
            let bridge = Bridge(new_key_source);
            logged("change_key", core.change_key(&bridge))
        })
        .await
    }

    /// Shreds the store key and deletes every file of the store. From the moment it is
    /// called, new calls on this object throw `Closed`; a running sync is cancelled (it
    /// stops after the submissions in flight, which end and are recorded) and every call
    /// still running is waited for, then the store is erased. Runs on the core's threads.
    pub async fn erase(&self) -> Result<()> {
        // Taken out first, so no call starts on the store from now on, then the syncs
        // that started before are told to stop (a sync registers before it takes the core,
        // see `sync`, so none is missed).
        let core = self.slot_mut().take().ok_or_else(SelfReportError::closed)?;
        self.running_syncs.cancel_all();
        runtime::blocking(move || {
            let core = sole_owner(core);
            logged("erase", core.erase())
        })
        .await
    }
}

#[uniffi::export]
impl SelfReport {
    /// Seals what is ready (records of consented policies) and sends every due
    /// submission to its policy's endpoint until a signed receipt comes back, reporting
    /// each one to `listener` on a core thread. Runs on the core's threads. Stops between
    /// submissions when `cancellation` is cancelled or the store is erased, and at once
    /// (dropping a request in flight) when the coroutine or task awaiting it is
    /// cancelled. Nothing is lost if the app dies mid-way: the outbox is on disk and a
    /// retry sends the same bytes.
    pub async fn sync(
        &self,
        listener: Option<Arc<dyn SyncListener>>,
        cancellation: Option<Arc<SyncCancellation>>,
    ) -> Result<SyncSummary> {
        let cancel = cancellation
            .map(|cancellation| cancellation.token().clone())
            .unwrap_or_default();
        // Registered before the core is taken, so an `erase` that closes the object after
        // this point finds the sync and cancels it.
        let _registered = self.running_syncs.start(cancel.clone());
        let core = self.core()?;
        let options = self.sync_options.clone();
        let progress = move |event: &selfreport_core::sync::SyncEvent| {
            if let Some(listener) = &listener {
                // Progress is advisory: a listener that throws does not stop the sync.
                let _ = listener.on_event(convert::sync_event(event));
            }
        };
        let report = runtime::spawned(async move {
            let report = core.sync(&options, &progress, &cancel).await;
            logged("sync", report)
        })
        .await?;
        log(LogLevel::Info, "selfreport.sync", || {
            format!(
                "queued {}, delivered {}, retry later {}, failed {}{}",
                report.queued,
                report.delivered,
                report.retry_later,
                report.failed,
                if report.cancelled { ", cancelled" } else { "" }
            )
        });
        Ok(convert::sync_summary(report))
    }

    /// Asks the drop box to delete a submission, with the token only this device holds;
    /// an unsent submission is simply dropped. Recorded in the ledger. Runs on the core's
    /// threads.
    pub async fn request_deletion(&self, submission_id: SubmissionId) -> Result<DeletionOutcome> {
        let submission_id = submission_id.core()?.to_owned();
        let core = self.core()?;
        let transport = self.sync_options.transport.clone();
        let outcome = runtime::spawned(async move {
            let outcome = core.request_deletion(&submission_id, &transport).await;
            logged("request_deletion", outcome)
        })
        .await?;
        Ok(convert::deletion_outcome(outcome))
    }

    /// Fetches the policy's current version from its endpoint and installs it if it is
    /// newer and passes every check. Returns the new policy, or `None` if already
    /// current. Runs on the core's threads.
    pub async fn update_policy(&self, policy_id: String) -> Result<Option<PolicyInfo>> {
        let core = self.core()?;
        let transport = self.sync_options.transport.clone();
        runtime::spawned(async move {
            let updated = core.update_policy(&policy_id, &transport).await;
            match logged("update_policy", updated)? {
                Some(summary) => Ok(Some(policy_info_of(&core, summary)?)),
                None => Ok(None),
            }
        })
        .await
    }
}

impl SelfReport {
    /// How the core reaches policies' endpoints (the app's extra roots, timeouts).
    pub(crate) fn transport_config(&self) -> TransportConfig {
        self.sync_options.transport.clone()
    }

    /// The open core, or `Closed` once `erase` was called.
    pub(crate) fn core(&self) -> Result<Core> {
        let slot = match self.core.read() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        slot.clone().ok_or_else(SelfReportError::closed)
    }

    fn slot_mut(&self) -> std::sync::RwLockWriteGuard<'_, Option<Core>> {
        match self.core.write() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

fn policy_info_of(
    core: &selfreport_core::SelfReport,
    summary: selfreport_core::PolicySummary,
) -> Result<PolicyInfo> {
    let policy = logged("policy", core.policy(&summary.id))?;
    let consented = logged("has_consent", core.has_consent(&summary.id))?;
    Ok(convert::policy_info(summary, policy.document(), consented))
}

/// The core alone, once every call still holding it has ended. Called on a blocking
/// thread by `erase`, after the object was closed and running syncs were cancelled, so
/// the calls it waits for are bounded (store work, or network requests with their
/// timeouts); erasing is rare, so looking every few milliseconds costs nothing.
fn sole_owner(mut core: Core) -> selfreport_core::SelfReport {
    loop {
        match Arc::try_unwrap(core) {
            Ok(core) => return core,
            Err(shared) => {
                core = shared;
                std::thread::sleep(ERASE_WAIT_STEP);
            }
        }
    }
}
