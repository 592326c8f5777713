//! A drop box holding real sealed submissions for the console's tests, made the way the
//! drop box's own tests make them (their helpers, `endpoint/tests/common`, are reused as
//! they are): the authority's keys, a signed policy, an in-process drop box on loopback
//! TLS storing into SQLite (or PostgreSQL), and reports minimized and sealed by the core as a device does.
//!
//! The policy is the daily-report example as `selfreport.policy/2` for the city 420100,
//! its daily form filed under enrollment orders: each person's reports carry the county of
//! their order (`monitoring_district`), which is the case's district. (Its `district`
//! field, kept whole, is what the person typed; it scopes nothing.)

#![allow(dead_code, reason = "each test binary uses what it needs")]

#[allow(dead_code, unused_imports, unused_macros)]
#[path = "../../../endpoint/tests/common/mod.rs"]
pub mod endpoint_common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use endpoint_common::{Backend, Sealed, TestDropBox, daily_record, plaintexts_of, profile, seal};
use selfreport_core::minimize::{Carried, minimize_carrying};
use selfreport_core::model::{FieldValue, Temperature};
use selfreport_core::policy::declare_minimum_padded_sizes;
use serde_json::json;

/// The policy's region.
pub const CITY: &str = "420100";

/// The open-intake form of [`FilledDropBox::start_with_intake`]'s policy.
pub const INTAKE_FORM: &str = "intake";

/// A person reporting: their device's pseudonym, name and phone (identity part), and
/// county (health part).
#[derive(Debug, Clone)]
pub struct Person {
    pub pseudonym: &'static str,
    pub name: &'static str,
    pub district: &'static str,
}

/// A running drop box with the policy's signed file and the authority's key files on disk.
pub struct FilledDropBox {
    pub drop_box: TestDropBox,
    pub policy_path: PathBuf,
    pub trust_path: PathBuf,
}

impl FilledDropBox {
    /// Starts the drop box (SQLite) under the test policy.
    pub async fn start() -> Self {
        Self::start_on(Backend::Sqlite).await
    }

    /// Starts the drop box storing into `backend` under the test policy.
    pub async fn start_on(backend: Backend) -> Self {
        Self::start_configured(backend, None, false).await
    }

    /// Starts the drop box (SQLite) under the test policy with an open-intake form too:
    /// [`INTAKE_FORM`], the daily form's fields filed without an order (a
    /// pre-registration), which [`Self::send_intake`] sends.
    pub async fn start_with_intake() -> Self {
        Self::start_configured(Backend::Sqlite, None, true).await
    }

    /// Starts the drop box (SQLite) under the test policy with `access_notices`, accepting
    /// notices signed with `console_key` (the console's audit public key).
    pub async fn start_with_notices(console_key: [u8; 32]) -> Self {
        Self::start_configured(Backend::Sqlite, Some(console_key), false).await
    }

    async fn start_configured(
        backend: Backend,
        console_key: Option<[u8; 32]>,
        intake: bool,
    ) -> Self {
        let drop_box = TestDropBox::start_with(
            backend,
            |authority, url| {
                let mut policy = authority.policy_json(url);
                if console_key.is_some() {
                    policy["access_notices"] = json!(true);
                }
                policy["format"] = json!("selfreport.policy/2");
                policy["region"] = json!([CITY]);
                policy["recipients"]["health"]["role"] = json!("health");
                policy["recipients"]["identity"]["role"] = json!("identity");
                policy["forms"][0]["enrollment"] = json!("required");
                policy["forms"][0]["requires_monitoring"] = json!(true);
                let fields = policy["forms"][0]["fields"].as_array_mut().unwrap();
                for field in fields.iter_mut() {
                    if field["id"] == "district" {
                        field["upload"] = json!("keep");
                    }
                }
                if intake {
                    let mut open = policy["forms"][0].clone();
                    open["id"] = json!(INTAKE_FORM);
                    open["enrollment"] = json!("open");
                    open["requires_monitoring"] = json!(false);
                    policy["forms"].as_array_mut().unwrap().push(open);
                }
                declare_minimum_padded_sizes(&mut policy).unwrap();
                policy
            },
            |d| match console_key {
                Some(key) => d.with_console_key(key),
                None => d,
            },
        )
        .await;
        let dir = drop_box.authority.dir.path();
        let policy_path = dir.join("policy.signed.json");
        std::fs::write(&policy_path, &drop_box.envelope).unwrap();
        let trust_path = drop_box.authority.keys.public_key_path.clone();
        Self {
            drop_box,
            policy_path,
            trust_path,
        }
    }

    /// The authority's key file for `recipient`.
    /// Imports this drop box's recipient keys into the console database behind `client`,
    /// sealed under `kek`, as `selfreport-console keys import` does (actor `admin`).
    pub async fn import_keys_into(
        &self,
        client: &mut tokio_postgres::Client,
        kek: &selfreport_console::kek::KeyEncryptionKey,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        selfreport_console::recipient_keys::import_keys(
            client,
            kek,
            &self.key_path("health"),
            &self.key_path("identity"),
            "admin",
            now,
        )
        .await
        .expect("the drop box's keys import");
    }

