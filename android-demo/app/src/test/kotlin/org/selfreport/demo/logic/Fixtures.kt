package org.selfreport.demo.logic

import kotlinx.coroutines.CompletableDeferred
import org.selfreport.ConsentStatus
import org.selfreport.DeletionOutcome
import org.selfreport.DueItem
import org.selfreport.FieldInfo
import org.selfreport.FieldKind
import org.selfreport.FieldProblem
import org.selfreport.FormFrequency
import org.selfreport.FormInfo
import org.selfreport.KeySource
import org.selfreport.LedgerCheck
import org.selfreport.LedgerEntry
import org.selfreport.LedgerEvent
import java.time.LocalDate
import org.selfreport.MonitoringId
import org.selfreport.MonitoringInfo
import org.selfreport.MonitoringReason
import org.selfreport.NewProfile
import org.selfreport.PolicyInfo
import org.selfreport.Preview
import org.selfreport.PreviewField
import org.selfreport.PreviewPart
import org.selfreport.ProfileId
import org.selfreport.ProfileInfo
import org.selfreport.ProfileRemoval
import org.selfreport.PurgeSummary
import org.selfreport.RecordId
import org.selfreport.RecordInfo
import org.selfreport.RecordList
import org.selfreport.RecordState
import org.selfreport.Reduction
import org.selfreport.RevocationStatus
import org.selfreport.RevocationUpdate
import org.selfreport.SavedRecord
import org.selfreport.SelfReportException
import org.selfreport.SelfReportInterface
import org.selfreport.SubmissionId
import org.selfreport.SyncCancellation
import org.selfreport.SyncEvent
import org.selfreport.SyncListener
import org.selfreport.SyncSummary

/** Policies and fields shaped like examples/policies/daily-report.json. */
object Fixtures {
    const val POLICY_ID = "sh-daily-health"
    const val TODAY = "2026-11-28"

    fun field(
        id: String,
        kind: FieldKind,
        required: Boolean = false,
        fromProfile: Boolean = false,
        transform: String = "keep",
        recipient: String? = "health",
        label: Map<String, String> = mapOf("en" to "label of $id", "zh" to "$id 的标签"),
    ) = FieldInfo(
        id = id,
        label = label,
        kind = kind,
        required = required,
        fromProfile = fromProfile,
        transform = transform,
        reduction = if (transform == "omit") Reduction.Omit else Reduction.Keep,
        recipient = recipient,
    )

    val dailyFields = listOf(
        field("name", FieldKind.PersonName, required = true, fromProfile = true, recipient = "identity",
            label = mapOf("zh" to "姓名", "en" to "Name")),
        field("phone", FieldKind.Phone, fromProfile = true, recipient = "identity"),
        field("temperature", FieldKind.TemperatureC, required = true, transform = "threshold",
            label = mapOf("zh" to "今日体温（℃）", "en" to "Today's temperature (°C)")),
        field("symptoms", FieldKind.MultiChoice(listOf("fever", "cough", "sore_throat", "fatigue")), required = true),
        field("district", FieldKind.District, transform = "generalize"),
        field("contact_with_case", FieldKind.YesNo, required = true),
        field("notes", FieldKind.Text(200u), transform = "omit", recipient = null),
    )

    val dailyForm = FormInfo(
        id = "daily",
        title = mapOf("zh" to "每日健康报告", "en" to "Daily health report"),
        frequency = FormFrequency.DAILY,
        requiresMonitoring = true,
        fields = dailyFields,
    )

    fun policy(consented: Boolean = false) = PolicyInfo(
        id = POLICY_ID,
        version = 1uL,
        issuer = mapOf("zh" to "上海市疫情防控办公室（示例）", "en" to "Shanghai Epidemic Control Office (example)"),
        purposeCode = "epidemic-control",
        purpose = mapOf("zh" to "仅用于传染病疫情防控", "en" to "Epidemic control only"),
        validFrom = LocalDate.parse("2026-11-01"),
        validUntil = LocalDate.parse("2027-05-01"),
        endpointUrl = "https://report.example.org/v1",
        deviceRetentionDays = 28u,
        serverRetentionDays = 28u,
        monitoringDays = 14u,
        keyId = "k1",
        consented = consented,
        forms = listOf(dailyForm),
    )

