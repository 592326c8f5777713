//! How the command fails: one line on stderr with a stable code, and an exit status.
//!
//! `error[Code]: message`, where `Code` is the core's [`Error::code`] (or one of the
//! CLI's own codes below) and the exit status follows the error's category:
//! 2 usage, 3 invalid input, 4 wrong or missing key, 5 integrity, 1 anything else.

use std::fmt;

use selfreport_core::{Error, ErrorCategory};

/// Exit status for a failure outside the other classes.
pub const EXIT_OTHER: u8 = 1;
/// Exit status for a command line that does not parse.
pub const EXIT_USAGE: u8 = 2;
/// Exit status for invalid input: answers, profile attributes, policies, key files.
pub const EXIT_INVALID_INPUT: u8 = 3;
/// Exit status for a wrong or missing key.
pub const EXIT_KEY: u8 = 4;
/// Exit status for stored data that failed an integrity check.
pub const EXIT_INTEGRITY: u8 = 5;

/// A failed command: what to print and how to exit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    code: &'static str,
    message: String,
    exit: u8,
}

impl Failure {
    /// A failure with a stable `code`, a message and an exit status.
    pub fn new(code: &'static str, message: impl Into<String>, exit: u8) -> Self {
        Self {
            code,
            message: message.into(),
            exit,
        }
    }

    /// Invalid input the CLI itself detected (exit 3).
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, message, EXIT_INVALID_INPUT)
    }

    /// No key could be obtained: no passphrase in the environment and no terminal to ask
    /// on (exit 4). Uses the core's code for an unavailable key.
    pub fn key_unavailable(message: impl Into<String>) -> Self {
        Self::new("KeyUnavailable", message, EXIT_KEY)
    }

    /// Stored data the CLI keeps beside the store failed to parse (exit 5).
    pub fn integrity(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, message, EXIT_INTEGRITY)
    }

    /// A file could not be read or written (exit 1).
    pub fn io(what: impl fmt::Display, error: &std::io::Error) -> Self {
        Self::new("Io", format!("{what}: {error}"), EXIT_OTHER)
    }

    /// The same failure with `hint` after its message (`message; hint`): where to look
    /// next. The code and exit status stay.
    pub fn with_hint(mut self, hint: &str) -> Self {
        self.message = format!("{}; {hint}", self.message.trim_end());
        self
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The exit status.
    pub fn exit_code(&self) -> u8 {
        self.exit
    }

    /// The one line to print on stderr: `error[Code]: message`, with any line breaks in
    /// the message folded so the line stays one line.
    pub fn line(&self) -> String {
        let message: String = self
            .message
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        format!("error[{}]: {}", self.code, message.trim())
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let exit = match error.category() {
            ErrorCategory::InvalidInput => EXIT_INVALID_INPUT,
            ErrorCategory::Key => EXIT_KEY,
            ErrorCategory::Integrity => EXIT_INTEGRITY,
            _ => EXIT_OTHER,
        };
        Self::new(
            error.code(),
            crate::error_text::message(&error, crate::i18n::lang()),
            exit,
        )
    }
}

impl From<selfreport_core::model::ValidationError> for Failure {
    fn from(error: selfreport_core::model::ValidationError) -> Self {
        Error::from(error).into()
    }
}

impl From<selfreport_core::policy::PolicyError> for Failure {
    fn from(error: selfreport_core::policy::PolicyError) -> Self {
        Error::from(error).into()
    }
}

#[cfg(test)]
mod tests {
    use selfreport_core::model::{Rule, ValidationError};

    use super::*;

    #[test]
    fn core_errors_keep_their_code_and_map_to_exit_statuses() {
        let wrong_key = Failure::from(Error::WrongKey);
        assert_eq!(wrong_key.code(), "WrongKey");
        assert_eq!(wrong_key.exit_code(), EXIT_KEY);
        assert!(wrong_key.line().starts_with("error[WrongKey]: "));

        let corrupt = Failure::from(Error::Corrupt {
            record: "canary".into(),
        });
        assert_eq!(corrupt.exit_code(), EXIT_INTEGRITY);

        let invalid = Failure::from(ValidationError::new("temperature", Rule::TooPrecise));
        assert_eq!(invalid.exit_code(), EXIT_INVALID_INPUT);
        assert!(invalid.line().contains("temperature"), "{}", invalid.line());

        let other = Failure::from(Error::Conflict("exists".into()));
        assert_eq!(other.exit_code(), EXIT_OTHER);
    }

    #[test]
    fn a_hint_follows_the_message_and_keeps_code_and_status() {
        let failure =
            Failure::invalid("InvalidInput", "field `x` is required\n").with_hint("see y");
        assert_eq!(
            failure.line(),
            "error[InvalidInput]: field `x` is required; see y"
        );
        assert_eq!(failure.exit_code(), EXIT_INVALID_INPUT);
    }

    #[test]
    fn the_line_is_always_one_line() {
        let failure = Failure::new("Io", "first\nsecond\r\n", EXIT_OTHER);
        assert_eq!(failure.line(), "error[Io]: first second");
    }
}
