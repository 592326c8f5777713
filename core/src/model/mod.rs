//! Field kinds, values and their validation; profiles; records; monitoring periods.
//!
//! Everything here is plain data and pure functions: no storage, no keys, no clock.
//! "Today" is always passed in by the caller as the person's local date.

mod arrival;
mod correction;
mod district;
mod error;
mod gb2260;
mod id;
mod kind;
mod monitoring;
mod normalize;
mod phone;
mod profile;
mod record;
mod registration_due;
mod resident_id;
mod validate;
mod value;

pub use arrival::{ARRIVAL_DATE_FIELD, answered_arrival, arrival_field, stored_arrival};
pub use correction::{Correction, profile_corrections, recheck, record_corrections};
pub use error::{Rule, ValidationError};
pub use gb2260::NEWEST_LIST_YEAR as DISTRICT_CODES_YEAR;
pub use kind::{FieldKind, ProfileAttribute};
pub use monitoring::{
    DueItem, MonitoringId, MonitoringPeriod, MonitoringReason, Owed, PeriodOrder, due,
};
pub use phone::LIBPHONENUMBER_VERSION;
pub use profile::{MAX_DISPLAY_NAME_CHARS, NewProfile, Profile, ProfileId, ValidatedProfile};
pub use record::{AnswerInput, Answers, Record, RecordId, check_answers, validate_answers};
pub use registration_due::{RegistrationFiling, is_registration, registration_due};
pub use validate::{
    DateBounds, MAX_INPUT_BYTES, MAX_NAME_CHARS, MAX_TEXT_BYTES, MAX_TRAVEL_LEGS, check_value,
    check_value_within, parse_answer, parse_answer_within,
};
pub use value::{FieldValue, Temperature, TravelLeg};
