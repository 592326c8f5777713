//! The Privacy Pass structures of publicly verifiable tokens (token type 0x0002): the
//! TokenChallenge (RFC 9577 §2.1), the TokenRequest and TokenResponse (RFC 9578 §6.1 and
//! §6.2) and the Token (RFC 9577 §2.2), in their TLS presentation-language encodings.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use ring::digest;

use super::TokenError;
use super::issuer_key::{IssuerKey, NK};

/// Token type 0x0002: Blind RSA (2048-bit), RFC 9578 §8.2.
pub const TOKEN_TYPE: u16 = 0x0002;

/// Bytes of an encoded token: type, nonce, challenge digest, key id, authenticator.
pub const TOKEN_BYTES: usize = 2 + 32 + 32 + 32 + NK;

/// Bytes of an encoded token request: type, truncated key id, blinded message.
pub const TOKEN_REQUEST_BYTES: usize = 2 + 1 + NK;

/// What the redemption context of a policy's challenge is hashed from, before the
/// policy id.
const REDEMPTION_CONTEXT_LABEL: &[u8] = b"selfreport.token/1\n";

/// The challenge every token of one policy answers: fixed per policy, so a device can
/// fetch tokens ahead of use (RFC 9577 §2.1.1 allows a context shared across
/// redemptions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenChallenge {
    /// The issuer's name: the drop box's host.
    pub issuer_name: String,
    /// SHA-256 of `selfreport.token/1\n` and the policy id.
    pub redemption_context: [u8; 32],
    /// The origin the token is redeemed at: the drop box's host again.
    pub origin_info: String,
}

impl TokenChallenge {
    /// The challenge of the policy `policy_id` whose drop box is at `host`.
    pub fn for_policy(host: &str, policy_id: &str) -> Self {
        let mut context = digest::Context::new(&digest::SHA256);
        context.update(REDEMPTION_CONTEXT_LABEL);
        context.update(policy_id.as_bytes());
        let mut redemption_context = [0u8; 32];
        redemption_context.copy_from_slice(context.finish().as_ref());
        Self {
            issuer_name: host.to_owned(),
            redemption_context,
            origin_info: host.to_owned(),
        }
    }

    /// The challenge of the policy `policy_id` whose drop box is at `url` (its
    /// `endpoint.url`): [`TokenChallenge::for_policy`] with [`endpoint_host`].
    pub fn for_endpoint(url: &str, policy_id: &str) -> Self {
        Self::for_policy(&endpoint_host(url), policy_id)
    }

    /// The encoded challenge: `token_type`, `issuer_name<1..2^16-1>`,
    /// `redemption_context<0..32>`, `origin_info<0..2^16-1>`.
    pub fn encode(&self) -> Result<Vec<u8>, TokenError> {
        let issuer = self.issuer_name.as_bytes();
        let origin = self.origin_info.as_bytes();
        if issuer.is_empty()
            || issuer.len() > usize::from(u16::MAX)
            || origin.len() > usize::from(u16::MAX)
        {
            return Err(TokenError::BadChallenge);
        }
        let mut out = Vec::with_capacity(2 + 2 + issuer.len() + 1 + 32 + 2 + origin.len());
        out.extend_from_slice(&TOKEN_TYPE.to_be_bytes());
        out.extend_from_slice(&(issuer.len() as u16).to_be_bytes());
        out.extend_from_slice(issuer);
        out.push(32);
        out.extend_from_slice(&self.redemption_context);
        out.extend_from_slice(&(origin.len() as u16).to_be_bytes());
        out.extend_from_slice(origin);
        Ok(out)
    }

    /// `challenge_digest`: the SHA-256 of the encoded challenge.
    pub fn digest(&self) -> Result<[u8; 32], TokenError> {
        let mut out = [0u8; 32];
        out.copy_from_slice(digest::digest(&digest::SHA256, &self.encode()?).as_ref());
        Ok(out)
    }

    /// The challenge as the `WWW-Authenticate` header of a 401 carries it (RFC 9577
    /// §2.1): `PrivateToken challenge="…", token-key="…"`, both base64url.
    pub fn www_authenticate(&self, issuer_spki: &[u8]) -> Result<String, TokenError> {
        Ok(format!(
            "PrivateToken challenge=\"{}\", token-key=\"{}\"",
            URL_SAFE.encode(self.encode()?),
            URL_SAFE.encode(issuer_spki)
        ))
    }
}

/// The host of an endpoint URL as the challenge names it: as written in the URL, without
/// scheme, user info, port, path, or an IPv6 address's brackets.
pub fn endpoint_host(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme.split('/').next().unwrap_or("");
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, rest)| rest);
    match host_port.strip_prefix('[') {
        Some(bracketed) => bracketed
            .split_once(']')
            .map_or(bracketed, |(host, _)| host),
        None => host_port
            .rsplit_once(':')
            .map_or(host_port, |(host, _)| host),
    }
    .to_owned()
}

/// A token: the issuer's signature over a fresh nonce, bound to the challenge and the key.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A token is a bearer credential until spent.
        f.write_str("Token(..)")
    }
}

