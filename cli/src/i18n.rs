//! Human-facing text in the person's language: message catalogs kept in files
//! (`cli/locales/en.txt`, `cli/locales/zh.txt`), looked up by key.
//!
//! A catalog line is `key = text`; `#` starts a comment line; `{name}` in a text is
//! replaced by the argument of that name; `\n` stands for a line break. The language comes
//! from `--lang`, else from `LC_ALL`, `LC_MESSAGES` or `LANG` (the first one set): `zh*`
//! is Simplified Chinese, anything else English. Only human output is translated: `--json`
//! output and error codes are the same in every language.

use std::collections::HashMap;
use std::sync::OnceLock;

use clap::ValueEnum;

/// A language the CLI speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// The language tag policies use for labels (`"en"`, `"zh"`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The language the environment asks for: the first of `LC_ALL`, `LC_MESSAGES`,
    /// `LANG` that is set and not empty; `zh*` is Chinese, anything else English.
    pub fn from_environment(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let chosen = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .filter_map(&lookup)
            .find(|value| !value.is_empty());
        match chosen {
            Some(value) if value.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../locales/en.txt"),
            Lang::Zh => include_str!("../locales/zh.txt"),
        }
    }
}

static CHOSEN: OnceLock<Lang> = OnceLock::new();
static CATALOGS: OnceLock<[HashMap<&'static str, String>; 2]> = OnceLock::new();

/// Sets the language for the rest of the run (the first call wins).
pub fn choose(lang: Lang) {
    let _ = CHOSEN.set(lang);
}

/// The language chosen for this run (English until one is chosen).
pub fn lang() -> Lang {
    CHOSEN.get().copied().unwrap_or_default()
}

/// Parses a catalog: `key = text` lines, `#` comments and blank lines skipped. Lines of
/// another shape are returned as errors (a test keeps the shipped catalogs free of them).
pub fn parse_catalog(source: &'static str) -> (HashMap<&'static str, String>, Vec<&'static str>) {
    let mut entries = HashMap::new();
    let mut malformed = Vec::new();
    for line in source.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match trimmed.split_once(" = ") {
            Some((key, text)) if !key.trim().is_empty() => {
                entries.insert(key.trim(), text.trim_end().replace("\\n", "\n"));
            }
            _ => malformed.push(line),
        }
    }
    (entries, malformed)
}

fn catalogs() -> &'static [HashMap<&'static str, String>; 2] {
    CATALOGS.get_or_init(|| [Lang::En, Lang::Zh].map(|lang| parse_catalog(lang.source()).0))
}

fn catalog(lang: Lang) -> &'static HashMap<&'static str, String> {
    let [en, zh] = catalogs();
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// The text of `key` in `lang`; a key missing from the catalog (a test prevents it) falls
/// back to English, then to `?`, never a panic.
pub fn text_in(lang: Lang, key: &str) -> &'static str {
    catalog(lang)
        .get(key)
        .or_else(|| catalog(Lang::En).get(key))
        .map_or("?", String::as_str)
}

/// The text of `key` in the chosen language.
pub fn tr(key: &str) -> &'static str {
    text_in(lang(), key)
}

