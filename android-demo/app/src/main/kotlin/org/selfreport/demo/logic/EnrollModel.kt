package org.selfreport.demo.logic

import org.selfreport.PolicyInfo
import org.selfreport.SelfReportException

/** The enrollment screen: whom, under which policy, and the code being typed. */
data class EnrollState(
    val profileId: String,
    val profileName: String,
    val policyId: String,
    /** The policy's issuer, as the screen names the collector. */
    val issuer: String,
    /** The code as typed, formatted ([EnrollmentCodeInput.format]). */
    val code: String = "",
    /** Why the code or the order was refused, under the code field; cleared on typing. */
    val problem: UiMessage? = null,
    /** A typed code is being redeemed at the drop box. */
    val busy: Boolean = false,
) {
    /** Whether the typed code is worth sending to the core. */
    val canRedeem: Boolean get() = !busy && EnrollmentCodeInput.isComplete(code)
}

/** Where an "Enroll" button goes: a profile and a policy with forms only enrolled people file. */
data class EnrollTarget(val profileId: String, val policyId: String)

/** The rules of the enrollment flow that need no core. */
object EnrollModel {
    /**
     * The policies a profile can be enrolled under: those with a form filed only during a
     * monitoring period (a daily report). The bindings' `FormInfo` does not say whether a
     * form is `enrollment: required`; the core refuses an order for a policy whose forms are
     * all open (`EnrollmentOutsidePolicy`), which the screen then says.
     */
    fun policiesToEnroll(policies: List<PolicyInfo>): List<PolicyInfo> =
        policies.filter { policy -> policy.forms.any { it.requiresMonitoring } }

    /**
     * The message for a refused enrollment (an order scanned or a code typed): what
     * happened and what to do, never the core's English detail (except the wait of a rate
     * limit, a number). Errors that are not about the order (a lost key, a closed store)
     * return `null` and are handled as everywhere else.
     */
    fun refusal(error: SelfReportException): UiMessage? = when {
        error is SelfReportException.InvalidInput && error.code == "EnrollmentCodeMalformed" ->
            UiMessage(MessageCode.ENROLL_CODE_MALFORMED, error.code)
        error is SelfReportException.NotFound && error.code == "EnrollmentCodeUnknown" ->
            UiMessage(MessageCode.ENROLL_CODE_UNKNOWN, error.code)
        error is SelfReportException.Network && error.code == "EnrollmentCodeRateLimited" ->
            UiMessage(MessageCode.ENROLL_RATE_LIMITED, retryAfterSeconds(error.detail)?.toString(), retryAfterSeconds(error.detail))
        error is SelfReportException.Network -> UiMessage(MessageCode.ENROLL_UNREACHABLE, error.code)
        error is SelfReportException.PolicyRefused && error.code == "EnrollmentMalformed" ->
            UiMessage(MessageCode.ENROLL_NOT_AN_ORDER, error.code)
        error is SelfReportException.PolicyRefused && error.code == "EnrollmentBadSignature" ->
            UiMessage(MessageCode.ENROLL_ORDER_UNTRUSTED, error.code)
        error is SelfReportException.PolicyRefused && error.code == "EnrollmentOutsidePolicy" ->
            UiMessage(MessageCode.ENROLL_ORDER_OUTSIDE_POLICY, error.code)
        error is SelfReportException.PolicyRefused -> UiMessage(MessageCode.ENROLL_ORDER_UNTRUSTED, error.code)
        error is SelfReportException.NotFound -> UiMessage(MessageCode.ENROLL_POLICY_MISSING, error.code)
        error is SelfReportException.Conflict -> UiMessage(MessageCode.ENROLL_ALREADY_MONITORED, error.code)
        else -> null
    }

    /** The seconds a rate-limited redemption says to wait ("... try again in 42 s"). */
    fun retryAfterSeconds(detail: String): Long? =
        Regex("""(\d+)\s*s\b""").find(detail)?.groupValues?.get(1)?.toLongOrNull()

    /** The text of a scanned QR code as the order's bytes (an order file is UTF-8 JSON). */
    fun orderBytes(scanned: String): ByteArray = scanned.trim().toByteArray(Charsets.UTF_8)
}
