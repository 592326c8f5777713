//! The only way to the cases: a repository scoped to one officer's districts and policies
//! ([`ScopedCases`]). Every query that reads a case, a report or a reveal is here and
//! filtered here, once, by the scope it was built with; handlers get cases from it and
//! cannot ask for one outside it. A case outside the scope is the same as no case at all
//! (`None`), so a page can answer 404 and confirm no id.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use selfreport_core::policy::region::RegionCode;
use serde_json::Value;
use tokio_postgres::GenericClient;

use crate::aggregates::DayCounts;
use crate::error::ConsoleError;
use crate::officers::{Officer, Role};

/// Most cases one list shows (the most urgent first).
pub const LIST_LIMIT: i64 = 500;

/// What an officer may see: their districts (GB/T 2260, any level) and policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// SQL `LIKE` patterns of the districts: `4201%` for the city 420100.
    district_patterns: Vec<String>,
    /// The policy ids.
    policies: Vec<String>,
}

impl Scope {
    /// The scope of `officer`; an auditor's is empty (they see no case).
    pub fn of(officer: &Officer) -> Self {
        if officer.role == Role::Auditor {
            return Self {
                district_patterns: Vec::new(),
                policies: Vec::new(),
            };
        }
        Self {
            district_patterns: officer
                .districts
                .iter()
                .filter(|code| RegionCode::parse(code).is_some())
                .map(|code| district_pattern(code))
                .collect(),
            policies: officer.policies.clone(),
        }
    }
}

impl Scope {
    /// Every district of `policies`: the command line's aggregate export, run by the
    /// console's administrator.
    pub fn all_districts(policies: Vec<String>) -> Self {
        Self {
            district_patterns: vec!["%".to_owned()],
            policies,
        }
    }
}

/// `4201%` for `420100`, `42%` for `420000`, `420106` for a county.
fn district_pattern(code: &str) -> String {
    let significant = code.trim_end_matches("00");
    // A county ending in 00 cannot exist (RegionCode refuses `310004`-like codes), and a
    // province keeps two digits.
    let significant = if significant.len() % 2 == 1 {
        &code[..significant.len() + 1]
    } else {
        significant
    };
    if significant.len() == 6 {
        significant.to_owned()
    } else {
        format!("{significant}%")
    }
}

/// A case as the list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseSummary {
    /// The console's pseudonym of the case.
    pub pseudonym: String,
    /// Its policy.
    pub policy_id: String,
    /// Its monitoring district.
    pub district: String,
    /// Days with a report.
    pub days_reported: i64,
    /// Days of its monitoring period so far without one.
    pub days_missed: i64,
    /// The date of its latest report.
    pub latest_date: NaiveDate,
    /// The reduced answers of its latest report.
    pub latest_answers: BTreeMap<String, Value>,
    /// Fever in the latest report.
    pub fever: bool,
    /// Symptoms in the latest report.
    pub symptoms: bool,
    /// Open intake (some report filed without an order) no checkpoint confirmed: it
    /// stays so whatever reports follow ([`crate::case_summary`]).
    pub unconfirmed: bool,
    /// The checkpoint's confirmation of the case in person, if any.
    pub confirmed: Option<InPerson>,
}

/// A checkpoint's confirmation of a case in person ([`crate::confirmations`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InPerson {
    /// When the checkpoint confirmed it.
    pub at: DateTime<Utc>,
    /// The county of the order the checkpoint issued.
    pub district: String,
}

/// One report of a case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseReport {
    /// The report's date.
    pub date: NaiveDate,
    /// Its form.
    pub form: String,
    /// Its reduced answers.
    pub answers: BTreeMap<String, Value>,
    /// Fever.
    pub fever: bool,
    /// Symptoms.
    pub symptoms: bool,
}

/// The latest stored submission of a case, sealed, for a reveal.
#[derive(Debug, Clone)]
pub struct SealedLatest {
    /// Its submission id.
    pub submission_id: String,
    /// When the drop box received it.
    pub received_at: DateTime<Utc>,
    /// Its policy id and version.
    pub policy: (String, i64),
    /// The body as received, sealed under the key-encryption key.
    pub sealed_body: Vec<u8>,
}

/// A reveal as supervisors see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevealRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// By whom (number and name).
    pub officer: (i64, String),
    /// Which case.
    pub pseudonym: String,
    /// The reason chosen.
    pub reason: String,
    /// The note written.
    pub note: String,
}

