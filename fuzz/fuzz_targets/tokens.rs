//! Fuzz target `tokens`: bytes as the drop box reads a spent token (an `Authorization`
//! header, a batch item's token) and as a device reads an issuer key from a policy and the
//! issuer's reply to a token request.
//!
//! Invariants: nothing panics; every refusal is a `TokenError` with a stable code; a parsed
//! token is exactly `TOKEN_BYTES` of type 0x0002 and round-trips through its header form;
//! a parsed issuer key has a 32-byte key id whose last byte is its truncated id; a read
//! reply holds one `NK`-byte signature per request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use selfreport_core::token::{
    IssuerKey, NK, TOKEN_BYTES, Token, TokenRequest, read_token_response,
};

fn assert_token_code(code: &str) {
    assert!(code.starts_with("Token") && code.len() < 40, "unstable code {code}");
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for parsed in [Token::parse(data), Token::from_authorization(&text)] {
        match parsed {
            Ok(token) => {
                assert_eq!(token.as_bytes().len(), TOKEN_BYTES);
                assert_eq!(&token.as_bytes()[..2], &[0, 2]);
                assert_eq!(Token::from_authorization(&token.authorization()).ok(), Some(token));
            }
            Err(error) => assert_token_code(error.code()),
        }
    }
    match TokenRequest::parse(data) {
        Ok(request) => assert_eq!(request.encode(), data),
        Err(error) => assert_token_code(error.code()),
    }
    match IssuerKey::from_spki(data) {
        Ok(key) => assert_eq!(key.truncated_key_id(), key.key_id()[31]),
        Err(error) => assert_token_code(error.code()),
    }
    let count = data.first().map_or(0, |byte| usize::from(byte % 4));
    match read_token_response(data, count) {
        Ok(signatures) => {
            assert_eq!(signatures.len(), count);
            assert!(signatures.iter().all(|signature| signature.len() == NK));
        }
        Err(error) => assert_token_code(error.code()),
    }
});
