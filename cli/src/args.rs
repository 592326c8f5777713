//! The command line: global options and every subcommand, as clap parses them.

use std::num::NonZeroU32;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::answer::AnswerArg;
use crate::i18n::Lang;

/// Environment variable holding the passphrase unless `--passphrase-env` names another.
pub const DEFAULT_PASSPHRASE_ENV: &str = "SELFREPORT_PASSPHRASE";
/// Environment variable `rekey` reads the new passphrase from.
pub const DEFAULT_NEW_PASSPHRASE_ENV: &str = "SELFREPORT_NEW_PASSPHRASE";

/// selfreport: daily health reports and travel pre-registration kept encrypted on this
/// device, collected only under signed policies.
#[derive(Debug, Parser)]
#[command(name = "selfreport", version)]
pub struct Cli {
    /// Options every command shares.
    #[command(flatten)]
    pub global: GlobalOptions,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command shares.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalOptions {
    /// Directory holding the encrypted store and its trust anchors.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = "./selfreport-data"
    )]
    pub store: PathBuf,

    /// Environment variable to read the passphrase from; when it is unset, the passphrase
    /// is asked for on the terminal.
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        default_value = DEFAULT_PASSPHRASE_ENV
    )]
    pub passphrase_env: String,

    /// PBKDF2-HMAC-SHA256 iterations used when a passphrase wraps the store key (init,
    /// rekey). For tests and benchmarks only: the default, 600,000, is the minimum for
    /// real use. Opening a store always uses the count stored with it.
    #[arg(long, global = true, value_name = "N", hide_short_help = true)]
    pub pbkdf2_iterations: Option<NonZeroU32>,

    /// An extra CA certificate (PEM or DER) to trust for endpoints, beside the public
    /// WebPKI roots; repeatable (give every one on the same side of the command).
    /// Explicit development and test trust only: a policy's key pins still apply, and
    /// apps never do this.
    #[arg(long = "extra-root", global = true, value_name = "FILE")]
    pub extra_roots: Vec<PathBuf>,

    /// The language of human output and error messages (`en`, `zh`); default: from
    /// `LC_ALL`, `LC_MESSAGES` or `LANG` (`zh*` is Chinese, anything else English).
    /// `--json` output and error codes are the same in every language.
    #[arg(long, global = true, value_enum, value_name = "LANG")]
    pub lang: Option<Lang>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new store that trusts the given authority keys.
    Init(InitArgs),
    /// Install or list signed collection policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Add or list the people whose reports this device keeps.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Start monitoring periods.
    #[command(subcommand)]
    Monitor(MonitorCommand),
    /// Enroll a profile under a collector's signed enrollment order (a file, or a typed
    /// code redeemed at the drop box): its monitoring period starts, and the forms it
    /// names may be filed in it.
    Enroll(EnrollArgs),
    /// Print the arrival pass to show at the checkpoint (render it as a QR code): proof
    /// that this device filed the profile's pre-registration, valid ten minutes. The
    /// checkpoint's `selfreport-authority confirm-arrival` gives back an order to `enroll`.
    ArrivalPass(ArrivalPassArgs),
    /// List the reports still owed today.
    Due(DueArgs),
    /// Fill in a form for a profile and save it, encrypted; prints the record id.
    Report(ReportArgs),
    /// List saved records.
    Records(ListArgs),
    /// Show exactly what a record would disclose: each field before and after its
    /// transform, and the JSON each recipient receives.
    Preview(PreviewArgs),
    /// Grant or withdraw consent to send under a policy.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// Seal what is ready and send the outbox to each policy's endpoint.
    Sync(SyncArgs),
    /// Show the outbox: each submission's state, attempts and last error.
    Outbox(ListArgs),
    /// Show the ledger of everything disclosed, consented to or withdrawn.
    Ledger(LedgerArgs),
    /// Ask the drop box to delete a submission, with the token only this device holds.
    DeleteRequest(DeleteRequestArgs),
    /// Delete everything past its retention period, with its keys.
    Purge(PurgeArgs),
    /// Print everything the store holds about you, as JSON.
    Export,
    /// Delete the store and every file in it.
    Erase(EraseArgs),
    /// Change the passphrase (read from SELFREPORT_NEW_PASSPHRASE or asked twice).
    Rekey(RekeyArgs),
    /// Walk through a whole session in a temporary directory, narrating each step.
    Demo(DemoArgs),
}

/// `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Authority public keys to trust (`signing.pub` files made by
    /// `selfreport-authority keygen`: one base64 line each).
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub trust: Vec<PathBuf>,
}

