package org.selfreport.demo.logic

import java.time.LocalDate
import java.time.format.DateTimeParseException
import org.selfreport.FieldInfo
import org.selfreport.FieldProblem
import org.selfreport.FieldKind
import org.selfreport.FormInfo
import org.selfreport.SelfReportException

/** The input control a field is rendered with, with what the control needs to know. */
sealed class Control {
    /** Two exclusive buttons: yes, no. */
    object YesNo : Control()

    /** Exactly one of [codes] (radio buttons). */
    data class SingleChoice(val codes: List<String>) : Control()

    /** Any subset of [codes] (checkboxes); choosing none is an answer. */
    data class MultiChoice(val codes: List<String>) : Control()

    /** Degrees Celsius with one decimal, 34.0 to 43.0. */
    object Temperature : Control()

    /** A whole number from [min] to [max]. */
    data class WholeNumber(val min: Long, val max: Long) : Control()

    /** A date `YYYY-MM-DD`; days after today only when [allowFuture]. */
    data class Date(val allowFuture: Boolean) : Control()

    /** A six-digit district code (GB/T 2260). */
    object District : Control()

    /** A list of travel legs (place, from, to); an empty list means no travel. */
    object TravelLegs : Control()

    /** A single line of text of a known shape. */
    data class Line(val kind: LineKind) : Control()

    /** Free text of at most [maxLen] characters. */
    data class FreeText(val maxLen: Int) : Control()
}

/** The shapes of single-line text fields. */
enum class LineKind { PERSON_NAME, RESIDENT_ID, PASSPORT_NUMBER, PHONE, TRANSPORT_NUMBER }

/** The soft keyboard a control wants. */
enum class Keyboard { TEXT, NUMBER, DECIMAL, PHONE, CAPITALS }

/** One travel leg as typed: a district code and two dates; blank parts are unfinished. */
data class TravelLeg(val place: String = "", val from: String = "", val to: String = "") {
    /** Whether nothing has been typed in this leg. */
    val isBlank: Boolean get() = place.isBlank() && from.isBlank() && to.isBlank()
}

/** What the person has entered in a field. */
sealed class Input {
    /** Typed text (numbers, dates, codes, names and free text). */
    data class Text(val text: String) : Input()

    /** A yes/no answer, `null` until chosen. */
    data class YesNo(val value: Boolean?) : Input()

    /** One code, `null` until chosen. */
    data class Choice(val code: String?) : Input()

    /** The chosen codes. */
    data class Codes(val codes: Set<String>) : Input()

    /** The travel legs. */
    data class Legs(val legs: List<TravelLeg>) : Input()
}

/** Why an answer will not be accepted. The UI turns the code into a localized sentence. */
enum class HintCode {
    /** A required answer is missing. */
    REQUIRED,

    /** Not a number in the expected form. */
    NOT_A_NUMBER,

    /** More than one decimal. */
    TOO_PRECISE,

    /** Outside [Hint.min]..[Hint.max]. */
    OUT_OF_RANGE,

    /** Not a calendar date `YYYY-MM-DD`. */
    NOT_A_DATE,

    /** A date after today where that is not allowed. */
    FUTURE_DATE,

    /** A leg that ends before it starts. */
    DATE_ORDER,

    /** Not a six-digit district code. */
    DISTRICT_FORMAT,

    /** Not an E.164 phone number. */
    PHONE_FORMAT,

    /** Not 17 digits and a check character. */
    RESIDENT_ID_FORMAT,

    /** The check character does not match. */
    RESIDENT_ID_CHECK_DIGIT,

    /** Not 5 to 20 letters and digits. */
    PASSPORT_FORMAT,

    /** Not a flight or train number. */
    TRANSPORT_FORMAT,

    /** Longer than [Hint.max] characters. */
    TOO_LONG,

    /** A name with digits or control characters. */
    NAME_CHARACTER,

    /** A code the form does not offer. */
    UNKNOWN_CODE,

    /** A travel leg with a part missing. */
    LEG_INCOMPLETE,

    /** More travel legs than the core accepts ([Hint.max]). */
    TOO_MANY_LEGS,

    /** A profile-sourced field whose attribute the profile lacks. */
    MISSING_FROM_PROFILE,

    /** A well-formed district code that names no district. */
    DISTRICT_UNKNOWN,

    /** A resident ID whose embedded birth date is not a real date. */
    RESIDENT_ID_BIRTH_DATE,

