// The export (`SelfReport.export()`, everything the store holds about the person, as JSON)
// written to a file the share sheet can hand to another app. It is personal data in clear:
// the file gets complete file protection and is deleted when the person leaves the screen
// and at every launch.

import Foundation

enum ExportFile {
    private static var directory: URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("export", isDirectory: true)
    }

    /// Writes `json` to a new file and returns its URL.
    static func write(_ json: String, today: String) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent("selfreport-export-\(today).json")
        try Data(json.utf8).write(to: url, options: [.atomic, .completeFileProtection])
        return url
    }

    /// Deletes every export file.
    static func removeAll() {
        try? FileManager.default.removeItem(at: directory)
    }
}
