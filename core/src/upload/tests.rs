//! Upload tests: sealing, sync against a scripted drop box, retries, consent, deletion,
//! cover traffic, batches; `integrity` holds the outbox-integrity cases of issue 13.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::clock::FixedClock;
use crate::crypto::SigningKey;
use crate::facade::Options;
use crate::model::{Answers, NewProfile, ProfileId};
use crate::policy::test_support::{anchor_for, signed, test_key, test_policy_value, today};
use crate::store::OutboxState;
use crate::store::test_support::key_source;
use crate::sync::retry::RetryPolicy;
use crate::sync::test_server::{Action, SeenRequest, TestServer};
use crate::sync::wire::{
    BatchError, BatchReply, BatchRequest, BatchResult, Receipt, ReceiptReply, SealedSubmission,
};

/// A drop box stand-in: signs receipts, remembers bodies by id (idempotent), and lets a
/// test script failures before success.
struct FakeDropBox {
    receipt_key: SigningKey,
    stored: Mutex<Vec<(String, Vec<u8>, Receipt)>>,
    script: Mutex<Vec<Action>>,
    calls: AtomicUsize,
    forge: bool,
    /// How long the first request waits for its reply.
    first_delay: Mutex<Option<Duration>>,
    /// Answers the batch route with 404, as an endpoint without it would.
    no_batches: std::sync::atomic::AtomicBool,
    /// Items of a batch refused with this status (by submission id), not stored.
    refused: Mutex<Vec<(String, u16)>>,
    /// Changes a batch reply before it is sent.
    tamper: Mutex<Option<BatchTamper>>,
}

type BatchTamper = Box<dyn Fn(&mut Vec<BatchResult>) + Send>;

impl FakeDropBox {
    fn new(script: Vec<Action>, forge: bool) -> Arc<Self> {
        Arc::new(Self {
            receipt_key: SigningKey::generate().unwrap(),
            stored: Mutex::new(Vec::new()),
            script: Mutex::new(script),
            calls: AtomicUsize::new(0),
            forge,
            first_delay: Mutex::new(None),
            no_batches: std::sync::atomic::AtomicBool::new(false),
            refused: Mutex::new(Vec::new()),
            tamper: Mutex::new(None),
        })
    }

    /// Makes the first request's reply wait `delay` (stored at once, answered late).
    fn delay_first_reply(&self, delay: Duration) {
        *self.first_delay.lock().unwrap() = Some(delay);
    }

    fn handle(&self, request: &SeenRequest) -> Action {
        let reply = self.reply(request);
        let first = self.calls.fetch_add(1, Ordering::SeqCst) == 0;
        match *self.first_delay.lock().unwrap() {
            Some(delay) if first => Action::Later(delay, Box::new(reply)),
            _ => reply,
        }
    }

