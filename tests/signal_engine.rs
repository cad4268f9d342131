//! The Signal connector driving the whole engine against a scripted signal-cli peer on a
//! UNIX socket: the peer checks every request's parameters as signal-cli does, answers
//! with signal-cli's shapes, slips bad frames in and dies mid-stream. receive → store,
//! send → sent → delivered, attachments down, reconnect with nothing lost. Issue 4.

mod support;

use support::signal_peer::*;

use support::engine::{archived, rebuilt, start_archived, wait_until};

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use tresen::connector::signal::frames::group_key;
use tresen::connector::signal::{Endpoint, SignalConnector};
use tresen::domain::{AccountId, Delivery, Direction};
use tresen::engine::{Engine, EngineHandle, EngineOptions};
use tresen::store::{BlobStore, SharedStore, SqliteStore};

/// The engine on an encrypted store at `db` with the business account on `endpoint`
/// (no groups chosen in the config).
fn start_engine(db: &std::path::Path, endpoint: Endpoint) -> (Engine, EngineHandle) {
    let sqlite = SqliteStore::open(db, Some(&[6; 32])).unwrap();
    let store: SharedStore = tresen::profile::shared(sqlite, None).unwrap();
    let connector = SignalConnector::new(
        AccountId("signal-buero".into()),
        OWN.into(),
        endpoint,
        vec![],
    );
    Engine::start(store, vec![Box::new(connector)], EngineOptions::default())
}

