package org.selfreport.demo.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.selfreport.FieldKind
import org.selfreport.FieldProblem
import org.selfreport.SelfReportException

class FormModelTest {
    private val en = LabelPicker(listOf("en-US"))

    private fun daily(existing: Map<String, String> = emptyMap()) =
        FormModel.build(Fixtures.dailyForm, Fixtures.POLICY_ID, "p1", Fixtures.TODAY, en, existing)

    private fun single(kind: FieldKind, input: Input, required: Boolean = true): FormField =
        FormModel.field(Fixtures.field("f", kind, required = required), en).copy(input = input)

    @Test
    fun `every field kind gets its control`() {
        val expected = mapOf<FieldKind, Control>(
            FieldKind.YesNo to Control.YesNo,
            FieldKind.Choice(listOf("a", "b")) to Control.SingleChoice(listOf("a", "b")),
            FieldKind.MultiChoice(listOf("c")) to Control.MultiChoice(listOf("c")),
            FieldKind.TemperatureC to Control.Temperature,
            FieldKind.Integer(1, 9) to Control.WholeNumber(1, 9),
            FieldKind.Date(true) to Control.Date(true),
            FieldKind.District to Control.District,
            FieldKind.TravelHistory to Control.TravelLegs,
            FieldKind.PersonName to Control.Line(LineKind.PERSON_NAME),
            FieldKind.ResidentId to Control.Line(LineKind.RESIDENT_ID),
            FieldKind.PassportNumber to Control.Line(LineKind.PASSPORT_NUMBER),
            FieldKind.Phone to Control.Line(LineKind.PHONE),
            FieldKind.TransportNumber to Control.Line(LineKind.TRANSPORT_NUMBER),
            FieldKind.Text(200u) to Control.FreeText(200),
        )
        expected.forEach { (kind, control) -> assertEquals(control, FormModel.control(kind), "$kind") }
        assertEquals(Keyboard.DECIMAL, FormModel.keyboard(Control.Temperature))
        assertEquals(Keyboard.PHONE, FormModel.keyboard(Control.Line(LineKind.PHONE)))
        assertEquals(Keyboard.CAPITALS, FormModel.keyboard(Control.Line(LineKind.RESIDENT_ID)))
        assertEquals(Keyboard.TEXT, FormModel.keyboard(Control.FreeText(10)))
    }

    @Test
    fun `a built form keeps policy order, labels, profile fields and what leaves`() {
        val form = daily()
        assertEquals("Daily health report", form.title)
        assertEquals(listOf("name", "phone", "temperature", "symptoms", "district", "contact_with_case", "notes"),
            form.fields.map { it.id })
        assertEquals(listOf("name", "phone"), form.fromProfile.map { it.id })
        assertEquals("Today's temperature (°C)", form.field("temperature")?.label)
        assertTrue(form.field("temperature")!!.leavesDevice)
        assertFalse(form.field("notes")!!.leavesDevice)
        assertEquals("姓名", FormModel.build(Fixtures.dailyForm, "p", "x", Fixtures.TODAY, LabelPicker(listOf("zh-CN")))
            .field("name")?.label)
    }

    @Test
    fun `answers are the text forms the core parses`() {
        val form = daily()
            .update("temperature", Input.Text(" 37.6 "))
            .update("symptoms", Input.Codes(setOf("fatigue", "cough")))
            .update("district", Input.Text("310104"))
            .update("contact_with_case", Input.YesNo(false))
            .update("notes", Input.Text("   "))
        assertEquals(
            mapOf("temperature" to "37.6", "symptoms" to "cough,fatigue", "district" to "310104", "contact_with_case" to "no"),
            form.answers(),
        )
    }

    @Test
    fun `no symptoms and no travel are answers, an unanswered optional field is left out`() {
        val form = daily().update("temperature", Input.Text("36.5")).update("contact_with_case", Input.YesNo(true))
        assertEquals(mapOf("temperature" to "36.5", "symptoms" to "", "contact_with_case" to "yes"), form.answers())
        val travel = single(FieldKind.TravelHistory, Input.Legs(emptyList()))
        assertEquals("", FormModel.answerText(travel))
    }

    @Test
    fun `travel legs are joined with semicolons and blank legs skipped`() {
        val legs = Input.Legs(listOf(
            TravelLeg("420100", "2026-11-10", "2026-11-12"),
            TravelLeg(),
            TravelLeg(" 310104 ", "2026-11-13", "2026-11-20"),
        ))
        assertEquals("420100:2026-11-10:2026-11-12;310104:2026-11-13:2026-11-20",
            FormModel.answerText(single(FieldKind.TravelHistory, legs)))
    }

    @Test
    fun `saved answers read back into the same inputs`() {
        val saved = mapOf("temperature" to "37.6", "symptoms" to "cough,fatigue", "contact_with_case" to "no", "notes" to "hi")
        val form = daily(saved)
        assertEquals(Input.Codes(setOf("cough", "fatigue")), form.field("symptoms")?.input)
        assertEquals(Input.YesNo(false), form.field("contact_with_case")?.input)
        assertEquals(saved, form.answers())
        val control = Control.TravelLegs
        val text = "420100:2026-11-10:2026-11-12;310104:2026-11-13:2026-11-20"
        val legs = FormModel.inputFromText(control, text)
        assertEquals(2, (legs as Input.Legs).legs.size)
        assertEquals(text, FormModel.answerText(single(FieldKind.TravelHistory, legs)))
    }