    val goodPolicyBytes: ByteArray = "signed policy".toByteArray()

    const val TRAVELER_POLICY_ID = "sh-arrivals"

    /** A pre-registration: filed once, open to anyone, name and ID from the profile. */
    val arrivalForm = FormInfo(
        id = "arrival",
        title = mapOf("zh" to "入境登记", "en" to "Arrival registration"),
        frequency = FormFrequency.ONCE,
        requiresMonitoring = false,
        fields = listOf(
            field("name", FieldKind.PersonName, required = true, fromProfile = true, recipient = "identity"),
            field("id_number", FieldKind.ResidentId, required = true, fromProfile = true, recipient = "identity"),
            field("arrival_date", FieldKind.Date(false), required = true),
        ),
    )

    /** A traveler policy shaped like the `sh-arrivals` /2 policy: an open pre-registration and a daily form. */
    fun travelerPolicy() = policy(consented = true).copy(
        id = TRAVELER_POLICY_ID,
        issuer = mapOf("zh" to "上海市入境人员管理（示例）", "en" to "Shanghai arrivals (example)"),
        forms = listOf(arrivalForm, dailyForm),
    )

    /** The order file the fake accepts (its QR code's text), and a typed code for it. */
    const val GOOD_ORDER = """{"format":"selfreport.signed/1","key_id":"k1","payload":"b3JkZXI"}"""
    const val GOOD_CODE = "7K3QD-9XW2M-4"
}

/**
 * An in-memory stand-in for the core with the behaviour the app relies on: it checks
 * what the real core checks where a test needs it, records calls, and throws the typed
 * errors the real one throws. It loads no native library.
 */
class FakeCore : SelfReportInterface {
    var policies = mutableListOf<PolicyInfo>()
    val profiles = mutableListOf<ProfileInfo>()
    val monitoring = mutableListOf<MonitoringInfo>()
    val records = mutableListOf<RecordInfo>()
    val ledger = mutableListOf<LedgerEntry>()
    val savedAnswers = mutableListOf<Map<String, String>>()
    var erased = false
    var exportJson = """{"format":"selfreport.export/1"}"""

    /** The order (its bytes) the fake trusts; every other order is refused as a foreign one. */
    var trustedOrder: ByteArray = Fixtures.GOOD_ORDER.toByteArray()

    /** The typed code the drop box would redeem for [trustedOrder] (normalized); others are unknown. */
    var redeemableCode: String = Fixtures.GOOD_CODE.replace("-", "")

    /** Thrown by the next `enrollWithCode` after its local check, if set (a rate limit, no network). */
    var failNextRedemption: SelfReportException? = null

    /** If set, `enrollWithCode` waits for it after its local check (the drop box answering slowly). */
    var redemptionGate: CompletableDeferred<Unit>? = null

    /** Codes sent to the (pretend) drop box, as the fake received them. */
    val redeemed = mutableListOf<String>()

    /** Arrival passes made so far. */
    var passesMade = 0

    /** Thrown by the next `saveRecord`, if set. */
    var failNextSave: SelfReportException? = null

    /** What `sync` does: its events and its result, or an error. */
    var syncEvents: List<SyncEvent> = emptyList()
    var syncResult: Result<SyncSummary> = Result.success(SyncSummary(0u, 0u, 0u, 0u, false))

    /** If set, `sync` waits for it before returning (to test cancellation). */
    var syncGate: CompletableDeferred<Unit>? = null

    private var nextId = 1

    private fun id(): String = "%032x".format(nextId++)

    private fun live() {
        if (erased) throw SelfReportException.Closed("Closed", "erased")
    }

    override fun addProfile(profile: NewProfile): ProfileId {
        live()
        if (profile.displayName.isBlank()) {
            throw SelfReportException.InvalidInput("InvalidInput", "display_name", "Empty", "field `display_name` is empty")
        }
        if (profile.idNumber != null && !residentIdCheckDigitOk(profile.idNumber!!)) {
            throw SelfReportException.InvalidInput("InvalidInput", "id_number", "ResidentIdCheckDigit", "bad check digit")
        }
        val id = ProfileId(id())
        profiles += ProfileInfo(id, profile.displayName, profile.name, profile.idNumber, profile.phone,
            profile.birthDate, profile.passportNumber)
        return id
    }

