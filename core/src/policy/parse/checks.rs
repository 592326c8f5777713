//! Small checks shared by the document's and the fields' builders.

use super::super::error::truncated;
use super::super::limits::*;
use super::super::{Labels, PolicyError};
use super::ECHO_LEN;
use super::raw::UniqueMap;

/// Identifiers are 1 to [`MAX_ID_LEN`] characters of `a-z 0-9 - _`.
pub(crate) fn check_id(what: &str, id: &str) -> Result<(), PolicyError> {
    let valid = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(PolicyError::InvalidId {
            what: what.to_owned(),
            id: truncated(id, ECHO_LEN),
        })
    }
}

pub(crate) fn check_labels(
    what: &str,
    labels: UniqueMap<String>,
    max_chars: usize,
) -> Result<Labels, PolicyError> {
    check_count(
        &format!("languages in {what}"),
        labels.0.len(),
        MAX_LABEL_LANGUAGES,
    )?;
    for (language, text) in &labels.0 {
        let is_tag = !language.is_empty()
            && language.len() <= MAX_LANGUAGE_TAG_LEN
            && language
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !is_tag {
            return Err(setting(
                what,
                format!("`{}` is not a language tag", truncated(language, ECHO_LEN)),
            ));
        }
        if text.chars().count() > max_chars {
            return Err(limit(
                &format!("characters in {what} ({language})"),
                max_chars,
            ));
        }
    }
    Ok(labels.0)
}

pub(crate) fn check_count(what: &str, count: usize, max: usize) -> Result<(), PolicyError> {
    if count > max {
        Err(limit(what, max))
    } else {
        Ok(())
    }
}

pub(super) fn check_range(what: &str, value: u32, min: u32, max: u32) -> Result<u32, PolicyError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(setting(what, format!("must be between {min} and {max}")))
    }
}

pub(super) fn limit(what: &str, limit: usize) -> PolicyError {
    PolicyError::Limit {
        what: what.to_owned(),
        limit,
    }
}

pub(super) fn setting(what: impl Into<String>, detail: impl Into<String>) -> PolicyError {
    PolicyError::BadSetting {
        what: what.into(),
        detail: detail.into(),
    }
}
