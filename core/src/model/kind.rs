//! The closed vocabulary of field kinds a form may use, and the attributes a profile holds.

use serde::{Deserialize, Serialize};

/// What a form field holds; the core knows how to validate and reduce each kind.
///
/// Parameters (choice codes, integer bounds, text length) come from the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FieldKind {
    /// Yes or no.
    YesNo,
    /// One code out of a fixed list.
    Choice {
        /// The allowed codes.
        codes: Vec<String>,
    },
    /// Any subset of a fixed list of codes (symptoms, for example).
    MultiChoice {
        /// The allowed codes.
        codes: Vec<String>,
    },
    /// Body temperature in degrees Celsius, 34.0 to 43.0, at most one decimal.
    TemperatureC,
    /// A whole number within inclusive bounds.
    Integer {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// A calendar date; not after today unless the policy allows it.
    Date {
        /// Whether dates after today are accepted (a planned arrival, say).
        allow_future: bool,
    },
    /// A GB/T 2260 six-digit administrative division code.
    District,
    /// A list of travel legs: place code, first and last day there.
    TravelHistory,
    /// A person's name.
    PersonName,
    /// A GB 11643 18-character resident identity number.
    ResidentId,
    /// A passport number.
    PassportNumber,
    /// A phone number in E.164 form.
    Phone,
    /// A flight or train number.
    TransportNumber,
    /// Free text of bounded length; never uploaded unless a policy says so explicitly.
    Text {
        /// Maximum length in characters.
        max_len: u32,
    },
}

impl FieldKind {
    /// The kind's name as written in policy documents (`"temperature_c"`).
    pub fn name(&self) -> &'static str {
        match self {
            FieldKind::YesNo => "yes_no",
            FieldKind::Choice { .. } => "choice",
            FieldKind::MultiChoice { .. } => "multi_choice",
            FieldKind::TemperatureC => "temperature_c",
            FieldKind::Integer { .. } => "integer",
            FieldKind::Date { .. } => "date",
            FieldKind::District => "district",
            FieldKind::TravelHistory => "travel_history",
            FieldKind::PersonName => "person_name",
            FieldKind::ResidentId => "resident_id",
            FieldKind::PassportNumber => "passport_number",
            FieldKind::Phone => "phone",
            FieldKind::TransportNumber => "transport_number",
            FieldKind::Text { .. } => "text",
        }
    }

    /// Whether the kind says who someone is (name, ID number, passport, phone, transport
    /// number) rather than how they are. Identity kinds may go only to a recipient of the
    /// identity role, unless reduced to a pseudonym.
    pub fn is_identity(&self) -> bool {
        matches!(
            self,
            FieldKind::PersonName
                | FieldKind::ResidentId
                | FieldKind::PassportNumber
                | FieldKind::Phone
                | FieldKind::TransportNumber
        )
    }
}

/// An identity attribute kept once in a profile and referenced by form fields with
/// `"source": "profile"`; the field's id names the attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileAttribute {
    /// The person's name (`person_name`).
    Name,
    /// Resident identity number (`resident_id`).
    IdNumber,
    /// Phone number (`phone`).
    Phone,
    /// Birth date (`date`).
    BirthDate,
    /// Passport number (`passport_number`).
    PassportNumber,
}

impl ProfileAttribute {
    /// Every attribute, in a stable order.
    pub const ALL: [ProfileAttribute; 5] = [
        ProfileAttribute::Name,
        ProfileAttribute::IdNumber,
        ProfileAttribute::Phone,
        ProfileAttribute::BirthDate,
        ProfileAttribute::PassportNumber,
    ];

    /// The attribute a profile-sourced field id refers to (`"id_number"`), if any.
    pub fn from_field_id(id: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|attribute| attribute.field_id() == id)
    }

    /// The field id that refers to this attribute.
    pub fn field_id(self) -> &'static str {
        match self {
            ProfileAttribute::Name => "name",
            ProfileAttribute::IdNumber => "id_number",
            ProfileAttribute::Phone => "phone",
            ProfileAttribute::BirthDate => "birth_date",
            ProfileAttribute::PassportNumber => "passport_number",
        }
    }

    /// Whether a field of `kind` can carry this attribute.
    pub fn accepts(self, kind: &FieldKind) -> bool {
        matches!(
            (self, kind),
            (ProfileAttribute::Name, FieldKind::PersonName)
                | (ProfileAttribute::IdNumber, FieldKind::ResidentId)
                | (ProfileAttribute::Phone, FieldKind::Phone)
                | (ProfileAttribute::BirthDate, FieldKind::Date { .. })
                | (ProfileAttribute::PassportNumber, FieldKind::PassportNumber)
        )
    }
}
