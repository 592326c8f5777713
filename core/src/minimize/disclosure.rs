//! `minimize`: a record reduced, per recipient, to what its policy declares, and the
//! padded canonical plaintext of each recipient's part.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::MinimizeError;
use super::canonical::{Counter, DisclosedValue, Sink};
use super::carried::{Carried, Carries, carries, is_county_code};
use super::padding::padded_size_of;
use super::plaintext::{Header, write_submission};
use super::transform::{apply_until, check_field, window_end};
use crate::model::{FieldValue, Profile, ProfileAttribute, Record};
use crate::notice::NoticeKey;
use crate::policy::{FieldSource, FieldSpec, Form, PolicyDocument};

/// The format string of a sealed plaintext.
pub const SUBMISSION_FORMAT: &str = "selfreport.submission/1";

/// One uploaded field, as the ledger records it: which field, reduced how, sent to whom.
/// Never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosedField {
    /// The field id.
    pub field: String,
    /// The transform's name (`"threshold"`).
    pub transform: String,
    /// The recipient it was sent to.
    pub recipient: String,
}

/// What one recipient receives: its fields after their transforms, and the fixed size
/// its plaintext is padded to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosedPart {
    fields: BTreeMap<String, DisclosedValue>,
    padded_size: usize,
    carries: Carries,
}

impl DisclosedPart {
    /// The disclosed values by field id; only fields that have a value and are routed
    /// to this recipient.
    pub fn fields(&self) -> &BTreeMap<String, DisclosedValue> {
        &self.fields
    }

    /// The length every plaintext of this form for this recipient is padded to.
    pub fn padded_size(&self) -> usize {
        self.padded_size
    }
}

/// A record minimized under its policy: per recipient, the transformed fields and
/// nothing else. Made only by [`minimize`] or [`Disclosure::dummy`], so every part
/// is known to fit its padded size.
#[derive(Clone, PartialEq, Eq)]
pub struct Disclosure {
    policy_id: String,
    policy_version: u64,
    form_id: String,
    date: NaiveDate,
    submission_id: String,
    pseudonym: String,
    dummy: bool,
    monitoring_district: Option<String>,
    notice_key: Option<NoticeKey>,
    parts: BTreeMap<String, DisclosedPart>,
    disclosed: Vec<DisclosedField>,
}

/// Reduces `record` to what `policy` lets leave the device.
///
/// For each field of the record's form whose upload is not `omit`, the value (answered
/// fields from the record, `source: profile` fields from `profile`) goes through its
/// transform into the part of the field's recipient. Unanswered fields are absent.
/// Every recipient some field of the form is routed to gets a part, even one left
/// empty by unanswered fields, so the set of parts depends on the form only; a recipient
/// the form sends nothing gets none.
///
/// `pseudonym` is the profile's pseudonym for this policy and `submission_id` the
/// submission's random id, both 32 lowercase hex characters. The disclosure carries
/// `policy.version`: the version whose transforms were applied.
pub fn minimize(
    policy: &PolicyDocument,
    record: &Record,
    profile: &Profile,
    pseudonym: &str,
    submission_id: &str,
) -> Result<Disclosure, MinimizeError> {
    minimize_carrying(
        policy,
        record,
        profile,
        pseudonym,
        submission_id,
        Carried::default(),
    )
}