/// Days in a monitoring period so far without a report: from the first report to today
/// or the period's last day, whichever comes first, less the days reported.
pub fn days_missed(
    first: NaiveDate,
    monitoring_days: Option<i32>,
    today: NaiveDate,
    reported: i64,
) -> i64 {
    let mut end = today;
    if let Some(days) = monitoring_days.filter(|days| *days > 0) {
        end = end.min(first + chrono::Days::new(u64::from(days.unsigned_abs()) - 1));
    }
    let expected = (end - first).num_days() + 1;
    (expected - reported).max(0)
}

/// The cases of one scope.
pub struct ScopedCases<'a, C: GenericClient> {
    client: &'a C,
    scope: &'a Scope,
}

/// A case as the list shows it, from its row alone ([`crate::case_summary`] keeps it).
const SUMMARY: &str = "
SELECT c.pseudonym, c.policy_id, c.district, c.monitoring_days, c.first_date,
       c.days_reported::bigint, c.last_date, c.latest_answers, c.latest_fever,
       c.latest_symptoms, c.unconfirmed_intake, c.confirmed_at, c.confirmed_district
FROM cases c
WHERE c.policy_id = ANY($1) AND c.district LIKE ANY($2)";

impl<'a, C: GenericClient> ScopedCases<'a, C> {
    /// The cases `scope` sees through `client`.
    pub fn new(client: &'a C, scope: &'a Scope) -> Self {
        Self { client, scope }
    }

    /// The cases in scope, fever first, then the latest reported, at most [`LIST_LIMIT`].
    pub async fn list(&self, today: NaiveDate) -> Result<Vec<CaseSummary>, ConsoleError> {
        let query = format!(
            "{SUMMARY} ORDER BY c.latest_fever DESC, c.last_date DESC, c.pseudonym LIMIT {LIST_LIMIT}"
        );
        self.client
            .query(
                &query,
                &[&self.scope.policies, &self.scope.district_patterns],
            )
            .await?
            .iter()
            .map(|row| summary_from_row(row, today))
            .collect()
    }

    /// The case `pseudonym` with its reports (latest first), if it is in scope.
    pub async fn case(
        &self,
        pseudonym: &str,
        today: NaiveDate,
    ) -> Result<Option<(CaseSummary, Vec<CaseReport>)>, ConsoleError> {
        let query = format!("{SUMMARY} AND c.pseudonym = $3");
        let Some(row) = self
            .client
            .query_opt(
                &query,
                &[
                    &self.scope.policies,
                    &self.scope.district_patterns,
                    &pseudonym,
                ],
            )
            .await?
        else {
            return Ok(None);
        };
        let summary = summary_from_row(&row, today)?;
        let reports = self
            .client
            .query(
                "SELECT report_date, form, answers, fever, symptoms FROM case_reports
                 WHERE pseudonym = $1 ORDER BY report_date DESC, received_at DESC",
                &[&summary.pseudonym],
            )
            .await?
            .iter()
            .map(|row| {
                Ok(CaseReport {
                    date: row.get(0),
                    form: row.get(1),
                    answers: answers(&row.get::<_, String>(2))?,
                    fever: row.get(3),
                    symptoms: row.get(4),
                })
            })
            .collect::<Result<_, ConsoleError>>()?;
        Ok(Some((summary, reports)))
    }

    /// The latest stored submission of the case `pseudonym`, if it is in scope.
    pub async fn latest_sealed(
        &self,
        pseudonym: &str,
    ) -> Result<Option<SealedLatest>, ConsoleError> {
        let row = self
            .client
            .query_opt(
                "SELECT r.submission_id, r.received_at, c.policy_id, r.policy_version, r.sealed_body
                 FROM cases c JOIN case_reports r ON r.pseudonym = c.pseudonym
                 WHERE c.policy_id = ANY($1) AND c.district LIKE ANY($2) AND c.pseudonym = $3
                 ORDER BY r.report_date DESC, r.received_at DESC LIMIT 1",
                &[
                    &self.scope.policies,
                    &self.scope.district_patterns,
                    &pseudonym,
                ],
            )
            .await?;
        Ok(row.map(|row| SealedLatest {
            submission_id: row.get(0),
            received_at: row.get(1),
            policy: (row.get(2), row.get(3)),
            sealed_body: row.get(4),
        }))
    }

