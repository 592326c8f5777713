//! Tests of answer parsing and checking, kind by kind.

use chrono::DateTime;
use proptest::prelude::*;

use super::*;
use crate::clock::{Clock, FixedClock};

fn today() -> NaiveDate {
    date("2026-11-28")
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn codes(list: &[&str]) -> Vec<String> {
    list.iter().map(|code| (*code).to_owned()).collect()
}

fn accepts(field: &str, kind: &FieldKind, text: &str) -> FieldValue {
    match parse_answer(field, kind, text, today()) {
        Ok(value) => value,
        Err(error) => panic!("{kind:?} rejected {text:?}: {error}"),
    }
}

/// Asserts `text` is rejected for `field` with `rule`, and that the message names
/// the field.
fn rejects(field: &str, kind: &FieldKind, text: &str, rule: &str) {
    let error =
        parse_answer(field, kind, text, today()).expect_err(&format!("{kind:?} accepted {text:?}"));
    assert_eq!(error.field, field, "{text:?}");
    assert_eq!(error.rule.code(), rule, "{text:?}: {error}");
    assert!(error.to_string().contains(&format!("`{field}`")), "{error}");
    assert_eq!(error.code(), "InvalidInput");
}

fn rejects_value(field: &str, kind: &FieldKind, value: &FieldValue, rule: &str) {
    let error = check_value(field, kind, value, today())
        .expect_err(&format!("{kind:?} accepted {value:?}"));
    assert_eq!(error.field, field);
    assert_eq!(error.rule.code(), rule, "{value:?}: {error}");
}

#[test]
fn yes_no() {
    let kind = FieldKind::YesNo;
    for yes in ["yes", "YES", "y", "true", "True", "1", "是", " yes "] {
        assert_eq!(
            accepts("fever", &kind, yes),
            FieldValue::YesNo(true),
            "{yes}"
        );
    }
    for no in ["no", "N", "false", "0", "否"] {
        assert_eq!(
            accepts("fever", &kind, no),
            FieldValue::YesNo(false),
            "{no}"
        );
    }
    rejects("fever", &kind, "maybe", "Format");
    rejects("fever", &kind, "yess", "Format");
    rejects("fever", &kind, "", "Empty");
    rejects("fever", &kind, "  ", "Empty");
}

#[test]
fn choice() {
    let kind = FieldKind::Choice {
        codes: codes(&["home", "hotel"]),
    };
    assert_eq!(
        accepts("stay", &kind, " hotel "),
        FieldValue::Choice("hotel".into())
    );
    rejects("stay", &kind, "Hotel", "UnknownCode");
    rejects("stay", &kind, "home,hotel", "UnknownCode");
    rejects("stay", &kind, "", "Empty");
    rejects_value("stay", &kind, &FieldValue::Choice(String::new()), "Empty");
}

#[test]
fn multi_choice() {
    let kind = FieldKind::MultiChoice {
        codes: codes(&["cough", "fatigue", "dyspnea", "loss_of_smell"]),
    };
    assert_eq!(
        accepts("symptoms", &kind, "cough, fatigue"),
        FieldValue::MultiChoice(codes(&["cough", "fatigue"]))
    );
    assert_eq!(
        accepts("symptoms", &kind, "loss_of_smell,cough,"),
        FieldValue::MultiChoice(codes(&["loss_of_smell", "cough"]))
    );
    assert_eq!(
        accepts("symptoms", &kind, ""),
        FieldValue::MultiChoice(vec![])
    );
    rejects("symptoms", &kind, "cough,sneezing", "UnknownCode");
    rejects("symptoms", &kind, "Cough", "UnknownCode");
    rejects("symptoms", &kind, "cough,fatigue,cough", "DuplicateCode");
    // The refusal teaches the allowed codes, and never repeats the rejected one.
    let error = parse_answer("symptoms", &kind, "sneezing", today()).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("(cough, fatigue, dyspnea, loss_of_smell)"),
        "{message}"
    );
    assert!(!message.contains("sneezing"), "{message}");
    assert_eq!(
        error.rule,
        Rule::UnknownCode {
            allowed: codes(&["cough", "fatigue", "dyspnea", "loss_of_smell"])
        }
    );
    // A huge typed list stops at its first repeat.
    let repeated = FieldValue::MultiChoice(vec!["cough".to_owned(); 100_000]);
    rejects_value("symptoms", &kind, &repeated, "DuplicateCode");
}

