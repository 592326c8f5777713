package org.selfreport.demo.logic

import org.selfreport.SubmissionId
import org.selfreport.RecordId
import org.selfreport.ProfileId
import java.time.LocalDate
import java.time.ZoneId
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import org.selfreport.DisclosedField
import org.selfreport.DueItem
import org.selfreport.LedgerCheck
import org.selfreport.LedgerEntry
import org.selfreport.LedgerEvent
import org.selfreport.Preview
import org.selfreport.PreviewField
import org.selfreport.PreviewPart
import org.selfreport.ProfileInfo
import org.selfreport.RecordInfo
import org.selfreport.RecordState

class FormattingTest {
    private val shanghai = ZoneId.of("Asia/Shanghai")
    private val en = Formatter(LabelPicker(listOf("en")), shanghai)
    private val zh = Formatter(LabelPicker(listOf("zh-CN")), shanghai)
    private val policies = listOf(Fixtures.policy(consented = true))

    private val preview = Preview(
        fields = listOf(
            PreviewField("name", mapOf("en" to "Name", "zh" to "姓名"), "identity", "keep", "王芳", "\"王芳\""),
            PreviewField("phone", mapOf("en" to "Phone"), "identity", "keep", null, null),
            PreviewField("temperature", mapOf("en" to "Temperature"), "health", "threshold", "37.6", "true"),
            PreviewField("district", mapOf("en" to "District"), "health", "generalize", "310104", "\"310100\""),
            PreviewField("notes", mapOf("en" to "Notes"), null, "omit", "canary", null),
        ),
        parts = listOf(
            PreviewPart("health", """{"fields":{"district":"310100","temperature":true}}""", 1024uL),
            PreviewPart("identity", """{"fields":{"name":"王芳"}}""", 1024uL),
        ),
    )

    @Test
    fun `the preview groups what leaves by recipient and keeps the exact JSON`() {
        val model = en.preview(preview)
        assertEquals(listOf("health", "identity"), model.sections.map { it.recipient })
        val health = model.sections[0]
        assertEquals(listOf("temperature", "district"), health.rows.map { it.fieldId })
        assertEquals(listOf(PreviewStatus.SENT_REDUCED, PreviewStatus.SENT_REDUCED), health.rows.map { it.status })
        assertEquals("""{"fields":{"district":"310100","temperature":true}}""", health.json)
        assertEquals(1024L, health.paddedSize)
        val identity = model.sections[1].rows.single()
        assertEquals(PreviewStatus.SENT_AS_ENTERED, identity.status)
        assertEquals("\"王芳\"", identity.after)
        assertEquals("姓名", zh.preview(preview).sections[1].rows.single().label)
        assertEquals(listOf("notes"), model.staysOnDevice.map { it.fieldId })
        assertEquals("canary", model.staysOnDevice.single().before)
        assertEquals(listOf("phone"), model.notAnswered.map { it.fieldId })
    }

    @Test
    fun `a disclosure shows where it went, what left and its receipt`() {
        val entry = LedgerEntry(
            seq = 3uL,
            at = "2026-11-28T01:30:00Z",
            event = LedgerEvent.Disclosure(
                policyId = Fixtures.POLICY_ID, policyVersion = 1uL, purpose = "epidemic-control",
                endpoint = "https://127.0.0.1:39671/v1", form = "daily",
                submissionId = SubmissionId("d686095b95cd03c179f62f8a3e415a88"), recordId = RecordId("r1"),
                fields = listOf(DisclosedField("temperature", "threshold", "health"), DisclosedField("name", "keep", "identity")),
                bodySha256 = "ab".repeat(32), receivedAt = "2026-11-28T01:30:05Z",
                receiptSignature = "c2lnbmF0dXJl", cover = false,
            ),
        )
        val row = en.ledgerRow(entry, policies)
        assertEquals(LedgerKind.DISCLOSURE, row.kind)
        assertEquals("2026-11-28 09:30", row.at)
        assertEquals("Shanghai Epidemic Control Office (example)", row.who)
        assertEquals("d686095b", row.shortSubmission)
        val details = row.details.associate { it.key to it.value }
        assertEquals("sh-daily-health v1", details[DetailKey.POLICY])
        assertEquals("Epidemic control only", details[DetailKey.PURPOSE])
        assertEquals("127.0.0.1:39671", details[DetailKey.ENDPOINT])
        assertEquals("Daily health report", details[DetailKey.FORM])
        assertEquals("Today's temperature (°C) (threshold) → health\nName (keep) → identity", details[DetailKey.FIELDS])
        assertEquals("2026-11-28 09:30", details[DetailKey.RECEIVED_AT])
        assertEquals("c2lnbmF0dXJl", details[DetailKey.RECEIPT])
        assertEquals("每日健康报告", zh.ledgerRow(entry, policies).details.first { it.key == DetailKey.FORM }.value)
        val cover = entry.copy(event = (entry.event as LedgerEvent.Disclosure).copy(cover = true, fields = emptyList()))
        val coverRow = en.ledgerRow(cover, policies)
        assertEquals(LedgerKind.COVER_TRAFFIC, coverRow.kind)
        assertNull(coverRow.details.firstOrNull { it.key == DetailKey.FIELDS })
    }

