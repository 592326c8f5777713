//! Crash suite: a process saving and syncing reports is killed with SIGKILL at random
//! moments, and after every kill the store and the drop box are checked.
//!
//! A real drop box (`selfreport-endpoint serve`) runs on loopback HTTPS behind the
//! recording proxy ([`Loopback`]); the store is made by the CLI with the example
//! daily-report policy, a profile typed with every canary, and consent. Then, run after
//! run, `selfreport-crash-child` ([`selfreport_tests::crash`]) opens the store and saves
//! and syncs until the test kills it (`Child::kill`, SIGKILL on unix) after a random
//! delay. After each kill:
//!
//! - `PRAGMA integrity_check` is `ok` on the store database (opened read-only, by
//!   Python's SQLite: the one the store ships is built without the check);
//! - every save the child acknowledged is present, holding that save or a later one, and
//!   no record holds a save the child never started; no row is damaged;
//! - records, outbox and ledger agree: a record is saved, queued or sent exactly as its
//!   outbox item is absent, pending or delivered; no record has two outbox items; no
//!   item failed;
//! - every submission the drop box holds is in the outbox, delivered with a ledger entry
//!   or still pending, with the very bytes the outbox holds; every delivery in the ledger
//!   is at the drop box with the body it receipted; nothing is stored twice (no two
//!   ledger entries for one submission, no two drop box rows with one body);
//! - the ledger's hash chain and every receipt verify.
//!
//! Kills come in rounds of up to 100 on a fresh store and drop box. At the end of a round
//! a last sync delivers everything pending, the authority opens every stored submission
//! without a flag, and the canaries are searched for in the store files, the drop box's
//! database and log, both directions of the wire and the children's stderr. A second
//! test damages a store the way a torn write would and shows the checks notice.
//!
//! **With upload tokens** (issue 14), a second suite runs the same rounds under the
//! traveler policy as `selfreport.policy/2` with an `enrolled` token issuer key; the drop
//! box serves with `--token-key` and `--trust`, and the profile is enrolled with an order
//! the collector signs (`selfreport-authority enroll`, then `selfreport enroll`). Each
//! order brings few tokens (14), so as they run low the test enrolls another household
//! member with an order of their own, and the child reports for any of them: most runs
//! begin with a sync that fetches an order's tokens, and the kills (up to 1 s, to reach
//! past the blinding) land before, during and after issuance and while tokens are spent.
//! After each kill, in addition ([`selfreport_tests::crash_tokens`], reading the sealed
//! pool and outbox through the core's `Store`):
//!
//! - every message the drop box signed (its issuance rows) is a token the device holds
//!   in its pool or in exactly one outbox item, or a request it still holds pending (the
//!   reply was lost; the next sync asks again with the same messages): no token lost;
//! - no token is in two items or both pooled and held; every spent token paid for the
//!   bytes of the one item holding it, and every delivered item's token is spent: none
//!   spent twice;
//! - every stored submission was paid by exactly one token the drop box verified, and no
//!   enrollment was issued past its allowance.
//!
//! At the end of a round every submission the drop box stored while the device had not
//! recorded the reply (a lost reply) is delivered: resent with the same token (the
//! accounting would find a second spent token) and answered with the receipt the drop
//! box kept (the ledger's receipt is the stored submission's). A guard test shows the
//! accounting catches a token lost from the pool and a spent token back in it.
//!
//! Size: `SELFREPORT_CRASH_ITERATIONS` kills (default 50, what CI runs) and
//! `SELFREPORT_CRASH_TOKEN_ITERATIONS` with tokens (default 40); seed:
//! `SELFREPORT_CRASH_SEED` (printed; default from the clock). The long runs (figures in
//! `docs/testing.md`):
//!
//! ```text
//! cargo build --workspace --bins && \
//!   SELFREPORT_CRASH_ITERATIONS=1000 cargo test -p selfreport-tests --test crash -- --nocapture
//! SELFREPORT_CRASH_TOKEN_ITERATIONS=200 cargo test -p selfreport-tests --test crash \
//!   -- kill_9_during --nocapture
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rusqlite::{Connection, OpenFlags};
use selfreport_core::ledger::LedgerEvent;
use selfreport_core::store::{OutboxItemState, OutboxState};
use selfreport_core::sync::CancelToken;
use selfreport_tests::crash::{
    ChildConfig, ChildLine, Rng, Scenario, Tag, open_store, sync_options, tag_of,
};
use selfreport_tests::loopback::Loopback;

