//! One function per subcommand: open the store, call the core, print the result.
//!
//! Human output is short and plain; `--json` prints machine output. Commands that create
//! something print its id alone, so scripts can capture it with `$(...)`.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read as _, Write as _};
use std::path::Path;
use std::sync::Arc;

use selfreport_core::model::Owed;
use selfreport_core::policy::MAX_SIGNED_POLICY_BYTES;
use selfreport_core::store::StoredRecord;
use selfreport_core::{Clock, Error, Options, PolicySummary, SelfReport, SystemClock};
use serde::Serialize;
use serde_json::json;

use crate::args::{
    Cli, Command, DueArgs, EraseArgs, GlobalOptions, InitArgs, ListArgs, MonitorCommand,
    PolicyCommand, ProfileCommand, PurgeArgs, RekeyArgs,
};
use crate::failure::{EXIT_INTEGRITY, EXIT_OTHER, Failure};
use crate::i18n::{label, tr, tr_with};
use crate::{demo, drop_box_deletions, monitoring, passphrase, profiles, trust, upload};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<(), Failure> {
    let global = &cli.global;
    match cli.command {
        Command::Init(args) => init(global, &args),
        Command::Policy(PolicyCommand::Install { file }) => policy_install(global, &file),
        Command::Policy(PolicyCommand::List(args)) => policy_list(global, &args),
        Command::Policy(PolicyCommand::Show(args)) => {
            crate::policy_show::policy_show(global, &args)
        }
        Command::Policy(PolicyCommand::Update(args)) => upload::policy_update(global, &args),
        Command::Policy(PolicyCommand::Revocations { file }) => {
            crate::revocations::policy_revocations(global, file.as_deref())
        }
        Command::Profile(command) => profile(global, &command),
        Command::Monitor(command) => monitor(global, &command),
        Command::Enroll(args) => monitoring::enroll(global, &args),
        Command::ArrivalPass(args) => monitoring::arrival_pass(global, &args),
        Command::Due(args) => due(global, &args),
        Command::Report(args) => crate::reporting::report(global, args),
        Command::Records(args) => records(global, &args),
        Command::Preview(args) => upload::preview(global, &args),
        Command::Consent(command) => upload::consent(global, &command),
        Command::Sync(args) => upload::sync(global, &args),
        Command::Outbox(args) => upload::outbox(global, &args),
        Command::Ledger(args) => crate::ledger_view::ledger(global, &args),
        Command::DeleteRequest(args) => upload::delete_request(global, &args),
        Command::Purge(args) => purge(global, &args),
        Command::Export => export(global),
        Command::Erase(args) => erase(global, &args),
        Command::Rekey(args) => rekey(global, &args),
        Command::Demo(args) => demo::run(args.dir.as_deref()),
    }
}

fn profile(global: &GlobalOptions, command: &ProfileCommand) -> Result<(), Failure> {
    match command {
        ProfileCommand::Add(args) => profiles::profile_add(global, args),
        ProfileCommand::List(args) => profiles::profile_list(global, args),
        ProfileCommand::Edit(args) => profiles::profile_edit(global, args),
        ProfileCommand::Remove(args) => profiles::profile_remove(global, args),
    }
}

fn monitor(global: &GlobalOptions, command: &MonitorCommand) -> Result<(), Failure> {
    match command {
        MonitorCommand::Start(args) => monitoring::monitor_start(global, args),
        MonitorCommand::List(args) => monitoring::monitor_list(global, args),
        MonitorCommand::End(args) => monitoring::monitor_end(global, args),
        MonitorCommand::Correct(args) => monitoring::monitor_correct(global, args),
    }
}

/// Writes `text` to stdout. Write failures (a closed pipe) are reported, never a panic.
pub fn emit(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| {
            if text.ends_with('\n') {
                Ok(())
            } else {
                stdout.write_all(b"\n")
            }
        })
        .and_then(|()| stdout.flush())
        .map_err(|error| Failure::io(tr("io.write_stdout"), &error))
}

