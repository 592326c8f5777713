// What is owed today, per household member, and what was filed; the way into forms,
// previews and sending.

import SelfReportCore
import SwiftUI

struct TodayView: View {
    @EnvironmentObject private var model: AppModel

    var body: some View {
        NavigationStack {
            List {
                if model.policy?.consented != true {
                    Section {
                        Text("today.not-sharing")
                        Button("today.review-policy") { model.reviewPolicy() }
                    }
                }
                Section("today.due") {
                    if model.profiles.isEmpty {
                        Text("today.no-profiles")
                            .foregroundStyle(.secondary)
                    } else if model.due.isEmpty {
                        Text("today.nothing-due")
                            .foregroundStyle(.secondary)
                    }
                    ForEach(model.due, id: \.self) { item in
                        NavigationLink(value: Route.form(profileId: item.profileId, formId: item.formId, date: item.date)) {
                            DueRow(item: item)
                        }
                    }
                }
                if !todaysRecords.isEmpty {
                    Section("today.filed") {
                        ForEach(todaysRecords, id: \.id) { record in
                            NavigationLink(value: Route.preview(recordId: record.id)) {
                                RecordRow(record: record)
                            }
                        }
                    }
                }
                if !model.damagedRecords.isEmpty {
                    Section {
                        Text(L10n.format("today.damaged %lld", Int64(model.damagedRecords.count)))
                            .foregroundStyle(.red)
                    }
                }
                SyncSection()
            }
            .navigationTitle("tab.today")
            .refreshable { model.becameActive() }
            .routes()
        }
    }

    private var todaysRecords: [RecordInfo] {
        model.records.filter { $0.date == model.today }
    }
}

/// One report owed: whose, which form, which day of the monitoring period.
struct DueRow: View {
    @EnvironmentObject private var model: AppModel
    let item: DueItem

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(model.profile(item.profileId)?.displayName ?? "")
                .font(.headline)
            Text(model.formTitle(item.formId))
            // A registration (a traveler's pre-registration) is owed until sent: no period day.
            Text(item.ofDays == 0
                ? L10n.string("today.registration")
                : L10n.format("today.day-of %lld %lld", Int64(item.day), Int64(item.ofDays)))
                .font(.footnote)
                .foregroundStyle(.secondary)
        }
        .accessibilityElement(children: .combine)
        .accessibilityHint(Text("today.due.hint"))
    }
}

/// A filed record and where it stands.
struct RecordRow: View {
    @EnvironmentObject private var model: AppModel
    let record: RecordInfo

    var body: some View {
        HStack {
            VStack(alignment: .leading, spacing: 4) {
                Text(model.profile(record.profileId)?.displayName ?? "")
                    .font(.headline)
                Text(model.formTitle(record.formId))
                    .font(.subheadline)
            }
            Spacer()
            StateBadge(state: record.state)
        }
        .accessibilityElement(children: .combine)
    }
}

/// Saved, queued or sent, in words and with an icon.
struct StateBadge: View {
    let state: RecordState

    var body: some View {
        Label(Vocabulary.state(state), systemImage: icon)
            .font(.caption)
            .foregroundStyle(state == .sent ? Color.green : Color.secondary)
    }

    private var icon: String {
        switch state {
        case .saved: return "iphone"
        case .queued: return "tray.and.arrow.up"
        case .sent: return "checkmark.seal"
        }
    }
}

/// Send now, with progress and the last result.
struct SyncSection: View {
    @EnvironmentObject private var model: AppModel

    var body: some View {
        Section("sync.title") {
            switch model.syncState {
            case .idle:
                EmptyView()
            case .running:
                HStack {
                    ProgressView()
                    Text(L10n.format("sync.running %lld", Int64(delivered)))
                }
                .accessibilityElement(children: .combine)
                Button("sync.cancel", role: .cancel) { model.cancelSync() }
            case .finished(let summary):
                Text(L10n.format(
                    "sync.finished %lld %lld %lld",
                    Int64(summary.delivered), Int64(summary.retryLater), Int64(summary.failed)
                ))
                if summary.cancelled {
                    Text("sync.was-cancelled").foregroundStyle(.secondary)
                }
                if summary.notices > 0 {
                    // Someone saw who the person is: the ledger says who, when and why.
                    Text(L10n.format("sync.access-notices %lld", Int64(summary.notices)))
                        .foregroundStyle(.orange)
                }
            case .failed(let sentence):
                Text(sentence).foregroundStyle(.red)
            }
            Button("sync.now") { model.startSync() }
                .disabled(model.syncState == .running || model.policy?.consented != true)
                .accessibilityHint(Text("sync.now.hint"))
        }
    }

    private var delivered: Int {
        model.syncEvents.filter {
            if case .delivered = $0 { return true }
            return false
        }.count
    }
}

extension View {
    /// The screens any tab can push.
    func routes() -> some View {
        navigationDestination(for: Route.self) { route in
            RouteDestination(route: route)
        }
    }
}

private struct RouteDestination: View {
    @EnvironmentObject private var model: AppModel
    let route: Route

    var body: some View {
        switch route {
        case .form(let profileId, let formId, let date):
            if let form = model.formModel(profileId: profileId, formId: formId, date: date) {
                ReportFormView(form: form)
            } else {
                Text("common.not-found")
            }
        case .preview(let recordId):
            PreviewView(recordId: recordId)
        case .profile(let id):
            ProfileDetailView(profileId: id)
        case .ledgerEntry(let seq):
            LedgerEntryView(seq: seq)
        case .enroll(let profileId):
            EnrollView(profileId: profileId)
        case .arrivalPass(let profileId):
            ArrivalPassView(profileId: profileId)
        }
    }
}
