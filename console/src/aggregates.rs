//! The console's only export (issue 16 item 6, "no list leaves"): counts of cases by
//! district, day and flag, with small cells suppressed. There is no export of identities,
//! nor of pseudonyms or answers.
//!
//! For each day and each flag (`reports`: cases that reported that day; `fever`,
//! `symptoms`, `unconfirmed`: cases whose report that day carries the flag) the table has
//! one cell per district and a `total` cell over the districts shown. A count from 1 to
//! [`SMALL_CELL`]` - 1` is suppressed (a count of 0 is shown: it names nobody).
//!
//! **Complementary suppression.** The districts' cells of one day and flag add up to its
//! total, so one suppressed cell among them could be computed back from the total and the
//! others. Whenever a (day, flag) group has exactly one suppressed cell among its
//! districts, the smallest other shown, non-zero district cell is suppressed too; when there
//! is none, the total is suppressed instead. A suppressed total is never shown. The
//! flags are not sums of one another (a case can have fever and symptoms), so no cell is
//! derived across flags.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tokio_postgres::Client;

use crate::audit::AuditAction;
use crate::audit_log::{Recorded, append};
use crate::error::ConsoleError;
use crate::scope::{Scope, ScopedCases};

/// The longest span one export covers, in days.
pub const MAX_DAYS: i64 = 366;

/// Counts below this are suppressed.
pub const SMALL_CELL: i64 = 5;

/// The district name of a day's and flag's total.
pub const TOTAL: &str = "total";

/// The flags counted, in output order.
pub const FLAGS: [&str; 4] = ["reports", "fever", "symptoms", "unconfirmed"];

/// The counts of one district on one day, before suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DayCounts {
    /// Cases that reported.
    pub reports: i64,
    /// Cases whose report had fever.
    pub fever: i64,
    /// Cases whose report had symptoms.
    pub symptoms: i64,
    /// Cases whose report was of open intake, unconfirmed.
    pub unconfirmed: i64,
}

impl DayCounts {
    fn of(&self, flag: &str) -> i64 {
        match flag {
            "fever" => self.fever,
            "symptoms" => self.symptoms,
            "unconfirmed" => self.unconfirmed,
            _ => self.reports,
        }
    }
}

/// One cell of the export: `count` is `None` when suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// A GB/T 2260 district, or [`TOTAL`].
    pub district: String,
    /// The report date.
    pub date: NaiveDate,
    /// One of [`FLAGS`].
    pub flag: &'static str,
    /// The count, or `None` when suppressed.
    pub count: Option<i64>,
}

/// The export's cells from raw counts by (district, date): per date and flag, the
/// districts in order then the total, small cells and their complements suppressed.
pub fn cells(counts: &BTreeMap<(String, NaiveDate), DayCounts>) -> Vec<Cell> {
    let mut by_date: BTreeMap<NaiveDate, Vec<(&str, &DayCounts)>> = BTreeMap::new();
    for ((district, date), day) in counts {
        by_date
            .entry(*date)
            .or_default()
            .push((district.as_str(), day));
    }
    let mut out = Vec::new();
    for (date, districts) in by_date {
        for flag in FLAGS {
            let values: Vec<i64> = districts.iter().map(|(_, day)| day.of(flag)).collect();
            let (shown, total_shown) = suppress(&values);
            for ((district, _), count) in districts.iter().zip(shown) {
                out.push(Cell {
                    district: (*district).to_owned(),
                    date,
                    flag,
                    count,
                });
            }
            out.push(Cell {
                district: TOTAL.to_owned(),
                date,
                flag,
                count: total_shown,
            });
        }
    }
    out
}

/// Suppresses the small cells of one group and their complements; returns the cells and
/// the total as shown.
fn suppress(values: &[i64]) -> (Vec<Option<i64>>, Option<i64>) {
    let small = |count: i64| count > 0 && count < SMALL_CELL;
    let total: i64 = values.iter().sum();
    let mut shown: Vec<Option<i64>> = values
        .iter()
        .map(|&count| (!small(count)).then_some(count))
        .collect();
    let mut total_shown = (!small(total)).then_some(total);
    let suppressed = shown.iter().filter(|cell| cell.is_none()).count();
    if suppressed == 1 && total_shown.is_some() {
        // The one suppressed cell would be the total less the others: hide another.
        let complement = shown
            .iter()
            .enumerate()
            .filter_map(|(index, cell)| cell.filter(|count| *count > 0).map(|c| (c, index)))
            .min();
        match complement {
            Some((_, index)) => {
                if let Some(cell) = shown.get_mut(index) {
                    *cell = None;
                }
            }
            None => total_shown = None,
        }
    }
    (shown, total_shown)
}

/// The cells as CSV (RFC 4180, CRLF): `district,date,flag,count`, a suppressed count
/// written `<5`.
pub fn to_csv(cells: &[Cell]) -> String {
    let mut out = String::from("district,date,flag,count\r\n");
    for cell in cells {
        let count = cell
            .count
            .map_or_else(|| format!("<{SMALL_CELL}"), |count| count.to_string());
        out.push_str(&format!(
            "{},{},{},{count}\r\n",
            cell.district, cell.date, cell.flag
        ));
    }
    out
}

