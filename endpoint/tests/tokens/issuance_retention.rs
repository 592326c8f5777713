//! Issuance rows are forgotten after the order's period (docs/protocol.md "Upload
//! tokens"): each row keeps the last day of its order's period, and the retention job
//! deletes an enrollment's rows once that day is more than one day (the grace) past.
//! Rows a database held before it kept last days (SQLite schema 3 and 4, PostgreSQL
//! migrations 4 and 5) get none when migrated and go once the served policy's
//! `valid_until` is more than the grace past.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use selfreport_core::FixedClock;

use super::common::{Backend, TestDatabase, TestDropBox, error_code, postgres_or_skip};
use super::token_box::{TokenBox, day, enrolled_request, serve_again};

on_both_backends!(
    issuance_rows_go_a_day_after_the_period,
    issuance_rows_go_a_day_after_the_period_on_sqlite,
    issuance_rows_go_a_day_after_the_period_on_postgres
);
on_both_backends!(
    rows_from_before_the_last_day_go_after_the_policy,
    rows_from_before_the_last_day_go_after_the_policy_on_sqlite,
    rows_from_before_the_last_day_go_after_the_policy_on_postgres
);

/// Each issuance row's enrollment hash and last day (`None` when it has none), sorted.
async fn issuance_rows(db: &TestDatabase) -> Vec<(String, Option<String>)> {
    let mut rows: Vec<(String, Option<String>)> = match db {
        TestDatabase::Sqlite { path, .. } => {
            let connection = rusqlite::Connection::open(path).unwrap();
            let mut statement = connection
                .prepare("SELECT enrollment_sha256, last_day FROM token_issuance")
                .unwrap();
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        }
        TestDatabase::Postgres { .. } => db
            .client()
            .await
            .query(
                "SELECT enrollment_sha256, last_day::text FROM token_issuance",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect(),
    };
    rows.sort();
    rows
}

/// Waits (up to five seconds) for the retention job to leave `expected` issuance rows.
async fn wait_for_rows(db: &TestDatabase, expected: usize) -> Vec<(String, Option<String>)> {
    for _ in 0..100 {
        let rows = issuance_rows(db).await;
        if rows.len() == expected {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    issuance_rows(db).await
}

/// A three-day order's rows stay through the day after its last day and go the day
/// after that; a fourteen-day order's rows stay. Once its period is over the order gets
/// no tokens either, so forgetting its rows gives no allowance back.
async fn issuance_rows_go_a_day_after_the_period(backend: Backend) {
    let clock = Arc::new(FixedClock::new(Utc::now().fixed_offset()));
    let job_clock = clock.clone();
    let drop_box = TokenBox::start_with(backend, move |d| {
        d.with_clock(job_clock)
            .with_retention_interval(Duration::from_millis(50))
    })
    .await;
    let short = drop_box.order("sh-arrivals", day(-1), 3, 1);
    let long = drop_box.order("sh-arrivals", day(-1), 14, 1);
    drop_box.enrolled_tokens(&short, 2).await;
    drop_box.enrolled_tokens(&long, 3).await;
    let db = &drop_box.inner.db;
    let last_days = |rows: &[(String, Option<String>)]| {
        let mut days: Vec<String> = rows.iter().filter_map(|row| row.1.clone()).collect();
        days.sort();
        days
    };
    let (short_end, long_end) = (day(1).to_string(), day(12).to_string());
    let rows = issuance_rows(db).await;
    assert_eq!(
        last_days(&rows),
        [
            short_end.clone(),
            short_end.clone(),
            long_end.clone(),
            long_end.clone(),
            long_end.clone()
        ],
        "each row keeps its order's last day"
    );

    // The day after the short order's last day: its rows are still kept (the grace),
    // and the order gets nothing more.
    clock.advance_days(2);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(issuance_rows(db).await.len(), 5);
    let (_, requests) = drop_box.pending(&drop_box.enrolled, 1);
    let refused = drop_box
        .post_tokens(&enrolled_request(&short, &requests))
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(error_code(refused).await, "Forbidden");

    // The day after that: the short order's rows are gone, the long order's stay.
    clock.advance_days(1);
    let rows = wait_for_rows(db, 3).await;
    assert_eq!(
        last_days(&rows),
        [long_end.clone(), long_end.clone(), long_end]
    );
    assert!(
        drop_box
            .inner
            .log_lines()
            .iter()
            .any(|line| line.contains("deleted 2 token issuance row(s)")),
        "the job says what it deleted"
    );
}

/// Makes `db` look as a drop box from before the last day left it: no `last_day` column
/// (nor its index) and the schema version before it.
async fn downgrade(db: &TestDatabase) {
    match db {
        TestDatabase::Sqlite { path, .. } => {
            rusqlite::Connection::open(path)
                .unwrap()
                .execute_batch(
                    "DROP INDEX token_issuance_last_day;
                     ALTER TABLE token_issuance DROP COLUMN last_day;
                     PRAGMA user_version = 4;",
                )
                .unwrap();
        }
        TestDatabase::Postgres { .. } => {
            db.client()
                .await
                .batch_execute(
                    "DROP INDEX token_issuance_last_day;
                     ALTER TABLE token_issuance DROP COLUMN last_day;
                     DELETE FROM dropbox_schema_version WHERE version = 6;",
                )
                .await
                .unwrap();
        }
    }
}

/// An old database's issuance rows gain an empty last day when it is opened by this
/// drop box, are kept through the day after the policy's `valid_until`, and go the day
/// after that (at the start-up purge, so a restart at each day shows it).
async fn rows_from_before_the_last_day_go_after_the_policy(backend: Backend) {
    let clock = Arc::new(FixedClock::new(Utc::now().fixed_offset()));
    let job_clock = clock.clone();
    let drop_box = TokenBox::start_with(backend, move |d| d.with_clock(job_clock)).await;
    let order = drop_box.order("sh-arrivals", day(-1), 14, 1);
    drop_box.enrolled_tokens(&order, 3).await;
    let TokenBox {
        inner,
        enrolled_secret,
        open_secret,
        ..
    } = drop_box;
    let TestDropBox {
        running,
        db,
        authority,
        tls,
        envelope,
        policy,
        ..
    } = inner;
    running.shutdown().await.unwrap();
    downgrade(&db).await;

    let valid_until = policy.valid_until;
    assert_eq!(valid_until, day(180), "the policy of the token box");
    let keys = [&enrolled_secret, &open_secret];
    let restart_on = |date: chrono::NaiveDate| {
        let clock = clock.clone();
        let (authority, tls, envelope, db) = (&authority, &tls, &envelope, &db);
        async move {
            let noon = date.and_hms_opt(12, 0, 0).unwrap().and_utc();
            clock.set(noon.fixed_offset());
            serve_again((authority, tls, envelope), db, &keys, |d| {
                d.with_clock(clock)
            })
            .await
            .shutdown()
            .await
            .unwrap();
        }
    };
    // Opened on the day after `valid_until`: migrated, the rows kept without a last day.
    restart_on(valid_until + chrono::Days::new(1)).await;
    let rows = issuance_rows(&db).await;
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter().all(|(_, last_day)| last_day.is_none()),
        "{rows:?}"
    );
    // The day after that: gone.
    restart_on(valid_until + chrono::Days::new(2)).await;
    assert_eq!(issuance_rows(&db).await, []);
}
