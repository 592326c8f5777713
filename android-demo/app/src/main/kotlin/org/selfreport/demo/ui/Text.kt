package org.selfreport.demo.ui

import androidx.compose.runtime.Composable
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import org.selfreport.RecordState
import org.selfreport.demo.R
import org.selfreport.demo.logic.DetailKey
import org.selfreport.demo.logic.Hint
import org.selfreport.demo.logic.HintCode
import org.selfreport.demo.logic.LedgerKind
import org.selfreport.demo.logic.MessageCode
import org.selfreport.demo.logic.PreviewStatus
import org.selfreport.demo.logic.UiMessage

// The logic layer speaks in codes; these turn them into the person's language.

/** A message, with its error code appended for support when there is one. */
@Composable
fun messageText(message: UiMessage): String {
    val count = (message.count ?: 0L).toInt()
    // These carry a value, not an error code, in their detail.
    when (message.code) {
        MessageCode.ENROLLED -> return message.detail
            ?.let { stringResource(R.string.msg_enrolled_district, count, it) }
            ?: stringResource(R.string.msg_enrolled, count)
        MessageCode.ENROLL_RATE_LIMITED -> return if (message.count != null) {
            stringResource(R.string.msg_enroll_rate_limited, count)
        } else {
            stringResource(R.string.msg_enroll_rate_limited_later)
        }
        else -> Unit
    }
    val text = when (message.code) {
        MessageCode.KEY_WRONG -> stringResource(R.string.msg_key_wrong)
        MessageCode.KEY_UNAVAILABLE -> stringResource(R.string.msg_key_unavailable)
        MessageCode.KEY_SOURCE_FAILED -> stringResource(R.string.msg_key_source_failed)
        MessageCode.POLICY_REFUSED -> stringResource(R.string.msg_policy_refused)
        MessageCode.INVALID_INPUT -> stringResource(R.string.msg_invalid_input)
        MessageCode.INTEGRITY -> stringResource(R.string.msg_integrity)
        MessageCode.NOT_FOUND -> stringResource(R.string.msg_not_found)
        MessageCode.CONFLICT -> stringResource(R.string.msg_conflict)
        MessageCode.NETWORK -> stringResource(R.string.msg_network)
        MessageCode.CLOSED -> stringResource(R.string.msg_closed)
        MessageCode.INTERNAL -> stringResource(R.string.msg_internal)
        MessageCode.NO_POLICY -> stringResource(R.string.msg_no_policy)
        MessageCode.PROFILE_ADDED -> stringResource(R.string.msg_profile_added)
        MessageCode.MONITORING_STARTED -> stringResource(R.string.msg_monitoring_started)
        MessageCode.SAVED -> stringResource(R.string.msg_saved)
        MessageCode.QUEUED_FOR_SENDING -> stringResource(R.string.msg_queued)
        MessageCode.CONSENT_NEEDED -> stringResource(R.string.msg_consent_needed)
        MessageCode.CONSENT_WITHDRAWN -> LocalContext.current.resources
            .getQuantityString(R.plurals.msg_consent_withdrawn, count, count)
        MessageCode.ERASED -> stringResource(R.string.msg_erased)
        MessageCode.SYNC_DONE -> LocalContext.current.resources.getQuantityString(R.plurals.msg_sync_done, count, count)
        MessageCode.SYNC_RETRY_LATER -> LocalContext.current.resources
            .getQuantityString(R.plurals.msg_sync_retry, count, count)
        MessageCode.ACCESS_NOTICES -> LocalContext.current.resources
            .getQuantityString(R.plurals.msg_access_notices, count, count)
        MessageCode.ENROLLED, MessageCode.ENROLL_RATE_LIMITED -> "" // returned above
        MessageCode.ENROLL_CODE_MALFORMED -> stringResource(R.string.msg_enroll_code_malformed)
        MessageCode.ENROLL_CODE_UNKNOWN -> stringResource(R.string.msg_enroll_code_unknown)
        MessageCode.ENROLL_UNREACHABLE -> stringResource(R.string.msg_enroll_unreachable)
        MessageCode.ENROLL_NOT_AN_ORDER -> stringResource(R.string.msg_enroll_not_an_order)
        MessageCode.ENROLL_ORDER_UNTRUSTED -> stringResource(R.string.msg_enroll_untrusted)
        MessageCode.ENROLL_ORDER_OUTSIDE_POLICY -> stringResource(R.string.msg_enroll_outside)
        MessageCode.ENROLL_POLICY_MISSING -> stringResource(R.string.msg_enroll_policy_missing)
        MessageCode.ENROLL_ALREADY_MONITORED -> stringResource(R.string.msg_enroll_already)
        MessageCode.SCAN_FAILED -> stringResource(R.string.msg_scan_failed)
        MessageCode.NO_PRE_REGISTRATION -> stringResource(R.string.msg_no_pre_registration)
        MessageCode.PASS_UNAVAILABLE -> stringResource(R.string.msg_pass_unavailable)
    }
    val detail = message.detail
    return if (detail == null) text else stringResource(R.string.msg_with_code, text, detail)
}

