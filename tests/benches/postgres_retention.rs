//! Retention on PostgreSQL: a day of submissions forgotten by dropping its partition
//! (what the drop box does) against deleting its rows (what a delete loop does), on the
//! same data (issue 15; figures in `docs/performance.md`).
//!
//! A measurement program, not a criterion benchmark (`harness = false`). It needs
//! `SELFREPORT_LOAD_POSTGRES_URL` (a PostgreSQL superuser's URL, as
//! `scripts/bench-postgres` sets it), creates a database of its own with the drop box's
//! schema, fills an expiry-day partition with `SELFREPORT_RETENTION_ROWS` rows (default
//! 250,000: 1.2 GB; a million take 4.7 GB) of the size the drop box stores for a daily report (a
//! `SELFREPORT_RETENTION_BODY_BYTES` random body, default 3,157 bytes as in the load
//! generator, a 450-byte receipt and the other columns), checkpoints, and times
//! `DELETE FROM submissions WHERE expiry_day = <day>` followed by the `VACUUM` that makes
//! the space reusable; then the same for a second day, timing `SELECT count(*)` plus
//! `DROP TABLE` of its partition (the drop box's retention). One partition is on disk at
//! a time. It drops its database at the end.
//!
//! `cargo bench -p selfreport-tests --bench postgres_retention`

use std::time::{Duration, Instant};

use selfreport_endpoint::dropbox::{Database, prepare_postgres};

const DAY_1: &str = "2030-01-01";
const DAY_2: &str = "2030-01-02";

fn main() {
    let server = std::env::var("SELFREPORT_LOAD_POSTGRES_URL").expect(
        "SELFREPORT_LOAD_POSTGRES_URL: a PostgreSQL superuser's URL (see scripts/bench-postgres)",
    );
    let rows: i64 = env_number("SELFREPORT_RETENTION_ROWS", 250_000);
    let body_bytes: i64 = env_number("SELFREPORT_RETENTION_BODY_BYTES", 3_157);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let admin = connect(&server).await;
        let name = format!(
            "retention_{}",
            selfreport_core::sync::wire::hex(
                &selfreport_core::crypto::random_array::<8>().expect("random")
            )
        );
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        let base = server.split('?').next().unwrap_or(&server);
        let url = format!("{}/{name}", base.rsplit_once('/').map_or(base, |(s, _)| s));
        let Database::Postgres(config) = Database::parse(&url).expect("url") else {
            unreachable!("a postgres:// URL")
        };
        prepare_postgres(&config)
            .await
            .expect("the drop box's schema");
        let client = connect(&url).await;
        client
            .batch_execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
            .await
            .expect("pgcrypto (postgresql-contrib)");

        // One partition on disk at a time (1.2 GB at the default size): fill
        // day 1, delete its rows and vacuum, drop the emptied table; then fill day 2 and
        // drop it as the drop box does.
        let day_1 = fill(&client, DAY_1, rows, body_bytes).await;
        let delete = timed(
            &client,
            &format!("DELETE FROM submissions WHERE expiry_day = '{DAY_1}'"),
        )
        .await;
        let vacuum = timed(&client, &format!("VACUUM {}", partition(DAY_1))).await;
        client
            .batch_execute(&format!("DROP TABLE {}", partition(DAY_1)))
            .await
            .expect("drop the emptied partition");
        let day_2 = fill(&client, DAY_2, rows, body_bytes).await;
        let count = timed(
            &client,
            &format!("SELECT count(*) FROM {}", partition(DAY_2)),
        )
        .await;
        let dropped = timed(&client, &format!("DROP TABLE {}", partition(DAY_2))).await;
        println!(
            "retention: rows={rows} body_bytes={body_bytes} partition_mib={:.0}/{:.0} \
             delete_ms={:.0} vacuum_ms={:.0} delete_and_vacuum_ms={:.0} \
             count_ms={:.1} drop_ms={:.1} count_and_drop_ms={:.1}",
            day_1 as f64 / 1024.0 / 1024.0,
            day_2 as f64 / 1024.0 / 1024.0,
            ms(delete),
            ms(vacuum),
            ms(delete + vacuum),
            ms(count),
            ms(dropped),
            ms(count + dropped),
        );
        drop(client);
        admin
            .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await
            .expect("drop database");
    });
}

fn partition(day: &str) -> String {
    format!("submissions_d{}", day.replace('-', ""))
}

/// Creates the partition of `day`, fills it with `rows` rows, analyzes it and
/// checkpoints, so the timed statement starts from a quiet database; returns its size in
/// bytes.
async fn fill(client: &tokio_postgres::Client, day: &str, rows: i64, body_bytes: i64) -> i64 {
    let started = Instant::now();
    client
        .batch_execute(&format!(
            "CREATE TABLE {} PARTITION OF submissions
                 FOR VALUES FROM ('{day}') TO ('{day}'::date + 1)",
            partition(day)
        ))
        .await
        .expect("partition");
    client
        .execute(&fill_statement(day, body_bytes), &[&rows])
        .await
        .expect("fill");
    // One statement a call: VACUUM cannot run in the implicit transaction of several.
    for statement in [
        format!("VACUUM ANALYZE {}", partition(day)),
        "CHECKPOINT".to_owned(),
    ] {
        client
            .batch_execute(&statement)
            .await
            .expect("vacuum, checkpoint");
    }
    println!(
        "retention: filled day={day} rows={rows} seconds={:.1}",
        started.elapsed().as_secs_f64()
    );
    client
        .query_one(
            &format!("SELECT pg_total_relation_size('{}')", partition(day)),
            &[],
        )
        .await
        .expect("size")
        .get(0)
}

/// Fills the partition of `day` with `$1` rows: random bodies of `body_bytes`, a random
/// 450-byte receipt, hex digests and the times a drop box would write.
fn fill_statement(day: &str, body_bytes: i64) -> String {
    // gen_random_bytes gives at most 1,024 bytes a call.
    let mut body = Vec::new();
    let mut left = body_bytes;
    while left > 0 {
        body.push(format!("gen_random_bytes({})", left.min(1024)));
        left -= 1024;
    }
    format!(
        "INSERT INTO submissions
             (id, policy_id, policy_version, body, body_sha256, deletion_hash,
              received_at, expires_at, expiry_day, receipt)
         SELECT encode(gen_random_bytes(16), 'hex'), 'sh-daily-health', 1, {body},
                encode(gen_random_bytes(32), 'hex'), encode(gen_random_bytes(32), 'hex'),
                '{day}T08:00:00Z', extract(epoch FROM '{day}'::date)::bigint, '{day}',
                gen_random_bytes(450)
         FROM generate_series(1, $1::bigint)",
        body = body.join(" || ")
    )
}

async fn timed(client: &tokio_postgres::Client, statement: &str) -> Duration {
    let started = Instant::now();
    client.batch_execute(statement).await.expect(statement);
    started.elapsed()
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
}

fn env_number(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .map(|text| {
            text.parse()
                .unwrap_or_else(|_| panic!("{name} is a number"))
        })
        .unwrap_or(default)
}
