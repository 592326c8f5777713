//! `uniffi-bindgen`, pinned to the workspace's uniffi version: generates the Kotlin, Swift
//! and Python bindings from the built `selfreport-ffi` library (`scripts/bindgen`).

fn main() {
    uniffi::uniffi_bindgen_main()
}
