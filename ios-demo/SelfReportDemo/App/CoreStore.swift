// The one `SelfReport` of the process, shared by the UI and the background tasks (the
// core is safe to call from any thread; two objects on one store would be two writers).

import Foundation
import SelfReportCore

final class CoreStore: @unchecked Sendable {
    static let shared = CoreStore()

    /// Where the store lives: Application Support/selfreport, excluded from backups (a
    /// backup could not be opened anyway: the Keychain key is this-device-only).
    let directory: URL
    private let keySource: KeychainKeySource
    private let lock = NSLock()
    private var core: SelfReport?

    init(
        directory: URL = FileManager.default
            .urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
            .appendingPathComponent("selfreport", isDirectory: true),
        keySource: KeychainKeySource = KeychainKeySource()
    ) {
        self.directory = directory
        self.keySource = keySource
    }

    /// Whether a store exists on this device.
    var exists: Bool {
        storeExists(dir: directory.path)
    }

    /// The open core. Opens the store on first use, creating it only if `create` (the
    /// foreground app creates it; background tasks never do). Nil if there is no store
    /// and `create` is false.
    func open(_ configuration: DemoConfiguration, create: Bool) throws -> SelfReport? {
        lock.lock()
        defer { lock.unlock() }
        if let core {
            return core
        }
        if !storeExists(dir: directory.path) {
            guard create else { return nil }
            try prepareDirectory()
        }
        let opened = try SelfReport.open(
            dir: directory.path, keySource: keySource, options: configuration.openOptions
        )
        core = opened
        return opened
    }

    /// Erases everything: the store (its key shredded, its files deleted) and the
    /// Keychain's wrapping key. Fails with `Conflict` while a sync runs.
    func eraseEverything() throws {
        lock.lock()
        defer { lock.unlock() }
        if let core {
            try core.erase()
            self.core = nil
        } else if storeExists(dir: directory.path) {
            try eraseStore(dir: directory.path)
        }
        try keySource.deleteKey()
    }

    /// The reset path after `KeyUnavailable` (or a store that cannot be opened): the
    /// store's files and the wrapping key are deleted without opening the store.
    func resetAfterLostKey() throws {
        lock.lock()
        defer { lock.unlock() }
        core = nil
        try eraseStore(dir: directory.path)
        try keySource.deleteKey()
    }

    private func prepareDirectory() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var url = directory
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try url.setResourceValues(values)
    }
}
