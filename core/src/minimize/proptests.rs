//! The acceptance property of minimization: for generated valid policies and answers,
//! each recipient's part holds exactly the declared uploads that have a value, each the
//! transform of its input, and nothing else; and every part of a form, real or cover,
//! has one length whatever the answers.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use serde_json::Value;

use super::test_support::{PSEUDONYM, SUBMISSION_ID, codes, date, field, form, policy, profile};
use super::*;
use crate::model::{
    FieldKind, FieldValue, MAX_NAME_CHARS, Profile, ProfileAttribute, Record, RecordId,
    Temperature, TravelLeg,
};
use crate::policy::{
    DateGranularity, DistrictLevel, FieldSource, FieldSpec, PolicyDocument, Recipient, Transform,
};

/// Recipients fields may be routed to; the policy also declares `unused`.
const RECIPIENTS: [&str; 3] = ["health", "identity", "lab"];
const SYMPTOMS: [&str; 4] = ["cough", "fatigue", "dyspnea", "fever"];
const PLACES: [&str; 5] = ["420106", "420111", "310104", "110105", "440305"];
const HEADER_KEYS: [&str; 9] = [
    "date",
    "dummy",
    "fields",
    "form",
    "format",
    "policy_id",
    "policy_version",
    "pseudonym",
    "submission_id",
];

/// One answered field of the generated form, with a value (or none) for each of two
/// records.
#[derive(Debug, Clone)]
struct FieldPlan {
    kind: FieldKind,
    upload: Transform,
    to: Option<String>,
    values: [Option<FieldValue>; 2],
}

/// One profile-sourced field of the generated form.
#[derive(Debug, Clone)]
struct ProfilePlan {
    attribute: ProfileAttribute,
    upload: Transform,
    to: Option<String>,
    /// Whether the profile holds the attribute.
    present: bool,
}

fn day(from: &str, span: u64) -> impl Strategy<Value = NaiveDate> + Clone {
    let start = date(from);
    (0..span).prop_map(move |offset| start + Days::new(offset))
}

fn route(upload: &Transform, to: &str) -> Option<String> {
    upload.uploads().then(|| to.to_owned())
}

fn plan(
    kind: FieldKind,
    transforms: Vec<Transform>,
    value: BoxedStrategy<FieldValue>,
) -> BoxedStrategy<FieldPlan> {
    (
        select(transforms),
        select(RECIPIENTS.to_vec()),
        option::of(value.clone()),
        option::of(value),
    )
        .prop_map(move |(upload, to, first, second)| FieldPlan {
            kind: kind.clone(),
            to: route(&upload, to),
            upload,
            values: [first, second],
        })
        .boxed()
}

fn keep_or_omit() -> Vec<Transform> {
    vec![Transform::Keep, Transform::Omit]
}

fn with(extra: impl IntoIterator<Item = Transform>) -> Vec<Transform> {
    keep_or_omit().into_iter().chain(extra).collect()
}

fn identity_transforms() -> Vec<Transform> {
    with([Transform::Pseudonym])
}

fn date_transforms() -> Vec<Transform> {
    with([
        Transform::AgeBand { width: 1 },
        Transform::AgeBand { width: 10 },
        Transform::AgeBand { width: 100 },
        Transform::CoarsenDate {
            granularity: DateGranularity::Week,
        },
        Transform::CoarsenDate {
            granularity: DateGranularity::Month,
        },
    ])
}

fn text(max_chars: usize) -> BoxedStrategy<String> {
    vec(any::<char>(), 1..=max_chars)
        .prop_map(String::from_iter)
        .boxed()
}

fn travel_leg() -> impl Strategy<Value = TravelLeg> {
    (select(PLACES.to_vec()), day("2026-09-01", 120), 0u64..10).prop_map(|(place, from, days)| {
        TravelLeg {
            place: place.to_owned(),
            from,
            to: from + Days::new(days),
        }
    })
}

