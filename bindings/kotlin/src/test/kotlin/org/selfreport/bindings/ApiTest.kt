package org.selfreport.bindings

import java.nio.file.Path
import java.time.LocalDate
import java.util.concurrent.Executors
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import org.selfreport.FieldKind
import org.selfreport.MonitoringReason
import org.selfreport.PlaceLevel
import org.selfreport.RecordId
import org.selfreport.Reduction
import org.selfreport.SelfReport
import org.selfreport.SelfReportException
import org.selfreport.SyncProgress
import org.selfreport.syncFlow

/** The API an app builds its screens on (issue 17): forms, checks, household edits, export, progress as a Flow. */
class ApiTest {
    @TempDir
    lateinit var tmp: Path

    private val valid = mapOf("temperature" to "36.8", "symptoms" to "", "district" to "310104", "contact_with_case" to "no")

    @Test
    fun `a form is described with what leaves and how`() {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        val store = runBlocking { openStore(tmp.resolve("store"), fixture) }
        val form = store.core.policies().single().forms.single { it.id == "daily" }
        val fields = form.fields.associateBy { it.id }
        val temperature = fields.getValue("temperature")
        assertEquals(FieldKind.TemperatureC, temperature.kind)
        assertEquals(Reduction.Threshold(37.3), temperature.reduction)
        assertEquals("health", temperature.recipient)
        assertTrue(temperature.required && temperature.label.keys.containsAll(listOf("zh", "en")))
        assertEquals(Reduction.Generalize(PlaceLevel.CITY), fields.getValue("district").reduction)
        assertEquals(Reduction.Omit, fields.getValue("notes").reduction)
        store.core.close()
    }

    @Test
    fun `answers are checked field by field without saving`() {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        val store = runBlocking { openStore(tmp.resolve("store"), fixture) }
        val core = store.core
        assertEquals(emptyList<Any>(), core.checkAnswers(store.profileId, fixture.policyId, "daily", null, valid))
        val tomorrow = core.today().plusDays(1)
        val problems = core.checkAnswers(
            store.profileId, fixture.policyId, "daily", tomorrow,
            mapOf("temperature" to "45", "symptoms" to "sneezing", "contact_with_case" to "no"),
        )
        assertEquals(
            listOf("date" to "FutureDate", "symptoms" to "UnknownCode", "temperature" to "OutOfRange"),
            problems.map { it.field to it.rule },
        )
        assertEquals("34.0" to "43.0", problems[2].min to problems[2].max)
        assertTrue("cough" in problems[1].allowed)
        assertTrue(runBlocking { core.records() }.records.isEmpty())
        core.close()
    }

    @Test
    fun `a profile is updated, then deleted with its records and periods`() {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        val store = runBlocking { openStore(tmp.resolve("store"), fixture) }
        val core = store.core
        val updated = core.updateProfile(store.profileId, mum().copy(phone = "+8613900139000", birthDate = LocalDate.of(1950, 3, 7)))
        assertEquals(store.profileId, updated.id)
        assertEquals("+8613900139000" to LocalDate.of(1950, 3, 7), updated.phone to updated.birthDate)
        val refused = assertThrows<SelfReportException.InvalidInput> {
            core.updateProfile(store.profileId, mum().copy(phone = "139"))
        }
        assertEquals("phone", refused.field)
        core.saveRecord(store.profileId, fixture.policyId, "daily", null, valid)
        val removal = core.deleteProfile(store.profileId)
        assertEquals(1uL to 1uL, removal.records to removal.monitoringPeriods)
        assertTrue(core.profiles().isEmpty() && core.monitoringPeriods().isEmpty())
        assertThrows<SelfReportException.NotFound> { core.deleteProfile(store.profileId) }
        core.close()
    }

