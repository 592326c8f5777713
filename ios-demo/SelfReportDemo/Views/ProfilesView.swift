// Household profiles: who is on this phone, their monitoring periods, adding someone.

import SelfReportCore
import SwiftUI

struct ProfilesView: View {
    @EnvironmentObject private var model: AppModel
    @State private var adding = false

    var body: some View {
        NavigationStack {
            List {
                if model.profiles.isEmpty {
                    Text("profiles.empty").foregroundStyle(.secondary)
                }
                ForEach(model.profiles, id: \.id) { profile in
                    NavigationLink(value: Route.profile(id: profile.id)) {
                        VStack(alignment: .leading, spacing: 4) {
                            Text(profile.displayName).font(.headline)
                            Text(monitoringSummary(profile.id))
                                .font(.footnote)
                                .foregroundStyle(.secondary)
                        }
                        .accessibilityElement(children: .combine)
                    }
                }
            }
            .navigationTitle("tab.household")
            .toolbar {
                Button {
                    adding = true
                } label: {
                    Image(systemName: "person.badge.plus")
                }
                .accessibilityLabel(Text("profiles.add"))
            }
            .sheet(isPresented: $adding) {
                AddProfileView()
                    .environmentObject(model)
            }
            .routes()
        }
    }

    private func monitoringSummary(_ profileId: ProfileId) -> String {
        guard let period = model.monitoringPeriods(of: profileId).last else {
            return L10n.string("profiles.not-monitored")
        }
        return L10n.format("profiles.monitored %@ %lld", DayFormat.display(period.start), Int64(period.days))
    }
}

/// One profile: its attributes, monitoring periods, and the forms to fill for it.
struct ProfileDetailView: View {
    @EnvironmentObject private var model: AppModel
    let profileId: ProfileId
    @State private var reason: MonitoringReason = .arrival

    var body: some View {
        List {
            if let profile = model.profile(profileId) {
                Section("profile.attributes") {
                    attribute("profile.name", profile.name)
                    attribute("profile.id-number", profile.idNumber.map(Self.masked))
                    attribute("profile.phone", profile.phone)
                    attribute("profile.birth-date", profile.birthDate.map(DayFormat.display))
                    attribute("profile.passport", profile.passportNumber.map(Self.masked))
                }
                Section("profile.monitoring") {
                    ForEach(model.monitoringPeriods(of: profileId), id: \.id) { period in
                        Text(L10n.format(
                            "profile.period %@ %lld %@",
                            DayFormat.display(period.start), Int64(period.days), Vocabulary.reason(period.reason)
                        ))
                    }
                    if model.policy?.monitoringDays != nil {
                        Picker("profile.reason", selection: $reason) {
                            Text("reason.arrival").tag(MonitoringReason.arrival)
                            Text("reason.contact").tag(MonitoringReason.contact)
                            Text("reason.self").tag(MonitoringReason.selfReported)
                        }
                        Button("profile.start-monitoring") {
                            model.startMonitoring(profileId: profileId, reason: reason)
                        }
                        .accessibilityHint(Text("profile.start-monitoring.hint"))
                    }
                }
                if model.canEnroll || model.hasPreRegistration(profileId) {
                    Section("profile.enrollment") {
                        if model.hasPreRegistration(profileId) {
                            NavigationLink(value: Route.arrivalPass(profileId: profileId)) {
                                Text("profile.arrival-pass")
                            }
                        }
                        if model.canEnroll {
                            NavigationLink(value: Route.enroll(profileId: profileId)) {
                                Text("profile.enroll")
                            }
                        }
                    }
                }
                if let policy = model.policy {
                    Section("profile.forms") {
                        ForEach(policy.forms, id: \.id) { form in
                            NavigationLink(value: Route.form(profileId: profileId, formId: form.id, date: model.today)) {
                                Text(model.labels.pick(form.title, fallback: form.id))
                            }
                        }
                    }
                }
                Section("profile.records") {
                    ForEach(model.records.filter { $0.profileId == profileId }, id: \.id) { record in
                        NavigationLink(value: Route.preview(recordId: record.id)) {
                            HStack {
                                Text(DayFormat.display(record.date))
                                Text(model.formTitle(record.formId)).foregroundStyle(.secondary)
                                Spacer()
                                StateBadge(state: record.state)
                            }
                            .accessibilityElement(children: .combine)
                        }
                    }
                }
            }
        }
        .navigationTitle(model.profile(profileId)?.displayName ?? "")
    }