/// `policy ...`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Verify a signed policy and install it.
    Install {
        /// The signed policy envelope (`selfreport.signed/1` JSON).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// List installed policies.
    List(ListArgs),
    /// Show a policy's forms: each field's label, kind, whether it is required, the
    /// codes it allows, and what leaves this device and how.
    Show(PolicyShowArgs),
    /// Fetch the policy's current version from its endpoint and install it after the
    /// same checks as `install` (the root's revocation list the endpoint relays first).
    Update(PolicyUpdateArgs),
    /// Install a root's signed revocation list from FILE (everything it revokes stops at
    /// once); without FILE, list the revocation lists held.
    Revocations {
        /// The signed revocation list (`selfreport.signed/1` JSON, written by
        /// `selfreport-authority revoke`).
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

/// `policy show`.
#[derive(Debug, Args)]
pub struct PolicyShowArgs {
    /// The policy id.
    #[arg(value_name = "PID")]
    pub policy: String,
    /// Show this form only.
    #[arg(long, value_name = "FORM")]
    pub form: Option<String>,
    /// Print JSON (the same in every language; labels in all of theirs).
    #[arg(long)]
    pub json: bool,
}

/// `policy update`.
#[derive(Debug, Args)]
pub struct PolicyUpdateArgs {
    /// The policy id.
    #[arg(value_name = "PID")]
    pub policy: String,
    /// Network settings.
    #[command(flatten)]
    pub network: NetworkArgs,
}

/// How long network commands wait.
#[derive(Debug, Clone, Copy, Args)]
pub struct NetworkArgs {
    /// Seconds one request may take in total, reply included.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
    /// Seconds to wait for a connection.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub connect_timeout: u64,
}

/// `preview`.
#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// The record id (from `report` or `records`).
    #[arg(value_name = "RECORD_ID")]
    pub record: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `consent ...`.
#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// Allow sending under a policy (recorded in the ledger).
    Grant(ConsentArgs),
    /// Stop sending under a policy; its queued submissions are dropped unsent (recorded
    /// in the ledger).
    Withdraw(ConsentArgs),
    /// Where you stand with the installed version of a policy; when it lets more leave
    /// than the version you consented to, exactly what widened.
    Status(ConsentArgs),
}

/// `consent grant|withdraw|status`.
#[derive(Debug, Args)]
pub struct ConsentArgs {
    /// The policy id.
    #[arg(long, value_name = "PID")]
    pub policy: String,
}

/// `sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Print the summary as JSON (with every item's outcome).
    #[arg(long)]
    pub json: bool,
    /// Print a progress line per item on stderr even when it is not a terminal.
    #[arg(long)]
    pub progress: bool,
    /// Network settings.
    #[command(flatten)]
    pub network: NetworkArgs,
    /// After a failed attempt, wait a random time up to `min(cap, base * 2^(attempts-1))`
    /// seconds before the next (full jitter); 0 retries at the next sync.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub retry_base: u64,
    /// The largest backoff, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 6 * 3600)]
    pub retry_cap: u64,
}

/// `ledger`.
#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Verify the hash chain and every receipt; exits 5 when anything is broken.
    #[arg(long)]
    pub verify: bool,
}

/// `delete-request`.
#[derive(Debug, Args)]
pub struct DeleteRequestArgs {
    /// The submission id (from `outbox` or `ledger`).
    #[arg(value_name = "SUBMISSION_ID")]
    pub submission: String,
    /// Network settings.
    #[command(flatten)]
    pub network: NetworkArgs,
}

/// `profile ...`.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Add a person; prints the new profile id alone. Attributes come from `--from`, or
    /// are asked on the terminal; the flags are for scripts and tests only.
    Add(ProfileAddArgs),
    /// List profiles.
    List(ListArgs),
    /// Change a person's attributes: those given replace the stored ones (an empty value
    /// clears one), the rest stay.
    Edit(ProfileEditArgs),
    /// Remove a person with their monitoring periods and unsent reports. Refused while a
    /// report of theirs is queued or sent (it stays, with its deletion token, until its
    /// retention ends).
    Remove(ProfileRemoveArgs),
}

/// A profile's attributes as flags. Command-line arguments are visible to every local
/// user (`/proc/*/cmdline`) and kept in shell history: for scripts and tests only; use
/// `--from` or the questions for real people.
#[derive(Debug, Args)]
pub struct ProfileAttributeArgs {
    /// The person's name as on their ID.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// What this device calls them ("Mum"): their local nickname, which never leaves
    /// this device; defaults to the name.
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,
    /// Resident identity card number (18 characters).
    #[arg(long, value_name = "ID")]
    pub id_number: Option<String>,
    /// Phone number (+86 138 0013 8000).
    #[arg(long, value_name = "PHONE")]
    pub phone: Option<String>,
    /// Date of birth, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub birth_date: Option<String>,
    /// Passport number.
    #[arg(long, value_name = "NUMBER")]
    pub passport: Option<String>,
}

