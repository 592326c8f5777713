//! End-to-end tests for selfreport: helpers that drive the real `selfreport`,
//! `selfreport-authority` and `selfreport-endpoint` binaries.
//!
//! The tests in `tests/tests/` run the binaries Cargo built for the workspace (they sit
//! next to the test executable's `deps/` directory), each in its own temporary directory,
//! with the passphrase passed through the environment and a low PBKDF2 iteration count
//! given explicitly on the command line so every test stays fast.
//!
//! The upload tests run everything on 127.0.0.1: certificates made at test time
//! ([`pki`]), the drop box as a child process ([`endpoint`]), a recording and
//! fault-injecting TCP proxy between device and drop box ([`proxy`]), a TLS-terminating
//! front end that injects network and HTTP faults at random ([`fault_proxy`]), and a
//! fixture wiring them together ([`loopback`]).
//!
//! The stress suites share [`canary`] (distinct values typed into every field, searched
//! for in store files, the drop box's database and log, and on the wire) and the crash
//! suite drives [`crash`]'s child process.

pub mod batch_fixture;
pub mod canary;
pub mod crash;
pub mod crash_tokens;
pub mod endpoint;
pub mod fault_proxy;
pub mod loopback;
pub mod pki;
pub mod printed_ledger;
pub mod proxy;
pub mod reply_fixture;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

pub use canary::{canary_patterns, contains, contains_token, find_canaries, find_canaries_in_log};

use chrono::{Duration, Local, NaiveDate};
use tempfile::TempDir;

/// The passphrase every test store is created with.
pub const PASSPHRASE: &str = "correct horse battery staple";

/// The PBKDF2 iteration count tests create stores with: far below the 600,000 default, so
/// each open takes microseconds. Passed explicitly with `--pbkdf2-iterations`.
pub const TEST_PBKDF2_ITERATIONS: &str = "1000";

/// The example daily health report policy, as shipped in `examples/policies/`.
pub const DAILY_REPORT_POLICY: &str = include_str!("../../examples/policies/daily-report.json");

/// The example returning-traveler pre-registration policy, as shipped in `examples/policies/`.
pub const TRAVELER_POLICY: &str =
    include_str!("../../examples/policies/traveler-preregistration.json");

/// Path of one of the workspace's binaries (`selfreport`, `selfreport-authority`).
///
/// Cargo puts integration test executables in `target/<profile>/deps/` and binaries one
/// level up; this looks there. Panics with instructions when the binary was not built, or
/// was built before the last change to the sources it is made from (a stale binary would
/// make the tests pass or fail for the wrong code). That is the right failure for a test
/// helper.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|error| {
        panic!("cannot locate the test executable to find `{name}`: {error}")
    });
    let profile_dir = exe
        .parent()
        .and_then(|deps| {
            if deps.file_name() == Some(OsStr::new("deps")) {
                deps.parent()
            } else {
                Some(deps)
            }
        })
        .unwrap_or_else(|| panic!("unexpected test executable location {}", exe.display()));
    let path = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "binary `{name}` not found at {}; run `cargo build --workspace --bins` first \
         (./scripts/test does)",
        path.display()
    );
    let built = modified(&path);
    // Stale means the binary missed a source change this test executable was built after.
    // A source changed after the test executable itself (someone editing while tests run)
    // is newer than both, and proves nothing about the binary: that is not a failure.
    let tests_built = modified(&exe);
    let dep_info = path.with_extension("d");
    let stale = match built_from(&dep_info) {
        // Cargo's own list of the files the binary was built from: a test-only module
        // (`#[cfg(test)]`) is not among them, since it rebuilds nothing.
        Some(sources) => newest_of(sources, |time| {
            tests_built.is_none_or(|limit| time <= limit)
        }),
        None => newest_source_before(name, tests_built),
    };
    if let Some((source, changed)) = stale {
        assert!(
            built.is_some_and(|built| built >= changed),
            "binary `{name}` at {} is older than {}; run `cargo build --workspace --bins` \
             first (./scripts/test does)",
            path.display(),
            source.display()
        );
    }
    path
}

/// The newest source of binary `name` changed no later than `limit` (when the running
/// test executable was built; `None`: every source counts).
fn newest_source_before(name: &str, limit: Option<SystemTime>) -> Option<(PathBuf, SystemTime)> {
    newest_source(name, |time| limit.is_none_or(|limit| time <= limit))
}

