package org.selfreport.demo.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

class LabelPickerTest {
    private val both = mapOf("zh" to "每日健康报告", "en" to "Daily health report")

    @Test
    fun `the first preferred language that has a label wins`() {
        assertEquals("每日健康报告", LabelPicker(listOf("zh-Hans-CN", "en-US")).pick(both, "daily"))
        assertEquals("Daily health report", LabelPicker(listOf("en-GB", "zh-CN")).pick(both, "daily"))
        assertEquals("Daily health report", LabelPicker(listOf("fr-FR", "en-GB")).pick(both, "daily"))
    }

    @Test
    fun `an exact tag beats a prefix and a prefix beats the bare language`() {
        val labels = mapOf("zh" to "简体", "zh-Hant" to "繁體", "zh-Hant-TW" to "臺灣")
        assertEquals("臺灣", LabelPicker(listOf("zh-Hant-TW")).pick(labels, "x"))
        assertEquals("繁體", LabelPicker(listOf("zh-Hant-HK")).pick(labels, "x"))
        assertEquals("简体", LabelPicker(listOf("zh-CN")).pick(labels, "x"))
        assertEquals("繁體", LabelPicker(listOf("zh_hant")).pick(labels, "x"))
    }

    @Test
    fun `a language without its own key falls back to any key of that language`() {
        val labels = mapOf("zh-Hans" to "简体", "en" to "English")
        assertEquals("简体", LabelPicker(listOf("zh-CN")).pick(labels, "x"))
    }

    @Test
    fun `without a preferred match English then Chinese then the first key are used`() {
        val picker = LabelPicker(listOf("fr"))
        assertEquals("Daily health report", picker.pick(both, "daily"))
        assertEquals("每日", picker.pick(mapOf("zh" to "每日", "ja" to "毎日"), "daily"))
        assertEquals("Täglich", picker.pick(mapOf("ru" to "Ежедневно", "de" to "Täglich"), "daily"))
    }

    @Test
    fun `blank labels are skipped and an empty map gives the fallback`() {
        val picker = LabelPicker(listOf("zh-CN"))
        assertEquals("Daily health report", picker.pick(mapOf("zh" to "  ", "en" to "Daily health report"), "daily"))
        assertEquals("daily", picker.pick(emptyMap(), "daily"))
        assertEquals("daily", LabelPicker(emptyList()).pick(mapOf("en" to ""), "daily"))
    }
}
