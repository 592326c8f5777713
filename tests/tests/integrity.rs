//! Damaged ciphertext seen through the CLI: one record's sealed bytes are flipped on disk;
//! `records` and `export` still show every intact record, then fail with exit 5 and
//! `error[Corrupt]` naming the damaged record. No panic, and `erase` still works.
//!
//! The test edits the database with SQLite directly, so it knows two names of the core's
//! schema: the `records` table and its `id` and `sealed` columns.

use selfreport_tests::{Workspace, day};

fn daily_report(ws: &Workspace, profile: &str, date: &str, temperature: &str) -> String {
    ws.selfreport(&[
        "report",
        "--profile",
        profile,
        "--policy",
        "sh-daily-health",
        "--form",
        "daily",
        "--date",
        date,
        "--answer",
        &format!("temperature={temperature}"),
        "--answer",
        "symptoms=",
        "--answer",
        "contact_with_case=no",
    ])
    .single_line()
}

/// Flips one bit in the middle of the record's sealed bytes.
fn flip_record_byte(ws: &Workspace, record: &str) {
    let db = rusqlite::Connection::open(ws.store().join("selfreport.db")).unwrap();
    let mut sealed: Vec<u8> = db
        .query_row(
            "SELECT sealed FROM records WHERE id = ?1",
            [record],
            |row| row.get(0),
        )
        .unwrap();
    let middle = sealed.len() / 2;
    sealed[middle] ^= 0x01;
    let changed = db
        .execute(
            "UPDATE records SET sealed = ?1 WHERE id = ?2",
            rusqlite::params![sealed, record],
        )
        .unwrap();
    assert_eq!(changed, 1);
    db.close().unwrap();
}

#[test]
fn a_damaged_record_is_named_and_the_others_still_read() {
    let ws = Workspace::new();
    ws.initialized_with_policies();
    let profile = ws
        .selfreport(&["profile", "add", "--name", "周建华"])
        .single_line();
    ws.selfreport(&[
        "monitor",
        "start",
        "--profile",
        &profile,
        "--policy",
        "sh-daily-health",
        "--from",
        &day(-2),
    ])
    .success();
    let intact = daily_report(&ws, &profile, &day(-1), "36.6");
    let damaged = daily_report(&ws, &profile, &day(0), "36.8");

    flip_record_byte(&ws, &damaged);

    let outcome = ws.selfreport(&["records", "--json"]);
    let line = outcome.failure(5, "Corrupt");
    assert!(line.contains(&damaged), "names the damaged record: {line}");
    let listed: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap_or_else(|error| {
        panic!(
            "intact records are still listed ({error}): {}",
            outcome.stdout
        )
    });
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|record| record["id"].as_str())
        .collect();
    assert_eq!(ids, vec![intact.as_str()]);

    let export = ws.selfreport(&["export"]);
    let line = export.failure(5, "Corrupt");
    assert!(line.contains(&damaged), "{line}");
    assert!(
        export.stdout.contains(&intact),
        "export keeps the intact record"
    );

    // Damage does not stand in the way of erasing.
    ws.selfreport(&["erase", "--yes"]).success();
    assert!(!ws.store().exists());
}