    override suspend fun changeKey(newKeySource: KeySource) = live()

    override fun updateProfile(profileId: ProfileId, profile: NewProfile): ProfileInfo {
        live()
        val index = profiles.indexOfFirst { it.id == profileId }
        if (index < 0) throw SelfReportException.NotFound("NotFound", "profile")
        profiles[index] = ProfileInfo(profileId, profile.displayName, profile.name, profile.idNumber,
            profile.phone, profile.birthDate, profile.passportNumber)
        return profiles[index]
    }

    override fun deleteProfile(profileId: ProfileId): ProfileRemoval {
        live()
        if (!profiles.removeAll { it.id == profileId }) throw SelfReportException.NotFound("NotFound", "profile")
        val records = this.records.count { it.profileId == profileId }
        val periods = monitoring.count { it.profileId == profileId }
        this.records.removeAll { it.profileId == profileId }
        monitoring.removeAll { it.profileId == profileId }
        return ProfileRemoval(records.toULong(), periods.toULong())
    }

    /**
     * Enrolls with [trustedOrder] only (a 14-day period in district 310101 under the
     * traveler policy); any other bytes are refused as the real core refuses an order signed
     * by a key it does not trust, and bytes that are not JSON as a malformed order.
     */
    override fun enroll(profileId: ProfileId, order: ByteArray): MonitoringInfo {
        live()
        if (profiles.none { it.id == profileId }) throw SelfReportException.NotFound("NotFound", "profile")
        if (!order.contentEquals(trustedOrder)) {
            if (!String(order, Charsets.UTF_8).trimStart().startsWith("{")) {
                throw SelfReportException.PolicyRefused("EnrollmentMalformed", "not a signed enrollment order")
            }
            throw SelfReportException.PolicyRefused("EnrollmentBadSignature", "signed by a key this app does not trust")
        }
        if (monitoring.any { it.profileId == profileId && it.policyId == Fixtures.TRAVELER_POLICY_ID }) {
            throw SelfReportException.Conflict("Conflict", "already monitored under ${Fixtures.TRAVELER_POLICY_ID}")
        }
        val period = MonitoringInfo(MonitoringId(id()), profileId, Fixtures.TRAVELER_POLICY_ID, today(), 14u,
            MonitoringReason.ARRIVAL, "310101")
        monitoring += period
        return period
    }

    /**
     * A pass (shaped like `selfreport.arrival-pass/1`, each one different) for a profile
     * with a pre-registration saved under [policyId]; `NotFound` otherwise, as the core.
     */
    override fun arrivalPass(profileId: ProfileId, policyId: String): String {
        live()
        val registered = records.any { record ->
            record.profileId == profileId && record.policyId == policyId &&
                policies.firstOrNull { it.id == policyId }?.forms?.firstOrNull { it.id == record.formId }
                    ?.let { it.frequency == FormFrequency.ONCE && !it.requiresMonitoring } == true
        }
        if (!registered) throw SelfReportException.NotFound("NotFound", "no pre-registration under $policyId")
        passesMade++
        val pseudonym = "%032x".format(profileId.value.hashCode())
        return """{"format":"selfreport.arrival-pass/1","key":"a2V5","policy_id":"$policyId",""" +
            """"pseudonym":"$pseudonym","shown_at":"pass $passesMade","signature":"c2ln"}"""
    }

    /**
     * Checks the code's form as the core does (11 symbols of Crockford's alphabet once
     * hyphens and spaces are dropped; the check symbol is not computed), then "redeems" it: [redeemableCode]
     * enrolls with [trustedOrder], any other is unknown to the drop box.
     */
    override suspend fun enrollWithCode(profileId: ProfileId, policyId: String, code: String): MonitoringInfo {
        live()
        // Its own reading, not the app's: what reaches the core is checked independently.
        val normalized = code.filterNot { it == '-' || it.isWhitespace() }.uppercase()
        if (!Regex("[0-9A-HJKMNP-TV-Z]{11}").matches(normalized)) {
            throw SelfReportException.InvalidInput("EnrollmentCodeMalformed", "code", "EnrollmentCodeMalformed",
                "not an enrollment code")
        }
        redeemed += normalized
        redemptionGate?.await()
        failNextRedemption?.let {
            failNextRedemption = null
            throw it
        }
        if (normalized != redeemableCode) {
            throw SelfReportException.NotFound("EnrollmentCodeUnknown", "no order for this code at the drop box")
        }
        return enroll(profileId, trustedOrder)
    }