fn risk_area() -> impl Strategy<Value = Transform> {
    (
        subsequence(vec!["42", "4201", "420106", "31", "11"], 1..=3),
        1u32..60,
    )
        .prop_map(|(areas, window_days)| Transform::RiskAreaVisited {
            areas: areas.into_iter().map(str::to_owned).collect(),
            window_days,
            reference: None,
        })
}

fn travel_field() -> BoxedStrategy<FieldPlan> {
    let legs = vec(travel_leg(), 0..8)
        .prop_map(FieldValue::TravelHistory)
        .boxed();
    (risk_area(), 1u32..40)
        .prop_flat_map(move |(risk, days)| {
            let transforms = with([
                Transform::Generalize {
                    level: DistrictLevel::City,
                },
                Transform::Generalize {
                    level: DistrictLevel::Province,
                },
                Transform::Window {
                    days,
                    reference: None,
                },
                Transform::Count,
                risk,
            ]);
            plan(FieldKind::TravelHistory, transforms, legs.clone())
        })
        .boxed()
}

fn text_field() -> BoxedStrategy<FieldPlan> {
    (1u32..80)
        .prop_flat_map(|max_len| {
            let value = text(max_len as usize).prop_map(FieldValue::Text).boxed();
            plan(FieldKind::Text { max_len }, keep_or_omit(), value)
        })
        .boxed()
}

fn any_field() -> BoxedStrategy<FieldPlan> {
    let symptoms = FieldKind::MultiChoice {
        codes: codes(&SYMPTOMS),
    };
    let integer = FieldKind::Integer { min: -50, max: 200 };
    prop_oneof![
        plan(
            FieldKind::YesNo,
            keep_or_omit(),
            any::<bool>().prop_map(FieldValue::YesNo).boxed()
        ),
        plan(
            FieldKind::Choice {
                codes: codes(&["home", "hotel", "hospital"]),
            },
            keep_or_omit(),
            select(vec!["home", "hotel", "hospital"])
                .prop_map(|code| FieldValue::Choice(code.to_owned()))
                .boxed()
        ),
        plan(
            symptoms,
            with([Transform::Count]),
            subsequence(SYMPTOMS.to_vec(), 0..=SYMPTOMS.len())
                .prop_shuffle()
                .prop_map(|chosen| FieldValue::MultiChoice(codes(&chosen)))
                .boxed()
        ),
        plan(
            FieldKind::TemperatureC,
            with([
                Transform::Round { step: 0.1 },
                Transform::Round { step: 0.2 },
                Transform::Round { step: 0.5 },
                Transform::Round { step: 1.0 },
                Transform::Threshold { at: 37.3 },
                Transform::Threshold { at: 37.25 },
                Transform::Threshold { at: 38.0 },
            ]),
            (340..=430)
                .prop_map(|tenths| FieldValue::Temperature(Temperature::from_tenths(tenths)))
                .boxed()
        ),
        plan(
            integer,
            with([
                Transform::Round { step: 1.0 },
                Transform::Round { step: 5.0 },
                Transform::Round { step: 1000.0 },
                Transform::Threshold { at: 18.0 },
                Transform::Threshold { at: -10.5 },
            ]),
            (-50i64..=200).prop_map(FieldValue::Integer).boxed()
        ),
        plan(
            FieldKind::Date {
                allow_future: false
            },
            date_transforms(),
            day("1900-01-01", 45_000).prop_map(FieldValue::Date).boxed()
        ),
        plan(
            FieldKind::District,
            with([
                Transform::Generalize {
                    level: DistrictLevel::District,
                },
                Transform::Generalize {
                    level: DistrictLevel::City,
                },
                Transform::Generalize {
                    level: DistrictLevel::Province,
                },
            ]),
            select(PLACES.to_vec())
                .prop_map(|code| FieldValue::District(code.to_owned()))
                .boxed()
        ),
        travel_field(),
        plan(
            FieldKind::PersonName,
            identity_transforms(),
            text(MAX_NAME_CHARS)
                .prop_map(FieldValue::PersonName)
                .boxed()
        ),
        plan(
            FieldKind::ResidentId,
            identity_transforms(),
            "[0-9]{17}[0-9X]".prop_map(FieldValue::ResidentId).boxed()
        ),
        plan(
            FieldKind::PassportNumber,
            identity_transforms(),
            "[A-Z0-9]{5,20}"
                .prop_map(FieldValue::PassportNumber)
                .boxed()
        ),
        plan(
            FieldKind::Phone,
            identity_transforms(),
            "\\+[1-9][0-9]{7,14}".prop_map(FieldValue::Phone).boxed()
        ),
        plan(
            FieldKind::TransportNumber,
            keep_or_omit(),
            "[A-Z0-9]?[A-Z]?[0-9]{1,5}[A-Z]?"
                .prop_map(FieldValue::TransportNumber)
                .boxed()
        ),
        text_field(),
    ]
    .boxed()
}

