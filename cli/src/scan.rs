//! Byte scans for values a person typed: the demo's proof that nothing is in the clear
//! in the store's files, the drop box's database or its log.

use std::path::{Path, PathBuf};

/// The byte patterns under which `value` could sit in a file: its UTF-8 bytes, and its
/// JSON-escaped forms (`\uXXXX` for each non-ASCII UTF-16 unit, lower and upper case hex,
/// since serializers differ; ASCII escapes such as `\"` as serde_json writes them).
pub fn patterns(value: &str) -> Vec<Vec<u8>> {
    let mut patterns = vec![value.as_bytes().to_vec()];
    if let Ok(json) = serde_json::to_string(value) {
        let inner = json
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'))
            .unwrap_or(&json);
        patterns.push(inner.as_bytes().to_vec());
    }
    for upper in [false, true] {
        let mut escaped = String::new();
        for unit in value.encode_utf16() {
            match u8::try_from(unit) {
                Ok(byte) if byte.is_ascii() => escaped.push(char::from(byte)),
                _ if upper => escaped.push_str(&format!("\\u{unit:04X}")),
                _ => escaped.push_str(&format!("\\u{unit:04x}")),
            }
        }
        patterns.push(escaped.into_bytes());
    }
    patterns.sort();
    patterns.dedup();
    patterns
}

/// A typed value found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file it was found in.
    pub file: PathBuf,
    /// Which of the scanned values (by position in the list given).
    pub value_index: usize,
}

/// Scans each existing file in `files` for every form of every value in `values`.
/// Files that do not exist (a WAL after a checkpoint, say) are skipped.
pub fn scan_files(files: &[PathBuf], values: &[String]) -> std::io::Result<Vec<Finding>> {
    let patterns: Vec<Vec<Vec<u8>>> = values.iter().map(|value| patterns(value)).collect();
    let mut findings = Vec::new();
    for file in files {
        let bytes = match std::fs::read(file) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        for (value_index, forms) in patterns.iter().enumerate() {
            if forms.iter().any(|form| contains(&bytes, form)) {
                findings.push(Finding {
                    file: file.clone(),
                    value_index,
                });
            }
        }
    }
    Ok(findings)
}

/// The indexes of the `values` found in `lines` (log lines) in any form of
/// [`patterns`], each standing as a token of its own: not directly after or before an
/// ASCII letter, digit or `.`.
///
/// Log lines carry numbers of their own (a request's duration, `36.5ms`), which a short
/// typed value such as a temperature would otherwise match by chance; a value written into
/// a line is delimited (by spaces, quotes, `=`, `:`), so it is still found.
pub fn scan_lines(lines: &[String], values: &[String]) -> Vec<usize> {
    values
        .iter()
        .enumerate()
        .filter(|(_, value)| {
            let forms = patterns(value);
            lines.iter().any(|line| {
                forms
                    .iter()
                    .any(|form| contains_token(line.as_bytes(), form))
            })
        })
        .map(|(index, _)| index)
        .collect()
}

fn contains_token(haystack: &[u8], needle: &[u8]) -> bool {
    let word = |byte: Option<&u8>| byte.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.');
    if needle.is_empty() || needle.len() > haystack.len() {
        return false;
    }
    (0..=haystack.len() - needle.len()).any(|start| {
        let end = start + needle.len();
        haystack[start..end] == *needle
            && !word(start.checked_sub(1).and_then(|before| haystack.get(before)))
            && !word(haystack.get(end))
    })
}

/// Total size in bytes of the files that exist.
pub fn total_size(files: &[PathBuf]) -> u64 {
    files
        .iter()
        .filter_map(|file| std::fs::metadata(file).ok())
        .map(|metadata| metadata.len())
        .sum()
}

/// The file's name for narration (`store.db-wal`).
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_include_utf8_and_json_escapes() {
        let forms = patterns("林晓雯");
        assert!(forms.contains(&"林晓雯".as_bytes().to_vec()));
        assert!(forms.contains(&b"\\u6797\\u6653\\u96ef".to_vec()));
        assert!(forms.contains(&b"\\u6797\\u6653\\u96EF".to_vec()));
        // ASCII values have one form.
        assert_eq!(patterns("+8613912345678"), vec![b"+8613912345678".to_vec()]);
        // serde_json escapes quotes.
        assert!(patterns("say \"hi\"").contains(&b"say \\\"hi\\\"".to_vec()));
    }

    #[test]
    fn log_lines_are_scanned_for_values_standing_alone() {
        let values = vec!["36.5".to_owned(), "林晓雯".to_owned(), "G1722".to_owned()];
        let lines = vec![
            "2026-11-28T20:00:00.000Z POST /v1/submissions 201 36.5ms".to_owned(),
            "2026-11-28T20:00:00.000Z POST /v1/submissions 201 136.51ms".to_owned(),
        ];
        assert!(scan_lines(&lines, &values).is_empty());
        let leaked = vec![
            "temperature=36.5 ok".to_owned(),
            "name \"\\u6797\\u6653\\u96ef\"".to_owned(),
            "train:G1722".to_owned(),
        ];
        assert_eq!(scan_lines(&leaked, &values), vec![0, 1, 2]);
    }

    #[test]
    fn scanning_finds_values_in_any_form_and_skips_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        let escaped = dir.path().join("escaped");
        let clean = dir.path().join("clean");
        std::fs::write(&plain, "xx林晓雯yy").unwrap();
        std::fs::write(&escaped, br#"{"n":"\u6797\u6653\u96ef"}"#).unwrap();
        std::fs::write(&clean, [0u8, 1, 2, 3]).unwrap();
        let files = vec![
            plain.clone(),
            escaped.clone(),
            clean,
            dir.path().join("missing"),
        ];
        let values = vec!["林晓雯".to_owned(), "310104199003152427".to_owned()];
        let findings = scan_files(&files, &values).unwrap();
        assert_eq!(
            findings,
            vec![
                Finding {
                    file: plain,
                    value_index: 0
                },
                Finding {
                    file: escaped,
                    value_index: 0
                },
            ]
        );
        let expected: usize = "xx林晓雯yy".len() + br#"{"n":"\u6797\u6653\u96ef"}"#.len() + 4;
        assert_eq!(total_size(&files), expected as u64);
    }
}
