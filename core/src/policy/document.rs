//! The policy document (`selfreport.policy/1` and `/2`): what a verified policy says.
//!
//! These are plain data types. They are only ever built by parsing bytes whose
//! signature has been verified (see [`super::VerifiedPolicy`]); the parser and the
//! install-time checks live beside them in this module tree.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::model::FieldKind;

/// The format string of the first policy format, still accepted (a policy of this format
/// installs, and stays usable until its `valid_until`).
pub const POLICY_FORMAT: &str = "selfreport.policy/1";

/// The format string of the current policy format: `/1` plus the regions the policy
/// serves and a role for each recipient, and the one format that may be signed under a
/// delegation chain.
pub const POLICY_FORMAT_V2: &str = "selfreport.policy/2";

/// Which format a policy document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PolicyFormat {
    /// `selfreport.policy/1`: no regions, recipients without roles, signed by an anchor only.
    V1,
    /// `selfreport.policy/2`.
    V2,
}

impl PolicyFormat {
    /// The format string (`"selfreport.policy/2"`).
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyFormat::V1 => POLICY_FORMAT,
            PolicyFormat::V2 => POLICY_FORMAT_V2,
        }
    }
}

/// Text in several languages, keyed by BCP 47 language tag (`"zh"`, `"en"`).
pub type Labels = BTreeMap<String, String>;

/// A collection policy: who collects what, why, where it goes and how long it is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    /// The format it is written in.
    pub format: PolicyFormat,
    /// Policy identifier, stable across versions (`"sh-arrivals"`).
    pub id: String,
    /// Version; an update must be strictly greater than the installed one.
    pub version: u64,
    /// Who issues the policy.
    pub issuer: Issuer,
    /// Why the data is collected.
    pub purpose: Purpose,
    /// First day the policy may be used.
    pub valid_from: NaiveDate,
    /// Last day the policy may be used.
    pub valid_until: NaiveDate,
    /// The regions it serves: GB/T 2260 codes (a province `310000`, a city `310100`, a
    /// county `310104`); empty for a `/1` policy, at least one for `/2`.
    pub region: Vec<String>,
    /// Where submissions go and how the endpoint is authenticated.
    pub endpoint: Endpoint,
    /// Recipients by name; each uploaded field names one.
    pub recipients: BTreeMap<String, Recipient>,
    /// Monitoring period settings, for forms that require one.
    pub monitoring: Option<Monitoring>,
    /// How long data is kept on the device and on the server.
    pub retention: Retention,
    /// Padding of sealed submissions.
    pub padding: Padding,
    /// Cover traffic: dummy submissions that hide whether (and when) a person reports.
    pub cover_traffic: CoverTraffic,
    /// `selfreport.policy/2`: whether the person is told of each identity reveal. The
    /// device then sends a notice key in every identity part ([`crate::notice`]); `false`
    /// in `/1`.
    pub access_notices: bool,
    /// The forms this policy collects.
    pub forms: Vec<Form>,
}

impl PolicyDocument {
    /// The form with this id, if the policy has it.
    pub fn form(&self, form_id: &str) -> Option<&Form> {
        self.forms.iter().find(|form| form.id == form_id)
    }
}

/// The issuing authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// Its name in several languages.
    pub name: Labels,
}

/// The declared purpose of collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purpose {
    /// Machine-readable purpose code (`"epidemic-control"`).
    pub code: String,
    /// Human-readable statement in several languages.
    pub text: Labels,
}

/// The authorized endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Base URL; always `https`.
    pub url: String,
    /// Pinned SHA-256 hashes of the server's SubjectPublicKeyInfo, standard base64.
    pub spki_sha256: Vec<String>,
    /// Ed25519 public key that signs receipts, standard base64.
    pub receipt_key: String,
    /// `selfreport.policy/2`: the drop box's upload token issuer keys and the days each
    /// issues on. Empty: the drop box takes uploads without tokens (every `/1` policy).
    pub token_keys: Vec<TokenKey>,
}

impl Endpoint {
    /// The key of `usage` that issues on `day`, if the schedule has one.
    pub fn token_key(&self, usage: TokenKeyUse, day: NaiveDate) -> Option<&TokenKey> {
        self.token_keys
            .iter()
            .find(|key| key.usage == usage && key.from <= day && day <= key.until)
    }
}

/// One upload token issuer key of the drop box (RFC 9578 token type 0x0002): every device
/// of one use fetches tokens under the same key on the same day, so they share one
/// anonymity set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenKey {
    /// Which uploads its tokens pay for.
    pub usage: TokenKeyUse,
    /// The key: a DER SubjectPublicKeyInfo of RSASSA-PSS (SHA-384, 48-byte salt), 2048 bits.
    pub spki: Vec<u8>,
    /// First day it issues.
    pub from: NaiveDate,
    /// Last day it issues (tokens it issued stay spendable until the drop box forgets it).
    pub until: NaiveDate,
}

