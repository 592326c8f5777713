//! `selfreport demo`: a whole session, narrated, from the authority's keys to what the
//! authority finally reads — all in one process, on loopback.
//!
//! An authority makes its keys (policy signing, receipts, one recipient key each for
//! health and identity); a private test CA certifies a key for 127.0.0.1; the example
//! policies are re-pointed at drop boxes served in-process on loopback ports (pinned to
//! that key) and signed. A resident creates a store, adds herself and her father (back
//! from Wuhan), registers his arrival; on arrival his phone shows an arrival pass, the
//! checkpoint confirms his registration and issues an order bound to it, and he enrolls
//! with it; she starts her own period as his contact; both file daily reports with a
//! clock moved day by day (every upload paying with an unlinkable upload token); she previews what one record discloses,
//! consents and syncs; the ledger shows every disclosure with its verified receipt.
//! The drop boxes' databases and logs hold none of the values typed; the authority opens
//! the submissions with its recipient keys and sees exactly the reduced fields — the
//! demo lists what it never received. Finally the store's files are scanned too, the
//! clock moves past retention, and purge leaves nothing behind.
//!
//! The clock is fixed (in the example policies' validity window, Shanghai time), so the
//! demo behaves the same whatever today's date is.

mod checkpoint;
mod disclosure;
mod loopback;
mod people;
mod policy_setup;

use std::cell::Cell;
use std::fs;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use selfreport_core::crypto::PassphraseKeySource;
use selfreport_core::model::{Answers, MonitoringReason, NewProfile, Owed, ProfileId, RecordId};
use selfreport_core::{Clock, FixedClock, Options, SelfReport};
use selfreport_endpoint::delegation::{DelegationRequest, delegate_file, sign_policy_under_chain};
use selfreport_endpoint::token_key::IssuerSecretKey;
use selfreport_endpoint::{AuthorityError, KeygenOutput};
use zeroize::Zeroizing;

use loopback::{Loopback, ReservedPort, RunningDropBox};
use people::{
    ARRIVAL_DATE, DAUGHTER, DAYS, DISTRICT, FATHER, FATHER_REMEASURED, TRAIN, TRAVEL, TRAVEL_DATES,
    TRAVEL_PLACE,
};
use policy_setup::repointed_policy;
use selfreport_endpoint::development_pki::DevelopmentPki;

use crate::commands::emit;
use crate::failure::{EXIT_OTHER, Failure};
use crate::{scan, trust};

/// The example policies, embedded so the demo runs from any directory.
const POLICIES: [(&str, &str); 2] = [
    (
        "daily-report",
        include_str!("../../../examples/policies/daily-report.json"),
    ),
    (
        "traveler-preregistration",
        include_str!("../../../examples/policies/traveler-preregistration.json"),
    ),
];

/// The demo store's passphrase. A demo secret, printed on purpose.
const DEMO_PASSPHRASE: &str = "demo passphrase: 春眠不觉晓";

/// PBKDF2 iterations for the demo store: lower than the 600,000 real stores use, so the
/// demo starts at once even in a debug build. Said so in the narration.
const DEMO_PBKDF2_ITERATIONS: u32 = 100_000;

/// Shanghai is UTC+8; "today" in the demo is the local date there.
const SHANGHAI_OFFSET_SECONDS: i32 = 8 * 3600;

