//! Canary scans, shared by every suite that proves nothing a person typed is readable
//! where it must not be: the store files, the drop box's database and log, the bytes on
//! the wire.
//!
//! [`Canaries`] is a set of distinct values, one for every field kind the example
//! policies use, to be typed into profiles and reports. A [`Scanner`] looks for each
//! value in every form it could take in the clear ([`canary_patterns`]: UTF-8 and the
//! JSON escapes) and reports each hit as a [`Finding`] that names the place, the field
//! and the offset.
//!
//! Two matching rules:
//! - Bytes (files, captures): a value of [`MIN_BARE_LEN`] bytes or more counts wherever
//!   it occurs, except inside a longer run of [`MIN_HEX_RUN`] or more hex digits (an id
//!   or a digest: random hex holds a given six-digit district code once in 16^6
//!   places, which a long run's store reaches). A shorter value (a temperature such as
//!   `38.9`) counts only where it stands as text, between two [`TEXT_DELIMITERS`] or at
//!   an end: four given bytes occur by chance about once in every 4 GiB of ciphertext,
//!   while a value written as text (JSON, a form, a log line) is delimited.
//! - Logs: every value counts only as a token of its own, not directly after or before
//!   an ASCII letter, digit or `.`. Log lines carry numbers of their own (a request's
//!   duration, `36.2ms`) that a temperature would otherwise match by chance.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use crate::{day, resident_id};

/// Values shorter than this many bytes count in bytes only where delimited as text.
pub const MIN_BARE_LEN: usize = 6;

/// Runs of this many hex digits or more are ids or digests (see [`Rule`]).
pub const MIN_HEX_RUN: usize = 16;

/// The bytes that may surround a short value written as text.
pub const TEXT_DELIMITERS: &[u8] = b" \t\r\n\"':=,;()[]{}<>/|\\";

/// One value to look for, and the field it was typed into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canary {
    /// The field (or the stored form of it) the value belongs to, for findings.
    pub field: String,
    /// The value as typed.
    pub value: String,
}

/// Distinct values for every field kind the example policies use. No value occurs
/// inside another, so a finding names its field without doubt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canaries {
    /// Profile display name (`--display-name`).
    pub display_name: String,
    /// Full name (`person_name`); the daily-report policy uploads it (sealed).
    pub name: String,
    /// Resident ID number (`resident_id`), consistent with [`Canaries::birth_date`].
    pub id_number: String,
    /// Phone (`phone`); the daily-report policy uploads it (sealed).
    pub phone: String,
    /// Birth date (`date`, a profile attribute).
    pub birth_date: String,
    /// Passport number (`passport_number`).
    pub passport: String,
    /// Two travel places (`travel_history` districts).
    pub travel_places: [String; 2],
    /// Arrival date (`date`, answered), three days from today.
    pub arrival_date: String,
    /// Flight or train number (`transport_number`).
    pub transport_number: String,
    /// District (`district`); the daily-report policy uploads only its city.
    pub district: String,
    /// Temperatures (`temperature_c`); the daily-report policy uploads only a threshold.
    pub temperatures: [String; 3],
    /// Free-text notes (`text`), never uploaded.
    pub notes: String,
}

impl Canaries {
    /// The standard set. Dates are relative to today, so policies valid around today
    /// accept them.
    pub fn standard() -> Self {
        Self {
            display_name: "金丝雀 canary-display-q8v2".to_owned(),
            name: "欧阳灵犀".to_owned(),
            id_number: resident_id("44528119851203451"),
            phone: "+8613955550123".to_owned(),
            birth_date: "1985-12-03".to_owned(),
            passport: "EK7733991".to_owned(),
            travel_places: ["420106".to_owned(), "440305".to_owned()],
            // In the past: the registration starts the sh-arrivals period from it, and the
            // daily reports (yesterday, today) must not be dated before it. No suite reports
            // on that day (up to 3 days back), so the date is still a value of its own.
            arrival_date: day(-5),
            transport_number: "MU5137".to_owned(),
            district: "110105".to_owned(),
            temperatures: ["38.9".to_owned(), "36.2".to_owned(), "37.1".to_owned()],
            notes: "夜里头疼 canary-note-k7f3".to_owned(),
        }
    }

    /// Every value, as typed, with its field.
    pub fn typed(&self) -> Vec<Canary> {
        let mut typed = vec![
            canary("display_name", &self.display_name),
            canary("name", &self.name),
            canary("id_number", &self.id_number),
            canary("phone", &self.phone),
            canary("birth_date", &self.birth_date),
            canary("passport", &self.passport),
            canary("travel_place", &self.travel_places[0]),
            canary("travel_place", &self.travel_places[1]),
            canary("arrival_date", &self.arrival_date),
            canary("transport_number", &self.transport_number),
            canary("district", &self.district),
        ];
        typed.extend(
            self.temperatures
                .iter()
                .map(|temperature| canary("temperature", temperature)),
        );
        typed.push(canary("notes", &self.notes));
        typed
    }

