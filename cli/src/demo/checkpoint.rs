//! The demo's checkpoint scene (issue 14): the father arrives, his phone shows an arrival
//! pass, the checkpoint confirms his pre-registration in person and issues an order bound
//! to it, and his phone enrolls with that order, which starts his monitoring period.

use std::fs;
use std::path::Path;

use selfreport_core::model::{MonitoringPeriod, ProfileId};
use selfreport_core::{Clock, SelfReport};
use selfreport_endpoint::checkpoint::{ArrivalCheck, confirm_arrival};
use selfreport_endpoint::policy_file::PolicyFile;
use serde_json::Value;

use super::policy_setup::ORDERED_POLICY;
use super::{Demo, authority_failure, internal, relative, say};
use crate::failure::Failure;

/// The county the checkpoint monitors him in (Huangpu, Shanghai).
const FATHER_DISTRICT: &str = "310101";

impl Demo {
    /// At the checkpoint: pass, confirmation, bound order, enrollment. Returns his period.
    pub(super) fn checkpoint(
        &self,
        report: &SelfReport,
        father: &ProfileId,
        office_key: &Path,
        signed_policy: &Path,
    ) -> Result<MonitoringPeriod, Failure> {
        self.step(&format!(
            "{}: he arrives. At the checkpoint his phone shows an arrival pass as a QR code; the \
             worker compares his resident ID card with the registration the phone shows, then \
             scans the pass.",
            self.clock.today()
        ))?;
        let pass = report.arrival_pass(father, ORDERED_POLICY)?;
        let fields: Value =
            serde_json::from_str(&pass).map_err(|_| internal("the pass is not JSON"))?;
        say(&format!(
            "   The pass names his pre-registration's pseudonym {} and is signed, at {}, by a key only \
             his phone holds: the pseudonym is a hash of that key. It is good for ten minutes.",
            fields["pseudonym"].as_str().unwrap_or("?"),
            fields["shown_at"].as_str().unwrap_or("?")
        ))?;
        let now = self.clock.now().with_timezone(&chrono::Utc);
        let root = self.dir.join("commission").join("signing.pub");
        let policy = PolicyFile::read(signed_policy, Some(&root), now.date_naive())
            .map_err(authority_failure)?;
        let authority = self.dir.join("authority");
        let register = authority.join("confirmations.jsonl");
        let order_path = authority.join("order-checkpoint.json");
        let confirmed = confirm_arrival(&ArrivalCheck {
            pass: pass.as_bytes(),
            policy: &policy,
            key_path: office_key,
            district: FATHER_DISTRICT.to_owned(),
            start: self.clock.today(),
            register: &register,
            out: &order_path,
            now,
        })
        .map_err(authority_failure)?;
        say(&format!(
            "   selfreport-authority confirm-arrival verified the pass and issued an order bound to \
             that registration: reason arrival, district {FATHER_DISTRICT}, {} days from {}, forms {} \
             ({}); it signed a line into {}.",
            confirmed.request.days,
            confirmed.request.start,
            confirmed
                .request
                .forms
                .iter()
                .map(|(form, _)| form.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            relative(&self.dir, &order_path),
            relative(&self.dir, &register)
        ))?;
        let order = fs::read(&order_path).map_err(|error| {
            Failure::io(format!("cannot read {}", order_path.display()), &error)
        })?;
        let period = report.enroll(father, &order)?;
        say(
            "   His phone scans the order's QR code and enrolls him; the order would enroll no \
             other phone: it names his pseudonym.",
        )?;
        Ok(period)
    }
}
