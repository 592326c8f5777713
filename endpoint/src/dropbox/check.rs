//! What the drop box checks before storing a submission. It cannot read the sealed
//! parts, so it checks everything around them, in two steps:
//!
//! 1. [`parse_submission`]: exactly what the JSON Schema of docs/openapi.yaml's
//!    `SealedSubmission` says, the same at every drop box: the fields, the ids' shapes,
//!    one to sixteen parts, each well-formed HPKE output;
//! 2. [`check_beyond_schema`]: the rules the document states in words because JSON
//!    Schema cannot: parts sorted by recipient with no recipient twice, and the rules of
//!    the policy this drop box serves (its id, a version no higher than the one served,
//!    parts for exactly the recipients one of its forms sends to, each `ct` exactly as
//!    long as that form's padded size for its recipient plus the AEAD tag).
//!
//! A batch is refused whole when an item fails the first step, item by item for the
//! second.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use selfreport_core::minimize::padded_size;
use selfreport_core::policy::limits::{MAX_ID_LEN, MAX_RECIPIENTS};
use selfreport_core::policy::{Form, FormEnrollment, PolicyDocument};
use selfreport_core::sync::wire::{SEALED_FORMAT, SealedSubmission};

use super::error::ApiError;

/// Length of an X25519 encapsulated key.
const ENC_LEN: usize = 32;
/// Length of the AEAD tag every HPKE ciphertext ends with.
const TAG_LEN: usize = 16;
/// Longest `ct`, in base64 characters: what the body limit leaves a submission with the
/// shortest ids and one part, rounded down to whole base64 quanta (docs/openapi.yaml's
/// `maxLength`). Only a batch item can hold a longer one: a request of its own would be
/// over [`MAX_SUBMISSION_BYTES`](selfreport_core::sync::wire::MAX_SUBMISSION_BYTES).
pub(crate) const MAX_CT_CHARS: usize = 261_860;
/// Highest policy version a policy may have (2^63 - 1, as policies are checked at install).
const MAX_POLICY_VERSION: u64 = i64::MAX.unsigned_abs();

/// What the drop box needs to know of the policy it serves.
#[derive(Debug, Clone)]
pub(crate) struct AcceptedPolicy {
    pub(crate) id: String,
    pub(crate) version: u64,
    pub(crate) recipients: BTreeSet<String>,
    /// The shapes a submission's parts may have, one per form that uploads anything:
    /// the recipients its uploaded fields are routed to, sorted (a device sends a part to
    /// each of them, answered or not, and to no one else), each with the exact length in
    /// bytes of its `ct`: the form's padded size for that recipient (declared by a `/2`
    /// policy, computed by the core for a `/1` one: [`padded_size`]) plus the
    /// [`TAG_LEN`]-byte AEAD tag. The drop box does not learn which form matched.
    pub(crate) part_shapes: BTreeSet<Vec<PartShape>>,
    /// The shapes of the open forms alone (`enrollment: open`): what an `open` upload
    /// token may pay for.
    pub(crate) open_part_shapes: BTreeSet<Vec<PartShape>>,
}

/// One part as a form fixes it: its recipient and the length of its `ct`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PartShape {
    pub(crate) to: String,
    pub(crate) ct_len: usize,
}

impl AcceptedPolicy {
    pub(crate) fn of(document: &PolicyDocument) -> Self {
        Self {
            id: document.id.clone(),
            version: document.version,
            recipients: document.recipients.keys().cloned().collect(),
            part_shapes: shapes_of(document, |_| true),
            open_part_shapes: shapes_of(document, |form| form.enrollment == FormEnrollment::Open),
        }
    }
}

/// The part shapes of the forms of `document` that `include` takes.
fn shapes_of(
    document: &PolicyDocument,
    include: impl Fn(&Form) -> bool,
) -> BTreeSet<Vec<PartShape>> {
    document
        .forms
        .iter()
        .filter(|form| include(form))
        .filter_map(|form| {
            let recipients = form
                .fields
                .iter()
                .filter(|field| field.upload.uploads())
                .filter_map(|field| field.to.clone())
                .collect::<BTreeSet<String>>();
            // A form whose size cannot be computed was refused at install: no device
            // can seal it, so no submission may have its shape.
            recipients
                .into_iter()
                .map(|to| {
                    let padded = padded_size(document, &form.id, &to).ok()?;
                    Some(PartShape {
                        ct_len: padded.checked_add(TAG_LEN)?,
                        to,
                    })
                })
                .collect::<Option<Vec<PartShape>>>()
        })
        .filter(|shape| !shape.is_empty())
        .collect()
}

