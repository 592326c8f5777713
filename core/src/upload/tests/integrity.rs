//! Issue 13's attacks on the outbox: an edited plaintext `state` column never leads to
//! delivery, and a deletion token outlives every local deletion (withdrawal, a backdated
//! record's purge) while the drop box may still hold the submission.

use base64::Engine as _;

use super::*;

/// Sets the plaintext state column of every outbox row, as someone with the database file
/// but not its key could.
fn edit_state_column(s: &Setup, state: &str) {
    let conn = rusqlite::Connection::open(s.dir.path().join(crate::store::DB_FILE)).unwrap();
    conn.execute("UPDATE outbox SET state = ?1, next_attempt_at = 0", [state])
        .unwrap();
}

#[tokio::test]
async fn an_item_withdrawn_by_deletion_request_is_never_sent_after_an_edit() {
    let s = setup(vec![], false).await;
    report(&s, "37.8");
    s.core.grant_consent("sh").unwrap();
    s.core.seal_ready().unwrap();
    let id = s.core.outbox().unwrap()[0].payload.submission_id.clone();
    let outcome = s
        .core
        .request_deletion(&id, &options(&s.server).transport)
        .await
        .unwrap();
    assert_eq!(outcome, DeletionOutcome::DroppedUnsent);
    let item = s.core.store().outbox_item(&id).unwrap();
    assert_eq!(item.state, OutboxItemState::Failed);
    assert_eq!(item.payload.body, None, "nothing left to send");
    assert!(!item.payload.deletion_token.is_empty());
    edit_state_column(&s, "pending");
    let done = sync(&s).await;
    assert_eq!(done.delivered, 0);
    assert!(
        s.server.requests().is_empty(),
        "nothing reached the drop box"
    );
    assert_eq!(
        s.core.store().outbox_item(&id).unwrap().state,
        OutboxItemState::Failed
    );
}

#[tokio::test]
async fn a_withdrawn_item_keeps_its_token_and_is_never_sent_after_an_edit() {
    let s = setup(vec![], false).await;
    report(&s, "37.8");
    s.core.grant_consent("sh").unwrap();
    s.core.seal_ready().unwrap();
    assert_eq!(s.core.withdraw_consent("sh").unwrap(), 1);
    let withdrawn = s.core.outbox().unwrap().remove(0);
    assert!(withdrawn.payload.withdrawn);
    assert_eq!(withdrawn.state, OutboxItemState::Failed);
    assert!(!withdrawn.payload.deletion_token.is_empty());
    // The person changes the report, then consents again: the changed report is sealed
    // anew; the withdrawn bytes stay withdrawn.
    report(&s, "36.6");
    s.core.grant_consent("sh").unwrap();
    edit_state_column(&s, "pending");
    let done = sync(&s).await;
    assert_eq!(done.delivered, 1);
    let sent: Vec<SealedSubmission> = submitted_bodies(&s.server)
        .iter()
        .map(|body| serde_json::from_slice(body).unwrap())
        .collect();
    assert_eq!(sent.len(), 1);
    assert_ne!(sent[0].submission_id, withdrawn.payload.submission_id);
}

#[tokio::test]
async fn consenting_again_sends_an_unchanged_withdrawn_report_as_the_same_bytes() {
    let s = setup(vec![], false).await;
    report(&s, "37.8");
    s.core.grant_consent("sh").unwrap();
    s.core.seal_ready().unwrap();
    let sealed = s.core.outbox().unwrap().remove(0);
    s.core.withdraw_consent("sh").unwrap();
    s.core.grant_consent("sh").unwrap();
    let done = sync(&s).await;
    assert_eq!((done.queued, done.delivered), (0, 1));
    let item = s
        .core
        .store()
        .outbox_item(&sealed.payload.submission_id)
        .unwrap();
    assert_eq!(item.state, OutboxItemState::Delivered);
    assert_eq!(
        item.payload.receipt.unwrap().body_sha256,
        crate::sync::wire::body_digest(
            &base64::engine::general_purpose::STANDARD
                .decode(sealed.payload.body.unwrap())
                .unwrap()
        )
    );
}

#[tokio::test]
async fn a_deletion_request_after_withdrawal_reaches_a_drop_box_that_stored_the_lost_reply() {
    // The drop box stores the submission, then the connection is cut before its reply.
    let s = setup(vec![Action::Cut], false).await;
    report(&s, "37.8");
    s.core.grant_consent("sh").unwrap();
    assert_eq!(sync(&s).await.retry_later, 1);
    assert_eq!(s.dropbox.stored.lock().unwrap().len(), 1);
    s.core.withdraw_consent("sh").unwrap();
    let item = s.core.outbox().unwrap().remove(0);
    assert!(item.payload.withdrawn && item.attempts == 1);
    let outcome = s
        .core
        .request_deletion(&item.payload.submission_id, &options(&s.server).transport)
        .await
        .unwrap();
    assert_eq!(outcome, DeletionOutcome::Deleted);
    let request = s.server.requests().pop().unwrap();
    assert_eq!(request.method, "DELETE");
    assert!(
        request
            .headers
            .iter()
            .any(|(name, value)| name == "authorization"
                && *value == format!("Bearer {}", item.payload.deletion_token))
    );
}

#[tokio::test]
async fn a_backdated_reports_token_outlives_the_purge_of_its_record() {
    let s = setup(vec![], false).await;
    let backdated = today() - chrono::Days::new(20);
    s.core
        .save_record(
            &s.profile,
            "sh",
            "daily",
            Some(backdated),
            Answers::new().text("temperature", "36.6"),
        )
        .unwrap();
    s.core.grant_consent("sh").unwrap();
    assert_eq!(sync(&s).await.delivered, 1);
    // Ten days on, the record (28 device days from its date) is purged; the drop box keeps
    // the submission 28 days from its receipt, so the device keeps its token as long.
    let purged = s.core.purge(Some(today() + chrono::Days::new(10))).unwrap();
    assert!(purged.records >= 1, "{purged:?}");
    let item = s.core.outbox().unwrap().remove(0);
    assert_eq!(item.state, OutboxItemState::Delivered);
    let outcome = s
        .core
        .request_deletion(&item.payload.submission_id, &options(&s.server).transport)
        .await
        .unwrap();
    assert_eq!(outcome, DeletionOutcome::Deleted);
    // Past the drop box's retention too, it goes.
    s.core.purge(Some(today() + chrono::Days::new(40))).unwrap();
    assert!(s.core.outbox().unwrap().is_empty());
}
