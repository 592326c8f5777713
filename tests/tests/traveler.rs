//! The returning traveler's journey through the CLI (issue 18, item 2), walked as he
//! lives it: pre-registering a trip still under way, with his resident ID and nothing
//! typed twice. Each test answers one of the problems the issue found.

use selfreport_tests::{Workspace, day, resident_id};

const POLICY: &str = "sh-arrivals";

/// A store with both example policies and the traveler's profile, read from stdin, with
/// his resident ID and no birth date; returns the profile id.
fn with_traveler(ws: &Workspace) -> String {
    ws.initialized_with_policies();
    let id_number = resident_id("42010619850314003");
    ws.selfreport_input(
        &["profile", "add", "--from", "-"],
        &[],
        &format!("display_name=Me\nname=陈立\nid_number={id_number}\nphone=+8613912345678\n"),
    )
    .single_line()
}

/// `report --answers -` of the arrival form with these lines.
fn pre_register(ws: &Workspace, profile: &str, answers: &str) -> selfreport_tests::Outcome {
    ws.selfreport_input(
        &[
            "report",
            "--profile",
            profile,
            "--policy",
            POLICY,
            "--form",
            "arrival",
            "--answers",
            "-",
        ],
        &[],
        answers,
    )
}

/// "Had to type a birth date the resident ID already holds"; "travel legs cannot extend
/// past today, so a trip still under way cannot be pre-registered"; "pre-registration
/// never appears in `due`".
#[test]
fn a_trip_under_way_is_pre_registered_from_the_id_alone_and_stays_due_until_sent() {
    let ws = Workspace::new();
    let profile = with_traveler(&ws);
    // Wuhan until tomorrow, then Shanghai until the day before he arrives.
    let answers = format!(
        "travel=420106:{}:{};310104:{}:{}\narrival_date={}\ntransport_number=G1722\n",
        day(-10),
        day(1),
        day(1),
        day(2),
        day(3)
    );
    let record = pre_register(&ws, &profile, &answers).single_line();
    assert_eq!(record.len(), 32, "record id: {record}");

    // The age band leaves, taken from the ID's birth date (1985-03-14): no birth date typed.
    let preview = ws.selfreport(&["preview", &record, "--json"]).json();
    let shown = preview.to_string();
    assert!(
        shown.contains("\"from\":40") && shown.contains("\"to\":49"),
        "{shown}"
    );

    let due = ws.selfreport(&["due", "--json"]).json();
    assert_eq!(due.as_array().map(Vec::len), Some(1), "{due}");
    assert_eq!(due[0]["owed"], "registration");
    assert_eq!(due[0]["form_id"], "arrival");
    assert_eq!(due[0]["profile_id"], profile.as_str());
    let human = ws.selfreport(&["due"]).success().to_owned();
    assert!(
        human.contains("sh-arrivals/arrival") && human.contains("not sent yet"),
        "{human}"
    );
}

/// A leg may end on the arrival day, not after it; without an arrival date, by today.
#[test]
fn a_leg_past_the_planned_arrival_is_refused_by_name() {
    let ws = Workspace::new();
    let profile = with_traveler(&ws);
    let past_arrival = format!(
        "travel=310104:{}:{}\narrival_date={}\n",
        day(-3),
        day(4),
        day(3)
    );
    let outcome = pre_register(&ws, &profile, &past_arrival);
    let refused = outcome.failure(3, "InvalidInput");
    assert!(
        refused.contains("`travel`") && refused.contains("`arrival_date`"),
        "{refused}"
    );
}

/// A birth date that the resident ID contradicts is refused naming both fields.
#[test]
fn a_birth_date_the_id_contradicts_is_refused_naming_both_fields() {
    let ws = Workspace::new();
    let profile = with_traveler(&ws);
    let outcome = ws.selfreport(&["profile", "edit", &profile, "--birth-date", "1985-03-15"]);
    let refused = outcome.failure(3, "InvalidInput");
    assert!(
        refused.contains("`birth_date`") && refused.contains("`id_number`"),
        "{refused}"
    );
}

/// "Arrival does not start monitoring"; "a daily report dated before arrival was
/// accepted".
#[test]
fn arrival_starts_monitoring_and_a_daily_report_before_it_is_refused() {
    let ws = Workspace::new();
    let profile = with_traveler(&ws);
    let answers = format!(
        "travel=420106:{}:{}\narrival_date={}\n",
        day(-12),
        day(-3),
        day(-2)
    );
    pre_register(&ws, &profile, &answers).single_line();

    let periods = ws.selfreport(&["monitor", "list", "--json"]).json();
    assert_eq!(periods.as_array().map(Vec::len), Some(1), "{periods}");
    assert_eq!(periods[0]["policy_id"], POLICY);
    assert_eq!(periods[0]["reason"], "arrival");
    assert_eq!(periods[0]["start"], day(-2));
    assert_eq!(periods[0]["days"], 14);

    let daily = |date: &str| {
        ws.selfreport_input(
            &[
                "report",
                "--profile",
                &profile,
                "--policy",
                POLICY,
                "--form",
                "daily",
                "--date",
                date,
                "--answers",
                "-",
            ],
            &[],
            "temperature=36.6\nsymptoms=\n",
        )
    };
    let outcome = daily(&day(-3));
    let refused = outcome.failure(3, "InvalidInput");
    assert!(
        refused.contains("`date`") && refused.contains("arrival"),
        "{refused}"
    );
    daily(&day(-2)).single_line();
    // Day 3 of 14 is owed today, beside the registration not sent yet.
    let due = ws.selfreport(&["due", "--json"]).json();
    let daily_item = due
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["owed"] == "daily")
        .unwrap_or_else(|| panic!("no daily item in {due}"));
    assert_eq!(daily_item["day"], 3);
}