/// [`minimize`], with what the submission carries besides the record's fields.
///
/// [`MinimizeError::MissingHeader`] when a part of the form carries a key `carried` does
/// not give: a form filed under enrollment orders needs the order's district, a policy
/// with `access_notices` that has an identity part needs the notice key.
pub fn minimize_carrying(
    policy: &PolicyDocument,
    record: &Record,
    profile: &Profile,
    pseudonym: &str,
    submission_id: &str,
    carried: Carried,
) -> Result<Disclosure, MinimizeError> {
    if record.policy_id != policy.id {
        return Err(MinimizeError::PolicyMismatch {
            record_policy: record.policy_id.clone(),
            policy: policy.id.clone(),
        });
    }
    if record.profile_id != profile.id {
        return Err(MinimizeError::ProfileMismatch);
    }
    let form = find_form(policy, &record.form_id)?;
    let mut disclosure = Disclosure::empty(policy, form, record.date, submission_id, pseudonym)?;
    disclosure.carry(carried)?;
    for field in form.fields.iter().filter(|field| field.upload.uploads()) {
        let Some(value) = field_value(field, record, profile) else {
            continue;
        };
        let end = window_end(field, record)?;
        let Some(disclosed) = apply_until(field, &value, record.date, end, pseudonym)? else {
            continue;
        };
        let recipient = recipient_of(field)?;
        let part =
            disclosure
                .parts
                .get_mut(recipient)
                .ok_or_else(|| MinimizeError::UnknownRecipient {
                    recipient: recipient.to_owned(),
                })?;
        part.fields.insert(field.id.clone(), disclosed);
        disclosure.disclosed.push(DisclosedField {
            field: field.id.clone(),
            transform: field.upload.name().to_owned(),
            recipient: recipient.to_owned(),
        });
    }
    for (recipient, part) in &disclosure.parts {
        if disclosure.canonical_len(part) > part.padded_size {
            return Err(MinimizeError::TooLarge {
                recipient: recipient.clone(),
                padded_size: part.padded_size,
            });
        }
    }
    Ok(disclosure)
}

impl Disclosure {
    /// Cover traffic: a submission of form `form_id` with `dummy: true` and no fields,
    /// with parts for the same recipients as a real one, padded to the same sizes.
    pub fn dummy(
        policy: &PolicyDocument,
        form_id: &str,
        date: NaiveDate,
        submission_id: &str,
        pseudonym: &str,
    ) -> Result<Disclosure, MinimizeError> {
        let form = find_form(policy, form_id)?;
        let mut disclosure = Disclosure::empty(policy, form, date, submission_id, pseudonym)?;
        disclosure.dummy = true;
        Ok(disclosure)
    }

    /// A disclosure of `form` with an empty part for each of its recipients.
    fn empty(
        policy: &PolicyDocument,
        form: &Form,
        date: NaiveDate,
        submission_id: &str,
        pseudonym: &str,
    ) -> Result<Disclosure, MinimizeError> {
        check_hex_id(submission_id, "submission id")?;
        check_hex_id(pseudonym, "pseudonym")?;
        let mut parts = BTreeMap::new();
        for field in form.fields.iter().filter(|field| field.upload.uploads()) {
            check_field(field)?;
            let recipient = recipient_of(field)?;
            if !policy.recipients.contains_key(recipient) {
                return Err(MinimizeError::UnknownRecipient {
                    recipient: recipient.to_owned(),
                });
            }
            if !parts.contains_key(recipient) {
                let part = DisclosedPart {
                    fields: BTreeMap::new(),
                    padded_size: padded_size_of(policy, form, recipient)?,
                    carries: carries(policy, form, recipient),
                };
                parts.insert(recipient.to_owned(), part);
            }
        }
        Ok(Disclosure {
            policy_id: policy.id.clone(),
            policy_version: policy.version,
            form_id: form.id.clone(),
            date,
            submission_id: submission_id.to_owned(),
            pseudonym: pseudonym.to_owned(),
            dummy: false,
            monitoring_district: None,
            notice_key: None,
            parts,
            disclosed: Vec::new(),
        })
    }

    /// Takes the header keys the parts carry; refuses one a part needs and `carried`
    /// lacks. A value no part carries is dropped, so it cannot leave by mistake.
    fn carry(&mut self, carried: Carried) -> Result<(), MinimizeError> {
        let needs_district = self
            .parts
            .values()
            .any(|part| part.carries.monitoring_district);
        let needs_notice_key = self.parts.values().any(|part| part.carries.notice_key);
        if needs_district {
            let district = carried
                .monitoring_district
                .ok_or(MinimizeError::MissingHeader {
                    key: "monitoring_district",
                })?;
            if !is_county_code(&district) {
                return Err(MinimizeError::MissingHeader {
                    key: "monitoring_district",
                });
            }
            self.monitoring_district = Some(district);
        }
        if needs_notice_key {
            self.notice_key = Some(
                carried
                    .notice_key
                    .ok_or(MinimizeError::MissingHeader { key: "notice_key" })?,
            );
        }
        Ok(())
    }

