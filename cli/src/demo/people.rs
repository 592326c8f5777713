//! The demo's fictional household and everything the resident types in for it: who they
//! are, the father's journey, and the days of reports. Nothing here is a real person.

/// One person of the household, as the resident types them in.
pub(super) struct Person {
    pub(super) display_name: &'static str,
    pub(super) name: &'static str,
    pub(super) id_number: &'static str,
    pub(super) phone: &'static str,
    pub(super) birth_date: &'static str,
    pub(super) passport: Option<&'static str>,
}

pub(super) const DAUGHTER: Person = Person {
    display_name: "晓雯",
    name: "林晓雯",
    id_number: "310104199003152427",
    phone: "+8613912345678",
    birth_date: "1990-03-15",
    passport: None,
};

pub(super) const FATHER: Person = Person {
    display_name: "爸爸",
    name: "林国栋",
    id_number: "420106195207083611",
    phone: "+8613807195566",
    birth_date: "1952-07-08",
    passport: Some("E31415926"),
};

/// The father's pre-registration: where he stayed, when and how he arrives.
pub(super) const TRAVEL: &str = "420106:2026-11-02:2026-11-15";
pub(super) const TRAVEL_DATES: [&str; 2] = ["2026-11-02", "2026-11-15"];
pub(super) const TRAVEL_PLACE: &str = "420106";
pub(super) const ARRIVAL_DATE: &str = "2026-11-16";
pub(super) const TRAIN: &str = "G1722";

/// The daughter's district (Xuhui, Shanghai).
pub(super) const DISTRICT: &str = "310104";

/// Daily reports: (daughter's temperature, father's temperature, father's symptoms,
/// father's notes). The father's second day is saved twice: he measured again.
pub(super) const DAYS: [(&str, &str, &str, Option<&str>); 3] = [
    ("36.5", "36.7", "", None),
    (
        "36.4",
        "37.6",
        "fever,cough",
        Some("夜里咳了几声，已多喝水"),
    ),
    ("36.6", "36.8", "", None),
];
pub(super) const FATHER_REMEASURED: (&str, &str) = ("37.0", "cough");

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use selfreport_core::model::NewProfile;

    use super::*;

    #[test]
    fn demo_people_have_valid_resident_ids() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 15).unwrap();
        for person in [&DAUGHTER, &FATHER] {
            let profile = NewProfile {
                display_name: person.display_name.into(),
                name: Some(person.name.into()),
                id_number: Some(person.id_number.into()),
                phone: Some(person.phone.into()),
                birth_date: person.birth_date.parse().ok(),
                passport_number: person.passport.map(str::to_owned),
            };
            profile.validate(today).unwrap();
        }
    }
}