    @Test
    fun `consent carried over or needed, dropped reports and revocations each get their row`() {
        val entries = listOf(
            LedgerEntry(1uL, "2026-11-27T08:00:00+08:00", LedgerEvent.ConsentCarriedOver("gone", 1uL, 2uL, listOf("receipt key"))),
            LedgerEntry(2uL, "2026-11-27T09:00:00+08:00", LedgerEvent.ConsentNeeded("gone", 3uL, listOf("field daily/district: keep"))),
            LedgerEntry(3uL, "2026-11-27T10:00:00+08:00", LedgerEvent.SubmissionDropped("gone", SubmissionId("0123456789abcdef"), "version 1 it was sealed under expired")),
            LedgerEntry(4uL, "2026-11-27T11:00:00+08:00", LedgerEvent.PolicyRevoked("gone", 3uL, "delegation 00112233aabbccdd", "key-compromise", 7uL, 2uL)),
        )
        val rows = en.ledger(entries, policies)
        assertEquals(
            listOf(LedgerKind.POLICY_REVOKED, LedgerKind.SUBMISSION_DROPPED, LedgerKind.CONSENT_NEEDED, LedgerKind.CONSENT_CARRIED_OVER),
            rows.map { it.kind },
        )
        assertEquals("key-compromise", rows[0].details.first { it.key == DetailKey.REVOCATION_REASON }.value)
        assertEquals("delegation 00112233aabbccdd", rows[0].details.first { it.key == DetailKey.REVOKED }.value)
        assertEquals("7", rows[0].details.first { it.key == DetailKey.REVOCATION_LIST }.value)
        assertEquals("2", rows[0].details.first { it.key == DetailKey.DROPPED }.value)
        assertEquals("version 1 it was sealed under expired", rows[1].details.first { it.key == DetailKey.REASON }.value)
        assertEquals("0123456789abcdef".take(8), rows[1].shortSubmission?.take(8))
        assertEquals("field daily/district: keep", rows[2].details.first { it.key == DetailKey.WIDENED }.value)
        assertEquals("gone v1 → v2", rows[3].details.first { it.key == DetailKey.POLICY }.value)
        assertEquals("receipt key", rows[3].details.first { it.key == DetailKey.ROTATED }.value)
    }

    @Test
    fun `consent and deletion entries, newest first, of a policy no longer installed`() {
        val entries = listOf(
            LedgerEntry(1uL, "2026-11-27T08:00:00+08:00", LedgerEvent.ConsentGranted("gone", "epidemic-control")),
            LedgerEntry(2uL, "2026-11-28T08:00:00+08:00", LedgerEvent.ConsentWithdrawn("gone", "epidemic-control", 2uL)),
            LedgerEntry(3uL, "not a time", LedgerEvent.DeletionRequested("gone", SubmissionId("0123456789abcdef"), "https://x.example/v1", "not_found")),
        )
        val rows = en.ledger(entries, policies)
        assertEquals(listOf(3L, 2L, 1L), rows.map { it.seq })
        assertEquals(listOf(LedgerKind.DELETION_REQUESTED, LedgerKind.CONSENT_WITHDRAWN, LedgerKind.CONSENT_GRANTED), rows.map { it.kind })
        assertEquals("gone", rows[0].who)
        assertEquals("not a time", rows[0].at)
        assertEquals("not_found", rows[0].details.first { it.key == DetailKey.OUTCOME }.value)
        assertEquals("x.example", rows[0].details.first { it.key == DetailKey.ENDPOINT }.value)
        assertEquals("2", rows[1].details.first { it.key == DetailKey.DROPPED }.value)
        assertEquals("epidemic-control", rows[2].details.first { it.key == DetailKey.PURPOSE }.value)
        val status = en.ledgerStatus(LedgerCheck(false, 3uL, 1uL, 2uL, "chain"))
        assertEquals(LedgerStatus(false, 3, 1, 2, "chain"), status)
    }