#[path = "crash/canaries.rs"]
mod canaries;
#[path = "crash/child.rs"]
mod child;
#[path = "crash/tokens.rs"]
mod tokens;

use canaries::scan_for_canaries;
use child::{RunningChild, phase};
use tokens::{ORDER_PER_DAY, TokenFigures, check_token_accounting, grow_household};

/// Kills in all unless `SELFREPORT_CRASH_ITERATIONS` says otherwise.
const DEFAULT_ITERATIONS: u32 = 50;

/// Kills of the round with upload tokens unless `SELFREPORT_CRASH_TOKEN_ITERATIONS` says
/// otherwise.
const DEFAULT_TOKEN_ITERATIONS: u32 = 40;

/// Kills on one store and drop box. A longer run is several rounds, each on a fresh
/// store and drop box, so the per-kill check (which reads everything) and the final
/// opening of every submission stay linear in the number of kills.
const KILLS_PER_ROUND: u32 = 100;

/// Longest delay between starting the child and killing it. The child opens the store in
/// a few milliseconds, then saves and syncs about every ten milliseconds (debug build).
const MAX_KILL_DELAY_MS: u64 = 300;

/// The same with upload tokens. A run usually starts with an issuance (a member just
/// enrolled): in a debug build on two cores, blinding an order's 14 requests takes about
/// 0.3 s, the drop box's signing and reply about 0.1 s, then the child saves and syncs
/// about every 50 ms; kills up to this late land before, during and after the exchange.
const MAX_TOKEN_KILL_DELAY_MS: u64 = 1000;

/// One kill in this many comes within [`EARLY_KILL_MS`] of the start, while the child
/// opens the store or makes its first save.
const EARLY_KILL_ONE_IN: u64 = 5;

/// See [`EARLY_KILL_ONE_IN`].
const EARLY_KILL_MS: u64 = 15;

#[test]
fn kill_9_at_random_moments_loses_nothing_and_sends_nothing_twice() {
    run_suite(
        Scenario::Plain,
        "SELFREPORT_CRASH_ITERATIONS",
        DEFAULT_ITERATIONS,
    );
}

#[test]
fn kill_9_during_token_issuance_and_spending_loses_no_token_and_spends_none_twice() {
    run_suite(
        Scenario::Tokens,
        "SELFREPORT_CRASH_TOKEN_ITERATIONS",
        DEFAULT_TOKEN_ITERATIONS,
    );
}

/// Kills in rounds under `scenario`: `iterations` (or the number in the environment
/// variable `kills_variable`) in all.
fn run_suite(scenario: Scenario, kills_variable: &str, default_iterations: u32) {
    let iterations: u32 = env_number(kills_variable)
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
        .unwrap_or(default_iterations);
    let seed = env_number("SELFREPORT_CRASH_SEED").unwrap_or_else(clock_seed);
    println!(
        "crash suite ({scenario:?}): {iterations} kills, seed {seed} (repeat with \
         SELFREPORT_CRASH_SEED={seed})"
    );
    let started = Instant::now();
    let mut rng = Rng::new(seed);
    let mut total = Figures::default();
    let mut run = 0;
    while run < iterations {
        let kills = KILLS_PER_ROUND.min(iterations - run);
        let figures = round(&mut rng, run, kills, seed, scenario);
        println!(
            "crash suite ({scenario:?}): round of runs {run}..{}: {figures}",
            run + kills
        );
        total.add(&figures);
        run += kills;
    }
    assert_eq!(total.kills, iterations);
    println!(
        "crash suite ({scenario:?}): {} kills survived in {:.1} s, seed {seed}: {total}",
        total.kills,
        started.elapsed().as_secs_f64()
    );
}

