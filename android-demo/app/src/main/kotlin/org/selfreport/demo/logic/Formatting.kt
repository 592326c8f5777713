package org.selfreport.demo.logic

import java.net.URI
import java.net.URISyntaxException
import java.time.OffsetDateTime
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import java.time.format.DateTimeParseException
import org.selfreport.DueItem
import org.selfreport.LedgerCheck
import org.selfreport.LedgerEntry
import org.selfreport.LedgerEvent
import org.selfreport.PolicyInfo
import org.selfreport.Preview
import org.selfreport.ProfileInfo
import org.selfreport.RecordInfo
import org.selfreport.RecordState

/** Where one field stands in the "what will be shared" preview. */
enum class PreviewStatus {
    /** Leaves the device exactly as entered (transform `keep`). */
    SENT_AS_ENTERED,

    /** Leaves the device reduced by its transform (a threshold, a coarser place...). */
    SENT_REDUCED,

    /** Entered, but never leaves the device. */
    STAYS_ON_DEVICE,

    /** Not answered: nothing to keep or send. */
    NOT_ANSWERED,
}

/** One row of the preview: a field before and after its transform. */
data class PreviewRow(
    val fieldId: String,
    val label: String,
    /** The value as entered, if any. */
    val before: String?,
    /** The JSON value that leaves, exactly as sealed, if anything leaves. */
    val after: String?,
    val recipient: String?,
    val transform: String,
    val status: PreviewStatus,
)

/** What one recipient receives: its rows and the exact JSON sealed for it. */
data class PreviewSection(
    val recipient: String,
    val rows: List<PreviewRow>,
    /** The exact JSON sealed for this recipient (before padding). */
    val json: String,
    /** The size the sealed plaintext is padded to, in bytes. */
    val paddedSize: Long,
)

/** The whole preview screen. */
data class PreviewModel(
    /** One section per recipient, in the order the core lists its parts. */
    val sections: List<PreviewSection>,
    /** Fields entered that never leave the device. */
    val staysOnDevice: List<PreviewRow>,
    /** Fields left blank. */
    val notAnswered: List<PreviewRow>,
)

/** A label for one detail of a ledger entry; the UI turns it into a localized caption. */
enum class DetailKey {
    POLICY, PURPOSE, ENDPOINT, FORM, SUBMISSION, FIELDS, RECEIVED_AT, RECEIPT, BODY_SHA256, DROPPED, OUTCOME,
    ROTATED, WIDENED, REASON, REVOKED, REVOCATION_REASON, REVOCATION_LIST,
    OFFICE, OFFICER, ACCESS_REASON, REVEALED_AT,
}

/** One detail line of a ledger entry. */
data class Detail(val key: DetailKey, val value: String)

/** What a ledger entry is about. */
enum class LedgerKind {
    DISCLOSURE, COVER_TRAFFIC, CONSENT_GRANTED, CONSENT_WITHDRAWN, DELETION_REQUESTED,
    CONSENT_CARRIED_OVER, CONSENT_NEEDED, SUBMISSION_DROPPED, POLICY_REVOKED,
    /** An officer saw the identity sent with one of the person's submissions. */
    ACCESS_NOTICE,
}

/** One ledger entry, ready to show. */
data class LedgerRow(
    val seq: Long,
    /** When, `yyyy-MM-dd HH:mm` in the device's zone. */
    val at: String,
    val kind: LedgerKind,
    /** The policy's issuer in the person's language, or the policy id. */
    val who: String,
    /** A short form of the submission id, for disclosures and deletions. */
    val shortSubmission: String?,
    /** Every detail, in display order (raw codes for OUTCOME and REVOCATION_REASON: the UI localizes them). */
    val details: List<Detail>,
)

/** The ledger check, ready to show. */
data class LedgerStatus(
    val valid: Boolean,
    val entries: Long,
    val receiptsVerified: Long,
    val problemSeq: Long?,
    val problem: String?,
)

/** One report a profile still owes, ready to show and to open. */
data class DueRow(
    val profileId: String,
    val profileName: String,
    val policyId: String,
    val formId: String,
    val formTitle: String,
    val date: String,
    val day: Int,
    val ofDays: Int,
) {
    /** A registration (a traveler's pre-registration), owed until sent: no period day. */
    val isRegistration: Boolean get() = ofDays == 0
}

