//! What the facade's Rust tests share: the fixture `selfreport-fixture` makes (keys, test
//! PKI, a signed policy pointed at a loopback drop box), the real drop box, a store with
//! many records ready to send, and a way to await the facade's futures.

#![allow(dead_code)] // each test file uses its own part of the support

use std::collections::HashMap;
use std::future::Future;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use chrono::Duration;
use selfreport_ffi::types::{MonitoringReason, NewProfile, OpenOptions, TrustAnchor};
use selfreport_ffi::{SelfReport, passphrase_key_source};
use serde_json::Value;
use tempfile::TempDir;

/// The fixture's files and what `fixture.json` says about them.
pub struct Fixture {
    pub dir: TempDir,
    pub json: Value,
}

impl Fixture {
    /// Runs `selfreport-fixture --out DIR` into a new temporary directory.
    pub fn make() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let status = Command::new(selfreport_tests::binary("selfreport-fixture"))
            .arg("--out")
            .arg(dir.path())
            .stdout(Stdio::null())
            .status()
            .expect("selfreport-fixture runs");
        assert!(status.success(), "selfreport-fixture failed");
        let text = std::fs::read_to_string(dir.path().join("fixture.json")).expect("fixture.json");
        let json = serde_json::from_str(&text).expect("fixture.json is JSON");
        Self { dir, json }
    }

    fn text(&self, key: &str) -> &str {
        self.json[key].as_str().expect("a string in fixture.json")
    }

    /// The bytes of the file `fixture.json` names under `key`.
    pub fn file(&self, key: &str) -> Vec<u8> {
        std::fs::read(self.text(key)).expect("a fixture file")
    }

    /// Options trusting the fixture's authority key and its test CA.
    pub fn options(&self) -> OpenOptions {
        OpenOptions {
            trust_anchors: vec![TrustAnchor {
                public_key: self.text("trust_anchor").to_owned(),
                not_before: None,
                not_after: None,
            }],
            extra_roots_der: vec![self.file("ca_der")],
            bindings_version: selfreport_ffi::LIBRARY_VERSION.to_owned(),
        }
    }

    /// The signed daily-report policy.
    pub fn signed_policy(&self) -> Vec<u8> {
        self.file("signed_policy")
    }

    /// Valid answers to the daily form.
    pub fn answers(&self) -> HashMap<String, String> {
        self.json["answers"]
            .as_object()
            .expect("answers")
            .iter()
            .map(|(field, value)| (field.clone(), value.as_str().unwrap_or("").to_owned()))
            .collect()
    }

    /// Starts the drop box the policy sends to; it is killed when the guard drops.
    pub fn start_drop_box(&self) -> DropBox {
        let command: Vec<String> = self.json["endpoint_command"]
            .as_array()
            .expect("endpoint_command")
            .iter()
            .map(|part| part.as_str().expect("a command word").to_owned())
            .collect();
        let mut child = Command::new(&command[0])
            .args(&command[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the drop box starts");
        let stdout = child.stdout.take().expect("its stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the drop box's first line");
        assert!(
            line.contains("listening on"),
            "the drop box did not start: {line}"
        );
        DropBox(child)
    }
}

/// The running drop box.
pub struct DropBox(Child);

impl Drop for DropBox {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Awaits `future` on a single-thread executor running on the calling thread, as an app's
/// event loop would.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a single-thread runtime")
        .block_on(future)
}

/// A store in `dir` with the fixture's policy installed and consented, and `profiles`
/// monitored household members who each saved a daily report on each of `days` days: as
/// many submissions as `profiles * days` to send.
pub fn store_with_records(
    dir: &Path,
    fixture: &Fixture,
    profiles: usize,
    days: i64,
) -> Arc<SelfReport> {
    let key = passphrase_key_source("correct horse battery staple".to_owned(), 1000);
    let core = block_on(SelfReport::open(store_dir(dir), key, fixture.options())).expect("open");
    let policy = core
        .install_policy(fixture.signed_policy())
        .expect("install");
    core.grant_consent(policy.id.clone()).expect("consent");
    let today = core.today().expect("today");
    let first = today - Duration::days(days - 1);
    for member in 0..profiles {
        let profile = core
            .add_profile(NewProfile {
                display_name: format!("member {member}"),
                name: Some("王芳".to_owned()),
                id_number: None,
                phone: None,
                birth_date: None,
                passport_number: None,
            })
            .expect("profile");
        core.start_monitoring(
            profile.clone(),
            policy.id.clone(),
            Some(first),
            MonitoringReason::SelfReported,
        )
        .expect("monitoring");
        for day in 0..days {
            let date = first + Duration::days(day);
            core.save_record(
                profile.clone(),
                policy.id.clone(),
                "daily".to_owned(),
                Some(date),
                fixture.answers(),
            )
            .expect("save");
        }
    }
    core
}

/// Where [`store_with_records`] keeps the store under `dir`.
pub fn store_dir(dir: &Path) -> String {
    dir.join("store").to_string_lossy().into_owned()
}

/// The regular files under `dir` (none after an erase).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect()
}