#[test]
fn temperature() {
    let kind = FieldKind::TemperatureC;
    let tenths = |text| match accepts("temperature", &kind, text) {
        FieldValue::Temperature(t) => t.tenths(),
        other => panic!("{other:?}"),
    };
    assert_eq!(tenths("37.3"), 373);
    assert_eq!(tenths("36"), 360);
    assert_eq!(tenths("34.0"), 340);
    assert_eq!(tenths("43.0"), 430);
    assert_eq!(tenths(" 38.5 "), 385);
    rejects("temperature", &kind, "33.9", "OutOfRange");
    rejects("temperature", &kind, "43.1", "OutOfRange");
    rejects("temperature", &kind, "-37.0", "OutOfRange");
    rejects("temperature", &kind, "999999", "OutOfRange");
    rejects("temperature", &kind, "37.35", "TooPrecise");
    rejects("temperature", &kind, "37.30", "TooPrecise");
    for malformed in [
        "37,3", "abc", "37.", ".5", "1e2", "+37", "37.3.1", "3 7", "9999999", "-", "37.a",
    ] {
        rejects("temperature", &kind, malformed, "Format");
    }
    rejects("temperature", &kind, "", "Empty");
    let error = parse_answer("temperature", &kind, "43.1", today()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "field `temperature` must be between 34.0 and 43.0"
    );
}

#[test]
fn integer() {
    let kind = FieldKind::Integer { min: 0, max: 20 };
    assert_eq!(accepts("household", &kind, "3"), FieldValue::Integer(3));
    assert_eq!(accepts("household", &kind, "0"), FieldValue::Integer(0));
    assert_eq!(accepts("household", &kind, "20"), FieldValue::Integer(20));
    rejects("household", &kind, "21", "OutOfRange");
    rejects("household", &kind, "-1", "OutOfRange");
    rejects("household", &kind, "3.5", "Format");
    rejects("household", &kind, "three", "Format");
    rejects("household", &kind, "99999999999999999999", "Format");
    rejects("household", &kind, "", "Empty");
}

#[test]
fn date_field() {
    let past_only = FieldKind::Date {
        allow_future: false,
    };
    let planned = FieldKind::Date { allow_future: true };
    assert_eq!(
        accepts("arrival_date", &past_only, "2026-11-28"),
        FieldValue::Date(today())
    );
    rejects("arrival_date", &past_only, "2026-11-29", "FutureDate");
    assert_eq!(
        accepts("arrival_date", &planned, "2026-12-05"),
        FieldValue::Date(date("2026-12-05"))
    );
    for malformed in [
        "2026-2-3",
        "2026-02-30",
        "28/11/2026",
        "+2026-11-28",
        "20261128",
        "2026-11-28T00:00",
    ] {
        rejects("arrival_date", &past_only, malformed, "Format");
    }
    rejects("arrival_date", &past_only, "", "Empty");
}

#[test]
fn district() {
    let kind = FieldKind::District;
    assert_eq!(
        accepts("district", &kind, " 310104 "),
        FieldValue::District("310104".into())
    );
    assert_eq!(
        accepts("district", &kind, "３１０\u{3000}１０４"),
        FieldValue::District("310104".into())
    );
    rejects("district", &kind, "310000", "IncompleteDistrict");
    rejects("district", &kind, "310199", "UnknownDistrict");
    rejects("district", &kind, "110103", "DistrictAbolished");
    rejects("district", &kind, "990101", "UnknownProvince");
    rejects("district", &kind, "31010", "Format");
    rejects("district", &kind, "3101O4", "Format");
    rejects("district", &kind, "", "Empty");
    rejects(
        "district",
        &kind,
        &"1".repeat(MAX_INPUT_BYTES + 1),
        "TooLarge",
    );
}

