//! The authority side of selfreport: its keys, signed collection policies, the reference
//! drop box, and opening what was collected.
//!
//! - [`authority::keygen`] writes the authority's key set into a directory: the policy-
//!   signing key (`signing.key`/`signing.pub`), the drop box's receipt key
//!   (`receipt.key`/`receipt.pub`) and one X25519 key pair per recipient
//!   (`recipient-NAME.key`/`.pub`). Private keys get mode 0600 and are never overwritten.
//! - [`authority::sign_policy_file`] signs a `selfreport.policy/1` document, byte for byte
//!   as it is in its file, into a `selfreport.signed/1` envelope.
//! - [`delegation`] writes delegations (a root or office authorizing a subject key within
//!   constraints), signs a policy under its chain, and lists every rule a draft breaks.
//! - [`policy_fill`] fills a policy template with the drop box's URL, its certificates'
//!   pins and the key files `keygen` wrote (`selfreport-authority fill-policy`);
//!   [`development_pki`] makes a development CA and drop box certificate
//!   (`tls-cert`) and computes a certificate's pin (`pin`).
//! - [`token_key`] makes and reads the drop box's upload token issuer keys
//!   (`selfreport-authority token-key generate`, [`token_key_command`]).
//! - [`revocation`] writes a root's revocation lists (`selfreport-authority revoke`).
//! - [`dropbox`] is the drop box (`selfreport-endpoint serve`): HTTPS on rustls with
//!   ring, sealed submissions stored as received, signed receipts, deletion by token,
//!   retention. It never holds a recipient key. It can run in-process
//!   ([`dropbox::serve`], [`dropbox::DropBox::start_in_background`]).
//! - [`open`] decrypts the drop box's submissions with recipient keys (the `hpke` crate),
//!   checks each strictly against the policy, drops cover traffic, and exports JSON, CSV
//!   or FHIR R4 (`selfreport-authority open`).
//! - [`fhir`] maps a policy's forms to FHIR R4 Questionnaires (`selfreport-authority
//!   questionnaire`) and opened submissions to the QuestionnaireResponses answering them.
//!
//! Key files are Unix files with Unix permissions; this crate targets Unix hosts.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod arrival_confirmation;
pub mod audit_checkpoint;
pub mod authority;
pub mod checkpoint;
pub mod code_registration;
pub mod delegation;
pub mod development_pki;
pub mod dropbox;
pub mod enrollment;
pub mod error;
pub mod fhir;
pub mod keyfile;
pub mod notice_mailbox;
pub mod open;
pub mod order_qr;
pub mod padded_sizes;
pub mod policy_file;
pub mod policy_fill;
pub mod recipient_key;
pub mod revocation;
pub mod token_key;
pub mod token_key_command;

pub use authority::{
    DEFAULT_RECIPIENTS, KeygenOutput, RecipientKeyOutput, SignedPolicyOutput, keygen,
    keygen_with_recipients, sign_policy_file,
};
pub use error::{AuthorityError, Result};