    /// The policy id.
    pub fn policy_id(&self) -> &str {
        &self.policy_id
    }

    /// The version of the policy whose transforms were applied.
    pub fn policy_version(&self) -> u64 {
        self.policy_version
    }

    /// The form id.
    pub fn form_id(&self) -> &str {
        &self.form_id
    }

    /// The record's local date.
    pub fn date(&self) -> NaiveDate {
        self.date
    }

    /// The submission's random id.
    pub fn submission_id(&self) -> &str {
        &self.submission_id
    }

    /// The profile's pseudonym for the policy.
    pub fn pseudonym(&self) -> &str {
        &self.pseudonym
    }

    /// Whether this is cover traffic.
    pub fn is_dummy(&self) -> bool {
        self.dummy
    }

    /// The parts by recipient name.
    pub fn parts(&self) -> &BTreeMap<String, DisclosedPart> {
        &self.parts
    }

    /// The uploaded fields in form order, for the ledger; empty for cover traffic.
    pub fn disclosed(&self) -> &[DisclosedField] {
        &self.disclosed
    }

    /// The canonical JSON of `recipient`'s part, unpadded: what the preview shows.
    pub fn canonical_json(&self, recipient: &str) -> Result<String, MinimizeError> {
        let part = self.part(recipient)?;
        let mut json = String::new();
        self.write_part(&mut json, part);
        Ok(json)
    }

    /// The plaintext to seal for `recipient`: its part's canonical JSON padded with
    /// spaces to the part's fixed size.
    pub fn plaintext(&self, recipient: &str) -> Result<Zeroizing<Vec<u8>>, MinimizeError> {
        let part = self.part(recipient)?;
        // Measured first and written into a buffer of the final size, so the buffer
        // never grows and leaves no unzeroized copy behind.
        if self.canonical_len(part) > part.padded_size {
            return Err(MinimizeError::TooLarge {
                recipient: recipient.to_owned(),
                padded_size: part.padded_size,
            });
        }
        let mut json = Zeroizing::new(String::with_capacity(part.padded_size));
        self.write_part(&mut *json, part);
        let mut bytes = Zeroizing::new(std::mem::take(&mut *json).into_bytes());
        bytes.resize(part.padded_size, b' ');
        Ok(bytes)
    }

    fn part(&self, recipient: &str) -> Result<&DisclosedPart, MinimizeError> {
        self.parts
            .get(recipient)
            .ok_or_else(|| MinimizeError::UnknownRecipient {
                recipient: recipient.to_owned(),
            })
    }

    fn canonical_len(&self, part: &DisclosedPart) -> usize {
        let mut counter = Counter::default();
        self.write_part(&mut counter, part);
        counter.0
    }

    fn write_part(&self, sink: &mut impl Sink, part: &DisclosedPart) {
        let notice_key = self.notice_key.as_ref().map(NoticeKey::to_hex);
        let header = Header {
            date: &self.date.to_string(),
            dummy: self.dummy,
            form: &self.form_id,
            monitoring_district: self
                .monitoring_district
                .as_deref()
                .filter(|_| part.carries.monitoring_district),
            notice_key: notice_key
                .as_deref()
                .map(String::as_str)
                .filter(|_| part.carries.notice_key),
            policy_id: &self.policy_id,
            policy_version: self.policy_version,
            pseudonym: &self.pseudonym,
            submission_id: &self.submission_id,
        };
        write_submission(sink, &header, &part.fields);
    }
}

/// Names what a disclosure is about, never its values or linkable ids.
impl fmt::Debug for Disclosure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Disclosure")
            .field("policy_id", &self.policy_id)
            .field("policy_version", &self.policy_version)
            .field("form_id", &self.form_id)
            .field("dummy", &self.dummy)
            .field("disclosed", &self.disclosed)
            .finish_non_exhaustive()
    }
}

pub(super) fn find_form<'a>(
    policy: &'a PolicyDocument,
    form_id: &str,
) -> Result<&'a Form, MinimizeError> {
    policy
        .form(form_id)
        .ok_or_else(|| MinimizeError::UnknownForm {
            form: form_id.to_owned(),
        })
}

