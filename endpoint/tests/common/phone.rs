//! A resident's phone for the drop box tests: the core's own store, trusting the test
//! authority, the token drop box's policy installed and consented to, syncing over the
//! drop box's test TLS.

use std::sync::Arc;

use selfreport_core::crypto::{KeyMaterial, MemoryKeySource};
use selfreport_core::model::{Answers, NewProfile, ProfileId};
use selfreport_core::policy::{TrustAnchor, TrustAnchors};
use selfreport_core::sync::transport::TransportConfig;
use selfreport_core::sync::{CancelToken, SyncOptions, SyncReport};
use selfreport_core::{Options, SelfReport, SystemClock};

use crate::token_box::{TokenBox, day};

/// A resident's phone trusting the drop box's authority, its policy installed and
/// consented to.
pub struct Phone {
    _dir: tempfile::TempDir,
    pub core: SelfReport,
    pub options: SyncOptions,
}

impl Phone {
    pub fn new(drop_box: &TokenBox) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let authority = &drop_box.inner.authority.keys.public_key_base64;
        let anchors = TrustAnchors::from(TrustAnchor::from_public_key_base64(authority).unwrap());
        let core = SelfReport::create(
            dir.path(),
            &MemoryKeySource::new(KeyMaterial::generate().unwrap()),
            Options {
                trust_anchors: anchors,
                clock: Arc::new(SystemClock),
            },
        )
        .unwrap();
        core.install_policy(&drop_box.inner.envelope).unwrap();
        core.grant_consent("sh-arrivals").unwrap();
        let options = SyncOptions {
            transport: TransportConfig {
                extra_roots: vec![drop_box.inner.tls.ca.to_vec()],
                ..TransportConfig::default()
            },
            ..SyncOptions::default()
        };
        Self {
            _dir: dir,
            core,
            options,
        }
    }

    pub fn person(&self, name: &str) -> ProfileId {
        self.core
            .add_profile(NewProfile {
                display_name: name.to_owned(),
                name: Some(name.to_owned()),
                ..NewProfile::default()
            })
            .unwrap()
    }

    /// A traveler with every identity field the pre-registration asks for, who
    /// pre-registers (open intake) arriving on `arrival`.
    pub fn pre_registered_traveler(&self, arrival: chrono::NaiveDate) -> ProfileId {
        let traveler = self
            .core
            .add_profile(NewProfile {
                display_name: "王秀兰".to_owned(),
                name: Some("王秀兰".to_owned()),
                id_number: Some("11010519491231002X".to_owned()),
                phone: Some("+8613912345678".to_owned()),
                birth_date: Some("1949-12-31".parse().unwrap()),
                ..NewProfile::default()
            })
            .unwrap();
        self.core
            .save_record(
                &traveler,
                "sh-arrivals",
                "arrival",
                None,
                Answers::new()
                    .text("travel", format!("420106:{}:{}", day(-3), day(-2)))
                    .text("arrival_date", arrival.to_string()),
            )
            .unwrap();
        traveler
    }

    /// The father, enrolled by the authority's 14-day order (one report a day), with
    /// today's report saved; the order as the device received it.
    pub fn enrolled_father_reports(&self, drop_box: &TokenBox) -> Vec<u8> {
        let father = self.person("林国栋");
        let order = drop_box.order("sh-arrivals", day(-1), 14, 1);
        self.core.enroll(&father, &order).unwrap();
        self.core
            .save_record(
                &father,
                "sh-arrivals",
                "daily",
                None,
                Answers::new()
                    .text("temperature", "36.8")
                    .text("symptoms", ""),
            )
            .unwrap();
        order
    }

    pub async fn sync(&self) -> SyncReport {
        self.core
            .sync(&self.options, &|_| {}, &CancelToken::new())
            .await
            .unwrap()
    }
}