fn messages(h: &EngineHandle) -> Vec<tresen::domain::Message> {
    h.store().read(|s| {
        s.conversations()
            .unwrap()
            .iter()
            .flat_map(|c| s.messages(c.id, None, 100).unwrap())
            .collect()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receive_store_send_deliver_fetch_and_reconnect_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("signal-cli.sock");
    let (say, seen) = peer(socket.clone());
    let sqlite = SqliteStore::open(&dir.path().join("s.db"), Some(&[6; 32])).unwrap();
    let store = tresen::profile::shared(sqlite, None)
        .unwrap()
        .with_blobs(BlobStore::new(
            dir.path(),
            &tresen::secrets::MasterKey::random(),
        ));
    let store: SharedStore = store;
    let connector = SignalConnector::new(
        AccountId("signal-buero".into()),
        OWN.into(),
        Endpoint::Socket(socket),
        vec!["chosenGroup=".into()],
    );
    let (engine, h) = Engine::start(store, vec![Box::new(connector)], EngineOptions::default());
    let task = tokio::spawn(engine.run());
    subscribed(&seen).await;

    // In: a customer's message with a photo, garbage, an oversized frame, a group nobody
    // selected, and a selected group.
    say.send(Say::Line(dm(
        1_767_225_600_000,
        "Heizung tropft, Foto anbei",
        true,
    )))
    .unwrap();
    say.send(Say::Line("{definitely not json".into())).unwrap();
    say.send(Say::Line(format!(
        r#"{{"jsonrpc":"2.0","method":"receive","params":"{}"}}"#,
        "x".repeat(17 * 1024 * 1024)
    )))
    .unwrap();
    for (group, text) in [
        ("otherGroup=", "Privater Grillabend"),
        ("chosenGroup=", "Baustelle: Material ist da"),
    ] {
        say.send(Say::Line(format!(
            r#"{{"jsonrpc":"2.0","method":"receive","params":{{"subscription":0,"result":{{"account":"{OWN}","envelope":{{"sourceNumber":"{CUSTOMER}","sourceUuid":"u1","sourceName":"Anna Kundin","sourceDevice":1,"timestamp":1767225650000,"dataMessage":{{"timestamp":1767225650000,"message":"{text}","groupInfo":{{"groupId":"{group}","groupName":"G","type":"DELIVER"}}}}}}}}}}}}"#
        ))).unwrap();
    }
    wait_until("the messages", || messages(&h).len() == 2).await;
    let convs = h.store().read(|s| s.conversations().unwrap());
    assert!(convs.iter().any(|c| c.remote_id == "u1"
        && c.title == "Anna Kundin"
        && c.contact.as_ref().and_then(|ct| ct.phone.as_deref()) == Some(CUSTOMER)));
    assert!(
        convs
            .iter()
            .any(|c| c.remote_id == group_key("chosenGroup="))
    );
    assert!(
        !convs
            .iter()
            .any(|c| c.remote_id == group_key("otherGroup=")),
        "a group nobody selected is never stored"
    );
    let photo_msg = messages(&h)
        .into_iter()
        .find(|m| !m.attachments.is_empty())
        .unwrap();

    // Down: the photo, byte for byte, through getAttachment.
    let blob = h.fetch(photo_msg.id, 0).await.unwrap();
    assert_eq!(
        h.store().blobs().unwrap().get(&blob).unwrap().as_slice(),
        PHOTO
    );

    // Out: sent (the peer checked the parameters), then delivered by receipt.
    let conv = convs.iter().find(|c| c.remote_id == "u1").unwrap().id;
    let id = h
        .send(conv, "Wir kommen morgen um 9.".into(), "Anna".into())
        .await
        .unwrap();
    wait_until("delivery", || {
        h.store()
            .read(|s| s.message(id).unwrap())
            .is_some_and(|m| m.delivery == Delivery::Delivered)
    })
    .await;
    let sent = h.store().read(|s| s.message(id).unwrap().unwrap());
    assert_eq!(sent.direction, Direction::Outbound);
    assert!(
        sent.remote_id
            .as_deref()
            .unwrap()
            .starts_with(&format!("{OWN}/"))
    );
    // A long offer arrives whole: inline start plus the full text as an attachment.
    let long = "Angebot Position 1: Brennwertkessel inklusive Montage. ".repeat(60);
    h.send(conv, long.clone(), "Anna".into()).await.unwrap();
    wait_until("the long send", || {
        seen.lock()
            .unwrap()
            .requests
            .iter()
            .any(|r| r["method"] == "send" && r["params"]["attachment"].is_array())
    })
    .await;
    let req = seen
        .lock()
        .unwrap()
        .requests
        .iter()
        .rev()
        .find(|r| r["method"] == "send")
        .cloned()
        .unwrap();
    assert!(req["params"]["message"].as_str().unwrap().len() <= 2048);
    let uri = req["params"]["attachment"][0].as_str().unwrap();
    let data = uri.split_once("base64,").unwrap().1;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap(),
        long.as_bytes()
    );

    // The daemon dies mid-frame; tresen reconnects, subscribes again, and what comes
    // next is stored once; nothing before is duplicated.
    say.send(Say::Die).unwrap();
    wait_until("the reconnect", || seen.lock().unwrap().connections >= 2).await;
    wait_until("the second subscription", || {
        seen.lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r["method"] == "subscribeReceive")
            .count()
            >= 2
    })
    .await;
    say.send(Say::Line(dm(1_767_225_900_000, "Danke, bis morgen", false)))
        .unwrap();
    // Signal re-delivers what was not acknowledged: the same message again is no duplicate.
    say.send(Say::Line(dm(
        1_767_225_600_000,
        "Heizung tropft, Foto anbei",
        true,
    )))
    .unwrap();
    wait_until("the message after the reconnect", || {
        messages(&h).iter().any(|m| m.body == "Danke, bis morgen")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = messages(&h);
    assert_eq!(
        all.iter()
            .filter(|m| m.body == "Heizung tropft, Foto anbei")
            .count(),
        1
    );
    assert_eq!(
        h.health().get(&AccountId("signal-buero".into())),
        Some(&tresen::domain::Health::Online)
    );
    h.shutdown().await;
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_account_in_the_config_syncs_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("signal-cli.sock");
    let (say, seen) = peer(socket.clone());
    // `socket` is the old name of `endpoint`: still accepted.
    let p = support::Profile::new(&format!(
        "[signal]\nsocket = \"{}\"\n\n[[accounts]]\nid = \"signal-buero\"\nnetwork = \"signal\"\npurpose = \"business\"\nnumber = \"{OWN}\"\n",
        socket.display()
    ));
    // The customer's message waits at the peer until tresen subscribes.
    let s2 = seen.clone();
    tokio::spawn(async move {
        loop {
            if s2
                .lock()
                .unwrap()
                .requests
                .iter()
                .any(|r| r["method"] == "subscribeReceive")
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        say.send(Say::Line(dm(
            1_767_225_600_000,
            "Guten Tag, Termin morgen?",
            false,
        )))
        .unwrap();
        // Keep the peer's control channel open while the binary runs.
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    // Probe only once the daemon owns the profile (Daemon::start waits for that): a
    // `list` on a profile without a store creates it, briefly holding the lock the
    // daemon needs. Then read beside it until the message is there (no fixed sleep).
    let d = Daemon::start(&p).await;
    let list = poll_cli(&p, &["list"], "Guten Tag, Termin morgen?").await;
    d.stop().await;
    assert!(list.contains("Anna Kundin"), "{list}");
    assert!(list.contains("Guten Tag, Termin morgen?"), "{list}");
    let accounts = support::stdout(&p.run(&["account", "list"]));
    assert!(accounts.contains("signal-buero"), "{accounts}");
}

/// A process is alive (and not a zombie we have yet to reap).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false)
}

fn pids(dir: &std::path::Path) -> Vec<u32> {
    std::fs::read_to_string(dir.join("pids"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.parse().ok())
        .collect()
}

fn drop_in(dir: &std::path::Path, name: &str, line: &str) {
    let tmp = dir.join("inbox").join(format!("{name}.tmp"));
    std::fs::write(&tmp, line).unwrap();
    std::fs::rename(&tmp, dir.join("inbox").join(format!("{name}.json"))).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_restarts_a_killed_signal_cli_and_sends_read_receipts_when_viewed() {
    use tresen::connector::signal::daemon::DaemonConfig;
    use tresen::domain::Health;
    use tresen::engine::EngineCommand;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("signal-cli");
    // tresen starts "signal-cli" itself: here a stand-in launcher that speaks its protocol.
    let (engine, h) = start_engine(
        &dir.path().join("s.db"),
        Endpoint::Spawn(DaemonConfig {
            signal_cli: PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/support/fake_signal_cli.py"
            )),
            data_dir: data.clone(),
            run_dir: dir.path().join("run"),
            java_home: None,
            start_timeout: Duration::from_secs(20),
        }),
    );
    let task = tokio::spawn(engine.run());
    let account = AccountId("signal-buero".into());
    let online = |h: &EngineHandle| h.health().get(&account) == Some(&Health::Online);
    wait_until("signal-cli started", || online(&h)).await;
    drop_in(&data, "1", &dm(1_767_225_600_000, "Vor dem Absturz", false));
    wait_until("the first message", || messages(&h).len() == 1).await;

    // signal-cli dies as a JVM does on SIGKILL (out of memory, an update, a crash).
    let first = pids(&data);
    assert_eq!(first.len(), 1);
    std::process::Command::new("kill")
        .args(["-KILL", &first[0].to_string()])
        .status()
        .unwrap();
    // What Signal queued meanwhile arrives once tresen has started signal-cli again.
    drop_in(
        &data,
        "2",
        &dm(1_767_225_700_000, "Während des Neustarts", false),
    );
    wait_until("a second signal-cli", || pids(&data).len() == 2).await;
    wait_until("the queued message", || messages(&h).len() == 2).await;
    assert!(online(&h), "{:?}", h.health());
    assert!(!alive(first[0]), "the killed signal-cli was not reaped");
    let subscribes = std::fs::read_to_string(data.join("requests.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("subscribeReceive"))
        .count();
    assert_eq!(subscribes, 2, "subscribed again after the restart");

    // Opening the conversation tells the customer's phone "read", on their newest message.
    let conv = h.store().read(|s| s.conversations().unwrap())[0].id;
    h.command(EngineCommand::Viewed(conv)).await.unwrap();
    let receipt = || {
        std::fs::read_to_string(data.join("requests.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|r| r["method"] == "sendReceipt")
    };
    wait_until("the read receipt", || receipt().is_some()).await;
    let r = receipt().unwrap();
    assert_eq!(r["params"]["type"], "read");
    // Addressed by her account id, which a new number does not change.
    assert_eq!(r["params"]["recipient"], "u1");
    assert_eq!(
        r["params"]["targetTimestamp"],
        json!([1_767_225_700_000i64])
    );
    assert_eq!(r["params"]["account"], OWN);

    // Stopping tresen stops its signal-cli: no JVM is left behind.
    h.shutdown().await;
    task.await.unwrap().unwrap();
    let second = pids(&data)[1];
    for _ in 0..100 {
        if !alive(second) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!alive(second), "signal-cli {second} outlived tresen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safety_numbers_show_as_verified_or_changed_on_the_conversation() {
    use tresen::domain::Security;
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("signal-cli.sock");
    let (say, seen) = peer(socket.clone());
    const OTHER: &str = "+4915187654321";
    // signal-cli's listIdentities: Anna's safety number was compared and verified.
    seen.lock().unwrap().identities = vec![
        json!({"number":CUSTOMER,"uuid":"u1","fingerprint":"05ab","safetyNumber":"12345 67890","scannableSafetyNumber":null,"trustLevel":"TRUSTED_VERIFIED","addedTimestamp":1767225000000i64}),
        json!({"number":OTHER,"uuid":"u2","fingerprint":"05cd","safetyNumber":"54321 09876","scannableSafetyNumber":null,"trustLevel":"TRUSTED_UNVERIFIED","addedTimestamp":1767225000000i64}),
    ];
    let (engine, h) = start_engine(&dir.path().join("s.db"), Endpoint::Socket(socket));
    let task = tokio::spawn(engine.run());
    wait_until("the identity list", || {
        seen.lock()
            .unwrap()
            .requests
            .iter()
            .any(|r| r["method"] == "listIdentities" && r["params"]["account"] == OWN)
    })
    .await;
    say.send(Say::Line(dm(1_767_225_600_000, "Hallo", false)))
        .unwrap();
    let other = dm(1_767_225_600_500, "Guten Tag", false)
        .replace(CUSTOMER, OTHER)
        .replace("\"u1\"", "\"u2\"")
        .replace("Anna Kundin", "Bernd Kunde");
    say.send(Say::Line(other)).unwrap();
    wait_until("both conversations", || messages(&h).len() == 2).await;
    let security = |remote: &str| {
        h.store().read(|s| {
            s.conversations()
                .unwrap()
                .into_iter()
                .find(|c| c.remote_id == remote)
                .map(|c| c.security)
        })
    };
    assert_eq!(security("u1"), Some(Security::Verified));
    assert_eq!(security("u2"), Some(Security::Encrypted));

    // Anna's phone was replaced: signal-cli refuses to send to the new key until someone
    // compares safety numbers again. The conversation says so at once; the message is
    // kept as failed.
    seen.lock().unwrap().untrusted.push("u1".into());
    let conv = h
        .store()
        .read(|s| s.conversations().unwrap())
        .into_iter()
        .find(|c| c.remote_id == "u1")
        .unwrap()
        .id;
    h.send(conv, "Termin bestätigt".into(), "Anna".into())
        .await
        .unwrap();
    wait_until("the refused send", || {
        messages(&h)
            .iter()
            .any(|m| m.body == "Termin bestätigt" && m.delivery == Delivery::Failed)
    })
    .await;
    wait_until("the changed identity", || {
        security("u1") == Some(Security::IdentityChanged)
    })
    .await;
    let failed = messages(&h)
        .into_iter()
        .find(|m| m.body == "Termin bestätigt")
        .unwrap();
    assert!(
        failed
            .failure
            .as_deref()
            .unwrap_or_default()
            .contains("safety number changed"),
        "{:?}",
        failed.failure
    );
    // A message from Anna afterwards does not quietly mark her as merely "encrypted".
    say.send(Say::Line(dm(1_767_225_700_000, "Neues Handy!", false)))
        .unwrap();
    wait_until("her next message", || messages(&h).len() == 4).await;
    assert_eq!(security("u1"), Some(Security::IdentityChanged));
    h.shutdown().await;
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_group_is_offered_as_invite_and_stored_only_once_accepted_also_after_restart() {
    use tresen::engine::EngineCommand;
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("signal-cli.sock");
    let (say, seen) = peer(socket.clone());
    let db = dir.path().join("s.db");
    let start = |socket: PathBuf| start_engine(&db, Endpoint::Socket(socket));
    let (engine, h) = start(socket.clone());
    let task = tokio::spawn(engine.run());
    subscribed(&seen).await;
    let account = AccountId("signal-buero".into());
    for (i, text) in ["Material ist da", "Wann kommt der Monteur?"]
        .iter()
        .enumerate()
    {
        say.send(Say::Line(group_line(
            "baustelle=",
            "Baustelle Müller",
            1_767_225_600_000 + i as i64,
            text,
        )))
        .unwrap();
    }
    say.send(Say::Line(group_line(
        "familie=",
        "Familie",
        1_767_225_600_100,
        "Grillen am Sonntag?",
    )))
    .unwrap();
    wait_until("two invites", || {
        h.invites().get(&account).is_some_and(|l| l.len() == 2)
    })
    .await;
    let invites = h.invites()[&account].clone();
    let baustelle = invites
        .iter()
        .find(|i| i.remote_id == group_key("baustelle="))
        .unwrap();
    assert_eq!(baustelle.title, "Baustelle Müller");
    assert_eq!(baustelle.from, "Anna Kundin");
    // Undecided: nothing of either group is on disk.
    assert!(messages(&h).is_empty());

    // The office takes the building-site group into the inbox; what it already said follows.
    h.command(EngineCommand::AcceptInvite {
        account: account.clone(),
        remote_id: baustelle.remote_id.clone(),
    })
    .await
    .unwrap();
    wait_until("the held messages", || messages(&h).len() == 2).await;
    let bodies: Vec<String> = messages(&h).into_iter().map(|m| m.body).collect();
    assert!(
        bodies.contains(&"Material ist da".to_string()),
        "{bodies:?}"
    );
    assert!(!bodies.iter().any(|b| b.contains("Grillen")));
    h.shutdown().await;
    task.await.unwrap().unwrap();

    // After a restart the choice holds without any config change; the family group stays out.
    let (engine, h) = start(socket);
    let task = tokio::spawn(engine.run());
    wait_until("the second subscription", || {
        seen.lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r["method"] == "subscribeReceive")
            .count()
            == 2
    })
    .await;
    say.send(Say::Line(group_line(
        "familie=",
        "Familie",
        1_767_225_700_000,
        "Kuchen?",
    )))
    .unwrap();
    say.send(Say::Line(group_line(
        "baustelle=",
        "Baustelle Müller",
        1_767_225_700_100,
        "Monteur ist da",
    )))
    .unwrap();
    wait_until("the chosen group's message", || messages(&h).len() == 3).await;
    assert!(
        !messages(&h)
            .iter()
            .any(|m| m.body.contains("Kuchen") || m.body.contains("Grillen"))
    );
    assert!(
        h.invites()
            .get(&account)
            .is_some_and(|l| l.len() == 1 && l[0].remote_id == group_key("familie="))
    );
    h.shutdown().await;
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_not_set_up_is_linked_from_the_tui_and_then_receives() {
    use tresen::domain::{Health, LinkState};
    use tresen::engine::EngineCommand;
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("signal-cli.sock");
    let (say, seen) = peer(socket.clone());
    seen.lock().unwrap().unlinked = true;
    let (engine, h) = start_engine(&dir.path().join("s.db"), Endpoint::Socket(socket));
    let task = tokio::spawn(engine.run());
    let account = AccountId("signal-buero".into());
    let link = |h: &EngineHandle| h.links().get(&account).cloned();
    wait_until("the account to need linking", || {
        link(&h) == Some(LinkState::Needed)
    })
    .await;
    // The status line says what is wrong and what to do.
    match h.health().get(&account) {
        Some(Health::Degraded(why)) => {
            assert!(why.contains("not set up"), "{why}");
            assert!(why.contains("tresen account link signal"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    // The office presses L: signal-cli asks Signal for a link code.
    h.command(EngineCommand::Link {
        account: account.clone(),
        device_name: None,
    })
    .await
    .unwrap();
    wait_until("the code to scan", || {
        matches!(link(&h), Some(LinkState::Waiting { uri }) if uri.starts_with("sgnl://linkdevice"))
    })
    .await;
    let finish = {
        let mut id = None;
        for _ in 0..200 {
            id = seen.lock().unwrap().finish_link.clone();
            if id.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        id.expect("finishLink was not asked")
    };
    let asked = seen
        .lock()
        .unwrap()
        .requests
        .iter()
        .find(|r| r["method"] == "finishLink")
        .cloned()
        .unwrap();
    assert_eq!(
        asked["params"]["deviceLinkUri"],
        "sgnl://linkdevice?uuid=Yz3k&pub_key=BXk7"
    );
    assert!(
        asked["params"]["deviceName"]
            .as_str()
            .unwrap()
            .starts_with("tresen")
    );
    // The phone scans: signal-cli now holds the number.
    seen.lock().unwrap().unlinked = false;
    say.send(Say::Line(
        json!({"jsonrpc":"2.0","result":{"number":OWN},"id":finish}).to_string(),
    ))
    .unwrap();
    wait_until("linked", || {
        link(&h) == Some(LinkState::Linked { number: OWN.into() })
    })
    .await;
    wait_until("online", || {
        h.health().get(&account) == Some(&Health::Online)
    })
    .await;
    say.send(Say::Line(dm(
        1_767_225_600_000,
        "Erste Nachricht nach dem Koppeln",
        false,
    )))
    .unwrap();
    wait_until("the first message", || messages(&h).len() == 1).await;
    // One signal-cli connection throughout: linking did not restart it.
    assert_eq!(seen.lock().unwrap().connections, 1);
    h.shutdown().await;
    task.await.unwrap().unwrap();
}

/// `tresen daemon` on a profile, stopped (SIGTERM, waited for) when dropped or asked.
struct Daemon(Option<std::process::Child>);

impl Daemon {
    async fn start(p: &support::Profile) -> Daemon {
        let mut daemon = p
            .cmd()
            .args(["daemon"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = daemon.stderr.take().unwrap();
        let announced = tokio::task::spawn_blocking(move || {
            let mut buf = [0u8; 256];
            let n = std::io::Read::read(&mut err, &mut buf).unwrap_or(0);
            // Keep draining, so the daemon never blocks on a full pipe.
            std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
            String::from_utf8_lossy(&buf[..n]).into_owned()
        })
        .await
        .unwrap();
        assert!(announced.contains("daemon running"), "{announced}");
        Daemon(Some(daemon))
    }

    async fn stop(mut self) {
        let Some(mut d) = self.0.take() else { return };
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(d.id().to_string())
            .status();
        let status = tokio::task::spawn_blocking(move || d.wait().unwrap())
            .await
            .unwrap();
        assert!(status.success(), "daemon exit: {status}");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut d) = self.0.take() {
            let _ = d.kill();
            let _ = d.wait();
        }
    }
}

fn now_ms() -> i64 {
    tresen::domain::Timestamp::now().0
}

/// Runs `args` until its stdout contains `want` (the daemon writes meanwhile).
async fn poll_cli(p: &support::Profile, args: &[&str], want: &str) -> String {
    let probe = support::Profile {
        dir: tempfile::tempdir().unwrap(),
        config: p.config.clone(),
        data: p.data.clone(),
    };
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let want = want.to_string();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut last = String::new();
        for _ in 0..300 {
            let out = probe.run(&args);
            last = format!("{}{}", support::stdout(&out), support::stderr(&out));
            if last.contains(&want) {
                return last;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("`{}` never showed {want:?}:\n{last}", args.join(" "));
    })
    .await
    .unwrap()
}

const NOTICE_START: &str = "Guten Tag, vielen Dank für Ihre Nachricht an Muster Haustechnik GmbH";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compliance_over_signal_first_contact_consent_keywords_gate_and_inline_limit() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("signal-cli.sock");
    let (say, seen) = peer(socket.clone());
    let p = support::Profile::new(&format!(
        "[signal]\nendpoint = \"{}\"\n\n[[accounts]]\nid = \"signal-buero\"\nnetwork = \"signal\"\npurpose = \"business\"\nnumber = \"{OWN}\"\n",
        socket.display()
    ));
    let subscriptions = |seen: &Arc<Mutex<Seen>>| {
        seen.lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r["method"] == "subscribeReceive")
            .count()
    };
    // Starts the daemon and waits until it (not an earlier process) has subscribed.
    let start = |p: &support::Profile| {
        let before = subscriptions(&seen);
        let seen = seen.clone();
        let p = support::Profile {
            dir: tempfile::tempdir().unwrap(),
            config: p.config.clone(),
            data: p.data.clone(),
        };
        async move {
            let d = Daemon::start(&p).await;
            wait_until("the daemon to subscribe", || subscriptions(&seen) > before).await;
            d
        }
    };

    // A new customer writes: tresen answers once with the notice, consent question and
    // footer (R-C8, R-C3), and stays silent on the next message.
    let d = start(&p).await;
    say.send(Say::Line(dm(
        now_ms(),
        "Guten Tag, die Heizung ist kalt.",
        false,
    )))
    .unwrap();
    wait_until("the first-contact message", || {
        sends(&seen)
            .iter()
            .any(|r| delivered_text(r).starts_with(NOTICE_START))
    })
    .await;
    say.send(Say::Line(dm(
        now_ms() + 1,
        "Können Sie heute noch kommen?",
        false,
    )))
    .unwrap();
    poll_cli(&p, &["show", CUSTOMER], "Können Sie heute noch kommen?").await;
    let notice = sends(&seen)
        .into_iter()
        .find(|r| delivered_text(r).starts_with(NOTICE_START))
        .unwrap();
    let text = delivered_text(&notice);
    assert!(
        text.contains("https://muster-haustechnik.example/pflichtangaben"),
        "{text}"
    );
    assert!(text.contains("Antworten Sie mit JA"), "{text}");
    assert!(
        text.contains("Amtsgericht Musterstadt") && text.contains("HRB 12345"),
        "{text}"
    );
    assert!(notice["params"]["message"].as_str().unwrap().len() <= 2048);
    // R-C8 in layers: what comes before the footer (text and consent question) is
    // short; the full notice comes when the customer answers DATENSCHUTZ.
    let question_end = text.find("jederzeit.").unwrap() + "jederzeit.".len();
    assert!(
        text[..question_end].chars().count() <= 320,
        "{}",
        &text[..question_end]
    );
    assert!(
        text[..question_end].contains("Antwort DATENSCHUTZ"),
        "{text}"
    );
    assert!(!text.contains("Aufsichtsbehörde"), "{text}");
    say.send(Say::Line(dm(now_ms() + 1, "Datenschutz", false)))
        .unwrap();
    wait_until("the full privacy notice", || {
        sends(&seen).iter().any(|r| {
            delivered_text(r).starts_with("Datenschutzhinweise von Muster Haustechnik GmbH")
        })
    })
    .await;
    let full = sends(&seen)
        .into_iter()
        .map(|r| delivered_text(&r))
        .find(|t| t.starts_with("Datenschutzhinweise"))
        .unwrap();
    for heading in [
        "Verantwortlich",
        "Rechtsgrundlage",
        "Empfänger",
        "Drittland",
        "Speicherdauer",
        "widerrufen",
        "Aufsichtsbehörde",
    ] {
        assert!(full.contains(heading), "{heading}: {full}");
    }
    let consent = support::stdout(&p.run(&["consent", "show", CUSTOMER]));
    assert!(consent.contains("no consent records"), "{consent}");

    // The firm changes its consent wording before the customer answers: the JA still
    // consents to the question the customer saw.
    d.stop().await;
    let mut config = std::fs::read_to_string(&p.config).unwrap();
    config.push_str("\n[consent]\nwording = \"Neue Frage: Dürfen wir schreiben? JA/STOP\"\n");
    std::fs::write(&p.config, config).unwrap();
    let d = start(&p).await;

    // "JA" is the consent, with the message itself as evidence (R-C1).
    say.send(Say::Line(dm(now_ms() + 2, "Ja!", false))).unwrap();
    let shown = poll_cli(&p, &["consent", "show", CUSTOMER], "GRANTED").await;
    assert!(shown.contains("service_messaging  granted"), "{shown}");
    assert!(shown.contains("by inbound_keyword"), "{shown}");
    assert!(shown.contains("the customer wrote: \"Ja!\""), "{shown}");
    assert!(shown.contains(", verified):"), "{shown}");
    assert!(
        shown.contains("│ Dürfen wir Sie zu Ihrem Anliegen über diesen Messenger kontaktieren?"),
        "the exact wording the customer saw: {shown}"
    );
    assert!(!shown.contains("Neue Frage"), "{shown}");
    // A later "ja" answers some other question: no second consent record.
    say.send(Say::Line(dm(now_ms() + 3, "ja", false))).unwrap();
    say.send(Say::Line(dm(now_ms() + 4, "Bis morgen dann.", false)))
        .unwrap();
    poll_cli(&p, &["show", CUSTOMER], "Bis morgen dann.").await;
    let shown = support::stdout(&p.run(&["consent", "show", CUSTOMER]));
    assert_eq!(shown.matches("GRANTED").count(), 1, "{shown}");
    d.stop().await;
    let first_contacts = sends(&seen)
        .iter()
        .filter(|r| delivered_text(r).starts_with(NOTICE_START))
        .count();
    assert_eq!(first_contacts, 1, "the notice goes out exactly once");

    // R-A6 on Signal: a 2,000-byte offer with umlauts and emoji, tagged angebot (footer
    // always): the inline body stays within 2 KiB, the footer travels in the delivered
    // text (the long-text attachment), nothing cut.
    let mut offer = String::from("Angebot Nr. 2026-117: ");
    while offer.len() < 2000 {
        offer.push_str("Brennwerttherme für Öl/Gas inkl. Montage 🔧, Größe prüfen; ");
    }
    let before = sends(&seen).len();
    let out = p.run(&["send", CUSTOMER, &offer, "--tag", "angebot"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let after = sends(&seen);
    assert_eq!(
        after.len(),
        before + 1,
        "one message: Signal shows the long text whole"
    );
    let req = after.last().unwrap();
    assert!(req["params"]["message"].as_str().unwrap().len() <= 2048);
    let delivered = delivered_text(req);
    assert!(delivered.starts_with(&offer), "nothing of the offer lost");
    assert!(
        delivered.ends_with(
            "Impressum und Datenschutz: https://muster-haustechnik.example/pflichtangaben"
        ),
        "{delivered}"
    );
    assert!(
        delivered.contains("Geschäftsführer: Max Mustermann"),
        "{delivered}"
    );

    // STOP withdraws at once (R-C2): the next reminder is blocked, and so is a service
    // message until the customer writes again.
    let d = start(&p).await;
    say.send(Say::Line(dm(now_ms() + 3, "STOP", false)))
        .unwrap();
    poll_cli(&p, &["consent", "show", CUSTOMER], "WITHDRAWN").await;
    d.stop().await;
    let before = sends(&seen).len();
    let out = p.run(&[
        "send",
        CUSTOMER,
        "Ihre Heizungswartung ist fällig.",
        "--purpose",
        "reminders",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", support::stderr(&out));
    assert!(
        support::stderr(&out).contains("withdrew consent"),
        "{}",
        support::stderr(&out)
    );
    let out = p.run(&["send", CUSTOMER, "Wie geht es der Heizung?"]);
    assert_eq!(out.status.code(), Some(2), "{}", support::stderr(&out));
    assert_eq!(sends(&seen).len(), before, "nothing went out");

    // R-C3: a conversation the office started from its phone, with no consent and no
    // message from the contact, cannot be continued from tresen.
    let stranger = "+4917099988877";
    let sync_sent = format!(
        r#"{{"jsonrpc":"2.0","method":"receive","params":{{"subscription":0,"result":{{"account":"{OWN}","envelope":{{"source":"{OWN}","sourceNumber":"{OWN}","sourceUuid":"own","sourceName":"Büro","sourceDevice":1,"timestamp":{ts},"syncMessage":{{"sentMessage":{{"destinationNumber":"{stranger}","timestamp":{ts},"message":"Hallo, hier ist die Firma Muster.","expiresInSeconds":0}}}}}}}}}}}}"#,
        ts = now_ms()
    );
    let d = start(&p).await;
    say.send(Say::Line(sync_sent)).unwrap();
    poll_cli(&p, &["list"], "Hallo, hier ist die Firma Muster.").await;
    d.stop().await;
    // R-F2: a message sent from the business phone itself went past tresen's footer
    // and consent gate; compliance check counts it.
    let check: serde_json::Value =
        serde_json::from_slice(&p.run(&["compliance", "check", "--json"]).stdout).unwrap();
    let elsewhere = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "sent_elsewhere")
        .unwrap();
    assert_eq!(elsewhere["level"], "warning", "{check}");
    assert!(
        elsewhere["message"]
            .as_str()
            .unwrap()
            .starts_with("1 message(s) in 1 conversation(s) were sent from the business phone"),
        "{elsewhere}"
    );
    // It opened the conversation without the Pflichtangaben the footer policy wants on
    // a first message (R-A4): counted as a missing footer too.
    let missing = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "footer_missing")
        .unwrap();
    assert_eq!(missing["level"], "warning", "{check}");
    assert!(
        missing["message"]
            .as_str()
            .unwrap()
            .starts_with("1 message(s) sent past tresen, in 1 conversation(s), lacked"),
        "{missing}"
    );
    let out = p.run(&["send", stranger, "Wann passt Ihnen ein Termin?"]);
    assert_eq!(out.status.code(), Some(2), "{}", support::stderr(&out));
    assert!(
        support::stderr(&out).contains("has not consented to messenger contact"),
        "{}",
        support::stderr(&out)
    );
    // Recorded consent (noted on the phone by a named staff member) opens it.
    let out = p.run(&["consent", "grant", stranger, "--method", "verbal"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let out = p.run(&["send", stranger, "Wann passt Ihnen ein Termin?"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    // The evidence of every consent is in the archive, and verify still passes.
    let out = p.run(&["archive", "verify"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let transcript =
        support::stdout(&p.run(&["export", "conversation", CUSTOMER, "--format", "txt"]));
    assert!(transcript.contains("Ja!"), "{transcript}");
}

/// Issue 14, item 2: a group message from a sender Signal shows only by account id; the
/// number becomes known later, and what points at the message (delete, edit, reaction,
/// with the number, the id or both) still finds it. Every archived record names its
/// conversation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_b1_edits_deletes_and_reactions_find_a_message_whose_sender_number_became_known() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("signal-cli.sock");
    let (say, seen) = peer(socket.clone());
    let a = start_archived(dir.path(), vec![signal(&socket, &["g1="])]);
    let (h, key, adir) = (a.handle.clone(), a.key, a.dir.clone());
    let task = tokio::spawn(a.engine.run());
    subscribed(&seen).await;
    const T1: i64 = 1_767_225_600_000;
    let group = r#""groupInfo":{"groupId":"g1=","groupName":"Baustelle","type":"DELIVER"}"#;
    // Her number is hidden (Signal's phone-number privacy): only the account id.
    say.send(Say::Line(envelope(&format!(
        r#""sourceUuid":"u9","sourceName":"Carla","sourceDevice":1,"timestamp":{T1},"dataMessage":{{"timestamp":{T1},"message":"Material fehlt",{group}}}"#
    ))))
    .unwrap();
    wait_until("her message", || messages(&h).len() == 1).await;
    // Later the number is shared: an edit with both, a reaction by someone else naming
    // her by number only, then her remote delete with both.
    say.send(Say::Line(envelope(&format!(
        r#""sourceNumber":"+4915199999999","sourceUuid":"u9","sourceName":"Carla","sourceDevice":1,"timestamp":{},"editMessage":{{"targetSentTimestamp":{T1},"dataMessage":{{"timestamp":{},"message":"Material fehlt noch",{group}}}}}"#,
        T1 + 10, T1 + 10
    ))))
    .unwrap();
    say.send(Say::Line(envelope(&format!(
        r#""sourceNumber":"{CUSTOMER}","sourceUuid":"u1","sourceName":"Anna Kundin","sourceDevice":1,"timestamp":{},"dataMessage":{{"timestamp":{},"reaction":{{"emoji":"👍","targetAuthorNumber":"+4915199999999","targetSentTimestamp":{T1},"isRemove":false}},{group}}}"#,
        T1 + 20, T1 + 20
    ))))
    .unwrap();
    say.send(Say::Line(envelope(&format!(
        r#""sourceNumber":"+4915199999999","sourceUuid":"u9","sourceName":"Carla","sourceDevice":1,"timestamp":{},"dataMessage":{{"timestamp":{},"remoteDelete":{{"timestamp":{T1}}},{group}}}"#,
        T1 + 30, T1 + 30
    ))))
    .unwrap();
    wait_until("the deletion on her message", || {
        messages(&h).iter().any(|m| m.deleted_at.is_some())
    })
    .await;
    let m = messages(&h).remove(0);
    assert_eq!(m.body, "Material fehlt", "the original stays readable");
    assert_eq!(
        m.edit.as_ref().map(|e| e.body.as_str()),
        Some("Material fehlt noch")
    );
    assert_eq!(m.reactions.len(), 1, "{:?}", m.reactions);
    assert_eq!(messages(&h).len(), 1, "nothing stored twice");
    h.shutdown().await;
    task.await.unwrap().unwrap();
    for p in archived(&adir, &key) {
        use tresen::archive::Payload;
        let conversation = match &p {
            Payload::Edit { conversation, .. }
            | Payload::Delete { conversation, .. }
            | Payload::Reaction { conversation, .. } => conversation,
            _ => continue,
        };
        assert_eq!(conversation, &group_key("g1="), "{p:?}");
    }
}

/// Issue 14, item 2: a store and archive from before, keyed by the number, keep
/// working: the conversation, its messages and the consent move to the account id
/// (one conversation, not two), and a store rebuilt from the archive says the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_keyed_by_number_moves_to_the_account_id_also_when_rebuilt_from_the_archive() {
    use tresen::connector::ConnectorEvent;
    use tresen::connector::{FakeConnector, ScriptStep};
    use tresen::domain::*;
    let dir = tempfile::tempdir().unwrap();
    const T0: i64 = 1_767_225_000_000;
    // What the earlier tresen stored: the conversation and a message keyed by number.
    let old = FakeConnector::new(AccountId("signal-buero".into())).with_script(vec![
        ScriptStep::Emit(ConnectorEvent::Conversation(ConversationUpsert {
            account: AccountId("signal-buero".into()),
            remote_id: CUSTOMER.into(),
            kind: ConversationKind::Direct,
            channel: Channel::Signal,
            title: "Anna Kundin".into(),
            contact: Some(Contact::new(CUSTOMER, "Anna Kundin")),
            security: Security::Encrypted,
        })),
        ScriptStep::Emit(ConnectorEvent::Message(IncomingMessage {
            account: AccountId("signal-buero".into()),
            conversation_remote_id: CUSTOMER.into(),
            remote_id: format!("{CUSTOMER}/{T0}"),
            kind: MessageKind::Chat,
            direction: Direction::Inbound,
            sender: "Anna Kundin".into(),
            body: "Termin am Montag?".into(),
            attachments: vec![],
            sent_at: Timestamp(T0),
            received_at: Timestamp(T0),
            raw: None,
            history: true,
        })),
    ]);
    let a = start_archived(dir.path(), vec![Box::new(old)]);
    let h = a.handle.clone();
    let task = tokio::spawn(a.engine.run());
    wait_until("the old message", || messages(&h).len() == 1).await;
    h.shutdown().await;
    task.await.unwrap().unwrap();

    // Now with account ids: she edits that message.
    let socket = dir.path().join("signal-cli.sock");
    let (say, seen) = peer(socket.clone());
    let a = start_archived(dir.path(), vec![signal(&socket, &[])]);
    let (h, key, adir) = (a.handle.clone(), a.key, a.dir.clone());
    let task = tokio::spawn(a.engine.run());
    subscribed(&seen).await;
    say.send(Say::Line(envelope(&format!(
        r#""sourceNumber":"{CUSTOMER}","sourceUuid":"u1","sourceName":"Anna Kundin","sourceDevice":1,"timestamp":{},"editMessage":{{"targetSentTimestamp":{T0},"dataMessage":{{"timestamp":{},"message":"Termin am Dienstag?"}}}}"#,
        T0 + 5, T0 + 5
    ))))
    .unwrap();
    wait_until("the edit on the old message", || {
        messages(&h).iter().any(|m| m.edit.is_some())
    })
    .await;
    let check = |s: &dyn tresen::store::StoreRead| {
        let convs = s.conversations().unwrap();
        assert_eq!(convs.len(), 1, "{convs:?}");
        assert_eq!(convs[0].remote_id, "u1");
        let ct = convs[0].contact.clone().unwrap();
        assert_eq!(
            (ct.identity.as_str(), ct.phone.as_deref()),
            ("u1", Some(CUSTOMER))
        );
        assert_eq!(convs[0].title, "Anna Kundin");
        let ms = s.messages(convs[0].id, None, 10).unwrap();
        assert_eq!(ms.len(), 1);
        assert_eq!(
            ms[0].remote_id.as_deref(),
            Some(format!("u1/{T0}").as_str())
        );
        assert_eq!(ms[0].edit.as_ref().unwrap().body, "Termin am Dienstag?");
    };
    h.store().read(check);
    h.shutdown().await;
    task.await.unwrap().unwrap();

    // The archive replayed into an empty store (what `tresen store rebuild` does).
    check(&rebuilt(&adir, &key, None));
}

/// Issue 14, item 3: the office answers on the business phone itself; the customer's
/// conversation keeps her name in the inbox and in the archive, also when tresen was
/// restarted in between and does not know her name from this run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_from_the_business_phone_keeps_the_customers_name() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("signal-cli.sock");
    let (say, seen) = peer(socket.clone());
    let a = start_archived(dir.path(), vec![signal(&socket, &[])]);
    let h = a.handle.clone();
    let task = tokio::spawn(a.engine.run());
    subscribed(&seen).await;
    say.send(Say::Line(dm(1_767_225_600_000, "Wann kommen Sie?", false)))
        .unwrap();
    wait_until("her message", || messages(&h).len() == 1).await;
    h.shutdown().await;
    task.await.unwrap().unwrap();

    seen.lock().unwrap().requests.clear();
    let a = start_archived(dir.path(), vec![signal(&socket, &[])]);
    let (h, key, adir) = (a.handle.clone(), a.key, a.dir.clone());
    let task = tokio::spawn(a.engine.run());
    subscribed(&seen).await;
    for (number, uuid, ts) in [
        (CUSTOMER, "u1", 1767225700000i64),
        ("+4917099999999", "u5", 1767225800000),
    ] {
        say.send(Say::Line(envelope(&format!(
            r#""sourceNumber":"{OWN}","sourceUuid":"u0","sourceDevice":2,"timestamp":{ts},"syncMessage":{{"sentMessage":{{"destinationNumber":"{number}","destinationUuid":"{uuid}","timestamp":{ts},"message":"Morgen um 9."}}}}"#
        ))))
        .unwrap();
    }
    wait_until("the answers from the phone", || messages(&h).len() == 3).await;
    let convs = h.store().read(|s| s.conversations().unwrap());
    let anna = convs.iter().find(|c| c.remote_id == "u1").unwrap();
    assert_eq!(anna.title, "Anna Kundin");
    assert_eq!(anna.contact.as_ref().unwrap().display_name, "Anna Kundin");
    // A chat the office started from the phone, with a number nobody named yet: its
    // number, never the account id.
    let new = convs.iter().find(|c| c.remote_id == "u5").unwrap();
    assert_eq!(new.title, "+4917099999999");
    let ours = messages(&h)
        .into_iter()
        .find(|m| m.body == "Morgen um 9.")
        .unwrap();
    assert_eq!(ours.direction, Direction::Outbound);
    h.shutdown().await;
    task.await.unwrap().unwrap();
    let titles: Vec<(String, String)> = archived(&adir, &key)
        .into_iter()
        .filter_map(|p| match p {
            tresen::archive::Payload::Conversation(c) => Some((c.remote_id, c.title)),
            _ => None,
        })
        .collect();
    assert!(
        titles.iter().all(|(r, t)| match r.as_str() {
            "u1" => t == "Anna Kundin",
            _ => t == "+4917099999999",
        }),
        "{titles:?}"
    );
}

/// Issue 14, item 1 (Signal): what an earlier run left unsent. Signal cannot tell a
/// repeat from a new message, so a staff message that may have left is not sent again
/// unasked ("unclear"); the automatic notice is (a second one is better than none); a
/// message that never reached signal-cli goes out if it is under an hour old, else it
/// is marked too old.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_left_by_a_crash_are_resent_marked_unclear_or_too_old() {
    use tresen::domain::*;
    use tresen::store::{Op, SendMeta, Store as _};
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::now();
    {
        let mut s = SqliteStore::open(&dir.path().join("s.db"), Some(&[6; 32])).unwrap();
        let conv = s
            .apply(&[Op::UpsertConversation(ConversationUpsert {
                account: AccountId("signal-buero".into()),
                remote_id: "u1".into(),
                kind: ConversationKind::Direct,
                channel: Channel::Signal,
                title: "Anna Kundin".into(),
                contact: Some(Contact::new("u1", "Anna Kundin")),
                security: Security::Encrypted,
            })])
            .unwrap()
            .conversations
            .into_iter()
            .next()
            .unwrap();
        let queue =
            |s: &mut SqliteStore, sender: &str, body: &str, age_ms: i64, attempted: bool| {
                let id = s
                    .apply(&[Op::QueueOutgoing {
                        conversation: conv,
                        sender: sender.into(),
                        body: body.into(),
                        attachments: vec![],
                        at: Timestamp(now.0 - age_ms),
                        automatic: sender == tresen::engine::AUTOMATIC,
                        meta: SendMeta::default(),
                    }])
                    .unwrap()
                    .queued[0];
                if attempted {
                    s.apply(&[Op::SendAttempt { message: id }]).unwrap();
                }
            };
        queue(
            &mut s,
            tresen::engine::AUTOMATIC,
            "Hinweis (versucht)",
            3_600_000 * 5,
            true,
        );
        queue(&mut s, "Anna", "Angebot (versucht)", 60_000, true);
        queue(&mut s, "Anna", "Termin (nicht versucht)", 600_000, false);
        queue(&mut s, "Anna", "Alte Antwort", 2 * 3_600_000, false);
    }
    let socket = dir.path().join("signal-cli.sock");
    let (_say, seen) = peer(socket.clone());
    let (engine, h) = start_engine(&dir.path().join("s.db"), Endpoint::Socket(socket));
    let task = tokio::spawn(engine.run());
    let by_body = |b: &str| messages(&h).into_iter().find(|m| m.body == b).unwrap();
    wait_until("the resent ones to go out", || {
        by_body("Hinweis (versucht)").delivery.is_sent()
            && by_body("Termin (nicht versucht)").delivery.is_sent()
    })
    .await;
    let unclear = by_body("Angebot (versucht)");
    assert_eq!(unclear.delivery, Delivery::Unclear);
    assert_eq!(unclear.failure.as_deref(), Some(FAILURE_UNCLEAR));
    let old = by_body("Alte Antwort");
    assert_eq!(old.delivery, Delivery::Failed);
    assert_eq!(old.failure.as_deref(), Some(FAILURE_TOO_OLD));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent: Vec<String> = sends(&seen)
        .iter()
        .map(|r| {
            r["params"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(
        sent,
        vec!["Hinweis (versucht)", "Termin (nicht versucht)"],
        "each once, nothing else"
    );
    h.shutdown().await;
    task.await.unwrap().unwrap();
}

// Issue 16: `tresen account link signal` beside the running daemon goes through it: the
// daemon's connector asks signal-cli for the code, the command shows it, passes the
// device name on and waits for the phone; signal-cli is reached once, by the daemon.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linking_goes_through_the_running_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("signal-cli.sock");
    let (say, seen) = peer(socket.clone());
    seen.lock().unwrap().unlinked = true;
    let p = support::Profile::new(&format!(
        "[signal]\nendpoint = \"{}\"\n\n[[accounts]]\nid = \"signal-buero\"\nnetwork = \"signal\"\npurpose = \"business\"\nnumber = \"{OWN}\"\n",
        socket.display()
    ));
    let d = Daemon::start(&p).await;
    let mut child = p
        .cmd()
        .args(["account", "link", "signal", "--device-name", "Büro-PC"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let printed = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.stdout.take().unwrap();
    let sink = printed.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = std::io::Read::read(&mut stdout, &mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    // The code is shown before the phone can scan it.
    for _ in 0..1000 {
        if printed
            .lock()
            .unwrap()
            .contains("sgnl://linkdevice?uuid=Yz3k")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        printed
            .lock()
            .unwrap()
            .contains("sgnl://linkdevice?uuid=Yz3k"),
        "no code shown: {}",
        printed.lock().unwrap()
    );
    let finish = seen
        .lock()
        .unwrap()
        .finish_link
        .clone()
        .expect("finishLink was not asked");
    let asked = seen
        .lock()
        .unwrap()
        .requests
        .iter()
        .find(|r| r["method"] == "finishLink")
        .cloned()
        .unwrap();
    assert_eq!(asked["params"]["deviceName"], "Büro-PC");
    // The phone scans.
    seen.lock().unwrap().unlinked = false;
    say.send(Say::Line(
        json!({"jsonrpc":"2.0","result":{"number":OWN},"id":finish}).to_string(),
    ))
    .unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    reader.join().unwrap();
    let text = printed.lock().unwrap().clone();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(&format!("of {OWN}")), "{text}");
    assert_eq!(
        seen.lock().unwrap().connections,
        1,
        "only the daemon's connection"
    );
    d.stop().await;
}