fn recipient_of(field: &FieldSpec) -> Result<&str, MinimizeError> {
    field
        .to
        .as_deref()
        .ok_or_else(|| MinimizeError::MissingRecipient {
            field: field.id.clone(),
        })
}

/// The value a field discloses: answered fields from the record, profile-sourced ones
/// from the profile (never from the record, whatever it holds).
pub(super) fn field_value<'a>(
    field: &FieldSpec,
    record: &'a Record,
    profile: &Profile,
) -> Option<Cow<'a, FieldValue>> {
    match field.source {
        FieldSource::Answer => record.value(&field.id).map(Cow::Borrowed),
        FieldSource::Profile => ProfileAttribute::from_field_id(&field.id)
            .and_then(|attribute| profile.attribute(attribute))
            .map(Cow::Owned),
    }
}

fn check_hex_id(id: &str, what: &'static str) -> Result<(), MinimizeError> {
    let valid = id.len() == 32
        && id
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
    if valid {
        Ok(())
    } else {
        Err(MinimizeError::InvalidId { what })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{
        PSEUDONYM, SUBMISSION_ID, date, example_policy, field, form, leg, policy, profile, record,
    };
    use super::*;
    use crate::model::{FieldKind, ProfileId, Temperature};
    use crate::policy::Transform;

    fn daily(tenths: i32, symptoms: &[&str], district: &str) -> Record {
        record(
            "daily",
            "2026-11-28",
            vec![
                (
                    "temperature",
                    FieldValue::Temperature(Temperature::from_tenths(tenths)),
                ),
                (
                    "symptoms",
                    FieldValue::MultiChoice(symptoms.iter().map(|code| (*code).into()).collect()),
                ),
                ("district", FieldValue::District(district.into())),
                ("notes", FieldValue::Text("不要上传 do not upload".into())),
            ],
        )
    }

    fn minimized(record: &Record) -> Disclosure {
        minimize(
            &example_policy(),
            record,
            &profile(),
            PSEUDONYM,
            SUBMISSION_ID,
        )
        .unwrap()
    }

    fn text(bytes: &[u8]) -> &str {
        std::str::from_utf8(bytes).unwrap()
    }

    #[test]
    fn daily_report_discloses_exactly_the_declared_uploads() {
        let disclosure = minimized(&daily(375, &["fatigue", "cough"], "420106"));
        assert_eq!(disclosure.parts().keys().collect::<Vec<_>>(), ["health"]);
        let expected = concat!(
            r#"{"date":"2026-11-28","dummy":false,"#,
            r#""fields":{"district":"420100","symptoms":["cough","fatigue"],"temperature":true},"#,
            r#""form":"daily","format":"selfreport.submission/1","policy_id":"sh","policy_version":3,"#,
            r#""pseudonym":"0123456789abcdef0123456789abcdef","#,
            r#""submission_id":"fedcba9876543210fedcba9876543210"}"#
        );
        assert_eq!(disclosure.canonical_json("health").unwrap(), expected);

        let plaintext = disclosure.plaintext("health").unwrap();
        let padded_size = disclosure.parts()["health"].padded_size();
        assert_eq!(plaintext.len(), padded_size);
        assert_eq!(padded_size % 512, 0);
        assert!(plaintext.starts_with(expected.as_bytes()));
        assert!(plaintext[expected.len()..].iter().all(|byte| *byte == b' '));

        assert_eq!(
            disclosure.disclosed(),
            [
                ("temperature", "threshold"),
                ("symptoms", "keep"),
                ("district", "generalize"),
            ]
            .map(|(field, transform)| DisclosedField {
                field: field.into(),
                transform: transform.into(),
                recipient: "health".into(),
            })
        );
        assert!(!disclosure.is_dummy());
        assert_eq!(disclosure.policy_version(), 3);
        assert_eq!(disclosure.date(), date("2026-11-28"));
    }

    #[test]
    fn canonical_keys_are_in_byte_order() {
        let json = minimized(&daily(362, &[], "310104"))
            .canonical_json("health")
            .unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
    }

    #[test]
    fn profile_fields_come_from_the_profile_only() {
        let mut arrival = record(
            "arrival",
            "2026-11-28",
            vec![
                // Profile-sourced fields are read from the profile, never the record.
                ("name", FieldValue::PersonName("冒名".into())),
                (
                    "travel",
                    FieldValue::TravelHistory(vec![leg("420106", "2026-11-10", "2026-11-16")]),
                ),
                ("arrival_date", FieldValue::Date(date("2026-11-27"))),
                ("undeclared", FieldValue::Text("never sent".into())),
            ],
        );
        arrival.policy_version = 2;
        let disclosure = minimized(&arrival);
        assert_eq!(
            disclosure.parts().keys().collect::<Vec<_>>(),
            ["health", "identity"]
        );
        let identity = disclosure.canonical_json("identity").unwrap();
        assert!(identity.contains(r#""fields":{"id_number":"11010519491231002X","name":"张三"}"#));
        let health = disclosure.canonical_json("health").unwrap();
        assert!(health.contains(concat!(
            r#""fields":{"arrival_date":"2026-11-27","birth_date":{"from":70,"to":79},"#,
            r#""travel":{"last_visit_week":"2026-W47","visited":true}}"#
        )));
        for json in [&identity, &health] {
            assert!(!json.contains("冒名") && !json.contains("never sent"));
            assert!(!json.contains("undeclared") && !json.contains("1952"));
        }
        // The version applied is the policy's, whatever the record was saved under.
        assert!(health.contains(r#""policy_version":3"#));
    }

    #[test]
    fn unanswered_fields_are_absent_but_the_part_remains() {
        let only_temperature = record(
            "daily",
            "2026-11-28",
            vec![(
                "temperature",
                FieldValue::Temperature(Temperature::from_tenths(371)),
            )],
        );
        let disclosure = minimized(&only_temperature);
        let fields = disclosure.parts()["health"].fields();
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["temperature"]);
        assert_eq!(disclosure.disclosed().len(), 1);

        let nothing = record("daily", "2026-11-28", vec![]);
        let empty = minimized(&nothing);
        assert!(empty.parts()["health"].fields().is_empty());
        assert!(empty.disclosed().is_empty());
        assert_eq!(
            empty.plaintext("health").unwrap().len(),
            disclosure.plaintext("health").unwrap().len()
        );
    }

    #[test]
    fn different_answers_give_identical_lengths() {
        let short = minimized(&daily(360, &[], "110105"));
        let long = minimized(&daily(
            430,
            &["cough", "fatigue", "dyspnea", "loss_of_smell"],
            "420106",
        ));
        assert_ne!(
            short.canonical_json("health").unwrap().len(),
            long.canonical_json("health").unwrap().len()
        );
        assert_eq!(
            short.plaintext("health").unwrap().len(),
            long.plaintext("health").unwrap().len()
        );
    }

    #[test]
    fn dummies_match_real_submissions_in_parts_and_length() {
        let policy = example_policy();
        for (form_id, record) in [
            ("daily", daily(375, &["cough"], "420106")),
            ("arrival", record("arrival", "2026-11-28", vec![])),
        ] {
            let real = minimize(&policy, &record, &profile(), PSEUDONYM, SUBMISSION_ID).unwrap();
            let dummy = Disclosure::dummy(
                &policy,
                form_id,
                date("2026-11-28"),
                SUBMISSION_ID,
                PSEUDONYM,
            )
            .unwrap();
            assert!(dummy.is_dummy());
            assert!(dummy.disclosed().is_empty());
            assert_eq!(
                dummy.parts().keys().collect::<Vec<_>>(),
                real.parts().keys().collect::<Vec<_>>()
            );
            for recipient in real.parts().keys() {
                assert!(dummy.parts()[recipient].fields().is_empty());
                assert_eq!(
                    dummy.plaintext(recipient).unwrap().len(),
                    real.plaintext(recipient).unwrap().len()
                );
            }
        }
        let dummy = Disclosure::dummy(
            &policy,
            "daily",
            date("2026-11-28"),
            SUBMISSION_ID,
            PSEUDONYM,
        )
        .unwrap();
        let plaintext = dummy.plaintext("health").unwrap();
        assert!(
            text(&plaintext)
                .starts_with(r#"{"date":"2026-11-28","dummy":true,"fields":{},"form":"daily","#)
        );
    }

    #[test]
    fn refuses_mismatched_inputs() {
        let policy = example_policy();
        let good = daily(370, &[], "420106");
        let mut other_policy = good.clone();
        other_policy.policy_id = "other".into();
        assert_eq!(
            minimize(&policy, &other_policy, &profile(), PSEUDONYM, SUBMISSION_ID).unwrap_err(),
            MinimizeError::PolicyMismatch {
                record_policy: "other".into(),
                policy: "sh".into()
            }
        );
        let mut stranger = profile();
        stranger.id = ProfileId::from_random_bytes([0x99; 16]);
        assert_eq!(
            minimize(&policy, &good, &stranger, PSEUDONYM, SUBMISSION_ID).unwrap_err(),
            MinimizeError::ProfileMismatch
        );
        let mut unknown_form = good.clone();
        unknown_form.form_id = "weekly".into();
        assert_eq!(
            minimize(&policy, &unknown_form, &profile(), PSEUDONYM, SUBMISSION_ID)
                .unwrap_err()
                .code(),
            "MinimizeUnknownForm"
        );
        for (pseudonym, submission_id, what) in [
            ("short", SUBMISSION_ID, "pseudonym"),
            (
                PSEUDONYM,
                "FEDCBA9876543210FEDCBA9876543210",
                "submission id",
            ),
            (
                PSEUDONYM,
                "fedcba9876543210fedcba987654321g",
                "submission id",
            ),
        ] {
            assert_eq!(
                minimize(&policy, &good, &profile(), pseudonym, submission_id).unwrap_err(),
                MinimizeError::InvalidId { what }
            );
        }
        let disclosure = minimized(&good);
        for recipient in ["identity", "unused", "nobody"] {
            assert_eq!(
                disclosure.plaintext(recipient).unwrap_err().code(),
                "MinimizeUnknownRecipient"
            );
        }
        assert_eq!(
            Disclosure::dummy(
                &policy,
                "weekly",
                date("2026-11-28"),
                SUBMISSION_ID,
                PSEUDONYM
            )
            .unwrap_err()
            .code(),
            "MinimizeUnknownForm"
        );
    }

    #[test]
    fn refuses_routes_the_policy_does_not_declare() {
        let undeclared = policy(vec![form(
            "daily",
            vec![field("x", FieldKind::YesNo, Transform::Keep, Some("press"))],
        )]);
        let record = record("daily", "2026-11-28", vec![("x", FieldValue::YesNo(true))]);
        assert_eq!(
            minimize(&undeclared, &record, &profile(), PSEUDONYM, SUBMISSION_ID).unwrap_err(),
            MinimizeError::UnknownRecipient {
                recipient: "press".into()
            }
        );
        let unrouted = policy(vec![form(
            "daily",
            vec![field("x", FieldKind::YesNo, Transform::Keep, None)],
        )]);
        assert_eq!(
            minimize(&unrouted, &record, &profile(), PSEUDONYM, SUBMISSION_ID).unwrap_err(),
            MinimizeError::MissingRecipient { field: "x".into() }
        );
    }

    #[test]
    fn values_longer_than_their_kind_allows_are_refused_not_sent() {
        let short_text = policy(vec![form(
            "daily",
            vec![field(
                "note",
                FieldKind::Text { max_len: 2 },
                Transform::Keep,
                Some("health"),
            )],
        )]);
        let record = record(
            "daily",
            "2026-11-28",
            vec![("note", FieldValue::Text("x".repeat(2000)))],
        );
        let error =
            minimize(&short_text, &record, &profile(), PSEUDONYM, SUBMISSION_ID).unwrap_err();
        assert_eq!(
            error,
            MinimizeError::TooLarge {
                recipient: "health".into(),
                padded_size: 512
            }
        );
    }

    #[test]
    fn debug_shows_no_values_or_ids() {
        let disclosure = minimized(&daily(375, &["cough"], "420106"));
        let debug = format!("{disclosure:?}");
        assert!(debug.contains("daily") && debug.contains("threshold"));
        for secret in [PSEUDONYM, SUBMISSION_ID, "420100", "cough", "2026-11-28"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
    }
}
