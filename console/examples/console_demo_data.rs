//! The case console's demo data, for `scripts/console-demo` (issue 16 item 9): made the
//! way the console's tests make theirs (their helpers, reused as they are).
//!
//! `console_demo_data --db URL --dir DIR` starts a drop box on loopback (SQLite, in DIR)
//! under the test policy (the daily report for the city 420100), has twelve fictional
//! residents of two counties (420106 and 420111) report over three days, sealed by the
//! core as a device does (a few dozen submissions, some with fever, one missed day), and
//! then, in the console's database at URL: migrates, imports the recipient keys (sealed
//! under a new key-encryption key, written to DIR/kek), ingests, and adds the demo
//! accounts (an officer of each county, a supervisor of the city, an auditor) with random
//! passwords. It writes a development certificate for 127.0.0.1 (DIR/tls/) and prints the
//! accounts, their passwords and TOTP secrets. The residents' identities stay sealed: the
//! console shows them only on a reveal.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/dropbox/mod.rs"]
mod dropbox;

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{Days, FixedOffset, Utc};
use selfreport_console::kek::KeyEncryptionKey;
use selfreport_console::officers::{NewOfficer, Role, add_officer};
use selfreport_console::schema::migrate;
use selfreport_core::model::{Profile, ProfileId};
use zeroize::Zeroizing;

use dropbox::{FilledDropBox, Person};

/// The fictional residents: device pseudonym, name, county, phone, and the tenths of a
/// degree they report on each of the three days (0: no report that day).
const RESIDENTS: [(&str, &str, &str, &str, [i32; 3]); 12] = [
    (
        "0a1b2c3d4e5f60718293a4b5c6d7e801",
        "李明轩",
        "420106",
        "+8613900000101",
        [365, 366, 364],
    ),
    (
        "0a1b2c3d4e5f60718293a4b5c6d7e802",
        "王芳菲",
        "420106",
        "+8613900000102",
        [372, 381, 379],
    ),
    (
        "0a1b2c3d4e5f60718293a4b5c6d7e803",
        "张伟东",
        "420106",
        "+8613900000103",
        [362, 0, 363],
    ),
    (
        "0a1b2c3d4e5f60718293a4b5c6d7e804",
        "刘洋洋",
        "420106",
        "+8613900000104",
        [368, 369, 384],
    ),
    (
        "0a1b2c3d4e5f60718293a4b5c6d7e805",
        "陈静怡",
        "420106",
        "+8613900000105",
        [364, 365, 365],
    ),
    (
        "0a1b2c3d4e5f60718293a4b5c6d7e806",
        "杨磊鑫",
        "420106",
        "+8613900000106",
        [366, 362, 367],
    ),
    (
        "0a1b2c3d4e5f60718293a4b5c6d7e807",
        "赵敏慧",
        "420111",
        "+8613900000107",
        [365, 364, 363],
    ),
    (
        "0a1b2c3d4e5f60718293a4b5c6d7e808",
        "黄涛然",
        "420111",
        "+8613900000108",
        [376, 388, 391],
    ),
    (
        "0a1b2c3d4e5f60718293a4b5c6d7e809",
        "周婷婷",
        "420111",
        "+8613900000109",
        [362, 363, 0],
    ),
    (
        "0a1b2c3d4e5f60718293a4b5c6d7e80a",
        "吴强国",
        "420111",
        "+8613900000110",
        [367, 366, 365],
    ),
    (
        "0a1b2c3d4e5f60718293a4b5c6d7e80b",
        "徐丽娟",
        "420111",
        "+8613900000111",
        [364, 365, 366],
    ),
    (
        "0a1b2c3d4e5f60718293a4b5c6d7e80c",
        "孙浩宇",
        "420111",
        "+8613900000112",
        [365, 374, 366],
    ),
];

/// The demo accounts: name, role, district.
const ACCOUNTS: [(&str, Role, Option<&str>); 4] = [
    ("officer.wuchang", Role::Officer, Some("420106")),
    ("officer.hongshan", Role::Officer, Some("420111")),
    ("supervisor.wuhan", Role::Supervisor, Some("420100")),
    ("auditor", Role::Auditor, None),
];