    @Test
    fun `a monitoring period ends early and never lengthens`() {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        val store = runBlocking { openStore(tmp.resolve("store"), fixture) }
        val core = store.core
        val today = core.today()
        val period = core.startMonitoring(
            core.addProfile(mum().copy(displayName = "Dad")), fixture.policyId,
            today.minusDays(3), MonitoringReason.CONTACT,
        )
        val ended = core.endMonitoring(period.id, today.minusDays(1))
        assertEquals(period.id to 3u, ended.id to ended.days)
        assertThrows<SelfReportException.Conflict> { core.endMonitoring(period.id, today.plusDays(5)) }
        core.close()
    }

    @Test
    fun `dates are java time LocalDates and ids are types of their own`() {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        val store = runBlocking { openStore(tmp.resolve("store"), fixture) }
        val core = store.core
        val yesterday: LocalDate = core.today().minusDays(1)
        val saved = core.saveRecord(store.profileId, fixture.policyId, "daily", yesterday, valid)
        val record = core.record(saved.id)
        assertEquals(yesterday, record.date)
        assertEquals(store.profileId, record.profileId)
        // A profile id is not a record id: the compiler refuses `core.record(store.profileId)`;
        // text of the wrong form is refused by the core, naming the argument.
        val refused = assertThrows<SelfReportException.InvalidInput> { core.record(RecordId("not an id")) }
        assertEquals("record_id", refused.field)
        assertThrows<SelfReportException.NotFound> { core.record(RecordId(store.profileId.value)) }
        core.close()
    }

    @Test
    fun `an enrollment order opens the form only enrolled people file`() = runBlocking<Unit> {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        createKey(tmp.resolve("keys.p12"))
        SelfReport.open(tmp.resolve("store").toString(), keySource(tmp.resolve("keys.p12")), fixture.options()).use { core ->
            val policy = core.installPolicy(fixture.enrollmentPolicy)
            val profile = core.addProfile(mum())
            val answers = mapOf("temperature" to "36.8", "symptoms" to "")
            val refused = assertThrows<SelfReportException.InvalidInput> {
                core.saveRecord(profile, policy.id, "daily", null, answers)
            }
            assertEquals("date" to "NotEnrolled", refused.field to refused.rule)
            val foreign = assertThrows<SelfReportException.PolicyRefused> {
                core.enroll(profile, fixture.untrustedEnrollmentOrder)
            }
            assertEquals("EnrollmentBadSignature", foreign.code)
            val period = core.enroll(profile, fixture.enrollmentOrder)
            assertEquals("310101", period.orderedDistrict)
            core.saveRecord(profile, policy.id, "daily", null, answers)
            assertThrows<SelfReportException.Conflict> { core.endMonitoring(period.id, null) }
        }
    }

    @Test
    fun `the export holds the ledger and the outbox`() {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        val store = runBlocking { openStore(tmp.resolve("store"), fixture) }
        store.core.grantConsent(fixture.policyId)
        val export = Json.parseToJsonElement(runBlocking { store.core.export() }).jsonObject
        assertEquals(
            listOf("consent_granted"),
            export.getValue("ledger").jsonArray.map { it.jsonObject.getValue("event").jsonPrimitive.content },
        )
        assertTrue(export.getValue("outbox").jsonArray.isEmpty())
        store.core.close()
    }

    @Test
    fun `syncFlow emits each submission's progress then the summary, collected on a single-thread dispatcher`() {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        val store = runBlocking { storeWithRecords(tmp.resolve("store"), fixture, 2, 2) }
        Endpoint.start(fixture).use { _ ->
            Executors.newSingleThreadExecutor { Thread(it, "app-main") }.asCoroutineDispatcher().use { main ->
                val progress = runBlocking(main) { store.core.syncFlow().toList() }
                val finished = progress.last() as SyncProgress.Finished
                val events = progress.dropLast(1)
                assertTrue(events.all { it is SyncProgress.Event }, progress.toString())
                assertTrue(finished.summary.delivered >= 4u, finished.summary.toString())
                assertEquals(2 * finished.summary.queued.toInt(), events.size, "queued and delivered events")
                // A collector that stops early cancels the sync; the next one sends what is left.
                val again = runBlocking(main) { store.core.syncFlow().take(1).toList() }
                assertTrue(again.size == 1)
            }
        }
        store.core.close()
    }
}
