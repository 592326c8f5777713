// Hand-written additions to the generated API in SelfReportCore.swift (made by
// uniffi-bindgen; never edit that file). They only reshape what the core returns so it
// reads like Swift; no logic of the core lives here.

import Foundation

extension SelfReportError {
    /// The core's stable code (`"WrongKey"`, `"PolicyUnknownKey"`, `"InvalidInput"`...).
    /// Map it to localized text; it never changes between versions.
    public var code: String {
        switch self {
        case .InvalidInput(let code, _, _, _),
             .PolicyRefused(let code, _),
             .WrongKey(let code, _),
             .KeyUnavailable(let code, _),
             .KeySourceFailed(let code, _),
             .Integrity(let code, _),
             .NotFound(let code, _),
             .Conflict(let code, _),
             .Network(let code, _),
             .Internal(let code, _),
             .Closed(let code, _),
             .Incompatible(let code, _):
            return code
        }
    }

    /// An English explanation for logs and developers. It never holds an answer's value,
    /// but it is not written for the people using the app: show text made from `code`.
    public var detail: String {
        switch self {
        case .InvalidInput(_, _, _, let detail),
             .PolicyRefused(_, let detail),
             .WrongKey(_, let detail),
             .KeyUnavailable(_, let detail),
             .KeySourceFailed(_, let detail),
             .Integrity(_, let detail),
             .NotFound(_, let detail),
             .Conflict(_, let detail),
             .Network(_, let detail),
             .Internal(_, let detail),
             .Closed(_, let detail),
             .Incompatible(_, let detail):
            return detail
        }
    }

    /// For `InvalidInput`, the field (or argument) at fault when the core names one.
    public var field: String? {
        if case .InvalidInput(_, let field, _, _) = self {
            return field
        }
        return nil
    }

    /// For `InvalidInput`, the stable code of the validation rule that was broken
    /// (`"Required"`, `"OutOfRange"`, `"TooPrecise"`, `"Format"`...), to pick a hint.
    public var rule: String? {
        if case .InvalidInput(_, _, let rule, _) = self {
            return rule
        }
        return nil
    }

    /// Whether the platform lost the store key for good: the store can only be reset with
    /// `eraseStore(dir:)`, losing what it held.
    public var isKeyLost: Bool {
        if case .KeyUnavailable = self {
            return true
        }
        return false
    }
}

/// A `SyncListener` that hands every event to a closure. The core calls it on one of its
/// own threads (named `selfreport-core`), never on the thread or actor that awaits the
/// sync: hop to the main actor before touching UI.
public final class SyncEventHandler: SyncListener {
    private let handler: @Sendable (SyncEvent) -> Void

    /// A listener calling `handler` with each event.
    public init(_ handler: @escaping @Sendable (SyncEvent) -> Void) {
        self.handler = handler
    }

    /// Called by the core for each submission queued, delivered, rescheduled or refused.
    public func onEvent(event: SyncEvent) {
        handler(event)
    }
}

extension SelfReport {
    /// Sends what is due, like `sync(listener:cancellation:)`, and stops between
    /// submissions when the calling task is cancelled. The work runs on the core's threads;
    /// awaiting it from the main actor is fine.
    ///
    /// The generated async functions do not pass Swift task cancellation to Rust; this one
    /// turns it into a `SyncCancellation`. Queued submissions stay queued either way, and
    /// the summary says whether the sync was cut short (`cancelled`).
    public func sync(listener: SyncListener? = nil) async throws -> SyncSummary {
        let cancellation = SyncCancellation()
        return try await withTaskCancellationHandler {
            try await self.sync(listener: listener, cancellation: cancellation)
        } onCancel: {
            cancellation.cancel()
        }
    }
}

/// One step of a sync, as `SelfReport.syncProgress()` yields it.
public enum SyncProgress: Sendable {
    /// A submission was queued, delivered, rescheduled or refused.
    case event(SyncEvent)
    /// The sync ended: the stream's last element, after which it finishes.
    case finished(SyncSummary)
}

extension SelfReport {
    /// Sends what is due, like `sync(listener:)`, as an `AsyncThrowingStream` of its
    /// progress: one `.event` per submission, then `.finished` with the summary. The work
    /// runs on the core's threads; iterate it from any actor, the main actor included.
    ///
    /// Ending the iteration early (a `break`, or cancelling the iterating task) stops the
    /// sync between submissions; queued submissions stay queued for the next sync. A failure
    /// of the sync as a whole ends the stream by throwing that `SelfReportError`. Events are
    /// buffered without bound (one per submission), so the core's thread never waits.
    public func syncProgress() -> AsyncThrowingStream<SyncProgress, Error> {
        AsyncThrowingStream(bufferingPolicy: .unbounded) { continuation in
            let cancellation = SyncCancellation()
            let listener = SyncEventHandler { event in
                continuation.yield(.event(event))
            }
            let task = Task {
                do {
                    let summary = try await self.sync(listener: listener, cancellation: cancellation)
                    continuation.yield(.finished(summary))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                cancellation.cancel()
                task.cancel()
            }
        }
    }
}