/** One saved record, ready to list. */
data class RecordRow(
    val id: String,
    val profileName: String,
    val formTitle: String,
    val date: String,
    val state: RecordState,
    val revision: Int,
)

/** What a reminder notification says: whose reports are due. */
data class Reminder(val count: Int, val names: List<String>)

/** Turns the core's records into rows the screens show. Pure: no Android types. */
class Formatter(private val labels: LabelPicker, private val zone: ZoneId) {
    /** The preview of one record, split by recipient. */
    fun preview(preview: Preview): PreviewModel {
        val rows = preview.fields.map { field ->
            PreviewRow(
                fieldId = field.field,
                label = labels.pick(field.label, field.field),
                before = field.before,
                after = field.after,
                recipient = field.recipient,
                transform = field.transform,
                status = when {
                    field.after != null && field.transform == "keep" -> PreviewStatus.SENT_AS_ENTERED
                    field.after != null -> PreviewStatus.SENT_REDUCED
                    field.before != null -> PreviewStatus.STAYS_ON_DEVICE
                    else -> PreviewStatus.NOT_ANSWERED
                },
            )
        }
        val sections = preview.parts.map { part ->
            PreviewSection(
                recipient = part.recipient,
                rows = rows.filter { it.after != null && it.recipient == part.recipient },
                json = part.json,
                paddedSize = part.paddedSize.toLong(),
            )
        }
        return PreviewModel(
            sections = sections,
            staysOnDevice = rows.filter { it.status == PreviewStatus.STAYS_ON_DEVICE },
            notAnswered = rows.filter { it.status == PreviewStatus.NOT_ANSWERED },
        )
    }

    /** Every ledger entry, newest first, with field ids labelled from [policies]. */
    fun ledger(entries: List<LedgerEntry>, policies: List<PolicyInfo>): List<LedgerRow> =
        entries.sortedByDescending { it.seq }.map { ledgerRow(it, policies) }