/// What a round did.
#[derive(Default)]
struct Figures {
    kills: u32,
    /// Kills by what the child was doing (see [`phase`]).
    phases: BTreeMap<&'static str, u32>,
    /// Saves acknowledged, and how many of them amended an unsent record in place.
    saves: usize,
    amended: usize,
    /// Kills after which the drop box held a submission still pending in the outbox: this
    /// or an earlier kill came between the drop box's commit and the device's record of
    /// the receipt, so the next sync sends it again.
    stored_but_pending: u32,
    records: usize,
    submissions: usize,
    delivered_by_last_sync: u32,
    /// With tokens: what the token checks saw.
    tokens: TokenFigures,
}

impl Figures {
    fn add(&mut self, other: &Figures) {
        self.kills += other.kills;
        for (phase, count) in &other.phases {
            *self.phases.entry(phase).or_default() += count;
        }
        self.saves += other.saves;
        self.amended += other.amended;
        self.stored_but_pending += other.stored_but_pending;
        self.records += other.records;
        self.submissions += other.submissions;
        self.delivered_by_last_sync += other.delivered_by_last_sync;
        self.tokens.add(&other.tokens);
    }
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} kills (while {:?}); {} saves acknowledged ({} amended in place), {} records; \
             after {} kills the drop box held a submission the device had not yet recorded \
             delivered; {} submissions at the drop box, {} delivered by the last syncs",
            self.kills,
            self.phases,
            self.saves,
            self.amended,
            self.records,
            self.stored_but_pending,
            self.submissions,
            self.delivered_by_last_sync
        )?;
        let tokens = &self.tokens;
        if tokens.orders > 0 {
            write!(
                f,
                "; tokens: {} orders, {} tokens issued, {} kills during issuance ({} after the \
                 drop box had signed), {} submissions resent after a lost reply with their \
                 token and answered with the kept receipt",
                tokens.orders,
                tokens.issued,
                tokens.pending_issuance,
                tokens.signed_not_finished,
                tokens.resent_after_lost_reply
            )?;
        }
        Ok(())
    }
}

