//! The audit log's witness at the drop box (issue 16 item 4), as an administrator uses it:
//! `audit checkpoint --witness URL` posts each checkpoint to a loopback drop box started
//! with the audit key's public half, `audit verify --witness URL` checks the log against
//! what the drop box kept; a log cut short together with its checkpoint file passes the
//! file but not the witness, and the witness refuses a checkpoint of the shorter log.

mod common;
mod dropbox;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use dropbox::endpoint_common::{Backend, TestDropBox, TestTls};
use selfreport_console::audit::AuditAction;
use selfreport_console::audit_log::{Recorded, append};
use selfreport_endpoint::keyfile::read_public_key;

/// Runs `selfreport-console ARGS` against the database `db`; waits in a blocking thread.
async fn console(db: &str, dir: &Path, args: Vec<String>) -> Output {
    let db = db.to_owned();
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_selfreport-console"));
        command.args(&args);
        if let Ok(ca) = std::env::var("SELFREPORT_TEST_POSTGRES_CA") {
            if args.get(1).map(String::as_str) != Some("keygen") {
                command.args(["--db-ca", &ca]);
            }
        }
        command
            .current_dir(dir)
            .env_clear()
            .env("SELFREPORT_CONSOLE_DB", db)
            .output()
            .expect("the console runs")
    })
    .await
    .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The test CA's certificate as a PEM file in `dir`.
fn ca_file(tls: &TestTls, dir: &Path) -> PathBuf {
    let encoded = STANDARD.encode(tls.ca.as_ref());
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in encoded.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap());
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    let path = dir.join("dropbox-ca.pem");
    std::fs::write(&path, pem).unwrap();
    path
}

/// Appends `n` audit entries.
async fn log_entries(db: &mut tokio_postgres::Client, n: usize) {
    for _ in 0..n {
        let tx = db.transaction().await.unwrap();
        append(
            &tx,
            Utc::now(),
            Recorded {
                actor: "officer.a",
                action: AuditAction::CaseList,
                subject: None,
                detail: None,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drop_box_witnesses_checkpoints_and_catches_a_log_cut_with_its_file() {
    let Some(server) = common::server_or_skip() else {
        return;
    };
    let (url, mut db) = common::migrated_database(&server, "console_witness").await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();

    let keygen = console(
        &url,
        dir.path(),
        vec![
            "audit".into(),
            "keygen".into(),
            "--out".into(),
            path("audit.key"),
        ],
    )
    .await;
    assert!(keygen.status.success(), "{}", text(&keygen));
    let public = read_public_key(&dir.path().join("audit.key.pub")).unwrap();
    let drop_box = TestDropBox::start(Backend::Sqlite, move |d| d.with_console_key(public)).await;
    let ca = ca_file(&drop_box.tls, dir.path()).display().to_string();
    let witness = |command: &str| -> Vec<String> {
        let mut args: Vec<String> = vec!["audit".into(), command.into()];
        if command == "checkpoint" {
            args.extend(["--key".into(), path("audit.key")]);
        } else {
            args.extend(["--public-key".into(), path("audit.key.pub")]);
        }
        args.extend([
            "--checkpoints".into(),
            path("checkpoints.jsonl"),
            "--witness".into(),
            drop_box.url.clone(),
            "--dropbox-ca".into(),
            ca.clone(),
        ]);
        args
    };

    log_entries(&mut db, 3).await;
    let first = console(&url, dir.path(), witness("checkpoint")).await;
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains("the drop box witnessed it"),
        "{}",
        text(&first)
    );
    let kept_file = std::fs::read_to_string(dir.path().join("checkpoints.jsonl")).unwrap();
    log_entries(&mut db, 4).await;
    let second = console(&url, dir.path(), witness("checkpoint")).await;
    assert!(second.status.success(), "{}", text(&second));

    let verified = console(&url, dir.path(), witness("verify")).await;
    assert!(verified.status.success(), "{}", text(&verified));
    assert!(
        text(&verified).contains("the drop box's 2 witnessed checkpoints agree"),
        "{}",
        text(&verified)
    );

    // Someone with the database cuts the log back to the first checkpoint and the
    // checkpoint file with it: the file agrees, the witness does not.
    db.batch_execute(
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
         DELETE FROM audit_log WHERE seq > 3;",
    )
    .await
    .unwrap();
    std::fs::write(dir.path().join("checkpoints.jsonl"), kept_file).unwrap();
    let mut file_only = witness("verify");
    file_only.truncate(file_only.len() - 4);
    let fooled = console(&url, dir.path(), file_only).await;
    assert!(fooled.status.success(), "{}", text(&fooled));
    let caught = console(&url, dir.path(), witness("verify")).await;
    assert_eq!(caught.status.code(), Some(5), "{}", text(&caught));
    assert!(
        text(&caught).contains("error[AuditTruncated]"),
        "{}",
        text(&caught)
    );
    // And the witness refuses a checkpoint of the shorter log.
    log_entries(&mut db, 1).await;
    let refused = console(&url, dir.path(), witness("checkpoint")).await;
    assert_eq!(refused.status.code(), Some(5), "{}", text(&refused));
    assert!(
        text(&refused).contains("cut or rewritten"),
        "{}",
        text(&refused)
    );
    drop_box.running.shutdown().await.unwrap();
}