    @Test
    fun `an access notice names the office, the officer number, the reason and when`() {
        val entries = listOf(
            LedgerEntry(
                5uL, "2026-11-28T09:00:00+08:00",
                LedgerEvent.AccessNotice(
                    "gone", SubmissionId("0123456789abcdef0123456789abcdef"), "Huangpu CDC", "0042",
                    "arrange-care", "2026-11-28T01:00:00Z",
                ),
            ),
        )
        val row = en.ledger(entries, policies).single()
        assertEquals(LedgerKind.ACCESS_NOTICE, row.kind)
        val details = row.details.associate { it.key to it.value }
        assertEquals("Huangpu CDC", details[DetailKey.OFFICE])
        assertEquals("0042", details[DetailKey.OFFICER])
        assertEquals("arrange-care", details[DetailKey.ACCESS_REASON])
        assertEquals("0123456789abcdef0123456789abcdef", details[DetailKey.SUBMISSION])
        assertEquals(en.timestamp("2026-11-28T01:00:00Z"), details[DetailKey.REVEALED_AT])
    }

    @Test
    fun `due items name the profile and the form, earliest first`() {
        val profiles = listOf(
            ProfileInfo(ProfileId("p1"), "Mum", null, null, null, null, null),
            ProfileInfo(ProfileId("p2"), "Dad", null, null, null, null, null),
        )
        val due = en.due(
            listOf(
                DueItem(ProfileId("p1"), Fixtures.POLICY_ID, "daily", LocalDate.parse("2026-11-28"), 3u, 14u),
                DueItem(ProfileId("p2"), Fixtures.POLICY_ID, "daily", LocalDate.parse("2026-11-28"), 1u, 14u),
                DueItem(ProfileId("p1"), Fixtures.POLICY_ID, "daily", LocalDate.parse("2026-11-27"), 2u, 14u),
                DueItem(ProfileId("unknown-profile-id"), "other", "arrival", LocalDate.parse("2026-11-28"), 1u, 1u),
            ),
            profiles, policies,
        )
        assertEquals(listOf("Mum", "Dad", "Mum", "unknown-"), due.map { it.profileName })
        assertEquals(listOf("2026-11-27", "2026-11-28", "2026-11-28", "2026-11-28"), due.map { it.date })
        assertEquals("Daily health report", due[0].formTitle)
        assertEquals("arrival", due[3].formTitle)
        assertEquals(Reminder(4, listOf("Mum", "Dad", "unknown-")), en.reminder(due))
        assertNull(en.reminder(emptyList()))
        // A pre-registration owed until sent has no period day (0 of 0): shown as such.
        val registration = en.due(
            listOf(DueItem(ProfileId("p1"), Fixtures.POLICY_ID, "arrival", LocalDate.parse("2026-11-28"), 0u, 0u)),
            profiles, policies,
        ).single()
        assertEquals(true, registration.isRegistration)
        assertEquals(false, due[0].isRegistration)
    }

    @Test
    fun `records list newest day first`() {
        val profiles = listOf(ProfileInfo(ProfileId("p1"), "Mum", null, null, null, null, null))
        fun record(id: String, date: String, state: RecordState) =
            RecordInfo(RecordId(id), ProfileId("p1"), Fixtures.POLICY_ID, 1uL, "daily", LocalDate.parse(date), 1u, null, "${date}T09:00:00+08:00", state, emptyMap())
        val rows = en.records(
            listOf(record("a", "2026-11-26", RecordState.SENT), record("b", "2026-11-28", RecordState.SAVED)),
            profiles, policies,
        )
        assertEquals(listOf("b", "a"), rows.map { it.id })
        assertEquals(RecordRow("b", "Mum", "Daily health report", "2026-11-28", RecordState.SAVED, 1), rows[0])
    }

    @Test
    fun `small helpers`() {
        assertEquals("report.example.org", Formatter.endpointHost("https://report.example.org/v1"))
        assertEquals("not a url at all", Formatter.endpointHost("not a url at all"))
        assertEquals("selfreport-export-2026-11-28.json", Formatter.exportFileName("2026-11-28"))
        assertEquals("abc", Formatter.shortId("abc"))
    }
}