/// Writes `value` as pretty JSON to stdout.
pub fn emit_json(value: &impl Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|error| {
        Failure::new(
            "Internal",
            format!("cannot encode JSON: {error}"),
            EXIT_OTHER,
        )
    })?;
    emit(&text)
}

fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// Opens the existing store named by the global options with the passphrase they point
/// to. Nothing is written when the passphrase is wrong.
pub(crate) fn open(global: &GlobalOptions) -> Result<SelfReport, Failure> {
    let dir = &global.store;
    if !SelfReport::exists(dir) {
        return Err(not_initialized(dir));
    }
    let trust_anchors = trust::load(dir)?;
    let passphrase = passphrase::existing(&global.passphrase_env)?;
    let source = passphrase::key_source(passphrase, global.pbkdf2_iterations);
    let options = Options {
        trust_anchors,
        clock: system_clock(),
    };
    Ok(SelfReport::open(dir, &source, options)?)
}

fn not_initialized(dir: &Path) -> Failure {
    Error::NotInitialized {
        path: dir.display().to_string(),
    }
    .into()
}

fn init(global: &GlobalOptions, args: &InitArgs) -> Result<(), Failure> {
    let dir = &global.store;
    if SelfReport::exists(dir) {
        return Err(Error::Conflict(format!("a store already exists at {}", dir.display())).into());
    }
    // Everything that can be refused is checked before anything is created.
    let trust_anchors = trust::read_public_key_files(&args.trust)?;
    let passphrase = passphrase::new(&global.passphrase_env, "New passphrase")?;
    let source = passphrase::key_source(passphrase, global.pbkdf2_iterations);

    let created_dir = create_private_dir(dir)?;
    let options = Options {
        trust_anchors: trust_anchors.clone(),
        clock: system_clock(),
    };
    let store = SelfReport::create(dir, &source, options)
        .map_err(Failure::from)
        .and_then(|store| trust::save(dir, &trust_anchors).map(|()| store));
    let store = match store {
        Ok(store) => store,
        Err(failure) => {
            // Leave nothing half made behind.
            if created_dir {
                let _ = fs::remove_file(trust::trust_file(dir));
                let _ = SelfReport::erase_dir(dir);
            }
            return Err(failure);
        }
    };
    drop(store);
    let keys: Vec<&str> = trust_anchors.iter().map(|anchor| anchor.key_id()).collect();
    let key = if keys.len() == 1 {
        "init.created_one_key"
    } else {
        "init.created_keys"
    };
    emit(&tr_with(
        key,
        &[("dir", &dir.display()), ("keys", &keys.join(", "))],
    ))
}

/// Creates `dir` readable by its owner only; returns whether it was created.
fn create_private_dir(dir: &Path) -> Result<bool, Failure> {
    if dir.is_dir() {
        return Ok(false);
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|error| {
        Failure::io(
            tr_with("io.cannot_create", &[("path", &dir.display())]),
            &error,
        )
    })?;
    Ok(true)
}

fn policy_install(global: &GlobalOptions, file: &Path) -> Result<(), Failure> {
    let bytes = read_signed_policy(file)?;
    let report = open(global)?;
    let summary = report.install_policy(&bytes)?;
    emit(&format!(
        "{}\n{}",
        tr_with(
            "policy.installed",
            &[
                ("id", &summary.id),
                ("version", &summary.version),
                ("purpose", &summary.purpose_code),
            ],
        ),
        describe_policy(&summary)
    ))
}

/// Reads at most one byte more than the largest signed policy accepted, so an oversized
/// file is refused by the core's size check without being read whole.
pub(crate) fn read_signed_policy(file: &Path) -> Result<Vec<u8>, Failure> {
    let cannot_read = |error: std::io::Error| {
        Failure::io(
            tr_with("io.cannot_read", &[("path", &file.display())]),
            &error,
        )
    };
    let handle = fs::File::open(file).map_err(cannot_read)?;
    let limit = u64::try_from(MAX_SIGNED_POLICY_BYTES).unwrap_or(u64::MAX);
    let mut bytes = Vec::new();
    handle
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    Ok(bytes)
}

