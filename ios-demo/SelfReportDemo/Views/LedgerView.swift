// The ledger: every disclosure with its signed receipt, every consent and deletion
// request, newest first, and a check of the whole chain.

import SelfReportCore
import SwiftUI

struct LedgerView: View {
    @EnvironmentObject private var model: AppModel

    var body: some View {
        NavigationStack {
            List {
                Section {
                    Button("ledger.verify") { model.verifyLedger() }
                        .accessibilityHint(Text("ledger.verify.hint"))
                    if let check = model.ledgerCheck {
                        LedgerCheckRow(check: check)
                    }
                } footer: {
                    Text("ledger.footer")
                }
                Section {
                    if model.ledger.isEmpty {
                        Text("ledger.empty").foregroundStyle(.secondary)
                    }
                    ForEach(Array(model.ledger.reversed()), id: \.seq) { entry in
                        NavigationLink(value: Route.ledgerEntry(seq: entry.seq)) {
                            LedgerRow(entry: entry)
                        }
                    }
                }
            }
            .navigationTitle("tab.ledger")
            .routes()
        }
    }
}

/// The result of checking the chain and the receipts.
struct LedgerCheckRow: View {
    let check: LedgerCheck

    var body: some View {
        if check.valid {
            Label(
                L10n.format("ledger.valid %lld %lld", Int64(check.entries), Int64(check.receiptsVerified)),
                systemImage: "checkmark.shield"
            )
            .foregroundStyle(.green)
        } else {
            Label(
                L10n.format(
                    "ledger.invalid %lld %@",
                    Int64(check.problemSeq ?? 0),
                    L10n.optional("ledger.problem.\(check.problem ?? "")") ?? (check.problem ?? "")
                ),
                systemImage: "exclamationmark.shield"
            )
            .foregroundStyle(.red)
        }
    }
}

/// One entry, in a sentence.
struct LedgerRow: View {
    @EnvironmentObject private var model: AppModel
    let entry: LedgerEntry

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(title).font(.subheadline.weight(.semibold))
            Text(DayFormat.displayTimestamp(entry.at))
                .font(.caption)
                .foregroundStyle(.secondary)
        }
        .accessibilityElement(children: .combine)
    }

    private var title: String {
        switch entry.event {
        case .disclosure(_, _, _, _, let form, _, _, let fields, _, _, _, let cover):
            if cover {
                return L10n.string("ledger.cover")
            }
            return L10n.format("ledger.disclosure %@ %lld", model.formTitle(form), Int64(fields.count))
        case .consentGranted:
            return L10n.string("ledger.consent-granted")
        case .consentWithdrawn(_, _, let dropped):
            return L10n.format("ledger.consent-withdrawn %lld", Int64(dropped))
        case .deletionRequested(_, _, _, let outcome):
            return L10n.format("ledger.deletion %@", L10n.optional("deletion.outcome.\(outcome)") ?? outcome)
        case .consentCarriedOver(_, _, let toVersion, _):
            return L10n.format("ledger.consent-carried-over %lld", Int64(toVersion))
        case .consentNeeded(_, let version, _):
            return L10n.format("ledger.consent-needed %lld", Int64(version))
        case .submissionDropped:
            return L10n.string("ledger.submission-dropped")
        case .policyRevoked(_, _, _, let reason, _, _):
            return L10n.format("ledger.policy-revoked %@", Vocabulary.revocationReason(reason))
        case .accessNotice(_, _, let office, let officer, _, _):
            return L10n.format("ledger.access-notice %@ %@", office, officer)
        }
    }
}

/// Everything one entry records, with the receipt, and a deletion request for a disclosure.
struct LedgerEntryView: View {
    @EnvironmentObject private var model: AppModel
    let seq: UInt64
    @State private var confirmingDeletion = false

    var body: some View {
        List {
            if let entry = model.ledgerEntry(seq) {
                Section {
                    LabeledContent("ledger.seq", value: String(entry.seq))
                    LabeledContent("ledger.at", value: DayFormat.displayTimestamp(entry.at))
                }
                details(entry.event)
            }
        }
        .navigationTitle("ledger.entry")
    }

