// "What will be shared": every field as entered and as it would leave the phone, who
// receives it, and the exact JSON each recipient gets, before anything is sent.

import SelfReportCore
import SwiftUI

struct PreviewView: View {
    @EnvironmentObject private var model: AppModel
    let recordId: RecordId
    @State private var preview: SelfReportCore.Preview?
    @State private var failure: String?

    var body: some View {
        List {
            if let record = model.record(recordId) {
                Section {
                    RecordRow(record: record)
                    Text("preview.explainer")
                        .font(.footnote)
                        .foregroundStyle(.secondary)
                }
            }
            if let failure {
                Text(failure).foregroundStyle(.red)
            }
            if let preview {
                Section("preview.fields") {
                    ForEach(preview.fields, id: \.field) { field in
                        PreviewFieldRow(field: field)
                    }
                }
                Section {
                    ForEach(preview.parts, id: \.recipient) { part in
                        DisclosureGroup(Vocabulary.recipient(part.recipient)) {
                            Text(part.json)
                                .font(.system(.footnote, design: .monospaced))
                                .textSelection(.enabled)
                            Text(L10n.format("preview.padded %lld", Int64(part.paddedSize)))
                                .font(.caption)
                                .foregroundStyle(.secondary)
                        }
                    }
                } header: {
                    Text("preview.exact")
                } footer: {
                    Text("preview.exact.footer")
                }
                SendSection(record: model.record(recordId))
            }
        }
        .navigationTitle("preview.title")
        .task(id: recordId) { await load() }
    }

    private func load() async {
        do {
            preview = try await model.preview(recordId: recordId)
            failure = nil
        } catch {
            failure = ErrorText.message(for: error)
        }
    }
}

/// One field: as entered → as shared, and to whom.
struct PreviewFieldRow: View {
    @EnvironmentObject private var model: AppModel
    let field: PreviewField

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(model.labels.pick(field.label, fallback: field.field))
                .font(.subheadline.weight(.semibold))
            LabeledContent("preview.entered", value: field.before ?? L10n.string("preview.empty"))
            if let after = field.after {
                LabeledContent("preview.shared", value: after)
                Text(L10n.format(
                    "sharing.leaves %@ %@",
                    Vocabulary.transform(field.transform),
                    Vocabulary.recipient(field.recipient)
                ))
                .font(.caption)
                .foregroundStyle(.secondary)
            } else {
                Label("sharing.stays", systemImage: "lock.iphone")
                    .font(.caption)
                    .foregroundStyle(.green)
            }
        }
        .accessibilityElement(children: .combine)
    }
}

/// Sending: only with consent; shows how the last sync went.
struct SendSection: View {
    @EnvironmentObject private var model: AppModel
    let record: RecordInfo?

    var body: some View {
        Section {
            if model.policy?.consented != true {
                Text("preview.no-consent")
                Button("today.review-policy") { model.reviewPolicy() }
            } else if record?.state == .sent {
                Label("preview.already-sent", systemImage: "checkmark.seal")
                    .foregroundStyle(.green)
            } else {
                Button {
                    model.startSync()
                } label: {
                    Text("preview.send").frame(maxWidth: .infinity)
                }
                .buttonStyle(.borderedProminent)
                .disabled(model.syncState == .running)
                .accessibilityHint(Text("preview.send.hint"))
            }
        } footer: {
            switch model.syncState {
            case .running:
                Text("preview.sending")
            case .finished(let summary):
                Text(L10n.format(
                    "sync.finished %lld %lld %lld",
                    Int64(summary.delivered), Int64(summary.retryLater), Int64(summary.failed)
                ))
            case .failed(let sentence):
                Text(sentence)
            case .idle:
                Text("preview.keep-editing")
            }
        }
    }
}
