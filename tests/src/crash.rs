//! The crash suite's child process, and what it tells the test.
//!
//! The child (`selfreport-crash-child`, `src/bin/crash_child.rs`) opens a store made by
//! the CLI (the test passphrase, trust anchors from `<store>/trust-anchors.json`) and,
//! until it is killed, saves a daily report for a random recent day and a random one of
//! its profiles (amending the day's report while it is unsent, adding a revision after it
//! was sent) and, two times in three, syncs to the drop box. The [`Scenario`] says which
//! policy: the daily-report policy without tokens, or the traveler policy with upload
//! tokens, where each sync first tops up the enrolled profiles' tokens (issuance) and each
//! upload spends one. It writes one [`ChildLine`] to stdout, flushed, before
//! and after each step; a `saved` line is written only after the save call returned, so
//! the test knows which saves the store must keep.
//!
//! Each save carries a [`Tag`] (run, step) in its notes, so the test can tell which save
//! a stored record holds. Randomness comes from [`Rng`], seeded by the test, so a failing
//! run can be repeated (the kill times still vary with the machine's speed).

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use selfreport_core::crypto::PassphraseKeySource;
use selfreport_core::model::{Answers, FieldValue, ProfileId, Record};
use selfreport_core::policy::TrustAnchors;
use selfreport_core::sync::retry::RetryPolicy;
use selfreport_core::sync::transport::TransportConfig;
use selfreport_core::sync::{CancelToken, SyncOptions};
use selfreport_core::{Options, SelfReport, SystemClock};
use zeroize::Zeroizing;

use crate::PASSPHRASE;
use crate::canary::Canaries;

/// The daily form, in both scenarios' policies.
pub const FORM: &str = "daily";

/// Which policy the child reports under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// The example daily-report policy (`selfreport.policy/1`, no upload tokens).
    Plain,
    /// The traveler policy as `selfreport.policy/2` with upload tokens: its daily form
    /// needs an enrollment order, and every upload spends a token.
    Tokens,
}

impl Scenario {
    /// The policy id.
    pub fn policy_id(self) -> &'static str {
        match self {
            Scenario::Plain => crate::loopback::DAILY_POLICY_ID,
            Scenario::Tokens => crate::loopback::TOKEN_POLICY_ID,
        }
    }

    /// The answers of one daily report: the form's fields, the notes carrying `notes`.
    /// The traveler policy's daily form asks for no district and no contact (the order
    /// names the district).
    fn answers(self, temperature: &str, symptoms: &str, district: &str, notes: String) -> Answers {
        let answers = Answers::new()
            .text("temperature", temperature)
            .text("symptoms", symptoms)
            .text("notes", notes);
        match self {
            Scenario::Plain => answers
                .text("district", district)
                .text("contact_with_case", "no"),
            Scenario::Tokens => answers,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Scenario::Plain => "plain",
            Scenario::Tokens => "tokens",
        }
    }
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "plain" => Ok(Scenario::Plain),
            "tokens" => Ok(Scenario::Tokens),
            _ => Err(format!("not a scenario: {text:?}")),
        }
    }
}
/// Reports are dated today or up to this many days before.
pub const DAYS_BACK: u64 = 6;

/// SplitMix64: a small seeded generator, the same sequence on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }
}

/// Which save of which run: run number, then step within the run. Orders saves in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag {
    /// The child process (0 for the first).
    pub run: u32,
    /// The save within that run.
    pub step: u32,
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.run, self.step)
    }
}

impl FromStr for Tag {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (run, step) = text
            .split_once('.')
            .ok_or_else(|| format!("not a tag: {text:?}"))?;
        Ok(Self {
            run: run.parse().map_err(|_| format!("not a tag: {text:?}"))?,
            step: step.parse().map_err(|_| format!("not a tag: {text:?}"))?,
        })
    }
}

/// The notes typed with save `tag`: the canary note, then the tag.
pub fn notes_for(canaries: &Canaries, tag: Tag) -> String {
    format!("{} #{tag}", canaries.notes)
}

/// The tag in a record's notes (see [`notes_for`]).
pub fn tag_of(record: &Record) -> Option<Tag> {
    match record.values.get("notes") {
        Some(FieldValue::Text(text)) => text.rsplit_once(" #")?.1.parse().ok(),
        _ => None,
    }
}

/// One line the child writes to stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildLine {
    /// The store is open.
    Opened,
    /// A save is about to be called.
    Saving(Tag),
    /// The save returned: the record's id, revision and whether it amended in place.
    Saved {
        /// The save.
        tag: Tag,
        /// The record saved into.
        record_id: String,
        /// Its revision.
        revision: u32,
        /// Whether an unsent record was amended in place.
        amended: bool,
    },
    /// A sync is about to be called.
    Syncing,
    /// The sync returned, with its counts.
    Synced {
        /// Records sealed into the outbox.
        queued: u32,
        /// Delivered with a verified receipt.
        delivered: u32,
        /// To be tried again.
        retry_later: u32,
        /// Refused for good.
        failed: u32,
    },
}

