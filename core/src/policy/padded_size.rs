//! The padded sizes a `selfreport.policy/2` form declares (`"padded_bytes":
//! {"health": 1024}`): one for each recipient the form routes a field to and no other,
//! each a multiple of `padding.block_bytes`, at most [`MAX_DECLARED_PADDED_BYTES`], and
//! at least the minimum the core computes, so a device never has to send a longer part.
//! A `/1` policy declares none and pads to the computed minimum.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::limits::MAX_DECLARED_PADDED_BYTES;
use super::{PolicyDocument, PolicyError, PolicyFormat};
use crate::minimize::minimum_padded_size;

/// What is wrong with one form's declared padded size for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaddedSizeProblem {
    /// The form routes fields to the recipient but declares no size for it.
    Missing {
        /// The smallest size that would be accepted.
        minimum: u64,
    },
    /// The form declares a size for a recipient it routes no field to.
    NotRouted,
    /// The size is not a multiple of the policy's `padding.block_bytes`.
    NotBlockMultiple {
        /// The size declared.
        declared: u64,
        /// The policy's block.
        block: u32,
    },
    /// The size is above [`MAX_DECLARED_PADDED_BYTES`].
    AboveLimit {
        /// The size declared.
        declared: u64,
        /// The largest size allowed.
        limit: u64,
    },
    /// The size is below what the form's widest part for the recipient could need.
    BelowMinimum {
        /// The size declared.
        declared: u64,
        /// The smallest size that would be accepted.
        minimum: u64,
    },
}

impl PaddedSizeProblem {
    /// The stable code of this problem (the code of the [`PolicyError::PaddedSize`] it is in).
    pub fn code(&self) -> &'static str {
        match self {
            PaddedSizeProblem::Missing { .. } => "PolicyPaddedSizeMissing",
            PaddedSizeProblem::NotRouted => "PolicyPaddedSizeNotRouted",
            PaddedSizeProblem::NotBlockMultiple { .. } => "PolicyPaddedSizeNotBlockMultiple",
            PaddedSizeProblem::AboveLimit { .. } => "PolicyPaddedSizeAboveLimit",
            PaddedSizeProblem::BelowMinimum { .. } => "PolicyPaddedSizeBelowMinimum",
        }
    }
}

impl fmt::Display for PaddedSizeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaddedSizeProblem::Missing { minimum } => write!(
                f,
                "no padded size is declared; declare at least {minimum} bytes"
            ),
            PaddedSizeProblem::NotRouted => {
                f.write_str("a padded size is declared, but the form sends this recipient no field")
            }
            PaddedSizeProblem::NotBlockMultiple { declared, block } => write!(
                f,
                "{declared} bytes is not a multiple of padding.block_bytes ({block})"
            ),
            PaddedSizeProblem::AboveLimit { declared, limit } => {
                write!(f, "{declared} bytes is above the limit of {limit} bytes")
            }
            PaddedSizeProblem::BelowMinimum { declared, minimum } => write!(
                f,
                "{declared} bytes is below the minimum of {minimum} bytes the form's widest part needs"
            ),
        }
    }
}

/// The minimum padded size of every (form, recipient) pair `document` routes fields to,
/// by form id then recipient name: what a `/2` form must declare at least, and what a
/// `/1` form pads to. A form whose minimum cannot be computed (a transform the core
/// cannot apply) is left out; install refuses it for that reason.
pub fn minimum_padded_sizes(document: &PolicyDocument) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut sizes = BTreeMap::new();
    for form in &document.forms {
        let routed: BTreeSet<&str> = form
            .fields
            .iter()
            .filter(|field| field.upload.uploads())
            .filter_map(|field| field.to.as_deref())
            .collect();
        let form_sizes: Option<BTreeMap<String, u64>> = routed
            .into_iter()
            .map(|recipient| {
                minimum_padded_size(document, &form.id, recipient)
                    .ok()
                    .map(|size| (recipient.to_owned(), size as u64))
            })
            .collect();
        if let Some(form_sizes) = form_sizes {
            sizes.insert(form.id.clone(), form_sizes);
        }
    }
    sizes
}

