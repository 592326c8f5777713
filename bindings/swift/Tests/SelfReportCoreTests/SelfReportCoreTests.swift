// Runs the generated Swift API against the real core on macOS:
//
//     scripts/build-xcframework.sh --macos && (cd bindings/swift && swift test)
//
// The whole flow (policy, records, sync against a drop box) is proven from Kotlin and
// Python on the same library; these tests prove what is Swift's own: a KeySource written in
// Swift, its errors coming back typed, the reset path, and the async API (open, sync, erase
// and the other long calls are `async` and run on the core's threads).

import CryptoKit
import Foundation
import SelfReportCore
import XCTest

/// A key source like the Keychain one, with the wrapping key held in memory (immutable,
/// hence safe to share).
private final class MemoryKeySource: KeySource, @unchecked Sendable {
    private let key = SymmetricKey(size: .bits256)

    func wrap(key storeKey: Data) throws -> Data {
        guard let combined = try AES.GCM.seal(storeKey, using: key).combined else {
            throw KeySourceError.Failed(reason: "no combined representation")
        }
        return combined
    }

    func unwrap(blob: Data) throws -> Data {
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: blob), using: key)
        } catch {
            throw KeySourceError.WrongKey
        }
    }
}

/// A key source whose key the platform lost.
private final class LostKeySource: KeySource {
    func wrap(key: Data) throws -> Data {
        throw KeySourceError.Unavailable(reason: "test: no key")
    }

    func unwrap(blob: Data) throws -> Data {
        throw KeySourceError.Unavailable(reason: "test: no key")
    }
}

/// A key source that fails with an error of its own, not a `KeySourceError`.
private final class ThrowingKeySource: KeySource {
    func wrap(key: Data) throws -> Data {
        throw CocoaError(.fileReadUnknown)
    }

    func unwrap(blob: Data) throws -> Data {
        throw CocoaError(.fileReadUnknown)
    }
}

final class SelfReportCoreTests: XCTestCase {
    private var directory: URL!
    private let options = OpenOptions(trustAnchors: [], extraRootsDer: [])

