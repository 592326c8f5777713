//! Conversions between the core's types and the records of [`crate::types`].

use selfreport_core::PolicySummary;
use selfreport_core::ledger::{LedgerEntry as CoreLedgerEntry, LedgerEvent as CoreLedgerEvent};
use selfreport_core::model::{self, FieldKind as CoreFieldKind};
use selfreport_core::policy::{FieldSource, OncePer, TrustAnchor as CoreTrustAnchor, TrustAnchors};
use selfreport_core::store::{OutboxState, StoredRecord};

use crate::error::SelfReportError;
use crate::ids::{MonitoringId, ProfileId, RecordId, SubmissionId};
use crate::types::*;

/// Answers as apps give them (field id → text form), in the core's form.
pub(crate) fn answers(answers: std::collections::HashMap<String, String>) -> model::Answers {
    answers
        .into_iter()
        .fold(model::Answers::new(), |answers, (field, text)| {
            answers.text(field, text)
        })
}

/// The trust anchors of [`OpenOptions`].
pub(crate) fn trust_anchors(anchors: &[TrustAnchor]) -> Result<TrustAnchors, SelfReportError> {
    anchors
        .iter()
        .map(|anchor| {
            let parsed = CoreTrustAnchor::from_public_key_base64(&anchor.public_key)
                .map_err(selfreport_core::Error::from)?;
            Ok(parsed
                .with_window(anchor.not_before, anchor.not_after)
                .map_err(selfreport_core::Error::from)?)
        })
        .collect()
}

/// A policy summary with its forms and the person's consent.
pub(crate) fn policy_info(
    summary: PolicySummary,
    document: &selfreport_core::policy::PolicyDocument,
    consented: bool,
) -> PolicyInfo {
    PolicyInfo {
        id: summary.id,
        version: summary.version,
        issuer: summary.issuer.into_iter().collect(),
        purpose_code: summary.purpose_code,
        purpose: summary.purpose.into_iter().collect(),
        valid_from: summary.valid_from,
        valid_until: summary.valid_until,
        endpoint_url: summary.endpoint_url,
        device_retention_days: summary.device_retention_days,
        server_retention_days: document.retention.server_days,
        monitoring_days: document.monitoring.map(|monitoring| monitoring.days),
        key_id: summary.key_id,
        consented,
        forms: document.forms.iter().map(form_info).collect(),
    }
}

pub(crate) fn form_info(form: &selfreport_core::policy::Form) -> FormInfo {
    FormInfo {
        id: form.id.clone(),
        title: form.title.clone().into_iter().collect(),
        frequency: match form.once_per {
            OncePer::Day => FormFrequency::Daily,
            OncePer::Registration => FormFrequency::Once,
        },
        requires_monitoring: form.requires_monitoring,
        fields: form
            .fields
            .iter()
            .map(|field| FieldInfo {
                id: field.id.clone(),
                label: field.label.clone().into_iter().collect(),
                kind: field_kind(&field.kind),
                required: field.required,
                from_profile: field.source == FieldSource::Profile,
                transform: field.upload.name().to_owned(),
                reduction: crate::forms::Reduction::of(&field.upload),
                recipient: field.to.clone(),
            })
            .collect(),
    }
}

fn field_kind(kind: &CoreFieldKind) -> FieldKind {
    match kind {
        CoreFieldKind::YesNo => FieldKind::YesNo,
        CoreFieldKind::Choice { codes } => FieldKind::Choice {
            codes: codes.clone(),
        },
        CoreFieldKind::MultiChoice { codes } => FieldKind::MultiChoice {
            codes: codes.clone(),
        },
        CoreFieldKind::TemperatureC => FieldKind::TemperatureC,
        CoreFieldKind::Integer { min, max } => FieldKind::Integer {
            min: *min,
            max: *max,
        },
        CoreFieldKind::Date { allow_future } => FieldKind::Date {
            allow_future: *allow_future,
        },
        CoreFieldKind::District => FieldKind::District,
        CoreFieldKind::TravelHistory => FieldKind::TravelHistory,
        CoreFieldKind::PersonName => FieldKind::PersonName,
        CoreFieldKind::ResidentId => FieldKind::ResidentId,
        CoreFieldKind::PassportNumber => FieldKind::PassportNumber,
        CoreFieldKind::Phone => FieldKind::Phone,
        CoreFieldKind::TransportNumber => FieldKind::TransportNumber,
        CoreFieldKind::Text { max_len } => FieldKind::Text { max_len: *max_len },
    }
}

/// A profile to add, in the core's form.
pub(crate) fn new_profile(profile: NewProfile) -> model::NewProfile {
    model::NewProfile {
        display_name: profile.display_name,
        name: profile.name,
        id_number: profile.id_number,
        phone: profile.phone,
        birth_date: profile.birth_date,
        passport_number: profile.passport_number,
    }
}