fn profile_plans() -> impl Strategy<Value = Vec<ProfilePlan>> {
    let one = |attribute: ProfileAttribute| {
        let transforms = match attribute {
            ProfileAttribute::BirthDate => date_transforms(),
            _ => identity_transforms(),
        };
        option::of((
            select(transforms),
            select(RECIPIENTS.to_vec()),
            any::<bool>(),
        ))
        .prop_map(move |plan| {
            plan.map(|(upload, to, present)| ProfilePlan {
                attribute,
                to: route(&upload, to),
                upload,
                present,
            })
        })
    };
    ProfileAttribute::ALL
        .map(one)
        .prop_map(|plans| plans.into_iter().flatten().collect())
}

fn attribute_kind(attribute: ProfileAttribute) -> FieldKind {
    match attribute {
        ProfileAttribute::Name => FieldKind::PersonName,
        ProfileAttribute::IdNumber => FieldKind::ResidentId,
        ProfileAttribute::Phone => FieldKind::Phone,
        ProfileAttribute::BirthDate => FieldKind::Date {
            allow_future: false,
        },
        ProfileAttribute::PassportNumber => FieldKind::PassportNumber,
    }
}

fn build_policy(
    fields: &[FieldPlan],
    profile_fields: &[ProfilePlan],
    block: u32,
) -> PolicyDocument {
    let mut specs: Vec<FieldSpec> = fields
        .iter()
        .enumerate()
        .map(|(index, plan)| {
            field(
                &format!("f{index}"),
                plan.kind.clone(),
                plan.upload.clone(),
                plan.to.as_deref(),
            )
        })
        .collect();
    for plan in profile_fields {
        let mut spec = field(
            plan.attribute.field_id(),
            attribute_kind(plan.attribute),
            plan.upload.clone(),
            plan.to.as_deref(),
        );
        spec.source = FieldSource::Profile;
        specs.push(spec);
    }
    let mut policy = policy(vec![form("daily", specs)]);
    policy.padding.block_bytes = block;
    policy.recipients.insert(
        "lab".to_owned(),
        Recipient {
            suite: "x25519-sha256-aes128gcm".to_owned(),
            public_key: "l".to_owned(),
            role: None,
        },
    );
    policy
}

fn build_profile(profile_fields: &[ProfilePlan]) -> Profile {
    let full = profile();
    let mut built = Profile {
        name: None,
        id_number: None,
        phone: None,
        birth_date: None,
        passport_number: None,
        ..full.clone()
    };
    for plan in profile_fields.iter().filter(|plan| plan.present) {
        match plan.attribute {
            ProfileAttribute::Name => built.name = full.name.clone(),
            ProfileAttribute::IdNumber => built.id_number = full.id_number.clone(),
            ProfileAttribute::Phone => built.phone = full.phone.clone(),
            ProfileAttribute::BirthDate => built.birth_date = full.birth_date,
            ProfileAttribute::PassportNumber => {
                built.passport_number = full.passport_number.clone();
            }
        }
    }
    built
}