    @Test
    fun `the core's problems become hints under their fields, the record's day is refused as a whole`() {
        val problems = listOf(
            FieldProblem("date", "BeforeArrival", null, null, emptyList(), "before arrival"),
            FieldProblem("temperature", "OutOfRange", "34.0", "43.0", emptyList(), "out of range"),
            FieldProblem("contact_with_case", "Required", null, null, emptyList(), "required"),
        )
        val hints = FormModel.hints(daily(), problems)
        assertEquals(
            mapOf(
                "temperature" to Hint(HintCode.OUT_OF_RANGE, "34.0", "43.0", "out of range"),
                "contact_with_case" to Hint(HintCode.REQUIRED, detail = "required"),
            ),
            hints,
        )
        val shown = daily().withHints(hints)
        assertTrue(shown.hasHints)
        assertNull(shown.update("temperature", Input.Text("36.6")).field("temperature")?.hint)
        val refusal = FormModel.refusal(problems[0]) as SelfReportException.InvalidInput
        assertEquals("date" to "BeforeArrival", refusal.field to refusal.rule)
    }

    @Test
    fun `a refusal from the core lands under its field with the hint of its rule`() {
        val form = daily()
        val refused = SelfReportException.InvalidInput("InvalidInput", "district", "UnknownProvince", "field `district` has an unknown province")
        assertEquals("district" to Hint(HintCode.DISTRICT_UNKNOWN, detail = "field `district` has an unknown province"),
            FormModel.hintFromError(form, refused))
        val tooPrecise = SelfReportException.InvalidInput("InvalidInput", "temperature", "TooPrecise", "more than one decimal")
        assertEquals(HintCode.TOO_PRECISE, FormModel.hintFromError(form, tooPrecise)?.second?.code)
        val missing = SelfReportException.InvalidInput("InvalidInput", "name", "MissingFromProfile", "not in the profile")
        assertEquals("name" to HintCode.MISSING_FROM_PROFILE, FormModel.hintFromError(form, missing)?.let { it.first to it.second.code })
        assertNull(FormModel.hintFromError(form, SelfReportException.InvalidInput("InvalidInput", "date", "FutureDate", "future")))
        assertNull(FormModel.hintFromError(form, SelfReportException.InvalidInput("InvalidInput", null, null, "minimize")))
        assertNull(FormModel.hintFromError(form, SelfReportException.Network("Timeout", "timed out")))
    }

    @Test
    fun `rules that name limits take them from the core`() {
        assertEquals(Hint(HintCode.OUT_OF_RANGE, "34.0", "43.0", "d"), FormModel.hintForRule("OutOfRange", Control.Temperature, "d", "34.0", "43.0"))
        assertEquals(Hint(HintCode.OUT_OF_RANGE, "1", "9", "d"), FormModel.hintForRule("OutOfRange", Control.WholeNumber(1, 9), "d", "1", "9"))
        assertEquals(Hint(HintCode.TOO_LONG, max = "200", detail = "d"), FormModel.hintForRule("TooLong", Control.FreeText(200), "d", null, "200"))
        assertEquals(Hint(HintCode.TOO_MANY_LEGS, max = "64", detail = "d"), FormModel.hintForRule("TooMany", Control.TravelLegs, "d", null, "64"))
    }

    @Test
    fun `a format refusal gets the format hint of the field's kind`() {
        val expected = mapOf(
            Control.Temperature to HintCode.NOT_A_NUMBER,
            Control.WholeNumber(0, 1) to HintCode.NOT_A_NUMBER,
            Control.Date(false) to HintCode.NOT_A_DATE,
            Control.District to HintCode.DISTRICT_FORMAT,
            Control.TravelLegs to HintCode.LEG_INCOMPLETE,
            Control.YesNo to HintCode.UNKNOWN_CODE,
            Control.Line(LineKind.PHONE) to HintCode.PHONE_FORMAT,
            Control.Line(LineKind.RESIDENT_ID) to HintCode.RESIDENT_ID_FORMAT,
            Control.Line(LineKind.PASSPORT_NUMBER) to HintCode.PASSPORT_FORMAT,
            Control.Line(LineKind.TRANSPORT_NUMBER) to HintCode.TRANSPORT_FORMAT,
            Control.FreeText(10) to HintCode.REJECTED,
        )
        expected.forEach { (control, code) -> assertEquals(code, FormModel.hintForRule("Format", control, "d", null, null).code, "$control") }
        assertEquals(HintCode.REJECTED, FormModel.hintForRule("ControlCharacter", Control.FreeText(10), "d", null, null).code)
        assertEquals(HintCode.REJECTED, FormModel.hintForRule(null, null, "d", null, null).code)
    }
}
