//! `selfreport`: the selfreport core on a desktop, scriptable, and the end-to-end demo.
//!
//! Every failure is one line on stderr, `error[Code]: message`, with an exit status by
//! class: 2 usage, 3 invalid input, 4 wrong or missing key, 5 integrity, 1 anything else.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod answer;
mod answer_file;
mod args;
mod commands;
mod demo;
mod drop_box_deletions;
mod error_text;
mod failure;
mod help_text;
mod i18n;
mod ledger_view;
mod monitoring;
mod network;
mod passphrase;
mod policy_show;
mod profiles;
mod prompt;
mod reporting;
mod revocations;
mod scan;
mod trust;
mod upload;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory as _, FromArgMatches as _};

use crate::args::Cli;
use crate::failure::{EXIT_OTHER, EXIT_USAGE, Failure};

fn main() -> ExitCode {
    install_panic_hook();
    let environment_lang = i18n::Lang::from_environment(|name| std::env::var(name).ok());
    let arguments: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `--help` follows `--lang` too, so the language is looked for before parsing.
    let help_lang = help_text::lang_in_arguments(&arguments).unwrap_or(environment_lang);
    let parsed = help_text::localized(Cli::command(), help_lang)
        .try_get_matches_from(&arguments)
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(error) => {
            i18n::choose(environment_lang);
            return clap_exit(&error);
        }
    };
    i18n::choose(cli.global.lang.unwrap_or(environment_lang));
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{}", failure.line());
            ExitCode::from(failure.exit_code())
        }
    }
}

/// Help and version go to stdout with status 0; usage errors become one line,
/// `error[Usage]: ...`, with status 2.
fn clap_exit(error: &clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // Printing can only fail on a closed stdout, where there is no one to tell.
            let _ = error.print();
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{}", usage_failure(error).line());
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// The first line of clap's message, without its `error: ` prefix, plus a pointer to
/// `--help`.
fn usage_failure(error: &clap::Error) -> Failure {
    let rendered = error.render().to_string();
    let first = rendered
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("invalid command line");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let message = if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        "a command is required".to_owned()
    } else {
        first.to_owned()
    };
    Failure::new("Usage", format!("{message} (see --help)"), EXIT_USAGE)
}

/// A last resort: the code is written not to panic, but if it ever does, the person sees
/// one line in the usual form rather than a backtrace, and the status is 1.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_owned());
        let place = info
            .location()
            .map(|location| format!(" at {}:{}", location.file(), location.line()))
            .unwrap_or_default();
        let failure = Failure::new(
            "Internal",
            format!("unexpected internal failure{place}: {what}; please report this bug"),
            EXIT_OTHER,
        );
        eprintln!("{}", failure.line());
        std::process::exit(i32::from(EXIT_OTHER));
    }));
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    #[test]
    fn usage_errors_are_one_line_with_the_usage_code() {
        let error = Cli::try_parse_from(["selfreport", "frobnicate"]).unwrap_err();
        let failure = usage_failure(&error);
        assert_eq!(failure.exit_code(), EXIT_USAGE);
        let line = failure.line();
        assert!(line.starts_with("error[Usage]: "), "{line}");
        assert!(line.contains("frobnicate"), "{line}");
        assert!(!line.contains('\n'));

        let missing = Cli::try_parse_from(["selfreport"]).unwrap_err();
        assert_eq!(
            usage_failure(&missing).line(),
            "error[Usage]: a command is required (see --help)"
        );
    }

    #[test]
    fn bad_answer_arguments_are_usage_errors_naming_the_problem() {
        let error = Cli::try_parse_from([
            "selfreport",
            "report",
            "--profile",
            "p",
            "--policy",
            "q",
            "--form",
            "daily",
            "--answer",
            "temperature",
        ])
        .unwrap_err();
        let line = usage_failure(&error).line();
        assert!(line.contains("FIELD=VALUE"), "{line}");
    }
}