/// Which uploads a token key's tokens pay for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TokenKeyUse {
    /// Forms filed under an enrollment order: issued to enrolled devices only.
    Enrolled,
    /// Open forms (a traveler's pre-registration): issued to any device, per address and day.
    Open,
}

impl TokenKeyUse {
    /// The name in the policy (`"enrolled"`, `"open"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enrolled => "enrolled",
            Self::Open => "open",
        }
    }
}

/// A recipient of sealed submission parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// HPKE suite name (`"x25519-sha256-chacha20poly1305"`).
    pub suite: String,
    /// X25519 public key, standard base64.
    pub public_key: String,
    /// What it may receive; `None` only in a `/1` policy, which declares no roles.
    pub role: Option<RecipientRole>,
}

/// What a recipient may receive (`selfreport.policy/2`). Identity kinds go only to an
/// identity recipient (unless reduced to a pseudonym), health answers only to a health
/// recipient, so the key that opens who someone is never opens how they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecipientRole {
    /// Receives identity fields (name, ID number, passport, phone, transport number).
    Identity,
    /// Receives health answers and everything that is not an identity field.
    Health,
}

impl RecipientRole {
    /// The role's name as written in policy documents (`"identity"`, `"health"`).
    pub fn name(self) -> &'static str {
        match self {
            RecipientRole::Identity => "identity",
            RecipientRole::Health => "health",
        }
    }
}

/// Monitoring period settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Monitoring {
    /// Length of a monitoring period in days.
    pub days: u32,
}

/// Retention schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Days a record is kept on the device after its date.
    pub device_days: u32,
    /// Days the drop box keeps a submission.
    pub server_days: u32,
}

/// Padding of sealed submissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Padding {
    /// Sealed plaintexts are padded to a multiple of this many bytes.
    pub block_bytes: u32,
}

/// Cover traffic: each local day, for each daily form, a device with consent sends this
/// many dummy submissions, sealed and padded exactly like real ones and dropped by the
/// authority after opening. `daily: 0` (the default) sends none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CoverTraffic {
    /// Dummies per daily form per local day.
    pub daily: u32,
}

/// How often a form may be filed per profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OncePer {
    /// One record per profile per local day; a second save amends it.
    Day,
    /// One record per profile for the life of the policy.
    Registration,
}

/// A form: the fields of one kind of record.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// Form id, unique within the policy (`"daily"`).
    pub id: String,
    /// How often it may be filed.
    pub once_per: OncePer,
    /// Whether it is due only during an active monitoring period.
    pub requires_monitoring: bool,
    /// `selfreport.policy/2`: whether it may be filed only under an enrollment order
    /// ([`FormEnrollment::Required`]) or by anyone ([`FormEnrollment::Open`], the default and
    /// what every `/1` form is).
    pub enrollment: FormEnrollment,
    /// Title in several languages.
    pub title: Labels,
    /// The fields, in display order.
    pub fields: Vec<FieldSpec>,
    /// `selfreport.policy/2`: the padded plaintext size in bytes of every part this form
    /// sends, by recipient name (`"padded_bytes": {"health": 1024}`); empty in `/1`,
    /// whose sizes are computed ([`crate::minimize::padded_size`]).
    pub padded_bytes: BTreeMap<String, u64>,
}

impl Form {
    /// The field with this id, if the form has it.
    pub fn field(&self, field_id: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|field| field.id == field_id)
    }

    /// Whether it is open intake: filed by anyone before any order or monitoring period
    /// exists (a traveler's pre-registration), so what it says about who is coming is the
    /// sender's word until someone confirms it in person. The authority's tools show its
    /// submissions as unconfirmed.
    pub fn is_open_intake(&self) -> bool {
        self.enrollment == FormEnrollment::Open && !self.requires_monitoring
    }
}

/// Who may file a form (`selfreport.policy/2`, `"enrollment": "required" | "open"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormEnrollment {
    /// Anyone: a traveler's pre-registration, a self-declared monitoring period.
    #[default]
    Open,
    /// Only a person enrolled by a collector's signed order (`selfreport.enrollment/1`),
    /// inside the monitoring period the order sets.
    Required,
}

/// Where a field's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldSource {
    /// Typed into the form.
    #[default]
    Answer,
    /// Taken from the profile (name, ID number, phone, birth date, passport number).
    Profile,
}

/// One field of a form.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSpec {
    /// Field id, unique within the form.
    pub id: String,
    /// What the field holds.
    pub kind: FieldKind,
    /// Whether a record must have it.
    pub required: bool,
    /// Where its value comes from.
    pub source: FieldSource,
    /// How it is reduced before upload; `Omit` means it never leaves the device.
    pub upload: Transform,
    /// The recipient of the uploaded value; required unless `upload` is `Omit`.
    pub to: Option<String>,
    /// Label in several languages.
    pub label: Labels,
}

