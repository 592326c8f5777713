//! Enrolling with a typed code (issue 14): for a phone without a camera, the person types
//! the short code the collector gave them; the device checks it, redeems it once at the
//! installed policy's drop box over the policy's pinned transport, and enrolls with the
//! signed order it gets back, exactly as with an order file.

use crate::enrollment_code::{EnrollmentCode, EnrollmentCodeError};
use crate::error::Result;
use crate::facade::SelfReport;
use crate::model::{MonitoringPeriod, ProfileId};
use crate::policy::enrollment::MAX_SIGNED_ENROLLMENT_BYTES;
use crate::sync::retry::parse_retry_after;
use crate::sync::transport::{Transport, TransportConfig};

/// The wait reported when a drop box limits redemptions without a usable `Retry-After`.
const DEFAULT_RETRY_AFTER_SECONDS: u64 = 60;

impl SelfReport {
    /// Enrolls `profile` under the installed policy `policy_id` with a typed enrollment
    /// `code`: the code is normalized and its check symbol verified first
    /// (`EnrollmentCodeMalformed`, nothing sent), then redeemed at the policy's drop box
    /// (`POST {endpoint}/enrollment-codes/redeem`, pinned as every sync is). The order it
    /// answers with (at most [`MAX_SIGNED_ENROLLMENT_BYTES`]) must be for `policy_id`
    /// (`EnrollmentOutsidePolicy`) and is then enrolled as [`SelfReport::enroll`] does.
    /// `EnrollmentCodeUnknown` for a code the drop box does not hold (never registered,
    /// used, expired), `EnrollmentCodeRateLimited` with the delay, transport codes for
    /// the network. A redeemed code is used up even when the order is then refused.
    pub async fn enroll_with_code(
        &self,
        profile: &ProfileId,
        policy_id: &str,
        code: &str,
        config: &TransportConfig,
    ) -> Result<MonitoringPeriod> {
        let code = EnrollmentCode::parse(code)?;
        self.store().profile(profile)?;
        let installed = self.store().policy(policy_id)?;
        let capped = TransportConfig {
            max_response_bytes: config.max_response_bytes.min(MAX_SIGNED_ENROLLMENT_BYTES),
            ..config.clone()
        };
        let transport = Transport::for_endpoint(&installed.document().endpoint, &capped)?;
        // The code is eleven symbols of the alphabet: nothing in it needs escaping.
        let body = format!(r#"{{"code":"{}"}}"#, code.as_str()).into_bytes();
        let reply = transport.redeem_enrollment_code(body).await?;
        match reply.status {
            200 => {}
            404 => return Err(EnrollmentCodeError::Unknown.into()),
            429 => {
                let retry_after_seconds = reply
                    .retry_after
                    .as_deref()
                    .and_then(|value| parse_retry_after(value, self.clock_now().to_utc()))
                    .map_or(DEFAULT_RETRY_AFTER_SECONDS, |delay| delay.as_secs().max(1));
                return Err(EnrollmentCodeError::RateLimited {
                    retry_after_seconds,
                }
                .into());
            }
            status => return Err(EnrollmentCodeError::Unavailable { status }.into()),
        }
        self.enroll_order(profile, &reply.body, Some(policy_id))
    }
}

#[cfg(test)]
#[path = "code_enrollment_tests.rs"]
mod tests;