    /// Every value as typed, and the forms the core writes some of them in: a record
    /// keeps a temperature as tenths of a degree (`"value":389`).
    pub fn all(&self) -> Vec<Canary> {
        let mut all = self.typed();
        for temperature in &self.temperatures {
            all.push(canary(
                "temperature (stored tenths)",
                &format!("\"value\":{}", temperature.replace('.', "")),
            ));
        }
        all
    }

    /// A scanner for [`Canaries::all`].
    pub fn scanner(&self) -> Scanner {
        Scanner::new(self.all())
    }

    /// The `selfreport profile add` options that type every profile attribute.
    pub fn profile_args(&self) -> Vec<String> {
        [
            ("--name", &self.name),
            ("--display-name", &self.display_name),
            ("--id-number", &self.id_number),
            ("--phone", &self.phone),
            ("--birth-date", &self.birth_date),
            ("--passport", &self.passport),
        ]
        .into_iter()
        .flat_map(|(option, value)| [option.to_owned(), value.clone()])
        .collect()
    }
}

impl Default for Canaries {
    fn default() -> Self {
        Self::standard()
    }
}

fn canary(field: &str, value: &str) -> Canary {
    Canary {
        field: field.to_owned(),
        value: value.to_owned(),
    }
}

/// A canary found where it must not be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file path or the label of the bytes scanned.
    pub place: String,
    /// The canary's field.
    pub field: String,
    /// The canary's value.
    pub value: String,
    /// Byte offset of the first hit.
    pub offset: usize,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({:?}) in {} at byte {}",
            self.field, self.value, self.place, self.offset
        )
    }
}

/// One searchable form of a canary.
struct Pattern {
    canary: usize,
    bytes: Vec<u8>,
    delimited: bool,
}

/// Looks for a set of canaries, in every form of [`canary_patterns`], in one pass over
/// the bytes per scan.
pub struct Scanner {
    canaries: Vec<Canary>,
    patterns: Vec<Pattern>,
    /// Indexes into `patterns` by first byte.
    by_first_byte: Vec<Vec<usize>>,
}

impl Scanner {
    /// A scanner for `canaries`.
    pub fn new(canaries: Vec<Canary>) -> Self {
        let mut scanner = Self {
            canaries: Vec::new(),
            patterns: Vec::new(),
            by_first_byte: vec![Vec::new(); 256],
        };
        for canary in canaries {
            scanner.add(canary);
        }
        scanner
    }

    /// A scanner for plain values, each its own field.
    pub fn of_values(values: &[&str]) -> Self {
        Self::new(values.iter().map(|value| canary(value, value)).collect())
    }

    /// Adds one more canary.
    pub fn with(mut self, field: &str, value: &str) -> Self {
        self.add(canary(field, value));
        self
    }

    fn add(&mut self, canary: Canary) {
        let index = self.canaries.len();
        for bytes in canary_patterns(&canary.value) {
            let Some(first) = bytes.first() else { continue };
            self.by_first_byte[usize::from(*first)].push(self.patterns.len());
            self.patterns.push(Pattern {
                canary: index,
                delimited: bytes.len() < MIN_BARE_LEN,
                bytes,
            });
        }
        self.canaries.push(canary);
    }

    /// The canaries looked for.
    pub fn canaries(&self) -> &[Canary] {
        &self.canaries
    }

    /// The first hit of each canary in `bytes`, under the bytes rule.
    pub fn scan_bytes(&self, place: &str, bytes: &[u8]) -> Vec<Finding> {
        self.scan(place, bytes, Rule::Bytes)
    }

    /// The first hit of each canary in `log`, under the log rule.
    pub fn scan_log(&self, place: &str, log: &str) -> Vec<Finding> {
        self.scan(place, log.as_bytes(), Rule::Log)
    }

