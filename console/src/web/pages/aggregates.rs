//! `/aggregates`: supervisors' counts by district, day and flag over their scope, small
//! cells suppressed ([`crate::aggregates`]); the page and a CSV download, each audited as
//! an export. No list of people leaves the console.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{Html as HtmlResponse, IntoResponse, Response};
use chrono::{Days, NaiveDate, Utc};
use serde::Deserialize;

use super::super::ConsoleState;
use super::super::html::{Html, document};
use super::super::viewer::{PageError, Viewer};
use super::today;
use crate::aggregates::{Format, SMALL_CELL, export};
use crate::officers::Role;
use crate::scope::Scope;

/// Days shown when the form gives no span: the last week.
const DEFAULT_DAYS: u64 = 6;

/// The page's query: the span, and `csv` for a download.
#[derive(Debug, Deserialize)]
pub(in super::super) struct Span {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

/// `GET /aggregates`: supervisors only.
pub(in super::super) async fn aggregates(
    State(state): State<Arc<ConsoleState>>,
    viewer: Viewer,
    Query(span): Query<Span>,
) -> Result<Response, PageError> {
    if viewer.officer.role != Role::Supervisor {
        return Err(PageError::Forbidden);
    }
    let to = date_or(span.to.as_deref(), today(Utc::now()))?;
    let from = date_or(
        span.from.as_deref(),
        to.checked_sub_days(Days::new(DEFAULT_DAYS)).unwrap_or(to),
    )?;
    let csv = match span.format.as_deref() {
        None | Some("html") => false,
        Some("csv") => true,
        Some(_) => return Err(PageError::BadForm("format: html or csv".into())),
    };
    let scope = Scope::of(&viewer.officer);
    let format = if csv { Format::Csv } else { Format::Page };
    let (cells, rendered) = {
        let mut db = state.db.get().await?;
        export(
            &mut db,
            &scope,
            &viewer.officer.username,
            (from, to),
            format,
            Utc::now(),
        )
        .await
        .map_err(|error| match error {
            crate::error::ConsoleError::Invalid(why) => PageError::BadForm(why),
            other => PageError::Failed(other),
        })?
    };
    if csv {
        return Ok((
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"aggregates-{from}-{to}.csv\""),
                ),
            ],
            rendered,
        )
            .into_response());
    }
    let mut page = Html::new();
    page.raw("<form class=\"span\" method=\"get\" action=\"/aggregates\"><label>From <input type=\"date\" name=\"from\" value=\"")
        .text(&from.to_string())
        .raw("\"></label> <label>To <input type=\"date\" name=\"to\" value=\"")
        .text(&to.to_string())
        .raw("\"></label> <button type=\"submit\">Show</button></form>")
        .raw("<p class=\"scope\">")
        .text(&format!(
            "Cases by district, day and flag in your districts. Counts from 1 to {} are shown as <{SMALL_CELL}, and so is one more cell wherever a hidden count could be computed from the total.",
            SMALL_CELL - 1
        ))
        .raw("</p><p><a href=\"/aggregates?format=csv&amp;from=")
        .text(&from.to_string())
        .raw("&amp;to=")
        .text(&to.to_string())
        .raw("\">Download as CSV</a></p>");
    page.raw("<table class=\"aggregates\"><thead><tr><th>Date</th><th>District</th><th>Flag</th><th>Count</th></tr></thead><tbody>");
    for cell in &cells {
        let count = cell
            .count
            .map_or_else(|| format!("<{SMALL_CELL}"), |count| count.to_string());
        page.raw("<tr>")
            .element("td", &cell.date.to_string())
            .element("td", &cell.district)
            .element("td", cell.flag)
            .element("td", &count)
            .raw("</tr>");
    }
    page.raw("</tbody></table>");
    Ok(HtmlResponse(document(
        "Aggregates",
        Some(&viewer.nav()),
        &page.into_body(),
    ))
    .into_response())
}

fn date_or(text: Option<&str>, default: NaiveDate) -> Result<NaiveDate, PageError> {
    match text.filter(|text| !text.is_empty()) {
        None => Ok(default),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| PageError::BadForm("dates are YYYY-MM-DD".into())),
    }
}
