//! Revocation lists on the authority side: `selfreport-authority revoke` writes a root's
//! next list (entries carried over, sequence continued), and every drop box relays its
//! root's latest list at `GET {endpoint}/revocations`, picking up a replaced file and never
//! going back to an older list.

#[allow(dead_code)]
#[macro_use]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use chrono::Local;
use common::{Backend, TestDropBox};
use selfreport_core::policy::revocation::RevocationReason;
use selfreport_core::policy::{SignedRevocations, TrustAnchor, TrustAnchors};
use selfreport_endpoint::dropbox::DropBoxError;
use selfreport_endpoint::revocation::{RevocationRequest, revoke_file};

fn authority(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_selfreport-authority"))
        .args(args)
        .output()
        .unwrap()
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn keygen(dir: &Path, name: &str) -> PathBuf {
    let keys = dir.join(name);
    let output = authority(&["keygen", "--out", text(&keys)]);
    assert!(output.status.success(), "{output:?}");
    keys
}

fn anchors(keys: &Path) -> TrustAnchors {
    let public = std::fs::read_to_string(keys.join("signing.pub")).unwrap();
    TrustAnchor::from_public_key_base64(&public).unwrap().into()
}

#[test]
fn revoke_carries_the_previous_list_over_and_continues_its_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let root = keygen(dir.path(), "root");
    let office = keygen(dir.path(), "office");
    let first = dir.path().join("revocations-1.json");
    let output = authority(&[
        "revoke",
        "--key",
        text(&root.join("signing.key")),
        "--delegation",
        text(&office.join("signing.pub")),
        "--reason",
        "key-compromise",
        "--out",
        text(&first),
    ]);
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("revocation list 1"));
    let second = dir.path().join("revocations-2.json");
    let output = authority(&[
        "revoke",
        "--key",
        text(&root.join("signing.key")),
        "--previous",
        text(&first),
        "--policy",
        "sh-arrivals@3",
        "--reason",
        "superseded",
        "--out",
        text(&second),
    ]);
    assert!(output.status.success(), "{output:?}");

    let today = Local::now().date_naive();
    let list = SignedRevocations::parse(&std::fs::read(&second).unwrap())
        .unwrap()
        .verify(&anchors(&root), today)
        .unwrap();
    let document = list.document();
    assert_eq!(document.sequence, 2);
    assert!(document.next_update > today);
    let office_key = anchors(&office)
        .iter()
        .next()
        .unwrap()
        .public_key()
        .to_owned();
    assert_eq!(
        document.delegations.get(&office_key),
        Some(&RevocationReason::KeyCompromise)
    );
    assert_eq!(
        document.policies.get(&("sh-arrivals".to_owned(), 3)),
        Some(&RevocationReason::Superseded)
    );
}

#[test]
fn revoke_refuses_what_a_device_would_refuse_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = keygen(dir.path(), "root");
    let other = keygen(dir.path(), "other");
    let out = dir.path().join("out.json");
    let root_key = root.join("signing.key");
    // Entries without a reason; a reason outside the closed set; a malformed policy entry.
    for extra in [
        vec!["--policy", "sh@1"],
        vec!["--policy", "sh@1", "--reason", "bored"],
        vec!["--policy", "sh", "--reason", "superseded"],
    ] {
        let mut args = vec!["revoke", "--key", text(&root_key), "--out", text(&out)];
        args.extend(extra);
        let output = authority(&args);
        assert_eq!(output.status.code(), Some(3), "{output:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("PolicyBadRevocations"));
        assert!(!out.exists());
    }
    // The previous list of another root cannot be continued.
    let theirs = dir.path().join("theirs.json");
    assert!(
        authority(&[
            "revoke",
            "--key",
            text(&other.join("signing.key")),
            "--out",
            text(&theirs)
        ])
        .status
        .success()
    );
    let output = authority(&[
        "revoke",
        "--key",
        text(&root.join("signing.key")),
        "--previous",
        text(&theirs),
        "--out",
        text(&out),
    ]);
    assert!(!output.status.success());
    assert!(!out.exists());
}

async fn get_revocations(drop_box: &TestDropBox) -> (u16, Vec<u8>) {
    let response = drop_box
        .client
        .get(format!("{}/revocations", drop_box.url))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

/// A list of `sequence` signed by `authority` (the drop box's policy's root).
fn write_list(authority: &common::Authority, sequence: u64, out: &Path) {
    let today = Local::now().date_naive();
    let staging = out.with_extension("staging");
    revoke_file(
        &authority.keys.signing_key_path,
        None,
        &RevocationRequest {
            delegations: vec![],
            policies: vec![format!("sh-old@{sequence}")],
            reason: Some("superseded".into()),
            issued_at: today,
            next_update: today + chrono::Days::new(7),
            sequence: Some(sequence),
        },
        &staging,
    )
    .unwrap();
    // As an operator replaces it: write, then rename over.
    std::fs::rename(&staging, out).unwrap();
}

fn sequence_of(bytes: &[u8]) -> u64 {
    SignedRevocations::parse(bytes).unwrap().document().sequence
}

async fn relays_the_latest_list_and_never_an_older_one(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("revocations.json");
    let written = file.clone();
    let relaying = file.clone();
    let drop_box = TestDropBox::start_with(
        backend,
        move |authority, url| {
            write_list(authority, 1, &written);
            authority.policy_json(url)
        },
        move |drop_box| drop_box.with_revocations(&relaying).unwrap(),
    )
    .await;
    let (status, body) = get_revocations(&drop_box).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        std::fs::read(&file).unwrap(),
        "relayed exactly as signed"
    );
    assert_eq!(sequence_of(&body), 1);

    // The root publishes list 3: relayed once the file is looked at again.
    write_list(&drop_box.authority, 3, &file);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(sequence_of(&get_revocations(&drop_box).await.1), 3);

    // An older list put back, or a file that is no list: list 3 stays relayed.
    write_list(&drop_box.authority, 2, &file);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(sequence_of(&get_revocations(&drop_box).await.1), 3);
    std::fs::write(&file, b"{not a list").unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(sequence_of(&get_revocations(&drop_box).await.1), 3);
    assert!(
        drop_box
            .log_lines()
            .iter()
            .any(|line| line.contains("/v1/revocations") && line.contains(" 200 ")),
        "{:?}",
        drop_box.log_lines()
    );
}

async fn relays_nothing_without_a_list_and_refuses_another_roots(backend: Backend) {
    let drop_box = TestDropBox::start(backend, |drop_box| drop_box).await;
    assert_eq!(get_revocations(&drop_box).await.0, 404);
    // A list signed by another key than the policy's root is refused at start.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("revocations.json");
    let stranger = common::Authority::new();
    write_list(&stranger, 1, &file);
    let error = selfreport_endpoint::dropbox::DropBox::new(
        &drop_box.envelope,
        drop_box.authority.receipt_key(),
        drop_box.db.database(),
    )
    .unwrap()
    .with_revocations(&file)
    .err()
    .unwrap();
    assert!(matches!(error, DropBoxError::Revocations { .. }), "{error}");
    assert_eq!((error.code(), error.exit_code()), ("Revocations", 3));
}

on_both_backends!(
    relays_the_latest_list_and_never_an_older_one,
    relays_nothing_without_a_list_and_refuses_another_roots
);
