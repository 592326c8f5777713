//! The byte layout of a submission plaintext (`selfreport.submission/1`, docs/protocol.md
//! "The plaintext"): canonical JSON, keys in byte order, the carried keys only when a part
//! carries them. [`super::Disclosure`] writes its parts with it, and the padded-size bound
//! measures its widest header with it.

use std::collections::BTreeMap;

use super::canonical::{DisclosedValue, Sink, write_object, write_string, write_value};
use super::disclosure::SUBMISSION_FORMAT;

/// The header of a submission plaintext, everything but `fields`.
pub(super) struct Header<'a> {
    pub(super) date: &'a str,
    pub(super) dummy: bool,
    pub(super) form: &'a str,
    /// Written when present (a part that carries it; never in cover traffic).
    pub(super) monitoring_district: Option<&'a str>,
    /// Written when present.
    pub(super) notice_key: Option<&'a str>,
    pub(super) policy_id: &'a str,
    pub(super) policy_version: u64,
    pub(super) pseudonym: &'a str,
    pub(super) submission_id: &'a str,
}

/// Writes the canonical submission plaintext; keys in byte order, as in every
/// canonical object.
pub(super) fn write_submission(
    sink: &mut impl Sink,
    header: &Header<'_>,
    fields: &BTreeMap<String, DisclosedValue>,
) {
    sink.put("{");
    string_member(sink, "date", header.date);
    sink.put(",\"dummy\":");
    write_value(sink, &DisclosedValue::Bool(header.dummy));
    sink.put(",\"fields\":");
    write_object(sink, fields);
    sink.put(",");
    string_member(sink, "form", header.form);
    sink.put(",");
    string_member(sink, "format", SUBMISSION_FORMAT);
    sink.put(",");
    if let Some(district) = header.monitoring_district {
        string_member(sink, "monitoring_district", district);
        sink.put(",");
    }
    if let Some(notice_key) = header.notice_key {
        string_member(sink, "notice_key", notice_key);
        sink.put(",");
    }
    string_member(sink, "policy_id", header.policy_id);
    sink.put(",\"policy_version\":");
    write_value(
        sink,
        &DisclosedValue::Integer(i128::from(header.policy_version)),
    );
    sink.put(",");
    string_member(sink, "pseudonym", header.pseudonym);
    sink.put(",");
    string_member(sink, "submission_id", header.submission_id);
    sink.put("}");
}

/// Writes `"key":"value"`.
fn string_member(sink: &mut impl Sink, key: &str, value: &str) {
    write_string(sink, key);
    sink.put(":");
    write_string(sink, value);
}