    @ViewBuilder private func attribute(_ title: LocalizedStringKey, _ value: String?) -> some View {
        LabeledContent(title, value: value ?? L10n.string("profile.not-set"))
    }

    /// Identity numbers are shown with their middle hidden (someone may look over a shoulder).
    private static func masked(_ value: String) -> String {
        guard value.count > 6 else { return value }
        return String(value.prefix(3)) + String(repeating: "•", count: value.count - 6) + String(value.suffix(3))
    }
}

/// Adding a household member; marks what the policy needs from a profile.
struct AddProfileView: View {
    @EnvironmentObject private var model: AppModel
    @Environment(\.dismiss) private var dismiss
    @State private var draft = ProfileDraft()
    @State private var errorField: String?
    @State private var errorText: String?

    var body: some View {
        NavigationStack {
            Form {
                if let errorText {
                    Text(errorText).foregroundStyle(.red)
                }
                Section {
                    TextField("profile.display-name", text: $draft.displayName)
                        .overlay(alignment: .trailing) { marker("display_name") }
                } footer: {
                    Text("profile.display-name.footer")
                }
                Section {
                    TextField("profile.name", text: $draft.name)
                        .textContentType(.name)
                        .overlay(alignment: .trailing) { marker("name") }
                    TextField("profile.id-number", text: $draft.idNumber)
                        .textInputAutocapitalization(.characters)
                        .autocorrectionDisabled()
                        .overlay(alignment: .trailing) { marker("id_number") }
                    TextField("profile.phone", text: $draft.phone, prompt: Text(verbatim: "+8613800138000"))
                        .keyboardType(.phonePad)
                        .textContentType(.telephoneNumber)
                        .overlay(alignment: .trailing) { marker("phone") }
                    DateInput(label: L10n.string("profile.birth-date"), date: $draft.birthDate, allowFuture: false)
                        .overlay(alignment: .trailing) { marker("birth_date") }
                    TextField("profile.passport", text: $draft.passportNumber)
                        .textInputAutocapitalization(.characters)
                        .autocorrectionDisabled()
                        .overlay(alignment: .trailing) { marker("passport_number") }
                } header: {
                    Text("profile.attributes")
                } footer: {
                    Text("profile.attributes.footer")
                }
            }
            .navigationTitle("profiles.add")
            .toolbar {
                ToolbarItem(placement: .cancellationAction) {
                    Button("common.cancel") { dismiss() }
                }
                ToolbarItem(placement: .confirmationAction) {
                    Button("common.save") { save() }
                        .disabled(draft.displayName.trimmingCharacters(in: .whitespaces).isEmpty)
                }
            }
        }
    }

    /// A mark beside an attribute: required by the policy, or refused by the core.
    @ViewBuilder private func marker(_ attribute: String) -> some View {
        if errorField == attribute {
            Image(systemName: "exclamationmark.circle.fill")
                .foregroundStyle(.red)
                .accessibilityLabel(Text("profile.check-this"))
        } else if ProfileDraft.requiredAttributes(of: model.policy).contains(attribute) {
            Text("profile.required-by-policy")
                .font(.caption2)
                .foregroundStyle(.secondary)
        }
    }

    private func save() {
        Task {
            do {
                try await model.addProfile(draft)
                dismiss()
            } catch {
                errorField = (error as? SelfReportError)?.field
                errorText = ErrorText.message(for: error)
            }
        }
    }
}
