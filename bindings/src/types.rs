//! The plain records and enums that cross the boundary. Dates are [`LocalDate`]s (the
//! platform's date type), ids records of their own ([`crate::ids`]), timestamps RFC 3339
//! text, labels maps from language tag (`"zh"`, `"en"`) to text.

use std::collections::HashMap;

use crate::dates::LocalDate;
use crate::ids::{MonitoringId, ProfileId, RecordId, SubmissionId};

/// Language tag to text (`{"zh": "每日健康申报", "en": "Daily health report"}`).
pub type Labels = HashMap<String, String>;

/// An authority key the app trusts to sign collection policies.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TrustAnchor {
    /// The Ed25519 public key in standard base64, as `selfreport-authority keygen` writes
    /// it to `signing.pub`.
    pub public_key: String,
    /// First day the key may sign policies, if limited.
    pub not_before: Option<LocalDate>,
    /// Last day the key may sign policies, if limited.
    pub not_after: Option<LocalDate>,
}

/// How the app opens the core.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OpenOptions {
    /// The authority keys whose policies this app accepts. Ship them with the app.
    pub trust_anchors: Vec<TrustAnchor>,
    /// Development only: extra CA certificates (DER) trusted for endpoints beside the
    /// public roots. A policy's key pins still apply. Leave empty in production.
    pub extra_roots_der: Vec<Vec<u8>>,
    /// The selfreport release the bindings were generated for. Leave it to its default:
    /// the generator writes the library's version into the bindings, and `open` refuses
    /// (`Incompatible`, code `BindingsVersion`) bindings of one release with the library
    /// of another. Must be the workspace version (a test checks the generated bindings).
    #[uniffi(default = "0.1.0")]
    pub bindings_version: String,
}

/// An installed collection policy, for onboarding and settings screens.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PolicyInfo {
    /// Policy id.
    pub id: String,
    /// Installed version.
    pub version: u64,
    /// Who collects.
    pub issuer: Labels,
    /// Purpose code (`"epidemic-control"`).
    pub purpose_code: String,
    /// Why, in the policy's languages.
    pub purpose: Labels,
    /// First valid day.
    pub valid_from: LocalDate,
    /// Last valid day.
    pub valid_until: LocalDate,
    /// Where submissions go.
    pub endpoint_url: String,
    /// Days records are kept on the device.
    pub device_retention_days: u32,
    /// Days the authority keeps submissions.
    pub server_retention_days: u32,
    /// Length of a monitoring period in days, if the policy monitors.
    pub monitoring_days: Option<u32>,
    /// Key id of the authority key that signed it.
    pub key_id: String,
    /// Whether the person has consented to sending under this policy.
    pub consented: bool,
    /// Its forms, in policy order.
    pub forms: Vec<FormInfo>,
}

/// How often a form is filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FormFrequency {
    /// One record per profile per local day; saving again the same day amends it.
    Daily,
    /// One record per profile for the life of the policy (a pre-registration).
    Once,
}

/// A form, with everything needed to render it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FormInfo {
    /// Form id.
    pub id: String,
    /// Title.
    pub title: Labels,
    /// How often it is filed.
    pub frequency: FormFrequency,
    /// Whether it is only due inside a monitoring period.
    pub requires_monitoring: bool,
    /// Its fields, in order.
    pub fields: Vec<FieldInfo>,
}

/// What a field holds, with the parameters an input control needs.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum FieldKind {
    /// Yes or no: answer `"yes"` or `"no"`.
    YesNo,
    /// One of `codes`.
    Choice {
        /// Allowed codes.
        codes: Vec<String>,
    },
    /// Any subset of `codes`, answered comma-separated (`""` for none).
    MultiChoice {
        /// Allowed codes.
        codes: Vec<String>,
    },
    /// Body temperature in °C, 34.0–43.0, at most one decimal.
    TemperatureC,
    /// A whole number within inclusive bounds.
    Integer {
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// A date `YYYY-MM-DD`.
    Date {
        /// Whether days after today are accepted.
        allow_future: bool,
    },
    /// A six-digit GB/T 2260 district code.
    District,
    /// Travel legs `PLACE:FROM:TO`, separated by `;` (`""` for no travel).
    TravelHistory,
    /// A person's name.
    PersonName,
    /// An 18-character resident identity number.
    ResidentId,
    /// A passport number.
    PassportNumber,
    /// A phone number in E.164 form (`+8613800138000`).
    Phone,
    /// A flight or train number.
    TransportNumber,
    /// Free text.
    Text {
        /// Maximum length in characters.
        max_len: u32,
    },
}

