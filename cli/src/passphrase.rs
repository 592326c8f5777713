//! Where passphrases come from: an environment variable, or the terminal.
//!
//! Scripts and tests set the variable; a person at a terminal is asked. Without either
//! (a pipe, CI) the command fails with `KeyUnavailable` instead of blocking on input
//! that will never come. Passphrases live in [`Zeroizing`] strings from the moment they
//! are read.

use std::io::IsTerminal as _;
use std::num::NonZeroU32;

use selfreport_core::crypto::PassphraseKeySource;
use zeroize::Zeroizing;

use crate::failure::Failure;
use crate::i18n::{tr, tr_with};

/// Reads the passphrase of an existing store from `env_name`, or asks once.
pub fn existing(env_name: &str) -> Result<Zeroizing<String>, Failure> {
    match from_env(env_name)? {
        Some(passphrase) => Ok(passphrase),
        None => prompt("Passphrase: ", env_name),
    }
}

/// Reads a passphrase that is about to protect a store from `env_name`, or asks twice
/// and checks both answers match. Refuses an empty passphrase.
pub fn new(env_name: &str, what: &str) -> Result<Zeroizing<String>, Failure> {
    let passphrase = match from_env(env_name)? {
        Some(passphrase) => passphrase,
        None => {
            let first = prompt(&format!("{what}: "), env_name)?;
            let second = prompt(&format!("{what} (again): "), env_name)?;
            if first != second {
                return Err(Failure::invalid(
                    "PassphraseMismatch",
                    tr("passphrase.mismatch"),
                ));
            }
            first
        }
    };
    if passphrase.is_empty() {
        return Err(Failure::invalid("EmptyPassphrase", tr("passphrase.empty")));
    }
    Ok(passphrase)
}

/// A key source for `passphrase`; `iterations` overrides the PBKDF2 default for the
/// blobs it makes (tests and benchmarks only; opening uses the stored count).
pub fn key_source(
    passphrase: Zeroizing<String>,
    iterations: Option<NonZeroU32>,
) -> PassphraseKeySource {
    let source = PassphraseKeySource::new(passphrase);
    match iterations {
        Some(iterations) => source.with_iterations(iterations),
        None => source,
    }
}

fn from_env(env_name: &str) -> Result<Option<Zeroizing<String>>, Failure> {
    match std::env::var_os(env_name) {
        None => Ok(None),
        Some(value) => match value.into_string() {
            Ok(text) => Ok(Some(Zeroizing::new(text))),
            Err(_) => Err(Failure::invalid(
                "PassphraseEncoding",
                tr_with("passphrase.encoding", &[("env", &env_name)]),
            )),
        },
    }
}

fn prompt(label: &str, env_name: &str) -> Result<Zeroizing<String>, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::key_unavailable(tr_with(
            "passphrase.none",
            &[("env", &env_name)],
        )));
    }
    rpassword::prompt_password(label)
        .map(Zeroizing::new)
        .map_err(|error| {
            Failure::key_unavailable(tr_with("passphrase.unreadable", &[("error", &error)]))
        })
}
