//! The upload side of [`SelfReport`]: preview, consent, sync, deletion requests, policy
//! updates and the ledger.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::crypto::random_array;
use crate::error::{Error, Result};
use crate::facade::{PolicySummary, SelfReport};
use crate::hex::hex;
use crate::ledger::{ChainedEntry, LedgerEntry, LedgerEvent, LedgerVerification};
use crate::minimize::{
    Carried, Disclosure, MinimizeError, Preview, minimize_carrying, preview_carrying,
};
use crate::model::{Profile, Record, RecordId};
use crate::policy::{FormEnrollment, OncePer};
use crate::policy::{PolicyError, SignedPolicy, VerifiedPolicy};
use crate::store::{AttemptOutcome, OutboxItem, OutboxItemState, Recorded, Store, expiry_epoch};
use crate::sync::retry::{RetryPolicy, due_at};
use crate::sync::transport::{Transport, TransportConfig};
use crate::sync::{
    Attempt, BATCH_ITEMS, CancelToken, SyncEvent, SyncOptions, SyncReport, Transports,
    attempt_batch, disclosure_entry, fits_batch, new_deletion_token, payload, seal_disclosure,
};

/// Submissions sent concurrently by one sync.
const MAX_IN_FLIGHT: usize = 4;

/// Outcomes gathered before they are recorded in one transaction, while other requests
/// are still in flight: each commit rewrites the pages the items share (outbox and ledger
/// leaves, indexes), so fewer, larger commits write less. Deliveries not recorded yet when
/// the app dies stay pending: the next sync sends them again and the drop box answers
/// with the same receipts.
const RECORD_BATCH: usize = 16;

/// The longest an outcome waits for its batch to fill before it is recorded anyway.
const RECORD_AFTER: Duration = Duration::from_millis(250);

/// An attempt that ended: the item sent, its policy and how it went.
type Finished = (OutboxItem, Arc<VerifiedPolicy>, Attempt);

/// What a deletion request achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeletionOutcome {
    /// The drop box deleted the submission.
    Deleted,
    /// The drop box no longer had it (retention, or deleted before).
    NotFound,
    /// It had not been sent; it was dropped from the outbox.
    DroppedUnsent,
}

/// A submission a drop box may still hold (see [`SelfReport::possibly_held`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PossiblyHeld {
    /// Submission id.
    pub submission_id: String,
    /// Policy id.
    pub policy_id: String,
    /// The endpoint it was sent to.
    pub endpoint: String,
    /// Whether a receipt confirmed it (otherwise an attempt whose reply was lost).
    pub confirmed: bool,
    /// The last day the drop box may keep it (its retention from the receipt, or from
    /// today for an unconfirmed attempt).
    pub held_until: chrono::NaiveDate,
}

impl SelfReport {
    /// What `minimize` and `preview` need besides the record: its policy, its profile, the
    /// profile's pseudonym under the policy, the submission id it will be sent under, and
    /// what the submission carries besides the fields (the enrollment order's district for
    /// a form filed under orders, the notice key under a policy with access notices).
    pub(crate) fn disclosure_inputs(
        &self,
        record: &Record,
    ) -> Result<(VerifiedPolicy, Profile, String, String, Carried)> {
        let policy = self.store().policy(&record.policy_id)?;
        let profile = self.store().profile(&record.profile_id)?;
        let pseudonym = self
            .store()
            .pseudonym(&record.profile_id, &record.policy_id)?;
        let submission_id = self.store().submission_id_for(record);
        let document = policy.document();
        let mut carried = Carried::default();
        if let Some(form) = document
            .form(&record.form_id)
            .filter(|form| form.enrollment == FormEnrollment::Required)
        {
            carried.monitoring_district =
                self.ordered_district(&record.profile_id, document, form, record.date)?;
        }
        if document.access_notices {
            carried.notice_key =
                self.store()
                    .notice_key(&record.profile_id, &record.policy_id, true)?;
        }
        Ok((policy, profile, pseudonym, submission_id, carried))
    }