pub(crate) fn describe_policy(summary: &PolicySummary) -> String {
    tr_with(
        "policy.described",
        &[
            ("issuer", &label(&summary.issuer)),
            ("forms", &summary.forms.join(", ")),
            ("from", &summary.valid_from),
            ("until", &summary.valid_until),
            ("days", &summary.device_retention_days),
        ],
    )
}

fn policy_list(global: &GlobalOptions, args: &ListArgs) -> Result<(), Failure> {
    let report = open(global)?;
    let policies = report.policies()?;
    if args.json {
        return emit_json(&policies);
    }
    if policies.is_empty() {
        return emit(tr("policy.none"));
    }
    let text: Vec<String> = policies
        .iter()
        .map(|summary| {
            format!(
                "{}\n{}{}",
                tr_with(
                    "policy.listed",
                    &[
                        ("id", &summary.id),
                        ("version", &summary.version),
                        ("purpose", &summary.purpose_code),
                    ],
                ),
                describe_policy(summary),
                crate::revocations::standing_line(&report, &summary.id)
            )
        })
        .collect();
    emit(&text.join("\n"))
}

fn due(global: &GlobalOptions, args: &DueArgs) -> Result<(), Failure> {
    let report = open(global)?;
    let today = args.today.unwrap_or_else(|| report.today());
    let items = report.due(Some(today))?;
    if args.json {
        return emit_json(&items);
    }
    if items.is_empty() {
        return emit(&tr_with("due.nothing", &[("today", &today)]));
    }
    let names = display_names(&report)?;
    let lines: Vec<String> = items
        .iter()
        .map(|item| {
            let nickname = names
                .get(item.profile_id.as_str())
                .map_or("?", String::as_str);
            let who: [(&str, &dyn std::fmt::Display); 5] = [
                ("id", &item.profile_id),
                ("nickname", &nickname),
                ("policy", &item.policy_id),
                ("form", &item.form_id),
                ("date", &item.date),
            ];
            match item.owed {
                Owed::Daily { day, of_days } => tr_with(
                    "due.item",
                    &[&who[..], &[("day", &day), ("days", &of_days)]].concat(),
                ),
                Owed::Registration => tr_with("due.registration", &who),
            }
        })
        .collect();
    emit(&lines.join("\n"))
}

fn display_names(report: &SelfReport) -> Result<BTreeMap<String, String>, Failure> {
    Ok(report
        .profiles()?
        .into_iter()
        .map(|profile| (profile.id.as_str().to_owned(), profile.display_name))
        .collect())
}

/// The record JSON the CLI prints: metadata and each value in its answer text form.
fn record_json(stored: &StoredRecord) -> serde_json::Value {
    let record = &stored.record;
    let values: BTreeMap<&str, String> = record
        .values
        .iter()
        .map(|(field, value)| (field.as_str(), value.to_string()))
        .collect();
    json!({
        "id": record.id.as_str(),
        "profile_id": record.profile_id.as_str(),
        "policy_id": record.policy_id,
        "policy_version": record.policy_version,
        "form_id": record.form_id,
        "date": record.date,
        "revision": record.revision,
        "amends": record.amends.as_ref().map(|id| id.as_str()),
        "saved_at": record.saved_at.to_rfc3339(),
        "state": stored.state,
        "values": values,
    })
}

