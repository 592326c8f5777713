//! A person enrolled by an order: the order starts the period, required forms are filed
//! only inside it, and the period is the collector's.

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::error::Error;
use crate::facade::tests::{Setup, setup as facade_setup};
use crate::model::{Answers, MonitoringReason, Rule};
use crate::policy::enrollment::sign_enrollment;
use crate::policy::test_support::{policy_v2, signed_under};

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// The facade tests' store with `sh-arrivals` (`/2`) installed, its daily form open only
/// to enrolled people, signed by the store's trusted key. Today is 28 November.
fn setup() -> Setup {
    let s = facade_setup("2026-11-28T09:00:00+08:00");
    let mut policy = policy_v2();
    policy["forms"][0]["enrollment"] = json!("required");
    // Its health parts now carry the order's district.
    crate::policy::declare_minimum_padded_sizes(&mut policy).unwrap();
    s.core
        .install_policy(&signed_under(&s.key, &policy, &[]))
        .expect("the policy installs");
    s
}

fn order(start: &str) -> Value {
    json!({
        "format": "selfreport.enrollment/1",
        "policy_id": "sh-arrivals",
        "monitoring": {"start": start, "days": 14},
        "reason": "arrival",
        "district": "310101",
        "forms": {"daily": {"per_day": 1}},
        "secret": "AAECAwQFBgcICQoLDA0ODw",
        "issued_at": "2026-11-27T18:00:00+08:00"
    })
}

fn signed_order(s: &Setup, document: &Value) -> Vec<u8> {
    sign_enrollment(&s.key, &serde_json::to_vec(document).unwrap()).unwrap()
}

fn daily(s: &Setup, day: &str) -> crate::error::Result<crate::store::SavedRecord> {
    s.core.save_record(
        &s.profile,
        "sh-arrivals",
        "daily",
        Some(date(day)),
        Answers::new()
            .text("temperature", "36.6")
            .text("symptoms", ""),
    )
}

/// The JSON `recipient`'s part of a saved record will seal, as its preview shows it.
fn part_json(s: &Setup, record: &crate::model::RecordId, recipient: &str) -> String {
    s.core
        .preview(record)
        .unwrap()
        .parts
        .into_iter()
        .find(|part| part.recipient == recipient)
        .unwrap()
        .json
}

fn not_enrolled(result: crate::error::Result<crate::store::SavedRecord>) -> bool {
    matches!(result, Err(Error::Invalid(ref problem)) if problem.field == "date" && problem.rule == Rule::NotEnrolled)
}

#[test]
fn a_required_form_is_refused_until_an_order_enrolls_the_person() {
    let s = setup();
    assert!(not_enrolled(daily(&s, "2026-11-28")));
    // A self-declared period does not open it, and cannot be started under this policy.
    let refused = s.core.start_monitoring(
        &s.profile,
        "sh-arrivals",
        None,
        MonitoringReason::SelfReported,
    );
    assert!(matches!(refused, Err(Error::Conflict(_))), "{refused:?}");

    let period = s
        .core
        .enroll(&s.profile, &signed_order(&s, &order("2026-11-27")))
        .expect("the order enrolls");
    assert_eq!((period.start, period.days), (date("2026-11-27"), 14));
    assert_eq!(period.reason, MonitoringReason::Arrival);
    let ordered = period.order.as_ref().expect("the order is kept");
    assert_eq!(ordered.district, "310101");
    assert!(
        !format!("{period:?}").contains("AAECAw"),
        "the secret is never printed"
    );

    assert!(daily(&s, "2026-11-28").is_ok());
    // Outside the ordered days, still refused; checking says so without saving.
    s.clock.advance_days(20);
    assert!(not_enrolled(daily(&s, "2026-12-11")));
    let problems = s
        .core
        .check_answers(
            &s.profile,
            "sh-arrivals",
            "daily",
            Some(date("2026-12-11")),
            Answers::new()
                .text("temperature", "36.6")
                .text("symptoms", ""),
        )
        .unwrap();
    assert_eq!(problems[0].rule, Rule::NotEnrolled);
    // The open form (the pre-registration) needs no order.
    assert!(
        s.core
            .save_record(
                &s.profile,
                "sh-arrivals",
                "arrival",
                None,
                Answers::new().text("arrival_date", "2026-12-18"),
            )
            .is_ok()
    );
}

#[test]
fn an_ordered_period_is_the_collectors_and_a_bad_order_changes_nothing() {
    let s = setup();
    let period = s
        .core
        .enroll(&s.profile, &signed_order(&s, &order("2026-11-27")))
        .unwrap();
    assert!(matches!(
        s.core.end_monitoring(&period.id, None),
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        s.core
            .correct_monitoring(&period.id, Some(date("2026-11-20")), None),
        Err(Error::Conflict(_))
    ));
    // A second order on the same days overlaps.
    assert!(matches!(
        s.core
            .enroll(&s.profile, &signed_order(&s, &order("2026-12-01"))),
        Err(Error::Conflict(_))
    ));
    // An order signed by another key, or outside the policy's regions, enrolls nobody.
    let other = crate::policy::test_support::test_key();
    let foreign =
        sign_enrollment(&other, &serde_json::to_vec(&order("2026-12-20")).unwrap()).unwrap();
    let refused = s.core.enroll(&s.profile, &foreign).unwrap_err();
    assert_eq!(refused.code(), "EnrollmentBadSignature");
    let mut wuhan = order("2026-12-20");
    wuhan["district"] = json!("420106");
    let refused = s
        .core
        .enroll(&s.profile, &signed_order(&s, &wuhan))
        .unwrap_err();
    assert_eq!(refused.code(), "EnrollmentOutsidePolicy");
    assert_eq!(s.core.monitoring_periods().unwrap(), [period]);
}

