//! The README's "A whole session, both sides" block, run as it is written there (issue 18:
//! the authority session could not be followed as written, since the example policies carry
//! placeholder keys and nothing said how to fill them in).
//!
//! The block between `<!-- readme-session:begin -->` and `<!-- readme-session:end -->` runs
//! under `bash -euo pipefail` from the root of a scratch tree laid out as the checkout is
//! (a link to its `examples/`; `target/debug` links to the binaries this test checks are
//! fresh), with the passphrase in `SELFREPORT_PASSPHRASE`. The only change made to it: the
//! drop box's port, 8443 in the README, becomes a free one, so that runs cannot collide.

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use selfreport_tests::{PASSPHRASE, binary};

/// The block, from the README.
fn session_block() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README.md");
    let begin = readme
        .find("<!-- readme-session:begin -->")
        .expect("the README marks the session's beginning");
    let end = readme
        .find("<!-- readme-session:end -->")
        .expect("the README marks the session's end");
    let marked = &readme[begin..end];
    let code = marked
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(code, _)| code)
        .expect("a ```sh block between the markers");
    code.to_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

#[test]
fn the_readme_session_runs_as_written_from_keygen_to_an_opened_fhir_export() {
    let block = session_block();
    assert!(block.contains("8443"), "the block names its port");
    let port = free_port().to_string();
    let script = format!(
        "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{}",
        block.replace("8443", &port)
    );

    let scratch = tempfile::tempdir().expect("scratch directory");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    std::os::unix::fs::symlink(&examples, scratch.path().join("examples")).expect("examples link");
    let debug = scratch.path().join("target/debug");
    std::fs::create_dir_all(&debug).expect("target/debug");
    // The binaries the block runs, checked fresh as every test checks them.
    for name in ["selfreport", "selfreport-authority", "selfreport-endpoint"] {
        std::os::unix::fs::symlink(binary(name), debug.join(name)).expect("binary link");
    }
    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(scratch.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", scratch.path())
        .env("SELFREPORT_PASSPHRASE", PASSPHRASE)
        .output()
        .expect("bash runs");
    let session = scratch.path().join("target/session");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the README session failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );

    // The report was delivered, its receipt verified, and the health office opened it.
    assert!(stdout.contains("1 delivered"), "{stdout}");
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(session.join("reports.json")).expect("reports.json"))
            .expect("the export is JSON");
    assert_eq!(bundle["resourceType"], "Bundle");
    let responses: Vec<&serde_json::Value> = bundle["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| &entry["resource"])
        .filter(|resource| resource["resourceType"] == "QuestionnaireResponse")
        .collect();
    assert_eq!(responses.len(), 1, "{bundle}");
    let questionnaires: serde_json::Value = serde_json::from_slice(
        &std::fs::read(session.join("questionnaires.json")).expect("questionnaires.json"),
    )
    .expect("the questionnaires are JSON");
    assert_eq!(questionnaires["resourceType"], "Bundle");
    // The name the mother's profile holds never reached the health office's export.
    assert!(!bundle.to_string().contains("林秀英"));
}