/// The attribute flags `--from` excludes.
const ATTRIBUTE_FLAGS: [&str; 6] = [
    "name",
    "display_name",
    "id_number",
    "phone",
    "birth_date",
    "passport",
];

/// `profile add`.
#[derive(Debug, Args)]
pub struct ProfileAddArgs {
    /// The attributes as flags (scripts and tests only).
    #[command(flatten)]
    pub attributes: ProfileAttributeArgs,
    /// Read the attributes from FILE, or from stdin with `-`: a JSON object
    /// (`{"display_name": "Mum", "name": "..."}`) or `attribute=value` lines, with
    /// attributes display_name, name, id_number, phone, birth_date, passport_number.
    #[arg(long, value_name = "FILE|-", conflicts_with_all = ATTRIBUTE_FLAGS)]
    pub from: Option<PathBuf>,
}

/// `profile edit`.
#[derive(Debug, Args)]
pub struct ProfileEditArgs {
    /// The profile id.
    #[arg(value_name = "PROFILE_ID")]
    pub profile: String,
    /// The attributes to change, as flags (scripts and tests only).
    #[command(flatten)]
    pub attributes: ProfileAttributeArgs,
    /// Read the attributes to change from FILE, or from stdin with `-` (as `profile add
    /// --from`; JSON `null` or an empty value clears one).
    #[arg(long, value_name = "FILE|-", conflicts_with_all = ATTRIBUTE_FLAGS)]
    pub from: Option<PathBuf>,
}

/// `profile remove`.
#[derive(Debug, Args)]
pub struct ProfileRemoveArgs {
    /// The profile id.
    #[arg(value_name = "PROFILE_ID")]
    pub profile: String,
    /// Confirm: the profile, its monitoring periods and its unsent reports are deleted
    /// for good.
    #[arg(long, required = true)]
    pub yes: bool,
}

/// `monitor ...`.
#[derive(Debug, Subcommand)]
pub enum MonitorCommand {
    /// Start a monitoring period for a profile under a policy.
    Start(MonitorStartArgs),
    /// List monitoring periods, each with its household member.
    List(MonitorListArgs),
    /// End a period early: its last day becomes `--on` (default today).
    End(MonitorEndArgs),
    /// Correct a period's first day or reason.
    Correct(MonitorCorrectArgs),
}

/// `enroll`.
#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// The profile id.
    #[arg(long, value_name = "ID")]
    pub profile: String,
    /// The signed enrollment order (a file written by `selfreport-authority enroll`, or
    /// scanned from its QR code), or the typed enrollment code the collector gave
    /// (`ABCDE-FGHJK-M`), redeemed once at the policy's drop box.
    #[arg(value_name = "ORDER_OR_CODE")]
    pub order_or_code: String,
    /// With a code: the installed policy whose drop box redeems it (default: the one
    /// installed policy with a form that needs an enrollment order).
    #[arg(long, value_name = "PID")]
    pub policy: Option<String>,
    #[command(flatten)]
    pub network: NetworkArgs,
}

/// `arrival-pass`.
#[derive(Debug, Args)]
pub struct ArrivalPassArgs {
    /// The profile id of the traveler who pre-registered.
    #[arg(long, value_name = "ID")]
    pub profile: String,
    /// The policy the pre-registration was filed under.
    #[arg(long, value_name = "PID")]
    pub policy: String,
}

/// `monitor start`.
#[derive(Debug, Args)]
pub struct MonitorStartArgs {
    /// The profile id.
    #[arg(long, value_name = "ID")]
    pub profile: String,
    /// The policy id.
    #[arg(long, value_name = "PID")]
    pub policy: String,
    /// First day of the period, YYYY-MM-DD (default: today).
    #[arg(long, value_name = "DATE")]
    pub from: Option<NaiveDate>,
    /// Why the person is monitored; a period you start yourself is `self` unless you say
    /// it follows an arrival or a close contact.
    #[arg(long, value_enum, default_value_t = ReasonArg::SelfReported)]
    pub reason: ReasonArg,
}