    /// Every file's findings, each file's path as its place.
    pub fn scan_files(&self, files: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<Finding> {
        files
            .iter()
            .flat_map(|(path, bytes)| self.scan_bytes(&path.display().to_string(), bytes))
            .collect()
    }

    /// Reads and scans every path: files, and directories recursively; paths that do not
    /// exist are skipped (a database's `-wal` comes and goes).
    pub fn scan_paths(&self, paths: &[PathBuf]) -> Vec<Finding> {
        self.scan_files(&read_paths(paths))
    }

    fn scan(&self, place: &str, haystack: &[u8], rule: Rule) -> Vec<Finding> {
        let mut first_hit: Vec<Option<usize>> = vec![None; self.canaries.len()];
        for (start, byte) in haystack.iter().enumerate() {
            for &index in &self.by_first_byte[usize::from(*byte)] {
                let pattern = &self.patterns[index];
                if first_hit[pattern.canary].is_some() {
                    continue;
                }
                let end = start + pattern.bytes.len();
                if haystack.get(start..end) != Some(pattern.bytes.as_slice())
                    || !rule.counts(haystack, start, end, pattern.delimited)
                {
                    continue;
                }
                first_hit[pattern.canary] = Some(start);
            }
        }
        first_hit
            .iter()
            .enumerate()
            .filter_map(|(index, hit)| {
                hit.map(|offset| Finding {
                    place: place.to_owned(),
                    field: self.canaries[index].field.clone(),
                    value: self.canaries[index].value.clone(),
                    offset,
                })
            })
            .collect()
    }
}

/// Which hits count (see the [module](self) docs).
#[derive(Clone, Copy)]
enum Rule {
    Bytes,
    Log,
}

impl Rule {
    /// Whether a hit of a pattern at `start..end` counts; `short`: the pattern is shorter
    /// than [`MIN_BARE_LEN`].
    fn counts(self, haystack: &[u8], start: usize, end: usize, short: bool) -> bool {
        let before = start.checked_sub(1).and_then(|at| haystack.get(at));
        let after = haystack.get(end);
        match self {
            Rule::Log => !word_byte(before) && !word_byte(after),
            Rule::Bytes if short => {
                let text = |byte: Option<&u8>| byte.is_none_or(|b| TEXT_DELIMITERS.contains(b));
                text(before) && text(after)
            }
            Rule::Bytes => !inside_hex_run(haystack, start, end),
        }
    }
}

/// Whether `start..end` lies inside a longer run of at least [`MIN_HEX_RUN`] ASCII hex
/// digits: part of an id or a digest written in hex, random characters in which a short
/// digit string (a district code) turns up by chance (once in 16^6 places for six
/// digits). A value that is itself the whole run (a leaked resident ID) still counts.
fn inside_hex_run(haystack: &[u8], start: usize, end: usize) -> bool {
    let hex = |at: usize| haystack.get(at).is_some_and(u8::is_ascii_hexdigit);
    if !haystack[start..end].iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    let mut from = start;
    while from > 0 && hex(from - 1) && end - from < MIN_HEX_RUN {
        from -= 1;
    }
    let mut to = end;
    while hex(to) && to - from < MIN_HEX_RUN {
        to += 1;
    }
    (from, to) != (start, end) && to - from >= MIN_HEX_RUN
}

fn word_byte(byte: Option<&u8>) -> bool {
    byte.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.')
}

/// Every regular file under `paths` (directories recursively), with its bytes; paths
/// that do not exist or vanish while read are skipped.
pub fn read_paths(paths: &[PathBuf]) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for path in paths {
        read_into(path, &mut files);
    }
    files
}

fn read_into(path: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
    if path.is_dir() {
        let Ok(entries) = fs::read_dir(path) else {
            return;
        };
        for entry in entries.flatten() {
            read_into(&entry.path(), files);
        }
    } else if let Ok(bytes) = fs::read(path) {
        files.insert(path.to_path_buf(), bytes);
    }
}

/// The byte patterns a typed value could take on disk: its UTF-8 bytes, and its
/// JSON-escaped forms (`\uXXXX` for every non-ASCII character, in lower and upper case
/// hex, as serializers differ).
pub fn canary_patterns(value: &str) -> Vec<Vec<u8>> {
    let mut patterns = vec![value.as_bytes().to_vec()];
    let json = serde_json::to_string(value)
        .unwrap_or_else(|error| panic!("cannot escape {value:?}: {error}"));
    patterns.push(json.trim_matches('"').as_bytes().to_vec());
    for upper in [false, true] {
        let mut escaped = String::new();
        for unit in value.encode_utf16() {
            if unit < 0x80 {
                escaped.push(char::from(unit as u8));
            } else if upper {
                escaped.push_str(&format!("\\u{unit:04X}"));
            } else {
                escaped.push_str(&format!("\\u{unit:04x}"));
            }
        }
        patterns.push(escaped.into_bytes());
    }
    patterns.sort();
    patterns.dedup();
    patterns
}

/// Every `(file, canary)` pair where a form of the canary occurs in the file's bytes
/// (the bytes rule of the [module](self)).
pub fn find_canaries(
    files: &BTreeMap<PathBuf, Vec<u8>>,
    canaries: &[&str],
) -> Vec<(PathBuf, String)> {
    let scanner = Scanner::of_values(canaries);
    files
        .iter()
        .flat_map(|(path, bytes)| {
            scanner
                .scan_bytes("", bytes)
                .into_iter()
                .map(|finding| (path.clone(), finding.value))
        })
        .collect()
}

/// The canaries found in `log` under the log rule of the [module](self).
pub fn find_canaries_in_log(log: &str, canaries: &[&str]) -> Vec<String> {
    Scanner::of_values(canaries)
        .scan_log("log", log)
        .into_iter()
        .map(|finding| finding.value)
        .collect()
}