#[test]
fn travel_history() {
    let kind = FieldKind::TravelHistory;
    let value = accepts(
        "travel",
        &kind,
        "420106:2026-11-01:2026-11-03; 310104:2026-11-04:2026-11-04;",
    );
    assert_eq!(
        value,
        FieldValue::TravelHistory(vec![
            TravelLeg {
                place: "420106".into(),
                from: date("2026-11-01"),
                to: date("2026-11-03"),
            },
            TravelLeg {
                place: "310104".into(),
                from: date("2026-11-04"),
                to: date("2026-11-04"),
            },
        ])
    );
    assert_eq!(
        accepts("travel", &kind, ""),
        FieldValue::TravelHistory(vec![])
    );
    rejects("travel", &kind, "420106:2026-11-03:2026-11-01", "DateOrder");
    rejects(
        "travel",
        &kind,
        "420106:2026-11-27:2026-11-29",
        "FutureDate",
    );
    rejects("travel", &kind, "4201:2026-11-01:2026-11-03", "Format");
    rejects(
        "travel",
        &kind,
        "420000:2026-11-01:2026-11-03",
        "IncompleteDistrict",
    );
    rejects(
        "travel",
        &kind,
        "990106:2026-11-01:2026-11-03",
        "UnknownProvince",
    );
    rejects("travel", &kind, "420106:2026-11-01", "Format");
    rejects("travel", &kind, "420106:2026-11-01:2026-11-02:x", "Format");
    rejects("travel", &kind, "420106:2026-11-01:2026/11/02", "Format");
    // A place abolished since is still right for a leg from when it was in use
    // (Beijing Chongwen, merged in 2010), and refused for a leg after that.
    assert!(parse_answer("travel", &kind, "110103:2009-05-01:2009-05-03", today()).is_ok());
    rejects(
        "travel",
        &kind,
        "110103:2026-11-01:2026-11-03",
        "DistrictAbolished",
    );
    rejects(
        "travel",
        &kind,
        "110199:2026-11-01:2026-11-03",
        "UnknownDistrict",
    );
    // Full-width digits in a place are made ASCII.
    assert_eq!(
        accepts("travel", &kind, "４２０１０６:2026-11-01:2026-11-03"),
        FieldValue::TravelHistory(vec![TravelLeg {
            place: "420106".into(),
            from: date("2026-11-01"),
            to: date("2026-11-03"),
        }])
    );
    // A city-level code is a place below province level.
    assert!(parse_answer("travel", &kind, "420100:2026-11-01:2026-11-03", today()).is_ok());
}

#[test]
fn person_name() {
    let kind = FieldKind::PersonName;
    for name in ["张三", "Zhang San", "买买提·艾力", "O'Brien-Smith"] {
        assert_eq!(
            accepts("name", &kind, name),
            FieldValue::PersonName(name.into())
        );
    }
    rejects("name", &kind, "Agent 007", "NameCharacter");
    rejects("name", &kind, "李四４", "NameCharacter");
    rejects("name", &kind, "a\tb", "NameCharacter");
    rejects("name", &kind, &"名".repeat(MAX_NAME_CHARS + 1), "TooLong");
    assert!(parse_answer("name", &kind, &"名".repeat(MAX_NAME_CHARS), today()).is_ok());
    rejects("name", &kind, " ", "Empty");
}

