//! What the console's PostgreSQL tests share: the server `./scripts/test` starts (named by
//! `SELFREPORT_TEST_POSTGRES_URL`), a database of its own for each test, and connections.

#![allow(dead_code, reason = "each test binary uses what it needs")]

/// The variable naming a PostgreSQL superuser's URL.
pub const URL_VARIABLE: &str = "SELFREPORT_TEST_POSTGRES_URL";

/// The server's URL; `None` (said loudly) when it is not set, except under `CI=true`,
/// where the PostgreSQL tests must run and the test fails.
pub fn server_or_skip() -> Option<String> {
    if let Ok(url) = std::env::var(URL_VARIABLE) {
        return Some(url);
    }
    assert!(
        std::env::var("CI").map_or(true, |value| value != "true"),
        "{URL_VARIABLE} is not set under CI: the console's PostgreSQL tests must run"
    );
    eprintln!("*** SKIPPED: {URL_VARIABLE} is not set (./scripts/test sets it) ***");
    None
}

/// A client for `url` over plain TCP (the test server is on loopback), its connection
/// driven by a task of the current runtime.
pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
}

/// Creates a database with a random name, prefixed `prefix`, on `server`; returns its URL.
pub async fn new_database(server: &str, prefix: &str) -> String {
    let mut random = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random).expect("random");
    let name = format!(
        "{prefix}_{}",
        random
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    connect(server)
        .await
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    let config: tokio_postgres::Config = server.parse().expect("a PostgreSQL URL");
    let base = server.split('?').next().unwrap_or(server);
    let without_db = match config.get_dbname() {
        Some(db) => base.strip_suffix(db).unwrap_or(base).trim_end_matches('/'),
        None => base.trim_end_matches('/'),
    };
    format!("{without_db}/{name}")
}

/// A new database on `server` (named after `prefix`) with the console's tables: its URL and
/// a connection to it.
pub async fn migrated_database(server: &str, prefix: &str) -> (String, tokio_postgres::Client) {
    let url = new_database(server, prefix).await;
    let mut client = connect(&url).await;
    selfreport_console::schema::migrate(&mut client)
        .await
        .expect("the console's tables");
    (url, client)
}
