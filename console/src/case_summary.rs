//! What the case list shows of each case, kept on the case's row (schema version 4) so the
//! list reads one table: its first and last report dates, its district (its latest
//! report's), the days it reported, its latest report's answers and flags, and (version
//! 6) whether it is unconfirmed intake or was confirmed in person.
//!
//! A case is **unconfirmed intake** while some report of it is open intake (a form filed
//! without an enrollment order: a pre-registration) and no checkpoint confirmed its
//! pseudonym ([`crate::confirmations`]). Reports that follow, daily ones under any order
//! included, never clear it: only the checkpoint's confirmation does. A confirmed case
//! carries the confirmation's time and county.
//!
//! Ingest refreshes the cases it stored reports of, once per run; deleting reports
//! (retention, the drop box's deletions) refreshes the cases that keep some; importing
//! confirmations refreshes the cases they confirm. Each refresh
//! recomputes the row from the case's reports, so it is right whatever order reports
//! arrived in. Without it the list computed all of this per case for every case in scope,
//! on every request: 0.9 s at 1,000,000 reports in one district (docs/performance.md).

use tokio_postgres::{GenericClient, Transaction};

use crate::error::ConsoleError;

/// The refresh, for the cases whose reports match `$filter` (a condition on `r`); a
/// macro so the schema's migration can embed it in its constant SQL.
macro_rules! refresh_cases_sql {
    ($filter:literal) => {
        concat!(
            "UPDATE cases c SET
    first_date = s.first_date,
    last_date = s.last_date,
    district = s.district,
    days_reported = s.days_reported,
    latest_answers = s.answers,
    latest_fever = s.fever,
    latest_symptoms = s.symptoms,
    unconfirmed_intake = s.open_intake AND a.pseudonym IS NULL,
    confirmed_at = a.confirmed_at,
    confirmed_district = a.district
FROM (
    SELECT r.pseudonym,
           min(r.report_date) AS first_date,
           max(r.report_date) AS last_date,
           count(DISTINCT r.report_date)::integer AS days_reported,
           (array_agg(r.district ORDER BY r.report_date DESC, r.received_at DESC))[1] AS district,
           (array_agg(r.answers ORDER BY r.report_date DESC, r.received_at DESC))[1] AS answers,
           (array_agg(r.fever ORDER BY r.report_date DESC, r.received_at DESC))[1] AS fever,
           (array_agg(r.symptoms ORDER BY r.report_date DESC, r.received_at DESC))[1] AS symptoms,
           bool_or(r.unconfirmed) AS open_intake
    FROM case_reports r
    WHERE ",
            $filter,
            "
    GROUP BY r.pseudonym
) s
JOIN cases k ON k.pseudonym = s.pseudonym
LEFT JOIN arrival_confirmations a ON a.policy_id = k.policy_id AND a.pseudonym = s.pseudonym
WHERE c.pseudonym = s.pseudonym"
        )
    };
}

/// Recomputes the list's columns of the cases `pseudonyms` from their reports.
pub(crate) async fn refresh(
    tx: &Transaction<'_>,
    pseudonyms: &[String],
) -> Result<(), ConsoleError> {
    if pseudonyms.is_empty() {
        return Ok(());
    }
    tx.execute(refresh_cases_sql!("r.pseudonym = ANY($1)"), &[&pseudonyms])
        .await?;
    Ok(())
}

/// Recomputes the list's columns of every case (what the migration to version 6 does;
/// the benchmark uses it after loading reports in bulk). Returns how many cases.
pub async fn refresh_all<C: GenericClient>(client: &C) -> Result<u64, ConsoleError> {
    Ok(client.execute(refresh_cases_sql!("true"), &[]).await?)
}
