//! Enrollment orders through both tools (issue 14): the collector signs an order with
//! `selfreport-authority enroll`; the device enrolls the person with `selfreport enroll`;
//! the policy's required daily form is refused before and accepted inside the ordered
//! period, which the person cannot end. The order is also written as a QR code, which scans back
//! to the order, byte for byte. For a phone without a camera, `enroll --register` gives a
//! typed code the drop box redeems once for the order. At arrival, `selfreport
//! arrival-pass` and `selfreport-authority confirm-arrival` give a traveler an order bound
//! to their own pre-registration.

use selfreport_tests::endpoint::{EndpointConfig, EndpointProcess};
use selfreport_tests::pki::TestPki;
use selfreport_tests::{Workspace, day, enrollment_policy, resident_id};

#[test]
fn a_collectors_order_enrolls_the_person_for_the_required_form() {
    let ws = Workspace::new();
    let public = ws.authority_keygen();
    ws.selfreport(&["init", "--trust", &public.to_string_lossy()])
        .success();
    let signed = ws.sign_policy("arrivals", &enrollment_policy());
    ws.selfreport(&["policy", "install", &signed.to_string_lossy()])
        .success();
    let profile = ws
        .selfreport(&["profile", "add", "--name", "Me"])
        .single_line();
    let report = |ws: &Workspace| daily_report(ws, &profile);
    let outcome = report(&ws);
    let refused = outcome.failure(3, "InvalidInput");
    assert!(refused.contains("enrollment order"), "{refused}");
    // A period the person declares does not open the form under this policy.
    ws.selfreport(&[
        "monitor",
        "start",
        "--profile",
        &profile,
        "--policy",
        "sh-arrivals",
    ])
    .failure(1, "Conflict");

    let key = ws.authority_dir().join("signing.key");
    let order = ws.path().join("order.json");
    let signed_order = ws
        .authority(&[
            "enroll",
            "--key",
            &key.to_string_lossy(),
            "--policy",
            "sh-arrivals",
            "--district",
            "310101",
            "--start",
            &day(-1),
            "--days",
            "14",
            "--reason",
            "close_contact",
            "--form",
            "daily=1",
            "--out",
            &order.to_string_lossy(),
        ])
        .success()
        .to_owned();
    assert!(signed_order.contains("0600"), "{signed_order}");
    let pictures = [order.with_extension("png"), order.with_extension("svg")];
    for path in std::iter::once(&order).chain(&pictures) {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path)
            .expect("the order and its QR codes")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "{}: it holds the order's secret",
            path.display()
        );
    }
    let before = std::fs::read(&order).expect("the order");
    // What a phone's camera reads from the PNG is the order, byte for byte.
    let scanned = scan_png(&std::fs::read(&pictures[0]).expect("the PNG"));
    assert_eq!(scanned, before);
    assert!(
        std::fs::read_to_string(&pictures[1])
            .expect("the SVG")
            .starts_with("<?xml")
    );
    let pictures_before: Vec<Vec<u8>> = pictures
        .iter()
        .map(|path| std::fs::read(path).expect("a QR code"))
        .collect();
    // Not replaced by a second order.
    let second = ws.authority(&[
        "enroll",
        "--key",
        &key.to_string_lossy(),
        "--policy",
        "sh-arrivals",
        "--district",
        "310101",
        "--reason",
        "arrival",
        "--form",
        "daily=1",
        "--out",
        &order.to_string_lossy(),
    ]);
    assert_ne!(second.code, 0, "{}", second.stderr);
    assert_eq!(std::fs::read(&order).expect("the order"), before);
    for (path, was) in pictures.iter().zip(&pictures_before) {
        assert_eq!(&std::fs::read(path).expect("a QR code"), was);
    }

    // The device enrolls with what it scanned.
    let scanned_path = ws.path().join("scanned.json");
    std::fs::write(&scanned_path, &scanned).expect("the scan");
    let enrolled = ws
        .selfreport(&[
            "enroll",
            "--profile",
            &profile,
            &scanned_path.to_string_lossy(),
        ])
        .success()
        .to_owned();
    assert!(enrolled.contains("310101"), "{enrolled}");
    let record = report(&ws).single_line();
    assert_eq!(record.len(), 32, "{record}");
    let periods = ws.selfreport(&["monitor", "list", "--json"]).json();
    let period = periods[0]["id"].as_str().expect("a period id").to_owned();
    ws.selfreport(&["monitor", "end", &period])
        .failure(1, "Conflict");

    // An order from a key that did not sign the policy enrolls nobody.
    let other = ws.path().join("other");
    ws.authority(&["keygen", "--out", &other.to_string_lossy()])
        .success();
    let foreign = ws.path().join("foreign.json");
    ws.authority(&[
        "enroll",
        "--key",
        &other.join("signing.key").to_string_lossy(),
        "--policy",
        "sh-arrivals",
        "--district",
        "310101",
        "--reason",
        "arrival",
        "--form",
        "daily=1",
        "--out",
        &foreign.to_string_lossy(),
    ])
    .success();
    ws.selfreport(&["enroll", "--profile", &profile, &foreign.to_string_lossy()])
        .failure(3, "EnrollmentBadSignature");
}

