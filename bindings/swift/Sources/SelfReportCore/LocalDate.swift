// A day in the person's calendar, without time or zone: how SelfReportCore passes dates
// (a record's day, a birth date, a monitoring period's start). Foundation has no such type
// (`Date` is an instant), so this small value type is part of the package; the generated
// bindings convert it to and from `YYYY-MM-DD` text at the boundary (uniffi.toml).

import Foundation

/// A calendar day (`2026-12-07`), comparable and hashable, in the proleptic Gregorian
/// calendar.
public struct LocalDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The year, 0 to 9999.
    public let year: Int
    /// The month, 1 to 12.
    public let month: Int
    /// The day of the month, 1 to 31.
    public let day: Int

    /// Why text or numbers do not make a day.
    public enum InvalidDate: Error, Equatable {
        /// Not `YYYY-MM-DD`, or not a day of the calendar.
        case notADay(String)
    }

    /// The day `year`-`month`-`day`; throws for a day the calendar does not have
    /// (`2026-02-30`) or a year outside 0–9999.
    public init(year: Int, month: Int, day: Int) throws {
        guard (0...9999).contains(year), (1...12).contains(month),
              (1...LocalDate.daysIn(month: month, year: year)).contains(day)
        else {
            throw InvalidDate.notADay("\(year)-\(month)-\(day)")
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD` exactly (four-digit year, two-digit month and day).
    public init(iso8601 text: String) throws {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        let digitsOnly = parts.allSatisfy { $0.allSatisfy { $0.isASCII && $0.isNumber } }
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              digitsOnly, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else {
            throw InvalidDate.notADay(text)
        }
        try self.init(year: year, month: month, day: day)
    }

    /// The day `date` falls on in `calendar`'s time zone (the person's, by default).
    public init(_ date: Date, in calendar: Calendar = .current) throws {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        try self.init(year: parts.year ?? -1, month: parts.month ?? 0, day: parts.day ?? 0)
    }

    /// Today in `calendar`'s time zone (the person's, by default).
    public static func today(in calendar: Calendar = .current) -> LocalDate {
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        // A device clock outside the years 0–9999 is clamped rather than trapped on.
        return LocalDate(
            checkedYear: min(max(parts.year ?? 1970, 0), 9999),
            month: parts.month ?? 1,
            day: parts.day ?? 1
        )
    }

    /// For components a calendar produced (always a real day).
    private init(checkedYear year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// `YYYY-MM-DD`.
    public var iso8601: String {
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }

    /// `YYYY-MM-DD`.
    public var description: String { iso8601 }

    /// The start of this day in `calendar`'s time zone, for date pickers.
    public func startOfDay(in calendar: Calendar = .current) -> Date? {
        calendar.date(from: DateComponents(year: year, month: month, day: day))
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: Decoder) throws {
        try self.init(iso8601: decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso8601)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }
}