    /// What a record would disclose: each field before and after its transform, and the
    /// exact JSON each recipient's part will seal (with its padded size).
    pub fn preview(&self, record_id: &RecordId) -> Result<Preview> {
        let record = self.store().record(record_id)?.record;
        let (policy, profile, pseudonym, submission_id, carried) =
            self.disclosure_inputs(&record)?;
        Ok(preview_carrying(
            policy.document(),
            &record,
            &profile,
            &pseudonym,
            &submission_id,
            carried,
        )?)
    }

    /// Minimizes and seals every saved record whose policy may be used now (it still
    /// verifies today and the person's consent covers it: see
    /// [`SelfReport::usable_policy`]), and queues it. Returns the submissions queued.
    pub fn seal_ready(&self) -> Result<Vec<(String, String, String)>> {
        let mut queued = Vec::new();
        // Consent and validity are decided once per policy, not once per record.
        let mut sendable: HashMap<String, bool> = HashMap::new();
        for record in self.store().saved_records()? {
            let allowed = match sendable.get(&record.policy_id) {
                Some(allowed) => *allowed,
                None => {
                    let allowed = self.usable_policy(&record.policy_id)?.is_some();
                    sendable.insert(record.policy_id.clone(), allowed);
                    allowed
                }
            };
            if !allowed {
                continue;
            }
            let (policy, profile, pseudonym, submission_id, carried) =
                self.disclosure_inputs(&record)?;
            let disclosure = match minimize_carrying(
                policy.document(),
                &record,
                &profile,
                &pseudonym,
                &submission_id,
                carried,
            ) {
                Ok(disclosure) => disclosure,
                // A record of a form filed under orders on a day no order covers (saving
                // refuses one; an order can only have been lost with a restored store):
                // it stays saved, and nothing is sealed without an enrollment.
                Err(MinimizeError::MissingHeader {
                    key: "monitoring_district",
                }) => continue,
                Err(error) => return Err(error.into()),
            };
            let token = new_deletion_token()?;
            let sealed = seal_disclosure(&policy, &disclosure, &token)?;
            let body = sealed.to_body();
            let retention = policy.document().retention;
            let epoch = expiry_epoch(
                record.date,
                retention.device_days.max(retention.server_days),
            );
            let item = payload(
                &policy,
                &disclosure,
                Some(record.id.to_string()),
                &body,
                token,
            );
            self.store().enqueue(&item, epoch, Utc::now().timestamp())?;
            queued.push((item.submission_id, item.policy_id, item.form_id));
        }
        queued.extend(self.seal_cover_traffic()?);
        Ok(queued)
    }

    /// Queues today's cover-traffic dummies for every consented policy that asks for them:
    /// `cover_traffic.daily` per daily form, with random ids and pseudonyms, sealed and
    /// padded exactly like real submissions.
    fn seal_cover_traffic(&self) -> Result<Vec<(String, String, String)>> {
        let today = self.today();
        let covers = self.store().cover_items()?;
        let mut queued = Vec::new();
        for policy in self.store().policies()? {
            let document = policy.document();
            if document.cover_traffic.daily == 0 || self.usable_policy(policy.id())?.is_none() {
                continue;
            }
            for form in document
                .forms
                .iter()
                .filter(|form| form.once_per == OncePer::Day)
            {
                let sent_today = covers
                    .iter()
                    .filter(|item| {
                        item.payload.cover_date == Some(today)
                            && item.payload.policy_id == document.id
                            && item.payload.form_id == form.id
                    })
                    .count();
                let wanted = usize::try_from(document.cover_traffic.daily).unwrap_or(usize::MAX);
                for _ in sent_today..wanted {
                    let submission_id = hex(&random_array::<16>()?);
                    let pseudonym = hex(&random_array::<16>()?);
                    let disclosure =
                        Disclosure::dummy(document, &form.id, today, &submission_id, &pseudonym)?;
                    let token = new_deletion_token()?;
                    let sealed = seal_disclosure(&policy, &disclosure, &token)?;
                    let body = sealed.to_body();
                    let mut item = payload(&policy, &disclosure, None, &body, token);
                    item.cover_date = Some(today);
                    let retention = document.retention;
                    let epoch =
                        expiry_epoch(today, retention.device_days.max(retention.server_days));
                    self.store().enqueue(&item, epoch, Utc::now().timestamp())?;
                    queued.push((item.submission_id, item.policy_id, item.form_id));
                }
            }
        }
        Ok(queued)
    }

