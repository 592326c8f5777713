package org.selfreport.bindings

import kotlinx.coroutines.runBlocking
import java.nio.file.Path
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import org.selfreport.SelfReport
import org.selfreport.SelfReportException

/** Each failure an app handles arrives as its own typed exception with a stable code. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ErrorsTest {
    @TempDir
    lateinit var tmp: Path

    private lateinit var fixture: Fixture

    @BeforeAll
    fun fixture(@TempDir shared: Path) {
        fixture = Fixture.make(shared.resolve("fixture"))
    }

    @Test
    fun `a second KeyStore key does not open the store - WrongKey, and nothing changed`() = runBlocking<Unit> {
        val root = tmp.resolve("wrong-key")
        val store = openStore(root, fixture)
        store.core.close()
        createKey(store.keys, "second")
        val error = assertThrows<SelfReportException.WrongKey> {
            SelfReport.open(store.dir.toString(), keySource(store.keys, "second"), fixture.options())
        }
        assertEquals("WrongKey", error.code)
        // The right key still opens it, with everything in place.
        SelfReport.open(store.dir.toString(), keySource(store.keys), fixture.options()).use { core ->
            assertEquals(listOf(store.profileId), core.profiles().map { it.id })
            assertEquals(listOf(fixture.policyId), core.policies().map { it.id })
        }
    }

    @Test
    fun `a temperature of 45 is InvalidInput naming the field, and nothing is saved`() = runBlocking<Unit> {
        val store = openStore(tmp.resolve("invalid"), fixture)
        store.core.use { core ->
            val error = assertThrows<SelfReportException.InvalidInput> {
                core.saveRecord(store.profileId, fixture.policyId, fixture.formId, null, fixture.answers + ("temperature" to "45.0"))
            }
            assertEquals("temperature", error.field)
            assertEquals("InvalidInput", error.code)
            assertEquals("OutOfRange", error.rule)
            assertFalse(error.detail.contains("45"), "errors never repeat the rejected value: ${error.detail}")
            assertTrue(core.records().records.isEmpty())

            val missing = assertThrows<SelfReportException.InvalidInput> {
                core.saveRecord(store.profileId, fixture.policyId, fixture.formId, null, fixture.answers - "temperature")
            }
            assertEquals("temperature", missing.field)
            assertEquals("Required", missing.rule)

            // A date is a java.time.LocalDate: "28/11/2026" no longer compiles. A day the core
            // refuses still names the field.
            val future = assertThrows<SelfReportException.InvalidInput> {
                core.saveRecord(store.profileId, fixture.policyId, fixture.formId, core.today().plusDays(1), fixture.answers)
            }
            assertEquals("date", future.field)
            assertEquals("FutureDate", future.rule)

            // The same answers with a valid temperature are accepted.
            core.saveRecord(store.profileId, fixture.policyId, fixture.formId, null, fixture.answers)
            assertEquals(1, core.records().records.size)
        }
    }

    @Test
    fun `a policy signed by an unknown key is refused with PolicyUnknownKey`() = runBlocking<Unit> {
        val root = tmp.resolve("refused")
        createKey(root.resolve("keys.p12"))
        SelfReport.open(root.resolve("store").toString(), keySource(root.resolve("keys.p12")), fixture.options()).use { core ->
            val error = assertThrows<SelfReportException.PolicyRefused> { core.installPolicy(fixture.untrustedPolicy) }
            assertEquals("PolicyUnknownKey", error.code)
            assertTrue(core.policies().isEmpty(), "nothing was installed")
            val garbage = assertThrows<SelfReportException.PolicyRefused> { core.installPolicy("not a policy".toByteArray()) }
            assertTrue(garbage.code.isNotEmpty())
            // The trusted one still installs.
            assertEquals(fixture.policyId, core.installPolicy(fixture.signedPolicy).id)
        }
    }

    @Test
    fun `malformed ids are InvalidInput, unknown ones NotFound`() = runBlocking<Unit> {
        val store = openStore(tmp.resolve("ids"), fixture)
        store.core.use { core ->
            val malformed = assertThrows<SelfReportException.InvalidInput> { core.record(org.selfreport.RecordId("not-an-id")) }
            assertEquals("record_id", malformed.field)
            val unknown = "0".repeat(32)
            assertEquals("NotFound", assertThrows<SelfReportException.NotFound> { core.record(org.selfreport.RecordId(unknown)) }.code)
            assertThrows<SelfReportException.NotFound> { core.preview(org.selfreport.RecordId(unknown)) }
            assertThrows<SelfReportException.NotFound> {
                core.saveRecord(store.profileId, "no-such-policy", fixture.formId, null, fixture.answers)
            }
            assertThrows<SelfReportException.NotFound> {
                core.saveRecord(org.selfreport.ProfileId(unknown), fixture.policyId, fixture.formId, null, fixture.answers)
            }
            assertThrows<SelfReportException.NotFound> {
                core.saveRecord(store.profileId, fixture.policyId, "no-such-form", null, fixture.answers)
            }
            assertTrue(core.records().records.isEmpty())
        }
    }
}
