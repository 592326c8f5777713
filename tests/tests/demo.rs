//! `selfreport demo` runs from start to end, reports that no typed value was found in the
//! store's files, and with `--dir` leaves its work where it was asked to.

use selfreport_tests::Workspace;

#[test]
fn demo_runs_and_finds_no_typed_value_on_disk() {
    let ws = Workspace::new();
    let dir = ws.path().join("demo");
    let outcome = ws.selfreport_raw(&["demo", "--dir", &dir.to_string_lossy()]);
    let out = outcome.success();
    assert!(
        out.contains("none of the") && out.contains("found"),
        "the demo reports its scan:\n{out}"
    );
    assert!(out.contains("purge"), "{out}");
    assert!(
        outcome.stderr.is_empty(),
        "the demo writes nothing to stderr: {}",
        outcome.stderr
    );
    assert!(dir.join("authority").join("signing.pub").is_file());
}

#[test]
fn demo_refuses_a_directory_that_already_holds_a_store() {
    let ws = Workspace::new();
    let dir = ws.path().join("demo");
    ws.selfreport_raw(&["demo", "--dir", &dir.to_string_lossy()])
        .success();
    let again = ws.selfreport_raw(&["demo", "--dir", &dir.to_string_lossy()]);
    assert_ne!(again.code, 0);
    assert!(again.stderr.starts_with("error["), "{}", again.stderr);
}