    @ViewBuilder private func details(_ event: LedgerEvent) -> some View {
        switch event {
        case let .disclosure(policyId, policyVersion, purpose, endpoint, form, submissionId, _, fields,
                             bodySha256, receivedAt, receiptSignature, cover):
            Section("ledger.disclosure.what") {
                LabeledContent("ledger.form", value: model.formTitle(form))
                LabeledContent("ledger.policy", value: "\(policyId) v\(policyVersion)")
                LabeledContent("ledger.purpose", value: purpose)
                LabeledContent("ledger.endpoint", value: endpoint)
                if cover {
                    Text("ledger.cover.explainer")
                }
            }
            Section("ledger.fields") {
                ForEach(fields, id: \.self) { field in
                    LabeledContent(
                        fieldLabel(field.field, form: form),
                        value: "\(Vocabulary.transform(field.transform)) → \(Vocabulary.recipient(field.recipient))"
                    )
                }
            }
            Section {
                LabeledContent("ledger.received", value: DayFormat.displayTimestamp(receivedAt))
                LabeledContent("ledger.submission", value: submissionId.value)
                VStack(alignment: .leading) {
                    Text("ledger.body-hash").font(.caption)
                    Text(bodySha256).font(.system(.caption2, design: .monospaced)).textSelection(.enabled)
                }
                VStack(alignment: .leading) {
                    Text("ledger.signature").font(.caption)
                    Text(receiptSignature).font(.system(.caption2, design: .monospaced)).textSelection(.enabled)
                }
            } header: {
                Text("ledger.receipt")
            } footer: {
                Text("ledger.receipt.footer")
            }
            if !cover {
                Section {
                    Button("ledger.request-deletion", role: .destructive) { confirmingDeletion = true }
                        .confirmationDialog("ledger.request-deletion.confirm", isPresented: $confirmingDeletion,
                                            titleVisibility: .visible) {
                            Button("ledger.request-deletion", role: .destructive) {
                                Task { await model.requestDeletion(submissionId: submissionId) }
                            }
                        }
                } footer: {
                    Text("ledger.request-deletion.footer")
                }
            }
        case let .consentGranted(policyId, purpose):
            Section {
                Text("ledger.consent-granted")
                LabeledContent("ledger.policy", value: policyId)
                LabeledContent("ledger.purpose", value: purpose)
            }
        case let .consentWithdrawn(policyId, purpose, dropped):
            Section {
                Text(L10n.format("ledger.consent-withdrawn %lld", Int64(dropped)))
                LabeledContent("ledger.policy", value: policyId)
                LabeledContent("ledger.purpose", value: purpose)
            }
        case let .deletionRequested(policyId, submissionId, endpoint, outcome):
            Section {
                Text(L10n.format("ledger.deletion %@", L10n.optional("deletion.outcome.\(outcome)") ?? outcome))
                LabeledContent("ledger.policy", value: policyId)
                LabeledContent("ledger.submission", value: submissionId.value)
                LabeledContent("ledger.endpoint", value: endpoint)
            }
        case let .consentCarriedOver(policyId, fromVersion, toVersion, rotated):
            Section {
                Text(L10n.format("ledger.consent-carried-over %lld", Int64(toVersion)))
                LabeledContent("ledger.policy", value: "\(policyId) v\(fromVersion) → v\(toVersion)")
                ForEach(rotated, id: \.self) { key in
                    LabeledContent("ledger.rotated", value: key)
                }
            }
        case let .consentNeeded(policyId, version, widened):
            Section {
                Text(L10n.format("ledger.consent-needed %lld", Int64(version)))
                LabeledContent("ledger.policy", value: "\(policyId) v\(version)")
            }
            Section("ledger.widened") {
                ForEach(widened, id: \.self) { Text($0) }
            }
        case let .submissionDropped(policyId, submissionId, reason):
            Section {
                Text("ledger.submission-dropped")
                LabeledContent("ledger.policy", value: policyId)
                LabeledContent("ledger.submission", value: submissionId.value)
                LabeledContent("ledger.reason", value: reason)
            }
        case let .policyRevoked(policyId, version, revoked, reason, sequence, dropped):
            Section {
                Text(L10n.format("ledger.policy-revoked %@", Vocabulary.revocationReason(reason)))
                LabeledContent("ledger.policy", value: "\(policyId) v\(version)")
                LabeledContent("ledger.revoked", value: revoked)
                LabeledContent("ledger.revocation-list", value: String(sequence))
                LabeledContent("ledger.dropped", value: String(dropped))
            }
        case let .accessNotice(policyId, submissionId, office, officer, reason, revealedAt):
            Section {
                Text(L10n.format("ledger.access-notice %@ %@", office, officer))
                LabeledContent("ledger.office", value: office)
                LabeledContent("ledger.officer", value: officer)
                LabeledContent("ledger.access-reason", value: Vocabulary.accessReason(reason))
                LabeledContent("ledger.revealed-at", value: DayFormat.displayTimestamp(revealedAt))
                LabeledContent("ledger.policy", value: policyId)
                LabeledContent("ledger.submission", value: submissionId.value)
            }
        }
    }

    private func fieldLabel(_ id: String, form: String) -> String {
        guard let field = model.fields(of: form).first(where: { $0.id == id }) else { return id }
        return model.labels.pick(field.label, fallback: id)
    }
}
