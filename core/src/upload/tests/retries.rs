//! Retries: `Retry-After` honoured and a permanent failure not retried; nothing is due
//! before the time the drop box asked for.

use super::*;

#[tokio::test]
async fn retry_after_is_honoured_and_a_400_is_a_permanent_failure() {
    let s = setup(
        vec![Action::Reply(
            429,
            vec![("Retry-After".into(), "120".into())],
            vec![],
        )],
        false,
    )
    .await;
    report(&s, "36.5");
    s.core.grant_consent("sh").unwrap();
    sync(&s).await;
    let item = &s.core.outbox().unwrap()[0];
    assert!(item.next_attempt_at >= Utc::now().timestamp() + 110);
    assert_eq!(sync(&s).await, SyncReport::default(), "not due yet");

    let s = setup(
        vec![Action::Reply(
            400,
            vec![],
            br#"{"error":{"code":"Malformed","message":"unknown recipient"}}"#.to_vec(),
        )],
        false,
    )
    .await;
    report(&s, "36.5");
    s.core.grant_consent("sh").unwrap();
    assert_eq!(sync(&s).await.failed, 1);
    let item = &s.core.outbox().unwrap()[0];
    assert_eq!(item.state, OutboxItemState::Failed);
    assert!(
        item.payload
            .last_error
            .as_deref()
            .unwrap()
            .contains("unknown recipient")
    );
    assert_eq!(sync(&s).await, SyncReport::default());
}

/// Found by the network-fault suite (`tests/tests/network_faults.rs`): the next
/// attempt was due at the current second, rounded down, plus the delay, so a retry
/// could go out up to a second before the server's `Retry-After` had passed.
#[tokio::test]
async fn a_retry_is_not_due_before_the_retry_after_has_passed() {
    let s = setup(
        vec![Action::Reply(
            429,
            vec![("Retry-After".into(), "1".into())],
            vec![],
        )],
        false,
    )
    .await;
    report(&s, "36.5");
    s.core.grant_consent("sh").unwrap();
    let before = Utc::now().timestamp_millis();
    assert_eq!(sync(&s).await.retry_later, 1);
    let item = &s.core.outbox().unwrap()[0];
    assert!(
        item.next_attempt_at * 1000 >= before + 1000,
        "due at {} s, asked at {before} ms to wait a second",
        item.next_attempt_at
    );
}
