//! Minimize and seal one daily report (issue 3, "Performance"): the device-side cost of
//! turning a saved record into the sealed body that goes on the wire.
//!
//! `cargo bench -p selfreport-core --bench disclose`. Uses the example daily-report policy
//! (two recipients, 512-byte padding blocks; its recipient keys are real X25519 points).

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, NaiveDate};
use criterion::Criterion;
use selfreport_core::crypto::{hpke_seal, submission_info};
use selfreport_core::minimize::minimize;
use selfreport_core::model::{Answers, Profile, ProfileId, Record, RecordId, validate_answers};
use selfreport_core::policy::{PolicyDocument, parse_policy_document};

const POLICY: &str = include_str!("../../examples/policies/daily-report.json");
const PSEUDONYM: &str = "0123456789abcdef0123456789abcdef";
const SUBMISSION_ID: &str = "fedcba9876543210fedcba9876543210";

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).expect("date")
}

fn fixture() -> (PolicyDocument, Record, Profile) {
    let policy = parse_policy_document(POLICY.as_bytes()).expect("example policy");
    let profile = Profile {
        id: ProfileId::from_random_bytes([1; 16]),
        display_name: "妈妈".to_owned(),
        name: Some("王秀英".to_owned()),
        id_number: None,
        phone: Some("+8613912345678".to_owned()),
        birth_date: None,
        passport_number: None,
    };
    let form = policy.form("daily").expect("daily form");
    let answers = Answers::new()
        .text("temperature", "37.6")
        .text("symptoms", "cough,fatigue")
        .text("district", "310104")
        .text("contact_with_case", "no");
    let values = validate_answers(form, &profile, answers, day(), day()).expect("answers");
    let record = Record {
        id: RecordId::from_random_bytes([2; 16]),
        profile_id: profile.id.clone(),
        policy_id: policy.id.clone(),
        policy_version: policy.version,
        form_id: "daily".to_owned(),
        date: day(),
        values,
        revision: 1,
        amends: None,
        saved_at: DateTime::parse_from_rfc3339("2026-11-28T08:00:00+08:00").expect("time"),
    };
    (policy, record, profile)
}

/// Minimizes the record and seals each recipient's padded part with HPKE.
fn minimize_and_seal(policy: &PolicyDocument, record: &Record, profile: &Profile) -> usize {
    use base64::Engine as _;
    let disclosure = minimize(policy, record, profile, PSEUDONYM, SUBMISSION_ID).expect("minimize");
    let mut sealed_bytes = 0;
    for recipient in disclosure.parts().keys() {
        let declared = &policy.recipients[recipient];
        let key: [u8; 32] = base64::engine::general_purpose::STANDARD
            .decode(&declared.public_key)
            .expect("base64")
            .try_into()
            .expect("32 bytes");
        let plaintext = disclosure.plaintext(recipient).expect("plaintext");
        let info = submission_info(&policy.id, policy.version, recipient);
        let sealed = hpke_seal(
            &declared.suite,
            &key,
            &info,
            SUBMISSION_ID.as_bytes(),
            &plaintext,
        )
        .expect("seal");
        sealed_bytes += sealed.ct.len();
    }
    sealed_bytes
}

fn main() {
    let (policy, record, profile) = fixture();
    let mut criterion = Criterion::default()
        .sample_size(50)
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let mut group = criterion.benchmark_group("disclose");
    group.bench_function("minimize", |b| {
        b.iter(|| {
            black_box(minimize(
                &policy,
                &record,
                &profile,
                PSEUDONYM,
                SUBMISSION_ID,
            ))
        })
    });
    group.bench_function("minimize_and_seal_daily_report", |b| {
        b.iter(|| black_box(minimize_and_seal(&policy, &record, &profile)))
    });
    group.finish();
    criterion.final_summary();
}
