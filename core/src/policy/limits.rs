//! Bounds on signed policies. Everything a policy declares is bounded, so a hostile or
//! mistaken document cannot make the app allocate, render or loop without limit.

/// Largest signed envelope accepted, checked before any parsing.
pub const MAX_SIGNED_POLICY_BYTES: usize = 256 * 1024;
/// Largest policy document (the envelope's decoded payload).
pub const MAX_POLICY_BYTES: usize = 128 * 1024;
/// Longest identifier (policy, form, field, recipient, code), in ASCII characters.
pub const MAX_ID_LEN: usize = 64;
/// Most forms in one policy.
pub const MAX_FORMS: usize = 32;
/// Most fields in one form.
pub const MAX_FIELDS_PER_FORM: usize = 128;
/// Most codes of one choice or multi-choice field.
pub const MAX_CODES: usize = 128;
/// Most languages in one label map.
pub const MAX_LABEL_LANGUAGES: usize = 16;
/// Longest label, title or issuer name, in characters.
pub const MAX_LABEL_CHARS: usize = 512;
/// Longest purpose statement, in characters.
pub const MAX_PURPOSE_CHARS: usize = 4096;
/// Longest language tag, in ASCII characters.
pub const MAX_LANGUAGE_TAG_LEN: usize = 35;
/// Most recipients in one policy.
pub const MAX_RECIPIENTS: usize = 16;
/// Most SPKI pins for the endpoint.
pub const MAX_PINS: usize = 16;
/// Longest endpoint URL, in bytes.
pub const MAX_URL_LEN: usize = 2048;
/// Largest `max_len` of a text field, in characters.
pub const MAX_TEXT_CHARS: u32 = 4096;
/// Most areas listed in one `risk_area_visited` transform.
pub const MAX_RISK_AREAS: usize = 512;
/// Longest `window` or `risk_area_visited` window, in days.
pub const MAX_WINDOW_DAYS: u32 = 366;
/// Widest age band, in years.
pub const MAX_AGE_BAND_YEARS: u32 = 100;
/// Longest monitoring period, in days.
pub const MAX_MONITORING_DAYS: u32 = 366;
/// Longest retention, on the device or the server, in days (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;
/// Smallest padding block, in bytes.
pub const MIN_PADDING_BLOCK_BYTES: u32 = 16;
/// Largest padding block, in bytes.
pub const MAX_PADDING_BLOCK_BYTES: u32 = 65_536;
/// Padding block used when a policy declares none.
pub const DEFAULT_PADDING_BLOCK_BYTES: u32 = 512;

/// Most cover-traffic dummies a policy may ask for per daily form and day.
pub const MAX_COVER_DAILY: u32 = 24;

/// Most region codes in a policy's `region` or a delegation's `regions`.
pub const MAX_REGIONS: usize = 64;

/// Largest padded plaintext size a `selfreport.policy/2` form may declare for one
/// recipient (`forms[].padded_bytes`), in bytes: sealed and in base64 it still fits a
/// request body ([`crate::sync::wire::MAX_SUBMISSION_BYTES`]) with room for the others.
pub const MAX_DECLARED_PADDED_BYTES: u64 = 131_072;