/// The record with the `which`th value of every field, plus decoys that must never be
/// disclosed: values for the profile-sourced ids and for an undeclared field.
fn build_record(fields: &[FieldPlan], which: usize, on: NaiveDate) -> Record {
    let mut values: BTreeMap<String, FieldValue> = fields
        .iter()
        .enumerate()
        .filter_map(|(index, plan)| Some((format!("f{index}"), plan.values[which].clone()?)))
        .collect();
    values.insert("name".into(), FieldValue::PersonName("decoy-name".into()));
    values.insert("birth_date".into(), FieldValue::Date(date("1999-09-09")));
    values.insert(
        "undeclared".into(),
        FieldValue::Text("decoy-undeclared".into()),
    );
    Record {
        id: RecordId::from_random_bytes([0x33; 16]),
        profile_id: profile().id,
        policy_id: "sh".into(),
        policy_version: 3,
        form_id: "daily".into(),
        date: on,
        values,
        revision: 1,
        amends: None,
        saved_at: chrono::DateTime::parse_from_rfc3339("2026-11-28T08:00:00+08:00").unwrap(),
    }
}

/// What the disclosure must hold, worked out field by field from the policy: the
/// canonical JSON of each uploaded value by recipient and field, and the ledger list.
fn expected(
    policy: &PolicyDocument,
    record: &Record,
    profile: &Profile,
) -> (
    BTreeMap<String, BTreeMap<String, String>>,
    Vec<DisclosedField>,
) {
    let mut parts: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut ledger = Vec::new();
    for spec in &policy.forms[0].fields {
        let Some(to) = spec.to.clone().filter(|_| spec.upload.uploads()) else {
            continue;
        };
        let part = parts.entry(to.clone()).or_default();
        let value = match spec.source {
            FieldSource::Answer => record.values.get(&spec.id).cloned(),
            FieldSource::Profile => ProfileAttribute::from_field_id(&spec.id)
                .and_then(|attribute| profile.attribute(attribute)),
        };
        let Some(value) = value else {
            continue;
        };
        let disclosed = apply(spec, &value, record.date, PSEUDONYM)
            .unwrap()
            .unwrap();
        part.insert(spec.id.clone(), disclosed.canonical_json());
        ledger.push(DisclosedField {
            field: spec.id.clone(),
            transform: spec.upload.name().to_owned(),
            recipient: to,
        });
    }
    (parts, ledger)
}

