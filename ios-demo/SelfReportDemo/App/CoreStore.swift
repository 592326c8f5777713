// The one `SelfReport` of the process, shared by the UI and the background tasks (the
// core is safe to call from any thread; two objects on one store would be two writers).
//
// An actor: whatever it does runs on Swift's cooperative pool, never on the main actor, and
// the core's long calls (open, erase) are async and do their work on the core's own
// threads. The UI reaches it with `await`.

import Foundation
import SelfReportCore

actor CoreStore {
    static let shared = CoreStore()

    /// Where the store lives: Application Support/selfreport, excluded from backups (a
    /// backup could not be opened anyway: the Keychain key is this-device-only).
    let directory: URL
    private let keySource: KeychainKeySource
    private var core: SelfReport?
    /// The open in progress, so two callers (the UI and a background task) arriving while
    /// it runs get the same object instead of opening the store twice.
    private var opening: Task<SelfReport, Error>?
    private var loggerInstalled = false

    init(
        directory: URL = FileManager.default
            .urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
            .appendingPathComponent("selfreport", isDirectory: true),
        keySource: KeychainKeySource = KeychainKeySource()
    ) {
        self.directory = directory
        self.keySource = keySource
    }

    /// The open core. Opens the store on first use, creating it only if `create` (the
    /// foreground app creates it; background tasks never do). Nil if there is no store
    /// and `create` is false.
    func open(_ configuration: DemoConfiguration, create: Bool) async throws -> SelfReport? {
        installLogger()
        if let core {
            return core
        }
        if let opening {
            return try await opening.value
        }
        if !storeExists(dir: directory.path) {
            guard create else { return nil }
            try prepareDirectory()
        }
        let dir = directory.path
        let keySource = keySource
        let options = configuration.openOptions
        let task = Task { try await SelfReport.open(dir: dir, keySource: keySource, options: options) }
        opening = task
        defer { opening = nil }
        let opened = try await task.value
        core = opened
        return opened
    }

    /// Erases everything: the store (a running sync is cancelled first, its key shredded,
    /// its files deleted) and the Keychain's wrapping key.
    func eraseEverything() async throws {
        if let core {
            try await core.erase()
            self.core = nil
        } else if storeExists(dir: directory.path) {
            try await eraseStore(dir: directory.path)
        }
        try keySource.deleteKey()
    }

    /// The reset path after `KeyUnavailable` (or a store that cannot be opened): the
    /// store's files and the wrapping key are deleted without opening the store.
    func resetAfterLostKey() async throws {
        core = nil
        try await eraseStore(dir: directory.path)
        try keySource.deleteKey()
    }

    /// The core's log lines go to the unified log; set here, off the main actor, before
    /// the first call that logs.
    private func installLogger() {
        guard !loggerInstalled else { return }
        setLogger(logger: OSLogLogger())
        loggerInstalled = true
    }

    private func prepareDirectory() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var url = directory
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try url.setResourceValues(values)
    }
}