    /** One ledger entry. */
    fun ledgerRow(entry: LedgerEntry, policies: List<PolicyInfo>): LedgerRow {
        val at = timestamp(entry.at)
        return when (val event = entry.event) {
            is LedgerEvent.Disclosure -> {
                val policy = policies.firstOrNull { it.id == event.policyId }
                val fieldText = event.fields.joinToString("\n") { disclosed ->
                    val label = fieldLabel(policy, event.form, disclosed.field)
                    "$label (${disclosed.transform}) → ${disclosed.recipient}"
                }
                LedgerRow(
                    seq = entry.seq.toLong(),
                    at = at,
                    kind = if (event.cover) LedgerKind.COVER_TRAFFIC else LedgerKind.DISCLOSURE,
                    who = issuer(policy, event.policyId),
                    shortSubmission = shortId(event.submissionId.value),
                    details = listOfNotNull(
                        Detail(DetailKey.POLICY, "${event.policyId} v${event.policyVersion}"),
                        Detail(DetailKey.PURPOSE, purpose(policy, event.purpose)),
                        Detail(DetailKey.ENDPOINT, endpointHost(event.endpoint)),
                        Detail(DetailKey.FORM, formTitle(policy, event.form)),
                        Detail(DetailKey.SUBMISSION, event.submissionId.value),
                        if (event.fields.isEmpty()) null else Detail(DetailKey.FIELDS, fieldText),
                        Detail(DetailKey.RECEIVED_AT, timestamp(event.receivedAt)),
                        Detail(DetailKey.RECEIPT, event.receiptSignature),
                        Detail(DetailKey.BODY_SHA256, event.bodySha256),
                    ),
                )
            }
            is LedgerEvent.ConsentGranted -> {
                val policy = policies.firstOrNull { it.id == event.policyId }
                LedgerRow(
                    entry.seq.toLong(), at, LedgerKind.CONSENT_GRANTED, issuer(policy, event.policyId), null,
                    listOf(
                        Detail(DetailKey.POLICY, event.policyId),
                        Detail(DetailKey.PURPOSE, purpose(policy, event.purpose)),
                    ),
                )
            }
            is LedgerEvent.ConsentWithdrawn -> {
                val policy = policies.firstOrNull { it.id == event.policyId }
                LedgerRow(
                    entry.seq.toLong(), at, LedgerKind.CONSENT_WITHDRAWN, issuer(policy, event.policyId), null,
                    listOf(
                        Detail(DetailKey.POLICY, event.policyId),
                        Detail(DetailKey.PURPOSE, purpose(policy, event.purpose)),
                        Detail(DetailKey.DROPPED, event.dropped.toString()),
                    ),
                )
            }
            is LedgerEvent.ConsentCarriedOver -> {
                val policy = policies.firstOrNull { it.id == event.policyId }
                LedgerRow(
                    entry.seq.toLong(), at, LedgerKind.CONSENT_CARRIED_OVER, issuer(policy, event.policyId), null,
                    listOfNotNull(
                        Detail(DetailKey.POLICY, "${event.policyId} v${event.fromVersion} → v${event.toVersion}"),
                        if (event.rotated.isEmpty()) null else Detail(DetailKey.ROTATED, event.rotated.joinToString("\n")),
                    ),
                )
            }
            is LedgerEvent.ConsentNeeded -> {
                val policy = policies.firstOrNull { it.id == event.policyId }
                LedgerRow(
                    entry.seq.toLong(), at, LedgerKind.CONSENT_NEEDED, issuer(policy, event.policyId), null,
                    listOf(
                        Detail(DetailKey.POLICY, "${event.policyId} v${event.version}"),
                        Detail(DetailKey.WIDENED, event.widened.joinToString("\n")),
                    ),
                )
            }
            is LedgerEvent.SubmissionDropped -> {
                val policy = policies.firstOrNull { it.id == event.policyId }
                LedgerRow(
                    entry.seq.toLong(), at, LedgerKind.SUBMISSION_DROPPED, issuer(policy, event.policyId),
                    shortId(event.submissionId.value),
                    listOf(
                        Detail(DetailKey.POLICY, event.policyId),
                        Detail(DetailKey.SUBMISSION, event.submissionId.value),
                        Detail(DetailKey.REASON, event.reason),
                    ),
                )
            }
            is LedgerEvent.PolicyRevoked -> {
                val policy = policies.firstOrNull { it.id == event.policyId }
                LedgerRow(
                    entry.seq.toLong(), at, LedgerKind.POLICY_REVOKED, issuer(policy, event.policyId), null,
                    listOf(
                        Detail(DetailKey.POLICY, "${event.policyId} v${event.version}"),
                        Detail(DetailKey.REVOCATION_REASON, event.reason),
                        Detail(DetailKey.REVOKED, event.revoked),
                        Detail(DetailKey.REVOCATION_LIST, event.sequence.toString()),
                        Detail(DetailKey.DROPPED, event.dropped.toString()),
                    ),
                )
            }
            is LedgerEvent.DeletionRequested -> {
                val policy = policies.firstOrNull { it.id == event.policyId }
                LedgerRow(
                    entry.seq.toLong(), at, LedgerKind.DELETION_REQUESTED, issuer(policy, event.policyId),
                    shortId(event.submissionId.value),
                    listOf(
                        Detail(DetailKey.POLICY, event.policyId),
                        Detail(DetailKey.ENDPOINT, endpointHost(event.endpoint)),
                        Detail(DetailKey.SUBMISSION, event.submissionId.value),
                        Detail(DetailKey.OUTCOME, event.outcome),
                    ),
                )
            }
            is LedgerEvent.AccessNotice -> {
                val policy = policies.firstOrNull { it.id == event.policyId }
                LedgerRow(
                    entry.seq.toLong(), at, LedgerKind.ACCESS_NOTICE, issuer(policy, event.policyId),
                    shortId(event.submissionId.value),
                    listOf(
                        Detail(DetailKey.OFFICE, event.office),
                        Detail(DetailKey.OFFICER, event.officer),
                        Detail(DetailKey.ACCESS_REASON, event.reason),
                        Detail(DetailKey.REVEALED_AT, timestamp(event.revealedAt)),
                        Detail(DetailKey.POLICY, event.policyId),
                        Detail(DetailKey.SUBMISSION, event.submissionId.value),
                    ),
                )
            }
        }
    }

