//! Access notices at sync: the device polls the mailbox of a policy with access notices,
//! ledgers the notices sealed to its notice key, passes over everyone else's and the
//! filler, keeps its cursor, and keeps it unchanged when a reply is not a batch.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::*;
use crate::notice::{AccessNotice, NOTICE_SLOT_BYTES, NoticeKey, seal_notice};
use crate::sync::notice_batch::BATCH_SLOTS;

/// The mailbox: stored slots (sequence numbers from 1), and whether to answer wrongly.
#[derive(Default)]
struct Mailbox {
    slots: Vec<Vec<u8>>,
    broken: bool,
    polled_after: Vec<u64>,
}

impl Mailbox {
    fn reply(&mut self, path: &str) -> Action {
        let after: u64 = path
            .split_once("after=")
            .and_then(|(_, after)| after.parse().ok())
            .unwrap_or(0);
        self.polled_after.push(after);
        let start = usize::try_from(after).unwrap().min(self.slots.len());
        let real: Vec<&Vec<u8>> = self.slots[start..].iter().take(BATCH_SLOTS).collect();
        let next = after + real.len() as u64;
        let mut batch: Vec<String> = real.iter().map(|slot| STANDARD.encode(slot)).collect();
        while batch.len() < BATCH_SLOTS {
            batch.push(STANDARD.encode(random_array::<NOTICE_SLOT_BYTES>().unwrap()));
        }
        if self.broken {
            batch.pop();
        }
        let more = (next as usize) < self.slots.len();
        let body = serde_json::json!({"batch": batch, "more": more, "next": next});
        Action::Reply(200, vec![], body.to_string().into_bytes())
    }
}

struct NoticeSetup {
    s: Setup,
    mailbox: Arc<Mutex<Mailbox>>,
}

async fn notice_setup() -> NoticeSetup {
    let dropbox = FakeDropBox::new(vec![], false);
    let mailbox = Arc::new(Mutex::new(Mailbox::default()));
    let (handler, mail) = (dropbox.clone(), mailbox.clone());
    let server = TestServer::start(move |request| {
        if request.method == "GET" && request.path.contains("/notices") {
            mail.lock().unwrap().reply(&request.path)
        } else {
            handler.handle(request)
        }
    })
    .await;
    let s = father_under_v2(server, dropbox, |policy| {
        policy["access_notices"] = true.into();
        crate::policy::declare_minimum_padded_sizes(policy).unwrap();
    });
    NoticeSetup { s, mailbox }
}

fn notice(submission_id: &str, officer: &str) -> AccessNotice {
    AccessNotice::new(
        "2026-11-28T03:00:00Z".to_owned(),
        "Huangpu CDC".to_owned(),
        officer.to_owned(),
        "sh-arrivals".to_owned(),
        "confirm-intake".to_owned(),
        submission_id.to_owned(),
    )
}

/// Saves and sends a pre-registration (its identity part carries the notice key); the
/// submission id it went under.
async fn send_arrival(s: &Setup) -> String {
    s.core
        .save_record(
            &s.profile,
            "sh-arrivals",
            "arrival",
            None,
            Answers::new().text("arrival_date", "2026-11-30"),
        )
        .unwrap();
    assert_eq!(sync(s).await.delivered, 1);
    s.core.store().outbox().unwrap()[0]
        .payload
        .submission_id
        .clone()
}

/// The device's notice key under the policy, made when the arrival was sealed.
fn device_notice_key(s: &Setup) -> NoticeKey {
    s.core
        .store()
        .notice_key(&s.profile, "sh-arrivals", false)
        .unwrap()
        .expect("the identity part carried a notice key")
}

fn access_notices(core: &SelfReport) -> Vec<LedgerEvent> {
    core.ledger()
        .unwrap()
        .into_iter()
        .map(|(_, entry)| entry.event)
        .filter(|event| matches!(event, LedgerEvent::AccessNotice { .. }))
        .collect()
}

#[tokio::test]
async fn notices_sealed_to_the_device_are_ledgered_once_and_others_passed_over() {
    let NoticeSetup { s, mailbox } = notice_setup().await;
    // Before any identity part carried a key, the device does not poll.
    assert_eq!(sync(&s).await.notices, 0);
    assert!(mailbox.lock().unwrap().polled_after.is_empty());

    let submission_id = send_arrival(&s).await;
    let key = device_notice_key(&s);
    let stranger = NoticeKey::generate().unwrap();
    {
        let mut mailbox = mailbox.lock().unwrap();
        mailbox.polled_after.clear();
        // 40 stored notices: one of ours in the second batch, the rest someone else's.
        for n in 0..40 {
            let slot = if n == 35 {
                seal_notice(&key, &notice(&submission_id, "0042"))
            } else {
                seal_notice(&stranger, &notice(&"ab".repeat(16), "0007"))
            };
            mailbox.slots.push(slot.unwrap().to_vec());
        }
    }
    let polled = sync(&s).await;
    assert_eq!(polled.notices, 1);
    assert_eq!(mailbox.lock().unwrap().polled_after, vec![0, 32]);
    let found = access_notices(&s.core);
    assert_eq!(
        found,
        vec![LedgerEvent::AccessNotice {
            policy_id: "sh-arrivals".to_owned(),
            submission_id: submission_id.clone(),
            office: "Huangpu CDC".to_owned(),
            officer: "0042".to_owned(),
            reason: "confirm-intake".to_owned(),
            revealed_at: "2026-11-28T03:00:00Z".to_owned(),
        }]
    );
    assert!(s.core.verify_ledger().unwrap().is_valid());

    // The next sync polls from where it stopped and finds nothing new.
    mailbox.lock().unwrap().polled_after.clear();
    assert_eq!(sync(&s).await.notices, 0);
    assert_eq!(mailbox.lock().unwrap().polled_after, vec![40]);
    assert_eq!(access_notices(&s.core).len(), 1);
}

#[tokio::test]
async fn a_reply_that_is_not_a_batch_changes_nothing() {
    let NoticeSetup { s, mailbox } = notice_setup().await;
    let submission_id = send_arrival(&s).await;
    let key = device_notice_key(&s);
    {
        let mut mailbox = mailbox.lock().unwrap();
        mailbox.slots.push(
            seal_notice(&key, &notice(&submission_id, "0042"))
                .unwrap()
                .to_vec(),
        );
        mailbox.broken = true;
        mailbox.polled_after.clear();
    }
    // 31 slots: refused, the cursor stays, and the sync itself succeeds.
    assert_eq!(sync(&s).await.notices, 0);
    assert_eq!(s.core.store().notice_cursor("sh-arrivals").unwrap(), 0);
    assert!(access_notices(&s.core).is_empty());
    mailbox.lock().unwrap().broken = false;
    assert_eq!(sync(&s).await.notices, 1);
    assert_eq!(mailbox.lock().unwrap().polled_after, vec![0, 0]);
}