/// Whether `submission` (checked by [`check_beyond_schema`]) has the parts of an open
/// form: recipients and `ct` lengths.
pub(crate) fn matches_open_form(submission: &SealedSubmission, policy: &AcceptedPolicy) -> bool {
    policy.open_part_shapes.iter().any(|shape| {
        shape.len() == submission.parts.len()
            && shape.iter().zip(&submission.parts).all(|(expected, part)| {
                expected.to == part.to && decoded_len(&part.ct) == expected.ct_len
            })
    })
}

/// Parses and checks a request body: its schema, then the rules beyond it. Error
/// messages never repeat what was sent.
pub(crate) fn check_submission(
    body: &[u8],
    policy: &AcceptedPolicy,
) -> Result<SealedSubmission, ApiError> {
    let submission = parse_submission(body)?;
    check_beyond_schema(&submission, policy)?;
    Ok(submission)
}

/// Parses a body under the schema of `selfreport.sealed/1` (docs/openapi.yaml's
/// `SealedSubmission`), whatever the policy served.
pub(crate) fn parse_submission(body: &[u8]) -> Result<SealedSubmission, ApiError> {
    let submission: SealedSubmission = serde_json::from_slice(body).map_err(|_| {
        ApiError::malformed("the body is not a selfreport.sealed/1 JSON object with exactly the fields of the format")
    })?;
    if submission.format != SEALED_FORMAT {
        return Err(ApiError::malformed("`format` is not selfreport.sealed/1"));
    }
    if !is_identifier(&submission.policy_id) {
        return Err(ApiError::malformed(
            "`policy_id` is not 1 to 64 characters of a-z 0-9 - _",
        ));
    }
    if submission.policy_version == 0 || submission.policy_version > MAX_POLICY_VERSION {
        return Err(ApiError::malformed(
            "`policy_version` is not between 1 and 2^63 - 1",
        ));
    }
    if !is_lower_hex(&submission.submission_id, 32) {
        return Err(ApiError::malformed(
            "`submission_id` is not 32 lowercase hex characters",
        ));
    }
    if !is_lower_hex(&submission.deletion_hash, 64) {
        return Err(ApiError::malformed(
            "`deletion_hash` is not 64 lowercase hex characters",
        ));
    }
    parse_parts(&submission)?;
    Ok(submission)
}

fn parse_parts(submission: &SealedSubmission) -> Result<(), ApiError> {
    if submission.parts.is_empty() || submission.parts.len() > MAX_RECIPIENTS {
        return Err(ApiError::malformed(
            "`parts` must hold one to sixteen sealed parts",
        ));
    }
    for (n, part) in submission.parts.iter().enumerate() {
        if !is_identifier(&part.to) {
            return Err(ApiError::malformed(
                "a part's `to` is not 1 to 64 characters of a-z 0-9 - _",
            ));
        }
        // `uniqueItems`.
        if submission.parts[..n].contains(part) {
            return Err(ApiError::malformed("`parts` holds the same part twice"));
        }
        match STANDARD.decode(&part.enc) {
            Ok(enc) if enc.len() == ENC_LEN => {}
            _ => {
                return Err(ApiError::malformed(
                    "a part's `enc` is not standard base64 of 32 bytes",
                ));
            }
        }
        if part.ct.len() > MAX_CT_CHARS {
            return Err(ApiError::malformed(
                "a part's `ct` is longer than the body limit allows",
            ));
        }
        match STANDARD.decode(&part.ct) {
            Ok(ct) if ct.len() >= TAG_LEN => {}
            _ => {
                return Err(ApiError::malformed(
                    "a part's `ct` is not standard base64 of an HPKE ciphertext",
                ));
            }
        }
    }
    Ok(())
}