    fn reply(&self, request: &SeenRequest) -> Action {
        if request.method == "DELETE" {
            return Action::Reply(204, vec![], vec![]);
        }
        let malformed = || {
            Action::Reply(
                400,
                vec![],
                br#"{"error":{"code":"Malformed","message":"bad body"}}"#.to_vec(),
            )
        };
        let is_batch = request.path.ends_with("/submissions/batch");
        if is_batch && self.no_batches.load(Ordering::SeqCst) {
            return Action::Reply(
                404,
                vec![],
                br#"{"error":{"code":"NotFound","message":"no such route"}}"#.to_vec(),
            );
        }
        let refused = self.refused.lock().unwrap().clone();
        let refusal = |submission: &SealedSubmission| {
            refused
                .iter()
                .find(|(id, _)| *id == submission.submission_id)
                .map(|(_, status)| *status)
        };
        let bodies: Vec<Vec<u8>> = if is_batch {
            match serde_json::from_slice::<BatchRequest<'_>>(&request.body) {
                Ok(batch) => batch
                    .submissions
                    .iter()
                    .map(|raw| raw.get().as_bytes().to_vec())
                    .collect(),
                Err(_) => return malformed(),
            }
        } else {
            vec![request.body.clone()]
        };
        let Ok(submissions) = bodies
            .iter()
            .map(|body| serde_json::from_slice::<SealedSubmission>(body))
            .collect::<std::result::Result<Vec<_>, _>>()
        else {
            return malformed();
        };
        let scripted = {
            let mut script = self.script.lock().unwrap();
            if script.is_empty() {
                None
            } else {
                Some(script.remove(0))
            }
        };
        // The drop box commits before its reply can be lost: store first. The new ones
        // of a batch share one signature, as the real drop box signs them.
        let mut stored = self.stored.lock().unwrap();
        let new: Vec<(&SealedSubmission, &[u8])> = submissions
            .iter()
            .zip(&bodies)
            .filter(|(submission, _)| {
                refusal(submission).is_none()
                    && !stored
                        .iter()
                        .any(|(id, ..)| *id == submission.submission_id)
            })
            .map(|(submission, body)| (submission, body.as_slice()))
            .collect();
        for ((submission, body), receipt) in new.iter().zip(Receipt::sign_batch(
            &self.receipt_key,
            &new,
            "2026-11-28T01:00:00Z",
        )) {
            stored.push((submission.submission_id.clone(), body.to_vec(), receipt));
        }
        let mut receipts: Vec<Option<Receipt>> = submissions
            .iter()
            .map(|submission| {
                let found = stored
                    .iter()
                    .find(|(id, ..)| *id == submission.submission_id);
                found.map(|(_, _, receipt)| receipt.clone())
            })
            .collect();
        if let Some(action) = scripted {
            return action;
        }
        if self.forge {
            for receipt in receipts.iter_mut().flatten() {
                receipt.received_at = "2020-01-01T00:00:00Z".to_owned();
            }
        }
        let body = if is_batch {
            let mut results = receipts
                .into_iter()
                .zip(&submissions)
                .map(|(receipt, submission)| BatchResult {
                    error: refusal(submission).map(|status| BatchError {
                        status,
                        code: "Refused".to_owned(),
                        message: "refused by the test".to_owned(),
                    }),
                    receipt,
                })
                .collect();
            if let Some(tamper) = &*self.tamper.lock().unwrap() {
                tamper(&mut results);
            }
            serde_json::to_vec(&BatchReply { results }).unwrap()
        } else {
            let receipt = receipts.remove(0).unwrap();
            serde_json::to_vec(&ReceiptReply { receipt }).unwrap()
        };
        Action::Reply(if is_batch { 200 } else { 201 }, vec![], body)
    }
}

struct Setup {
    dir: tempfile::TempDir,
    core: SelfReport,
    server: TestServer,
    profile: ProfileId,
    authority: SigningKey,
    dropbox: Arc<FakeDropBox>,
}

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(
        chrono::DateTime::parse_from_rfc3339("2026-11-28T09:00:00+08:00").unwrap(),
    ))
}

fn policy_json(server: &TestServer, dropbox: &FakeDropBox, version: u64) -> String {
    let mut value = test_policy_value("sh", version, today());
    value["endpoint"]["url"] = server.url.clone().into();
    value["endpoint"]["spki_sha256"] = serde_json::json!([server.pki.leaf_pin]);
    value["endpoint"]["receipt_key"] = dropbox.receipt_key.public_key_base64().into();
    value.to_string()
}

/// A new store in a temporary directory trusting a fresh authority key, on the tests'
/// clock.
fn new_core() -> (tempfile::TempDir, SigningKey, SelfReport) {
    let dir = tempfile::tempdir().unwrap();
    let authority = test_key();
    let core = SelfReport::create(
        dir.path(),
        &key_source(5),
        Options {
            trust_anchors: anchor_for(&authority),
            clock: clock(),
        },
    )
    .unwrap();
    (dir, authority, core)
}

