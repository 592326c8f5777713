//! `selfreport-authority confirm-arrival`: the checkpoint confirms a traveler's
//! pre-registration in person (issue 14).
//!
//! The worker scans the arrival pass the traveler's device shows
//! ([`selfreport_core::arrival_pass`]). When its proof holds (the device holds the key the
//! pre-registration's pseudonym commits to, and showed the pass within the last ten
//! minutes) and the register holds no confirmation of that pseudonym yet, the checkpoint
//! issues an enrollment order bound to the pseudonym (reason `arrival`, every form the
//! policy files under orders, once a day, the policy's monitoring period from `start`)
//! and appends a signed confirmation to the register ([`crate::arrival_confirmation`]).
//! The device enrolls that order; the authority's `open --confirmations` then shows the
//! pre-registration confirmed, and the daily reports under the order carry the same
//! pseudonym.
//!
//! What the pass cannot prove is who the person is: the worker checks the identity
//! document in front of them against the registration the device shows before confirming.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use selfreport_core::arrival_pass::ArrivalPass;
use selfreport_core::policy::region::RegionCode;
use selfreport_core::policy::{FormEnrollment, PolicyError};

use crate::arrival_confirmation::{ArrivalConfirmation, ConfirmationRegister, append_line};
use crate::enrollment::{EnrollmentOutput, EnrollmentRequest, enroll_file};
use crate::error::{AuthorityError, Result};
use crate::keyfile::read_signing_key;
use crate::policy_file::PolicyFile;

/// What the checkpoint confirms with.
#[derive(Debug)]
pub struct ArrivalCheck<'a> {
    /// The pass text, as scanned.
    pub pass: &'a [u8],
    /// The signed policy, its signature verified (read with a trust anchor).
    pub policy: &'a PolicyFile,
    /// The key that signed the policy (the collector's): it signs the order and the
    /// confirmation.
    pub key_path: &'a Path,
    /// The county-level district the person will be monitored in.
    pub district: String,
    /// The first day of monitoring.
    pub start: NaiveDate,
    /// The confirmation register (created on first use).
    pub register: &'a Path,
    /// Where to write the order (and its QR code beside it).
    pub out: &'a Path,
    /// Now, for the pass's freshness and the confirmation's time.
    pub now: DateTime<Utc>,
}

/// What the checkpoint did.
#[derive(Debug)]
pub struct ConfirmedArrival {
    /// The pass whose proof held.
    pub pass: ArrivalPass,
    /// The order issued, bound to the pass's pseudonym.
    pub request: EnrollmentRequest,
    /// Where it was written.
    pub order: EnrollmentOutput,
    /// The confirmation appended to the register.
    pub confirmation: ArrivalConfirmation,
}

impl ConfirmedArrival {
    /// The lines `confirm-arrival` prints.
    pub fn describe(&self) -> Vec<String> {
        vec![
            format!(
                "arrival pass verified: the device showing it filed pre-registration {} under {} (shown at {})",
                self.pass.pseudonym,
                self.pass.policy_id,
                self.pass.shown_at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            format!(
                "confirmed at {}: the order binds monitoring from {} for {} days to that registration",
                self.confirmation.confirmed_at, self.request.start, self.request.days
            ),
            self.order.describe(&self.request),
        ]
    }
}

/// Verifies the pass and, if it holds and the pre-registration was not confirmed before,
/// issues the bound order and records the confirmation. Nothing is written when a check
/// fails; if the register cannot be appended to, the order files are removed again.
pub fn confirm_arrival(check: &ArrivalCheck<'_>) -> Result<ConfirmedArrival> {
    let document = check.policy.document();
    let signer = check
        .policy
        .signer_key()
        .ok_or_else(|| AuthorityError::ConfirmationRefused {
            path: check.register.to_path_buf(),
            line: 0,
            detail: "the policy's signature was not verified: give its trust anchor".to_owned(),
        })?;
    let key = read_signing_key(check.key_path)?;
    if key.public_key() != *signer {
        return Err(PolicyError::EnrollmentBadSignature {
            detail: format!(
                "key {} did not sign policy {}: orders and confirmations are signed by the \
                 policy's signer",
                key.key_id(),
                document.id
            ),
        }
        .into());
    }
    let pass = ArrivalPass::verify(check.pass, &document.id, check.now)?;
    if !document.forms.iter().any(|form| form.is_open_intake()) {
        return Err(outside(format!(
            "policy {} has no pre-registration form (open intake) to confirm",
            document.id
        )));
    }
    let forms: Vec<(String, u32)> = document
        .forms
        .iter()
        .filter(|form| form.enrollment == FormEnrollment::Required)
        .map(|form| (form.id.clone(), 1))
        .collect();
    if forms.is_empty() {
        return Err(outside(format!(
            "policy {} files no form under orders: there is nothing to enroll for",
            document.id
        )));
    }
    let monitoring = document
        .monitoring
        .ok_or_else(|| outside(format!("policy {} sets no monitoring period", document.id)))?;
    // The period ends with the policy's validity at the latest: a device refuses an order
    // reaching past it.
    let days_left = document
        .valid_until
        .signed_duration_since(check.start)
        .num_days()
        .saturating_add(1);
    let days = u32::try_from(days_left.clamp(0, i64::from(monitoring.days))).unwrap_or(0);
    if days == 0 || check.start < document.valid_from {
        return Err(outside(format!(
            "{} is outside policy {}'s validity ({} to {})",
            check.start, document.id, document.valid_from, document.valid_until
        )));
    }
    // The district must be one the device accepts (a county inside the policy's
    // regions): once confirmed, a pass is not confirmed again.
    let county = RegionCode::parse(&check.district).filter(|_| !check.district.ends_with("00"));
    let inside = county.is_some_and(|county| {
        document
            .region
            .iter()
            .filter_map(|region| RegionCode::parse(region))
            .any(|region| region.covers(&county))
    });
    if !inside {
        return Err(outside(format!(
            "district {} is not a county inside policy {}'s regions ({})",
            check.district,
            document.id,
            document.region.join(", ")
        )));
    }
    let register = ConfirmationRegister::read(check.register, signer, true)?;
    if let Some(earlier) = register.find(&document.id, &pass.pseudonym) {
        return Err(AuthorityError::AlreadyConfirmed {
            policy_id: document.id.clone(),
            pseudonym: pass.pseudonym.clone(),
            confirmed_at: earlier.confirmed_at.clone(),
        });
    }
    let request = EnrollmentRequest {
        policy_id: document.id.clone(),
        district: check.district.clone(),
        start: check.start,
        days,
        reason: "arrival".to_owned(),
        forms,
        pseudonym: Some(pass.pseudonym.clone()),
        issued_at: Some(check.now),
    };
    let order = enroll_file(check.key_path, &request, check.out)?;
    let confirmation =
        ArrivalConfirmation::new(&document.id, &pass.pseudonym, &check.district, check.now);
    if let Err(error) = append_line(check.register, &confirmation.signed_line(&key)) {
        let written: [&PathBuf; 3] = [&order.out_path, &order.qr_paths[0], &order.qr_paths[1]];
        for path in written {
            let _ = std::fs::remove_file(path);
        }
        return Err(error);
    }
    Ok(ConfirmedArrival {
        pass,
        request,
        order,
        confirmation,
    })
}

fn outside(detail: String) -> AuthorityError {
    PolicyError::EnrollmentOutsidePolicy { detail }.into()
}
