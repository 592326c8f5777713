//! Policy numbers (`round` steps, `threshold`s) read as the decimals their authors wrote.
//!
//! The parser hands these over as `f64`. Comparing a temperature with the binary value
//! nearest to 37.7 (37.7000000000000028...) would call 37.7 below the threshold, so the
//! number is read back as the shortest decimal that parses to the same `f64` (Rust's
//! `Display`, which never uses an exponent) and all arithmetic is done on integers.

/// Magnitudes are saturated here: beyond it every `i64` input (at most about 9.2e18)
/// rounds and compares the same way, and the arithmetic stays within `i128`.
const SATURATION: i128 = 10i128.pow(30);

/// A finite policy number as exact decimal digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PolicyNumber {
    negative: bool,
    /// Integer digits without leading zeros (empty for zero).
    whole: String,
    /// Fraction digits without trailing zeros (empty for a whole number).
    fraction: String,
}

impl PolicyNumber {
    /// The decimal the author wrote, or `None` for a non-finite number.
    pub(super) fn from_f64(number: f64) -> Option<Self> {
        if !number.is_finite() {
            return None;
        }
        let text = number.to_string();
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let digits_only = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if !digits_only(whole) || !digits_only(fraction) {
            return None;
        }
        let whole = whole.trim_start_matches('0').to_owned();
        let fraction = fraction.trim_end_matches('0').to_owned();
        let negative = negative && !(whole.is_empty() && fraction.is_empty());
        Some(Self {
            negative,
            whole,
            fraction,
        })
    }

    /// The number times `10^scale` if that is a whole number, saturated at ±10^30.
    pub(super) fn exact_units(&self, scale: usize) -> Option<i128> {
        if self.fraction.len() > scale {
            return None;
        }
        Some(self.truncated_units(scale))
    }

    /// The smallest whole number at or above the number times `10^scale`, saturated at
    /// ±10^30.
    pub(super) fn ceil_units(&self, scale: usize) -> i128 {
        let truncated = self.truncated_units(scale);
        let has_more = self.fraction.len() > scale;
        // Truncation goes toward zero: up already for negatives, down for positives.
        if has_more && !self.negative {
            truncated.saturating_add(1).min(SATURATION)
        } else {
            truncated
        }
    }

    /// The number times `10^scale`, truncated toward zero, saturated at ±10^30.
    fn truncated_units(&self, scale: usize) -> i128 {
        let fraction_digits = self
            .fraction
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(scale);
        let mut magnitude: i128 = 0;
        for byte in self.whole.bytes().chain(fraction_digits) {
            // Below 10^30 before this step, so at most 10^31 here: no overflow.
            magnitude = magnitude * 10 + i128::from(byte - b'0');
            if magnitude >= SATURATION {
                magnitude = SATURATION;
                break;
            }
        }
        if self.negative { -magnitude } else { magnitude }
    }
}

/// `value` rounded to the nearest multiple of `step`, halves rounded up (toward
/// positive infinity): with a step of 5 tenths, 37.2 → 37.0, 37.3 → 37.5, and with a
/// step of 2 tenths 37.1 → 37.2. `None` for a step that is not positive.
pub(super) fn round_half_up(value: i128, step: i128) -> Option<i128> {
    if step <= 0 {
        return None;
    }
    let quotient = value.checked_div_euclid(step)?;
    let remainder = value.checked_rem_euclid(step)?;
    let nearer_above = remainder.checked_mul(2)? >= step;
    let multiple = if nearer_above {
        quotient.checked_add(1)?
    } else {
        quotient
    };
    multiple.checked_mul(step)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn number(value: f64) -> PolicyNumber {
        PolicyNumber::from_f64(value).unwrap()
    }

    #[test]
    fn reads_the_decimal_the_author_wrote() {
        assert_eq!(number(37.3).exact_units(1), Some(373));
        assert_eq!(number(37.7).exact_units(1), Some(377));
        assert_eq!(number(0.5).exact_units(1), Some(5));
        assert_eq!(number(0.3).exact_units(1), Some(3));
        assert_eq!(number(10.0).exact_units(0), Some(10));
        assert_eq!(number(-2.5).exact_units(1), Some(-25));
        assert_eq!(number(-0.0).exact_units(0), Some(0));
        assert_eq!(number(0.25).exact_units(1), None);
        assert_eq!(number(0.5).exact_units(0), None);
        assert_eq!(number(1e-7).exact_units(1), None);
        assert_eq!(number(1e300).exact_units(1), Some(SATURATION));
        assert_eq!(number(-1e300).exact_units(0), Some(-SATURATION));
        assert_eq!(PolicyNumber::from_f64(f64::NAN), None);
        assert_eq!(PolicyNumber::from_f64(f64::INFINITY), None);
    }

    #[test]
    fn ceilings_are_exact() {
        assert_eq!(number(37.3).ceil_units(1), 373);
        assert_eq!(number(37.25).ceil_units(1), 373);
        assert_eq!(number(-37.25).ceil_units(1), -372);
        assert_eq!(number(2.5).ceil_units(0), 3);
        assert_eq!(number(-2.5).ceil_units(0), -2);
        assert_eq!(number(3.0).ceil_units(0), 3);
        assert_eq!(number(1e-300).ceil_units(1), 1);
        assert_eq!(number(-1e-300).ceil_units(1), 0);
        assert_eq!(number(1e300).ceil_units(0), SATURATION);
    }

    #[test]
    fn rounds_half_up_to_the_step() {
        assert_eq!(round_half_up(373, 5), Some(375));
        assert_eq!(round_half_up(372, 5), Some(370));
        assert_eq!(round_half_up(371, 2), Some(372));
        assert_eq!(round_half_up(375, 10), Some(380));
        assert_eq!(round_half_up(374, 10), Some(370));
        assert_eq!(round_half_up(-5, 10), Some(0));
        assert_eq!(round_half_up(-6, 10), Some(-10));
        assert_eq!(round_half_up(15, 10), Some(20));
        assert_eq!(round_half_up(5, 0), None);
        assert_eq!(round_half_up(5, -1), None);
        assert_eq!(round_half_up(i128::from(i64::MIN), SATURATION), Some(0));
    }

    proptest! {
        #[test]
        fn rounding_gives_the_nearest_multiple(value in any::<i64>(), step in 1i64..1_000_000) {
            let value = i128::from(value);
            let step = i128::from(step);
            let rounded = round_half_up(value, step).unwrap();
            prop_assert_eq!(rounded % step, 0);
            let distance = (rounded - value).abs();
            prop_assert!(2 * distance <= step);
            // On a tie the result is the upper multiple.
            if 2 * distance == step {
                prop_assert!(rounded > value);
            }
        }

        #[test]
        fn one_decimal_numbers_read_exactly(tenths in -100_000i64..100_000) {
            let text = format!("{}{}.{}", if tenths < 0 { "-" } else { "" }, tenths.abs() / 10, tenths.abs() % 10);
            let value: f64 = text.parse().unwrap();
            prop_assert_eq!(number(value).exact_units(1), Some(i128::from(tenths)));
            prop_assert_eq!(number(value).ceil_units(1), i128::from(tenths));
        }
    }
}
