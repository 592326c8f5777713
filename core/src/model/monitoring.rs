//! Monitoring periods (arrival, close contact, self-reported) and what is due today.

use std::fmt;
use std::str::FromStr;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::id::random_id;
use super::{ProfileId, Rule, ValidationError};
use crate::policy::{OncePer, PolicyDocument};

random_id!(
    /// Identifies a monitoring period: 32 lowercase hex characters from 16 random bytes.
    MonitoringId,
    field = "monitoring_id"
);

/// Why a person is being monitored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MonitoringReason {
    /// Arrived from elsewhere (`"arrival"`).
    #[serde(rename = "arrival")]
    Arrival,
    /// Close contact of a case (`"contact"`).
    #[serde(rename = "contact")]
    Contact,
    /// Chose to monitor themselves (`"self"`).
    #[serde(rename = "self")]
    SelfReported,
}

impl MonitoringReason {
    /// The reason's text form: `"arrival"`, `"contact"` or `"self"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MonitoringReason::Arrival => "arrival",
            MonitoringReason::Contact => "contact",
            MonitoringReason::SelfReported => "self",
        }
    }
}

impl fmt::Display for MonitoringReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MonitoringReason {
    type Err = ValidationError;

    /// Parses `"arrival"`, `"contact"` or `"self"`; errors name the field `"reason"`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "arrival" => Ok(MonitoringReason::Arrival),
            "contact" => Ok(MonitoringReason::Contact),
            "self" => Ok(MonitoringReason::SelfReported),
            _ => Err(ValidationError::new(
                "reason",
                Rule::Format {
                    expected: "one of arrival, contact or self",
                },
            )),
        }
    }
}

/// A stretch of days during which a profile owes a policy's daily forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitoringPeriod {
    /// Random id.
    pub id: MonitoringId,
    /// Who is monitored.
    pub profile_id: ProfileId,
    /// The policy whose forms are owed.
    pub policy_id: String,
    /// First day (local date).
    pub start: NaiveDate,
    /// Length in days, from the policy when the period started. A zero-day period is
    /// never active.
    pub days: u32,
    /// Why.
    pub reason: MonitoringReason,
    /// For a period an enrollment order set (`selfreport.enrollment/1`): what the order
    /// says beyond the period. Such a period is the collector's: the person cannot end or
    /// correct it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<PeriodOrder>,
}

/// What an enrollment order set beside its period.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodOrder {
    /// The county-level district the person is monitored in.
    pub district: String,
    /// The forms the order allows, with how many submissions a day each.
    pub forms: std::collections::BTreeMap<String, u32>,
    /// The order's secret, base64url: what the device proves enrollment with. Never
    /// printed.
    pub secret: String,
    /// When the order was issued, RFC 3339.
    pub issued_at: String,
    /// The signed order itself, base64url, as the device received it: what it shows the
    /// drop box to be issued upload tokens. Absent for orders enrolled before tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<String>,
}

impl fmt::Debug for PeriodOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeriodOrder")
            .field("district", &self.district)
            .field("forms", &self.forms)
            .field("secret", &"<redacted>")
            .field("issued_at", &self.issued_at)
            .finish()
    }
}

impl MonitoringPeriod {
    /// The last day of the period (`start + days - 1`). For a zero-day period this is
    /// the day before `start`; dates past the calendar's end saturate.
    pub fn last_day(&self) -> NaiveDate {
        match self.days.checked_sub(1) {
            Some(extra) => self
                .start
                .checked_add_days(Days::new(u64::from(extra)))
                .unwrap_or(NaiveDate::MAX),
            None => self.start.pred_opt().unwrap_or(NaiveDate::MIN),
        }
    }

    /// Whether `today` falls within the period, both ends included.
    pub fn is_active(&self, today: NaiveDate) -> bool {
        self.days > 0 && self.start <= today && today <= self.last_day()
    }