/// Checks a submission that fits the schema against the rules the document states in
/// words: the order of its parts, and the policy this drop box serves.
pub(crate) fn check_beyond_schema(
    submission: &SealedSubmission,
    policy: &AcceptedPolicy,
) -> Result<(), ApiError> {
    let sorted = submission
        .parts
        .windows(2)
        .all(|pair| pair[0].to < pair[1].to);
    if !sorted {
        return Err(ApiError::malformed(
            "`parts` must be sorted by recipient, one part per recipient",
        ));
    }
    if submission.policy_id != policy.id {
        return Err(ApiError::malformed(
            "`policy_id` is not the policy this endpoint serves",
        ));
    }
    if submission.policy_version > policy.version {
        return Err(ApiError::malformed(
            "`policy_version` is not a version of the policy this endpoint serves",
        ));
    }
    if submission
        .parts
        .iter()
        .any(|part| !policy.recipients.contains(&part.to))
    {
        return Err(ApiError::malformed(
            "a part is addressed to a recipient the policy does not name",
        ));
    }
    // Sorted and without repeats (checked above), so compared as lists.
    let recipients_match = |shape: &Vec<PartShape>| {
        shape.len() == submission.parts.len()
            && shape
                .iter()
                .zip(&submission.parts)
                .all(|(expected, part)| expected.to == part.to)
    };
    let sizes_match = |shape: &Vec<PartShape>| {
        shape
            .iter()
            .zip(&submission.parts)
            .all(|(expected, part)| decoded_len(&part.ct) == expected.ct_len)
    };
    if !policy.part_shapes.iter().any(recipients_match) {
        return Err(ApiError::malformed(
            "`parts` are not for exactly the recipients one of the policy's forms sends to",
        ));
    }
    if !policy
        .part_shapes
        .iter()
        .any(|shape| recipients_match(shape) && sizes_match(shape))
    {
        return Err(ApiError::malformed(
            "a part's `ct` is not exactly the padded size one of the policy's forms fixes for its recipient plus the 16-byte tag",
        ));
    }
    Ok(())
}

/// The number of bytes `base64` encodes, for text [`parse_submission`] has checked is
/// canonical standard base64 with padding (whole quanta of four characters).
fn decoded_len(base64: &str) -> usize {
    let padding = base64.bytes().rev().take_while(|b| *b == b'=').count();
    (base64.len() / 4 * 3).saturating_sub(padding)
}

