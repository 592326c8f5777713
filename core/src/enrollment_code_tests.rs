//! Typed codes: what is typed is normalized, every typo of one symbol and every swap of
//! two neighbours is refused, and generated codes are well spread.

use std::collections::HashSet;

use super::*;

/// A fixed code with a valid check symbol, from its ten symbols.
fn complete(ten: &str) -> String {
    let values: Vec<u8> = ten
        .bytes()
        .map(|byte| {
            u8::try_from(
                CODE_ALPHABET
                    .iter()
                    .position(|known| *known == byte)
                    .unwrap(),
            )
            .unwrap()
        })
        .collect();
    let check = check_value(&values);
    format!("{ten}{}", char::from(CODE_ALPHABET[usize::from(check)]))
}

#[test]
fn a_generated_code_parses_back_and_is_shown_in_groups() {
    for _ in 0..200 {
        let code = EnrollmentCode::generate().unwrap();
        assert_eq!(code.as_str().len(), CODE_SYMBOLS);
        let again = EnrollmentCode::parse(code.as_str()).unwrap();
        assert_eq!(again, code);
        let shown = code.grouped();
        assert_eq!(shown.len(), CODE_SYMBOLS + 2);
        assert_eq!(&shown[5..6], "-");
        assert_eq!(&shown[11..12], "-");
        assert_eq!(EnrollmentCode::parse(&shown).unwrap(), code);
    }
}

#[test]
fn typed_text_is_normalized_as_crockford_reads_it() {
    let code = complete("0123ABCDEF");
    let parsed = EnrollmentCode::parse(&code).unwrap();
    // Lower case, spaces, hyphens, O for 0, I and L for 1.
    let typed = format!(
        " o{}{}-{} {} ",
        "l",
        &code[2..4],
        code[4..8].to_lowercase(),
        &code[8..]
    );
    assert_eq!(EnrollmentCode::parse(&typed).unwrap(), parsed);
    let with_i = format!("0I{}", &code[2..]);
    assert_eq!(EnrollmentCode::parse(&with_i).unwrap(), parsed);
    assert_eq!(EnrollmentCode::parse(&with_i).unwrap().as_str(), code);
}

#[test]
fn other_symbols_and_lengths_are_refused_with_the_malformed_code() {
    let code = complete("ABCDEFGHJK");
    for typed in [
        String::new(),
        code[..10].to_owned(),
        format!("{code}0"),
        format!("U{}", &code[1..]),
        format!("{}*", &code[..10]),
        format!("{}é", &code[..10]),
        "A".repeat(200),
    ] {
        let error = EnrollmentCode::parse(&typed).unwrap_err();
        assert_eq!(error.code(), "EnrollmentCodeMalformed", "{typed:?}");
    }
}

#[test]
fn every_single_symbol_substitution_is_caught() {
    for ten in [
        "0000000000",
        "ZZZZZZZZZZ",
        "0123456789",
        "ABCDEFGHJK",
        "MNPQRSTVWX",
    ] {
        let code = complete(ten);
        assert!(EnrollmentCode::parse(&code).is_ok());
        for position in 0..CODE_SYMBOLS {
            for &symbol in CODE_ALPHABET {
                if code.as_bytes()[position] == symbol {
                    continue;
                }
                let mut typo = code.clone().into_bytes();
                typo[position] = symbol;
                let typo = String::from_utf8(typo).unwrap();
                assert!(
                    EnrollmentCode::parse(&typo).is_err(),
                    "{code} -> {typo} was not caught"
                );
            }
        }
    }
}

/// Every pair of distinct symbols, swapped at every pair of neighbouring positions
/// (the check symbol's included), in codes that hold the pair there.
#[test]
fn every_adjacent_transposition_of_distinct_symbols_is_caught() {
    let mut tried = 0;
    for (a_index, &a) in CODE_ALPHABET.iter().enumerate() {
        for &b in &CODE_ALPHABET[a_index + 1..] {
            for position in 0..CODE_RANDOM_SYMBOLS - 1 {
                let mut ten = *b"7777777777";
                ten[position] = a;
                ten[position + 1] = b;
                let code = complete(std::str::from_utf8(&ten).unwrap());
                let mut swapped = code.clone().into_bytes();
                swapped.swap(position, position + 1);
                let swapped = String::from_utf8(swapped).unwrap();
                assert!(
                    EnrollmentCode::parse(&swapped).is_err(),
                    "{code} -> {swapped} was not caught"
                );
                tried += 1;
            }
            // The last random symbol and the check symbol swapped.
            let mut ten = *b"ABCDEFGHJ0";
            ten[9] = a;
            let code = complete(std::str::from_utf8(&ten).unwrap());
            let (last, check) = (code.as_bytes()[9], code.as_bytes()[10]);
            if last != check {
                let mut swapped = code.clone().into_bytes();
                swapped.swap(9, 10);
                let swapped = String::from_utf8(swapped).unwrap();
                assert!(
                    EnrollmentCode::parse(&swapped).is_err(),
                    "{code} -> {swapped}"
                );
                tried += 1;
            }
        }
    }
    assert!(tried > 32 * 31 / 2 * 9, "{tried}");
}

/// The pair Luhn mod 32 would miss, which is why the check is Damm's.
#[test]
fn the_swap_luhn_mod_32_misses_is_caught() {
    let code = complete("0Z12345678");
    let swapped = format!("Z0{}", &code[2..]);
    assert!(EnrollmentCode::parse(&swapped).is_err());
}

#[test]
fn generated_codes_differ_and_use_the_whole_alphabet() {
    let mut codes = HashSet::new();
    let mut symbols = HashSet::new();
    for _ in 0..500 {
        let code = EnrollmentCode::generate().unwrap();
        symbols.extend(code.as_str()[..CODE_RANDOM_SYMBOLS].bytes());
        codes.insert(code.as_str().to_owned());
    }
    assert_eq!(codes.len(), 500);
    assert_eq!(symbols.len(), 32);
}

#[test]
fn the_lookup_hash_is_the_sha256_of_the_normalized_code_and_debug_hides_it() {
    let code = complete("ABCDEFGHJK");
    let parsed = EnrollmentCode::parse(&code.to_lowercase()).unwrap();
    assert_eq!(
        parsed.lookup_hash(),
        crate::hex::hex(&crate::crypto::sha256(code.as_bytes()))
    );
    assert!(!format!("{parsed:?}").contains(&code));
}