/// `monitor list`.
#[derive(Debug, Args)]
pub struct MonitorListArgs {
    /// Only this profile's periods.
    #[arg(long, value_name = "ID")]
    pub profile: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `monitor end`.
#[derive(Debug, Args)]
pub struct MonitorEndArgs {
    /// The period id (from `monitor list`).
    #[arg(value_name = "PERIOD_ID")]
    pub period: String,
    /// The period's new last day, YYYY-MM-DD (default: today).
    #[arg(long, value_name = "DATE")]
    pub on: Option<NaiveDate>,
}

/// `monitor correct`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("change").required(true).multiple(true).args(["from", "reason"])))]
pub struct MonitorCorrectArgs {
    /// The period id (from `monitor list`).
    #[arg(value_name = "PERIOD_ID")]
    pub period: String,
    /// The right first day, YYYY-MM-DD (the length stays).
    #[arg(long, value_name = "DATE")]
    pub from: Option<NaiveDate>,
    /// The right reason.
    #[arg(long, value_enum)]
    pub reason: Option<ReasonArg>,
}

/// Why a monitoring period starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReasonArg {
    /// Arrival from elsewhere.
    Arrival,
    /// Close contact of a case.
    Contact,
    /// The person's own choice.
    #[value(name = "self")]
    SelfReported,
}

/// `due`.
#[derive(Debug, Args)]
pub struct DueArgs {
    /// The day to compute for, YYYY-MM-DD (default: today).
    #[arg(long, value_name = "DATE")]
    pub today: Option<NaiveDate>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The profile id.
    #[arg(long, value_name = "ID")]
    pub profile: String,
    /// The policy id.
    #[arg(long, value_name = "PID")]
    pub policy: String,
    /// The form id within the policy (`daily`, `arrival`).
    #[arg(long, value_name = "FORM")]
    pub form: String,
    /// The day the report is for, YYYY-MM-DD (default: today).
    #[arg(long, value_name = "DATE")]
    pub date: Option<NaiveDate>,
    /// Read the answers from FILE, or from stdin with `-`: a JSON object
    /// (`{"temperature": 36.6, "symptoms": ["cough"]}`) or `FIELD=VALUE` lines. The safe
    /// way to give answers; without it and without `--answer`, each field is asked on
    /// the terminal. See `policy show` for a form's fields.
    #[arg(long = "answers", value_name = "FILE|-")]
    pub answers_from: Option<PathBuf>,
    /// An answer, `FIELD=VALUE`; repeat for each field. For scripts and tests only:
    /// command-line arguments are visible to every local user (`/proc/*/cmdline`) and
    /// kept in shell history; use `--answers` or the questions for real answers.
    /// Multiple choices are comma-separated (`symptoms=cough,fatigue`, empty for none);
    /// travel legs are `PLACE:FROM:TO` separated by `;`; yes/no fields take `yes` or `no`.
    #[arg(long = "answer", value_name = "FIELD=VALUE")]
    pub answers: Vec<AnswerArg>,
}

/// Listing commands.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `purge`.
#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// The day to compute retention from, YYYY-MM-DD (default: today).
    #[arg(long, value_name = "DATE")]
    pub today: Option<NaiveDate>,
}

/// `erase`.
#[derive(Debug, Args)]
pub struct EraseArgs {
    /// Confirm: the store and everything in it is deleted for good.
    #[arg(long, required = true)]
    pub yes: bool,
    /// First ask every drop box that may still hold one of your submissions to delete it
    /// (their deletion tokens are erased with the store; after that nobody can delete
    /// them early). On a terminal, erase asks; otherwise it says what is left behind.
    #[arg(long, conflicts_with = "keep_on_drop_box")]
    pub delete_from_drop_box: bool,
    /// Erase without asking the drop boxes to delete anything (they keep your submissions
    /// until their retention ends).
    #[arg(long)]
    pub keep_on_drop_box: bool,
    /// Network settings for the deletion requests.
    #[command(flatten)]
    pub network: NetworkArgs,
}

/// `rekey`.
#[derive(Debug, Args)]
pub struct RekeyArgs {
    /// Environment variable to read the new passphrase from; when it is unset, the new
    /// passphrase is asked for twice on the terminal.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_NEW_PASSPHRASE_ENV)]
    pub new_passphrase_env: String,
}

