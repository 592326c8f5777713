//! `policy show ID [--form F]`: each form as the person fills it in — every field's label,
//! kind, whether it is required, the codes it allows, and what leaves the device and how
//! (the transform and its recipient), or that it stays on this device.

use selfreport_core::model::FieldKind;
use selfreport_core::policy::{
    DateGranularity, DistrictLevel, FieldSource, FieldSpec, Form, OncePer, PolicyDocument,
    Transform,
};
use serde_json::{Value, json};

use crate::args::{GlobalOptions, PolicyShowArgs};
use crate::commands::{emit, emit_json, open};
use crate::failure::Failure;
use crate::i18n::{label, tr, tr_with};

/// Runs `policy show`.
pub fn policy_show(global: &GlobalOptions, args: &PolicyShowArgs) -> Result<(), Failure> {
    let report = open(global)?;
    let policy = report.policy(&args.policy)?;
    let document = policy.document();
    let forms = chosen_forms(document, args.form.as_deref())?;
    if args.json {
        return emit_json(&policy_json(document, &forms));
    }
    emit(&policy_text(document, &forms))
}

/// The forms to show: the one named, or all of them.
fn chosen_forms<'a>(
    document: &'a PolicyDocument,
    form: Option<&str>,
) -> Result<Vec<&'a Form>, Failure> {
    match form {
        None => Ok(document.forms.iter().collect()),
        Some(id) => document.form(id).map(|form| vec![form]).ok_or_else(|| {
            let known: Vec<&str> = document.forms.iter().map(|form| form.id.as_str()).collect();
            selfreport_core::Error::NotFound {
                what: "form",
                id: format!("{id} (the policy's forms: {})", known.join(", ")),
            }
            .into()
        }),
    }
}

/// The forms as text in the chosen language.
pub fn policy_text(document: &PolicyDocument, forms: &[&Form]) -> String {
    let mut out = tr_with(
        "policy.show.heading",
        &[
            ("id", &document.id),
            ("version", &document.version),
            ("issuer", &label(&document.issuer.name)),
        ],
    );
    out.push('\n');
    out.push_str(&tr_with(
        "policy.show.purpose",
        &[("purpose", &label(&document.purpose.text))],
    ));
    out.push('\n');
    for form in forms {
        out.push('\n');
        out.push_str(&form_text(form));
    }
    out
}

fn form_text(form: &Form) -> String {
    let often = match form.once_per {
        OncePer::Day => tr("policy.show.once_per_day"),
        OncePer::Registration => tr("policy.show.once_per_registration"),
    };
    let mut out = tr_with(
        "policy.show.form",
        &[
            ("id", &form.id),
            ("title", &label(&form.title)),
            ("often", &often),
        ],
    );
    if form.requires_monitoring {
        out.push_str(tr("policy.show.needs_monitoring"));
    }
    out.push('\n');
    for field in &form.fields {
        out.push_str(&field_text(field));
    }
    out
}

fn field_text(field: &FieldSpec) -> String {
    let required = if field.required {
        tr("policy.show.required")
    } else {
        tr("policy.show.optional")
    };
    let source = match field.source {
        FieldSource::Answer => tr("policy.show.source_answer"),
        FieldSource::Profile => tr("policy.show.source_profile"),
    };
    let mut out = format!("  {}  {}\n", field.id, label(&field.label));
    out.push_str(&format!(
        "    {}\n",
        tr_with(
            "policy.show.field",
            &[
                ("kind", &kind_text(&field.kind)),
                ("required", &required),
                ("source", &source),
            ],
        )
    ));
    if let Some(codes) = codes(&field.kind) {
        out.push_str(&format!(
            "    {}\n",
            tr_with("policy.show.codes", &[("codes", &codes.join(", "))])
        ));
    }
    out.push_str(&format!("    {}\n", leaves_text(field)));
    out
}

/// The codes a choice field allows.
fn codes(kind: &FieldKind) -> Option<&[String]> {
    match kind {
        FieldKind::Choice { codes } | FieldKind::MultiChoice { codes } => Some(codes),
        _ => None,
    }
}

/// The kind in words, with its bounds.
pub fn kind_text(kind: &FieldKind) -> String {
    match kind {
        FieldKind::YesNo => tr("kind.yes_no").to_owned(),
        FieldKind::Choice { .. } => tr("kind.choice").to_owned(),
        FieldKind::MultiChoice { .. } => tr("kind.multi_choice").to_owned(),
        FieldKind::TemperatureC => tr("kind.temperature_c").to_owned(),
        FieldKind::Integer { min, max } => tr_with("kind.integer", &[("min", min), ("max", max)]),
        FieldKind::Date { allow_future: true } => tr("kind.date_future").to_owned(),
        FieldKind::Date {
            allow_future: false,
        } => tr("kind.date").to_owned(),
        FieldKind::District => tr("kind.district").to_owned(),
        FieldKind::TravelHistory => tr("kind.travel_history").to_owned(),
        FieldKind::PersonName => tr("kind.person_name").to_owned(),
        FieldKind::ResidentId => tr("kind.resident_id").to_owned(),
        FieldKind::PassportNumber => tr("kind.passport_number").to_owned(),
        FieldKind::Phone => tr("kind.phone").to_owned(),
        FieldKind::TransportNumber => tr("kind.transport_number").to_owned(),
        FieldKind::Text { max_len } => tr_with("kind.text", &[("max", max_len)]),
    }
}

