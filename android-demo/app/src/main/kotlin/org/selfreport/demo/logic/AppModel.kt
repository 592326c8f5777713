package org.selfreport.demo.logic

import java.time.Clock
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import org.selfreport.MonitoringInfo
import org.selfreport.MonitoringReason
import org.selfreport.PolicyInfo
import org.selfreport.ProfileId
import org.selfreport.ProfileInfo
import org.selfreport.RecordId
import org.selfreport.SelfReportException
import org.selfreport.SelfReportInterface

/**
 * How the app reaches the core: opening the store, resetting it, and the policies it
 * ships. Opening and erasing suspend while the core works on its own threads.
 */
interface CoreGateway {
    /** Opens the store, creating it on first use. Throws `SelfReportException`. */
    suspend fun open(): SelfReportInterface

    /** Deletes the store without opening it: the reset path after the key is lost. */
    suspend fun eraseStore()

    /** [core]'s store was erased through it; the next [open] must create a new one. */
    suspend fun release(core: SelfReportInterface)

    /** The signed policies the app ships, installed when none is. */
    fun bundledPolicies(): List<ByteArray>
}

/** Schedules background work (WorkManager on Android). */
interface WorkScheduler {
    /** Asks for a sync as soon as the network allows, retried with backoff. */
    fun requestSync()

    /** Cancels every scheduled sync (before an erase). */
    fun cancelSync()
}

/** A policy as onboarding and settings show it. */
data class PolicyView(
    val id: String,
    val version: Long,
    val issuer: String,
    val purpose: String,
    val purposeCode: String,
    val validFrom: String,
    val validUntil: String,
    val endpointHost: String,
    val deviceRetentionDays: Int,
    val serverRetentionDays: Int,
    val monitoringDays: Int?,
    val consented: Boolean,
    /** Form ids and titles, in policy order. */
    val forms: List<Pair<String, String>>,
)

/** Which screen is up, with what it shows. */
sealed class Screen {
    /** Opening the store. */
    object Loading : Screen()

    /**
     * The store cannot be opened: the key is gone (offer the reset), or a failure that may
     * pass (offer a retry). [message] says which.
     */
    data class CannotOpen(val message: UiMessage) : Screen()

    /** The policy's issuer and purpose, and the consent question. */
    data class Onboarding(val policy: PolicyView) : Screen()

    /** Profiles, what is due, saved records. */
    object Home : Screen()

    /** A household profile being added. */
    data class ProfileEditor(val draft: ProfileDraft, val hints: Map<String, Hint> = emptyMap()) : Screen()

    /** A form being filled. */
    data class Form(val form: FormState) : Screen()

    /** "What will be shared" for a saved record. */
    data class Preview(val recordId: String, val policyId: String, val model: PreviewModel) : Screen()

    /** The ledger with receipts. */
    data class Ledger(val rows: List<LedgerRow>, val status: LedgerStatus) : Screen()

    /** Consent, export, erase. */
    object Settings : Screen()

    /** Enrolling a profile under a policy: scan the order's QR code or type its code. */
    data class Enroll(val enroll: EnrollState) : Screen()

    /** The arrival pass shown at the checkpoint, made again before it runs out. */
    data class ArrivalPass(val pass: ArrivalPassView) : Screen()

    /** The store was erased; starting again creates an empty one. */
    object Erased : Screen()
}

/** An export ready to hand to the share sheet. */
data class ExportFile(val name: String, val json: String)

/** Everything the UI shows. */
data class AppState(
    val screen: Screen = Screen.Loading,
    val policies: List<PolicyView> = emptyList(),
    val profiles: List<ProfileInfo> = emptyList(),
    val due: List<DueRow> = emptyList(),
    val records: List<RecordRow> = emptyList(),
    /** Profiles and policies an enrollment order can be scanned or typed for. */
    val enrollTargets: List<EnrollTarget> = emptyList(),
    /** Profiles and policies with a pre-registration, which can show an arrival pass. */
    val passTargets: List<ArrivalPassTarget> = emptyList(),
    val today: String = "",
    val message: UiMessage? = null,
    /** An export waiting for the UI to share it; cleared by [AppModel.exportHandled]. */
    val pendingExport: ExportFile? = null,
)