/// The traveler pre-registers; their phone prints an arrival pass; the checkpoint confirms
/// it once, into its register, with an order only this profile enrolls with; `open
/// --confirmations` then shows the registration confirmed.
#[test]
fn the_checkpoint_confirms_an_arrival_pass_through_both_tools() {
    let ws = Workspace::new();
    let public = ws.authority_keygen();
    let public = public.to_string_lossy().into_owned();
    ws.selfreport(&["init", "--trust", &public]).success();
    let signed = ws.sign_policy("arrivals", &enrollment_policy());
    let signed = signed.to_string_lossy().into_owned();
    ws.selfreport(&["policy", "install", &signed]).success();
    let person = ws.path().join("dad.json");
    let profile_json = serde_json::json!({
        "display_name": "Dad", "name": "林国栋",
        "id_number": resident_id("42010619520708361"),
        "phone": "+8613807195566", "birth_date": "1952-07-08"
    });
    std::fs::write(&person, profile_json.to_string()).expect("the profile file");
    let dad = ws
        .selfreport(&["profile", "add", "--from", &person.to_string_lossy()])
        .single_line();
    let other = ws
        .selfreport(&["profile", "add", "--name", "Neighbour"])
        .single_line();
    let pass_of = |profile: &str| {
        ws.selfreport(&[
            "arrival-pass",
            "--profile",
            profile,
            "--policy",
            "sh-arrivals",
        ])
    };
    pass_of(&dad).failure(1, "NotFound");
    ws.selfreport(&[
        "report",
        "--profile",
        &dad,
        "--policy",
        "sh-arrivals",
        "--form",
        "arrival",
        "--answer",
        &format!("travel=420106:{}:{}", day(-5), day(-2)),
        "--answer",
        &format!("arrival_date={}", day(0)),
    ])
    .success();
    let pass = pass_of(&dad).single_line();
    let pass_json: serde_json::Value = serde_json::from_str(&pass).expect("the pass is JSON");
    assert_eq!(pass_json["format"], "selfreport.arrival-pass/1");

    let key = ws.authority_dir().join("signing.key");
    let register = ws.path().join("confirmations.jsonl");
    let confirm = |out: &str| {
        let out = ws.path().join(out);
        ws.authority(&[
            "confirm-arrival",
            &pass,
            "--policy",
            &signed,
            "--trust",
            &public,
            "--key",
            &key.to_string_lossy(),
            "--district",
            "310101",
            "--confirmations",
            &register.to_string_lossy(),
            "--out",
            &out.to_string_lossy(),
        ])
    };
    let confirmed = confirm("order.json").success().to_owned();
    assert!(
        confirmed.contains(pass_json["pseudonym"].as_str().expect("a pseudonym")),
        "{confirmed}"
    );
    confirm("order-again.json").failure(1, "AlreadyConfirmed");
    let lines = std::fs::read_to_string(&register).expect("the register");
    assert_eq!(lines.lines().count(), 1, "{lines}");
    assert!(lines.contains("selfreport.arrival-confirmation/1"));

    let order = ws.path().join("order.json").to_string_lossy().into_owned();
    ws.selfreport(&["enroll", "--profile", &other, &order])
        .failure(3, "EnrollmentOutsidePolicy");
    let enrolled = ws
        .selfreport(&["enroll", "--profile", &dad, &order])
        .success()
        .to_owned();
    assert!(enrolled.contains("310101"), "{enrolled}");
}

