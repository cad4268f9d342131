//! Issue 17, urgent messages: a customer's message that matches `[[urgent]]` pins its
//! conversation at the top of the inbox, said in words, until the office replies (here
//! or from its phone) or sets it to done; the seat rings the bell for what a customer
//! writes and keeps the unread count in the window title; `z` snoozes to the next
//! working day.

mod support;

use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::engine::{Running, told};
use support::*;
use tresen::app::{App, AppConfig, Effect, Loaded, Msg};
use tresen::config::Config;
use tresen::connector::{ConnectorEvent, FakeConnector, ScriptStep};
use tresen::domain::urgent::{UrgentRule, UrgentRules};
use tresen::domain::{
    Conversation, Direction, IncomingMessage, LocalChange, MessageKind, Timestamp, TriageState,
};
use tresen::engine::{Engine, EngineCommand, EngineOptions, Notification};
use tresen::store::{SharedStore, SqliteStore};

fn says(
    remote: &str,
    id: &str,
    body: &str,
    direction: Direction,
    at: i64,
    history: bool,
) -> ConnectorEvent {
    ConnectorEvent::Message(IncomingMessage {
        account: account(),
        conversation_remote_id: remote.into(),
        remote_id: id.into(),
        kind: MessageKind::Chat,
        direction,
        sender: String::new(),
        body: body.into(),
        attachments: vec![],
        sent_at: Timestamp(T0.0 + at),
        received_at: Timestamp::now(),
        raw: None,
        history,
    })
}

fn rules() -> UrgentRules {
    UrgentRules::new(&[UrgentRule {
        words: vec!["Notfall".into(), "Wasser läuft".into(), "Rohrbruch".into()],
        patterns: vec![r"gas\s*geruch".into()],
    }])
    .unwrap()
}

fn urgent(store: &SharedStore, remote: &str) -> bool {
    store
        .lock()
        .find_conversation(remote)
        .unwrap()
        .unwrap()
        .urgent
}

