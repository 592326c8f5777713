//! The [`SelfReport`] object apps hold: one per store, safe to call from any thread.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use selfreport_core::model::{Answers, ProfileId, RecordId};
use selfreport_core::sync::{SyncOptions, transport::TransportConfig};
use selfreport_core::{Options, SystemClock};

use crate::convert;
use crate::error::SelfReportError;
use crate::key_source::{Bridge, KeySource};
use crate::logger::{LogLevel, log};
use crate::sync::{SyncCancellation, SyncListener};
use crate::types::*;

type Result<T> = std::result::Result<T, SelfReportError>;

/// The selfreport core, opened on one encrypted store.
///
/// Create it once per app process (`SelfReport.open(dir, keySource, options)`) and share
/// it: every method may be called from any thread; blocking methods touch only the local
/// store and return in milliseconds, `sync`, `requestDeletion` and `updatePolicy` are
/// async and talk to the policy's endpoint.
#[derive(uniffi::Object)]
pub struct SelfReport {
    core: RwLock<Option<Arc<selfreport_core::SelfReport>>>,
    sync_options: SyncOptions,
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
/// gone for good.
#[uniffi::export]
pub fn erase_store(dir: String) -> Result<()> {
    let result = selfreport_core::SelfReport::erase_dir(Path::new(&dir));
    logged("erase_store", result)
}

/// Logs how an operation ended (its name and, on failure, the error code only).
fn logged<T>(operation: &str, result: selfreport_core::Result<T>) -> Result<T> {
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

fn profile_id(text: &str) -> Result<ProfileId> {
    ProfileId::parse(text).map_err(|error| selfreport_core::Error::from(error).into())
}

fn record_id(text: &str) -> Result<RecordId> {
    RecordId::parse(text).map_err(|error| selfreport_core::Error::from(error).into())
}

#[uniffi::export]
impl SelfReport {
    /// Opens the store in `dir`, creating it on first use, with the store key wrapped by
    /// `key_source`. Throws `WrongKey` if the key source does not open it (nothing is
    /// changed), `KeyUnavailable` if the platform lost the key (see [`erase_store`]).
    #[uniffi::constructor]
    pub fn open(
        dir: String,
        key_source: Arc<dyn KeySource>,
        options: OpenOptions,
    ) -> Result<Arc<Self>> {
        let dir = PathBuf::from(dir);
        let trust_anchors = convert::trust_anchors(&options.trust_anchors)?;
        let core_options = Options {
            trust_anchors,
            clock: Arc::new(SystemClock),
        };
        let bridge = Bridge(key_source);
        let opened = if selfreport_core::SelfReport::exists(&dir) {
            selfreport_core::SelfReport::open(&dir, &bridge, core_options)
        } else {
            std::fs::create_dir_all(&dir)
                .map_err(selfreport_core::Error::from)
                .and_then(|()| selfreport_core::SelfReport::create(&dir, &bridge, core_options))
        };
        let core = logged("open", opened)?;
        Ok(Arc::new(Self {
            core: RwLock::new(Some(Arc::new(core))),
            sync_options: SyncOptions {
                transport: TransportConfig {
                    extra_roots: options.extra_roots_der,
                    ..TransportConfig::default()
                },
                ..SyncOptions::default()
            },
        }))
    }

    /// The person's local date, `YYYY-MM-DD`.
    pub fn today(&self) -> Result<String> {
        Ok(self.core()?.today().to_string())
    }

    /// Verifies a signed policy (the `selfreport.signed-policy/1` JSON bytes) against the
    /// trust anchors and installs it. A refusal throws `PolicyRefused` with the failed
    /// check's code and leaves the installed policy untouched.
    pub fn install_policy(&self, signed: Vec<u8>) -> Result<PolicyInfo> {
        let core = self.core()?;
        let summary = logged("install_policy", core.install_policy(&signed))?;
        self.policy_info_of(&core, summary)
    }

    /// Installed policies, with their forms.
    pub fn policies(&self) -> Result<Vec<PolicyInfo>> {
        let core = self.core()?;
        logged("policies", core.policies())?
            .into_iter()
            .map(|summary| self.policy_info_of(&core, summary))
            .collect()
    }

    /// Adds a household profile; returns its id. Attributes are validated (ID check
    /// digit, E.164 phone...) and stored encrypted.
    pub fn add_profile(&self, profile: NewProfile) -> Result<String> {
        let profile = convert::new_profile(profile)?;
        let id = logged("add_profile", self.core()?.add_profile(profile))?;
        Ok(id.to_string())
    }

    /// Every profile.
    pub fn profiles(&self) -> Result<Vec<ProfileInfo>> {
        let profiles = logged("profiles", self.core()?.profiles())?;
        Ok(profiles.into_iter().map(convert::profile_info).collect())
    }

    /// Starts a monitoring period for a profile under a policy, from `start` (default
    /// today), for as many days as the policy sets.
    pub fn start_monitoring(
        &self,
        profile_id: String,
        policy_id: String,
        start: Option<String>,
        reason: MonitoringReason,
    ) -> Result<MonitoringInfo> {
        let profile = self::profile_id(&profile_id)?;
        let start = convert::optional_date("start", start.as_deref())?;
        let period = logged(
            "start_monitoring",
            self.core()?
                .start_monitoring(&profile, &policy_id, start, convert::reason(reason)),
        )?;
        Ok(convert::monitoring_info(period))
    }

    /// Every monitoring period.
    pub fn monitoring_periods(&self) -> Result<Vec<MonitoringInfo>> {
        let periods = logged("monitoring_periods", self.core()?.monitoring_periods())?;
        Ok(periods.into_iter().map(convert::monitoring_info).collect())
    }

    /// What each profile still owes on `today` (default: the person's today), for
    /// reminders.
    pub fn due(&self, today: Option<String>) -> Result<Vec<DueItem>> {
        let today = convert::optional_date("today", today.as_deref())?;
        let items = logged("due", self.core()?.due(today))?;
        Ok(items.into_iter().map(convert::due_item).collect())
    }

    /// Validates `answers` (field id → text form) against the form and saves the record
    /// for `date` (default today). Saving a daily form again the same day, before it is
    /// sent, amends it; after it is sent, the amendment is a new revision. An invalid
    /// answer throws `InvalidInput` naming the field and rule; nothing is saved.
    pub fn save_record(
        &self,
        profile_id: String,
        policy_id: String,
        form_id: String,
        date: Option<String>,
        answers: HashMap<String, String>,
    ) -> Result<SavedRecord> {
        let profile = self::profile_id(&profile_id)?;
        let date = convert::optional_date("date", date.as_deref())?;
        let answers = answers
            .into_iter()
            .fold(Answers::new(), |answers, (field, text)| {
                answers.text(field, text)
            });
        let saved = logged(
            "save_record",
            self.core()?
                .save_record(&profile, &policy_id, &form_id, date, answers),
        )?;
        Ok(SavedRecord {
            id: saved.id.to_string(),
            amended: saved.amended,
            revision: saved.revision,
        })
    }

    /// The record with this id.
    pub fn record(&self, record_id: String) -> Result<RecordInfo> {
        let id = self::record_id(&record_id)?;
        let record = logged("record", self.core()?.record(&id))?;
        Ok(convert::record_info(record))
    }

    /// Every record, and the ids of any damaged rows.
    pub fn records(&self) -> Result<RecordList> {
        let listing = logged("records", self.core()?.records())?;
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
    pub fn preview(&self, record_id: String) -> Result<Preview> {
        let id = self::record_id(&record_id)?;
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

    /// Whether the person consented to a policy.
    pub fn has_consent(&self, policy_id: String) -> Result<bool> {
        logged("has_consent", self.core()?.has_consent(&policy_id))
    }

    /// Every ledger entry, oldest first: each disclosure with its receipt, each consent
    /// and deletion request.
    pub fn ledger(&self) -> Result<Vec<LedgerEntry>> {
        let entries = logged("ledger", self.core()?.ledger())?;
        Ok(entries
            .into_iter()
            .filter_map(convert::ledger_entry)
            .collect())
    }

    /// Verifies the ledger's hash chain and every receipt signature.
    pub fn verify_ledger(&self) -> Result<LedgerCheck> {
        let check = logged("verify_ledger", self.core()?.verify_ledger())?;
        Ok(convert::ledger_check(check))
    }

    /// Everything the store holds about the person, decrypted, as JSON
    /// (`selfreport.export/1`), for them to keep or move.
    pub fn export(&self) -> Result<String> {
        let export = logged("export", self.core()?.export())?;
        serde_json::to_string_pretty(&export).map_err(|error| SelfReportError::Internal {
            code: "Export".to_owned(),
            detail: error.to_string(),
        })
    }

    /// Deletes everything whose retention has ended by `today` (default the person's
    /// today) and shreds the keys that sealed it. Run it daily.
    pub fn purge(&self, today: Option<String>) -> Result<PurgeSummary> {
        let today = convert::optional_date("today", today.as_deref())?;
        let report = logged("purge", self.core()?.purge(today))?;
        Ok(convert::purge_summary(report))
    }

    /// Re-wraps the store key with a new key source; records are not re-encrypted and the
    /// old key source no longer opens the store.
    pub fn change_key(&self, new_key_source: Arc<dyn KeySource>) -> Result<()> {
        let bridge = Bridge(new_key_source);
        logged("change_key", self.core()?.change_key(&bridge))
    }

    /// Shreds the store key and deletes every file of the store. This object is closed
    /// afterwards; calls throw `Closed`. Fails with `Conflict` while a sync is running.
    pub fn erase(&self) -> Result<()> {
        let mut slot = self.slot_mut();
        let Some(core) = slot.take() else {
            return Err(SelfReportError::closed());
        };
        match Arc::try_unwrap(core) {
            Ok(core) => logged("erase", core.erase()),
            Err(core) => {
                *slot = Some(core);
                Err(SelfReportError::Conflict {
                    code: "Busy".to_owned(),
                    detail: "a sync is running; cancel it before erasing".to_owned(),
                })
            }
        }
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl SelfReport {
    /// Seals what is ready (records of consented policies) and sends every due
    /// submission to its policy's endpoint until a signed receipt comes back, reporting
    /// each one to `listener`. Stops between submissions when `cancellation` is
    /// cancelled (on every platform; whether cancelling the awaiting coroutine or task
    /// also stops it depends on the language's generated code, see the integration
    /// guides). Nothing is lost if the app dies mid-way: the outbox is on disk and a
    /// retry sends the same bytes.
    pub async fn sync(
        &self,
        listener: Option<Arc<dyn SyncListener>>,
        cancellation: Option<Arc<SyncCancellation>>,
    ) -> Result<SyncSummary> {
        let core = self.core()?;
        let cancel = cancellation
            .map(|cancellation| cancellation.token().clone())
            .unwrap_or_default();
        let progress = move |event: &selfreport_core::sync::SyncEvent| {
            if let Some(listener) = &listener {
                // Progress is advisory: a listener that throws does not stop the sync.
                let _ = listener.on_event(convert::sync_event(event));
            }
        };
        let report = core.sync(&self.sync_options, &progress, &cancel).await;
        let report = logged("sync", report)?;
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
    /// an unsent submission is simply dropped. Recorded in the ledger.
    pub async fn request_deletion(&self, submission_id: String) -> Result<DeletionOutcome> {
        let core = self.core()?;
        let outcome = core
            .request_deletion(&submission_id, &self.sync_options.transport)
            .await;
        Ok(convert::deletion_outcome(logged(
            "request_deletion",
            outcome,
        )?))
    }

    /// Fetches the policy's current version from its endpoint and installs it if it is
    /// newer and passes every check. Returns the new policy, or `None` if already
    /// current.
    pub async fn update_policy(&self, policy_id: String) -> Result<Option<PolicyInfo>> {
        let core = self.core()?;
        let updated = core
            .update_policy(&policy_id, &self.sync_options.transport)
            .await;
        match logged("update_policy", updated)? {
            Some(summary) => Ok(Some(self.policy_info_of(&core, summary)?)),
            None => Ok(None),
        }
    }
}

impl SelfReport {
    /// The open core, or `Closed` after `erase`.
    fn core(&self) -> Result<Arc<selfreport_core::SelfReport>> {
        let slot = match self.core.read() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        slot.clone().ok_or_else(SelfReportError::closed)
    }

    fn slot_mut(
        &self,
    ) -> std::sync::RwLockWriteGuard<'_, Option<Arc<selfreport_core::SelfReport>>> {
        match self.core.write() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn policy_info_of(
        &self,
        core: &selfreport_core::SelfReport,
        summary: selfreport_core::PolicySummary,
    ) -> Result<PolicyInfo> {
        let policy = logged("policy", core.policy(&summary.id))?;
        let consented = logged("has_consent", core.has_consent(&summary.id))?;
        Ok(convert::policy_info(summary, policy.document(), consented))
    }
}
