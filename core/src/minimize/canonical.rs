//! Disclosed values and their canonical JSON: the exact bytes a recipient receives.
//!
//! Canonical means: objects with keys in byte order (they are `BTreeMap`s), no
//! whitespace, strings escaped exactly as `serde_json` escapes them, integers in
//! decimal, decimals with a fixed number of fraction digits written from their integer
//! units (never through floating point). Parsing the output with `serde_json` and
//! writing it back yields the same bytes.

use std::collections::BTreeMap;
use std::fmt;

/// A decimal number held exactly: `units / 10^scale`, written with exactly `scale`
/// fraction digits (`Decimal::new(370, 1)` is `37.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    units: i128,
    scale: u8,
}

impl Decimal {
    /// The number `units / 10^scale`.
    pub const fn new(units: i128, scale: u8) -> Self {
        Self { units, scale }
    }

    /// The number in units of `10^-scale`.
    pub const fn units(self) -> i128 {
        self.units
    }

    /// How many fraction digits it is written with.
    pub const fn scale(self) -> u8 {
        self.scale
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        write_decimal(&mut text, self.units, self.scale);
        f.write_str(&text)
    }
}

/// A value as it is disclosed: what a transform made of a field value.
#[derive(Clone, PartialEq, Eq)]
pub enum DisclosedValue {
    /// JSON `null` (a risk-area result with no visit).
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A whole number.
    Integer(i128),
    /// A decimal with fixed fraction digits (temperatures: one).
    Decimal(Decimal),
    /// A string.
    String(String),
    /// An array, in order.
    Array(Vec<DisclosedValue>),
    /// An object; keys are written in byte order.
    Object(BTreeMap<String, DisclosedValue>),
}

impl DisclosedValue {
    /// The value's canonical JSON.
    pub fn canonical_json(&self) -> String {
        let mut out = String::new();
        write_value(&mut out, self);
        out
    }

    /// The length in bytes of the value's canonical JSON, without writing it.
    pub fn canonical_len(&self) -> usize {
        let mut counter = Counter::default();
        write_value(&mut counter, self);
        counter.0
    }

    /// A string value.
    pub(super) fn string(text: impl Into<String>) -> Self {
        DisclosedValue::String(text.into())
    }

    /// The JSON type of the value, for redacted debugging.
    fn type_name(&self) -> &'static str {
        match self {
            DisclosedValue::Null => "null",
            DisclosedValue::Bool(_) => "bool",
            DisclosedValue::Integer(_) => "integer",
            DisclosedValue::Decimal(_) => "decimal",
            DisclosedValue::String(_) => "string",
            DisclosedValue::Array(_) => "array",
            DisclosedValue::Object(_) => "object",
        }
    }
}

/// Disclosed values are still personal data: `Debug` names the JSON type only.
impl fmt::Debug for DisclosedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DisclosedValue::{}(<redacted>)", self.type_name())
    }
}

/// Where canonical JSON goes: a string, or a counter that only measures.
pub(super) trait Sink {
    /// Appends `text`.
    fn put(&mut self, text: &str);
}

impl Sink for String {
    fn put(&mut self, text: &str) {
        self.push_str(text);
    }
}

/// Counts bytes instead of writing them, so a size can be checked before anything is
/// written.
#[derive(Debug, Default)]
pub(super) struct Counter(pub(super) usize);

impl Sink for Counter {
    fn put(&mut self, text: &str) {
        self.0 = self.0.saturating_add(text.len());
    }
}

const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const HEX_DIGITS: [&str; 16] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f",
];

/// Writes `value` as canonical JSON.
pub(super) fn write_value(sink: &mut impl Sink, value: &DisclosedValue) {
    match value {
        DisclosedValue::Null => sink.put("null"),
        DisclosedValue::Bool(true) => sink.put("true"),
        DisclosedValue::Bool(false) => sink.put("false"),
        DisclosedValue::Integer(number) => write_decimal(sink, *number, 0),
        DisclosedValue::Decimal(decimal) => write_decimal(sink, decimal.units, decimal.scale),
        DisclosedValue::String(text) => write_string(sink, text),
        DisclosedValue::Array(items) => {
            sink.put("[");
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    sink.put(",");
                }
                write_value(sink, item);
            }
            sink.put("]");
        }
        DisclosedValue::Object(entries) => write_object(sink, entries),
    }
}

/// Writes an object whose keys are already in byte order.
pub(super) fn write_object(sink: &mut impl Sink, entries: &BTreeMap<String, DisclosedValue>) {
    sink.put("{");
    for (index, (key, value)) in entries.iter().enumerate() {
        if index > 0 {
            sink.put(",");
        }
        write_string(sink, key);
        sink.put(":");
        write_value(sink, value);
    }
    sink.put("}");
}

