//! Fixed plaintext sizes: every part a form sends a recipient, real or cover, is padded
//! to the same length, so the length says nothing about the answers.
//!
//! A `selfreport.policy/2` form declares the size per recipient (`padded_bytes`), which
//! install checks is a multiple of `padding.block_bytes` at or above the minimum computed
//! here; a `/1` policy pads to that minimum.
//!
//! The minimum is the smallest multiple of the policy's `padding.block_bytes` at or above
//! an upper bound on the canonical JSON any record of the form could give the
//! recipient. The bound is computed from the policy alone: the header with the widest
//! ids, version and date, then every field routed to the recipient at its widest:
//! strings at six bytes per character (a `\u00xx` escape), all codes of a multi-choice,
//! [`MAX_TRAVEL_LEGS`] legs of a travel history, numbers at the width of their extremes.
//! Strings whose shape validation fixes (resident IDs, phone numbers...) count at their
//! longest valid form; a stored value breaking its shape makes minimization fail with
//! [`MinimizeError::TooLarge`] rather than send a longer part.

use chrono::NaiveDate;

use super::MinimizeError;
use super::canonical::{Counter, Decimal, DisclosedValue, string_len};
use super::carried::carries;
use super::number::{PolicyNumber, round_half_up};
use super::plaintext::{Header, write_submission};
use super::transform::{check_field, year};
use crate::model::{FieldKind, MAX_NAME_CHARS, MAX_TRAVEL_LEGS};
use crate::policy::limits::MAX_ID_LEN;
use crate::policy::{DateGranularity, FieldSpec, Form, PolicyDocument, Transform};

/// Largest padded part accepted, as a guard against allocating for an absurd policy.
/// Real limits are far lower: a whole sealed request is at most 256 KiB.
pub const MAX_PADDED_BYTES: usize = 16 * 1024 * 1024;

/// Length of a pseudonym or submission id: 32 hex characters.
const ID_HEX_LEN: usize = 32;
/// `false` is the longer boolean.
const BOOL_LEN: u64 = 5;
/// `null`.
const NULL_LEN: u64 = 4;
/// Characters of a district code.
const DISTRICT_CHARS: u64 = 6;
/// Characters of a resident ID.
const RESIDENT_ID_CHARS: u64 = 18;
/// Most characters of a passport number.
const PASSPORT_CHARS: u64 = 20;
/// Most characters of an E.164 phone number: `+` and 15 digits.
const PHONE_CHARS: u64 = 16;
/// Most characters of a transport number: two-character prefix, five digits, a letter.
const TRANSPORT_CHARS: u64 = 8;
/// Most bytes one character takes in a JSON string (`\u0001`).
const MAX_ESCAPED_CHAR_BYTES: u64 = 6;
/// Digits of an age band's widest bound: ages and widths are `u32`, so a band's last
/// year is below 2^33, ten digits.
const AGE_DIGITS: u64 = 10;

/// The fixed size of every plaintext part of form `form_id` for `recipient` under
/// `policy`: the size a `selfreport.policy/2` form declares in `padded_bytes`, or for a
/// `/1` policy (which declares none) the computed [`minimum_padded_size`].
///
/// [`MinimizeError::UnknownForm`] if the policy has no such form,
/// [`MinimizeError::UnknownRecipient`] if no field of the form goes to `recipient`,
/// [`MinimizeError::SizeOverflow`] above [`MAX_PADDED_BYTES`].
pub fn padded_size(
    policy: &PolicyDocument,
    form_id: &str,
    recipient: &str,
) -> Result<usize, MinimizeError> {
    let form = routed_form(policy, form_id, recipient)?;
    padded_size_of(policy, form, recipient)
}

/// The smallest padded size the core accepts for the parts of form `form_id` for
/// `recipient`: the smallest multiple of `padding.block_bytes` at or above the largest
/// canonical JSON any record of the form could give the recipient. A `/1` policy pads
/// to exactly this; a `/2` policy declares a size at least this large. Errors as
/// [`padded_size`].
pub fn minimum_padded_size(
    policy: &PolicyDocument,
    form_id: &str,
    recipient: &str,
) -> Result<usize, MinimizeError> {
    let form = routed_form(policy, form_id, recipient)?;
    computed_padded_size(policy, form, recipient)
}