#[test]
fn resident_id() {
    let kind = FieldKind::ResidentId;
    assert_eq!(
        accepts("id_number", &kind, "11010519491231002x"),
        FieldValue::ResidentId("11010519491231002X".into())
    );
    assert_eq!(
        accepts("id_number", &kind, "110105 19491231 002X"),
        FieldValue::ResidentId("11010519491231002X".into())
    );
    rejects(
        "id_number",
        &kind,
        "110105194912310021",
        "ResidentIdCheckDigit",
    );
    rejects("id_number", &kind, "11010519491231002", "Format");
    rejects("id_number", &kind, "990105194912310021", "UnknownProvince");
    rejects(
        "id_number",
        &kind,
        "110105194913310021",
        "ResidentIdBirthDate",
    );
    rejects("id_number", &kind, "", "Empty");
    // Typed values must be normalized already.
    rejects_value(
        "id_number",
        &kind,
        &FieldValue::ResidentId("11010519491231002x".into()),
        "Format",
    );
    let error = parse_answer("id_number", &kind, "110105194912310021", today()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "field `id_number` has a wrong check character (GB 11643, ISO 7064 MOD 11-2)"
    );
}

#[test]
fn passport_number() {
    let kind = FieldKind::PassportNumber;
    assert_eq!(
        accepts("passport_number", &kind, "e12345678"),
        FieldValue::PassportNumber("E12345678".into())
    );
    assert!(parse_answer("passport_number", &kind, "G1234", today()).is_ok());
    assert!(parse_answer("passport_number", &kind, &"A".repeat(20), today()).is_ok());
    rejects("passport_number", &kind, "1234", "Format");
    rejects("passport_number", &kind, &"A".repeat(21), "Format");
    rejects("passport_number", &kind, "E-1234567", "Format");
    rejects("passport_number", &kind, "É1234567", "Format");
    rejects("passport_number", &kind, "", "Empty");
}

#[test]
fn phone() {
    let kind = FieldKind::Phone;
    assert_eq!(
        accepts("phone", &kind, "+86 138-0013-8000"),
        FieldValue::Phone("+8613800138000".into())
    );
    assert_eq!(
        accepts("phone", &kind, "+86 021 56748728"),
        FieldValue::Phone("+862156748728".into())
    );
    assert_eq!(
        accepts("phone", &kind, "＋８６\u{3000}(10) 1234.5678"),
        FieldValue::Phone("+861012345678".into())
    );
    assert_eq!(
        accepts("phone", &kind, "+683 7012"),
        FieldValue::Phone("+6837012".into())
    );
    assert!(parse_answer("phone", &kind, "+1 202 555 0100", today()).is_ok());
    rejects("phone", &kind, "13800138000", "Format");
    rejects("phone", &kind, "+86 138 0013 8000 ext 1", "Format");
    rejects("phone", &kind, "++8613800138000", "Format");
    rejects("phone", &kind, "+0123456789", "PhoneCountryCode");
    rejects("phone", &kind, "+12345678", "PhoneLength");
    rejects("phone", &kind, "+1234567890123456", "PhoneLength");
    rejects("phone", &kind, "+8612000138000", "PhoneNumberRange");
    rejects("phone", &kind, "", "Empty");
    rejects_value(
        "phone",
        &kind,
        &FieldValue::Phone("+86 13800138000".into()),
        "Format",
    );
    // The trunk 0 left in is not E.164: the same phone would be two values.
    rejects_value(
        "phone",
        &kind,
        &FieldValue::Phone("+8602156748728".into()),
        "Format",
    );
}

#[test]
fn transport_number() {
    let kind = FieldKind::TransportNumber;
    for (text, normalized) in [
        ("CA1234", "CA1234"),
        ("ca 1234", "CA1234"),
        ("G1234", "G1234"),
        ("MU5101", "MU5101"),
        ("D312", "D312"),
        ("K1", "K1"),
        ("3U8888", "3U8888"),
        ("1461", "1461"),
        ("Z12A", "Z12A"),
    ] {
        assert_eq!(
            accepts("flight", &kind, text),
            FieldValue::TransportNumber(normalized.into()),
            "{text}"
        );
    }
    for malformed in ["CA", "G123456", "CA-1234", "ABC123", "C", "CA12345678"] {
        rejects("flight", &kind, malformed, "Format");
    }
    rejects("flight", &kind, "", "Empty");
}

