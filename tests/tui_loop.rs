//! The real event loop driven by a key macro, with the engine and the scripted
//! connector behind it (helix-style integration test).

mod support;

use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::*;
use tresen::app::i18n::Lang;
use tresen::app::{App, AppConfig, Focus};
use tresen::config::Config;
use tresen::connector::{ConnectorEvent, FakeConnector, ScriptStep};
use tresen::domain::{Channel, Delivery, Direction, MessageKind, Timestamp};
use tresen::engine::{Engine, EngineOptions};
use tresen::store::{SharedStore, SqliteStore};
use tresen::tui::keys::{macro_stream, parse_macro};
use tresen::tui::{RunOptions, run};

async fn drive(
    keys: &str,
    edited: &'static str,
) -> (App, SharedStore, tresen::connector::FakeHandle, String) {
    let downloads = tempfile::tempdir().unwrap();
    drive_with_downloads(keys, edited, downloads.path()).await
}

/// Files "opened" by the loop (instead of xdg-open).
static OPENED: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

fn record_open(path: &std::path::Path) -> Result<(), String> {
    OPENED.lock().unwrap().push(path.to_path_buf());
    Ok(())
}

const PLAN: &str = "Lageplan Heizraum: Kessel links, Speicher rechts";

async fn drive_with_downloads(
    keys: &str,
    edited: &'static str,
    downloads: &std::path::Path,
) -> (App, SharedStore, tresen::connector::FakeHandle, String) {
    drive_full(keys, edited, downloads, None).await
}

