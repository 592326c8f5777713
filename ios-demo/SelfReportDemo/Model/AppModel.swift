// The app's state and every action a screen can take, over the one `SelfReport`. Views
// read the published properties and call these methods; they never call the core.
//
// No core call runs on the main actor. The model is `@MainActor` (it publishes to the
// views), so every call to the core goes through `onCore`, a nonisolated async function:
// Swift runs it on the global concurrent executor (SE-0338), and the main actor only
// awaits. The core's long calls (open, sync, records, ledger, export, purge, erase...) are
// async and do their work on the core's own threads besides.

import Foundation
import SelfReportCore

/// Where the app stands.
enum AppPhase: Equatable {
    /// Opening the store.
    case starting
    /// The app was built without its DemoConfig files (the named one is missing).
    case notConfigured(String)
    /// The Keychain no longer has the key that opens the store: only a reset helps.
    case keyLost
    /// The store failed its integrity check (the sentence says how): only a reset helps.
    case unreadable(String)
    /// Opening failed for another reason; relaunching may help.
    case failed(String)
    /// The policy is shown and consent asked.
    case onboarding
    /// Normal use.
    case ready
}

/// Where the last sync stands.
enum SyncState: Equatable {
    case idle
    case running
    case finished(SyncSummary)
    case failed(String)
}

/// A screen the navigation stack can show.
enum Route: Hashable {
    case form(profileId: ProfileId, formId: String, date: LocalDate)
    case preview(recordId: RecordId)
    case profile(id: ProfileId)
    case ledgerEntry(seq: UInt64)
    case enroll(profileId: ProfileId)
    case arrivalPass(profileId: ProfileId)
}

@MainActor
final class AppModel: ObservableObject {
    @Published private(set) var phase: AppPhase = .starting
    /// The installed policy (the demo installs one).
    @Published private(set) var policy: PolicyInfo?
    @Published private(set) var today = LocalDate.today()
    @Published private(set) var profiles: [ProfileInfo] = []
    @Published private(set) var monitoring: [MonitoringInfo] = []
    @Published private(set) var due: [DueItem] = []
    @Published private(set) var records: [RecordInfo] = []
    /// Ids of records that failed their integrity check (shown, never hidden).
    @Published private(set) var damagedRecords: [String] = []
    @Published private(set) var ledger: [LedgerEntry] = []
    @Published private(set) var ledgerCheck: LedgerCheck?
    @Published private(set) var syncState: SyncState = .idle
    /// Events of the running (or last) sync.
    @Published private(set) var syncEvents: [SyncEvent] = []
    /// The export file while the share button is shown.
    @Published private(set) var exportURL: URL?
    /// A sentence to show in an alert.
    @Published var message: String?

    let labels = LabelPicker()
    private let store: CoreStore
    private let reminders: ReminderScheduler
    private let defaults: UserDefaults
    private var core: SelfReport?
    private var syncTask: Task<Void, Never>?
    private var lastPurge: LocalDate?
    private static let onboardedKey = "onboardingDone"

    init(
        store: CoreStore = .shared,
        reminders: ReminderScheduler = ReminderScheduler(),
        defaults: UserDefaults = .standard
    ) {
        self.store = store
        self.reminders = reminders
        self.defaults = defaults
    }

    // MARK: - Opening

    /// Opens (or creates) the store, installs the bundled policy and decides what to show.
    func start() {
        Task { await self.open() }
    }

