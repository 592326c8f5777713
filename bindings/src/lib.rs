//! Reserved for the uniffi facade over `selfreport-core`.
//!
//! The bindings issue fills this crate with the exported `SelfReport` object, the
//! foreign `KeySource` trait and the generated Kotlin, Swift and Python bindings.
//! It is kept in the workspace now so the layout of DESIGN §3 holds from the start.