async fn until(what: &str, mut ok: impl FnMut() -> bool) {
    tokio::time::timeout(Duration::from_secs(5), async {
        while !ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urgent_conversations_are_pinned_until_answered_or_done() {
    let in_ = Direction::Inbound;
    let fake = FakeConnector::new(account())
        .with_script(vec![
            ScriptStep::Emit(upsert_conv("routine")),
            ScriptStep::Emit(upsert_conv("emergency")),
            ScriptStep::Emit(upsert_conv("old")),
            ScriptStep::Emit(upsert_conv("phone")),
            ScriptStep::Emit(says(
                "routine",
                "r1",
                "Wann kommen Sie morgen?",
                in_,
                0,
                false,
            )),
            ScriptStep::Emit(says(
                "emergency",
                "e1",
                "NOTFALL! wasser  LÄUFT aus dem Kessel",
                in_,
                1,
                false,
            )),
            // A first sync's history is not news.
            ScriptStep::Emit(says(
                "old",
                "o1",
                "Notfall vom letzten Winter",
                in_,
                2,
                true,
            )),
            // Answered from the office's phone in the same batch: settled already.
            ScriptStep::Emit(says("phone", "p1", "Rohrbruch im Bad!", in_, 3, false)),
            ScriptStep::Emit(says(
                "phone",
                "p2",
                "Bin in 20 Minuten da.",
                Direction::Outbound,
                4,
                false,
            )),
        ])
        .with_replies(vec!["Es riecht jetzt nach Gasgeruch im Keller".into()])
        .with_receipt_delay(Duration::from_millis(10));
    let store = SharedStore::new(Box::new(SqliteStore::open_in_memory().unwrap()));
    let (engine, handle) = Engine::start(
        store.clone(),
        vec![Box::new(fake)],
        EngineOptions::default(),
    );
    let engine = engine.with_urgent(rules());
    let mut bus = handle.subscribe();
    let task = tokio::spawn(engine.run());
    told(&mut bus, Notification::CaughtUp).await;
    let running = Running {
        store,
        handle,
        bus,
        task,
    };
    let store = &running.store;
    assert!(urgent(store, "emergency"));
    assert!(!urgent(store, "routine"));
    assert!(!urgent(store, "old"), "history marks nothing");
    assert!(!urgent(store, "phone"), "answered from the phone");

    // The office replies: no longer pinned.
    let conv = store
        .lock()
        .find_conversation("emergency")
        .unwrap()
        .unwrap();
    running
        .handle
        .send(
            conv.id,
            "Wir kommen sofort, Haupthahn zudrehen!".into(),
            "Anna".into(),
        )
        .await
        .unwrap();
    until("the reply to settle it", || !urgent(store, "emergency")).await;
    // The customer writes something urgent again (the fake's reply): pinned again.
    until("the new emergency to pin it", || urgent(store, "emergency")).await;
    // Set to done: settled as a reply settles it.
    running
        .handle
        .command(EngineCommand::Local(LocalChange::SetState {
            conversation: conv.id,
            state: TriageState::Done,
        }))
        .await
        .unwrap();
    until("done to settle it", || !urgent(store, "emergency")).await;
    running.handle.shutdown().await;
    running.task.await.unwrap().unwrap();
}

fn upsert_conv(remote: &str) -> ConnectorEvent {
    ConnectorEvent::Conversation(tresen::domain::ConversationUpsert {
        account: account(),
        remote_id: remote.into(),
        kind: tresen::domain::ConversationKind::Direct,
        channel: tresen::domain::Channel::Signal,
        title: format!("Kunde {remote}"),
        contact: None,
        security: Default::default(),
    })
}

fn conversation(id: i64, title: &str, unread: u32, urgent: bool, age_min: i64) -> Conversation {
    Conversation {
        id: tresen::domain::ConversationId(id),
        account: account(),
        remote_id: format!("c{id}"),
        kind: tresen::domain::ConversationKind::Direct,
        channel: tresen::domain::Channel::Signal,
        title: title.into(),
        contact: None,
        state: TriageState::Open,
        labels: vec![],
        unread,
        marked_unread: false,
        last_activity: Timestamp(T0.0 - age_min * 60_000),
        last_preview: format!("Nachricht von {title}"),
        draft: None,
        security: Default::default(),
        assigned: None,
        urgent,
        waiting_since: None,
    }
}

fn screen(app: &mut App) -> Vec<String> {
    app.update(Msg::Resize {
        width: 100,
        height: 12,
    });
    let mut t = Terminal::new(TestBackend::new(100, 12)).unwrap();
    t.draw(|f| tresen::ui::render(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    (0..12)
        .map(|y| {
            let mut line = String::new();
            let mut x = 0;
            while x < 100 {
                let sym = buf[(x, y)].symbol();
                line.push_str(sym);
                x += unicode_width::UnicodeWidthStr::width(sym).max(1) as u16;
            }
            line
        })
        .collect()
}

#[test]
fn an_urgent_conversation_stays_on_top_and_says_so_in_words() {
    let mut cfg = AppConfig::from_config(&Config::default(), false);
    cfg.lang = tresen::app::i18n::Lang::De;
    let mut app = App::new(cfg, T0);
    // The emergency is the oldest: by activity it would be last.
    app.update(Msg::Loaded(Loaded::Inbox(vec![
        conversation(1, "Frau Neu", 1, false, 1),
        conversation(2, "Herr Alt", 0, false, 5),
        conversation(3, "Familie Notfall", 1, true, 30),
    ])));
    let rows = screen(&mut app);
    let list: Vec<&String> = rows
        .iter()
        .filter(|l| l.contains("Frau Neu") || l.contains("Herr Alt") || l.contains("Familie"))
        .collect();
    assert!(list[0].contains("Familie"), "{rows:#?}");
    // Not by colour alone: the word and a sign of its own.
    assert!(list[0].contains("DRINGEND"), "{rows:#?}");
    assert!(list[0].contains('‼'), "{rows:#?}");
    assert!(list[1].contains("Frau Neu") && !list[1].contains("DRINGEND"));
    // The legend in `?` explains the sign.
    let help = tresen::ui::help_lines(&app).join("\n");
    assert!(help.contains("‼ DRINGEND"), "{help}");
}

#[test]
fn a_customer_writing_rings_the_bell_and_the_title_counts_unread() {
    let mut app = App::new(AppConfig::from_config(&Config::default(), false), T0);
    // What is there at start is not news: the title, no bell.
    let first = app.update(Msg::Loaded(Loaded::Inbox(vec![
        conversation(1, "Frau Neu", 1, false, 1),
        conversation(2, "Herr Alt", 0, false, 5),
    ])));
    assert!(first.contains(&Effect::Title(1)), "{first:?}");
    assert!(!first.contains(&Effect::Bell), "{first:?}");
    // A second message from Frau Neu: the bell; the count of unread conversations stays.
    let more = app.update(Msg::Loaded(Loaded::Inbox(vec![
        conversation(1, "Frau Neu", 2, false, 0),
        conversation(2, "Herr Alt", 0, false, 5),
    ])));
    assert!(more.contains(&Effect::Bell), "{more:?}");
    assert!(
        !more.iter().any(|e| matches!(e, Effect::Title(_))),
        "{more:?}"
    );
    // Read elsewhere, nothing new: no bell, the title follows.
    let read = app.update(Msg::Loaded(Loaded::Inbox(vec![
        conversation(1, "Frau Neu", 0, false, 0),
        conversation(2, "Herr Alt", 0, false, 5),
    ])));
    assert_eq!(read, vec![Effect::Title(0)]);
    // Both switched off in the seat's config.
    let config = Config::parse(
        "[notifications]\nbell = false\ntitle = false\ndesktop = \"off\"\n",
        std::path::Path::new("config.toml"),
    )
    .unwrap();
    let mut quiet = App::new(AppConfig::from_config(&config, false), T0);
    quiet.update(Msg::Loaded(Loaded::Inbox(vec![conversation(
        1, "Frau Neu", 1, false, 1,
    )])));
    let more = quiet.update(Msg::Loaded(Loaded::Inbox(vec![conversation(
        1, "Frau Neu", 2, false, 0,
    )])));
    assert!(more.is_empty(), "{more:?}");
}

// Issue 17: `z` on a Friday or Saturday brings the conversation back on Monday 8:00,
// not on a Saturday or Sunday.
#[test]
fn snooze_comes_back_on_the_next_working_day_at_eight() {
    use chrono::{Datelike, TimeZone, Timelike, Weekday};
    let at = |y, m, d, h| {
        Timestamp(
            chrono::Local
                .with_ymd_and_hms(y, m, d, h, 0, 0)
                .earliest()
                .unwrap()
                .timestamp_millis(),
        )
    };
    let back = |t: Timestamp| {
        let l = chrono::Local
            .timestamp_millis_opt(tresen::app::when::next_working_morning(t, None).0)
            .unwrap();
        (l.weekday(), l.day(), l.hour(), l.minute())
    };
    // 2026-12-04 is a Friday.
    assert_eq!(back(at(2026, 12, 4, 15)), (Weekday::Mon, 7, 8, 0));
    assert_eq!(back(at(2026, 12, 5, 10)), (Weekday::Mon, 7, 8, 0));
    assert_eq!(back(at(2026, 12, 6, 23)), (Weekday::Mon, 7, 8, 0));
    assert_eq!(back(at(2026, 12, 9, 7)), (Weekday::Thu, 10, 8, 0));
}

/// A hook as an office might write one: it appends what it was told to the file named
/// by its argument, and hangs for a message saying "hang".
const HOOK: &str = r#"#!/bin/sh
case "$TRESEN_PREVIEW" in *hang*) sleep 30;; esac
printf '%s|%s|%s|%s|%s|%s|%s\n' "$TRESEN_EVENT" "$TRESEN_CONVERSATION" "$TRESEN_NETWORK" \
  "$TRESEN_CONTACT_NAME" "$TRESEN_CONTACT_ADDRESS" "$TRESEN_URGENT" "$TRESEN_PREVIEW" >> "$1"
"#;

// Issue 17: `[hooks]` run for each customer message that arrives (not history), with
// what they need in environment variables; the customer's text is never interpreted by
// a shell; `on_urgent` runs for an urgent one as well; a hook that hangs is killed after
// its timeout and the next run follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_are_told_each_new_message_and_a_hanging_one_is_killed() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let hook = dir.path().join("hook.sh");
    std::fs::write(&hook, HOOK).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (all, urgent_file) = (dir.path().join("all"), dir.path().join("urgent"));
    let in_ = Direction::Inbound;
    let mut huber = upsert_conv("huber");
    if let ConnectorEvent::Conversation(c) = &mut huber {
        c.contact = Some(tresen::domain::Contact {
            identity: "+491701234567".into(),
            display_name: "Frau Huber".into(),
            phone: None,
        });
    }
    let fake = FakeConnector::new(account()).with_script(vec![
        ScriptStep::Emit(huber),
        ScriptStep::Emit(says("huber", "h0", "Notfall aus dem Archiv", in_, 0, true)),
        ScriptStep::Emit(says("huber", "h1", "bitte hang nicht auf", in_, 1, false)),
        ScriptStep::Emit(says("huber", "h2", "Termin am\nMontag?", in_, 2, false)),
        ScriptStep::Emit(says(
            "huber",
            "h3",
            "Notfall! $(touch /tmp/x) `id` ; rm",
            in_,
            3,
            false,
        )),
    ]);
    let store = SharedStore::new(Box::new(SqliteStore::open_in_memory().unwrap()));
    let (engine, handle) = Engine::start(
        store.clone(),
        vec![Box::new(fake)],
        EngineOptions::default(),
    );
    let engine = engine
        .with_urgent(rules())
        .with_hooks(tresen::config::HooksConfig {
            on_message: format!("{} {}", hook.display(), all.display()),
            on_urgent: format!("{} {}", hook.display(), urgent_file.display()),
            timeout_secs: 1,
        });
    let task = tokio::spawn(engine.run());
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap_or_default();
    tokio::time::timeout(Duration::from_secs(15), async {
        while read(&all).lines().count() < 2 || read(&urgent_file).is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "hooks did not run: {:?} {:?}",
            read(&all),
            read(&urgent_file)
        )
    });
    let id = store
        .lock()
        .find_conversation("huber")
        .unwrap()
        .unwrap()
        .id
        .0;
    let lines: Vec<String> = read(&all).lines().map(str::to_string).collect();
    // The hanging run was killed; history was never handed over.
    assert_eq!(
        lines,
        [
            format!("message|{id}|signal|Frau Huber|+491701234567|0|Termin am Montag?"),
            format!(
                "message|{id}|signal|Frau Huber|+491701234567|1|Notfall! $(touch /tmp/x) `id` ; rm"
            ),
        ]
    );
    assert_eq!(
        read(&urgent_file).trim_end(),
        format!("urgent|{id}|signal|Frau Huber|+491701234567|1|Notfall! $(touch /tmp/x) `id` ; rm")
    );
    handle.shutdown().await;
    task.await.unwrap().unwrap();
}
