//! Randomness from the operating system.

use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Error, Result};

/// `N` random bytes from the operating system's generator.
pub fn random_array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    SystemRandom::new()
        .fill(&mut out)
        .map_err(|_| Error::Crypto("the system random generator failed"))?;
    Ok(out)
}

/// A random 128-bit identifier (profile, record and monitoring-period ids).
pub fn random_id() -> Result<[u8; 16]> {
    random_array::<16>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ() {
        assert_ne!(random_id().unwrap(), random_id().unwrap());
    }
}