pub(crate) fn profile_info(profile: model::Profile) -> ProfileInfo {
    ProfileInfo {
        id: ProfileId::new(profile.id.to_string()),
        display_name: profile.display_name,
        name: profile.name,
        id_number: profile.id_number,
        phone: profile.phone,
        birth_date: profile.birth_date,
        passport_number: profile.passport_number,
    }
}

pub(crate) fn reason(reason: MonitoringReason) -> model::MonitoringReason {
    match reason {
        MonitoringReason::Arrival => model::MonitoringReason::Arrival,
        MonitoringReason::Contact => model::MonitoringReason::Contact,
        MonitoringReason::SelfReported => model::MonitoringReason::SelfReported,
    }
}

pub(crate) fn monitoring_info(period: model::MonitoringPeriod) -> MonitoringInfo {
    MonitoringInfo {
        id: MonitoringId::new(period.id.to_string()),
        profile_id: ProfileId::new(period.profile_id.to_string()),
        policy_id: period.policy_id,
        start: period.start,
        days: period.days,
        reason: match period.reason {
            model::MonitoringReason::Arrival => MonitoringReason::Arrival,
            model::MonitoringReason::Contact => MonitoringReason::Contact,
            model::MonitoringReason::SelfReported => MonitoringReason::SelfReported,
        },
        ordered_district: period.order.map(|order| order.district),
    }
}

pub(crate) fn due_item(item: model::DueItem) -> DueItem {
    // A registration is owed outside any period: day and length 0.
    let (day, of_days) = item.period_day().unwrap_or((0, 0));
    DueItem {
        profile_id: ProfileId::new(item.profile_id.to_string()),
        policy_id: item.policy_id,
        form_id: item.form_id,
        date: item.date,
        day,
        of_days,
    }
}

pub(crate) fn record_info(stored: StoredRecord) -> RecordInfo {
    let record = stored.record;
    RecordInfo {
        id: RecordId::new(record.id.to_string()),
        profile_id: ProfileId::new(record.profile_id.to_string()),
        policy_id: record.policy_id,
        policy_version: record.policy_version,
        form_id: record.form_id,
        date: record.date,
        revision: record.revision,
        amends: record.amends.map(|id| RecordId::new(id.to_string())),
        saved_at: record.saved_at.to_rfc3339(),
        state: match stored.state {
            OutboxState::Saved => RecordState::Saved,
            OutboxState::Queued => RecordState::Queued,
            OutboxState::Sent => RecordState::Sent,
        },
        answers: record
            .values
            .iter()
            .map(|(field, value)| (field.clone(), value.to_string()))
            .collect(),
    }
}

pub(crate) fn preview(preview: selfreport_core::minimize::Preview) -> Preview {
    Preview {
        fields: preview
            .fields
            .into_iter()
            .map(|field| PreviewField {
                field: field.field,
                label: field.label.into_iter().collect(),
                recipient: field.recipient,
                transform: field.transform,
                before: field.before,
                after: field.after,
            })
            .collect(),
        parts: preview
            .parts
            .into_iter()
            .map(|part| PreviewPart {
                recipient: part.recipient,
                json: part.json,
                padded_size: u64::try_from(part.padded_size).unwrap_or(u64::MAX),
            })
            .collect(),
    }
}

pub(crate) fn sync_event(event: &selfreport_core::sync::SyncEvent) -> SyncEvent {
    use selfreport_core::sync::SyncEvent as Core;
    match event.clone() {
        Core::Queued {
            submission_id,
            policy_id,
            form_id,
        } => SyncEvent::Queued {
            submission_id: SubmissionId::new(submission_id),
            policy_id,
            form_id,
        },
        Core::Delivered {
            submission_id,
            received_at,
        } => SyncEvent::Delivered {
            submission_id: SubmissionId::new(submission_id),
            received_at,
        },
        Core::RetryLater {
            submission_id,
            after_seconds,
            reason,
        } => SyncEvent::RetryLater {
            submission_id: SubmissionId::new(submission_id),
            after_seconds,
            reason,
        },
        Core::Failed {
            submission_id,
            reason,
        } => SyncEvent::Failed {
            submission_id: SubmissionId::new(submission_id),
            reason,
        },
    }
}

pub(crate) fn sync_summary(report: selfreport_core::sync::SyncReport) -> SyncSummary {
    SyncSummary {
        queued: report.queued,
        delivered: report.delivered,
        retry_later: report.retry_later,
        failed: report.failed,
        cancelled: report.cancelled,
        notices: report.notices,
    }
}

