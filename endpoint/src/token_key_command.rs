//! `selfreport-authority token-key`: the upload token issuer keys of a drop box
//! ([`crate::token_key`]).

use std::path::PathBuf;

use chrono::{Days, NaiveDate};
use selfreport_core::policy::TokenKeyUse;

use crate::error::Result;
use crate::token_key::generate_token_key_file;

/// Days a generated key's entry covers when `--until` is not given (its first day
/// included).
pub const DEFAULT_KEY_DAYS: u64 = 365;

/// The `token-key` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TokenKeyCommand {
    /// Generate an upload token issuer key (RSA 2048, RFC 9578 token type 0x0002) and
    /// print its public key and a ready `endpoint.token_keys` entry.
    ///
    /// Writes the private key to FILE (PKCS#8 PEM, mode 0600; never replaces a file): the
    /// drop box signs with it (`selfreport-endpoint serve --token-key FILE`). Prints the
    /// SubjectPublicKeyInfo in standard base64, then the policy entry as one line of JSON.
    /// The entries of one use must follow one another without gap or overlap over the
    /// policy's validity: a new key for each period, added to the next policy version.
    Generate {
        /// Where to write the private key.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Which uploads its tokens pay for: `enrolled` (forms under an enrollment order)
        /// or `open` (open forms, issued to any device).
        #[arg(long = "use", value_name = "USE", default_value = "enrolled", value_parser = parse_use)]
        usage: TokenKeyUse,
        /// First day it issues (default: today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Option<NaiveDate>,
        /// Last day it issues (default: 364 days after --from).
        #[arg(long, value_name = "YYYY-MM-DD")]
        until: Option<NaiveDate>,
    },
}

fn parse_use(text: &str) -> std::result::Result<TokenKeyUse, String> {
    match text {
        "enrolled" => Ok(TokenKeyUse::Enrolled),
        "open" => Ok(TokenKeyUse::Open),
        _ => Err("expected `enrolled` or `open`".to_owned()),
    }
}

/// Runs a `token-key` subcommand; returns the lines for stdout.
pub fn run(command: TokenKeyCommand, today: NaiveDate) -> Result<Vec<String>> {
    match command {
        TokenKeyCommand::Generate {
            out,
            usage,
            from,
            until,
        } => {
            let from = from.unwrap_or(today);
            let until = until.unwrap_or_else(|| {
                from.checked_add_days(Days::new(DEFAULT_KEY_DAYS - 1))
                    .unwrap_or(NaiveDate::MAX)
            });
            let output = generate_token_key_file(&out, usage, from, until)?;
            eprintln!(
                "wrote {} (private, mode 0600: for `selfreport-endpoint serve --token-key`)",
                out.display()
            );
            Ok(vec![output.spki_base64, output.entry.to_json().to_string()])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(subcommand)]
        command: TokenKeyCommand,
    }

    #[test]
    fn generate_prints_the_key_and_an_entry_from_today_for_a_year() {
        use clap::Parser as _;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("issuer.pem");
        let out_text = out.to_string_lossy().into_owned();
        let cli =
            Cli::try_parse_from(["t", "generate", "--out", &out_text, "--use", "open"]).unwrap();
        let today: NaiveDate = "2026-12-07".parse().unwrap();
        let lines = run(cli.command, today).unwrap();
        let entry: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(entry["spki"], lines[0].as_str());
        assert_eq!(entry["use"], "open");
        assert_eq!(entry["from"], "2026-12-07");
        assert_eq!(entry["until"], "2027-12-06");
        assert!(Cli::try_parse_from(["t", "generate", "--out", "x", "--use", "other"]).is_err());
    }
}