/// The form `form_id`, which must route some uploaded field to `recipient`.
fn routed_form<'a>(
    policy: &'a PolicyDocument,
    form_id: &str,
    recipient: &str,
) -> Result<&'a Form, MinimizeError> {
    let form = policy
        .form(form_id)
        .ok_or_else(|| MinimizeError::UnknownForm {
            form: form_id.to_owned(),
        })?;
    let routed = form
        .fields
        .iter()
        .any(|field| field.upload.uploads() && field.to.as_deref() == Some(recipient));
    if !routed {
        return Err(MinimizeError::UnknownRecipient {
            recipient: recipient.to_owned(),
        });
    }
    Ok(form)
}

/// [`padded_size`] for a form already looked up: the declared size when the form has
/// one for `recipient`, the computed one otherwise.
pub(super) fn padded_size_of(
    policy: &PolicyDocument,
    form: &Form,
    recipient: &str,
) -> Result<usize, MinimizeError> {
    match form.padded_bytes.get(recipient) {
        Some(declared) => usize::try_from(*declared)
            .ok()
            .filter(|size| *size <= MAX_PADDED_BYTES)
            .ok_or_else(|| MinimizeError::SizeOverflow {
                form: form.id.clone(),
            }),
        None => computed_padded_size(policy, form, recipient),
    }
}

/// [`minimum_padded_size`] for a form already looked up.
fn computed_padded_size(
    policy: &PolicyDocument,
    form: &Form,
    recipient: &str,
) -> Result<usize, MinimizeError> {
    let overflow = || MinimizeError::SizeOverflow {
        form: form.id.clone(),
    };
    let bound = max_canonical_len(policy, form, recipient)?;
    // A zero block would mean no padding; pad to the bound itself instead.
    let block = u64::from(policy.padding.block_bytes.max(1));
    let padded = bound
        .div_ceil(block)
        .checked_mul(block)
        .ok_or_else(overflow)?;
    usize::try_from(padded)
        .ok()
        .filter(|size| *size <= MAX_PADDED_BYTES)
        .ok_or_else(overflow)
}

/// An upper bound on the canonical JSON length of any part of `form` for `recipient`.
/// Sums saturate, which keeps them upper bounds.
pub(super) fn max_canonical_len(
    policy: &PolicyDocument,
    form: &Form,
    recipient: &str,
) -> Result<u64, MinimizeError> {
    let mut entries = Vec::new();
    for field in &form.fields {
        if field.upload.uploads() && field.to.as_deref() == Some(recipient) {
            entries.push((field.id.as_str(), value_bound(field)?));
        }
    }
    let fields = object_bound(&entries);
    // The header measured with an empty `fields` object, whose `{}` the bound replaces.
    Ok(header_bound(policy, form, recipient)
        .saturating_sub(2)
        .saturating_add(fields))
}

/// The canonical length of the widest header this policy and form can produce for
/// `recipient`, with the keys its parts carry (a county code is six digits, a notice key
/// 64 hex).
fn header_bound(policy: &PolicyDocument, form: &Form, recipient: &str) -> u64 {
    let carries = carries(policy, form, recipient);
    let county = "000000";
    let notice_key = "0".repeat(64);
    let placeholder_id = "x".repeat(MAX_ID_LEN);
    let widest = |actual: &str| {
        if string_len(actual) > string_len(&placeholder_id) {
            actual.to_owned()
        } else {
            placeholder_id.clone()
        }
    };
    let hex_id = "0".repeat(ID_HEX_LEN);
    let header = Header {
        date: &widest_date(),
        dummy: false,
        form: &widest(&form.id),
        monitoring_district: Some(county).filter(|_| carries.monitoring_district),
        notice_key: Some(notice_key.as_str()).filter(|_| carries.notice_key),
        policy_id: &widest(&policy.id),
        policy_version: u64::MAX,
        pseudonym: &hex_id,
        submission_id: &hex_id,
    };
    let mut counter = Counter::default();
    write_submission(&mut counter, &header, &Default::default());
    wide(counter.0)
}

/// The longest date text: the extreme years carry a sign and six digits.
fn widest_date() -> String {
    [NaiveDate::MIN, NaiveDate::MAX]
        .map(|date| date.to_string())
        .into_iter()
        .max_by_key(String::len)
        .unwrap_or_default()
}

/// Characters of the longest year text (`+262142`); ISO week years one beyond the
/// calendar range have as many.
fn widest_year() -> u64 {
    [NaiveDate::MIN, NaiveDate::MAX]
        .map(|date| wide(year(chrono::Datelike::year(&date)).len()))
        .into_iter()
        .max()
        .unwrap_or(0)
}

