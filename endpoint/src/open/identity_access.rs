//! Who `open` shows (issue 16 item 6, "no list leaves"): health parts for everyone, but
//! identity values only for one case at a time.
//!
//! Without a case named, every identity value is withheld from the output, even when the
//! identity key was given: a name, an ID number, a passport or phone or transport number
//! (an identity kind not reduced to a pseudonym), and anything sent to a recipient of the
//! identity role. With `--case PSEUDONYM` (the device pseudonym the health part carries,
//! `pseudonym` in every output format), only that case's submissions are output, identity
//! values included. Following up one person is the case console's work, where a reveal
//! has a reason, a daily cap and an audit entry; this is the one-off tool.

use selfreport_core::policy::{PolicyDocument, RecipientRole, Transform};

use super::OpenReport;

/// What `open` may show of identity parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityAccess {
    /// Identity values are left out of every submission.
    Withheld,
    /// Only the submissions of this device pseudonym are output, identity values included.
    OneCase(String),
}

/// What [`restrict`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restricted {
    /// Identity values left out (with [`IdentityAccess::Withheld`]).
    pub withheld_values: usize,
    /// Submissions of other cases left out (with [`IdentityAccess::OneCase`]).
    pub other_cases: usize,
}

/// Applies `access` to the submissions of `report`, opened under `policy`.
pub fn restrict(
    report: &mut OpenReport,
    policy: &PolicyDocument,
    access: &IdentityAccess,
) -> Restricted {
    let mut restricted = Restricted::default();
    match access {
        IdentityAccess::OneCase(pseudonym) => {
            let before = report.submissions.len();
            report
                .submissions
                .retain(|submission| submission.pseudonym.as_deref() == Some(pseudonym.as_str()));
            restricted.other_cases = before - report.submissions.len();
        }
        IdentityAccess::Withheld => {
            for submission in &mut report.submissions {
                let form = submission
                    .form
                    .as_deref()
                    .and_then(|id| policy.forms.iter().find(|form| form.id == id));
                for (recipient, fields) in &mut submission.recipients {
                    let identity_role = policy
                        .recipients
                        .get(recipient)
                        .is_some_and(|r| r.role == Some(RecipientRole::Identity));
                    let before = fields.len();
                    fields.retain(|field, _| {
                        let spec =
                            form.and_then(|form| form.fields.iter().find(|s| &s.id == field));
                        let identity_value = spec.is_none_or(|spec| {
                            spec.kind.is_identity() && spec.upload != Transform::Pseudonym
                        });
                        !(identity_role || identity_value)
                    });
                    restricted.withheld_values += before - fields.len();
                }
                submission.recipients.retain(|_, fields| !fields.is_empty());
            }
        }
    }
    restricted
}

/// The warning `open --case` prints on stderr.
pub const ONE_CASE_WARNING: &str = "warning: identity values of one case are shown; \
following up people is the case console's work (selfreport-console, docs/console.md), \
where each reveal has a reason, a daily cap and an audit entry";

/// The note `open` prints on stderr when it withheld identity values.
pub fn withheld_note(count: usize) -> String {
    format!(
        "{count} identity value(s) withheld: open one case with --case PSEUDONYM, or use \
         the case console (selfreport-console, docs/console.md)"
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::open::OpenedSubmission;

    fn policy() -> PolicyDocument {
        selfreport_core::policy::parse_policy_document(include_bytes!(
            "../../../examples/policies/daily-report.json"
        ))
        .unwrap()
    }

    fn submission(pseudonym: &str) -> OpenedSubmission {
        OpenedSubmission {
            submission_id: format!("id-{pseudonym}"),
            received_at: "2026-12-07T00:00:00Z".into(),
            form: Some("daily".into()),
            date: Some("2026-12-07".into()),
            pseudonym: Some(pseudonym.into()),
            monitoring_district: None,
            notice_key: None,
            unconfirmed: false,
            recipients: BTreeMap::from([
                (
                    "health".to_owned(),
                    BTreeMap::from([("temperature".to_owned(), json!(true))]),
                ),
                (
                    "identity".to_owned(),
                    BTreeMap::from([
                        ("name".to_owned(), json!("Zhang")),
                        ("phone".to_owned(), json!("+8613800138000")),
                    ]),
                ),
            ]),
            flags: Vec::new(),
        }
    }

    #[test]
    fn without_a_case_identity_values_are_withheld_and_health_kept() {
        let mut report = OpenReport {
            submissions: vec![submission("a"), submission("b")],
            ..OpenReport::default()
        };
        let done = restrict(&mut report, &policy(), &IdentityAccess::Withheld);
        assert_eq!(done.withheld_values, 4);
        for opened in &report.submissions {
            assert_eq!(opened.recipients.keys().collect::<Vec<_>>(), ["health"]);
            assert_eq!(opened.recipients["health"]["temperature"], json!(true));
        }
    }

    #[test]
    fn one_case_keeps_only_its_submissions_with_identity() {
        let mut report = OpenReport {
            submissions: vec![submission("a"), submission("b"), submission("a")],
            ..OpenReport::default()
        };
        let done = restrict(&mut report, &policy(), &IdentityAccess::OneCase("a".into()));
        assert_eq!(done.other_cases, 1);
        assert_eq!(report.submissions.len(), 2);
        assert!(
            report
                .submissions
                .iter()
                .all(|opened| opened.recipients["identity"]["name"] == json!("Zhang"))
        );
    }
}