impl fmt::Display for ChildLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChildLine::Opened => write!(f, "opened"),
            ChildLine::Saving(tag) => write!(f, "saving {tag}"),
            ChildLine::Saved {
                tag,
                record_id,
                revision,
                amended,
            } => write!(f, "saved {tag} {record_id} {revision} {amended}"),
            ChildLine::Syncing => write!(f, "syncing"),
            ChildLine::Synced {
                queued,
                delivered,
                retry_later,
                failed,
            } => write!(f, "synced {queued} {delivered} {retry_later} {failed}"),
        }
    }
}

impl FromStr for ChildLine {
    type Err = String;

    fn from_str(line: &str) -> Result<Self, String> {
        let words: Vec<&str> = line.split(' ').collect();
        let number = |text: &str| -> Result<u32, String> {
            text.parse().map_err(|_| format!("bad number in {line:?}"))
        };
        match words.as_slice() {
            ["opened"] => Ok(ChildLine::Opened),
            ["saving", tag] => Ok(ChildLine::Saving(tag.parse()?)),
            ["saved", tag, id, revision, amended] => Ok(ChildLine::Saved {
                tag: tag.parse()?,
                record_id: (*id).to_owned(),
                revision: number(revision)?,
                amended: amended
                    .parse()
                    .map_err(|_| format!("bad flag in {line:?}"))?,
            }),
            ["syncing"] => Ok(ChildLine::Syncing),
            ["synced", queued, delivered, retry_later, failed] => Ok(ChildLine::Synced {
                queued: number(queued)?,
                delivered: number(delivered)?,
                retry_later: number(retry_later)?,
                failed: number(failed)?,
            }),
            _ => Err(format!("not a child line: {line:?}")),
        }
    }
}

/// What the child is told on its command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildConfig {
    /// The store directory (made by `selfreport init`).
    pub store: PathBuf,
    /// The test CA, PEM, trusted beside the WebPKI roots.
    pub ca_pem: PathBuf,
    /// The policy reports are filed under.
    pub scenario: Scenario,
    /// The profiles reports are filed for (each save picks one).
    pub profiles: Vec<String>,
    /// This run's number, the first part of every tag.
    pub run: u32,
    /// Seed of the child's choices.
    pub seed: u64,
}

impl ChildConfig {
    /// The command-line arguments that [`ChildConfig::from_args`] reads back.
    pub fn to_args(&self) -> Vec<String> {
        vec![
            "--store".to_owned(),
            self.store.display().to_string(),
            "--ca".to_owned(),
            self.ca_pem.display().to_string(),
            "--scenario".to_owned(),
            self.scenario.as_str().to_owned(),
            "--profiles".to_owned(),
            self.profiles.join(","),
            "--run".to_owned(),
            self.run.to_string(),
            "--seed".to_owned(),
            self.seed.to_string(),
        ]
    }

    /// Reads the arguments [`ChildConfig::to_args`] wrote.
    pub fn from_args(args: &[String]) -> Result<Self, String> {
        let value = |name: &str| -> Result<&str, String> {
            args.iter()
                .position(|arg| arg == name)
                .and_then(|at| args.get(at + 1))
                .map(String::as_str)
                .ok_or_else(|| format!("missing {name}"))
        };
        Ok(Self {
            store: PathBuf::from(value("--store")?),
            ca_pem: PathBuf::from(value("--ca")?),
            scenario: value("--scenario")?.parse()?,
            profiles: value("--profiles")?.split(',').map(str::to_owned).collect(),
            run: value("--run")?
                .parse()
                .map_err(|_| "bad --run".to_owned())?,
            seed: value("--seed")?
                .parse()
                .map_err(|_| "bad --seed".to_owned())?,
        })
    }
}

/// Opens the store in `dir` as the CLI made it: the test passphrase, the trust anchors of
/// `<dir>/trust-anchors.json`, the system clock.
pub fn open_store(dir: &Path) -> Result<SelfReport, String> {
    let anchors_path = dir.join("trust-anchors.json");
    let anchors = std::fs::read(&anchors_path)
        .map_err(|error| format!("{}: {error}", anchors_path.display()))?;
    let trust_anchors: TrustAnchors = serde_json::from_slice(&anchors)
        .map_err(|error| format!("{}: {error}", anchors_path.display()))?;
    let key_source = PassphraseKeySource::new(Zeroizing::new(PASSPHRASE.to_owned()));
    SelfReport::open(
        dir,
        &key_source,
        Options {
            trust_anchors,
            clock: Arc::new(SystemClock),
        },
    )
    .map_err(|error| format!("open the store: {}: {error}", error.code()))
}

/// Sync settings: the test CA trusted, failed attempts due again at once.
pub fn sync_options(ca_pem: &Path) -> Result<SyncOptions, String> {
    let pem = std::fs::read_to_string(ca_pem)
        .map_err(|error| format!("{}: {error}", ca_pem.display()))?;
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = STANDARD
        .decode(body.trim())
        .map_err(|error| format!("{}: {error}", ca_pem.display()))?;
    Ok(SyncOptions {
        transport: TransportConfig {
            extra_roots: vec![der],
            ..TransportConfig::default()
        },
        retry: RetryPolicy {
            base: Duration::ZERO,
            cap: Duration::ZERO,
        },
    })
}

