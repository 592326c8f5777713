//! Nothing a person types is on disk in the clear.
//!
//! Profiles and records are saved through the CLI with a distinct canary in every field
//! kind the example policies use (names, resident ID, phone, passport, birth and arrival
//! dates, travel places, transport number, district, temperature, free-text notes), then
//! every file under the store directory is scanned for each canary, as UTF-8 and in its
//! JSON-escaped forms. The same scan must find the canaries in `export` output, which
//! proves the values were really saved and the scan really looks.

use selfreport_tests::{Workspace, canary_patterns, contains, day, find_canaries, resident_id};

#[test]
fn no_typed_value_is_stored_in_the_clear() {
    let ws = Workspace::new();
    ws.initialized_with_policies();

    let display_name = "金丝雀爸爸 canary-display";
    let name = "欧阳雀鸣";
    let id_number = resident_id("44528119880719421");
    let phone = "+8613711223344";
    let birth_date = "1988-07-19";
    let passport = "EK7733991";
    let travel_place_a = "420106";
    let travel_place_b = "440305";
    let arrival_date = day(3);
    let transport = "MU5137";
    let district = "310115";
    let temperature = "38.6";
    let notes = "金丝雀备注 canary-notes-7f3a";

    let profile = ws
        .selfreport(&[
            "profile",
            "add",
            "--name",
            name,
            "--display-name",
            display_name,
            "--id-number",
            &id_number,
            "--phone",
            phone,
            "--birth-date",
            birth_date,
            "--passport",
            passport,
        ])
        .single_line();

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
        &format!("arrival_date={arrival_date}"),
        "--answer",
        &format!("transport_number={transport}"),
    ])
    .single_line();

    // Daily reports under both policies during a monitoring period.
    for policy in ["sh-daily-health", "sh-arrivals"] {
        ws.selfreport(&[
            "monitor",
            "start",
            "--profile",
            &profile,
            "--policy",
            policy,
            "--from",
            &day(-1),
        ])
        .success();
    }
    ws.selfreport(&[
        "report",
        "--profile",
        &profile,
        "--policy",
        "sh-daily-health",
        "--form",
        "daily",
        "--answer",
        &format!("temperature={temperature}"),
        "--answer",
        "symptoms=fever,cough",
        "--answer",
        "contact_with_case=yes",
        "--answer",
        &format!("district={district}"),
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
        &format!("temperature={temperature}"),
        "--answer",
        "symptoms=",
        "--answer",
        &format!("notes={notes}"),
    ])
    .single_line();

    let canaries: Vec<&str> = vec![
        display_name,
        name,
        &id_number,
        phone,
        birth_date,
        passport,
        travel_place_a,
        travel_place_b,
        &arrival_date,
        transport,
        district,
        temperature,
        notes,
    ];

    // The values are really in the store: export and the record listing (decrypted) show
    // every one.
    let mut shown = ws.selfreport(&["export"]).success().to_owned();
    shown.push_str(ws.selfreport(&["records", "--json"]).success());
    for canary in &canaries {
        assert!(
            canary_patterns(canary)
                .iter()
                .any(|pattern| contains(shown.as_bytes(), pattern)),
            "export does not show {canary:?}, so the scan would prove nothing"
        );
    }
    // Records keep a temperature as tenths of a degree; look for that form on disk too.
    let mut canaries = canaries;
    let stored_temperature = format!("\"value\":{}", temperature.replace('.', ""));
    canaries.push(&stored_temperature);

    // ... and no file under the store directory holds any of them in the clear.
    let files = ws.store_snapshot();
    assert!(
        files
            .iter()
            .any(|(path, bytes)| path.ends_with("selfreport.db") && !bytes.is_empty()),
        "expected the database among {:?}",
        files.keys().collect::<Vec<_>>()
    );
    let found = find_canaries(&files, &canaries);
    assert!(
        found.is_empty(),
        "typed values found in the clear: {found:?}"
    );
}

#[test]
fn the_scan_does_find_a_planted_canary() {
    // Guards the guard: a canary written into a store file is reported.
    let ws = Workspace::new();
    ws.initialized_with_policies();
    let planted = ws.store().join("planted.bin");
    selfreport_tests::write(&planted, "xx\\u6b27\\u9633yy".as_bytes());
    let found = find_canaries(&ws.store_snapshot(), &["欧阳"]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, planted);
}
