package org.selfreport.bindings

import java.nio.file.Path
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import org.selfreport.SelfReportException
import org.selfreport.SyncCancellation
import org.selfreport.SyncEvent
import org.selfreport.SyncListener
import org.selfreport.storeExists

/** `erase` stops a running sync and erases; a closed core answers every call with `Closed`. */
class EraseTest {
    @TempDir
    lateinit var tmp: Path

    /**
     * Signals its first event, then holds the sync there until its cancellation is
     * cancelled (by `erase`), so the erase surely meets a running sync.
     */
    private class HeldAtFirstEvent(val cancellation: SyncCancellation) : SyncListener {
        val started = CountDownLatch(1)

        override fun onEvent(event: SyncEvent) {
            if (started.count == 0L) return
            started.countDown()
            val deadline = System.nanoTime() + 20_000_000_000L
            while (!cancellation.isCancelled() && System.nanoTime() < deadline) Thread.sleep(1)
        }
    }

    @Test
    fun `erase during a sync cancels the sync, then erases every file`() {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        val store = runBlocking { storeWithRecords(tmp.resolve("store"), fixture, 24, 5) }
        Endpoint.start(fixture).use { _ ->
            runBlocking {
                val cancellation = SyncCancellation()
                val listener = HeldAtFirstEvent(cancellation)
                val sync = async(Dispatchers.IO) { store.core.sync(listener, cancellation) }
                assertTrue(listener.started.await(30, TimeUnit.SECONDS), "the sync did not start")

                store.core.erase()

                val summary = sync.await()
                assertTrue(summary.cancelled, summary.toString())
                assertTrue(summary.delivered < summary.queued, summary.toString())
            }
        }
        assertEquals(emptyList<Path>(), filesUnder(store.dir))
        assertFalse(storeExists(store.dir.toString()))
        assertThrows<SelfReportException.Closed> { store.core.profiles() }
    }

    @Test
    fun `every call on a closed core throws Closed, none crashes`() = runBlocking<Unit> {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        val store = storeWithRecords(tmp.resolve("store"), fixture, 1, 1)
        val core = store.core
        core.erase()
        val calls: List<Pair<String, suspend () -> Any?>> = listOf(
            "today" to { core.today() },
            "installPolicy" to { core.installPolicy(fixture.signedPolicy) },
            "policies" to { core.policies() },
            "addProfile" to { core.addProfile(mum()) },
            "profiles" to { core.profiles() },
            "due" to { core.due(null) },
            "saveRecord" to { core.saveRecord(store.profileId, fixture.policyId, fixture.formId, null, fixture.answers) },
            "grantConsent" to { core.grantConsent(fixture.policyId) },
            "checkAnswers" to { core.checkAnswers(store.profileId, fixture.policyId, fixture.formId, null, fixture.answers) },
            "updateProfile" to { core.updateProfile(store.profileId, mum()) },
            "deleteProfile" to { core.deleteProfile(store.profileId) },
            "endMonitoring" to { core.endMonitoring(org.selfreport.MonitoringId("00".repeat(16)), null) },
            "records" to { core.records() },
            "ledger" to { core.ledger() },
            "verifyLedger" to { core.verifyLedger() },
            "export" to { core.export() },
            "purge" to { core.purge(null) },
            "sync" to { core.sync(null, null) },
            "requestDeletion" to { core.requestDeletion(org.selfreport.SubmissionId("00".repeat(16))) },
            "updatePolicy" to { core.updatePolicy(fixture.policyId) },
            "changeKey" to { core.changeKey(keySource(store.keys)) },
            "erase" to { core.erase() },
        )
        for ((name, call) in calls) {
            val thrown = runCatching { call() }.exceptionOrNull()
            assertTrue(thrown is SelfReportException.Closed, "$name gave $thrown")
            assertEquals("Closed", (thrown as SelfReportException.Closed).code)
        }
    }
}