/// What leaves and how, or that the field stays on this device.
fn leaves_text(field: &FieldSpec) -> String {
    let (Some(to), true) = (field.to.as_deref(), field.upload.uploads()) else {
        return tr("policy.show.stays").to_owned();
    };
    tr_with(
        "policy.show.leaves",
        &[("how", &transform_text(&field.upload)), ("to", &to)],
    )
}

/// A transform in words.
pub fn transform_text(transform: &Transform) -> String {
    match transform {
        Transform::Keep => tr("transform.keep").to_owned(),
        Transform::Omit => tr("transform.omit").to_owned(),
        Transform::Round { step } => tr_with("transform.round", &[("step", step)]),
        Transform::Threshold { at } => tr_with("transform.threshold", &[("at", at)]),
        Transform::Generalize { level } => tr(match level {
            DistrictLevel::District => "transform.generalize_district",
            DistrictLevel::City => "transform.generalize_city",
            DistrictLevel::Province => "transform.generalize_province",
        })
        .to_owned(),
        Transform::AgeBand { width } => tr_with("transform.age_band", &[("width", width)]),
        Transform::CoarsenDate { granularity } => tr(match granularity {
            DateGranularity::Week => "transform.coarsen_week",
            DateGranularity::Month => "transform.coarsen_month",
        })
        .to_owned(),
        Transform::Window {
            days,
            reference: None,
        } => tr_with("transform.window", &[("days", days)]),
        Transform::Window {
            days,
            reference: Some(reference),
        } => tr_with(
            "transform.window_before",
            &[("days", days), ("reference", reference)],
        ),
        Transform::RiskAreaVisited {
            areas,
            window_days,
            reference: None,
        } => tr_with(
            "transform.risk_area_visited",
            &[("days", window_days), ("areas", &areas.join(", "))],
        ),
        Transform::RiskAreaVisited {
            areas,
            window_days,
            reference: Some(reference),
        } => tr_with(
            "transform.risk_area_visited_before",
            &[
                ("days", window_days),
                ("areas", &areas.join(", ")),
                ("reference", reference),
            ],
        ),
        Transform::Count => tr("transform.count").to_owned(),
        Transform::Pseudonym => tr("transform.pseudonym").to_owned(),
    }
}

/// The forms as JSON: the same in every language (labels in all of theirs).
pub fn policy_json(document: &PolicyDocument, forms: &[&Form]) -> Value {
    json!({
        "policy_id": document.id,
        "version": document.version,
        "issuer": document.issuer.name,
        "purpose": {"code": document.purpose.code, "text": document.purpose.text},
        "forms": forms.iter().map(|form| form_json(form)).collect::<Vec<_>>(),
    })
}

fn form_json(form: &Form) -> Value {
    json!({
        "id": form.id,
        "title": form.title,
        "once_per": match form.once_per {
            OncePer::Day => "day",
            OncePer::Registration => "registration",
        },
        "requires_monitoring": form.requires_monitoring,
        "fields": form.fields.iter().map(field_json).collect::<Vec<_>>(),
    })
}

fn field_json(field: &FieldSpec) -> Value {
    let mut value = json!({
        "id": field.id,
        "label": field.label,
        "kind": field.kind.name(),
        "required": field.required,
        "source": match field.source {
            FieldSource::Answer => "answer",
            FieldSource::Profile => "profile",
        },
        "leaves": field.upload.uploads() && field.to.is_some(),
        "upload": transform_json(&field.upload),
        "to": field.to,
    });
    match &field.kind {
        FieldKind::Choice { codes } | FieldKind::MultiChoice { codes } => {
            value["codes"] = json!(codes);
        }
        FieldKind::Integer { min, max } => {
            value["min"] = json!(min);
            value["max"] = json!(max);
        }
        FieldKind::Date { allow_future } => value["allow_future"] = json!(allow_future),
        FieldKind::Text { max_len } => value["max_len"] = json!(max_len),
        _ => {}
    }
    value
}

fn transform_json(transform: &Transform) -> Value {
    let mut value = json!({ "transform": transform.name() });
    match transform {
        Transform::Round { step } => value["step"] = json!(step),
        Transform::Threshold { at } => value["at"] = json!(at),
        Transform::Generalize { level } => {
            value["level"] = json!(match level {
                DistrictLevel::District => "district",
                DistrictLevel::City => "city",
                DistrictLevel::Province => "province",
            });
        }
        Transform::AgeBand { width } => value["width"] = json!(width),
        Transform::CoarsenDate { granularity } => {
            value["granularity"] = json!(match granularity {
                DateGranularity::Week => "week",
                DateGranularity::Month => "month",
            });
        }
        Transform::Window { days, reference } => {
            value["days"] = json!(days);
            if let Some(reference) = reference {
                value["reference"] = json!(reference);
            }
        }
        Transform::RiskAreaVisited {
            areas,
            window_days,
            reference,
        } => {
            value["areas"] = json!(areas);
            value["window_days"] = json!(window_days);
            if let Some(reference) = reference {
                value["reference"] = json!(reference);
            }
        }
        Transform::Keep | Transform::Omit | Transform::Count | Transform::Pseudonym => {}
    }
    value
}