/// The workspace's source files listed in cargo's dep-info file at `path` (the `.d` beside
/// a binary): what the binary was last built from. `None` without a readable one.
fn built_from(path: &Path) -> Option<Vec<PathBuf>> {
    let text = fs::read_to_string(path).ok()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    let (_, sources) = text.lines().next()?.split_once(": ")?;
    Some(
        sources
            .split_whitespace()
            .map(PathBuf::from)
            .filter(|source| source.starts_with(root))
            .collect(),
    )
}

/// The most recently modified of `paths`, with its time, among those whose time `counts`.
fn newest_of(
    paths: Vec<PathBuf>,
    counts: impl Fn(SystemTime) -> bool,
) -> Option<(PathBuf, SystemTime)> {
    let mut newest: Option<(PathBuf, SystemTime)> = None;
    for candidate in paths {
        if let Some(time) = modified(&candidate).filter(|time| counts(*time)) {
            if newest.as_ref().is_none_or(|(_, best)| time > *best) {
                newest = Some((candidate, time));
            }
        }
    }
    newest
}

/// The most recently modified source file binary `name` is built from, with its time,
/// among those whose time `counts`: without cargo's dep-info, every source of the crates
/// it links.
fn newest_source(name: &str, counts: impl Fn(SystemTime) -> bool) -> Option<(PathBuf, SystemTime)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    let crates = source_crates(name);
    let mut newest: Option<(PathBuf, SystemTime)> = None;
    for crate_dir in crates {
        let dir = root.join(crate_dir);
        // Sources only: a manifest edit that changes nothing cargo resolves rebuilds
        // nothing, and one that does change something makes cargo rebuild anyway.
        let mut candidates = Vec::new();
        collect_paths(&dir.join("src"), &mut candidates);
        // Another binary's source rebuilds that binary, not this one.
        candidates.retain(|candidate| is_source_of(name, &dir, candidate));
        if let Some(found) = newest_of(candidates, &counts) {
            if newest.as_ref().is_none_or(|(_, best)| found.1 > *best) {
                newest = Some(found);
            }
        }
    }
    newest
}

/// The workspace crates binary `name` is built from: its own and the libraries it links.
fn source_crates(name: &str) -> &'static [&'static str] {
    match name {
        "selfreport" => &["cli", "endpoint", "core"],
        // The tests crate's own binaries build from it and the core (the drop box is only
        // its tests' dev-dependency, so its changes do not rebuild them).
        "selfreport-fixture" | "selfreport-crash-child" => &["tests", "core"],
        _ => &["endpoint", "core"],
    }
}

/// Whether `path`, a source of the crate in `crate_dir`, builds binary `name`: a library
/// source does, a file under `src/bin/` only when it is that binary's own
/// (`src/bin/authority.rs` for `selfreport-authority`, `src/bin/selfreport-fixture.rs`).
fn is_source_of(name: &str, crate_dir: &Path, path: &Path) -> bool {
    let Ok(inside) = path.strip_prefix(crate_dir.join("src").join("bin")) else {
        return true;
    };
    let own = inside
        .components()
        .next()
        .and_then(|first| Path::new(first.as_os_str()).file_stem())
        .and_then(|stem| stem.to_str());
    own.map(|own| own.replace('_', "-"))
        .is_some_and(|own| own == name || Some(own.as_str()) == name.strip_prefix("selfreport-"))
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .ok()
}

fn collect_paths(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_paths(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// What a finished command left behind.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The exit code (`-1` if the process was killed by a signal).
    pub code: i32,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
}

impl Outcome {
    /// Asserts the command exited 0, showing its output otherwise; returns stdout.
    #[track_caller]
    pub fn success(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        &self.stdout
    }

    /// Asserts the command failed with `code`, wrote exactly one line to stderr and that
    /// line starts with `error[<error_code>]: `; returns that line.
    #[track_caller]
    pub fn failure(&self, code: i32, error_code: &str) -> &str {
        assert_eq!(
            self.code, code,
            "expected exit code {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        let line = self.stderr.trim_end_matches('\n');
        assert!(
            !line.contains('\n'),
            "expected one line on stderr, got:\n{}",
            self.stderr
        );
        let prefix = format!("error[{error_code}]: ");
        assert!(
            line.starts_with(&prefix),
            "expected stderr to start with `{prefix}`, got:\n{line}"
        );
        line
    }

    /// Stdout parsed as JSON; panics with the output when it is not.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.success())
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}):\n{}", self.stdout))
    }

    /// Stdout as one trimmed line; panics when it holds more than one line.
    #[track_caller]
    pub fn single_line(&self) -> String {
        let out = self.success().trim();
        assert!(
            !out.is_empty() && !out.contains('\n'),
            "expected one line on stdout, got:\n{}",
            self.stdout
        );
        out.to_owned()
    }
}

