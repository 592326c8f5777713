//! Link settings for the shared library apps load.
//!
//! A Rust shared library holds thousands of relative relocations (vtables, string slices in
//! static tables, panic locations), which the ELF default stores at 24 bytes each: about
//! 300 KB of `libselfreport_ffi.so`. Packed relocations encode the same relocations in a few
//! kilobytes and are applied by the dynamic loader at the same cost:
//!
//! - Android: `--pack-dyn-relocs=android` (the APS2 format), which bionic loads from API 23
//!   on; the demo's `minSdk` is 26. (RELR would need API 28 or 30.)
//! - Linux with glibc: `-z pack-relative-relocs` (DT_RELR), loaded by glibc 2.36 and newer
//!   and written by GNU ld 2.38 / lld 15 and newer. Only the host build used by the JVM and
//!   Python test suites and by `scripts/ffi-size` is affected.
//!
//! Apple platforms link the static library into the app, whose linker uses chained fixups
//! on its own, so nothing is set there. Only the `cdylib` gets these arguments: the static
//! library and the Rust library are linked later by someone else.

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    match (os.as_str(), target_env.as_str()) {
        ("android", _) => println!("cargo:rustc-cdylib-link-arg=-Wl,--pack-dyn-relocs=android"),
        ("linux", "gnu") => println!("cargo:rustc-cdylib-link-arg=-Wl,-z,pack-relative-relocs"),
        _ => {}
    }
}
