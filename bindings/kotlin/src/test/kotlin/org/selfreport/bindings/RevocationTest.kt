package org.selfreport.bindings

import java.nio.file.Path
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import org.selfreport.LedgerEvent
import org.selfreport.MonitoringReason
import org.selfreport.NewProfile
import org.selfreport.RevocationStatus
import org.selfreport.SelfReport
import org.selfreport.SelfReportException

/** A root revokes the version a person reports under (issue 13): nothing more is sent, and the app can say why. */
class RevocationTest {
    @TempDir
    lateinit var tmp: Path

    @Test
    fun `a revoked version stops sending and the ledger and status say why`() = runBlocking<Unit> {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        createKey(tmp.resolve("keys.p12"))
        val dir = tmp.resolve("store").toString()
        SelfReport.open(dir, keySource(tmp.resolve("keys.p12")), fixture.options()).use { core ->
            val policy = core.installPolicy(fixture.signedPolicy)
            val profile = core.addProfile(NewProfile("Mum", "王芳", null, "+8613800138000", null, null))
            core.startMonitoring(profile, policy.id, null, MonitoringReason.ARRIVAL)
            core.grantConsent(policy.id)
            core.saveRecord(profile, policy.id, fixture.formId, null, fixture.answers)
            assertEquals(RevocationStatus.NotRevoked(null), core.revocationStatus(policy.id))

            val update = core.installRevocations(fixture.revocations)
            assertTrue(update.changed)
            assertEquals(listOf(policy.id), update.revokedPolicies)
            val status = core.revocationStatus(policy.id)
            assertTrue(status is RevocationStatus.VersionRevoked, status.toString())
            status as RevocationStatus.VersionRevoked
            assertEquals(policy.version, status.version)
            assertEquals("superseded", status.reason)
            assertEquals(1uL, status.list.sequence)

            assertEquals(0u, core.sync(null, null).delivered)
            val revoked = core.ledger().map { it.event }.filterIsInstance<LedgerEvent.PolicyRevoked>().single()
            assertEquals("superseded", revoked.reason)
            assertEquals("version", revoked.revoked)
            assertTrue(core.verifyLedger().valid)

            assertFalse(core.installRevocations(fixture.revocations).changed)
            val refused = assertThrows<SelfReportException.PolicyRefused> { core.installRevocations("{}".toByteArray()) }
            assertEquals("PolicyBadRevocations", refused.code)
        }
    }
}
