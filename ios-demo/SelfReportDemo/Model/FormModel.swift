// A form rendered from a policy's fields: what the person has entered, in the shape each
// control needs, turned into the text answers the core validates. The core is the only
// judge of an answer; this file never re-implements a rule, it only maps input to text and
// the core's refusals back to the field they name.

import Combine
import Foundation
import SelfReportCore

/// One travel leg as entered: a district code and two days.
struct TravelLeg: Equatable, Identifiable {
    let id = UUID()
    var place = ""
    var from = Date()
    var to = Date()
}

/// What the person has entered in one field.
enum FieldInput: Equatable {
    /// Typed text: numbers, codes, names, free text.
    case text(String)
    /// Yes or no; nil until chosen.
    case yesNo(Bool?)
    /// One code; nil until chosen.
    case choice(String?)
    /// The chosen codes (none is an answer).
    case codes(Set<String>)
    /// A day; nil until chosen.
    case date(Date?)
    /// Travel legs (none means no travel).
    case legs([TravelLeg])
}

/// One field of the form being filled.
struct FormFieldState: Identifiable, Equatable {
    /// The field as the policy describes it.
    let info: FieldInfo
    /// Its label in the person's language.
    let label: String
    /// For a field the profile fills: the profile's value, shown read-only.
    let profileValue: String?
    /// What has been entered (unused for profile fields).
    var input: FieldInput
    /// Why the core refused it, if it did.
    var error: String?

    var id: String { info.id }

    /// Whether anything derived from it can leave the device.
    var leavesDevice: Bool { info.recipient != nil && info.transform != "omit" }
}

/// A form of a policy filled for one profile on one day.
@MainActor
final class FormModel: ObservableObject {
    let policyId: String
    let formId: String
    let profileId: ProfileId
    /// The day the record reports on.
    let date: LocalDate
    /// The form's title in the person's language.
    let title: String
    /// Every field in policy order, profile ones included.
    @Published var fields: [FormFieldState]
    /// A refusal that names no field of this form.
    @Published var formError: String?

    /// The form `form` of `policyId` for `profile` on `date`, with `existing` answers (a
    /// saved record's, when amending) filled in.
    init(
        policyId: String, form: FormInfo, profile: ProfileInfo, date: LocalDate,
        existing: [String: String] = [:], labels: LabelPicker
    ) {
        self.policyId = policyId
        self.formId = form.id
        self.profileId = profile.id
        self.date = date
        self.title = labels.pick(form.title, fallback: form.id)
        self.fields = form.fields.map { info in
            FormFieldState(
                info: info,
                label: labels.pick(info.label, fallback: info.id),
                profileValue: info.fromProfile ? FormModel.profileValue(info.id, of: profile) : nil,
                input: FormModel.input(for: info.kind, from: existing[info.id])
            )
        }
    }

    /// The answers for `saveRecord`: each field the person answers, in its text form.
    /// Unanswered fields are left out (the core says which were required); choosing no
    /// code or no travel is an answer (`""`). Profile fields are never answered here.
    func answers() -> [String: String] {
        var answers: [String: String] = [:]
        for field in fields where !field.info.fromProfile {
            if let text = FormModel.text(of: field.input, kind: field.info.kind) {
                answers[field.id] = text
            }
        }
        return answers
    }

    /// Puts the core's refusal next to the field it names, or above the form.
    func show(_ error: Error) {
        clearErrors()
        if let error = error as? SelfReportError, case .InvalidInput = error,
           let name = error.field, let index = fields.firstIndex(where: { $0.id == name }) {
            fields[index].error = ErrorText.fieldHint(
                kind: fields[index].info.kind, fromProfile: fields[index].info.fromProfile
            )
        } else {
            formError = ErrorText.message(for: error)
        }
    }

    /// Removes every error shown.
    func clearErrors() {
        formError = nil
        for index in fields.indices {
            fields[index].error = nil
        }
    }

    /// Sets the input of field `id` and clears its error.
    func set(_ input: FieldInput, for id: String) {
        guard let index = fields.firstIndex(where: { $0.id == id }) else { return }
        fields[index].input = input
        fields[index].error = nil
    }