/// The entry as the bindings show it.
pub(crate) fn ledger_entry((seq, entry): (u64, CoreLedgerEntry)) -> LedgerEntry {
    let event = match entry.event {
        CoreLedgerEvent::Disclosure {
            policy_id,
            policy_version,
            purpose,
            endpoint,
            form,
            submission_id,
            record_id,
            fields,
            body_sha256,
            receipt,
            cover,
            ..
        } => LedgerEvent::Disclosure {
            policy_id,
            policy_version,
            purpose,
            endpoint,
            form,
            submission_id: SubmissionId::new(submission_id),
            record_id: RecordId::new(record_id),
            fields: fields
                .into_iter()
                .map(|field| DisclosedField {
                    field: field.field,
                    transform: field.transform,
                    recipient: field.recipient,
                })
                .collect(),
            body_sha256,
            received_at: receipt.received_at,
            receipt_signature: receipt.signature,
            cover,
        },
        CoreLedgerEvent::ConsentGranted {
            policy_id, purpose, ..
        } => LedgerEvent::ConsentGranted { policy_id, purpose },
        CoreLedgerEvent::ConsentCarriedOver {
            policy_id,
            from_version,
            to_version,
            rotated,
            ..
        } => LedgerEvent::ConsentCarriedOver {
            policy_id,
            from_version,
            to_version,
            rotated,
        },
        CoreLedgerEvent::ConsentNeeded {
            policy_id,
            version,
            widened,
        } => LedgerEvent::ConsentNeeded {
            policy_id,
            version,
            widened,
        },
        CoreLedgerEvent::SubmissionDropped {
            policy_id,
            submission_id,
            reason,
        } => LedgerEvent::SubmissionDropped {
            policy_id,
            submission_id: SubmissionId::new(submission_id),
            reason,
        },
        CoreLedgerEvent::PolicyRevoked {
            policy_id,
            version,
            revoked,
            reason,
            sequence,
            dropped,
        } => LedgerEvent::PolicyRevoked {
            policy_id,
            version,
            revoked,
            reason,
            sequence,
            dropped,
        },
        CoreLedgerEvent::ConsentWithdrawn {
            policy_id,
            purpose,
            dropped,
        } => LedgerEvent::ConsentWithdrawn {
            policy_id,
            purpose,
            dropped,
        },
        CoreLedgerEvent::DeletionRequested {
            policy_id,
            submission_id,
            endpoint,
            outcome,
        } => LedgerEvent::DeletionRequested {
            policy_id,
            submission_id: SubmissionId::new(submission_id),
            endpoint,
            outcome,
        },
        CoreLedgerEvent::AccessNotice {
            policy_id,
            submission_id,
            office,
            officer,
            reason,
            revealed_at,
        } => LedgerEvent::AccessNotice {
            policy_id,
            submission_id: SubmissionId::new(submission_id),
            office,
            officer,
            reason,
            revealed_at,
        },
    };
    LedgerEntry {
        seq,
        at: entry.at,
        event,
    }
}

pub(crate) fn ledger_check(check: selfreport_core::ledger::LedgerVerification) -> LedgerCheck {
    LedgerCheck {
        valid: check.is_valid(),
        entries: check.entries,
        receipts_verified: check.receipts_verified,
        problem_seq: check.problem.as_ref().map(|problem| problem.seq),
        problem: check.problem.map(|problem| problem.problem.to_owned()),
    }
}

pub(crate) fn purge_summary(report: selfreport_core::store::PurgeReport) -> PurgeSummary {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    PurgeSummary {
        records: count(report.records),
        monitoring_periods: count(report.monitoring_periods),
        epoch_keys: count(report.epoch_keys),
    }
}

pub(crate) fn deletion_outcome(outcome: selfreport_core::DeletionOutcome) -> DeletionOutcome {
    match outcome {
        selfreport_core::DeletionOutcome::Deleted => DeletionOutcome::Deleted,
        selfreport_core::DeletionOutcome::NotFound => DeletionOutcome::NotFound,
        selfreport_core::DeletionOutcome::DroppedUnsent => DeletionOutcome::DroppedUnsent,
    }
}

pub(crate) fn consent_status(status: selfreport_core::ConsentStatus) -> ConsentStatus {
    use selfreport_core::ConsentStatus as Core;
    match status {
        Core::NotAsked => ConsentStatus::NotAsked,
        Core::Withdrawn => ConsentStatus::Withdrawn,
        Core::Granted {
            consented_version,
            version,
        } => ConsentStatus::Granted {
            consented_version,
            version,
        },
        Core::Widened {
            consented_version,
            version,
            widened,
        } => ConsentStatus::Widened {
            consented_version,
            version,
            widened,
        },
    }
}