    /// The reveals of the cases in scope, latest first.
    pub async fn reveals(&self) -> Result<Vec<RevealRecord>, ConsoleError> {
        Ok(self
            .client
            .query(
                "SELECT v.revealed_at, o.id, o.username, v.pseudonym, v.reason, v.note
                 FROM reveals v JOIN cases c ON c.pseudonym = v.pseudonym
                 JOIN officers o ON o.id = v.officer_id
                 WHERE c.policy_id = ANY($1) AND c.district LIKE ANY($2)
                 ORDER BY v.revealed_at DESC, v.id DESC LIMIT 1000",
                &[&self.scope.policies, &self.scope.district_patterns],
            )
            .await?
            .iter()
            .map(|row| RevealRecord {
                at: row.get(0),
                officer: (row.get(1), row.get(2)),
                pseudonym: row.get(3),
                reason: row.get(4),
                note: row.get(5),
            })
            .collect())
    }
}

impl<C: GenericClient> ScopedCases<'_, C> {
    /// Per (district, report date) from `from` to `to` (inclusive), the cases in scope
    /// that reported and those whose report carried each flag (by the report's district);
    /// a report of open intake counts as unconfirmed until its case is confirmed.
    pub async fn daily_counts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<BTreeMap<(String, NaiveDate), DayCounts>, ConsoleError> {
        Ok(self
            .client
            .query(
                "SELECT r.district, r.report_date, count(DISTINCT r.pseudonym),
                        count(DISTINCT r.pseudonym) FILTER (WHERE r.fever),
                        count(DISTINCT r.pseudonym) FILTER (WHERE r.symptoms),
                        count(DISTINCT r.pseudonym)
                            FILTER (WHERE r.unconfirmed AND c.confirmed_at IS NULL)
                 FROM case_reports r JOIN cases c ON c.pseudonym = r.pseudonym
                 WHERE c.policy_id = ANY($1) AND r.district LIKE ANY($2)
                   AND r.report_date BETWEEN $3 AND $4
                 GROUP BY r.district, r.report_date",
                &[
                    &self.scope.policies,
                    &self.scope.district_patterns,
                    &from,
                    &to,
                ],
            )
            .await?
            .iter()
            .map(|row| {
                (
                    (row.get(0), row.get(1)),
                    DayCounts {
                        reports: row.get(2),
                        fever: row.get(3),
                        symptoms: row.get(4),
                        unconfirmed: row.get(5),
                    },
                )
            })
            .collect())
    }
}

fn answers(text: &str) -> Result<BTreeMap<String, Value>, ConsoleError> {
    serde_json::from_str(text).map_err(|_| ConsoleError::Corrupt("stored answers".into()))
}

fn summary_from_row(
    row: &tokio_postgres::Row,
    today: NaiveDate,
) -> Result<CaseSummary, ConsoleError> {
    let first: NaiveDate = row.get(4);
    let reported: i64 = row.get(5);
    Ok(CaseSummary {
        pseudonym: row.get(0),
        policy_id: row.get(1),
        district: row.get(2),
        days_reported: reported,
        days_missed: days_missed(first, row.get(3), today, reported),
        latest_date: row.get(6),
        latest_answers: answers(&row.get::<_, String>(7))?,
        fever: row.get(8),
        symptoms: row.get(9),
        unconfirmed: row.get(10),
        confirmed: match (row.get(11), row.get(12)) {
            (Some(at), Some(district)) => Some(InPerson { at, district }),
            _ => None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn districts_become_prefix_patterns() {
        assert_eq!(district_pattern("420106"), "420106");
        assert_eq!(district_pattern("420100"), "4201%");
        assert_eq!(district_pattern("420000"), "42%");
        assert_eq!(district_pattern("110000"), "11%");
        assert_eq!(district_pattern("110100"), "1101%");
        assert_eq!(district_pattern("110101"), "110101");
    }

    #[test]
    fn missed_days_count_within_the_period_only() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        assert_eq!(days_missed(day(1), Some(14), day(7), 7), 0);
        assert_eq!(days_missed(day(1), Some(14), day(7), 5), 2);
        // After the period's end, only its days count.
        assert_eq!(days_missed(day(1), Some(3), day(20), 3), 0);
        assert_eq!(days_missed(day(1), Some(3), day(20), 1), 2);
        assert_eq!(days_missed(day(1), None, day(3), 1), 2);
    }

    #[test]
    fn an_auditor_sees_no_case() {
        let auditor = Officer {
            id: 1,
            username: "audit".into(),
            role: Role::Auditor,
            districts: vec!["420100".into()],
            policies: vec!["sh-daily-health".into()],
            disabled_at: None,
            locked_until: None,
        };
        let scope = Scope::of(&auditor);
        assert!(scope.district_patterns.is_empty() && scope.policies.is_empty());
    }
}
