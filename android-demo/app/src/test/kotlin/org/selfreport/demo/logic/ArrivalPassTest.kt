package org.selfreport.demo.logic

import com.google.zxing.BinaryBitmap
import com.google.zxing.DecodeHintType
import com.google.zxing.RGBLuminanceSource
import com.google.zxing.common.HybridBinarizer
import com.google.zxing.qrcode.QRCodeReader
import java.time.Clock
import java.time.Duration
import java.time.Instant
import java.time.ZoneId
import java.time.ZoneOffset
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.selfreport.SelfReportException

/** A clock a test moves. */
class MovableClock(var now: Instant) : Clock() {
    override fun instant(): Instant = now
    override fun getZone(): ZoneId = ZoneOffset.UTC
    override fun withZone(zone: ZoneId): Clock = this

    fun advance(by: Duration) {
        now = now.plus(by)
    }
}

/** The arrival pass screen: who it shows, its QR code, and when it is made again. */
class ArrivalPassTest {
    private val clock = MovableClock(Instant.parse("2026-11-28T01:00:00Z"))
    private val gateway = FakeGateway()
    private val labels = LabelPicker(listOf("en-US"))
    private val model = AppModel(gateway, FakeScheduler(), labels, Formatter(labels, ZoneId.of("Asia/Shanghai")), clock)
    private val core get() = gateway.core
    private val screen get() = model.state.value.screen
    private val pass get() = (screen as? Screen.ArrivalPass)?.pass ?: error("expected the pass, got $screen / ${model.state.value.message}")

    /** A profile that filed the traveler policy's pre-registration. */
    private suspend fun registered(): String {
        model.start()
        model.consent(Fixtures.POLICY_ID)
        core.policies += Fixtures.travelerPolicy()
        model.newProfile()
        model.editProfile(ProfileDraft(displayName = "Dad", name = "王建国", idNumber = "11010519491231002X"))
        model.saveProfile()
        val profile = model.state.value.profiles.single().id.value
        model.openForm(profile, Fixtures.TRAVELER_POLICY_ID, "arrival")
        model.edit("arrival_date", Input.Text(Fixtures.TODAY))
        model.submitForm()
        model.back()
        return profile
    }

    /** What a scanner reads back from [matrix] drawn at [scale] pixels a module. */
    private fun decode(matrix: QrMatrix, scale: Int): String {
        val side = matrix.pixelSide(scale)
        val source = RGBLuminanceSource(side, side, matrix.pixels(scale))
        val hints = mapOf(DecodeHintType.PURE_BARCODE to false, DecodeHintType.CHARACTER_SET to "UTF-8")
        return QRCodeReader().decode(BinaryBitmap(HybridBinarizer(source)), hints).text
    }

    @Test
    fun `a pass's QR code reads back as the pass text`() {
        val text = """{"format":"selfreport.arrival-pass/1","key":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",""" +
            """"policy_id":"sh-arrivals","pseudonym":"9f86d081884c7d659a2feaa0c55ad015",""" +
            """"shown_at":"2026-11-28T01:00:00Z","signature":"${"A".repeat(86)}"}"""
        val matrix = QrMatrix.of(text) ?: error("a pass fits a QR code")
        assertEquals(text, decode(matrix, 4))
        assertEquals(text, decode(matrix, 1), "one pixel a module still reads")
        assertTrue(matrix.size in 21..177 && (matrix.size - 17) % 4 == 0, "a QR code's side: ${matrix.size}")
        // Non-ASCII text (a policy id is ASCII, but nothing here relies on it) survives too.
        assertEquals("入境 arrival", decode(QrMatrix.of("入境 arrival")!!, 3))
        // Another text draws another code.
        assertNotEquals(decode(QrMatrix.of("$text ")!!, 2), text)
    }

    @Test
    fun `text too long for any QR code gives no matrix instead of a crash`() {
        assertNull(QrMatrix.of("x".repeat(8000)))
    }