/// The text of `key` in `lang` with each `{name}` replaced by its value.
pub fn fill_in(lang: Lang, key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = text_in(lang, key).to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

/// The text of `key` in the chosen language with each `{name}` replaced by its value.
pub fn tr_with(key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    fill_in(lang(), key, args)
}

/// [`tr_with`] of `one` when `count` is 1, else of `other` (English plurals; Chinese
/// catalogs give both keys the same text).
pub fn tr_count(
    count: u64,
    one: &str,
    other: &str,
    args: &[(&str, &dyn std::fmt::Display)],
) -> String {
    tr_with(if count == 1 { one } else { other }, args)
}

/// The label in the chosen language, else English, else any; empty when there is none.
pub fn label(labels: &std::collections::BTreeMap<String, String>) -> &str {
    label_in(lang(), labels)
}

/// The label in `lang`, else English, else any; empty when there is none.
pub fn label_in(lang: Lang, labels: &std::collections::BTreeMap<String, String>) -> &str {
    labels
        .get(lang.tag())
        .or_else(|| labels.get("en"))
        .or_else(|| labels.values().next())
        .map_or("", String::as_str)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    fn keys(lang: Lang) -> BTreeSet<&'static str> {
        let (entries, malformed) = parse_catalog(lang.source());
        assert!(
            malformed.is_empty(),
            "{lang:?}: malformed lines {malformed:?}"
        );
        entries.into_keys().collect()
    }

    #[test]
    fn both_catalogs_hold_the_same_keys_and_no_malformed_line() {
        let en = keys(Lang::En);
        let zh = keys(Lang::Zh);
        let only_en: Vec<_> = en.difference(&zh).collect();
        let only_zh: Vec<_> = zh.difference(&en).collect();
        assert!(only_en.is_empty(), "missing from zh.txt: {only_en:?}");
        assert!(only_zh.is_empty(), "missing from en.txt: {only_zh:?}");
        assert!(en.len() > 20, "{}", en.len());
    }

    #[test]
    fn every_placeholder_of_an_english_text_is_in_its_chinese_text() {
        let (en, _) = parse_catalog(Lang::En.source());
        let (zh, _) = parse_catalog(Lang::Zh.source());
        for (key, english) in &en {
            let chinese = zh.get(key).map_or("", String::as_str);
            for piece in english.split('{').skip(1) {
                let name = piece.split('}').next().unwrap_or("");
                assert!(
                    chinese.contains(&format!("{{{name}}}")),
                    "{key}: zh lacks {{{name}}}"
                );
            }
        }
    }

    /// Every key the sources name (any string literal of the catalogs' shape whose first
    /// part is one of their namespaces, also inside `match` arms) is in the catalogs.
    #[test]
    fn every_key_the_sources_use_exists() {
        let en = keys(Lang::En);
        let namespaces: BTreeSet<&str> = en
            .iter()
            .filter_map(|key| key.split_once('.').map(|(namespace, _)| namespace))
            .collect();
        let mut used = BTreeSet::new();
        collect_used_keys(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &namespaces,
            &mut used,
        );
        assert!(used.len() > 20, "found only {} keys", used.len());
        let missing: Vec<_> = used
            .iter()
            .filter(|key| !en.contains(key.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "keys used but not in the catalogs: {missing:?}"
        );
    }

    fn collect_used_keys(dir: &Path, namespaces: &BTreeSet<&str>, used: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                collect_used_keys(&path, namespaces, used);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                // Odd pieces between quotes are string literals (near enough for keys).
                for literal in source.split('"').skip(1).step_by(2) {
                    let shaped = literal
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._".contains(c));
                    let known = literal.split_once('.').is_some_and(|(namespace, rest)| {
                        namespaces.contains(namespace) && !rest.is_empty()
                    });
                    if shaped && known {
                        used.insert(literal.to_owned());
                    }
                }
            }
        }
    }

    #[test]
    fn the_environment_picks_the_language() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        assert_eq!(Lang::from_environment(env(&[])), Lang::En);
        assert_eq!(
            Lang::from_environment(env(&[("LANG", "zh_CN.UTF-8")])),
            Lang::Zh
        );
        assert_eq!(
            Lang::from_environment(env(&[("LANG", "en_US.UTF-8")])),
            Lang::En
        );
        assert_eq!(
            Lang::from_environment(env(&[("LC_ALL", "C"), ("LANG", "zh_CN.UTF-8")])),
            Lang::En,
            "LC_ALL wins"
        );
        assert_eq!(
            Lang::from_environment(env(&[("LC_ALL", ""), ("LC_MESSAGES", "zh_TW")])),
            Lang::Zh,
            "an empty variable is skipped"
        );
    }

    #[test]
    fn labels_follow_the_language_then_english_then_any() {
        let mut labels = std::collections::BTreeMap::new();
        assert_eq!(label_in(Lang::Zh, &labels), "");
        labels.insert("fr".to_owned(), "Shanghaï".to_owned());
        assert_eq!(label_in(Lang::En, &labels), "Shanghaï");
        labels.insert("en".to_owned(), "Shanghai".to_owned());
        assert_eq!(label_in(Lang::Zh, &labels), "Shanghai");
        labels.insert("zh".to_owned(), "上海".to_owned());
        assert_eq!(label_in(Lang::Zh, &labels), "上海");
        assert_eq!(label_in(Lang::En, &labels), "Shanghai");
    }

    #[test]
    fn placeholders_are_filled_and_unknown_keys_never_panic() {
        assert_eq!(text_in(Lang::En, "no.such.key"), "?");
        let filled = fill_in(Lang::En, "policy.show.codes", &[("codes", &"a, b")]);
        assert!(filled.contains("a, b"), "{filled}");
        assert!(!filled.contains('{'), "{filled}");
    }
}
