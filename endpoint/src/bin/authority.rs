//! `selfreport-authority`: make the authority's keys, sign collection policies, open
//! what the drop box collected.
//!
//! A thin wrapper over the `selfreport_endpoint` library. Errors are one line on stderr,
//! `error[Code]: message`, with exit status 2 for usage, 3 for invalid input, 1 otherwise.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

#[path = "authority/confirm_arrival.rs"]
mod confirm_arrival;
#[path = "authority/enroll.rs"]
mod enroll;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};
use selfreport_endpoint::delegation::{
    DelegationRequest, check_policy_file, delegate_file, sign_policy_under_chain,
};
use selfreport_endpoint::development_pki::{DevelopmentPki, certificate_pin};
use selfreport_endpoint::dropbox::{Database, DropBoxError};
use selfreport_endpoint::fhir::questionnaire_command;
use selfreport_endpoint::open::identity_access::{ONE_CASE_WARNING, withheld_note};
use selfreport_endpoint::open::{IdentityAccess, OutputFormat, open_command};
use selfreport_endpoint::policy_fill::{PolicyFill, fill_policy_file};
use selfreport_endpoint::revocation::{RevocationRequest, revoke_file};
use selfreport_endpoint::{AuthorityError, keygen_with_recipients, sign_policy_file};

