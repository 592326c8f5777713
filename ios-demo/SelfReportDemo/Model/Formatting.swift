// Text for people: localized strings, policy labels in the person's language, dates in
// the core's format, and error codes turned into sentences. No SwiftUI here, so the
// tests can use it as is.

import Foundation
import SelfReportCore

/// Localized strings from Localizable.strings.
enum L10n {
    /// The string for `key` in the app's language (the key itself if it is missing).
    static func string(_ key: String) -> String {
        NSLocalizedString(key, comment: "")
    }

    /// The string for `key`, a format, filled with `arguments`.
    static func format(_ key: String, _ arguments: CVarArg...) -> String {
        String(format: string(key), locale: Locale.current, arguments: arguments)
    }

    /// The string for `key` if the table has it, else nil.
    static func optional(_ key: String) -> String? {
        let value = string(key)
        return value == key ? nil : value
    }
}

/// The core's day format, `YYYY-MM-DD`, in the device's time zone (the core's "today" is
/// the person's local date too).
enum DayFormat {
    private static let formatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter
    }()

    /// The calendar days are read in: Gregorian, in the device's time zone.
    static var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone.current
        return calendar
    }

    /// A day from the core as the person reads dates.
    static func display(_ day: LocalDate) -> String {
        display(day.iso8601)
    }

    /// `date` as `YYYY-MM-DD`.
    static func string(from date: Date) -> String {
        formatter.string(from: date)
    }

    /// The start of the day `text` names, or nil if it is not `YYYY-MM-DD`.
    static func date(from text: String) -> Date? {
        formatter.date(from: text)
    }

    /// `text` (`YYYY-MM-DD`) as the person reads dates, or `text` itself if unparsable.
    static func display(_ text: String) -> String {
        guard let day = Self.date(from: text) else { return text }
        return day.formatted(date: .abbreviated, time: .omitted)
    }

    /// An RFC 3339 timestamp from the core as the person reads times.
    static func displayTimestamp(_ text: String) -> String {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = parser.date(from: text) {
            return date.formatted(date: .abbreviated, time: .shortened)
        }
        parser.formatOptions = [.withInternetDateTime]
        if let date = parser.date(from: text) {
            return date.formatted(date: .abbreviated, time: .shortened)
        }
        return text
    }
}

/// Picks a policy label (a map from language tag to text) in the app's language.
struct LabelPicker {
    /// Language codes in order of preference (`["zh", "en"]`).
    let languages: [String]

    /// Prefers the language the app's UI is shown in, then the person's other languages.
    init(preferred: [String] = Bundle.main.preferredLocalizations + Locale.preferredLanguages) {
        languages = preferred.map { tag in
            String(tag.prefix { $0 != "-" && $0 != "_" }).lowercased()
        }
    }

    /// The label in the first preferred language the map has, else English, else any;
    /// `fallback` (an id) if the map is empty.
    func pick(_ labels: [String: String], fallback: String) -> String {
        for language in languages {
            if let text = labels[language], !text.isEmpty {
                return text
            }
        }
        if let english = labels["en"], !english.isEmpty {
            return english
        }
        return labels.keys.sorted().compactMap { labels[$0] }.first { !$0.isEmpty } ?? fallback
    }
}

/// Names for the codes a policy uses (symptoms, transforms, recipients), localized when
/// the app knows them and shown as they are otherwise.
enum Vocabulary {
    /// A choice code (`"loss_of_smell"`).
    static func code(_ code: String) -> String {
        L10n.optional("code.\(code)") ?? code.replacingOccurrences(of: "_", with: " ")
    }

    /// What a transform does to a value before it leaves (`"threshold"`).
    static func transform(_ transform: String) -> String {
        L10n.optional("transform.\(transform)") ?? transform
    }

    /// Why a root revoked a policy or a delegation (`"key-compromise"`).
    static func revocationReason(_ reason: String) -> String {
        L10n.optional("revocation.reason.\(reason)") ?? reason
    }

    /// The reason an officer gave for seeing a person's identity (an access notice).
    static func accessReason(_ reason: String) -> String {
        L10n.optional("access.reason.\(reason)") ?? reason
    }

    /// A recipient named by a policy (`"health"`).
    static func recipient(_ recipient: String?) -> String {
        guard let recipient else { return L10n.string("recipient.none") }
        return L10n.optional("recipient.\(recipient)") ?? recipient
    }

    /// Why a person is monitored.
    static func reason(_ reason: MonitoringReason) -> String {
        switch reason {
        case .arrival: return L10n.string("reason.arrival")
        case .contact: return L10n.string("reason.contact")
        case .selfReported: return L10n.string("reason.self")
        }
    }

    /// Where a record stands.
    static func state(_ state: RecordState) -> String {
        switch state {
        case .saved: return L10n.string("state.saved")
        case .queued: return L10n.string("state.queued")
        case .sent: return L10n.string("state.sent")
        }
    }
}

/// Errors from the core as sentences for people. The core's stable `code` picks the
/// sentence; its English `detail` is for developers and is never shown.
enum ErrorText {
    /// The sentence for any error a call into the core threw.
    static func message(for error: Error) -> String {
        guard let error = error as? SelfReportError else {
            return L10n.string("error.unexpected")
        }
        if let text = L10n.optional("error.code.\(error.code)") {
            return text
        }
        switch error {
        case .InvalidInput: return L10n.string("error.kind.invalid-input")
        case .PolicyRefused: return L10n.string("error.kind.policy-refused")
        case .WrongKey: return L10n.string("error.code.WrongKey")
        case .KeyUnavailable: return L10n.string("error.code.KeyUnavailable")
        case .KeySourceFailed: return L10n.string("error.code.KeySourceFailed")
        case .Integrity: return L10n.string("error.kind.integrity")
        case .NotFound: return L10n.string("error.kind.not-found")
        case .Conflict: return L10n.string("error.kind.conflict")
        case .Network: return L10n.string("error.kind.network")
        case .Internal: return L10n.string("error.kind.internal")
        case .Closed: return L10n.string("error.code.Closed")
        // Bindings and library of different releases: a build mistake, not the person's.
        case .Incompatible: return L10n.string("error.kind.internal")
        }
    }

    /// What to check in a field the core refused, from the field's kind. (The core also
    /// names the broken rule in `SelfReportError.rule`; a finer hint per rule can be
    /// added to the string tables without changing this flow.)
    static func fieldHint(kind: FieldKind, fromProfile: Bool) -> String {
        if fromProfile {
            return L10n.string("hint.from-profile")
        }
        switch kind {
        case .yesNo, .choice: return L10n.string("hint.choose")
        case .multiChoice: return L10n.string("hint.codes")
        case .temperatureC: return L10n.string("hint.temperature")
        case .integer(let min, let max): return L10n.format("hint.integer %lld %lld", min, max)
        case .date(let allowFuture):
            return allowFuture ? L10n.string("hint.date") : L10n.string("hint.date-past")
        case .district: return L10n.string("hint.district")
        case .travelHistory: return L10n.string("hint.travel")
        case .personName: return L10n.string("hint.name")
        case .residentId: return L10n.string("hint.resident-id")
        case .passportNumber: return L10n.string("hint.passport")
        case .phone: return L10n.string("hint.phone")
        case .transportNumber: return L10n.string("hint.transport")
        case .text(let maxLen): return L10n.format("hint.text %lld", Int64(maxLen))
        }
    }
}
