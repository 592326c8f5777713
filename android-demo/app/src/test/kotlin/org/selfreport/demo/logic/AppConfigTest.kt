package org.selfreport.demo.logic

import java.time.LocalDate
import java.time.Duration
import java.time.LocalTime
import java.time.ZoneId
import java.time.ZonedDateTime
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.selfreport.TrustAnchor

class AppConfigTest {
    private val key = "FvF2Hj6aNUYrj/G8DJAXSdth0cuAZi1QoFs3aqJs37c="

    @Test
    fun `trust anchors are read line by line with optional validity`() {
        val text = """
            # demo authority
            $key
            $key 2026-11-01 2027-05-01

            $key - 2027-05-01
        """.trimIndent()
        assertEquals(
            listOf(
                TrustAnchor(key, null, null),
                TrustAnchor(key, LocalDate.parse("2026-11-01"), LocalDate.parse("2027-05-01")),
                TrustAnchor(key, null, LocalDate.parse("2027-05-01")),
            ),
            AppConfig.parseTrustAnchors(text),
        )
    }

    @Test
    fun `a misread trust anchor stops the app instead of being skipped`() {
        assertEquals(2, assertThrows<TrustAnchorFormatException> { AppConfig.parseTrustAnchors("$key\nnot-a-key") }.line)
        assertThrows<TrustAnchorFormatException> { AppConfig.parseTrustAnchors("$key 2026-13-01") }
        assertThrows<TrustAnchorFormatException> { AppConfig.parseTrustAnchors("$key - - extra") }
    }

    @Test
    fun `reminders wait for the next given hour`() {
        val zone = ZoneId.of("Asia/Shanghai")
        val nine = LocalTime.of(9, 0)
        assertEquals(Duration.ofHours(2), AppConfig.delayUntil(ZonedDateTime.of(2026, 11, 28, 7, 0, 0, 0, zone), nine))
        assertEquals(Duration.ofHours(23), AppConfig.delayUntil(ZonedDateTime.of(2026, 11, 28, 10, 0, 0, 0, zone), nine))
        assertEquals(Duration.ofHours(24), AppConfig.delayUntil(ZonedDateTime.of(2026, 11, 28, 9, 0, 0, 0, zone), nine))
    }
}
