//! The published order of upload transforms, per field kind: which transform lets less
//! of a value leave than another. It is defined here once and used wherever "narrower"
//! matters: a delegation's weakest transform per kind, and (with consent) whether a new
//! policy version discloses more than the one the person agreed to.
//!
//! Transforms are compared by name, and by level for `generalize` and `coarsen_date`;
//! parameters within one transform (a rounding step, a window's days) are not compared
//! here. Per kind the order is a set of chains from `omit` (nothing leaves) to `keep`
//! (the value as entered); `a` is at most `b` when one chain holds both with `a` first.
//! Two transforms on different chains are not comparable, and a transform that is not
//! comparable with a limit counts as wider than it.
//!
//! | kind | chains, least to most |
//! |---|---|
//! | `temperature_c`, `integer` | omit < threshold < round < keep |
//! | `district` | omit < generalize province < city < district < keep |
//! | `date` | omit < age_band < coarsen_date month < week < keep |
//! | `travel_history` | omit < count < keep; omit < risk_area_visited < window < keep; omit < generalize province < city < district < keep |
//! | `multi_choice` | omit < count < keep |
//! | `person_name`, `resident_id`, `passport_number`, `phone` | omit < pseudonym < keep |
//! | `yes_no`, `choice`, `text`, `transport_number` | omit < keep |

use crate::model::FieldKind;

use super::{DateGranularity, DistrictLevel, Transform};

/// A transform as the order sees it: its name, and its level where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `omit`.
    Omit,
    /// `count`.
    Count,
    /// `pseudonym`.
    Pseudonym,
    /// `threshold`.
    Threshold,
    /// `round`.
    Round,
    /// `age_band`.
    AgeBand,
    /// `coarsen_date` at a granularity.
    CoarsenDate(DateGranularity),
    /// `risk_area_visited`.
    RiskAreaVisited,
    /// `window`.
    Window,
    /// `generalize` to a level.
    Generalize(DistrictLevel),
    /// `keep`.
    Keep,
}

impl Step {
    /// The step of `transform`.
    pub fn of(transform: &Transform) -> Self {
        match transform {
            Transform::Keep => Step::Keep,
            Transform::Omit => Step::Omit,
            Transform::Round { .. } => Step::Round,
            Transform::Threshold { .. } => Step::Threshold,
            Transform::Generalize { level } => Step::Generalize(*level),
            Transform::AgeBand { .. } => Step::AgeBand,
            Transform::CoarsenDate { granularity } => Step::CoarsenDate(*granularity),
            Transform::Window { .. } => Step::Window,
            Transform::RiskAreaVisited { .. } => Step::RiskAreaVisited,
            Transform::Count => Step::Count,
            Transform::Pseudonym => Step::Pseudonym,
        }
    }

    /// The step named as in a delegation's `kinds` (`"threshold"`, `"generalize:city"`,
    /// `"coarsen_date:month"`), if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "omit" => Step::Omit,
            "count" => Step::Count,
            "pseudonym" => Step::Pseudonym,
            "threshold" => Step::Threshold,
            "round" => Step::Round,
            "age_band" => Step::AgeBand,
            "coarsen_date:month" => Step::CoarsenDate(DateGranularity::Month),
            "coarsen_date:week" => Step::CoarsenDate(DateGranularity::Week),
            "risk_area_visited" => Step::RiskAreaVisited,
            "window" => Step::Window,
            "generalize:province" => Step::Generalize(DistrictLevel::Province),
            "generalize:city" => Step::Generalize(DistrictLevel::City),
            "generalize:district" => Step::Generalize(DistrictLevel::District),
            "keep" => Step::Keep,
            _ => return None,
        })
    }

    /// The name [`Step::from_name`] reads.
    pub fn name(self) -> &'static str {
        match self {
            Step::Omit => "omit",
            Step::Count => "count",
            Step::Pseudonym => "pseudonym",
            Step::Threshold => "threshold",
            Step::Round => "round",
            Step::AgeBand => "age_band",
            Step::CoarsenDate(DateGranularity::Month) => "coarsen_date:month",
            Step::CoarsenDate(DateGranularity::Week) => "coarsen_date:week",
            Step::RiskAreaVisited => "risk_area_visited",
            Step::Window => "window",
            Step::Generalize(DistrictLevel::Province) => "generalize:province",
            Step::Generalize(DistrictLevel::City) => "generalize:city",
            Step::Generalize(DistrictLevel::District) => "generalize:district",
            Step::Keep => "keep",
        }
    }
}

const GENERALIZE: [Step; 5] = [
    Step::Omit,
    Step::Generalize(DistrictLevel::Province),
    Step::Generalize(DistrictLevel::City),
    Step::Generalize(DistrictLevel::District),
    Step::Keep,
];

/// The chains of the kind named `kind` (`"temperature_c"`), each from `omit` to `keep`;
/// none for a name that is no kind.
fn chains(kind: &str) -> &'static [&'static [Step]] {
    match kind {
        "temperature_c" | "integer" => &[&[Step::Omit, Step::Threshold, Step::Round, Step::Keep]],
        "district" => &[&GENERALIZE],
        "date" => &[&[
            Step::Omit,
            Step::AgeBand,
            Step::CoarsenDate(DateGranularity::Month),
            Step::CoarsenDate(DateGranularity::Week),
            Step::Keep,
        ]],
        "travel_history" => &[
            &[Step::Omit, Step::Count, Step::Keep],
            &[Step::Omit, Step::RiskAreaVisited, Step::Window, Step::Keep],
            &GENERALIZE,
        ],
        "multi_choice" => &[&[Step::Omit, Step::Count, Step::Keep]],
        "person_name" | "resident_id" | "passport_number" | "phone" => {
            &[&[Step::Omit, Step::Pseudonym, Step::Keep]]
        }
        "yes_no" | "choice" | "text" | "transport_number" => &[&[Step::Omit, Step::Keep]],
        _ => &[],
    }
}