    /** The ledger check. */
    fun ledgerStatus(check: LedgerCheck): LedgerStatus = LedgerStatus(
        valid = check.valid,
        entries = check.entries.toLong(),
        receiptsVerified = check.receiptsVerified.toLong(),
        problemSeq = check.problemSeq?.toLong(),
        problem = check.problem,
    )

    /** What is due, with profile names and form titles, earliest day first. */
    fun due(items: List<DueItem>, profiles: List<ProfileInfo>, policies: List<PolicyInfo>): List<DueRow> =
        items.map { item ->
            val policy = policies.firstOrNull { it.id == item.policyId }
            DueRow(
                profileId = item.profileId.value,
                profileName = profileName(profiles, item.profileId.value),
                policyId = item.policyId,
                formId = item.formId,
                formTitle = formTitle(policy, item.formId),
                date = item.date.toString(),
                day = item.day.toInt(),
                ofDays = item.ofDays.toInt(),
            )
        }.sortedWith(compareBy({ it.date }, { it.profileName }, { it.formId }))

    /** Saved records, newest day first. */
    fun records(records: List<RecordInfo>, profiles: List<ProfileInfo>, policies: List<PolicyInfo>): List<RecordRow> =
        records.map { record ->
            RecordRow(
                id = record.id.value,
                profileName = profileName(profiles, record.profileId.value),
                formTitle = formTitle(policies.firstOrNull { it.id == record.policyId }, record.formId),
                date = record.date.toString(),
                state = record.state,
                revision = record.revision.toInt(),
            )
        }.sortedWith(compareByDescending<RecordRow> { it.date }.thenBy { it.profileName })

    /** The reminder for what is due, or `null` when nothing is. Names appear once each. */
    fun reminder(due: List<DueRow>): Reminder? =
        if (due.isEmpty()) null else Reminder(due.size, due.map { it.profileName }.distinct())

    /** An RFC 3339 timestamp as `yyyy-MM-dd HH:mm` in the device's zone; unparsable text unchanged. */
    fun timestamp(rfc3339: String): String = try {
        OffsetDateTime.parse(rfc3339).atZoneSameInstant(zone).format(MINUTES)
    } catch (_: DateTimeParseException) {
        rfc3339
    }

    private fun issuer(policy: PolicyInfo?, policyId: String): String =
        policy?.let { labels.pick(it.issuer, policyId) } ?: policyId

    private fun purpose(policy: PolicyInfo?, code: String): String =
        policy?.let { labels.pick(it.purpose, code) } ?: code

    private fun formTitle(policy: PolicyInfo?, formId: String): String =
        policy?.forms?.firstOrNull { it.id == formId }?.let { labels.pick(it.title, formId) } ?: formId

    private fun fieldLabel(policy: PolicyInfo?, formId: String, fieldId: String): String =
        policy?.forms?.firstOrNull { it.id == formId }?.fields?.firstOrNull { it.id == fieldId }
            ?.let { labels.pick(it.label, fieldId) } ?: fieldId

    private fun profileName(profiles: List<ProfileInfo>, profileId: String): String =
        profiles.firstOrNull { it.id.value == profileId }?.displayName ?: shortId(profileId)

    /** Helpers that need no labels. */
    companion object {
        private val MINUTES: DateTimeFormatter = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")

        /** The first eight characters of an id, enough to tell entries apart on screen. */
        fun shortId(id: String): String = if (id.length <= 8) id else id.take(8)

        /** The host (and port) of an endpoint URL, or the URL itself if it does not parse. */
        fun endpointHost(url: String): String = try {
            val uri = URI(url)
            val host = uri.host ?: return url
            if (uri.port == -1) host else "$host:${uri.port}"
        } catch (_: URISyntaxException) {
            url
        }

        /** The file name of an export made on [today]. */
        fun exportFileName(today: String): String = "selfreport-export-$today.json"
    }
}