/// A store on the tests' clock with the example `/2` policy (`sh-arrivals`) pointed at
/// `server` and `dropbox` and then changed by `edit`, consented to, with the father's
/// profile.
fn father_under_v2(
    server: TestServer,
    dropbox: Arc<FakeDropBox>,
    edit: impl FnOnce(&mut serde_json::Value),
) -> Setup {
    let (dir, authority, core) = new_core();
    let mut policy = crate::policy::test_support::policy_v2();
    policy["endpoint"]["url"] = server.url.clone().into();
    policy["endpoint"]["spki_sha256"] = serde_json::json!([server.pki.leaf_pin]);
    policy["endpoint"]["receipt_key"] = dropbox.receipt_key.public_key_base64().into();
    edit(&mut policy);
    core.install_policy(&signed(&authority, &policy.to_string()))
        .unwrap();
    core.grant_consent("sh-arrivals").unwrap();
    let profile = core
        .add_profile(NewProfile {
            display_name: "Father".into(),
            name: Some("李建国".into()),
            phone: Some("+8613912345678".into()),
            birth_date: Some("1950-03-01".parse().unwrap()),
            ..NewProfile::default()
        })
        .unwrap();
    Setup {
        dir,
        core,
        server,
        profile,
        authority,
        dropbox,
    }
}

async fn setup(script: Vec<Action>, forge: bool) -> Setup {
    let dropbox = FakeDropBox::new(script, forge);
    let handler = dropbox.clone();
    let server = TestServer::start(move |request| handler.handle(request)).await;
    let (dir, authority, core) = new_core();
    core.install_policy(&signed(&authority, &policy_json(&server, &dropbox, 1)))
        .unwrap();
    let profile = core
        .add_profile(NewProfile {
            display_name: "Grandma".into(),
            name: Some("李秀英".into()),
            phone: Some("+8613912345678".into()),
            birth_date: Some("1950-03-01".parse().unwrap()),
            ..NewProfile::default()
        })
        .unwrap();
    Setup {
        dir,
        core,
        server,
        profile,
        authority,
        dropbox,
    }
}

fn options(server: &TestServer) -> SyncOptions {
    SyncOptions {
        transport: TransportConfig {
            extra_roots: vec![server.pki.ca_der.clone()],
            ..TransportConfig::default()
        },
        retry: RetryPolicy {
            base: Duration::ZERO,
            cap: Duration::ZERO,
        },
    }
}

fn report(s: &Setup, temperature: &str) -> RecordId {
    s.core
        .save_record(
            &s.profile,
            "sh",
            "daily",
            None,
            Answers::new()
                .text("temperature", temperature)
                .text("notes", "secret note"),
        )
        .unwrap()
        .id
}

async fn sync(s: &Setup) -> SyncReport {
    s.core
        .sync(&options(&s.server), &|_| {}, &CancelToken::new())
        .await
        .unwrap()
}

#[tokio::test]
async fn nothing_is_sent_without_consent_then_delivery_is_receipted_and_ledgered() {
    let s = setup(vec![], false).await;
    let record = report(&s, "37.8");
    assert_eq!(sync(&s).await, SyncReport::default());
    assert!(s.server.requests().is_empty());

    s.core.grant_consent("sh").unwrap();
    let done = sync(&s).await;
    assert_eq!((done.queued, done.delivered), (1, 1));
    assert_eq!(s.core.record(&record).unwrap().state, OutboxState::Sent);
    let ledger = s.core.ledger().unwrap();
    assert_eq!(ledger.len(), 2);
    match &ledger[1].1.event {
        LedgerEvent::Disclosure { fields, form, .. } => {
            assert_eq!(form, "daily");
            let names: Vec<_> = fields
                .iter()
                .map(|f| (f.field.as_str(), f.transform.as_str()))
                .collect();
            assert_eq!(names, [("temperature", "threshold")]);
        }
        other => panic!("{other:?}"),
    }
    assert!(s.core.verify_ledger().unwrap().is_valid());
    // The wire carried no typed value.
    let body = &s.server.requests()[0].body;
    for canary in ["37.8", "secret note", "李秀英", "+8613912345678"] {
        assert!(
            !body.windows(canary.len()).any(|w| w == canary.as_bytes()),
            "{canary}"
        );
    }
    // A second sync has nothing to do.
    assert_eq!(sync(&s).await, SyncReport::default());
}