/**
 * The app's state and every action on it, with no Android types: the Android
 * `ViewModel` launches the actions that reach the core (the `suspend` ones) one at a
 * time from the main thread, which they never block for long: the core's long calls
 * suspend while it works on its own threads, its blocking calls are short store reads and
 * writes. The pure state changes ([edit], [editProfile], [dismissMessage],
 * [exportHandled]) run directly on the UI thread, and the UI renders [state]. Every core
 * error ends as a message or a screen, never a crash.
 */
class AppModel(
    private val gateway: CoreGateway,
    private val scheduler: WorkScheduler,
    private val labels: LabelPicker,
    private val formatter: Formatter,
    /** The clock the arrival pass is refreshed by (a test moves it). */
    private val clock: Clock = Clock.systemUTC(),
) {
    private val mutableState = MutableStateFlow(AppState())
    private var core: SelfReportInterface? = null
    private var rawPolicies: List<PolicyInfo> = emptyList()

    /** The current state. */
    val state: StateFlow<AppState> = mutableState.asStateFlow()

    /** The open core, for the background worker sharing this process; `null` until opened. */
    val openCore: SelfReportInterface? get() = core

    /**
     * Opens the store, installs the shipped policy if none is installed, and shows
     * onboarding until the person has answered the consent question once.
     */
    suspend fun start() {
        mutableState.update { it.copy(screen = Screen.Loading) }
        val opened = try {
            gateway.open()
        } catch (error: Exception) {
            mutableState.update { it.copy(screen = Screen.CannotOpen(Messages.of(error))) }
            return
        }
        core = opened
        attempt {
            if (opened.policies().isEmpty()) {
                val installed = gateway.bundledPolicies().mapNotNull { signed ->
                    try {
                        opened.installPolicy(signed)
                    } catch (refused: SelfReportException.PolicyRefused) {
                        say(Messages.of(refused))
                        null
                    }
                }
                if (installed.isEmpty()) say(UiMessage(MessageCode.NO_POLICY))
            }
            reload()
            val unconsented = state.value.policies.firstOrNull { !it.consented }
            val screen = if (unconsented != null) Screen.Onboarding(unconsented) else Screen.Home
            mutableState.update { it.copy(screen = screen) }
        }
    }

    /** Records consent to [policyId] and goes on (to the next policy still asking, or home). */
    suspend fun consent(policyId: String) = attempt {
        val core = requireCore()
        core.grantConsent(policyId)
        reload()
        val next = state.value.policies.firstOrNull { !it.consented && it.id != policyId }
        mutableState.update { it.copy(screen = if (next != null) Screen.Onboarding(next) else Screen.Home) }
    }

    /** Goes home without consent: reports can be kept on the device but none is sent. */
    fun notNow() = go(Screen.Home)

    /** Shows the consent question for [policyId] again. */
    fun reviewConsent(policyId: String) {
        state.value.policies.firstOrNull { it.id == policyId }?.let { go(Screen.Onboarding(it)) }
    }

    /** Withdraws consent to [policyId]; queued reports for it are dropped unsent. */
    suspend fun withdrawConsent(policyId: String) = attempt {
        val dropped = requireCore().withdrawConsent(policyId)
        reload()
        say(UiMessage(MessageCode.CONSENT_WITHDRAWN, count = dropped.toLong()))
    }

    /** Opens an empty profile editor. */
    fun newProfile() = go(Screen.ProfileEditor(ProfileDraft()))

    /**
     * Replaces the draft being edited, clearing the hints of attributes that changed.
     * A pure state change: safe to call from the UI thread on every keystroke.
     */
    fun editProfile(draft: ProfileDraft) = mutableState.update { state ->
        val screen = state.screen as? Screen.ProfileEditor ?: return@update state
        val hints = screen.hints.filterKeys { key -> value(screen.draft, key) == value(draft, key) }
        state.copy(screen = Screen.ProfileEditor(draft, hints))
    }

    /** Checks and adds the profile being edited; on success goes home. */
    suspend fun saveProfile() {
        val screen = state.value.screen as? Screen.ProfileEditor ?: return
        val hints = ProfileModel.validate(screen.draft)
        if (hints.isNotEmpty()) return go(screen.copy(hints = hints))
        attempt({ error ->
            ProfileModel.hintFromError(error)?.let { (field, hint) ->
                go(screen.copy(hints = mapOf(field to hint)))
                true
            } ?: false
        }) {
            requireCore().addProfile(screen.draft.toNewProfile())
            reload()
            say(UiMessage(MessageCode.PROFILE_ADDED))
            go(Screen.Home)
        }
    }

    /** Starts a monitoring period for [profileId] under [policyId] from today. */
    suspend fun startMonitoring(profileId: String, policyId: String, reason: MonitoringReason) = attempt {
        requireCore().startMonitoring(ProfileId(profileId), policyId, null, reason)
        reload()
        say(UiMessage(MessageCode.MONITORING_STARTED))
    }

    /** Opens the enrollment screen for [profileId] under [policyId]. */
    fun openEnroll(profileId: String, policyId: String) {
        val profile = state.value.profiles.firstOrNull { it.id.value == profileId } ?: return
        val policy = state.value.policies.firstOrNull { it.id == policyId } ?: return
        go(Screen.Enroll(EnrollState(profileId, profile.displayName, policyId, policy.issuer)))
    }

    /**
     * Replaces the code being typed, formatted as codes are shown, clearing the last
     * refusal. A pure state change: safe on every keystroke.
     */
    fun editEnrollmentCode(typed: String) = mutableState.update { state ->
        val screen = state.screen as? Screen.Enroll ?: return@update state
        state.copy(screen = Screen.Enroll(screen.enroll.copy(code = EnrollmentCodeInput.format(typed), problem = null)))
    }

    /** Enrolls with the order a QR code held ([scanned] is its text, the order file's JSON). */
    suspend fun enrollScanned(scanned: String) {
        val screen = state.value.screen as? Screen.Enroll ?: return
        enrollWith(screen.enroll) { it.enroll(ProfileId(screen.enroll.profileId), EnrollModel.orderBytes(scanned)) }
    }

    /** Redeems the typed code at the policy's drop box and enrolls with the order it gives. */
    suspend fun redeemEnrollmentCode() {
        val screen = state.value.screen as? Screen.Enroll ?: return
        val enroll = screen.enroll
        if (!enroll.canRedeem) {
            go(Screen.Enroll(enroll.copy(problem = UiMessage(MessageCode.ENROLL_CODE_MALFORMED))))
            return
        }
        go(Screen.Enroll(enroll.copy(busy = true, problem = null)))
        enrollWith(enroll) { it.enrollWithCode(ProfileId(enroll.profileId), enroll.policyId, enroll.code) }
    }

    /** The code scanner failed or is missing: the screen says to type the code. */
    fun scanFailed() = mutableState.update { state ->
        val screen = state.screen as? Screen.Enroll ?: return@update state
        state.copy(screen = Screen.Enroll(screen.enroll.copy(problem = UiMessage(MessageCode.SCAN_FAILED))))
    }

    private suspend fun enrollWith(enroll: EnrollState, call: suspend (SelfReportInterface) -> MonitoringInfo) {
        attempt({ error ->
            val problem = EnrollModel.refusal(error)
            go(Screen.Enroll(enroll.copy(busy = false, problem = problem)))
            problem != null
        }) {
            val period = call(requireCore())
            reload()
            say(UiMessage(MessageCode.ENROLLED, period.orderedDistrict, period.days.toLong()))
            go(Screen.Home)
        }
        // Any other failure (already said as a message) leaves the screen ready to try again.
        mutableState.update { state ->
            val screen = state.screen as? Screen.Enroll
            if (screen != null && screen.enroll.busy) state.copy(screen = Screen.Enroll(screen.enroll.copy(busy = false))) else state
        }
    }

    /** Shows the arrival pass of [profileId]'s pre-registration under [policyId]. */
    suspend fun openArrivalPass(profileId: String, policyId: String) = attempt({ error -> passRefused(error) }) {
        go(Screen.ArrivalPass(makePass(requireCore(), profileId, policyId)))
    }

    /**
     * Makes the pass shown again when its time has come ([ArrivalPassModel.REFRESH_AFTER]);
     * the screen calls this when [ArrivalPassModel.untilRefresh] has passed.
     */
    suspend fun refreshArrivalPass() {
        val screen = state.value.screen as? Screen.ArrivalPass ?: return
        if (!ArrivalPassModel.needsRefresh(screen.pass, clock.instant())) return
        attempt({ error -> passRefused(error) }) {
            go(Screen.ArrivalPass(makePass(requireCore(), screen.pass.profileId, screen.pass.policyId)))
        }
    }

    /** From the arrival pass, on to scanning the order the checkpoint gives. */
    fun enrollAfterPass() {
        val screen = state.value.screen as? Screen.ArrivalPass ?: return
        openEnroll(screen.pass.profileId, screen.pass.policyId)
    }

    private fun passRefused(error: SelfReportException): Boolean {
        val message = when (error) {
            is SelfReportException.NotFound -> UiMessage(MessageCode.NO_PRE_REGISTRATION, error.code)
            is SelfReportException.Conflict -> UiMessage(MessageCode.PASS_UNAVAILABLE, error.code)
            else -> return false
        }
        say(message)
        go(Screen.Home)
        return true
    }

    private suspend fun makePass(core: SelfReportInterface, profileId: String, policyId: String): ArrivalPassView {
        val text = core.arrivalPass(ProfileId(profileId), policyId)
        val madeAt = clock.instant()
        val policy = rawPolicies.firstOrNull { it.id == policyId }
        val registration = core.records().records
            .filter { record ->
                record.profileId.value == profileId && record.policyId == policyId &&
                    policy?.forms?.firstOrNull { it.id == record.formId }?.let(ArrivalPassModel::isPreRegistration) == true
            }
            .maxByOrNull { it.revision }
        val (name, document) = ArrivalPassModel.identity(
            state.value.profiles.firstOrNull { it.id.value == profileId }, policy, registration,
        )
        return ArrivalPassView(
            profileId = profileId,
            policyId = policyId,
            issuer = policy?.let { labels.pick(it.issuer, it.id) } ?: policyId,
            passText = text,
            matrix = QrMatrix.of(text),
            name = name,
            documentNumber = document,
            madeAt = madeAt,
            refreshAt = ArrivalPassModel.refreshAt(madeAt),
        )
    }

    /** Opens the form a due item asks for. */
    suspend fun openDue(row: DueRow) = openForm(row.profileId, row.policyId, row.formId, row.date)

    /**
     * Opens form [formId] of [policyId] for [profileId] on [date] (default today),
     * filled with that day's saved answers if there are some (saving again amends).
     */
    suspend fun openForm(profileId: String, policyId: String, formId: String, date: String? = null) = attempt {
        val core = requireCore()
        val policy = rawPolicies.firstOrNull { it.id == policyId } ?: throw notFound("policy")
        val form = policy.forms.firstOrNull { it.id == formId } ?: throw notFound("form")
        val day = date ?: core.today().toString()
        val saved = core.records().records
            .filter { it.profileId.value == profileId && it.policyId == policyId && it.formId == formId && it.date.toString() == day }
            .maxByOrNull { it.revision }
        val state = FormModel.build(form, policyId, profileId, day, labels, saved?.answers.orEmpty())
        go(Screen.Form(state))
    }

    /**
     * Changes one field of the form being filled. A pure state change: safe to call from
     * the UI thread on every keystroke.
     */
    fun edit(fieldId: String, input: Input) = mutableState.update { state ->
        val screen = state.screen as? Screen.Form ?: return@update state
        state.copy(screen = Screen.Form(screen.form.update(fieldId, input)))
    }

    /**
     * Has the core check the form (`checkAnswers`: the rules live there, not here); if it
     * passes, saves the record (amending that day's unsent one) and shows what will be
     * shared. Problems appear under their field; one about the day itself (a future day,
     * a day before arrival) as a message.
     */
    suspend fun submitForm() {
        val screen = state.value.screen as? Screen.Form ?: return
        val form = screen.form
        attempt({ error ->
            FormModel.hintFromError(form, error)?.let { (field, hint) ->
                go(Screen.Form(form.withHints(mapOf(field to hint))))
                true
            } ?: false
        }) {
            val core = requireCore()
            val profileId = ProfileId(form.profileId)
            val date = FormModel.parseDate(form.date)
            val problems = core.checkAnswers(profileId, form.policyId, form.formId, date, form.answers())
            if (problems.isNotEmpty()) {
                problems.firstOrNull { form.field(it.field) == null }?.let { throw FormModel.refusal(it) }
                go(Screen.Form(form.withHints(FormModel.hints(form, problems))))
            } else {
                val saved = core.saveRecord(profileId, form.policyId, form.formId, date, form.answers())
                reload()
                say(UiMessage(MessageCode.SAVED))
                showPreview(core, saved.id.value, form.policyId)
            }
        }
    }

    /** Shows what will be shared for a saved record. */
    suspend fun openPreview(recordId: String) = attempt {
        val core = requireCore()
        showPreview(core, recordId, core.record(RecordId(recordId)).policyId)
    }

    /**
     * Sends the previewed record: with consent, asks for a background sync (which seals
     * everything ready); without, shows the consent question first.
     */
    fun send() {
        val screen = state.value.screen as? Screen.Preview ?: return
        val policy = state.value.policies.firstOrNull { it.id == screen.policyId }
        if (policy == null || !policy.consented) {
            say(UiMessage(MessageCode.CONSENT_NEEDED))
            if (policy != null) go(Screen.Onboarding(policy))
            return
        }
        scheduler.requestSync()
        say(UiMessage(MessageCode.QUEUED_FOR_SENDING))
        go(Screen.Home)
    }

    /** Shows the ledger, newest first, with its verification. */
    suspend fun openLedger() = attempt {
        val core = requireCore()
        val rows = formatter.ledger(core.ledger(), rawPolicies)
        go(Screen.Ledger(rows, formatter.ledgerStatus(core.verifyLedger())))
    }

    /** Shows settings. */
    fun openSettings() = go(Screen.Settings)

    /** Goes back home from any screen that has a way back. */
    suspend fun back() {
        when (state.value.screen) {
            is Screen.Loading, is Screen.CannotOpen, is Screen.Erased, is Screen.Home -> Unit
            else -> {
                attempt { reload() }
                go(Screen.Home)
            }
        }
    }

    /** Reloads lists after a background sync changed them; does nothing while the store is not open. */
    suspend fun refresh() {
        if (core == null) return
        attempt { reload() }
    }

    /** Prepares the export for the share sheet. */
    suspend fun export() = attempt {
        val core = requireCore()
        val file = ExportFile(Formatter.exportFileName(core.today().toString()), core.export())
        mutableState.update { it.copy(pendingExport = file) }
    }

    /** The UI has handed the export to the share sheet (or given up). */
    fun exportHandled() = mutableState.update { it.copy(pendingExport = null) }

    /** Cancels background syncs and erases the store; everything on the device is gone. */
    suspend fun erase() = attempt {
        val core = requireCore()
        scheduler.cancelSync()
        core.erase()
        gateway.release(core)
        this.core = null
        rawPolicies = emptyList()
        mutableState.value = AppState(screen = Screen.Erased, message = UiMessage(MessageCode.ERASED))
    }

    /** After the key was lost: deletes the store without opening it and starts afresh. */
    suspend fun resetAfterKeyLoss() {
        try {
            scheduler.cancelSync()
            gateway.eraseStore()
        } catch (error: Exception) {
            mutableState.update { it.copy(screen = Screen.CannotOpen(Messages.of(error))) }
            return
        }
        core = null
        mutableState.value = AppState()
        start()
    }

    /** Clears the message shown. */
    fun dismissMessage() = mutableState.update { it.copy(message = null) }

    private suspend fun showPreview(core: SelfReportInterface, recordId: String, policyId: String) {
        go(Screen.Preview(recordId, policyId, formatter.preview(core.preview(RecordId(recordId)))))
    }

    private suspend fun reload() {
        val core = requireCore()
        rawPolicies = core.policies()
        val profiles = core.profiles()
        val today = core.today()
        val records = core.records().records
        mutableState.update {
            it.copy(
                policies = rawPolicies.map(::policyView),
                profiles = profiles,
                due = formatter.due(core.due(today), profiles, rawPolicies),
                records = formatter.records(records, profiles, rawPolicies),
                today = today.toString(),
                enrollTargets = EnrollModel.policiesToEnroll(rawPolicies).flatMap { policy ->
                    profiles.map { EnrollTarget(it.id.value, policy.id) }
                },
                passTargets = ArrivalPassModel.targets(records, rawPolicies),
            )
        }
    }

    private fun policyView(policy: PolicyInfo) = PolicyView(
        id = policy.id,
        version = policy.version.toLong(),
        issuer = labels.pick(policy.issuer, policy.id),
        purpose = labels.pick(policy.purpose, policy.purposeCode),
        purposeCode = policy.purposeCode,
        validFrom = policy.validFrom.toString(),
        validUntil = policy.validUntil.toString(),
        endpointHost = Formatter.endpointHost(policy.endpointUrl),
        deviceRetentionDays = policy.deviceRetentionDays.toInt(),
        serverRetentionDays = policy.serverRetentionDays.toInt(),
        monitoringDays = policy.monitoringDays?.toInt(),
        consented = policy.consented,
        forms = policy.forms.map { it.id to labels.pick(it.title, it.id) },
    )

    private fun today(): String = state.value.today.ifEmpty { core?.today()?.toString().orEmpty() }

    private fun requireCore(): SelfReportInterface =
        core ?: throw SelfReportException.Closed("Closed", "the store is not open")

    private fun notFound(what: String) = SelfReportException.NotFound("NotFound", "no such $what")

    private fun go(screen: Screen) = mutableState.update { it.copy(screen = screen) }

    private fun say(message: UiMessage) = mutableState.update { it.copy(message = message) }

    /**
     * Runs [block]; a key loss switches to the reset screen, [handled] may claim any
     * other core error (to show it under a field), the rest become a message.
     */
    private suspend inline fun attempt(handled: (SelfReportException) -> Boolean = { false }, block: () -> Unit) {
        try {
            block()
        } catch (error: SelfReportException) {
            when {
                Messages.isKeyLoss(error) -> go(Screen.CannotOpen(Messages.of(error)))
                error is SelfReportException.Closed -> {
                    core?.let { gateway.release(it) }
                    core = null
                    go(Screen.Erased)
                }
                handled(error) -> Unit
                else -> say(Messages.of(error))
            }
        } catch (error: Exception) {
            say(Messages.of(error))
        }
    }

    private fun value(draft: ProfileDraft, key: String): String = when (key) {
        ProfileModel.DISPLAY_NAME -> draft.displayName
        ProfileModel.NAME -> draft.name
        ProfileModel.ID_NUMBER -> draft.idNumber
        ProfileModel.PHONE -> draft.phone
        ProfileModel.BIRTH_DATE -> draft.birthDate
        ProfileModel.PASSPORT_NUMBER -> draft.passportNumber
        else -> ""
    }
}
