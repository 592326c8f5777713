// The policy and consent, sending, and the person's data: export, purge, erase.

import SelfReportCore
import SwiftUI

struct SettingsView: View {
    @EnvironmentObject private var model: AppModel
    @State private var confirmingWithdrawal = false
    @State private var confirmingErase = false

    var body: some View {
        NavigationStack {
            List {
                if let policy = model.policy {
                    Section("settings.policy") {
                        Text(model.labels.pick(policy.issuer, fallback: policy.id)).font(.headline)
                        Text(model.labels.pick(policy.purpose, fallback: policy.purposeCode))
                            .font(.footnote)
                        LabeledContent("settings.version", value: String(policy.version))
                        LabeledContent("onboarding.valid-until", value: DayFormat.display(policy.validUntil))
                        LabeledContent("onboarding.device-retention",
                                       value: L10n.format("common.days %lld", Int64(policy.deviceRetentionDays)))
                        LabeledContent("onboarding.server-retention",
                                       value: L10n.format("common.days %lld", Int64(policy.serverRetentionDays)))
                    }
                    Section {
                        if policy.consented {
                            Label("settings.consented", systemImage: "checkmark.circle")
                            Button("settings.withdraw", role: .destructive) { confirmingWithdrawal = true }
                                .accessibilityHint(Text("settings.withdraw.hint"))
                        } else {
                            Label("settings.not-consented", systemImage: "pause.circle")
                            Button("today.review-policy") { model.reviewPolicy() }
                        }
                    } header: {
                        Text("settings.consent")
                    }
                }
                SyncSection()
                Section {
                    if let url = model.exportURL {
                        ShareLink(item: url) {
                            Label("settings.share-export", systemImage: "square.and.arrow.up")
                        }
                        Button("settings.discard-export") { model.discardExport() }
                    } else {
                        Button("settings.export") { model.prepareExport() }
                            .accessibilityHint(Text("settings.export.hint"))
                    }
                    Button("settings.purge") { model.purgeNow() }
                        .accessibilityHint(Text("settings.purge.hint"))
                    Button("settings.erase", role: .destructive) { confirmingErase = true }
                        .accessibilityHint(Text("settings.erase.hint"))
                } header: {
                    Text("settings.data")
                } footer: {
                    Text("settings.data.footer")
                }
            }
            .navigationTitle("tab.settings")
            .onDisappear { model.discardExport() }
            .confirmationDialog("settings.withdraw.confirm", isPresented: $confirmingWithdrawal,
                                titleVisibility: .visible) {
                Button("settings.withdraw", role: .destructive) { model.withdrawConsent() }
            }
            .confirmationDialog("settings.erase.confirm", isPresented: $confirmingErase,
                                titleVisibility: .visible) {
                Button("settings.erase", role: .destructive) {
                    Task { await model.eraseEverything() }
                }
            } message: {
                Text("settings.erase.message")
            }
        }
    }
}
