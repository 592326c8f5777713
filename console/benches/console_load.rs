//! The case console's two figures (issue 16's benchmark), on the PostgreSQL server named by
//! `SELFREPORT_TEST_POSTGRES_URL` (`scripts/bench-console` starts a durable one):
//!
//! 1. **Ingest throughput**: `SELFREPORT_CONSOLE_BENCH_INGEST` (default 3,000) real
//!    submissions, minimized and sealed by the core for as many residents, posted to a
//!    loopback drop box (SQLite), then one `ingest` run timed: each opened with the health
//!    key, checked against the policy, its body sealed under the key-encryption key and
//!    stored, in one transaction. Submissions per second.
//! 2. **The case list at p95** with `SELFREPORT_CONSOLE_BENCH_REPORTS` (default 1,000,000)
//!    reports stored in one district (420106), 14 per case: they are written by SQL in
//!    bulk (`generate_series`), shaped as ingest stores them (answers as ingest writes them,
//!    a 3 KB sealed body each), beside three real ingested cases, and each case's list
//!    columns computed from them (`refresh_all`, as the migration does); then an officer of that
//!    district asks for `GET /cases` over HTTPS `SELFREPORT_CONSOLE_BENCH_REQUESTS` times
//!    (default 40, after 3 unmeasured), one at a time. p50, p95 and max.
//!
//! `cargo bench -p selfreport-console --bench console_load`; prints a Markdown table.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/console_web/mod.rs"]
mod console_web;
#[path = "../tests/dropbox/mod.rs"]
mod dropbox;

use std::time::{Duration, Instant};

use chrono::Utc;
use console_web::Console;
use dropbox::{FilledDropBox, Person};
use selfreport_console::case_summary::refresh_all;
use selfreport_console::ingest::ingest;
use selfreport_console::kek::KeyEncryptionKey;
use selfreport_console::schema::migrate;
use selfreport_endpoint::dropbox::Database;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|text| text.replace('_', "").parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing to run.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let Ok(server) = std::env::var(common::URL_VARIABLE) else {
        eprintln!(
            "{} is not set: scripts/bench-console starts a server",
            common::URL_VARIABLE
        );
        std::process::exit(2);
    };
    println!("| measure | size | figure |\n|---|---|---|");
    ingest_throughput(&server).await;
    case_list_latency(&server).await;
}

async fn ingest_throughput(server: &str) {
    let count = env_number("SELFREPORT_CONSOLE_BENCH_INGEST", 3_000);
    let filled = FilledDropBox::start().await;
    let made = Instant::now();
    for n in 0..count {
        let pseudonym = format!("{n:032x}");
        let district = if n % 2 == 0 { "420106" } else { "420111" };
        let person = Person {
            pseudonym: Box::leak(pseudonym.into_boxed_str()),
            name: "测试居民",
            district,
        };
        let tenths = 360 + (n % 25) as i32;
        let sealed = filled.report(&person, "2026-12-06", tenths);
        filled.post(&sealed).await;
    }
    eprintln!(
        "made and posted {count} submissions in {:.1} s",
        made.elapsed().as_secs_f64()
    );
    let url = common::new_database(server, "console_bench_ingest").await;
    let mut db = common::connect(&url).await;
    migrate(&mut db).await.unwrap();
    let (kek, _) = KeyEncryptionKey::generate().unwrap();
    filled.import_keys_into(&mut db, &kek, Utc::now()).await;
    let policy = filled.policy();
    let database = Database::parse(&filled.database()).unwrap();
    let started = Instant::now();
    let report = ingest(&mut db, &kek, &database, &[policy], Utc::now())
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(report.stored as u64, count, "{report:?}");
    println!(
        "| ingest: opened, checked and stored (one run, one transaction) | {count} submissions | {:.0} submissions/s ({:.2} s) |",
        count as f64 / took.as_secs_f64(),
        took.as_secs_f64()
    );
}

async fn case_list_latency(server: &str) {
    let reports = env_number("SELFREPORT_CONSOLE_BENCH_REPORTS", 1_000_000);
    let requests = env_number("SELFREPORT_CONSOLE_BENCH_REQUESTS", 40);
    let console = Console::start(server, 20).await;
    let policy: String = console
        .db
        .query_one("SELECT policy_id FROM cases LIMIT 1", &[])
        .await
        .unwrap()
        .get(0);
    let per_case = 14_i64;
    let cases = (reports as i64 / per_case).max(1);
    let loading = Instant::now();
    console
        .db
        .execute(
            "INSERT INTO cases (pseudonym, policy_id, district, monitoring_days, first_date, last_date)
             SELECT md5('case' || c), $1, '420106', 14, DATE '2026-11-23', DATE '2026-12-06'
             FROM generate_series(1, $2::bigint) AS c",
            &[&policy, &cases],
        )
        .await
        .unwrap();
    console
        .db
        .execute(
            "INSERT INTO case_reports (submission_id, pseudonym, policy_version, form, report_date,
                 received_at, district, answers, fever, symptoms, unconfirmed, sealed_body)
             SELECT md5('report' || i), md5('case' || (i % $1)  + 1),
                    1, 'daily', DATE '2026-11-23' + (i / $1)::int,
                    TIMESTAMPTZ '2026-11-23 02:00:00+00' + (i / $1) * INTERVAL '1 day',
                    '420106',
                    '{\"contact_with_case\":false,\"district\":\"420106\",\"symptoms\":[\"cough\"],\"temperature\":' ||
                        CASE WHEN i % 17 = 0 THEN 'true' ELSE 'false' END || ',\"temperature_rounded\":36.5}',
                    i % 17 = 0, i % 5 = 0, false,
                    decode(repeat(md5(i::text), 96), 'hex')
             FROM generate_series(0, $2::bigint - 1) AS i",
            &[&cases, &(cases * per_case)],
        )
        .await
        .unwrap();
    let loaded = loading.elapsed();
    // What ingest keeps on each case's row, computed as the migration to version 4 does.
    let refreshing = Instant::now();
    refresh_all(&console.db).await.unwrap();
    let refreshed = refreshing.elapsed();
    console.db.batch_execute("ANALYZE").await.unwrap();
    let stored: i64 = console
        .db
        .query_one("SELECT count(*) FROM case_reports", &[])
        .await
        .unwrap()
        .get(0);
    eprintln!(
        "loaded {stored} reports of {cases} cases in {:.0} s; the cases' list columns computed in {:.0} s",
        loaded.as_secs_f64(),
        refreshed.as_secs_f64()
    );
    let session = console.login("officer.a").await;
    let mut times: Vec<Duration> = Vec::new();
    for round in 0..requests + 3 {
        let started = Instant::now();
        let response = console.get("/cases", Some(&session)).await;
        assert_eq!(response.status(), 200);
        let body = response.text().await.unwrap();
        let took = started.elapsed();
        assert!(body.contains("class=\"case\""));
        if round >= 3 {
            times.push(took);
        }
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| `GET /cases` (the first 500 of the district's cases, fever first), {requests} requests one at a time | {stored} reports, {} cases in one district | p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms |",
        cases + 2,
        ms(at(0.5)),
        ms(at(0.95)),
        ms(*times.last().unwrap())
    );
}