    private func open() async {
        ExportFile.removeAll()
        let configuration: DemoConfiguration
        do {
            configuration = try DemoConfiguration.load()
        } catch let missing as DemoConfiguration.Missing {
            phase = .notConfigured(missing.file)
            return
        } catch {
            phase = .notConfigured("DemoConfig")
            return
        }
        do {
            guard let core = try await store.open(configuration, create: true) else {
                phase = .failed(L10n.string("error.unexpected"))
                return
            }
            self.core = core
            let signedPolicy = configuration.signedPolicy
            try await Self.onCore { try Self.installBundledPolicy(signedPolicy, into: core) }
            try await reload()
            let onboarded = defaults.bool(forKey: Self.onboardedKey)
            phase = (policy?.consented == true || onboarded) ? .ready : .onboarding
            if phase == .ready {
                afterChange()
            }
        } catch let error as SelfReportError {
            switch error {
            case .KeyUnavailable, .WrongKey:
                // With the Keychain source, a wrong key means the original key is gone too.
                phase = .keyLost
            case .Integrity:
                phase = .unreadable(ErrorText.message(for: error))
            default:
                phase = .failed(ErrorText.message(for: error))
            }
        } catch {
            phase = .failed(ErrorText.message(for: error))
        }
    }

    /// Installs the policy the app ships with. A refusal is fine when a policy is already
    /// installed: the same or a newer version is refused as a rollback.
    private nonisolated static func installBundledPolicy(_ signedPolicy: Data, into core: SelfReport) throws {
        do {
            _ = try core.installPolicy(signed: signedPolicy)
        } catch let error as SelfReportError {
            let installed = try core.policies()
            guard case .PolicyRefused = error, !installed.isEmpty else { throw error }
        }
    }

    /// The app came to the foreground: a new day may have started.
    func becameActive() {
        guard phase == .ready, let core else { return }
        let lastPurge = lastPurge
        perform {
            let today = try await Self.onCore { try core.today() }
            if lastPurge != today {
                _ = try await Self.onCore { try await core.purge(today: nil) }
                self.lastPurge = today
            }
            try await self.reload()
            self.afterChange()
        }
    }

    /// What the screens show, read in one go off the main actor.
    private struct Snapshot: Sendable {
        let today: LocalDate
        let policy: PolicyInfo?
        let profiles: [ProfileInfo]
        let monitoring: [MonitoringInfo]
        let due: [DueItem]
        let records: RecordList
        let ledger: [LedgerEntry]
    }

    /// Reads everything the screens show.
    func reload() async throws {
        guard let core else { return }
        let snapshot = try await Self.onCore {
            Snapshot(
                today: try core.today(),
                policy: try core.policies().first,
                profiles: try core.profiles(),
                monitoring: try core.monitoringPeriods(),
                due: try core.due(today: nil),
                records: try await core.records(),
                ledger: try await core.ledger()
            )
        }
        today = snapshot.today
        policy = snapshot.policy
        profiles = snapshot.profiles
        monitoring = snapshot.monitoring
        due = snapshot.due
        records = snapshot.records.records
        damagedRecords = snapshot.records.damaged
        ledger = snapshot.ledger
    }

    // MARK: - Consent

    /// The person agrees to send under the policy.
    func acceptPolicy() {
        guard let core, let policy else { return }
        let policyId = policy.id
        perform {
            try await Self.onCore { try core.grantConsent(policyId: policyId) }
            self.defaults.set(true, forKey: Self.onboardedKey)
            try await self.reload()
            self.phase = .ready
            self.afterChange()
        }
    }

    /// The person uses the app without sending for now; records stay on the phone.
    func continueWithoutConsent() {
        defaults.set(true, forKey: Self.onboardedKey)
        phase = .ready
        afterChange()
    }

    /// Shows the policy and the consent question again.
    func reviewPolicy() {
        phase = .onboarding
    }

    /// Withdraws consent: nothing more is sent and queued reports are dropped.
    func withdrawConsent() {
        guard let core, let policy else { return }
        let policyId = policy.id
        perform {
            let dropped = try await Self.onCore { try core.withdrawConsent(policyId: policyId) }
            try await self.reload()
            self.message = L10n.format("consent.withdrawn %lld", Int64(dropped))
        }
    }

    // MARK: - Profiles and monitoring

    /// Adds a household member. Throws the core's refusal, for the form to show by field.
    func addProfile(_ draft: ProfileDraft) async throws {
        guard let core else { return }
        let profile = draft.newProfile()
        _ = try await Self.onCore { try core.addProfile(profile: profile) }
        try await reload()
    }