/// Writes `text` as a JSON string, escaped exactly as `serde_json` does: `"` and `\`,
/// the short escapes for backspace, form feed, newline, carriage return and tab, and
/// `\u00xx` (lower-case hex) for the other control characters; everything else as is.
pub(super) fn write_string(sink: &mut impl Sink, text: &str) {
    sink.put("\"");
    let mut run_start = 0;
    for (index, byte) in text.bytes().enumerate() {
        let short = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        // Escaped bytes are ASCII, so both ends of the run are character boundaries.
        if let Some(run) = text.get(run_start..index) {
            sink.put(run);
        }
        if short.is_empty() {
            sink.put("\\u00");
            sink.put(HEX_DIGITS[usize::from(byte >> 4)]);
            sink.put(HEX_DIGITS[usize::from(byte & 0x0f)]);
        } else {
            sink.put(short);
        }
        run_start = index + 1;
    }
    if let Some(run) = text.get(run_start..) {
        sink.put(run);
    }
    sink.put("\"");
}

/// The length of `text` written as a JSON string, quotes included.
pub(super) fn string_len(text: &str) -> usize {
    let mut counter = Counter::default();
    write_string(&mut counter, text);
    counter.0
}

/// Writes `units / 10^scale` with exactly `scale` fraction digits and at least one
/// integer digit; no sign for zero.
fn write_decimal(sink: &mut impl Sink, units: i128, scale: u8) {
    if units < 0 {
        sink.put("-");
    }
    // Least significant digit first; a u128 has at most 39 decimal digits.
    let mut digits = [0u8; 39];
    let mut magnitude = units.unsigned_abs();
    let mut len = 0;
    while magnitude > 0 {
        if let Some(slot) = digits.get_mut(len) {
            // The remainder is below 10.
            *slot = (magnitude % 10) as u8;
        }
        magnitude /= 10;
        len += 1;
    }
    let scale = usize::from(scale);
    let total = len.max(scale + 1);
    for position in (0..total).rev() {
        let digit = digits.get(position).copied().unwrap_or(0);
        sink.put(DIGITS[usize::from(digit)]);
        if scale > 0 && position == scale {
            sink.put(".");
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn object(entries: Vec<(&str, DisclosedValue)>) -> DisclosedValue {
        DisclosedValue::Object(
            entries
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value))
                .collect(),
        )
    }

    #[test]
    fn decimals_are_written_exactly() {
        let cases = [
            (373, 1, "37.3"),
            (370, 1, "37.0"),
            (5, 1, "0.5"),
            (-5, 1, "-0.5"),
            (0, 1, "0.0"),
            (0, 0, "0"),
            (-42, 0, "-42"),
            (7, 3, "0.007"),
            (123_456, 2, "1234.56"),
            (i128::MAX, 0, "170141183460469231731687303715884105727"),
            (i128::MIN, 0, "-170141183460469231731687303715884105728"),
            (i128::MIN, 1, "-17014118346046923173168730371588410572.8"),
        ];
        for (units, scale, expected) in cases {
            let decimal = Decimal::new(units, scale);
            assert_eq!(decimal.to_string(), expected);
            let value = DisclosedValue::Decimal(decimal);
            assert_eq!(value.canonical_json(), expected);
            assert_eq!(value.canonical_len(), expected.len());
        }
        assert_eq!(DisclosedValue::Integer(-7).canonical_json(), "-7");
    }

    #[test]
    fn sample_object_has_exact_bytes() {
        let value = object(vec![
            ("visited", DisclosedValue::Bool(true)),
            ("last_visit_week", DisclosedValue::string("2026-W46")),
            ("none", DisclosedValue::Null),
            (
                "list",
                DisclosedValue::Array(vec![
                    DisclosedValue::Decimal(Decimal::new(375, 1)),
                    DisclosedValue::Integer(3),
                    DisclosedValue::string("a\"b\\c\n\u{1}\u{7f}é"),
                ]),
            ),
            ("empty", object(vec![])),
        ]);
        assert_eq!(
            value.canonical_json(),
            concat!(
                r#"{"empty":{},"last_visit_week":"2026-W46","list":[37.5,3,"a\"b\\c\n\u0001"#,
                "\u{7f}é\"],\"none\":null,\"visited\":true}"
            )
        );
        assert_eq!(value.canonical_len(), value.canonical_json().len());
    }

    #[test]
    fn debug_is_redacted() {
        let value = DisclosedValue::string("张三");
        assert_eq!(format!("{value:?}"), "DisclosedValue::string(<redacted>)");
    }

    proptest! {
        #[test]
        fn strings_escape_like_serde_json(text in any::<String>()) {
            let mut ours = String::new();
            write_string(&mut ours, &text);
            prop_assert_eq!(&ours, &serde_json::to_string(&text).unwrap());
            prop_assert_eq!(string_len(&text), ours.len());
            // Worst case six bytes per character, plus the quotes.
            prop_assert!(ours.len() <= 2 + 6 * text.chars().count());
        }

        #[test]
        fn values_round_trip_through_serde_json(
            number in any::<i64>(),
            tenths in any::<i32>(),
            text in ".*",
            flag in any::<bool>(),
        ) {
            let value = object(vec![
                ("n", DisclosedValue::Integer(i128::from(number))),
                ("t", DisclosedValue::Decimal(Decimal::new(i128::from(tenths), 1))),
                ("s", DisclosedValue::String(text)),
                ("a", DisclosedValue::Array(vec![DisclosedValue::Bool(flag), DisclosedValue::Null])),
            ]);
            let json = value.canonical_json();
            let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
        }
    }
}
