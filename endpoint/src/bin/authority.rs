//! `selfreport-authority`: make a policy-signing key, sign collection policies.
//!
//! A thin wrapper over the `selfreport_endpoint` library. Errors are one line on stderr,
//! `error[Code]: message`, with exit status 2 for usage, 3 for invalid input, 1 otherwise.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};
use selfreport_endpoint::{AuthorityError, keygen, sign_policy_file};

/// Authority tools for selfreport: policy-signing keys and signed collection policies.
#[derive(Debug, Parser)]
#[command(name = "selfreport-authority", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate an Ed25519 policy-signing key pair and print its key id.
    ///
    /// Writes DIR/signing.key (the private seed, mode 0600, never overwritten) and
    /// DIR/signing.pub (the public key, the trust anchor apps are given).
    Keygen {
        /// Directory to write the key pair into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Sign a selfreport.policy/1 document, byte for byte as it is in its file.
    ///
    /// The document must pass every content check an app makes at install; its dates are
    /// not checked, so a policy can be signed ahead of its validity window.
    SignPolicy {
        /// The private signing key (signing.key).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The policy document (JSON).
        #[arg(long = "in", value_name = "POLICY.json")]
        input: PathBuf,
        /// Where to write the signed envelope (replaced if it exists).
        #[arg(long, value_name = "SIGNED.json")]
        out: PathBuf,
    },
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
        Command::Keygen { out } => {
            let output = keygen(&out)?;
            eprintln!(
                "wrote {} (private, keep it offline) and {} (give it to apps as their trust anchor)",
                output.signing_key_path.display(),
                output.public_key_path.display()
            );
            Ok(vec![output.key_id])
        }
        Command::SignPolicy { key, input, out } => {
            let signed = sign_policy_file(&key, &input, &out)?;
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

/// Help and version go to stdout with status 0; any other parse failure, a missing
/// command included, is one line on stderr with status 2.
fn usage_error(error: &clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprintln!("error[Usage]: a command is required: keygen or sign-policy (see --help)");
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
        assert!(matches!(cli.command, Command::Keygen { out } if out == Path::new("keys")));
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
            Command::SignPolicy { key, input, out }
                if key == Path::new("k/signing.key")
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
        let lines = run(Command::Keygen { out: keys.clone() }).unwrap();
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
            out: dir.path().join("s.json"),
        })
        .unwrap_err();
        assert_eq!(error.code(), "Io");
        assert_eq!(error.exit_code(), 1);
    }
}
