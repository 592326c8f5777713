// Background work with BGTaskScheduler: an app-refresh task that sends what is queued,
// and a processing task (network required) that purges expired data and sends too. Both
// identifiers are listed in Info.plist under BGTaskSchedulerPermittedIdentifiers.
//
// The handlers run off the main actor and the core does the work on its own threads. When
// iOS ends a task early, its expiration handler cancels the sync through
// `SyncCancellation`: the core stops between submissions, keeps the rest queued on disk and
// sends the same bytes next time.

import BackgroundTasks
import Foundation
import SelfReportCore

enum BackgroundSync {
    /// BGAppRefreshTask: send queued reports.
    static let syncIdentifier = "org.selfreport.demo.sync"
    /// BGProcessingTask: purge what expired, then send.
    static let maintenanceIdentifier = "org.selfreport.demo.maintenance"

    /// Registers both handlers. Call once, before the app finishes launching (the App's
    /// initializer).
    static func register(store: CoreStore) {
        let sync = BGTaskScheduler.shared.register(forTaskWithIdentifier: syncIdentifier, using: nil) { task in
            run(task, store: store) { core, cancellation in
                let summary = try await core.sync(listener: nil, cancellation: cancellation)
                return !summary.cancelled
            }
        }
        let maintenance = BGTaskScheduler.shared.register(
            forTaskWithIdentifier: maintenanceIdentifier, using: nil
        ) { task in
            run(task, store: store) { core, cancellation in
                _ = try await core.purge(today: nil)
                let summary = try await core.sync(listener: nil, cancellation: cancellation)
                return !summary.cancelled
            }
        }
        if !sync || !maintenance {
            // An identifier missing from BGTaskSchedulerPermittedIdentifiers in Info.plist.
            AppLog.app.error("background tasks not registered: check Info.plist")
        }
    }

    /// Asks iOS for the next runs (a new request replaces the pending one with the same
    /// identifier). iOS decides when; the dates are only the earliest.
    static func schedule() {
        let refresh = BGAppRefreshTaskRequest(identifier: syncIdentifier)
        refresh.earliestBeginDate = Date(timeIntervalSinceNow: 15 * 60)
        let maintenance = BGProcessingTaskRequest(identifier: maintenanceIdentifier)
        maintenance.requiresNetworkConnectivity = true
        maintenance.requiresExternalPower = false
        maintenance.earliestBeginDate = Date(timeIntervalSinceNow: 6 * 60 * 60)
        for request in [refresh, maintenance] as [BGTaskRequest] {
            do {
                try BGTaskScheduler.shared.submit(request)
            } catch {
                // The Simulator has no background tasks; a device may refuse when
                // Background App Refresh is off. Either way the app syncs when opened.
                AppLog.app.info("background task \(request.identifier, privacy: .public) not scheduled: \(String(describing: error), privacy: .public)")
            }
        }
    }

    /// Runs `work` on the store for `task`, if a store exists, and reports how it went.
    private static func run(
        _ task: BGTask, store: CoreStore,
        work: @escaping (SelfReport, SyncCancellation) async throws -> Bool
    ) {
        schedule()
        let cancellation = SyncCancellation()
        let job = Task {
            var success = false
            do {
                let configuration = try DemoConfiguration.load()
                if let core = try await store.open(configuration, create: false) {
                    success = try await work(core, cancellation)
                } else {
                    success = true  // nothing on this device yet
                }
            } catch {
                // Codes only: the core's errors carry no personal data.
                AppLog.app.info("background \(task.identifier, privacy: .public) failed: \((error as? SelfReportError)?.code ?? "other", privacy: .public)")
            }
            task.setTaskCompleted(success: success)
        }
        task.expirationHandler = {
            cancellation.cancel()
            job.cancel()
        }
    }
}
