//! Retention, holds, GDPR requests and the auditor's export through the binary, on an
//! archive seeded with years-old conversations (R-B5…R-B8, R-C10, R-C11).

mod support;

use std::time::Duration;

use support::*;
use tresen::connector::ConnectorEvent;
use tresen::connector::{FakeConnector, ScriptStep};
use tresen::domain::*;
use tresen::engine::{Engine, EngineCommand, EngineOptions};
use tresen::profile::{self, OpenProfile};

const EXTRA: &str =
    "\n[retention.tags]\nrechnung = \"buchungsbeleg\"\nprivat = \"keine_pflicht\"\n";

fn ms(date: &str) -> i64 {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

fn conversation(remote: &str, title: &str, contact: &str) -> ScriptStep {
    ScriptStep::Emit(ConnectorEvent::Conversation(ConversationUpsert {
        account: AccountId("buero".into()),
        remote_id: remote.into(),
        kind: ConversationKind::Direct,
        channel: Channel::Signal,
        title: title.into(),
        contact: Some(Contact {
            identity: contact.into(),
            display_name: title.into(),
            phone: None,
        }),
        security: Security::Encrypted,
    }))
}

fn message(remote: &str, id: &str, body: &str, date: &str) -> ScriptStep {
    ScriptStep::Emit(ConnectorEvent::Message(IncomingMessage {
        account: AccountId("buero".into()),
        conversation_remote_id: remote.into(),
        remote_id: id.into(),
        kind: MessageKind::Chat,
        direction: Direction::Inbound,
        sender: "Kunde".into(),
        body: body.into(),
        attachments: Vec::new(),
        sent_at: Timestamp(ms(date)),
        received_at: Timestamp(ms(date)),
        raw: Some(format!("{{\"id\":\"{id}\"}}")),
        history: false,
    }))
}

/// A profile whose archive holds conversations from 2016, 2018, 2021 and 2025, seeded
/// through the engine exactly as a connector would deliver them.
fn seeded() -> Profile {
    let p = Profile::new(EXTRA);
    let script = vec![
        conversation("+491701", "Erika Alt", "+491701"),
        message("+491701", "a1", "Heizung 2016 kaputt", "2016-03-01"),
        message("+491701", "a2", "Danke für die Reparatur", "2016-03-05"),
        conversation("+491702", "Hans Rechnung", "+491702"),
        message("+491702", "r1", "Rechnung 2021-17 erhalten", "2021-05-01"),
        message("+491702", "r2", "Überweisung ist raus", "2021-05-09"),
        conversation("+491703", "Max Streit", "+491703"),
        message("+491703", "s1", "Die Therme leckt wieder", "2018-07-01"),
        conversation("wa-hans", "Hans (WhatsApp)", "+491702"),
        message("wa-hans", "w1", "Schönes Wochenende!", "2025-06-01"),
    ];
    seed(
        &p,
        script,
        |s| s.stats().unwrap().messages >= 6,
        &[("+491702", "rechnung"), ("wa-hans", "privat")],
        &[],
        None,
    );
    p
}

/// Runs the engine on `p`'s profile with a scripted connector until `ready` holds for
/// the store, then sets `labels` (conversation, label) and sends `sends` (conversation,
/// text, document tags) as Anna.
fn seed(
    p: &Profile,
    script: Vec<ScriptStep>,
    ready: impl Fn(&dyn tresen::store::StoreRead) -> bool,
    labels: &[(&str, &str)],
    sends: &[(&str, &str, &[&str])],
    clock: Option<&str>,
) {
    let (_, opened) = support::open_profile(p);
    let blobs = opened.blobs();
    let OpenProfile {
        store,
        archive,
        lock,
        ..
    } = opened;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let shared = profile::shared(store, Some(blobs)).unwrap();
        let fake = FakeConnector::new(AccountId("buero".into())).with_script(script);
        let (engine, handle) =
            Engine::start(shared, vec![Box::new(fake)], EngineOptions::default());
        let mut engine = engine
            .with_archive(archive.unwrap(), None, "Anna".into())
            .unwrap();
        if let Some(day) = clock {
            let now = Timestamp(ms(day));
            engine = engine.with_away(None, std::sync::Arc::new(move || now));
        }
        let task = tokio::spawn(engine.run());
        for _ in 0..500 {
            if handle.store().read(&ready) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let id = |remote: &str| {
            handle
                .store()
                .read(|s| s.conversation_by_remote(&AccountId("buero".into()), remote))
                .unwrap()
                .unwrap()
        };
        for (remote, label) in labels {
            handle
                .command(EngineCommand::Local(LocalChange::SetLabels {
                    conversation: id(remote),
                    labels: vec![label.to_string()],
                    by: String::new(),
                }))
                .await
                .unwrap();
        }
        for (remote, body, tags) in sends {
            let (tx, rx) = tokio::sync::oneshot::channel();
            handle
                .command(EngineCommand::Send {
                    conversation: id(remote),
                    body: body.to_string(),
                    files: vec![],
                    sender: "Anna".into(),
                    reply_to: None,
                    options: tresen::engine::SendOptions {
                        tags: tags.iter().map(|t| t.to_string()).collect(),
                        ..Default::default()
                    },
                    reply: Some(tx),
                })
                .await
                .unwrap();
            rx.await.unwrap().unwrap();
        }
        handle.shutdown().await;
        task.await.unwrap().unwrap();
    });
    drop(lock);
}

/// A customer's message carrying one file (`content` is what the download yields).
fn file_message(
    (remote, id, body, date): (&str, &str, &str, &str),
    name: &str,
    mime: &str,
    content: &str,
) -> ScriptStep {
    let ScriptStep::Emit(ConnectorEvent::Message(mut m)) = message(remote, id, body, date) else {
        unreachable!()
    };
    m.attachments.push(Attachment {
        name: name.into(),
        mime: mime.into(),
        size: content.len() as u64,
        source: Some(format!("inline:{content}")),
        blob: None,
    });
    ScriptStep::Emit(ConnectorEvent::Message(m))
}

/// Whether the message `id` is stored and its files downloaded (and so archived).
fn downloaded(s: &dyn tresen::store::StoreRead, id: &str) -> bool {
    s.message_by_remote(&AccountId("buero".into()), id)
        .unwrap()
        .and_then(|(m, _)| s.message(m).unwrap())
        .is_some_and(|m| m.attachments.iter().all(|a| a.blob.is_some()))
}