    /// Ingests everything new this drop box holds into the console database behind
    /// `client` (its keys imported under `kek`), under its policy, now.
    pub async fn ingest_into(
        &self,
        client: &mut tokio_postgres::Client,
        kek: &selfreport_console::kek::KeyEncryptionKey,
    ) -> selfreport_console::ingest::IngestReport {
        selfreport_console::ingest::ingest(
            client,
            kek,
            &selfreport_endpoint::dropbox::Database::parse(&self.database()).unwrap(),
            &[self.policy()],
            chrono::Utc::now(),
        )
        .await
        .expect("the drop box ingests")
    }

    /// Its signed policy, read and verified as ingest takes it (today, by the test's trust).
    pub fn policy(&self) -> selfreport_endpoint::policy_file::PolicyFile {
        selfreport_endpoint::policy_file::PolicyFile::read(
            &self.policy_path,
            Some(&self.trust_path),
            chrono::Utc::now().date_naive(),
        )
        .expect("the drop box's policy verifies")
    }

    pub fn key_path(&self, recipient: &str) -> PathBuf {
        self.drop_box.authority.recipient_key_path(recipient)
    }

    /// What the console's `--dropbox` takes.
    pub fn database(&self) -> String {
        self.drop_box.db.argument()
    }

    /// Seals `person`'s daily report of `date` with `tenths` degrees (as the device does)
    /// without sending it.
    pub fn report(&self, person: &Person, date: &str, tenths: i32) -> Sealed {
        self.report_as(person, &profile(person.name), date, tenths)
    }

    /// [`Self::report`] with the identity of `identity` (its name, phone, ID number).
    pub fn report_as(
        &self,
        person: &Person,
        identity: &selfreport_core::model::Profile,
        date: &str,
        tenths: i32,
    ) -> Sealed {
        let policy = &self.drop_box.policy;
        let id = endpoint_common::random_hex_id();
        let mut record = daily_record(identity, policy, tenths);
        record.date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        record.values.insert(
            "district".to_owned(),
            FieldValue::District(person.district.to_owned()),
        );
        record.values.insert(
            "temperature".to_owned(),
            FieldValue::Temperature(Temperature::from_tenths(tenths)),
        );
        let disclosure = minimize_carrying(
            policy,
            &record,
            identity,
            person.pseudonym,
            &id,
            ordered(person),
        )
        .unwrap();
        seal(policy, &id, &plaintexts_of(&disclosure))
    }

    /// Seals and sends `person`'s report of `date` carrying the device's `notice_key` (a
    /// policy with `access_notices`); returns its submission id.
    pub async fn send_with_notice_key(
        &self,
        person: &Person,
        date: &str,
        tenths: i32,
        notice_key: &selfreport_core::notice::NoticeKey,
    ) -> String {
        let policy = &self.drop_box.policy;
        let identity = profile(person.name);
        let id = endpoint_common::random_hex_id();
        let mut record = daily_record(&identity, policy, tenths);
        record.date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        record.values.insert(
            "district".to_owned(),
            FieldValue::District(person.district.to_owned()),
        );
        let carried = Carried {
            notice_key: Some(notice_key.clone()),
            ..ordered(person)
        };
        let disclosure =
            minimize_carrying(policy, &record, &identity, person.pseudonym, &id, carried).unwrap();
        let sealed = seal(policy, &id, &plaintexts_of(&disclosure));
        self.post(&sealed).await;
        id
    }

    /// Sends `sealed` to the drop box.
    pub async fn post(&self, sealed: &Sealed) {
        let status = self.drop_box.post(&sealed.body).await.status();
        assert_eq!(status, 201, "the drop box took the submission");
    }

    /// Seals and sends `person`'s open intake (a drop box started with
    /// [`Self::start_with_intake`]) of `date`, filed without an order as a
    /// pre-registration is; returns its submission id.
    pub async fn send_intake(&self, person: &Person, date: &str) -> String {
        let policy = &self.drop_box.policy;
        let identity = profile(person.name);
        let id = endpoint_common::random_hex_id();
        let mut record = daily_record(&identity, policy, 365);
        record.form_id = INTAKE_FORM.to_owned();
        record.date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        let disclosure = minimize_carrying(
            policy,
            &record,
            &identity,
            person.pseudonym,
            &id,
            Carried::default(),
        )
        .unwrap();
        let sealed = seal(policy, &id, &plaintexts_of(&disclosure));
        self.post(&sealed).await;
        id
    }

    /// Seals and sends `person`'s report of `date`; returns its submission id.
    pub async fn send(&self, person: &Person, date: &str, tenths: i32) -> String {
        let sealed = self.report(person, date, tenths);
        self.post(&sealed).await;
        sealed.id().to_owned()
    }

    /// The plaintexts of a report by recipient (for tests that craft their own parts).
    pub fn plaintexts(&self, person: &Person, id: &str) -> BTreeMap<String, Vec<u8>> {
        let policy = &self.drop_box.policy;
        let profile = profile(person.name);
        let mut record = daily_record(&profile, policy, 365);
        record.values.insert(
            "district".to_owned(),
            FieldValue::District(person.district.to_owned()),
        );
        plaintexts_of(
            &minimize_carrying(
                policy,
                &record,
                &profile,
                person.pseudonym,
                id,
                ordered(person),
            )
            .unwrap(),
        )
    }
}

/// What `person`'s reports carry besides their fields: the county of their enrollment
/// order.
pub fn ordered(person: &Person) -> Carried {
    Carried {
        monitoring_district: Some(person.district.to_owned()),
        notice_key: None,
    }
}
