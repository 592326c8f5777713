package org.selfreport.demo.logic

import org.selfreport.NewProfile
import org.selfreport.ProfileInfo
import org.selfreport.SelfReportException

/** A household profile being entered. Blank attributes are left out of the profile. */
data class ProfileDraft(
    val displayName: String = "",
    val name: String = "",
    val idNumber: String = "",
    val phone: String = "",
    val birthDate: String = "",
    val passportNumber: String = "",
) {
    /** The profile for `addProfile`, attributes trimmed and blank ones `null`. */
    fun toNewProfile(): NewProfile = NewProfile(
        displayName = displayName.trim(),
        name = name.trim().ifEmpty { null },
        idNumber = idNumber.replace(" ", "").uppercase().ifEmpty { null },
        phone = phone.replace(" ", "").replace("-", "").ifEmpty { null },
        birthDate = birthDate.trim().ifEmpty { null }?.let { text ->
            FormModel.parseDate(text)
                ?: throw SelfReportException.InvalidInput("InvalidArgument", ProfileModel.BIRTH_DATE, "Format", "a birth date is YYYY-MM-DD")
        },
        passportNumber = passportNumber.trim().uppercase().ifEmpty { null },
    )
}

/** Checks profile drafts. Field keys are the core's attribute names. */
object ProfileModel {
    /** Attribute names, as the core names them in `InvalidInput.field`. */
    const val DISPLAY_NAME: String = "display_name"
    const val NAME: String = "name"
    const val ID_NUMBER: String = "id_number"
    const val PHONE: String = "phone"
    const val BIRTH_DATE: String = "birth_date"
    const val PASSPORT_NUMBER: String = "passport_number"

    /** The longest display name the core accepts. */
    const val MAX_DISPLAY_NAME_CHARS: Int = 64

    /**
     * Hints the app gives before asking the core: a display name is needed. Every other
     * rule is the core's: `addProfile` and `updateProfile` refuse with `InvalidInput`
     * naming the attribute, which [hintFromError] puts under it.
     */
    fun validate(draft: ProfileDraft): Map<String, Hint> =
        if (draft.displayName.isBlank()) mapOf(DISPLAY_NAME to Hint(HintCode.REQUIRED)) else emptyMap()

    /**
     * The value a profile-sourced form field takes from [profile] (its field id names the
     * attribute, as in the core), or `null` if the profile lacks it.
     */
    fun attribute(profile: ProfileInfo, fieldId: String): String? = when (fieldId) {
        NAME -> profile.name
        ID_NUMBER -> profile.idNumber
        PHONE -> profile.phone
        BIRTH_DATE -> profile.birthDate?.toString()
        PASSPORT_NUMBER -> profile.passportNumber
        else -> null
    }

    /** The attribute and hint for a refusal from `addProfile`, or `null` if it names none. */
    fun hintFromError(error: SelfReportException): Pair<String, Hint>? {
        if (error !is SelfReportException.InvalidInput) return null
        val field = error.field ?: return null
        val control = when (field) {
            DISPLAY_NAME -> null
            NAME -> Control.Line(LineKind.PERSON_NAME)
            ID_NUMBER -> Control.Line(LineKind.RESIDENT_ID)
            PHONE -> Control.Line(LineKind.PHONE)
            BIRTH_DATE -> Control.Date(allowFuture = false)
            PASSPORT_NUMBER -> Control.Line(LineKind.PASSPORT_NUMBER)
            else -> return null
        }
        val hint = if (field == DISPLAY_NAME && error.rule == "TooLong") {
            Hint(HintCode.TOO_LONG, max = MAX_DISPLAY_NAME_CHARS.toString(), detail = error.detail)
        } else {
            FormModel.hintForRule(error.rule, control, error.detail, null, null)
        }
        return field to hint
    }
}