/// Runs `program` with `args` and `envs` (added to a cleaned environment), stdin closed.
///
/// Every `SELFREPORT_*` variable of the calling environment is removed first, so a
/// developer's own passphrase can never leak into a test, and so are the locale variables
/// (`LC_ALL`, `LC_MESSAGES`, `LANG`), so human output is English unless `envs` asks for
/// another language.
pub fn run<I, S>(program: &Path, args: I, envs: &[(&str, &str)], cwd: &Path) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_with_input(program, args, envs, cwd, None)
}

/// [`run`], with `input` written to the program's stdin (then closed) when given.
pub fn run_with_input<I, S>(
    program: &Path,
    args: I,
    envs: &[(&str, &str)],
    cwd: &Path,
    input: Option<&[u8]>,
) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(cwd)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        if name_text.starts_with("SELFREPORT_")
            || ["LC_ALL", "LC_MESSAGES", "LANG"].contains(&name_text.as_ref())
        {
            command.env_remove(name);
        }
    }
    command.envs(envs.iter().copied());
    let mut child = command
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", program.display()));
    if let Some(input) = input {
        use std::io::Write as _;
        let mut stdin = child
            .stdin
            .take()
            .unwrap_or_else(|| panic!("no stdin pipe"));
        // A program that exits before reading all of it closes the pipe: not a failure
        // of the test's making, so a broken pipe is ignored.
        let _ = stdin.write_all(input);
    }
    let output = child
        .wait_with_output()
        .unwrap_or_else(|error| panic!("cannot wait for {}: {error}", program.display()));
    Outcome {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A scratch directory with a store path, an authority key and helpers to run commands.
pub struct Workspace {
    dir: TempDir,
    selfreport: PathBuf,
    authority: PathBuf,
}

impl Workspace {
    /// A fresh temporary directory; nothing is created in it yet.
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}")),
            selfreport: binary("selfreport"),
            authority: binary("selfreport-authority"),
        }
    }

    /// The scratch directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The store directory commands use (`<scratch>/store`).
    pub fn store(&self) -> PathBuf {
        self.path().join("store")
    }

    /// The authority's key directory (`<scratch>/authority`).
    pub fn authority_dir(&self) -> PathBuf {
        self.path().join("authority")
    }

    /// Runs `selfreport --store <store> --pbkdf2-iterations 1000 ARGS` with `passphrase`
    /// in `SELFREPORT_PASSPHRASE` (or no passphrase at all when `None`) and `extra_env`.
    pub fn selfreport_with(
        &self,
        args: &[&str],
        passphrase: Option<&str>,
        extra_env: &[(&str, &str)],
    ) -> Outcome {
        let store = self.store();
        let store = store.to_string_lossy();
        let mut full: Vec<&str> = vec![
            "--store",
            &store,
            "--pbkdf2-iterations",
            TEST_PBKDF2_ITERATIONS,
        ];
        full.extend_from_slice(args);
        let mut envs: Vec<(&str, &str)> = extra_env.to_vec();
        if let Some(passphrase) = passphrase {
            envs.push(("SELFREPORT_PASSPHRASE", passphrase));
        }
        run(&self.selfreport, &full, &envs, self.path())
    }

    /// Runs `selfreport` with the test passphrase.
    pub fn selfreport(&self, args: &[&str]) -> Outcome {
        self.selfreport_with(args, Some(PASSPHRASE), &[])
    }

    /// Runs `selfreport` with the test passphrase, `extra_env`, and `input` on its stdin.
    pub fn selfreport_input(
        &self,
        args: &[&str],
        extra_env: &[(&str, &str)],
        input: &str,
    ) -> Outcome {
        let store = self.store();
        let store = store.to_string_lossy();
        let mut full: Vec<&str> = vec![
            "--store",
            &store,
            "--pbkdf2-iterations",
            TEST_PBKDF2_ITERATIONS,
        ];
        full.extend_from_slice(args);
        let mut envs: Vec<(&str, &str)> = extra_env.to_vec();
        envs.push(("SELFREPORT_PASSPHRASE", PASSPHRASE));
        run_with_input(
            &self.selfreport,
            &full,
            &envs,
            self.path(),
            Some(input.as_bytes()),
        )
    }

    /// Runs `selfreport` with exactly `args`: no `--store`, no iteration count, no
    /// passphrase. For usage errors and `--help`.
    pub fn selfreport_raw(&self, args: &[&str]) -> Outcome {
        run(&self.selfreport, args, &[], self.path())
    }

    /// Runs `selfreport-authority ARGS`.
    pub fn authority(&self, args: &[&str]) -> Outcome {
        run(&self.authority, args, &[], self.path())
    }

    /// Makes the authority's signing key with `selfreport-authority keygen`; returns the
    /// path of its `signing.pub`.
    pub fn authority_keygen(&self) -> PathBuf {
        let dir = self.authority_dir();
        self.authority(&["keygen", "--out", &dir.to_string_lossy()])
            .success();
        let public = dir.join("signing.pub");
        assert!(public.is_file(), "keygen wrote no {}", public.display());
        public
    }

    /// Signs `policy_json` with the authority key (made by [`Workspace::authority_keygen`]);
    /// returns the path of the signed envelope.
    pub fn sign_policy(&self, name: &str, policy_json: &str) -> PathBuf {
        let unsigned = self.path().join(format!("{name}.json"));
        let signed = self.path().join(format!("{name}.signed.json"));
        write(&unsigned, policy_json.as_bytes());
        let key = self.authority_dir().join("signing.key");
        self.authority(&[
            "sign-policy",
            "--key",
            &key.to_string_lossy(),
            "--in",
            &unsigned.to_string_lossy(),
            "--out",
            &signed.to_string_lossy(),
        ])
        .success();
        signed
    }

    /// The common start of a session: authority key, `init --trust`, and both example
    /// policies (valid around today, see [`current_policy`]) signed and installed.
    pub fn initialized_with_policies(&self) -> &Self {
        let public = self.authority_keygen();
        self.selfreport(&["init", "--trust", &public.to_string_lossy()])
            .success();
        for (name, policy) in [
            ("daily-report", DAILY_REPORT_POLICY),
            ("traveler", TRAVELER_POLICY),
        ] {
            let signed = self.sign_policy(name, &current_policy(policy));
            self.selfreport(&["policy", "install", &signed.to_string_lossy()])
                .success();
        }
        self
    }

    /// Every regular file under the store directory, recursively, with its bytes.
    pub fn store_snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        collect_files(&self.store(), &mut files)
            .unwrap_or_else(|error| panic!("cannot read the store directory: {error}"));
        files
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