/// A resident ID number (GB 11643) of `district`, born 1990-01-0`n`, its check digit
/// computed: what a profile holds (the policy sends no ID number).
fn id_number(district: &str, n: usize) -> String {
    let body = format!("{district}1990010{}{:03}", n % 9 + 1, 100 + n);
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

fn arg(name: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| {
            eprintln!("usage: console_demo_data --db URL --dir DIR");
            std::process::exit(2)
        })
}

fn random_password() -> String {
    let mut bytes = [0u8; 12];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).unwrap();
    selfreport_console::base32::encode(&bytes).to_lowercase()
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|chunk| std::str::from_utf8(chunk).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let url = arg("--db");
    let dir = PathBuf::from(arg("--dir"));

    // The drop box, and the residents' reports of the last three days (China time).
    let filled = FilledDropBox::start().await;
    let today = Utc::now()
        .with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive();
    let mut sent = 0;
    for (n, (pseudonym, name, district, phone, tenths)) in RESIDENTS.iter().enumerate() {
        let person = Person {
            pseudonym,
            name,
            district,
        };
        let identity = Profile {
            id: ProfileId::from_random_bytes([n as u8 + 1; 16]),
            display_name: "me".to_owned(),
            name: Some((*name).to_owned()),
            id_number: Some(id_number(district, n)),
            phone: Some((*phone).to_owned()),
            birth_date: chrono::NaiveDate::from_ymd_opt(1990, 1, 1),
            passport_number: None,
        };
        for (back, tenths) in tenths.iter().enumerate() {
            if *tenths == 0 {
                continue;
            }
            let date = today - Days::new(2 - back as u64);
            let sealed = filled.report_as(&person, &identity, &date.to_string(), *tenths);
            filled.post(&sealed).await;
            sent += 1;
        }
    }

    // The console's database: tables, keys, ingest.
    let mut db = common::connect(&url).await;
    migrate(&mut db).await.unwrap();
    let (kek, kek_text) = KeyEncryptionKey::generate().unwrap();
    let kek_path = dir.join("kek");
    std::fs::write(&kek_path, kek_text.as_bytes()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&kek_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    filled.import_keys_into(&mut db, &kek, Utc::now()).await;
    let policy_id = filled.policy().document().id.clone();
    let report = filled.ingest_into(&mut db, &kek).await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    println!(
        "drop box: {sent} sealed submissions from {} residents of 420106 and 420111; ingested {} reports",
        RESIDENTS.len(),
        report.stored
    );

    // The development certificate for 127.0.0.1.
    let tls = dropbox::endpoint_common::TestTls::new();
    let tls_dir = dir.join("tls");
    std::fs::create_dir_all(&tls_dir).unwrap();
    std::fs::write(tls_dir.join("ca.pem"), pem("CERTIFICATE", &tls.ca)).unwrap();
    std::fs::write(tls_dir.join("cert.pem"), &tls.cert_pem).unwrap();
    std::fs::write(tls_dir.join("key.pem"), &tls.key_pem).unwrap();

    // The accounts.
    println!("accounts (password, then the TOTP secret for an authenticator app):");
    for (username, role, district) in ACCOUNTS {
        let password = random_password();
        let added = add_officer(
            &mut db,
            &kek,
            NewOfficer {
                username: username.to_owned(),
                role,
                districts: district.map(|d| vec![d.to_owned()]).unwrap_or_default(),
                policies: if district.is_some() {
                    vec![policy_id.clone()]
                } else {
                    vec![]
                },
                password: Zeroizing::new(password.clone()),
            },
            "admin",
            Utc::now(),
        )
        .await
        .unwrap();
        println!(
            "  {username:<18} {:<10} {:<7} password {password}  TOTP {}",
            role.as_str(),
            district.unwrap_or("-"),
            added.totp.base32().as_str()
        );
    }
    // The drop box was only needed to make the submissions.
    filled.drop_box.running.shutdown().await.unwrap();
}
