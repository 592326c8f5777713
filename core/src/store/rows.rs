//! How a row's value becomes the plaintext that is sealed, and back: compact JSON, held in
//! zeroizing buffers.

use zeroize::Zeroizing;

use crate::error::{Error, Result};

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<Zeroizing<Vec<u8>>> {
    serde_json::to_vec(value)
        .map(Zeroizing::new)
        .map_err(|error| Error::Storage(format!("could not encode a row: {error}")))
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    table: &str,
    id: &str,
    plaintext: &[u8],
) -> Result<T> {
    // The bytes authenticated, so a decoding failure means they were written by an
    // incompatible build: report the row as damaged rather than guess.
    serde_json::from_slice(plaintext).map_err(|_| Error::corrupt(format!("{table}/{id}")))
}
