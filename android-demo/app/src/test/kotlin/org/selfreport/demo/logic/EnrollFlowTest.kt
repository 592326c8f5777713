package org.selfreport.demo.logic

import java.time.ZoneId
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.yield
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.selfreport.MonitoringReason
import org.selfreport.SelfReportException

/** Enrolling with a scanned order or a typed code, against the fake core. */
class EnrollFlowTest {
    private val gateway = FakeGateway()
    private val labels = LabelPicker(listOf("en-US"))
    private val model = AppModel(gateway, FakeScheduler(), labels, Formatter(labels, ZoneId.of("Asia/Shanghai")))
    private val core get() = gateway.core
    private val screen get() = model.state.value.screen
    private val enroll get() = (screen as? Screen.Enroll)?.enroll ?: error("expected the enrollment screen, got $screen")

    private suspend fun startAtEnroll(): String {
        model.start()
        model.consent(Fixtures.POLICY_ID)
        core.policies += Fixtures.travelerPolicy()
        model.newProfile()
        model.editProfile(ProfileDraft(displayName = "Dad", name = "王建国"))
        model.saveProfile()
        val profile = model.state.value.profiles.single().id.value
        assertTrue(EnrollTarget(profile, Fixtures.TRAVELER_POLICY_ID) in model.state.value.enrollTargets)
        model.openEnroll(profile, Fixtures.TRAVELER_POLICY_ID)
        assertEquals("Dad", enroll.profileName)
        assertEquals("Shanghai arrivals (example)", enroll.issuer)
        return profile
    }

    @Test
    fun `policies with a form filed during monitoring are offered for enrollment, others not`() {
        val registrationOnly = Fixtures.travelerPolicy().copy(id = "intake", forms = listOf(Fixtures.arrivalForm))
        val offered = EnrollModel.policiesToEnroll(listOf(Fixtures.policy(), registrationOnly, Fixtures.travelerPolicy()))
        assertEquals(listOf(Fixtures.POLICY_ID, Fixtures.TRAVELER_POLICY_ID), offered.map { it.id })
    }

    @Test
    fun `a scanned order the core trusts starts the monitoring period and says where`() = runBlocking<Unit> {
        val profile = startAtEnroll()
        model.enrollScanned("  ${Fixtures.GOOD_ORDER}\n")
        assertEquals(Screen.Home, screen)
        assertEquals(UiMessage(MessageCode.ENROLLED, "310101", 14), model.state.value.message)
        val period = core.monitoring.single()
        assertEquals(profile, period.profileId.value)
        assertEquals(MonitoringReason.ARRIVAL, period.reason)
        assertEquals(listOf(profile), model.state.value.due.map { it.profileId }, "the daily report is due now")
    }

    @Test
    fun `a scanned order the core refuses stays on the screen with the reason`() = runBlocking<Unit> {
        startAtEnroll()
        model.enrollScanned("""{"format":"selfreport.signed/1","key_id":"other","payload":"eA"}""")
        assertEquals(UiMessage(MessageCode.ENROLL_ORDER_UNTRUSTED, "EnrollmentBadSignature"), enroll.problem)
        model.enrollScanned("https://example.org/not-an-order")
        assertEquals(UiMessage(MessageCode.ENROLL_NOT_AN_ORDER, "EnrollmentMalformed"), enroll.problem)
        assertTrue(core.monitoring.isEmpty())

        model.enrollScanned(Fixtures.GOOD_ORDER)
        model.openEnroll(model.state.value.profiles.single().id.value, Fixtures.TRAVELER_POLICY_ID)
        model.enrollScanned(Fixtures.GOOD_ORDER)
        assertEquals(UiMessage(MessageCode.ENROLL_ALREADY_MONITORED, "Conflict"), enroll.problem)
        assertEquals(1, core.monitoring.size)
    }

    @Test
    fun `a typed code is formatted as typed, redeemed normalized, and enrolls`() = runBlocking<Unit> {
        startAtEnroll()
        model.editEnrollmentCode("7k3qd9")
        assertEquals("7K3QD-9", enroll.code)
        assertFalse(enroll.canRedeem)
        model.editEnrollmentCode("7k3qd 9xw2m 4")
        assertEquals("7K3QD-9XW2M-4", enroll.code)
        assertTrue(enroll.canRedeem)
        model.redeemEnrollmentCode()
        assertEquals(listOf("7K3QD9XW2M4"), core.redeemed)
        assertEquals(Screen.Home, screen)
        assertEquals(MessageCode.ENROLLED, model.state.value.message?.code)
        assertEquals(1, core.monitoring.size)
    }