    /// Seals what is ready, then sends every due outbox item to its policy's endpoint until
    /// a valid receipt arrives, reporting each item to `progress`. Once `cancel` is set, no
    /// further item is sent (requests already in flight end and are recorded). Items that fail temporarily are rescheduled with backoff; nothing is
    /// lost if the app stops mid-way (the outbox is on disk and retries send the same bytes).
    pub async fn sync(
        &self,
        options: &SyncOptions,
        progress: &(dyn Fn(&SyncEvent) + Send + Sync),
        cancel: &CancelToken,
    ) -> Result<SyncReport> {
        // A second sync waits here for the first, then finds its work done.
        let _one_at_a_time = self.sync_gate().lock().await;
        let mut report = SyncReport::default();
        for (submission_id, policy_id, form_id) in self.seal_ready()? {
            report.queued += 1;
            progress(&SyncEvent::Queued {
                submission_id,
                policy_id,
                form_id,
            });
        }
        // Each policy is opened (and its consent read) once per sync, not once per item.
        let mut policies: HashMap<String, Option<Arc<VerifiedPolicy>>> = HashMap::new();
        let mut transports = Transports::default();
        if !cancel.is_cancelled() {
            // Tokens ahead of use: each live order's allowance at once. Boxed: its own
            // state machine (library size).
            let topping: std::pin::Pin<
                Box<dyn std::future::Future<Output = Result<()>> + Send + '_>,
            > = Box::pin(self.top_up_tokens(&mut transports, &options.transport));
            topping.await?;
        }
        // Ids only: each item is opened just before it is sent (see `due_submission_ids`).
        let mut due = self
            .store()
            .due_submission_ids(Utc::now().timestamp())?
            .into_iter();
        // A few requests stay in flight (on up to as many pooled HTTP/1.1 connections), so the
        // local work of one item overlaps the round trip of the next.
        let mut in_flight = tokio::task::JoinSet::new();
        // Attempts that ended, recorded together in one transaction (group commit) once
        // `RECORD_BATCH` have ended, nothing else is in flight, or the oldest has waited
        // `RECORD_AFTER`; until then the next items are sent meanwhile.
        let mut finished: Vec<Finished> = Vec::new();
        let mut stopped = false;
        // When the oldest outcome not recorded yet arrived.
        let mut first_unrecorded: Option<Instant> = None;
        // An item of another policy than the batch being gathered: it starts the next one.
        let mut carried: Option<(OutboxItem, Arc<VerifiedPolicy>)> = None;
        loop {
            while in_flight.len() < MAX_IN_FLIGHT && !report.cancelled && !stopped {
                // Gather a batch: due items of one policy, at most `BATCH_ITEMS`, within the
                // batch request's size.
                let mut batch: Vec<OutboxItem> = Vec::new();
                let mut batch_policy: Option<Arc<VerifiedPolicy>> = None;
                let mut batch_bytes = 0usize;
                while batch.len() < BATCH_ITEMS {
                    let next = match carried.take() {
                        Some(next) => next,
                        None => {
                            let Some(submission_id) = due.next() else {
                                break;
                            };
                            if cancel.is_cancelled() {
                                report.cancelled = true;
                                break;
                            }
                            let item = match self.store().outbox_item(&submission_id) {
                                Ok(item) if item.state == OutboxItemState::Pending => item,
                                // Dropped or withdrawn since the sync started: not to be sent.
                                Ok(_) | Err(Error::NotFound { .. }) => continue,
                                Err(error) => return Err(error),
                            };
                            let Some(policy) = self.consented_policy(&mut policies, &item)? else {
                                continue;
                            };
                            if let Some(reason) =
                                item.payload.unsendable_under(&policy, self.today())
                            {
                                self.drop_unsendable(&item, reason)?;
                                continue;
                            }
                            // Boxed: its own state machine (library size).
                            let tokened: TokenFuture<'_> = Box::pin(self.with_upload_token(
                                item,
                                &policy,
                                &mut transports,
                                &options.transport,
                            ));
                            let (item, ready) = tokened.await?;
                            if !ready {
                                let reason = "no upload token could be had yet".to_owned();
                                finished.push((item, policy, Attempt::Retry(None, reason)));
                                continue;
                            }
                            (item, policy)
                        }
                    };
                    let (item, policy) = next;
                    // The body is stored in base64: its decoded length is at most 3/4 of it.
                    let bytes = item
                        .payload
                        .body
                        .as_ref()
                        .map_or(0, |body| body.len() / 4 * 3);
                    let same_policy = batch_policy
                        .as_ref()
                        .is_none_or(|current| Arc::ptr_eq(current, &policy));
                    let fits = same_policy && fits_batch(batch_bytes, bytes);
                    if !(batch.is_empty() || fits) {
                        carried = Some((item, policy));
                        break;
                    }
                    batch_bytes = batch_bytes.saturating_add(bytes);
                    batch_policy = Some(policy);
                    batch.push(item);
                }
                // Cancelled while gathering: what was gathered stays pending, unsent.
                let (false, Some(policy)) = (report.cancelled, batch_policy) else {
                    break;
                };
                match transports.get(&policy, &options.transport) {
                    Ok(transport) => {
                        let transport = transport.clone();
                        in_flight.spawn(async move {
                            let outcomes =
                                attempt_batch(&transport, &policy, &batch, Utc::now()).await;
                            batch
                                .into_iter()
                                .zip(outcomes)
                                .map(|(item, outcome)| (item, policy.clone(), outcome))
                                .collect::<Vec<Finished>>()
                        });
                    }
                    Err(error) => {
                        let reason = format!("{}: {error}", error.code());
                        finished.extend(batch.into_iter().map(|item| {
                            (item, policy.clone(), Attempt::Retry(None, reason.clone()))
                        }));
                    }
                }
            }
            if in_flight.is_empty() && finished.is_empty() {
                break;
            }
            if !in_flight.is_empty() && finished.len() < RECORD_BATCH {
                let next = in_flight.join_next();
                let joined = match first_unrecorded {
                    // Outcomes are waiting to be recorded: wait for the next one only until
                    // their deadline (`join_next` is cancel safe), so one slow request does
                    // not hold back the others' records and progress events.
                    Some(oldest) => {
                        let left = RECORD_AFTER.saturating_sub(oldest.elapsed());
                        tokio::time::timeout(left, next).await.ok().flatten()
                    }
                    None => next.await,
                };
                if let Some(joined) = joined {
                    collect(joined, &mut finished, &mut stopped);
                }
            }
            while let Some(joined) = in_flight.try_join_next() {
                collect(joined, &mut finished, &mut stopped);
            }
            if finished.is_empty() {
                continue;
            }
            let oldest = *first_unrecorded.get_or_insert_with(Instant::now);
            // Recorded when the batch is full, when nothing else is coming, or once the
            // oldest outcome has waited `RECORD_AFTER`.
            let record_now = finished.len() >= RECORD_BATCH
                || in_flight.is_empty()
                || oldest.elapsed() >= RECORD_AFTER;
            if !record_now {
                continue;
            }
            first_unrecorded = None;
            let batch = std::mem::take(&mut finished);
            for event in record_attempts(self.store(), batch, self.now_string(), options.retry)? {
                match &event {
                    SyncEvent::Delivered { .. } => report.delivered += 1,
                    SyncEvent::RetryLater { .. } => report.retry_later += 1,
                    SyncEvent::Failed { .. } => report.failed += 1,
                    _ => {}
                }
                progress(&event);
            }
        }
        if stopped {
            return Err(Error::Crypto("a send task stopped unexpectedly"));
        }
        if !report.cancelled && !cancel.is_cancelled() {
            // Boxed: its own state machine, not inlined into this one (library size).
            let polling: std::pin::Pin<
                Box<dyn std::future::Future<Output = Result<u32>> + Send + '_>,
            > = Box::pin(self.poll_notices(&mut transports, &options.transport));
            report.notices = polling.await?;
        }
        Ok(report)
    }

    /// The policy of `item` if anything may be sent under it now (see
    /// [`SelfReport::usable_policy`]); each policy is checked once per sync, then taken
    /// from `policies`.
    fn consented_policy(
        &self,
        policies: &mut HashMap<String, Option<Arc<VerifiedPolicy>>>,
        item: &OutboxItem,
    ) -> Result<Option<Arc<VerifiedPolicy>>> {
        let policy_id = &item.payload.policy_id;
        if let Some(cached) = policies.get(policy_id) {
            return Ok(cached.clone());
        }
        let loaded = self.usable_policy(policy_id)?.map(Arc::new);
        policies.insert(policy_id.clone(), loaded.clone());
        Ok(loaded)
    }

    /// Drops an item that may not be sent (see [`crate::store::OutboxPayload::unsendable_under`]):
    /// marked failed with the reason, and ledgered.
    fn drop_unsendable(&self, item: &OutboxItem, reason: String) -> Result<()> {
        self.store()
            .mark_failed(&item.payload.submission_id, reason.clone())?;
        self.store().append_ledger(&LedgerEntry {
            at: self.now_string(),
            event: LedgerEvent::SubmissionDropped {
                policy_id: item.payload.policy_id.clone(),
                submission_id: item.payload.submission_id.clone(),
                reason,
            },
        })?;
        Ok(())
    }

    /// The submissions a drop box may still hold: delivered, or attempted at least once
    /// (a reply may have been lost), each with where it went and until when the drop box
    /// keeps it at most. What [`SelfReport::request_deletion`] can still reach, and what an
    /// erase without deletion requests leaves behind (their tokens go with the store).
    pub fn possibly_held(&self) -> Result<Vec<PossiblyHeld>> {
        let today = self.today();
        Ok(self
            .store()
            .outbox()?
            .into_iter()
            .filter(|item| item.state == OutboxItemState::Delivered || item.attempts > 0)
            .map(|item| {
                let received = item
                    .payload
                    .receipt
                    .as_ref()
                    .and_then(|receipt| {
                        chrono::DateTime::parse_from_rfc3339(&receipt.received_at).ok()
                    })
                    .map_or(today, |at| at.date_naive());
                let days = item
                    .payload
                    .server_days
                    .unwrap_or(crate::policy::guardrails::CORE_MAX_SERVER_DAYS);
                PossiblyHeld {
                    submission_id: item.payload.submission_id,
                    policy_id: item.payload.policy_id,
                    endpoint: item.payload.endpoint,
                    confirmed: item.state == OutboxItemState::Delivered,
                    held_until: received
                        .checked_add_days(chrono::Days::new(u64::from(days)))
                        .unwrap_or(chrono::NaiveDate::MAX),
                }
            })
            .filter(|held| held.held_until >= today)
            .collect())
    }

    /// Every outbox item (pending, delivered, failed).
    pub fn outbox(&self) -> Result<Vec<OutboxItem>> {
        self.store().outbox()
    }

    /// Asks the drop box to delete a submission with the token only this device holds,
    /// whenever it may hold it: delivered, or attempted at least once (its reply may have
    /// been lost), withdrawn or not. A submission never attempted is simply dropped.
    /// Recorded in the ledger.
    pub async fn request_deletion(
        &self,
        submission_id: &str,
        config: &TransportConfig,
    ) -> Result<DeletionOutcome> {
        let item = self.store().outbox_item(submission_id)?;
        let policy = self.store().policy(&item.payload.policy_id)?;
        // Delivered, or attempted (its reply may have been lost): the drop box may hold it.
        let may_be_held = item.state == OutboxItemState::Delivered || item.attempts > 0;
        let outcome = if may_be_held {
            // Where the item was sent: the endpoint and pins of the version it was sealed
            // under (kept with it), not necessarily the installed version's.
            let mut endpoint = policy.document().endpoint.clone();
            endpoint.url = item.payload.endpoint.clone();
            if !item.payload.spki_sha256.is_empty() {
                endpoint.spki_sha256 = item.payload.spki_sha256.clone();
            }
            let transport = Transport::for_endpoint(&endpoint, config)?;
            let reply = transport
                .delete_submission(submission_id, &item.payload.deletion_token)
                .await?;
            let outcome = match reply.status {
                200 | 204 => DeletionOutcome::Deleted,
                404 => DeletionOutcome::NotFound,
                status => {
                    return Err(Error::Conflict(format!(
                        "the drop box refused the deletion (status {status})"
                    )));
                }
            };
            if item.state == OutboxItemState::Pending {
                // Whatever the drop box held, it is not to be sent again.
                self.store().mark_failed(
                    submission_id,
                    "withdrawn by the person before it was confirmed".to_owned(),
                )?;
            }
            outcome
        } else {
            self.store().mark_failed(
                submission_id,
                "withdrawn by the person before sending".to_owned(),
            )?;
            DeletionOutcome::DroppedUnsent
        };
        self.store().append_ledger(&LedgerEntry {
            at: self.now_string(),
            event: LedgerEvent::DeletionRequested {
                policy_id: policy.id().to_owned(),
                submission_id: submission_id.to_owned(),
                endpoint: item.payload.endpoint.clone(),
                outcome: match outcome {
                    DeletionOutcome::Deleted => "deleted",
                    DeletionOutcome::NotFound => "not_found",
                    DeletionOutcome::DroppedUnsent => "dropped_unsent",
                }
                .to_owned(),
            },
        })?;
        Ok(outcome)
    }

    /// Fetches `GET {endpoint}/policy` and installs it under the same checks as a manual
    /// install. `Ok(None)` when the endpoint serves the installed version; a lower version
    /// is refused as a rollback. The root's revocation list the endpoint relays is
    /// fetched and installed first ([`SelfReport::update_revocations`]), so a revoked
    /// version is never installed.
    pub async fn update_policy(
        &self,
        policy_id: &str,
        config: &TransportConfig,
    ) -> Result<Option<PolicySummary>> {
        self.update_revocations(policy_id, config).await?;
        let installed = self.store().policy(policy_id)?;
        let transport = Transport::for_endpoint(&installed.document().endpoint, config)?;
        let reply = transport.fetch_policy().await?;
        if reply.status != 200 {
            return Err(Error::Conflict(format!(
                "the endpoint answered {} for the policy",
                reply.status
            )));
        }
        let offered = SignedPolicy::parse_remembering(&reply.body, &self.verified_links)?
            .verify_remembering(self.trust_anchors(), self.today(), &self.verified_links)?;
        if offered.id() != policy_id {
            return Err(PolicyError::malformed(format!(
                "the endpoint served policy {} instead of {policy_id}",
                offered.id()
            ))
            .into());
        }
        if offered.version() == installed.version()
            && offered.payload_bytes() == installed.payload_bytes()
        {
            return Ok(None);
        }
        self.install_policy(&reply.body).map(Some)
    }

    /// Every ledger entry, oldest first.
    pub fn ledger(&self) -> Result<Vec<(u64, LedgerEntry)>> {
        self.store().ledger()
    }

    /// Every ledger entry, oldest first, with its format, exact hashed bytes, hash and
    /// predecessor's hash (docs/protocol.md, "The ledger").
    pub fn ledger_chain(&self) -> Result<Vec<ChainedEntry>> {
        self.store().ledger_chain()
    }

    /// Verifies the ledger's hash chain and every receipt in it.
    pub fn verify_ledger(&self) -> Result<LedgerVerification> {
        self.store().verify_ledger()
    }
}