/// Ticks of the loop's clock while the store was held (see `hold`).
static TICKS_WHILE_HELD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static HELD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `hold`: the store is locked (as by a long write) for this long from the start, so
/// every load waits.
async fn drive_full(
    keys: &str,
    edited: &'static str,
    downloads: &std::path::Path,
    hold: Option<Duration>,
) -> (App, SharedStore, tresen::connector::FakeHandle, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = SqliteStore::open(&dir.path().join("s.db"), Some(&[9; 32])).unwrap();
    use tresen::store::Store;
    sqlite
        .apply(&[
            conversation("c1", "Max Mustermann", Channel::Whatsapp),
            inbound("c1", "m1", "Heizung kalt", 1_000),
            conversation("c2", "Erika Schäfer", Channel::Signal),
            inbound("c2", "m2", "Danke für den Termin", 500),
        ])
        .unwrap();
    let store = SharedStore::new(Box::new(sqlite)).with_blobs(tresen::store::BlobStore::new(
        dir.path(),
        &tresen::secrets::MasterKey::random(),
    ));
    let fake = FakeConnector::new(account())
        .with_script(vec![
            // With the store held, the first message comes after it is free again: the
            // engine waits for the store on its worker, which is not what is tested.
            ScriptStep::Sleep(hold.map_or(Duration::from_millis(50), |h| h * 2)),
            ScriptStep::Emit(ConnectorEvent::Message(tresen::domain::IncomingMessage {
                account: account(),
                conversation_remote_id: "c2".into(),
                remote_id: "live".into(),
                kind: MessageKind::Chat,
                direction: Direction::Inbound,
                sender: String::new(),
                body: "Noch eine Frage zur Rechnung".into(),
                attachments: vec![],
                sent_at: Timestamp::now(),
                received_at: Timestamp::now(),
                raw: None,
                history: false,
            })),
            ScriptStep::Emit(ConnectorEvent::Message(tresen::domain::IncomingMessage {
                account: account(),
                conversation_remote_id: "c1".into(),
                remote_id: "plan".into(),
                kind: MessageKind::Chat,
                direction: Direction::Inbound,
                sender: String::new(),
                body: String::new(),
                attachments: vec![tresen::domain::Attachment {
                    name: "lageplan.txt".into(),
                    mime: "text/plain".into(),
                    size: PLAN.len() as u64,
                    source: Some(format!("inline:{PLAN}")),
                    blob: None,
                }],
                sent_at: Timestamp(900),
                received_at: Timestamp::now(),
                raw: None,
                history: false,
            })),
        ])
        .with_history(
            (0..3)
                .map(|i| tresen::domain::IncomingMessage {
                    account: account(),
                    conversation_remote_id: "c1".into(),
                    remote_id: format!("old{i}"),
                    kind: MessageKind::Chat,
                    direction: Direction::Inbound,
                    sender: String::new(),
                    body: format!("Alte Nachricht {i} vom Server"),
                    attachments: vec![],
                    sent_at: Timestamp(10 + i),
                    received_at: Timestamp(10 + i),
                    raw: None,
                    history: false,
                })
                .collect(),
        )
        .with_replies(vec!["Super, danke!".into()])
        .with_receipt_delay(Duration::from_millis(10));
    let handle_fake = fake.handle();
    let (engine, handle) = Engine::start(
        store.clone(),
        vec![Box::new(fake)],
        EngineOptions::default(),
    );
    let task = tokio::spawn(engine.run());
    let holder = hold.map(|d| {
        let store = store.clone();
        HELD.store(true, std::sync::atomic::Ordering::SeqCst);
        let (locked, is_locked) = std::sync::mpsc::channel();
        let t = std::thread::spawn(move || {
            let _guard = store.lock();
            locked.send(()).unwrap();
            std::thread::sleep(d);
            HELD.store(false, std::sync::atomic::Ordering::SeqCst);
        });
        is_locked.recv().unwrap();
        t
    });
    let mut cfg = AppConfig::from_config(&Config::default(), false);
    cfg.lang = Lang::De;
    cfg.staff_name = "Anna".into();
    let mut app = App::new(cfg, Timestamp::now());
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
    let opts = RunOptions {
        tick: Duration::from_millis(50),
        editor: Box::new(move |_initial: &str| Ok(edited.to_string())),
        clock: Box::new(|| {
            if HELD.load(std::sync::atomic::Ordering::SeqCst) {
                TICKS_WHILE_HELD.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            Timestamp::now()
        }),
        downloads: downloads.to_path_buf(),
        opener: record_open,
        notifier: tresen::tui::desktop::Notifier::off(),
        hyperlinks: false,
        picker: tresen::preview::picker(tresen::preview::PhotoMode::Halfblocks),
    };
    run(
        &mut terminal,
        &mut app,
        &handle,
        macro_stream(parse_macro(keys).unwrap()),
        opts,
    )
    .await
    .unwrap();
    let screen: String = {
        let buf = terminal.backend().buffer();
        let mut s = String::new();
        for y in 0..30 {
            for x in 0..120 {
                s.push_str(buf[(x, y)].symbol());
            }
            s.push('\n');
        }
        s
    };
    if let Some(t) = holder {
        t.join().unwrap();
    }
    handle.shutdown().await;
    task.await.unwrap().unwrap();
    drop(dir);
    (app, store, handle_fake, screen)
}

#[tokio::test]
async fn reply_through_the_real_loop_reaches_the_connector_and_shows_the_answer() {
    let (app, store, fake, screen) =
        drive("<wait:100><enter>rWir kommen morgen<enter><wait:1000>", "").await;
    assert_eq!(fake.sent().len(), 1);
    assert_eq!(fake.sent()[0].body, "Wir kommen morgen");
    let s = store.lock();
    let conv = s.find_conversation("c1").unwrap().unwrap();
    let msgs = s.messages(conv.id, None, 10).unwrap();
    let ours = msgs
        .iter()
        .find(|m| m.body == "Wir kommen morgen")
        .unwrap_or_else(|| panic!("{msgs:#?}\n{screen}"));
    assert_eq!(ours.delivery, Delivery::Read);
    assert_eq!(ours.sender, "Anna");
    assert!(msgs.iter().any(|m| m.body == "Super, danke!"));
    // The live message moved Erika to the top, but the cursor stays on the customer it
    // was on: a reordering list must never make Enter open someone else.
    assert_eq!(app.open.as_ref().unwrap().id, conv.id);
    assert!(screen.contains("Super, danke!"), "{screen}");
    // (Its preview is cut to the list's width: German ages take 6 columns.)
    assert!(screen.contains("Noch eine Fr"), "{screen}");
}

#[tokio::test]
async fn triage_and_note_persist_in_the_store() {
    let (_app, store, fake, _screen) =
        drive("<wait:100>jmRückruf vereinbart<enter>d<wait:500>", "").await;
    let s = store.lock();
    let c = s.find_conversation("c1").unwrap().unwrap();
    assert_eq!(c.state, tresen::domain::TriageState::Done);
    let note = s.messages(c.id, None, 1).unwrap().remove(0);
    assert_eq!(note.kind, MessageKind::Note);
    assert_eq!(note.body, "Rückruf vereinbart");
    assert!(fake.sent().is_empty(), "notes are never sent");
}

#[tokio::test]
async fn editor_text_becomes_the_reply() {
    let (app, _store, fake, _) = drive(
        "<wait:100><enter>r<c-e><enter><wait:500>",
        "Aus dem Editor\nzweite Zeile\n",
    )
    .await;
    assert_eq!(fake.sent()[0].body, "Aus dem Editor\nzweite Zeile");
    assert_eq!(app.focus, Focus::Conversation);
}

#[tokio::test]
async fn search_from_the_loop_opens_the_hit() {
    let (app, store, _fake, screen) = drive("<wait:100>/heizung<enter><enter><wait:300>", "").await;
    let c1 = store.lock().find_conversation("c1").unwrap().unwrap();
    assert_eq!(app.open.as_ref().unwrap().id, c1.id);
    assert_eq!(app.search.hits.len(), 1);
    assert!(screen.contains("Heizung kalt"), "{screen}");
}

#[tokio::test]
async fn an_attachment_is_downloaded_on_demand_and_saved_or_opened() {
    let downloads = tempfile::tempdir().unwrap();
    // Open Max's chat, list attachments, save; then list again and open.
    let (app, store, _fake, screen) = drive_with_downloads(
        "<wait:200><enter>as<wait:500>a<enter><wait:500>",
        "",
        downloads.path(),
    )
    .await;
    let saved = downloads.path().join("lageplan.txt");
    assert_eq!(
        std::fs::read_to_string(&saved).unwrap_or_else(|e| panic!("{e}\n{screen}")),
        PLAN
    );
    let opened: Vec<_> = OPENED
        .lock()
        .unwrap()
        .iter()
        .filter(|p| p.ends_with("lageplan.txt"))
        .cloned()
        .collect();
    assert!(!opened.is_empty(), "the viewer was not started\n{screen}");
    assert_eq!(std::fs::read_to_string(&opened[0]).unwrap(), PLAN);
    assert!(
        app.flash.as_deref().unwrap_or("").contains("Geöffnet"),
        "{:?}",
        app.flash
    );
    // The download is kept: the message now points at the attachment store.
    let s = store.lock();
    let c1 = s.find_conversation("c1").unwrap().unwrap();
    let m = s
        .messages(c1.id, None, 10)
        .unwrap()
        .into_iter()
        .find(|m| !m.attachments.is_empty())
        .unwrap();
    assert!(m.attachments[0].blob.is_some());
}

#[tokio::test]
async fn a_file_attached_in_the_composer_is_sent_with_the_reply() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("angebot.pdf");
    std::fs::write(&file, b"%PDF-1.4 Angebot 117").unwrap();
    let keys = format!(
        "<wait:100><enter>r<c-o>{}<enter>Anbei das Angebot<enter><wait:500>",
        file.display()
    );
    let (_app, _store, fake, screen) = drive(&keys, "").await;
    let sent = fake.sent();
    assert_eq!(sent.len(), 1, "{screen}");
    assert_eq!(sent[0].body, "Anbei das Angebot");
    assert_eq!(sent[0].files.len(), 1);
    assert_eq!(sent[0].files[0].attachment.name, "angebot.pdf");
    assert_eq!(sent[0].files[0].attachment.mime, "application/pdf");
    assert_eq!(sent[0].files[0].bytes.as_slice(), b"%PDF-1.4 Angebot 117");
}

