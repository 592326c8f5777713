//! The console's only export (issue 16 item 6): counts by district, day and flag, small
//! cells and their complements suppressed, audited; on the supervisors' page (their scope
//! only, CSV too) and from `selfreport-console aggregates` (every district). Nothing in
//! it names a person or a case.

use selfreport_console::audit::{AuditAction, AuditEntry};
use selfreport_console::audit_log;
use serde_json::Value;

mod common;
mod console_web;
mod dropbox;
use common::server_or_skip;
use console_web::{Console, WANG, ZHANG};
use dropbox::Person;

const DAY: &str = "2026-12-06";

/// A resident of `district`, numbered `n`.
fn person(district: &'static str, n: usize) -> Person {
    Person {
        pseudonym: Box::leak(format!("{n:02}{district}{}", "a".repeat(24)).into_boxed_str()),
        name: Box::leak(format!("居民{n}号").into_boxed_str()),
        district,
    }
}

/// On DAY, beside the start's ZHANG (420106, fever) and WANG (420111): 5 more in 420106
/// (2 with fever), 1 more in 420111, 7 in 420102 (none with fever).
async fn console_with_counts(server: &str) -> Console {
    let mut console = Console::start(server, 20).await;
    let mut n = 0;
    for (district, count, fevers) in [("420106", 5, 2), ("420111", 1, 0), ("420102", 7, 0)] {
        for i in 0..count {
            n += 1;
            let tenths = if i < fevers { 389 } else { 362 };
            console.filled.send(&person(district, n), DAY, tenths).await;
        }
    }
    assert_eq!(console.ingest_again().await, 13);
    console
}

async fn audit_entries(console: &Console) -> Vec<AuditEntry> {
    audit_log::entries(&console.db)
        .await
        .unwrap()
        .iter()
        .map(|entry| serde_json::from_slice(&entry.bytes).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisors_see_counts_of_their_scope_with_small_cells_suppressed() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let console = console_with_counts(&server).await;
    let session = console.login("super.a").await;
    let query = format!("/aggregates?from={DAY}&to={DAY}");

    let page = console.get(&query, Some(&session)).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<td>420106</td><td>reports</td><td>6</td>"),
        "{html}"
    );
    // 3 with fever: small, and so is its total.
    assert!(
        html.contains("<td>420106</td><td>fever</td><td>&lt;5</td>"),
        "{html}"
    );
    assert!(
        html.contains("<td>total</td><td>fever</td><td>&lt;5</td>"),
        "{html}"
    );
    assert!(
        !html.contains("420111") && !html.contains("420102"),
        "{html}"
    );

    let csv = console
        .get(&format!("{query}&format=csv"), Some(&session))
        .await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("district,date,flag,count\r\n"), "{csv}");
    assert!(csv.contains("420106,2026-12-06,reports,6\r\n"), "{csv}");
    assert!(csv.contains("420106,2026-12-06,fever,<5\r\n"), "{csv}");
    for secret in [ZHANG.name, ZHANG.pseudonym, &console.case_of(&ZHANG)] {
        assert!(!csv.contains(secret) && !html.contains(secret));
    }

    // Officers and auditors have no export.
    let officer = console.login("officer.a").await;
    assert_eq!(console.get(&query, Some(&officer)).await.status(), 403);
    let auditor = console.login("auditor").await;
    assert_eq!(console.get(&query, Some(&auditor)).await.status(), 403);
    // A span that is not one is refused.
    let bad = console
        .get("/aggregates?from=2026-12-07&to=2026-12-01", Some(&session))
        .await;
    assert_eq!(bad.status(), 400);

    let exports: Vec<_> = audit_entries(&console)
        .await
        .into_iter()
        .filter(|entry| entry.action == AuditAction::Export)
        .collect();
    assert_eq!(exports.len(), 2, "the page and the download");
    assert!(exports.iter().all(|entry| entry.actor == "super.a"));
    assert!(
        exports[0]
            .detail
            .as_deref()
            .unwrap()
            .starts_with("aggregates 2026-12-06..2026-12-06 as page: 8 cells, "),
        "{:?}",
        exports[0]
    );
    assert!(
        exports[1]
            .detail
            .as_deref()
            .unwrap()
            .starts_with("aggregates 2026-12-06..2026-12-06 as csv: 8 cells, "),
        "{:?}",
        exports[1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_exports_every_district_with_complementary_suppression() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let console = console_with_counts(&server).await;
    let url = console.url.clone();
    let run = |format: &str, from: &str| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_selfreport-console"));
        command
            .args(["aggregates", "--db", &url, "--from", from, "--to", DAY])
            .args(["--format", format]);
        // The test cluster speaks TLS with a CA of its own.
        if let Ok(ca) = std::env::var("SELFREPORT_TEST_POSTGRES_CA") {
            command.args(["--db-ca", &ca]);
        }
        command.output().unwrap()
    };
    let output = run("json", DAY);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let cells: Value = serde_json::from_slice(&output.stdout).unwrap();
    let count = |district: &str, flag: &str| {
        cells
            .as_array()
            .unwrap()
            .iter()
            .find(|cell| cell["district"] == district && cell["flag"] == flag)
            .map(|cell| cell["count"].clone())
            .unwrap_or_else(|| panic!("no cell {district} {flag}: {cells}"))
    };
    // 420111's 2 are hidden, and 420106's 6 with them: otherwise 15 - 7 - 6 = 2.
    assert_eq!(count("420102", "reports"), 7);
    assert_eq!(count("420111", "reports"), Value::Null);
    assert_eq!(count("420106", "reports"), Value::Null);
    assert_eq!(count("total", "reports"), 15);
    assert_eq!(count("420102", "fever"), 0);
    let text = String::from_utf8_lossy(&output.stdout);
    for secret in [WANG.name, WANG.pseudonym, &console.case_of(&WANG)] {
        assert!(!text.contains(secret));
    }

    let csv = run("csv", "2026-12-05");
    assert!(csv.status.success());
    let csv = String::from_utf8_lossy(&csv.stdout);
    assert!(
        csv.contains("420106,2026-12-05,reports,<5") && csv.contains("total,2026-12-06,reports,15"),
        "{csv}"
    );
    // A span the wrong way round is invalid input.
    let refused = run("csv", "2026-12-07");
    assert_eq!(refused.status.code(), Some(3));

    let exports = audit_entries(&console)
        .await
        .into_iter()
        .filter(|entry| entry.action == AuditAction::Export && entry.actor == "admin")
        .count();
    assert_eq!(exports, 2);
}
