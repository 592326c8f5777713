// Who collects, why, what exactly leaves the phone and for how long, then the question.

import SelfReportCore
import SwiftUI

struct OnboardingView: View {
    @EnvironmentObject private var model: AppModel

    var body: some View {
        NavigationStack {
            List {
                if let policy = model.policy {
                    Section("onboarding.issuer") {
                        Text(model.labels.pick(policy.issuer, fallback: policy.id))
                            .font(.headline)
                    }
                    Section("onboarding.purpose") {
                        Text(model.labels.pick(policy.purpose, fallback: policy.purposeCode))
                    }
                    ForEach(policy.forms, id: \.id) { form in
                        Section {
                            ForEach(form.fields, id: \.id) { field in
                                FieldSharingRow(field: field, labels: model.labels)
                            }
                        } header: {
                            Text(L10n.format("onboarding.form %@", model.labels.pick(form.title, fallback: form.id)))
                        }
                    }
                    Section("onboarding.terms") {
                        LabeledContent("onboarding.device-retention",
                                       value: L10n.format("common.days %lld", Int64(policy.deviceRetentionDays)))
                        LabeledContent("onboarding.server-retention",
                                       value: L10n.format("common.days %lld", Int64(policy.serverRetentionDays)))
                        if let days = policy.monitoringDays {
                            LabeledContent("onboarding.monitoring", value: L10n.format("common.days %lld", Int64(days)))
                        }
                        LabeledContent("onboarding.valid-until", value: DayFormat.display(policy.validUntil))
                        LabeledContent("onboarding.endpoint", value: policy.endpointUrl)
                    }
                    Section {
                        Text("onboarding.promise")
                            .font(.footnote)
                            .foregroundStyle(.secondary)
                    }
                } else {
                    Text("onboarding.no-policy")
                }
            }
            .navigationTitle("onboarding.title")
            .safeAreaInset(edge: .bottom) {
                VStack(spacing: 8) {
                    Button {
                        model.acceptPolicy()
                    } label: {
                        Text("onboarding.agree").frame(maxWidth: .infinity)
                    }
                    .buttonStyle(.borderedProminent)
                    .disabled(model.policy == nil)
                    .accessibilityHint(Text("onboarding.agree.hint"))
                    Button("onboarding.not-now") { model.continueWithoutConsent() }
                        .accessibilityHint(Text("onboarding.not-now.hint"))
                }
                .padding()
                .background(.bar)
            }
        }
    }
}

/// One field of a policy: what it asks, and whether and how it leaves the phone.
struct FieldSharingRow: View {
    let field: FieldInfo
    let labels: LabelPicker

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(labels.pick(field.label, fallback: field.id))
            Text(sharing)
                .font(.footnote)
                .foregroundStyle(.secondary)
        }
        .accessibilityElement(children: .combine)
    }

    private var sharing: String {
        if field.recipient == nil || field.transform == "omit" {
            return L10n.string("sharing.stays")
        }
        return L10n.format(
            "sharing.leaves %@ %@",
            Vocabulary.transform(field.transform),
            Vocabulary.recipient(field.recipient)
        )
    }
}
