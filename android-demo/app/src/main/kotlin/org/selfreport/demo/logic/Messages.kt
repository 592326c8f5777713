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