#[tokio::test]
async fn the_preview_shows_exactly_what_is_sealed() {
    let s = setup(vec![], false).await;
    let record = report(&s, "36.5");
    let preview = s.core.preview(&record).unwrap();
    let health = preview
        .parts
        .iter()
        .find(|p| p.recipient == "health")
        .unwrap();
    assert!(
        health.json.contains(r#""temperature":false"#),
        "{}",
        health.json
    );
    assert!(!health.json.contains("secret note"));
    s.core.grant_consent("sh").unwrap();
    s.core.seal_ready().unwrap();
    let item = &s.core.outbox().unwrap()[0];
    assert!(health.json.contains(&item.payload.submission_id));
}

#[tokio::test]
async fn a_receipt_with_a_bad_signature_is_not_delivered() {
    let s = setup(vec![], true).await;
    let record = report(&s, "36.5");
    s.core.grant_consent("sh").unwrap();
    let done = sync(&s).await;
    assert_eq!((done.delivered, done.retry_later), (0, 1));
    assert_eq!(s.core.record(&record).unwrap().state, OutboxState::Queued);
    assert_eq!(s.core.outbox().unwrap()[0].state, OutboxItemState::Pending);
    assert_eq!(s.core.ledger().unwrap().len(), 1, "only the consent");
}

#[tokio::test]
async fn server_errors_and_a_cut_connection_are_retried_with_the_same_bytes_across_a_restart() {
    let s = setup(vec![Action::Reply(503, vec![], vec![]), Action::Cut], false).await;
    report(&s, "36.5");
    s.core.grant_consent("sh").unwrap();
    assert_eq!(sync(&s).await.retry_later, 1);
    assert_eq!(sync(&s).await.retry_later, 1);
    // Restart the core between attempts: nothing is lost.
    let Setup {
        dir,
        core,
        server,
        authority,
        dropbox,
        ..
    } = s;
    drop(core);
    let core = SelfReport::open(
        dir.path(),
        &key_source(5),
        Options {
            trust_anchors: anchor_for(&authority),
            clock: clock(),
        },
    )
    .unwrap();
    let done = core
        .sync(&options(&server), &|_| {}, &CancelToken::new())
        .await
        .unwrap();
    assert_eq!(done.delivered, 1);
    let bodies: Vec<_> = server.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies.len(), 3);
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "every retry sends the same bytes"
    );
    assert_eq!(dropbox.stored.lock().unwrap().len(), 1, "stored once");
    assert!(core.verify_ledger().unwrap().is_valid());
    // Delivered, the item keeps no body: its receipt's digest names the bytes sent.
    let item = core.outbox().unwrap().remove(0);
    assert_eq!(item.state, OutboxItemState::Delivered);
    assert_eq!(item.payload.body, None);
    assert_eq!(
        item.payload.receipt.unwrap().body_sha256,
        crate::sync::wire::body_digest(&bodies[0])
    );
}

#[tokio::test]
async fn withdrawing_consent_drops_queued_items_and_is_ledgered() {
    let s = setup(vec![], false).await;
    report(&s, "36.5");
    s.core.grant_consent("sh").unwrap();
    s.core.seal_ready().unwrap();
    assert_eq!(s.core.withdraw_consent("sh").unwrap(), 1);
    assert_eq!(sync(&s).await, SyncReport::default());
    assert!(s.server.requests().is_empty());
    let ledger = s.core.ledger().unwrap();
    assert!(matches!(
        ledger.last().unwrap().1.event,
        LedgerEvent::ConsentWithdrawn { dropped: 1, .. }
    ));
    assert!(s.core.verify_ledger().unwrap().is_valid());
}

