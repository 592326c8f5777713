package org.selfreport.bindings

import kotlinx.coroutines.runBlocking
import java.nio.file.Path
import java.util.concurrent.atomic.AtomicInteger
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import org.selfreport.KeySource
import org.selfreport.KeySourceException
import org.selfreport.MonitoringReason
import org.selfreport.SelfReport
import org.selfreport.SelfReportException
import org.selfreport.eraseStore
import org.selfreport.keystore.JavaKeyStoreKeySource
import org.selfreport.storeExists

/**
 * Acceptance: a key the platform lost is a typed `KeyUnavailable` the app recovers from by
 * resetting, and whatever a Kotlin key source throws comes back typed, never as a crash.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeySourceAcceptanceTest {
    @TempDir
    lateinit var tmp: Path

    private lateinit var fixture: Fixture

    @BeforeAll
    fun fixture(@TempDir shared: Path) {
        fixture = Fixture.make(shared.resolve("fixture"))
    }

    /** Wraps like [inner] but throws [failure] on [failOn] ("wrap" or "unwrap"), counting calls. */
    private class Throwing(
        private val inner: KeySource,
        private val failOn: String,
        private val failure: () -> Throwable,
    ) : KeySource {
        val calls = AtomicInteger()

        override fun wrap(key: ByteArray): ByteArray {
            calls.incrementAndGet()
            if (failOn == "wrap") throw failure()
            return inner.wrap(key)
        }

        override fun unwrap(blob: ByteArray): ByteArray {
            calls.incrementAndGet()
            if (failOn == "unwrap") throw failure()
            return inner.unwrap(blob)
        }
    }

    @Test
    fun `a key lost by the KeySource is KeyUnavailable, and eraseStore then open starts afresh`() = runBlocking<Unit> {
        val store = openStore(tmp.resolve("lost"), fixture)
        store.core.saveRecord(store.profileId, fixture.policyId, fixture.formId, null, fixture.answers)
        store.core.close()

        // The platform loses the key (a keystore reset, a backup restored on another phone).
        JavaKeyStoreKeySource.deleteKey(store.keys, STORE_PASSWORD.toCharArray(), ALIAS)
        val lost = assertThrows<SelfReportException.KeyUnavailable> {
            SelfReport.open(store.dir.toString(), keySource(store.keys), fixture.options())
        }
        assertEquals("KeyUnavailable", lost.code)
        assertTrue(storeExists(store.dir.toString()), "a failed open destroys nothing")

        // The app's reset path: erase the unreadable store, make a new key, open a new store.
        eraseStore(store.dir.toString())
        assertFalse(storeExists(store.dir.toString()))
        assertEquals(emptyList<Path>(), filesUnder(store.dir))
        createKey(store.keys)
        SelfReport.open(store.dir.toString(), keySource(store.keys), fixture.options()).use { core ->
            assertTrue(core.profiles().isEmpty())
            assertTrue(core.policies().isEmpty())
            assertTrue(core.records().records.isEmpty())
            core.installPolicy(fixture.signedPolicy)
            val profile = core.addProfile(mum())
            core.startMonitoring(profile, fixture.policyId, null, MonitoringReason.CONTACT)
            val saved = core.saveRecord(profile, fixture.policyId, fixture.formId, null, fixture.answers)
            assertEquals(fixture.answers["temperature"], core.record(saved.id).answers["temperature"])
        }
        // And the new store reopens with the new key.
        SelfReport.open(store.dir.toString(), keySource(store.keys), fixture.options()).use { core ->
            assertEquals(1, core.records().records.size)
        }
    }

    @Test
    fun `a Kotlin exception thrown by unwrap is KeySourceFailed, and the store is untouched`() = runBlocking<Unit> {
        val store = openStore(tmp.resolve("boom"), fixture)
        store.core.close()
        val source = Throwing(keySource(store.keys), "unwrap") { IllegalStateException("boom") }
        val error = assertThrows<SelfReportException.KeySourceFailed> {
            SelfReport.open(store.dir.toString(), source, fixture.options())
        }
        assertEquals("KeySourceFailed", error.code)
        assertTrue(error.detail.contains("IllegalStateException") && error.detail.contains("boom"), error.detail)
        assertEquals(1, source.calls.get())
        SelfReport.open(store.dir.toString(), keySource(store.keys), fixture.options()).use { core ->
            assertEquals(listOf(store.profileId), core.profiles().map { it.id })
        }
    }

    @Test
    fun `each KeySourceException arrives as its own SelfReportException`() = runBlocking<Unit> {
        val store = openStore(tmp.resolve("typed"), fixture)
        store.core.close()
        val dir = store.dir.toString()
        val real = keySource(store.keys)

        val failed = assertThrows<SelfReportException.KeySourceFailed> {
            SelfReport.open(dir, Throwing(real, "unwrap") { KeySourceException.Failed("user authentication required") }, fixture.options())
        }
        assertTrue(failed.detail.contains("user authentication required"), failed.detail)
        assertThrows<SelfReportException.KeyUnavailable> {
            SelfReport.open(dir, Throwing(real, "unwrap") { KeySourceException.Unavailable("key invalidated") }, fixture.options())
        }
        assertThrows<SelfReportException.WrongKey> {
            SelfReport.open(dir, Throwing(real, "unwrap") { KeySourceException.WrongKey() }, fixture.options())
        }
        // A key of the wrong length is refused, not used.
        val short = object : KeySource {
            override fun wrap(key: ByteArray) = real.wrap(key)
            override fun unwrap(blob: ByteArray) = ByteArray(16)
        }
        assertThrows<SelfReportException.KeySourceFailed> { SelfReport.open(dir, short, fixture.options()) }

        SelfReport.open(dir, real, fixture.options()).close()
    }

    @Test
    fun `a throwing wrap on create or change of key is KeySourceFailed`() = runBlocking<Unit> {
        val root = tmp.resolve("wrap")
        createKey(root.resolve("keys.p12"))
        val real = keySource(root.resolve("keys.p12"))
        val dir = root.resolve("store").toString()

        val onCreate = assertThrows<SelfReportException.KeySourceFailed> {
            SelfReport.open(dir, Throwing(real, "wrap") { RuntimeException("no keystore") }, fixture.options())
        }
        assertTrue(onCreate.detail.contains("no keystore"), onCreate.detail)
        assertFalse(storeExists(dir), "no half-made store is left behind")

        SelfReport.open(dir, real, fixture.options()).use { core ->
            core.installPolicy(fixture.signedPolicy)
            assertThrows<SelfReportException.KeySourceFailed> {
                core.changeKey(Throwing(real, "wrap") { KeySourceException.Failed("locked") })
            }
            // The old key still opens the store, so the failed change changed nothing.
            assertEquals(1, core.policies().size)
        }
        SelfReport.open(dir, real, fixture.options()).use { core -> assertEquals(1, core.policies().size) }

        // A real change of key: the old one no longer opens the store, the new one does.
        createKey(root.resolve("keys.p12"), "next")
        val next = keySource(root.resolve("keys.p12"), "next")
        SelfReport.open(dir, real, fixture.options()).use { core -> core.changeKey(next) }
        assertThrows<SelfReportException.WrongKey> { SelfReport.open(dir, real, fixture.options()) }
        SelfReport.open(dir, next, fixture.options()).use { core -> assertEquals(1, core.policies().size) }
    }
}