/// One field of a form.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FieldInfo {
    /// Field id: the key of its answer.
    pub id: String,
    /// Label.
    pub label: Labels,
    /// Kind and its parameters.
    pub kind: FieldKind,
    /// Whether an answer is required.
    pub required: bool,
    /// Whether its value comes from the profile (not typed into the form).
    pub from_profile: bool,
    /// The transform applied before it leaves the device (`"omit"` if it never does).
    pub transform: String,
    /// The same transform with its parameters, for "what is shared" screens.
    pub reduction: crate::forms::Reduction,
    /// Who receives it, if anyone.
    pub recipient: Option<String>,
}

/// A household member's profile, to add.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewProfile {
    /// How the app shows the profile ("Mum"); stays on the device.
    pub display_name: String,
    /// Legal name.
    pub name: Option<String>,
    /// Resident identity number.
    pub id_number: Option<String>,
    /// Phone number, E.164.
    pub phone: Option<String>,
    /// Birth date.
    pub birth_date: Option<LocalDate>,
    /// Passport number.
    pub passport_number: Option<String>,
}

/// A stored profile.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProfileInfo {
    /// Profile id.
    pub id: ProfileId,
    /// Display name.
    pub display_name: String,
    /// Legal name.
    pub name: Option<String>,
    /// Resident identity number.
    pub id_number: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Birth date.
    pub birth_date: Option<LocalDate>,
    /// Passport number.
    pub passport_number: Option<String>,
}

/// Why a person is monitored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MonitoringReason {
    /// Arrived from elsewhere.
    Arrival,
    /// Close contact of a case.
    Contact,
    /// Chose to monitor themselves.
    SelfReported,
}

/// A monitoring period.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MonitoringInfo {
    /// Period id.
    pub id: MonitoringId,
    /// Whose.
    pub profile_id: ProfileId,
    /// Under which policy.
    pub policy_id: String,
    /// First day.
    pub start: LocalDate,
    /// Length in days.
    pub days: u32,
    /// Why.
    pub reason: MonitoringReason,
    /// For a period a collector's enrollment order set (`enroll`): the county-level
    /// district the person is monitored in. Such a period is the collector's: the person
    /// cannot end it. `None` for a period the person started.
    #[uniffi(default = None)]
    pub ordered_district: Option<String>,
}

/// A report a profile still owes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DueItem {
    /// Whose.
    pub profile_id: ProfileId,
    /// Under which policy.
    pub policy_id: String,
    /// Which form.
    pub form_id: String,
    /// For which day.
    pub date: LocalDate,
    /// Day number within the monitoring period, from 1; 0 for a registration (a
    /// pre-registration not yet sent), which is owed outside any period.
    pub day: u32,
    /// Length of the period; 0 for a registration.
    pub of_days: u32,
}

/// What saving a record did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SavedRecord {
    /// Record id.
    pub id: RecordId,
    /// Whether it amended an unsent record of the same day instead of adding one.
    pub amended: bool,
    /// Revision: 1 for a first record, more for amendments made after sending.
    pub revision: u32,
}

/// Where a record stands on its way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RecordState {
    /// On the device; may still be amended.
    Saved,
    /// Sealed and waiting to be sent.
    Queued,
    /// Delivered; the receipt verified.
    Sent,
}

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecordInfo {
    /// Record id.
    pub id: RecordId,
    /// Whose.
    pub profile_id: ProfileId,
    /// Under which policy.
    pub policy_id: String,
    /// The policy version in force when saved.
    pub policy_version: u64,
    /// Which form.
    pub form_id: String,
    /// The day it reports on.
    pub date: LocalDate,
    /// Revision.
    pub revision: u32,
    /// The sent record it amends, if any.
    pub amends: Option<RecordId>,
    /// When last saved, RFC 3339 local time.
    pub saved_at: String,
    /// Where it stands.
    pub state: RecordState,
    /// Answers by field id, in their text form.
    pub answers: HashMap<String, String>,
}