/// Whether, for a field of `kind`, `step` lets at most what `limit` lets leave. A step
/// that is not on any chain of the kind with the limit is not at most it.
pub fn at_most(kind: &FieldKind, step: Step, limit: Step) -> bool {
    at_most_named(kind.name(), step, limit)
}

/// [`at_most`] for a kind given by name (as a delegation's `kinds` names it); false for
/// a name that is no kind.
pub fn at_most_named(kind: &str, step: Step, limit: Step) -> bool {
    chains(kind).iter().any(|chain| {
        let position = |wanted: Step| chain.iter().position(|&s| s == wanted);
        matches!((position(step), position(limit)), (Some(a), Some(b)) if a <= b)
    })
}

/// Whether `step` is on some chain of `kind` (the transform applies to the kind).
pub fn applies(kind: &FieldKind, step: Step) -> bool {
    at_most(kind, step, Step::Keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Step; 14] = [
        Step::Omit,
        Step::Count,
        Step::Pseudonym,
        Step::Threshold,
        Step::Round,
        Step::AgeBand,
        Step::CoarsenDate(DateGranularity::Month),
        Step::CoarsenDate(DateGranularity::Week),
        Step::RiskAreaVisited,
        Step::Window,
        Step::Generalize(DistrictLevel::Province),
        Step::Generalize(DistrictLevel::City),
        Step::Generalize(DistrictLevel::District),
        Step::Keep,
    ];

    fn kinds() -> Vec<FieldKind> {
        vec![
            FieldKind::YesNo,
            FieldKind::Choice { codes: vec![] },
            FieldKind::MultiChoice { codes: vec![] },
            FieldKind::TemperatureC,
            FieldKind::Integer { min: 0, max: 1 },
            FieldKind::Date {
                allow_future: false,
            },
            FieldKind::District,
            FieldKind::TravelHistory,
            FieldKind::PersonName,
            FieldKind::ResidentId,
            FieldKind::PassportNumber,
            FieldKind::Phone,
            FieldKind::TransportNumber,
            FieldKind::Text { max_len: 10 },
        ]
    }

    #[test]
    fn names_round_trip() {
        for step in ALL {
            assert_eq!(Step::from_name(step.name()), Some(step));
        }
        assert_eq!(Step::from_name("generalize"), None);
    }

    #[test]
    fn the_order_is_a_partial_order_from_omit_to_keep_for_every_kind() {
        for kind in kinds() {
            for a in ALL.into_iter().filter(|&a| applies(&kind, a)) {
                assert!(at_most(&kind, Step::Omit, a) && at_most(&kind, a, Step::Keep));
                assert!(at_most(&kind, a, a));
                for b in ALL.into_iter().filter(|&b| applies(&kind, b)) {
                    if a != b && at_most(&kind, a, b) {
                        assert!(!at_most(&kind, b, a), "{kind:?}: {a:?} and {b:?}");
                    }
                    for c in ALL {
                        if at_most(&kind, a, b) && at_most(&kind, b, c) {
                            assert!(at_most(&kind, a, c), "{kind:?}: {a:?} {b:?} {c:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_order_applies_exactly_where_the_transform_applies() {
        use crate::policy::Transform;
        let transforms = [
            Transform::Keep,
            Transform::Omit,
            Transform::Round { step: 1.0 },
            Transform::Threshold { at: 1.0 },
            Transform::Generalize {
                level: DistrictLevel::City,
            },
            Transform::AgeBand { width: 10 },
            Transform::CoarsenDate {
                granularity: DateGranularity::Week,
            },
            Transform::Window {
                days: 14,
                reference: None,
            },
            Transform::RiskAreaVisited {
                areas: vec!["42".into()],
                window_days: 14,
                reference: None,
            },
            Transform::Count,
            Transform::Pseudonym,
        ];
        for kind in kinds() {
            for transform in &transforms {
                assert_eq!(
                    applies(&kind, Step::of(transform)),
                    transform.applies_to(&kind),
                    "{kind:?} {transform:?}"
                );
            }
        }
    }

    #[test]
    fn published_examples() {
        let travel = FieldKind::TravelHistory;
        assert!(at_most(&travel, Step::RiskAreaVisited, Step::Window));
        assert!(at_most(&travel, Step::Window, Step::Keep));
        // Not comparable: wider either way.
        assert!(!at_most(&travel, Step::Count, Step::RiskAreaVisited));
        assert!(!at_most(
            &travel,
            Step::Window,
            Step::Generalize(DistrictLevel::City)
        ));
        let district = FieldKind::District;
        assert!(at_most(
            &district,
            Step::Generalize(DistrictLevel::Province),
            Step::Generalize(DistrictLevel::City)
        ));
        assert!(!at_most(
            &district,
            Step::Keep,
            Step::Generalize(DistrictLevel::City)
        ));
        assert!(at_most(
            &FieldKind::TemperatureC,
            Step::Threshold,
            Step::Round
        ));
        assert!(!at_most(&FieldKind::Phone, Step::Keep, Step::Pseudonym));
    }
}
