//! Logging in on a real PostgreSQL server: password and TOTP, refusals that say nothing
//! of why, the lockout after repeated failures, codes never accepted twice, sessions, and
//! an audit entry for every attempt. Needs PostgreSQL as `accounts.rs` does.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use selfreport_console::audit::{AuditAction, AuditEntry};
use selfreport_console::audit_log;
use selfreport_console::kek::KeyEncryptionKey;
use selfreport_console::login::{
    Credentials, LOCKOUT_MINUTES, LoginRefused, MAX_FAILURES, log_in, session_officer,
};
use selfreport_console::officers::{NewOfficer, Role, add_officer, disable_officer};
use selfreport_console::schema::migrate;
use selfreport_console::totp::{STEP_SECONDS, TotpSecret};
use zeroize::Zeroizing;

mod common;
use common::{connect, new_database, server_or_skip};

const PASSWORD: &str = "correct horse battery";

/// A migrated database of its own, with the officer `li.wei`; returns the client and the
/// officer's TOTP secret.
async fn with_officer(
    server: &str,
    kek: &KeyEncryptionKey,
) -> (tokio_postgres::Client, TotpSecret) {
    let mut client = connect(&new_database(server, "console_login").await).await;
    migrate(&mut client).await.unwrap();
    let added = add_officer(
        &mut client,
        kek,
        NewOfficer {
            username: "li.wei".into(),
            role: Role::Officer,
            districts: vec!["310104".into()],
            policies: vec!["sh-daily-health".into()],
            password: Zeroizing::new(PASSWORD.into()),
        },
        "admin",
        at(0),
    )
    .await
    .unwrap();
    (client, added.totp)
}

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap() + Duration::seconds(seconds)
}

fn code(secret: &TotpSecret, when: DateTime<Utc>) -> String {
    format!(
        "{:06}",
        secret.code_at(when.timestamp() as u64 / STEP_SECONDS)
    )
}

/// One login attempt as `username` with `password` and `code` at `when`.
async fn attempt(
    db: &mut tokio_postgres::Client,
    kek: &KeyEncryptionKey,
    (username, password, code): (&str, &str, &str),
    when: DateTime<Utc>,
) -> Result<selfreport_console::login::NewSession, LoginRefused> {
    log_in(
        db,
        kek,
        Credentials {
            username,
            password,
            code,
        },
        when,
    )
    .await
    .unwrap()
}

async fn actions(client: &tokio_postgres::Client) -> Vec<(AuditAction, Option<String>)> {
    audit_log::entries(client)
        .await
        .unwrap()
        .iter()
        .map(|entry| {
            let parsed: AuditEntry = serde_json::from_slice(&entry.bytes).unwrap();
            (parsed.action, parsed.detail)
        })
        .collect()
}

#[tokio::test]
async fn a_login_opens_a_session_and_each_refusal_says_nothing_of_why() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let (kek, _) = KeyEncryptionKey::generate().unwrap();
    let (mut db, secret) = with_officer(&server, &kek).await;
    let now = at(600);
    for (username, password, given) in [
        ("nobody", PASSWORD, code(&secret, now)),
        ("li.wei", "a wrong password", code(&secret, now)),
        ("li.wei", PASSWORD, "000000".into()),
        ("li.wei", PASSWORD, "12345".into()),
    ] {
        let outcome = attempt(&mut db, &kek, (username, password, &given), now).await;
        assert!(
            matches!(outcome, Err(LoginRefused)),
            "{username} {password} {given}"
        );
    }

    let session = attempt(
        &mut db,
        &kek,
        ("li.wei", PASSWORD, &code(&secret, now)),
        now,
    )
    .await
    .expect("the right name, password and code log in");
    assert_eq!(
        session_officer(&db, &session.token, now).await.unwrap(),
        Some(session.officer_id)
    );
    assert_eq!(
        session_officer(&db, "another token", now).await.unwrap(),
        None
    );
    assert_eq!(
        session_officer(&db, &session.token, session.expires_at)
            .await
            .unwrap(),
        None,
        "an expired session is no session"
    );
    // The database holds the token's digest only.
    let stored: Vec<u8> = db
        .query_one("SELECT token_sha256 FROM sessions", &[])
        .await
        .unwrap()
        .get(0);
    assert_ne!(stored, session.token.as_bytes());

    // The same code again, within its window: refused (a code works once).
    let replayed = attempt(
        &mut db,
        &kek,
        ("li.wei", PASSWORD, &code(&secret, now)),
        now + Duration::seconds(5),
    )
    .await;
    assert!(matches!(replayed, Err(LoginRefused)));

    let log = actions(&db).await;
    let refusals: Vec<Option<String>> = log
        .iter()
        .filter(|(action, _)| *action == AuditAction::LoginRefused)
        .map(|(_, detail)| detail.clone())
        .collect();
    assert_eq!(
        refusals,
        [
            "unknown name",
            "wrong password",
            "wrong code",
            "wrong code",
            "code used already"
        ]
        .map(|why| Some(why.to_owned()))
        .to_vec()
    );
    assert_eq!(
        log.iter()
            .filter(|(action, _)| *action == AuditAction::Login)
            .count(),
        1
    );

    // A login after the first session expired removes it; the new one stays.
    let later = session.expires_at + Duration::seconds(60);
    let second = attempt(
        &mut db,
        &kek,
        ("li.wei", PASSWORD, &code(&secret, later)),
        later,
    )
    .await
    .expect("logs in again");
    let sessions: Vec<Vec<u8>> = db
        .query("SELECT token_sha256 FROM sessions", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(
        sessions,
        [selfreport_core::crypto::sha256(second.token.as_bytes()).to_vec()]
    );
}

#[tokio::test]
async fn repeated_failures_lock_the_account_and_a_disabled_one_never_logs_in() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let (kek, _) = KeyEncryptionKey::generate().unwrap();
    let (mut db, secret) = with_officer(&server, &kek).await;
    let start = at(600);
    for failure in 0..MAX_FAILURES {
        let outcome = attempt(
            &mut db,
            &kek,
            ("li.wei", "a wrong password", "000000"),
            start + Duration::seconds(i64::from(failure)),
        )
        .await;
        assert!(outcome.is_err());
    }
    assert!(
        actions(&db)
            .await
            .iter()
            .any(|(action, _)| *action == AuditAction::Lockout)
    );
    // Locked: even the right password and code are refused...
    let during = start + Duration::minutes(LOCKOUT_MINUTES - 1);
    let locked = attempt(
        &mut db,
        &kek,
        ("li.wei", PASSWORD, &code(&secret, during)),
        during,
    )
    .await;
    assert!(matches!(locked, Err(LoginRefused)));
    // ...until the lockout ends.
    let after = start + Duration::minutes(LOCKOUT_MINUTES + 1);
    let unlocked = attempt(
        &mut db,
        &kek,
        ("li.wei", PASSWORD, &code(&secret, after)),
        after,
    )
    .await;
    assert!(
        unlocked.is_ok(),
        "the lockout ends after {LOCKOUT_MINUTES} minutes"
    );

    disable_officer(&mut db, "li.wei", "admin", after)
        .await
        .unwrap();
    let later = after + Duration::minutes(1);
    let disabled = attempt(
        &mut db,
        &kek,
        ("li.wei", PASSWORD, &code(&secret, later)),
        later,
    )
    .await;
    assert!(matches!(disabled, Err(LoginRefused)));
    // And the session opened before no longer counts.
    let token = unlocked.unwrap().token;
    assert_eq!(session_officer(&db, &token, later).await.unwrap(), None);
}
