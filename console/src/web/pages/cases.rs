//! The case list and one case: pseudonymous, from the officer's scope only.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Html as HtmlResponse;
use chrono::Utc;

use super::super::ConsoleState;
use super::super::html::{Html, document};
use super::super::viewer::{PageError, Viewer};
use super::{answers_html, is_pseudonym, record, today};
use crate::audit::AuditAction;
use crate::officers::Role;
use crate::scope::{CaseSummary, Scope, ScopedCases};

fn flags_html(page: &mut Html, case: &CaseSummary) {
    page.raw("<ul class=\"flags\">");
    let flags = [
        (case.fever, "fever", "Fever"),
        (case.symptoms, "symptoms", "Symptoms"),
        (case.days_missed > 0, "missed", "Missed a day"),
        (case.unconfirmed, "unconfirmed", "Unconfirmed intake"),
    ];
    for (set, class, label) in flags {
        if set {
            page.raw(&format!("<li class=\"flag {class}\">"))
                .text(label)
                .raw("</li>");
        }
    }
    if let Some(confirmed) = &case.confirmed {
        page.raw("<li class=\"flag confirmed\">")
            .text(&format!(
                "Confirmed in person {} in {}",
                confirmed.at.format("%Y-%m-%d %H:%M UTC"),
                confirmed.district
            ))
            .raw("</li>");
    }
    page.raw("</ul>");
}

/// `GET /cases`.
pub(in super::super) async fn list(
    State(state): State<Arc<ConsoleState>>,
    viewer: Viewer,
) -> Result<HtmlResponse<String>, PageError> {
    if viewer.officer.role == Role::Auditor {
        return Err(PageError::Forbidden);
    }
    let scope = Scope::of(&viewer.officer);
    let now = Utc::now();
    let cases = {
        let db = state.db.get().await?;
        ScopedCases::new(&*db, &scope).list(today(now)).await?
    };
    record(
        &state,
        &viewer.officer.username,
        AuditAction::CaseList,
        None,
        Some(&format!("{} cases shown", cases.len())),
    )
    .await?;
    let mut page = Html::new();
    page.raw("<p class=\"scope\">")
        .text(&format!(
            "Districts {}; policies {}. Cases are pseudonymous; an identity is shown only on a reasoned reveal.",
            viewer.officer.districts.join(", "),
            viewer.officer.policies.join(", ")
        ))
        .raw("</p>");
    if cases.is_empty() {
        page.raw("<p>No case in your districts.</p>");
    } else {
        page.raw("<table class=\"cases\"><thead><tr><th>Case</th><th>District</th><th>Policy</th><th>Days reported</th><th>Days missed</th><th>Latest report</th><th>Flags</th></tr></thead><tbody>");
        for case in &cases {
            page.raw("<tr><td><a class=\"case\" href=\"/cases/")
                .text(&case.pseudonym)
                .raw("\">")
                .text(&case.pseudonym)
                .raw("</a></td>")
                .element("td", &case.district)
                .element("td", &case.policy_id)
                .element("td", &case.days_reported.to_string())
                .element("td", &case.days_missed.to_string())
                .raw("<td>")
                .element("span", &case.latest_date.to_string());
            answers_html(&mut page, &case.latest_answers);
            page.raw("</td><td>");
            flags_html(&mut page, case);
            page.raw("</td></tr>");
        }
        page.raw("</tbody></table>");
    }
    Ok(HtmlResponse(document(
        "Cases",
        Some(&viewer.nav()),
        &page.into_body(),
    )))
}

/// `GET /cases/{pseudonym}`.
pub(in super::super) async fn detail(
    State(state): State<Arc<ConsoleState>>,
    Path(pseudonym): Path<String>,
    viewer: Viewer,
) -> Result<HtmlResponse<String>, PageError> {
    if viewer.officer.role == Role::Auditor {
        return Err(PageError::NotFound);
    }
    let scope = Scope::of(&viewer.officer);
    let found = if is_pseudonym(&pseudonym) {
        let db = state.db.get().await?;
        ScopedCases::new(&*db, &scope)
            .case(&pseudonym, today(Utc::now()))
            .await?
    } else {
        None
    };
    let Some((case, reports)) = found else {
        // Tries at cases out of scope are recorded too.
        let subject = is_pseudonym(&pseudonym).then_some(pseudonym.as_str());
        record(
            &state,
            &viewer.officer.username,
            AuditAction::CaseView,
            subject,
            Some("not found in scope"),
        )
        .await?;
        return Err(PageError::NotFound);
    };
    record(
        &state,
        &viewer.officer.username,
        AuditAction::CaseView,
        Some(&case.pseudonym),
        None,
    )
    .await?;
    let mut page = Html::new();
    page.raw("<section class=\"case-summary\"><dl>")
        .element("dt", "District")
        .element("dd", &case.district)
        .element("dt", "Policy")
        .element("dd", &case.policy_id)
        .element("dt", "Days reported")
        .element("dd", &case.days_reported.to_string())
        .element("dt", "Days missed")
        .element("dd", &case.days_missed.to_string())
        .raw("</dl>");
    flags_html(&mut page, &case);
    page.raw("<p><a class=\"reveal\" href=\"/cases/")
        .text(&case.pseudonym)
        .raw("/reveal\">Reveal identity (reason required, recorded)</a></p></section>");
    page.raw("<h2>Reports</h2><table class=\"reports\"><thead><tr><th>Date</th><th>Form</th><th>Answers</th><th>Flags</th></tr></thead><tbody>");
    for report in &reports {
        page.raw("<tr>")
            .element("td", &report.date.to_string())
            .element("td", &report.form)
            .raw("<td>");
        answers_html(&mut page, &report.answers);
        let flags: Vec<&str> = [(report.fever, "fever"), (report.symptoms, "symptoms")]
            .into_iter()
            .filter_map(|(set, name)| set.then_some(name))
            .collect();
        page.raw("</td>")
            .element("td", &flags.join(", "))
            .raw("</tr>");
    }
    page.raw("</tbody></table>");
    Ok(HtmlResponse(document(
        &format!("Case {}", case.pseudonym),
        Some(&viewer.nav()),
        &page.into_body(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::InPerson;
    use chrono::{NaiveDate, TimeZone as _};

    fn case(unconfirmed: bool, confirmed: Option<InPerson>) -> CaseSummary {
        CaseSummary {
            pseudonym: "a".repeat(32),
            policy_id: "sh-arrivals".into(),
            district: "420106".into(),
            days_reported: 1,
            days_missed: 0,
            latest_date: NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
            latest_answers: Default::default(),
            fever: false,
            symptoms: false,
            unconfirmed,
            confirmed,
        }
    }

    fn flags(case: &CaseSummary) -> String {
        let mut page = Html::new();
        flags_html(&mut page, case);
        page.into_body()
    }

    #[test]
    fn a_confirmed_case_shows_when_and_where_and_an_unconfirmed_one_says_so() {
        let unconfirmed = flags(&case(true, None));
        assert!(unconfirmed.contains("Unconfirmed intake"), "{unconfirmed}");
        assert!(
            !unconfirmed.contains("Confirmed in person"),
            "{unconfirmed}"
        );
        let confirmed = flags(&case(
            false,
            Some(InPerson {
                at: Utc.with_ymd_and_hms(2026, 12, 8, 9, 30, 0).unwrap(),
                district: "420111".into(),
            }),
        ));
        assert!(
            confirmed.contains("Confirmed in person 2026-12-08 09:30 UTC in 420111"),
            "{confirmed}"
        );
        assert!(!confirmed.contains("Unconfirmed intake"), "{confirmed}");
    }
}