    func profile(_ id: ProfileId) -> ProfileInfo? {
        profiles.first { $0.id == id }
    }

    /// The monitoring periods of a profile.
    func monitoringPeriods(of profileId: ProfileId) -> [MonitoringInfo] {
        monitoring.filter { $0.profileId == profileId }
    }

    /// Starts a monitoring period from today under the policy.
    func startMonitoring(profileId: ProfileId, reason: MonitoringReason) {
        guard let core, let policy else { return }
        let policyId = policy.id
        perform {
            _ = try await Self.onCore {
                try core.startMonitoring(profileId: profileId, policyId: policyId, start: nil, reason: reason)
            }
            try await self.reload()
            self.afterChange()
        }
    }

    // MARK: - Enrollment and the arrival pass

    /// Whether the policy has a form filed only during monitoring (a daily report), so an
    /// order can enroll someone under it. (`FormInfo` does not say `enrollment: required`;
    /// the core refuses an order a policy does not take, and the screen says so.)
    var canEnroll: Bool { policy?.forms.contains { $0.requiresMonitoring } ?? false }

    /// Whether `profileId` saved the policy's pre-registration (a form filed once, before
    /// any monitoring): then it can show an arrival pass.
    func hasPreRegistration(_ profileId: ProfileId) -> Bool {
        guard let policy else { return false }
        let open = Set(policy.forms.filter { $0.frequency == .once && !$0.requiresMonitoring }.map(\.id))
        return records.contains { $0.profileId == profileId && open.contains($0.formId) }
    }

    /// The name and document number `profileId`'s pre-registration gave, for the checkpoint
    /// worker to compare with the document: its answers to its name and ID fields when it
    /// holds them, else the profile's (fields taken from the profile).
    func registrationIdentity(_ profileId: ProfileId) -> (name: String?, document: String?) {
        let profile = self.profile(profileId)
        let forms = policy?.forms.filter { $0.frequency == .once && !$0.requiresMonitoring } ?? []
        let registration = records
            .filter { record in record.profileId == profileId && forms.contains { $0.id == record.formId } }
            .max { $0.revision < $1.revision }
        let fields = forms.first { $0.id == registration?.formId }?.fields ?? []
        func answer(_ matches: (FieldKind) -> Bool) -> String? {
            fields.filter { matches($0.kind) }
                .compactMap { registration?.answers[$0.id] }
                .first { !$0.isEmpty }
        }
        let name = answer { if case .personName = $0 { return true } else { return false } } ?? profile?.name
        let document = answer { if case .residentId = $0 { return true } else { return false } }
            ?? answer { if case .passportNumber = $0 { return true } else { return false } }
            ?? profile?.idNumber ?? profile?.passportNumber
        return (name, document)
    }

