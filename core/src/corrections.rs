//! [`SelfReport::needs_correction`]: the stored profiles and records whose values today's
//! rules refuse, each value kept as it was and flagged for the person to correct.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Result;
use crate::facade::SelfReport;
use crate::model::{Correction, ProfileId, RecordId, profile_corrections, record_corrections};
use crate::policy::VerifiedPolicy;

/// A stored profile with attributes today's rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlaggedProfile {
    /// The profile.
    pub profile_id: ProfileId,
    /// What each refused attribute needs.
    pub corrections: Vec<Correction>,
}

/// A stored record with values today's rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlaggedRecord {
    /// The record.
    pub record_id: RecordId,
    /// Whose record it is.
    pub profile_id: ProfileId,
    /// The policy it was filed under.
    pub policy_id: String,
    /// The form it fills.
    pub form_id: String,
    /// What each refused value needs.
    pub corrections: Vec<Correction>,
}

/// Everything stored that today's rules refuse. Nothing in it was changed or dropped:
/// the app shows it and the person corrects it (a profile edit, an amended record).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NeedsCorrection {
    /// Profiles, in the order [`SelfReport::profiles`] lists them.
    pub profiles: Vec<FlaggedProfile>,
    /// Records, in the order [`SelfReport::records`] lists them.
    pub records: Vec<FlaggedRecord>,
}

impl NeedsCorrection {
    /// Whether nothing stored needs correcting.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty() && self.records.is_empty()
    }
}

impl SelfReport {
    /// Rechecks every stored profile and record against today's rules and lists what
    /// they refuse. Records are checked against the installed version of their policy's
    /// form; records whose policy is no longer installed are not rechecked.
    pub fn needs_correction(&self) -> Result<NeedsCorrection> {
        let today = self.today();
        let profiles = self
            .profiles()?
            .into_iter()
            .filter_map(|profile| {
                let corrections = profile_corrections(&profile, today);
                (!corrections.is_empty()).then_some(FlaggedProfile {
                    profile_id: profile.id,
                    corrections,
                })
            })
            .collect();
        let policies: BTreeMap<String, VerifiedPolicy> = self
            .store()
            .policies()?
            .into_iter()
            .map(|policy| (policy.id().to_owned(), policy))
            .collect();
        let records = self
            .records()?
            .records
            .into_iter()
            .filter_map(|stored| {
                let record = stored.record;
                let form = policies
                    .get(&record.policy_id)?
                    .document()
                    .form(&record.form_id)?;
                let corrections = record_corrections(&record, form, today);
                (!corrections.is_empty()).then_some(FlaggedRecord {
                    record_id: record.id,
                    profile_id: record.profile_id,
                    policy_id: record.policy_id,
                    form_id: record.form_id,
                    corrections,
                })
            })
            .collect();
        Ok(NeedsCorrection { profiles, records })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::DateTime;

    use super::*;
    use crate::clock::FixedClock;
    use crate::facade::Options;
    use crate::model::{Answers, FieldValue, NewProfile, Profile, Rule};
    use crate::policy::test_support::{anchor_for, signed, test_key, test_policy_json, today};
    use crate::store::test_support::key_source;
    use crate::store::{NewRecord, OutboxState};

    #[test]
    fn values_saved_under_older_rules_are_kept_and_flagged_never_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-28T09:00:00+08:00").unwrap();
        let key = test_key();
        let options = Options {
            trust_anchors: anchor_for(&key),
            clock: Arc::new(FixedClock::new(now)),
        };
        let core = SelfReport::create(dir.path(), &key_source(9), options).unwrap();
        core.install_policy(&signed(&key, &test_policy_json("sh", 1, today())))
            .unwrap();
        let valid = core
            .add_profile(NewProfile {
                display_name: "Grandpa".into(),
                phone: Some("+86 138 0013 8000".into()),
                ..NewProfile::default()
            })
            .unwrap();
        assert!(core.needs_correction().unwrap().is_empty());

        // A profile and a record as older versions stored them: a phone number with its
        // trunk 0 kept, an ID whose region code never existed, an abolished district.
        let old = Profile {
            id_number: Some("110199199001010029".into()),
            phone: Some("+8602156748728".into()),
            ..core.profiles().unwrap()[0].clone()
        };
        let old = core.store().insert_profile_as_stored(old).unwrap();
        let policy = core.store().policy("sh").unwrap();
        let record = core
            .store()
            .save_record(NewRecord {
                profile_id: old.id.clone(),
                policy_id: "sh".into(),
                policy_version: 1,
                form_id: "daily".into(),
                once_per: policy.document().form("daily").unwrap().once_per,
                date: today(),
                values: [
                    (
                        "temperature".to_owned(),
                        FieldValue::Temperature(crate::model::Temperature::from_tenths(366)),
                    ),
                    ("district".to_owned(), FieldValue::District("110103".into())),
                ]
                .into_iter()
                .collect(),
                saved_at: now,
                retention_days: 28,
            })
            .unwrap();

        let flagged = core.needs_correction().unwrap();
        assert_eq!(flagged.profiles.len(), 1);
        assert_eq!(flagged.profiles[0].profile_id, old.id);
        let rules: Vec<_> = flagged.profiles[0]
            .corrections
            .iter()
            .map(|c| (c.error.field.as_str(), c.error.rule.code()))
            .collect();
        assert_eq!(
            rules,
            [("id_number", "UnknownDistrict"), ("phone", "Format")]
        );
        assert_eq!(flagged.records.len(), 1);
        assert_eq!(flagged.records[0].record_id, record.id);
        assert_eq!(
            flagged.records[0].corrections[0].error.rule,
            Rule::DistrictAbolished { last_year: 2010 }
        );

        // Kept as they were: listed, readable, exported, and still usable.
        let profiles = core.profiles().unwrap();
        assert_eq!(profiles.len(), 2);
        let stored = profiles.iter().find(|p| p.id == old.id).unwrap();
        assert_eq!(stored.phone.as_deref(), Some("+8602156748728"));
        let stored_record = core.record(&record.id).unwrap();
        assert_eq!(stored_record.state, OutboxState::Saved);
        assert_eq!(
            stored_record.record.value("district"),
            Some(&FieldValue::District("110103".into()))
        );
        let export = core.export().unwrap();
        assert_eq!(export.needs_correction, flagged);
        assert_eq!(export.profiles.len(), 2);
        assert!(profiles.iter().any(|p| p.id == valid));

        // Correcting the record (a new save of the same day) clears its flag.
        core.save_record(
            &old.id,
            "sh",
            "daily",
            None,
            Answers::new()
                .text("temperature", "36.6")
                .text("district", "110101"),
        )
        .unwrap();
        assert!(core.needs_correction().unwrap().records.is_empty());
    }
}