/// Authority tools for selfreport: keys, signed collection policies, opening submissions.
#[derive(Debug, Parser)]
#[command(name = "selfreport-authority", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Upload token issuer keys of the drop box (`token-key generate`).
    #[command(subcommand)]
    TokenKey(selfreport_endpoint::token_key_command::TokenKeyCommand),
    /// Generate the authority's keys and print the policy-signing key id.
    ///
    /// Writes DIR/signing.key and signing.pub (policy signing, Ed25519; the .pub file is
    /// the trust anchor apps are given), receipt.key and receipt.pub (the drop box's
    /// receipt key, Ed25519) and recipient-NAME.key and recipient-NAME.pub per recipient
    /// (X25519). Private keys get mode 0600; nothing is ever overwritten.
    Keygen {
        /// Directory to write the keys into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// A recipient to make an X25519 key pair for; repeatable (default: health and
        /// identity).
        #[arg(long = "recipient", value_name = "NAME")]
        recipients: Vec<String>,
    },
    /// Make a development CA and a drop box certificate it signs, and print the pin of the
    /// certificate's key.
    ///
    /// Writes DIR/ca.pem (give it to devices with `selfreport --extra-root`), DIR/cert.pem
    /// and DIR/key.pem (mode 0600; for `selfreport-endpoint serve --tls-cert/--tls-key`);
    /// nothing is overwritten. For tests and development: a drop box in production has a
    /// certificate from a public CA, and the policy pins its key the same way.
    TlsCert {
        /// A DNS name or IP address the certificate covers; repeatable.
        #[arg(long = "host", value_name = "HOST", default_value = "127.0.0.1")]
        hosts: Vec<String>,
        /// Directory to write the files into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Print the pin of a certificate's key: the standard base64 of the SHA-256 of its
    /// SubjectPublicKeyInfo, as a policy's `endpoint.spki_sha256` lists it.
    Pin {
        /// A PEM certificate file (a chain: its first certificate, the leaf).
        #[arg(long, value_name = "FILE")]
        cert: PathBuf,
    },
    /// Write a policy document from a template with this deployment's values filled in:
    /// the drop box's URL, the pin of each certificate's key, the receipt key and each
    /// recipient's public key (from the files `keygen` wrote).
    ///
    /// The result is checked as a device checks a policy (dates and signature aside)
    /// before it is written; sign it with `sign-policy`.
    FillPolicy {
        /// The template: a policy document such as examples/policies/daily-report.json.
        #[arg(long, value_name = "FILE")]
        template: PathBuf,
        /// The directory `keygen` wrote (receipt.pub, recipient-NAME.pub).
        #[arg(long, value_name = "DIR")]
        keys: PathBuf,
        /// The drop box's base URL, such as https://report.example.org/v1.
        #[arg(long, value_name = "URL")]
        url: String,
        /// The drop box's certificate (PEM); its key is pinned. Repeatable: during a key
        /// rotation, the current and the next.
        #[arg(long = "cert", value_name = "FILE", required = true)]
        certs: Vec<PathBuf>,
        /// Where to write the policy document (replaced if it exists).
        #[arg(long, value_name = "POLICY.json")]
        out: PathBuf,
    },
    /// Sign a policy document (selfreport.policy/1 or /2), byte for byte as it is in its
    /// file, by a root directly or under a delegation chain.
    ///
    /// The document must pass every check an app makes at install (content, guardrails,
    /// and with --chain the chain and its constraints); its dates are not checked, so a
    /// policy can be signed ahead of its validity window.
    SignPolicy {
        /// The private signing key (signing.key; under a chain, the last subject's).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The policy document (JSON).
        #[arg(long = "in", value_name = "POLICY.json")]
        input: PathBuf,
        /// A signed delegation of the chain, root first; repeatable. Embedded in the
        /// envelope.
        #[arg(long = "chain", value_name = "DELEGATION.json")]
        chain: Vec<PathBuf>,
        /// The root's public key (its signing.pub), to check the chain's first link too.
        #[arg(long, value_name = "PUB")]
        root: Option<PathBuf>,
        /// Where to write the signed envelope (replaced if it exists).
        #[arg(long, value_name = "SIGNED.json")]
        out: PathBuf,
    },
    /// Sign an enrollment order: one person (unnamed) to be monitored under a policy.
    /// Signed by the key that signed the policy; written mode 0600 (it holds a secret).
    Enroll(Box<enroll::EnrollArgs>),
    /// At the checkpoint: verify a traveler's arrival pass (the QR code their device
    /// shows) and issue an enrollment order bound to their pre-registration, recorded in
    /// a confirmation register. Check their identity document against the registration
    /// their device shows first: the pass proves the device, not the person.
    ConfirmArrival(Box<confirm_arrival::ConfirmArrivalArgs>),
    /// Delegate to a subject key: authorize it, within constraints, to sign policies (and
    /// with --depth, to delegate further).
    Delegate {
        /// The issuer's private key: a root's signing.key, or a delegated office's.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The subject's public key (its signing.pub).
        #[arg(long, value_name = "PUB")]
        subject: PathBuf,
        /// The delegation that authorizes --key, when it is not a root's: the new link
        /// is checked to be no wider.
        #[arg(long, value_name = "DELEGATION.json")]
        parent: Option<PathBuf>,
        /// Policy ids the subject may sign start with this (`sh-`).
        #[arg(long)]
        namespace: String,
        /// A purpose the subject may state; repeatable (default: epidemic-control).
        #[arg(long = "purpose", value_name = "CODE")]
        purposes: Vec<String>,
        /// A GB/T 2260 region the subject serves; repeatable, at least one.
        #[arg(long = "region", value_name = "CODE", required = true)]
        regions: Vec<String>,
        /// Longest device retention the subject may declare.
        #[arg(long, value_name = "DAYS", default_value_t = 28)]
        max_device_days: u32,
        /// Longest server retention the subject may declare.
        #[arg(long, value_name = "DAYS", default_value_t = 28)]
        max_server_days: u32,
        /// A host the subject's endpoints may use (`.example.org` for any under it);
        /// repeatable, at least one.
        #[arg(long = "endpoint-host", value_name = "HOST", required = true)]
        endpoint_hosts: Vec<String>,
        /// A kind the subject may upload and its weakest transform (`district=generalize:city`,
        /// `text=keep`); repeatable. Default: every kind but free text, districts to the
        /// city, travel history within a window.
        #[arg(long = "kind", value_name = "KIND=STEP")]
        kinds: Vec<String>,
        /// How many more delegations may follow (0: the subject signs policies only).
        #[arg(long, default_value_t = 0)]
        depth: u32,
        /// First day of validity (default: today).
        #[arg(long, value_name = "DATE")]
        valid_from: Option<chrono::NaiveDate>,
        /// Last day of validity.
        #[arg(long, value_name = "DATE")]
        valid_until: chrono::NaiveDate,
        /// The subject's name in Chinese.
        #[arg(long, value_name = "TEXT")]
        name_zh: Option<String>,
        /// The subject's name in English.
        #[arg(long, value_name = "TEXT")]
        name_en: Option<String>,
        /// Where to write the signed delegation (replaced if it exists).
        #[arg(long, value_name = "DELEGATION.json")]
        out: PathBuf,
    },
    /// Write a root's next revocation list: everything the previous list revoked, plus
    /// the delegations and policy versions named now, under the next sequence number.
    /// Devices stop everything it revokes as soon as they install it; every drop box
    /// relays it (`selfreport-endpoint serve --revocations`).
    Revoke {
        /// The root's private signing key.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The root's previous list: its entries are carried over, the sequence continues.
        #[arg(long, value_name = "REVOCATIONS.json")]
        previous: Option<PathBuf>,
        /// A delegation to revoke: its subject's public key file, or the signed
        /// delegation; repeatable.
        #[arg(long = "delegation", value_name = "PUB|DELEGATION.json")]
        delegations: Vec<PathBuf>,
        /// A policy version to revoke, `ID@VERSION`; repeatable.
        #[arg(long = "policy", value_name = "ID@VERSION")]
        policies: Vec<String>,
        /// Why, for what is revoked now: key-compromise, superseded, ceased-operation or
        /// privilege-withdrawn.
        #[arg(long, value_name = "CODE")]
        reason: Option<String>,
        /// The day the next list will be published by (default: a week from today).
        #[arg(long, value_name = "DATE")]
        next_update: Option<chrono::NaiveDate>,
        /// The sequence number (default: the previous list's plus one, or 1).
        #[arg(long, value_name = "N")]
        sequence: Option<u64>,
        /// Where to write the signed list (replaced if it exists).
        #[arg(long, value_name = "REVOCATIONS.json")]
        out: PathBuf,
    },
    /// Print every rule a draft policy breaks: content, guardrails, and with --chain the
    /// chain and its constraints. Exits 0 when a device would accept it (dates aside), 3
    /// otherwise.
    CheckPolicy {
        /// The draft policy document (JSON).
        #[arg(value_name = "POLICY.json")]
        input: PathBuf,
        /// A signed delegation of the chain it would be signed under, root first;
        /// repeatable.
        #[arg(long = "chain", value_name = "DELEGATION.json")]
        chain: Vec<PathBuf>,
        /// The root's public key, to check the chain's first link too.
        #[arg(long, value_name = "PUB")]
        root: Option<PathBuf>,
    },
    /// Decrypt the drop box's submissions, check each strictly against the policy, drop
    /// cover traffic, and write them to stdout.
    ///
    /// A field outside the policy, or more precise than its transform allows, is flagged
    /// in the output and left out. A summary goes to stderr.
    Open {
        /// The drop box database, as `selfreport-endpoint serve --db` takes it: a SQLite
        /// file, or a `postgres://user:password@host:port/dbname` URL (add
        /// `?sslmode=require` for TLS, the server's certificate always verified). Read
        /// only: nothing in it is changed.
        #[arg(
            long,
            value_name = "FILE|URL",
            env = "SELFREPORT_DROPBOX_DB",
            hide_env_values = true
        )]
        db: String,
        /// PEM CA certificates trusted for the database's TLS certificate, besides the
        /// WebPKI roots (PostgreSQL only).
        #[arg(long, value_name = "PEM")]
        db_ca: Vec<PathBuf>,
        /// A recipient private key (recipient-NAME.key); repeatable.
        #[arg(long = "key", value_name = "RECIPIENT_KEY", required = true)]
        keys: Vec<PathBuf>,
        /// The signed policy the submissions were collected under.
        #[arg(long, value_name = "SIGNED.json")]
        policy: PathBuf,
        /// Verify the policy's signature with this public key (signing.pub).
        #[arg(long, value_name = "PUB")]
        trust: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Output only the submissions of this device pseudonym (the `pseudonym` every
        /// output carries), identity values included. Without it, identity values are
        /// withheld even when the identity key is given: follow people up in the case
        /// console (selfreport-console).
        #[arg(long, value_name = "PSEUDONYM")]
        case: Option<String>,
        /// A checkpoint's confirmation register (what `confirm-arrival --confirmations`
        /// appends to), checked line by line against the policy's signer (needs --trust):
        /// the pre-registrations it names are shown confirmed; all other open intake stays
        /// `unconfirmed`.
        #[arg(long, value_name = "FILE", requires = "trust")]
        confirmations: Option<PathBuf>,
    },
    /// Print, as JSON, the size every part of each form is padded to, per recipient, as
    /// devices pad them: what a `/2` policy declares, what the core computes for a `/1`.
    PaddedSizes {
        /// The policy: a signed envelope, or a plain policy document.
        #[arg(long, value_name = "FILE")]
        policy: PathBuf,
        /// Verify a signed policy's signature with this public key (signing.pub).
        #[arg(long, value_name = "PUB")]
        trust: Option<PathBuf>,
    },
    /// Write the FHIR R4 Questionnaire of each form of a policy to stdout, with the code
    /// systems their answers use, as one Bundle: what `open --format fhir` responses
    /// point at.
    Questionnaire {
        /// The policy: a signed envelope, or a plain policy document.
        #[arg(long, value_name = "FILE")]
        policy: PathBuf,
        /// Verify a signed policy's signature with this public key (signing.pub).
        #[arg(long, value_name = "PUB")]
        trust: Option<PathBuf>,
    },
}

