package org.selfreport.bindings

import java.nio.file.Path
import java.time.Duration
import java.time.Instant
import java.time.OffsetDateTime
import java.util.Collections
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import org.selfreport.DueItem
import org.selfreport.FieldKind
import org.selfreport.LedgerEvent
import org.selfreport.MonitoringReason
import org.selfreport.RecordState
import org.selfreport.SelfReport
import org.selfreport.SelfReportException
import org.selfreport.SyncEvent
import org.selfreport.SyncListener
import org.selfreport.storeExists

/** The whole flow an app goes through, against a real drop box on loopback. */
class FlowTest {
    @TempDir
    lateinit var tmp: Path

    @Test
    fun `open, install, profile, monitor, save, amend, preview, consent, sync, ledger, export, erase`() = runBlocking<Unit> {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        Endpoint.start(fixture).use { _ ->
            val keys = tmp.resolve("keys.p12")
            val dir = tmp.resolve("store")
            createKey(keys)
            assertFalse(storeExists(dir.toString()))
            val core = SelfReport.open(dir.toString(), keySource(keys), fixture.options())
            assertTrue(storeExists(dir.toString()))
            val today = core.today()

            // The policy, with what onboarding and the form renderer need.
            val policy = core.installPolicy(fixture.signedPolicy)
            assertEquals(fixture.policyId, policy.id)
            assertEquals("epidemic-control", policy.purposeCode)
            assertTrue(policy.issuer.getValue("en").startsWith("Shanghai"), policy.issuer.toString())
            assertTrue(policy.issuer.getValue("zh").isNotEmpty())
            assertEquals(fixture.endpointUrl, policy.endpointUrl)
            assertEquals(14u, policy.monitoringDays)
            assertFalse(policy.consented)
            val form = policy.forms.single()
            assertEquals(fixture.formId, form.id)
            val fields = form.fields.associateBy { it.id }
            assertEquals(
                listOf("name", "phone", "temperature", "symptoms", "district", "contact_with_case", "notes"),
                form.fields.map { it.id },
            )
            assertEquals(FieldKind.TemperatureC, fields.getValue("temperature").kind)
            assertTrue(fields.getValue("name").fromProfile)
            assertTrue(fields.getValue("name").required)
            assertEquals("omit", fields.getValue("notes").transform)
            assertNull(fields.getValue("notes").recipient)
            val symptoms = fields.getValue("symptoms").kind
            assertTrue(symptoms is FieldKind.MultiChoice && "cough" in symptoms.codes, symptoms.toString())
            assertEquals(listOf(policy.id), core.policies().map { it.id })

            // A household of two, one of them monitored.
            val mumId = core.addProfile(mum())
            val dadId = core.addProfile(mum().copy(displayName = "Dad", name = "李强", phone = null))
            assertEquals(setOf("Mum", "Dad"), core.profiles().map { it.displayName }.toSet())
            assertEquals(NAME, core.profiles().single { it.id == mumId }.name)
            val period = core.startMonitoring(mumId, policy.id, null, MonitoringReason.ARRIVAL)
            assertEquals(today, period.start)
            assertEquals(14u, period.days)
            assertEquals(listOf(period.id), core.monitoringPeriods().map { it.id })
            assertEquals(listOf(DueItem(mumId, policy.id, form.id, today, 1u, 14u)), core.due(null))

            // Save, then amend the same day (still unsent: the same record).
            val saved = core.saveRecord(mumId, policy.id, form.id, null, fixture.answers)
            assertFalse(saved.amended)
            assertEquals(1u, saved.revision)
            val amended = core.saveRecord(mumId, policy.id, form.id, null, fixture.answers + ("temperature" to "36.8"))
            assertTrue(amended.amended)
            assertEquals(saved.id, amended.id)
            val record = core.record(saved.id)
            assertEquals("36.8", record.answers["temperature"])
            assertEquals(NOTE_CANARY, record.answers["notes"])
            assertEquals(RecordState.SAVED, record.state)
            assertEquals(listOf(saved.id), core.records().records.map { it.id })
            assertTrue(core.due(null).isEmpty(), "nothing is due once today's report is saved")

            // What will be shared: reduced values, and never the note.
            val preview = core.preview(saved.id)
            val byField = preview.fields.associateBy { it.field }
            assertEquals(NOTE_CANARY, byField.getValue("notes").before)
            assertNull(byField.getValue("notes").after)
            assertEquals("310104", byField.getValue("district").before)
            assertEquals("\"310100\"", byField.getValue("district").after)
            assertEquals("36.8", byField.getValue("temperature").before)
            assertEquals(setOf("health", "identity"), preview.parts.map { it.recipient }.toSet())
            val parts = preview.parts.associate { it.recipient to Json.parseToJsonElement(it.json).jsonObject }
            for (part in preview.parts) {
                assertFalse(part.json.contains(NOTE_CANARY), "the note stays on the device: ${part.json}")
                assertFalse(part.json.contains("36.8"), "the exact temperature stays on the device: ${part.json}")
                assertFalse(part.json.contains("310104"), "the exact district stays on the device: ${part.json}")
                assertTrue(part.paddedSize >= part.json.toByteArray().size.toULong())
                assertEquals(0uL, part.paddedSize % 512uL, "padded to the policy's block")
            }
            // Exactly the reduced values: a yes/no against the 37.3 threshold, the city, the rest kept.
            assertEquals(
                Json.parseToJsonElement(
                    """{"contact_with_case":false,"district":"310100","symptoms":["cough","fatigue"],"temperature":false}""",
                ),
                parts.getValue("health").getValue("fields"),
            )
            assertEquals(
                Json.parseToJsonElement("""{"name":"$NAME","phone":"$PHONE"}"""),
                parts.getValue("identity").getValue("fields"),
            )
            assertEquals("false", byField.getValue("temperature").after)
            val previewedSubmission = parts.getValue("health").getValue("submission_id").jsonPrimitive.content

            // No consent, nothing leaves.
            assertFalse(core.hasConsent(policy.id))
            val events = Collections.synchronizedList(mutableListOf<SyncEvent>())
            val listener = object : SyncListener {
                override fun onEvent(event: SyncEvent) {
                    events.add(event)
                }
            }
            val withoutConsent = runBlocking { core.sync(listener, null) }
            assertEquals(0u, withoutConsent.delivered)
            assertEquals(0u, withoutConsent.queued)
            assertTrue(events.isEmpty())
            assertEquals(RecordState.SAVED, core.record(saved.id).state)

            core.grantConsent(policy.id)
            assertTrue(core.hasConsent(policy.id))
            assertTrue(core.policies().single().consented)

            // Sync from a coroutine against the real drop box.
            val summary = runBlocking { core.sync(listener, null) }
            assertEquals(1u, summary.queued, summary.toString())
            assertEquals(1u, summary.delivered, summary.toString())
            assertEquals(0u, summary.failed)
            assertEquals(0u, summary.retryLater)
            assertFalse(summary.cancelled)
            val queued = events.filterIsInstance<SyncEvent.Queued>().single()
            val delivered = events.filterIsInstance<SyncEvent.Delivered>().single()
            assertEquals(queued.submissionId, delivered.submissionId)
            assertEquals(previewedSubmission, queued.submissionId.value, "what was previewed is what was sent")
            assertEquals(policy.id, queued.policyId)
            // The drop box's clock, from the signed receipt: an RFC 3339 time within this test.
            val receivedAt = OffsetDateTime.parse(delivered.receivedAt).toInstant()
            assertTrue(Duration.between(receivedAt, Instant.now()).abs().toMinutes() < 10, delivered.receivedAt)
            assertEquals(RecordState.SENT, core.record(saved.id).state)

            // The ledger: consent, then the disclosure with its verified receipt.
            val ledger = core.ledger()
            assertTrue(ledger.first().event is LedgerEvent.ConsentGranted, ledger.toString())
            val disclosure = ledger.map { it.event }.filterIsInstance<LedgerEvent.Disclosure>().single { !it.cover }
            assertEquals(saved.id, disclosure.recordId)
            assertEquals(delivered.submissionId, disclosure.submissionId)
            assertEquals(fixture.endpointUrl, disclosure.endpoint)
            assertTrue(disclosure.receiptSignature.isNotEmpty())
            assertFalse(disclosure.fields.any { it.field == "notes" }, disclosure.fields.toString())
            assertTrue(disclosure.fields.any { it.field == "temperature" && it.recipient == "health" })
            val check = core.verifyLedger()
            assertTrue(check.valid, check.toString())
            assertEquals(ledger.size.toULong(), check.entries)
            assertEquals(
                ledger.count { it.event is LedgerEvent.Disclosure }.toULong(),
                check.receiptsVerified,
            )
            assertNull(check.problem)

            // Export: everything, decrypted, as JSON the person can keep.
            val export = core.export()
            val exported = Json.parseToJsonElement(export) as JsonObject
            assertTrue(exported.isNotEmpty())
            assertTrue(export.contains("Mum") && export.contains(NAME), "the export holds the profile")
            assertTrue(export.contains(dadId.value))
            assertTrue(export.contains(NOTE_CANARY), "the export holds the record as entered")

            // Erase: every file gone, and the object is closed.
            assertTrue(filesUnder(dir).isNotEmpty())
            core.erase()
            assertEquals(emptyList<Path>(), filesUnder(dir))
            assertFalse(storeExists(dir.toString()))
            val closed = assertThrows<SelfReportException.Closed> { core.records() }
            assertEquals("Closed", closed.code)
            assertThrows<SelfReportException.Closed> { core.erase() }
            assertThrows<SelfReportException.Closed> { runBlocking { core.sync(null, null) } }
            assertNotNull(closed.detail)
        }
    }
}
