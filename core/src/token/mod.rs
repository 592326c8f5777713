//! Unlinkable upload tokens (issue 14): Privacy Pass publicly verifiable tokens, token type
//! 0x0002 (RFC 9578 §6), on RSA blind signatures (RFC 9474, RSABSSA-SHA384-PSS-Deterministic).
//!
//! The device fetches tokens ahead of use: for each it picks a random nonce, blinds the
//! token input and keeps a [`PendingToken`]; the drop box signs the blinded messages of an
//! enrolled device without seeing them; the device finishes each into a [`Token`], which it
//! later spends on one upload (`Authorization: PrivateToken token="…"`, RFC 9577). The drop
//! box verifies the signature but cannot tell which issuance a token came from.

mod blinding;
mod issuer_key;
mod modular;
mod wire;

#[cfg(test)]
mod tests;

use zeroize::Zeroizing;

pub use blinding::BlindingSecret;
pub use issuer_key::{IssuerKey, MAX_SPKI_BYTES, NK};
pub use wire::{
    TOKEN_BYTES, TOKEN_REQUEST_BYTES, TOKEN_TYPE, Token, TokenChallenge, TokenRequest,
    endpoint_host,
};

/// Bytes of a token's input: type, nonce, challenge digest, key id.
const INPUT_BYTES: usize = TOKEN_BYTES - NK;

/// Why a token could not be made, read or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The issuer key is not a 2048-bit RSASSA-PSS (SHA-384) SubjectPublicKeyInfo.
    #[error("the token issuer key is unusable: {0}")]
    BadIssuerKey(&'static str),
    /// The issuer's reply does not finish into a valid token for the key.
    #[error("the token issuer's reply is not a valid blind signature")]
    BadBlindSignature,
    /// The bytes are not an encoded token of type 0x0002.
    #[error("not a private token of type 0x0002")]
    MalformedToken,
    /// The bytes are not an encoded token request of type 0x0002.
    #[error("not a token request of type 0x0002")]
    MalformedRequest,
    /// A kept pending token does not read back.
    #[error("a kept pending token is damaged")]
    MalformedPending,
    /// The challenge cannot be encoded (an empty or oversized name).
    #[error("the token challenge cannot be encoded")]
    BadChallenge,
    /// The operating system's random generator failed.
    #[error("the system random generator failed")]
    Random,
    /// The issuer's reply is not a token response answering each request once.
    #[error("the token issuer's reply is not a token response for these requests")]
    MalformedResponse,
}

impl TokenError {
    /// A stable code apps and tests can match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadIssuerKey(_) => "TokenBadIssuerKey",
            Self::BadBlindSignature => "TokenBadBlindSignature",
            Self::MalformedToken => "TokenMalformed",
            Self::MalformedRequest => "TokenMalformedRequest",
            Self::MalformedPending => "TokenMalformedPending",
            Self::BadChallenge => "TokenBadChallenge",
            Self::Random => "TokenRandom",
            Self::MalformedResponse => "TokenMalformedResponse",
        }
    }
}

/// The format of the issuer's reply to `POST {url}/tokens`.
pub const RESPONSE_FORMAT: &str = "selfreport.token-response/1";

/// Reads the issuer's reply to `count` token requests: a JSON object of exactly
/// `format` ([`RESPONSE_FORMAT`]) and `responses`, one base64url blind signature (padded
/// or not) per request, each of [`NK`] bytes. The signatures, in request order.
pub fn read_token_response(body: &[u8], count: usize) -> Result<Vec<Vec<u8>>, TokenError> {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let reply: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| TokenError::MalformedResponse)?;
    let object = reply.as_object().ok_or(TokenError::MalformedResponse)?;
    let responses = object
        .get("responses")
        .and_then(serde_json::Value::as_array)
        .ok_or(TokenError::MalformedResponse)?;
    if object.len() != 2
        || object.get("format").and_then(serde_json::Value::as_str) != Some(RESPONSE_FORMAT)
        || responses.len() != count
    {
        return Err(TokenError::MalformedResponse);
    }
    responses
        .iter()
        .map(|response| {
            let text = response.as_str().ok_or(TokenError::MalformedResponse)?;
            let signature = URL_SAFE_NO_PAD
                .decode(
                    text.strip_suffix("==")
                        .or(text.strip_suffix('='))
                        .unwrap_or(text),
                )
                .map_err(|_| TokenError::MalformedResponse)?;
            if signature.len() == NK {
                Ok(signature)
            } else {
                Err(TokenError::MalformedResponse)
            }
        })
        .collect()
}

/// A token requested and not yet signed: its input and the blinding secret. Kept by the
/// device (encrypted) from the request until the reply, so a crash between them loses
/// nothing the reply cannot finish.
pub struct PendingToken {
    input: [u8; INPUT_BYTES],
    secret: BlindingSecret,
}

impl std::fmt::Debug for PendingToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingToken(..)")
    }
}

impl PendingToken {
    /// A new token for `key` answering the challenge whose digest is `challenge_digest`:
    /// a fresh random nonce, blinded. Returns what to keep and the request to send.
    pub fn new(
        key: &IssuerKey,
        challenge_digest: &[u8; 32],
    ) -> Result<(Self, TokenRequest), TokenError> {
        let nonce = crate::crypto::random_array::<32>().map_err(|_| TokenError::Random)?;
        let mut input = [0u8; INPUT_BYTES];
        input[..2].copy_from_slice(&TOKEN_TYPE.to_be_bytes());
        input[2..34].copy_from_slice(&nonce);
        input[34..66].copy_from_slice(challenge_digest);
        input[66..98].copy_from_slice(key.key_id());
        let blinded = blinding::blind(key, &input)?;
        Ok((
            Self {
                input,
                secret: blinded.secret,
            },
            TokenRequest {
                truncated_token_key_id: key.truncated_key_id(),
                blinded_msg: blinded.message,
            },
        ))
    }

    /// Finishes the token from the issuer's TokenResponse (the blind signature, `NK`
    /// bytes), verifying it under `key`.
    pub fn finish(&self, key: &IssuerKey, blind_signature: &[u8]) -> Result<Token, TokenError> {
        if self.input[66..98] != key.key_id()[..] {
            return Err(TokenError::BadBlindSignature);
        }
        let authenticator = blinding::finalize(key, &self.input, blind_signature, &self.secret)?;
        Ok(Token::from_parts(&self.input, &authenticator))
    }

    /// What the store keeps: the input, then the secret.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(INPUT_BYTES + NK));
        out.extend_from_slice(&self.input);
        out.extend_from_slice(self.secret.as_bytes());
        out
    }

    /// A kept pending token read back.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TokenError> {
        if bytes.len() != INPUT_BYTES + NK || bytes[..2] != TOKEN_TYPE.to_be_bytes() {
            return Err(TokenError::MalformedPending);
        }
        let mut input = [0u8; INPUT_BYTES];
        input.copy_from_slice(&bytes[..INPUT_BYTES]);
        let secret = BlindingSecret::from_bytes(&bytes[INPUT_BYTES..])
            .ok_or(TokenError::MalformedPending)?;
        Ok(Self { input, secret })
    }
}