/// The widest canonical JSON of `field`'s disclosed value.
fn value_bound(field: &FieldSpec) -> Result<u64, MinimizeError> {
    check_field(field)?;
    let not_exact = || MinimizeError::UnsupportedParameter {
        field: field.id.clone(),
        transform: field.upload.name(),
        reason: "the step cannot be applied exactly",
    };
    let bound = match (&field.upload, &field.kind) {
        (Transform::Keep | Transform::Omit, kind) => keep_bound(kind),
        (Transform::Round { step }, FieldKind::TemperatureC) => {
            let step = step_units(*step, 1).ok_or_else(not_exact)?;
            let widest = |tenths: i32| {
                round_half_up(i128::from(tenths), step)
                    .map_or(u64::MAX, |units| decimal_len(units, 1))
            };
            widest(i32::MIN).max(widest(i32::MAX))
        }
        (Transform::Round { step }, FieldKind::Integer { min, max }) => {
            let step = step_units(*step, 0).ok_or_else(not_exact)?;
            let widest = |number: i64| {
                round_half_up(i128::from(number), step)
                    .map_or(u64::MAX, |units| decimal_len(units, 0))
            };
            widest(*min).max(widest(*max))
        }
        (Transform::Threshold { .. }, _) => BOOL_LEN,
        (Transform::Generalize { .. }, FieldKind::TravelHistory)
        | (Transform::Window { .. }, _) => travel_bound(),
        (Transform::Generalize { .. }, _) => quoted(DISTRICT_CHARS),
        (Transform::AgeBand { .. }, _) => object_bound(&[("from", AGE_DIGITS), ("to", AGE_DIGITS)]),
        (Transform::CoarsenDate { granularity }, _) => quoted(date_granularity_len(*granularity)),
        (Transform::RiskAreaVisited { .. }, _) => object_bound(&[
            (
                "last_visit_week",
                quoted(date_granularity_len(DateGranularity::Week)).max(NULL_LEN),
            ),
            ("visited", BOOL_LEN),
        ]),
        (Transform::Count, FieldKind::MultiChoice { codes }) => digits(wide(codes.len())),
        (Transform::Count, _) => digits(wide(MAX_TRAVEL_LEGS)),
        (Transform::Pseudonym, _) => quoted(wide(ID_HEX_LEN)),
        // Round on another kind: `check_field` refused it already.
        (Transform::Round { .. }, _) => {
            return Err(MinimizeError::NotApplicable {
                field: field.id.clone(),
                transform: field.upload.name(),
                kind: field.kind.name(),
            });
        }
    };
    Ok(bound)
}

/// The widest canonical JSON of a kept value of `kind`.
fn keep_bound(kind: &FieldKind) -> u64 {
    match kind {
        FieldKind::YesNo => BOOL_LEN,
        FieldKind::Choice { codes } => codes
            .iter()
            .map(|code| wide(string_len(code)))
            .max()
            .unwrap_or(2),
        FieldKind::MultiChoice { codes } => {
            let codes: u64 = codes
                .iter()
                .map(|code| wide(string_len(code)))
                .fold(0, u64::saturating_add);
            array_bound(codes, wide(codes_len(kind)))
        }
        // Any number of tenths an `i32` holds, so even an unchecked value fits.
        FieldKind::TemperatureC => {
            decimal_len(i128::from(i32::MIN), 1).max(decimal_len(i128::from(i32::MAX), 1))
        }
        FieldKind::Integer { min, max } => {
            decimal_len(i128::from(*min), 0).max(decimal_len(i128::from(*max), 0))
        }
        FieldKind::Date { .. } => quoted(wide(widest_date().len())),
        FieldKind::District => quoted(DISTRICT_CHARS),
        FieldKind::TravelHistory => travel_bound(),
        FieldKind::PersonName => string_bound(wide(MAX_NAME_CHARS)),
        FieldKind::ResidentId => quoted(RESIDENT_ID_CHARS),
        FieldKind::PassportNumber => quoted(PASSPORT_CHARS),
        FieldKind::Phone => quoted(PHONE_CHARS),
        FieldKind::TransportNumber => quoted(TRANSPORT_CHARS),
        FieldKind::Text { max_len } => string_bound(u64::from(*max_len)),
    }
}

fn codes_len(kind: &FieldKind) -> usize {
    match kind {
        FieldKind::Choice { codes } | FieldKind::MultiChoice { codes } => codes.len(),
        _ => 0,
    }
}

/// `[` items `]` with commas between `count` items totalling `items` bytes.
fn array_bound(items: u64, count: u64) -> u64 {
    items
        .saturating_add(count.saturating_sub(1))
        .saturating_add(2)
}

