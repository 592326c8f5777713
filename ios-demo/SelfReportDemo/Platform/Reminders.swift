// Reminders from the core's `due`: for each of the coming days, how many reports are owed,
// as local notifications. The text names no one: notifications show on the lock screen.

import Foundation
import SelfReportCore
import UserNotifications

/// A reminder for one day.
struct PlannedReminder: Equatable {
    /// The day, `YYYY-MM-DD`.
    let date: String
    /// Reports owed that day.
    let count: Int
}

/// Plans reminders; pure, so it is tested without notifications.
enum ReminderPlanner {
    /// Hour of the reminder on a coming day.
    static let morningHour = 9
    /// Hour of the reminder for today, if today's reports are still owed.
    static let eveningHour = 20

    /// The days from `today` on (for `days` days) that have reports due, with how many.
    /// `dueOn` is `SelfReport.due(today:)`.
    static func plan(
        from today: String, days: Int, dueOn: (String) throws -> [DueItem]
    ) rethrows -> [PlannedReminder] {
        guard let start = DayFormat.date(from: today) else { return [] }
        let calendar = Calendar(identifier: .gregorian)
        var reminders: [PlannedReminder] = []
        for offset in 0..<max(days, 0) {
            guard let day = calendar.date(byAdding: .day, value: offset, to: start) else { continue }
            let date = DayFormat.string(from: day)
            let count = try dueOn(date).count
            if count > 0 {
                reminders.append(PlannedReminder(date: date, count: count))
            }
        }
        return reminders
    }

    /// When the reminder for `date` fires: the evening for today (if that is still
    /// ahead), the morning for a later day; nil if that time has passed.
    static func fireDate(for date: String, now: Date, calendar: Calendar = .current) -> DateComponents? {
        guard let day = DayFormat.date(from: date) else { return nil }
        let isToday = calendar.isDate(day, inSameDayAs: now)
        let hour = isToday ? eveningHour : morningHour
        guard let fire = calendar.date(bySettingHour: hour, minute: 0, second: 0, of: day),
              fire > now else { return nil }
        return calendar.dateComponents([.year, .month, .day, .hour, .minute], from: fire)
    }
}

/// Puts planned reminders into the notification center (thread-safe: it holds only the
/// notification center).
final class ReminderScheduler: @unchecked Sendable {
    private static let prefix = "selfreport.reminder."
    private let center = UNUserNotificationCenter.current()

    /// Asks once for permission; true if reminders may be shown.
    func requestPermission() async -> Bool {
        let settings = await center.notificationSettings()
        switch settings.authorizationStatus {
        case .authorized, .provisional, .ephemeral:
            return true
        case .notDetermined:
            return (try? await center.requestAuthorization(options: [.alert, .sound, .badge])) ?? false
        default:
            return false
        }
    }

    /// Replaces this app's pending reminders with `reminders`.
    func replace(with reminders: [PlannedReminder], now: Date = Date()) async {
        await removeAll()
        for reminder in reminders {
            guard let components = ReminderPlanner.fireDate(for: reminder.date, now: now) else { continue }
            let content = UNMutableNotificationContent()
            content.title = L10n.string("reminder.title")
            content.body = L10n.format("reminder.body %lld", Int64(reminder.count))
            content.sound = .default
            let request = UNNotificationRequest(
                identifier: Self.prefix + reminder.date,
                content: content,
                trigger: UNCalendarNotificationTrigger(dateMatching: components, repeats: false)
            )
            try? await center.add(request)
        }
    }

    /// Removes every pending reminder of this app.
    func removeAll() async {
        let pending = await center.pendingNotificationRequests()
        let ours = pending.map(\.identifier).filter { $0.hasPrefix(Self.prefix) }
        center.removePendingNotificationRequests(withIdentifiers: ours)
    }
}
