//! Checks of one field: its kind and parameters, its source, its upload transform and its
//! recipient.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::model::{FieldKind, ProfileAttribute};

use super::super::error::truncated;
use super::super::limits::*;
use super::super::{
    DateGranularity, DistrictLevel, FieldSource, FieldSpec, PolicyError, PolicyFormat, Recipient,
    Transform,
};
use super::ECHO_LEN;
use super::checks::{check_count, check_id, check_labels};
use super::raw::*;

/// The form and field a check is about, to name them in errors, and the document's
/// format (some parameters are `/2` only).
pub(super) struct FieldContext<'a> {
    form: &'a str,
    field: &'a str,
    format: PolicyFormat,
}

impl FieldContext<'_> {
    fn bad(&self, detail: impl Into<String>) -> PolicyError {
        PolicyError::BadParameter {
            form: self.form.to_owned(),
            field: self.field.to_owned(),
            detail: detail.into(),
        }
    }

    fn describe(&self) -> String {
        format!("field `{}` of form `{}`", self.field, self.form)
    }
}

pub(super) fn build_field(
    form: &str,
    format: PolicyFormat,
    raw: RawField,
    recipients: &BTreeMap<String, Recipient>,
) -> Result<FieldSpec, PolicyError> {
    check_id(&format!("field id in form `{form}`"), &raw.id)?;
    let context = FieldContext {
        form,
        field: &raw.id,
        format,
    };
    let kind = build_kind(&context, &raw)?;
    let label = check_labels(
        &format!("the label of {}", context.describe()),
        raw.label,
        MAX_LABEL_CHARS,
    )?;

    let source = match raw.source {
        RawSource::Answer => FieldSource::Answer,
        RawSource::Profile => {
            let attribute_fits = ProfileAttribute::from_field_id(&raw.id)
                .is_some_and(|attribute| attribute.accepts(&kind));
            if !attribute_fits {
                return Err(PolicyError::BadProfileSource {
                    form: form.to_owned(),
                    field: raw.id,
                });
            }
            FieldSource::Profile
        }
    };

    let upload = match raw.upload {
        None => Transform::Omit,
        Some(upload) => build_transform(&context, upload)?,
    };
    if !upload.applies_to(&kind) {
        return Err(PolicyError::TransformNotApplicable {
            form: form.to_owned(),
            field: raw.id,
            transform: upload.name(),
            kind: kind.name(),
        });
    }
    if let (Transform::Round { step }, FieldKind::Integer { .. }) = (&upload, &kind) {
        if step.fract() != 0.0 {
            return Err(context.bad("the rounding step of an integer field must be a whole number"));
        }
    }

    match &raw.to {
        Some(recipient) if !recipients.contains_key(recipient) => {
            return Err(PolicyError::UnknownRecipient {
                form: form.to_owned(),
                field: raw.id,
                recipient: truncated(recipient, ECHO_LEN),
            });
        }
        None if upload.uploads() => {
            return Err(PolicyError::MissingRecipient {
                form: form.to_owned(),
                field: raw.id,
            });
        }
        _ => {}
    }

    Ok(FieldSpec {
        id: raw.id,
        kind,
        required: raw.required,
        source,
        upload,
        to: raw.to,
        label,
    })
}

/// The field's kind from its name and parameters; a parameter the kind does not take is
/// refused rather than ignored.
pub(super) fn build_kind(
    context: &FieldContext<'_>,
    raw: &RawField,
) -> Result<FieldKind, PolicyError> {
    let (kind, takes): (FieldKind, &[&str]) = match raw.kind.as_str() {
        "yes_no" => (FieldKind::YesNo, &[]),
        "temperature_c" => (FieldKind::TemperatureC, &[]),
        "district" => (FieldKind::District, &[]),
        "travel_history" => (FieldKind::TravelHistory, &[]),
        "person_name" => (FieldKind::PersonName, &[]),
        "resident_id" => (FieldKind::ResidentId, &[]),
        "passport_number" => (FieldKind::PassportNumber, &[]),
        "phone" => (FieldKind::Phone, &[]),
        "transport_number" => (FieldKind::TransportNumber, &[]),
        "choice" => (
            FieldKind::Choice {
                codes: build_codes(context, raw.codes.as_deref())?,
            },
            &["codes"],
        ),
        "multi_choice" => (
            FieldKind::MultiChoice {
                codes: build_codes(context, raw.codes.as_deref())?,
            },
            &["codes"],
        ),
        "integer" => {
            let (Some(min), Some(max)) = (raw.min, raw.max) else {
                return Err(context.bad("an integer field needs `min` and `max`"));
            };
            if min > max {
                return Err(context.bad(format!("`min` ({min}) is greater than `max` ({max})")));
            }
            (FieldKind::Integer { min, max }, &["min", "max"])
        }
        "date" => (
            FieldKind::Date {
                allow_future: raw.allow_future.unwrap_or(false),
            },
            &["allow_future"],
        ),
        "text" => {
            let Some(max_len) = raw.max_len else {
                return Err(context.bad("a text field needs `max_len`"));
            };
            if !(1..=MAX_TEXT_CHARS).contains(&max_len) {
                return Err(
                    context.bad(format!("`max_len` must be between 1 and {MAX_TEXT_CHARS}"))
                );
            }
            (FieldKind::Text { max_len }, &["max_len"])
        }
        other => {
            return Err(PolicyError::UnknownKind {
                form: context.form.to_owned(),
                field: context.field.to_owned(),
                kind: truncated(other, ECHO_LEN),
            });
        }
    };
    let given = [
        ("codes", raw.codes.is_some()),
        ("min", raw.min.is_some()),
        ("max", raw.max.is_some()),
        ("max_len", raw.max_len.is_some()),
        ("allow_future", raw.allow_future.is_some()),
    ];
    if let Some((parameter, _)) = given
        .iter()
        .find(|(parameter, present)| *present && !takes.contains(parameter))
    {
        return Err(context.bad(format!(
            "`{parameter}` does not apply to kind `{}`",
            kind.name()
        )));
    }
    Ok(kind)
}

