//! The outbox's recording of attempts.
use super::*;
use crate::ledger::LedgerEvent;
use crate::store::test_support::new_store;

const EPOCH: i64 = 20_000;

fn store() -> (tempfile::TempDir, Store) {
    new_store(3)
}

fn queue(store: &Store, id: &str) -> OutboxItem {
    let payload = OutboxPayload {
        submission_id: id.to_owned(),
        policy_id: "sh".to_owned(),
        policy_version: 1,
        form_id: "daily".to_owned(),
        record_id: None,
        endpoint: "https://dropbox.test/v1".to_owned(),
        body: Some("Ym9keQ==".repeat(500)),
        deletion_token: format!("token-{id}"),
        fields: Vec::new(),
        receipt: None,
        last_error: None,
        cover_date: None,
        spki_sha256: Vec::new(),
        receipt_key: None,
        valid_until: None,
        server_days: None,
        withdrawn: false,
        disclosure_sha256: None,
        upload_token: None,
    };
    store.enqueue(&payload, EPOCH, 0).unwrap();
    store.outbox_item(id).unwrap()
}

fn delivered(id: &str) -> AttemptOutcome {
    let receipt = Receipt {
        submission_id: id.to_owned(),
        policy_id: "sh".to_owned(),
        policy_version: 1,
        body_sha256: "00".repeat(32),
        received_at: "2026-11-28T01:00:00Z".to_owned(),
        batch: None,
        signature: "c2lnbmF0dXJl".to_owned(),
    };
    AttemptOutcome::Delivered {
        receipt,
        // The store does not look inside the entry: any event will do here.
        entry: Box::new(LedgerEntry {
            at: "2026-11-28T09:00:00+08:00".to_owned(),
            event: LedgerEvent::DeletionRequested {
                policy_id: "sh".to_owned(),
                submission_id: id.to_owned(),
                endpoint: "https://dropbox.test/v1".to_owned(),
                outcome: "delivered".to_owned(),
            },
        }),
    }
}