/// The child's work: save and sync until killed. Returns only on an error, which the
/// test reports (the child must never stop on its own).
pub fn run_child(config: &ChildConfig) -> Result<(), String> {
    let mut rng = Rng::new(config.seed);
    let canaries = Canaries::standard();
    let options = sync_options(&config.ca_pem)?;
    let profiles = config
        .profiles
        .iter()
        .map(|profile| ProfileId::parse(profile).map_err(|error| format!("--profiles: {error}")))
        .collect::<Result<Vec<_>, String>>()?;
    let profile_count = u64::try_from(profiles.len()).unwrap_or(u64::MAX);
    if profiles.is_empty() {
        return Err("--profiles names none".to_owned());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("tokio runtime: {error}"))?;
    let store = open_store(&config.store)?;
    let today = store.today();
    say(&ChildLine::Opened)?;
    for step in 0u32.. {
        let tag = Tag {
            run: config.run,
            step,
        };
        let days_back = i64::try_from(rng.below(DAYS_BACK + 1)).unwrap_or(0);
        let temperature = &canaries.temperatures[usize::try_from(rng.below(3)).unwrap_or(0)];
        let symptoms = if rng.below(2) == 0 { "cough" } else { "" };
        let answers = config.scenario.answers(
            temperature,
            symptoms,
            &canaries.district,
            notes_for(&canaries, tag),
        );
        let profile = profiles
            // One draw only when there is a choice, so a one-profile run repeats its seed.
            .get(if profile_count > 1 {
                usize::try_from(rng.below(profile_count)).unwrap_or(0)
            } else {
                0
            })
            .ok_or_else(|| "no profile".to_owned())?;
        let date = today - chrono::Duration::days(days_back);
        say(&ChildLine::Saving(tag))?;
        let saved = store
            .save_record(
                profile,
                config.scenario.policy_id(),
                FORM,
                Some(date),
                answers,
            )
            .map_err(|error| format!("save {tag}: {}: {error}", error.code()))?;
        say(&ChildLine::Saved {
            tag,
            record_id: saved.id.to_string(),
            revision: saved.revision,
            amended: saved.amended,
        })?;
        if rng.below(3) < 2 {
            say(&ChildLine::Syncing)?;
            let report = runtime
                .block_on(store.sync(&options, &|_| {}, &CancelToken::new()))
                .map_err(|error| format!("sync after {tag}: {}: {error}", error.code()))?;
            say(&ChildLine::Synced {
                queued: report.queued,
                delivered: report.delivered,
                retry_later: report.retry_later,
                failed: report.failed,
            })?;
        }
    }
    Err("the step counter ran out".to_owned())
}

/// Writes one line to stdout and flushes it.
fn say(line: &ChildLine) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|error| format!("stdout: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_lines_read_back_what_they_write() {
        let tag = Tag { run: 12, step: 3 };
        for line in [
            ChildLine::Opened,
            ChildLine::Saving(tag),
            ChildLine::Saved {
                tag,
                record_id: "0123456789abcdef0123456789abcdef".to_owned(),
                revision: 2,
                amended: true,
            },
            ChildLine::Syncing,
            ChildLine::Synced {
                queued: 1,
                delivered: 2,
                retry_later: 3,
                failed: 0,
            },
        ] {
            assert_eq!(line.to_string().parse::<ChildLine>(), Ok(line));
        }
        assert!("saved 1.2".parse::<ChildLine>().is_err());
        assert!("saving x".parse::<ChildLine>().is_err());
    }

    #[test]
    fn tags_order_by_run_then_step() {
        let early: Tag = "2.10".parse().unwrap();
        let late: Tag = "3.0".parse().unwrap();
        assert!(early < late);
        assert_eq!(early.to_string(), "2.10");
    }

    #[test]
    fn config_round_trips_through_arguments() {
        let config = ChildConfig {
            store: PathBuf::from("/tmp/store dir"),
            ca_pem: PathBuf::from("/tmp/ca.pem"),
            scenario: Scenario::Tokens,
            profiles: vec![
                "0123456789abcdef0123456789abcdef".to_owned(),
                "fedcba9876543210fedcba9876543210".to_owned(),
            ],
            run: 7,
            seed: u64::MAX,
        };
        assert_eq!(ChildConfig::from_args(&config.to_args()), Ok(config));
    }

    #[test]
    fn the_generator_is_seeded() {
        let first: Vec<u64> = (0..4).map(|_| Rng::new(42).next_u64()).collect();
        assert!(first.windows(2).all(|pair| pair[0] == pair[1]));
        let mut rng = Rng::new(42);
        let draws: Vec<u64> = (0..1000).map(|_| rng.below(7)).collect();
        assert!(draws.iter().all(|draw| *draw < 7));
        assert!((0..7).all(|value| draws.contains(&value)));
    }
}
