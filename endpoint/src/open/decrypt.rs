//! Opening one sealed part with the `hpke` crate: RFC 9180 base mode,
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, and the AEAD the recipient's suite names.

use hpke::aead::{AesGcm128, ChaCha20Poly1305};
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, OpModeR, single_shot_open};

use crate::recipient_key::RecipientKeyPair;

/// Format of submission plaintexts; the first component of `info`.
pub const SUBMISSION_FORMAT: &str = "selfreport.submission/1";

/// Suite name for ChaCha20-Poly1305.
pub const SUITE_CHACHA20POLY1305: &str = "x25519-sha256-chacha20poly1305";

/// Suite name for AES-128-GCM.
pub const SUITE_AES128GCM: &str = "x25519-sha256-aes128gcm";

/// Why a part did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartOpenError {
    /// The recipient's suite is not one this tool knows.
    UnknownSuite,
    /// `enc` is not a 32-byte X25519 public key.
    BadEncapsulatedKey,
    /// Decapsulation or authenticated decryption failed: wrong key, or tampered `enc`,
    /// `ct`, `info` or `aad`.
    Unauthentic,
}

/// HPKE `info` for a part: `"selfreport.submission/1" 0x00 policy_id 0x00 version 0x00
/// recipient`.
pub fn submission_info(policy_id: &str, version: u64, recipient: &str) -> Vec<u8> {
    let version = version.to_string();
    let mut info = Vec::with_capacity(
        SUBMISSION_FORMAT.len() + policy_id.len() + version.len() + recipient.len() + 3,
    );
    for (index, component) in [SUBMISSION_FORMAT, policy_id, &version, recipient]
        .into_iter()
        .enumerate()
    {
        if index > 0 {
            info.push(0);
        }
        info.extend_from_slice(component.as_bytes());
    }
    info
}

/// Opens one part (single-shot, sequence number 0).
pub fn open_part(
    suite: &str,
    key: &RecipientKeyPair,
    enc: &[u8],
    ct: &[u8],
    info: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, PartOpenError> {
    let private_key = key
        .hpke_private_key()
        .map_err(|_| PartOpenError::Unauthentic)?;
    let encapped = <X25519HkdfSha256 as hpke::Kem>::EncappedKey::from_bytes(enc)
        .map_err(|_| PartOpenError::BadEncapsulatedKey)?;
    let opened =
        match suite {
            SUITE_CHACHA20POLY1305 => single_shot_open::<
                ChaCha20Poly1305,
                HkdfSha256,
                X25519HkdfSha256,
            >(
                &OpModeR::Base, &private_key, &encapped, info, ct, aad
            ),
            SUITE_AES128GCM => single_shot_open::<AesGcm128, HkdfSha256, X25519HkdfSha256>(
                &OpModeR::Base,
                &private_key,
                &encapped,
                info,
                ct,
                aad,
            ),
            _ => return Err(PartOpenError::UnknownSuite),
        };
    opened.map_err(|_| PartOpenError::Unauthentic)
}

#[cfg(test)]
pub(crate) mod tests {
    use hpke::{OpModeS, Serializable, single_shot_seal};

    use super::*;

    /// Seals with the `hpke` crate (tests only: the device side seals with ring).
    pub(crate) fn seal_with_hpke_crate(
        suite: &str,
        public_key: &[u8; 32],
        info: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> (Vec<u8>, Vec<u8>) {
        use hpke::rand_core::{CryptoRng, RngCore};
        struct OsRng;
        impl RngCore for OsRng {
            fn next_u32(&mut self) -> u32 {
                u32::from_le_bytes(selfreport_core::crypto::random_array::<4>().unwrap())
            }
            fn next_u64(&mut self) -> u64 {
                u64::from_le_bytes(selfreport_core::crypto::random_array::<8>().unwrap())
            }
            fn fill_bytes(&mut self, dest: &mut [u8]) {
                for chunk in dest.chunks_mut(32) {
                    let random = selfreport_core::crypto::random_array::<32>().unwrap();
                    chunk.copy_from_slice(&random[..chunk.len()]);
                }
            }
            fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), hpke::rand_core::Error> {
                self.fill_bytes(dest);
                Ok(())
            }
        }
        impl CryptoRng for OsRng {}
        let public = <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(public_key).unwrap();
        let (enc, ct) = match suite {
            SUITE_AES128GCM => single_shot_seal::<AesGcm128, HkdfSha256, X25519HkdfSha256, _>(
                &OpModeS::Base,
                &public,
                info,
                plaintext,
                aad,
                &mut OsRng,
            ),
            _ => single_shot_seal::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256, _>(
                &OpModeS::Base,
                &public,
                info,
                plaintext,
                aad,
                &mut OsRng,
            ),
        }
        .unwrap();
        (enc.to_bytes().to_vec(), ct)
    }

    #[test]
    fn info_separates_components_with_nul() {
        assert_eq!(
            submission_info("sh", 3, "health"),
            b"selfreport.submission/1\0sh\x003\0health".to_vec()
        );
    }

    #[test]
    fn both_suites_open_and_any_change_fails() {
        let key = RecipientKeyPair::generate().unwrap();
        let info = submission_info("sh", 3, "health");
        let aad = b"0123456789abcdef0123456789abcdef";
        for suite in [SUITE_CHACHA20POLY1305, SUITE_AES128GCM] {
            let (enc, ct) = seal_with_hpke_crate(suite, &key.public_key(), &info, aad, b"hello");
            assert_eq!(
                open_part(suite, &key, &enc, &ct, &info, aad).unwrap(),
                b"hello"
            );
            let other = if suite == SUITE_AES128GCM {
                SUITE_CHACHA20POLY1305
            } else {
                SUITE_AES128GCM
            };
            assert!(open_part(other, &key, &enc, &ct, &info, aad).is_err());
            let mut bad_enc = enc.clone();
            bad_enc[0] ^= 1;
            assert!(open_part(suite, &key, &bad_enc, &ct, &info, aad).is_err());
            let mut bad_ct = ct.clone();
            bad_ct[0] ^= 1;
            assert!(open_part(suite, &key, &enc, &bad_ct, &info, aad).is_err());
            assert!(
                open_part(
                    suite,
                    &key,
                    &enc,
                    &ct,
                    &submission_info("sh", 3, "identity"),
                    aad
                )
                .is_err()
            );
            assert!(open_part(suite, &key, &enc, &ct, &info, b"other").is_err());
            let stranger = RecipientKeyPair::generate().unwrap();
            assert!(open_part(suite, &stranger, &enc, &ct, &info, aad).is_err());
            assert_eq!(
                open_part(suite, &key, &enc[..31], &ct, &info, aad),
                Err(PartOpenError::BadEncapsulatedKey)
            );
        }
        assert_eq!(
            open_part("x448", &key, &[0; 32], &[0; 32], &info, aad),
            Err(PartOpenError::UnknownSuite)
        );
    }
}
