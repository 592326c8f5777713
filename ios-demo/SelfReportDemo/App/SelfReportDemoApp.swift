// The app's entry point: the core's logger and the background task handlers are set up
// before launch finishes (BGTaskScheduler requires it), then the store is opened.

import SelfReportCore
import SwiftUI

@main
struct SelfReportDemoApp: App {
    @StateObject private var model = AppModel()
    @Environment(\.scenePhase) private var scenePhase

    init() {
        setLogger(logger: OSLogLogger())
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