/** The sentence under a field that will not be accepted. */
@Composable
fun hintText(hint: Hint): String = when (hint.code) {
    HintCode.REQUIRED -> stringResource(R.string.hint_required)
    HintCode.NOT_A_NUMBER -> stringResource(R.string.hint_not_a_number)
    HintCode.TOO_PRECISE -> stringResource(R.string.hint_too_precise)
    HintCode.OUT_OF_RANGE -> stringResource(R.string.hint_out_of_range, hint.min.orEmpty(), hint.max.orEmpty())
    HintCode.NOT_A_DATE -> stringResource(R.string.hint_not_a_date)
    HintCode.FUTURE_DATE -> stringResource(R.string.hint_future_date)
    HintCode.DATE_ORDER -> stringResource(R.string.hint_date_order)
    HintCode.DISTRICT_FORMAT -> stringResource(R.string.hint_district)
    HintCode.PHONE_FORMAT -> stringResource(R.string.hint_phone)
    HintCode.RESIDENT_ID_FORMAT -> stringResource(R.string.hint_resident_id)
    HintCode.RESIDENT_ID_CHECK_DIGIT -> stringResource(R.string.hint_resident_id_check)
    HintCode.PASSPORT_FORMAT -> stringResource(R.string.hint_passport)
    HintCode.TRANSPORT_FORMAT -> stringResource(R.string.hint_transport)
    HintCode.TOO_LONG -> stringResource(R.string.hint_too_long, hint.max.orEmpty())
    HintCode.NAME_CHARACTER -> stringResource(R.string.hint_name_character)
    HintCode.UNKNOWN_CODE -> stringResource(R.string.hint_unknown_code)
    HintCode.LEG_INCOMPLETE -> stringResource(R.string.hint_leg_incomplete)
    HintCode.TOO_MANY_LEGS -> stringResource(R.string.hint_too_many_legs, hint.max.orEmpty())
    HintCode.MISSING_FROM_PROFILE -> stringResource(R.string.hint_missing_from_profile)
    HintCode.DISTRICT_UNKNOWN -> stringResource(R.string.hint_district_unknown)
    HintCode.RESIDENT_ID_BIRTH_DATE -> stringResource(R.string.hint_resident_id_birth_date)
    HintCode.BIRTH_DATE_MISMATCH -> stringResource(R.string.hint_birth_date_mismatch)
    // The core's own sentence is English; say it is refused in the person's language too.
    HintCode.REJECTED -> stringResource(R.string.hint_rejected, hint.detail.orEmpty())
}

/** The caption of a ledger detail. */
@Composable
fun detailCaption(key: DetailKey): String = stringResource(
    when (key) {
        DetailKey.POLICY -> R.string.detail_policy
        DetailKey.PURPOSE -> R.string.detail_purpose
        DetailKey.ENDPOINT -> R.string.detail_endpoint
        DetailKey.FORM -> R.string.detail_form
        DetailKey.SUBMISSION -> R.string.detail_submission
        DetailKey.FIELDS -> R.string.detail_fields
        DetailKey.RECEIVED_AT -> R.string.detail_received_at
        DetailKey.RECEIPT -> R.string.detail_receipt
        DetailKey.BODY_SHA256 -> R.string.detail_body_sha256
        DetailKey.DROPPED -> R.string.detail_dropped
        DetailKey.OUTCOME -> R.string.detail_outcome
        DetailKey.ROTATED -> R.string.detail_rotated
        DetailKey.WIDENED -> R.string.detail_widened
        DetailKey.REASON -> R.string.detail_reason
        DetailKey.REVOKED -> R.string.detail_revoked
        DetailKey.REVOCATION_REASON -> R.string.detail_revocation_reason
        DetailKey.REVOCATION_LIST -> R.string.detail_revocation_list
        DetailKey.OFFICE -> R.string.detail_office
        DetailKey.OFFICER -> R.string.detail_officer
        DetailKey.ACCESS_REASON -> R.string.detail_access_reason
        DetailKey.REVEALED_AT -> R.string.detail_revealed_at
    },
)