    @Test
    fun `while the drop box redeems a code the screen is busy and cannot send it twice`() = runBlocking<Unit> {
        startAtEnroll()
        val gate = CompletableDeferred<Unit>()
        core.redemptionGate = gate
        model.editEnrollmentCode(Fixtures.GOOD_CODE)
        val redeeming = async { model.redeemEnrollmentCode() }
        while (core.redeemed.isEmpty()) yield()
        assertTrue(enroll.busy)
        assertFalse(enroll.canRedeem, "the button is off while a redemption runs")
        gate.complete(Unit)
        redeeming.await()
        assertEquals(Screen.Home, screen)
        assertEquals(listOf("7K3QD9XW2M4"), core.redeemed, "sent once")
    }

    @Test
    fun `an incomplete code is not sent, and each refusal of a code has its own message`() = runBlocking<Unit> {
        startAtEnroll()
        model.editEnrollmentCode("7K3QD-9XW2M")
        model.redeemEnrollmentCode()
        assertEquals(MessageCode.ENROLL_CODE_MALFORMED, enroll.problem?.code)
        assertTrue(core.redeemed.isEmpty(), "nothing reached the core")

        model.editEnrollmentCode("ABCDE-FGHJK-M")
        assertNull(enroll.problem, "typing clears the last refusal")
        model.redeemEnrollmentCode()
        assertEquals(UiMessage(MessageCode.ENROLL_CODE_UNKNOWN, "EnrollmentCodeUnknown"), enroll.problem)
        assertFalse(enroll.busy)

        core.failNextRedemption = SelfReportException.Network(
            "EnrollmentCodeRateLimited", "too many codes tried; try again in 42 s",
        )
        model.redeemEnrollmentCode()
        assertEquals(UiMessage(MessageCode.ENROLL_RATE_LIMITED, "42", 42), enroll.problem)

        core.failNextRedemption = SelfReportException.Network("Timeout", "the drop box did not answer")
        model.redeemEnrollmentCode()
        assertEquals(UiMessage(MessageCode.ENROLL_UNREACHABLE, "Timeout"), enroll.problem)
        assertTrue(core.monitoring.isEmpty())
        assertTrue(screen is Screen.Enroll, "the person can try again")
    }

    @Test
    fun `a wrong check symbol, which only the core finds, lands under the field`() = runBlocking<Unit> {
        startAtEnroll()
        // Eleven symbols of the alphabet: the app sends it; the core's check symbol refuses it.
        core.failNextRedemption = SelfReportException.InvalidInput(
            "EnrollmentCodeMalformed", "code", "EnrollmentCodeMalformed", "wrong check symbol",
        )
        model.editEnrollmentCode("7K3QD-9XW2M-5")
        model.redeemEnrollmentCode()
        assertEquals(UiMessage(MessageCode.ENROLL_CODE_MALFORMED, "EnrollmentCodeMalformed"), enroll.problem)
        assertEquals("7K3QD-9XW2M-5", enroll.code, "the code stays for the person to correct")
        assertTrue(core.monitoring.isEmpty())
    }

    @Test
    fun `refusals map to distinct messages and errors about the store are left to the app`() {
        fun refused(code: String) = EnrollModel.refusal(SelfReportException.PolicyRefused(code, "detail"))?.code
        assertEquals(MessageCode.ENROLL_ORDER_OUTSIDE_POLICY, refused("EnrollmentOutsidePolicy"))
        assertEquals(MessageCode.ENROLL_ORDER_UNTRUSTED, refused("EnrollmentBadSignature"))
        assertEquals(MessageCode.ENROLL_NOT_AN_ORDER, refused("EnrollmentMalformed"))
        assertEquals(
            MessageCode.ENROLL_POLICY_MISSING,
            EnrollModel.refusal(SelfReportException.NotFound("NotFound", "no policy sh-other"))?.code,
        )
        assertNull(EnrollModel.refusal(SelfReportException.KeyUnavailable("KeyUnavailable", "gone")))
        assertNull(EnrollModel.refusal(SelfReportException.Internal("Internal", "bug")))
        assertNull(EnrollModel.retryAfterSeconds("try again later"))
    }

    @Test
    fun `a failed scan says to type the code instead`() = runBlocking<Unit> {
        startAtEnroll()
        model.scanFailed()
        assertEquals(UiMessage(MessageCode.SCAN_FAILED), enroll.problem)
    }
}