/// Runs the demo in `dir` (kept), or in a temporary directory removed at the end.
pub fn run(dir: Option<&Path>) -> Result<(), Failure> {
    match dir {
        Some(dir) => {
            if dir.exists()
                && fs::read_dir(dir).map_or(true, |mut entries| entries.next().is_some())
            {
                return Err(Failure::new(
                    "Conflict",
                    format!(
                        "{} is not empty; give the demo a new or empty directory",
                        dir.display()
                    ),
                    EXIT_OTHER,
                ));
            }
            emit(&format!(
                "selfreport demo: a whole session, narrated. Working in {} (kept afterwards).",
                dir.display()
            ))?;
            Demo::new(dir)?.run()?;
            emit(&format!(
                "\nThe demo's files are in {}. Its store opens with the CLI too:\n  \
                 SELFREPORT_PASSPHRASE='{DEMO_PASSPHRASE}' selfreport --store {} profile list",
                dir.display(),
                dir.join("store").display()
            ))
        }
        None => {
            let temporary = tempfile::Builder::new()
                .prefix("selfreport-demo-")
                .tempdir()
                .map_err(|error| Failure::io("cannot create a temporary directory", &error))?;
            emit(&format!(
                "selfreport demo: a whole session, narrated. Working in {} (removed at the end).",
                temporary.path().display()
            ))?;
            let outcome = Demo::new(temporary.path()).and_then(Demo::run);
            let path = temporary.path().to_path_buf();
            temporary.close().map_err(|error| {
                Failure::io(format!("cannot remove {}", path.display()), &error)
            })?;
            outcome?;
            emit(&format!("\nRemoved {}.", path.display()))
        }
    }
}

struct Demo {
    dir: PathBuf,
    clock: Arc<FixedClock>,
    /// Every value typed into the store, for the scans.
    typed: Vec<String>,
    /// The number of the last step narrated.
    step: Cell<u32>,
}

