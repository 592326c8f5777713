package org.selfreport.bindings

import java.nio.file.Path
import java.time.LocalDate
import java.util.concurrent.Callable
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import org.selfreport.LedgerEvent
import org.selfreport.MonitoringReason
import org.selfreport.RecordState
import org.selfreport.SelfReport

/** One `SelfReport` shared by several threads at once, as an app's UI and workers share it. */
class ConcurrencyTest {
    @TempDir
    lateinit var tmp: Path

    private val threads = 8
    private val days = 4

    @Test
    fun `8 threads saving for different profiles and reading at once all succeed and the counts add up`() = runBlocking<Unit> {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        createKey(tmp.resolve("keys.p12"))
        val dir = tmp.resolve("store").toString()
        SelfReport.open(dir, keySource(tmp.resolve("keys.p12")), fixture.options()).use { core ->
            core.installPolicy(fixture.signedPolicy)
            val today = core.today()
            val start = today.minusDays((days - 1).toLong())
            val profiles = (0 until threads).map { index ->
                core.addProfile(mum().copy(displayName = "member $index")).also { id ->
                    core.startMonitoring(id, fixture.policyId, start, MonitoringReason.ARRIVAL)
                }
            }
            // Today's report is due for each of them (earlier days are not asked for any more).
            assertEquals(profiles.toSet(), core.due(null).map { it.profileId }.toSet())
            assertEquals(threads, core.due(null).size)

            val pool = Executors.newFixedThreadPool(threads)
            val barrier = CyclicBarrier(threads)
            try {
                val results = profiles.mapIndexed { index, profile ->
                    pool.submit(Callable {
                        barrier.await(30, TimeUnit.SECONDS)
                        val ids = mutableListOf<org.selfreport.RecordId>()
                        for (day in 0 until days) {
                            val date = today.minusDays(day.toLong())
                            val temperature = "36.${(index + day) % 10}"
                            val saved = core.saveRecord(profile, fixture.policyId, fixture.formId, date, fixture.answers + ("temperature" to temperature))
                            ids += saved.id
                            // Reads interleaved with the other threads' writes.
                            val record = core.record(saved.id)
                            check(record.profileId == profile && record.date == date)
                            check(record.answers["temperature"] == temperature)
                            check(runBlocking { core.records() }.damaged.isEmpty())
                            check(core.profiles().size == threads)
                            core.due(null)
                        }
                        ids
                    })
                }.map { it.get(120, TimeUnit.SECONDS) }

                val all = results.flatten()
                assertEquals(threads * days, all.toSet().size, "every save made its own record")
                val listing = core.records()
                assertEquals(threads * days, listing.records.size)
                assertTrue(listing.damaged.isEmpty())
                assertEquals(all.toSet(), listing.records.map { it.id }.toSet())
                for (profile in profiles) {
                    assertEquals(days, listing.records.count { it.profileId == profile })
                }
                assertTrue(listing.records.all { it.state == RecordState.SAVED })
                assertTrue(core.due(null).isEmpty())

                // Readers only, all at once, against the finished store.
                val reads = (0 until threads).map { reader ->
                    pool.submit(Callable {
                        barrier.await(30, TimeUnit.SECONDS)
                        (0 until 10).sumOf { round ->
                            val preview = core.preview(all[(reader * 10 + round) % all.size])
                            check(preview.parts.map { it.recipient }.toSet() == setOf("health", "identity"))
                            runBlocking { core.records() }.records.size
                        }
                    })
                }.map { it.get(120, TimeUnit.SECONDS) }
                assertEquals(List(threads) { 10 * threads * days }, reads)
            } finally {
                pool.shutdownNow()
            }
        }
    }

    @Test
    fun `syncs running while other threads save deliver every record exactly once`() = runBlocking<Unit> {
        val fixture = Fixture.make(tmp.resolve("fixture"))
        createKey(tmp.resolve("keys.p12"))
        val dir = tmp.resolve("store").toString()
        Endpoint.start(fixture).use { _ ->
            SelfReport.open(dir, keySource(tmp.resolve("keys.p12")), fixture.options()).use { core ->
                core.installPolicy(fixture.signedPolicy)
                core.grantConsent(fixture.policyId)
                val today = core.today()
                val start = today.minusDays((days - 1).toLong())
                val savers = 4
                val profiles = (0 until savers).map { index ->
                    core.addProfile(mum().copy(displayName = "member $index")).also { id ->
                        core.startMonitoring(id, fixture.policyId, start, MonitoringReason.SELF_REPORTED)
                    }
                }
                val delivered = AtomicInteger()
                val saving = AtomicInteger(savers)
                val pool = Executors.newFixedThreadPool(savers + 2)
                val barrier = CyclicBarrier(savers + 2)
                try {
                    val saves = profiles.map { profile ->
                        pool.submit(Callable {
                            barrier.await(30, TimeUnit.SECONDS)
                            try {
                                (0 until days).map { day ->
                                    val date = today.minusDays(day.toLong())
                                    core.saveRecord(profile, fixture.policyId, fixture.formId, date, fixture.answers).id
                                }
                            } finally {
                                saving.decrementAndGet()
                            }
                        })
                    }
                    val syncs = (0 until 2).map {
                        pool.submit(Callable {
                            barrier.await(30, TimeUnit.SECONDS)
                            var runs = 0
                            while (saving.get() > 0 || runs == 0) {
                                val summary = runBlocking { core.sync(null, null) }
                                check(summary.failed == 0u && summary.retryLater == 0u) { summary.toString() }
                                delivered.addAndGet(summary.delivered.toInt())
                                runs++
                            }
                            runs
                        })
                    }
                    val ids = saves.flatMap { it.get(120, TimeUnit.SECONDS) }
                    syncs.forEach { it.get(120, TimeUnit.SECONDS) }
                    delivered.addAndGet(runBlocking { core.sync(null, null) }.delivered.toInt())

                    assertEquals(savers * days, ids.toSet().size)
                    assertEquals(savers * days, delivered.get(), "each record delivered once, over all syncs")
                    val records = core.records().records
                    assertTrue(records.all { it.state == RecordState.SENT }, records.map { it.state }.toString())
                    val disclosed = core.ledger().map { it.event }
                        .filterIsInstance<LedgerEvent.Disclosure>().filter { !it.cover }
                    assertEquals(ids.toSet(), disclosed.map { it.recordId }.toSet())
                    assertEquals(ids.size, disclosed.size)
                    assertTrue(core.verifyLedger().valid)
                } finally {
                    pool.shutdownNow()
                }
            }
        }
    }
}
