package org.selfreport.bindings

import java.nio.file.Path
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import org.selfreport.ConsentStatus
import org.selfreport.SelfReport

/** Consent is bound to what leaves (issue 13): a version that lets more leave asks again, and says what widened. */
class ConsentTest {
    @TempDir
    lateinit var tmp: Path

    @Test
    fun `a version that lets more leave needs consent again and says what widened`() = runBlocking<Unit> {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        createKey(tmp.resolve("keys.p12"))
        val dir = tmp.resolve("store").toString()
        SelfReport.open(dir, keySource(tmp.resolve("keys.p12")), fixture.options()).use { core ->
            val policy = core.installPolicy(fixture.signedPolicy)
            assertEquals(ConsentStatus.NotAsked, core.consentStatus(policy.id))
            core.grantConsent(policy.id)
            assertEquals(ConsentStatus.Granted(policy.version, policy.version), core.consentStatus(policy.id))

            val wider = core.installPolicy(fixture.widerPolicyV2)
            val status = core.consentStatus(policy.id)
            assertTrue(status is ConsentStatus.Widened, status.toString())
            status as ConsentStatus.Widened
            assertEquals(policy.version, status.consentedVersion)
            assertEquals(wider.version, status.version)
            assertTrue(status.widened.any { it.startsWith("field daily/temperature") }, status.widened.toString())
            assertFalse(core.hasConsent(policy.id))

            core.grantConsent(policy.id)
            assertEquals(ConsentStatus.Granted(wider.version, wider.version), core.consentStatus(policy.id))
            assertTrue(core.hasConsent(policy.id))
        }
    }
}
