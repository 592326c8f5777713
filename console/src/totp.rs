//! Time-based one-time passwords (RFC 6238) with the parameters every authenticator app
//! uses: HMAC-SHA-1, 6 digits, 30-second steps counted from the Unix epoch. A code is
//! accepted for its own step and one step either way (clock drift), and never twice: a
//! login records the step it used, and a code of that step or an earlier one is refused.

use ring::hmac;
use ring::rand::{SecureRandom as _, SystemRandom};
use zeroize::Zeroizing;

use crate::base32;

/// Seconds per step.
pub const STEP_SECONDS: u64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Bytes of a secret this console makes (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;
/// Steps accepted on either side of the current one.
pub const DRIFT_STEPS: u64 = 1;

/// An officer's TOTP secret. Zeroed when dropped; never printed by `Debug`.
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpRefusal {
    /// Not six digits.
    Malformed,
    /// No step within the drift window gives this code.
    Wrong,
    /// The code's step was used already (or a later one was): a code works once.
    Replayed,
}

impl TotpSecret {
    /// A new random secret.
    pub fn generate() -> Option<Self> {
        let mut bytes = Zeroizing::new(vec![0u8; SECRET_BYTES]);
        SystemRandom::new().fill(&mut bytes).ok()?;
        Some(Self(bytes))
    }

    /// A secret from its bytes (as decrypted from the database).
    pub fn from_bytes(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(bytes)
    }

    /// The secret's bytes, to encrypt for storage.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret in base32, as an authenticator app takes it typed in.
    pub fn base32(&self) -> Zeroizing<String> {
        Zeroizing::new(base32::encode(&self.0))
    }

    /// The `otpauth://` URI an authenticator app takes from a QR code.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            percent_encode(issuer),
            percent_encode(account),
            self.base32().as_str(),
            percent_encode(issuer),
        ))
    }

    /// The code of `step` (RFC 4226's HOTP of the step counter, dynamic truncation).
    pub fn code_at(&self, step: u64) -> u32 {
        let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &self.0);
        let tag = hmac::sign(&key, &step.to_be_bytes());
        let digest = tag.as_ref();
        let offset = usize::from(digest[digest.len() - 1] & 0x0f);
        let binary = u32::from_be_bytes([
            digest[offset] & 0x7f,
            digest[offset + 1],
            digest[offset + 2],
            digest[offset + 3],
        ]);
        binary % 10u32.pow(DIGITS)
    }

    /// Checks `code` at Unix time `now`: the step it matches, within [`DRIFT_STEPS`] of
    /// now's and after `last_used_step` (the step of the last accepted code, if any).
    pub fn verify(
        &self,
        code: &str,
        now: u64,
        last_used_step: Option<u64>,
    ) -> Result<u64, TotpRefusal> {
        let code = code.trim();
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TotpRefusal::Malformed);
        }
        let value: u32 = code.parse().map_err(|_| TotpRefusal::Malformed)?;
        let current = now / STEP_SECONDS;
        let candidates = current.saturating_sub(DRIFT_STEPS)..=current.saturating_add(DRIFT_STEPS);
        // Every candidate is computed and compared as a whole number (no comparison that
        // stops at the first differing digit), so the time taken does not say which step,
        // if any, matched.
        let mut matched = None;
        for step in candidates {
            if self.code_at(step) == value {
                matched = Some(step);
            }
        }
        let step = matched.ok_or(TotpRefusal::Wrong)?;
        if last_used_step.is_some_and(|used| step <= used) {
            return Err(TotpRefusal::Replayed);
        }
        Ok(step)
    }
}

/// `text` with everything but unreserved characters (RFC 3986) percent-encoded.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 seed.
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(Zeroizing::new(b"12345678901234567890".to_vec()))
    }

    #[test]
    fn the_rfc_6238_sha1_vectors_hold_in_six_digits() {
        // Appendix B gives eight digits; six are their last six.
        let vectors: [(u64, u32); 6] = [
            (59, 94_287_082),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ];
        let secret = rfc_secret();
        for (time, eight) in vectors {
            assert_eq!(
                secret.code_at(time / STEP_SECONDS),
                eight % 1_000_000,
                "T={time}"
            );
        }
    }

    #[test]
    fn one_step_of_drift_either_way_and_never_twice() {
        let secret = rfc_secret();
        let now = 1_234_567_890;
        let step = now / STEP_SECONDS;
        let code = |step: u64| format!("{:06}", secret.code_at(step));
        assert_eq!(secret.verify(&code(step), now, None), Ok(step));
        assert_eq!(secret.verify(&code(step - 1), now, None), Ok(step - 1));
        assert_eq!(secret.verify(&code(step + 1), now, None), Ok(step + 1));
        assert_eq!(
            secret.verify(&code(step - 2), now, None),
            Err(TotpRefusal::Wrong)
        );
        assert_eq!(
            secret.verify(&code(step + 2), now, None),
            Err(TotpRefusal::Wrong)
        );
        // Used once: refused again, and so is an older code still in the window.
        assert_eq!(
            secret.verify(&code(step), now, Some(step)),
            Err(TotpRefusal::Replayed)
        );
        assert_eq!(
            secret.verify(&code(step - 1), now, Some(step)),
            Err(TotpRefusal::Replayed)
        );
        assert_eq!(
            secret.verify(&code(step + 1), now, Some(step)),
            Ok(step + 1)
        );
        for malformed in ["", "12345", "1234567", "12 456", "abcdef"] {
            assert_eq!(
                secret.verify(malformed, now, None),
                Err(TotpRefusal::Malformed)
            );
        }
    }

    #[test]
    fn the_uri_carries_the_base32_secret_and_the_parameters() {
        let uri = rfc_secret().otpauth_uri("Huangpu CDC", "officer 17");
        assert_eq!(
            uri.as_str(),
            "otpauth://totp/Huangpu%20CDC:officer%2017?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Huangpu%20CDC&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(format!("{:?}", rfc_secret()), "TotpSecret(..)");
        assert_eq!(TotpSecret::generate().unwrap().bytes().len(), SECRET_BYTES);
    }
}
