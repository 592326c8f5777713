//! `selfreport-console` as an administrator runs it: accounts added, listed, disabled and
//! reset, the audit log anchored and verified, and `audit verify` failing (exit 5) once a
//! row is edited behind the console's back. Needs PostgreSQL as `accounts.rs` does.

use std::path::Path;
use std::process::{Command, Output};

use selfreport_console::kek::KeyEncryptionKey;

mod common;
use common::{new_database, server_or_skip};

/// A fresh database on the test server; its URL.
fn database(server: &str) -> String {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(new_database(server, "console_cli"))
}

struct Console<'a> {
    db: String,
    kek: String,
    dir: &'a Path,
}

impl Console<'_> {
    fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_selfreport-console"));
        command.args(args);
        // The test cluster speaks TLS with a CA of its own.
        if let Ok(ca) = std::env::var("SELFREPORT_TEST_POSTGRES_CA") {
            if args.first() != Some(&"audit") || args.get(1) != Some(&"keygen") {
                command.args(["--db-ca", &ca]);
            }
        }
        command
            .current_dir(self.dir)
            .env_clear()
            .env("SELFREPORT_CONSOLE_DB", &self.db)
            .env("SELFREPORT_CONSOLE_KEK", &self.kek)
            .env("SELFREPORT_CONSOLE_PASSWORD", "a long enough password")
            .output()
            .expect("the console runs")
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{args:?}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

#[test]
fn an_administrator_manages_accounts_and_the_audit_log_catches_an_edit() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_, kek) = KeyEncryptionKey::generate().unwrap();
    let console = Console {
        db: database(&server),
        kek: kek.to_string(),
        dir: dir.path(),
    };
    console.ok(&["audit", "keygen", "--out", "audit.key"]);
    let added = console.ok(&[
        "user",
        "add",
        "--username",
        "li.wei",
        "--role",
        "officer",
        "--district",
        "310104",
        "--policy",
        "sh-daily-health",
    ]);
    assert!(added.contains("otpauth://totp/"), "{added}");
    assert!(
        added.contains("TOTP secret (base32, shown once): "),
        "{added}"
    );

    // Invalid input is refused with its code and exit 3, and records nothing.
    let refused = console.run(&[
        "user",
        "add",
        "--username",
        "zhang",
        "--role",
        "officer",
        "--district",
        "310004",
        "--policy",
        "sh-daily-health",
    ]);
    assert_eq!(refused.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&refused.stderr).starts_with("error[InvalidArgument]: "));

    // Retention on an empty console deletes nothing, and says so in counts.
    let retention = console.ok(&["retention"]);
    assert_eq!(
        retention.trim(),
        "retention: deleted 0 report(s) past their policy's server_days, and 0 case(s) left without a report"
    );

    console.ok(&["user", "disable", "--username", "li.wei"]);
    let listed = console.ok(&["user", "list"]);
    assert!(
        listed.contains("li.wei\tofficer\tdistricts 310104"),
        "{listed}"
    );
    assert!(listed.trim_end().ends_with("disabled"), "{listed}");
    assert!(!listed.contains("otpauth"), "a listing shows no secret");
    console.ok(&["user", "reset", "--username", "li.wei"]);

    let anchored = console.ok(&[
        "audit",
        "checkpoint",
        "--key",
        "audit.key",
        "--checkpoints",
        "checkpoints.jsonl",
    ]);
    assert!(
        anchored.starts_with("checkpoint of 3 entries"),
        "{anchored}"
    );
    let verified = console.ok(&[
        "audit",
        "verify",
        "--public-key",
        "audit.key.pub",
        "--checkpoints",
        "checkpoints.jsonl",
    ]);
    assert!(verified.contains("3 entries, 1 checkpoints"), "{verified}");

    // Someone with the database's keys drops the trigger and edits entry 2.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&console.db, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .batch_execute(
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
                 UPDATE audit_log SET entry = convert_to(replace(convert_from(entry, 'UTF8'),
                     'user-disable', 'user-reset'), 'UTF8') WHERE seq = 2;",
            )
            .await
            .unwrap();
    });
    let broken = console.run(&[
        "audit",
        "verify",
        "--public-key",
        "audit.key.pub",
        "--checkpoints",
        "checkpoints.jsonl",
    ]);
    assert_eq!(broken.status.code(), Some(5));
    assert!(
        String::from_utf8_lossy(&broken.stderr).starts_with("error[AuditAltered]: "),
        "{}",
        String::from_utf8_lossy(&broken.stderr)
    );
}
