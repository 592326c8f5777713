//! The resident's journey through the CLI (issue 18, item 1), walked as she lives it: she
//! reports for her elderly mother. Each test answers one of the problems the issue found.

use selfreport_tests::{Outcome, Workspace, binary, run};

const POLICY: &str = "sh-daily-health";

/// A store with both example policies and the mother's profile, read from stdin (no
/// name on the command line); returns the profile id.
fn with_mother(ws: &Workspace) -> String {
    ws.initialized_with_policies();
    ws.selfreport_input(
        &["profile", "add", "--from", "-"],
        &[],
        "display_name=Mum\nname=王秀英\n",
    )
    .single_line()
}

fn start_monitoring(ws: &Workspace, profile: &str) {
    ws.selfreport(&["monitor", "start", "--profile", profile, "--policy", POLICY])
        .success();
}

fn report_from_stdin(ws: &Workspace, profile: &str, answers: &str) -> Outcome {
    ws.selfreport_input(
        &[
            "report",
            "--profile",
            profile,
            "--policy",
            POLICY,
            "--form",
            "daily",
            "--answers",
            "-",
        ],
        &[],
        answers,
    )
}

/// "Learned the form's field names one error at a time (nothing shows a form)."
#[test]
fn policy_show_renders_every_field_with_its_codes_and_what_leaves() {
    let ws = Workspace::new();
    ws.initialized_with_policies();
    let shown = ws.selfreport(&["policy", "show", POLICY, "--form", "daily"]);
    let text = shown.success();
    for expected in [
        "form daily: Daily health report",
        "temperature  Today's temperature (°C)",
        "symptoms  Symptoms today",
        "allowed codes: fever, cough, sore_throat, fatigue, dyspnea, loss_of_smell, diarrhea",
        "only whether it is at or above 37.3, sealed to the health recipient",
        "only the city (first four digits of the code)",
        "taken from the profile",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // The notes field never leaves, and says so.
    let notes = text.split("  notes").nth(1).expect("a notes field");
    assert!(
        notes.contains("stays on this device, never sent"),
        "{notes}"
    );

    // JSON names the same things, in a form scripts can rely on.
    let json = ws
        .selfreport(&["policy", "show", POLICY, "--form", "daily", "--json"])
        .json();
    let fields = json["forms"][0]["fields"].as_array().unwrap();
    let symptoms = fields
        .iter()
        .find(|field| field["id"] == "symptoms")
        .unwrap();
    assert_eq!(symptoms["kind"], "multi_choice");
    assert_eq!(symptoms["required"], true);
    assert_eq!(symptoms["codes"][0], "fever");
    let notes = fields.iter().find(|field| field["id"] == "notes").unwrap();
    assert_eq!(notes["leaves"], false);
    assert_eq!(notes["upload"]["transform"], "omit");
    let temperature = fields
        .iter()
        .find(|field| field["id"] == "temperature")
        .unwrap();
    assert_eq!(temperature["upload"]["transform"], "threshold");
    assert_eq!(temperature["upload"]["at"], 37.3);
    assert_eq!(temperature["to"], "health");

    // Without --form every form shows; an unknown form names the ones there are.
    let all = ws
        .selfreport(&["policy", "show", POLICY])
        .success()
        .to_owned();
    assert!(all.contains("form daily"), "{all}");
    let line = ws
        .selfreport(&["policy", "show", POLICY, "--form", "weekly"])
        .failure(1, "NotFound")
        .to_owned();
    assert!(line.contains("daily"), "{line}");
}

/// "A wrong symptom code was refused without the allowed codes."
#[test]
fn a_wrong_code_is_refused_with_the_allowed_codes() {
    let ws = Workspace::new();
    let mother = with_mother(&ws);
    start_monitoring(&ws, &mother);
    let line = report_from_stdin(
        &ws,
        &mother,
        "temperature=36.6\nsymptoms=sneezing\ncontact_with_case=no\n",
    )
    .failure(3, "InvalidInput")
    .to_owned();
    assert!(line.contains("`symptoms`"), "{line}");
    assert!(
        line.contains("fever, cough, sore_throat, fatigue, dyspnea, loss_of_smell, diarrhea"),
        "{line}"
    );
    // A missing field points at the whole form rather than leaving her to guess the next.
    let line = report_from_stdin(&ws, &mother, "temperature=36.6\n")
        .failure(3, "InvalidInput")
        .to_owned();
    assert!(
        line.contains("selfreport policy show sh-daily-health --form daily"),
        "{line}"
    );
}

/// "`monitor start` recorded the mother as an arrival"; "periods cannot be listed, ended
/// or corrected".
#[test]
fn periods_are_self_started_by_default_and_can_be_listed_ended_and_corrected() {
    let ws = Workspace::new();
    let mother = with_mother(&ws);
    let started = ws
        .selfreport(&[
            "monitor",
            "start",
            "--profile",
            &mother,
            "--policy",
            POLICY,
            "--from",
            &selfreport_tests::day(-3),
        ])
        .success()
        .to_owned();
    assert!(started.contains("Mum under sh-daily-health"), "{started}");
    assert!(started.contains("started by the person"), "{started}");
    assert!(!started.contains("arrival"), "{started}");

    let listed = ws.selfreport(&["monitor", "list", "--json"]).json();
    let period = &listed[0];
    assert_eq!(period["reason"], "self");
    assert_eq!(period["profile_id"], mother.as_str());
    assert_eq!(period["active"], true);
    assert_eq!(period["days"], 14);
    let id = period["id"].as_str().unwrap().to_owned();
    let text = ws.selfreport(&["monitor", "list"]).success().to_owned();
    assert!(
        text.contains("Mum under sh-daily-health") && text.contains("[active]"),
        "{text}"
    );

    // Corrected: she was in fact a close contact, from a day earlier.
    ws.selfreport(&[
        "monitor",
        "correct",
        &id,
        "--from",
        &selfreport_tests::day(-4),
        "--reason",
        "contact",
    ])
    .success();
    let listed = ws.selfreport(&["monitor", "list", "--json"]).json();
    assert_eq!(listed[0]["reason"], "contact");
    assert_eq!(listed[0]["start"], selfreport_tests::day(-4));
    // A correction must say what changes.
    ws.selfreport(&["monitor", "correct", &id])
        .failure(2, "Usage");

    // Ended yesterday: nothing is due today.
    assert_eq!(
        ws.selfreport(&["due", "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    ws.selfreport(&["monitor", "end", &id, "--on", &selfreport_tests::day(-1)])
        .success();
    assert_eq!(
        ws.selfreport(&["due", "--json"]).json(),
        serde_json::json!([])
    );
    let listed = ws.selfreport(&["monitor", "list", "--json"]).json();
    assert_eq!(listed[0]["last_day"], selfreport_tests::day(-1));
    assert_eq!(listed[0]["active"], false);
    // Ending again later would lengthen it: refused, with a reason.
    let line = ws
        .selfreport(&["monitor", "end", &id])
        .failure(1, "Conflict")
        .to_owned();
    assert!(line.contains("already ends"), "{line}");
}

/// "Names, ID numbers and answers are typed as command-line arguments, readable by any
/// local user in `/proc/*/cmdline`": the documented safe forms carry none of them.
#[test]
fn the_safe_forms_take_every_personal_value_off_the_command_line() {
    let ws = Workspace::new();
    ws.initialized_with_policies();
    let id_number = selfreport_tests::resident_id("11010519500301002");
    let profile_file = ws.path().join("mum.json");
    selfreport_tests::write(
        &profile_file,
        serde_json::json!({
            "display_name": "Mum", "name": "王秀英", "id_number": id_number,
            "phone": "+86 138 0013 8000", "birth_date": "1950-03-01"
        })
        .to_string()
        .as_bytes(),
    );
    let add = ["profile", "add", "--from", &profile_file.to_string_lossy()].map(str::to_owned);
    let mother = ws
        .selfreport(&add.iter().map(String::as_str).collect::<Vec<_>>())
        .single_line();
    start_monitoring(&ws, &mother);
    let answers_file = ws.path().join("today.json");
    selfreport_tests::write(
        &answers_file,
        br#"{"temperature": 37.9, "symptoms": ["cough", "fatigue"], "contact_with_case": false,
            "notes": "canary-note-8431"}"#,
    );
    let report: Vec<String> = [
        "report",
        "--profile",
        &mother,
        "--policy",
        POLICY,
        "--form",
        "daily",
        "--answers",
    ]
    .iter()
    .map(|arg| (*arg).to_owned())
    .chain([answers_file.to_string_lossy().into_owned()])
    .collect();
    let argv: Vec<&str> = report.iter().map(String::as_str).collect();
    ws.selfreport(&argv).single_line();

    // Nothing personal was in any argument given...
    let every_argument = [add.join(" "), report.join(" ")].join(" ");
    for value in [
        "王秀英",
        &id_number,
        "13800138000",
        "1950-03-01",
        "37.9",
        "cough",
        "canary-note",
    ] {
        assert!(
            !every_argument.contains(value),
            "{value} on the command line"
        );
    }
    // ...and everything arrived.
    let profile = &ws.selfreport(&["profile", "list", "--json"]).json()[0];
    assert_eq!(profile["name"], "王秀英");
    assert_eq!(profile["id_number"], id_number.as_str());
    assert_eq!(profile["phone"], "+8613800138000");
    let record = &ws.selfreport(&["records", "--json"]).json()[0];
    assert_eq!(record["values"]["temperature"], "37.9");
    assert_eq!(record["values"]["symptoms"], "cough,fatigue");
    assert_eq!(record["values"]["contact_with_case"], "no");
    assert_eq!(record["values"]["notes"], "canary-note-8431");

    // `field=value` lines on stdin amend today's report the same way.
    report_from_stdin(
        &ws,
        &mother,
        "# today, second try\ntemperature=36.8\nsymptoms=\ncontact_with_case=no\n",
    )
    .single_line();
    let record = &ws.selfreport(&["records", "--json"]).json()[0];
    assert_eq!(record["values"]["temperature"], "36.8");
    assert_eq!(record["values"]["symptoms"], "");
}

/// "With no profile edit he added a second profile and could not remove the first."
#[test]
fn a_profile_is_edited_in_place_and_a_spare_one_removed() {
    let ws = Workspace::new();
    let mother = with_mother(&ws);
    let spare = ws
        .selfreport_input(
            &["profile", "add", "--from", "-"],
            &[],
            "display_name=Mum (again)\nname=王秀英\n",
        )
        .single_line();
    // Edit: a birth date added, the nickname changed, the name kept.
    let edited = ws
        .selfreport_input(
            &["profile", "edit", &mother, "--from", "-"],
            &[],
            r#"{"display_name": "Mother", "birth_date": "1950-03-01"}"#,
        )
        .success()
        .to_owned();
    assert!(edited.contains("Mother"), "{edited}");
    let profiles = ws.selfreport(&["profile", "list", "--json"]).json();
    let mother_now = profiles
        .as_array()
        .unwrap()
        .iter()
        .find(|profile| profile["id"] == mother.as_str())
        .unwrap();
    assert_eq!(mother_now["display_name"], "Mother");
    assert_eq!(mother_now["name"], "王秀英");
    assert_eq!(mother_now["birth_date"], "1950-03-01");
    // An invalid edit names the attribute and changes nothing.
    let line = ws
        .selfreport_input(
            &["profile", "edit", &mother, "--from", "-"],
            &[],
            "phone=12\n",
        )
        .failure(3, "InvalidInput")
        .to_owned();
    assert!(line.contains("`phone`"), "{line}");

    // The spare one goes, with its monitoring period and unsent report.
    start_monitoring(&ws, &spare);
    report_from_stdin(
        &ws,
        &spare,
        "temperature=36.6\nsymptoms=\ncontact_with_case=no\n",
    )
    .single_line();
    ws.selfreport(&["profile", "remove", &spare])
        .failure(2, "Usage");
    let removed = ws
        .selfreport(&["profile", "remove", &spare, "--yes"])
        .success()
        .to_owned();
    assert!(
        removed.contains("1 unsent report(s) and 1 monitoring period(s)"),
        "{removed}"
    );
    let profiles = ws.selfreport(&["profile", "list", "--json"]).json();
    assert_eq!(profiles.as_array().unwrap().len(), 1);
    assert_eq!(
        ws.selfreport(&["records", "--json"]).json(),
        serde_json::json!([])
    );
    assert_eq!(
        ws.selfreport(&["monitor", "list", "--json"]).json(),
        serde_json::json!([])
    );
    ws.selfreport(&["profile", "remove", &spare, "--yes"])
        .failure(1, "NotFound");
    // Nothing given and no terminal to ask on: says how to give it.
    let line = ws
        .selfreport(&["profile", "add"])
        .failure(3, "InvalidInput")
        .to_owned();
    assert!(
        line.contains("`display_name`") && line.contains("--from"),
        "{line}"
    );
}

/// "The ledger does not say which household member an entry is about": each disclosure
/// names the member by the profile's local nickname, in human output only.
#[test]
fn the_ledger_names_the_household_member_by_nickname() {
    let fixture = selfreport_tests::loopback::Loopback::start();
    let nickname = fixture.canaries.display_name.clone();
    fixture
        .selfreport(&[
            "monitor",
            "start",
            "--profile",
            &fixture.profile,
            "--policy",
            POLICY,
        ])
        .success();
    fixture.grant_consent();
    fixture.report(0, 0);
    let summary = fixture.sync(&[]);
    assert_eq!(summary["delivered"], 1, "{summary}");

    let text = fixture.selfreport(&["ledger"]).success().to_owned();
    let disclosure = text
        .split("\n#")
        .find(|entry| entry.contains("sent sh-daily-health"))
        .unwrap_or_else(|| panic!("no disclosure in:\n{text}"));
    assert!(
        disclosure.contains(&format!("about {nickname}")),
        "{disclosure}"
    );
    // The nickname stays on the device: it is in no entry's hashed bytes.
    let json = fixture.selfreport(&["ledger", "--json"]).json();
    assert!(!json.to_string().contains(&nickname), "{json}");
    // In Chinese, the same entry says so in Chinese.
    let chinese = fixture
        .selfreport(&["ledger", "--lang", "zh"])
        .success()
        .to_owned();
    assert!(chinese.contains(&format!("关于：{nickname}")), "{chinese}");
}

/// "The CLI speaks English only": by `--lang` or the locale, human output and messages
/// are Chinese; `--json` output, error codes and exit statuses are the same in every
/// language.
#[test]
fn chinese_by_flag_or_locale_with_json_and_error_codes_unchanged() {
    let ws = Workspace::new();
    let mother = with_mother(&ws);
    start_monitoring(&ws, &mother);
    report_from_stdin(
        &ws,
        &mother,
        "temperature=36.6\nsymptoms=\ncontact_with_case=no\n",
    )
    .single_line();
    let chinese_locale = [("LANG", "zh_CN.UTF-8")];
    let in_language = |args: &[&str], lang: &str| -> Outcome {
        let mut full = args.to_vec();
        match lang {
            "locale" => {
                return ws.selfreport_with(
                    &full,
                    Some(selfreport_tests::PASSPHRASE),
                    &chinese_locale,
                );
            }
            flag => full.extend(["--lang", flag]),
        }
        ws.selfreport(&full)
    };

    // The same JSON in every language.
    for args in [
        &["policy", "show", POLICY, "--json"][..],
        &["policy", "list", "--json"],
        &["profile", "list", "--json"],
        &["monitor", "list", "--json"],
        &["records", "--json"],
        &["due", "--json"],
        &["ledger", "--json"],
    ] {
        let english = in_language(args, "en").success().to_owned();
        for lang in ["zh", "locale"] {
            assert_eq!(
                in_language(args, lang).success(),
                english,
                "{args:?} in {lang}"
            );
        }
    }

    // The same codes and exit statuses, with the words in Chinese.
    let bad_code = |lang: &str| {
        let mut args = vec![
            "report",
            "--profile",
            &mother,
            "--policy",
            POLICY,
            "--form",
            "daily",
            "--answer",
            "temperature=36.6",
            "--answer",
            "symptoms=sneezing",
            "--answer",
            "contact_with_case=no",
        ];
        args.extend(["--lang", lang]);
        ws.selfreport(&args)
    };
    let english = bad_code("en").failure(3, "InvalidInput").to_owned();
    let chinese = bad_code("zh").failure(3, "InvalidInput").to_owned();
    assert!(
        english.contains("is not one of the codes this form allows"),
        "{english}"
    );
    assert!(chinese.contains("不是此表单允许的代码"), "{chinese}");
    assert!(
        chinese.contains("`symptoms`") && chinese.contains("fever, cough"),
        "{chinese}"
    );
    let missing = ws
        .selfreport_with(
            &[
                "profile",
                "remove",
                "0123456789abcdef0123456789abcdef",
                "--yes",
            ],
            Some(selfreport_tests::PASSPHRASE),
            &chinese_locale,
        )
        .failure(1, "NotFound")
        .to_owned();
    assert!(missing.contains("找不到"), "{missing}");

    // Human output follows the language: the form's own Chinese labels, and the CLI's words.
    let shown = in_language(&["policy", "show", POLICY, "--form", "daily"], "locale")
        .success()
        .to_owned();
    for expected in [
        "今日体温（℃）",
        "可选代码：fever",
        "仅保存在本机，不会发送",
        "必填",
    ] {
        assert!(
            shown.contains(expected),
            "missing {expected:?} in:\n{shown}"
        );
    }
    let due = in_language(&["due"], "zh").success().to_owned();
    assert!(due.contains("没有待填报的内容"), "{due}");
    // `--lang en` wins over a Chinese locale.
    let english_due = ws
        .selfreport_with(
            &["due", "--lang", "en"],
            Some(selfreport_tests::PASSPHRASE),
            &chinese_locale,
        )
        .success()
        .to_owned();
    assert!(english_due.contains("nothing due on"), "{english_due}");
}

/// `--help` follows the language too: the commands, options and their headings in Chinese
/// by `--lang zh` or the locale, English otherwise.
#[test]
fn help_is_in_the_chosen_language() {
    let ws = Workspace::new();
    let chinese = ws.selfreport_raw(&["--lang", "zh", "report", "--help"]);
    let text = chinese.success();
    assert!(text.contains("为某档案填写表单并加密保存"), "{text}");
    assert!(text.contains("用法："), "{text}");
    assert!(text.contains("全局选项"), "{text}");
    assert!(!text.contains("Print help"), "{text}");
    let by_locale = run(
        &binary("selfreport"),
        ["sync", "--help"],
        &[("LANG", "zh_CN.UTF-8")],
        ws.path(),
    );
    assert!(
        by_locale.success().contains("密封已就绪的内容"),
        "{}",
        by_locale.stdout
    );
    let english = ws.selfreport_raw(&["report", "--help"]);
    assert!(
        english
            .success()
            .contains("Fill in a form for a profile and save it"),
        "{}",
        english.stdout
    );
}
