//! Before `erase`: the submissions a drop box may still hold, and their deletion requests.

use std::io::IsTerminal as _;

use selfreport_core::SelfReport;

use crate::args::{EraseArgs, GlobalOptions};
use crate::failure::{EXIT_OTHER, Failure};
use crate::network;
use crate::upload::plural;

/// Before `erase`: the submissions a drop box may still hold. With
/// `--delete-from-drop-box` (or a "yes" on a terminal) each gets a deletion request, and a
/// failed one stops the erase (nothing is erased, so it can be tried again); otherwise, or
/// with `--keep-on-drop-box`, the returned text says plainly what stays where, and until
/// when.
pub fn settle_before_erase(
    global: &GlobalOptions,
    args: &EraseArgs,
    report: &SelfReport,
) -> Result<String, Failure> {
    let held = report.possibly_held()?;
    if held.is_empty() {
        return Ok(String::new());
    }
    let send = if args.delete_from_drop_box {
        true
    } else if args.keep_on_drop_box || !std::io::stdin().is_terminal() {
        false
    } else {
        eprint!(
            "{} submission{} may still be held by a drop box. Ask for {} deletion before erasing? [y/N] ",
            held.len(),
            plural(held.len() as u64),
            if held.len() == 1 { "its" } else { "their" }
        );
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(|error| Failure::io("cannot read the answer", &error))?;
        matches!(answer.trim(), "y" | "Y" | "yes" | "是")
    };
    if !send {
        let until = held.iter().map(|item| item.held_until).max();
        let mut endpoints: Vec<&str> = held.iter().map(|item| item.endpoint.as_str()).collect();
        endpoints.sort_unstable();
        endpoints.dedup();
        return Ok(format!(
            "\n{} submission{} you sent may still be held (sealed, unreadable to the drop box's operator) at {} until {} at the latest; \
             their deletion tokens were erased with the store, so they can no longer be deleted early \
             (run erase with --delete-from-drop-box to ask first)",
            held.len(),
            plural(held.len() as u64),
            endpoints.join(", "),
            until.map(|day| day.to_string()).unwrap_or_default()
        ));
    }
    let config = network::transport_config(&global.extra_roots, &args.network)?;
    let mut failed = Vec::new();
    for item in &held {
        match network::block_on(report.request_deletion(&item.submission_id, &config))? {
            Ok(_) => {}
            Err(error) => failed.push(format!("{}: {error}", item.submission_id)),
        }
    }
    if !failed.is_empty() {
        return Err(Failure::new(
            "DeletionFailed",
            format!(
                "{} of {} deletion request{} failed; nothing was erased, so you can try again:\n  {}",
                failed.len(),
                held.len(),
                plural(held.len() as u64),
                failed.join("\n  ")
            ),
            EXIT_OTHER,
        ));
    }
    Ok(format!(
        "\nasked the drop box to delete {} submission{} first",
        held.len(),
        plural(held.len() as u64)
    ))
}