    override fun endMonitoring(monitoringId: MonitoringId, lastDay: LocalDate?): MonitoringInfo {
        live()
        val index = monitoring.indexOfFirst { it.id == monitoringId }
        if (index < 0) throw SelfReportException.NotFound("NotFound", "monitoring period")
        val start = monitoring[index].start
        val last = lastDay ?: today()
        monitoring[index] = monitoring[index].copy(days = (java.time.temporal.ChronoUnit.DAYS.between(start, last) + 1).toUInt())
        return monitoring[index]
    }

    private fun form(policyId: String, formId: String): FormInfo {
        live()
        return policies.firstOrNull { it.id == policyId }?.forms?.firstOrNull { it.id == formId }
            ?: throw SelfReportException.NotFound("NotFound", "form")
    }

    /** The fake checks only what the demo's tests need: required answers. */
    override fun checkAnswers(
        profileId: ProfileId,
        policyId: String,
        formId: String,
        date: LocalDate?,
        answers: Map<String, String>,
    ): List<FieldProblem> {
        val form = form(policyId, formId)
        return form.fields.filter { it.required && !it.fromProfile && answers[it.id].isNullOrBlank() }
            .map { FieldProblem(it.id, "Required", null, null, emptyList(), "field `${it.id}` is required") }
    }

    override fun due(today: LocalDate?): List<DueItem> {
        live()
        val day = today ?: today()
        return monitoring.filter { period -> records.none { it.profileId == period.profileId && it.date == day } }
            .map { DueItem(it.profileId, it.policyId, "daily", day, 1u, it.days) }
    }

    override suspend fun erase() {
        live()
        erased = true
    }

    override suspend fun export(): String {
        live()
        return exportJson
    }

    override fun grantConsent(policyId: String) {
        live()
        val index = policies.indexOfFirst { it.id == policyId }
        if (index < 0) throw SelfReportException.NotFound("NotFound", "policy")
        policies[index] = policies[index].copy(consented = true)
        ledger += LedgerEntry((ledger.size + 1).toULong(), "2026-11-28T09:00:00+08:00",
            LedgerEvent.ConsentGranted(policyId, "epidemic-control"))
    }

    override fun hasConsent(policyId: String): Boolean = policies.any { it.id == policyId && it.consented }

    override fun consentStatus(policyId: String): ConsentStatus =
        policies.firstOrNull { it.id == policyId }
            ?.let { if (it.consented) ConsentStatus.Granted(it.version, it.version) else ConsentStatus.NotAsked }
            ?: ConsentStatus.NotAsked

    override fun installPolicy(signed: ByteArray): PolicyInfo {
        live()
        if (!signed.contentEquals(Fixtures.goodPolicyBytes)) {
            throw SelfReportException.PolicyRefused("PolicyUnknownKey", "signed by an unknown key")
        }
        val policy = Fixtures.policy()
        policies += policy
        return policy
    }

    override suspend fun ledger(): List<LedgerEntry> = ledger.toList().also { live() }

    override fun monitoringPeriods(): List<MonitoringInfo> = monitoring.toList()

    override fun policies(): List<PolicyInfo> = policies.toList().also { live() }

    override fun preview(recordId: RecordId): Preview {
        live()
        val record = records.firstOrNull { it.id == recordId } ?: throw SelfReportException.NotFound("NotFound", "record")
        val temperature = record.answers["temperature"]
        return Preview(
            fields = listOf(
                PreviewField("temperature", mapOf("en" to "Temperature"), "health", "threshold", temperature,
                    temperature?.let { if (it.toDouble() >= 37.3) "true" else "false" }),
                PreviewField("notes", mapOf("en" to "Notes"), null, "omit", record.answers["notes"], null),
            ),
            parts = listOf(PreviewPart("health", """{"fields":{"temperature":false}}""", 512uL)),
        )
    }