#[tokio::test]
async fn cancelling_stops_before_sending() {
    let s = setup(vec![], false).await;
    report(&s, "36.5");
    s.core.grant_consent("sh").unwrap();
    let cancel = CancelToken::new();
    cancel.cancel();
    let done = s
        .core
        .sync(&options(&s.server), &|_| {}, &cancel)
        .await
        .unwrap();
    assert!(done.cancelled);
    assert_eq!(done.delivered, 0);
    assert!(s.server.requests().is_empty());
}

/// Cancelling mid-sync: the batches in flight end and are recorded, nothing more is
/// sent, and the rest stays pending for the next sync.
#[tokio::test]
async fn cancelling_during_a_sync_sends_no_further_batch() {
    let s = setup(vec![], false).await;
    let queued = (MAX_IN_FLIGHT + 2) * BATCH_ITEMS;
    queue_reports(&s, queued);
    let cancel = CancelToken::new();
    let progress = |event: &SyncEvent| {
        if matches!(event, SyncEvent::Delivered { .. }) {
            cancel.cancel();
        }
    };
    let done = s
        .core
        .sync(&options(&s.server), &progress, &cancel)
        .await
        .unwrap();
    assert!(done.cancelled);
    // The batches opened before the first delivery was recorded, and no other.
    assert_eq!(s.server.requests().len(), MAX_IN_FLIGHT);
    assert_eq!(done.delivered as usize, MAX_IN_FLIGHT * BATCH_ITEMS);
    let pending = s
        .core
        .outbox()
        .unwrap()
        .iter()
        .filter(|item| item.state == OutboxItemState::Pending)
        .count();
    assert_eq!(pending, queued - MAX_IN_FLIGHT * BATCH_ITEMS);
    assert_eq!(sync(&s).await.delivered as usize, pending);
}

/// Two syncs of one store at once (a background worker and a button press) used to
/// seal the same record twice (`UNIQUE constraint failed: outbox.id`, an `Internal`
/// error) or send the same submission twice and ledger it twice; found by the Kotlin
/// binding tests. Syncs of one store now run one after the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_syncs_seal_and_send_each_record_once() {
    let s = setup(vec![], false).await;
    s.core.grant_consent("sh").unwrap();
    let today = s.core.today();
    let records: Vec<RecordId> = (0..3)
        .map(|days_ago| {
            s.core
                .save_record(
                    &s.profile,
                    "sh",
                    "daily",
                    Some(today - chrono::Days::new(days_ago)),
                    Answers::new().text("temperature", "36.6"),
                )
                .unwrap()
                .id
        })
        .collect();
    let options = options(&s.server);
    let reports: Vec<SyncReport> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap()
                        .block_on(s.core.sync(&options, &|_| {}, &CancelToken::new()))
                        .unwrap()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let queued: u32 = reports.iter().map(|r| r.queued).sum();
    let delivered: u32 = reports.iter().map(|r| r.delivered).sum();
    assert_eq!((queued, delivered), (3, 3), "{reports:?}");
    // The three went in one batch, once.
    assert_eq!(s.server.requests().len(), 1);
    assert_eq!(submitted_bodies(&s.server).len(), 3);
    let disclosures = s
        .core
        .ledger()
        .unwrap()
        .into_iter()
        .filter(|(_, entry)| matches!(entry.event, LedgerEvent::Disclosure { .. }))
        .count();
    assert_eq!(disclosures, 3);
    for record in &records {
        assert_eq!(s.core.record(record).unwrap().state, OutboxState::Sent);
    }
    assert!(s.core.verify_ledger().unwrap().is_valid());
}

