//! Revealing one case's identity: a form with a reason from the closed list and a note,
//! then the identity shown once, watermarked with the officer's number.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html as HtmlResponse, IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use serde::Deserialize;

use super::super::ConsoleState;
use super::super::html::{Html, document};
use super::super::viewer::{CarriesCsrf, PageError, Posted, Viewer};
use super::{is_pseudonym, record, today};
use crate::audit::AuditAction;
use crate::officers::Role;
use crate::reveal::{
    MAX_NOTE_CHARS, NoticeOutcome, RevealReason, RevealRefused, RevealRequest, reveal,
};
use crate::scope::{Scope, ScopedCases};

/// `GET /cases/{pseudonym}/reveal`.
pub(in super::super) async fn form(
    State(state): State<Arc<ConsoleState>>,
    Path(pseudonym): Path<String>,
    viewer: Viewer,
) -> Result<HtmlResponse<String>, PageError> {
    if viewer.officer.role == Role::Auditor || !is_pseudonym(&pseudonym) {
        return Err(PageError::NotFound);
    }
    let scope = Scope::of(&viewer.officer);
    let in_scope = {
        let db = state.db.get().await?;
        ScopedCases::new(&*db, &scope)
            .case(&pseudonym, today(Utc::now()))
            .await?
            .is_some()
    };
    record(
        &state,
        &viewer.officer.username,
        AuditAction::CaseView,
        Some(&pseudonym),
        Some(if in_scope {
            "reveal form"
        } else {
            "reveal form: not found in scope"
        }),
    )
    .await?;
    if !in_scope {
        return Err(PageError::NotFound);
    }
    let mut page = Html::new();
    page.raw("<p>")
        .text(&format!(
            "Revealing this case's identity is recorded in the audit log with your officer number, shown to supervisors, and counts against your daily limit of {}.",
            state.reveal_cap
        ))
        .raw("</p><form method=\"post\" class=\"reveal\" action=\"/cases/")
        .text(&pseudonym)
        .raw("/reveal\">")
        .csrf_field(&viewer.csrf)
        .raw("<label>Reason <select name=\"reason\" required>");
    for reason in RevealReason::ALL {
        page.raw("<option value=\"")
            .text(reason.code())
            .raw("\">")
            .text(reason.label())
            .raw("</option>");
    }
    page.raw("</select></label>")
        .raw(&format!(
            "<label>Note <textarea name=\"note\" maxlength=\"{MAX_NOTE_CHARS}\" required></textarea></label>"
        ))
        .raw("<button type=\"submit\">Reveal identity</button></form>");
    Ok(HtmlResponse(document(
        &format!("Reveal case {pseudonym}"),
        Some(&viewer.nav()),
        &page.into_body(),
    )))
}

/// The reveal form.
#[derive(Deserialize)]
pub(in super::super) struct RevealForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

impl CarriesCsrf for RevealForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /cases/{pseudonym}/reveal`.
pub(in super::super) async fn submit(
    State(state): State<Arc<ConsoleState>>,
    Path(pseudonym): Path<String>,
    Posted { viewer, form }: Posted<RevealForm>,
) -> Result<Response, PageError> {
    if viewer.officer.role == Role::Auditor || !is_pseudonym(&pseudonym) {
        return Err(PageError::NotFound);
    }
    let Some(reason) = RevealReason::parse(&form.reason) else {
        return Err(PageError::BadForm(
            "Choose a reason from the list.".to_owned(),
        ));
    };
    if form.note.trim().is_empty() {
        return Err(PageError::BadForm("Write a note.".to_owned()));
    }
    let outcome = {
        let mut db = state.db.get().await?;
        reveal(
            &mut db,
            &state.kek,
            &viewer.officer,
            RevealRequest {
                pseudonym: &pseudonym,
                reason,
                note: &form.note,
            },
            state.reveal_cap,
            state.office.as_ref(),
            Utc::now(),
        )
        .await
    };
    let revealed = match outcome {
        Ok(revealed) => revealed,
        Err(RevealRefused::NotFound) => {
            record(
                &state,
                &viewer.officer.username,
                AuditAction::CaseView,
                Some(&pseudonym),
                Some("reveal: not found in scope"),
            )
            .await?;
            return Err(PageError::NotFound);
        }
        Err(RevealRefused::CapReached(cap)) => {
            let body = format!(
                "<p class=\"refused\">You have revealed {cap} identities today, your daily limit. Ask a supervisor if more are needed.</p>"
            );
            return Ok((
                StatusCode::TOO_MANY_REQUESTS,
                HtmlResponse(document("Daily limit reached", Some(&viewer.nav()), &body)),
            )
                .into_response());
        }
        Err(RevealRefused::Unreadable(problems)) => {
            let mut page = Html::new();
            page.raw("<p class=\"refused\">")
                .text(&format!(
                    "The identity part of this case does not open or does not conform to its policy: {problems}"
                ))
                .raw("</p>");
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                HtmlResponse(document(
                    "Identity unreadable",
                    Some(&viewer.nav()),
                    &page.into_body(),
                )),
            )
                .into_response());
        }
        Err(RevealRefused::Failed(error)) => return Err(PageError::Failed(error)),
    };
    let watermark = format!(
        "officer no. {} · {} · {}",
        viewer.officer.id,
        viewer.officer.username,
        revealed.at.to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    let mut page = Html::new();
    page.raw("<section class=\"revealed\"><div class=\"watermark\" aria-hidden=\"true\">");
    for _ in 0..12 {
        page.element("span", &watermark);
    }
    page.raw("</div><p class=\"shown-once\">")
        .text(&format!(
            "Shown once, to {watermark}. Do not copy it elsewhere; reload shows nothing."
        ))
        .raw("</p>");
    super::answers_html(&mut page, &revealed.identity);
    page.raw("</section><p class=\"notice\">")
        .text(match revealed.notice {
            NoticeOutcome::Queued => {
                "The person is told on their device: which office, your officer number, the reason and when."
            }
            NoticeOutcome::NoNoticeKey => {
                "The person could not be told: their report carries no notice key (its policy asks for no access notices)."
            }
            NoticeOutcome::NotConfigured => {
                "The person could not be told: this console posts no access notices (no drop box configured)."
            }
        })
        .raw("</p>");
    Ok(HtmlResponse(document(
        &format!("Identity of case {}", revealed.pseudonym),
        Some(&viewer.nav()),
        &page.into_body(),
    ))
    .into_response())
}