fn ledgered(store: &Store) -> Vec<String> {
    store
        .ledger()
        .unwrap()
        .into_iter()
        .map(|(_, entry)| match entry.event {
            LedgerEvent::DeletionRequested { submission_id, .. } => submission_id,
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn a_batch_of_outcomes_commits_together_and_keeps_each_payload() {
    let (_dir, store) = store();
    let items: Vec<OutboxItem> = ["a", "b", "c", "d"]
        .iter()
        .map(|id| queue(&store, id))
        .collect();
    let batch = vec![
        (&items[0], delivered("a")),
        (
            &items[1],
            AttemptOutcome::Retry {
                next_attempt_at: 99,
                error: "server error 503".to_owned(),
            },
        ),
        (&items[2], delivered("c")),
        (
            &items[3],
            AttemptOutcome::Failed {
                reason: "refused with status 400".to_owned(),
            },
        ),
    ];
    assert_eq!(
        store.record_attempts(&batch).unwrap(),
        [Recorded::Applied; 4]
    );

    let a = store.outbox_item("a").unwrap();
    assert_eq!((a.state, a.attempts), (OutboxItemState::Delivered, 0));
    assert_eq!(a.payload.receipt.as_ref().unwrap().submission_id, "a");
    // The payload as queued, with the receipt and without the body: the receipt's
    // digest stands for the bytes sent.
    let mut expected = items[0].payload.clone();
    expected.receipt = a.payload.receipt.clone();
    expected.body = None;
    assert_eq!(a.payload, expected);

    let b = store.outbox_item("b").unwrap();
    assert_eq!(
        (b.state, b.attempts, b.next_attempt_at),
        (OutboxItemState::Pending, 1, 99)
    );
    assert_eq!(b.payload.last_error.as_deref(), Some("server error 503"));
    assert_eq!(b.payload.body, items[1].payload.body);
    assert!(b.payload.body.is_some(), "a pending item keeps its body");
    let d = store.outbox_item("d").unwrap();
    assert_eq!((d.state, d.attempts), (OutboxItemState::Failed, 1));
    assert_eq!(store.due_submission_ids(99).unwrap(), ["b"]);
    assert_eq!(ledgered(&store), ["a", "c"]);
    assert!(store.verify_ledger().unwrap().is_valid());
}

#[test]
fn an_item_dropped_withdrawn_or_recorded_meanwhile_is_not_marked_delivered() {
    let (_dir, store) = store();
    let gone = queue(&store, "gone");
    let withdrawn = queue(&store, "withdrawn");
    let twice = queue(&store, "twice");
    let retried = queue(&store, "retried");
    // Dropped (consent withdrawn deletes pending rows), withdrawn by the person, and
    // delivered by another sync, after each was opened.
    store
        .lock()
        .conn
        .execute("DELETE FROM outbox WHERE id = 'gone'", [])
        .unwrap();
    store
        .mark_failed("withdrawn", "withdrawn by the person".to_owned())
        .unwrap();
    store
        .record_attempts(&[(&twice, delivered("twice"))])
        .unwrap();
    store
        .mark_failed("retried", "withdrawn by the person".to_owned())
        .unwrap();

    let done = store
        .record_attempts(&[
            (&gone, delivered("gone")),
            (&withdrawn, delivered("withdrawn")),
            (&twice, delivered("twice")),
            (
                &retried,
                AttemptOutcome::Retry {
                    next_attempt_at: 5,
                    error: "server error 500".to_owned(),
                },
            ),
        ])
        .unwrap();
    assert_eq!(
        done,
        [
            Recorded::LedgerOnly,
            Recorded::LedgerOnly,
            Recorded::Skipped,
            Recorded::Skipped
        ]
    );
    assert!(matches!(
        store.outbox_item("gone"),
        Err(Error::NotFound { .. })
    ));
    let withdrawn = store.outbox_item("withdrawn").unwrap();
    assert_eq!(withdrawn.state, OutboxItemState::Failed);
    assert_eq!(withdrawn.payload.receipt, None);
    let retried = store.outbox_item("retried").unwrap();
    assert_eq!(retried.state, OutboxItemState::Failed);
    assert_eq!(
        retried.payload.last_error.as_deref(),
        Some("withdrawn by the person")
    );
    // The disclosures that did happen are in the ledger, each once.
    assert_eq!(ledgered(&store), ["twice", "gone", "withdrawn"]);
}

#[test]
fn a_failure_in_the_middle_of_a_batch_records_none_of_it() {
    let (_dir, store) = store();
    let items: Vec<OutboxItem> = ["a", "b", "c"].iter().map(|id| queue(&store, id)).collect();
    // The second ledger append of the batch fails.
    store
        .lock()
        .conn
        .execute_batch(
            "CREATE TEMP TRIGGER fail_second BEFORE INSERT ON ledger
             WHEN (SELECT count(*) FROM ledger) >= 1
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        )
        .unwrap();
    let batch: Vec<(&OutboxItem, AttemptOutcome)> = items
        .iter()
        .map(|item| (item, delivered(&item.payload.submission_id)))
        .collect();
    assert!(store.record_attempts(&batch).is_err());
    for item in &items {
        let now = store.outbox_item(&item.payload.submission_id).unwrap();
        assert_eq!(now, *item, "unchanged: still pending, to be sent again");
    }
    assert!(ledgered(&store).is_empty());
    assert_eq!(store.due_submission_ids(0).unwrap(), ["a", "b", "c"]);

    store
        .lock()
        .conn
        .execute_batch("DROP TRIGGER fail_second")
        .unwrap();
    assert_eq!(
        store.record_attempts(&batch).unwrap(),
        [Recorded::Applied; 3]
    );
    assert_eq!(ledgered(&store), ["a", "b", "c"]);
    assert!(store.due_submission_ids(0).unwrap().is_empty());
}
