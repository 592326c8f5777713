//! Forms for a UI: how each answer leaves the device (`PolicyInfo.forms` describes every
//! form, each field with its [`Reduction`]), and checking answers as the person types, so
//! no app keeps a copy of the core's rules.

use selfreport_core::model::{Rule, ValidationError};
use selfreport_core::policy::{DateGranularity, DistrictLevel, Transform};

use crate::convert;
use crate::dates::LocalDate;
use crate::error::SelfReportError;
use crate::facade::{SelfReport, logged};
use crate::ids::ProfileId;

type Result<T> = std::result::Result<T, SelfReportError>;

/// Why the core would refuse one field's answer: what a UI shows under the field.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldProblem {
    /// The field id (`"date"` for the record's own date).
    pub field: String,
    /// The broken rule's stable code (`"Required"`, `"OutOfRange"`, `"Format"`,
    /// `"ResidentIdCheckDigit"`, `"BeforeArrival"`...): the key of the app's sentence.
    pub rule: String,
    /// The smallest value allowed, as shown to people, for `OutOfRange`.
    pub min: Option<String>,
    /// The largest value, length or count allowed, as shown to people, for
    /// `OutOfRange`, `TooLong`, `TooMany` and `TooLarge`.
    pub max: Option<String>,
    /// The codes the field allows, for `UnknownCode`.
    pub allowed: Vec<String>,
    /// What is wrong, in English, for logs (the app shows its own sentence for `rule`).
    pub detail: String,
}

impl FieldProblem {
    fn of(problem: ValidationError) -> Self {
        let (min, max, allowed) = match &problem.rule {
            Rule::OutOfRange { min, max } => (Some(min.clone()), Some(max.clone()), Vec::new()),
            Rule::TooLong { max_chars } => (None, Some(max_chars.to_string()), Vec::new()),
            Rule::TooMany { max } => (None, Some(max.to_string()), Vec::new()),
            Rule::TooLarge { max_bytes } => (None, Some(max_bytes.to_string()), Vec::new()),
            Rule::UnknownCode { allowed } => (None, None, allowed.clone()),
            _ => (None, None, Vec::new()),
        };
        Self {
            rule: problem.rule.code().to_owned(),
            detail: problem.to_string(),
            field: problem.field,
            min,
            max,
            allowed,
        }
    }
}

/// How a field's value is reduced before it leaves the device (the policy's transform,
/// with its parameters), for "what is shared" screens.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum Reduction {
    /// Sent as entered.
    Keep,
    /// Never sent.
    Omit,
    /// A number rounded to a multiple of `step`.
    Round {
        /// The rounding step.
        step: f64,
    },
    /// A number reduced to whether it is at or above `at`.
    Threshold {
        /// The threshold.
        at: f64,
    },
    /// A district code (also inside travel history) reduced to a coarser level.
    Generalize {
        /// The level kept.
        level: PlaceLevel,
    },
    /// A birth date reduced to an age band of `width_years`.
    AgeBand {
        /// Width of each band in years.
        width_years: u32,
    },
    /// A date reduced to its ISO week or its month.
    CoarsenDate {
        /// Whether the month (else the ISO week) is kept.
        month: bool,
    },
    /// Travel legs kept only within `days` before the record's date, or before the date
    /// in `reference_field` when set.
    Window {
        /// The window in days.
        days: u32,
        /// The date field that ends the window, if not the record's date.
        reference_field: Option<String>,
    },
    /// Travel history reduced to whether one of `areas` was visited within the window,
    /// and the week of the last visit.
    RiskAreaVisited {
        /// Area code prefixes considered at risk.
        areas: Vec<String>,
        /// The window in days.
        window_days: u32,
        /// The date field that ends the window, if not the record's date.
        reference_field: Option<String>,
    },
    /// A list reduced to its length.
    Count,
    /// Replaced by a random identifier per profile and policy.
    Pseudonym,
}

/// The administrative level a district code is generalized to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PlaceLevel {
    /// The county-level district.
    District,
    /// The prefecture-level city.
    City,
    /// The province.
    Province,
}

impl Reduction {
    /// The reduction a policy transform declares.
    pub(crate) fn of(transform: &Transform) -> Self {
        match transform {
            Transform::Keep => Self::Keep,
            Transform::Omit => Self::Omit,
            Transform::Round { step } => Self::Round { step: *step },
            Transform::Threshold { at } => Self::Threshold { at: *at },
            Transform::Generalize { level } => Self::Generalize {
                level: match level {
                    DistrictLevel::District => PlaceLevel::District,
                    DistrictLevel::City => PlaceLevel::City,
                    DistrictLevel::Province => PlaceLevel::Province,
                },
            },
            Transform::AgeBand { width } => Self::AgeBand {
                width_years: *width,
            },
            Transform::CoarsenDate { granularity } => Self::CoarsenDate {
                month: *granularity == DateGranularity::Month,
            },
            Transform::Window { days, reference } => Self::Window {
                days: *days,
                reference_field: reference.clone(),
            },
            Transform::RiskAreaVisited {
                areas,
                window_days,
                reference,
            } => Self::RiskAreaVisited {
                areas: areas.clone(),
                window_days: *window_days,
                reference_field: reference.clone(),
            },
            Transform::Count => Self::Count,
            Transform::Pseudonym => Self::Pseudonym,
        }
    }
}

#[uniffi::export]
impl SelfReport {
    /// Every problem `save_record` would refuse these answers for, at most one per
    /// field, without saving anything: call it as the person types or before they
    /// submit, and show each problem under its field. Problems with the record's date
    /// (field `"date"`) come first, then the answers' in the order the form checks them.
    /// Empty when saving would pass. Throws only for the call's own faults (an unknown
    /// profile, policy or form: `NotFound`). Short: one profile and policy read.
    pub fn check_answers(
        &self,
        profile_id: ProfileId,
        policy_id: String,
        form_id: String,
        date: Option<LocalDate>,
        answers: std::collections::HashMap<String, String>,
    ) -> Result<Vec<FieldProblem>> {
        let profile = profile_id.core()?;
        let problems = logged(
            "check_answers",
            self.core()?.check_answers(
                &profile,
                &policy_id,
                &form_id,
                date,
                convert::answers(answers),
            ),
        )?;
        Ok(problems.into_iter().map(FieldProblem::of).collect())
    }
}