#[test]
fn a_report_under_an_order_carries_its_district_in_the_health_part() {
    let s = setup();
    s.core
        .enroll(&s.profile, &signed_order(&s, &order("2026-11-27")))
        .unwrap();
    let saved = daily(&s, "2026-11-28").unwrap();
    let health = part_json(&s, &saved.id, "health");
    assert!(
        health.contains(r#""monitoring_district":"310101""#),
        "{health}"
    );
    // And it is what is sealed and queued.
    s.core.grant_consent("sh-arrivals").unwrap();
    assert_eq!(s.core.seal_ready().unwrap().len(), 1);
}

#[test]
fn under_a_policy_with_access_notices_the_identity_part_carries_one_stable_notice_key() {
    let s = facade_setup("2026-11-28T09:00:00+08:00");
    let mut policy = policy_v2();
    policy["access_notices"] = json!(true);
    crate::policy::declare_minimum_padded_sizes(&mut policy).unwrap();
    s.core
        .install_policy(&signed_under(&s.key, &policy, &[]))
        .expect("the policy installs");
    let arrival = |day: &str| {
        s.core
            .save_record(
                &s.profile,
                "sh-arrivals",
                "arrival",
                None,
                Answers::new().text("arrival_date", day),
            )
            .unwrap()
    };
    let notice_key = |saved: &crate::store::SavedRecord| {
        assert!(!part_json(&s, &saved.id, "health").contains("notice_key"));
        let identity: Value = serde_json::from_str(&part_json(&s, &saved.id, "identity")).unwrap();
        identity["notice_key"].as_str().unwrap().to_owned()
    };
    let first = notice_key(&arrival("2026-12-18"));
    assert_eq!(first.len(), 64);
    // The same key for the same person and policy, every time.
    assert_eq!(notice_key(&arrival("2026-12-19")), first);
    assert_eq!(
        s.core
            .store()
            .notice_key(&s.profile, "sh-arrivals", false)
            .unwrap()
            .unwrap()
            .to_hex()
            .as_str(),
        first
    );
}

fn register_arrival(s: &Setup, profile: &crate::model::ProfileId) {
    s.core
        .save_record(
            profile,
            "sh-arrivals",
            "arrival",
            None,
            Answers::new()
                .text("travel", "420106:2026-11-20:2026-11-27")
                .text("arrival_date", "2026-11-29"),
        )
        .expect("the pre-registration saves");
}

#[test]
fn an_arrival_pass_proves_the_pre_registration_and_its_bound_order_enrolls_only_its_maker() {
    use crate::arrival_pass::ArrivalPass;
    let s = setup();
    // No pass before there is a registration to prove.
    let missing = s.core.arrival_pass(&s.profile, "sh-arrivals").unwrap_err();
    assert!(
        matches!(
            missing,
            Error::NotFound {
                what: "pre-registration",
                ..
            }
        ),
        "{missing:?}"
    );
    register_arrival(&s, &s.profile);
    let pass = s.core.arrival_pass(&s.profile, "sh-arrivals").unwrap();
    let now = crate::clock::Clock::now(s.clock.as_ref()).with_timezone(&chrono::Utc);
    let verified = ArrivalPass::verify(pass.as_bytes(), "sh-arrivals", now).unwrap();
    let pseudonym = s.core.store().pseudonym(&s.profile, "sh-arrivals").unwrap();
    assert_eq!(verified.pseudonym, pseudonym);
    // The checkpoint binds the order to that pseudonym. Another member of the household
    // (who filed their own registration: their own pseudonym) cannot enroll with it.
    let other = s
        .core
        .add_profile(crate::model::NewProfile {
            display_name: "Uncle".into(),
            name: Some("王建军".into()),
            ..Default::default()
        })
        .unwrap();
    register_arrival(&s, &other);
    let mut bound = order("2026-11-29");
    bound["pseudonym"] = json!(pseudonym);
    let signed = signed_order(&s, &bound);
    let refused = s.core.enroll(&other, &signed).unwrap_err();
    assert_eq!(refused.code(), "EnrollmentOutsidePolicy", "{refused:?}");
    assert!(s.core.monitoring_periods().unwrap().is_empty());
    // Nor can an order bound to any other pseudonym enroll the registration's maker.
    let mut elsewhere = order("2026-11-29");
    elsewhere["pseudonym"] = json!("0123456789abcdef0123456789abcdef");
    let refused = s
        .core
        .enroll(&s.profile, &signed_order(&s, &elsewhere))
        .unwrap_err();
    assert_eq!(refused.code(), "EnrollmentOutsidePolicy");
    // The maker enrolls, and files the daily form under it.
    let period = s.core.enroll(&s.profile, &signed).unwrap();
    assert_eq!(period.start, date("2026-11-29"));
    s.clock.advance_days(1);
    daily(&s, "2026-11-29").expect("a daily report under the bound order saves");
}

#[test]
fn a_bound_order_must_name_a_pseudonym_of_32_lowercase_hex() {
    use crate::policy::enrollment::parse_enrollment_document;
    let mut good = order("2026-11-29");
    good["pseudonym"] = json!("0123456789abcdef0123456789abcdef");
    let parsed = parse_enrollment_document(&serde_json::to_vec(&good).unwrap()).unwrap();
    assert_eq!(
        parsed.pseudonym.as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    for bad in [
        json!("0123"),
        json!(7),
        json!("0123456789ABCDEF0123456789ABCDEF"),
    ] {
        let mut bound = order("2026-11-29");
        bound["pseudonym"] = bad.clone();
        let refused = parse_enrollment_document(&serde_json::to_vec(&bound).unwrap()).unwrap_err();
        assert_eq!(refused.code(), "EnrollmentMalformed", "{bad}: {refused:?}");
    }
}
