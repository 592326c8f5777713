package org.selfreport.bindings

import java.nio.file.Path
import java.util.Collections
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import org.selfreport.LogLevel
import org.selfreport.Logger
import org.selfreport.SelfReport
import org.selfreport.SelfReportException
import org.selfreport.setLogger

/** The app's Logger receives the core's lines, and no line carries a typed value. */
class LoggerTest {
    @TempDir
    lateinit var tmp: Path

    private data class Line(val level: LogLevel, val target: String, val message: String) {
        override fun toString() = "$level $target: $message"
    }

    private class Collecting : Logger {
        val lines: MutableList<Line> = Collections.synchronizedList(mutableListOf())

        override fun log(level: LogLevel, target: String, message: String) {
            lines += Line(level, target, message)
        }
    }

    @AfterEach
    fun removeLogger() {
        setLogger(null)
    }

    @Test
    fun `a Kotlin logger receives lines and none holds a name, a phone, a note or an answer`() = runBlocking<Unit> {
        val logger = Collecting()
        setLogger(logger)
        val fixture = Fixture.make(tmp.resolve("fixture"))
        val store = Endpoint.start(fixture).use { _ ->
            val store = openStore(tmp.resolve("a"), fixture)
            val core = store.core
            val saved = core.saveRecord(store.profileId, fixture.policyId, fixture.formId, null, fixture.answers)
            core.preview(saved.id)
            core.export()
            assertThrows<SelfReportException.InvalidInput> {
                core.saveRecord(store.profileId, fixture.policyId, fixture.formId, null, fixture.answers + ("temperature" to "45.0"))
            }
            core.grantConsent(fixture.policyId)
            val summary = runBlocking { core.sync(null, null) }
            assertEquals(1u, summary.delivered)
            core.close()
            assertThrows<SelfReportException.WrongKey> {
                createKey(store.keys, "other")
                SelfReport.open(store.dir.toString(), keySource(store.keys, "other"), fixture.options())
            }
            store
        }

        val lines = logger.lines.toList()
        val text = lines.joinToString("\n")
        assertTrue(lines.isNotEmpty())
        assertTrue(lines.any { it.message.contains("save_record") }, text)
        assertTrue(lines.any { it.level == LogLevel.WARN && it.message.contains("InvalidInput") }, text)
        assertTrue(lines.any { it.level == LogLevel.WARN && it.message.contains("WrongKey") }, text)
        assertTrue(lines.any { it.target == "selfreport.sync" && it.message.contains("delivered 1") }, text)

        val secrets = listOf(NAME, PHONE, NOTE_CANARY, "13800138000", "310104", "37.6", "45.0", store.profileId.value) +
            SelfReport.open(store.dir.toString(), keySource(store.keys), fixture.options()).use { core ->
                core.records().records.map { it.id.value }
            }
        for (secret in secrets) {
            val leaking = lines.filter { it.message.contains(secret) || it.target.contains(secret) }
            assertEquals(emptyList<Line>(), leaking, "a log line holds \"$secret\"")
        }
    }

    @Test
    fun `after setLogger(null) nothing more is received`() = runBlocking<Unit> {
        val logger = Collecting()
        setLogger(logger)
        val root = tmp.resolve("b")
        createKey(root.resolve("keys.p12"))
        SelfReport.open(root.resolve("store").toString(), keySource(root.resolve("keys.p12")), optionsWithoutAnchors()).close()
        val seen = logger.lines.size
        assertTrue(seen > 0)
        setLogger(null)
        SelfReport.open(root.resolve("store").toString(), keySource(root.resolve("keys.p12")), optionsWithoutAnchors()).use { core ->
            core.profiles()
        }
        assertEquals(seen, logger.lines.size)
    }

    private fun optionsWithoutAnchors() = org.selfreport.OpenOptions(trustAnchors = emptyList(), extraRootsDer = emptyList())
}