/// Every record, and the ids of rows that failed their integrity check.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecordList {
    /// Readable records, newest day first.
    pub records: Vec<RecordInfo>,
    /// Ids of damaged rows (shown, never silently dropped).
    pub damaged: Vec<String>,
}

/// One field as the person entered it and as it would leave the device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PreviewField {
    /// Field id.
    pub field: String,
    /// Label.
    pub label: Labels,
    /// Who receives it, if anyone.
    pub recipient: Option<String>,
    /// Transform name (`"omit"` when it stays on the device).
    pub transform: String,
    /// The value as entered, if any.
    pub before: Option<String>,
    /// The JSON value disclosed, if anything is.
    pub after: Option<String>,
}

/// One recipient's part, exactly as it will be sealed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PreviewPart {
    /// Recipient.
    pub recipient: String,
    /// The exact JSON sealed (before padding with spaces).
    pub json: String,
    /// Size it is padded to.
    pub padded_size: u64,
}

/// "What will be shared": every field before and after, and the exact bytes per recipient.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Preview {
    /// Every field of the form, in form order.
    pub fields: Vec<PreviewField>,
    /// The parts, by recipient.
    pub parts: Vec<PreviewPart>,
}

/// Progress of one submission during a sync.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SyncEvent {
    /// A record was minimized, sealed and queued.
    Queued {
        /// Submission id.
        submission_id: SubmissionId,
        /// Policy id.
        policy_id: String,
        /// Form id.
        form_id: String,
    },
    /// Delivered; the receipt verified.
    Delivered {
        /// Submission id.
        submission_id: SubmissionId,
        /// When the drop box received it.
        received_at: String,
    },
    /// Not delivered this time; it will be tried again.
    RetryLater {
        /// Submission id.
        submission_id: SubmissionId,
        /// Seconds until the next attempt.
        after_seconds: u64,
        /// Why.
        reason: String,
    },
    /// Refused for good by the server.
    Failed {
        /// Submission id.
        submission_id: SubmissionId,
        /// Why.
        reason: String,
    },
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncSummary {
    /// Records sealed into the outbox.
    pub queued: u32,
    /// Submissions delivered with a verified receipt.
    pub delivered: u32,
    /// Submissions to try again later.
    pub retry_later: u32,
    /// Submissions refused for good.
    pub failed: u32,
    /// Whether it stopped because it was cancelled.
    pub cancelled: bool,
    /// Access notices found and written to the ledger.
    #[uniffi(default = 0)]
    pub notices: u32,
}

/// A field disclosed in a submission, and how.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DisclosedField {
    /// Field id.
    pub field: String,
    /// Transform applied.
    pub transform: String,
    /// Recipient.
    pub recipient: String,
}

/// Where the person stands with the installed version of a policy (issue 13: consent is
/// bound to what leaves).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentStatus {
    /// Not asked yet: nothing is sent.
    NotAsked,
    /// Withdrawn: nothing is sent.
    Withdrawn,
    /// Sending is allowed: the installed version lets no more leave than the one consented
    /// to.
    Granted {
        /// The version consented to.
        consented_version: u64,
        /// The installed version.
        version: u64,
    },
    /// The installed version lets more leave than the one consented to: nothing is sealed
    /// or sent until `grant_consent` is called again. Show `widened` to the person.
    Widened {
        /// The version consented to.
        consented_version: u64,
        /// The installed version.
        version: u64,
        /// Each way it discloses more, in words the person can read
        /// (`field daily/temperature: threshold 37.3 -> keep`).
        widened: Vec<String>,
    },
}