/// Queues one daily report for each of `count` new profiles; returns the outbox.
fn queue_reports(s: &Setup, count: usize) -> Vec<OutboxItem> {
    for index in 0..count {
        let profile = s
            .core
            .add_profile(NewProfile {
                display_name: format!("Member {index}"),
                ..NewProfile::default()
            })
            .unwrap();
        s.core
            .save_record(
                &profile,
                "sh",
                "daily",
                None,
                Answers::new().text("temperature", "36.5"),
            )
            .unwrap();
    }
    s.core.grant_consent("sh").unwrap();
    s.core.seal_ready().unwrap();
    let outbox = s.core.outbox().unwrap();
    assert_eq!(outbox.len(), count);
    outbox
}

/// The submission ids of the ledger's disclosures, in order.
fn disclosed(s: &Setup) -> Vec<String> {
    s.core
        .ledger()
        .unwrap()
        .into_iter()
        .filter_map(|(_, entry)| match entry.event {
            LedgerEvent::Disclosure { submission_id, .. } => Some(submission_id),
            _ => None,
        })
        .collect()
}

/// Every submission body the drop box was sent, in order, batches opened.
fn submitted_bodies(server: &TestServer) -> Vec<Vec<u8>> {
    server
        .requests()
        .into_iter()
        .filter(|request| request.method == "POST")
        .flat_map(|request| {
            if request.path.ends_with("/submissions/batch") {
                let batch: BatchRequest<'_> = serde_json::from_slice(&request.body).unwrap();
                batch
                    .submissions
                    .iter()
                    .map(|raw| raw.get().as_bytes().to_vec())
                    .collect()
            } else {
                vec![request.body]
            }
        })
        .collect()
}

/// Sync opens each item when it sends it. It used to load and open the whole due
/// outbox first: every queued body in memory at once (116 MiB of peak memory for 10,000
/// queued reports, see `tests/benches/sync_peak_memory.rs`), and an item dropped after
/// the sync started was still sent.
/// Outcomes wait for their batch at most `RECORD_AFTER`, even while another request is
/// still in flight: one slow reply does not hold back the others' records and events.
#[tokio::test]
async fn a_slow_reply_does_not_hold_back_the_others_deliveries() {
    let s = setup(vec![], false).await;
    // A full batch (its reply slow) and one more item, sent alone beside it.
    let queued = BATCH_ITEMS + 1;
    queue_reports(&s, queued);
    let slow = Duration::from_secs(3);
    s.dropbox.delay_first_reply(slow);
    let started = Instant::now();
    let delivered_at = Mutex::new(Vec::new());
    let progress = |event: &SyncEvent| {
        if matches!(event, SyncEvent::Delivered { .. }) {
            delivered_at.lock().unwrap().push(started.elapsed());
        }
    };
    let done = s
        .core
        .sync(&options(&s.server), &progress, &CancelToken::new())
        .await
        .unwrap();
    assert_eq!(done.delivered as usize, queued);
    let delivered_at = delivered_at.into_inner().unwrap();
    assert_eq!(delivered_at.len(), queued);
    assert!(delivered_at[queued - 1] >= slow, "{delivered_at:?}");
    // The fast one was recorded and reported long before the slow reply came.
    assert!(delivered_at[0] < slow / 2, "{delivered_at:?}");
    assert_eq!(s.server.requests().len(), 2);
}

#[tokio::test]
async fn an_item_dropped_while_a_sync_runs_is_not_sent() {
    let s = setup(vec![], false).await;
    // Deliveries are reported once recorded: a batch's outcomes (at least RECORD_BATCH)
    // are recorded as soon as its reply is in, and no new batch is opened before; by
    // then at most MAX_IN_FLIGHT batches have been opened.
    let queued = BATCH_ITEMS * MAX_IN_FLIGHT + 2;
    let outbox = queue_reports(&s, queued);
    let last = outbox.last().unwrap().payload.submission_id.clone();
    // The last item is dropped when the first delivery is reported, before the sync
    // reaches it, whatever the timing.
    let dropped = std::sync::atomic::AtomicBool::new(false);
    let progress = |event: &SyncEvent| {
        if matches!(event, SyncEvent::Delivered { .. }) && !dropped.swap(true, Ordering::SeqCst) {
            s.core
                .store()
                .mark_failed(&last, "withdrawn by the person before sending".to_owned())
                .unwrap();
        }
    };
    let done = s
        .core
        .sync(&options(&s.server), &progress, &CancelToken::new())
        .await
        .unwrap();
    assert!(dropped.load(Ordering::SeqCst));
    assert_eq!(done.delivered as usize, queued - 1);
    assert_eq!(submitted_bodies(&s.server).len(), queued - 1);
    let stored = s.dropbox.stored.lock().unwrap();
    assert!(stored.iter().all(|(id, ..)| *id != last));
    assert_eq!(
        s.core.store().outbox_item(&last).unwrap().state,
        OutboxItemState::Failed
    );
}

