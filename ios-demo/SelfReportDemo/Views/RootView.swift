// Chooses the screen for the app's phase, and shows the model's messages.

import SelfReportCore
import SwiftUI

struct RootView: View {
    @EnvironmentObject private var model: AppModel

    var body: some View {
        Group {
            switch model.phase {
            case .starting:
                ProgressView()
                    .accessibilityLabel(Text("starting.accessibility"))
            case .notConfigured(let file):
                NotConfiguredView(file: file)
            case .keyLost:
                ResetView(reason: L10n.string("reset.key-lost"))
            case .unreadable(let sentence):
                ResetView(reason: sentence)
            case .failed(let sentence):
                FailedView(sentence: sentence)
            case .onboarding:
                OnboardingView()
            case .ready:
                HomeView()
            }
        }
        .alert(
            Text("alert.title"),
            isPresented: Binding(
                get: { model.message != nil },
                set: { shown in
                    if !shown { model.message = nil }
                }
            ),
            actions: { Button("common.ok") {} },
            message: { Text(model.message ?? "") }
        )
    }
}

/// The tabs of normal use.
struct HomeView: View {
    var body: some View {
        TabView {
            TodayView()
                .tabItem { Label("tab.today", systemImage: "checklist") }
            ProfilesView()
                .tabItem { Label("tab.household", systemImage: "person.2") }
            LedgerView()
                .tabItem { Label("tab.ledger", systemImage: "list.bullet.rectangle") }
            SettingsView()
                .tabItem { Label("tab.settings", systemImage: "gearshape") }
        }
    }
}

/// The store cannot be opened any more; the only way on is to start again.
struct ResetView: View {
    @EnvironmentObject private var model: AppModel
    let reason: String
    @State private var confirming = false

    var body: some View {
        VStack(spacing: 20) {
            Image(systemName: "key.slash")
                .font(.system(size: 48))
                .accessibilityHidden(true)
            Text("reset.title")
                .font(.title2.bold())
                .accessibilityAddTraits(.isHeader)
            Text(reason)
            Text("reset.explainer")
                .font(.footnote)
                .foregroundStyle(.secondary)
            Button(role: .destructive) {
                confirming = true
            } label: {
                Text("reset.button")
            }
            .buttonStyle(.borderedProminent)
            .accessibilityHint(Text("reset.button.hint"))
        }
        .multilineTextAlignment(.center)
        .padding()
        .confirmationDialog("reset.confirm", isPresented: $confirming, titleVisibility: .visible) {
            Button("reset.button", role: .destructive) {
                Task { await model.resetStore() }
            }
        }
    }
}

/// Opening failed for a reason that may pass.
struct FailedView: View {
    @EnvironmentObject private var model: AppModel
    let sentence: String

    var body: some View {
        VStack(spacing: 16) {
            Image(systemName: "exclamationmark.triangle")
                .font(.system(size: 44))
                .accessibilityHidden(true)
            Text(sentence)
            Button("common.retry") { model.start() }
                .buttonStyle(.bordered)
        }
        .multilineTextAlignment(.center)
        .padding()
    }
}

/// The app was built without DemoConfig: tells the developer what to run.
struct NotConfiguredView: View {
    let file: String

    var body: some View {
        VStack(alignment: .leading, spacing: 12) {
            Text("config.title")
                .font(.title2.bold())
                .accessibilityAddTraits(.isHeader)
            Text(L10n.format("config.missing %@", file))
            Text("config.howto")
                .font(.footnote)
            Text(verbatim: "ios-demo/scripts/dev-dropbox.sh")
                .font(.system(.footnote, design: .monospaced))
                .textSelection(.enabled)
        }
        .padding()
    }
}