    override func setUpWithError() async throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("selfreport-swift-\(UUID().uuidString)", isDirectory: true)
    }

    override func tearDownWithError() async throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private var store: String {
        directory.appendingPathComponent("store", isDirectory: true).path
    }

    /// The `SelfReportError` `body` throws, or a failure.
    private func selfReportError(
        _ body: () async throws -> Void, file: StaticString = #filePath, line: UInt = #line
    ) async -> SelfReportError? {
        do {
            try await body()
            XCTFail("expected a SelfReportError, nothing was thrown", file: file, line: line)
        } catch let error as SelfReportError {
            return error
        } catch {
            XCTFail("expected a SelfReportError, got \(error)", file: file, line: line)
        }
        return nil
    }

    func testASwiftKeySourceCreatesAndReopensTheStore() async throws {
        let keySource = MemoryKeySource()
        XCTAssertFalse(storeExists(dir: store))
        let created = try await SelfReport.open(dir: store, keySource: keySource, options: options)
        XCTAssertTrue(storeExists(dir: store))
        XCTAssertNotNil(try created.today().iso8601.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression))

        let reopened = try await SelfReport.open(dir: store, keySource: keySource, options: options)
        XCTAssertEqual(try reopened.profiles(), [])
        let check = try await reopened.verifyLedger()
        XCTAssertEqual(check.valid, true)
    }

    func testAnotherKeyIsWrongKeyAndChangesNothing() async throws {
        _ = try await SelfReport.open(dir: store, keySource: MemoryKeySource(), options: options)
        let error = await selfReportError {
            _ = try await SelfReport.open(dir: store, keySource: MemoryKeySource(), options: options)
        }
        guard case .WrongKey = error else {
            return XCTFail("expected WrongKey, got \(String(describing: error))")
        }
        XCTAssertEqual(error?.code, "WrongKey")
        XCTAssertTrue(storeExists(dir: store))
    }

    func testALostKeyIsTypedAndTheStoreCanBeReset() async throws {
        _ = try await SelfReport.open(dir: store, keySource: MemoryKeySource(), options: options)
        let error = await selfReportError {
            _ = try await SelfReport.open(dir: store, keySource: LostKeySource(), options: options)
        }
        guard case .KeyUnavailable = error else {
            return XCTFail("expected KeyUnavailable, got \(String(describing: error))")
        }
        XCTAssertEqual(error?.isKeyLost, true)

        try await eraseStore(dir: store)
        XCTAssertFalse(storeExists(dir: store))
        let fresh = try await SelfReport.open(dir: store, keySource: MemoryKeySource(), options: options)
        XCTAssertEqual(try fresh.policies(), [])
    }

    func testAnErrorThrownInsideASwiftKeySourceComesBackTyped() async throws {
        _ = try await SelfReport.open(dir: store, keySource: MemoryKeySource(), options: options)
        let error = await selfReportError {
            _ = try await SelfReport.open(dir: store, keySource: ThrowingKeySource(), options: options)
        }
        guard case .KeySourceFailed = error else {
            return XCTFail("expected KeySourceFailed, got \(String(describing: error))")
        }
        XCTAssertEqual(error?.code, "KeySourceFailed")
    }

    func testARefusedPolicyHasItsStableCode() async throws {
        let core = try await SelfReport.open(dir: store, keySource: MemoryKeySource(), options: options)
        let error = await selfReportError {
            _ = try core.installPolicy(signed: Data("not a signed policy".utf8))
        }
        guard case .PolicyRefused = error else {
            return XCTFail("expected PolicyRefused, got \(String(describing: error))")
        }
        XCTAssertEqual(error?.code, "PolicyMalformed")
        XCTAssertEqual(error?.field, nil)
        XCTAssertFalse(error?.detail.isEmpty ?? true)
    }

    func testAnInvalidProfileNamesTheField() async throws {
        let core = try await SelfReport.open(dir: store, keySource: MemoryKeySource(), options: options)
        let error = await selfReportError {
            _ = try core.addProfile(profile: NewProfile(
                displayName: "Mum", name: nil, idNumber: "123", phone: nil, birthDate: nil,
                passportNumber: nil
            ))
        }
        guard case .InvalidInput = error else {
            return XCTFail("expected InvalidInput, got \(String(describing: error))")
        }
        XCTAssertEqual(error?.field, "id_number")
    }

    func testSyncFromATaskWithNothingToSend() async throws {
        let core = try await SelfReport.open(dir: store, keySource: MemoryKeySource(), options: options)
        let events = EventCounter()
        let summary = try await core.sync(listener: SyncEventHandler { _ in events.add() })
        XCTAssertEqual(summary, SyncSummary(queued: 0, delivered: 0, retryLater: 0, failed: 0, cancelled: false))
        XCTAssertEqual(events.count, 0)
    }

    func testEraseClosesTheObject() async throws {
        let core = try await SelfReport.open(dir: store, keySource: MemoryKeySource(), options: options)
        try await core.erase()
        XCTAssertFalse(storeExists(dir: store))
        let error = await selfReportError { _ = try core.today() }
        guard case .Closed = error else {
            return XCTFail("expected Closed, got \(String(describing: error))")
        }
        let again = await selfReportError { _ = try await core.records() }
        XCTAssertEqual(again?.code, "Closed")
    }

    @MainActor
    func testLongCallsAwaitedOnTheMainActorRunTheKeySourceOffTheMainThread() async throws {
        let keySource = ThreadRecordingKeySource()
        let core = try await SelfReport.open(dir: store, keySource: keySource, options: options)
        try await core.changeKey(newKeySource: keySource)
        XCTAssertFalse(keySource.calls.isEmpty)
        XCTAssertFalse(keySource.calls.contains(true), "the key source ran on the main thread")
    }
}

/// A key source that records, for each call, whether it ran on the main thread.
private final class ThreadRecordingKeySource: KeySource, @unchecked Sendable {
    private let inner = MemoryKeySource()
    private let lock = NSLock()
    private var onMain: [Bool] = []

    var calls: [Bool] {
        lock.lock()
        defer { lock.unlock() }
        return onMain
    }

    private func record() {
        lock.lock()
        onMain.append(Thread.isMainThread)
        lock.unlock()
    }

    func wrap(key: Data) throws -> Data {
        record()
        return try inner.wrap(key: key)
    }

    func unwrap(blob: Data) throws -> Data {
        record()
        return try inner.unwrap(blob: blob)
    }
}

/// Counts events from any thread.
private final class EventCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func add() {
        lock.lock()
        value += 1
        lock.unlock()
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}

/// The package's date type: exactly the `YYYY-MM-DD` days the core sends and accepts.
final class LocalDateTests: XCTestCase {
    func testParsesAndWritesCalendarDaysExactly() throws {
        let day = try LocalDate(iso8601: "2026-02-28")
        XCTAssertEqual(day.iso8601, "2026-02-28")
        XCTAssertEqual(try LocalDate(year: 7, month: 3, day: 9).iso8601, "0007-03-09")
        XCTAssertLessThan(day, try LocalDate(iso8601: "2026-03-01"))
        for refused in ["2026-02-29", "2026-2-28", "+10000-01-01", "2026/02/28", "", "２０２６-01-01"] {
            XCTAssertThrowsError(try LocalDate(iso8601: refused), refused)
        }
        XCTAssertNoThrow(try LocalDate(iso8601: "2024-02-29"))
        let encoded = try JSONEncoder().encode([day])
        XCTAssertEqual(String(decoding: encoded, as: UTF8.self), #"["2026-02-28"]"#)
        XCTAssertEqual(try JSONDecoder().decode([LocalDate].self, from: encoded), [day])
    }
}
