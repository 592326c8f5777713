//! What Chinese input methods produce, made plain: full-width digits, letters and signs
//! (`１２３`, `Ｘ`, `＋`) become ASCII, and spaces of every width (no-break, ideographic,
//! thin) can be dropped from identifiers.

/// The ASCII form of a full-width character (U+FF01 to U+FF5E); any other is unchanged.
pub(crate) fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Whether `c` is a space of any width: ASCII, no-break (U+00A0, U+202F), the typographic
/// spaces (U+2000 to U+200A), the medium mathematical space and the ideographic space.
pub(crate) fn is_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// `text` in ASCII where it has full-width forms, without spaces of any width.
pub(crate) fn compact_half_width(text: &str) -> String {
    text.chars()
        .map(half_width)
        .filter(|c| !is_space(*c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_forms_become_ascii_and_spaces_go() {
        assert_eq!(
            compact_half_width("１１０１０５\u{3000}１９４９\u{00A0}１２３１ ００２ｘ"),
            "11010519491231002x"
        );
        assert_eq!(compact_half_width("＋８６（０２１）"), "+86(021)");
        assert_eq!(compact_half_width("Ｘ"), "X");
        // Characters outside the full-width block are kept as they are.
        assert_eq!(compact_half_width("张三·٣"), "张三·٣");
    }

    #[test]
    fn the_whole_full_width_block_maps_onto_printable_ascii() {
        for code in 0xFF01..=0xFF5E_u32 {
            let c = char::from_u32(code).unwrap();
            let ascii = half_width(c);
            assert!(ascii.is_ascii_graphic(), "{c:?}");
            assert_eq!(u32::from(ascii) + 0xFEE0, code);
        }
    }
}