/// Deliveries are recorded in batches (one transaction each) while further requests
/// are in flight. Items withdrawn during the sync: those not yet sent are not sent;
/// one already under way is delivered, and that disclosure is in the ledger, but its
/// outbox row stays withdrawn. Whatever the timing, every submission the drop box holds
/// is in the ledger exactly once, and every delivered item is one the drop box holds.
#[tokio::test]
async fn items_withdrawn_during_a_sync_are_ledgered_only_if_they_reached_the_drop_box() {
    let s = setup(vec![], false).await;
    // More batches than are kept in flight, so some are not opened yet at the first
    // report.
    let outbox = queue_reports(&s, (MAX_IN_FLIGHT + 2) * BATCH_ITEMS);
    let ids: Vec<String> = outbox
        .iter()
        .map(|item| item.payload.submission_id.clone())
        .collect();
    let events = Mutex::new(Vec::new());
    let progress = |event: &SyncEvent| {
        let mut events = events.lock().unwrap();
        if events.is_empty() {
            // The first report comes while later items are in flight or not yet
            // opened: withdraw every item still pending.
            for id in &ids {
                if s.core.store().outbox_item(id).unwrap().state == OutboxItemState::Pending {
                    s.core
                        .store()
                        .mark_failed(id, "withdrawn by the person".to_owned())
                        .unwrap();
                }
            }
        }
        events.push(event.clone());
    };
    let done = s
        .core
        .sync(&options(&s.server), &progress, &CancelToken::new())
        .await
        .unwrap();
    let events = events.into_inner().unwrap();
    let reported: Vec<&str> = events
        .iter()
        .filter_map(|event| match event {
            SyncEvent::Delivered { submission_id, .. } => Some(submission_id.as_str()),
            _ => None,
        })
        .collect();
    // One event per delivery, each item once.
    assert_eq!(reported.len(), done.delivered as usize);
    let unique: std::collections::BTreeSet<&str> = reported.iter().copied().collect();
    assert_eq!(unique.len(), reported.len());
    assert!(done.delivered >= 1);
    assert!(
        (done.delivered as usize) < ids.len(),
        "some were withdrawn first"
    );

    let stored: std::collections::BTreeSet<String> = s
        .dropbox
        .stored
        .lock()
        .unwrap()
        .iter()
        .map(|(id, ..)| id.clone())
        .collect();
    let ledgered = disclosed(&s);
    let ledgered_set: std::collections::BTreeSet<String> = ledgered.iter().cloned().collect();
    assert_eq!(ledgered.len(), ledgered_set.len(), "each disclosure once");
    assert_eq!(ledgered_set, stored);
    assert_eq!(unique, stored.iter().map(String::as_str).collect());
    for item in s.core.outbox().unwrap() {
        let id = &item.payload.submission_id;
        match item.state {
            OutboxItemState::Delivered => assert!(stored.contains(id)),
            OutboxItemState::Failed => assert!(item.payload.receipt.is_none()),
            OutboxItemState::Pending => panic!("{id} is still pending"),
        }
    }
    assert!(s.core.verify_ledger().unwrap().is_valid());
}

mod integrity;
mod notices;
mod policy_and_batches;
mod retries;
mod tokens;
