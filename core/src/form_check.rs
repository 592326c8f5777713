//! Checking a form's answers without saving them: what a UI calls as the person types,
//! so every rule lives in the core and no app keeps a copy of it.

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::facade::SelfReport;
use crate::model::{Answers, ProfileId, ValidationError, check_answers};

/// The field id problems with the record's own date are reported under.
const DATE_FIELD: &str = "date";

impl SelfReport {
    /// Every problem [`SelfReport::save_record`] would refuse these answers for, all at
    /// once and at most one per field, without saving anything: problems with the
    /// record's date (field `"date"`: after today, before the person's arrival) first,
    /// then the answers' in the order `save_record` checks them. Empty when a save would
    /// pass validation.
    ///
    /// Errors are about the call itself: an unknown profile, policy or form
    /// (`NotFound`), or a store that cannot be read.
    pub fn check_answers(
        &self,
        profile_id: &ProfileId,
        policy_id: &str,
        form_id: &str,
        date: Option<NaiveDate>,
        answers: Answers,
    ) -> Result<Vec<ValidationError>> {
        let today = self.today();
        let date = date.unwrap_or(today);
        let profile = self.store().profile(profile_id)?;
        let policy = self.store().policy(policy_id)?;
        let document = policy.document();
        let form = document.form(form_id).ok_or_else(|| Error::NotFound {
            what: "form",
            id: form_id.to_owned(),
        })?;
        let mut problems = check_answers(form, &profile, answers, date, today);
        if !problems.iter().any(|problem| problem.field == DATE_FIELD) {
            let day_checks = self
                .check_not_before_arrival(profile_id, document, form, date)
                .and_then(|()| self.check_enrolled(profile_id, document, form, date));
            match day_checks {
                Ok(()) => {}
                Err(Error::Invalid(problem)) => problems.insert(0, problem),
                Err(other) => return Err(other),
            }
        }
        Ok(problems)
    }
}
