//! The Matrix connector against a real Synapse on 127.0.0.1 with an emulated WhatsApp
//! bridge registered as an application service (tests/support/synapse.rs).
#![cfg(feature = "matrix")]
#![recursion_limit = "256"]

mod support;
#[path = "support/synapse.rs"]
mod synapse;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use support::engine::wait_for;
use support::{Profile, open_profile, stderr, stdout};
use synapse::Synapse;
use tresen::domain::{AccountId, Channel, Delivery, Direction, Health, Message};
use tresen::engine::{Engine, EngineCommand, EngineHandle, EngineOptions, NewFile};
use tresen::profile::{self, OpenProfile};
use tresen::store::StoreRead;

/// One homeserver for the tests of this file; every test registers its own users.
fn synapse() -> &'static Synapse {
    static S: OnceLock<Synapse> = OnceLock::new();
    S.get_or_init(Synapse::start)
}

const ACCOUNT: &str = "buero";

fn profile_for(extra: &str) -> Profile {
    Profile::new(&format!(
        "\n[[accounts]]\nid = \"{ACCOUNT}\"\nnetwork = \"matrix\"\npurpose = \"business\"\n{extra}"
    ))
}

/// `tresen account add matrix` through the binary, password on stdin.
fn login(p: &Profile, hs: &str, user: &str, password: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = p
        .cmd()
        .args([
            "account",
            "add",
            "matrix",
            "--homeserver",
            hs,
            "--user",
            user,
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

/// A new office user with a tresen profile logged in to it: (profile, localpart, mxid).
fn office(hs: &Synapse) -> (Profile, String, String) {
    let (local, mxid) = hs.user("buero");
    let p = profile_for("");
    let out = login(&p, &hs.url, &local, &Synapse::password(&local));
    assert!(out.status.success(), "{}", stderr(&out));
    (p, local, mxid)
}

/// A running engine on the profile, as the TUI or the daemon runs it.
struct Running {
    rt: tokio::runtime::Runtime,
    handle: EngineHandle,
    task: Option<tokio::task::JoinHandle<Result<(), tresen::engine::EngineError>>>,
    _lock: tresen::profile::ProfileLock,
    key: tresen::secrets::MasterKey,
    archive_dir: std::path::PathBuf,
}

impl Running {
    fn start(p: &Profile) -> Running {
        let (config, profile) = open_profile(p);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let connectors = profile::connectors(&config, &profile).unwrap();
        let blobs = profile.blobs();
        let OpenProfile {
            store,
            lock,
            archive,
            key,
            compliance,
            ..
        } = profile;
        let shared = profile::shared(store, Some(blobs)).unwrap();
        let (handle, task) = rt.block_on(async {
            let (engine, handle) = Engine::start(shared, connectors, EngineOptions::default());
            // As the TUI and the daemon run it: the compliance rules on every send, and
            // everything archived first.
            let engine = engine
                .with_compliance(compliance)
                .with_archive(archive.unwrap(), None, "test".into())
                .unwrap();
            (handle, tokio::spawn(engine.run()))
        });
        Running {
            rt,
            handle,
            task: Some(task),
            _lock: lock,
            key,
            archive_dir: p.data.join("archive"),
        }
    }

    fn stop(mut self) {
        let handle = self.handle.clone();
        if let Some(task) = self.task.take() {
            self.rt.block_on(async {
                handle.shutdown().await;
                let _ = task.await;
            });
        }
    }

    fn store<R>(&self, f: impl FnOnce(&dyn StoreRead) -> R) -> R {
        self.handle.store().read(f)
    }

    fn messages(&self) -> Vec<Message> {
        self.store(|s| {
            s.conversations()
                .unwrap()
                .iter()
                .flat_map(|c| s.messages(c.id, None, 1000).unwrap())
                .collect()
        })
    }

    /// The bytes of every archived file.
    fn archived_files(&self) -> Vec<Vec<u8>> {
        use base64::Engine as _;
        let mut keys =
            tresen::archive::keys::Keys::load(&self.archive_dir, &self.key, true).unwrap();
        let mut out = Vec::new();
        tresen::archive::read::for_each(&self.archive_dir, &mut keys, 1, |r| {
            if let Some(tresen::archive::Payload::Attachment { data, .. }) = r.payload {
                out.push(
                    base64::engine::general_purpose::STANDARD
                        .decode(data)
                        .unwrap(),
                );
            }
            Ok(())
        })
        .unwrap();
        out
    }

    /// The network payloads of the archived messages, as archived (R-B1).
    fn archived_raw(&self) -> Vec<String> {
        let mut keys =
            tresen::archive::keys::Keys::load(&self.archive_dir, &self.key, true).unwrap();
        let mut out = Vec::new();
        tresen::archive::read::for_each(&self.archive_dir, &mut keys, 1, |r| {
            if let Some(tresen::archive::Payload::Message(m)) = r.payload {
                out.extend(m.raw);
            }
            Ok(())
        })
        .unwrap();
        out
    }

    fn health(&self) -> Option<Health> {
        self.handle
            .health()
            .get(&AccountId(ACCOUNT.into()))
            .cloned()
    }

    fn accept_invite(&self, room: &str) {
        let handle = self.handle.clone();
        let room = room.to_string();
        wait_for("the invite to arrive", || {
            self.handle
                .invites()
                .get(&AccountId(ACCOUNT.into()))
                .is_some_and(|l| l.iter().any(|i| i.remote_id == room))
        });
        self.rt
            .block_on(handle.command(EngineCommand::AcceptInvite {
                account: AccountId(ACCOUNT.into()),
                remote_id: room,
            }))
            .unwrap();
    }
}

fn bodies(msgs: &[Message]) -> Vec<String> {
    msgs.iter().map(|m| m.body.clone()).collect()
}

#[test]
fn whatsapp_portal_is_a_conversation_on_whatsapp_and_replies_reach_the_bridge() {
    let hs = synapse();
    let (local, mxid) = hs.user("buero");
    let p = profile_for("");
    let out = login(&p, &hs.url, &local, &Synapse::password(&local));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&mxid), "{}", stdout(&out));

    let room = hs.portal("4917612345678", &mxid, "Max Mustermann");
    let run = Running::start(&p);
    run.accept_invite(&room);
    wait_for("the customer's first message", || {
        bodies(&run.messages()).contains(&"Hallo aus WhatsApp!".to_string())
    });
    let conv = run.store(|s| s.find_conversation(&room).unwrap().unwrap());
    assert_eq!(
        conv.channel,
        Channel::Whatsapp,
        "network the customer is on"
    );
    let contact = conv.contact.clone().expect("contact from the bridge");
    assert_eq!(contact.identity, "+4917612345678");
    assert_eq!(contact.display_name, "Max Mustermann");
    assert_eq!(conv.title, "Max Mustermann");
    assert_eq!(conv.security, tresen::domain::Security::Bridged);

    // A reply from tresen reaches the bridge (the appservice receives it), and the
    // customer's answer (the emulator's echo) comes back. Once the first-contact notice
    // (with the footer) was delivered, the reply goes as written.
    wait_for("the first-contact notice to be delivered", || {
        run.messages()
            .iter()
            .any(|m| m.sender == tresen::engine::AUTOMATIC && m.delivery.is_sent())
    });
    let text = "Guten Tag, wir kommen am Dienstag um 9 Uhr.";
    let id = run
        .rt
        .block_on(run.handle.send(conv.id, text.into(), "Anna".into()))
        .unwrap();
    wait_for("the reply to be sent", || {
        run.store(|s| s.message(id).unwrap())
            .is_some_and(|m| m.delivery >= Delivery::Sent && m.remote_id.is_some())
    });
    wait_for("the bridge to receive the reply", || {
        hs.bridge_events().iter().any(|e| {
            e["type"] == "m.room.message"
                && e["room_id"] == room.as_str()
                && e["sender"] == mxid.as_str()
                && e["content"]["body"] == text
        })
    });
    let echo = format!("echo: {text}");
    wait_for("the customer's answer", || {
        bodies(&run.messages()).contains(&echo)
    });

    let msgs = run.messages();
    let ours: Vec<&Message> = msgs.iter().filter(|m| m.body == text).collect();
    assert_eq!(
        ours.len(),
        1,
        "the sync echo of our reply is not a second message"
    );
    assert_eq!(ours[0].direction, Direction::Outbound);
    let answer = msgs.iter().find(|m| m.body == echo).unwrap();
    assert_eq!(answer.direction, Direction::Inbound);
    assert_eq!(answer.sender, "Max Mustermann");
    // R-B1: the archive holds the event as the homeserver delivered it.
    let raw = run.archived_raw();
    let event = raw
        .iter()
        .map(|r| serde_json::from_str::<serde_json::Value>(r).unwrap())
        .find(|e| e["event_id"] == answer.remote_id.as_deref().unwrap())
        .expect("the customer's event in the archive");
    assert_eq!(event["content"]["body"], echo.as_str());
    assert_eq!(event["type"], "m.room.message");
    let out = p.run(&["archive", "verify"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    run.stop();
    let device = |p: &Profile| {
        let json: serde_json::Value =
            serde_json::from_str(&stdout(&p.run(&["account", "list", "--json"]))).unwrap();
        assert_eq!(json["accounts"][0]["user"], mxid.as_str(), "{json}");
        json["accounts"][0]["device"].as_str().unwrap().to_string()
    };
    let device_before = device(&p);

    // Restart: the session is restored without a new login (same device), and nothing
    // is stored twice.
    let count = bodies(&msgs).len();
    hs.puppet_says(&room, "4917612345678", "Noch eine Frage");
    let run = Running::start(&p);
    wait_for("the message sent while tresen was closed", || {
        bodies(&run.messages()).contains(&"Noch eine Frage".to_string())
    });
    std::thread::sleep(Duration::from_secs(1));
    let after = run.messages();
    assert_eq!(after.len(), count + 1, "{:?}", bodies(&after));
    assert!(
        matches!(run.health(), Some(Health::Online)),
        "{:?}",
        run.health()
    );
    run.stop();
    assert_eq!(device(&p), device_before, "the same device, no new login");
}

#[test]
fn r_c8_and_r_a6_first_contact_once_and_a_long_whatsapp_offer_split_with_the_footer_last() {
    let hs = synapse();
    let (local, mxid) = hs.user("buero");
    let p = profile_for("");
    let out = login(&p, &hs.url, &local, &Synapse::password(&local));
    assert!(out.status.success(), "{}", stderr(&out));
    let room = hs.portal("4917699988877", &mxid, "Kerstin Kundin");
    let run = Running::start(&p);
    run.accept_invite(&room);
    wait_for("the customer's first message", || {
        bodies(&run.messages()).contains(&"Hallo aus WhatsApp!".to_string())
    });
    let ours = || {
        hs.bridge_events()
            .into_iter()
            .filter(|e| {
                e["type"] == "m.room.message"
                    && e["room_id"] == room.as_str()
                    && e["sender"] == mxid.as_str()
            })
            .map(|e| {
                e["content"]["body"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect::<Vec<_>>()
    };
    // The new contact gets the notice with consent question and footer, through the
    // bridge (R-C8).
    wait_for("the first-contact message at the bridge", || {
        !ours().is_empty()
    });
    let notice = &ours()[0];
    assert!(
        notice.starts_with("Guten Tag, vielen Dank für Ihre Nachricht an Muster Haustechnik GmbH"),
        "{notice}"
    );
    assert!(notice.contains("Antworten Sie mit JA"), "{notice}");
    assert!(
        notice.ends_with(
            "Impressum und Datenschutz: https://muster-haustechnik.example/pflichtangaben"
        ),
        "{notice}"
    );
    hs.puppet_says(&room, "4917699988877", "Was kostet ein neuer Kessel?");
    wait_for("the second message", || {
        bodies(&run.messages()).contains(&"Was kostet ein neuer Kessel?".to_string())
    });

    // A 4,090-character offer with umlauts and emoji (tagged angebot: footer always) is
    // two WhatsApp messages, each within 4,096 characters, the footer whole in the second.
    let mut offer = String::from("Angebot 2026-118 für Kerstin Kundin: ");
    while offer.encode_utf16().count() < 4090 {
        offer.push_str("Gasbrennwertkessel 24 kW inkl. Abgasführung, Montage und Inbetriebnahme 🔥; Größe geprüft. ");
    }
    let offer: String = {
        let mut s = String::new();
        for c in offer.chars() {
            if s.encode_utf16().count() + c.len_utf16() > 4090 {
                break;
            }
            s.push(c);
        }
        s
    };
    let conv = run.store(|s| s.find_conversation(&room).unwrap().unwrap());
    run.rt
        .block_on(run.handle.send_with(
            conv.id,
            offer.clone(),
            Vec::new(),
            "Anna".into(),
            tresen::engine::SendOptions {
                tags: vec!["angebot".into()],
                ..Default::default()
            },
        ))
        .unwrap();
    wait_for("both parts at the bridge", || ours().len() >= 3);
    std::thread::sleep(Duration::from_millis(500));
    let got = ours();
    assert_eq!(
        got.len(),
        3,
        "notice + two parts, no second notice: {got:?}"
    );
    let (first, second) = (&got[1], &got[2]);
    assert!(first.encode_utf16().count() <= 4096 && second.encode_utf16().count() <= 4096);
    assert!(
        !first.contains("Amtsgericht Musterstadt"),
        "footer only in the last part"
    );
    assert!(
        second.ends_with(
            "Impressum und Datenschutz: https://muster-haustechnik.example/pflichtangaben"
        ),
        "{second}"
    );
    assert!(second.contains("Register: HRB 12345"), "{second}");
    // Nothing of the offer was cut: the two parts give it back.
    let footer_at = second.find("\n\n-- \n").unwrap();
    let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(
        [words(first), words(&second[..footer_at])].concat(),
        words(&offer)
    );
    run.stop();

    // R-C6: WhatsApp conversations reach this account through a bridge the
    // configuration does not declare: the risk was never assessed.
    let out = p.run(&["compliance", "check", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let undeclared: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "channel_undeclared")
        .collect();
    assert_eq!(undeclared.len(), 1, "{v}");
    assert_eq!(undeclared[0]["level"], "required");
    assert!(
        undeclared[0]["message"]
            .as_str()
            .unwrap()
            .contains("account `buero` has whatsapp conversations"),
        "{v}"
    );
}

#[test]
fn r_d6_a_private_room_is_never_stored() {
    let hs = synapse();
    let (local, mxid) = hs.user("buero");
    let (friend, _) = hs.user("oma");
    let p = profile_for("");
    assert!(
        login(&p, &hs.url, &local, &Synapse::password(&local))
            .status
            .success()
    );
    // A family member's room, joined from the office account's phone: private.
    let private = hs.private_room(&friend, &mxid, "Oma privat", "Kommst du Sonntag?");
    hs.join(&local, &private);
    let portal = hs.portal("4915112345678", &mxid, "Erika Musterfrau");

    let run = Running::start(&p);
    run.accept_invite(&portal);
    wait_for("the business chat", || {
        bodies(&run.messages()).contains(&"Hallo aus WhatsApp!".to_string())
    });
    std::thread::sleep(Duration::from_secs(2));
    let convs = run.store(|s| s.conversations().unwrap());
    assert_eq!(convs.len(), 1, "{convs:?}");
    assert_eq!(convs[0].remote_id, portal);
    assert!(
        run.store(|s| s.find_conversation(&private).unwrap())
            .is_none()
    );
    assert!(run.store(|s| s.search("Sonntag", 10).unwrap()).is_empty());
    assert!(run.store(|s| s.search("Oma", 10).unwrap()).is_empty());
    run.stop();
}

#[test]
fn a_logged_out_notice_from_the_bridge_bot_turns_health_degraded() {
    let hs = synapse();
    let (p, local, mxid) = office(hs);
    let portal = hs.portal("4917099999999", &mxid, "Kunde");
    let mgmt = hs.management_room(&mxid);
    hs.join(&local, &mgmt);
    hs.join(&local, &portal);

    let run = Running::start(&p);
    wait_for("the first sync", || {
        matches!(run.health(), Some(Health::Online))
    });
    hs.bot_notice(
        &mgmt,
        "You're not logged in to WhatsApp. Use `login` to link your phone.",
    );
    wait_for(
        "health to turn degraded",
        || matches!(run.health(), Some(Health::Degraded(d)) if d.contains("whatsapp") && d.contains("not logged in")),
    );
    // The management room is not a customer conversation.
    assert!(run.store(|s| s.find_conversation(&mgmt).unwrap()).is_none());
    run.stop();

    // After a restart the bridge does not repeat itself: the warning must survive, and
    // the bot must still be known when it speaks again.
    let run = Running::start(&p);
    wait_for(
        "the warning to be there after the restart",
        || matches!(run.health(), Some(Health::Degraded(d)) if d.contains("not logged in")),
    );
    hs.bot_notice(&mgmt, "Successfully logged in as +49 170 9999999");
    wait_for("health to recover", || {
        matches!(run.health(), Some(Health::Online))
    });
    run.stop();
    let run = Running::start(&p);
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        matches!(run.health(), Some(Health::Online)),
        "recovered stays recovered: {:?}",
        run.health()
    );
    run.stop();
}

#[test]
fn wrong_password_and_unreachable_server_are_clear_errors() {
    let hs = synapse();
    let (local, _) = hs.user("buero");
    let p = profile_for("");
    let out = login(&p, &hs.url, &local, "falsch");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("rejected user"), "{}", stderr(&out));

    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = login(&p, &format!("http://127.0.0.1:{dead}"), &local, "x");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot reach the homeserver"),
        "{}",
        stderr(&out)
    );

    // Nothing was saved by the failed attempts.
    let list = stdout(&p.run(&["account", "list"]));
    assert!(list.contains("not logged in"), "{list}");
}

#[test]
fn r_d6_a_matrix_account_without_business_purpose_is_refused() {
    let p = Profile::new("\n[[accounts]]\nid = \"privat\"\nnetwork = \"matrix\"\n");
    let out = p.run(&[
        "account",
        "add",
        "matrix",
        "--homeserver",
        "http://127.0.0.1:9",
        "--user",
        "x",
        "--password-stdin",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("accounts[0].network") && err.contains("purpose = \"business\""),
        "{err}"
    );
}

#[test]
fn homeserver_outage_mid_sync_loses_and_duplicates_nothing() {
    let mut hs = Synapse::start();
    let (p, local, mxid) = office(&hs);
    let room = hs.portal("4916012345678", &mxid, "Otto Normal");
    hs.join(&local, &room);
    let run = Running::start(&p);
    for i in 0..5 {
        hs.puppet_says(&room, "4916012345678", &format!("vorher {i}"));
    }
    wait_for("the first messages", || {
        bodies(&run.messages()).contains(&"vorher 4".to_string())
    });
    hs.stop();
    wait_for("health to show the outage", || {
        matches!(run.health(), Some(Health::Offline(_)))
    });
    hs.restart();
    for i in 0..5 {
        hs.puppet_says(&room, "4916012345678", &format!("nachher {i}"));
    }
    wait_for("the messages after the outage", || {
        bodies(&run.messages()).contains(&"nachher 4".to_string())
    });
    wait_for("health to recover", || {
        matches!(run.health(), Some(Health::Online))
    });
    run.stop();

    // And once more across a restart of tresen itself.
    hs.puppet_says(&room, "4916012345678", "zuletzt");
    let run = Running::start(&p);
    wait_for("the last message", || {
        bodies(&run.messages()).contains(&"zuletzt".to_string())
    });
    std::thread::sleep(Duration::from_secs(1));
    let all = bodies(&run.messages());
    for text in (0..5)
        .map(|i| format!("vorher {i}"))
        .chain((0..5).map(|i| format!("nachher {i}")))
        .chain(["zuletzt".to_string(), "Hallo aus WhatsApp!".to_string()])
    {
        assert_eq!(
            all.iter().filter(|b| **b == text).count(),
            1,
            "{text} exactly once in {all:?}"
        );
    }
    run.stop();
}

#[test]
fn escape_sequences_from_a_customer_are_rendered_harmless() {
    let hs = synapse();
    let (p, local, mxid) = office(hs);
    let room = hs.portal("4917711111111", &mxid, "Mallory");
    hs.join(&local, &room);
    let evil = "Rechnung \u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}gnunhceR";
    hs.puppet_says(&room, "4917711111111", evil);
    let run = Running::start(&p);
    wait_for("the message", || {
        run.messages().iter().any(|m| m.body == evil)
    });
    run.stop();
    let out = p.run(&["show", &room]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(shown.contains("Rechnung"), "{shown}");
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}') && !shown.contains('\u{202e}'),
        "{shown:?}"
    );
}

#[test]
fn encrypted_direct_chat_both_ways_between_two_tresen_profiles() {
    let hs = synapse();
    let (office, office_id) = hs.user("buero");
    let (customer, customer_id) = hs.user("kunde");
    // The customer (here: a second tresen) opens an encrypted DM with the office.
    let room = hs.encrypted_dm(&customer, &office_id);
    // Plain DMs are not business by default: only accepting the invite makes it one.
    // Office and "customer" are both tresen here, and the office writes first: this test
    // is about encryption, the consent gate has its own (tests/signal_engine.rs).
    let office_profile = profile_for("\n[consent]\nrequire_consent_for_outbound = false\n");
    let customer_profile = profile_for(&format!(
        "[accounts.rooms]\ninclude = [\"{room}\"]\n\n[consent]\nrequire_consent_for_outbound = false\n"
    ));
    assert!(
        login(
            &office_profile,
            &hs.url,
            &office,
            &Synapse::password(&office)
        )
        .status
        .success()
    );
    assert!(
        login(
            &customer_profile,
            &hs.url,
            &customer,
            &Synapse::password(&customer)
        )
        .status
        .success()
    );
    let a = Running::start(&office_profile);
    let b = Running::start(&customer_profile);
    a.accept_invite(&room);
    wait_for("the customer's side to have the chat", || {
        b.store(|s| s.find_conversation(&room).unwrap()).is_some()
    });
    wait_for("the office's side to have the chat", || {
        a.store(|s| s.find_conversation(&room).unwrap()).is_some()
    });
    let conv_a = a.store(|s| s.find_conversation(&room).unwrap().unwrap());
    assert_eq!(conv_a.channel, Channel::Matrix);
    // End-to-end encrypted, and nobody compared the customer's keys yet.
    assert_eq!(conv_a.security, tresen::domain::Security::Encrypted);
    assert_eq!(
        conv_a.contact.as_ref().map(|c| c.identity.as_str()),
        Some(customer_id.as_str())
    );
    let conv_b = b.store(|s| s.find_conversation(&room).unwrap().unwrap());

    let hello = "Ihr Termin ist bestätigt: Donnerstag 8 Uhr.";
    a.rt.block_on(a.handle.send(conv_a.id, hello.into(), "Anna".into()))
        .unwrap();
    // The office's first message here carries the Pflichtangaben, encrypted like the rest.
    wait_for("the customer to decrypt it", || {
        bodies(&b.messages())
            .iter()
            .any(|m| m.starts_with(hello) && m.contains("HRB 12345"))
    });
    let answer = "Danke, passt!";
    b.rt.block_on(b.handle.send(conv_b.id, answer.into(), "Kunde".into()))
        .unwrap();
    wait_for("the office to decrypt the answer", || {
        bodies(&a.messages()).iter().any(|m| m.starts_with(answer))
    });
    let got = a
        .messages()
        .into_iter()
        .find(|m| m.body.starts_with(answer))
        .unwrap();
    assert_eq!(got.direction, Direction::Inbound);

    // A file in an encrypted room: matrix-sdk encrypts the upload, the other side
    // downloads and decrypts it on demand, byte for byte.
    let plan = binary_file(50_000, 0x33);
    let file = NewFile {
        name: "Lageplan.pdf".into(),
        mime: "application/pdf".into(),
        bytes: std::sync::Arc::new(plan.clone()),
    };
    a.rt.block_on(
        a.handle
            .send_files(conv_a.id, String::new(), vec![file], "Anna".into()),
    )
    .unwrap();
    wait_for("the customer to receive the file", || {
        b.messages()
            .iter()
            .any(|m| m.attachments.iter().any(|f| f.name == "Lageplan.pdf"))
    });
    let m = b
        .messages()
        .into_iter()
        .find(|m| m.attachments.iter().any(|f| f.name == "Lageplan.pdf"))
        .unwrap();
    let source = m.attachments[0].source.clone().unwrap_or_default();
    assert!(
        source.contains("\"file\""),
        "an encrypted file, not a plain url: {source}"
    );
    let blob = b.rt.block_on(b.handle.fetch(m.id, 0)).unwrap();
    let bytes = b.handle.store().blobs().unwrap().get(&blob).unwrap();
    assert!(*bytes == plan, "the decrypted file differs");
    a.stop();

    // The accepted chat stays business after a restart (the decision is kept as a
    // room tag on the homeserver, not only in this process).
    let a = Running::start(&office_profile);
    let later = "Noch eine Frage zur Rechnung";
    b.rt.block_on(b.handle.send(conv_b.id, later.into(), "Kunde".into()))
        .unwrap();
    wait_for("the office to receive it after a restart", || {
        bodies(&a.messages()).iter().any(|m| m.starts_with(later))
    });
    a.stop();
    b.stop();

    // The homeserver only ever held ciphertext of both messages.
    let events = hs.room_events(&customer, &room);
    let texts: Vec<String> = events.iter().map(|e| e.to_string()).collect();
    assert!(
        events
            .iter()
            .filter(|e| e["type"] == "m.room.encrypted")
            .count()
            >= 2,
        "{texts:?}"
    );
    assert!(
        !texts
            .iter()
            .any(|t| t.contains("Donnerstag") || t.contains("passt")),
        "{texts:?}"
    );
}

#[test]
fn an_invite_not_decided_before_a_restart_is_offered_again() {
    let hs = synapse();
    let (p, _, mxid) = office(hs);
    let room = hs.portal("4917233333333", &mxid, "Paul Später");
    let run = Running::start(&p);
    wait_for("the invite", || {
        run.handle
            .invites()
            .get(&AccountId(ACCOUNT.into()))
            .is_some_and(|l| l.iter().any(|i| i.remote_id == room))
    });
    run.stop();
    // Next start syncs incrementally (the invite is not in it again) and still offers it.
    let run = Running::start(&p);
    run.accept_invite(&room);
    wait_for("the chat after accepting", || {
        bodies(&run.messages()).contains(&"Hallo aus WhatsApp!".to_string())
    });
    run.stop();
}

/// Bytes that survive no accidental text conversion: every byte value, not valid UTF-8.
fn binary_file(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] ^ seed)
        .collect()
}

#[test]
fn attachments_up_and_down_are_byte_identical() {
    let hs = synapse();
    let (p, _, mxid) = office(hs);
    let phone = "4915110000001";
    let room = hs.portal(phone, &mxid, "Petra Pfeiffer");
    let photo = binary_file(300_000, 0x5a);
    let photo_path = p.dir.path().join("heizung.jpg");
    std::fs::write(&photo_path, &photo).unwrap();

    // Down: the customer sends a photo; tresen lists it at once and fetches it for the
    // archive (R-B1): the archived file is the photo byte for byte.
    let run = Running::start(&p);
    run.accept_invite(&room);
    hs.puppet_sends_file(&room, phone, &photo_path, "image/jpeg");
    wait_for("the photo message", || {
        run.messages().iter().any(|m| !m.attachments.is_empty())
    });
    wait_for("the photo in the archive", || {
        run.archived_files().contains(&photo)
    });
    let msg = run
        .messages()
        .into_iter()
        .find(|m| !m.attachments.is_empty())
        .unwrap();
    assert_eq!(msg.attachments[0].name, "heizung.jpg");
    assert_eq!(msg.attachments[0].mime, "image/jpeg");
    assert_eq!(msg.attachments[0].size, photo.len() as u64);
    // The first-contact notice (with the footer) went out: the offer below does not
    // need the footer again.
    wait_for("the first-contact notice to be delivered", || {
        run.messages()
            .iter()
            .any(|m| m.sender == tresen::engine::AUTOMATIC && m.delivery.is_sent())
    });
    run.stop();

    let saved = p.dir.path().join("saved.jpg");
    let spec = format!("{}/1", msg.id.0);
    let out = p.run(&[
        "attachment",
        "save",
        &spec,
        "--out",
        saved.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::read(&saved).unwrap() == photo,
        "saved photo differs"
    );
    // Once downloaded it is in the (encrypted) attachment store: no plain copy there.
    let stored = walk(&p.data.join("attachments"));
    assert_eq!(stored.len(), 1, "{stored:?}");
    let on_disk = std::fs::read(&stored[0]).unwrap();
    assert!(!on_disk.windows(32).any(|w| w == &photo[1000..1032]));
    let again = p.run(&[
        "attachment",
        "save",
        &spec,
        "--out",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "an existing file is not replaced"
    );
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    let shown = stdout(&p.run(&["show", &room]));
    assert!(
        shown.contains(&format!("[attachment {spec}] heizung.jpg")),
        "{shown}"
    );

    // Up: the office sends an offer as a file with a caption; the bridge downloads
    // exactly these bytes from the media repository.
    let offer = binary_file(120_000, 0xa5);
    let offer_path = p.dir.path().join("Angebot 2026-117.pdf");
    std::fs::write(&offer_path, &offer).unwrap();
    let out = p.run(&[
        "send",
        &room,
        "Anbei unser Angebot",
        "--attach",
        offer_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let file_event = || {
        hs.bridge_events()
            .into_iter()
            .find(|e| e["room_id"] == room.as_str() && e["content"]["msgtype"] == "m.file")
    };
    wait_for("the bridge to receive the file", || file_event().is_some());
    let event = file_event().unwrap();
    assert_eq!(event["sender"], mxid.as_str());
    assert_eq!(event["content"]["filename"], "Angebot 2026-117.pdf");
    // The caption (the first-contact notice already carried the footer).
    assert_eq!(event["content"]["body"], "Anbei unser Angebot");
    assert_eq!(event["content"]["info"]["mimetype"], "application/pdf");
    let mxc = event["content"]["url"]
        .as_str()
        .expect("an unencrypted portal gets a url");
    assert!(
        hs.bridge_downloads(mxc) == offer,
        "the bridge got other bytes"
    );

    // The sent file is kept in the attachment store: saving it needs no network.
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&p.run(&["show", &room, "--json"]))).unwrap();
    let sent = json["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"] == "Anbei unser Angebot")
        .expect("the offer is in the conversation");
    assert_eq!(sent["direction"], "outbound");
    assert_eq!(sent["attachments"][0]["downloaded"], true);
    let copy = p.dir.path().join("copy.pdf");
    let spec = format!("{}/1", sent["id"]);
    let out = p.run(&["attachment", "save", &spec, "--out", copy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read(&copy).unwrap() == offer);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn edits_and_deletions_by_the_customer_keep_the_original() {
    let hs = synapse();
    let (p, _, mxid) = office(hs);
    let phone = "4915110000002";
    let room = hs.portal(phone, &mxid, "Karl Klein");
    let run = Running::start(&p);
    run.accept_invite(&room);
    let first = hs.puppet_says(&room, phone, "Termin bitte um 9 Uhr");
    let second = hs.puppet_says(&room, phone, "Die Anlage ist von 1998");
    wait_for("both messages", || {
        bodies(&run.messages()).contains(&"Die Anlage ist von 1998".to_string())
    });
    hs.puppet_edits(&room, phone, &first, "Termin bitte um 10 Uhr");
    hs.puppet_deletes(&room, phone, &second);
    let by_remote = |run: &Running, id: &str| {
        run.messages()
            .into_iter()
            .find(|m| m.remote_id.as_deref() == Some(id))
            .unwrap()
    };
    wait_for("the edit and the deletion", || {
        by_remote(&run, &first).edit.is_some() && by_remote(&run, &second).deleted_at.is_some()
    });
    let check = |run: &Running| {
        let edited = by_remote(run, &first);
        assert_eq!(edited.body, "Termin bitte um 9 Uhr", "the original is kept");
        assert_eq!(edited.display_body(), "Termin bitte um 10 Uhr");
        let deleted = by_remote(run, &second);
        assert_eq!(
            deleted.body, "Die Anlage ist von 1998",
            "a deletion keeps the text"
        );
        assert!(deleted.deleted_at.is_some());
        // Neither the edit event nor the redaction became a message of its own (the
        // greeting and the first-contact notice are the other two; the emulator's echo
        // of the notice comes whenever Synapse pushes it, so it is not counted).
        assert_eq!(
            run.messages()
                .iter()
                .filter(|m| m.kind == tresen::domain::MessageKind::Chat
                    && !m.body.starts_with("echo: "))
                .count(),
            4,
            "{:?}",
            bodies(&run.messages())
        );
    };
    check(&run);
    run.stop();
    // After a restart (the homeserver now serves the redacted, empty event) the
    // original is still there.
    let run = Running::start(&p);
    std::thread::sleep(Duration::from_secs(1));
    check(&run);
    run.stop();
}

/// Runs the binary with `input` on stdin.
fn run_with_stdin(p: &Profile, args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = p
        .cmd()
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{input}").unwrap();
    child.wait_with_output().unwrap()
}

/// An encrypted DM the customer (a second tresen) opened with the office, and a
/// profile for each side (not logged in yet): (office, customer, room, office's
/// profile, customer's profile). Office and "customer" are both tresen here and the
/// office may write first: these tests are about encryption, the consent gate has its
/// own (tests/signal_engine.rs).
fn encrypted_dm(hs: &Synapse) -> (String, String, String, Profile, Profile) {
    let (office, office_id) = hs.user("buero");
    let (customer, _) = hs.user("kunde");
    let room = hs.encrypted_dm(&customer, &office_id);
    let office_profile = profile_for("\n[consent]\nrequire_consent_for_outbound = false\n");
    let customer_profile = profile_for(&format!(
        "[accounts.rooms]\ninclude = [\"{room}\"]\n\n[consent]\nrequire_consent_for_outbound = false\n"
    ));
    (office, customer, room, office_profile, customer_profile)
}

/// A well-formed recovery key that belongs to nobody.
const WRONG_KEY: &str = "EsTj 3yST y93F SLpB jJsz eAXc 2XzA ygD3 w69H fGaN TKBj jXEd";

/// The recovery key `account recovery-key` printed (indented on a line of its own).
fn printed_key(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}", stderr(out));
    let text = stdout(out);
    text.lines()
        .find(|l| l.starts_with("    ") && !l.trim().is_empty())
        .unwrap_or_else(|| panic!("no key printed:\n{text}"))
        .trim()
        .to_string()
}

/// The office accepts the customer's encrypted DM `room` and the customer writes
/// `secret` into it; returns once the office has decrypted it (both engines stopped).
fn customer_writes_encrypted(office: &Profile, customer: &Profile, room: &str, secret: &str) {
    let a = Running::start(office);
    let b = Running::start(customer);
    a.accept_invite(room);
    wait_for("the customer's side to have the chat", || {
        b.store(|s| s.find_conversation(room).unwrap()).is_some()
    });
    let conv_b = b.store(|s| s.find_conversation(room).unwrap().unwrap());
    b.rt.block_on(b.handle.send(conv_b.id, secret.into(), "Kunde".into()))
        .unwrap();
    wait_for("the office to decrypt it", || {
        bodies(&a.messages()).iter().any(|m| m.starts_with(secret))
    });
    a.stop();
    b.stop();
}

#[test]
fn a_reinstalled_office_pc_reads_the_encrypted_history_with_the_recovery_key() {
    let hs = synapse();
    let (office, customer, room, first_pc, customer_profile) = encrypted_dm(hs);
    for (p, who) in [(&first_pc, &office), (&customer_profile, &customer)] {
        let out = login(p, &hs.url, who, &Synapse::password(who));
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let secret = "Der Code für den Heizraum ist 4711";
    customer_writes_encrypted(&first_pc, &customer_profile, &room, secret);

    // The first PC sets up the recovery key (its room keys go into the key backup).
    let out = first_pc.run(&["account", "recovery-key"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let key = printed_key(&out);
    let again = first_pc.run(&["account", "recovery-key"]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("--reset"), "{}", stderr(&again));

    // The office PC is reinstalled: a new profile, the same user, a new device. The
    // history arrives, but this device has no keys for it.
    let new_pc = profile_for("");
    let out = login(&new_pc, &hs.url, &office, &Synapse::password(&office));
    assert!(out.status.success(), "{}", stderr(&out));
    let out = new_pc.run(&["sync", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = stdout(&new_pc.run(&["show", &room]));
    assert!(shown.contains("could not be decrypted"), "{shown}");
    assert!(!shown.contains("4711"), "{shown}");

    // A wrong key is refused with a clear message and changes nothing.
    let wrong = run_with_stdin(&new_pc, &["account", "recover", "--key-stdin"], WRONG_KEY);
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
    assert!(
        stderr(&wrong).contains("not accepted"),
        "{}",
        stderr(&wrong)
    );

    // With the right key the device is recovered and the history reads again.
    let out = run_with_stdin(&new_pc, &["account", "recover", "--key-stdin"], &key);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let out = new_pc.run(&["sync", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = stdout(&new_pc.run(&["show", &room]));
    assert!(shown.contains(secret), "{shown}");
    assert!(!shown.contains("could not be decrypted"), "{shown}");
}

/// The account's health as the running daemon reports it (`status --json`).
fn daemon_health(p: &Profile) -> serde_json::Value {
    let out = p.run(&["status", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["accounts"][ACCOUNT].clone()
}

// Issue 16: the owner's account commands go through the running daemon. A Matrix
// account that is not logged in does not stop the daemon (it says why); it is logged
// in, given a recovery key, recovered on a reinstalled PC and removed, each time
// through the daemon, which starts the account's connector again.
#[test]
fn account_commands_go_through_the_running_daemon() {
    use support::daemon::Daemon;
    let hs = synapse();
    let (office, customer, room, first_pc, customer_profile) = encrypted_dm(hs);

    // The office's daemon starts before anyone logged in, and says so.
    let d = Daemon::start(&first_pc);
    let health = daemon_health(&first_pc);
    assert_eq!(health["state"], "offline", "{health}");
    assert!(
        health["detail"].as_str().unwrap().contains("not logged in"),
        "{health}"
    );
    let out = login(&first_pc, &hs.url, &office, &Synapse::password(&office));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("the daemon syncs it"),
        "{}",
        stdout(&out)
    );
    wait_for("the daemon's account to come online", || {
        daemon_health(&first_pc)["state"] == "online"
    });
    drop(d);

    // The customer writes an encrypted message; the office PC decrypts it.
    let out = login(
        &customer_profile,
        &hs.url,
        &customer,
        &Synapse::password(&customer),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let secret = "Der Schlüssel liegt unter der Matte";
    customer_writes_encrypted(&first_pc, &customer_profile, &room, secret);

    // The recovery key, set up through the office's daemon.
    let d = Daemon::start(&first_pc);
    let out = first_pc.run(&["account", "recovery-key"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let key = printed_key(&out);
    let again = first_pc.run(&["account", "recovery-key"]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("--reset"), "{}", stderr(&again));
    wait_for(
        "the account to be back online after the recovery key",
        || daemon_health(&first_pc)["state"] == "online",
    );
    drop(d);

    // A reinstalled PC: its daemon logs in, the history cannot be read yet.
    let new_pc = profile_for("");
    let d = Daemon::start(&new_pc);
    let out = login(&new_pc, &hs.url, &office, &Synapse::password(&office));
    assert!(out.status.success(), "{}", stderr(&out));
    wait_for("the history to arrive, undecryptable", || {
        stdout(&new_pc.run(&["show", &room])).contains("could not be decrypted")
    });
    let wrong = run_with_stdin(&new_pc, &["account", "recover", "--key-stdin"], WRONG_KEY);
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
    assert!(
        stderr(&wrong).contains("not accepted"),
        "{}",
        stderr(&wrong)
    );
    let out = run_with_stdin(&new_pc, &["account", "recover", "--key-stdin"], &key);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    // The daemon started the connector again, which decrypts what it could not before.
    wait_for("the daemon to decrypt the history", || {
        stdout(&new_pc.run(&["show", &room])).contains(secret)
    });

    // Removed through the daemon: logged out, waiting for a login again.
    let out = new_pc.run(&["account", "remove", "buero", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("logged out"), "{}", stdout(&out));
    wait_for("the account to wait for a login", || {
        let h = daemon_health(&new_pc);
        h["state"] == "offline"
            && h["detail"]
                .as_str()
                .is_some_and(|d| d.contains("not logged in"))
    });
    drop(d);
}

#[test]
fn reactions_and_typing_both_ways() {
    let hs = synapse();
    let (p, local, mxid) = office(hs);
    let phone = "4915110000003";
    let room = hs.portal(phone, &mxid, "Rita Roth");
    let run = Running::start(&p);
    run.accept_invite(&room);
    let question = hs.puppet_says(&room, phone, "Kommen Sie morgen?");
    wait_for("the question", || {
        bodies(&run.messages()).contains(&"Kommen Sie morgen?".to_string())
    });
    let conv = run.store(|s| s.find_conversation(&room).unwrap().unwrap());

    // The customer types: the inbox knows who, while it lasts.
    hs.puppet_types(&room, phone, true);
    wait_for("the typing notice", || {
        run.handle
            .typing()
            .get(&conv.id)
            .is_some_and(|n| n == &vec!["Rita Roth".to_string()])
    });
    hs.puppet_types(&room, phone, false);
    wait_for("typing to end", || {
        !run.handle.typing().contains_key(&conv.id)
    });

    // The office reacts; the bridge gets the reaction, and the echo is stored once.
    let msg = run
        .messages()
        .into_iter()
        .find(|m| m.remote_id.as_deref() == Some(question.as_str()))
        .unwrap();
    run.rt
        .block_on(run.handle.command(EngineCommand::React {
            message: msg.id,
            key: "👍".into(),
        }))
        .unwrap();
    wait_for("the bridge to receive the reaction", || {
        hs.bridge_events().iter().any(|e| {
            e["type"] == "m.reaction"
                && e["sender"] == mxid.as_str()
                && e["content"]["m.relates_to"]["event_id"] == question.as_str()
                && e["content"]["m.relates_to"]["key"] == "👍"
        })
    });
    // A reply quoting the question carries the relation to the bridge.
    run.rt
        .block_on(run.handle.command(EngineCommand::Send {
            conversation: conv.id,
            body: "Ja, gegen 10 Uhr.".into(),
            files: vec![],
            sender: "Anna".into(),
            reply_to: Some(msg.id),
            options: Default::default(),
            reply: None,
        }))
        .unwrap();
    wait_for("tresen to send the quoted reply", || {
        run.messages().iter().any(|m| {
            m.body == "Ja, gegen 10 Uhr." && m.delivery >= Delivery::Sent && m.remote_id.is_some()
        })
    });
    // The store keeps what it answers: the timeline and `show` say so.
    assert!(
        run.messages()
            .iter()
            .any(|m| m.body == "Ja, gegen 10 Uhr." && m.quote == Some(msg.id)),
        "the quoted reply remembers the question"
    );
    // Synapse sometimes pushes an event to the appservice late (its transaction
    // backoff; see read_receipts_both_ways): the homeserver's copy of the event counts
    // too, and the relation is checked on whichever arrives.
    let quoted = |e: &serde_json::Value| {
        e["content"]["body"] == "Ja, gegen 10 Uhr."
            && e["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == question.as_str()
    };
    wait_for(
        "the quoted reply at the bridge or on the homeserver",
        || {
            if hs.bridge_events().iter().any(quoted) {
                return true;
            }
            if hs.room_events(&local, &room).iter().any(quoted) {
                eprintln!(
                    "quoted reply: found on the homeserver; the appservice push had not arrived"
                );
                return true;
            }
            false
        },
    );
    // The customer reacts to our reply as well, then takes it back.
    let mine = run
        .rt
        .block_on(
            run.handle
                .send(conv.id, "Ja, um 9 Uhr.".into(), "Anna".into()),
        )
        .unwrap();
    wait_for("our reply to be sent", || {
        run.store(|s| s.message(mine).unwrap())
            .is_some_and(|m| m.remote_id.is_some())
    });
    let reply_id = run.store(|s| s.message(mine).unwrap().unwrap().remote_id.unwrap());
    let thumbs = hs.puppet_reacts(&room, phone, &reply_id, "🙏");
    let reactions_of = |id| run.store(|s| s.message(id).unwrap().unwrap().reactions);
    wait_for("the customer's reaction", || {
        reactions_of(mine)
            .iter()
            .any(|r| r.key == "🙏" && r.sender == "Rita Roth" && !r.outbound)
    });
    // `show --json` has it too (docs/json.md), read beside the running engine.
    let ours = shown(&p, &room)
        .into_iter()
        .find(|m| m["id"] == mine.0)
        .unwrap();
    assert_eq!(
        ours["reactions"],
        serde_json::json!([{"key": "🙏", "sender": "Rita Roth", "outbound": false}]),
        "{ours}"
    );
    wait_for("our reaction's echo", || {
        reactions_of(msg.id)
            .iter()
            .any(|r| r.key == "👍" && r.outbound)
    });
    hs.puppet_deletes(&room, phone, &thumbs);
    wait_for("the withdrawn reaction to go", || {
        reactions_of(mine).is_empty()
    });
    assert_eq!(reactions_of(msg.id).len(), 1, "our reaction stored once");

    // The office types a reply: the bridge sees the puppet's typing notification. A
    // notice lasts 4 s (matrix-sdk); whoever keeps typing renews it, as the composer
    // does: a loaded Synapse may push it to the bridge after the first one ran out.
    let mut polls = 0;
    wait_for("the bridge to see us typing", || {
        if polls % 20 == 0 {
            run.rt
                .block_on(run.handle.command(EngineCommand::Typing {
                    conversation: conv.id,
                    typing: true,
                    network: true,
                    seat: 0,
                }))
                .unwrap();
        }
        polls += 1;
        hs.bridge_events().iter().any(|e| {
            e["type"] == "m.typing"
                && e["room_id"] == room.as_str()
                && e["content"]["user_ids"]
                    .as_array()
                    .is_some_and(|u| u.iter().any(|x| x == mxid.as_str()))
        })
    });
    run.stop();
}

#[test]
fn older_history_is_loaded_from_the_homeserver_on_request() {
    let hs = synapse();
    let (local, mxid) = hs.user("buero");
    let phone = "4915110000004";
    let room = hs.portal(phone, &mxid, "Otto Alt");
    // Accepted long ago on the office phone; 150 messages since, more than a first
    // sync brings (100 per room).
    hs.join(&local, &room);
    hs.emu(&["burst", &room, phone, "150", "0"]);
    let p = profile_for("");
    let out = login(&p, &hs.url, &local, &Synapse::password(&local));
    assert!(out.status.success(), "{}", stderr(&out));
    let run = Running::start(&p);
    wait_for("the conversation", || {
        run.store(|s| s.find_conversation(&room).unwrap()).is_some()
    });
    let burst_count = |run: &Running| {
        run.messages()
            .iter()
            .filter(|m| m.body.starts_with("burst "))
            .count()
    };
    wait_for("the first sync", || burst_count(&run) > 0);
    let first = burst_count(&run);
    assert!(
        first < 150,
        "the first sync already had everything ({first})"
    );
    let conv = run
        .store(|s| s.find_conversation(&room).unwrap().unwrap())
        .id;
    // Scrolling up asks for older pages until the homeserver has no more.
    let mut rounds = 0;
    loop {
        let before = run.messages().len();
        let mut bus = run.handle.subscribe();
        run.rt
            .block_on(
                run.handle
                    .command(EngineCommand::Backfill { conversation: conv }),
            )
            .unwrap();
        run.rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(30), async {
                loop {
                    if let Ok(tresen::engine::Notification::Backfilled(c)) = bus.recv().await
                        && c == conv
                    {
                        return;
                    }
                }
            })
            .await
            .expect("Backfilled within 30 s")
        });
        rounds += 1;
        if run.messages().len() == before || rounds > 5 {
            break;
        }
    }
    let msgs = run.messages();
    let mut seen: Vec<&str> = msgs
        .iter()
        .filter(|m| m.body.starts_with("burst "))
        .map(|m| m.body.as_str())
        .collect();
    assert_eq!(seen.len(), 150, "every message, once");
    seen.dedup();
    assert_eq!(seen.len(), 150);
    assert!(
        msgs.iter().any(|m| m.body == "Hallo aus WhatsApp!"),
        "back to the first message"
    );
    run.stop();
}

#[test]
fn read_receipts_both_ways() {
    let hs = synapse();
    let (p, _, mxid) = office(hs);
    let phone = "4915110000005";
    let room = hs.portal(phone, &mxid, "Lea Lesen");
    // The customer writes before the office accepts: our own join is then the newest
    // event, and the receipt must still go on the customer's message.
    let question = hs.puppet_says(&room, phone, "Haben Sie meine Nachricht gesehen?");
    let run = Running::start(&p);
    run.accept_invite(&room);
    wait_for("the question", || {
        run.messages()
            .iter()
            .any(|m| m.remote_id.as_deref() == Some(question.as_str()))
    });
    let conv = run
        .store(|s| s.find_conversation(&room).unwrap().unwrap())
        .id;

    // The office opens the conversation: the customer's side learns it was read.
    run.rt
        .block_on(run.handle.command(EngineCommand::Viewed(conv)))
        .unwrap();
    let got_receipt = || {
        hs.bridge_events().iter().any(|e| {
            e["type"] == "m.receipt"
                && e["room_id"] == room.as_str()
                && e["content"][question.as_str()]["m.read"][mxid.as_str()].is_object()
        })
    };
    // The receipt must land on the homeserver, on the customer's message; Synapse then
    // pushes it to the bridge. In some runs (also with this test alone) Synapse held the
    // receipt, on the right event, but pushed nothing to the appservice within 15 s, and
    // viewing again cannot help: Synapse ignores a second receipt for the same event.
    // Cause not proven (Synapse's appservice receipt stream; docs/matrix.md). So the
    // test accepts the bridge's copy or the server's, and says which it saw; both fail
    // when tresen sends no receipt or puts it on the wrong event.
    let on_server =
        || hs.server_receipts(&room, phone)[question.as_str()]["m.read"][mxid.as_str()].is_object();
    wait_for(
        "our read receipt at the bridge or on the homeserver",
        || got_receipt() || on_server(),
    );
    if !got_receipt() {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !got_receipt() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        if !got_receipt() {
            eprintln!(
                "note: our read receipt is on the homeserver for the customer's message, but \
                 Synapse did not push it to the (emulated) bridge within 15 s"
            );
        }
    }

    // The customer reads our answer: it shows as read.
    let id = run
        .rt
        .block_on(
            run.handle
                .send(conv, "Ja, wir melden uns morgen.".into(), "Anna".into()),
        )
        .unwrap();
    wait_for("the answer to be sent", || {
        run.store(|s| s.message(id).unwrap())
            .is_some_and(|m| m.remote_id.is_some())
    });
    let event = run.store(|s| s.message(id).unwrap().unwrap().remote_id.unwrap());
    assert_ne!(
        run.store(|s| s.message(id).unwrap().unwrap().delivery),
        Delivery::Read
    );
    hs.puppet_reads(&room, phone, &event);
    wait_for("our answer to show as read", || {
        run.store(|s| s.message(id).unwrap().unwrap().delivery) == Delivery::Read
    });
    run.stop();
}

/// What the office's account sent into `room`, as the homeserver holds it (oldest
/// first): the authority on whether something went out twice.
fn sent_by(hs: &Synapse, customer_or_office: &str, room: &str, mxid: &str) -> Vec<String> {
    let mut v: Vec<String> = hs
        .room_events(customer_or_office, room)
        .into_iter()
        .filter(|e| e["type"] == "m.room.message" && e["sender"] == mxid)
        .map(|e| {
            e["content"]["body"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    v.reverse();
    v
}

/// What the bridge received from the office in `room` ("reached WhatsApp").
fn at_bridge(hs: &Synapse, room: &str, mxid: &str) -> Vec<String> {
    hs.bridge_events()
        .into_iter()
        .filter(|e| e["type"] == "m.room.message" && e["room_id"] == room && e["sender"] == mxid)
        .map(|e| {
            e["content"]["body"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// The conversation's messages as `tresen show --json` prints them.
fn shown(p: &Profile, room: &str) -> Vec<serde_json::Value> {
    let out = p.run(&["show", room, "--json", "--limit", "500"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["messages"].as_array().unwrap().clone()
}

fn automatic(msgs: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    msgs.iter()
        .filter(|m| m["sender"] == tresen::engine::AUTOMATIC)
        .collect()
}

fn is_sent(m: &serde_json::Value) -> bool {
    ["sent", "delivered", "read"].contains(&m["delivery"].as_str().unwrap_or_default())
}

/// ERROR lines in the profile's logs.
fn logged_errors(p: &Profile) -> Vec<String> {
    let mut out = Vec::new();
    for f in std::fs::read_dir(p.data.join("logs"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let text = std::fs::read_to_string(f.path()).unwrap_or_default();
        out.extend(
            text.lines()
                .filter(|l| l.contains(" ERROR "))
                .map(str::to_string),
        );
    }
    out
}

const NOTICE: &str = "Guten Tag, vielen Dank für Ihre Nachricht an Muster Haustechnik GmbH";

/// Issue 14, item 1: a new customer writes through the bridge; `sync --once` sends the
/// first-contact notice and waits for it before exiting. It reaches the customer once,
/// is stored once as sent, and a later sync does not store the homeserver's copy again.
#[test]
fn r_c8_sync_once_sends_the_notice_it_queued_once_and_waits_for_it() {
    let hs = synapse();
    let (p, local, mxid) = office(hs);
    // The account has caught up before: its first sync is history, not new customers.
    let out = p.run(&["sync", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let room = hs.portal("4917611112222", &mxid, "Nina Neu");
    hs.join(&local, &room);
    let out = p.run(&["sync", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("sent: 1 messages"),
        "{}",
        stdout(&out)
    );
    let sent = sent_by(hs, &local, &room, &mxid);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with(NOTICE), "{}", sent[0]);
    let msgs = shown(&p, &room);
    let notices = automatic(&msgs);
    assert_eq!(notices.len(), 1, "{msgs:#?}");
    assert!(
        is_sent(notices[0]) && notices[0]["remote_id"].is_string(),
        "{:?}",
        notices[0]
    );
    wait_for("the notice at the bridge", || {
        at_bridge(hs, &room, &mxid).len() == 1
    });

    // Later syncs see the homeserver's copy: it is that message, not a new one.
    hs.puppet_says(&room, "4917611112222", "Danke!");
    let out = p.run(&["sync", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let msgs = shown(&p, &room);
    assert_eq!(automatic(&msgs).len(), 1, "{msgs:#?}");
    assert_eq!(sent_by(hs, &local, &room, &mxid).len(), 1);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(at_bridge(hs, &room, &mxid).len(), 1);
    // matrix-sdk asks for the portal's m.room.encryption state before the first send and
    // gets a 404: that is how it learns the room is not encrypted, not an error.
    let errors = logged_errors(&p);
    assert!(errors.is_empty(), "{errors:#?}");
}

/// Issue 14, items 1 and 4: tresen is killed between queueing the notice and sending it,
/// and again after the homeserver took it but before tresen stored that. Each next
/// start sends it exactly once; the office's first reply carries the footer as long as
/// no message with it was delivered, and not once one was.
#[test]
fn r_c8_r_a4_a_notice_cut_off_by_a_crash_goes_out_once_and_the_footer_waits_for_delivery() {
    let hs = synapse();
    let (p, local, mxid) = office(hs);
    assert!(p.run(&["sync", "--once"]).status.success());

    // Killed after the notice was stored and archived, before any network saw it.
    let room = hs.portal("4917622223333", &mxid, "Otto Vorher");
    hs.join(&local, &room);
    let out = p
        .cmd()
        .args(["sync", "--once"])
        .env("TRESEN_TEST_FAULT", "after-queue")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the fault point was not reached");
    let msgs = shown(&p, &room);
    let notices = automatic(&msgs);
    assert_eq!(notices.len(), 1, "{msgs:#?}");
    assert_eq!(notices[0]["delivery"], "pending");
    assert!(sent_by(hs, &local, &room, &mxid).is_empty());
    // The office answers before any message with the footer reached the customer: the
    // answer carries it, and the notice goes out first.
    let out = p.run(&["send", &room, "Ihr Angebot folgt."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sent = sent_by(hs, &local, &room, &mxid);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent[0].starts_with(NOTICE), "{sent:?}");
    assert!(
        sent[1].starts_with("Ihr Angebot folgt.\n\n-- \n"),
        "{sent:?}"
    );
    assert!(sent[1].contains("HRB 12345"), "{sent:?}");
    let msgs = shown(&p, &room);
    let notices = automatic(&msgs);
    assert_eq!(notices.len(), 1, "{msgs:#?}");
    assert!(is_sent(notices[0]), "{:?}", notices[0]);
    assert!(p.run(&["sync", "--once"]).status.success());
    assert_eq!(
        sent_by(hs, &local, &room, &mxid).len(),
        2,
        "nothing sent twice"
    );
    assert_eq!(automatic(&shown(&p, &room)).len(), 1);

    // Killed after the homeserver took the notice, before tresen stored its answer.
    let room = hs.portal("4917633334444", &mxid, "Paula Danach");
    hs.join(&local, &room);
    let out = p
        .cmd()
        .args(["sync", "--once"])
        .env("TRESEN_TEST_FAULT", "before-send-result")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the fault point was not reached");
    let sent = sent_by(hs, &local, &room, &mxid);
    assert_eq!(sent.len(), 1, "it did reach the homeserver: {sent:?}");
    assert_eq!(automatic(&shown(&p, &room))[0]["delivery"], "pending");
    // The next start recognises the homeserver's copy by its transaction id: the
    // message is marked sent, not sent again, and not stored a second time.
    let out = p.run(&["sync", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(sent_by(hs, &local, &room, &mxid).len(), 1, "not sent twice");
    let msgs = shown(&p, &room);
    let notices = automatic(&msgs);
    assert_eq!(notices.len(), 1, "{msgs:#?}");
    assert!(is_sent(notices[0]), "{:?}", notices[0]);
    let outbound: Vec<_> = msgs
        .iter()
        .filter(|m| m["direction"] == "outbound" && m["kind"] == "chat")
        .collect();
    assert_eq!(
        outbound.len(),
        1,
        "the homeserver's copy is that message: {msgs:#?}"
    );
    // A delivered notice carried the footer: the office's reply within 30 days does not.
    let out = p.run(&["send", &room, "Bis morgen."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sent = sent_by(hs, &local, &room, &mxid);
    assert_eq!(
        sent.last().map(String::as_str),
        Some("Bis morgen."),
        "{sent:?}"
    );
}

/// Issue 14, item 4: connecting an account that already has bridged chats sends no
/// notice into them: its first sync is history. (A later message of such a customer,
/// arriving live, gets one.)
#[test]
fn r_c8_a_new_accounts_first_sync_sends_no_notice_into_existing_chats() {
    let hs = synapse();
    let (p, local, mxid) = office(hs);
    let room = hs.portal("4917644445555", &mxid, "Erwin Bestand");
    hs.join(&local, &room);
    let out = p.run(&["sync", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let msgs = shown(&p, &room);
    assert!(
        msgs.iter().any(|m| m["body"] == "Hallo aus WhatsApp!"),
        "{msgs:#?}"
    );
    assert!(automatic(&msgs).is_empty(), "{msgs:#?}");
    assert!(sent_by(hs, &local, &room, &mxid).is_empty());
    // The customer writes again: that arrived now, and nobody told them the notice yet.
    hs.puppet_says(&room, "4917644445555", "Sind Sie noch da?");
    let out = p.run(&["sync", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sent = sent_by(hs, &local, &room, &mxid);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with(NOTICE));
}

/// Issue 14, item 5: a customer starts a direct chat as Element does (the invite says
/// `is_direct`) and the first message comes with tresen's join. It is a direct chat at
/// once: the notice goes out, and the customer's JA to it is their consent.
#[test]
fn r_c8_r_c1_a_direct_chat_started_with_is_direct_gets_the_notice_for_its_first_message() {
    let hs = synapse();
    let (office, office_id) = hs.user("buero");
    let (customer, customer_id) = hs.user("kunde");
    let p = profile_for("");
    assert!(
        login(&p, &hs.url, &office, &Synapse::password(&office))
            .status
            .success()
    );
    let run = Running::start(&p);
    wait_for("the account to be online", || {
        matches!(run.health(), Some(Health::Online))
    });
    let room = hs.direct_chat(
        &customer,
        &office_id,
        "Guten Tag, ich brauche einen Termin.",
    );
    run.accept_invite(&room);
    wait_for("the customer's first message", || {
        bodies(&run.messages()).contains(&"Guten Tag, ich brauche einen Termin.".to_string())
    });
    let conv = run.store(|s| s.find_conversation(&room).unwrap().unwrap());
    assert_eq!(conv.kind, tresen::domain::ConversationKind::Direct);
    wait_for("the notice in the chat", || {
        sent_by(hs, &customer, &room, &office_id)
            .iter()
            .any(|b| b.starts_with(NOTICE))
    });
    hs.user_says(&customer, &room, "JA");
    let (channel, address) = tresen::compliance::contact_key(&conv);
    assert_eq!(address, customer_id);
    wait_for("the consent on record", || {
        run.store(|s| s.ledger(channel, &address).unwrap())
            .iter()
            .any(|e| {
                matches!(e, tresen::compliance::LedgerEntry::Consent(r)
                if r.action == tresen::compliance::consent::Action::Grant)
            })
    });
    run.stop();
}

/// Issue 14, item 1: a message sent while the homeserver is down waits (exit code 3,
/// said so), stays pending, and the next start sends it once; `sync --once` against a
/// homeserver that is down ends instead of waiting for it forever.
#[test]
fn a_send_the_homeserver_never_answered_exits_3_and_goes_out_at_the_next_start() {
    let mut hs = Synapse::start();
    let (p, local, mxid) = office(&hs);
    assert!(p.run(&["sync", "--once"]).status.success());
    let room = hs.portal("4917655556666", &mxid, "Karl Warten");
    hs.join(&local, &room);
    // The notice goes out with the first message; wait until it did.
    assert_eq!(p.run(&["sync", "--once"]).status.code(), Some(0));
    hs.stop();
    let out = p.run(&["send", &room, "Wir sind unterwegs.", "--timeout", "5"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("stays pending"), "{}", stderr(&out));
    let pending = shown(&p, &room)
        .into_iter()
        .find(|m| m["body"] == "Wir sind unterwegs.")
        .expect("kept");
    assert_eq!(pending["delivery"], "pending");
    let out = p.run(&["sync", "--once", "--timeout", "5"]);
    assert!(
        !stderr(&out).is_empty(),
        "the homeserver being down is said: {}",
        stdout(&out)
    );
    hs.restart();
    let out = p.run(&["sync", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sent: Vec<_> = sent_by(&hs, &local, &room, &mxid)
        .into_iter()
        .filter(|b| b == "Wir sind unterwegs.")
        .collect();
    assert_eq!(sent.len(), 1, "sent once");
    let m = shown(&p, &room)
        .into_iter()
        .find(|m| m["body"] == "Wir sind unterwegs.")
        .unwrap();
    assert!(is_sent(&m), "{m}");
}

/// Every file below `dir`, with its mode.
fn files_with_modes(dir: &std::path::Path) -> Vec<(std::path::PathBuf, u32, bool)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            let mode = meta.permissions().mode() & 0o777;
            if meta.is_dir() {
                out.push((p.clone(), mode, true));
                stack.push(p);
            } else if meta.is_file() {
                out.push((p, mode, false));
            }
        }
    }
    out
}

/// Issue 20: after a day's work on Matrix and Signal — login, recovery key, the daemon
/// syncing with debug logging, a customer's message through the bridge, a hook run,
/// signal-cli started — no secret is anywhere it could be read: not in any file of the
/// data directory or the logs (raw, hex or base64), not in the environment tresen gives
/// signal-cli or a hook. tresen's own directories are 0700 and its files 0600.
#[test]
fn no_secret_leaks_into_files_logs_or_child_processes() {
    use base64::Engine as _;
    use support::daemon::Daemon;
    let hs = synapse();
    let (local, mxid) = hs.user("buero");
    let dir = tempfile::tempdir().unwrap();
    let hook_env = dir.path().join("hook-env");
    let hook = dir.path().join("hook.sh");
    std::fs::write(
        &hook,
        format!("#!/bin/sh\nenv > {}.$$\n", hook_env.display()),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let p = profile_for(&format!(
        "\n[[accounts]]\nid = \"signal-buero\"\nnetwork = \"signal\"\npurpose = \"business\"\nnumber = \"+493012345678\"\n\n\
         [signal]\ncli_path = \"{}/tests/support/fake_signal_cli.py\"\n\n\
         [hooks]\non_message = \"{}\"\n",
        env!("CARGO_MANIFEST_DIR"),
        hook.display()
    ));
    let password = Synapse::password(&local);
    let out = login(&p, &hs.url, &local, &password);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = p.run(&["account", "recovery-key"]);
    let recovery = printed_key(&out);

    // The daemon syncs with debug logging; a customer writes through the bridge.
    let mut d = Daemon::start_with(&p, &[("TRESEN_LOG", std::path::Path::new("debug"))]);
    let room = hs.portal("4915112345678", &mxid, "Familie Aydın");
    hs.join(&local, &room);
    wait_for("the portal in the inbox", || {
        p.run(&["show", &room]).status.success()
    });
    hs.puppet_says(&room, "4915112345678", "Guten Tag, die Heizung ist kalt.");
    wait_for("the hook's run", || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("hook-env."))
    });
    let signal_pids = p.data.join("signal-cli").join("pids");
    wait_for("signal-cli started", || signal_pids.exists());
    let pid = std::fs::read_to_string(&signal_pids)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .to_string();
    let signal_env = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    let hook_envs: Vec<Vec<u8>> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("hook-env."))
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    d.signal("-TERM");
    assert!(d.wait().success());
    drop(d);

    // The secrets: what the office typed, what Synapse handed out, what tresen derived.
    let tokens: Vec<String> = {
        let db = rusqlite::Connection::open(hs.dir().join("data/homeserver.db")).unwrap();
        let mut q = db
            .prepare("SELECT token FROM access_tokens WHERE user_id = ?1")
            .unwrap();
        q.query_map([&mxid], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert!(!tokens.is_empty(), "Synapse holds no token for {mxid}");
    let key = open_profile(&p).1.key;
    let mut secrets: Vec<(String, Vec<u8>)> = vec![
        (
            "the passphrase".into(),
            b"correct horse battery staple".to_vec(),
        ),
        ("the Matrix password".into(), password.into_bytes()),
        ("the recovery key".into(), recovery.clone().into_bytes()),
        (
            "the recovery key without spaces".into(),
            recovery.replace(' ', "").into_bytes(),
        ),
    ];
    for t in &tokens {
        secrets.push(("an access token".into(), t.clone().into_bytes()));
    }
    for purpose in [
        "inbox store".to_string(),
        format!("matrix session {ACCOUNT}"),
        format!("matrix sdk store {ACCOUNT}"),
        "archive bucket table".to_string(),
        "archive system bucket".to_string(),
        "tresen attachment content v1".to_string(),
    ] {
        let k = key.derive(&purpose);
        let b64 = base64::engine::general_purpose::STANDARD;
        let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        secrets.push((format!("{purpose} key (raw)"), k.to_vec()));
        secrets.push((
            format!("{purpose} key (hex)"),
            hex::encode(&k[..]).into_bytes(),
        ));
        secrets.push((
            format!("{purpose} key (HEX)"),
            hex::encode_upper(&k[..]).into_bytes(),
        ));
        secrets.push((
            format!("{purpose} key (base64)"),
            b64.encode(&k[..]).into_bytes(),
        ));
        secrets.push((
            format!("{purpose} key (base64url)"),
            b64url.encode(&k[..]).into_bytes(),
        ));
    }
    let found = |hay: &[u8]| -> Vec<String> {
        secrets
            .iter()
            .filter(|(_, s)| hay.windows(s.len()).any(|w| w == s.as_slice()))
            .map(|(what, _)| what.clone())
            .collect()
    };

    let mut leaks = Vec::new();
    let files = files_with_modes(&p.data);
    assert!(
        files.len() > 10,
        "only {} files in the data dir",
        files.len()
    );
    assert!(
        files
            .iter()
            .any(|(f, _, _)| f.starts_with(p.data.join("logs"))),
        "no log written"
    );
    for (f, _, is_dir) in &files {
        if !is_dir && let Ok(bytes) = std::fs::read(f) {
            for what in found(&bytes) {
                leaks.push(format!("{what} in {}", f.display()));
            }
        }
    }
    for what in found(&signal_env) {
        leaks.push(format!("{what} in signal-cli's environment"));
    }
    assert!(!hook_envs.is_empty());
    for env in &hook_envs {
        for what in found(env) {
            leaks.push(format!("{what} in a hook's environment"));
        }
    }
    assert!(leaks.is_empty(), "secrets found:\n{}", leaks.join("\n"));

    // Owner only: tresen's files, and what matrix-sdk, the log and signal-cli write.
    use std::os::unix::fs::PermissionsExt;
    let top = std::fs::metadata(&p.data).unwrap().permissions().mode() & 0o777;
    let mut loose = Vec::new();
    if top != 0o700 {
        loose.push(format!("{} {top:o}", p.data.display()));
    }
    for (f, mode, is_dir) in files {
        let want = if is_dir { 0o700 } else { 0o600 };
        if mode & 0o077 != 0 {
            loose.push(format!("{} {mode:o} (want {want:o})", f.display()));
        }
    }
    assert!(
        loose.is_empty(),
        "readable by others:\n{}",
        loose.join("\n")
    );
}