    /// Which day of the period `today` is, counting the start as day 1; `None` outside
    /// the period.
    pub fn day_of_period(&self, today: NaiveDate) -> Option<u32> {
        if !self.is_active(today) {
            return None;
        }
        let elapsed = (today - self.start).num_days();
        u32::try_from(elapsed).ok()?.checked_add(1)
    }

    /// Whether the two periods are for the same profile and policy and share a day.
    pub fn overlaps(&self, other: &MonitoringPeriod) -> bool {
        self.profile_id == other.profile_id
            && self.policy_id == other.policy_id
            && self.days > 0
            && other.days > 0
            && self.start <= other.last_day()
            && other.start <= self.last_day()
    }
}

/// A form a profile still owes today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueItem {
    /// Who owes it.
    pub profile_id: ProfileId,
    /// Under which policy.
    pub policy_id: String,
    /// Which form.
    pub form_id: String,
    /// The day it is owed for (today).
    pub date: NaiveDate,
    /// Why it is owed: a day of a monitoring period, or a registration not yet sent.
    #[serde(flatten)]
    pub owed: Owed,
}

/// Why a form is due. In JSON, `"owed"` names the variant beside the item's other
/// fields: `{"owed": "daily", "day": 3, "of_days": 14}`, `{"owed": "registration"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "owed", rename_all = "snake_case")]
pub enum Owed {
    /// A daily form, on a day of an active monitoring period.
    Daily {
        /// Day of the monitoring period, starting at 1.
        day: u32,
        /// Length of the monitoring period in days.
        of_days: u32,
    },
    /// A registration (a traveler's pre-registration) filled in but not sent yet.
    Registration,
}

impl DueItem {
    /// The day of the monitoring period and its length, for a daily form.
    pub fn period_day(&self) -> Option<(u32, u32)> {
        match self.owed {
            Owed::Daily { day, of_days } => Some((day, of_days)),
            Owed::Registration => None,
        }
    }
}

