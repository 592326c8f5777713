//! Minimum disclosure: a record reduced to what its signed policy requires (DESIGN §5, §7).
//!
//! [`minimize`] applies each field's [`transform`](apply) and routes the result to the
//! field's recipient; [`Disclosure::plaintext`] gives each recipient's canonical JSON
//! (`selfreport.submission/1`) padded to a size fixed by the policy and form
//! ([`padded_size`]), so real and cover ([`Disclosure::dummy`]) submissions of a form
//! cannot be told apart by length. [`preview`] shows the person all of it first.

mod canonical;
mod carried;
mod disclosure;
mod error;
mod number;
mod padding;
mod plaintext;
mod preview;
mod transform;

#[cfg(test)]
mod carried_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod reference_tests;
#[cfg(test)]
mod test_support;

pub use canonical::{Decimal, DisclosedValue};
pub use carried::{Carried, Carries, carries};
pub use disclosure::{
    DisclosedField, DisclosedPart, Disclosure, SUBMISSION_FORMAT, minimize, minimize_carrying,
};
pub use error::MinimizeError;
pub use padding::{MAX_PADDED_BYTES, minimum_padded_size, padded_size};
pub use preview::{Preview, PreviewField, PreviewPart, preview, preview_carrying};
pub use transform::{apply, apply_until, check_field, window_end};
