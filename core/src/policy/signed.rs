//! The signed envelope every signed format shares: `{"format":"selfreport.signed/1",
//! "key_id","payload","signature"}` with the payload and signature in base64url without
//! padding. What the signature covers is `context || payload bytes`, the context naming
//! the format signed (`"selfreport.policy/1\n"`, `"selfreport.delegation/1\n"`), so no
//! signature can be taken for one over another format. A policy's envelope may also
//! carry `chain`, the delegations that authorize its signer.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::borrow::Cow;
use std::ops::Range;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::crypto::signature::{ED25519_SIGNATURE_LEN, SigningKey, verify_ed25519};

use super::PolicyError;
use super::error::truncated;
use super::parse::json_error;

/// The format string of signed envelopes.
pub const SIGNED_FORMAT: &str = "selfreport.signed/1";

/// Length of a key id in the envelope: 16 lowercase hex characters.
const KEY_ID_LEN: usize = 16;

/// An envelope parsed and decoded, nothing verified.
#[derive(Clone)]
pub(crate) struct Envelope {
    pub(crate) key_id: String,
    pub(crate) payload: Vec<u8>,
    pub(crate) signature: [u8; ED25519_SIGNATURE_LEN],
    /// Where each element of `chain` stands in the envelope's bytes, exactly as written
    /// there; `None` without a `chain`.
    pub(crate) chain: Option<Vec<Range<usize>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvelope<'a> {
    format: String,
    key_id: String,
    /// Borrowed from the envelope's bytes when it holds no escape (base64url never does).
    #[serde(borrow)]
    payload: Cow<'a, str>,
    signature: String,
    #[serde(default, borrow)]
    chain: Option<Vec<&'a RawValue>>,
}

impl Envelope {
    /// Parses envelope bytes whose decoded payload may be at most `max_payload` bytes.
    /// The caller checks the envelope's own size first.
    pub(crate) fn parse(bytes: &[u8], max_payload: usize) -> Result<Self, PolicyError> {
        // Read in one pass. The format is judged first all the same: an envelope of
        // another format, or not an envelope at all, is reported as such rather than by
        // what this shape finds wrong with it.
        let raw = match serde_json::from_slice::<RawEnvelope>(bytes) {
            Ok(raw) if raw.format == SIGNED_FORMAT => raw,
            read => {
                check_envelope_format(bytes)?;
                return Err(match read {
                    Err(error) => json_error(error),
                    Ok(raw) => PolicyError::UnknownEnvelopeFormat {
                        found: truncated(&raw.format, 64),
                    },
                });
            }
        };

        let key_id_is_well_formed = raw.key_id.len() == KEY_ID_LEN
            && raw
                .key_id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !key_id_is_well_formed {
            return Err(PolicyError::malformed(
                "the envelope's `key_id` is not 16 lowercase hex characters",
            ));
        }

        // Refuse an oversized payload from its encoded length, before decoding it.
        let encoded = raw.payload.len();
        let decoded_size = encoded / 4 * 3 + (encoded % 4).saturating_sub(1);
        if decoded_size > max_payload {
            return Err(PolicyError::TooLarge {
                size: decoded_size,
                limit: max_payload,
            });
        }
        let payload = URL_SAFE_NO_PAD
            .decode(raw.payload.as_bytes())
            .map_err(|_| PolicyError::malformed("the envelope's `payload` is not base64url"))?;

        let mut signature = [0u8; ED25519_SIGNATURE_LEN];
        let mut buffer = [0u8; ED25519_SIGNATURE_LEN + 3];
        match URL_SAFE_NO_PAD.decode_slice(raw.signature.as_bytes(), &mut buffer) {
            Ok(ED25519_SIGNATURE_LEN) => {
                signature.copy_from_slice(&buffer[..ED25519_SIGNATURE_LEN])
            }
            _ => {
                return Err(PolicyError::malformed(
                    "the envelope's `signature` is not base64url of 64 bytes",
                ));
            }
        }

        Ok(Self {
            key_id: raw.key_id,
            payload,
            signature,
            chain: raw
                .chain
                .map(|links| links.iter().map(|link| span_of(bytes, link)).collect())
                .transpose()?,
        })
    }

    /// Whether the signature verifies over `context || payload` with `public_key`.
    pub(crate) fn verifies(&self, context: &[u8], public_key: &[u8; 32]) -> bool {
        verify_ed25519(
            public_key,
            &signed_message(context, &self.payload),
            &self.signature,
        )
    }
}

/// Where `link`, read from `bytes` without a copy, stands in them.
fn span_of(bytes: &[u8], link: &RawValue) -> Result<Range<usize>, PolicyError> {
    let text = link.get().as_bytes();
    text.as_ptr()
        .addr()
        .checked_sub(bytes.as_ptr().addr())
        .map(|start| start..start + text.len())
        .filter(|span| bytes.get(span.clone()) == Some(text))
        .ok_or_else(|| PolicyError::malformed("a `chain` element was not read from the envelope"))
}

/// The envelope's `format` alone, judged when the envelope did not read as one of ours:
/// so an envelope of a later format is reported as such rather than as unknown fields.
fn check_envelope_format(bytes: &[u8]) -> Result<(), PolicyError> {
    let value: Value = serde_json::from_slice(bytes).map_err(json_error)?;
    let object = value
        .as_object()
        .ok_or_else(|| PolicyError::malformed("the signed envelope is not a JSON object"))?;
    match object.get("format") {
        Some(Value::String(format)) if format == SIGNED_FORMAT => Ok(()),
        Some(Value::String(format)) => Err(PolicyError::UnknownEnvelopeFormat {
            found: truncated(format, 64),
        }),
        Some(_) => Err(PolicyError::malformed(
            "the envelope's `format` is not a string",
        )),
        None => Err(PolicyError::malformed("the envelope has no `format`")),
    }
}

/// `context || payload`: what a signature covers.
pub(crate) fn signed_message(context: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(context.len() + payload.len());
    message.extend_from_slice(context);
    message.extend_from_slice(payload);
    message
}

/// The envelope of `payload` signed by `key` under `context`, with `chain` (envelopes of
/// delegations, root first) when it is not empty: compact JSON and a newline.
pub(crate) fn envelope_bytes(
    key: &SigningKey,
    context: &[u8],
    payload: &[u8],
    chain: &[&[u8]],
) -> Vec<u8> {
    let signature = key.sign(&signed_message(context, payload));
    // Every value is hex or base64url, so none needs JSON escaping; each chain element is
    // an envelope already (JSON text, trimmed of its newline).
    let mut out = format!(
        "{{\"format\":\"{SIGNED_FORMAT}\",\"key_id\":\"{}\",\"payload\":\"{}\",\"signature\":\"{}\"",
        key.key_id(),
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(signature),
    )
    .into_bytes();
    if !chain.is_empty() {
        out.extend_from_slice(b",\"chain\":[");
        for (n, link) in chain.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(link.trim_ascii());
        }
        out.push(b']');
    }
    out.extend_from_slice(b"}\n");
    out
}
