package org.selfreport.demo.logic

import org.selfreport.ProfileId
import java.time.LocalDate
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.selfreport.NewProfile
import org.selfreport.ProfileInfo
import org.selfreport.SelfReportException

class ProfileModelTest {
    @Test
    fun `a draft becomes a profile with blanks left out and identifiers normalized`() {
        val draft = ProfileDraft(displayName = " Mum ", name = "王芳", idNumber = "1101 0519 4912 3100 2x", phone = "+86 138-0013-8000")
        assertEquals(
            NewProfile("Mum", "王芳", "11010519491231002X", "+8613800138000", null, null),
            draft.toNewProfile(),
        )
    }

    @Test
    fun `a display name is required and every other rule is left to the core`() {
        assertEquals(mapOf(ProfileModel.DISPLAY_NAME to Hint(HintCode.REQUIRED)), ProfileModel.validate(ProfileDraft()))
        assertTrue(ProfileModel.validate(ProfileDraft(displayName = "Me")).isEmpty())
        // Attributes the core refuses are its to judge: its refusal comes back as the hint.
        val draft = ProfileDraft(displayName = "Dad", name = "Li 2", idNumber = "110105194912310021", phone = "138")
        assertTrue(ProfileModel.validate(draft).isEmpty())
    }

    @Test
    fun `a refusal naming an attribute becomes its hint`() {
        val refused = SelfReportException.InvalidInput("InvalidInput", "birth_date", "ResidentIdBirthDateMismatch", "does not match the ID")
        assertEquals(ProfileModel.BIRTH_DATE to Hint(HintCode.BIRTH_DATE_MISMATCH, detail = "does not match the ID"),
            ProfileModel.hintFromError(refused))
        val long = SelfReportException.InvalidInput("InvalidInput", "display_name", "TooLong", "too long")
        assertEquals(ProfileModel.DISPLAY_NAME to Hint(HintCode.TOO_LONG, max = "64", detail = "too long"), ProfileModel.hintFromError(long))
        val phone = SelfReportException.InvalidInput("InvalidInput", "phone", "Format", "not E.164")
        assertEquals(HintCode.PHONE_FORMAT, ProfileModel.hintFromError(phone)?.second?.code)
        assertNull(ProfileModel.hintFromError(SelfReportException.InvalidInput("InvalidInput", null, null, "?")))
        assertNull(ProfileModel.hintFromError(SelfReportException.InvalidInput("InvalidInput", "nickname", "Format", "?")))
        assertNull(ProfileModel.hintFromError(SelfReportException.Conflict("Conflict", "?")))
    }

    @Test
    fun `profile-sourced fields read the attribute their id names`() {
        val profile = ProfileInfo(ProfileId("p"), "Mum", "王芳", null, "+8613800138000", LocalDate.parse("1950-01-02"), null)
        assertEquals("王芳", ProfileModel.attribute(profile, "name"))
        assertEquals("+8613800138000", ProfileModel.attribute(profile, "phone"))
        assertEquals("1950-01-02", ProfileModel.attribute(profile, "birth_date"))
        assertNull(ProfileModel.attribute(profile, "id_number"))
        assertNull(ProfileModel.attribute(profile, "display_name"))
    }
}
