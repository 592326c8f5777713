//! `--help` in the person's language. English help is the doc comments of `args.rs`;
//! Chinese help comes from its own catalog, `cli/locales/help.zh.txt`, keyed by the
//! command's path and the argument's id:
//!
//! - `policy.install` is the description of `selfreport policy install` (`.` for the top
//!   command itself);
//! - `policy.install/file` is the help of its `FILE` argument, and `/store` (no command
//!   path) the help of an argument wherever it appears, used where no path-specific entry
//!   exists.
//!
//! A test walks every command and argument and checks each has its Chinese text, and that
//! the catalog names none that does not exist.

use clap::{Arg, ArgAction, Command};

use crate::i18n::{Lang, parse_catalog};

fn catalog() -> &'static std::collections::HashMap<&'static str, String> {
    static CATALOG: std::sync::OnceLock<std::collections::HashMap<&'static str, String>> =
        std::sync::OnceLock::new();
    CATALOG.get_or_init(|| parse_catalog(include_str!("../locales/help.zh.txt")).0)
}

/// The language `--lang` asks for on this command line (`--lang zh`, `--lang=zh`), if any,
/// read before the command line is parsed so that `--help` can follow it.
pub fn lang_in_arguments(arguments: &[std::ffi::OsString]) -> Option<Lang> {
    let mut words = arguments.iter().filter_map(|word| word.to_str());
    while let Some(word) = words.next() {
        let value = match word.strip_prefix("--lang") {
            Some("") => words.next(),
            Some(rest) => rest.strip_prefix('='),
            None => continue,
        };
        return match value {
            Some("zh") => Some(Lang::Zh),
            Some("en") => Some(Lang::En),
            _ => None,
        };
    }
    None
}

/// `command` with its descriptions and argument help in `lang` (English as written).
pub fn localized(command: Command, lang: Lang) -> Command {
    match lang {
        Lang::En => command,
        Lang::Zh => {
            let mut command = localize(command, "", catalog());
            // clap adds its `help` subcommand when the command is built: named after that.
            command.build();
            command.mut_subcommand("help", |help| help.about("显示此帮助，或给定子命令的帮助"))
        }
    }
}

fn localize(
    command: Command,
    path: &str,
    texts: &std::collections::HashMap<&'static str, String>,
) -> Command {
    let key = if path.is_empty() { "." } else { path };
    let mut command = match texts.get(key) {
        Some(text) => command.about(text.clone()).long_about(None),
        None => command,
    }
    .help_template("{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}")
    .subcommand_help_heading("命令")
    .disable_help_flag(true)
    .arg(
        Arg::new("help")
            .short('h')
            .long("help")
            .action(ArgAction::Help)
            .help("显示帮助")
            .help_heading("选项"),
    );
    if path.is_empty() {
        command = command.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("显示版本")
                .help_heading("选项"),
        );
    }
    let ids: Vec<String> = command
        .get_arguments()
        .map(|arg| arg.get_id().to_string())
        .collect();
    for id in ids {
        let text = texts
            .get(format!("{path}/{id}").as_str())
            .or_else(|| texts.get(format!("/{id}").as_str()));
        let text = text.cloned();
        command = command.mut_arg(id, |arg| {
            let heading = match arg.get_help_heading() {
                Some("Global options") => "全局选项",
                _ => "选项",
            };
            let arg = arg.help_heading(heading);
            match text {
                Some(text) => arg.help(text).long_help(None),
                None => arg,
            }
        });
    }
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    for name in names {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        command = command.mut_subcommand(name, |sub| localize(sub, &sub_path, texts));
    }
    command
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use clap::CommandFactory as _;

    use super::*;
    use crate::args::Cli;

    /// Every (key, fallback key) the command tree asks for.
    fn wanted(command: &Command, path: &str, out: &mut Vec<(String, Option<String>)>) {
        out.push((
            if path.is_empty() {
                ".".into()
            } else {
                path.into()
            },
            None,
        ));
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version") {
                continue;
            }
            out.push((format!("{path}/{id}"), Some(format!("/{id}"))));
        }
        for sub in command.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let sub_path = if path.is_empty() {
                sub.get_name().to_owned()
            } else {
                format!("{path}.{}", sub.get_name())
            };
            wanted(sub, &sub_path, out);
        }
    }

    #[test]
    fn every_command_and_argument_has_its_chinese_help_and_no_entry_is_stale() {
        let (texts, malformed) = parse_catalog(include_str!("../locales/help.zh.txt"));
        assert!(malformed.is_empty(), "malformed lines: {malformed:?}");
        let mut wanted_keys = Vec::new();
        wanted(&Cli::command(), "", &mut wanted_keys);
        let missing: Vec<&String> = wanted_keys
            .iter()
            .filter(|(key, fallback)| {
                !texts.contains_key(key.as_str())
                    && !fallback
                        .as_ref()
                        .is_some_and(|fallback| texts.contains_key(fallback.as_str()))
            })
            .map(|(key, _)| key)
            .collect();
        assert!(missing.is_empty(), "no Chinese help for: {missing:#?}");
        let known: BTreeSet<&str> = wanted_keys
            .iter()
            .flat_map(|(key, fallback)| [Some(key.as_str()), fallback.as_deref()])
            .flatten()
            .collect();
        let stale: Vec<&&str> = texts.keys().filter(|key| !known.contains(**key)).collect();
        assert!(stale.is_empty(), "help entries for nothing: {stale:?}");
    }

    #[test]
    fn the_language_is_read_from_the_arguments_before_parsing() {
        let words =
            |line: &str| -> Vec<std::ffi::OsString> { line.split(' ').map(Into::into).collect() };
        assert_eq!(
            lang_in_arguments(&words("selfreport --lang zh --help")),
            Some(Lang::Zh)
        );
        assert_eq!(
            lang_in_arguments(&words("selfreport sync --lang=en")),
            Some(Lang::En)
        );
        assert_eq!(lang_in_arguments(&words("selfreport --lang")), None);
        assert_eq!(lang_in_arguments(&words("selfreport --help")), None);
        let help = localized(Cli::command(), Lang::Zh)
            .render_help()
            .to_string();
        assert!(help.contains("政策"), "{help}");
    }
}