/// One round: a fresh store and drop box, `kills` children killed and checked, then the
/// last sync, the authority's opening and the canary scan.
fn round(rng: &mut Rng, first_run: u32, kills: u32, seed: u64, scenario: Scenario) -> Figures {
    let net = match scenario {
        Scenario::Plain => Loopback::start(),
        Scenario::Tokens => Loopback::start_with_tokens(),
    };
    net.grant_consent();
    let mut household = vec![net.profile.clone()];
    if scenario == Scenario::Tokens {
        net.enroll(&net.profile, ORDER_PER_DAY);
    }
    // Submissions the drop box stored while the device had not recorded the reply.
    let mut lost_replies = BTreeSet::new();
    let mut history = History::default();
    let mut figures = Figures {
        kills,
        ..Figures::default()
    };
    let mut child_logs = String::new();
    for run in first_run..first_run + kills {
        let config = ChildConfig {
            store: net.ws.store(),
            ca_pem: net.pki.ca.clone(),
            scenario,
            profiles: household.clone(),
            run,
            seed: rng.next_u64(),
        };
        let longest = if rng.below(EARLY_KILL_ONE_IN) == 0 {
            EARLY_KILL_MS
        } else if scenario == Scenario::Tokens {
            MAX_TOKEN_KILL_DELAY_MS
        } else {
            MAX_KILL_DELAY_MS
        };
        let delay = Duration::from_millis(rng.below(longest + 1));
        let mut child = RunningChild::start(&config);
        std::thread::sleep(delay);
        let killed = child.kill();
        let (lines, stderr) = child.finish();
        child_logs.push_str(&stderr);
        let context = format!("seed {seed}, run {run}, killed after {delay:?}");
        assert!(
            killed,
            "the child stopped on its own ({context}); stderr:\n{stderr}"
        );
        *figures.phases.entry(phase(&lines)).or_default() += 1;
        history.add(run, &lines);
        let counts = check(&net, &history, &context);
        if counts.stored_but_pending > 0 {
            figures.stored_but_pending += 1;
        }
        if scenario == Scenario::Tokens {
            let tokens = check_token_accounting(&net, &context);
            figures.tokens.pending_issuance += u32::from(tokens.pending > 0);
            figures.tokens.signed_not_finished += u32::from(tokens.issued_pending > 0);
            lost_replies.extend(tokens.spent_by_pending.iter().cloned());
            grow_household(&net, &mut household, &tokens, counts.records_unsent);
        }
    }

    // Nothing is lost for good: one last sync delivers everything still pending.
    if scenario == Scenario::Tokens {
        let context = format!("seed {seed}, before the last sync of runs {first_run}..");
        let tokens = check_token_accounting(&net, &context);
        let unsent = check(&net, &history, &context).records_unsent;
        grow_household(&net, &mut household, &tokens, unsent);
    }
    figures.delivered_by_last_sync = drain(&net);
    let context = format!("seed {seed}, after the last sync of runs {first_run}..");
    let counts = check(&net, &history, &context);
    assert_eq!(counts.pending, 0, "items left pending ({context})");
    assert_eq!(counts.records_unsent, 0, "records left unsent ({context})");
    if scenario == Scenario::Tokens {
        let tokens = check_token_accounting(&net, &context);
        assert_eq!(
            (tokens.pending, tokens.issued_pending),
            (0, 0),
            "issuance left pending ({context})"
        );
        assert_eq!(
            tokens.spent, counts.at_drop_box,
            "one spent token per stored submission ({context})"
        );
        // A submission whose reply was lost is delivered now: its resend spent no other
        // token (the accounting holds) and the receipt the drop box kept was verified into
        // the ledger (`check`: the ledger's delivery is the body the drop box stored).
        let store = open_store(&net.ws.store()).expect("open the store");
        let outbox = store.outbox().expect("outbox");
        for id in &lost_replies {
            let item = outbox
                .iter()
                .find(|item| &item.payload.submission_id == id)
                .unwrap_or_else(|| panic!("{id} left the outbox ({context})"));
            assert_eq!(
                item.state,
                OutboxItemState::Delivered,
                "{id}, stored before its reply was lost, is not delivered ({context})"
            );
            assert!(
                item.payload.receipt.is_some(),
                "{id} has no kept receipt ({context})"
            );
        }
        figures.tokens.orders = net.orders();
        figures.tokens.issued = tokens.issued;
        figures.tokens.resent_after_lost_reply = lost_replies.len();
    }
    // The authority opens every stored submission, and none breaks the policy.
    let opened = net.open("json");
    opened.success();
    let summary = format!("opened {} submission(s), 0 flagged;", counts.at_drop_box);
    assert!(
        opened.stderr.contains(&summary),
        "expected `{summary}` ({context}); the authority said:\n{}",
        opened.stderr
    );
    scan_for_canaries(&net, &child_logs, scenario, &context);
    figures.saves = history.saves;
    figures.amended = history.amended;
    figures.records = counts.records;
    figures.submissions = counts.at_drop_box;
    figures
}