fn records(global: &GlobalOptions, args: &ListArgs) -> Result<(), Failure> {
    let report = open(global)?;
    let listing = report.records()?;
    if args.json {
        let list: Vec<_> = listing.records.iter().map(record_json).collect();
        emit_json(&list)?;
    } else if listing.records.is_empty() {
        emit(tr("records.none"))?;
    } else {
        let names = display_names(&report)?;
        let lines: Vec<String> = listing
            .records
            .iter()
            .map(|stored| {
                let record = &stored.record;
                format!(
                    "{}  {}  {}/{}  {}  {} {}  {}",
                    record.date,
                    record.id,
                    record.policy_id,
                    record.form_id,
                    names
                        .get(record.profile_id.as_str())
                        .map_or("?", String::as_str),
                    tr("records.revision"),
                    record.revision,
                    serde_json::to_value(stored.state)
                        .ok()
                        .and_then(|state| state.as_str().map(str::to_owned))
                        .unwrap_or_default()
                )
            })
            .collect();
        emit(&lines.join("\n"))?;
    }
    damaged_failure(&listing.damaged)
}

fn purge(global: &GlobalOptions, args: &PurgeArgs) -> Result<(), Failure> {
    let report = open(global)?;
    let today = args.today.unwrap_or_else(|| report.today());
    let purged = report.purge(Some(today))?;
    emit(&tr_with(
        "purge.done",
        &[
            ("records", &purged.records),
            ("periods", &purged.monitoring_periods),
            ("keys", &purged.epoch_keys),
            ("today", &today),
        ],
    ))
}

fn export(global: &GlobalOptions) -> Result<(), Failure> {
    let export = open(global)?.export()?;
    emit_json(&export)?;
    damaged_failure(&export.damaged)
}

/// Readable data is printed first; damaged rows then make the command fail, so a script
/// notices and a person still gets everything that is intact.
fn damaged_failure(damaged: &[String]) -> Result<(), Failure> {
    if damaged.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(
            "Corrupt",
            format!(
                "stored data failed its integrity check: {}",
                damaged.join(", ")
            ),
            EXIT_INTEGRITY,
        ))
    }
}

fn erase(global: &GlobalOptions, args: &EraseArgs) -> Result<(), Failure> {
    let dir = &global.store;
    let trust_file = trust::trust_file(dir);
    if !SelfReport::exists(dir) && !trust_file.exists() {
        return Err(not_initialized(dir));
    }
    // With the passphrase, the store key is shredded inside the database before its files
    // are deleted. Without it (forgotten, or no terminal to ask on), the files are
    // deleted anyway: erasing must never depend on the key.
    let mut left_behind = String::new();
    let shredded = match open(global) {
        Ok(report) => {
            left_behind = drop_box_deletions::settle_before_erase(global, args, &report)?;
            report.erase()?;
            true
        }
        Err(_) => {
            SelfReport::erase_dir(dir)?;
            false
        }
    };
    match fs::remove_file(&trust_file) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(Failure::io(
                tr_with("io.cannot_delete", &[("path", &trust_file.display())]),
                &error,
            ));
        }
    }
    let _ = fs::remove_file(dir.join(format!("{}.tmp", trust::TRUST_FILE)));
    let leftovers = match fs::read_dir(dir) {
        Ok(entries) => entries.count(),
        Err(_) => 0,
    };
    if leftovers == 0 && dir.exists() {
        fs::remove_dir(dir).map_err(|error| {
            Failure::io(
                tr_with("io.cannot_delete", &[("path", &dir.display())]),
                &error,
            )
        })?;
    }
    let mut message = tr_with(
        if shredded {
            "erase.done"
        } else {
            "erase.done_unopened"
        },
        &[("dir", &dir.display())],
    );
    if leftovers > 0 {
        message.push('\n');
        message.push_str(&tr_with(
            "erase.leftovers",
            &[("count", &leftovers), ("dir", &dir.display())],
        ));
    }
    message.push_str(&left_behind);
    emit(&message)
}

fn rekey(global: &GlobalOptions, args: &RekeyArgs) -> Result<(), Failure> {
    let report = open(global)?;
    let new = passphrase::new(&args.new_passphrase_env, "New passphrase")?;
    let source = passphrase::key_source(new, global.pbkdf2_iterations);
    report.change_key(&source)?;
    emit(tr("rekey.done"))
}
