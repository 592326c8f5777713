// A form rendered from the policy's fields: one control per field kind, the profile's
// fields read-only, and under every field whether and how it leaves the phone.

import SelfReportCore
import SwiftUI

struct ReportFormView: View {
    @EnvironmentObject private var model: AppModel
    @StateObject private var form: FormModel
    @State private var savedRecordId: RecordId?
    @State private var showPreview = false

    init(form: FormModel) {
        _form = StateObject(wrappedValue: form)
    }

    var body: some View {
        Form {
            if let error = form.formError {
                Section {
                    Label(error, systemImage: "exclamationmark.triangle")
                        .foregroundStyle(.red)
                }
            }
            let fromProfile = form.fields.filter { $0.info.fromProfile }
            if !fromProfile.isEmpty {
                Section {
                    ForEach(fromProfile) { field in
                        ProfileFieldRow(field: field)
                    }
                } header: {
                    Text("form.from-profile")
                }
            }
            Section {
                ForEach(form.fields.filter { !$0.info.fromProfile }) { field in
                    FieldEditor(field: field, form: form)
                }
            } header: {
                Text(L10n.format("form.for-day %@", DayFormat.display(form.date)))
            }
            Section {
                Button {
                    Task {
                        if let id = await model.save(form) {
                            savedRecordId = id
                            showPreview = true
                        }
                    }
                } label: {
                    Text("form.save-preview").frame(maxWidth: .infinity)
                }
                .buttonStyle(.borderedProminent)
                .accessibilityHint(Text("form.save-preview.hint"))
            } footer: {
                Text("form.footer")
            }
        }
        .navigationTitle(form.title)
        .navigationDestination(isPresented: $showPreview) {
            if let savedRecordId {
                PreviewView(recordId: savedRecordId)
            }
        }
    }
}

/// A field the profile fills: its value, read-only, or what is missing.
struct ProfileFieldRow: View {
    let field: FormFieldState

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            LabeledContent(field.label, value: field.profileValue ?? L10n.string("form.not-in-profile"))
            SharingNote(field: field)
            if let error = field.error {
                Text(error).font(.footnote).foregroundStyle(.red)
            }
        }
        .accessibilityElement(children: .combine)
    }
}

/// Where a field's value goes, under its control.
struct SharingNote: View {
    let field: FormFieldState

    var body: some View {
        Label(text, systemImage: field.leavesDevice ? "arrow.up.forward.app" : "lock.iphone")
            .font(.caption)
            .foregroundStyle(.secondary)
    }

    private var text: String {
        guard field.leavesDevice else { return L10n.string("sharing.stays") }
        return L10n.format(
            "sharing.leaves %@ %@",
            Vocabulary.transform(field.info.transform),
            Vocabulary.recipient(field.info.recipient)
        )
    }
}