#[test]
fn the_checks_catch_a_torn_delivery_and_a_lost_save() {
    // Guards the guard: after a real run the checks pass; a delivery whose ledger entry
    // is missing (the outbox row committed without it) and an acknowledged save that is
    // not in the store each make them fail.
    let net = Loopback::start();
    net.grant_consent();
    let mut history = History::default();
    let config = ChildConfig {
        store: net.ws.store(),
        ca_pem: net.pki.ca.clone(),
        scenario: Scenario::Plain,
        profiles: vec![net.profile.clone()],
        run: 0,
        seed: 1,
    };
    let mut child = RunningChild::start(&config);
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.kill(), "the child stopped on its own");
    let (lines, _) = child.finish();
    history.add(0, &lines);
    assert!(history.saves > 0, "the child saved nothing: {lines:?}");
    drain(&net);
    let counts = check(&net, &history, "intact");
    assert!(counts.at_drop_box > 0);

    let db = net.ws.store().join("selfreport.db");
    let connection = Connection::open(&db).expect("open the store database");
    let removed = connection
        .execute(
            "DELETE FROM ledger WHERE seq = (SELECT MAX(seq) FROM ledger)",
            [],
        )
        .expect("remove the last ledger entry");
    assert_eq!(removed, 1);
    drop(connection);
    let failure = check_failure(&net, &history);
    assert!(failure.contains("and the ledger disagree"), "{failure}");

    let mut lost = history.clone();
    lost.acknowledged.insert(
        "0123456789abcdef0123456789abcdef".to_owned(),
        Tag { run: 0, step: 0 },
    );
    let failure = check_failure(&net, &lost);
    assert!(failure.contains("is gone"), "{failure}");
}

/// The message `check` panics with; panics if it passes.
fn check_failure(net: &Loopback, history: &History) -> String {
    failure_of(|| {
        check(net, history, "damaged");
    })
}

/// The message `checks` panics with; panics if it passes.
pub(crate) fn failure_of(checks: impl FnOnce()) -> String {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(checks));
    let payload = match outcome {
        Ok(()) => panic!("the checks passed a damaged store"),
        Err(payload) => payload,
    };
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
        })
        .unwrap_or_default()
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {text:?}")),
    )
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() as u64)
        .unwrap_or(0)
}

/// Every save the children started and acknowledged, over all runs.
#[derive(Default, Clone)]
struct History {
    /// Each save started.
    started: BTreeSet<Tag>,
    /// The last acknowledged save of each record id.
    acknowledged: BTreeMap<String, Tag>,
    /// Saves started but never acknowledged (the kill came first): at most one per run.
    unacknowledged: BTreeSet<Tag>,
    /// Saves acknowledged.
    saves: usize,
    /// Saves acknowledged that amended an unsent record in place.
    amended: usize,
}

impl History {
    fn add(&mut self, run: u32, lines: &[ChildLine]) {
        let mut open: Option<Tag> = None;
        for line in lines {
            match line {
                ChildLine::Saving(tag) => {
                    assert_eq!(tag.run, run, "a tag of another run: {line}");
                    self.started.insert(*tag);
                    open = Some(*tag);
                }
                ChildLine::Saved {
                    tag,
                    record_id,
                    amended,
                    ..
                } => {
                    assert_eq!(open, Some(*tag), "saved without saving: {line}");
                    self.acknowledged.insert(record_id.clone(), *tag);
                    self.saves += 1;
                    self.amended += usize::from(*amended);
                    open = None;
                }
                _ => {}
            }
        }
        self.unacknowledged.extend(open);
    }

    /// Whether a record last acknowledged with `acknowledged` (if ever) may hold `held`:
    /// that save, or an unacknowledged one made after it.
    fn may_hold(&self, acknowledged: Option<Tag>, held: Tag) -> bool {
        acknowledged == Some(held)
            || (self.unacknowledged.contains(&held) && acknowledged.is_none_or(|last| held > last))
    }
}

/// Figures of one check.
struct Counts {
    records: usize,
    records_unsent: usize,
    pending: usize,
    at_drop_box: usize,
    stored_but_pending: usize,
}

