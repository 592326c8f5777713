//! Nothing a person types is on disk in the clear.
//!
//! Profiles and records are saved through the CLI with a distinct canary in every field
//! kind the example policies use (names, resident ID, phone, passport, birth and arrival
//! dates, travel places, transport number, district, temperature, free-text notes), then
//! every file under the store directory is scanned for each canary, as UTF-8 and in its
//! JSON-escaped forms. The same scan must find the canaries in `export` output, which
//! proves the values were really saved and the scan really looks.

use selfreport_tests::canary::{Canaries, Finding, Scanner};
use selfreport_tests::{Workspace, day};

#[test]
fn no_typed_value_is_stored_in_the_clear() {
    let ws = Workspace::new();
    ws.initialized_with_policies();

    let canaries = Canaries::standard();
    let mut args = vec!["profile".to_owned(), "add".to_owned()];
    args.extend(canaries.profile_args());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let profile = ws.selfreport(&args).single_line();
    let [travel_place_a, travel_place_b] = &canaries.travel_places;
    let [first, second, third] = &canaries.temperatures;
    let notes = &canaries.notes;

    // The traveler's pre-registration: identity comes from the profile, travel and
    // arrival are answered.
    let travel = format!(
        "{travel_place_a}:{}:{};{travel_place_b}:{}:{}",
        day(-10),
        day(-8),
        day(-7),
        day(-6)
    );
    ws.selfreport(&[
        "report",
        "--profile",
        &profile,
        "--policy",
        "sh-arrivals",
        "--form",
        "arrival",
        "--answer",
        &format!("travel={travel}"),
        "--answer",
        &format!("arrival_date={}", canaries.arrival_date),
        "--answer",
        &format!("transport_number={}", canaries.transport_number),
    ])
    .single_line();

    // Daily reports under both policies during a monitoring period: the registration
    // started the sh-arrivals period from the arrival; the daily-health one is started here.
    ws.selfreport(&[
        "monitor",
        "start",
        "--profile",
        &profile,
        "--policy",
        "sh-daily-health",
        "--from",
        &day(-1),
    ])
    .success();
    ws.selfreport(&[
        "report",
        "--profile",
        &profile,
        "--policy",
        "sh-daily-health",
        "--form",
        "daily",
        "--answer",
        &format!("temperature={first}"),
        "--answer",
        "symptoms=fever,cough",
        "--answer",
        "contact_with_case=yes",
        "--answer",
        &format!("district={}", canaries.district),
        "--answer",
        &format!("notes={notes}"),
    ])
    .single_line();
    ws.selfreport(&[
        "report",
        "--profile",
        &profile,
        "--policy",
        "sh-arrivals",
        "--form",
        "daily",
        "--date",
        &day(-1),
        "--answer",
        &format!("temperature={second}"),
        "--answer",
        "symptoms=",
        "--answer",
        &format!("notes={notes}"),
    ])
    .single_line();
    ws.selfreport(&[
        "report",
        "--profile",
        &profile,
        "--policy",
        "sh-daily-health",
        "--form",
        "daily",
        "--date",
        &day(-1),
        "--answer",
        &format!("temperature={third}"),
        "--answer",
        "symptoms=",
        "--answer",
        "contact_with_case=no",
        "--answer",
        &format!("district={}", canaries.district),
    ])
    .single_line();

    // The values are really in the store: export and the record listing (decrypted) show
    // every one, in every form scanned for.
    // (Compact JSON: the CLI pretty-prints, the core stores `"value":389`.)
    let mut shown = ws.selfreport(&["export"]).json().to_string();
    shown.push_str(&ws.selfreport(&["records", "--json"]).json().to_string());
    let scanner = canaries.scanner();
    let shown: Vec<String> = scanner
        .scan_bytes("export", shown.as_bytes())
        .into_iter()
        .map(|finding| finding.value)
        .collect();
    for canary in canaries.all() {
        assert!(
            shown.contains(&canary.value),
            "export does not show {canary:?}, so the scan would prove nothing"
        );
    }

    // ... and no file under the store directory holds any of them in the clear (records
    // keep a temperature as tenths of a degree; that form is among the canaries too).
    let files = ws.store_snapshot();
    assert!(
        files
            .iter()
            .any(|(path, bytes)| path.ends_with("selfreport.db") && !bytes.is_empty()),
        "expected the database among {:?}",
        files.keys().collect::<Vec<_>>()
    );
    assert_eq!(scanner.scan_files(&files), Vec::<Finding>::new());
}

#[test]
fn the_scan_does_find_a_planted_canary() {
    // Guards the guard: a canary written into a store file is reported.
    let ws = Workspace::new();
    ws.initialized_with_policies();
    let planted = ws.store().join("planted.bin");
    selfreport_tests::write(&planted, "xx\\u6b27\\u9633yy".as_bytes());
    let found = Scanner::of_values(&["欧阳"]).scan_files(&ws.store_snapshot());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].place, planted.display().to_string());
}
