//! Typed enrollment codes (issue 14): a short code a person types in instead of scanning
//! an enrollment order, redeemed once at the policy's drop box for the signed order.
//!
//! A code is ten random symbols of Crockford's base32 alphabet (50 bits from the
//! operating system's generator) and one check symbol over the same alphabet, shown
//! grouped as `ABCDE-FGHJK-M`. What a person types is normalized as Crockford reads it
//! (spaces and hyphens dropped, upper-cased, `O` read as `0`, `I` and `L` as `1`); any
//! other symbol, a wrong length or a wrong check symbol is refused here, before anything
//! is sent. The drop box keys a code by the SHA-256 of its normalized form and never
//! stores the code itself.
//!
//! The check symbol is Damm's algorithm over GF(32) (the quasigroup `x ∘ y = 2x + y`,
//! modulus `x⁵ + x² + 1`), not Luhn mod 32: both catch every single-symbol substitution,
//! but Luhn mod 32 misses the adjacent transposition `0Z` ↔ `Z0` (as Luhn mod 10 misses
//! `09` ↔ `90`), which Damm's does not (docs/protocol.md, "Typed enrollment codes").

use std::fmt;

use zeroize::Zeroizing;

/// The symbols of a code, in value order: Crockford's base32 (no `I`, `L`, `O`, `U`).
pub const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Random symbols in a code.
pub const CODE_RANDOM_SYMBOLS: usize = 10;

/// Symbols in a code: the random ones and the check symbol.
pub const CODE_SYMBOLS: usize = CODE_RANDOM_SYMBOLS + 1;

/// Symbols in each group of a code as shown (`ABCDE-FGHJK-M`).
const GROUP: usize = 5;

/// Longest text read as a code (spaces and hyphens included), so a pasted page is
/// refused without being walked.
const MAX_TYPED_LEN: usize = 64;

/// Why a code could not be used. Each has a stable code ([`EnrollmentCodeError::code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrollmentCodeError {
    /// Not a code: a symbol outside the alphabet, a wrong length, or a check symbol that
    /// does not match (a typo). Found on the device; nothing was sent.
    #[error("not an enrollment code: {0}")]
    Malformed(String),
    /// The drop box holds no order for this code: never registered, already redeemed,
    /// or expired (it does not say which).
    #[error("no order for this code at the drop box (unknown, used or expired)")]
    Unknown,
    /// Too many codes were tried from this address lately; try again after the delay.
    #[error("too many codes tried; try again in {retry_after_seconds} s")]
    RateLimited {
        /// Seconds to wait, from the drop box's `Retry-After` (60 when it gave none).
        retry_after_seconds: u64,
    },
    /// The drop box answered outside the protocol (a server error, another status); the
    /// code was not used up and may be tried again later.
    #[error("the drop box did not redeem the code (HTTP {status})")]
    Unavailable {
        /// The HTTP status it answered with.
        status: u16,
    },
}

impl EnrollmentCodeError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            EnrollmentCodeError::Malformed(_) => "EnrollmentCodeMalformed",
            EnrollmentCodeError::Unknown => "EnrollmentCodeUnknown",
            EnrollmentCodeError::RateLimited { .. } => "EnrollmentCodeRateLimited",
            EnrollmentCodeError::Unavailable { .. } => "EnrollmentCodeUnavailable",
        }
    }
}

/// A well-formed code: its eleven symbols, normalized, check symbol verified. A bearer
/// secret until redeemed: never shown by `Debug`, wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct EnrollmentCode(Zeroizing<String>);

impl fmt::Debug for EnrollmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnrollmentCode(<redacted>)")
    }
}

impl EnrollmentCode {
    /// A fresh code: ten symbols from the operating system's generator (each from one
    /// random byte's low five bits, so each of the 32 symbols is equally likely) and
    /// their check symbol.
    pub fn generate() -> crate::Result<Self> {
        let random = Zeroizing::new(crate::crypto::random_array::<CODE_RANDOM_SYMBOLS>()?);
        let mut values = [0u8; CODE_SYMBOLS];
        for (value, byte) in values.iter_mut().zip(random.iter()) {
            *value = byte & 31;
        }
        values[CODE_RANDOM_SYMBOLS] = check_value(&values[..CODE_RANDOM_SYMBOLS]);
        let text = values
            .iter()
            .map(|value| char::from(CODE_ALPHABET[usize::from(*value)]))
            .collect::<String>();
        values.fill(0);
        Ok(Self(Zeroizing::new(text)))
    }

    /// Reads a code as typed: normalized (ASCII spaces, tabs, line breaks and hyphens
    /// dropped), then checked for its alphabet, length and check symbol.
    pub fn parse(typed: &str) -> Result<Self, EnrollmentCodeError> {
        if typed.len() > MAX_TYPED_LEN {
            return Err(EnrollmentCodeError::Malformed("not 11 symbols".to_owned()));
        }
        let mut normalized = Zeroizing::new(String::with_capacity(CODE_SYMBOLS));
        let mut values = Zeroizing::new(Vec::with_capacity(CODE_SYMBOLS));
        for typed_byte in typed.bytes() {
            if matches!(typed_byte, b'-' | b' ' | b'\t' | b'\n' | b'\r') {
                continue;
            }
            let symbol = match typed_byte.to_ascii_uppercase() {
                b'O' => b'0',
                b'I' | b'L' => b'1',
                other => other,
            };
            let Some(value) = CODE_ALPHABET.iter().position(|known| *known == symbol) else {
                return Err(EnrollmentCodeError::Malformed(
                    "only digits and letters other than U".to_owned(),
                ));
            };
            normalized.push(char::from(symbol));
            values.push(u8::try_from(value).unwrap_or(0));
        }
        if values.len() != CODE_SYMBOLS {
            return Err(EnrollmentCodeError::Malformed("not 11 symbols".to_owned()));
        }
        if damm(&values) != 0 {
            return Err(EnrollmentCodeError::Malformed(
                "wrong check symbol: a symbol mistyped or two swapped".to_owned(),
            ));
        }
        Ok(Self(normalized))
    }

    /// The eleven symbols, normalized (what the device sends to redeem it).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code as shown to people: `ABCDE-FGHJK-M`.
    pub fn grouped(&self) -> Zeroizing<String> {
        let mut shown = Zeroizing::new(String::with_capacity(CODE_SYMBOLS + 2));
        for (index, symbol) in self.0.chars().enumerate() {
            if index > 0 && index % GROUP == 0 {
                shown.push('-');
            }
            shown.push(symbol);
        }
        shown
    }

    /// What the drop box keys it by: the lowercase hex SHA-256 of the normalized code.
    pub fn lookup_hash(&self) -> String {
        crate::hex::hex(&crate::crypto::sha256(self.0.as_bytes()))
    }
}

/// Doubling in GF(32) with the modulus `x⁵ + x² + 1`.
fn double(value: u8) -> u8 {
    let shifted = value << 1;
    if shifted & 32 != 0 {
        (shifted ^ 0b10_0101) & 31
    } else {
        shifted
    }
}

/// Damm's interim over `values` in the quasigroup `x ∘ y = 2x + y` of GF(32): 0 for a
/// code with its check symbol.
fn damm(values: &[u8]) -> u8 {
    values
        .iter()
        .fold(0, |interim, value| double(interim) ^ (value & 31))
}

/// The check symbol's value for `values`: the one that brings the interim back to 0.
fn check_value(values: &[u8]) -> u8 {
    double(damm(values))
}

#[cfg(test)]
#[path = "enrollment_code_tests.rs"]
mod tests;
