package org.selfreport.demo.logic

import kotlinx.coroutines.runBlocking
import java.time.ZoneId
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.selfreport.MonitoringReason
import org.selfreport.RecordState
import org.selfreport.SelfReportException

class AppModelTest {
    private val gateway = FakeGateway()
    private val scheduler = FakeScheduler()
    private val labels = LabelPicker(listOf("en-US"))
    private val model = AppModel(gateway, scheduler, labels, Formatter(labels, ZoneId.of("Asia/Shanghai")))

    private val screen get() = model.state.value.screen

    private suspend fun startConsented(): String {
        model.start()
        model.consent(Fixtures.POLICY_ID)
        model.newProfile()
        model.editProfile(ProfileDraft(displayName = "Mum", name = "王芳"))
        model.saveProfile()
        val profile = model.state.value.profiles.single().id.value
        model.startMonitoring(profile, Fixtures.POLICY_ID, MonitoringReason.ARRIVAL)
        return profile
    }

    private fun fillDaily() {
        model.edit("temperature", Input.Text("37.6"))
        model.edit("symptoms", Input.Codes(setOf("cough")))
        model.edit("contact_with_case", Input.YesNo(false))
        model.edit("notes", Input.Text("kept here"))
    }

    @Test
    fun `first start installs the shipped policy and asks for consent with issuer and purpose`() = runBlocking<Unit> {
        model.start()
        val onboarding = screen as Screen.Onboarding
        assertEquals("Shanghai Epidemic Control Office (example)", onboarding.policy.issuer)
        assertEquals("Epidemic control only", onboarding.policy.purpose)
        assertEquals("report.example.org", onboarding.policy.endpointHost)
        assertEquals(28, onboarding.policy.deviceRetentionDays)
        assertFalse(onboarding.policy.consented)
        model.consent(Fixtures.POLICY_ID)
        assertEquals(Screen.Home, screen)
        assertTrue(model.state.value.policies.single().consented)
        model.start()
        assertEquals(Screen.Home, screen, "consent is asked once")
        assertEquals(1, gateway.core.policies.size, "the shipped policy is installed once")
    }

    @Test
    fun `a refused shipped policy is reported, not installed`() = runBlocking<Unit> {
        gateway.bundled = listOf("forged".toByteArray())
        model.start()
        assertEquals(Screen.Home, screen)
        assertEquals(UiMessage(MessageCode.NO_POLICY), model.state.value.message)
        assertTrue(model.state.value.policies.isEmpty())
    }

    @Test
    fun `a lost key leads to the reset, which erases the store and starts afresh`() = runBlocking<Unit> {
        gateway.openError = SelfReportException.KeyUnavailable("KeyUnavailable", "key permanently invalidated")
        model.start()
        assertEquals(Screen.CannotOpen(UiMessage(MessageCode.KEY_UNAVAILABLE, "KeyUnavailable")), screen)
        model.back()
        assertTrue(screen is Screen.CannotOpen, "no way around the reset screen")
        model.resetAfterKeyLoss()
        assertEquals(1, gateway.storeErased)
        assertEquals(1, scheduler.cancels)
        assertTrue(screen is Screen.Onboarding)
    }

    @Test
    fun `a refresh from a background sync leaves a store that failed to open alone`() = runBlocking<Unit> {
        gateway.openError = SelfReportException.KeyUnavailable("KeyUnavailable", "gone")
        model.start()
        val before = model.state.value
        model.refresh()
        assertEquals(before, model.state.value)
    }

    @Test
    fun `a passing key failure can be retried`() = runBlocking<Unit> {
        gateway.openError = SelfReportException.KeySourceFailed("KeySourceFailed", "user not authenticated")
        model.start()
        assertEquals(MessageCode.KEY_SOURCE_FAILED, (screen as Screen.CannotOpen).message.code)
        gateway.openError = null
        model.start()
        assertTrue(screen is Screen.Onboarding)
        assertEquals(0, gateway.storeErased)
    }

    @Test
    fun `profiles are checked before the core sees them and refusals land under their attribute`() = runBlocking<Unit> {
        model.start()
        model.notNow()
        model.newProfile()
        model.saveProfile()
        assertEquals(mapOf(ProfileModel.DISPLAY_NAME to Hint(HintCode.REQUIRED)), (screen as Screen.ProfileEditor).hints)
        model.editProfile(ProfileDraft(displayName = "Dad"))
        assertTrue((screen as Screen.ProfileEditor).hints.isEmpty(), "an edited attribute loses its hint")
        model.saveProfile()
        assertEquals(Screen.Home, screen)
        assertEquals(listOf("Dad"), model.state.value.profiles.map { it.displayName })
        assertEquals(MessageCode.PROFILE_ADDED, model.state.value.message?.code)
    }