/// Output formats of `open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// A JSON array, one object per submission.
    Json,
    /// CSV, one row per submission.
    Csv,
    /// A FHIR R4 Bundle of QuestionnaireResponse resources.
    Fhir,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    match run(cli.command) {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error[{}]: {error}", error.code());
            ExitCode::from(error.exit_code())
        }
    }
}

/// Runs one command; returns the lines for stdout.
fn run(command: Command) -> Result<Vec<String>, AuthorityError> {
    match command {
        Command::TokenKey(command) => {
            selfreport_endpoint::token_key_command::run(command, chrono::Local::now().date_naive())
        }
        Command::Keygen { out, recipients } => {
            let output = keygen_with_recipients(&out, &recipients)?;
            eprintln!(
                "wrote {} (private, keep it offline) and {} (give it to apps as their trust anchor)",
                output.signing_key_path.display(),
                output.public_key_path.display()
            );
            eprintln!(
                "wrote {} (for the drop box) and {} (the policy's endpoint.receipt_key)",
                output.receipt_key_path.display(),
                output.receipt_public_key_path.display()
            );
            for recipient in &output.recipients {
                eprintln!(
                    "wrote {} (private, for `open`) and {} (the policy's recipients.{}.public_key)",
                    recipient.key_path.display(),
                    recipient.public_key_path.display(),
                    recipient.name
                );
            }
            Ok(vec![output.key_id])
        }
        Command::Enroll(args) => enroll::enroll(*args),
        Command::ConfirmArrival(args) => confirm_arrival::confirm_arrival(*args),
        Command::Delegate {
            key,
            subject,
            parent,
            namespace,
            purposes,
            regions,
            max_device_days,
            max_server_days,
            endpoint_hosts,
            kinds,
            depth,
            valid_from,
            valid_until,
            name_zh,
            name_en,
            out,
        } => {
            let subject_name = [("zh", name_zh), ("en", name_en)]
                .into_iter()
                .filter_map(|(language, name)| Some((language.to_owned(), name?)))
                .collect();
            let request = DelegationRequest {
                namespace,
                purposes,
                regions,
                max_device_days,
                max_server_days,
                endpoint_hosts,
                kinds: selfreport_endpoint::delegation::kind_pairs(&kinds)?,
                depth,
                valid_from: valid_from.unwrap_or_else(|| chrono::Local::now().date_naive()),
                valid_until,
                subject_name,
            };
            delegate(key, subject, parent, request, out)
        }
        Command::Revoke {
            key,
            previous,
            delegations,
            policies,
            reason,
            next_update,
            sequence,
            out,
        } => {
            let today = chrono::Local::now().date_naive();
            let request = RevocationRequest {
                delegations,
                policies,
                reason,
                issued_at: today,
                next_update: next_update.unwrap_or(today + chrono::Days::new(7)),
                sequence,
            };
            let output = revoke_file(&key, previous.as_deref(), &request, &out)?;
            Ok(vec![format!(
                "revocation list {} of root {}: {} delegation(s), {} policy version(s) revoked; wrote {}",
                output.sequence,
                output.root_key_id,
                output.delegations,
                output.policies,
                output.out_path.display()
            )])
        }
        Command::CheckPolicy { input, chain, root } => {
            let refusals = check_policy_file(&input, &chain, root.as_deref())?;
            if refusals.is_empty() {
                return Ok(vec![format!(
                    "{}: a device would accept it (its dates aside)",
                    input.display()
                )]);
            }
            for refusal in &refusals {
                println!("{}: [{}] {refusal}", input.display(), refusal.code());
            }
            Err(AuthorityError::PolicyRefused {
                count: refusals.len(),
            })
        }
        Command::Open {
            db,
            db_ca,
            keys,
            policy,
            trust,
            format,
            case,
            confirmations,
        } => {
            let access = match case {
                Some(pseudonym) => {
                    eprintln!("{ONE_CASE_WARNING}");
                    IdentityAccess::OneCase(pseudonym)
                }
                None => IdentityAccess::Withheld,
            };
            let format = match format {
                Format::Json => OutputFormat::Json,
                Format::Csv => OutputFormat::Csv,
                Format::Fhir => OutputFormat::Fhir,
            };
            let database = match Database::parse(&db) {
                Ok(Database::Postgres(config)) => Database::Postgres(
                    db_ca
                        .iter()
                        .fold(config, |config, path| config.with_ca_file(path)),
                ),
                Ok(file) => file,
                Err(error) => {
                    return Err(AuthorityError::DatabaseUrl {
                        detail: match error {
                            DropBoxError::DatabaseUrl { detail } => detail,
                            other => other.to_string(),
                        },
                    });
                }
            };
            let (rendered, report, restricted) = open_command(
                &database,
                &keys,
                &policy,
                trust.as_deref(),
                confirmations.as_deref(),
                format,
                &access,
            )?;
            eprintln!(
                "opened {} submission(s), {} flagged; dropped {} cover submission(s); {} under other policies, {} with no part for these keys",
                report.submissions.len(),
                report.flagged(),
                report.dummies_dropped,
                report.other_policy,
                report.not_for_these_keys
            );
            if restricted.withheld_values > 0 {
                eprintln!("{}", withheld_note(restricted.withheld_values));
            }
            if restricted.other_cases > 0 {
                eprintln!(
                    "{} submission(s) of other cases left out",
                    restricted.other_cases
                );
            }
            // The rendering ends with a newline; print it as it is.
            Ok(vec![rendered.trim_end_matches('\n').to_owned()])
        }
        Command::PaddedSizes { policy, trust } => Ok(vec![
            selfreport_endpoint::padded_sizes::padded_sizes_command(&policy, trust.as_deref())?,
        ]),
        Command::TlsCert { hosts, out } => {
            let pki = DevelopmentPki::new("selfreport development CA", &hosts)?;
            let files = pki.write(&out)?;
            eprintln!(
                "wrote {} (devices: selfreport --extra-root), {} and {} (private; the drop box's --tls-cert and --tls-key)",
                files.ca.display(),
                files.cert.display(),
                files.key.display()
            );
            Ok(vec![pki.spki_pin])
        }
        Command::Pin { cert } => Ok(vec![certificate_pin(&cert)?]),
        Command::FillPolicy {
            template,
            keys,
            url,
            certs,
            out,
        } => {
            let fill = PolicyFill {
                template,
                keys,
                url,
                certificates: certs,
            };
            let pins = fill_policy_file(&fill, &out)?;
            eprintln!(
                "wrote {} (pinning {}); sign it with sign-policy",
                out.display(),
                pins.join(", ")
            );
            Ok(Vec::new())
        }
        Command::Questionnaire { policy, trust } => {
            let bundle = questionnaire_command(&policy, trust.as_deref())?;
            Ok(vec![bundle.trim_end_matches('\n').to_owned()])
        }
        Command::SignPolicy {
            key,
            input,
            chain,
            root,
            out,
        } => {
            let signed = if chain.is_empty() && root.is_none() {
                sign_policy_file(&key, &input, &out)?
            } else {
                sign_policy_under_chain(&key, &input, &chain, root.as_deref(), &out)?
            };
            Ok(vec![format!(
                "signed policy {} version {} with key {} into {}",
                signed.policy_id,
                signed.version,
                signed.key_id,
                signed.out_path.display()
            )])
        }
    }
}

