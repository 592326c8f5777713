package org.selfreport.demo.logic

import kotlinx.coroutines.runBlocking
import java.io.File
import java.nio.file.Files
import java.time.LocalDate
import java.time.ZoneId
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.selfreport.MonitoringReason
import org.selfreport.OpenOptions
import org.selfreport.RecordState
import org.selfreport.SelfReport
import org.selfreport.SelfReportInterface
import org.selfreport.TrustAnchor
import org.selfreport.passphraseKeySource

/**
 * The demo's logic driving the real core (the host library) through the generated
 * bindings: the answer texts FormModel builds are accepted, the core's refusals land under
 * their field, the preview and ledger format, a wrong key leads to the reset.
 *
 * Runs where the Maven build in bindings/kotlin runs it (it sets `selfreport.target.dir`
 * to the cargo output holding libselfreport_ffi.so, selfreport-fixture and
 * selfreport-authority); skipped elsewhere (`./gradlew test` has no host library).
 */
class CoreIntegrationTest {
    private lateinit var work: File
    private lateinit var fixture: File
    private lateinit var gateway: DirGateway
    private lateinit var model: AppModel
    private val today: LocalDate = LocalDate.now()

    /** Opens the store in a directory with a passphrase key source (few iterations: a test). */
    class DirGateway(private val dir: String, private val options: OpenOptions, private val bundled: List<ByteArray>) : CoreGateway {
        var passphrase = "correct horse"
        private val opened = mutableListOf<SelfReport>()

        override suspend fun open(): SelfReportInterface =
            SelfReport.open(dir, passphraseKeySource(passphrase, 1_000u), options).also { opened += it }

        override suspend fun eraseStore() = org.selfreport.eraseStore(dir)

        override suspend fun release(core: SelfReportInterface) {
            (core as? SelfReport)?.close()
        }

        override fun bundledPolicies(): List<ByteArray> = bundled

        fun closeAll() = opened.forEach { it.close() }
    }

    private class NoWork : WorkScheduler {
        var requested = 0

        override fun requestSync() {
            requested++
        }

        override fun cancelSync() = Unit
    }

    private val screen get() = model.state.value.screen