pub(super) fn build_codes(
    context: &FieldContext<'_>,
    codes: Option<&[String]>,
) -> Result<Vec<String>, PolicyError> {
    let codes = match codes {
        Some(codes) if !codes.is_empty() => codes,
        _ => return Err(context.bad("a choice field needs at least one code in `codes`")),
    };
    check_count(
        &format!("codes in {}", context.describe()),
        codes.len(),
        MAX_CODES,
    )?;
    let mut seen = BTreeSet::new();
    for code in codes {
        check_id(&format!("code in {}", context.describe()), code)?;
        if !seen.insert(code.as_str()) {
            return Err(PolicyError::Duplicate {
                what: format!("code in {}", context.describe()),
                id: code.clone(),
            });
        }
    }
    Ok(codes.to_vec())
}

/// The transform an `upload` value declares; the parameters are checked here, the fit
/// with the field's kind by [`Transform::applies_to`].
pub(super) fn build_transform(
    context: &FieldContext<'_>,
    upload: RawUpload,
) -> Result<Transform, PolicyError> {
    let unknown = |name: &str| PolicyError::UnknownTransform {
        form: context.form.to_owned(),
        field: context.field.to_owned(),
        transform: truncated(name, ECHO_LEN),
    };
    let (name, parameter) = match upload {
        RawUpload::Name(name) => {
            return match name.as_str() {
                "keep" => Ok(Transform::Keep),
                "omit" => Ok(Transform::Omit),
                "count" => Ok(Transform::Count),
                "pseudonym" => Ok(Transform::Pseudonym),
                "round" | "threshold" | "generalize" | "age_band" | "coarsen_date" | "window"
                | "risk_area_visited" => Err(context.bad(format!(
                    "transform `{name}` needs a parameter, written {{\"{name}\": ...}}"
                ))),
                other => Err(unknown(other)),
            };
        }
        RawUpload::Object(mut entries) => {
            if entries.len() != 1 {
                return Err(context.bad("an upload transform object has exactly one key"));
            }
            match entries.pop() {
                Some(entry) => entry,
                None => return Err(context.bad("an upload transform object has exactly one key")),
            }
        }
    };
    let scalar = match parameter {
        RawParameter::RiskArea(risk) => return build_risk_area(context, risk),
        RawParameter::Window(RawWindow::Days(days)) => days,
        RawParameter::Window(RawWindow::Object(window)) => {
            return Ok(Transform::Window {
                days: whole_number(context, &window.days, "window", MAX_WINDOW_DAYS)?,
                reference: Some(build_reference(context, window.reference)?),
            });
        }
        RawParameter::Scalar(value) => value,
    };
    match name.as_str() {
        "round" => match scalar.as_f64() {
            Some(step) if step.is_finite() && step > 0.0 => Ok(Transform::Round { step }),
            _ => Err(context.bad("the `round` step must be a positive number")),
        },
        "threshold" => match scalar.as_f64() {
            Some(at) if at.is_finite() => Ok(Transform::Threshold { at }),
            _ => Err(context.bad("the `threshold` must be a number")),
        },
        "generalize" => match scalar.as_str() {
            Some("district") => Ok(Transform::Generalize {
                level: DistrictLevel::District,
            }),
            Some("city") => Ok(Transform::Generalize {
                level: DistrictLevel::City,
            }),
            Some("province") => Ok(Transform::Generalize {
                level: DistrictLevel::Province,
            }),
            _ => Err(context.bad("`generalize` takes \"district\", \"city\" or \"province\"")),
        },
        "age_band" => Ok(Transform::AgeBand {
            width: whole_number(context, &scalar, "age_band width", MAX_AGE_BAND_YEARS)?,
        }),
        "coarsen_date" => match scalar.as_str() {
            Some("week") => Ok(Transform::CoarsenDate {
                granularity: DateGranularity::Week,
            }),
            Some("month") => Ok(Transform::CoarsenDate {
                granularity: DateGranularity::Month,
            }),
            _ => Err(context.bad("`coarsen_date` takes \"week\" or \"month\"")),
        },
        "window" => Ok(Transform::Window {
            days: whole_number(context, &scalar, "window", MAX_WINDOW_DAYS)?,
            reference: None,
        }),
        "keep" | "omit" | "count" | "pseudonym" => Err(context.bad(format!(
            "transform `{name}` takes no parameter; write \"{name}\""
        ))),
        other => Err(unknown(other)),
    }
}

