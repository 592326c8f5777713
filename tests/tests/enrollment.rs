//! Enrollment orders through both tools (issue 14): the collector signs an order with
//! `selfreport-authority enroll`; the device enrolls the person with `selfreport enroll`;
//! the policy's required daily form is refused before and accepted inside the ordered
//! period, which the person cannot end.

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
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&order)
            .expect("the order")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the order holds a secret: owner only");
    }
    let before = std::fs::read(&order).expect("the order");
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

    let enrolled = ws
        .selfreport(&["enroll", "--profile", &profile, &order.to_string_lossy()])
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
