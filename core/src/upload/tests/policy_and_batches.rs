//! Padded lengths and cover traffic, parts bound to the endpoint they were sealed for,
//! policy updates (with the root's revocation list first), deletion requests, and the
//! batch route: one verdict per item, nothing unproven delivered.

use super::*;

#[tokio::test]
async fn every_submission_of_a_form_has_the_same_length_and_so_does_cover_traffic() {
    let s = setup(vec![], false).await;
    let other = s
        .core
        .add_profile(NewProfile {
            display_name: "Kid".into(),
            ..NewProfile::default()
        })
        .unwrap();
    s.core
        .save_record(
            &s.profile,
            "sh",
            "daily",
            None,
            Answers::new().text("temperature", "36.5"),
        )
        .unwrap();
    s.core
        .save_record(
            &other,
            "sh",
            "daily",
            None,
            Answers::new()
                .text("temperature", "39.9")
                .text(
                    "symptoms",
                    "cough,fatigue,dyspnea,loss_of_smell,sore_throat,fever",
                )
                .text("district", "420106")
                .text("notes", "x".repeat(200)),
        )
        .unwrap();
    s.core.grant_consent("sh").unwrap();
    s.core.seal_ready().unwrap();
    let lengths: Vec<usize> = s
        .core
        .outbox()
        .unwrap()
        .iter()
        .map(|item| item.payload.body.as_deref().map_or(0, str::len))
        .collect();
    assert_eq!(lengths.len(), 2);
    assert_eq!(lengths[0], lengths[1]);
    let policy = s.core.policy("sh").unwrap();
    let dummy = crate::minimize::Disclosure::dummy(
        policy.document(),
        "daily",
        today(),
        &"ab".repeat(16),
        &"cd".repeat(16),
    )
    .unwrap();
    let sealed = seal_disclosure(&policy, &dummy, &new_deletion_token().unwrap()).unwrap();
    let real = s.core.outbox().unwrap()[0].payload.body.clone().unwrap();
    let real: SealedSubmission = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::STANDARD, real).unwrap(),
    )
    .unwrap();
    for (a, b) in sealed.parts.iter().zip(&real.parts) {
        assert_eq!((a.to.as_str(), a.ct.len()), (b.to.as_str(), b.ct.len()));
    }
}