/// What each profile still owes `today`: every daily form that requires monitoring, of
/// every policy a profile has an active period for, not yet filed for today.
///
/// - `policies` are the installed policies; a period whose policy is missing, or whose
///   policy is not valid today (outside `valid_from..=valid_until`), owes nothing.
/// - `is_filed(profile, policy, form, date)` says whether a record exists for that day.
/// - When a profile has several active periods for one policy (a new contact during an
///   arrival period, say), the item counts days in the one that ends last (then: the
///   earliest start, then the smallest id), so each form appears once per profile.
///
/// Items are ordered by profile id, then policy id, then the form's order in the policy.
pub fn due(
    today: NaiveDate,
    periods: &[MonitoringPeriod],
    policies: &[&PolicyDocument],
    is_filed: impl Fn(&ProfileId, &str, &str, NaiveDate) -> bool,
) -> Vec<DueItem> {
    let mut active: Vec<&MonitoringPeriod> = periods
        .iter()
        .filter(|period| period.is_active(today))
        .collect();
    // Group by profile and policy, the governing period first in each group.
    active.sort_by(|a, b| {
        (&a.profile_id, &a.policy_id)
            .cmp(&(&b.profile_id, &b.policy_id))
            .then_with(|| b.last_day().cmp(&a.last_day()))
            .then_with(|| a.start.cmp(&b.start))
            .then_with(|| a.id.cmp(&b.id))
    });
    active.dedup_by(|later, first| {
        later.profile_id == first.profile_id && later.policy_id == first.policy_id
    });

    let mut items = Vec::new();
    for period in active {
        let Some(policy) = policies.iter().find(|policy| policy.id == period.policy_id) else {
            continue;
        };
        if today < policy.valid_from || today > policy.valid_until {
            continue;
        }
        let Some(day) = period.day_of_period(today) else {
            continue;
        };
        let owed = policy
            .forms
            .iter()
            .filter(|form| form.once_per == OncePer::Day && form.requires_monitoring)
            .filter(|form| !is_filed(&period.profile_id, &policy.id, &form.id, today));
        for form in owed {
            items.push(DueItem {
                profile_id: period.profile_id.clone(),
                policy_id: policy.id.clone(),
                form_id: form.id.clone(),
                date: today,
                owed: Owed::Daily {
                    day,
                    of_days: period.days,
                },
            });
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use super::*;
    use crate::policy::{
        CoverTraffic, Endpoint, Form, Issuer, Monitoring, Padding, Purpose, Retention,
    };

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn profile(n: u8) -> ProfileId {
        ProfileId::from_random_bytes([n; 16])
    }

    fn form(id: &str, once_per: OncePer, requires_monitoring: bool) -> Form {
        Form {
            id: id.into(),
            once_per,
            requires_monitoring,
            enrollment: Default::default(),
            title: Default::default(),
            fields: vec![],
            padded_bytes: Default::default(),
        }
    }

    fn policy(id: &str, forms: Vec<Form>) -> PolicyDocument {
        PolicyDocument {
            format: crate::policy::PolicyFormat::V1,
            region: Vec::new(),
            id: id.into(),
            version: 1,
            issuer: Issuer {
                name: Default::default(),
            },
            purpose: Purpose {
                code: "epidemic-control".into(),
                text: Default::default(),
            },
            valid_from: date("2026-11-01"),
            valid_until: date("2027-05-01"),
            endpoint: Endpoint {
                url: "https://report.example.org/v1".into(),
                spki_sha256: vec![],
                receipt_key: String::new(),
                token_keys: Vec::new(),
            },
            recipients: BTreeMap::new(),
            monitoring: Some(Monitoring { days: 14 }),
            retention: Retention {
                device_days: 28,
                server_days: 28,
            },
            padding: Padding { block_bytes: 512 },
            cover_traffic: CoverTraffic::default(),
            access_notices: false,
            forms,
        }
    }

    fn daily_policy() -> PolicyDocument {
        policy(
            "sh-daily",
            vec![
                form("daily", OncePer::Day, true),
                form("arrival", OncePer::Registration, false),
                form("vaccination", OncePer::Day, false),
                form("evening", OncePer::Day, true),
            ],
        )
    }

    fn period(profile_n: u8, policy_id: &str, start: &str, days: u32) -> MonitoringPeriod {
        MonitoringPeriod {
            id: MonitoringId::from_random_bytes([profile_n.wrapping_add(100); 16]),
            profile_id: profile(profile_n),
            policy_id: policy_id.into(),
            start: date(start),
            days,
            reason: MonitoringReason::Arrival,
            order: None,
        }
    }

    fn nothing_filed(_: &ProfileId, _: &str, _: &str, _: NaiveDate) -> bool {
        false
    }

    fn summary(items: &[DueItem]) -> Vec<(u8, &str, u32, u32)> {
        items
            .iter()
            .map(|item| {
                let n = u8::from_str_radix(&item.profile_id.as_str()[..2], 16).unwrap();
                let (day, of_days) = item.period_day().unwrap();
                (n, item.form_id.as_str(), day, of_days)
            })
            .collect()
    }

    #[test]
    fn period_arithmetic() {
        let p = period(1, "sh-daily", "2026-11-20", 14);
        assert_eq!(p.last_day(), date("2026-12-03"));
        assert!(!p.is_active(date("2026-11-19")));
        assert!(p.is_active(date("2026-11-20")));
        assert!(p.is_active(date("2026-12-03")));
        assert!(!p.is_active(date("2026-12-04")));
        assert_eq!(p.day_of_period(date("2026-11-20")), Some(1));
        assert_eq!(p.day_of_period(date("2026-12-03")), Some(14));
        assert_eq!(p.day_of_period(date("2026-12-04")), None);
        assert_eq!(p.day_of_period(date("2026-11-19")), None);

        let empty = period(1, "sh-daily", "2026-11-20", 0);
        assert_eq!(empty.last_day(), date("2026-11-19"));
        assert!(!empty.is_active(date("2026-11-20")));

        let one = period(1, "sh-daily", "2026-11-20", 1);
        assert_eq!(one.last_day(), date("2026-11-20"));
        assert_eq!(one.day_of_period(date("2026-11-20")), Some(1));

        let forever = MonitoringPeriod {
            start: NaiveDate::MAX,
            ..period(1, "sh-daily", "2026-11-20", u32::MAX)
        };
        assert_eq!(forever.last_day(), NaiveDate::MAX);
    }

    #[test]
    fn overlap_needs_same_profile_policy_and_a_shared_day() {
        let first = period(1, "sh-daily", "2026-11-01", 14); // to 11-14
        assert!(first.overlaps(&period(1, "sh-daily", "2026-11-14", 14)));
        assert!(!first.overlaps(&period(1, "sh-daily", "2026-11-15", 14)));
        assert!(!first.overlaps(&period(2, "sh-daily", "2026-11-05", 14)));
        assert!(!first.overlaps(&period(1, "other", "2026-11-05", 14)));
        assert!(!first.overlaps(&period(1, "sh-daily", "2026-11-05", 0)));
    }

    #[test]
    fn due_lists_daily_monitored_forms_on_every_day_of_the_period_only() {
        let policy = daily_policy();
        let periods = [period(1, "sh-daily", "2026-11-20", 14)];
        let due_on = |day: &str| due(date(day), &periods, &[&policy], nothing_filed);
        assert!(due_on("2026-11-19").is_empty());
        assert_eq!(
            summary(&due_on("2026-11-20")),
            [(1, "daily", 1, 14), (1, "evening", 1, 14)]
        );
        assert_eq!(
            summary(&due_on("2026-12-03")),
            [(1, "daily", 14, 14), (1, "evening", 14, 14)]
        );
        assert!(due_on("2026-12-04").is_empty());
        let item = &due_on("2026-11-25")[0];
        assert_eq!(item.date, date("2026-11-25"));
        assert_eq!(item.policy_id, "sh-daily");
        assert_eq!(item.period_day(), Some((6, 14)));
        let json = serde_json::to_value(item).unwrap();
        assert_eq!(json["owed"], "daily");
        assert_eq!(json["day"], 6);
        assert_eq!(json["of_days"], 14);
        assert_eq!(serde_json::from_value::<DueItem>(json).unwrap(), *item);
    }

    #[test]
    fn filed_forms_are_not_due_and_the_filing_check_gets_the_right_arguments() {
        let policy = daily_policy();
        let periods = [
            period(1, "sh-daily", "2026-11-20", 14),
            period(2, "sh-daily", "2026-11-25", 14),
        ];
        let asked = RefCell::new(Vec::new());
        let items = due(
            date("2026-11-26"),
            &periods,
            &[&policy],
            |profile_id, policy_id, form_id, day| {
                asked.borrow_mut().push((
                    profile_id.clone(),
                    policy_id.to_owned(),
                    form_id.to_owned(),
                    day,
                ));
                *profile_id == profile(1) && form_id == "daily"
            },
        );
        assert_eq!(
            summary(&items),
            [
                (1, "evening", 7, 14),
                (2, "daily", 2, 14),
                (2, "evening", 2, 14)
            ]
        );
        let asked = asked.into_inner();
        assert_eq!(asked.len(), 4);
        assert!(asked.iter().all(|(_, policy_id, _, day)| policy_id == "sh-daily"
            && *day == date("2026-11-26")));
    }

    #[test]
    fn periods_of_missing_or_expired_policies_and_unmonitored_forms_owe_nothing() {
        let unmonitored = policy(
            "registration-only",
            vec![
                form("arrival", OncePer::Registration, true),
                form("vaccination", OncePer::Day, false),
            ],
        );
        let daily = daily_policy();
        let periods = [
            period(1, "registration-only", "2026-11-20", 14),
            period(2, "uninstalled", "2026-11-20", 14),
            period(3, "sh-daily", "2026-11-20", 14),
        ];
        let items = due(
            date("2026-11-21"),
            &periods,
            &[&unmonitored, &daily],
            nothing_filed,
        );
        assert_eq!(
            summary(&items),
            [(3, "daily", 2, 14), (3, "evening", 2, 14)]
        );

        let expired = PolicyDocument {
            valid_until: date("2026-11-20"),
            ..daily_policy()
        };
        assert!(due(date("2026-11-21"), &periods, &[&expired], nothing_filed).is_empty());
    }

    #[test]
    fn overlapping_periods_give_one_item_counted_in_the_period_ending_last() {
        let policy = daily_policy();
        let mut contact = period(1, "sh-daily", "2026-11-25", 14);
        contact.id = MonitoringId::from_random_bytes([0; 16]);
        contact.reason = MonitoringReason::Contact;
        let periods = [period(1, "sh-daily", "2026-11-20", 14), contact];
        let items = due(date("2026-11-26"), &periods, &[&policy], nothing_filed);
        assert_eq!(
            summary(&items),
            [(1, "daily", 2, 14), (1, "evening", 2, 14)]
        );
        // Reversing the input changes nothing.
        let reversed = [periods[1].clone(), periods[0].clone()];
        assert_eq!(
            due(date("2026-11-26"), &reversed, &[&policy], nothing_filed),
            items
        );
    }

    #[test]
    fn items_are_ordered_by_profile_then_policy_then_form_order() {
        let a = policy(
            "a-policy",
            vec![
                form("z-form", OncePer::Day, true),
                form("a-form", OncePer::Day, true),
            ],
        );
        let b = policy("b-policy", vec![form("daily", OncePer::Day, true)]);
        let periods = [
            period(2, "b-policy", "2026-11-20", 14),
            period(2, "a-policy", "2026-11-20", 14),
            period(1, "b-policy", "2026-11-20", 14),
        ];
        let items = due(date("2026-11-21"), &periods, &[&b, &a], nothing_filed);
        let order: Vec<(u8, &str, &str)> = items
            .iter()
            .map(|item| {
                let n = u8::from_str_radix(&item.profile_id.as_str()[..2], 16).unwrap();
                (n, item.policy_id.as_str(), item.form_id.as_str())
            })
            .collect();
        assert_eq!(
            order,
            [
                (1, "b-policy", "daily"),
                (2, "a-policy", "z-form"),
                (2, "a-policy", "a-form"),
                (2, "b-policy", "daily"),
            ]
        );
    }

    #[test]
    fn reasons_have_a_stable_text_form() {
        for (reason, text) in [
            (MonitoringReason::Arrival, "arrival"),
            (MonitoringReason::Contact, "contact"),
            (MonitoringReason::SelfReported, "self"),
        ] {
            assert_eq!(reason.to_string(), text);
            assert_eq!(text.parse::<MonitoringReason>().unwrap(), reason);
            assert_eq!(serde_json::to_value(reason).unwrap(), text);
        }
        let error = "Arrival".parse::<MonitoringReason>().unwrap_err();
        assert_eq!(
            (error.field.as_str(), error.rule.code()),
            ("reason", "Format")
        );
    }

    #[test]
    fn periods_round_trip_through_json() {
        let p = period(1, "sh-daily", "2026-11-20", 14);
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["reason"], "arrival");
        assert_eq!(json["start"], "2026-11-20");
        assert_eq!(serde_json::from_value::<MonitoringPeriod>(json).unwrap(), p);
        assert_eq!(MonitoringId::parse("").unwrap_err().field, "monitoring_id");
    }
}
