//! Changing what the device keeps about the household: a profile edited or deleted, a
//! monitoring period ended early. Short store writes, on the caller's thread.

use crate::convert;
use crate::dates::LocalDate;
use crate::error::SelfReportError;
use crate::facade::{SelfReport, logged};
use crate::ids::{MonitoringId, ProfileId};
use crate::runtime;
use crate::types::{MonitoringInfo, NewProfile, ProfileInfo};

type Result<T> = std::result::Result<T, SelfReportError>;

/// What deleting a profile removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct ProfileRemoval {
    /// Its records (none had been queued or sent), deleted with their keys.
    pub records: u64,
    /// Its monitoring periods, deleted.
    pub monitoring_periods: u64,
}

#[uniffi::export]
impl SelfReport {
    /// Replaces a profile's attributes, validated as `add_profile` validates them. Its id
    /// stays, so its records, periods and pseudonyms stay its own. `InvalidInput` names
    /// the attribute at fault; nothing changes.
    pub fn update_profile(
        &self,
        profile_id: ProfileId,
        profile: NewProfile,
    ) -> Result<ProfileInfo> {
        let id = profile_id.core()?;
        let updated = logged(
            "update_profile",
            self.core()?
                .update_profile(&id, convert::new_profile(profile)),
        )?;
        Ok(convert::profile_info(updated))
    }

    /// Deletes a profile with its monitoring periods, its saved records and the keys its
    /// pseudonyms were derived with. Refused (`Conflict`, nothing deleted) while it has
    /// reports queued or sent: those, with the tokens that ask the drop box to delete
    /// them, stay until their retention ends (`purge`) or a deletion request.
    pub fn delete_profile(&self, profile_id: ProfileId) -> Result<ProfileRemoval> {
        let id = profile_id.core()?;
        let removal = logged("delete_profile", self.core()?.remove_profile(&id))?;
        Ok(ProfileRemoval {
            records: u64::try_from(removal.records).unwrap_or(u64::MAX),
            monitoring_periods: u64::try_from(removal.monitoring_periods).unwrap_or(u64::MAX),
        })
    }

    /// Enrolls a profile under a collector's signed enrollment order
    /// (`selfreport.enrollment/1`: the bytes of the order file, or of its QR code). The
    /// order is verified against its installed policy (signed by the key that signed the
    /// policy, a district inside its regions, forms it declares `enrollment: required`,
    /// a period inside its validity), then its monitoring period starts; the forms it
    /// names are filed only inside such a period. `PolicyRefused` with the code
    /// `EnrollmentMalformed`, `EnrollmentBadSignature` or `EnrollmentOutsidePolicy` for an
    /// order that does not hold (nothing changes); `Conflict` when a period of the person
    /// under the policy shares a day with it.
    pub fn enroll(&self, profile_id: ProfileId, order: Vec<u8>) -> Result<MonitoringInfo> {
        let id = profile_id.core()?;
        let period = logged("enroll", self.core()?.enroll(&id, &order))?;
        Ok(convert::monitoring_info(period))
    }

    /// The arrival pass the app shows at the checkpoint as a QR code (its text, UTF-8
    /// JSON of about 300 bytes): proof that this device filed the profile's
    /// pre-registration under `policy_id`, so the checkpoint can confirm it in person and
    /// issue an enrollment order bound to it (then `enroll` that order). Valid for ten
    /// minutes from now: make a new one each time the screen shows it. `NotFound` when the
    /// profile filed no pre-registration under the policy; `Conflict` for one filed before
    /// arrival passes existed.
    pub fn arrival_pass(&self, profile_id: ProfileId, policy_id: String) -> Result<String> {
        let id = profile_id.core()?;
        logged("arrival_pass", self.core()?.arrival_pass(&id, &policy_id))
    }

    /// Enrolls a profile with a typed enrollment code (for a phone without a camera):
    /// the code is normalized and checked on the device first (`InvalidInput` with the
    /// code `EnrollmentCodeMalformed`, nothing sent), then redeemed once at the drop box
    /// of the installed policy `policy_id` over its pinned transport, and the order it
    /// gives is enrolled as `enroll` does (an order for another policy: `PolicyRefused`,
    /// `EnrollmentOutsidePolicy`). `NotFound` (`EnrollmentCodeUnknown`) for a code the
    /// drop box does not hold (never registered, already used, expired); `Network` with
    /// `EnrollmentCodeRateLimited` (the wait in `detail`), `EnrollmentCodeUnavailable` or
    /// a transport code otherwise. Runs on the core's threads.
    pub async fn enroll_with_code(
        &self,
        profile_id: ProfileId,
        policy_id: String,
        code: String,
    ) -> Result<MonitoringInfo> {
        let id = profile_id.core()?;
        let core = self.core()?;
        let transport = self.transport_config();
        let period = runtime::spawned(async move {
            let enrolled = core
                .enroll_with_code(&id, &policy_id, &code, &transport)
                .await;
            logged("enroll_with_code", enrolled)
        })
        .await?;
        Ok(convert::monitoring_info(period))
    }

    /// Ends a monitoring period early: `last_day` (default today) becomes its last day,
    /// so nothing is due after it. `Conflict` when that day is before the period's start
    /// or not before its current last day (ending never lengthens a period).
    pub fn end_monitoring(
        &self,
        monitoring_id: MonitoringId,
        last_day: Option<LocalDate>,
    ) -> Result<MonitoringInfo> {
        let id = monitoring_id.core()?;
        let period = logged("end_monitoring", self.core()?.end_monitoring(&id, last_day))?;
        Ok(convert::monitoring_info(period))
    }
}