/** A ledger detail's value; deletion outcomes are codes to localize. */
@Composable
fun detailValue(key: DetailKey, value: String): String = when (key) {
    DetailKey.OUTCOME -> when (value) {
        "deleted" -> stringResource(R.string.outcome_deleted)
        "not_found" -> stringResource(R.string.outcome_not_found)
        "dropped_unsent" -> stringResource(R.string.outcome_dropped_unsent)
        else -> value
    }
    DetailKey.REVOCATION_REASON -> when (value) {
        "key-compromise" -> stringResource(R.string.revocation_key_compromise)
        "superseded" -> stringResource(R.string.revocation_superseded)
        "ceased-operation" -> stringResource(R.string.revocation_ceased_operation)
        "privilege-withdrawn" -> stringResource(R.string.revocation_privilege_withdrawn)
        else -> value
    }
    DetailKey.ACCESS_REASON -> when (value) {
        "follow-up-symptoms" -> stringResource(R.string.access_reason_follow_up_symptoms)
        "missed-reports" -> stringResource(R.string.access_reason_missed_reports)
        "arrange-care" -> stringResource(R.string.access_reason_arrange_care)
        "confirm-intake" -> stringResource(R.string.access_reason_confirm_intake)
        else -> value
    }
    else -> value
}

/** The title of a ledger entry. */
@Composable
fun ledgerKindText(kind: LedgerKind): String = stringResource(
    when (kind) {
        LedgerKind.DISCLOSURE -> R.string.ledger_disclosure
        LedgerKind.COVER_TRAFFIC -> R.string.ledger_cover
        LedgerKind.CONSENT_GRANTED -> R.string.ledger_consent_granted
        LedgerKind.CONSENT_WITHDRAWN -> R.string.ledger_consent_withdrawn
        LedgerKind.DELETION_REQUESTED -> R.string.ledger_deletion
        LedgerKind.CONSENT_CARRIED_OVER -> R.string.ledger_consent_carried_over
        LedgerKind.CONSENT_NEEDED -> R.string.ledger_consent_needed
        LedgerKind.SUBMISSION_DROPPED -> R.string.ledger_submission_dropped
        LedgerKind.POLICY_REVOKED -> R.string.ledger_policy_revoked
        LedgerKind.ACCESS_NOTICE -> R.string.ledger_access_notice
    },
)

/** What happens to a field, in the preview. */
@Composable
fun previewStatusText(status: PreviewStatus): String = stringResource(
    when (status) {
        PreviewStatus.SENT_AS_ENTERED -> R.string.preview_sent_as_entered
        PreviewStatus.SENT_REDUCED -> R.string.preview_sent_reduced
        PreviewStatus.STAYS_ON_DEVICE -> R.string.preview_stays
        PreviewStatus.NOT_ANSWERED -> R.string.preview_not_answered
    },
)

/** Where a record stands. */
@Composable
fun recordStateText(state: RecordState): String = stringResource(
    when (state) {
        RecordState.SAVED -> R.string.record_saved
        RecordState.QUEUED -> R.string.record_queued
        RecordState.SENT -> R.string.record_sent
    },
)

private val knownCodes = mapOf(
    "fever" to R.string.code_fever,
    "cough" to R.string.code_cough,
    "sore_throat" to R.string.code_sore_throat,
    "fatigue" to R.string.code_fatigue,
    "dyspnea" to R.string.code_dyspnea,
    "loss_of_smell" to R.string.code_loss_of_smell,
    "diarrhea" to R.string.code_diarrhea,
)

/**
 * A choice code's label. Policies give codes without labels; the demo knows the example
 * policies' symptom codes and shows any other code as it is.
 */
@Composable
fun codeText(code: String): String = knownCodes[code]?.let { stringResource(it) } ?: code

private val knownRecipients = mapOf(
    "health" to R.string.recipient_health,
    "identity" to R.string.recipient_identity,
)

/** A recipient's name (the example policies' two, others as they are). */
@Composable
fun recipientText(recipient: String): String = knownRecipients[recipient]?.let { stringResource(it) } ?: recipient

private val knownTransforms = mapOf(
    "keep" to R.string.transform_keep,
    "omit" to R.string.transform_omit,
    "round" to R.string.transform_round,
    "threshold" to R.string.transform_threshold,
    "generalize" to R.string.transform_generalize,
    "age_band" to R.string.transform_age_band,
    "coarsen_date" to R.string.transform_coarsen_date,
    "window" to R.string.transform_window,
    "risk_area_visited" to R.string.transform_risk_area_visited,
    "count" to R.string.transform_count,
    "pseudonym" to R.string.transform_pseudonym,
)

/** What a transform does, in a few words. */
@Composable
fun transformText(transform: String): String = knownTransforms[transform]?.let { stringResource(it) } ?: transform