const UBL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>2018-0502</ID></Invoice>"#;

// R-E3, R-B5: a file that looks like an invoice keeps its part of the archive as a
// Buchungsbeleg (8 years) until staff decide, and the office is asked to; staff's
// decision is archived and counts; a message sent with a document tag classes its year
// by that tag. Bad decisions are refused and change nothing.
#[test]
fn r_e3_r_b5_invoice_files_are_kept_as_buchungsbelege_until_staff_decide() {
    let p = Profile::new(EXTRA);
    let today = chrono::Local::now().date_naive().to_string();
    let script = vec![
        conversation("+491704", "Eva Beleg", "+491704"),
        file_message(
            ("+491704", "b1", "Anbei die Rechnung", "2018-04-10"),
            "Rechnung-2018-04.pdf",
            "application/pdf",
            "%PDF-1.4 Rechnung",
        ),
        conversation("+491705", "Otto Prospekt", "+491705"),
        file_message(
            ("+491705", "p1", "Unser Prospekt", "2018-04-11"),
            "Prospekt.pdf",
            "application/pdf",
            "%PDF-1.4 Prospekt",
        ),
        conversation("+491706", "Ida XRechnung", "+491706"),
        file_message(
            ("+491706", "x1", "E-Rechnung", "2018-05-02"),
            "beleg.xml",
            "application/xml",
            UBL,
        ),
        conversation("+491707", "Udo Heute", "+491707"),
        message(
            "+491707",
            "u1",
            "Bitte schicken Sie mir die Rechnung",
            &today,
        ),
    ];
    seed(
        &p,
        script,
        |s| ["b1", "p1", "x1", "u1"].iter().all(|id| downloaded(s, id)),
        &[],
        &[("+491707", "Ihre Rechnung 2026-11 über 480 €", &["rechnung"])],
        None,
    );
    let year = chrono::Datelike::year(&chrono::Local::now().date_naive()) as i64;

    let plan = json(&p.run(&["retention", "plan", "--json"]));
    let beleg = decision(&plan, "+491704", 2018);
    assert_eq!(beleg["class"], "buchungsbeleg", "{beleg}");
    assert_eq!(beleg["retain_until"], "2026-12-31");
    assert_eq!(beleg["decision"], "keep");
    assert!(
        beleg["because"][0]
            .as_str()
            .unwrap()
            .contains("Rechnung-2018-04.pdf")
    );
    assert_eq!(decision(&plan, "+491706", 2018)["class"], "buchungsbeleg");
    let prospekt = decision(&plan, "+491705", 2018);
    assert_eq!(prospekt["class"], "handelsbrief", "{prospekt}");
    assert_eq!(prospekt["decision"], "expire");
    let tagged = decision(&plan, "+491707", year);
    assert_eq!(tagged["class"], "buchungsbeleg", "{tagged}");
    assert!(tagged["because"][0].as_str().unwrap().contains("rechnung"));
    assert_eq!(plan["unconfirmed"].as_array().unwrap().len(), 2, "{plan}");
    let waiting = |p: &Profile| {
        let check: serde_json::Value =
            serde_json::from_slice(&p.run(&["compliance", "check", "--json"]).stdout).unwrap();
        check["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "invoices_unconfirmed")
            .and_then(|f| f["message"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    assert!(waiting(&p).starts_with("2 file(s)"), "{}", waiting(&p));

    // The listing names the file as `tresen show` does; staff decide with it.
    let text = stdout(&p.run(&["retention", "plan"]));
    let item = text
        .lines()
        .find(|l| l.contains("Rechnung-2018-04.pdf") && !l.contains('↳'))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no listing in {text}"))
        .to_string();
    let message = item.split('/').next().unwrap().to_string();
    for (args, why) in [
        (
            vec![&*item, "--class", "quatsch", "--reason", "x"],
            "buchungsbeleg",
        ),
        (
            vec![&*item, "--class", "handelsbrief", "--reason", " "],
            "--reason",
        ),
        (
            vec![
                &format!("{message}/3"),
                "--class",
                "handelsbrief",
                "--reason",
                "x",
            ][..]
                .to_vec(),
            "1 file",
        ),
    ] {
        let out = p.run(&[&["retention", "item"][..], &args].concat());
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(why), "{why}: {}", stderr(&out));
    }
    assert!(
        waiting(&p).starts_with("2 file(s)"),
        "refusals changed nothing"
    );
    let out = p.run(&[
        "retention",
        "item",
        &item,
        "--class",
        "handelsbrief",
        "--reason",
        "Kostenvoranschlag, keine Rechnung",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = json(&p.run(&["retention", "plan", "--json"]));
    let beleg = decision(&plan, "+491704", 2018);
    assert_eq!(beleg["class"], "handelsbrief", "{beleg}");
    assert_eq!(beleg["decision"], "expire");
    assert!(waiting(&p).starts_with("1 file(s)"), "{}", waiting(&p));
    // The decision is an archive record with who made it and why.
    let seq = seq_of_message(&p, "Kostenvoranschlag, keine Rechnung");
    let record = stdout(&p.run(&["archive", "get", &seq.to_string()]));
    assert!(record.contains("item_class"), "{record}");
}

// R-E5 with its dates: offers made on 2025-02-01 (24-month rule). Declined → kept to
// 2027-02-01; lapsed after the configured 90 days → the same; accepted → a Handelsbrief
// to 2031-12-31; declined but with an order confirmation in the conversation → still a
// Handelsbrief.
#[test]
fn r_e5_an_offer_that_came_to_nothing_is_kept_only_the_firms_months() {
    let p = Profile::new(
        "\n[retention]\noffer_lapse_days = 90\n[retention.tags]\nangebot = \"handelsbrief\"\nauftragsbestaetigung = \"handelsbrief\"\n",
    );
    let mut script = Vec::new();
    let who = [
        ("+491710", "Olga Abgelehnt"),
        ("+491711", "Paul Auftrag"),
        ("+491712", "Rita Verfallen"),
        ("+491713", "Sven Bestätigt"),
    ];
    for (i, (remote, name)) in who.iter().enumerate() {
        script.push(conversation(remote, name, remote));
        script.push(message(
            remote,
            &format!("o{i}"),
            "Können Sie uns ein Angebot für ein neues Bad machen?",
            "2025-01-30",
        ));
    }
    let offer = "Unser Angebot: neues Bad, 12.400 € brutto";
    seed(
        &p,
        script,
        |s| s.stats().unwrap().messages >= 4,
        &[],
        &[
            ("+491710", offer, &["angebot"]),
            ("+491711", offer, &["angebot"]),
            ("+491712", offer, &["angebot"]),
            ("+491713", offer, &["angebot"]),
            (
                "+491713",
                "Wir bestätigen Ihren Auftrag vom 1.2.",
                &["auftragsbestaetigung"],
            ),
        ],
        Some("2025-02-01"),
    );
    for (what, remote) in [
        ("decline", "+491710"),
        ("accept", "+491711"),
        ("decline", "+491713"),
    ] {
        let out = p.run(&["order", what, remote]);
        assert!(out.status.success(), "{what} {remote}: {}", stderr(&out));
    }
    let plan = json(&p.run(&["retention", "plan", "--json"]));
    let declined = decision(&plan, "+491710", 2025);
    assert_eq!(declined["class"], "keine_pflicht", "{declined}");
    assert_eq!(declined["retain_until"], "2027-02-01");
    assert_eq!(declined["decision"], "keep");
    assert!(declined["rule"].as_str().unwrap().contains("01.02.2025"));
    let accepted = decision(&plan, "+491711", 2025);
    assert_eq!(accepted["class"], "handelsbrief", "{accepted}");
    assert_eq!(accepted["retain_until"], "2031-12-31");
    let lapsed = decision(&plan, "+491712", 2025);
    assert_eq!(lapsed["retain_until"], "2027-02-01", "{lapsed}");
    let confirmed = decision(&plan, "+491713", 2025);
    assert_eq!(confirmed["class"], "handelsbrief", "{confirmed}");
    assert_eq!(confirmed["retain_until"], "2031-12-31");
    let later = json(&p.run(&["retention", "plan", "--json", "--date", "2027-02-02"]));
    assert_eq!(decision(&later, "+491710", 2025)["decision"], "expire");
    assert_eq!(decision(&later, "+491711", 2025)["decision"], "keep");
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "{}{}", stdout(out), stderr(out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn decision(plan: &serde_json::Value, conversation: &str, year: i64) -> serde_json::Value {
    plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["conversation"] == conversation && i["year"] == year)
        .unwrap_or_else(|| panic!("{conversation} {year} not in {plan}"))
        .clone()
}

fn seq_of_message(p: &Profile, body: &str) -> u64 {
    // `archive get` by scanning: the records are few.
    for seq in 1..200u64 {
        let out = p.run(&["archive", "get", &seq.to_string()]);
        if !out.status.success() {
            break;
        }
        if stdout(&out).contains(body) {
            return seq;
        }
    }
    panic!("{body} not archived")
}

// R-B5, R-B6, R-B7: classes by label, periods to the end of the year, holds keep what
// would expire, apply destroys for good and leaves a verifiable archive.
#[test]
fn retention_plan_holds_and_apply() {
    let p = seeded();
    let old_seq = seq_of_message(&p, "Heizung 2016 kaputt");
    let out = p.run(&[
        "hold",
        "set",
        "--contact",
        "+491703",
        "--reason",
        "Rechtsstreit Therme",
        "--kind",
        "legal",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let hold_id = stdout(&out)
        .split_whitespace()
        .find(|w| w.starts_with('h') && w.len() == 9)
        .unwrap()
        .to_string();

    let plan = json(&p.run(&["retention", "plan", "--json"]));
    let alt = decision(&plan, "+491701", 2016);
    assert_eq!(alt["decision"], "expire", "{alt}");
    assert_eq!(alt["retain_until"], "2022-12-31");
    let rechnung = decision(&plan, "+491702", 2021);
    assert_eq!(rechnung["class"], "buchungsbeleg", "{rechnung}");
    assert_eq!(rechnung["retain_until"], "2029-12-31");
    assert_eq!(rechnung["decision"], "keep");
    let held = decision(&plan, "+491703", 2018);
    assert_eq!(held["decision"], "held", "{held}");
    assert!(held["holds"][0].as_str().unwrap().contains("Rechtsstreit"));
    // "What if" on a later day: the invoice expires after 2029.
    let later = json(&p.run(&["retention", "plan", "--json", "--date", "2030-01-01"]));
    assert_eq!(decision(&later, "+491702", 2021)["decision"], "expire");

    apply_retention(&p);
    // Gone from the inbox, unreadable in the archive, the chain intact.
    assert!(!p.run(&["show", "+491701"]).status.success());
    let got = stdout(&p.run(&["archive", "get", &old_seq.to_string()]));
    assert!(got.contains("destroyed"), "{got}");
    let v = json(&p.run(&["archive", "verify", "--json"]));
    assert_eq!(v["ok"], true, "{v}");
    assert!(v["shredded"].as_u64().unwrap() >= 2, "{v}");
    // The held one is still there; a rebuild does not bring the destroyed one back.
    assert!(stdout(&p.run(&["show", "+491703"])).contains("Therme leckt"));
    assert!(p.run(&["store", "rebuild", "--yes"]).status.success());
    assert!(!p.run(&["show", "+491701"]).status.success());
    assert!(stdout(&p.run(&["show", "+491703"])).contains("Therme leckt"));

    let out = p.run(&["hold", "release", &hold_id, "--reason", "Verfahren beendet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = json(&p.run(&["retention", "plan", "--json"]));
    assert_eq!(decision(&plan, "+491703", 2018)["decision"], "expire");
    assert!(stdout(&p.run(&["hold", "list"])).contains("no holds"));
}

/// `retention apply`: refused without confirmation (nothing destroyed), then with
/// `--yes` the 2016 conversation's two parts are destroyed.
fn apply_retention(p: &Profile) {
    let out = p.run(&["retention", "apply"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert!(stdout(&p.run(&["show", "+491701"])).contains("Heizung 2016"));
    let out = p.run(&["retention", "apply", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("destroyed 2 expired part"),
        "{}",
        stdout(&out)
    );
}

/// `archive export` of 2021 into `dir`; its `nachrichten.csv`.
fn audit_2021(p: &Profile, dir: &std::path::Path) -> String {
    let out = p.run(&[
        "archive",
        "export",
        "--from",
        "2021-01-01",
        "--to",
        "2021-12-31",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::read_to_string(dir.join("nachrichten.csv")).unwrap()
}

/// What `compliance check` says of the consent ledger. (It exits 1 here: the test
/// profile notes no key recovery copy.)
fn consent_records(p: &Profile) -> String {
    let check: serde_json::Value =
        serde_json::from_slice(&p.run(&["compliance", "check", "--json"]).stdout).unwrap();
    check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "consent_ledger")
        .and_then(|f| f["message"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// R-C1: a consent is to the question the customer was asked. One for maintenance
/// reminders records the reminders question, not the service one (issue 18's defect).
#[test]
fn r_c1_a_consent_for_reminders_records_the_reminders_question() {
    let p = seeded();
    let out = p.run(&[
        "consent",
        "grant",
        "+491702",
        "--purpose",
        "reminders",
        "--method",
        "verbal",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = stdout(&p.run(&["consent", "show", "+491702", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let records = v.as_array().unwrap_or_else(|| panic!("{v}"));
    let last = records.last().unwrap();
    assert_eq!(last["purposes"], serde_json::json!(["reminders"]), "{v}");
    let wording = last["wording"].as_str().unwrap();
    assert!(wording.contains("fällige Wartungen"), "{wording}");
    assert!(!wording.contains("zu Ihrem Anliegen"), "{wording}");
    // Its own version: not the service question's.
    let service = records
        .iter()
        .find(|r| r["purposes"] == serde_json::json!(["service_messaging"]));
    if let Some(service) = service {
        assert_ne!(last["wording_version"], service["wording_version"]);
    }
}

// R-C10, R-C11: a customer's copy of their data; erasure deletes what no duty covers
// and restricts the invoice until its period ends.
#[test]
fn dsar_export_and_erasure() {
    let p = seeded();
    // A consent on record goes into the customer's copy (R-C10), wording included.
    let out = p.run(&["consent", "grant", "+491702", "--method", "verbal"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = p.dir.path().join("auskunft");
    let out = p.run(&["dsar", "export", "+491702", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("3 messages"), "{}", stdout(&out));
    let data: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("daten.json")).unwrap()).unwrap();
    let bodies: Vec<&str> = data["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    assert!(
        bodies.contains(&"Rechnung 2021-17 erhalten") && bodies.contains(&"Schönes Wochenende!")
    );
    assert!(
        !bodies.iter().any(|b| b.contains("Therme")),
        "no one else's data"
    );
    let consents = data["consents"].as_array().unwrap();
    assert_eq!(consents.len(), 1, "{data}");
    assert_eq!(consents[0]["action"], "grant");
    assert_eq!(consents[0]["method"], "verbal");
    assert!(
        consents[0]["wording"]
            .as_str()
            .unwrap()
            .contains("Antworten Sie mit JA")
    );
    let html = std::fs::read_to_string(dir.join("verlauf.html")).unwrap();
    assert!(html.contains("Überweisung ist raus"));
    let info = std::fs::read_to_string(dir.join("auskunft.txt")).unwrap();
    assert!(
        info.contains("Art. 15") && info.contains("buchungsbeleg"),
        "{info}"
    );
    // Without a processor register, the kinds of recipient; with one, each by name
    // (R-C7).
    assert!(
        info.contains("Empfänger: die Anbieter der genutzten Messenger-Dienste"),
        "{info}"
    );
    let mut config = std::fs::read_to_string(&p.config).unwrap();
    config.push_str("\n[[processors]]\nname = \"Hetzner Online GmbH\"\nrole = \"homeserver_host\"\nlocation = \"DE\"\navv_ref = \"AVV 2026-01\"\n");
    std::fs::write(&p.config, config).unwrap();
    let again = p.dir.path().join("auskunft-2");
    let out = p.run(&[
        "dsar",
        "export",
        "+491702",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let info = std::fs::read_to_string(again.join("auskunft.txt")).unwrap();
    assert!(
        info.contains("Empfänger: Hetzner Online GmbH (Betreiber des Matrix-Servers, Standort DE)"),
        "{info}"
    );
    // Never into an existing directory.
    assert!(
        !p.run(&["dsar", "export", "+491702", "--out", dir.to_str().unwrap()])
            .status
            .success()
    );

    let out = p.run(&["dsar", "erase", "+491702", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(said.contains("restrict +491702 2021"), "{said}");
    assert!(said.contains("erase    wa-hans 2025"), "{said}");
    assert!(
        said.contains("31.12.2029"),
        "the customer is told until when: {said}"
    );
    // The conversation's own record (name and number) is named as such, not as a year.
    assert!(!said.contains("aus 0"), "{said}");
    // The consent ends with the erasure, as a new ledger record (R-C11).
    assert!(
        said.contains("Einwilligungen zur Kontaktaufnahme über Messenger: widerrufen"),
        "{said}"
    );
    assert_eq!(consent_records(&p), "2 consent record(s)");
    // Neither is in the inbox any more; the invoice stays in the archive for the
    // retention purpose (an audit export still has it), the chat is destroyed.
    assert!(!p.run(&["show", "+491702"]).status.success());
    assert!(!p.run(&["show", "wa-hans"]).status.success());
    let audit = p.dir.path().join("pruefung");
    let csv = audit_2021(&p, &audit);
    assert!(csv.contains("Rechnung 2021-17 erhalten"), "{csv}");
    let v = json(&p.run(&["archive", "verify", "--json"]));
    assert_eq!(v["ok"], true, "{v}");
    // A store rebuilt from the archive keeps the restriction: the invoice stays out of
    // the inbox (Art. 18), and the consents stay as they were, not doubled.
    assert!(p.run(&["store", "rebuild", "--yes"]).status.success());
    assert!(!p.run(&["show", "+491702"]).status.success());
    assert_eq!(consent_records(&p), "2 consent record(s)");
}

// R-B8: scoped, described by index.xml, every file's hash in the manifest; never "all
// chats".
#[test]
fn the_auditor_export_is_scoped_and_self_describing() {
    let p = seeded();
    let out_dir = p.dir.path().join("z3");
    let csv = audit_2021(&p, &out_dir);
    let rows: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 3, "header + the two 2021 messages: {csv}");
    assert!(
        !csv.contains("2016") || !csv.contains("Heizung"),
        "out of the period"
    );
    let header_cols = rows[0].split(';').count();
    let xml = std::fs::read_to_string(out_dir.join("index.xml")).unwrap();
    assert!(xml.contains("<URL>nachrichten.csv</URL>") && xml.contains("<URL>anhaenge.csv</URL>"));
    let first_table = &xml[..xml.find("</Table>").unwrap()];
    let described = first_table.matches("<VariableColumn>").count()
        + first_table.matches("<VariablePrimaryKey>").count();
    assert_eq!(described, header_cols, "index.xml describes every column");
    // The original payloads are there, and the manifest covers every file.
    let manifest = std::fs::read_to_string(out_dir.join("manifest.sha256")).unwrap();
    for line in manifest.lines() {
        let (hash, name) = line.split_once("  ").unwrap();
        let bytes = std::fs::read(out_dir.join(name)).unwrap();
        assert_eq!(tresen::archive::format::sha256_hex(&bytes), hash, "{name}");
    }
    assert!(manifest.contains("originale.jsonl"), "{manifest}");
    let originals = std::fs::read_to_string(out_dir.join("originale.jsonl")).unwrap();
    assert_eq!(originals.lines().count(), 2, "{originals}");
    assert!(
        originals.contains("\"original\":\"{\\\"id\\\":\\\"r1\\\"}\""),
        "{originals}"
    );
    if let Ok(o) = std::process::Command::new("xmllint")
        .args(["--noout"])
        .arg(out_dir.join("index.xml"))
        .output()
    {
        assert!(
            o.status.success(),
            "index.xml is not well-formed: {}",
            stderr(&o)
        );
    }

    let other = p.dir.path().join("alles");
    let out = p.run(&[
        "archive",
        "export",
        "--from",
        "2016-01-01",
        "--to",
        "2026-12-31",
        "--class",
        "keine_pflicht",
        "--out",
        other.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("never all chats"), "{}", stderr(&out));
    assert!(!other.exists());
}

// R-B10: every change of the configuration gives a new version, with what changed.
#[test]
fn the_verfahrensdoku_is_versioned_with_its_changes() {
    let p = Profile::with_demo_account();
    let out = p.run(&["docs", "verfahrensdoku"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v1 = stdout(&out);
    assert!(
        v1.contains("Version 1") && v1.contains("Technische Systemdokumentation"),
        "{v1}"
    );
    assert!(v1.contains("| handelsbrief | 6 |"), "{v1}");
    // Unchanged configuration: still version 1.
    assert!(stdout(&p.run(&["docs", "verfahrensdoku"])).contains("Version 1"));
    let config = std::fs::read_to_string(&p.config).unwrap();
    std::fs::write(
        &p.config,
        format!("{config}\n[retention]\ndefault_class = \"buchungsbeleg\"\n"),
    )
    .unwrap();
    let v2 = stdout(&p.run(&["docs", "verfahrensdoku"]));
    assert!(v2.contains("Version 2"), "{v2}");
    let history = &v2[v2.find("## Änderungshistorie").unwrap()..];
    assert!(
        history.contains("Version 1") && history.contains("Version 2"),
        "{history}"
    );
    assert!(
        history.contains("neu:") && history.contains("buchungsbeleg"),
        "{history}"
    );
    let kept = std::fs::read_dir(p.data.join("verfahrensdoku"))
        .unwrap()
        .count();
    assert_eq!(kept, 2);
}

/// Every file a user reads: README, docs, the program's texts, the shipped config.
fn texts_users_read() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for dir in ["docs", "src", "config"] {
        let mut stack = vec![root.join(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.push(path);
                }
            }
        }
    }
    files
}

// R-B11: no certification claims anywhere a user reads.
#[test]
fn no_certification_claims_in_docs_or_program_texts() {
    for f in texts_users_read() {
        let text = std::fs::read_to_string(&f)
            .unwrap_or_default()
            .to_lowercase();
        for claim in [
            "gobd-zertifiziert",
            "gobd-certified",
            "gobd certified",
            "gobd-konform zertifiziert",
        ] {
            assert!(!text.contains(claim), "{} claims `{claim}`", f.display());
        }
    }
}

/// Issue 18: statements tresen made that were not true of it stay gone — about the
/// archive ("unveränderbar"), the footer ("where the law wants"), works councils (a
/// size), who can read staff names, and recipients in the Art. 15 answer.
#[test]
fn claims_that_were_not_true_do_not_come_back() {
    for f in texts_users_read() {
        let text = std::fs::read_to_string(&f)
            .unwrap_or_default()
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for claim in [
            "ist unveränderbar",
            "unveränderbar archiviert",
            "where the law wants",
            "the six the law names",
            "fewer than 5 employees",
            "cannot become a handling log",
            "keine weitergabe an dritte",
            "jede auswertung wird im archiv protokolliert",
            "every export is logged in the archive",
            "the only way to read attribution today",
            "diese nachrichten sind geschäftsbriefe",
            "sind auch vorher erlaubt",
        ] {
            assert!(!text.contains(claim), "{} says `{claim}`", f.display());
        }
    }
}

/// `base` with this test's OS user as the one member of staff, in `role`.
fn staff(base: &str, role: &str) -> String {
    let id = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let login = String::from_utf8_lossy(&id.stdout).trim().to_string();
    format!("{base}\n[[staff]]\nname = \"Clara Chef\"\nlogin = \"{login}\"\nrole = \"{role}\"\n")
}

/// Rewrites the profile's `[[staff]]` entry for this test's OS user and has the daemon
/// reload it; waits until `probe` says the new role is in force.
fn set_role(
    p: &Profile,
    base: &str,
    daemon: &support::daemon::Daemon,
    role: &str,
    probe: impl Fn() -> bool,
) {
    std::fs::write(&p.config, staff(base, role)).unwrap();
    daemon.signal("-HUP");
    let start = std::time::Instant::now();
    while !probe() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "role {role} not in force"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

// Issue 16; R-B6, R-B8, R-C10, R-C11 as above: with the daemon running, the lifecycle
// commands go through it (no need to stop the office's engine), its role table holds,
// and the exports land in the directory of the user who asked.
#[test]
fn lifecycle_commands_go_through_the_running_daemon() {
    let p = seeded();
    let base = format!(
        "{}\n[[accounts]]\nid = \"buero\"\nnetwork = \"demo\"\n",
        std::fs::read_to_string(&p.config).unwrap()
    );
    std::fs::write(&p.config, staff(&base, "owner")).unwrap();
    let d = support::daemon::Daemon::start(&p);
    let out = p.run(&[
        "hold",
        "set",
        "--contact",
        "+491703",
        "--reason",
        "Rechtsstreit Therme",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    apply_retention(&p);
    assert!(
        !p.run(&["show", "+491701"]).status.success(),
        "gone from the daemon's inbox"
    );
    // A message classed through the daemon (R-B5): recorded, and it counts in the plan.
    let shown: serde_json::Value =
        serde_json::from_slice(&p.run(&["show", "wa-hans", "--json"]).stdout).unwrap();
    let id = shown["messages"][0]["id"].to_string();
    let out = p.run(&[
        "retention",
        "item",
        &id,
        "--class",
        "buchungsbeleg",
        "--reason",
        "Quittung im Text",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let class = || {
        let plan = json(&p.run(&["retention", "plan", "--json"]));
        decision(&plan, "wa-hans", 2025)["class"].clone()
    };
    assert_eq!(class(), "buchungsbeleg");
    // The newer decision wins.
    let out = p.run(&[
        "retention",
        "item",
        &id,
        "--class",
        "keine_pflicht",
        "--reason",
        "Irrtum: privat",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(class(), "keine_pflicht");

    // A customer's copy and the auditor's export are written here, by the seat. A
    // consent the daemon recorded just before is in the copy (R-C10), once.
    let out = p.run(&["consent", "grant", "+491702", "--method", "verbal"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = p.dir.path().join("auskunft");
    let out = p.run(&["dsar", "export", "+491702", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("3 messages"), "{}", stdout(&out));
    let data: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("daten.json")).unwrap()).unwrap();
    assert_eq!(data["messages"].as_array().unwrap().len(), 3, "{data}");
    assert_eq!(data["consents"].as_array().unwrap().len(), 1, "{data}");
    assert!(
        std::fs::read_to_string(dir.join("auskunft.txt"))
            .unwrap()
            .contains("Art. 15")
    );
    let again = p.run(&["dsar", "export", "+491702", "--out", dir.to_str().unwrap()]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "never into an existing directory"
    );
    let audit = p.dir.path().join("pruefung");
    let csv = audit_2021(&p, &audit);
    assert!(csv.contains("Rechnung 2021-17 erhalten"), "{csv}");
    let manifest = std::fs::read_to_string(audit.join("manifest.sha256")).unwrap();
    for line in manifest.lines() {
        let (hash, name) = line.split_once("  ").unwrap();
        let bytes = std::fs::read(audit.join(name)).unwrap();
        assert_eq!(tresen::archive::format::sha256_hex(&bytes), hash, "{name}");
    }

    // Staff may read a conversation's copy, not erase a customer.
    set_role(&p, &base, &d, "staff", || {
        p.run(&["dsar", "erase", "+491702", "--yes"]).status.code() == Some(2)
    });
    let out = p.run(&["dsar", "erase", "+491702", "--yes"]);
    assert!(stderr(&out).contains("owner"), "{}", stderr(&out));
    assert!(stdout(&p.run(&["show", "+491702"])).contains("Überweisung ist raus"));
    let out = p.run(&["export", "conversation", "+491703", "--format", "txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Therme leckt"), "{}", stdout(&out));
    // The daemon's configuration and inbox are what the check and the documentation
    // describe; a staff seat needs no key for them.
    let check: serde_json::Value =
        serde_json::from_slice(&p.run(&["compliance", "check", "--json"]).stdout).unwrap();
    assert!(
        check["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "consent_ledger"),
        "{check}"
    );
    // An anchor: the daemon verifies and signs, the seat writes the copy.
    let anchors = p.dir.path().join("anker");
    let out = p.run(&["archive", "anchor", "--out", anchors.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("anchored record"), "{}", stdout(&out));
    let v = json(&p.run(&[
        "archive",
        "verify",
        "--json",
        "--anchors",
        anchors.to_str().unwrap(),
    ]));
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["anchors_checked"], 1, "{v}");
    let doc = p.run(&["docs", "verfahrensdoku"]);
    assert!(doc.status.success(), "{}", stderr(&doc));
    assert!(
        stdout(&doc).contains("| buero | demo |"),
        "{}",
        stdout(&doc)
    );
    assert!(
        p.data
            .join("verfahrensdoku/verfahrensdoku-v001.md")
            .exists()
    );
    // The Art. 30 record too, of the daemon's configuration (R-C13).
    let vvt = p.run(&["docs", "vvt"]);
    assert!(vvt.status.success(), "{}", stderr(&vvt));
    assert!(
        stdout(&vvt).contains("| buero | Demo | e2e_open_protocol |"),
        "{}",
        stdout(&vvt)
    );
    assert!(p.data.join("vvt/vvt-v001.md").exists());
    // And the whole bundle, its files handed over to the seat (R-F3).
    let bundle = p.dir.path().join("bundle");
    let out = p.run(&["docs", "bundle", "--out", bundle.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(bundle.join("manifest.sha256").exists());
    assert!(bundle.join("vvt/vvt-v001.md").exists());
    assert!(
        std::fs::read_dir(bundle.join("pruefberichte"))
            .unwrap()
            .count()
            >= 1,
        "the daemon's compliance check was archived"
    );

    set_role(&p, &base, &d, "owner", || {
        p.run(&["retention", "apply", "--yes"]).status.success()
    });
    let out = p.run(&["dsar", "erase", "+491702", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(said.contains("restrict +491702 2021"), "{said}");
    assert!(said.contains("erase    wa-hans 2025"), "{said}");
    assert!(!p.run(&["show", "+491702"]).status.success());
    // The grant and the withdrawal, each once, though the erasure caught the store up
    // with an archive the engine had written the grant to.
    assert_eq!(consent_records(&p), "2 consent record(s)");
    let v = json(&p.run(&["archive", "verify", "--json"]));
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(
        p.run(&["status"]).status.code(),
        Some(0),
        "the daemon carries on"
    );
    let log: String = std::fs::read_dir(p.data.join("logs"))
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .collect();
    // They went through the daemon (which logs what it did, never for whom).
    for kind in [
        "retention apply",
        "dsar export",
        "audit export",
        "erasure",
        "transcript",
        "anchor",
        "compliance check",
        "verfahrensdoku",
        "vvt",
        "docs bundle",
    ] {
        assert!(log.contains(&format!("kind=\"{kind}\"")), "{kind}: {log}");
    }
    assert!(!log.contains("Clara"), "{log}");
}

/// R-F2: `compliance check` counts what the records show — parts past their period,
/// conversations nobody labelled, messages sent past tresen — and the report itself is
/// archived.
#[test]
fn r_f2_compliance_check_counts_what_the_records_show_and_is_archived() {
    let p = seeded();
    let find = |v: &serde_json::Value, id: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id}: {v}"))
    };
    // (It exits 1 here: the test profile notes no key recovery copy.)
    let v: serde_json::Value =
        serde_json::from_slice(&p.run(&["compliance", "check", "--json"]).stdout).unwrap();
    // As many parts past their period as the retention plan lets expire (2016 and
    // 2018 are past six years).
    let plan = json(&p.run(&["retention", "plan", "--json"]));
    let expiring = plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["decision"] == "expire")
        .count();
    assert!(expiring >= 2, "{plan}");
    let expired = find(&v, "expired");
    assert_eq!(expired["level"], "warning", "{v}");
    assert!(
        expired["message"].as_str().unwrap().starts_with(&format!(
            "{expiring} conversation-year(s) past their retention period"
        )),
        "{expired}"
    );
    // The conversations without a label the retention rules know.
    let list = json(&p.run(&["list", "--json"]));
    let unlabelled = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            !c["labels"]
                .as_array()
                .is_some_and(|l| l.iter().any(|l| l == "rechnung" || l == "privat"))
        })
        .count();
    assert!(unlabelled > 0, "{list}");
    let unclassified = find(&v, "unclassified");
    assert!(
        unclassified["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "{unlabelled} conversation(s) without a retention label"
            )),
        "{unclassified} {list}"
    );
    assert_eq!(find(&v, "sent_elsewhere")["level"], "ok", "{v}");
    // The report is in the archive, which still verifies.
    let reports = archived_kind(&p, "compliance_report");
    assert_eq!(reports, 1);
    let v = json(&p.run(&["archive", "verify", "--json"]));
    assert_eq!(v["ok"], true, "{v}");
}

/// Every archive segment's bytes, by file name.
fn segments(p: &Profile) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(p.data.join("archive"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".jsonl"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

// R-C12: a correction of the customer's name is a new version. The inbox shows the new
// name, the old one stays readable (history, the conversation's note, the customer's
// copy), and not one archived byte changes; a store rebuilt from the archive agrees.
#[test]
fn r_c12_rectification_keeps_the_old_name() {
    let p = seeded();
    let before = segments(&p);
    let export = |p: &Profile| {
        let out = p.run(&["export", "conversation", "+491702", "--format", "txt"]);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let transcript = export(&p);

    let out = p.run(&[
        "contact",
        "correct",
        "+491702",
        "--name",
        "Hans Schmidt",
        "--reason",
        "Tippfehler",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("\"Hans Rechnung\" → \"Hans Schmidt\""),
        "{}",
        stdout(&out)
    );

    // Archived bytes: every segment as it was, with records only appended after.
    let after = segments(&p);
    for (name, bytes) in &before {
        assert!(
            after[name].starts_with(bytes),
            "segment {name} was rewritten"
        );
    }
    assert_eq!(archived_kind(&p, "contact_corrected"), 1);
    // The messages read out of the archive are word for word what they were.
    assert_eq!(export(&p), transcript);

    // The inbox shows the new name, and finds the customer by it.
    let found = json(&p.run(&["show", "hans schmidt", "--json"]));
    assert_eq!(
        found["conversation"]["contact"]["identity"], "+491702",
        "{found}"
    );
    let shown = json(&p.run(&["show", "+491702", "--json"]));
    assert_eq!(shown["conversation"]["title"], "Hans Schmidt", "{shown}");
    let note = shown["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "note")
        .unwrap_or_else(|| panic!("no correction note: {shown}"));
    assert_eq!(
        note["body"], "✎ Name: „Hans Rechnung“ → „Hans Schmidt“ — Tippfehler",
        "{note}"
    );
    // The same person in another chat of the account is renamed too.
    let wa = json(&p.run(&["show", "wa-hans", "--json"]));
    assert_eq!(wa["conversation"]["title"], "Hans Schmidt", "{wa}");

    // The history keeps the old name, who corrected it and why.
    let history = |p: &Profile| json(&p.run(&["contact", "history", "+491702", "--json"]));
    let h = history(&p);
    let versions = h["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1, "{h}");
    assert_eq!(versions[0]["old"], "Hans Rechnung");
    assert_eq!(versions[0]["new"], "Hans Schmidt");
    assert_eq!(versions[0]["reason"], "Tippfehler");
    let text = stdout(&p.run(&["contact", "history", "+491702"]));
    assert!(
        text.contains("\"Hans Rechnung\"") || text.contains("„Hans Rechnung“"),
        "{text}"
    );

    // Nonsense is refused and records nothing.
    let out = p.run(&["contact", "correct", "+491702", "--name", "Hans Schmidt"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("already"), "{}", stderr(&out));
    let out = p.run(&["contact", "correct", "+491799", "--name", "X"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(archived_kind(&p, "contact_corrected"), 1);

    // The customer's copy names both (Art. 15 with Art. 16).
    let dir = p.dir.path().join("auskunft");
    let out = p.run(&["dsar", "export", "+491702", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let data: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("daten.json")).unwrap()).unwrap();
    assert_eq!(
        data["name_corrections"][0]["old"], "Hans Rechnung",
        "{data}"
    );

    // Rebuilt from the archive, the store holds the same versions and name.
    let out = p.run(&["store", "rebuild", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(history(&p)["versions"], h["versions"]);
    let shown = json(&p.run(&["show", "+491702", "--json"]));
    assert_eq!(shown["conversation"]["title"], "Hans Schmidt", "{shown}");
}

/// R-D3, R-B8: the tax export names who sent for the firm by pseudonym — the same person
/// the same pseudonym — unless the taxpayer asks for names; each export is on record
/// with which it was.
#[test]
fn r_d3_the_tax_export_pseudonymises_staff_unless_asked() {
    let p = Profile::new(
        "\n[ui]\nstaff_name = \"Lea Sommer\"\n[[accounts]]\nid = \"buero\"\nnetwork = \"demo\"\n",
    );
    let out = p.run(&["sync", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    for text in ["Angebot folgt", "Termin steht"] {
        let out = p.run(&["send", "1", text]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let today = chrono::Local::now().date_naive().to_string();
    let export = |dir: &str, extra: &[&str]| {
        let dir = p.dir.path().join(dir);
        let mut args = vec![
            "archive",
            "export",
            "--from",
            "2020-01-01",
            "--to",
            &today,
            "--out",
        ];
        args.push(dir.to_str().unwrap());
        args.extend_from_slice(extra);
        let out = p.run(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::read_to_string(dir.join("nachrichten.csv")).unwrap()
    };
    let csv = export("pseudonym", &[]);
    assert!(!csv.contains("Lea Sommer"), "{csv}");
    assert_eq!(csv.matches("Mitarbeiter/in 1").count(), 2, "{csv}");
    let named = export("namen", &["--staff-names"]);
    assert_eq!(named.matches("Lea Sommer").count(), 2, "{named}");
    assert_eq!(archived_kind(&p, "access"), 2);
}

/// R-D3: `tresen show` names colleagues only when asked, and that read — like every
/// `archive get` — is archived under the reader's name before anything is shown.
#[test]
fn r_d3_show_names_staff_only_when_asked_and_archives_the_read() {
    let p = Profile::new(
        "\n[ui]\nstaff_name = \"Lea Sommer\"\n[[accounts]]\nid = \"buero\"\nnetwork = \"demo\"\n",
    );
    assert!(p.run(&["sync", "--once"]).status.success());
    let out = p.run(&["send", "1", "Angebot folgt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A colleague reads it now.
    let config = std::fs::read_to_string(&p.config).unwrap();
    std::fs::write(&p.config, config.replace("Lea Sommer", "Max Meier")).unwrap();
    let sender = |extra: &[&str]| -> String {
        let mut args = vec!["show", "1", "--json"];
        args.extend_from_slice(extra);
        let out = p.run(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["body"] == "Angebot folgt")
            .map(|m| m["sender"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(sender(&[]), "Team");
    assert_eq!(
        archived_kind(&p, "access"),
        0,
        "an anonymous read is no access"
    );
    assert_eq!(sender(&["--staff-names"]), "Lea Sommer");
    assert_eq!(archived_kind(&p, "access"), 1);
    let text = stdout(&p.run(&["show", "1", "--staff-names"]));
    assert!(text.contains("(Lea Sommer)"), "{text}");
    assert!(!stdout(&p.run(&["show", "1"])).contains("Lea Sommer"));
    // The reader's own messages carry their own name, without a record.
    std::fs::write(&p.config, &config).unwrap();
    assert_eq!(sender(&[]), "Lea Sommer");
    std::fs::write(&p.config, config.replace("Lea Sommer", "Max Meier")).unwrap();
    assert_eq!(archived_kind(&p, "access"), 2);
    let out = p.run(&["archive", "get", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(archived_kind(&p, "access"), 3);
    // The record of the read names the reader and what was read.
    let newest = stdout(&p.run(&["archive", "get", "1"]));
    assert!(!newest.is_empty());
    let seqs = archived_seqs(&p, "access");
    let first = stdout(&p.run(&["archive", "get", &seqs[0].to_string()]));
    assert!(
        first.contains("Max Meier") && first.contains("conversation with staff names"),
        "{first}"
    );
}

/// R-F2: a data-subject request is on record with its one-month deadline until it is
/// answered; `compliance check` shows the open ones and requires the overdue ones.
#[test]
fn r_f2_data_subject_requests_are_counted_with_their_deadlines() {
    let p = seeded();
    // (It exits 1 here anyway: the test profile notes no key recovery copy.)
    let check = |p: &Profile| -> serde_json::Value {
        serde_json::from_slice(&p.run(&["compliance", "check", "--json"]).stdout).unwrap()
    };
    assert_eq!(finding(&check(&p), "dsar_deadlines")["level"], "ok");
    let old = (chrono::Local::now().date_naive() - chrono::Days::new(40)).to_string();
    let out = p.run(&[
        "dsar",
        "request",
        "+491702",
        "--kind",
        "access",
        "--received",
        &old,
        "--note",
        "Brief vom Kunden",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = p.run(&["dsar", "request", "+491703", "--kind", "erasure"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let open = json(&p.run(&["dsar", "requests", "--json"]));
    let open = open.as_array().unwrap();
    assert_eq!(open.len(), 2, "{open:?}");
    // Soonest due first: the one that came in 40 days ago is overdue.
    let (late, fresh) = (
        open[0]["id"].as_str().unwrap(),
        open[1]["id"].as_str().unwrap(),
    );
    // The customer the inbox knows is recorded by name and number.
    assert_eq!(open[0]["contact"], "Hans Rechnung (+491702)");
    let f = finding(&check(&p), "dsar_deadlines").clone();
    assert_eq!(f["level"], "required", "{f}");
    assert!(f["message"].as_str().unwrap().contains(late), "{f}");
    assert!(!f["message"].as_str().unwrap().contains(fresh), "{f}");
    let text = stdout(&p.run(&["dsar", "requests"]));
    assert!(text.contains("OVERDUE"), "{text}");

    let out = p.run(&["dsar", "close", late, "--how", "Auskunft per Post"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let f = finding(&check(&p), "dsar_deadlines").clone();
    assert_eq!(f["level"], "warning", "{f}");
    assert!(f["message"].as_str().unwrap().contains(fresh), "{f}");
    let out = p.run(&["dsar", "close", fresh]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(finding(&check(&p), "dsar_deadlines")["level"], "ok");

    // Bad input: nothing recorded.
    for args in [
        &["dsar", "close", late][..],
        &["dsar", "close", "a-00000000"][..],
        &[
            "dsar",
            "request",
            "+491702",
            "--kind",
            "access",
            "--received",
            "2999-01-01",
        ][..],
    ] {
        let out = p.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(archived_kind(&p, "dsar_request"), 2);
    assert_eq!(archived_kind(&p, "dsar_closed"), 2);
}