/// Whether `text` is an identifier of policies and recipients: 1 to 64 characters of
/// `a-z 0-9 - _` (the rule policies are checked against at install).
fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_ID_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Whether `text` is exactly `len` lowercase hex digits.
pub(crate) fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use selfreport_core::sync::wire::{SealedPart, deletion_hash};

    use super::*;

    /// The `ct` lengths of the test policy's forms: the arrival form's health and
    /// identity parts, the daily form's health part.
    const ARRIVAL_HEALTH: usize = 80;
    const ARRIVAL_IDENTITY: usize = 112;
    const DAILY_HEALTH: usize = 96;

    fn shape(to: &str, ct_len: usize) -> PartShape {
        PartShape {
            to: to.to_owned(),
            ct_len,
        }
    }

    /// Like sh-arrivals: an arrival form to health and identity, a daily form to health.
    fn policy() -> AcceptedPolicy {
        AcceptedPolicy {
            id: "sh".to_owned(),
            version: 3,
            recipients: ["health".to_owned(), "identity".to_owned()].into(),
            part_shapes: [
                vec![
                    shape("health", ARRIVAL_HEALTH),
                    shape("identity", ARRIVAL_IDENTITY),
                ],
                vec![shape("health", DAILY_HEALTH)],
            ]
            .into(),
            open_part_shapes: BTreeSet::new(),
        }
    }

    fn part(to: &str) -> SealedPart {
        sized_part(
            to,
            if to == "identity" {
                ARRIVAL_IDENTITY
            } else {
                ARRIVAL_HEALTH
            },
        )
    }

    fn sized_part(to: &str, ct_len: usize) -> SealedPart {
        SealedPart {
            to: to.to_owned(),
            enc: STANDARD.encode([7u8; 32]),
            ct: STANDARD.encode(vec![9u8; ct_len]),
        }
    }

    fn valid() -> SealedSubmission {
        SealedSubmission {
            format: SEALED_FORMAT.to_owned(),
            policy_id: "sh".to_owned(),
            policy_version: 3,
            submission_id: "0123456789abcdef0123456789abcdef".to_owned(),
            deletion_hash: deletion_hash("token"),
            parts: vec![part("health"), part("identity")],
        }
    }

    fn changed(change: impl FnOnce(&mut SealedSubmission)) -> Vec<u8> {
        let mut submission = valid();
        change(&mut submission);
        submission.to_body()
    }

    fn assert_malformed(error: ApiError) {
        assert_eq!(error.code(), "Malformed");
        assert_eq!(error.status(), axum::http::StatusCode::BAD_REQUEST);
    }

    #[test]
    fn a_well_formed_submission_passes_and_older_versions_too() {
        assert_eq!(
            check_submission(&valid().to_body(), &policy()).unwrap(),
            valid()
        );
        let older = changed(|s| s.policy_version = 1);
        assert!(check_submission(&older, &policy()).is_ok());
        // An integer as JSON Schema has it: a number with a zero fraction.
        let body = String::from_utf8(valid().to_body()).unwrap();
        for version in ["3.0", "3e0"] {
            let written = body.replace(
                "\"policy_version\":3",
                &format!("\"policy_version\":{version}"),
            );
            assert_eq!(
                check_submission(written.as_bytes(), &policy()).unwrap(),
                valid()
            );
        }
    }

    #[test]
    fn parts_must_be_for_exactly_the_recipients_of_one_form() {
        let daily = changed(|s| s.parts = vec![sized_part("health", DAILY_HEALTH)]);
        assert!(check_submission(&daily, &policy()).is_ok());
        let identity_alone = changed(|s| {
            s.parts.remove(0);
        });
        assert!(parse_submission(&identity_alone).is_ok());
        assert_malformed(check_submission(&identity_alone, &policy()).unwrap_err());
    }

    #[test]
    fn each_ct_must_be_exactly_its_forms_padded_size_plus_the_tag() {
        let size_refusal = |body: &[u8]| {
            let error = check_submission(body, &policy()).unwrap_err();
            let message = error.to_batch_error().message;
            assert!(message.contains("padded size"), "{message}");
            assert_malformed(error);
        };
        for ct_len in [DAILY_HEALTH - 1, DAILY_HEALTH + 1, TAG_LEN, ARRIVAL_HEALTH] {
            // One byte off each way, the tag alone, and the arrival form's health size
            // with the daily form's recipients.
            let body = changed(|s| s.parts = vec![sized_part("health", ct_len)]);
            assert!(parse_submission(&body).is_ok());
            size_refusal(&body);
        }
        for (health, identity) in [
            (ARRIVAL_HEALTH - 1, ARRIVAL_IDENTITY),
            (ARRIVAL_HEALTH + 1, ARRIVAL_IDENTITY),
            (ARRIVAL_HEALTH, ARRIVAL_IDENTITY - 1),
            (ARRIVAL_HEALTH, ARRIVAL_IDENTITY + 1),
            // The sizes swapped between the recipients, and the daily health size.
            (ARRIVAL_IDENTITY, ARRIVAL_HEALTH),
            (DAILY_HEALTH, ARRIVAL_IDENTITY),
        ] {
            let body = changed(|s| {
                s.parts = vec![
                    sized_part("health", health),
                    sized_part("identity", identity),
                ];
            });
            size_refusal(&body);
        }
        assert!(check_submission(&valid().to_body(), &policy()).is_ok());
    }

    #[test]
    fn the_decoded_length_is_read_from_canonical_base64() {
        for len in 0..40 {
            assert_eq!(decoded_len(&STANDARD.encode(vec![0u8; len])), len);
        }
    }

    #[test]
    fn every_schema_rule_is_enforced_whatever_the_policy() {
        type Change = Box<dyn FnOnce(&mut SealedSubmission)>;
        let cases: Vec<Change> = vec![
            Box::new(|s| s.format = "selfreport.sealed/2".into()),
            Box::new(|s| s.policy_id = "Sh".into()),
            Box::new(|s| s.policy_id = String::new()),
            Box::new(|s| s.policy_id = "s".repeat(65)),
            Box::new(|s| s.policy_version = 0),
            Box::new(|s| s.policy_version = MAX_POLICY_VERSION + 1),
            Box::new(|s| s.submission_id = "0123456789ABCDEF0123456789ABCDEF".into()),
            Box::new(|s| s.submission_id.push('0')),
            Box::new(|s| s.deletion_hash = "token".into()),
            Box::new(|s| s.parts.clear()),
            Box::new(|s| s.parts[0].to = "Health".into()),
            Box::new(|s| s.parts[1] = s.parts[0].clone()),
            Box::new(|s| s.parts[0].enc = STANDARD.encode([1u8; 31])),
            Box::new(|s| s.parts[0].enc = "not base64".into()),
            // 32 bytes, but not canonical: the last character carries bits no byte has.
            Box::new(|s| s.parts[0].enc = format!("{}B=", "A".repeat(42))),
            Box::new(|s| s.parts[1].ct = STANDARD.encode([1u8; 15])),
            Box::new(|s| s.parts[1].ct = STANDARD.encode([1u8; 40]).replace('=', "")),
            Box::new(|s| s.parts[1].ct = "A".repeat(MAX_CT_CHARS + 4)),
            Box::new(|s| {
                s.parts = (0..17)
                    .map(|n| part(&format!("r{n:02}")))
                    .collect::<Vec<_>>();
            }),
        ];
        for change in cases {
            assert_malformed(parse_submission(&changed(change)).unwrap_err());
        }
    }

    #[test]
    fn every_rule_beyond_the_schema_is_enforced() {
        type Change = Box<dyn FnOnce(&mut SealedSubmission)>;
        let cases: Vec<Change> = vec![
            Box::new(|s| s.parts.reverse()),
            // Two parts for one recipient, unequal as items (so `uniqueItems` holds).
            Box::new(|s| {
                s.parts[1].to = "health".into();
                s.parts[1].ct = STANDARD.encode([8u8; 80]);
            }),
            Box::new(|s| s.policy_id = "other".into()),
            Box::new(|s| s.policy_version = 4),
            Box::new(|s| s.parts[1].to = "police".into()),
            Box::new(|s| s.parts.push(part("zeta"))),
        ];
        for change in cases {
            let body = changed(change);
            assert!(parse_submission(&body).is_ok());
            assert_malformed(check_submission(&body, &policy()).unwrap_err());
        }
    }

    #[test]
    fn unknown_fields_and_non_json_are_malformed() {
        let body = String::from_utf8(valid().to_body()).unwrap();
        for bad in [
            body.replace("\"parts\"", "\"extra\":1,\"parts\""),
            "not json".to_owned(),
            "[]".to_owned(),
            body.replace("\"policy_version\":3", "\"policy_version\":\"3\""),
            body.replace("\"policy_version\":3", "\"policy_version\":3.5"),
            body.replace("\"ct\":\"", "\"ct\":{},\"x\":\""),
        ] {
            assert!(parse_submission(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_longest_ct_is_what_the_body_limit_leaves_and_the_document_says_so() {
        use selfreport_core::sync::wire::MAX_SUBMISSION_BYTES;
        let shortest = SealedSubmission {
            policy_id: "a".to_owned(),
            policy_version: 1,
            parts: vec![SealedPart {
                to: "a".to_owned(),
                enc: STANDARD.encode([0u8; 32]),
                ct: String::new(),
            }],
            ..valid()
        };
        let room = MAX_SUBMISSION_BYTES - shortest.to_body().len();
        assert_eq!(MAX_CT_CHARS, room / 4 * 4);
        let mut longest = shortest.clone();
        longest.parts[0].ct = "A".repeat(MAX_CT_CHARS);
        assert!(longest.to_body().len() <= MAX_SUBMISSION_BYTES);
        assert!(parse_submission(&longest.to_body()).is_ok());
        let document = include_str!("../../../docs/openapi.yaml");
        assert!(document.contains(&format!("maxLength: {MAX_CT_CHARS}\n")));
    }

    #[test]
    fn the_forms_give_the_part_shapes_from_the_cores_padded_sizes() {
        let document = selfreport_core::policy::parse_policy_document(include_bytes!(
            "../../../examples/policies/traveler-preregistration.json"
        ))
        .unwrap();
        let accepted = AcceptedPolicy::of(&document);
        let sized =
            |form: &str, to: &str| shape(to, padded_size(&document, form, to).unwrap() + 16);
        let expected: BTreeSet<Vec<PartShape>> = [
            vec![sized("arrival", "health"), sized("arrival", "identity")],
            vec![sized("daily", "health")],
        ]
        .into();
        assert_eq!(accepted.part_shapes, expected);
        for shape in accepted.part_shapes.iter().flatten() {
            assert_eq!((shape.ct_len - TAG_LEN) % 512, 0, "{shape:?}");
        }
    }
}
