package org.selfreport.demo.logic

import java.time.Duration
import java.time.LocalTime
import java.time.ZonedDateTime
import org.selfreport.TrustAnchor

/** A line of the trust anchor file that could not be read. */
class TrustAnchorFormatException(val line: Int, message: String) : Exception("line $line: $message")

/** Configuration the app ships: trust anchors, and when reminders fire. */
object AppConfig {
    private val BASE64 = Regex("""[A-Za-z0-9+/]{43}=""")

    /**
     * Reads the trust anchor file shipped in the app's assets (`trust-anchors.txt`): one
     * anchor per line, `PUBLIC_KEY [NOT_BEFORE [NOT_AFTER]]`, the key in standard base64
     * as `selfreport-authority keygen` writes it, dates `YYYY-MM-DD` (`-` for none).
     * Blank lines and lines starting with `#` are skipped. A malformed line throws:
     * an app must not start with a trust list it misread.
     */
    fun parseTrustAnchors(text: String): List<TrustAnchor> =
        text.lines().mapIndexedNotNull { index, raw ->
            val line = raw.trim()
            if (line.isEmpty() || line.startsWith("#")) return@mapIndexedNotNull null
            val parts = line.split(Regex("""\s+"""))
            if (parts.size > 3) throw TrustAnchorFormatException(index + 1, "expected KEY [NOT_BEFORE [NOT_AFTER]]")
            if (!BASE64.matches(parts[0])) {
                throw TrustAnchorFormatException(index + 1, "not a base64 Ed25519 public key")
            }
            fun date(position: Int): java.time.LocalDate? {
                val value = parts.getOrNull(position) ?: return null
                if (value == "-") return null
                return FormModel.parseDate(value) ?: throw TrustAnchorFormatException(index + 1, "not a date: $value")
            }
            TrustAnchor(publicKey = parts[0], notBefore = date(1), notAfter = date(2))
        }

    /** How long from [now] until the next [at] o'clock in [now]'s zone (today's if still ahead). */
    fun delayUntil(now: ZonedDateTime, at: LocalTime): Duration {
        var next = now.with(at)
        if (!next.isAfter(now)) next = next.plusDays(1)
        return Duration.between(now, next)
    }
}