#[test]
fn text() {
    let kind = FieldKind::Text { max_len: 10 };
    assert_eq!(
        accepts("notes", &kind, " feeling ok "),
        FieldValue::Text("feeling ok".into())
    );
    assert!(parse_answer("notes", &kind, "line\nnext", today()).is_ok());
    // Ten characters, thirty bytes: the limit counts characters.
    assert!(parse_answer("notes", &kind, "一二三四五六七八九十", today()).is_ok());
    rejects("notes", &kind, "一二三四五六七八九十一", "TooLong");
    rejects("notes", &kind, "a\u{0}b", "ControlCharacter");
    rejects("notes", &kind, "a\tb", "ControlCharacter");
    rejects("notes", &kind, "a\u{1b}[31m", "ControlCharacter");
    rejects("notes", &kind, "   ", "Empty");
    // Far over the limit: refused on length before counting characters.
    rejects("notes", &kind, &"x".repeat(100_000), "TooLarge");
    rejects("notes", &kind, &"x".repeat(41), "TooLong");
}

#[test]
fn typed_values_of_another_kind_are_refused() {
    rejects_value(
        "temperature",
        &FieldKind::TemperatureC,
        &FieldValue::Date(today()),
        "WrongKind",
    );
    let error = check_value(
        "symptoms",
        &FieldKind::MultiChoice { codes: vec![] },
        &FieldValue::Choice("cough".into()),
        today(),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "field `symptoms` holds a value of the wrong kind (expected multi_choice)"
    );
}

#[test]
fn typed_values_follow_the_same_rules() {
    let ok = |kind: &FieldKind, value: FieldValue| check_value("f", kind, &value, today());
    assert!(
        ok(
            &FieldKind::TemperatureC,
            FieldValue::Temperature(Temperature::from_tenths(373))
        )
        .is_ok()
    );
    rejects_value(
        "temperature",
        &FieldKind::TemperatureC,
        &FieldValue::Temperature(Temperature::from_tenths(431)),
        "OutOfRange",
    );
    let legs = vec![
        TravelLeg {
            place: "420106".into(),
            from: date("2026-11-01"),
            to: date("2026-11-02"),
        };
        MAX_TRAVEL_LEGS + 1
    ];
    rejects_value(
        "travel",
        &FieldKind::TravelHistory,
        &FieldValue::TravelHistory(legs.clone()),
        "TooMany",
    );
    assert!(
        ok(
            &FieldKind::TravelHistory,
            FieldValue::TravelHistory(legs[..MAX_TRAVEL_LEGS].to_vec())
        )
        .is_ok()
    );
    rejects_value(
        "notes",
        &FieldKind::Text { max_len: 1_000_000 },
        &FieldValue::Text("x".repeat(MAX_TEXT_BYTES + 1)),
        "TooLarge",
    );
}

#[test]
fn too_many_travel_legs_are_refused_while_parsing() {
    let leg = "420106:2026-11-01:2026-11-02";
    let at_limit = vec![leg; MAX_TRAVEL_LEGS].join(";");
    assert!(parse_answer("travel", &FieldKind::TravelHistory, &at_limit, today()).is_ok());
    let over = vec![leg; MAX_TRAVEL_LEGS + 1].join(";");
    rejects("travel", &FieldKind::TravelHistory, &over, "TooMany");
}