/// An object with every listed key present at its widest value.
fn object_bound(entries: &[(&str, u64)]) -> u64 {
    let members = entries
        .iter()
        .map(|(key, value)| {
            wide(string_len(key))
                .saturating_add(1)
                .saturating_add(*value)
        })
        .fold(0, u64::saturating_add);
    array_bound(members, wide(entries.len()))
}

/// `MAX_TRAVEL_LEGS` legs `{"from","place","to"}` at their widest.
fn travel_bound() -> u64 {
    let date = quoted(wide(widest_date().len()));
    let leg = object_bound(&[
        ("from", date),
        ("place", quoted(DISTRICT_CHARS)),
        ("to", date),
    ]);
    let legs = wide(MAX_TRAVEL_LEGS);
    array_bound(leg.saturating_mul(legs), legs)
}

/// Characters of a coarsened date: `YEAR-Www` or `YEAR-MM`.
fn date_granularity_len(granularity: DateGranularity) -> u64 {
    match granularity {
        DateGranularity::Week => widest_year().saturating_add(4),
        DateGranularity::Month => widest_year().saturating_add(3),
    }
}

/// A string of at most `chars` characters, each escaped at its widest, with quotes.
fn string_bound(chars: u64) -> u64 {
    quoted(chars.saturating_mul(MAX_ESCAPED_CHAR_BYTES))
}

/// A string of `chars` characters that need no escaping, with quotes.
fn quoted(chars: u64) -> u64 {
    chars.saturating_add(2)
}

fn decimal_len(units: i128, scale: u8) -> u64 {
    wide(DisclosedValue::Decimal(Decimal::new(units, scale)).canonical_len())
}

fn digits(number: u64) -> u64 {
    decimal_len(i128::from(number), 0)
}

fn step_units(step: f64, scale: usize) -> Option<i128> {
    PolicyNumber::from_f64(step)
        .and_then(|step| step.exact_units(scale))
        .filter(|units| *units > 0)
}

