// The app's entry point: the background task handlers are set up before launch finishes
// (BGTaskScheduler requires it), then the store is opened. No core call runs on the main
// actor: `AppModel` and `CoreStore` make them off it (the core's logger is installed by
// `CoreStore` before its first open).

import SelfReportCore
import SwiftUI

@main
struct SelfReportDemoApp: App {
    @StateObject private var model = AppModel()
    @Environment(\.scenePhase) private var scenePhase

    init() {
        BackgroundSync.register(store: CoreStore.shared)
    }

    var body: some Scene {
        WindowGroup {
            RootView()
                .environmentObject(model)
                .task { model.start() }
        }
        .onChange(of: scenePhase) { phase in
            if phase == .active {
                model.becameActive()
            }
        }
    }
}