    @BeforeEach
    fun setUp() {
        val target = System.getProperty("selfreport.target.dir")
        assumeTrue(target != null && File(target, "selfreport-fixture").canExecute(), "no host library and fixture binaries")
        work = Files.createTempDirectory("demo-logic-core").toFile()
        fixture = File(work, "fixture")
        run(File(target, "selfreport-fixture").path, "--out", fixture.path)

        // The traveler policy, made current and signed by the fixture's authority.
        val example = findUp("examples/policies/traveler-preregistration.json")
        val current = example.readText()
            .replace(Regex(""""valid_from":\s*"[0-9-]+""""), """"valid_from": "${today.minusDays(30)}"""")
            .replace(Regex(""""valid_until":\s*"[0-9-]+""""), """"valid_until": "${today.plusDays(180)}"""")
        val traveler = File(work, "traveler.json").apply { writeText(current) }
        val travelerSigned = File(work, "traveler.signed.json")
        run(
            File(target, "selfreport-authority").path, "sign-policy",
            "--key", File(fixture, "authority/signing.key").path,
            "--in", traveler.path, "--out", travelerSigned.path,
        )

        val anchor = File(fixture, "authority/signing.pub").readText().trim()
        val options = OpenOptions(listOf(TrustAnchor(anchor, null, null)), emptyList())
        gateway = DirGateway(
            File(work, "store").path,
            options,
            listOf(File(fixture, "policy.signed.json").readBytes(), travelerSigned.readBytes()),
        )
        val labels = LabelPicker(listOf("en"))
        model = AppModel(gateway, NoWork(), labels, Formatter(labels, ZoneId.systemDefault()))
    }

    @AfterEach
    fun tearDown() {
        if (::gateway.isInitialized) gateway.closeAll()
        if (::work.isInitialized) work.deleteRecursively()
    }

    private suspend fun startWithProfile(): String {
        model.start()
        while (screen is Screen.Onboarding) model.consent((screen as Screen.Onboarding).policy.id)
        assertEquals(Screen.Home, screen)
        assertTrue(model.state.value.policies.all { it.consented })
        model.newProfile()
        model.editProfile(
            ProfileDraft(displayName = "Mum", name = "王芳", idNumber = "11010519491231002X", phone = "+86 138 0013 8000",
                birthDate = "1949-12-31"),
        )
        model.saveProfile()
        assertEquals(Screen.Home, screen, "${model.state.value.message}")
        return model.state.value.profiles.single().id.value
    }

    @Test
    fun `a daily report built by the form model is saved and previewed by the real core`() = runBlocking<Unit> {
        val profile = startWithProfile()
        model.startMonitoring(profile, "sh-daily-health", MonitoringReason.ARRIVAL)
        val due = model.state.value.due.single()
        assertEquals("Daily health report", due.formTitle)
        model.openDue(due)
        model.edit("temperature", Input.Text("37.6"))
        model.edit("symptoms", Input.Codes(setOf("fatigue", "cough")))
        model.edit("district", Input.Text("310104"))
        model.edit("contact_with_case", Input.YesNo(false))
        model.edit("notes", Input.Text("kept on the phone"))
        model.submitForm()

        val preview = screen as? Screen.Preview ?: error("expected the preview, got $screen / ${model.state.value.message}")
        assertEquals(setOf("health", "identity"), preview.model.sections.map { it.recipient }.toSet())
        val health = preview.model.sections.first { it.recipient == "health" }
        val temperature = health.rows.first { it.fieldId == "temperature" }
        assertEquals(PreviewStatus.SENT_REDUCED, temperature.status)
        assertEquals("true", temperature.after)
        assertTrue(health.json.contains("\"symptoms\":[\"cough\",\"fatigue\"]"), health.json)
        assertEquals(listOf("notes"), preview.model.staysOnDevice.map { it.fieldId })
        assertTrue(preview.model.sections.none { it.json.contains("kept on the phone") })

        model.send()
        assertEquals(RecordState.SAVED, model.state.value.records.single().state)

        // Reopening the day's form reads the core's stored answers back into the same inputs.
        model.openForm(profile, "sh-daily-health", "daily")
        val form = (screen as Screen.Form).form
        assertEquals(Input.Codes(setOf("cough", "fatigue")), form.field("symptoms")?.input)
        assertEquals(Input.YesNo(false), form.field("contact_with_case")?.input)
        assertEquals(Input.Text("37.6"), form.field("temperature")?.input)
    }

    @Test
    fun `a travel history and transport number are accepted and reduced as the policy says`() = runBlocking<Unit> {
        val profile = startWithProfile()
        model.openForm(profile, "sh-arrivals", "arrival")
        model.edit("travel", Input.Legs(listOf(TravelLeg("420102", "${today.minusDays(8)}", "${today.minusDays(6)}"))))
        model.edit("arrival_date", Input.Text("$today"))
        model.edit("transport_number", Input.Text("ca 1234"))
        model.submitForm()

        val preview = screen as? Screen.Preview ?: error("expected the preview, got $screen / ${model.state.value.message}")
        val travel = preview.model.sections.flatMap { it.rows }.first { it.fieldId == "travel" }
        assertEquals(PreviewStatus.SENT_REDUCED, travel.status)
        assertTrue(travel.after.orEmpty().contains("true"), "a listed risk area was visited: ${travel.after}")
        assertTrue(preview.model.sections.none { it.json.contains("420102") }, "the place itself never leaves")
        val identity = preview.model.sections.first { it.recipient == "identity" }
        assertTrue(identity.json.contains("CA1234"), identity.json)
    }

    @Test
    fun `the core's refusals land under their field with the hint of their rule`() = runBlocking<Unit> {
        val profile = startWithProfile()
        model.openForm(profile, "sh-daily-health", "daily")
        model.edit("temperature", Input.Text("36.6"))
        model.edit("contact_with_case", Input.YesNo(false))
        model.edit("district", Input.Text("990000"))
        model.submitForm()
        val hint = (screen as Screen.Form).form.field("district")?.hint
        assertEquals(HintCode.DISTRICT_UNKNOWN, hint?.code, "$hint")
        assertNotNull(hint?.detail)

        model.back()
        model.newProfile()
        model.editProfile(ProfileDraft(displayName = "Dad", idNumber = "11010519491231002X", birthDate = "1950-01-01"))
        model.saveProfile()
        val editor = screen as Screen.ProfileEditor
        assertEquals(HintCode.BIRTH_DATE_MISMATCH, editor.hints.values.single().code, "${editor.hints}")
    }

    @Test
    fun `a store the key does not open leads to the reset, which starts afresh`() = runBlocking<Unit> {
        startWithProfile()
        model.openLedger()
        val ledger = screen as Screen.Ledger
        assertTrue(ledger.status.valid)
        assertEquals(listOf(LedgerKind.CONSENT_GRANTED, LedgerKind.CONSENT_GRANTED), ledger.rows.map { it.kind })

        gateway.closeAll()
        gateway.passphrase = "battery staple"
        model.start()
        assertEquals(MessageCode.KEY_WRONG, (screen as Screen.CannotOpen).message.code)
        model.resetAfterKeyLoss()
        assertTrue(screen is Screen.Onboarding, "an empty store asks for consent again: $screen")
        assertTrue(model.state.value.profiles.isEmpty())
    }

    @Test
    fun `export and erase go through the real core`() = runBlocking<Unit> {
        startWithProfile()
        model.export()
        val export = model.state.value.pendingExport
        assertNotNull(export)
        assertTrue(export!!.json.contains("王芳"), "the export is the person's data, decrypted")
        model.openSettings()
        model.erase()
        assertEquals(Screen.Erased, screen)
        val store = File(work, "store")
        assertTrue(!store.exists() || store.listFiles().isNullOrEmpty(), "nothing of the store is left: ${store.list()?.toList()}")
    }

    @Test
    fun `a pre-registration under a policy-2 shows a pass the device alone could sign, then its order enrolls`() =
        runBlocking<Unit> {
            // The sh-arrivals policy as selfreport.policy/2: an open pre-registration, a daily
            // form only enrolled people file (the fixture signs it and an order for it).
            val arrivals = DirGateway(
                File(work, "arrivals-store").path,
                OpenOptions(listOf(TrustAnchor(File(fixture, "authority/signing.pub").readText().trim(), null, null)), emptyList()),
                listOf(File(fixture, "enrollment-policy.signed.json").readBytes()),
            )
            val labels = LabelPicker(listOf("en"))
            val model = AppModel(arrivals, NoWork(), labels, Formatter(labels, ZoneId.systemDefault()))
            try {
                model.start()
                while (model.state.value.screen is Screen.Onboarding) {
                    model.consent((model.state.value.screen as Screen.Onboarding).policy.id)
                }
                model.newProfile()
                model.editProfile(ProfileDraft(displayName = "Dad", name = "王建国", idNumber = "11010519491231002X",
                    phone = "+86 138 0013 8000", birthDate = "1949-12-31"))
                model.saveProfile()
                val profile = model.state.value.profiles.single().id.value
                assertTrue(model.state.value.passTargets.isEmpty(), "no pass before the registration")
                model.openArrivalPass(profile, "sh-arrivals")
                assertEquals(MessageCode.NO_PRE_REGISTRATION, model.state.value.message?.code)

                model.openForm(profile, "sh-arrivals", "arrival")
                model.edit("travel", Input.Legs(listOf(TravelLeg("420102", "${today.minusDays(8)}", "${today.minusDays(6)}"))))
                model.edit("arrival_date", Input.Text("$today"))
                model.edit("transport_number", Input.Text("CA1234"))
                model.submitForm()
                val preview = model.state.value.screen as? Screen.Preview
                    ?: error("expected the preview, got ${model.state.value.screen} / ${model.state.value.message}")
                model.back()
                assertEquals(listOf(ArrivalPassTarget(profile, "sh-arrivals")), model.state.value.passTargets)

                val before = java.time.Instant.now().minusSeconds(2)
                model.openArrivalPass(profile, "sh-arrivals")
                val pass = (model.state.value.screen as? Screen.ArrivalPass)?.pass
                    ?: error("expected the pass, got ${model.state.value.screen} / ${model.state.value.message}")
                assertEquals("王建国", pass.name)
                assertEquals("11010519491231002X", pass.documentNumber)

                // The pass is what docs/protocol.md says, checked here with the JDK alone.
                val json = kotlinx.serialization.json.Json.parseToJsonElement(pass.passText).let {
                    it as kotlinx.serialization.json.JsonObject
                }
                fun member(name: String) = (json[name] as kotlinx.serialization.json.JsonPrimitive).content
                assertEquals(listOf("format", "key", "policy_id", "pseudonym", "shown_at", "signature"), json.keys.toList(),
                    "canonical: these members in byte order, no others")
                assertEquals("selfreport.arrival-pass/1", member("format"))
                assertEquals("sh-arrivals", member("policy_id"))
                val key = java.util.Base64.getUrlDecoder().decode(member("key"))
                assertEquals(32, key.size)
                val digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest("selfreport.pseudonym/1\n".toByteArray() + key)
                val pseudonym = member("pseudonym")
                assertEquals(digest.copyOf(16).joinToString("") { "%02x".format(it) }, pseudonym,
                    "the pseudonym commits to the pass's key")
                assertTrue(preview.model.sections.any { it.json.contains(pseudonym) },
                    "the registration the drop box receives carries the same pseudonym")
                val shownAt = java.time.Instant.parse(member("shown_at"))
                assertTrue(!shownAt.isBefore(before.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)) &&
                    !shownAt.isAfter(java.time.Instant.now().plusSeconds(2)), "shown now: $shownAt")
                val verifier = java.security.Signature.getInstance("Ed25519")
                verifier.initVerify(ed25519PublicKey(key))
                verifier.update("selfreport.arrival-pass/1\nsh-arrivals\n$pseudonym\n${member("shown_at")}".toByteArray())
                assertTrue(verifier.verify(java.util.Base64.getUrlDecoder().decode(member("signature"))), "signed by that key")
                val matrix = pass.matrix ?: error("a pass fits a QR code")
                val side = matrix.pixelSide(2)
                val read = com.google.zxing.qrcode.QRCodeReader().decode(
                    com.google.zxing.BinaryBitmap(com.google.zxing.common.HybridBinarizer(
                        com.google.zxing.RGBLuminanceSource(side, side, matrix.pixels(2)),
                    )),
                ).text
                assertEquals(pass.passText, read, "the QR code holds the pass")

                // On to the order: a typo in a typed code is the core's to find, before any network.
                model.enrollAfterPass()
                val body = "7K3QD9XW2M"
                model.editEnrollmentCode(body + wrongCheckSymbol(body))
                model.redeemEnrollmentCode()
                val typo = (model.state.value.screen as Screen.Enroll).enroll.problem
                assertEquals(UiMessage(MessageCode.ENROLL_CODE_MALFORMED, "EnrollmentCodeMalformed"), typo)

                // An order by a key the app does not trust is refused; the collector's enrolls.
                model.enrollScanned(File(fixture, "order.untrusted.json").readText())
                val untrusted = (model.state.value.screen as Screen.Enroll).enroll.problem
                assertEquals(UiMessage(MessageCode.ENROLL_ORDER_UNTRUSTED, "EnrollmentBadSignature"), untrusted)
                model.enrollScanned(File(fixture, "order.json").readText())
                assertEquals(Screen.Home, model.state.value.screen, "${model.state.value.message}")
                assertEquals(MessageCode.ENROLLED, model.state.value.message?.code)
                assertEquals("310101", model.state.value.message?.detail)
                assertTrue(model.state.value.due.any { it.profileId == profile && it.formId == "daily" },
                    "the daily report is due under the order: ${model.state.value.due}")
            } finally {
                arrivals.closeAll()
            }
        }

    /** An Ed25519 public key from its 32 raw bytes, through the X.509 form the JDK reads. */
    private fun ed25519PublicKey(raw: ByteArray): java.security.PublicKey {
        val prefix = byteArrayOf(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00)
        return java.security.KeyFactory.getInstance("Ed25519")
            .generatePublic(java.security.spec.X509EncodedKeySpec(prefix + raw))
    }

    /**
     * A check symbol that is not [body]'s: its Damm check (docs/protocol.md, "Typed
     * enrollment codes") computed here, then the next symbol of the alphabet.
     */
    private fun wrongCheckSymbol(body: String): Char {
        val alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
        fun double(value: Int) = (value shl 1).let { if (it and 32 != 0) (it xor 0b100101) and 31 else it }
        val interim = body.fold(0) { acc, symbol -> double(acc) xor alphabet.indexOf(symbol) }
        return alphabet[(double(interim) + 1) % 32]
    }

    private fun run(vararg command: String) {
        val process = ProcessBuilder(*command).redirectErrorStream(true).start()
        val output = process.inputStream.bufferedReader().readText()
        check(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0) { "${command.joinToString(" ")}: $output" }
    }

    /** [relative] in the repository: searched above the working directory, then above the cargo output. */
    private fun findUp(relative: String): File {
        val starts = listOfNotNull(System.getProperty("user.dir"), System.getProperty("selfreport.target.dir"))
        for (start in starts) {
            var dir: File? = File(start).absoluteFile
            while (dir != null) {
                File(dir, relative).takeIf { it.isFile }?.let { return it }
                dir = dir.parentFile
            }
        }
        error("$relative not found above $starts")
    }
}