/// What a ledger entry records.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum LedgerEvent {
    /// A submission was delivered and its receipt verified.
    Disclosure {
        /// Policy id.
        policy_id: String,
        /// Policy version.
        policy_version: u64,
        /// Purpose code.
        purpose: String,
        /// Endpoint it went to.
        endpoint: String,
        /// Form id.
        form: String,
        /// Submission id.
        submission_id: SubmissionId,
        /// The record it carried (empty for cover traffic).
        record_id: RecordId,
        /// Fields disclosed.
        fields: Vec<DisclosedField>,
        /// SHA-256 of the body sent, hex.
        body_sha256: String,
        /// When the drop box received it (from the signed receipt).
        received_at: String,
        /// The receipt's Ed25519 signature, base64: over the receipt alone, or over the root of
        /// its batch's hash tree (`verify_ledger` checks either).
        receipt_signature: String,
        /// Whether this was a cover-traffic dummy.
        cover: bool,
    },
    /// The person consented to a policy.
    ConsentGranted {
        /// Policy id.
        policy_id: String,
        /// Purpose code.
        purpose: String,
    },
    /// A new version of a consented policy lets no more leave than what was consented
    /// to: consent carried over. Keys rotated on the way are listed.
    ConsentCarriedOver {
        /// Policy id.
        policy_id: String,
        /// The version consented to.
        from_version: u64,
        /// The version now installed.
        to_version: u64,
        /// Keys rotated since the previous version (`recipient health key`, `receipt key`,
        /// `TLS pins`).
        rotated: Vec<String>,
    },
    /// A new version lets more leave than was consented to: nothing is sealed or sent
    /// under it until the person consents again.
    ConsentNeeded {
        /// Policy id.
        policy_id: String,
        /// The version installed.
        version: u64,
        /// Each way it discloses more.
        widened: Vec<String>,
    },
    /// A queued submission was dropped unsent.
    SubmissionDropped {
        /// Policy id.
        policy_id: String,
        /// Submission id.
        submission_id: SubmissionId,
        /// Why, for the person.
        reason: String,
    },
    /// The policy's root revoked its installed version or a delegation it was signed
    /// under: nothing more is sealed or sent under it.
    PolicyRevoked {
        /// Policy id.
        policy_id: String,
        /// The version installed.
        version: u64,
        /// What was revoked: `"version"`, or `"delegation <key id>"`.
        revoked: String,
        /// The reason's code (`key-compromise`, `superseded`, `ceased-operation`,
        /// `privilege-withdrawn`).
        reason: String,
        /// The sequence number of the revocation list.
        sequence: u64,
        /// Queued submissions dropped unsent.
        dropped: u64,
    },
    /// The person withdrew consent; queued submissions were dropped.
    ConsentWithdrawn {
        /// Policy id.
        policy_id: String,
        /// Purpose code.
        purpose: String,
        /// Submissions dropped unsent.
        dropped: u64,
    },
    /// The person asked for a submission to be deleted.
    DeletionRequested {
        /// Policy id.
        policy_id: String,
        /// Submission id.
        submission_id: SubmissionId,
        /// Endpoint asked.
        endpoint: String,
        /// `"deleted"`, `"not_found"` or `"dropped_unsent"`.
        outcome: String,
    },
    /// An officer saw the identity sent with one of the person's submissions, and the
    /// collector told the person (an access notice, found at sync).
    AccessNotice {
        /// Policy id.
        policy_id: String,
        /// The submission whose identity part was opened.
        submission_id: SubmissionId,
        /// The office whose case console showed it.
        office: String,
        /// The officer's number in that office.
        officer: String,
        /// The reason given: `follow-up-symptoms`, `missed-reports`, `arrange-care` or
        /// `confirm-intake`.
        reason: String,
        /// When it was shown, RFC 3339 UTC.
        revealed_at: String,
    },
}

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LedgerEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// When, RFC 3339 local time.
    pub at: String,
    /// What.
    pub event: LedgerEvent,
}

/// The result of verifying the ledger's hash chain and every receipt.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LedgerCheck {
    /// Whether every link and receipt verified.
    pub valid: bool,
    /// Entries checked.
    pub entries: u64,
    /// Receipts whose signature verified.
    pub receipts_verified: u64,
    /// Sequence number of the first bad entry, if any.
    pub problem_seq: Option<u64>,
    /// What is wrong there (`"chain"`, `"receipt"`, `"sequence"`, `"unreadable"`).
    pub problem: Option<String>,
}

/// What a purge removed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PurgeSummary {
    /// Records deleted.
    pub records: u64,
    /// Monitoring periods deleted.
    pub monitoring_periods: u64,
    /// Epoch keys shredded.
    pub epoch_keys: u64,
}

/// What a deletion request achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DeletionOutcome {
    /// The drop box deleted it.
    Deleted,
    /// The drop box no longer had it.
    NotFound,
    /// It had not been sent; it was dropped from the outbox.
    DroppedUnsent,
}