/// Whether `needle` occurs in `haystack` as a token of its own (the log rule).
pub fn contains_token(haystack: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() || needle.len() > haystack.len() {
        return false;
    }
    (0..=haystack.len() - needle.len()).any(|start| {
        let end = start + needle.len();
        haystack[start..end] == *needle
            && !word_byte(start.checked_sub(1).and_then(|before| haystack.get(before)))
            && !word_byte(haystack.get(end))
    })
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canary_patterns_cover_json_escapes() {
        let patterns = canary_patterns("雯A");
        assert!(patterns.contains(&"雯A".as_bytes().to_vec()));
        assert!(patterns.contains(&b"\\u96efA".to_vec()));
        assert!(patterns.contains(&b"\\u96EFA".to_vec()));
        let ascii = canary_patterns("+8613800138000");
        assert_eq!(ascii, vec![b"+8613800138000".to_vec()]);
    }

    #[test]
    fn contains_finds_needles() {
        assert!(contains(b"abcdef", b"cde"));
        assert!(!contains(b"abcdef", b"xyz"));
        assert!(!contains(b"abc", b""));
    }

    #[test]
    fn log_scans_ignore_numbers_inside_other_tokens() {
        let log = "2026-11-28T20:00:00.000Z POST /v1/submissions 201 36.2ms\n";
        assert!(find_canaries_in_log(log, &["36.2", "201"]).len() == 1);
        assert_eq!(find_canaries_in_log("t=36.2 ", &["36.2"]), vec!["36.2"]);
        assert!(contains_token(b"a \"x\" b", b"x"));
        assert!(!contains_token(b"x1", b"x"));
    }

    #[test]
    fn standard_canaries_are_distinct_and_none_holds_another() {
        let canaries = Canaries::standard();
        let typed = canaries.typed();
        assert_eq!(typed.len(), 15);
        for (i, a) in typed.iter().enumerate() {
            for (j, b) in typed.iter().enumerate() {
                assert!(i == j || !a.value.contains(&b.value), "{a:?} holds {b:?}");
            }
        }
    }

    #[test]
    fn long_values_count_anywhere_short_ones_only_as_text() {
        let scanner = Canaries::standard().scanner();
        let mut bytes = vec![0x01, 0x9f];
        bytes.extend_from_slice("\\u6b27\\u9633\\u7075\\u7280".as_bytes());
        bytes.extend_from_slice(b"\x07EK7733991\xff 38.9x 36.2\x00 x37.1 ");
        let found: Vec<(String, usize)> = scanner
            .scan_bytes("t", &bytes)
            .into_iter()
            .map(|finding| (finding.field, finding.offset))
            .collect();
        assert_eq!(
            found,
            vec![("name".to_owned(), 2), ("passport".to_owned(), 27)],
            "escaped name and bare passport found; temperatures next to other bytes not"
        );
        let text = scanner.scan_bytes("t", b"{\"temperature\":\"38.9\",\"value\":362}");
        let fields: Vec<&str> = text.iter().map(|finding| finding.field.as_str()).collect();
        assert_eq!(fields, ["temperature", "temperature (stored tenths)"]);
        assert_eq!(text[0].value, "38.9");
        assert_eq!(text[1].value, "\"value\":362");
    }

    #[test]
    fn a_digit_string_inside_a_hex_id_is_chance_but_a_whole_value_counts() {
        let scanner = Canaries::standard().scanner();
        // A record id that happens to hold the district code and a travel place.
        let chance = b"\x0b0a9f110105c3d2e1f0440305ab77cd\x00";
        assert_eq!(scanner.scan_bytes("id", chance), Vec::<Finding>::new());
        let mut leaked = b"\x0b110105\x00".to_vec();
        leaked.extend_from_slice(b"\x01");
        leaked.extend_from_slice(resident_id("44528119851203451").as_bytes());
        leaked.extend_from_slice(b"\x02");
        let fields: Vec<String> = scanner
            .scan_bytes("row", &leaked)
            .into_iter()
            .map(|finding| finding.field)
            .collect();
        assert_eq!(fields, ["id_number", "district"]);
        assert!(inside_hex_run(b"00000000110105ff", 8, 14));
        assert!(
            !inside_hex_run(b"0000110105ff", 4, 10),
            "a run of 12 is not an id"
        );
    }

    #[test]
    fn scan_paths_reads_directories_and_skips_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a.bin"), b"..MU5137..").unwrap();
        let found = Canaries::standard()
            .scanner()
            .scan_paths(&[dir.path().to_path_buf(), dir.path().join("missing-wal")]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].field, "transport_number");
        assert!(found[0].place.ends_with("a.bin"), "{}", found[0]);
    }
}
