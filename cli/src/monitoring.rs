//! `monitor start|list|end|correct` and `enroll` (with an order file or a typed code):
//! the periods during which a household member owes daily reports.
//!
//! A period the person starts is self-started unless `--reason` says otherwise
//! (`contact`, `arrival`): the reason is what the person states, and a resident
//! monitoring her mother is not recording an arrival. A period an enrollment order starts
//! (`enroll`) is the collector's to change, not the person's: the core refuses it in
//! `end_monitoring` and `correct_monitoring`.

use std::collections::BTreeMap;
use std::path::Path;

use selfreport_core::SelfReport;
use selfreport_core::enrollment_code::EnrollmentCode;
use selfreport_core::model::{MonitoringId, MonitoringPeriod, MonitoringReason, ProfileId};
use selfreport_core::policy::FormEnrollment;
use serde_json::json;

use crate::args::{
    ArrivalPassArgs, EnrollArgs, GlobalOptions, MonitorCorrectArgs, MonitorEndArgs,
    MonitorListArgs, MonitorStartArgs, ReasonArg,
};
use crate::commands::{emit, emit_json, open};
use crate::failure::{EXIT_USAGE, Failure};
use crate::i18n::{tr, tr_with};
use crate::network;

fn reason(reason: ReasonArg) -> MonitoringReason {
    match reason {
        ReasonArg::Arrival => MonitoringReason::Arrival,
        ReasonArg::Contact => MonitoringReason::Contact,
        ReasonArg::SelfReported => MonitoringReason::SelfReported,
    }
}

/// The reason in words.
pub fn reason_text(reason: MonitoringReason) -> &'static str {
    tr(match reason {
        MonitoringReason::Arrival => "monitor.reason.arrival",
        MonitoringReason::Contact => "monitor.reason.contact",
        MonitoringReason::SelfReported => "monitor.reason.self",
    })
}

/// Every profile's nickname by id.
pub fn nicknames(report: &SelfReport) -> Result<BTreeMap<String, String>, Failure> {
    Ok(report
        .profiles()?
        .into_iter()
        .map(|profile| (profile.id.as_str().to_owned(), profile.display_name))
        .collect())
}

/// The nickname of `profile`, or `?` for one no longer on this device.
pub fn nickname<'a>(names: &'a BTreeMap<String, String>, profile: &ProfileId) -> &'a str {
    names.get(profile.as_str()).map_or("?", String::as_str)
}

fn period_line(period: &MonitoringPeriod, names: &BTreeMap<String, String>) -> String {
    tr_with(
        "monitor.period",
        &[
            ("nickname", &nickname(names, &period.profile_id)),
            ("policy", &period.policy_id),
            ("start", &period.start),
            ("last", &period.last_day()),
            ("days", &period.days),
            ("reason", &reason_text(period.reason)),
            ("id", &period.id),
        ],
    )
}

/// Runs `monitor start`.
pub fn monitor_start(global: &GlobalOptions, args: &MonitorStartArgs) -> Result<(), Failure> {
    let profile = ProfileId::parse(&args.profile)?;
    let report = open(global)?;
    let period = report.start_monitoring(&profile, &args.policy, args.from, reason(args.reason))?;
    let names = nicknames(&report)?;
    emit(&format!(
        "{}\n{}",
        tr("monitor.started"),
        period_line(&period, &names)
    ))
}

/// Runs `enroll`: an existing file is a signed order; anything else is a typed code,
/// checked here and redeemed at the drop box of `--policy` (or of the one installed
/// policy that takes orders).
pub fn enroll(global: &GlobalOptions, args: &EnrollArgs) -> Result<(), Failure> {
    let profile = ProfileId::parse(&args.profile)?;
    let path = Path::new(&args.order_or_code);
    let (report, period) = if path.exists() {
        let order = crate::commands::read_signed_policy(path)?;
        let report = open(global)?;
        let period = report.enroll(&profile, &order)?;
        (report, period)
    } else {
        // A typo is refused before the store is opened or anything is sent.
        EnrollmentCode::parse(&args.order_or_code).map_err(selfreport_core::Error::from)?;
        let report = open(global)?;
        let policy = match &args.policy {
            Some(policy) => policy.clone(),
            None => enrollment_policy(&report)?,
        };
        let config = network::transport_config(&global.extra_roots, &args.network)?;
        let period = network::block_on(report.enroll_with_code(
            &profile,
            &policy,
            &args.order_or_code,
            &config,
        ))??;
        (report, period)
    };
    let names = nicknames(&report)?;
    let district = period
        .order
        .as_ref()
        .map_or("?", |order| order.district.as_str());
    emit(&format!(
        "{}\n{}",
        tr_with("monitor.enrolled", &[("district", &district)]),
        period_line(&period, &names)
    ))
}