    override fun profiles(): List<ProfileInfo> = profiles.toList().also { live() }

    override suspend fun purge(today: LocalDate?): PurgeSummary = PurgeSummary(0uL, 0uL, 0uL)

    override fun record(recordId: RecordId): RecordInfo =
        records.firstOrNull { it.id == recordId } ?: throw SelfReportException.NotFound("NotFound", "record")

    override suspend fun records(): RecordList = RecordList(records.toList(), emptyList()).also { live() }

    override suspend fun requestDeletion(submissionId: SubmissionId): DeletionOutcome = DeletionOutcome.DELETED

    override fun saveRecord(
        profileId: ProfileId,
        policyId: String,
        formId: String,
        date: LocalDate?,
        answers: Map<String, String>,
    ): SavedRecord {
        live()
        failNextSave?.let {
            failNextSave = null
            throw it
        }
        savedAnswers += answers
        val day = date ?: today()
        val existing = records.indexOfFirst {
            it.profileId == profileId && it.formId == formId && it.date == day && it.state == RecordState.SAVED
        }
        if (existing >= 0) {
            records[existing] = records[existing].copy(answers = answers)
            return SavedRecord(records[existing].id, true, 1u)
        }
        val record = RecordInfo(RecordId(id()), profileId, policyId, 1uL, formId, day, 1u, null,
            "2026-11-28T09:30:00+08:00", RecordState.SAVED, answers)
        records += record
        return SavedRecord(record.id, false, 1u)
    }

    override fun startMonitoring(
        profileId: ProfileId,
        policyId: String,
        start: LocalDate?,
        reason: MonitoringReason,
    ): MonitoringInfo {
        live()
        val period = MonitoringInfo(MonitoringId(id()), profileId, policyId, start ?: today(), 14u, reason)
        monitoring += period
        return period
    }

    override suspend fun sync(listener: SyncListener?, cancellation: SyncCancellation?): SyncSummary {
        live()
        syncEvents.forEach { listener?.onEvent(it) }
        syncGate?.await()
        return syncResult.getOrThrow()
    }

    override fun today(): LocalDate = LocalDate.parse(Fixtures.TODAY)

    /** The resident ID check character (ISO 7064 MOD 11-2), as the real core checks it. */
    private fun residentIdCheckDigitOk(id: String): Boolean {
        if (!Regex("""\d{17}[\dX]""").matches(id)) return false
        val weights = intArrayOf(7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        val sum = weights.indices.sumOf { (id[it] - '0') * weights[it] }
        return "10X98765432"[sum % 11] == id[17]
    }

    override suspend fun updatePolicy(policyId: String): PolicyInfo? = null

    override suspend fun installRevocations(signed: ByteArray): RevocationUpdate =
        throw SelfReportException.PolicyRefused("PolicyBadRevocations", "the fake core holds no revocation lists")

    override fun revocationStatus(policyId: String): RevocationStatus = RevocationStatus.NotRevoked(null)

    override suspend fun verifyLedger(): LedgerCheck =
        LedgerCheck(true, ledger.size.toULong(), 0uL, null, null)

    override fun withdrawConsent(policyId: String): ULong {
        val index = policies.indexOfFirst { it.id == policyId }
        policies[index] = policies[index].copy(consented = false)
        return 2uL
    }
}

/** A gateway over a [FakeCore], or one that fails to open with [openError]. */
class FakeGateway(var core: FakeCore = FakeCore()) : CoreGateway {
    var openError: SelfReportException? = null
    var storeErased = 0
    val released = mutableListOf<SelfReportInterface>()
    var bundled: List<ByteArray> = listOf(Fixtures.goodPolicyBytes)

    override suspend fun open(): SelfReportInterface {
        openError?.let { throw it }
        return core
    }

    override suspend fun eraseStore() {
        storeErased++
        openError = null
        core = FakeCore()
    }

    override suspend fun release(core: SelfReportInterface) {
        released += core
    }

    override fun bundledPolicies(): List<ByteArray> = bundled
}

/** Counts what was scheduled. */
class FakeScheduler : WorkScheduler {
    var syncRequests = 0
    var cancels = 0

    override fun requestSync() {
        syncRequests++
    }

    override fun cancelSync() {
        cancels++
    }
}