impl Demo {
    fn new(dir: &Path) -> Result<Self, Failure> {
        let start = NaiveDate::from_ymd_opt(2026, 11, 15).ok_or_else(|| internal("bad date"))?;
        let clock = FixedClock::at_local_noon(start, SHANGHAI_OFFSET_SECONDS)
            .ok_or_else(|| internal("bad clock"))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            clock: Arc::new(clock),
            typed: Vec::new(),
            step: Cell::new(0),
        })
    }

    /// Narrates the next step, numbered.
    fn step(&self, text: &str) -> Result<(), Failure> {
        let number = self.step.get() + 1;
        self.step.set(number);
        say(&format!("\n{number}. {text}"))
    }

    fn type_in(&mut self, value: &str) -> String {
        if !self.typed.iter().any(|typed| typed == value) {
            self.typed.push(value.to_owned());
        }
        value.to_owned()
    }

    /// A temperature as typed (`36.5`); the scan also looks for the form records keep it
    /// in, tenths of a degree in the value's JSON (`"value":365`).
    fn type_temperature(&mut self, value: &str) -> String {
        let tenths = value.replace('.', "");
        self.type_in(&format!("\"value\":{tenths}"));
        self.type_in(value)
    }

    fn run(mut self) -> Result<(), Failure> {
        let keys = self.authority_keys()?;
        let loopback = self.test_network(&keys)?;
        let (signed, drop_boxes) = self.sign_and_serve(&keys, &loopback)?;
        let report = self.create_store()?;
        self.install_policies(&report, &signed)?;
        let (daughter, father) = self.add_household(&report)?;
        let arrival = self.register_arrival(&report, &father)?;
        let ordered_policy = signed
            .iter()
            .find(|path| path.ends_with(format!("{}.signed.json", "traveler-preregistration")))
            .ok_or_else(|| internal("no traveler policy"))?;
        self.start_monitoring(&report, &daughter, &father, &keys, ordered_policy)?;
        self.daily_reports(&report, &daughter, &father)?;
        self.show_due(&report)?;
        self.preview(&report, &arrival)?;
        self.consent_and_sync(&report, &loopback)?;
        self.ledger(&report)?;
        let databases = self.drop_box_scan(drop_boxes, &loopback)?;
        self.authority_view(&report, &keys, &databases)?;
        self.scan(&report)?;
        self.purge(&report)
    }

    /// The commission's root key and the district office's keys, with the endpoint
    /// library; the commission delegates to the office.
    fn authority_keys(&self) -> Result<KeygenOutput, Failure> {
        self.step(
            "The health commission makes its root key, the one key apps trust; a district \
             office makes its own keys: a policy-signing key and a receipt key for its drop \
             box (Ed25519), and one X25519 key per recipient, health and identity.",
        )?;
        let root =
            selfreport_endpoint::keygen(&self.dir.join("commission")).map_err(authority_failure)?;
        let key_dir = self.dir.join("authority");
        let keys = selfreport_endpoint::keygen(&key_dir).map_err(authority_failure)?;
        say(&format!(
            "   {} stays with the commission, offline; {} is what apps trust. Key id {}.",
            relative(&self.dir, &root.signing_key_path),
            relative(&self.dir, &root.public_key_path),
            root.key_id
        ))?;
        let delegation = self.dir.join("authority").join("delegation.json");
        let request = DelegationRequest {
            namespace: "sh-".to_owned(),
            purposes: vec!["epidemic-control".to_owned()],
            regions: vec!["310000".to_owned()],
            max_device_days: 28,
            max_server_days: 28,
            endpoint_hosts: vec!["127.0.0.1".to_owned()],
            kinds: Vec::new(),
            depth: 0,
            valid_from: NaiveDate::from_ymd_opt(2026, 11, 1).ok_or_else(|| internal("date"))?,
            valid_until: NaiveDate::from_ymd_opt(2027, 5, 1).ok_or_else(|| internal("date"))?,
            subject_name: [("en".to_owned(), "Huangpu District CDC".to_owned())].into(),
        };
        delegate_file(
            &root.signing_key_path,
            &keys.public_key_path,
            None,
            &request,
            &delegation,
        )
        .map_err(authority_failure)?;
        say(&format!(
            "   The commission delegates to the office's key {} ({}): policy ids starting \
             `sh-`, epidemic control only, Shanghai, at most 28 days of retention, its own \
             drop box's host, no free text; it cannot delegate further.",
            keys.key_id,
            relative(&self.dir, &delegation)
        ))?;
        say(&format!(
            "   {} stays with the office (mode 0600) and signs its policies under that delegation.",
            relative(&self.dir, &keys.signing_key_path),
        ))?;
        let recipients: Vec<String> = keys
            .recipients
            .iter()
            .map(|recipient| relative(&self.dir, &recipient.key_path))
            .collect();
        say(&format!(
            "   {} open submissions; they never go to the drop box, which gets {} only.",
            recipients.join(" and "),
            relative(&self.dir, &keys.receipt_key_path)
        ))?;
        Ok(keys)
    }

    /// A private test CA, a certificate for 127.0.0.1, and the ports the drop boxes
    /// will serve on.
    fn test_network(&self, keys: &KeygenOutput) -> Result<Loopback, Failure> {
        self.step(
            "The drop boxes will run here, in this process, on 127.0.0.1. A private test CA, \
             made just now with rcgen, certifies their TLS key (a real endpoint has a public \
             CA's certificate).",
        )?;
        let pki = DevelopmentPki::new(
            "selfreport demo CA (private, for this run only)",
            &["127.0.0.1".to_owned()],
        )
        .map_err(authority_failure)?;
        let tls_dir = self.dir.join("tls");
        create_dir(&tls_dir)?;
        let ca_path = tls_dir.join("ca.pem");
        fs::write(&ca_path, &pki.ca_pem)
            .map_err(|error| Failure::io(format!("cannot write {}", ca_path.display()), &error))?;
        say(&format!(
            "   The policies will pin that key: SPKI SHA-256 {}.",
            pki.spki_pin
        ))?;
        say(&format!(
            "   The resident's device trusts the test CA ({}) only because the demo says so \
             explicitly, like `selfreport --extra-root`; the pin is checked either way.",
            relative(&self.dir, &ca_path)
        ))?;
        let clock: Arc<dyn Clock> = self.clock.clone();
        Ok(Loopback::new(pki, &keys.receipt_key_path, clock))
    }

    /// The example policies re-pointed at loopback drop boxes, signed; the drop boxes
    /// started.
    fn sign_and_serve(
        &self,
        keys: &KeygenOutput,
        loopback: &Loopback,
    ) -> Result<(Vec<PathBuf>, Vec<RunningDropBox>), Failure> {
        self.step(
            "The office signs the two example policies as selfreport.policy/2 (serving Shanghai, \
             recipients with their roles), each re-pointed at its own drop box, with the real \
             recipient keys, receipt key and pin, and its delegation embedded; then starts the \
             drop boxes.",
        )?;
        let delegation = self.dir.join("authority").join("delegation.json");
        let root = self.dir.join("commission").join("signing.pub");
        let policy_dir = self.dir.join("policies");
        let dropbox_dir = self.dir.join("dropbox");
        create_dir(&policy_dir)?;
        create_dir(&dropbox_dir)?;
        let mut signed = Vec::new();
        let mut servers = Vec::new();
        let trust = trust::read_public_key_files(std::slice::from_ref(&root))?;
        for (name, text) in POLICIES {
            let port = ReservedPort::bind()?;
            let document = policy_dir.join(format!("{name}.json"));
            let token_keys = [IssuerSecretKey::generate(), IssuerSecretKey::generate()];
            let [Ok(enrolled), Ok(open)] = token_keys else {
                return Err(internal("no upload token key could be made"));
            };
            let policy = repointed_policy(
                text,
                &port.url,
                keys,
                &loopback.pki.spki_pin,
                [&enrolled, &open],
            )?;
            fs::write(&document, policy).map_err(|error| {
                Failure::io(format!("cannot write {}", document.display()), &error)
            })?;
            let out = policy_dir.join(format!("{name}.signed.json"));
            let result = sign_policy_under_chain(
                &keys.signing_key_path,
                &document,
                std::slice::from_ref(&delegation),
                Some(&root),
                &out,
            )
            .map_err(authority_failure)?;
            let envelope = fs::read(&out)
                .map_err(|error| Failure::io(format!("cannot read {}", out.display()), &error))?;
            let db = dropbox_dir.join(format!("{}.db", result.policy_id));
            let server = loopback.start(
                &result.policy_id,
                &envelope,
                db,
                port,
                vec![enrolled, open],
                trust.clone(),
            )?;
            say(&format!(
                "   {} version {} -> {}; its drop box listens at {}",
                result.policy_id,
                result.version,
                relative(&self.dir, &out),
                server.url
            ))?;
            signed.push(out);
            servers.push(server);
        }
        say(
            "   Each drop box holds the receipt key and stores what arrives. It has no recipient key.",
        )?;
        say(
            "   It also holds two upload token keys (RSA blind signatures, Privacy Pass token type 2), \
             their public halves in the signed policy: every upload spends a token, bought with an \
             enrollment order or, for open forms, by any device a few a day; it cannot tell which \
             token it issued to whom.",
        )?;
        Ok((signed, servers))
    }

    /// The resident's encrypted store, trusting the authority's key only.
    fn create_store(&self) -> Result<SelfReport, Failure> {
        self.step(
            "Lin Xiaowen creates an encrypted store on her computer, trusting only the \
             commission's key.",
        )?;
        say(&format!(
            "   The clock is fixed at {} (Shanghai), inside the example policies' validity window.",
            self.clock.now().format("%Y-%m-%d %H:%M %:z")
        ))?;
        say(&format!(
            "   The store key is wrapped with a passphrase through PBKDF2-HMAC-SHA256 at {DEMO_PBKDF2_ITERATIONS} \
             iterations: fewer than the 600,000 real stores use, to keep the demo quick."
        ))?;
        let store_dir = self.dir.join("store");
        let public = self.dir.join("commission").join("signing.pub");
        let trust_anchors = trust::read_public_key_files(&[public])?;
        let iterations =
            NonZeroU32::new(DEMO_PBKDF2_ITERATIONS).ok_or_else(|| internal("zero iterations"))?;
        let source = PassphraseKeySource::new(Zeroizing::new(DEMO_PASSPHRASE.to_owned()))
            .with_iterations(iterations);
        let clock: Arc<dyn Clock> = self.clock.clone();
        let options = Options {
            trust_anchors: trust_anchors.clone(),
            clock,
        };
        let report = SelfReport::create(&store_dir, &source, options)?;
        trust::save(&store_dir, &trust_anchors)?;
        say(&format!(
            "   Created {}.",
            relative(&self.dir, &store_dir.join(selfreport_core::store::DB_FILE))
        ))?;
        Ok(report)
    }

    /// Both policies, each verified before it is installed.
    fn install_policies(&self, report: &SelfReport, signed: &[PathBuf]) -> Result<(), Failure> {
        self.step(
            "She installs both policies; each is checked first: the delegation from the trusted \
             commission, the office's signature, and that the policy stays within what was \
             delegated.",
        )?;
        for path in signed {
            let bytes = fs::read(path)
                .map_err(|error| Failure::io(format!("cannot read {}", path.display()), &error))?;
            let summary = report.install_policy(&bytes)?;
            say(&format!(
                "   {} version {}: purpose {}, forms {}, data kept {} days on this device",
                summary.id,
                summary.version,
                summary.purpose_code,
                summary.forms.join(" and "),
                summary.device_retention_days
            ))?;
        }
        let first = signed.first().ok_or_else(|| internal("no signed policy"))?;
        let mut tampered = fs::read(first)
            .map_err(|error| Failure::io(format!("cannot read {}", first.display()), &error))?;
        // A byte inside the signed payload: flipping one of its bits breaks the signature.
        let middle = tampered.len() / 2;
        if let Some(byte) = tampered.get_mut(middle) {
            *byte ^= 0x01;
        }
        match report.install_policy(&tampered) {
            Err(error) => say(&format!(
                "   The same file with one bit flipped is refused: {}.",
                error.code()
            )),
            Ok(_) => Err(Failure::integrity(
                "DemoTamperAccepted",
                "a tampered policy was installed",
            )),
        }
    }

    /// The household.
    fn add_household(&mut self, report: &SelfReport) -> Result<(ProfileId, ProfileId), Failure> {
        self.step("She adds two household profiles: herself and her father, back from Wuhan.")?;
        let mut ids = Vec::new();
        for person in [&DAUGHTER, &FATHER] {
            let birth_date: NaiveDate = person
                .birth_date
                .parse()
                .map_err(|_| internal("bad demo birth date"))?;
            self.type_in(person.birth_date);
            let profile = NewProfile {
                display_name: self.type_in(person.display_name),
                name: Some(self.type_in(person.name)),
                id_number: Some(self.type_in(person.id_number)),
                phone: Some(self.type_in(person.phone)),
                birth_date: Some(birth_date),
                passport_number: person.passport.map(|passport| self.type_in(passport)),
            };
            let id = report.add_profile(profile)?;
            say(&format!(
                "   {} ({}), resident ID {}, phone {}: profile {}",
                person.name, person.display_name, person.id_number, person.phone, id
            ))?;
            ids.push(id);
        }
        let father = ids.pop().ok_or_else(|| internal("no father"))?;
        let daughter = ids.pop().ok_or_else(|| internal("no daughter"))?;
        Ok((daughter, father))
    }

    /// The father's pre-registration, the day before he arrives.
    fn register_arrival(
        &mut self,
        report: &SelfReport,
        father: &ProfileId,
    ) -> Result<RecordId, Failure> {
        self.step(&format!(
            "On {} her father pre-registers his arrival (policy sh-arrivals, form arrival).",
            self.clock.today()
        ))?;
        for date in TRAVEL_DATES {
            self.type_in(date);
        }
        self.type_in(TRAVEL_PLACE);
        let answers = Answers::new()
            .text("travel", self.type_in(TRAVEL))
            .text("arrival_date", self.type_in(ARRIVAL_DATE))
            .text("transport_number", self.type_in(TRAIN));
        let saved = report.save_record(father, "sh-arrivals", "arrival", None, answers)?;
        say(&format!(
            "   Stayed in {TRAVEL_PLACE} (Wuchang, Wuhan) {} to {}, arrives {ARRIVAL_DATE} on train {TRAIN}: record {}.",
            TRAVEL_DATES[0], TRAVEL_DATES[1], saved.id
        ))?;
        say(
            "   Name, ID number, phone and birth date come from his profile; they are stored once, not copied.",
        )?;
        if let Some(period) = &saved.monitoring_started {
            say(&format!(
                "   Saving it started his monitoring period from his arrival day: sh-arrivals, reason {}, {} to {} ({} days).",
                period.reason,
                period.start,
                period.last_day(),
                period.days
            ))?;
        }
        Ok(saved.id)
    }

    /// Monitoring periods from the arrival day: his from the checkpoint's order, hers (a
    /// close contact) she starts.
    fn start_monitoring(
        &mut self,
        report: &SelfReport,
        daughter: &ProfileId,
        father: &ProfileId,
        keys: &KeygenOutput,
        ordered_policy: &Path,
    ) -> Result<(), Failure> {
        self.clock.advance_days(1);
        let arrival: NaiveDate = ARRIVAL_DATE
            .parse()
            .map_err(|_| internal("bad arrival date"))?;
        let his = self.checkpoint(report, father, &keys.signing_key_path, ordered_policy)?;
        self.step(&format!(
            "{}: she starts her own monitoring period as his close contact (sh-daily-health's \
             daily form is open to anyone).",
            self.clock.today()
        ))?;
        let hers = report.start_monitoring(
            daughter,
            "sh-daily-health",
            Some(arrival),
            MonitoringReason::Contact,
        )?;
        for (period, who) in [(his, FATHER.name), (hers, DAUGHTER.name)] {
            say(&format!(
                "   {who}: {}, reason {}, {} to {} ({} days)",
                period.policy_id,
                period.reason,
                period.start,
                period.last_day(),
                period.days
            ))?;
        }
        Ok(())
    }

    /// Three days of daily reports, the clock moved a day at a time.
    fn daily_reports(
        &mut self,
        report: &SelfReport,
        daughter: &ProfileId,
        father: &ProfileId,
    ) -> Result<(), Failure> {
        self.step("Three days of daily reports, the clock moved one day at a time.")?;
        for (index, (her_temperature, his_temperature, his_symptoms, his_notes)) in
            DAYS.into_iter().enumerate()
        {
            if index > 0 {
                self.clock.advance_days(1);
            }
            let today = self.clock.today();
            let hers = Answers::new()
                .text("temperature", self.type_temperature(her_temperature))
                .text("symptoms", "")
                .text("contact_with_case", "yes")
                .text("district", self.type_in(DISTRICT));
            report.save_record(daughter, "sh-daily-health", "daily", None, hers)?;
            let mut his = Answers::new()
                .text("temperature", self.type_temperature(his_temperature))
                .text("symptoms", his_symptoms);
            if let Some(notes) = his_notes {
                his = his.text("notes", self.type_in(notes));
            }
            report.save_record(father, "sh-arrivals", "daily", None, his)?;
            let symptoms = if his_symptoms.is_empty() {
                "no symptoms".to_owned()
            } else {
                his_symptoms.replace(',', ", ")
            };
            say(&format!(
                "   {today}: {} {her_temperature} °C, no symptoms; {} {his_temperature} °C, {symptoms}{}",
                DAUGHTER.name,
                FATHER.name,
                his_notes.map_or(String::new(), |notes| format!(", note \"{notes}\""))
            ))?;
            if his_notes.is_some() {
                let (temperature, symptoms) = FATHER_REMEASURED;
                let mut again = Answers::new()
                    .text("temperature", self.type_temperature(temperature))
                    .text("symptoms", symptoms);
                if let Some(notes) = his_notes {
                    again = again.text("notes", notes);
                }
                let saved = report.save_record(father, "sh-arrivals", "daily", None, again)?;
                say(&format!(
                    "   {today}: he measures again, {temperature} °C; saving again {}.",
                    if saved.amended {
                        "amends that day's record in place (nothing was sent yet)"
                    } else {
                        "adds a new revision"
                    }
                ))?;
            }
        }
        Ok(())
    }

    /// What is owed today.
    fn show_due(&self, report: &SelfReport) -> Result<(), Failure> {
        self.clock.advance_days(1);
        let today = self.clock.today();
        self.step(&format!("{today}: what is due today?"))?;
        let names: Vec<(ProfileId, String)> = report
            .profiles()?
            .into_iter()
            .map(|profile| (profile.id, profile.display_name))
            .collect();
        let items = report.due(None)?;
        if items.is_empty() {
            say("   Nothing.")?;
        }
        for item in items {
            let name = names
                .iter()
                .find(|(id, _)| *id == item.profile_id)
                .map_or("?", |(_, name)| name.as_str());
            let why = match item.owed {
                Owed::Daily { day, of_days } => format!("day {day} of {of_days}"),
                Owed::Registration => "registration filled in, not sent yet".to_owned(),
            };
            say(&format!(
                "   {name} owes {}/{} ({why})",
                item.policy_id, item.form_id
            ))?;
        }
        Ok(())
    }

    /// The proof. Every typed value, searched for in the database files.
    fn scan(&self, report: &SelfReport) -> Result<(), Failure> {
        self.step(
            "Back on the device: the store's files (records, outbox, ledger) are scanned for \
             every value typed above.",
        )?;
        let files = self.scanned_files(report);
        let findings = scan::scan_files(&files, &self.typed)
            .map_err(|error| Failure::io("cannot read the store's files", &error))?;
        let listed: Vec<String> = files
            .iter()
            .filter_map(|file| {
                fs::metadata(file)
                    .ok()
                    .map(|metadata| format!("{} ({} bytes)", scan::file_name(file), metadata.len()))
            })
            .collect();
        say(&format!("   Files: {}.", listed.join(", ")))?;
        say(&format!(
            "   Searched for {} values (names, ID numbers, phones, passport, dates, places, train, \
             temperatures, notes), as UTF-8 and as JSON \\uXXXX escapes.",
            self.typed.len()
        ))?;
        if let Some(finding) = findings.first() {
            return Err(Failure::integrity(
                "PlaintextFound",
                format!(
                    "{} of the typed values were found in the clear, the first in {}",
                    findings.len(),
                    scan::file_name(&finding.file)
                ),
            ));
        }
        say(&format!(
            "   Result: none of the {} values was found. What is on disk is ciphertext.",
            self.typed.len()
        ))
    }

    fn scanned_files(&self, report: &SelfReport) -> Vec<PathBuf> {
        let mut files = report.store_files();
        files.push(trust::trust_file(&self.dir.join("store")));
        files
    }

    /// Past retention, purge, and what is left.
    fn purge(&self, report: &SelfReport) -> Result<(), Failure> {
        self.clock.advance_days(48);
        let today = self.clock.today();
        self.step(&format!(
            "The clock moves to {today}: more than 28 days (the policies' device retention) \
             after the last record and the end of both monitoring periods."
        ))?;
        let before = scan::total_size(&self.scanned_files(report));
        let purged = report.purge(None)?;
        let after = scan::total_size(&self.scanned_files(report));
        say(&format!(
            "   purge deleted {} records and {} monitoring periods, and shredded {} epoch keys \
             (database files {before} -> {after} bytes).",
            purged.records, purged.monitoring_periods, purged.epoch_keys
        ))?;
        let policies = report.policies()?;
        let profiles = report.profiles()?;
        let records = report.records()?;
        let periods = report.monitoring_periods()?;
        say(&format!(
            "   Left: {} policies, {} profiles ({}), {} records, {} monitoring periods.",
            policies.len(),
            profiles.len(),
            profiles
                .iter()
                .map(|profile| profile.display_name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            records.records.len(),
            periods.len()
        ))?;
        say(
            "   Profiles stay until she removes them (`selfreport profile remove ID --yes`, or `erase --yes`); reports do not.",
        )
    }
}

fn say(text: &str) -> Result<(), Failure> {
    emit(text)
}

fn create_dir(dir: &Path) -> Result<(), Failure> {
    fs::create_dir_all(dir)
        .map_err(|error| Failure::io(format!("cannot create {}", dir.display()), &error))
}

fn relative(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}

pub(super) fn internal(what: &str) -> Failure {
    Failure::new(
        "Internal",
        format!("demo data is inconsistent: {what}"),
        EXIT_OTHER,
    )
}

fn authority_failure(error: AuthorityError) -> Failure {
    Failure::new(error.code(), error.to_string(), error.exit_code())
}