fn wide(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;

    use super::super::canonical::DisclosedValue;
    use super::super::disclosure::minimize;
    use super::super::test_support::{
        PSEUDONYM, SUBMISSION_ID, codes, example_policy, field, form, policy, profile, profile_id,
        record,
    };
    use super::super::transform::apply;
    use super::*;
    use crate::model::{FieldValue, Profile, Temperature, TravelLeg};
    use crate::policy::DistrictLevel;

    /// The dates whose text is longest, and an ordinary one.
    fn extreme_dates() -> [NaiveDate; 3] {
        [
            NaiveDate::MIN,
            NaiveDate::MAX,
            NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        ]
    }

    fn text_of(chars: usize) -> Vec<String> {
        // A control character escapes to six bytes; a 4-byte character is the widest
        // that needs no escape.
        vec!["\u{1}".repeat(chars), "𝄞".repeat(chars), "\"".repeat(chars)]
    }

    /// Values of `kind` that make its transforms' output as long as it can be.
    fn worst_values(kind: &FieldKind) -> Vec<FieldValue> {
        let legs = |day: NaiveDate| {
            FieldValue::TravelHistory(vec![
                TravelLeg {
                    place: "420106".into(),
                    from: day,
                    to: day,
                };
                MAX_TRAVEL_LEGS
            ])
        };
        match kind {
            FieldKind::YesNo => vec![FieldValue::YesNo(false), FieldValue::YesNo(true)],
            FieldKind::Choice { codes } => codes.iter().cloned().map(FieldValue::Choice).collect(),
            FieldKind::MultiChoice { codes } => vec![FieldValue::MultiChoice(codes.clone())],
            FieldKind::TemperatureC => [i32::MIN, i32::MAX, 373]
                .map(|tenths| FieldValue::Temperature(Temperature::from_tenths(tenths)))
                .to_vec(),
            FieldKind::Integer { min, max } => {
                vec![FieldValue::Integer(*min), FieldValue::Integer(*max)]
            }
            FieldKind::Date { .. } => extreme_dates().map(FieldValue::Date).to_vec(),
            FieldKind::District => vec![FieldValue::District("420106".into())],
            FieldKind::TravelHistory => extreme_dates().map(legs).to_vec(),
            FieldKind::PersonName => text_of(MAX_NAME_CHARS)
                .into_iter()
                .map(FieldValue::PersonName)
                .collect(),
            FieldKind::ResidentId => vec![FieldValue::ResidentId("11010519491231002X".into())],
            FieldKind::PassportNumber => vec![FieldValue::PassportNumber("E".repeat(20))],
            FieldKind::Phone => vec![FieldValue::Phone("+123456789012345".into())],
            FieldKind::TransportNumber => vec![FieldValue::TransportNumber("3U12345X".into())],
            FieldKind::Text { max_len } => text_of(*max_len as usize)
                .into_iter()
                .map(FieldValue::Text)
                .collect(),
        }
    }

    /// Every kind, with wide parameters.
    fn kinds() -> Vec<FieldKind> {
        vec![
            FieldKind::YesNo,
            FieldKind::Choice {
                codes: codes(&["a", "a-much-longer-code"]),
            },
            FieldKind::MultiChoice {
                codes: codes(&["cough", "fatigue", "dyspnea", "loss_of_smell"]),
            },
            FieldKind::TemperatureC,
            FieldKind::Integer {
                min: i64::MIN,
                max: i64::MAX,
            },
            FieldKind::Integer { min: -5, max: 999 },
            FieldKind::Date { allow_future: true },
            FieldKind::District,
            FieldKind::TravelHistory,
            FieldKind::PersonName,
            FieldKind::ResidentId,
            FieldKind::PassportNumber,
            FieldKind::Phone,
            FieldKind::TransportNumber,
            FieldKind::Text { max_len: 300 },
        ]
    }

    /// Every transform, with parameters that widen the output.
    fn transforms() -> Vec<Transform> {
        let mut all = vec![
            Transform::Keep,
            Transform::Round { step: 0.5 },
            Transform::Round { step: 1.0 },
            Transform::Round { step: 7.0 },
            Transform::Round { step: 1e300 },
            Transform::Threshold { at: 37.3 },
            Transform::AgeBand { width: 1 },
            Transform::AgeBand { width: 100 },
            Transform::Window {
                days: 366,
                reference: None,
            },
            Transform::RiskAreaVisited {
                areas: codes(&["42"]),
                window_days: 366,
                reference: None,
            },
            Transform::Count,
            Transform::Pseudonym,
        ];
        for level in [
            DistrictLevel::District,
            DistrictLevel::City,
            DistrictLevel::Province,
        ] {
            all.push(Transform::Generalize { level });
        }
        for granularity in [DateGranularity::Week, DateGranularity::Month] {
            all.push(Transform::CoarsenDate { granularity });
        }
        all
    }

    /// One field per applicable (kind, transform) pair, all routed to `health`.
    fn every_pair() -> Vec<FieldSpec> {
        let mut fields = Vec::new();
        for (kind_index, kind) in kinds().into_iter().enumerate() {
            for (transform_index, transform) in transforms().into_iter().enumerate() {
                let step_fits = match (&transform, &kind) {
                    (Transform::Round { step }, FieldKind::Integer { .. }) => step.fract() == 0.0,
                    _ => true,
                };
                if transform.applies_to(&kind) && step_fits {
                    fields.push(field(
                        &format!("f{kind_index}_{transform_index}"),
                        kind.clone(),
                        transform,
                        Some("health"),
                    ));
                }
            }
        }
        fields
    }

    #[test]
    fn every_value_bound_holds_for_worst_case_values() {
        let mut checked = 0;
        for field in every_pair() {
            let bound = value_bound(&field).unwrap();
            for value in worst_values(&field.kind) {
                for day in extreme_dates() {
                    let Ok(Some(disclosed)) = apply(&field, &value, day, PSEUDONYM) else {
                        // A birth date after the record date has no age band.
                        continue;
                    };
                    let len = wide(disclosed.canonical_len());
                    assert!(
                        len <= bound,
                        "{} {} on {day}: {len} > {bound}",
                        field.kind.name(),
                        field.upload.name()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 250, "{checked}");
    }

    #[test]
    fn whole_part_bound_holds_with_the_widest_header() {
        let mut widest = policy(vec![form(&"f".repeat(MAX_ID_LEN), every_pair())]);
        widest.id = "p".repeat(MAX_ID_LEN);
        widest.version = u64::MAX;
        widest.padding.block_bytes = 1;
        let form = &widest.forms[0];
        let bound = max_canonical_len(&widest, form, "health").unwrap();
        assert_eq!(
            padded_size(&widest, &form.id, "health").unwrap(),
            usize::try_from(bound).unwrap()
        );
        let candidates = |field: &FieldSpec| worst_values(&field.kind);
        // Try each candidate position: the first, the last, and the middle value.
        for pick in 0..3 {
            for day in [NaiveDate::MAX, NaiveDate::MIN] {
                let values = form
                    .fields
                    .iter()
                    .map(|field| {
                        let options = candidates(field);
                        let value = options[pick.min(options.len() - 1)].clone();
                        (field.id.as_str(), value)
                    })
                    .collect();
                let mut record = record(&form.id, "2026-11-28", values);
                record.policy_id = widest.id.clone();
                record.date = day;
                // The oldest birth date makes the widest age band.
                let old = Profile {
                    birth_date: Some(NaiveDate::MIN),
                    ..profile()
                };
                assert_eq!(old.id, profile_id());
                match minimize(&widest, &record, &old, PSEUDONYM, SUBMISSION_ID) {
                    Ok(disclosure) => {
                        let json = disclosure.canonical_json("health").unwrap();
                        assert!(wide(json.len()) <= bound, "{} > {bound}", json.len());
                        assert_eq!(
                            disclosure.plaintext("health").unwrap().len(),
                            usize::try_from(bound).unwrap()
                        );
                    }
                    // Birth dates after the record date cannot be banded.
                    Err(error) => assert_eq!(error.code(), "MinimizeInvalidValue"),
                }
            }
        }
    }

    #[test]
    fn header_bound_covers_the_widest_header() {
        let example = example_policy();
        let form = example.form("daily").unwrap();
        let bound = header_bound(&example, form, "health");
        let widest = Header {
            date: &NaiveDate::MIN.to_string(),
            dummy: false,
            form: &"x".repeat(MAX_ID_LEN),
            monitoring_district: None,
            notice_key: None,
            policy_id: &"y".repeat(MAX_ID_LEN),
            policy_version: u64::MAX,
            pseudonym: PSEUDONYM,
            submission_id: SUBMISSION_ID,
        };
        let mut counter = Counter::default();
        write_submission(&mut counter, &widest, &Default::default());
        assert_eq!(wide(counter.0), bound);

        // Ids longer than policies allow still fit.
        let mut long_id = example_policy();
        long_id.id = "\u{1}".repeat(100);
        let grown = header_bound(&long_id, form, "health");
        assert_eq!(grown, bound + 600 - 64);
    }

    #[test]
    fn sizes_are_whole_blocks_per_form_and_recipient() {
        let example = example_policy();
        let daily = padded_size(&example, "daily", "health").unwrap();
        assert_eq!(daily % 512, 0);
        let bound = max_canonical_len(&example, example.form("daily").unwrap(), "health").unwrap();
        assert!(wide(daily) >= bound && wide(daily) < bound + 512);
        assert_eq!(padded_size(&example, "arrival", "identity").unwrap(), 1024);
        assert_eq!(
            padded_size(&example, "daily", "identity").unwrap_err(),
            MinimizeError::UnknownRecipient {
                recipient: "identity".into()
            }
        );
        assert_eq!(
            padded_size(&example, "weekly", "health")
                .unwrap_err()
                .code(),
            "MinimizeUnknownForm"
        );
        let mut unpadded = example_policy();
        unpadded.padding.block_bytes = 0;
        let form = unpadded.form("daily").unwrap();
        assert_eq!(
            wide(padded_size(&unpadded, "daily", "health").unwrap()),
            max_canonical_len(&unpadded, form, "health").unwrap()
        );
    }

    #[test]
    fn absurd_sizes_are_refused() {
        let huge = policy(vec![form(
            "daily",
            vec![field(
                "essay",
                FieldKind::Text { max_len: u32::MAX },
                Transform::Keep,
                Some("health"),
            )],
        )]);
        assert_eq!(
            padded_size(&huge, "daily", "health").unwrap_err(),
            MinimizeError::SizeOverflow {
                form: "daily".into()
            }
        );
    }

    #[test]
    fn week_and_year_widths_cover_the_date_range() {
        assert_eq!(widest_year(), 7);
        assert_eq!(widest_date().len(), 13);
        for day in extreme_dates() {
            let week = day.iso_week();
            let text = format!("{}-W{:02}", year(week.year()), week.week());
            assert!(wide(text.len()) <= date_granularity_len(DateGranularity::Week));
            let month = format!("{}-{:02}", year(day.year()), day.month());
            assert!(wide(month.len()) <= date_granularity_len(DateGranularity::Month));
        }
        assert_eq!(
            DisclosedValue::Integer(i128::from(u32::MAX) + 99).canonical_len(),
            10
        );
    }
}