#[test]
fn today_is_the_local_date_across_midnight() {
    let at = |text: &str| FixedClock::new(DateTime::parse_from_rfc3339(text).unwrap());
    let kind = FieldKind::Date {
        allow_future: false,
    };
    // 23:59 on the 28th in Shanghai: the 29th is still the future.
    let before = at("2026-11-28T23:59:00+08:00");
    let error = parse_answer("arrival_date", &kind, "2026-11-29", before.today()).unwrap_err();
    assert_eq!(error.rule, Rule::FutureDate);
    // Two minutes later it is the 29th locally, though still the 28th in UTC.
    let after = at("2026-11-29T00:01:00+08:00");
    assert_eq!(after.now().naive_utc().date(), date("2026-11-28"));
    assert_eq!(
        parse_answer("arrival_date", &kind, "2026-11-29", after.today()),
        Ok(FieldValue::Date(date("2026-11-29")))
    );
    // The same for a travel leg ending on the 29th.
    let travel = "420106:2026-11-27:2026-11-29";
    assert!(parse_answer("travel", &FieldKind::TravelHistory, travel, before.today()).is_err());
    assert!(parse_answer("travel", &FieldKind::TravelHistory, travel, after.today()).is_ok());
}

fn any_kind() -> impl Strategy<Value = FieldKind> {
    prop_oneof![
        Just(FieldKind::YesNo),
        Just(FieldKind::Choice {
            codes: codes(&["a", "b"])
        }),
        Just(FieldKind::MultiChoice {
            codes: codes(&["a", "b"])
        }),
        Just(FieldKind::TemperatureC),
        Just(FieldKind::Integer { min: -5, max: 5 }),
        Just(FieldKind::Date {
            allow_future: false
        }),
        Just(FieldKind::District),
        Just(FieldKind::TravelHistory),
        Just(FieldKind::PersonName),
        Just(FieldKind::ResidentId),
        Just(FieldKind::PassportNumber),
        Just(FieldKind::Phone),
        Just(FieldKind::TransportNumber),
        Just(FieldKind::Text { max_len: 20 }),
    ]
}

proptest! {
    #[test]
    fn valid_temperatures_display_and_parse_back(tenths in MIN_TEMPERATURE_TENTHS..=MAX_TEMPERATURE_TENTHS) {
        let value = FieldValue::Temperature(Temperature::from_tenths(tenths));
        let parsed = parse_answer("temperature", &FieldKind::TemperatureC, &value.to_string(), today());
        prop_assert_eq!(parsed, Ok(value));
    }

    #[test]
    fn any_temperature_text_form_parses_to_its_tenths(tenths in -100_000i32..100_000) {
        let text = Temperature::from_tenths(tenths).to_string();
        prop_assert_eq!(parse_temperature(&text), Ok(Temperature::from_tenths(tenths)));
    }

    #[test]
    fn valid_travel_histories_display_and_parse_back(
        legs in prop::collection::vec((0i64..400, 0i64..30, 0usize..4), 0..10)
    ) {
        let places = ["420106", "310104", "110105", "440300"];
        let legs: Vec<TravelLeg> = legs
            .into_iter()
            .map(|(back, length, place)| {
                let to = today() - chrono::Duration::days(back);
                TravelLeg { place: places[place].into(), from: to - chrono::Duration::days(length), to }
            })
            .collect();
        let value = FieldValue::TravelHistory(legs);
        let parsed = parse_answer("travel", &FieldKind::TravelHistory, &value.to_string(), today());
        prop_assert_eq!(parsed, Ok(value));
    }

    #[test]
    fn accepted_answers_are_valid_and_display_as_themselves(kind in any_kind(), text in "(?s).{0,40}") {
        // Arbitrary text never panics; whatever is accepted passes check_value and
        // parses back to the same value from its display form.
        if let Ok(value) = parse_answer("f", &kind, &text, today()) {
            prop_assert_eq!(check_value("f", &kind, &value, today()), Ok(()));
            prop_assert_eq!(parse_answer("f", &kind, &value.to_string(), today()), Ok(value));
        }
    }
}