/// Checks one sealed plaintext: its size, its header, and that its fields are exactly
/// `fields`.
fn check_plaintext(
    plaintext: &[u8],
    padded_size: usize,
    block: usize,
    record_date: NaiveDate,
    dummy: bool,
    fields: &BTreeMap<String, String>,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(plaintext.len(), padded_size);
    prop_assert_eq!(padded_size % block, 0);
    let text = std::str::from_utf8(plaintext).unwrap();
    let json = text.trim_end_matches(' ');
    let parsed: Value = serde_json::from_str(json).unwrap();
    // What was parsed is all there is: writing it back gives the same bytes.
    prop_assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
    let object = parsed.as_object().unwrap();
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    prop_assert_eq!(keys, HEADER_KEYS.to_vec());
    prop_assert_eq!(&object["date"], &Value::from(record_date.to_string()));
    prop_assert_eq!(&object["dummy"], &Value::from(dummy));
    prop_assert_eq!(&object["form"], &Value::from("daily"));
    prop_assert_eq!(&object["format"], &Value::from(SUBMISSION_FORMAT));
    prop_assert_eq!(&object["policy_id"], &Value::from("sh"));
    prop_assert_eq!(&object["policy_version"], &Value::from(3));
    prop_assert_eq!(&object["pseudonym"], &Value::from(PSEUDONYM));
    prop_assert_eq!(&object["submission_id"], &Value::from(SUBMISSION_ID));
    let sent: BTreeMap<String, String> = object["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(key, value)| (key.clone(), serde_json::to_string(value).unwrap()))
        .collect();
    prop_assert_eq!(&sent, fields);
    Ok(())
}

/// Seals `plaintext` as the device does (ring HPKE) and opens it with the independent
/// `hpke` crate, as the authority does: what the property checks is what is opened.
fn sealed_and_opened(plaintext: &[u8], recipient: &str) -> Vec<u8> {
    use hpke::aead::ChaCha20Poly1305;
    use hpke::kdf::HkdfSha256;
    use hpke::kem::X25519HkdfSha256;
    use hpke::{Deserializable, Kem, OpModeR, single_shot_open};
    const SECRET: [u8; 32] = [0x5a; 32];
    let public =
        x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(SECRET)).to_bytes();
    let info = crate::crypto::submission_info("proptest", 1, recipient);
    let aad = SUBMISSION_ID.as_bytes();
    let sealed = crate::crypto::hpke_seal(
        "x25519-sha256-chacha20poly1305",
        &public,
        &info,
        aad,
        plaintext,
    )
    .unwrap();
    let private = <X25519HkdfSha256 as Kem>::PrivateKey::from_bytes(&SECRET).unwrap();
    let encapped = <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(&sealed.enc).unwrap();
    single_shot_open::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
        &OpModeR::Base,
        &private,
        &encapped,
        &info,
        &sealed.ct,
        aad,
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn disclosures_hold_exactly_the_declared_uploads(
        fields in vec(any_field(), 0..12),
        profile_fields in profile_plans(),
        record_date in day("2026-11-01", 60),
        block in select(vec![16u32, 64, 512, 4096]),
    ) {
        let policy = build_policy(&fields, &profile_fields, block);
        let profile = build_profile(&profile_fields);
        let block = block as usize;
        let mut sizes: Option<BTreeMap<String, usize>> = None;
        for which in 0..2 {
            let record = build_record(&fields, which, record_date);
            let disclosure = minimize(&policy, &record, &profile, PSEUDONYM, SUBMISSION_ID).unwrap();
            let (parts, ledger) = expected(&policy, &record, &profile);

            // Exactly the recipients the form routes fields to, each with exactly the
            // uploaded fields that have a value, each the transform of its input.
            prop_assert_eq!(
                disclosure.parts().keys().collect::<BTreeSet<_>>(),
                parts.keys().collect::<BTreeSet<_>>()
            );
            for (recipient, fields) in &parts {
                let part = &disclosure.parts()[recipient];
                let held: BTreeMap<String, String> = part
                    .fields()
                    .iter()
                    .map(|(field, value)| (field.clone(), value.canonical_json()))
                    .collect();
                prop_assert_eq!(&held, fields);
                check_plaintext(
                    &sealed_and_opened(&disclosure.plaintext(recipient).unwrap(), recipient),
                    part.padded_size(),
                    block,
                    record_date,
                    false,
                    fields,
                )?;
                let json = disclosure.canonical_json(recipient).unwrap();
                prop_assert!(!json.contains("decoy"));
            }
            prop_assert_eq!(disclosure.disclosed(), ledger.as_slice());

            // One size per recipient whatever the answers.
            let these: BTreeMap<String, usize> = disclosure
                .parts()
                .iter()
                .map(|(recipient, part)| (recipient.clone(), part.padded_size()))
                .collect();
            for (recipient, size) in &these {
                prop_assert_eq!(*size, padded_size(&policy, "daily", recipient).unwrap());
            }
            if let Some(previous) = &sizes {
                prop_assert_eq!(previous, &these);
            }
            sizes = Some(these);
        }

        // Cover traffic: the same parts at the same sizes, no fields.
        let dummy = Disclosure::dummy(&policy, "daily", record_date, SUBMISSION_ID, PSEUDONYM).unwrap();
        let sizes = sizes.unwrap_or_default();
        prop_assert_eq!(dummy.parts().len(), sizes.len());
        for (recipient, size) in &sizes {
            check_plaintext(
                &dummy.plaintext(recipient).unwrap(),
                *size,
                block,
                record_date,
                true,
                &BTreeMap::new(),
            )?;
        }
    }
}