/// The collector registers a code with `enroll --register` at the real drop box
/// (`selfreport-endpoint serve --trust`); the person types it, grouped in lower case, into
/// `selfreport enroll` and is enrolled; the code is used up; a typo is refused on the
/// device before any request; the drop box's files never hold the code.
#[test]
fn a_typed_code_enrolls_a_phone_without_a_camera() {
    let ws = Workspace::new();
    let public = ws.authority_keygen();
    let pki = TestPki::new();
    let tls = pki.write(&ws.path().join("tls"));
    // The drop box's address goes into the policy before it starts.
    let listen = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port");
    let mut policy: serde_json::Value =
        serde_json::from_str(&enrollment_policy()).expect("the policy");
    let key = |file: &str| {
        std::fs::read_to_string(ws.authority_dir().join(file))
            .expect("an authority key")
            .trim()
            .to_owned()
    };
    policy["endpoint"]["url"] = format!("https://{listen}/v1").into();
    policy["endpoint"]["spki_sha256"] = serde_json::json!([pki.spki_pin]);
    policy["endpoint"]["receipt_key"] = key("receipt.pub").into();
    for recipient in ["health", "identity"] {
        policy["recipients"][recipient]["public_key"] =
            key(&format!("recipient-{recipient}.pub")).into();
    }
    let signed = ws.sign_policy("arrivals", &policy.to_string());
    let db = ws.path().join("dropbox.db");
    let endpoint = EndpointProcess::start(
        &EndpointConfig {
            db: db.clone(),
            cert: tls.cert.clone(),
            key: tls.key.clone(),
            receipt_key: ws.authority_dir().join("receipt.key"),
            policy: signed.clone(),
            revocations: None,
            trust: Some(public.clone()),
            token_keys: Vec::new(),
        },
        &listen.to_string(),
    );
    ws.selfreport(&["init", "--trust", &public.to_string_lossy()])
        .success();
    ws.selfreport(&["policy", "install", &signed.to_string_lossy()])
        .success();
    let profile = ws
        .selfreport(&["profile", "add", "--name", "Me"])
        .single_line();

    let order = ws.path().join("order.json");
    let ca = tls.ca.to_string_lossy().into_owned();
    let printed = ws
        .authority(&[
            "enroll",
            "--key",
            &ws.authority_dir().join("signing.key").to_string_lossy(),
            "--policy",
            "sh-arrivals",
            "--district",
            "310101",
            "--start",
            &day(-1),
            "--reason",
            "arrival",
            "--form",
            "daily=1",
            "--out",
            &order.to_string_lossy(),
            "--register",
            "--policy-file",
            &signed.to_string_lossy(),
            "--dropbox-ca",
            &ca,
        ])
        .success()
        .to_owned();
    let code = printed
        .lines()
        .find_map(|line| line.strip_prefix("enrollment code (shown once, give it to the person): "))
        .unwrap_or_else(|| panic!("no code printed:\n{printed}"))
        .to_owned();
    assert_eq!(code.len(), 13, "{code}");
    assert_eq!((&code[5..6], &code[11..12]), ("-", "-"), "{code}");
    let normalized = code.replace('-', "");
    // Neither the authority's files nor the drop box's hold the code.
    for path in walk(ws.path()) {
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(
            !selfreport_tests::contains(&bytes, normalized.as_bytes()),
            "{} holds the code",
            path.display()
        );
    }

    // A typo (one symbol changed) is refused on the device; nothing reaches the drop box.
    let mut typo = normalized.clone().into_bytes();
    typo[4] = if typo[4] == b'7' { b'8' } else { b'7' };
    let typo = String::from_utf8(typo).expect("ASCII");
    ws.selfreport(&["enroll", "--profile", &profile, &typo, "--extra-root", &ca])
        .failure(3, "EnrollmentCodeMalformed");
    assert!(
        !endpoint.log().contains("enrollment-codes/redeem"),
        "{}",
        endpoint.log()
    );

    let typed = code.to_lowercase();
    let enrolled = ws
        .selfreport(&["enroll", "--profile", &profile, &typed, "--extra-root", &ca])
        .success()
        .to_owned();
    assert!(enrolled.contains("310101"), "{enrolled}");
    let record = daily_report(&ws, &profile).single_line();
    assert_eq!(record.len(), 32, "{record}");
    // Used up: a second redemption is refused.
    ws.selfreport(&["enroll", "--profile", &profile, &typed, "--extra-root", &ca])
        .failure(1, "EnrollmentCodeUnknown");
    assert_eq!(
        endpoint.log().matches("enrollment-codes/redeem").count(),
        2,
        "{}",
        endpoint.log()
    );
}

/// Every file under `dir`.
/// Files today's report of the daily form under `sh-arrivals` for `profile`.
fn daily_report(ws: &Workspace, profile: &str) -> selfreport_tests::Outcome {
    ws.selfreport(&[
        "report",
        "--profile",
        profile,
        "--policy",
        "sh-arrivals",
        "--form",
        "daily",
        "--answer",
        "temperature=36.6",
        "--answer",
        "symptoms=",
    ])
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// What a camera reads from a PNG QR code: greyscale pixels handed to an independent
/// decoder (rqrr), not the encoder that drew it.
fn scan_png(png_bytes: &[u8]) -> Vec<u8> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("its pixels");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (width, height) = (info.width as usize, info.height as usize);
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    let mut read = Vec::new();
    grids[0].decode_to(&mut read).expect("it decodes");
    read
}