pub(super) fn whole_number(
    context: &FieldContext<'_>,
    value: &Value,
    what: &str,
    max: u32,
) -> Result<u32, PolicyError> {
    value
        .as_u64()
        .filter(|n| (1..=u64::from(max)).contains(n))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| context.bad(format!("the {what} must be a whole number from 1 to {max}")))
}

pub(super) fn build_risk_area(
    context: &FieldContext<'_>,
    raw: RawRiskArea,
) -> Result<Transform, PolicyError> {
    if raw.areas.is_empty() {
        return Err(context.bad("`risk_area_visited` needs at least one area"));
    }
    check_count(
        &format!("risk areas in {}", context.describe()),
        raw.areas.len(),
        MAX_RISK_AREAS,
    )?;
    let mut seen = BTreeSet::new();
    for area in &raw.areas {
        let is_prefix = matches!(area.len(), 2 | 4 | 6) && area.bytes().all(|b| b.is_ascii_digit());
        if !is_prefix {
            return Err(context.bad(format!(
                "risk area `{}` is not a district code prefix of 2, 4 or 6 digits",
                truncated(area, ECHO_LEN)
            )));
        }
        if !seen.insert(area.as_str()) {
            return Err(PolicyError::Duplicate {
                what: format!("risk area in {}", context.describe()),
                id: area.clone(),
            });
        }
    }
    if !(1..=MAX_WINDOW_DAYS).contains(&raw.window_days) {
        return Err(context.bad(format!(
            "`window_days` must be a whole number from 1 to {MAX_WINDOW_DAYS}"
        )));
    }
    let reference = match raw.reference {
        Value::Null => None,
        Value::String(reference) => Some(build_reference(context, reference)?),
        _ => return Err(PolicyError::malformed("`reference` must be a field id")),
    };
    Ok(Transform::RiskAreaVisited {
        areas: raw.areas,
        window_days: raw.window_days,
        reference,
    })
}

/// A window transform's `reference`: a `/2` parameter (`PolicyBadSetting` in `/1`, as
/// every `/2` field) holding an identifier. The field it names is checked once the whole
/// form is built ([`check_references`]).
fn build_reference(context: &FieldContext<'_>, reference: String) -> Result<String, PolicyError> {
    if context.format == PolicyFormat::V1 {
        return Err(PolicyError::BadSetting {
            what: format!("`reference` of {}", context.describe()),
            detail: "is a selfreport.policy/2 field; a selfreport.policy/1 document cannot have it"
                .to_owned(),
        });
    }
    check_id(
        &format!("`reference` of {}", context.describe()),
        &reference,
    )?;
    Ok(reference)
}

/// Every window transform's `reference` names another field of the same form that is a
/// `date`, answered in the form (not from the profile) and required, so every record
/// has the day its window ends on ([`PolicyError::BadReference`] otherwise). What leaves
/// is unchanged by it: the transform's output has the same shape and width with or
/// without a reference, and the referenced date leaves only as its own `upload` says.
pub(super) fn check_references(form: &str, fields: &[FieldSpec]) -> Result<(), PolicyError> {
    for field in fields {
        let Some(reference) = field.upload.reference() else {
            continue;
        };
        let refused = |detail: &str| PolicyError::BadReference {
            form: form.to_owned(),
            field: field.id.clone(),
            reference: reference.to_owned(),
            detail: detail.to_owned(),
        };
        if reference == field.id {
            return Err(refused("a field cannot be its own reference"));
        }
        let Some(target) = fields.iter().find(|other| other.id == reference) else {
            return Err(refused("the form has no field with this id"));
        };
        if !matches!(target.kind, FieldKind::Date { .. }) {
            return Err(refused("the reference must be a `date` field"));
        }
        if target.source != FieldSource::Answer {
            return Err(refused(
                "the reference must be answered in the form, not taken from the profile",
            ));
        }
        if !target.required {
            return Err(refused(
                "the reference must be `required`, so every record has it",
            ));
        }
    }
    Ok(())
}