/// An item goes only to the endpoint, pins and receipt key of the version it was
/// sealed under: after v2 rotates the receipt key, the v1 item is dropped unsent and
/// ledgered, and a v2 item is delivered.
#[tokio::test]
async fn an_item_sealed_under_another_endpoint_is_dropped_and_ledgered() {
    let s = setup(vec![], false).await;
    s.core.grant_consent("sh").unwrap();
    report(&s, "37.8");
    s.core.seal_ready().unwrap();
    let sealed_v1 = s.core.outbox().unwrap()[0].payload.submission_id.clone();
    let mut v2: serde_json::Value =
        serde_json::from_str(&policy_json(&s.server, &s.dropbox, 2)).unwrap();
    let rotated = crate::crypto::signature::SigningKey::generate().unwrap();
    v2["endpoint"]["receipt_key"] = rotated.public_key_base64().into();
    s.core
        .install_policy(&signed(&s.authority, &v2.to_string()))
        .unwrap();
    assert!(
        s.core.has_consent("sh").unwrap(),
        "a rotated key is not wider"
    );
    let done = sync(&s).await;
    assert_eq!(done.delivered, 0);
    assert!(s.server.requests().is_empty());
    let item = s.core.store().outbox_item(&sealed_v1).unwrap();
    assert_eq!(item.state, OutboxItemState::Failed);
    match &s.core.ledger().unwrap().last().unwrap().1.event {
        LedgerEvent::SubmissionDropped {
            submission_id,
            reason,
            ..
        } => {
            assert_eq!(submission_id, &sealed_v1);
            assert!(reason.contains("version 1"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(s.core.verify_ledger().unwrap().is_valid());
}

#[tokio::test]
async fn policy_updates_are_checked_like_installs() {
    let s = setup(vec![], false).await;
    let served = Arc::new(Mutex::new(Vec::<u8>::new()));
    let revocations = Arc::new(Mutex::new(None::<Vec<u8>>));
    let body = served.clone();
    let relayed = revocations.clone();
    let update_server = TestServer::start(move |request: &SeenRequest| {
        if request.path.ends_with("/revocations") {
            return match relayed.lock().unwrap().clone() {
                Some(list) => Action::Reply(200, vec![], list),
                None => Action::Reply(
                    404,
                    vec![],
                    br#"{"error":{"code":"NotFound","message":"none"}}"#.to_vec(),
                ),
            };
        }
        Action::Reply(200, vec![], body.lock().unwrap().clone())
    })
    .await;
    let document = |version: u64| {
        let mut value: serde_json::Value =
            serde_json::from_str(&policy_json(&update_server, &s.dropbox, version)).unwrap();
        value["id"] = "up".into();
        value
    };
    s.core
        .install_policy(&signed(&s.authority, &document(2).to_string()))
        .unwrap();
    let config = TransportConfig {
        extra_roots: vec![update_server.pki.ca_der.clone()],
        ..TransportConfig::default()
    };
    *served.lock().unwrap() = signed(&s.authority, &document(1).to_string());
    assert!(matches!(
        s.core.update_policy("up", &config).await,
        Err(Error::Policy(PolicyError::Rollback { .. }))
    ));
    *served.lock().unwrap() = signed(&s.authority, &document(2).to_string());
    assert_eq!(s.core.update_policy("up", &config).await.unwrap(), None);
    let mut plain = document(3);
    plain["endpoint"]["url"] = "http://127.0.0.1:9/v1".into();
    *served.lock().unwrap() =
        crate::policy::test_support::signed_unchecked(&s.authority, plain.to_string().as_bytes());
    assert!(matches!(
        s.core.update_policy("up", &config).await,
        Err(Error::Policy(PolicyError::EndpointNotHttps { .. }))
    ));
    assert_eq!(
        s.core.policy("up").unwrap().version(),
        2,
        "refusals leave it untouched"
    );
    // The root's list, relayed by the drop box, is installed first: a version it revokes
    // is not installed.
    let list = serde_json::json!({
        "format": "selfreport.revocations/1", "sequence": 1,
        "issued_at": today().to_string(), "next_update": today().to_string(),
        "policies": [{"id": "up", "version": 3, "reason": "key-compromise"}]
    });
    *revocations.lock().unwrap() =
        Some(crate::policy::sign_revocations(&s.authority, list.to_string().as_bytes()).unwrap());
    *served.lock().unwrap() = signed(&s.authority, &document(3).to_string());
    assert!(matches!(
        s.core.update_policy("up", &config).await,
        Err(Error::Policy(PolicyError::Revoked { version: 3, .. }))
    ));
    assert_eq!(s.core.revocation_lists().unwrap()[0].sequence, 1);
    *served.lock().unwrap() = signed(&s.authority, &document(4).to_string());
    let updated = s.core.update_policy("up", &config).await.unwrap().unwrap();
    assert_eq!(updated.version, 4);
    let requests = update_server.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.method == "GET" && (r.path == "/v1/policy" || r.path == "/v1/revocations"))
    );
}

#[tokio::test]
async fn deletion_requests_carry_the_device_held_token_and_are_ledgered() {
    let s = setup(vec![], false).await;
    report(&s, "36.5");
    s.core.grant_consent("sh").unwrap();
    sync(&s).await;
    let item = s.core.outbox().unwrap().remove(0);
    let outcome = s
        .core
        .request_deletion(&item.payload.submission_id, &options(&s.server).transport)
        .await
        .unwrap();
    assert_eq!(outcome, DeletionOutcome::Deleted);
    let request = s.server.requests().pop().unwrap();
    assert_eq!(request.method, "DELETE");
    assert_eq!(
        request.path,
        format!("/v1/submissions/{}", item.payload.submission_id)
    );
    let authorization = request
        .headers
        .iter()
        .find(|(name, _)| name == "authorization")
        .unwrap();
    assert_eq!(
        authorization.1,
        format!("Bearer {}", item.payload.deletion_token)
    );
    assert!(matches!(
        s.core.ledger().unwrap().last().unwrap().1.event,
        LedgerEvent::DeletionRequested { .. }
    ));
    assert!(s.core.verify_ledger().unwrap().is_valid());
}

#[tokio::test]
async fn cover_traffic_follows_the_policy_and_looks_like_real_submissions() {
    let s = setup(vec![], false).await;
    let mut value: serde_json::Value =
        serde_json::from_str(&policy_json(&s.server, &s.dropbox, 2)).unwrap();
    value["cover_traffic"] = serde_json::json!({"daily": 2});
    s.core
        .install_policy(&signed(&s.authority, &value.to_string()))
        .unwrap();
    report(&s, "36.6");
    assert_eq!(
        sync(&s).await,
        SyncReport::default(),
        "no consent, no cover either"
    );
    s.core.grant_consent("sh").unwrap();
    let done = sync(&s).await;
    assert_eq!(
        (done.queued, done.delivered),
        (3, 3),
        "one report and two dummies"
    );
    assert_eq!(sync(&s).await.queued, 0, "today's dummies were sent");
    let bodies: Vec<usize> = submitted_bodies(&s.server).iter().map(Vec::len).collect();
    assert_eq!(bodies.len(), 3);
    assert!(bodies.iter().all(|len| *len == bodies[0]), "{bodies:?}");
    let covers = s
        .core
        .ledger()
        .unwrap()
        .iter()
        .filter(|(_, entry)| matches!(entry.event, LedgerEvent::Disclosure { cover: true, .. }))
        .count();
    assert_eq!(covers, 2);
    assert!(s.core.verify_ledger().unwrap().is_valid());
}

/// An endpoint without the batch route (404) still gets every submission, one per
/// request, and nothing is failed for it.
#[tokio::test]
async fn an_endpoint_without_batches_gets_one_request_per_item() {
    let s = setup(vec![], false).await;
    s.dropbox
        .no_batches
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let queued = 2 * BATCH_ITEMS * MAX_IN_FLIGHT;
    queue_reports(&s, queued);
    let done = sync(&s).await;
    assert_eq!((done.delivered as usize, done.failed), (queued, 0));
    let requests = s.server.requests();
    let batches = requests
        .iter()
        .filter(|request| request.path.ends_with("/batch"))
        .count();
    // Only the batches sent before the first 404 came back were tried as batches.
    assert!((1..=MAX_IN_FLIGHT).contains(&batches), "{batches}");
    assert_eq!(requests.len() - batches, queued);
    assert_eq!(s.dropbox.stored.lock().unwrap().len(), queued);
    assert!(s.core.verify_ledger().unwrap().is_valid());
}

/// Each item of a batch gets its own verdict: one refused for good (409) fails, one
/// the server could not store (503) is retried, one whose "error" has no error status
/// (a hostile or broken reply) is retried, not failed; the others are delivered, and
/// their receipts, sharing one signature, each verify in the ledger.
#[tokio::test]
async fn each_item_of_a_batch_gets_its_own_verdict() {
    let s = setup(vec![], false).await;
    let outbox = queue_reports(&s, 6);
    let id = |n: usize| outbox[n].payload.submission_id.clone();
    *s.dropbox.refused.lock().unwrap() = vec![(id(1), 409), (id(3), 503), (id(5), 200)];
    let done = sync(&s).await;
    assert_eq!(
        (done.delivered, done.failed, done.retry_later),
        (3, 1, 2),
        "{done:?}"
    );
    assert_eq!(s.server.requests().len(), 1);
    let state = |n: usize| s.core.store().outbox_item(&id(n)).unwrap();
    assert_eq!(state(1).state, OutboxItemState::Failed);
    assert!(
        state(1)
            .payload
            .last_error
            .unwrap_or_default()
            .contains("409 (Refused: refused by the test)")
    );
    assert_eq!(state(3).state, OutboxItemState::Pending);
    assert_eq!(state(5).state, OutboxItemState::Pending);
    for n in [0, 2, 4] {
        let receipt = state(n).payload.receipt.unwrap();
        assert_eq!(receipt.batch.as_ref().map(|proof| proof.size), Some(3));
    }
    assert_eq!(disclosed(&s).len(), 3);
    assert!(s.core.verify_ledger().unwrap().is_valid());
}

/// A hostile batch reply — a result missing, receipts swapped between items, a proof
/// moved — delivers nothing it does not prove; the items are retried with the same
/// bytes and delivered once the drop box answers honestly.
#[tokio::test]
async fn a_batch_reply_that_does_not_prove_each_item_delivers_nothing_unproven() {
    let tampers: Vec<(BatchTamper, usize)> = vec![
        (
            Box::new(|results: &mut Vec<BatchResult>| {
                results.pop();
            }),
            0,
        ),
        (
            Box::new(|results: &mut Vec<BatchResult>| results.swap(0, 1)),
            2,
        ),
        (
            Box::new(|results: &mut Vec<BatchResult>| {
                if let Some(proof) = results[2]
                    .receipt
                    .as_mut()
                    .and_then(|receipt| receipt.batch.as_mut())
                {
                    proof.index = 0;
                }
            }),
            3,
        ),
    ];
    for (tamper, delivered) in tampers {
        let s = setup(vec![], false).await;
        queue_reports(&s, 4);
        *s.dropbox.tamper.lock().unwrap() = Some(tamper);
        let done = sync(&s).await;
        assert_eq!(
            (
                done.delivered as usize,
                done.retry_later as usize,
                done.failed
            ),
            (delivered, 4 - delivered, 0),
            "{done:?}"
        );
        assert_eq!(disclosed(&s).len(), delivered);
        *s.dropbox.tamper.lock().unwrap() = None;
        for item in s.core.outbox().unwrap() {
            if item.state == OutboxItemState::Pending {
                s.core
                    .store()
                    .record_attempts(&[(
                        &item,
                        AttemptOutcome::Retry {
                            next_attempt_at: 0,
                            error: "due now".to_owned(),
                        },
                    )])
                    .unwrap();
            }
        }
        assert_eq!(sync(&s).await.delivered as usize, 4 - delivered);
        let bodies = submitted_bodies(&s.server);
        let first_round: std::collections::BTreeSet<&Vec<u8>> = bodies[..4].iter().collect();
        assert!(bodies[4..].iter().all(|body| first_round.contains(body)));
        assert_eq!(disclosed(&s).len(), 4);
        assert!(s.core.verify_ledger().unwrap().is_valid());
    }
}