/// Runs `delegate`.
fn delegate(
    key: PathBuf,
    subject: PathBuf,
    parent: Option<PathBuf>,
    request: DelegationRequest,
    out: PathBuf,
) -> Result<Vec<String>, AuthorityError> {
    let output = delegate_file(&key, &subject, parent.as_deref(), &request, &out)?;
    Ok(vec![format!(
        "key {} delegated namespace `{}` to key {} into {}",
        output.issuer_key_id,
        request.namespace,
        output.subject_key_id,
        output.out_path.display()
    )])
}

/// Help and version go to stdout with status 0; any other parse failure, a missing
/// command included, is one line on stderr with status 2.
fn usage_error(error: &clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprintln!(
                "error[Usage]: a command is required: keygen, delegate, sign-policy, check-policy, revoke or open (see --help)"
            );
            ExitCode::from(2)
        }
        _ => {
            eprintln!("error[Usage]: {} (see --help)", usage_message(error));
            ExitCode::from(2)
        }
    }
}

/// Clap's message up to its first blank line (dropping tips and usage), on one line,
/// without its `error: ` prefix.
fn usage_message(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let message: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.is_empty() && !line.starts_with("Usage:"))
        .collect();
    let message = message.join(" ");
    message
        .strip_prefix("error: ")
        .unwrap_or(&message)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn commands_parse_with_their_documented_names() {
        let cli = Cli::try_parse_from(["selfreport-authority", "keygen", "--out", "keys"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Keygen { out, recipients } if out == Path::new("keys") && recipients.is_empty()
        ));
        let cli = Cli::try_parse_from([
            "selfreport-authority",
            "keygen",
            "--out",
            "keys",
            "--recipient",
            "lab",
            "--recipient",
            "cdc",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::Keygen { recipients, .. } if recipients == ["lab", "cdc"]
        ));
        let cli = Cli::try_parse_from([
            "selfreport-authority",
            "open",
            "--db",
            "d.db",
            "--key",
            "k/recipient-health.key",
            "--key",
            "k/recipient-identity.key",
            "--policy",
            "s.json",
            "--format",
            "fhir",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::Open { keys, format: Format::Fhir, trust: None, .. } if keys.len() == 2
        ));
        assert!(
            Cli::try_parse_from(["selfreport-authority", "open", "--db", "d", "--policy", "p"])
                .is_err()
        );
        let cli = Cli::try_parse_from([
            "selfreport-authority",
            "sign-policy",
            "--key",
            "k/signing.key",
            "--in",
            "p.json",
            "--out",
            "s.json",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::SignPolicy { key, input, out, chain, root: None }
                if chain.is_empty() && key == Path::new("k/signing.key")
                    && input == Path::new("p.json")
                    && out == Path::new("s.json")
        ));
    }

    #[test]
    fn usage_errors_are_one_line() {
        let error = Cli::try_parse_from(["selfreport-authority", "keygen"]).unwrap_err();
        let message = usage_message(&error);
        assert!(!message.contains('\n'));
        assert!(message.contains("--out"), "{message}");
        let error = Cli::try_parse_from(["selfreport-authority", "frobnicate"]).unwrap_err();
        assert!(usage_message(&error).contains("frobnicate"));
    }

    #[test]
    fn keygen_prints_only_the_key_id_and_sign_policy_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let lines = run(Command::Keygen {
            out: keys.clone(),
            recipients: Vec::new(),
        })
        .unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].len(), 16);
        let private = std::fs::read_to_string(keys.join("signing.key")).unwrap();
        assert!(!lines[0].contains(private.trim()));

        let policy = dir.path().join("policy.json");
        std::fs::write(
            &policy,
            include_bytes!("../../../examples/policies/traveler-preregistration.json"),
        )
        .unwrap();
        let lines = run(Command::SignPolicy {
            key: keys.join("signing.key"),
            input: policy,
            chain: Vec::new(),
            root: None,
            out: dir.path().join("signed.json"),
        })
        .unwrap();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("sh-arrivals"));
        assert!(!lines[0].contains(private.trim()));
    }

    #[test]
    fn failures_carry_a_code_and_an_exit_status() {
        let dir = tempfile::tempdir().unwrap();
        let error = run(Command::SignPolicy {
            key: dir.path().join("missing.key"),
            input: dir.path().join("p.json"),
            chain: Vec::new(),
            root: None,
            out: dir.path().join("s.json"),
        })
        .unwrap_err();
        assert_eq!(error.code(), "Io");
        assert_eq!(error.exit_code(), 1);
    }
}