    /** A birth date that differs from the one in the resident ID. */
    BIRTH_DATE_MISMATCH,

    /** The core refused the answer for a reason without its own hint; [Hint.detail] says why (in English). */
    REJECTED,
}

/** A hint shown under a field. */
data class Hint(
    val code: HintCode,
    val min: String? = null,
    val max: String? = null,
    val detail: String? = null,
)

/** One field of a form being filled. */
data class FormField(
    /** Field id, the key of its answer. */
    val id: String,
    /** Label in the person's language. */
    val label: String,
    /** The control that renders it. */
    val control: Control,
    /** Whether an answer is required. */
    val required: Boolean,
    /** Whether the value comes from the profile (shown read-only, never answered). */
    val fromProfile: Boolean,
    /** The transform applied before it leaves (`"omit"` when it never does). */
    val transform: String,
    /** Who receives it, if anyone. */
    val recipient: String?,
    /** What has been entered. */
    val input: Input,
    /** Why the current input will not be accepted, if known. */
    val hint: Hint? = null,
) {
    /** Whether anything derived from this field can leave the device. */
    val leavesDevice: Boolean get() = recipient != null && transform != FormModel.OMIT
}

/** A form being filled for one profile on one day. */
data class FormState(
    val policyId: String,
    val formId: String,
    val profileId: String,
    /** The day the record reports on, `YYYY-MM-DD`. */
    val date: String,
    /** The form's title in the person's language. */
    val title: String,
    /** Every field, in form order (profile-sourced ones included, read-only). */
    val fields: List<FormField>,
) {
    /** The fields the person answers here. */
    val answerable: List<FormField> get() = fields.filterNot { it.fromProfile }

    /** The fields filled from the profile. */
    val fromProfile: List<FormField> get() = fields.filter { it.fromProfile }

    /** Whether any field carries a hint. */
    val hasHints: Boolean get() = fields.any { it.hint != null }

    /** The field with this id, if the form has it. */
    fun field(id: String): FormField? = fields.firstOrNull { it.id == id }

    /** This state with [input] in field [fieldId] and that field's hint cleared. */
    fun update(fieldId: String, input: Input): FormState =
        copy(fields = fields.map { if (it.id == fieldId) it.copy(input = input, hint = null) else it })

    /** This state with every field's hint replaced by the one in [hints] (or none). */
    fun withHints(hints: Map<String, Hint>): FormState =
        copy(fields = fields.map { it.copy(hint = hints[it.id]) })

    /** The answers map for `saveRecord`: see [FormModel.answers]. */
    fun answers(): Map<String, String> = FormModel.answers(this)
}

/** Builds, checks and reads forms rendered from a policy's fields. */
object FormModel {
    /** The transform name of a field that never leaves the device. */
    const val OMIT: String = "omit"

    private val DATE_SHAPE = Regex("""\d{4}-\d{2}-\d{2}""")

    /**
     * The form [form] of policy [policyId] for [profileId] on [date], labelled through
     * [labels], with [existing] answers (a saved record's, when amending) filled in.
     */
    fun build(
        form: FormInfo,
        policyId: String,
        profileId: String,
        date: String,
        labels: LabelPicker,
        existing: Map<String, String> = emptyMap(),
    ): FormState = FormState(
        policyId = policyId,
        formId = form.id,
        profileId = profileId,
        date = date,
        title = labels.pick(form.title, form.id),
        fields = form.fields.map { field(it, labels, existing[it.id]) },
    )

    /** One form field from its policy description and its saved answer, if any. */
    fun field(info: FieldInfo, labels: LabelPicker, existing: String? = null): FormField {
        val control = control(info.kind)
        return FormField(
            id = info.id,
            label = labels.pick(info.label, info.id),
            control = control,
            required = info.required,
            fromProfile = info.fromProfile,
            transform = info.transform,
            recipient = info.recipient,
            input = if (existing == null) emptyInput(control) else inputFromText(control, existing),
        )
    }

