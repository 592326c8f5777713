//! Accounts and the audit log on a real PostgreSQL server (the cluster `./scripts/test`
//! starts; `SELFREPORT_TEST_POSTGRES_URL` names it). Without it the tests say so and pass,
//! except under `CI=true`, where they fail.

use std::path::Path;

use base64::Engine as _;
use chrono::{TimeZone as _, Utc};
use selfreport_console::audit::AuditAction;
use selfreport_console::audit_log::{self, Recorded};
use selfreport_console::error::ConsoleError;
use selfreport_console::kek::KeyEncryptionKey;
use selfreport_console::officers::{
    NewOfficer, Role, add_officer, disable_officer, officer, officers, reset_officer, totp_secret,
};
use selfreport_console::password::verify_password;
use selfreport_console::schema::migrate;
use selfreport_core::crypto::signature::SigningKey;
use zeroize::Zeroizing;

mod common;
use common::{connect, new_database, server_or_skip};

/// A database of its own, migrated; its client and URL.
async fn database(server: &str) -> (tokio_postgres::Client, String) {
    let url = new_database(server, "console_test").await;
    let mut db = connect(&url).await;
    migrate(&mut db).await.unwrap();
    (db, url)
}

fn at(minute: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 10, minute, 0).unwrap()
}

fn li_wei() -> NewOfficer {
    NewOfficer {
        username: "li.wei".into(),
        role: Role::Officer,
        districts: vec!["310104".into()],
        policies: vec!["sh-daily-health".into()],
        password: Zeroizing::new("correct horse battery".into()),
    }
}

fn audit_key() -> SigningKey {
    SigningKey::from_seed_base64(&base64::engine::general_purpose::STANDARD.encode([3u8; 32]))
        .unwrap()
}

#[tokio::test]
async fn accounts_are_added_disabled_and_reset_with_an_audit_entry_each() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let (mut db, url) = database(&server).await;
    let (kek, _) = KeyEncryptionKey::generate().unwrap();

    let added = add_officer(&mut db, &kek, li_wei(), "admin", at(0))
        .await
        .unwrap();
    assert_eq!(added.officer.username, "li.wei");
    assert_eq!(added.officer.districts, vec!["310104".to_owned()]);
    // The TOTP secret is stored sealed: what opens is what was handed out.
    let stored = totp_secret(&db, &kek, "li.wei").await.unwrap();
    assert_eq!(stored.bytes(), added.totp.bytes());
    let sealed: Vec<u8> = db
        .query_one("SELECT totp_sealed FROM officers", &[])
        .await
        .unwrap()
        .get(0);
    assert!(
        !sealed
            .windows(added.totp.bytes().len())
            .any(|w| w == added.totp.bytes()),
        "the database holds the secret in clear"
    );
    let (other_kek, _) = KeyEncryptionKey::generate().unwrap();
    assert_eq!(
        totp_secret(&db, &other_kek, "li.wei")
            .await
            .unwrap_err()
            .code(),
        "WrongKey"
    );
    // The password is an Argon2id hash of what was given.
    let hash: String = db
        .query_one("SELECT password_hash FROM officers", &[])
        .await
        .unwrap()
        .get(0);
    assert!(verify_password("correct horse battery", &hash));

    assert_eq!(
        add_officer(&mut db, &kek, li_wei(), "admin", at(1))
            .await
            .unwrap_err()
            .code(),
        "UserExists"
    );
    disable_officer(&mut db, "li.wei", "admin", at(2))
        .await
        .unwrap();
    assert_eq!(
        officer(&db, "li.wei").await.unwrap().disabled_at,
        Some(at(2))
    );
    let reset = reset_officer(
        &mut db,
        &kek,
        "li.wei",
        "another long password",
        "admin",
        at(3),
    )
    .await
    .unwrap();
    assert_ne!(reset.totp.bytes(), added.totp.bytes());
    assert!(matches!(
        disable_officer(&mut db, "nobody", "admin", at(4)).await,
        Err(ConsoleError::UnknownUser(_))
    ));
    assert_eq!(officers(&db).await.unwrap().len(), 1);

    // Three changes, three entries; the refused ones left none.
    let entries = audit_log::entries(&db).await.unwrap();
    let actions: Vec<AuditAction> = entries
        .iter()
        .map(|entry| {
            serde_json::from_slice::<selfreport_console::audit::AuditEntry>(&entry.bytes)
                .unwrap()
                .action
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            AuditAction::UserAdd,
            AuditAction::UserDisable,
            AuditAction::UserReset
        ]
    );
    drop(url);
}

#[tokio::test]
async fn the_log_verifies_and_an_edit_made_behind_its_back_is_found() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let (mut db, _url) = database(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("audit-checkpoints.jsonl");
    let key = audit_key();
    for minute in 0..5 {
        let tx = db.transaction().await.unwrap();
        audit_log::append(
            &tx,
            at(minute),
            Recorded {
                actor: "li.wei",
                action: AuditAction::CaseList,
                subject: None,
                detail: None,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    audit_log::write_checkpoint(&db, &key, &checkpoints, at(10))
        .await
        .unwrap();
    let verified = audit_log::verify_log(&db, &checkpoints, &key.public_key())
        .await
        .unwrap();
    assert_eq!((verified.entries, verified.unanchored), (5, 0));

    // The table refuses edits...
    assert!(
        db.execute("UPDATE audit_log SET entry = entry WHERE seq = 2", &[])
            .await
            .is_err()
    );
    assert!(db.execute("DELETE FROM audit_log", &[]).await.is_err());
    // ...until its owner drops the trigger and rewrites an entry, hashes and all.
    tamper(&db, &checkpoints, &key).await;
}

/// Rewrites entry 2 as someone with the database's keys would (the trigger dropped, every
/// hash after it recomputed), and checks that verification finds it through the
/// checkpoint kept outside the database.
async fn tamper(db: &tokio_postgres::Client, checkpoints: &Path, key: &SigningKey) {
    db.batch_execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        .await
        .unwrap();
    let rows = audit_log::entries(db).await.unwrap();
    let mut head = selfreport_console::audit::GENESIS;
    for mut entry in rows {
        if entry.seq == 2 {
            let mut parsed: selfreport_console::audit::AuditEntry =
                serde_json::from_slice(&entry.bytes).unwrap();
            parsed.actor = "someone-else".into();
            entry.bytes = parsed.bytes();
        }
        head = selfreport_console::audit::link_hash(&head, &entry.bytes);
        db.execute(
            "UPDATE audit_log SET entry = $2, hash = $3 WHERE seq = $1",
            &[&(entry.seq as i64), &entry.bytes, &head.as_slice()],
        )
        .await
        .unwrap();
    }
    let error = audit_log::verify_log(db, checkpoints, &key.public_key())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "AuditCheckpointDiffers", "{error}");
    // A removed tail is found too.
    db.execute("DELETE FROM audit_log WHERE seq > 3", &[])
        .await
        .unwrap();
    let error = audit_log::verify_log(db, checkpoints, &key.public_key())
        .await
        .unwrap_err();
    assert!(
        matches!(error.code(), "AuditCheckpointDiffers" | "AuditTruncated"),
        "{error}"
    );
}

#[tokio::test]
async fn migrating_twice_changes_nothing_and_a_newer_schema_is_refused() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let (mut db, _url) = database(&server).await;
    migrate(&mut db).await.unwrap();
    db.execute("UPDATE console_schema SET version = version + 1", &[])
        .await
        .unwrap();
    assert_eq!(migrate(&mut db).await.unwrap_err().code(), "SchemaTooNew");
}
