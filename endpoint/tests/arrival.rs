//! The checkpoint confirms a pre-registration in person (issue 14): the traveler's device
//! shows its arrival pass, `confirm-arrival` verifies it and issues an order bound to the
//! registration's pseudonym, the device enrolls it and reports daily under it, and `open
//! --confirmations` shows that registration confirmed while one typed in about the same
//! person on another phone stays unconfirmed. Real devices, the real drop box with upload
//! tokens, the real register file.

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
#[path = "common/phone.rs"]
mod phone;
#[allow(dead_code)]
#[path = "common/token_box.rs"]
mod token_box;

use std::path::{Path, PathBuf};

use chrono::{Duration, Utc};
use common::Backend;
use phone::Phone;
use selfreport_core::crypto::signature::SigningKey;
use selfreport_core::model::Answers;
use selfreport_core::policy::{TrustAnchor, TrustAnchors};
use selfreport_endpoint::checkpoint::{ArrivalCheck, confirm_arrival};
use selfreport_endpoint::open::{IdentityAccess, OutputFormat, open_command};
use selfreport_endpoint::policy_file::PolicyFile;
use serde_json::Value;
use token_box::{TokenBox, today};

struct Checkpoint {
    dir: tempfile::TempDir,
    policy: PolicyFile,
    key: PathBuf,
}

impl Checkpoint {
    fn new(drop_box: &TokenBox) -> Self {
        let authority = &drop_box.inner.authority.keys;
        let anchors = TrustAnchors::from(
            TrustAnchor::from_public_key_base64(&authority.public_key_base64).unwrap(),
        );
        Self {
            dir: tempfile::tempdir().unwrap(),
            policy: PolicyFile::parse(&drop_box.inner.envelope, Some(&anchors), today()).unwrap(),
            key: authority.signing_key_path.clone(),
        }
    }

    fn register(&self) -> PathBuf {
        self.dir.path().join("confirmations.jsonl")
    }

