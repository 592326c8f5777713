package org.selfreport.demo.logic

/**
 * Picks the text of a policy's multilingual label (`{"zh": "...", "en": "..."}`) for the
 * person's languages.
 *
 * [preferred] holds BCP 47 tags in the person's order of preference (on Android, the
 * device's locale list: `"zh-Hans-CN"`, `"en-GB"`). For each preferred tag, in order:
 * a key equal to it, then the longest key it starts with (`"zh-Hans"` for
 * `"zh-Hans-CN"`), then any key with the same language (`"zh-Hant"` for `"zh-CN"`).
 * Failing every preferred tag: English, then Chinese, then the first key in sorted order.
 * Blank texts are skipped; an empty map gives [fallback].
 */
class LabelPicker(preferred: List<String>) {
    private val preferred: List<String> = preferred.map(::normalizeTag).filter { it.isNotEmpty() }

    /** The best text of [labels], or [fallback] when it has none. */
    fun pick(labels: Map<String, String>, fallback: String): String {
        val usable = labels.entries
            .filter { it.value.isNotBlank() }
            .associate { normalizeTag(it.key) to it.value }
        if (usable.isEmpty()) return fallback
        for (tag in preferred) {
            match(usable, tag)?.let { return it }
        }
        for (tag in DEFAULT_ORDER) {
            match(usable, tag)?.let { return it }
        }
        return usable.toSortedMap().values.first()
    }

    private fun match(labels: Map<String, String>, tag: String): String? {
        labels[tag]?.let { return it }
        val prefix = labels.keys
            .filter { key -> tag.startsWith("$key-") }
            .maxByOrNull { it.length }
        if (prefix != null) return labels.getValue(prefix)
        val language = languageOf(tag)
        return labels.keys.sorted().firstOrNull { languageOf(it) == language }?.let(labels::getValue)
    }

    /** Helpers shared with callers that need the same tag handling. */
    companion object {
        private val DEFAULT_ORDER = listOf("en", "zh")

        /** Lower-cases a tag and turns `_` (Java's `zh_CN`) into `-`. */
        fun normalizeTag(tag: String): String = tag.trim().replace('_', '-').lowercase()

        /** The language subtag of a tag (`"zh"` for `"zh-hans-cn"`). */
        fun languageOf(tag: String): String = normalizeTag(tag).substringBefore('-')
    }
}