    /** The control for a field kind. */
    fun control(kind: FieldKind): Control = when (kind) {
        is FieldKind.YesNo -> Control.YesNo
        is FieldKind.Choice -> Control.SingleChoice(kind.codes)
        is FieldKind.MultiChoice -> Control.MultiChoice(kind.codes)
        is FieldKind.TemperatureC -> Control.Temperature
        is FieldKind.Integer -> Control.WholeNumber(kind.min, kind.max)
        is FieldKind.Date -> Control.Date(kind.allowFuture)
        is FieldKind.District -> Control.District
        is FieldKind.TravelHistory -> Control.TravelLegs
        is FieldKind.PersonName -> Control.Line(LineKind.PERSON_NAME)
        is FieldKind.ResidentId -> Control.Line(LineKind.RESIDENT_ID)
        is FieldKind.PassportNumber -> Control.Line(LineKind.PASSPORT_NUMBER)
        is FieldKind.Phone -> Control.Line(LineKind.PHONE)
        is FieldKind.TransportNumber -> Control.Line(LineKind.TRANSPORT_NUMBER)
        is FieldKind.Text -> Control.FreeText(
            kind.maxLen.coerceAtMost(Int.MAX_VALUE.toUInt()).toInt(),
        )
    }

    /** The keyboard a control wants. */
    fun keyboard(control: Control): Keyboard = when (control) {
        is Control.Temperature -> Keyboard.DECIMAL
        is Control.WholeNumber, is Control.District, is Control.Date -> Keyboard.NUMBER
        is Control.Line -> when (control.kind) {
            LineKind.PHONE -> Keyboard.PHONE
            LineKind.RESIDENT_ID, LineKind.PASSPORT_NUMBER, LineKind.TRANSPORT_NUMBER -> Keyboard.CAPITALS
            LineKind.PERSON_NAME -> Keyboard.TEXT
        }
        else -> Keyboard.TEXT
    }

    /** The input of an untouched control. */
    fun emptyInput(control: Control): Input = when (control) {
        is Control.YesNo -> Input.YesNo(null)
        is Control.SingleChoice -> Input.Choice(null)
        is Control.MultiChoice -> Input.Codes(emptySet())
        is Control.TravelLegs -> Input.Legs(emptyList())
        else -> Input.Text("")
    }

    /** Reads a saved answer's text form back into a control's input. */
    fun inputFromText(control: Control, text: String): Input = when (control) {
        is Control.YesNo -> Input.YesNo(
            when (text.trim().lowercase()) {
                "yes", "y", "true", "1", "是" -> true
                "no", "n", "false", "0", "否" -> false
                else -> null
            },
        )
        is Control.SingleChoice -> Input.Choice(text.trim().ifEmpty { null })
        is Control.MultiChoice -> Input.Codes(
            text.split(',').map { it.trim() }.filter { it.isNotEmpty() }.toCollection(LinkedHashSet()),
        )
        is Control.TravelLegs -> Input.Legs(
            text.split(';').map { it.trim() }.filter { it.isNotEmpty() }.map { leg ->
                val parts = leg.split(':').map { it.trim() }
                TravelLeg(parts.getOrElse(0) { "" }, parts.getOrElse(1) { "" }, parts.getOrElse(2) { "" })
            },
        )
        else -> Input.Text(text)
    }

    /**
     * The text form of a field's answer for `saveRecord`, or `null` to leave it out:
     * yes/no as `"yes"`/`"no"`, codes in the form's order joined with `","` (`""` for
     * none), travel legs as `PLACE:FROM:TO` joined with `";"` (`""` for no travel, blank
     * legs skipped), other text trimmed and left out when blank.
     */
    fun answerText(field: FormField): String? = when (val input = field.input) {
        is Input.YesNo -> input.value?.let { if (it) "yes" else "no" }
        is Input.Choice -> input.code
        is Input.Codes -> {
            val order = (field.control as? Control.MultiChoice)?.codes.orEmpty()
            val known = order.filter { it in input.codes }
            (known + input.codes.filterNot { it in order }.sorted()).joinToString(",")
        }
        is Input.Legs -> input.legs
            .filterNot { it.isBlank }
            .joinToString(";") { "${it.place.trim()}:${it.from.trim()}:${it.to.trim()}" }
        is Input.Text -> input.text.trim().ifEmpty { null }
    }

    /** The answers map for `saveRecord`: every answerable field's [answerText], if any. */
    fun answers(state: FormState): Map<String, String> {
        val answers = LinkedHashMap<String, String>()
        for (field in state.answerable) {
            answerText(field)?.let { answers[field.id] = it }
        }
        return answers
    }

