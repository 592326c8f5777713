package org.selfreport.demo.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class EnrollmentCodeInputTest {
    @Test
    fun `typed codes are read as Crockford reads them and grouped as collectors show them`() {
        assertEquals("7K3QD9XW2M4", EnrollmentCodeInput.normalize("7k3qd-9xw2m-4"))
        assertEquals("7K3QD-9XW2M-4", EnrollmentCodeInput.format("7k3qd 9xw2m 4"))
        // O is read as zero, I and L as one, in either case.
        assertEquals("01101-1ABCD-E", EnrollmentCodeInput.format("OiLo1-lABCD-e"))
        // Tabs, line breaks and stray hyphens from a paste are dropped.
        assertEquals("ABCDE-FGHJK-M", EnrollmentCodeInput.format("\tAB-CDE\r\nFGH--JK M\n"))
    }

    @Test
    fun `grouping follows the symbols as they are typed`() {
        assertEquals("", EnrollmentCodeInput.format(""))
        assertEquals("ABCD", EnrollmentCodeInput.format("abcd"))
        assertEquals("ABCDE", EnrollmentCodeInput.format("abcde"))
        assertEquals("ABCDE-F", EnrollmentCodeInput.format("abcdef"))
        // Formatting what was formatted changes nothing (the field re-formats on every keystroke).
        val once = EnrollmentCodeInput.format("7k3qd9xw2m4")
        assertEquals(once, EnrollmentCodeInput.format(once))
    }

    @Test
    fun `only eleven symbols of the alphabet are worth asking the core about`() {
        assertTrue(EnrollmentCodeInput.isComplete("7K3QD-9XW2M-4"))
        assertTrue(EnrollmentCodeInput.isComplete("7k3qd9xw2m4"))
        assertFalse(EnrollmentCodeInput.isComplete("7K3QD-9XW2M"), "ten symbols")
        assertFalse(EnrollmentCodeInput.isComplete("7K3QD-9XW2M-44"), "twelve symbols")
        assertFalse(EnrollmentCodeInput.isComplete("7K3QD-9XW2M-U"), "U is not a symbol of the alphabet")
        assertFalse(EnrollmentCodeInput.isComplete("7K3QD-9XW2M-*"))
        assertEquals(listOf('U', '*'), EnrollmentCodeInput.foreignSymbols("uu*7K"))
    }

    @Test
    fun `other characters stay so the core names the problem, and a paste is cut at the core's limit`() {
        assertEquals("ABC*U", EnrollmentCodeInput.normalize("abc*u"))
        val pasted = "A".repeat(500)
        assertEquals(EnrollmentCodeInput.MAX_TYPED, EnrollmentCodeInput.normalize(pasted).length)
    }
}
