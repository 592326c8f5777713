package org.selfreport.demo.logic

import org.selfreport.SelfReportException

/** A message the app shows in a snackbar or banner; the UI maps the code to a localized string. */
enum class MessageCode {
    /** The Keystore key does not open this store. */
    KEY_WRONG,

    /** The Keystore key is gone (reset, restored backup): only a reset helps. */
    KEY_UNAVAILABLE,

    /** The Keystore failed for now; trying again may work. */
    KEY_SOURCE_FAILED,

    /** A policy was refused; [UiMessage.detail] holds the check's code. */
    POLICY_REFUSED,

    /** An answer or profile attribute was refused. */
    INVALID_INPUT,

    /** Stored data failed an integrity check. */
    INTEGRITY,

    /** Something asked for does not exist. */
    NOT_FOUND,

    /** The request contradicts the store's state (a sync is running, no consent...). */
    CONFLICT,

    /** The endpoint could not be reached; queued reports stay queued. */
    NETWORK,

    /** The store was erased. */
    CLOSED,

    /** Anything else. */
    INTERNAL,

    /** The app ships no policy it could install. */
    NO_POLICY,

    /** A profile was added. */
    PROFILE_ADDED,

    /** A monitoring period started. */
    MONITORING_STARTED,

    /** The report was saved on the device. */
    SAVED,

    /** The report will be sent in the background. */
    QUEUED_FOR_SENDING,

    /** Sending needs consent first. */
    CONSENT_NEEDED,

    /** Consent was withdrawn; [UiMessage.count] queued reports were dropped. */
    CONSENT_WITHDRAWN,

    /** Everything was erased. */
    ERASED,

    /** A sync delivered [UiMessage.count] reports. */
    SYNC_DONE,

    /** A sync left reports to try later. */
    SYNC_RETRY_LATER,

    /** A sync found [UiMessage.count] access notices: officers saw the person's identity. */
    ACCESS_NOTICES,

    /** An enrollment order started a monitoring period; [UiMessage.detail] is its district, [UiMessage.count] its days. */
    ENROLLED,

    /** The typed code has a typo (a wrong symbol, length or check symbol); nothing was sent. */
    ENROLL_CODE_MALFORMED,

    /** The drop box holds no order for the code: never registered, already used or expired. */
    ENROLL_CODE_UNKNOWN,

    /** Too many codes were tried from this network; [UiMessage.count] seconds to wait, when known. */
    ENROLL_RATE_LIMITED,

    /** The drop box could not be reached to redeem the code; it was not used up. */
    ENROLL_UNREACHABLE,

    /** What was scanned is not an enrollment order. */
    ENROLL_NOT_AN_ORDER,

    /** The order is not signed by a collector this app trusts for the policy. */
    ENROLL_ORDER_UNTRUSTED,

    /** The order does not fit its policy, or it confirms another person's pre-registration. */
    ENROLL_ORDER_OUTSIDE_POLICY,

    /** The order is for a policy this app has not installed. */
    ENROLL_POLICY_MISSING,

    /** The person already has a monitoring period under the policy on one of the order's days. */
    ENROLL_ALREADY_MONITORED,

    /** The code scanner failed or is not available on this phone: type the code instead. */
    SCAN_FAILED,

    /** The profile has no pre-registration under the policy, so there is no arrival pass. */
    NO_PRE_REGISTRATION,

    /** The pre-registration was filed before arrival passes existed: file it again. */
    PASS_UNAVAILABLE,
}

/** A message with its optional detail (an error code, never personal data) and count. */
data class UiMessage(val code: MessageCode, val detail: String? = null, val count: Long? = null)

/** Maps errors to messages. */
object Messages {
    /** The message for an error the core (or anything below the UI) threw. */
    fun of(error: Throwable): UiMessage = when (error) {
        is SelfReportException.WrongKey -> UiMessage(MessageCode.KEY_WRONG, error.code)
        is SelfReportException.KeyUnavailable -> UiMessage(MessageCode.KEY_UNAVAILABLE, error.code)
        is SelfReportException.KeySourceFailed -> UiMessage(MessageCode.KEY_SOURCE_FAILED, error.code)
        is SelfReportException.PolicyRefused -> UiMessage(MessageCode.POLICY_REFUSED, error.code)
        is SelfReportException.InvalidInput -> UiMessage(MessageCode.INVALID_INPUT, error.field ?: error.code)
        is SelfReportException.Integrity -> UiMessage(MessageCode.INTEGRITY, error.code)
        is SelfReportException.NotFound -> UiMessage(MessageCode.NOT_FOUND, error.code)
        is SelfReportException.Conflict -> UiMessage(MessageCode.CONFLICT, error.code)
        is SelfReportException.Network -> UiMessage(MessageCode.NETWORK, error.code)
        is SelfReportException.Closed -> UiMessage(MessageCode.CLOSED, error.code)
        is SelfReportException.Internal -> UiMessage(MessageCode.INTERNAL, error.code)
        else -> UiMessage(MessageCode.INTERNAL, error.javaClass.simpleName)
    }

    /** Whether an error means the store cannot be opened with this device's key. */
    fun isKeyLoss(error: Throwable): Boolean =
        error is SelfReportException.KeyUnavailable || error is SelfReportException.WrongKey
}
