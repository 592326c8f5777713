//! FHIR R4 exports of the example policies, made the whole way a real one is: records
//! minimized and sealed by the core, posted to the drop box over loopback HTTPS, opened
//! with `open --format fhir`; and the Questionnaires the responses point at.
//!
//! The tests check the mapping (types from the policy, no empty answers, age bands and
//! risk areas coded). With `SELFREPORT_FHIR_OUT=DIR` they also write every bundle there
//! for `scripts/fhir-validate`, which runs HAPI FHIR's validator on them.

#[allow(dead_code)]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use common::{
    Backend, PSEUDONYM, TestDropBox, plaintexts_of, profile, random_hex_id, record, seal,
};
use selfreport_core::minimize::minimize;
use selfreport_core::model::{FieldValue, Profile, Temperature, TravelLeg};
use selfreport_endpoint::fhir::questionnaire_bundle;
use selfreport_endpoint::open::{IdentityAccess, OutputFormat, open_command};
use serde_json::{Value, json};

const DAILY: &[u8] = include_bytes!("../../examples/policies/daily-report.json");
const ARRIVALS: &[u8] = include_bytes!("../../examples/policies/traveler-preregistration.json");

/// Where the bundles go: `SELFREPORT_FHIR_OUT`, or a directory dropped after the test.
fn out_dir() -> (PathBuf, Option<tempfile::TempDir>) {
    match std::env::var_os("SELFREPORT_FHIR_OUT") {
        Some(dir) => {
            std::fs::create_dir_all(&dir).unwrap();
            (PathBuf::from(dir), None)
        }
        None => {
            let temp = tempfile::tempdir().unwrap();
            (temp.path().to_path_buf(), Some(temp))
        }
    }
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn traveler() -> Profile {
    Profile {
        id_number: Some("11010519491231002X".to_owned()),
        birth_date: Some(day("1949-12-31")),
        ..profile("Canary-Li-Si")
    }
}

/// Seals `values` as a record of `form` under the drop box's policy and posts it.
async fn post(
    drop_box: &TestDropBox,
    who: &Profile,
    form: &str,
    values: Vec<(&str, FieldValue)>,
) -> String {
    let id = random_hex_id();
    let values: BTreeMap<String, FieldValue> = values
        .into_iter()
        .map(|(field, value)| (field.to_owned(), value))
        .collect();
    let record = record(who, &drop_box.policy, form, values);
    let disclosure = minimize(&drop_box.policy, &record, who, PSEUDONYM, &id).unwrap();
    let sealed = seal(&drop_box.policy, &id, &plaintexts_of(&disclosure));
    assert_eq!(drop_box.post(&sealed.body).await.status(), 201);
    id
}

/// Opens everything with both keys as FHIR; writes the export and the Questionnaires
/// to `dir` as `{name}-export.json` and `{name}-questionnaire.json`.
fn export(drop_box: &TestDropBox, dir: &Path, name: &str, flagged: usize) -> (Value, Value) {
    let keys: Vec<PathBuf> = ["health", "identity"]
        .iter()
        .map(|recipient| drop_box.authority.recipient_key_path(recipient))
        .collect();
    let policy_path = drop_box.db.path().with_file_name("policy.signed.json");
    std::fs::write(&policy_path, &drop_box.envelope).unwrap();
    // One case (every test submission is the same person's), identity values included.
    let (fhir, report, _) = open_command(
        &drop_box.db.database(),
        &keys,
        &policy_path,
        Some(&drop_box.authority.keys.public_key_path),
        None,
        OutputFormat::Fhir,
        &IdentityAccess::OneCase(PSEUDONYM.to_owned()),
    )
    .unwrap();
    assert_eq!(report.flagged(), flagged, "{report:#?}");
    let questionnaires = questionnaire_bundle(&drop_box.policy).unwrap();
    std::fs::write(dir.join(format!("{name}-export.json")), &fhir).unwrap();
    std::fs::write(
        dir.join(format!("{name}-questionnaire.json")),
        &questionnaires,
    )
    .unwrap();
    (
        serde_json::from_str(&fhir).unwrap(),
        serde_json::from_str(&questionnaires).unwrap(),
    )
}

fn response<'a>(bundle: &'a Value, id: &str) -> &'a Value {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| &entry["resource"])
        .find(|resource| resource["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {bundle:#}"))
}