    /// The input of field `id`.
    func input(of id: String) -> FieldInput? {
        fields.first { $0.id == id }?.input
    }

    // MARK: - Mapping (pure, callable from any thread)

    /// The text form the core takes for an input, or nil for no answer.
    nonisolated static func text(of input: FieldInput, kind: FieldKind) -> String? {
        switch input {
        case .text(let text):
            var trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if case .temperatureC = kind {
                // Some keyboards type a decimal comma.
                trimmed = trimmed.replacingOccurrences(of: ",", with: ".")
            }
            return trimmed.isEmpty ? nil : trimmed
        case .yesNo(let value):
            return value.map { $0 ? "yes" : "no" }
        case .choice(let code):
            return code
        case .codes(let chosen):
            // In the policy's order, so the same choice always gives the same text.
            guard case .multiChoice(let codes) = kind else {
                return chosen.sorted().joined(separator: ",")
            }
            return codes.filter { chosen.contains($0) }.joined(separator: ",")
        case .date(let date):
            return date.map(DayFormat.string(from:))
        case .legs(let legs):
            return legs.map { leg in
                let place = leg.place.trimmingCharacters(in: .whitespacesAndNewlines)
                return "\(place):\(DayFormat.string(from: leg.from)):\(DayFormat.string(from: leg.to))"
            }.joined(separator: ";")
        }
    }

    /// The input a control starts with for a field of `kind`, from a saved answer if any.
    nonisolated static func input(for kind: FieldKind, from answer: String?) -> FieldInput {
        switch kind {
        case .yesNo:
            return .yesNo(answer.map { $0 == "yes" })
        case .choice:
            return .choice(answer)
        case .multiChoice:
            let codes = answer?.split(separator: ",").map(String.init) ?? []
            return .codes(Set(codes))
        case .date:
            return .date(answer.flatMap(DayFormat.date(from:)))
        case .travelHistory:
            return .legs(legs(from: answer ?? ""))
        case .temperatureC, .integer, .district, .personName, .residentId, .passportNumber,
             .phone, .transportNumber, .text:
            return .text(answer ?? "")
        }
    }

    /// Travel legs from their text form (`PLACE:FROM:TO;...`); unreadable legs are dropped.
    nonisolated static func legs(from text: String) -> [TravelLeg] {
        text.split(separator: ";").compactMap { part in
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count == 3,
                  let from = DayFormat.date(from: pieces[1]),
                  let to = DayFormat.date(from: pieces[2]) else { return nil }
            return TravelLeg(place: pieces[0], from: from, to: to)
        }
    }

    /// The profile attribute a profile-sourced field shows (its id names the attribute).
    nonisolated static func profileValue(_ fieldId: String, of profile: ProfileInfo) -> String? {
        switch fieldId {
        case "name": return profile.name
        case "id_number": return profile.idNumber
        case "phone": return profile.phone
        case "birth_date": return profile.birthDate.map(DayFormat.display)
        case "passport_number": return profile.passportNumber
        default: return nil
        }
    }
}

/// A household member's profile being entered.
struct ProfileDraft: Equatable {
    var displayName = ""
    var name = ""
    var idNumber = ""
    var phone = ""
    var birthDate: Date?
    var passportNumber = ""

    /// The profile to add: blank attributes left out, separators people type removed.
    func newProfile() -> NewProfile {
        NewProfile(
            displayName: displayName.trimmingCharacters(in: .whitespacesAndNewlines),
            name: Self.optional(name),
            idNumber: Self.optional(idNumber)?.uppercased(),
            phone: Self.optional(phone.filter { !" -()".contains($0) }),
            birthDate: birthDate.flatMap { try? LocalDate($0, in: DayFormat.calendar) },
            passportNumber: Self.optional(passportNumber)?.uppercased()
        )
    }

    private static func optional(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// The profile attributes (by field id) the policy's forms require from a profile.
    static func requiredAttributes(of policy: PolicyInfo?) -> Set<String> {
        guard let policy else { return [] }
        return Set(policy.forms.flatMap(\.fields).filter { $0.fromProfile && $0.required }.map(\.id))
    }
}
