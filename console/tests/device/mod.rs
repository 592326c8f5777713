//! A resident's real device for the console's end-to-end tests: the core itself (a store
//! on disk, the drop box's signed policy installed under the authority's key, consent
//! given), reporting and syncing to the loopback drop box as an app does, and reading
//! its ledger.

#![allow(dead_code, reason = "each test binary uses what it needs")]

use std::sync::Arc;

use selfreport_core::crypto::{KeyMaterial, MemoryKeySource};
use selfreport_core::ledger::LedgerEvent;
use selfreport_core::model::{Answers, NewProfile, ProfileId};
use selfreport_core::policy::enrollment::sign_enrollment;
use selfreport_core::policy::{TrustAnchor, TrustAnchors};
use selfreport_core::sync::transport::TransportConfig;
use selfreport_core::sync::{CancelToken, SyncOptions, SyncReport};
use selfreport_core::{Options, SelfReport, SystemClock};

use crate::dropbox::FilledDropBox;

/// One resident's phone.
pub struct Device {
    _dir: tempfile::TempDir,
    pub core: SelfReport,
    pub profile: ProfileId,
    policy_id: String,
    options: SyncOptions,
}

impl Device {
    /// A device trusting the authority of `filled`, its policy installed and consented to,
    /// with one profile (`name` and `phone`, what its identity part carries) enrolled by
    /// the authority's order for the county `district`.
    pub fn new(filled: &FilledDropBox, name: &str, phone: &str, district: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut anchors = TrustAnchors::new();
        anchors.insert(
            TrustAnchor::from_public_key_base64(&filled.drop_box.authority.keys.public_key_base64)
                .unwrap(),
        );
        let core = SelfReport::create(
            dir.path(),
            &MemoryKeySource::new(KeyMaterial::generate().unwrap()),
            Options {
                trust_anchors: anchors,
                clock: Arc::new(SystemClock),
            },
        )
        .unwrap();
        let installed = core.install_policy(&filled.drop_box.envelope).unwrap();
        let policy_id = installed.id.clone();
        core.grant_consent(&policy_id).unwrap();
        let profile = core
            .add_profile(NewProfile {
                display_name: "me".to_owned(),
                name: Some(name.to_owned()),
                phone: Some(phone.to_owned()),
                ..NewProfile::default()
            })
            .unwrap();
        let key = selfreport_endpoint::keyfile::read_signing_key(
            &filled.drop_box.authority.keys.signing_key_path,
        )
        .unwrap();
        let today = chrono::Local::now().date_naive();
        let order = serde_json::json!({
            "format": "selfreport.enrollment/1",
            "policy_id": policy_id,
            "monitoring": {"start": today.pred_opt().unwrap().to_string(), "days": 14},
            "reason": "close_contact",
            "district": district,
            "forms": {"daily": {"per_day": 1}},
            "secret": "AAECAwQFBgcICQoLDA0ODw",
            "issued_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        let signed = sign_enrollment(&key, &serde_json::to_vec(&order).unwrap()).unwrap();
        core.enroll(&profile, &signed).unwrap();
        let options = SyncOptions {
            transport: TransportConfig {
                extra_roots: vec![filled.drop_box.tls.ca.to_vec()],
                ..TransportConfig::default()
            },
            ..SyncOptions::default()
        };
        Self {
            _dir: dir,
            core,
            profile,
            policy_id,
            options,
        }
    }

    /// Saves today's daily report from `district` at `temperature` (°C, as typed).
    pub fn report(&self, district: &str, temperature: &str) {
        self.core
            .save_record(
                &self.profile,
                &self.policy_id,
                "daily",
                None,
                Answers::new()
                    .text("temperature", temperature)
                    .text("symptoms", "")
                    .text("district", district)
                    .text("contact_with_case", "no"),
            )
            .unwrap();
    }

    /// Seals what is saved, sends it to the drop box and polls its notice mailbox.
    pub async fn sync(&self) -> SyncReport {
        self.core
            .sync(&self.options, &|_| {}, &CancelToken::new())
            .await
            .unwrap()
    }

    /// The access notices in its ledger.
    pub fn access_notices(&self) -> Vec<LedgerEvent> {
        self.core
            .ledger()
            .unwrap()
            .into_iter()
            .map(|(_, entry)| entry.event)
            .filter(|event| matches!(event, LedgerEvent::AccessNotice { .. }))
            .collect()
    }
}
