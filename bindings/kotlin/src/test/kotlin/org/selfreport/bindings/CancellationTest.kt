package org.selfreport.bindings

import java.net.InetAddress
import java.net.ServerSocket
import java.net.Socket
import java.net.SocketTimeoutException
import java.nio.file.Path
import java.util.Collections
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import org.selfreport.LedgerEvent
import org.selfreport.RecordState
import org.selfreport.SelfReportException
import org.selfreport.SyncCancellation
import org.selfreport.SyncEvent
import org.selfreport.SyncListener

/** Stopping a sync: by a SyncCancellation, and by cancelling the coroutine that awaits it. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CancellationTest {
    @TempDir
    lateinit var tmp: Path

    private lateinit var fixture: Fixture

    @BeforeAll
    fun fixture(@TempDir shared: Path) {
        fixture = Fixture.make(shared.resolve("fixture"))
    }

    private class Events : SyncListener {
        val events: MutableList<SyncEvent> = Collections.synchronizedList(mutableListOf())

        override fun onEvent(event: SyncEvent) {
            events += event
        }
    }

    private suspend fun disclosures(store: OpenedStore) =
        store.core.ledger().map { it.event }.filterIsInstance<LedgerEvent.Disclosure>()

    @Test
    fun `a SyncCancellation cancelled before sync delivers nothing, and a later sync does`() = runBlocking<Unit> {
        val store = openStore(tmp.resolve("before"), fixture)
        val saved = store.core.saveRecord(store.profileId, fixture.policyId, fixture.formId, null, fixture.answers)
        store.core.grantConsent(fixture.policyId)
        Endpoint.start(fixture).use { _ ->
            val cancellation = SyncCancellation()
            assertFalse(cancellation.isCancelled())
            cancellation.cancel()
            assertTrue(cancellation.isCancelled())
            val events = Events()
            val summary = runBlocking { store.core.sync(events, cancellation) }
            assertTrue(summary.cancelled, summary.toString())
            assertEquals(0u, summary.delivered)
            assertTrue(events.events.none { it is SyncEvent.Delivered }, events.events.toString())
            assertTrue(disclosures(store).isEmpty())
            assertTrue(store.core.record(saved.id).state != RecordState.SENT)

            val again = runBlocking { store.core.sync(events, SyncCancellation()) }
            assertFalse(again.cancelled)
            assertEquals(1u, again.delivered, again.toString())
            assertEquals(RecordState.SENT, store.core.record(saved.id).state)
            assertEquals(saved.id, disclosures(store).single { !it.cover }.recordId)
        }
        store.core.close()
    }

    @OptIn(ExperimentalCoroutinesApi::class) // Deferred.getCompletionExceptionOrNull
    @Test
    fun `cancelling the coroutine stops the sync mid-request, and the submission is sent later`() = runBlocking<Unit> {
        val store = openStore(tmp.resolve("coroutine"), fixture)
        val saved = store.core.saveRecord(store.profileId, fixture.policyId, fixture.formId, null, fixture.answers)
        store.core.grantConsent(fixture.policyId)
        val events = Events()

        // A drop box that accepts the connection and never answers: the sync waits on it.
        val connection = CompletableFuture<Socket>()
        ServerSocket(fixture.port, 8, InetAddress.getLoopbackAddress()).use { silent ->
            val acceptor = Thread {
                runCatching { connection.complete(silent.accept()) }
                    .onFailure { connection.completeExceptionally(it) }
            }
            acceptor.isDaemon = true
            acceptor.start()

            runBlocking {
                val sync = async(Dispatchers.IO) { store.core.sync(events, null) }
                val socket = connection.get(30, TimeUnit.SECONDS)
                socket.soTimeout = 20_000
                socket.getInputStream().read(ByteArray(512)) // the TLS ClientHello: the request is in flight

                sync.cancel()
                val finished = withTimeoutOrNull(20_000) { sync.join() }
                assertTrue(finished != null, "the cancelled sync did not finish")
                assertTrue(sync.isCancelled)
                assertTrue(sync.getCompletionExceptionOrNull() is CancellationException)

                // The request itself was dropped: the client closed the connection long
                // before its own 10-second connect timeout could have.
                val closedAt = System.nanoTime()
                val eof = try {
                    val buffer = ByteArray(4096)
                    var n: Int
                    do {
                        n = socket.getInputStream().read(buffer)
                    } while (n > 0)
                    true
                } catch (e: SocketTimeoutException) {
                    false
                } catch (e: java.io.IOException) {
                    true // reset by the client: closed as well
                }
                assertTrue(eof, "the connection stayed open after the coroutine was cancelled")
                assertTrue(System.nanoTime() - closedAt < TimeUnit.SECONDS.toNanos(8))
                socket.close()
            }
        }
        val queued = events.events.filterIsInstance<SyncEvent.Queued>().single()
        assertTrue(events.events.none { it is SyncEvent.Delivered })
        assertEquals(RecordState.QUEUED, store.core.record(saved.id).state)

        // The queued submission goes out with the next sync, to the real drop box.
        Endpoint.start(fixture).use { _ ->
            val events2 = Events()
            val summary = runBlocking { store.core.sync(events2, null) }
            assertEquals(1u, summary.delivered, summary.toString())
            assertEquals(queued.submissionId, events2.events.filterIsInstance<SyncEvent.Delivered>().single().submissionId)
        }
        assertEquals(RecordState.SENT, store.core.record(saved.id).state)
        // With no sync running the store can be erased again.
        store.core.erase()
        assertEquals(emptyList<Path>(), filesUnder(store.dir))
    }
}
