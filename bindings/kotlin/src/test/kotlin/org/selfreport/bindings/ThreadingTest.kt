package org.selfreport.bindings

import java.nio.file.Path
import java.util.Collections
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicLong
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.delay
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.yield
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import org.selfreport.KeySource
import org.selfreport.SelfReport
import org.selfreport.SyncEvent
import org.selfreport.SyncListener

/**
 * The threading contract: a long call does its work on the core's threads, never on the
 * caller's. Each test calls from a single-thread dispatcher, as an app calls from
 * Android's main thread (`viewModelScope`), and fails if the core's work runs there.
 */
class ThreadingTest {
    @TempDir
    lateinit var tmp: Path

    /** A single-thread dispatcher standing in for an app's main thread. */
    private fun mainLike() = Executors.newSingleThreadExecutor { Thread(it, "app-main") }.asCoroutineDispatcher()

    /**
     * Records each callback's thread and, every [HANDSHAKE_EVERY] events, waits until the
     * caller's ticker advanced: a callback run on the caller's dispatcher would wait in
     * vain, since the ticker could not run meanwhile.
     */
    private class ThreadProbe(val ticks: AtomicLong) : SyncListener {
        val threads: MutableList<Thread> = Collections.synchronizedList(mutableListOf())
        val stalled = AtomicBoolean(false)

        override fun onEvent(event: SyncEvent) {
            threads += Thread.currentThread()
            if (threads.size % HANDSHAKE_EVERY == 1) {
                val before = ticks.get()
                val deadline = System.nanoTime() + 10_000_000_000L
                while (ticks.get() <= before + 1) {
                    if (System.nanoTime() > deadline) {
                        stalled.set(true)
                        return
                    }
                    Thread.sleep(1)
                }
            }
        }
    }

    @Test
    fun `a sync of many records runs off the caller's dispatcher, which keeps running, and calls back on a core thread`() {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        val store = runBlocking { storeWithRecords(tmp.resolve("store"), fixture, PROFILES, DAYS) }
        val ticks = AtomicLong()
        val probe = ThreadProbe(ticks)
        Endpoint.start(fixture).use { _ ->
            mainLike().use { main ->
                val (caller, summary, ticksDuringSync) = runBlocking(main) {
                    val ticker = launch {
                        while (isActive) {
                            ticks.incrementAndGet()
                            delay(1)
                        }
                    }
                    yield()
                    val before = ticks.get()
                    val summary = store.core.sync(probe, null)
                    val during = ticks.get() - before
                    ticker.cancel()
                    Triple(Thread.currentThread(), summary, during)
                }
                // With coroutine debugging on (as under Surefire) the name carries a "@coroutine#n" suffix.
                assertTrue(caller.name.startsWith("app-main"), caller.name)
                assertTrue(summary.queued >= (PROFILES * DAYS).toUInt(), summary.toString())
                assertEquals(summary.queued, summary.delivered, summary.toString())
                assertEquals(0u, summary.failed)
                assertEquals(2 * summary.queued.toInt(), probe.threads.size, "queued and delivered events")
                assertTrue(probe.threads.none { it === caller }, "a listener callback ran on the caller's thread")
                assertFalse(probe.stalled.get(), "the caller's dispatcher stalled during the sync")
                assertTrue(ticksDuringSync > 0)
            }
        }
        store.core.close()
    }

    @Test
    fun `open and changeKey call the app's key source off the caller's thread`() {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        createKey(tmp.resolve("keys.p12"))
        val real = keySource(tmp.resolve("keys.p12"))
        val seen: MutableList<Thread> = Collections.synchronizedList(mutableListOf())
        val recording = object : KeySource {
            override fun wrap(key: ByteArray): ByteArray = real.wrap(key).also { seen += Thread.currentThread() }
            override fun unwrap(blob: ByteArray): ByteArray = real.unwrap(blob).also { seen += Thread.currentThread() }
        }
        mainLike().use { main ->
            val caller = runBlocking(main) {
                val dir = tmp.resolve("store").toString()
                SelfReport.open(dir, recording, fixture.options()).close()
                SelfReport.open(dir, recording, fixture.options()).use { core ->
                    core.changeKey(recording)
                }
                Thread.currentThread()
            }
            assertTrue(seen.size >= 3, "wrap at create, unwrap at open, wrap at change: $seen")
            assertTrue(seen.none { it === caller }, "the key source ran on the caller's thread: $seen")
        }
    }

    private companion object {
        const val PROFILES = 24
        const val DAYS = 5
        const val HANDSHAKE_EVERY = 20
    }
}
