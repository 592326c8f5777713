//! Before `erase`: the submissions a drop box may still hold, and their deletion requests.

use std::io::IsTerminal as _;

use selfreport_core::SelfReport;

use crate::args::{EraseArgs, GlobalOptions};
use crate::failure::{EXIT_OTHER, Failure};
use crate::i18n::{tr, tr_count};
use crate::network;

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
            "{} ",
            tr_count(
                held.len() as u64,
                "erase.ask_one",
                "erase.ask_other",
                &[("count", &held.len())],
            )
        );
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(|error| Failure::io(tr("io.read_answer"), &error))?;
        matches!(answer.trim(), "y" | "Y" | "yes" | "是")
    };
    if !send {
        let until = held.iter().map(|item| item.held_until).max();
        let mut endpoints: Vec<&str> = held.iter().map(|item| item.endpoint.as_str()).collect();
        endpoints.sort_unstable();
        endpoints.dedup();
        let until = until.map(|day| day.to_string()).unwrap_or_default();
        return Ok(format!(
            "\n{}",
            tr_count(
                held.len() as u64,
                "erase.left_one",
                "erase.left_other",
                &[
                    ("count", &held.len()),
                    ("endpoints", &endpoints.join(", ")),
                    ("until", &until),
                ],
            )
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
                "{}\n  {}",
                tr_count(
                    held.len() as u64,
                    "erase.requests_failed_one",
                    "erase.requests_failed_other",
                    &[("failed", &failed.len()), ("count", &held.len())],
                ),
                failed.join("\n  ")
            ),
            EXIT_OTHER,
        ));
    }
    Ok(format!(
        "\n{}",
        tr_count(
            held.len() as u64,
            "erase.asked_one",
            "erase.asked_other",
            &[("count", &held.len())],
        )
    ))
}