/// `arrival-pass`: the pass text alone on stdout, for a QR code or `confirm-arrival`.
pub fn arrival_pass(global: &GlobalOptions, args: &ArrivalPassArgs) -> Result<(), Failure> {
    let profile = ProfileId::parse(&args.profile)?;
    let report = open(global)?;
    emit(&report.arrival_pass(&profile, &args.policy)?)
}

/// The one installed policy with a form open only to enrolled people.
fn enrollment_policy(report: &SelfReport) -> Result<String, Failure> {
    let mut found = Vec::new();
    for summary in report.policies()? {
        let policy = report.policy(&summary.id)?;
        let takes_orders = policy
            .document()
            .forms
            .iter()
            .any(|form| form.enrollment == FormEnrollment::Required);
        if takes_orders {
            found.push(summary.id);
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Failure::new(
            "NoEnrollmentPolicy",
            tr("monitor.enroll_no_policy"),
            EXIT_USAGE,
        )),
        _ => Err(Failure::new(
            "EnrollmentPolicyAmbiguous",
            tr_with(
                "monitor.enroll_several_policies",
                &[("policies", &found.join(", "))],
            ),
            EXIT_USAGE,
        )),
    }
}

/// Runs `monitor list`.
pub fn monitor_list(global: &GlobalOptions, args: &MonitorListArgs) -> Result<(), Failure> {
    let report = open(global)?;
    let mut periods = report.monitoring_periods()?;
    if let Some(profile) = &args.profile {
        let profile = ProfileId::parse(profile)?;
        periods.retain(|period| period.profile_id == profile);
    }
    let today = report.today();
    if args.json {
        let list: Vec<_> = periods
            .iter()
            .map(|period| {
                json!({
                    "id": period.id.as_str(),
                    "profile_id": period.profile_id.as_str(),
                    "policy_id": period.policy_id,
                    "start": period.start,
                    "last_day": period.last_day(),
                    "days": period.days,
                    "reason": period.reason.as_str(),
                    "active": period.is_active(today),
                })
            })
            .collect();
        return emit_json(&list);
    }
    if periods.is_empty() {
        return emit(tr("monitor.none"));
    }
    let names = nicknames(&report)?;
    let lines: Vec<String> = periods
        .iter()
        .map(|period| {
            let state = if period.is_active(today) {
                "monitor.active"
            } else if period.start > today {
                "monitor.upcoming"
            } else {
                "monitor.over"
            };
            format!("{} [{}]", period_line(period, &names), tr(state))
        })
        .collect();
    emit(&lines.join("\n"))
}

/// Runs `monitor end`.
pub fn monitor_end(global: &GlobalOptions, args: &MonitorEndArgs) -> Result<(), Failure> {
    let id = MonitoringId::parse(&args.period)?;
    let report = open(global)?;
    let period = report.end_monitoring(&id, args.on)?;
    let names = nicknames(&report)?;
    emit(&format!(
        "{}\n{}",
        tr("monitor.ended"),
        period_line(&period, &names)
    ))
}

/// Runs `monitor correct`.
pub fn monitor_correct(global: &GlobalOptions, args: &MonitorCorrectArgs) -> Result<(), Failure> {
    let id = MonitoringId::parse(&args.period)?;
    let report = open(global)?;
    let period = report.correct_monitoring(&id, args.from, args.reason.map(reason))?;
    let names = nicknames(&report)?;
    emit(&format!(
        "{}\n{}",
        tr("monitor.corrected"),
        period_line(&period, &names)
    ))
}