/// `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory to run the demo in (kept afterwards); default: a temporary directory,
    /// removed at the end.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn globals_have_their_defaults_and_may_follow_the_subcommand() {
        let cli = Cli::try_parse_from(["selfreport", "records"]).unwrap();
        assert_eq!(cli.global.store, PathBuf::from("./selfreport-data"));
        assert_eq!(cli.global.passphrase_env, "SELFREPORT_PASSPHRASE");
        assert_eq!(cli.global.pbkdf2_iterations, None);
        let cli =
            Cli::try_parse_from(["selfreport", "records", "--json", "--store", "/tmp/x"]).unwrap();
        assert_eq!(cli.global.store, PathBuf::from("/tmp/x"));
        assert!(matches!(
            cli.command,
            Command::Records(ListArgs { json: true })
        ));
    }

    #[test]
    fn iterations_must_be_a_positive_number() {
        assert!(Cli::try_parse_from(["selfreport", "--pbkdf2-iterations", "0", "export"]).is_err());
        let cli =
            Cli::try_parse_from(["selfreport", "--pbkdf2-iterations", "1000", "export"]).unwrap();
        assert_eq!(
            cli.global.pbkdf2_iterations.map(NonZeroU32::get),
            Some(1000)
        );
    }

    #[test]
    fn erase_requires_yes_and_init_requires_trust() {
        assert!(Cli::try_parse_from(["selfreport", "erase"]).is_err());
        assert!(Cli::try_parse_from(["selfreport", "init"]).is_err());
        let cli = Cli::try_parse_from(["selfreport", "init", "--trust", "a.pub", "b.pub"]).unwrap();
        let Command::Init(init) = cli.command else {
            panic!("expected init");
        };
        assert_eq!(init.trust.len(), 2);
    }

    #[test]
    fn monitor_reasons_and_dates_parse() {
        let cli = Cli::try_parse_from([
            "selfreport",
            "monitor",
            "start",
            "--profile",
            "p",
            "--policy",
            "sh-arrivals",
            "--from",
            "2026-11-20",
            "--reason",
            "self",
        ])
        .unwrap();
        let Command::Monitor(MonitorCommand::Start(start)) = cli.command else {
            panic!("expected monitor start");
        };
        assert_eq!(start.reason, ReasonArg::SelfReported);
        assert_eq!(start.from, NaiveDate::from_ymd_opt(2026, 11, 20));
        // Without --reason a period the person starts is self-started, never an arrival.
        let cli = Cli::try_parse_from([
            "selfreport",
            "monitor",
            "start",
            "--profile",
            "p",
            "--policy",
            "q",
        ])
        .unwrap();
        let Command::Monitor(MonitorCommand::Start(start)) = cli.command else {
            panic!("expected monitor start");
        };
        assert_eq!(start.reason, ReasonArg::SelfReported);
        assert!(
            Cli::try_parse_from(["selfreport", "due", "--today", "2026-13-01"]).is_err(),
            "an impossible date is a usage error"
        );
    }

    #[test]
    fn extra_roots_are_global_and_repeatable_and_sync_has_its_defaults() {
        let cli = Cli::try_parse_from([
            "selfreport",
            "sync",
            "--json",
            "--extra-root",
            "a.pem",
            "--extra-root",
            "b.der",
        ])
        .unwrap();
        assert_eq!(
            cli.global.extra_roots,
            [PathBuf::from("a.pem"), PathBuf::from("b.der")]
        );
        let Command::Sync(sync) = cli.command else {
            panic!("expected sync");
        };
        assert!(sync.json && !sync.progress);
        assert_eq!(
            (sync.network.timeout, sync.network.connect_timeout),
            (30, 10)
        );
        assert_eq!((sync.retry_base, sync.retry_cap), (30, 6 * 3600));
    }

    #[test]
    fn upload_commands_parse() {
        let cli =
            Cli::try_parse_from(["selfreport", "consent", "withdraw", "--policy", "sh"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Consent(ConsentCommand::Withdraw(ConsentArgs { ref policy })) if policy == "sh"
        ));
        let cli = Cli::try_parse_from(["selfreport", "ledger", "--verify"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Ledger(LedgerArgs {
                verify: true,
                json: false
            })
        ));
        let cli = Cli::try_parse_from(["selfreport", "policy", "update", "sh", "--timeout", "5"])
            .unwrap();
        let Command::Policy(PolicyCommand::Update(update)) = cli.command else {
            panic!("expected policy update");
        };
        assert_eq!((update.policy.as_str(), update.network.timeout), ("sh", 5));
        assert!(Cli::try_parse_from(["selfreport", "preview"]).is_err());
        assert!(Cli::try_parse_from(["selfreport", "delete-request"]).is_err());
        assert!(Cli::try_parse_from(["selfreport", "consent", "grant"]).is_err());
    }

    #[test]
    fn the_iteration_option_shows_in_long_help_only() {
        let mut command = Cli::command();
        let long = command.render_long_help().to_string();
        assert!(long.contains("--pbkdf2-iterations"));
        let short = Cli::command().render_help().to_string();
        assert!(!short.contains("--pbkdf2-iterations"));
    }
}