    /// Enrolls with a scanned order (the QR code's text: the order file's JSON); nil when
    /// enrolled, else the sentence saying why not.
    func enroll(profileId: ProfileId, scanned: String) async -> String? {
        guard let core else { return L10n.string("error.code.Closed") }
        let order = Data(scanned.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        return await enrolled {
            try await Self.onCore { try core.enroll(profileId: profileId, order: order) }
        }
    }

    /// Redeems a typed code at the policy's drop box and enrolls with its order; nil when
    /// enrolled, else the sentence saying why not (a typo is found before anything is sent).
    func enroll(profileId: ProfileId, code: String) async -> String? {
        guard let core, let policy else { return L10n.string("error.code.Closed") }
        let policyId = policy.id
        return await enrolled {
            try await core.enrollWithCode(profileId: profileId, policyId: policyId, code: code)
        }
    }

    private func enrolled(_ call: () async throws -> MonitoringInfo) async -> String? {
        do {
            let period = try await call()
            try await reload()
            afterChange()
            if let district = period.orderedDistrict {
                message = L10n.format("enroll.done-district %lld %@", Int64(period.days), district)
            } else {
                message = L10n.format("enroll.done %lld", Int64(period.days))
            }
            return nil
        } catch {
            return ErrorText.message(for: error)
        }
    }

    /// A fresh arrival pass (its text, for the QR code) for `profileId`'s pre-registration.
    /// `NotFound` without one; `Conflict` for one filed before passes existed.
    func arrivalPass(profileId: ProfileId) async throws -> String {
        guard let core, let policy else { throw SelfReportError.Closed(code: "Closed", detail: "the store is not open") }
        let policyId = policy.id
        return try await Self.onCore { try core.arrivalPass(profileId: profileId, policyId: policyId) }
    }

    // MARK: - Records

    /// The form `formId` for a profile on `date`, prefilled from that day's latest record.
    func formModel(profileId: ProfileId, formId: String, date: LocalDate) -> FormModel? {
        guard let policy, let form = policy.forms.first(where: { $0.id == formId }),
              let profile = self.profile(profileId) else { return nil }
        let latest = records
            .filter { $0.profileId == profileId && $0.formId == formId && $0.date == date }
            .max { $0.revision < $1.revision }
        return FormModel(
            policyId: policy.id, form: form, profile: profile, date: date,
            existing: latest?.answers ?? [:], labels: labels
        )
    }

    /// Saves the form; returns the record id, or nil after showing the refusal in the form.
    func save(_ form: FormModel) async -> RecordId? {
        guard let core else { return nil }
        form.clearErrors()
        let (profileId, policyId, formId, date, answers) =
            (form.profileId, form.policyId, form.formId, form.date, form.answers())
        do {
            let saved = try await Self.onCore {
                try core.saveRecord(
                    profileId: profileId, policyId: policyId, formId: formId, date: date, answers: answers
                )
            }
            try await reload()
            afterChange()
            return saved.id
        } catch {
            form.show(error)
            return nil
        }
    }

    func record(_ id: RecordId) -> RecordInfo? {
        records.first { $0.id == id }
    }

    /// "What will be shared" for a record.
    func preview(recordId: RecordId) async throws -> SelfReportCore.Preview {
        guard let core else { throw SelfReportError.Closed(code: "Closed", detail: "not open") }
        return try await Self.onCore { try core.preview(recordId: recordId) }
    }

    /// A form's title in the person's language.
    func formTitle(_ formId: String) -> String {
        guard let form = policy?.forms.first(where: { $0.id == formId }) else { return formId }
        return labels.pick(form.title, fallback: formId)
    }

    /// The form's fields, for reading a record's answers.
    func fields(of formId: String) -> [FieldInfo] {
        policy?.forms.first { $0.id == formId }?.fields ?? []
    }

    // MARK: - Sync

    /// Starts sending what is due (no-op while a sync runs).
    func startSync() {
        guard syncTask == nil else { return }
        syncTask = Task {
            await self.sync()
            self.syncTask = nil
        }
    }

    /// Stops the running sync between submissions; the rest stays queued.
    func cancelSync() {
        syncTask?.cancel()
    }

    private func sync() async {
        guard let core else { return }
        syncState = .running
        syncEvents = []
        // Called on one of the core's threads; the listener lives only as long as the sync.
        let listener = SyncEventHandler { event in
            Task { @MainActor in
                self.syncEvents.append(event)
            }
        }
        do {
            // Cancelling the task cancels the sync (SelfReportCore+Swift.swift).
            let summary = try await Self.onCore { try await core.sync(listener: listener) }
            syncState = .finished(summary)
        } catch {
            syncState = .failed(ErrorText.message(for: error))
        }
        perform { try await self.reload() }
    }

    // MARK: - Ledger

    /// Checks the ledger's hash chain and every receipt signature.
    func verifyLedger() {
        guard let core else { return }
        perform { self.ledgerCheck = try await Self.onCore { try await core.verifyLedger() } }
    }

    func ledgerEntry(_ seq: UInt64) -> LedgerEntry? {
        ledger.first { $0.seq == seq }
    }

    /// Asks the drop box to delete a submission, with the token only this phone holds.
    func requestDeletion(submissionId: SubmissionId) async {
        guard let core else { return }
        do {
            let outcome = try await Self.onCore { try await core.requestDeletion(submissionId: submissionId) }
            switch outcome {
            case .deleted: message = L10n.string("deletion.deleted")
            case .notFound: message = L10n.string("deletion.not-found")
            case .droppedUnsent: message = L10n.string("deletion.dropped-unsent")
            }
            try await reload()
        } catch {
            message = ErrorText.message(for: error)
        }
    }

    // MARK: - Export and erase

    /// Writes the export to a protected file and shows the share button.
    func prepareExport() {
        guard let core else { return }
        let today = today
        perform {
            let json = try await Self.onCore { try await core.export() }
            self.exportURL = try await Self.onCore { try ExportFile.write(json, today: today.iso8601) }
        }
    }

    /// Deletes the export file.
    func discardExport() {
        ExportFile.removeAll()
        exportURL = nil
    }

    /// Deletes what is past retention now, with the keys that sealed it.
    func purgeNow() {
        guard let core else { return }
        perform {
            let summary = try await Self.onCore { try await core.purge(today: nil) }
            try await self.reload()
            self.message = L10n.format("purge.done %lld %lld", Int64(summary.records), Int64(summary.epochKeys))
        }
    }

    /// Erases the store and the Keychain key, then starts over.
    func eraseEverything() async {
        // The core's erase cancels a running sync itself and waits for it; cancelling the
        // task too ends its progress display at once.
        syncTask?.cancel()
        do {
            try await store.eraseEverything()
        } catch {
            message = ErrorText.message(for: error)
            return
        }
        await forgetEverything()
    }

    /// The reset path after a lost key or an unreadable store.
    func resetStore() async {
        do {
            try await store.resetAfterLostKey()
        } catch {
            message = ErrorText.message(for: error)
            return
        }
        await forgetEverything()
    }

    private func forgetEverything() async {
        core = nil
        policy = nil
        profiles = []
        monitoring = []
        due = []
        records = []
        damagedRecords = []
        ledger = []
        ledgerCheck = nil
        syncState = .idle
        syncEvents = []
        lastPurge = nil
        defaults.removeObject(forKey: Self.onboardedKey)
        discardExport()
        await reminders.removeAll()
        phase = .starting
        await open()
    }

    // MARK: - Helpers

    /// Background sync and reminders after anything that changes what is due or queued.
    private func afterChange() {
        BackgroundSync.schedule()
        Task { await self.refreshReminders() }
    }

    /// Reminders for the coming week from the core's `due`.
    func refreshReminders() async {
        guard let core else { return }
        let plan: [PlannedReminder]
        do {
            plan = try await Self.onCore {
                try ReminderPlanner.plan(from: try core.today().iso8601, days: 7) {
                    try core.due(today: try LocalDate(iso8601: $0))
                }
            }
        } catch {
            return
        }
        if plan.isEmpty {
            await reminders.removeAll()
        } else if await reminders.requestPermission() {
            await reminders.replace(with: plan)
        }
    }

    /// Runs `body` in a task on the main actor; an error becomes the alert's sentence.
    /// Whatever `body` asks of the core goes through `onCore` or the core's async calls.
    private func perform(_ body: @escaping @MainActor () async throws -> Void) {
        Task {
            do {
                try await body()
            } catch {
                self.message = ErrorText.message(for: error)
            }
        }
    }

    /// Runs `body` off the main actor: a nonisolated async function runs on the global
    /// concurrent executor (SE-0338), so even the core's short blocking calls made in
    /// `body` never hold up the UI. (Under Swift 6's `NonisolatedNonsendingByDefault` this
    /// would need `@concurrent`; the demo builds in Swift 5 mode.)
    private nonisolated static func onCore<T: Sendable>(
        _ body: @Sendable () async throws -> T
    ) async throws -> T {
        try await body()
    }
}
