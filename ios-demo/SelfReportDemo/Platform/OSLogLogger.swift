// The core's log lines in the unified log (Console.app, `log stream`), one category per
// component (`selfreport`, `selfreport.sync`).

import Foundation
import os
import SelfReportCore

/// A `SelfReportCore.Logger` writing to os_log. (Qualified names throughout: `os` has a
/// `Logger` too.)
final class OSLogLogger: SelfReportCore.Logger {
    private let subsystem: String

    init(subsystem: String = Bundle.main.bundleIdentifier ?? "org.selfreport.demo") {
        self.subsystem = subsystem
    }

    func log(level: LogLevel, target: String, message: String) {
        let logger = os.Logger(subsystem: subsystem, category: target)
        // Public: the core logs only operation names, counts, policy ids and error codes,
        // never an answer, a profile attribute, a record id or a key.
        switch level {
        case .debug:
            logger.debug("\(message, privacy: .public)")
        case .info:
            logger.info("\(message, privacy: .public)")
        case .warn:
            logger.warning("\(message, privacy: .public)")
        }
    }
}

/// The app's own log lines, under the same subsystem.
enum AppLog {
    static let app = os.Logger(subsystem: Bundle.main.bundleIdentifier ?? "org.selfreport.demo", category: "app")
}
