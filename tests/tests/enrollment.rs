//! Enrollment orders through both tools (issue 14): the collector signs an order with
//! `selfreport-authority enroll`; the device enrolls the person with `selfreport enroll`;
//! the policy's required daily form is refused before and accepted inside the ordered
//! period, which the person cannot end. The order is also written as a QR code, which scans back
//! to the order, byte for byte.

use selfreport_tests::{Workspace, day, enrollment_policy};

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
    let report = |ws: &Workspace| {
        ws.selfreport(&[
            "report",
            "--profile",
            &profile,
            "--policy",
            "sh-arrivals",
            "--form",
            "daily",
            "--answer",
            "temperature=36.6",
            "--answer",
            "symptoms=",
        ])
    };
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