    @Test
    fun `a due report opens its form, saves, and shows what will be shared`() = runBlocking<Unit> {
        val profile = startConsented()
        val due = model.state.value.due.single()
        assertEquals("Mum", due.profileName)
        model.openDue(due)
        val form = (screen as Screen.Form).form
        assertEquals(profile, form.profileId)
        assertEquals(Fixtures.TODAY, form.date)
        model.submitForm()
        assertTrue((screen as Screen.Form).form.hasHints, "required answers are asked for first")
        assertTrue(gateway.core.savedAnswers.isEmpty())
        fillDaily()
        model.submitForm()
        assertEquals(
            mapOf("temperature" to "37.6", "symptoms" to "cough", "contact_with_case" to "no", "notes" to "kept here"),
            gateway.core.savedAnswers.single(),
        )
        val preview = screen as Screen.Preview
        assertEquals(listOf("health"), preview.model.sections.map { it.recipient })
        assertEquals("true", preview.model.sections.single().rows.single().after)
        assertEquals(listOf("notes"), preview.model.staysOnDevice.map { it.fieldId })
        assertTrue(model.state.value.due.isEmpty())
        assertEquals(RecordState.SAVED, model.state.value.records.single().state)
    }

    @Test
    fun `reopening the day's form amends the saved record`() = runBlocking<Unit> {
        val profile = startConsented()
        model.openForm(profile, Fixtures.POLICY_ID, "daily")
        fillDaily()
        model.submitForm()
        model.back()
        model.openForm(profile, Fixtures.POLICY_ID, "daily")
        val form = (screen as Screen.Form).form
        assertEquals(Input.Text("37.6"), form.field("temperature")?.input)
        model.edit("temperature", Input.Text("36.8"))
        model.submitForm()
        assertEquals(1, gateway.core.records.size)
        assertEquals("36.8", gateway.core.records.single().answers["temperature"])
    }

    @Test
    fun `a refusal from the core appears under its field and nothing moves on`() = runBlocking<Unit> {
        val profile = startConsented()
        model.openForm(profile, Fixtures.POLICY_ID, "daily")
        fillDaily()
        model.edit("district", Input.Text("990000"))
        gateway.core.failNextSave =
            SelfReportException.InvalidInput("InvalidInput", "district", "UnknownProvince", "unknown province")
        model.submitForm()
        val form = (screen as Screen.Form).form
        assertEquals(Hint(HintCode.DISTRICT_UNKNOWN, detail = "unknown province"), form.field("district")?.hint)
        gateway.core.failNextSave = SelfReportException.Integrity("Corrupt", "damaged row")
        model.submitForm()
        assertTrue(screen is Screen.Form)
        assertEquals(UiMessage(MessageCode.INTEGRITY, "Corrupt"), model.state.value.message)
    }

    @Test
    fun `sending asks for a background sync only with consent`() = runBlocking<Unit> {
        model.start()
        model.notNow()
        model.newProfile()
        model.editProfile(ProfileDraft(displayName = "Me"))
        model.saveProfile()
        val profile = model.state.value.profiles.single().id.value
        model.openForm(profile, Fixtures.POLICY_ID, "daily")
        fillDaily()
        model.submitForm()
        val recordId = (screen as Screen.Preview).recordId
        model.send()
        assertEquals(0, scheduler.syncRequests)
        assertEquals(MessageCode.CONSENT_NEEDED, model.state.value.message?.code)
        assertTrue(screen is Screen.Onboarding)
        model.consent(Fixtures.POLICY_ID)
        model.openPreview(recordId)
        model.send()
        assertEquals(1, scheduler.syncRequests)
        assertEquals(Screen.Home, screen)
        assertEquals(MessageCode.QUEUED_FOR_SENDING, model.state.value.message?.code)
    }

    @Test
    fun `the ledger shows consent entries and its verification`() = runBlocking<Unit> {
        startConsented()
        model.openLedger()
        val ledger = screen as Screen.Ledger
        assertEquals(LedgerKind.CONSENT_GRANTED, ledger.rows.single().kind)
        assertTrue(ledger.status.valid)
        model.withdrawConsent(Fixtures.POLICY_ID)
        assertEquals(UiMessage(MessageCode.CONSENT_WITHDRAWN, count = 2), model.state.value.message)
        assertFalse(model.state.value.policies.single().consented)
    }

    @Test
    fun `export hands the JSON to the UI once`() = runBlocking<Unit> {
        startConsented()
        model.export()
        assertEquals(ExportFile("selfreport-export-2026-11-28.json", gateway.core.exportJson), model.state.value.pendingExport)
        model.exportHandled()
        assertNull(model.state.value.pendingExport)
    }

    @Test
    fun `erase cancels background sync, closes the store and starts again empty`() = runBlocking<Unit> {
        startConsented()
        model.erase()
        assertTrue(gateway.core.erased)
        assertEquals(listOf(gateway.core), gateway.released)
        assertEquals(1, scheduler.cancels)
        assertEquals(Screen.Erased, screen)
        assertTrue(model.state.value.profiles.isEmpty())
        model.openLedger()
        assertEquals(Screen.Erased, screen, "nothing reaches an erased store")
        gateway.core = FakeCore()
        model.start()
        assertTrue(screen is Screen.Onboarding)
    }
}
