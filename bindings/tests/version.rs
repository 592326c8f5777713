//! One version string across the packages: the library refuses bindings generated for
//! another release, and the committed bindings carry the workspace version (issue 17).

mod support;

use std::path::Path;

use selfreport_ffi::{LIBRARY_VERSION, SelfReport, SelfReportError, library_version};
use support::{Fixture, block_on};

#[test]
fn the_library_version_is_the_workspace_version() {
    assert_eq!(library_version(), env!("CARGO_PKG_VERSION"));
    assert_eq!(LIBRARY_VERSION, env!("CARGO_PKG_VERSION"));
}

#[test]
fn open_refuses_bindings_of_another_release_before_touching_the_store() {
    let fixture = Fixture::make();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut options = fixture.options();
    options.bindings_version = "0.0.9".to_owned();
    let key = selfreport_ffi::passphrase_key_source("a passphrase".to_owned(), 1000);
    let Err(error) = block_on(SelfReport::open(
        store.to_string_lossy().into_owned(),
        key.clone(),
        options,
    )) else {
        panic!("bindings of another release were accepted");
    };
    match &error {
        SelfReportError::Incompatible { code, detail } => {
            assert_eq!(code, "BindingsVersion");
            assert!(detail.contains("selfreport 0.0.9"), "{detail}");
            assert!(
                detail.contains(&format!("selfreport {LIBRARY_VERSION}")),
                "{detail}"
            );
        }
        other => panic!("expected Incompatible, got {other:?}"),
    }
    assert!(!store.exists(), "nothing was created");

    // The same options at this release open the store.
    block_on(SelfReport::open(
        store.to_string_lossy().into_owned(),
        key,
        fixture.options(),
    ))
    .expect("opened");
}

/// The default the generator wrote into each committed binding (which `scripts/bindgen
/// --check` keeps equal to what the library generates) is the workspace version: a bump
/// of the workspace version without the attribute in `types.rs` fails here.
#[test]
fn the_committed_bindings_default_to_the_workspace_version() {
    let generated = Path::new(env!("CARGO_MANIFEST_DIR")).join("generated");
    let version = env!("CARGO_PKG_VERSION");
    for (file, expected) in [
        (
            "kotlin/org/selfreport/selfreport.kt",
            format!("var `bindingsVersion`: kotlin.String = \"{version}\""),
        ),
        (
            "python/selfreport.py",
            format!("bindings_version:str = \"{version}\""),
        ),
        (
            "swift/SelfReportCore.swift",
            format!("bindingsVersion: String = \"{version}\""),
        ),
    ] {
        let text = std::fs::read_to_string(generated.join(file)).unwrap();
        assert!(text.contains(&expected), "{file} lacks {expected}");
    }
}