/// Administrative level a district code is generalized to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistrictLevel {
    /// Keep the county-level district (the full six digits).
    District,
    /// Prefecture-level city: the first four digits, then `00`.
    City,
    /// Province: the first two digits, then `0000`.
    Province,
}

/// Granularity a date is coarsened to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateGranularity {
    /// ISO week.
    Week,
    /// Calendar month.
    Month,
}

/// How a field is reduced before it leaves the device. The closed set of DESIGN §5.
#[derive(Debug, Clone, PartialEq)]
pub enum Transform {
    /// Sent as entered.
    Keep,
    /// Never sent. The default.
    Omit,
    /// A number rounded to a multiple of `step`.
    Round {
        /// The rounding step (0.5 for temperatures, 10 for integers...).
        step: f64,
    },
    /// A number reduced to whether it is at or above `at`.
    Threshold {
        /// The threshold.
        at: f64,
    },
    /// District codes (also inside travel history) reduced to a coarser level.
    Generalize {
        /// The level kept.
        level: DistrictLevel,
    },
    /// A date (a birth date) reduced to an age band of `width` years.
    AgeBand {
        /// Width of each band in years.
        width: u32,
    },
    /// A date reduced to its week or month.
    CoarsenDate {
        /// The granularity kept.
        granularity: DateGranularity,
    },
    /// Travel legs kept only when within `days` before the window's end: the record
    /// date, or the `reference` date.
    Window {
        /// The window in days.
        days: u32,
        /// `selfreport.policy/2`: the id of a required, answered `date` field of the same
        /// form whose value ends the window (`"arrival_date"`); `None`: the record date.
        reference: Option<String>,
    },
    /// Travel history reduced to whether a listed area was visited within the window,
    /// plus the week of the last visit.
    RiskAreaVisited {
        /// Area code prefixes (two, four or six digits) considered at risk.
        areas: Vec<String>,
        /// The window in days before its end: the record date, or the `reference` date.
        window_days: u32,
        /// `selfreport.policy/2`: as for [`Transform::Window`].
        reference: Option<String>,
    },
    /// A list reduced to its length.
    Count,
    /// Replaced by a random identifier per profile and policy.
    Pseudonym,
}

impl Transform {
    /// The transform's name as written in policy documents (`"risk_area_visited"`).
    pub fn name(&self) -> &'static str {
        match self {
            Transform::Keep => "keep",
            Transform::Omit => "omit",
            Transform::Round { .. } => "round",
            Transform::Threshold { .. } => "threshold",
            Transform::Generalize { .. } => "generalize",
            Transform::AgeBand { .. } => "age_band",
            Transform::CoarsenDate { .. } => "coarsen_date",
            Transform::Window { .. } => "window",
            Transform::RiskAreaVisited { .. } => "risk_area_visited",
            Transform::Count => "count",
            Transform::Pseudonym => "pseudonym",
        }
    }

    /// The `reference` date field a window transform is measured back from, if any.
    pub fn reference(&self) -> Option<&str> {
        match self {
            Transform::Window { reference, .. } | Transform::RiskAreaVisited { reference, .. } => {
                reference.as_deref()
            }
            _ => None,
        }
    }

    /// Whether this transform lets anything leave the device.
    pub fn uploads(&self) -> bool {
        !matches!(self, Transform::Omit)
    }

    /// Whether this transform can reduce a value of `kind`. The one table of applicability:
    ///
    /// | transform | kinds |
    /// |---|---|
    /// | `keep`, `omit` | every kind |
    /// | `round`, `threshold` | `temperature_c`, `integer` |
    /// | `generalize` | `district`, `travel_history` (the place of each leg) |
    /// | `age_band`, `coarsen_date` | `date` |
    /// | `window`, `risk_area_visited` | `travel_history` |
    /// | `count` | `multi_choice`, `travel_history` |
    /// | `pseudonym` | `person_name`, `resident_id`, `passport_number`, `phone` |
    pub fn applies_to(&self, kind: &FieldKind) -> bool {
        match self {
            Transform::Keep | Transform::Omit => true,
            Transform::Round { .. } | Transform::Threshold { .. } => {
                matches!(kind, FieldKind::TemperatureC | FieldKind::Integer { .. })
            }
            Transform::Generalize { .. } => {
                matches!(kind, FieldKind::District | FieldKind::TravelHistory)
            }
            Transform::AgeBand { .. } | Transform::CoarsenDate { .. } => {
                matches!(kind, FieldKind::Date { .. })
            }
            Transform::Window { .. } | Transform::RiskAreaVisited { .. } => {
                matches!(kind, FieldKind::TravelHistory)
            }
            Transform::Count => {
                matches!(
                    kind,
                    FieldKind::MultiChoice { .. } | FieldKind::TravelHistory
                )
            }
            Transform::Pseudonym => matches!(
                kind,
                FieldKind::PersonName
                    | FieldKind::ResidentId
                    | FieldKind::PassportNumber
                    | FieldKind::Phone
            ),
        }
    }
}
