//! The HPKE seal with a given ephemeral private key, for test vectors (docs/vectors/).
//!
//! Only the core's `test-vectors` feature builds this module, and only the
//! `selfreport-tests` crate's dev-dependencies enable that feature: no shipped build
//! (the `selfreport-ffi` library, the binaries, release builds) contains a way to seal
//! without a fresh random ephemeral key. ring cannot take an X25519 private key from
//! bytes, so the Diffie-Hellman step here uses x25519-dalek; every step after it is the
//! device's own ([`kem_extract_and_expand`], [`key_schedule`], [`seal_with`]).

use x25519_dalek::{PublicKey, StaticSecret};

use super::{
    HpkeError, HpkeSealed, HpkeSuite, X25519_LEN, is_all_zero, kem_extract_and_expand,
    key_schedule, seal_with,
};

/// A fixed-ephemeral seal and the intermediate values a vector shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorSeal {
    /// `enc` and `ct`, as [`super::hpke_seal`] returns them.
    pub sealed: HpkeSealed,
    /// The KEM's `shared_secret`.
    pub shared_secret: [u8; 32],
    /// The key schedule's AEAD key (`Nk` bytes).
    pub key: Vec<u8>,
    /// The key schedule's base nonce.
    pub base_nonce: [u8; 12],
}

/// Seals like [`super::hpke_seal`], with `ephemeral_private_key` as `skE` instead of a
/// random one. Test vectors only: reusing an ephemeral key breaks HPKE's guarantees.
pub fn hpke_seal_with_ephemeral_key(
    suite: &str,
    recipient_public_key: &[u8; X25519_LEN],
    ephemeral_private_key: &[u8; X25519_LEN],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<VectorSeal, HpkeError> {
    let suite = HpkeSuite::from_name(suite)?;
    let secret = StaticSecret::from(*ephemeral_private_key);
    let enc = PublicKey::from(&secret).to_bytes();
    let dh = secret.diffie_hellman(&PublicKey::from(*recipient_public_key));
    if is_all_zero(dh.as_bytes()) {
        return Err(HpkeError::InvalidPublicKey);
    }
    let shared_secret = kem_extract_and_expand(dh.as_bytes(), &enc, recipient_public_key)?;
    let schedule = key_schedule(suite, &shared_secret, info)?;
    let key = schedule.key().to_vec();
    let base_nonce = schedule.base_nonce;
    let ct = seal_with(schedule, aad, plaintext)?;
    Ok(VectorSeal {
        sealed: HpkeSealed { enc, ct },
        shared_secret: *shared_secret,
        key,
        base_nonce,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9180 Appendix A.1.1 (ChaCha20-Poly1305 is A.2.1; both share the KEM): the
    /// fixed ephemeral key gives the RFC's `enc`, `shared_secret` and first ciphertext.
    #[test]
    fn the_rfc_vector_a_2_1_seals_to_its_ciphertext() {
        fn bytes<const N: usize>(text: &str) -> [u8; N] {
            let mut out = [0u8; N];
            for (i, byte) in out.iter_mut().enumerate() {
                *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
            }
            out
        }
        let sk_e: [u8; 32] =
            bytes("f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600");
        let pk_r: [u8; 32] =
            bytes("4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a");
        let info: [u8; 20] = bytes("4f6465206f6e2061204772656369616e2055726e");
        let aad: [u8; 7] = bytes("436f756e742d30");
        let plaintext: [u8; 29] =
            bytes("4265617574792069732074727574682c20747275746820626561757479");
        let seal = hpke_seal_with_ephemeral_key(
            "x25519-sha256-chacha20poly1305",
            &pk_r,
            &sk_e,
            &info,
            &aad,
            &plaintext,
        )
        .unwrap();
        assert_eq!(
            seal.sealed.enc,
            bytes::<32>("1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a")
        );
        assert_eq!(
            seal.shared_secret,
            bytes::<32>("0bbe78490412b4bbea4812666f7916932b828bba79942424abb65244930d69a7")
        );
        assert_eq!(
            seal.sealed.ct,
            bytes::<45>(
                "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28"
            )
            .to_vec()
        );
    }
}