/// `PRAGMA integrity_check` on the database at `db`, opened read-only by another SQLite:
/// Python's, since the SQLite the store ships is built without the check (-8.8 KB of the
/// mobile library; .cargo/config.toml). An independent reader is a stronger check anyway.
fn integrity_check(db: &std::path::Path, context: &str) -> Vec<String> {
    const SCRIPT: &str = "import sqlite3, sys, pathlib\n\
        uri = pathlib.Path(sys.argv[1]).resolve().as_uri() + '?mode=ro'\n\
        for (line,) in sqlite3.connect(uri, uri=True).execute('PRAGMA integrity_check'):\n\
        \x20   print(line)\n";
    let output = std::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(db)
        .output()
        .unwrap_or_else(|error| panic!("python3 for integrity_check ({context}): {error}"));
    assert!(
        output.status.success(),
        "integrity_check ({context}): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Checks every invariant of the module docs; panics naming `context` on a violation.
fn check(net: &Loopback, history: &History, context: &str) -> Counts {
    // The database file is sound, read before the core opens (and possibly checkpoints) it.
    let db = net.ws.store().join("selfreport.db");
    let integrity = integrity_check(&db, context);
    assert_eq!(integrity, ["ok"], "integrity_check ({context})");

    let store = open_store(&net.ws.store())
        .unwrap_or_else(|error| panic!("reopen after the kill ({context}): {error}"));

    // Every acknowledged save is there, holding that save or a later unacknowledged one;
    // no record holds a save that never started.
    let listing = store.records().expect("records");
    assert_eq!(
        listing.damaged,
        Vec::<String>::new(),
        "damaged rows ({context})"
    );
    let mut records = HashMap::new();
    for stored in &listing.records {
        let id = stored.record.id.to_string();
        let tag = tag_of(&stored.record)
            .unwrap_or_else(|| panic!("record {id} has no tag in its notes ({context})"));
        assert!(
            history.started.contains(&tag),
            "record {id} holds save {tag}, which no child started ({context})"
        );
        let acknowledged = history.acknowledged.get(&id).copied();
        assert!(
            history.may_hold(acknowledged, tag),
            "record {id} holds save {tag}, but its last acknowledged save is {acknowledged:?} \
             ({context})"
        );
        records.insert(id, stored.state);
    }
    for (id, tag) in &history.acknowledged {
        assert!(
            records.contains_key(id),
            "record {id} of acknowledged save {tag} is gone ({context})"
        );
    }

    // Records and outbox agree; nothing is queued twice; nothing failed.
    let outbox = store.outbox().expect("outbox");
    let mut item_of_record: HashMap<&str, OutboxItemState> = HashMap::new();
    let mut outbox_bodies: HashMap<&str, (OutboxItemState, String)> = HashMap::new();
    for item in &outbox {
        let id = item.payload.submission_id.as_str();
        assert_ne!(
            item.state,
            OutboxItemState::Failed,
            "submission {id} failed: {:?} ({context})",
            item.payload.last_error
        );
        let record = item
            .payload
            .record_id
            .as_deref()
            .unwrap_or_else(|| panic!("cover traffic {id} under a policy without ({context})"));
        assert!(
            item_of_record.insert(record, item.state).is_none(),
            "record {record} has two outbox items ({context})"
        );
        // What the item stands for at the drop box: the digest of the bytes it queued,
        // or once delivered (the body is then dropped) the digest its receipt acknowledged.
        let sent = match (&item.payload.body, &item.payload.receipt) {
            (Some(body), None) => {
                let body = STANDARD.decode(body).expect("outbox body");
                hex(&selfreport_core::crypto::sha256(&body))
            }
            (None, Some(receipt)) if item.state == OutboxItemState::Delivered => {
                receipt.body_sha256.clone()
            }
            (body, receipt) => panic!(
                "outbox item {id} ({:?}) has body {} and receipt {} ({context})",
                item.state,
                body.is_some(),
                receipt.is_some()
            ),
        };
        outbox_bodies.insert(id, (item.state, sent));
    }
    for (id, state) in &records {
        let expected = match item_of_record.get(id.as_str()) {
            None => OutboxState::Saved,
            Some(OutboxItemState::Pending) => OutboxState::Queued,
            Some(_) => OutboxState::Sent,
        };
        assert_eq!(
            *state, expected,
            "record {id} disagrees with its outbox item ({context})"
        );
    }

    // The ledger verifies and lists each delivery once.
    let verification = store.verify_ledger().expect("verify the ledger");
    assert!(
        verification.is_valid(),
        "ledger: {:?} ({context})",
        verification.problem
    );
    let mut ledger: HashMap<String, String> = HashMap::new();
    for (_, entry) in store.ledger().expect("ledger") {
        if let LedgerEvent::Disclosure {
            submission_id,
            body_sha256,
            ..
        } = entry.event
        {
            assert!(
                ledger.insert(submission_id.clone(), body_sha256).is_none(),
                "submission {submission_id} is in the ledger twice ({context})"
            );
        }
    }
    assert_eq!(
        verification.receipts_verified,
        ledger.len() as u64,
        "receipts verified ({context})"
    );
    for (id, (state, _)) in &outbox_bodies {
        assert_eq!(
            *state == OutboxItemState::Delivered,
            ledger.contains_key(*id),
            "outbox item {id} ({state:?}) and the ledger disagree ({context})"
        );
    }

    // The drop box holds what was sent, each once, and the device knows all of it.
    let at_drop_box = drop_box_rows(net);
    let mut bodies = BTreeSet::new();
    let mut stored_but_pending = 0;
    for (id, body_sha256) in &at_drop_box {
        assert!(
            bodies.insert(body_sha256.as_str()),
            "the drop box holds body {body_sha256} twice ({context})"
        );
        let (state, sent) = outbox_bodies.get(id.as_str()).unwrap_or_else(|| {
            panic!("the drop box holds {id}, which the outbox does not ({context})")
        });
        assert_eq!(
            sent, body_sha256,
            "the drop box holds other bytes for {id} ({context})"
        );
        assert!(
            *state == OutboxItemState::Pending || ledger.contains_key(id),
            "{id} is at the drop box, {state:?}, not in the ledger ({context})"
        );
        stored_but_pending += usize::from(*state == OutboxItemState::Pending);
    }
    for (id, body_sha256) in &ledger {
        assert_eq!(
            at_drop_box.get(id),
            Some(body_sha256),
            "the ledger's delivery {id} is not at the drop box as receipted ({context})"
        );
    }

    Counts {
        records: records.len(),
        records_unsent: records
            .values()
            .filter(|state| **state != OutboxState::Sent)
            .count(),
        pending: outbox
            .iter()
            .filter(|item| item.state == OutboxItemState::Pending)
            .count(),
        at_drop_box: at_drop_box.len(),
        stored_but_pending,
    }
}

/// The drop box's submissions: id → SHA-256 of the body, as it recorded it.
fn drop_box_rows(net: &Loopback) -> BTreeMap<String, String> {
    let connection = Connection::open_with_flags(&net.config.db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the drop box database");
    let mut statement = connection
        .prepare("SELECT id, body_sha256 FROM submissions")
        .expect("query the drop box");
    statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .and_then(|rows| rows.collect())
        .expect("read the drop box")
}

/// One sync without a kill; returns how many it delivered.
pub(crate) fn drain(net: &Loopback) -> u32 {
    let store = open_store(&net.ws.store()).expect("open the store");
    let options = sync_options(&net.pki.ca).expect("sync options");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let report = runtime
        .block_on(store.sync(&options, &|_| {}, &CancelToken::new()))
        .expect("the last sync");
    assert_eq!(
        (report.retry_later, report.failed),
        (0, 0),
        "the last sync: {report:?}"
    );
    report.delivered
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