fn item<'a>(resource: &'a Value, link_id: &str) -> Option<&'a Value> {
    resource["item"]
        .as_array()?
        .iter()
        .find(|item| item["linkId"] == link_id)
}

fn link_ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| item["linkId"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The Questionnaire a response names, by `url|version`.
fn questionnaire_of<'a>(questionnaires: &'a Value, response: &Value) -> &'a Value {
    let canonical = response["questionnaire"].as_str().unwrap();
    questionnaires["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| &entry["resource"])
        .find(|resource| {
            resource["resourceType"] == "Questionnaire"
                && format!(
                    "{}|{}",
                    resource["url"].as_str().unwrap(),
                    resource["version"].as_str().unwrap()
                ) == canonical
        })
        .unwrap_or_else(|| panic!("no Questionnaire {canonical}"))
}

/// Every response item answers an item of its Questionnaire, in the Questionnaire's
/// order, with the value type its item type asks for.
fn assert_answers_its_questionnaire(questionnaires: &Value, response: &Value) {
    let questionnaire = questionnaire_of(questionnaires, response);
    let items = questionnaire["item"].as_array().unwrap();
    let mut position = 0;
    for answered in response["item"].as_array().unwrap() {
        let link_id = &answered["linkId"];
        let offset = items[position..]
            .iter()
            .position(|item| &item["linkId"] == link_id)
            .unwrap_or_else(|| panic!("{link_id} out of order or not in {questionnaire:#}"));
        position += offset;
        let expected = match items[position]["type"].as_str().unwrap() {
            "boolean" => Some("valueBoolean"),
            "integer" => Some("valueInteger"),
            "decimal" => Some("valueDecimal"),
            "date" => Some("valueDate"),
            "string" | "text" => Some("valueString"),
            "choice" => Some("valueCoding"),
            _ => None,
        };
        match expected {
            Some(key) => {
                let answers = answered["answer"].as_array().unwrap();
                assert!(!answers.is_empty(), "{answered}");
                for answer in answers {
                    assert!(answer.get(key).is_some(), "{answered} is not {key}");
                }
            }
            None => assert!(answered["item"].is_array(), "{answered}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_reports_export_with_no_empty_answer_and_types_from_the_policy() {
    let (dir, _temp) = out_dir();
    let drop_box = TestDropBox::start_with(
        Backend::Sqlite,
        |authority, url| authority.policy_from(DAILY, url),
        |d| d,
    )
    .await;
    let me = profile("Canary-Zhang-San");
    let unwell = post(
        &drop_box,
        &me,
        "daily",
        vec![
            (
                "temperature",
                FieldValue::Temperature(Temperature::from_tenths(385)),
            ),
            (
                "symptoms",
                FieldValue::MultiChoice(vec!["cough".to_owned(), "fever".to_owned()]),
            ),
            ("district", FieldValue::District("420106".to_owned())),
            ("contact_with_case", FieldValue::YesNo(true)),
        ],
    )
    .await;
    let well = post(
        &drop_box,
        &me,
        "daily",
        vec![
            (
                "temperature",
                FieldValue::Temperature(Temperature::from_tenths(364)),
            ),
            ("symptoms", FieldValue::MultiChoice(vec![])),
            ("contact_with_case", FieldValue::YesNo(false)),
        ],
    )
    .await;
    let (bundle, questionnaires) = export(&drop_box, &dir, "daily-report", 0);

    let well = response(&bundle, &well);
    assert!(item(well, "symptoms").is_none(), "{well:#}");
    assert!(!bundle.to_string().contains("\"answer\":[]"));
    assert_eq!(
        link_ids(&well["item"]),
        ["name", "phone", "temperature", "contact_with_case"]
    );
    assert_eq!(
        item(well, "temperature").unwrap()["answer"],
        json!([{"valueBoolean": false}])
    );
    assert_answers_its_questionnaire(&questionnaires, well);

    let unwell = response(&bundle, &unwell);
    let codes: Vec<&Value> = item(unwell, "symptoms").unwrap()["answer"]
        .as_array()
        .unwrap()
        .iter()
        .map(|answer| &answer["valueCoding"]["code"])
        .collect();
    assert_eq!(codes, [&json!("fever"), &json!("cough")]);
    // A generalized district is a string, never a date or a number, whatever it looks like.
    assert_eq!(
        item(unwell, "district").unwrap()["answer"],
        json!([{"valueString": "420100"}])
    );
    assert_eq!(
        unwell["questionnaire"],
        "https://selfreport.example.org/fhir/Questionnaire/sh-daily-health.daily|1"
    );
    assert_answers_its_questionnaire(&questionnaires, unwell);
    drop_box.running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrivals_export_age_bands_and_risk_areas_as_codes_and_booleans() {
    let (dir, _temp) = out_dir();
    let drop_box = TestDropBox::start_with(
        Backend::Sqlite,
        |authority, url| authority.policy_from(ARRIVALS, url),
        |d| d,
    )
    .await;
    let me = traveler();
    let leg = |place: &str, from: &str, to: &str| TravelLeg {
        place: place.to_owned(),
        from: day(from),
        to: day(to),
    };
    let visited = post(
        &drop_box,
        &me,
        "arrival",
        vec![
            (
                "travel",
                FieldValue::TravelHistory(vec![
                    leg("310104", "2026-11-01", "2026-11-10"),
                    leg("420106", "2026-11-12", "2026-11-20"),
                ]),
            ),
            ("arrival_date", FieldValue::Date(day("2026-12-02"))),
            (
                "transport_number",
                FieldValue::TransportNumber("MU5101".to_owned()),
            ),
        ],
    )
    .await;
    let not_visited = post(
        &drop_box,
        &me,
        "arrival",
        vec![
            (
                "travel",
                FieldValue::TravelHistory(vec![leg("310104", "2026-11-20", "2026-11-27")]),
            ),
            ("arrival_date", FieldValue::Date(day("2026-11-30"))),
        ],
    )
    .await;
    let well = post(
        &drop_box,
        &me,
        "daily",
        vec![
            (
                "temperature",
                FieldValue::Temperature(Temperature::from_tenths(366)),
            ),
            ("symptoms", FieldValue::MultiChoice(vec![])),
        ],
    )
    .await;
    let (bundle, questionnaires) = export(&drop_box, &dir, "traveler-preregistration", 0);

    let visited = response(&bundle, &visited);
    assert_eq!(
        item(visited, "birth_date").unwrap()["answer"],
        json!([{"valueCoding": {
            "system": "https://selfreport.example.org/fhir/CodeSystem/age-band-10y",
            "code": "70-79", "display": "70 to 79 years",
        }}])
    );
    assert_eq!(
        item(visited, "travel").unwrap()["answer"],
        json!([{"valueBoolean": true, "item": [
            {"linkId": "travel.last_visit_week", "answer": [{"valueString": "2026-W47"}]},
        ]}])
    );
    assert_eq!(
        item(visited, "arrival_date").unwrap()["answer"],
        json!([{"valueDate": "2026-12-02"}])
    );
    assert_answers_its_questionnaire(&questionnaires, visited);
    let not_visited = response(&bundle, &not_visited);
    assert_eq!(
        item(not_visited, "travel").unwrap()["answer"],
        json!([{"valueBoolean": false}])
    );
    assert_answers_its_questionnaire(&questionnaires, not_visited);
    let well = response(&bundle, &well);
    assert!(item(well, "symptoms").is_none(), "{well:#}");
    assert_answers_its_questionnaire(&questionnaires, well);

    // The code system of the bands the responses use is in the Questionnaire bundle.
    let bands = questionnaires["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| &entry["resource"])
        .find(|resource| resource["id"] == "age-band-10y")
        .unwrap();
    assert_eq!(bands["content"], "complete");
    assert!(
        bands["concept"]
            .as_array()
            .unwrap()
            .iter()
            .any(|concept| concept["code"] == "70-79")
    );
    drop_box.running.shutdown().await.unwrap();
}

#[test]
fn the_questionnaire_command_reads_plain_and_signed_policies() {
    let authority = common::Authority::new();
    let dir = tempfile::tempdir().unwrap();
    let signed = dir.path().join("daily.signed.json");
    let policy = authority.policy_from(DAILY, "https://report.example.org/v1");
    std::fs::write(&signed, authority.sign(&policy)).unwrap();
    let run = |args: &[&std::ffi::OsStr]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_selfreport-authority"))
            .arg("questionnaire")
            .args(args)
            .output()
            .unwrap()
    };
    let plain =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies/daily-report.json");
    let trust = authority.keys.public_key_path.clone();
    let from_plain = run(&["--policy".as_ref(), plain.as_os_str()]);
    let from_signed = run(&[
        "--policy".as_ref(),
        signed.as_os_str(),
        "--trust".as_ref(),
        trust.as_os_str(),
    ]);
    for output in [&from_plain, &from_signed] {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let bundle: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            bundle["entry"][0]["resource"]["resourceType"],
            "Questionnaire"
        );
    }
    // Only the keys differ between the two, and keys are not in a Questionnaire.
    assert_eq!(from_plain.stdout, from_signed.stdout);

    // A signature by another key does not pass --trust.
    let stranger = common::Authority::new();
    let output = run(&[
        "--policy".as_ref(),
        signed.as_os_str(),
        "--trust".as_ref(),
        stranger.keys.public_key_path.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).starts_with("error[PolicyUnknownKey]"));
}

/// The daily example with a field for every other transform, so the validator sees each
/// type the mapping writes.
fn every_transform(authority: &common::Authority, url: &str) -> Value {
    let mut policy = authority.policy_from(DAILY, url);
    policy["id"] = json!("sh-every-transform");
    let field = |id: &str, kind: Value, upload: Value, to: &str| {
        let mut field = json!({"id": id, "upload": upload, "to": to, "required": false,
                               "label": {"zh": id, "en": id}});
        for (key, value) in kind.as_object().unwrap() {
            field[key] = value.clone();
        }
        field
    };
    policy["forms"][0]["fields"]
        .as_array_mut()
        .unwrap()
        .extend([
            field(
                "temp_kept",
                json!({"kind": "temperature_c"}),
                json!("keep"),
                "health",
            ),
            field(
                "temp_round",
                json!({"kind": "temperature_c"}),
                json!({"round": 0.5}),
                "health",
            ),
            field(
                "steps",
                json!({"kind": "integer", "min": 0, "max": 100_000}),
                json!({"round": 100}),
                "health",
            ),
            field(
                "big",
                json!({"kind": "integer", "min": 0, "max": 9_000_000_000u64}),
                json!("keep"),
                "health",
            ),
            field(
                "vaccinated",
                json!({"kind": "choice", "codes": ["none", "partial", "full"]}),
                json!("keep"),
                "health",
            ),
            field(
                "onset_week",
                json!({"kind": "date"}),
                json!({"coarsen_date": "week"}),
                "health",
            ),
            field(
                "onset_month",
                json!({"kind": "date"}),
                json!({"coarsen_date": "month"}),
                "health",
            ),
            field(
                "home",
                json!({"kind": "district"}),
                json!({"generalize": "province"}),
                "health",
            ),
            field(
                "trips",
                json!({"kind": "travel_history"}),
                json!({"window": 14}),
                "health",
            ),
            field(
                "trips_city",
                json!({"kind": "travel_history"}),
                json!({"generalize": "city"}),
                "health",
            ),
            field(
                "n_trips",
                json!({"kind": "travel_history"}),
                json!("count"),
                "health",
            ),
            field(
                "n_symptoms",
                json!({"kind": "multi_choice", "codes": ["a", "b"]}),
                json!("count"),
                "health",
            ),
            field(
                "contact_phone",
                json!({"kind": "phone"}),
                json!("pseudonym"),
                "health",
            ),
        ]);
    policy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transform_exports_with_its_type() {
    let (dir, _temp) = out_dir();
    let drop_box = TestDropBox::start_with(Backend::Sqlite, every_transform, |d| d).await;
    let me = profile("Canary-Wang-Wu");
    let leg = |place: &str, from: &str, to: &str| TravelLeg {
        place: place.to_owned(),
        from: day(from),
        to: day(to),
    };
    let legs = vec![
        leg("420106", "2026-11-01", "2026-11-10"),
        leg("310104", "2026-11-20", "2026-11-27"),
    ];
    let id = post(
        &drop_box,
        &me,
        "daily",
        vec![
            (
                "temperature",
                FieldValue::Temperature(Temperature::from_tenths(373)),
            ),
            (
                "symptoms",
                FieldValue::MultiChoice(vec!["dyspnea".to_owned()]),
            ),
            ("district", FieldValue::District("310104".to_owned())),
            ("contact_with_case", FieldValue::YesNo(false)),
            (
                "temp_kept",
                FieldValue::Temperature(Temperature::from_tenths(371)),
            ),
            (
                "temp_round",
                FieldValue::Temperature(Temperature::from_tenths(372)),
            ),
            ("steps", FieldValue::Integer(12_345)),
            ("big", FieldValue::Integer(8_000_000_000)),
            ("vaccinated", FieldValue::Choice("partial".to_owned())),
            ("onset_week", FieldValue::Date(day("2026-11-25"))),
            ("onset_month", FieldValue::Date(day("2026-11-25"))),
            ("home", FieldValue::District("310104".to_owned())),
            ("trips", FieldValue::TravelHistory(legs.clone())),
            ("trips_city", FieldValue::TravelHistory(legs.clone())),
            ("n_trips", FieldValue::TravelHistory(legs)),
            ("n_symptoms", FieldValue::MultiChoice(vec!["b".to_owned()])),
            (
                "contact_phone",
                FieldValue::Phone("+8613912345678".to_owned()),
            ),
        ],
    )
    .await;
    // A crafted part with a field the policy never uploads: flagged, the field left out.
    let crafted = random_hex_id();
    let plaintext = common::crafted_plaintext(
        &drop_box.policy,
        &crafted,
        "health",
        json!({"temperature": false, "symptoms": [], "contact_with_case": false,
               "notes": "EXTRA-CANARY"}),
    );
    // With the other parts the device would send for this form, as the drop box requires
    // parts for exactly the recipients of one form.
    let unanswered = record(&me, &drop_box.policy, "daily", BTreeMap::new());
    let disclosure = minimize(&drop_box.policy, &unanswered, &me, PSEUDONYM, &crafted).unwrap();
    let mut plaintexts = plaintexts_of(&disclosure);
    plaintexts.insert("health".to_owned(), plaintext);
    let sealed = seal(&drop_box.policy, &crafted, &plaintexts);
    assert_eq!(drop_box.post(&sealed.body).await.status(), 201);
    let (bundle, questionnaires) = export(&drop_box, &dir, "every-transform", 1);
    let flagged = response(&bundle, &crafted);
    assert_eq!(flagged["text"]["status"], "additional");
    assert!(
        flagged["text"]["div"]
            .as_str()
            .unwrap()
            .contains("<li>in the part for health: notes")
            || flagged["text"]["div"]
                .as_str()
                .unwrap()
                .contains("<li>notes: "),
        "{flagged:#}"
    );
    assert!(!bundle.to_string().contains("EXTRA-CANARY"));
    let response = response(&bundle, &id);
    let answer = |link_id: &str| item(response, link_id).unwrap()["answer"].clone();
    assert_eq!(answer("temperature"), json!([{"valueBoolean": true}]));
    assert_eq!(answer("temp_kept"), json!([{"valueDecimal": 37.1}]));
    assert_eq!(answer("temp_round"), json!([{"valueDecimal": 37.0}]));
    assert_eq!(answer("steps"), json!([{"valueInteger": 12_300}]));
    assert_eq!(answer("big"), json!([{"valueDecimal": 8_000_000_000u64}]));
    assert_eq!(answer("vaccinated")[0]["valueCoding"]["code"], "partial");
    assert_eq!(answer("onset_week"), json!([{"valueString": "2026-W48"}]));
    assert_eq!(answer("onset_month"), json!([{"valueDate": "2026-11"}]));
    assert_eq!(answer("home"), json!([{"valueString": "310000"}]));
    assert_eq!(answer("n_trips"), json!([{"valueInteger": 2}]));
    assert_eq!(answer("n_symptoms"), json!([{"valueInteger": 1}]));
    assert_eq!(answer("contact_phone"), json!([{"valueString": PSEUDONYM}]));
    let trips: Vec<&Value> = response["item"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["linkId"] == "trips_city")
        .collect();
    assert_eq!(trips.len(), 2);
    assert_eq!(trips[0]["item"][0]["answer"][0]["valueString"], "420100");
    assert_answers_its_questionnaire(&questionnaires, response);
    drop_box.running.shutdown().await.unwrap();
}