fn collect_files(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) -> io::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else {
            let bytes = fs::read(&path)?;
            out.insert(path, bytes);
        }
    }
    Ok(())
}

/// Writes `bytes` to `path`, panicking with the path on failure.
pub fn write(path: &Path, bytes: &[u8]) {
    fs::write(path, bytes).unwrap_or_else(|error| panic!("write {}: {error}", path.display()));
}

/// The person's local date as the binaries see it (they use the system clock).
pub fn today() -> NaiveDate {
    Local::now().date_naive()
}

/// `today()` moved by `days` (negative for the past), as `YYYY-MM-DD`.
pub fn day(days: i64) -> String {
    (today() + Duration::days(days)).to_string()
}

/// An example policy with its validity window moved to surround today (from 30 days ago
/// to 180 days ahead), so the tests pass whatever the date: the shipped examples are only
/// valid for one season, and install refuses a policy outside its window.
pub fn current_policy(policy_json: &str) -> String {
    let mut policy: serde_json::Value = serde_json::from_str(policy_json)
        .unwrap_or_else(|error| panic!("example policy is not JSON: {error}"));
    policy["valid_from"] = day(-30).into();
    policy["valid_until"] = day(180).into();
    serde_json::to_string_pretty(&policy)
        .unwrap_or_else(|error| panic!("cannot serialize policy: {error}"))
}

/// The example traveler policy (valid around today) as `selfreport.policy/2`, its daily
/// form open only to people a collector's enrollment order enrolls (issue 14) and its
/// pre-registration open to anyone.
pub fn enrollment_policy() -> String {
    let mut policy: serde_json::Value = serde_json::from_str(&current_policy(TRAVELER_POLICY))
        .unwrap_or_else(|error| panic!("example policy is not JSON: {error}"));
    policy["format"] = "selfreport.policy/2".into();
    policy["region"] = serde_json::json!(["310000"]);
    policy["recipients"]["health"]["role"] = "health".into();
    policy["recipients"]["identity"]["role"] = "identity".into();
    if let Some(forms) = policy["forms"].as_array_mut() {
        for form in forms {
            let required = form["id"] == "daily";
            form["enrollment"] = if required { "required" } else { "open" }.into();
        }
    }
    selfreport_core::policy::declare_minimum_padded_sizes(&mut policy)
        .unwrap_or_else(|error| panic!("padded sizes: {error}"));
    serde_json::to_string_pretty(&policy)
        .unwrap_or_else(|error| panic!("cannot serialize policy: {error}"))
}

