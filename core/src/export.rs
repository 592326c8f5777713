//! The person's export: everything the store holds about them, decrypted, to take away
//! (DESIGN §8, "export and erase").

use base64::Engine as _;
use serde::Serialize;

use crate::corrections::NeedsCorrection;
use crate::error::{Error, Result};
use crate::facade::SelfReport;
use crate::hex::hex;
use crate::ledger::DisclosedFieldEntry;
use crate::model::{MonitoringPeriod, Profile};
use crate::store::{OutboxItem, OutboxItemState, StoredRecord};
use crate::sync::wire::Receipt;

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
    /// The outbox: every submission sealed and not yet purged, oldest first, cover
    /// traffic included.
    pub outbox: Vec<ExportedSubmission>,
}

/// One outbox item as the person reads it.
///
/// The sealed bytes and the deletion token stay out: the first mean nothing to the
/// person (they are sealed to the authority) and are named by their SHA-256; the
/// second would let whoever holds an export file delete the submission at the drop box.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedSubmission {
    /// Submission id.
    pub submission_id: String,
    /// `"pending"`, `"delivered"` or `"failed"`.
    pub state: OutboxItemState,
    /// Policy id.
    pub policy_id: String,
    /// Policy version it was sealed under.
    pub policy_version: u64,
    /// Form id.
    pub form_id: String,
    /// The record it carries; `None` for cover traffic.
    pub record_id: Option<String>,
    /// For cover traffic: the local day it covers.
    pub cover_date: Option<chrono::NaiveDate>,
    /// Where it goes.
    pub endpoint: String,
    /// Lowercase hex SHA-256 of the exact sealed body (from the receipt once delivered).
    pub body_sha256: Option<String>,
    /// Attempts made so far.
    pub attempts: u32,
    /// Earliest time of the next attempt, Unix seconds (pending items).
    pub next_attempt_at: i64,
    /// The fields it discloses and how.
    pub fields: Vec<DisclosedFieldEntry>,
    /// The drop box's signed receipt, once delivered.
    pub receipt: Option<Receipt>,
    /// The last error, if an attempt failed.
    pub last_error: Option<String>,
}

impl ExportedSubmission {
    fn of(item: OutboxItem) -> Self {
        let payload = item.payload;
        let body_sha256 = match (&payload.receipt, &payload.body) {
            (Some(receipt), _) => Some(receipt.body_sha256.clone()),
            (None, Some(body)) => base64::engine::general_purpose::STANDARD
                .decode(body)
                .ok()
                .map(|bytes| hex(&crate::crypto::sha256(&bytes))),
            (None, None) => None,
        };
        Self {
            submission_id: payload.submission_id,
            state: item.state,
            policy_id: payload.policy_id,
            policy_version: payload.policy_version,
            form_id: payload.form_id,
            record_id: payload.record_id,
            cover_date: payload.cover_date,
            endpoint: payload.endpoint,
            body_sha256,
            attempts: item.attempts,
            next_attempt_at: item.next_attempt_at,
            fields: payload.fields,
            receipt: payload.receipt,
            last_error: payload.last_error,
        }
    }
}

impl SelfReport {
    /// Everything the store holds, decrypted, for the person to take away.
    pub fn export(&self) -> Result<Export> {
        let policies = self
            .store()
            .policies()?
            .iter()
            .map(|policy| {
                serde_json::from_slice(policy.payload_bytes())
                    .map_err(|_| Error::corrupt(format!("policies/{}", policy.id())))
            })
            .collect::<Result<Vec<_>>>()?;
        let listing = self.store().records()?;
        let outbox = self
            .store()
            .outbox()?
            .into_iter()
            .map(ExportedSubmission::of)
            .collect();
        Ok(Export {
            format: "selfreport.export/1",
            exported_at: self.clock_now().to_rfc3339(),
            policies,
            profiles: self.store().profiles()?,
            monitoring_periods: self.store().monitoring_periods()?,
            records: listing.records,
            damaged: listing.damaged,
            needs_correction: self.needs_correction()?,
            ledger: self.store().ledger_chain()?,
            outbox,
        })
    }
}