    fn confirm(
        &self,
        pass: &str,
        key: &Path,
        out: &str,
        now: chrono::DateTime<Utc>,
    ) -> Result<
        selfreport_endpoint::checkpoint::ConfirmedArrival,
        selfreport_endpoint::AuthorityError,
    > {
        confirm_arrival(&ArrivalCheck {
            pass: pass.as_bytes(),
            policy: &self.policy,
            key_path: key,
            district: "310104".to_owned(),
            start: today(),
            register: &self.register(),
            out: &self.dir.path().join(out),
            now,
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_confirms_the_travelers_own_registration_and_not_one_typed_by_another() {
    let drop_box = TokenBox::start(Backend::Sqlite).await;
    let phone = Phone::new(&drop_box);
    let traveler = phone.pre_registered_traveler(today());
    // Someone else types the same person's details into their own phone.
    let other_phone = Phone::new(&drop_box);
    let impostor = other_phone.pre_registered_traveler(today());
    for device in [&phone, &other_phone] {
        let report = device.sync().await;
        assert_eq!((report.delivered, report.failed), (1, 0), "{report:?}");
    }

    let checkpoint = Checkpoint::new(&drop_box);
    let pass = phone.core.arrival_pass(&traveler, "sh-arrivals").unwrap();
    // A key other than the policy's signer cannot confirm.
    let stranger = checkpoint.dir.path().join("stranger.key");
    std::fs::write(
        &stranger,
        SigningKey::generate().unwrap().seed_base64().as_bytes(),
    )
    .unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(
        &stranger,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let refused = checkpoint
        .confirm(&pass, &stranger, "stranger-order.json", Utc::now())
        .unwrap_err();
    assert_eq!(refused.code(), "EnrollmentBadSignature");
    // A pass shown more than ten minutes ago is refused: the person shows a fresh one.
    let stale = checkpoint
        .confirm(
            &pass,
            &checkpoint.key,
            "stale-order.json",
            Utc::now() + Duration::minutes(11),
        )
        .unwrap_err();
    assert_eq!(stale.code(), "ArrivalPassStale");
    assert!(
        !checkpoint.register().exists(),
        "nothing recorded for a refused pass"
    );

    let confirmed = checkpoint
        .confirm(&pass, &checkpoint.key, "order.json", Utc::now())
        .unwrap();
    let pseudonym = phone
        .core
        .store()
        .pseudonym(&traveler, "sh-arrivals")
        .unwrap();
    assert_eq!(confirmed.pass.pseudonym, pseudonym);
    assert_eq!(
        confirmed.request.pseudonym.as_deref(),
        Some(pseudonym.as_str())
    );
    assert_eq!(confirmed.request.reason, "arrival");
    assert_eq!(confirmed.request.forms, [("daily".to_owned(), 1)]);
    // The same registration is confirmed once: a replayed pass gets no second order.
    let again = checkpoint
        .confirm(&pass, &checkpoint.key, "order-again.json", Utc::now())
        .unwrap_err();
    assert_eq!(again.code(), "AlreadyConfirmed");
    assert!(!checkpoint.dir.path().join("order-again.json").exists());

    // The order enrolls only the device whose registration it confirms.
    let order = std::fs::read(&confirmed.order.out_path).unwrap();
    let refused = other_phone.core.enroll(&impostor, &order).unwrap_err();
    assert_eq!(refused.code(), "EnrollmentOutsidePolicy");
    phone.core.enroll(&traveler, &order).unwrap();
    phone
        .core
        .save_record(
            &traveler,
            "sh-arrivals",
            "daily",
            None,
            Answers::new()
                .text("temperature", "36.7")
                .text("symptoms", ""),
        )
        .unwrap();
    let report = phone.sync().await;
    assert_eq!((report.delivered, report.failed), (1, 0), "{report:?}");

    // The authority's view: the confirmed registration and the report under it share the
    // pseudonym; the one typed in on the other phone stays unconfirmed.
    let opened = open(&drop_box, &checkpoint, Some(&checkpoint.register()));
    let by_pseudonym = |wanted: &str| -> Vec<&Value> {
        opened
            .iter()
            .filter(|submission| submission["pseudonym"] == wanted)
            .collect()
    };
    let own = by_pseudonym(&pseudonym);
    assert_eq!(own.len(), 2, "{opened:#?}");
    assert!(
        own.iter()
            .all(|submission| submission.get("unconfirmed").is_none())
    );
    let other_pseudonym = other_phone
        .core
        .store()
        .pseudonym(&impostor, "sh-arrivals")
        .unwrap();
    let typed = by_pseudonym(&other_pseudonym);
    assert_eq!(typed.len(), 1);
    assert_eq!(typed[0]["unconfirmed"], true);
    // Without the register, both pre-registrations are unconfirmed.
    let unchecked = open(&drop_box, &checkpoint, None);
    let unconfirmed = unchecked
        .iter()
        .filter(|submission| submission.get("unconfirmed") == Some(&Value::Bool(true)))
        .count();
    assert_eq!(unconfirmed, 2, "{unchecked:#?}");

    // An edited register is refused, not believed.
    let text = std::fs::read_to_string(checkpoint.register()).unwrap();
    let forged = text.replace(&pseudonym, &other_pseudonym);
    assert_ne!(forged, text);
    std::fs::write(checkpoint.register(), forged).unwrap();
    let refused = try_open(&drop_box, &checkpoint, Some(&checkpoint.register())).unwrap_err();
    assert_eq!(refused.code(), "ConfirmationRefused");
}

fn try_open(
    drop_box: &TokenBox,
    checkpoint: &Checkpoint,
    register: Option<&Path>,
) -> Result<Vec<Value>, selfreport_endpoint::AuthorityError> {
    let keys: Vec<PathBuf> = ["health", "identity"]
        .iter()
        .map(|name| drop_box.inner.authority.recipient_key_path(name))
        .collect();
    let policy = checkpoint.dir.path().join("policy.signed.json");
    std::fs::write(&policy, &drop_box.inner.envelope).unwrap();
    let (rendered, _, _) = open_command(
        &drop_box.inner.db.database(),
        &keys,
        &policy,
        Some(&drop_box.inner.authority.keys.public_key_path),
        register,
        OutputFormat::Json,
        &IdentityAccess::Withheld,
    )?;
    Ok(serde_json::from_str(&rendered).unwrap())
}

fn open(drop_box: &TokenBox, checkpoint: &Checkpoint, register: Option<&Path>) -> Vec<Value> {
    try_open(drop_box, checkpoint, register).unwrap()
}