#[tokio::test]
async fn a_missing_file_sends_nothing_and_keeps_the_text() {
    let keys = "<wait:100><enter>r<c-o>/nonexistent/angebot.pdf<enter>Anbei<enter><wait:300>";
    let (app, _store, fake, _screen) = drive(keys, "").await;
    assert!(fake.sent().is_empty());
    assert_eq!(app.composer.text(), "Anbei");
    assert_eq!(
        app.pending_files,
        vec!["/nonexistent/angebot.pdf".to_string()]
    );
    assert!(app.flash.as_deref().unwrap_or("").contains("nonexistent"));
}

#[tokio::test]
async fn scrolling_past_the_stored_history_loads_older_messages_from_the_network() {
    let (app, store, _fake, screen) = drive(
        "<wait:300><enter>kkk<wait:400>kkk<wait:400>kkkkk<wait:300>",
        "",
    )
    .await;
    let open = app.open.as_ref().unwrap();
    let bodies: Vec<&str> = open.messages.iter().map(|m| m.body.as_str()).collect();
    assert!(
        bodies.starts_with(&["Alte Nachricht 0 vom Server", "Alte Nachricht 1 vom Server"]),
        "{bodies:?}\n{screen}"
    );
    assert_eq!(
        open.backfill,
        tresen::app::Backfill::Done,
        "the second request found nothing older"
    );
    let s = store.lock();
    let c1 = s.find_conversation("c1").unwrap().unwrap();
    assert_eq!(
        s.messages(c1.id, None, 100).unwrap().len(),
        bodies.len(),
        "stored once each"
    );
}

/// Issue 15: loads are jobs. While the store is busy (here: locked by another writer
/// for 800 ms) the loop keeps ticking and drawing; a key typed meanwhile waits for the
/// inbox it acts on, so `<enter>` opens the first conversation instead of nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_store_blocks_no_frame_and_typed_keys_wait_for_the_inbox() {
    let downloads = tempfile::tempdir().unwrap();
    let (app, _store, _fake, screen) = drive_full(
        "<enter>",
        "",
        downloads.path(),
        Some(Duration::from_millis(800)),
    )
    .await;
    let ticks = TICKS_WHILE_HELD.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        ticks >= 2,
        "the loop stood still while a load waited ({ticks} ticks)"
    );
    let open = app
        .open
        .as_ref()
        .expect("the typed key opened a conversation");
    let first = app.conversations.iter().find(|c| c.id == open.id).unwrap();
    assert!(
        ["Max Mustermann", "Erika Schäfer"].contains(&first.title.as_str()),
        "{screen}"
    );
    assert!(
        screen.contains("Heizung kalt") || screen.contains("Danke für den Termin"),
        "its messages are shown: {screen}"
    );
}
