//! Random identifiers: 16 random bytes written as 32 lowercase hex characters.
//!
//! The bytes come from the store's cryptographic random generator; this module only
//! formats and parses them, so ids carry nothing about the person or the time.

/// Length of an id's text form.
pub(crate) const ID_HEX_LEN: usize = 32;

/// Whether `text` is exactly 32 lowercase hex characters.
pub(crate) fn is_id(text: &str) -> bool {
    text.len() == ID_HEX_LEN
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

/// Defines a random-id newtype: `parse`, `from_random_bytes`, `as_str`, `Display`, and
/// serde as the bare string (deserializing checks the form).
macro_rules! random_id {
    ($(#[$doc:meta])* $name:ident, field = $field:literal) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses the text form: exactly 32 lowercase hex characters.
            pub fn parse(text: &str) -> Result<Self, $crate::model::ValidationError> {
                if $crate::model::id::is_id(text) {
                    Ok(Self(text.to_owned()))
                } else {
                    Err($crate::model::ValidationError::new(
                        $field,
                        $crate::model::Rule::Format {
                            expected: "an id of 32 lowercase hexadecimal characters",
                        },
                    ))
                }
            }

            /// The id made of 16 random bytes, which the caller draws from a
            /// cryptographic random generator.
            pub fn from_random_bytes(bytes: [u8; 16]) -> Self {
                Self($crate::hex::hex(&bytes))
            }

            /// The id's text form.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::model::ValidationError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::model::ValidationError;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

pub(crate) use random_id;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_and_round_trips_through_the_check() {
        let text = crate::hex::hex(&[
            0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
            0x70, 0x90,
        ]);
        assert_eq!(text, "00017f80abcdefff1020304050607090");
        assert!(is_id(&text));
        assert!(!is_id(&text.to_uppercase()));
        assert!(!is_id(&text[1..]));
        assert!(!is_id(&format!("{text}0")));
        assert!(!is_id("g0017f80abcdefff1020304050607090"));
        assert!(!is_id(""));
    }
}