/// The cells as a JSON array of `{district, date, flag, count}`, `count` null when
/// suppressed.
pub fn to_json(cells: &[Cell]) -> String {
    serde_json::to_string_pretty(cells).unwrap_or_else(|_| "[]".to_owned())
}

/// The export's formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// [`to_csv`].
    Csv,
    /// [`to_json`].
    Json,
    /// Shown on the supervisors' page (the caller renders the cells).
    Page,
}

/// Counts the cases `scope` sees from `from` to `to` (inclusive), suppresses small cells,
/// renders them in `format` and records an `export` audit entry by `actor` (the span, the
/// format, how many cells and how many suppressed; no count).
pub async fn export(
    client: &mut Client,
    scope: &Scope,
    actor: &str,
    (from, to): (NaiveDate, NaiveDate),
    format: Format,
    now: DateTime<Utc>,
) -> Result<(Vec<Cell>, String), ConsoleError> {
    if from > to || (to - from).num_days() >= MAX_DAYS {
        return Err(ConsoleError::Invalid(format!(
            "--from {from} --to {to}: give a span of 1 to {MAX_DAYS} days, from before to"
        )));
    }
    let tx = client.transaction().await?;
    let counts = ScopedCases::new(&tx, scope).daily_counts(from, to).await?;
    let cells = cells(&counts);
    let rendered = match format {
        Format::Csv => to_csv(&cells),
        Format::Json => to_json(&cells),
        Format::Page => String::new(),
    };
    let suppressed = cells.iter().filter(|cell| cell.count.is_none()).count();
    let detail = format!(
        "aggregates {from}..{to} as {}: {} cells, {suppressed} suppressed",
        match format {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Page => "page",
        },
        cells.len()
    );
    append(
        &tx,
        now,
        Recorded {
            actor,
            action: AuditAction::Export,
            subject: None,
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((cells, rendered))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_cells_and_one_complement_are_suppressed() {
        // 3 is small; alone suppressed it would be 20 - 9 - 8; 8 is hidden with it.
        let (shown, total) = suppress(&[3, 9, 8]);
        assert_eq!(shown, [None, Some(9), None]);
        assert_eq!(total, Some(20));
        // Two small cells hide each other; zeros are shown.
        let (shown, total) = suppress(&[2, 4, 0, 7]);
        assert_eq!(shown, [None, None, Some(0), Some(7)]);
        assert_eq!(total, Some(13));
        // One small cell and nothing else to hide: the total goes.
        let (shown, total) = suppress(&[3, 0]);
        assert_eq!(shown, [None, Some(0)]);
        assert_eq!(total, None);
        // A small total is suppressed with its cells.
        let (shown, total) = suppress(&[1, 2]);
        assert_eq!(shown, [None, None]);
        assert_eq!(total, None);
        // Nothing small: everything shown.
        assert_eq!(suppress(&[5, 6]), (vec![Some(5), Some(6)], Some(11)));
    }

    #[test]
    fn no_suppressed_cell_can_be_derived_from_its_total() {
        // Every group of up to four districts with counts 0..=8: where the total is shown,
        // the suppressed cells are never exactly one.
        for a in 0..9 {
            for b in 0..9 {
                for c in 0..9 {
                    let (shown, total) = suppress(&[a, b, c]);
                    let hidden = shown.iter().filter(|cell| cell.is_none()).count();
                    assert!(total.is_none() || hidden != 1, "{a} {b} {c}: {shown:?}");
                    for (cell, value) in shown.iter().zip([a, b, c]) {
                        if let Some(count) = cell {
                            assert!(*count == 0 || *count >= SMALL_CELL);
                            assert_eq!(*count, value);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn cells_come_per_date_and_flag_with_a_total() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let counts = BTreeMap::from([
            (
                ("420106".to_owned(), day),
                DayCounts {
                    reports: 12,
                    fever: 2,
                    symptoms: 6,
                    unconfirmed: 0,
                },
            ),
            (
                ("420111".to_owned(), day),
                DayCounts {
                    reports: 7,
                    fever: 5,
                    symptoms: 0,
                    unconfirmed: 0,
                },
            ),
        ]);
        let cells = cells(&counts);
        assert_eq!(cells.len(), 12);
        let fever: Vec<_> = cells.iter().filter(|c| c.flag == "fever").collect();
        assert_eq!(fever[0].count, None);
        assert_eq!(fever[1].count, None, "the complement");
        assert_eq!(fever[2].count, Some(7));
        let csv = to_csv(&cells);
        assert!(csv.starts_with("district,date,flag,count\r\n420106,2026-12-06,reports,12\r\n"));
        assert!(csv.contains("420106,2026-12-06,fever,<5\r\n"));
        assert!(to_json(&cells).contains("\"count\": null"));
    }
}