/// The control for one field, by kind.
struct FieldEditor: View {
    let field: FormFieldState
    @ObservedObject var form: FormModel

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            HStack(spacing: 4) {
                Text(field.label).font(.subheadline.weight(.semibold))
                if field.info.required {
                    Text(verbatim: "*")
                        .foregroundStyle(.red)
                        .accessibilityLabel(Text("form.required"))
                }
            }
            control
            SharingNote(field: field)
            if let error = field.error {
                Text(error)
                    .font(.footnote)
                    .foregroundStyle(.red)
                    .accessibilityLabel(Text(L10n.format("form.error %@", error)))
            }
        }
        .padding(.vertical, 4)
    }

    @ViewBuilder private var control: some View {
        switch field.info.kind {
        case .yesNo:
            Picker(field.label, selection: yesNo) {
                Text("answer.unanswered").tag(Bool?.none)
                Text("answer.yes").tag(Bool?.some(true))
                Text("answer.no").tag(Bool?.some(false))
            }
            .pickerStyle(.segmented)
        case .choice(let codes):
            Picker(field.label, selection: choice) {
                Text("answer.unanswered").tag(String?.none)
                ForEach(codes, id: \.self) { code in
                    Text(Vocabulary.code(code)).tag(String?.some(code))
                }
            }
        case .multiChoice(let codes):
            ForEach(codes, id: \.self) { code in
                Toggle(Vocabulary.code(code), isOn: chosen(code))
            }
        case .temperatureC:
            TextField(field.label, text: text, prompt: Text(verbatim: "36.6"))
                .keyboardType(.decimalPad)
        case .integer:
            TextField(field.label, text: text)
                .keyboardType(.numberPad)
        case .date(let allowFuture):
            DateInput(label: field.label, date: date, allowFuture: allowFuture)
        case .district:
            TextField(field.label, text: text, prompt: Text(verbatim: "310104"))
                .keyboardType(.numberPad)
        case .travelHistory:
            TravelLegsEditor(legs: legs)
        case .personName:
            TextField(field.label, text: text)
                .textContentType(.name)
        case .residentId, .passportNumber, .transportNumber:
            TextField(field.label, text: text)
                .textInputAutocapitalization(.characters)
                .autocorrectionDisabled()
        case .phone:
            TextField(field.label, text: text, prompt: Text(verbatim: "+8613800138000"))
                .keyboardType(.phonePad)
                .textContentType(.telephoneNumber)
        case .text:
            TextField(field.label, text: text, axis: .vertical)
                .lineLimit(2...6)
        }
    }

    // Bindings from each control's value type to the field's input.

    private var text: Binding<String> {
        Binding(
            get: {
                if case .text(let value) = form.input(of: field.id) { return value }
                return ""
            },
            set: { form.set(.text($0), for: field.id) }
        )
    }

    private var yesNo: Binding<Bool?> {
        Binding(
            get: {
                if case .yesNo(let value) = form.input(of: field.id) { return value }
                return nil
            },
            set: { form.set(.yesNo($0), for: field.id) }
        )
    }

    private var choice: Binding<String?> {
        Binding(
            get: {
                if case .choice(let value) = form.input(of: field.id) { return value }
                return nil
            },
            set: { form.set(.choice($0), for: field.id) }
        )
    }

    private func chosen(_ code: String) -> Binding<Bool> {
        Binding(
            get: {
                if case .codes(let codes) = form.input(of: field.id) { return codes.contains(code) }
                return false
            },
            set: { isOn in
                var codes: Set<String> = []
                if case .codes(let current) = form.input(of: field.id) { codes = current }
                if isOn { codes.insert(code) } else { codes.remove(code) }
                form.set(.codes(codes), for: field.id)
            }
        )
    }

    private var date: Binding<Date?> {
        Binding(
            get: {
                if case .date(let value) = form.input(of: field.id) { return value }
                return nil
            },
            set: { form.set(.date($0), for: field.id) }
        )
    }

    private var legs: Binding<[TravelLeg]> {
        Binding(
            get: {
                if case .legs(let value) = form.input(of: field.id) { return value }
                return []
            },
            set: { form.set(.legs($0), for: field.id) }
        )
    }
}

/// A day, or no answer yet.
struct DateInput: View {
    let label: String
    @Binding var date: Date?
    let allowFuture: Bool

    var body: some View {
        if let chosen = date {
            HStack {
                picker(Binding(get: { chosen }, set: { date = $0 }))
                Button {
                    date = nil
                } label: {
                    Image(systemName: "xmark.circle.fill")
                }
                .buttonStyle(.borderless)
                .accessibilityLabel(Text("form.clear-date"))
            }
        } else {
            Button("form.add-date") { date = Date() }
                .accessibilityLabel(Text(L10n.format("form.add-date-for %@", label)))
        }
    }

    @ViewBuilder private func picker(_ selection: Binding<Date>) -> some View {
        if allowFuture {
            DatePicker(label, selection: selection, displayedComponents: .date)
        } else {
            DatePicker(label, selection: selection, in: ...Date(), displayedComponents: .date)
        }
    }
}

/// Travel legs: a district code and two days each; none means no travel.
struct TravelLegsEditor: View {
    @Binding var legs: [TravelLeg]

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            if legs.isEmpty {
                Text("travel.none").foregroundStyle(.secondary)
            }
            ForEach($legs) { $leg in
                VStack(alignment: .leading) {
                    HStack {
                        TextField("travel.place", text: $leg.place)
                            .keyboardType(.numberPad)
                        Button(role: .destructive) {
                            legs.removeAll { $0.id == leg.id }
                        } label: {
                            Image(systemName: "minus.circle")
                        }
                        .buttonStyle(.borderless)
                        .accessibilityLabel(Text("travel.remove"))
                    }
                    DatePicker("travel.from", selection: $leg.from, in: ...Date(), displayedComponents: .date)
                    DatePicker("travel.to", selection: $leg.to, in: ...Date(), displayedComponents: .date)
                }
                .accessibilityElement(children: .contain)
            }
            Button("travel.add") { legs.append(TravelLeg()) }
                .buttonStyle(.borderless)
        }
    }
}