/// A GB 11643 resident ID: `body` (17 digits) followed by its ISO 7064 MOD 11-2 check
/// character. Computed here independently of the core, so a bug there cannot hide.
pub fn resident_id(body: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    assert!(
        body.len() == 17 && body.bytes().all(|b| b.is_ascii_digit()),
        "resident ID body must be 17 digits: {body}"
    );
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize];
    format!("{body}{}", char::from(check))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_id_check_characters_match_known_numbers() {
        // The GB 11643 standard's own example, whose check character is X.
        assert_eq!(resident_id("11010519491231002"), "11010519491231002X");
        assert_eq!(resident_id("31010419900315242"), "310104199003152427");
    }

    #[test]
    fn current_policy_surrounds_today() {
        let policy: serde_json::Value =
            serde_json::from_str(&current_policy(DAILY_REPORT_POLICY)).unwrap();
        assert_eq!(policy["valid_from"], day(-30));
        assert_eq!(policy["valid_until"], day(180));
        assert_eq!(policy["id"], "sh-daily-health");
    }

    #[test]
    fn sources_changed_after_the_tests_were_built_do_not_count() {
        let (newest, changed) = newest_source_before("selfreport", None).unwrap();
        assert!(newest.starts_with(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()));
        // A limit at that time keeps it; one just before it leaves an older source (or none).
        assert_eq!(
            newest_source_before("selfreport", Some(changed)).map(|(path, _)| path),
            Some(newest.clone())
        );
        let before = changed - std::time::Duration::from_nanos(1);
        if let Some((older, time)) = newest_source_before("selfreport", Some(before)) {
            assert!(time <= before && older != newest);
        }
    }
}

#[cfg(test)]
mod stale_binary_tests {
    use std::path::Path;

    use super::{is_source_of, source_crates};

    #[test]
    fn a_binary_is_built_from_the_crates_it_links_only() {
        // The tests crate's binaries do not link the drop box (a dev-dependency): its
        // changes do not rebuild them, so they cannot make them stale.
        assert_eq!(source_crates("selfreport-fixture"), ["tests", "core"]);
        assert_eq!(source_crates("selfreport"), ["cli", "endpoint", "core"]);
        assert_eq!(source_crates("selfreport-endpoint"), ["endpoint", "core"]);
    }

    #[test]
    fn a_dep_info_file_names_the_workspace_sources_a_binary_was_built_from() {
        let dir = tempfile::tempdir().unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let lib = root.join("core/src/lib.rs");
        let dep_info = dir.path().join("selfreport-fixture.d");
        std::fs::write(
            &dep_info,
            format!(
                "{}: {} /usr/lib/rustlib/src/std.rs\n\n{}:\n",
                dir.path().join("selfreport-fixture").display(),
                lib.display(),
                lib.display()
            ),
        )
        .unwrap();
        assert_eq!(super::built_from(&dep_info), Some(vec![lib]));
        assert_eq!(super::built_from(&dir.path().join("missing.d")), None);
    }

    #[test]
    fn only_a_binarys_own_file_under_src_bin_builds_it() {
        let endpoint = Path::new("/w/endpoint");
        let authority = endpoint.join("src/bin/authority.rs");
        assert!(is_source_of("selfreport-authority", endpoint, &authority));
        assert!(!is_source_of("selfreport-endpoint", endpoint, &authority));
        assert!(!is_source_of("selfreport-fixture", endpoint, &authority));
        // Library sources build every binary that links the library.
        assert!(is_source_of(
            "selfreport-fixture",
            endpoint,
            &endpoint.join("src/open/mod.rs")
        ));
        let tests = Path::new("/w/tests");
        assert!(is_source_of(
            "selfreport-crash-child",
            tests,
            &tests.join("src/bin/crash_child.rs")
        ));
        assert!(is_source_of(
            "selfreport-fixture",
            tests,
            &tests.join("src/bin/selfreport-fixture.rs")
        ));
        assert!(!is_source_of(
            "selfreport-fixture",
            tests,
            &tests.join("src/bin/crash_child.rs")
        ));
    }
}
