//! A policy version read as JSON Schema reads `"type": "integer"` (2020-12 Validation
//! §6.1.1): any JSON number with a zero fractional part, written `3`, `3.0` or `3e0`.
//! docs/openapi.yaml declares `policy_version` so, and a document and the server it
//! describes must agree on what they take (the drop box's audit-checkpoint witness reads
//! a checkpoint's `count` so too). A device writes integers; this only decides what the
//! drop box accepts. A number written with a fraction or exponent is read as a
//! double, as every JSON Schema validator reads it, and taken when that double is a whole
//! number within `u64`.

use serde::Deserializer;
use serde::de::{Error, Visitor};

/// Deserializes a non-negative integer written as any JSON number with a zero fractional
/// part (`serde(deserialize_with)`).
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    deserializer.deserialize_any(WholeNumber)
}

/// 2^64, the first double past `u64::MAX`: doubles at or above it are not `u64` values.
const FIRST_DOUBLE_PAST_U64: f64 = 18_446_744_073_709_551_616.0;

struct WholeNumber;

impl Visitor<'_> for WholeNumber {
    type Value = u64;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a non-negative integer")
    }

    fn visit_u64<E: Error>(self, value: u64) -> Result<u64, E> {
        Ok(value)
    }

    fn visit_i64<E: Error>(self, value: i64) -> Result<u64, E> {
        u64::try_from(value).map_err(|_| E::custom("a negative integer"))
    }

    fn visit_f64<E: Error>(self, value: f64) -> Result<u64, E> {
        if value.is_finite()
            && value.fract() == 0.0
            && (0.0..FIRST_DOUBLE_PAST_U64).contains(&value)
        {
            // Whole and within range: the conversion is exact.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(value as u64)
        } else {
            Err(E::custom(
                "a number with a fractional part, or out of range",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Version {
        #[serde(deserialize_with = "super::deserialize")]
        v: u64,
    }

    fn read(text: &str) -> Option<u64> {
        serde_json::from_str::<Version>(&format!(r#"{{"v":{text}}}"#))
            .ok()
            .map(|version| version.v)
    }

    #[test]
    fn whole_numbers_in_any_notation_are_taken() {
        for (text, value) in [
            ("3", 3),
            ("3.0", 3),
            ("3e0", 3),
            ("0.3e1", 3),
            ("123414712449.0", 123_414_712_449),
            ("18446744073709551615", u64::MAX),
            ("1.152921504606847e+18", 1_152_921_504_606_846_976),
            // Needs correctly rounded parsing (serde_json's `float_roundtrip`).
            ("2251799813685247.0", 2_251_799_813_685_247),
        ] {
            assert_eq!(read(text), Some(value), "{text}");
        }
    }

    #[test]
    fn fractions_negatives_and_others_are_refused() {
        for text in [
            "3.5",
            "-1",
            "-1.0",
            "1e20",
            "18446744073709551616",
            "\"3\"",
            "true",
            "null",
        ] {
            assert_eq!(read(text), None, "{text}");
        }
    }
}
