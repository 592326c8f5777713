//! `scripts/console-demo --check` (issue 16 item 9): one command starts a throwaway
//! PostgreSQL cluster, makes and ingests the demo data, adds the demo accounts, serves the
//! console on 127.0.0.1 with a development certificate, prints its address and the
//! accounts; `--check` then asks the console for its login page and stops, and every file
//! it made is gone.
//!
//! It runs the programs this build made (`SELFREPORT_CONSOLE_DEMO_BIN`): the console's
//! binary and the `console_demo_data` example, which `cargo test` builds with the tests.

use std::path::PathBuf;
use std::process::Command;

mod common;
use common::server_or_skip;

#[test]
fn the_demo_starts_serves_prints_its_accounts_and_cleans_up() {
    // The script starts its own cluster; it needs PostgreSQL as the other tests do.
    if server_or_skip().is_none() {
        return;
    }
    let debug = std::env::current_exe()
        .unwrap()
        .ancestors()
        .nth(2)
        .map(PathBuf::from)
        .unwrap();
    assert!(
        debug.join("examples/console_demo_data").is_file(),
        "{} has no examples/console_demo_data: `cargo test` builds it \
         (or cargo build -p selfreport-console --examples)",
        debug.display()
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/console-demo");
    let output = Command::new(&script)
        .arg("--check")
        .env("SELFREPORT_CONSOLE_DEMO_BIN", &debug)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("drop box: 34 sealed submissions from 12 residents")
            && stdout.contains("ingested 34 reports"),
        "{stdout}"
    );
    for account in [
        "officer.wuchang",
        "officer.hongshan",
        "supervisor.wuhan",
        "auditor",
    ] {
        let line = stdout
            .lines()
            .find(|line| line.trim_start().starts_with(account))
            .unwrap_or_else(|| panic!("{account} not printed:\n{stdout}"));
        assert!(
            line.contains(" password ") && line.contains(" TOTP "),
            "{line}"
        );
    }
    let address = stdout
        .lines()
        .find_map(|line| line.strip_prefix("The case console listens on "))
        .unwrap_or_else(|| panic!("no address:\n{stdout}"));
    assert!(address.starts_with("https://127.0.0.1:"), "{address}");
    assert!(
        stdout.contains(&format!("check: GET {address}/login answered 200")),
        "{stdout}"
    );
    // The files it made, the development CA among them, are removed.
    let ca = stdout
        .lines()
        .find_map(|line| line.split("development CA: ").nth(1))
        .and_then(|rest| rest.split(';').next())
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no CA path:\n{stdout}"));
    assert!(!ca.exists() && !ca.parent().unwrap().parent().unwrap().exists());
}
