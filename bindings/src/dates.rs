//! Calendar dates as a type of their own in every generated language: `java.time.LocalDate`
//! in Kotlin, `datetime.date` in Python, the `LocalDate` value type of the Swift package
//! (uniffi custom type; the mappings are in `uniffi.toml`). They cross the boundary as
//! `YYYY-MM-DD` text, which no app ever writes or parses.

use chrono::NaiveDate;

use crate::error::SelfReportError;

/// A day in the person's calendar, without time or zone.
pub type LocalDate = NaiveDate;

uniffi::custom_type!(LocalDate, String, {
    remote,
    lower: |date| date.format("%Y-%m-%d").to_string(),
    try_lift: |text| parse(&text).map_err(uniffi::deps::anyhow::Error::new),
});

/// Parses a date as the generated code sends it. Years outside 0–9999 (which
/// `java.time.LocalDate` can hold) are refused with a typed `InvalidInput`, not a crash.
fn parse(text: &str) -> Result<NaiveDate, SelfReportError> {
    let well_formed = text.len() == 10
        && text.bytes().enumerate().all(|(at, byte)| {
            matches!(at, 4 | 7) == (byte == b'-') && (byte == b'-' || byte.is_ascii_digit())
        });
    well_formed
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| {
            SelfReportError::invalid_argument(
                "date",
                "a date must be a calendar day of the years 0000 to 9999",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_calendar_days_of_four_digit_years_cross() {
        assert_eq!(
            parse("2026-12-07").unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
        );
        for refused in [
            "+10000-01-01",
            "2026-2-07",
            "2026-02-30",
            "2026/02/07",
            "",
            "２０２６-01-01",
        ] {
            let error = parse(refused).unwrap_err();
            assert_eq!(error.code(), "InvalidArgument", "{refused}");
        }
    }
}
