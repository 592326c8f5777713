//! Expiry-day partitions: which day a submission's retention ends, and the partition
//! that holds that day's submissions.

use chrono::{DateTime, NaiveDate};

const SECONDS_PER_DAY: i64 = 86_400;

/// The prefix of every partition's name; the rest is the day, `YYYYMMDD`.
pub(super) const PREFIX: &str = "submissions_d";

/// The UTC day of `unix_seconds` (the day a submission's retention ends, for its
/// `expires_at`).
pub(super) fn day_of(unix_seconds: i64) -> NaiveDate {
    DateTime::from_timestamp(
        unix_seconds.div_euclid(SECONDS_PER_DAY) * SECONDS_PER_DAY,
        0,
    )
    .map_or(NaiveDate::MAX, |time| time.date_naive())
}

/// The partition holding the submissions whose retention ends on `day`.
pub(super) fn name(day: NaiveDate) -> String {
    format!("{PREFIX}{}", day.format("%Y%m%d"))
}

/// The day a partition named by [`name`] holds; `None` for any other table.
pub(super) fn day_of_name(name: &str) -> Option<NaiveDate> {
    let digits = name.strip_prefix(PREFIX)?;
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(digits, "%Y%m%d").ok()
}

/// `CREATE TABLE IF NOT EXISTS` for the partition of `day`: the dates are formatted
/// here, never taken from input.
pub(super) fn create_statement(day: NaiveDate) -> String {
    let next = day.succ_opt().unwrap_or(NaiveDate::MAX);
    format!(
        "CREATE TABLE IF NOT EXISTS {} PARTITION OF submissions FOR VALUES FROM ('{}') TO ('{}')",
        name(day),
        day.format("%Y-%m-%d"),
        next.format("%Y-%m-%d"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_days_and_names_round_trip() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        // 2026-11-30T00:00:00Z and the last second of that day.
        assert_eq!(day_of(1_795_996_800), day);
        assert_eq!(day_of(1_795_996_800 + 86_399), day);
        assert_eq!(day_of(1_795_996_800 - 1), day.pred_opt().unwrap());
        assert_eq!(name(day), "submissions_d20261130");
        assert_eq!(day_of_name(&name(day)), Some(day));
        for other in [
            "submissions",
            "submissions_d2026113",
            "submissions_d2026113x",
            "submissions_d20261340",
            "other_d20261130",
        ] {
            assert_eq!(day_of_name(other), None, "{other}");
        }
        assert_eq!(
            create_statement(day),
            "CREATE TABLE IF NOT EXISTS submissions_d20261130 PARTITION OF submissions \
             FOR VALUES FROM ('2026-11-30') TO ('2026-12-01')"
        );
    }
}
