package org.selfreport.demo.logic

import java.time.Duration
import java.time.Instant
import org.selfreport.FieldKind
import org.selfreport.FormFrequency
import org.selfreport.FormInfo
import org.selfreport.PolicyInfo
import org.selfreport.ProfileInfo
import org.selfreport.RecordInfo

/**
 * The arrival pass as the screen shows it: the pass text (`arrivalPass`) as a QR code, the
 * identity the registration gave (for the checkpoint worker to compare with the person's
 * document), and when the pass must be made again.
 */
data class ArrivalPassView(
    val profileId: String,
    val policyId: String,
    /** The policy's issuer, as the screen names who the pass is for. */
    val issuer: String,
    /** The pass text the QR code holds (`selfreport.arrival-pass/1`). */
    val passText: String,
    /** Its QR code; `null` if it did not fit one (never for a real pass). */
    val matrix: QrMatrix?,
    /** The registration's name, as typed. */
    val name: String?,
    /** The registration's identity document number (resident ID or passport), as typed. */
    val documentNumber: String?,
    /** When this pass was made (the app's clock). */
    val madeAt: Instant,
    /** When the screen makes a new one. */
    val refreshAt: Instant,
)

/** Where an "Arrival pass" button goes: a profile with a pre-registration under a policy. */
data class ArrivalPassTarget(val profileId: String, val policyId: String)

/** The timing and content rules of the arrival pass screen. */
object ArrivalPassModel {
    /** How long the checkpoint accepts a pass after it was made (core: `MAX_PASS_AGE`). */
    val VALIDITY: Duration = Duration.ofMinutes(10)

    /**
     * A pass is made again this long after the last one: two minutes before it runs out, so
     * one scanned just before the refresh still has time to be checked.
     */
    val REFRESH_AFTER: Duration = Duration.ofMinutes(8)

    /** When a pass made at [madeAt] is made again. */
    fun refreshAt(madeAt: Instant): Instant = madeAt.plus(REFRESH_AFTER)

    /** Whether [view] must be made again at [now] (also when the clock went back past when it was made). */
    fun needsRefresh(view: ArrivalPassView, now: Instant): Boolean =
        !now.isBefore(view.refreshAt) || now.isBefore(view.madeAt)

    /** How long the screen waits before asking again (never negative). */
    fun untilRefresh(view: ArrivalPassView, now: Instant): Duration =
        Duration.between(now, view.refreshAt).let { if (it.isNegative) Duration.ZERO else it }

    /**
     * The profiles and policies that have a pre-registration saved: a record of a form
     * filed once that does not wait for monitoring (open intake).
     */
    fun targets(records: List<RecordInfo>, policies: List<PolicyInfo>): List<ArrivalPassTarget> =
        records.filter { record ->
            policies.firstOrNull { it.id == record.policyId }?.forms
                ?.firstOrNull { it.id == record.formId }
                ?.let { isPreRegistration(it) } == true
        }.map { ArrivalPassTarget(it.profileId.value, it.policyId) }.distinct()

    /** Whether [form] is a pre-registration: filed once, open before any monitoring. */
    fun isPreRegistration(form: FormInfo): Boolean =
        form.frequency == FormFrequency.ONCE && !form.requiresMonitoring

    /**
     * The name and document number the registration gave: its answers to its name and ID
     * fields when it holds them, else the profile's (fields taken from the profile).
     */
    fun identity(
        profile: ProfileInfo?,
        policy: PolicyInfo?,
        registration: RecordInfo?,
    ): Pair<String?, String?> {
        val fields = policy?.forms?.firstOrNull { it.id == registration?.formId }?.fields.orEmpty()
        fun answer(kind: (FieldKind) -> Boolean): String? =
            fields.filter { kind(it.kind) }.firstNotNullOfOrNull { registration?.answers?.get(it.id)?.takeIf(String::isNotBlank) }
        val name = answer { it is FieldKind.PersonName } ?: profile?.name
        val document = answer { it is FieldKind.ResidentId } ?: answer { it is FieldKind.PassportNumber }
            ?: profile?.idNumber ?: profile?.passportNumber
        return name to document
    }
}
