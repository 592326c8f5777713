//! A person enrolled by a collector's signed order (issue 14): the order starts their
//! monitoring period, and forms open only to enrolled people are filed only inside it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::facade::SelfReport;
use crate::model::{
    MonitoringPeriod, MonitoringReason, PeriodOrder, ProfileId, Rule, ValidationError,
};
use crate::policy::enrollment::{OrderReason, SignedEnrollment};
use crate::policy::{Form, FormEnrollment, OncePer, PolicyDocument, PolicyError};
use crate::store::NewMonitoringPeriod;

/// The field id problems with the record's own date are reported under.
const DATE_FIELD: &str = "date";

impl SelfReport {
    /// Enrolls `profile` under a collector's signed order (`selfreport.enrollment/1`, the
    /// bytes of the order file or of what the drop box gave for a typed code): the order
    /// is verified against its installed policy (signed by the key that signed the
    /// policy, for forms it declares `enrollment: required`, a district inside its
    /// regions, a period inside its validity), then its monitoring period starts for the
    /// person. `PolicyRefused`-style codes (`EnrollmentMalformed`, `EnrollmentBadSignature`,
    /// `EnrollmentOutsidePolicy`) for an order that does not hold; `Conflict` when the
    /// person already has a period under the policy on one of its days.
    pub fn enroll(&self, profile: &ProfileId, order: &[u8]) -> Result<MonitoringPeriod> {
        self.enroll_order(profile, order, None)
    }

    /// [`SelfReport::enroll`], refusing (`EnrollmentOutsidePolicy`) an order for another
    /// policy than `expected` when given: what a drop box answered for a typed code must
    /// be for the policy whose drop box was asked.
    // Not inlined: every caller (the bindings' `enroll`, a typed code's redemption) shares
    // one copy (13.5 KB of the shipped library).
    #[inline(never)]
    pub(crate) fn enroll_order(
        &self,
        profile: &ProfileId,
        order: &[u8],
        expected: Option<&str>,
    ) -> Result<MonitoringPeriod> {
        self.store().profile(profile)?;
        let signed_bytes = order;
        let signed = SignedEnrollment::parse(order)?;
        if expected.is_some_and(|expected| expected != signed.order().policy_id) {
            return Err(PolicyError::EnrollmentOutsidePolicy {
                detail: "the drop box gave an order for another policy".to_owned(),
            }
            .into());
        }
        let policy = self.store().policy(&signed.order().policy_id)?;
        let order = signed.verify(&policy, self.trust_anchors(), self.today())?;
        let document = policy.document();
        if let Some(bound) = &order.pseudonym {
            if *bound != self.store().pseudonym(profile, &document.id)? {
                return Err(PolicyError::EnrollmentOutsidePolicy {
                    detail: "the order confirms another person's pre-registration (it is \
                             bound to a pseudonym this profile does not have)"
                        .to_owned(),
                }
                .into());
            }
        }
        let period = self.store().add_monitoring_period(NewMonitoringPeriod {
            profile_id: profile.clone(),
            policy_id: document.id.clone(),
            start: order.start,
            days: order.days,
            reason: match order.reason {
                OrderReason::Arrival => MonitoringReason::Arrival,
                OrderReason::CloseContact | OrderReason::SecondaryContact => {
                    MonitoringReason::Contact
                }
            },
            retention_days: document.retention.device_days,
            order: Some(PeriodOrder {
                district: order.district.clone(),
                forms: order.forms.clone(),
                secret: URL_SAFE_NO_PAD.encode(order.secret.as_slice()),
                issued_at: order.issued_at.to_rfc3339(),
                signed: Some(URL_SAFE_NO_PAD.encode(signed_bytes)),
            }),
        })?;
        Ok(period)
    }

    /// For a form open only to enrolled people: refuses (`NotEnrolled` on `date`) a day
    /// outside every period an order set for the person under the policy and naming the
    /// form.
    pub(crate) fn check_enrolled(
        &self,
        profile: &ProfileId,
        policy: &PolicyDocument,
        form: &Form,
        date: NaiveDate,
    ) -> Result<()> {
        if form.enrollment != FormEnrollment::Required
            || self
                .ordered_district(profile, policy, form, date)?
                .is_some()
        {
            Ok(())
        } else {
            Err(ValidationError::new(DATE_FIELD, Rule::NotEnrolled).into())
        }
    }

    /// The monitoring district of the order whose period covers `date` for the person
    /// under the policy and names the form; `None` when no order does.
    pub(crate) fn ordered_district(
        &self,
        profile: &ProfileId,
        policy: &PolicyDocument,
        form: &Form,
        date: NaiveDate,
    ) -> Result<Option<String>> {
        Ok(self
            .store()
            .monitoring_periods()?
            .into_iter()
            .filter(|period| {
                &period.profile_id == profile
                    && period.policy_id == policy.id
                    && period.start <= date
                    && date <= period.last_day()
            })
            .find_map(|period| {
                period
                    .order
                    .filter(|order| order.forms.contains_key(&form.id))
                    .map(|order| order.district)
            }))
    }

    /// Refuses to start a self-declared period under a policy whose monitored forms are
    /// all open only to enrolled people: their periods come from orders.
    pub(crate) fn check_self_monitoring_allowed(&self, policy: &PolicyDocument) -> Result<()> {
        let monitored = policy
            .forms
            .iter()
            .filter(|form| form.requires_monitoring && form.once_per == OncePer::Day);
        let mut any = false;
        for form in monitored {
            any = true;
            if form.enrollment == FormEnrollment::Open {
                return Ok(());
            }
        }
        if any {
            Err(Error::Conflict(format!(
                "policy {}'s monitored forms are filed only under a collector's enrollment \
                 order: enroll with the order instead of starting a period",
                policy.id
            )))
        } else {
            Ok(())
        }
    }
}

/// Refuses a change to a period an order set: it is the collector's, not the person's.
pub(crate) fn check_not_ordered(period: &MonitoringPeriod) -> Result<()> {
    if period.order.is_some() {
        Err(Error::Conflict(
            "this monitoring period was set by the collector's enrollment order: the person \
             cannot end or correct it"
                .to_owned(),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
#[path = "enrollment_tests.rs"]
mod tests;
