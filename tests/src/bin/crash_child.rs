//! `selfreport-crash-child`: the process the crash suite (`tests/tests/crash.rs`) kills.
//!
//! Saves daily reports and syncs them until it is killed, writing a line to stdout after
//! each step (see `selfreport_tests::crash`). It never stops on its own: any error is
//! printed to stderr and ends it with status 1, which the suite reports as a failure.

use selfreport_tests::crash::{ChildConfig, run_child};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = ChildConfig::from_args(&args).and_then(|config| run_child(&config));
    if let Err(error) = outcome {
        eprintln!("selfreport-crash-child: {error}");
        std::process::exit(1);
    }
}