impl Token {
    /// The token made of `input` (the 98 bytes the authenticator signs) and its
    /// `authenticator`.
    pub(crate) fn from_parts(input: &[u8; TOKEN_BYTES - NK], authenticator: &[u8]) -> Self {
        let mut bytes = Vec::with_capacity(TOKEN_BYTES);
        bytes.extend_from_slice(input);
        bytes.extend_from_slice(authenticator);
        Self { bytes }
    }

    /// Reads an encoded token: exactly [`TOKEN_BYTES`] bytes of type 0x0002.
    pub fn parse(bytes: &[u8]) -> Result<Self, TokenError> {
        if bytes.len() != TOKEN_BYTES {
            return Err(TokenError::MalformedToken);
        }
        if bytes[..2] != TOKEN_TYPE.to_be_bytes() {
            return Err(TokenError::MalformedToken);
        }
        Ok(Self {
            bytes: bytes.to_vec(),
        })
    }

    /// Reads the `Authorization` header value `PrivateToken token="…"` (RFC 9577 §2.2:
    /// the scheme case-insensitive, the token base64url with or without padding).
    pub fn from_authorization(value: &str) -> Result<Self, TokenError> {
        let value = value.trim();
        let (scheme, params) = value.split_once(' ').ok_or(TokenError::MalformedToken)?;
        if !scheme.eq_ignore_ascii_case("PrivateToken") {
            return Err(TokenError::MalformedToken);
        }
        let mut token = None;
        for param in params.split(',') {
            let (name, raw) = param
                .trim()
                .split_once('=')
                .ok_or(TokenError::MalformedToken)?;
            if name.trim().eq_ignore_ascii_case("token") {
                if token.is_some() {
                    return Err(TokenError::MalformedToken);
                }
                token = Some(raw.trim().trim_matches('"'));
            }
        }
        let encoded = token.ok_or(TokenError::MalformedToken)?;
        Self::from_base64url(encoded)
    }

    /// Reads a token encoded in base64url, padded or not.
    pub fn from_base64url(encoded: &str) -> Result<Self, TokenError> {
        let unpadded = encoded.trim_end_matches('=');
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(unpadded)
            .map_err(|_| TokenError::MalformedToken)?;
        Self::parse(&bytes)
    }

    /// The encoded token.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The token, base64url with padding, as the header and batch items carry it.
    pub fn to_base64url(&self) -> String {
        URL_SAFE.encode(&self.bytes)
    }

    /// The `Authorization` header value: `PrivateToken token="…"`.
    pub fn authorization(&self) -> String {
        format!("PrivateToken token=\"{}\"", self.to_base64url())
    }

    /// The nonce the device chose.
    pub fn nonce(&self) -> &[u8] {
        &self.bytes[2..34]
    }

    /// The digest of the challenge the token answers.
    pub fn challenge_digest(&self) -> &[u8] {
        &self.bytes[34..66]
    }

    /// The `token_key_id` of the key that issued it.
    pub fn token_key_id(&self) -> &[u8] {
        &self.bytes[66..98]
    }

    /// What the authenticator signs: type, nonce, challenge digest, key id.
    pub fn token_input(&self) -> &[u8] {
        &self.bytes[..TOKEN_BYTES - NK]
    }

    /// Whether the token answers `challenge_digest` and carries a valid signature of
    /// `key` (RFC 9578 §6.4).
    pub fn verifies(&self, key: &IssuerKey, challenge_digest: &[u8; 32]) -> bool {
        self.challenge_digest() == challenge_digest
            && self.token_key_id() == key.key_id()
            && key.verifies(self.token_input(), &self.bytes[TOKEN_BYTES - NK..])
    }

    /// SHA-256 of the encoded token: what a drop box keeps of a spent token.
    pub fn spent_hash(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(digest::digest(&digest::SHA256, &self.bytes).as_ref());
        out
    }
}

/// A token request as the issuer reads it (RFC 9578 §6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The last byte of the `token_key_id` the client blinded for.
    pub truncated_token_key_id: u8,
    /// The blinded message, `NK` bytes.
    pub blinded_msg: Vec<u8>,
}

impl TokenRequest {
    /// The encoded request.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(TOKEN_REQUEST_BYTES);
        out.extend_from_slice(&TOKEN_TYPE.to_be_bytes());
        out.push(self.truncated_token_key_id);
        out.extend_from_slice(&self.blinded_msg);
        out
    }

    /// Reads an encoded request: exactly [`TOKEN_REQUEST_BYTES`] bytes of type 0x0002.
    pub fn parse(bytes: &[u8]) -> Result<Self, TokenError> {
        if bytes.len() != TOKEN_REQUEST_BYTES || bytes[..2] != TOKEN_TYPE.to_be_bytes() {
            return Err(TokenError::MalformedRequest);
        }
        Ok(Self {
            truncated_token_key_id: bytes[2],
            blinded_msg: bytes[3..].to_vec(),
        })
    }
}