/// Sets every form's `padded_bytes` in a draft `/2` policy document to the minimum
/// ([`minimum_padded_sizes`]), replacing what it declared: for tools that draft policies
/// (the demo, tests). An authority choosing larger sizes (room for a later version's
/// fields) writes them by hand. Errors when the draft does not parse.
pub fn declare_minimum_padded_sizes(document: &mut serde_json::Value) -> Result<(), PolicyError> {
    let payload =
        serde_json::to_vec(document).map_err(|error| PolicyError::malformed(error.to_string()))?;
    let draft = super::parse_policy_draft(&payload)?;
    let mut sizes = minimum_padded_sizes(&draft);
    if let Some(forms) = document
        .get_mut("forms")
        .and_then(serde_json::Value::as_array_mut)
    {
        for form in forms {
            let id = form
                .get("id")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default();
            let declared = sizes.remove(id).unwrap_or_default();
            if let Some(form) = form.as_object_mut() {
                form.insert("padded_bytes".to_owned(), serde_json::json!(declared));
            }
        }
    }
    Ok(())
}

/// Every problem of the declared padded sizes of `document`, form by form, recipients in
/// name order. Empty for a `/1` document.
pub fn padded_size_refusals(document: &PolicyDocument) -> Vec<PolicyError> {
    if document.format == PolicyFormat::V1 {
        return Vec::new();
    }
    let mut refusals = Vec::new();
    for form in &document.forms {
        let routed: BTreeSet<&str> = form
            .fields
            .iter()
            .filter(|field| field.upload.uploads())
            .filter_map(|field| field.to.as_deref())
            .collect();
        let named: BTreeSet<&str> = form.padded_bytes.keys().map(String::as_str).collect();
        for recipient in routed.union(&named) {
            let refuse = |problem| PolicyError::PaddedSize {
                form: form.id.clone(),
                recipient: (*recipient).to_owned(),
                problem,
            };
            if !routed.contains(recipient) {
                refusals.push(refuse(PaddedSizeProblem::NotRouted));
                continue;
            }
            // A form whose minimum cannot be computed is refused by the disclosure checks.
            let Ok(minimum) = minimum_padded_size(document, &form.id, recipient) else {
                continue;
            };
            let minimum = minimum as u64;
            let Some(&declared) = form.padded_bytes.get(*recipient) else {
                refusals.push(refuse(PaddedSizeProblem::Missing { minimum }));
                continue;
            };
            let block = document.padding.block_bytes;
            let problem = if declared > MAX_DECLARED_PADDED_BYTES {
                PaddedSizeProblem::AboveLimit {
                    declared,
                    limit: MAX_DECLARED_PADDED_BYTES,
                }
            } else if declared % u64::from(block.max(1)) != 0 {
                PaddedSizeProblem::NotBlockMultiple { declared, block }
            } else if declared < minimum {
                PaddedSizeProblem::BelowMinimum { declared, minimum }
            } else {
                continue;
            };
            refusals.push(refuse(problem));
        }
    }
    refusals
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use serde_json::{Value, json};

    use super::*;
    use crate::minimize::{Disclosure, minimum_padded_size, padded_size};
    use crate::policy::parse_policy_document;
    use crate::policy::test_support::{test_policy_value, today};

    /// The example policy as `/2` with the minimum sizes declared.
    fn v2() -> Value {
        let mut policy = test_policy_value("sh", 1, today());
        policy["format"] = json!("selfreport.policy/2");
        policy["region"] = json!(["310000"]);
        policy["recipients"]["health"]["role"] = json!("health");
        policy["recipients"]["identity"]["role"] = json!("identity");
        declare_minimum_padded_sizes(&mut policy).unwrap();
        policy
    }

    fn parse(policy: &Value) -> Result<PolicyDocument, PolicyError> {
        parse_policy_document(&serde_json::to_vec(policy).unwrap())
    }

    fn refusal(policy: &Value) -> PolicyError {
        parse(policy).unwrap_err()
    }

    fn health_minimum() -> u64 {
        v2()["forms"][0]["padded_bytes"]["health"].as_u64().unwrap()
    }

    #[test]
    fn the_minimum_is_the_size_a_v1_policy_pads_to() {
        let v1 = parse(&test_policy_value("sh", 1, today())).unwrap();
        let sizes = minimum_padded_sizes(&v1);
        assert_eq!(
            sizes["daily"]["health"],
            padded_size(&v1, "daily", "health").unwrap() as u64
        );
        assert_eq!(
            sizes["arrival"].keys().collect::<Vec<_>>(),
            ["health", "identity"]
        );
        assert_eq!(sizes["daily"].len(), 1, "daily sends identity nothing");
        assert_eq!(sizes["daily"]["health"] % 512, 0);
    }

    #[test]
    fn a_v2_policy_declaring_the_minimum_installs() {
        let document = parse(&v2()).unwrap();
        assert_eq!(
            padded_size(&document, "daily", "health").unwrap() as u64,
            health_minimum()
        );
    }

    #[test]
    fn devices_pad_to_the_declared_size() {
        let mut policy = v2();
        let declared = health_minimum() + 2048;
        policy["forms"][0]["padded_bytes"]["health"] = json!(declared);
        let document = parse(&policy).unwrap();
        assert_eq!(
            padded_size(&document, "daily", "health").unwrap() as u64,
            declared
        );
        assert_eq!(
            minimum_padded_size(&document, "daily", "health").unwrap() as u64,
            health_minimum()
        );
        let hex = "0123456789abcdef0123456789abcdef";
        let date = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let dummy = Disclosure::dummy(&document, "daily", date, hex, hex).unwrap();
        assert_eq!(dummy.plaintext("health").unwrap().len() as u64, declared);
    }

    #[test]
    fn a_missing_size_is_refused_with_the_minimum() {
        let mut policy = v2();
        policy["forms"][1]["padded_bytes"]
            .as_object_mut()
            .unwrap()
            .remove("identity");
        let error = refusal(&policy);
        assert_eq!(error.code(), "PolicyPaddedSizeMissing");
        let minimum = v2()["forms"][1]["padded_bytes"]["identity"]
            .as_u64()
            .unwrap();
        assert!(
            error
                .to_string()
                .contains(&format!("at least {minimum} bytes")),
            "{error}"
        );
        assert!(error.to_string().contains("arrival") && error.to_string().contains("identity"));

        let mut none = v2();
        none["forms"][0]
            .as_object_mut()
            .unwrap()
            .remove("padded_bytes");
        assert_eq!(refusal(&none).code(), "PolicyPaddedSizeMissing");
    }

    #[test]
    fn a_size_for_a_recipient_the_form_does_not_send_to_is_refused() {
        let mut policy = v2();
        policy["forms"][0]["padded_bytes"]["identity"] = json!(512);
        assert_eq!(refusal(&policy).code(), "PolicyPaddedSizeNotRouted");
        let mut unknown = v2();
        unknown["forms"][0]["padded_bytes"]["nobody"] = json!(512);
        assert_eq!(refusal(&unknown).code(), "PolicyPaddedSizeNotRouted");
    }

    #[test]
    fn a_size_that_is_not_a_multiple_of_the_block_is_refused() {
        let mut policy = v2();
        policy["forms"][0]["padded_bytes"]["health"] = json!(health_minimum() + 1);
        let error = refusal(&policy);
        assert_eq!(error.code(), "PolicyPaddedSizeNotBlockMultiple");
        assert!(error.to_string().contains("512"), "{error}");
    }

    #[test]
    fn a_size_above_the_limit_is_refused() {
        let mut policy = v2();
        policy["forms"][0]["padded_bytes"]["health"] = json!(MAX_DECLARED_PADDED_BYTES + 512);
        assert_eq!(refusal(&policy).code(), "PolicyPaddedSizeAboveLimit");
        policy["forms"][0]["padded_bytes"]["health"] = json!(u64::MAX);
        assert_eq!(refusal(&policy).code(), "PolicyPaddedSizeAboveLimit");
        policy["forms"][0]["padded_bytes"]["health"] = json!(MAX_DECLARED_PADDED_BYTES);
        assert!(parse(&policy).is_ok(), "the limit itself is allowed");
    }

    #[test]
    fn a_size_below_the_minimum_is_refused() {
        let mut policy = v2();
        policy["forms"][0]["padded_bytes"]["health"] = json!(health_minimum() - 512);
        let error = refusal(&policy);
        assert_eq!(error.code(), "PolicyPaddedSizeBelowMinimum");
        assert!(
            error.to_string().contains(&health_minimum().to_string()),
            "{error}"
        );
    }

    #[test]
    fn a_v1_policy_declares_no_size_and_keeps_the_computed_one() {
        let mut policy = test_policy_value("sh", 1, today());
        policy["forms"][0]["padded_bytes"] = json!({"health": 4096});
        assert_eq!(refusal(&policy).code(), "PolicyBadSetting");
    }

    #[test]
    fn every_problem_is_listed_for_check_policy() {
        let mut policy = v2();
        policy["forms"][0]["padded_bytes"] = json!({"identity": 512});
        policy["forms"][1]["padded_bytes"]["health"] = json!(1);
        let draft =
            crate::policy::parse_policy_draft(&serde_json::to_vec(&policy).unwrap()).unwrap();
        let codes: Vec<_> = padded_size_refusals(&draft)
            .iter()
            .map(PolicyError::code)
            .collect();
        assert_eq!(
            codes,
            [
                "PolicyPaddedSizeMissing",
                "PolicyPaddedSizeNotRouted",
                "PolicyPaddedSizeNotBlockMultiple"
            ]
        );
    }
}
