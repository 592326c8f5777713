package org.selfreport.demo.logic

/**
 * What a person types as an enrollment code, shaped as they type it: the same reading the
 * core applies (core/src/enrollment_code.rs: spaces, tabs, line breaks and hyphens
 * dropped, upper case, `O` read as `0`, `I` and `L` as `1`), then grouped as the collector
 * shows codes (`ABCDE-FGHJK-M`). The check symbol is not computed here: the core refuses a
 * typo (`EnrollmentCodeMalformed`) before anything is sent.
 */
object EnrollmentCodeInput {
    /** Crockford's base32 symbols, in value order (no `I`, `L`, `O`, `U`). */
    const val ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

    /** Symbols in a code: ten random ones and the check symbol. */
    const val SYMBOLS = 11

    /** Symbols per group as shown. */
    const val GROUP = 5

    /** Longest text kept from a paste: the core reads no more than 64 bytes either. */
    const val MAX_TYPED = 64

    /** The symbols of [typed], normalized as the core reads them; other characters stay, so the core names them. */
    fun normalize(typed: String): String = buildString {
        for (char in typed.take(MAX_TYPED)) {
            if (char == '-' || char == ' ' || char == '\t' || char == '\n' || char == '\r') continue
            append(
                when (val upper = char.uppercaseChar()) {
                    'O' -> '0'
                    'I', 'L' -> '1'
                    else -> upper
                },
            )
        }
    }

    /** [typed] as the field shows it: normalized, a hyphen after every [GROUP] symbols. */
    fun format(typed: String): String =
        normalize(typed).chunked(GROUP).joinToString("-")

    /** Whether [typed] has exactly [SYMBOLS] symbols, all of the alphabet: worth asking the core. */
    fun isComplete(typed: String): Boolean {
        val symbols = normalize(typed)
        return symbols.length == SYMBOLS && symbols.all { it in ALPHABET }
    }

    /** Characters of [typed] no code contains (after normalizing), in order of first appearance. */
    fun foreignSymbols(typed: String): List<Char> = normalize(typed).filter { it !in ALPHABET }.toList().distinct()
}