    @Test
    fun `the pass shows the code and the registration's identity and is made again before it runs out`() = runBlocking<Unit> {
        val profile = registered()
        assertEquals(listOf(ArrivalPassTarget(profile, Fixtures.TRAVELER_POLICY_ID)), model.state.value.passTargets)
        model.openArrivalPass(profile, Fixtures.TRAVELER_POLICY_ID)
        val first = pass
        assertEquals("王建国", first.name)
        assertEquals("11010519491231002X", first.documentNumber)
        assertEquals("Shanghai arrivals (example)", first.issuer)
        assertEquals(first.passText, decode(first.matrix!!, 2))
        assertEquals(clock.now.plus(ArrivalPassModel.REFRESH_AFTER), first.refreshAt)
        assertTrue(ArrivalPassModel.REFRESH_AFTER < ArrivalPassModel.VALIDITY, "made again before the checkpoint refuses it")
        assertEquals(ArrivalPassModel.REFRESH_AFTER, ArrivalPassModel.untilRefresh(first, clock.now))

        // Asked too early (the screen's timer fires a little soon): the same pass stays.
        clock.advance(Duration.ofMinutes(7).plusSeconds(59))
        model.refreshArrivalPass()
        assertEquals(first, pass)
        assertEquals(1, core.passesMade)
        assertEquals(Duration.ofSeconds(1), ArrivalPassModel.untilRefresh(first, clock.now))

        clock.advance(Duration.ofSeconds(1))
        model.refreshArrivalPass()
        val second = pass
        assertNotEquals(first.passText, second.passText)
        assertEquals(2, core.passesMade)
        assertEquals(clock.now, second.madeAt)
        assertEquals(second.passText, decode(second.matrix!!, 2))

        // A clock set back before the pass was made also makes a new one.
        clock.now = second.madeAt.minusSeconds(60)
        assertTrue(ArrivalPassModel.needsRefresh(second, clock.now))
        assertEquals(Duration.ZERO, ArrivalPassModel.untilRefresh(second.copy(refreshAt = clock.now.minusSeconds(1)), clock.now))
    }

    @Test
    fun `the identity shown is the registration's answers before the profile's`() {
        val policy = Fixtures.travelerPolicy()
        val profile = org.selfreport.ProfileInfo(org.selfreport.ProfileId("p"), "Dad", "王建国", "11010519491231002X",
            null, null, "E12345678")
        assertEquals("王建国" to "11010519491231002X", ArrivalPassModel.identity(profile, policy, null))
        val record = org.selfreport.RecordInfo(org.selfreport.RecordId("r"), profile.id, policy.id, 1uL, "arrival",
            java.time.LocalDate.parse(Fixtures.TODAY), 1u, null, "2026-11-28T09:30:00+08:00",
            org.selfreport.RecordState.SAVED, mapOf("name" to "王建民", "id_number" to "310104199003152427"))
        assertEquals("王建民" to "310104199003152427", ArrivalPassModel.identity(profile, policy, record))
        val noId = profile.copy(idNumber = null)
        assertEquals("王建国" to "E12345678", ArrivalPassModel.identity(noId, policy, null), "a passport when no ID")
    }

    @Test
    fun `no pre-registration, or one from before passes, goes home with its message`() = runBlocking<Unit> {
        model.start()
        model.consent(Fixtures.POLICY_ID)
        core.policies += Fixtures.travelerPolicy()
        model.newProfile()
        model.editProfile(ProfileDraft(displayName = "Mum"))
        model.saveProfile()
        val profile = model.state.value.profiles.single().id.value
        assertTrue(model.state.value.passTargets.isEmpty())
        model.openArrivalPass(profile, Fixtures.TRAVELER_POLICY_ID)
        assertEquals(Screen.Home, screen)
        assertEquals(UiMessage(MessageCode.NO_PRE_REGISTRATION, "NotFound"), model.state.value.message)
    }

    @Test
    fun `a pass that can no longer be made ends the screen, and enrolling follows the pass`() = runBlocking<Unit> {
        val profile = registered()
        model.openArrivalPass(profile, Fixtures.TRAVELER_POLICY_ID)
        model.enrollAfterPass()
        assertEquals(profile, (screen as Screen.Enroll).enroll.profileId)
        assertEquals(Fixtures.TRAVELER_POLICY_ID, (screen as Screen.Enroll).enroll.policyId)

        model.openArrivalPass(profile, Fixtures.TRAVELER_POLICY_ID)
        core.records.clear()
        clock.advance(ArrivalPassModel.REFRESH_AFTER)
        model.refreshArrivalPass()
        assertEquals(Screen.Home, screen)
        assertEquals(MessageCode.NO_PRE_REGISTRATION, model.state.value.message?.code)
        assertFalse(core.passesMade > 2)
    }

    @Test
    fun `a pre-registration filed before passes says so`() = runBlocking<Unit> {
        val conflict = SelfReportException.Conflict("Conflict", "filed before arrival passes")
        val profile = registered()
        val failing: org.selfreport.SelfReportInterface = object : org.selfreport.SelfReportInterface by core {
            override fun arrivalPass(profileId: org.selfreport.ProfileId, policyId: String): String = throw conflict
        }
        val other = AppModel(object : CoreGateway by gateway {
            override suspend fun open(): org.selfreport.SelfReportInterface = failing
        }, FakeScheduler(), labels, Formatter(labels, ZoneId.of("Asia/Shanghai")), clock)
        other.start()
        other.openArrivalPass(profile, Fixtures.TRAVELER_POLICY_ID)
        assertEquals(Screen.Home, other.state.value.screen)
        assertEquals(UiMessage(MessageCode.PASS_UNAVAILABLE, "Conflict"), other.state.value.message)
    }
}