    /**
     * The hint under each field the core's `checkAnswers` found a problem with (problems
     * about no field of [state] are left out: see [refusal]).
     */
    fun hints(state: FormState, problems: List<FieldProblem>): Map<String, Hint> {
        val hints = LinkedHashMap<String, Hint>()
        for (problem in problems) {
            val field = state.field(problem.field) ?: continue
            hints[problem.field] = hintForRule(problem.rule, field.control, problem.detail, problem.min, problem.max)
        }
        return hints
    }

    /** A problem about no field of the form (the record's day) as the error the UI shows. */
    fun refusal(problem: FieldProblem): SelfReportException =
        SelfReportException.InvalidInput("InvalidInput", problem.field, problem.rule, problem.detail)

    /**
     * The field and hint for a refusal from the core (`InvalidInput` naming a field of
     * [state]), or `null` when the error is about no field of the form. The broken rule's
     * code picks the hint; the core's sentence stays in [Hint.detail].
     */
    fun hintFromError(state: FormState, error: SelfReportException): Pair<String, Hint>? {
        if (error !is SelfReportException.InvalidInput) return null
        val fieldId = error.field ?: return null
        val field = state.field(fieldId) ?: return null
        return fieldId to hintForRule(error.rule, field.control, error.detail, null, null)
    }

    /**
     * The hint for a rule the core reports as broken (`FieldProblem.rule` or
     * `InvalidInput.rule`) on a field rendered with [control] (`null` when unknown), with
     * the limits the core gave ([min], [max]); rules without a hint of their own give
     * [HintCode.REJECTED].
     */
    fun hintForRule(rule: String?, control: Control?, detail: String, min: String?, max: String?): Hint {
        fun hint(code: HintCode, low: String? = null, high: String? = null) = Hint(code, low, high, detail)
        return when (rule) {
            "Required", "Empty" -> hint(HintCode.REQUIRED)
            "MissingFromProfile" -> hint(HintCode.MISSING_FROM_PROFILE)
            "TooPrecise" -> hint(HintCode.TOO_PRECISE)
            "FutureDate", "LegAfterArrival" -> hint(HintCode.FUTURE_DATE)
            "DateOrder" -> hint(HintCode.DATE_ORDER)
            "UnknownCode", "DuplicateCode" -> hint(HintCode.UNKNOWN_CODE)
            "NameCharacter" -> hint(HintCode.NAME_CHARACTER)
            "UnknownProvince", "IncompleteDistrict", "UnknownDistrict", "DistrictAbolished" ->
                hint(HintCode.DISTRICT_UNKNOWN)
            "ResidentIdCheckDigit" -> hint(HintCode.RESIDENT_ID_CHECK_DIGIT)
            "ResidentIdBirthDate" -> hint(HintCode.RESIDENT_ID_BIRTH_DATE)
            "ResidentIdBirthDateMismatch" -> hint(HintCode.BIRTH_DATE_MISMATCH)
            "TooMany" -> hint(HintCode.TOO_MANY_LEGS, high = max)
            "OutOfRange" -> hint(HintCode.OUT_OF_RANGE, min, max)
            "TooLong" -> hint(HintCode.TOO_LONG, high = max)
            "Format" -> when (control) {
                is Control.Temperature, is Control.WholeNumber -> hint(HintCode.NOT_A_NUMBER)
                is Control.Date -> hint(HintCode.NOT_A_DATE)
                is Control.District -> hint(HintCode.DISTRICT_FORMAT)
                is Control.TravelLegs -> hint(HintCode.LEG_INCOMPLETE)
                is Control.YesNo, is Control.SingleChoice, is Control.MultiChoice -> hint(HintCode.UNKNOWN_CODE)
                is Control.Line -> when (control.kind) {
                    LineKind.RESIDENT_ID -> hint(HintCode.RESIDENT_ID_FORMAT)
                    LineKind.PASSPORT_NUMBER -> hint(HintCode.PASSPORT_FORMAT)
                    LineKind.PHONE -> hint(HintCode.PHONE_FORMAT)
                    LineKind.TRANSPORT_NUMBER -> hint(HintCode.TRANSPORT_FORMAT)
                    LineKind.PERSON_NAME -> hint(HintCode.NAME_CHARACTER)
                }
                else -> hint(HintCode.REJECTED)
            }
            else -> hint(HintCode.REJECTED)
        }
    }

    /** A `YYYY-MM-DD` calendar date, or `null`. */
    fun parseDate(text: String): LocalDate? {
        if (!DATE_SHAPE.matches(text)) return null
        return try {
            LocalDate.parse(text)
        } catch (_: DateTimeParseException) {
            null
        }
    }
}