/// Keeps a send task's outcome; a task that stopped has lost its outcome, so its item
/// stays pending, the sync starts nothing new and reports the error once the others end.
fn collect(
    joined: std::result::Result<Vec<Finished>, tokio::task::JoinError>,
    finished: &mut Vec<Finished>,
    stopped: &mut bool,
) {
    match joined {
        Ok(attempts) => finished.extend(attempts),
        Err(_) => *stopped = true,
    }
}

/// Records how attempts ended — delivered (receipt + ledger), rescheduled, or failed — in
/// one transaction, and returns the progress event of each (none for an item another sync
/// recorded, or that was dropped meanwhile and not delivered).
fn record_attempts(
    store: &Store,
    finished: Vec<Finished>,
    at: String,
    retry: RetryPolicy,
) -> Result<Vec<SyncEvent>> {
    let now = Utc::now();
    // Beside each outcome: the retry delay in whole seconds, for its event.
    let (outcomes, delays): (Vec<(&OutboxItem, AttemptOutcome)>, Vec<u64>) = finished
        .iter()
        .map(|(item, policy, outcome)| {
            let mut after_seconds = 0;
            let outcome = match outcome {
                Attempt::Delivered(receipt) => AttemptOutcome::Delivered {
                    entry: Box::new(disclosure_entry(at.clone(), policy, item, receipt)),
                    receipt: receipt.clone(),
                },
                Attempt::Retry(after, reason) => {
                    let delay = retry.next_delay(item.attempts.saturating_add(1), *after);
                    after_seconds = delay.as_secs();
                    AttemptOutcome::Retry {
                        next_attempt_at: due_at(now, delay),
                        error: reason.clone(),
                    }
                }
                Attempt::TokenRefused(reason) => {
                    let delay = retry.next_delay(item.attempts.saturating_add(1), None);
                    after_seconds = delay.as_secs();
                    AttemptOutcome::Retry {
                        next_attempt_at: due_at(now, delay),
                        error: reason.clone(),
                    }
                }
                Attempt::Failed(reason) => AttemptOutcome::Failed {
                    reason: reason.clone(),
                },
            };
            ((item, outcome), after_seconds)
        })
        .unzip();
    let recorded = store.record_attempts(&outcomes)?;
    // A refused token is not sent again: the next attempt takes a fresh one.
    for (item, _, outcome) in &finished {
        if matches!(outcome, Attempt::TokenRefused(_)) {
            store.clear_upload_token(&item.payload.submission_id)?;
        }
    }
    let events = outcomes
        .into_iter()
        .zip(delays)
        .zip(recorded)
        .filter(|(_, recorded)| *recorded != Recorded::Skipped)
        .map(|(((item, outcome), after_seconds), _)| {
            let submission_id = item.payload.submission_id.clone();
            match outcome {
                AttemptOutcome::Delivered { receipt, .. } => SyncEvent::Delivered {
                    submission_id,
                    received_at: receipt.received_at,
                },
                AttemptOutcome::Retry { error, .. } => SyncEvent::RetryLater {
                    submission_id,
                    after_seconds,
                    reason: error,
                },
                AttemptOutcome::Failed { reason } => SyncEvent::Failed {
                    submission_id,
                    reason,
                },
            }
        })
        .collect();
    Ok(events)
}

/// The future of [`SelfReport::with_upload_token`], boxed.
type TokenFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(OutboxItem, bool)>> + Send + 'a>>;

mod tokens;

#[cfg(test)]
mod tests;
