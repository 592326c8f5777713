//! Policies, profiles and records built directly from their types, for the tests of
//! this module: no parsing or signing involved.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate};

use crate::model::{FieldKind, FieldValue, Profile, ProfileId, Record, RecordId, TravelLeg};
use crate::policy::{
    CoverTraffic, DistrictLevel, Endpoint, FieldSource, FieldSpec, Form, Issuer, OncePer, Padding,
    PolicyDocument, Purpose, Recipient, Retention, Transform,
};

pub(super) const PSEUDONYM: &str = "0123456789abcdef0123456789abcdef";
pub(super) const SUBMISSION_ID: &str = "fedcba9876543210fedcba9876543210";

pub(super) fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

pub(super) fn codes(list: &[&str]) -> Vec<String> {
    list.iter().map(|code| (*code).to_owned()).collect()
}

/// An answered field routed to `to` (`None` for omit).
pub(super) fn field(id: &str, kind: FieldKind, upload: Transform, to: Option<&str>) -> FieldSpec {
    FieldSpec {
        id: id.to_owned(),
        kind,
        required: false,
        source: FieldSource::Answer,
        upload,
        to: to.map(str::to_owned),
        label: BTreeMap::from([("en".to_owned(), format!("label of {id}"))]),
    }
}

/// A field taken from the profile.
pub(super) fn profile_field(
    id: &str,
    kind: FieldKind,
    upload: Transform,
    to: Option<&str>,
) -> FieldSpec {
    FieldSpec {
        source: FieldSource::Profile,
        ..field(id, kind, upload, to)
    }
}

pub(super) fn form(id: &str, fields: Vec<FieldSpec>) -> Form {
    Form {
        id: id.to_owned(),
        once_per: OncePer::Day,
        requires_monitoring: false,
        enrollment: Default::default(),
        title: BTreeMap::new(),
        fields,
        padded_bytes: BTreeMap::new(),
    }
}

pub(super) fn policy(forms: Vec<Form>) -> PolicyDocument {
    let recipient = |key: &str| Recipient {
        suite: "x25519-sha256-chacha20poly1305".to_owned(),
        public_key: key.to_owned(),
        role: None,
    };
    PolicyDocument {
        format: crate::policy::PolicyFormat::V1,
        region: Vec::new(),
        id: "sh".to_owned(),
        version: 3,
        issuer: Issuer {
            name: BTreeMap::new(),
        },
        purpose: Purpose {
            code: "epidemic-control".to_owned(),
            text: BTreeMap::new(),
        },
        valid_from: date("2026-11-01"),
        valid_until: date("2027-05-01"),
        endpoint: Endpoint {
            url: "https://report.example.org/v1".to_owned(),
            spki_sha256: Vec::new(),
            receipt_key: String::new(),
            token_keys: Vec::new(),
        },
        recipients: BTreeMap::from([
            ("health".to_owned(), recipient("h")),
            ("identity".to_owned(), recipient("i")),
            ("unused".to_owned(), recipient("u")),
        ]),
        monitoring: None,
        retention: Retention {
            device_days: 28,
            server_days: 28,
        },
        padding: Padding { block_bytes: 512 },
        cover_traffic: CoverTraffic::default(),
        access_notices: false,
        forms,
    }
}

/// The forms of the DESIGN §5 example.
pub(super) fn example_policy() -> PolicyDocument {
    let daily = form(
        "daily",
        vec![
            field(
                "temperature",
                FieldKind::TemperatureC,
                Transform::Threshold { at: 37.3 },
                Some("health"),
            ),
            field(
                "symptoms",
                FieldKind::MultiChoice {
                    codes: codes(&["cough", "fatigue", "dyspnea", "loss_of_smell"]),
                },
                Transform::Keep,
                Some("health"),
            ),
            field(
                "district",
                FieldKind::District,
                Transform::Generalize {
                    level: DistrictLevel::City,
                },
                Some("health"),
            ),
            field(
                "notes",
                FieldKind::Text { max_len: 200 },
                Transform::Omit,
                None,
            ),
        ],
    );
    let arrival = form(
        "arrival",
        vec![
            profile_field(
                "name",
                FieldKind::PersonName,
                Transform::Keep,
                Some("identity"),
            ),
            profile_field(
                "id_number",
                FieldKind::ResidentId,
                Transform::Keep,
                Some("identity"),
            ),
            profile_field(
                "birth_date",
                FieldKind::Date {
                    allow_future: false,
                },
                Transform::AgeBand { width: 10 },
                Some("health"),
            ),
            field(
                "travel",
                FieldKind::TravelHistory,
                Transform::RiskAreaVisited {
                    areas: codes(&["4201"]),
                    window_days: 14,
                    reference: None,
                },
                Some("health"),
            ),
            field(
                "arrival_date",
                FieldKind::Date {
                    allow_future: false,
                },
                Transform::Keep,
                Some("health"),
            ),
        ],
    );
    policy(vec![daily, arrival])
}

pub(super) fn profile_id() -> ProfileId {
    ProfileId::from_random_bytes([0x11; 16])
}

pub(super) fn profile() -> Profile {
    Profile {
        id: profile_id(),
        display_name: "Zhang".to_owned(),
        name: Some("张三".to_owned()),
        id_number: Some("11010519491231002X".to_owned()),
        phone: Some("+8613800138000".to_owned()),
        birth_date: Some(date("1952-07-08")),
        passport_number: Some("E12345678".to_owned()),
    }
}

pub(super) fn record(form_id: &str, day: &str, values: Vec<(&str, FieldValue)>) -> Record {
    Record {
        id: RecordId::from_random_bytes([0x22; 16]),
        profile_id: profile_id(),
        policy_id: "sh".to_owned(),
        policy_version: 3,
        form_id: form_id.to_owned(),
        date: date(day),
        values: values
            .into_iter()
            .map(|(id, value)| (id.to_owned(), value))
            .collect(),
        revision: 1,
        amends: None,
        saved_at: DateTime::parse_from_rfc3339("2026-11-28T08:00:00+08:00").unwrap(),
    }
}

pub(super) fn leg(place: &str, from: &str, to: &str) -> TravelLeg {
    TravelLeg {
        place: place.to_owned(),
        from: date(from),
        to: date(to),
    }
}
