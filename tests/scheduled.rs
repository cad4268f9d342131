//! Issue 17, scheduled sends: kept and archived when written, sent when due through the
//! Signal connector and the scripted signal-cli peer — the consent gate decided then,
//! not when it was written; one that fell due while tresen was stopped goes out at the
//! next start marked late, one more than `max_late` overdue is not sent and staff are
//! told; withdrawn ones never go out; the store rebuilt from the archive agrees; the
//! conversation shows "geplant für …"; `send --at` refuses a past or unreadable time.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use support::engine::{archive_key, archived, rebuilt, wait_until};
use support::signal_peer::*;
use support::*;
use tresen::archive::Payload;
use tresen::domain::scheduled::ScheduledState;
use tresen::domain::{AUTOMATIC, ConversationId, MessageKind, Timestamp};
use tresen::engine::{Engine, EngineHandle, EngineOptions};
use tresen::store::{BlobStore, SqliteStore, StoreRead};

const HOUR: i64 = Timestamp::HOUR;

/// The engine on `dir` (store, attachment store, archive) with the demo firm's rules,
/// the business Signal account on the peer's socket, and the clock the test moves.
fn start(dir: &Path, socket: &Path, clock: &Arc<AtomicI64>) -> (Engine, EngineHandle) {
    let key = archive_key();
    let sqlite = SqliteStore::open(&dir.join("s.db"), Some(&[6; 32])).unwrap();
    let store = tresen::profile::shared(sqlite, Some(BlobStore::new(dir, &key))).unwrap();
    let (archive, _) = tresen::archive::Archive::open(&dir.join("archive"), &key).unwrap();
    let options = EngineOptions {
        schedule_check: Duration::from_millis(100),
        ..EngineOptions::default()
    };
    let (engine, handle) = Engine::start(store, vec![signal(socket, &[])], options);
    let c = clock.clone();
    let engine = engine
        .with_compliance(tresen::demo::compliance())
        .with_away(None, Arc::new(move || Timestamp(c.load(Ordering::SeqCst))))
        .with_archive(archive, None, "test".into())
        .unwrap();
    (engine, handle)
}

fn texts(seen: &Arc<std::sync::Mutex<Seen>>) -> Vec<String> {
    sends(seen).iter().map(delivered_text).collect()
}

fn the_conversation(h: &EngineHandle) -> ConversationId {
    h.store().read(|s| s.conversations()).unwrap()[0].id
}

fn scheduled(h: &EngineHandle, id: &str) -> ScheduledState {
    h.store()
        .read(|s| s.scheduled_one(id))
        .unwrap()
        .unwrap()
        .state
}

fn notes(h: &EngineHandle, conv: ConversationId) -> Vec<String> {
    h.store()
        .read(|s| s.messages(conv, None, 100))
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == MessageKind::Note && m.sender == AUTOMATIC)
        .map(|m| m.body)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_message_goes_out_at_its_time_under_the_rules_of_then() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("signal-cli.sock");
    let (say, seen) = peer(socket.clone());
    let t0 = Timestamp::now().0;
    let clock = Arc::new(AtomicI64::new(t0));
    let (engine, h) = start(dir.path(), &socket, &clock);
    let task = tokio::spawn(engine.run());
    subscribed(&seen).await;
    say.send(Say::Line(dm(t0, "Wann kommt der Monteur?", false)))
        .unwrap();
    wait_until("the notice", || texts(&seen).len() == 1).await;
    let conv = the_conversation(&h);

    // Written now for in an hour: kept, nothing sent; a past time is refused.
    let due = Timestamp(t0 + HOUR);
    let id = h
        .schedule(
            conv,
            "Der Monteur kommt um 8 Uhr.".into(),
            "Anna".into(),
            due,
        )
        .await
        .unwrap();
    assert!(id.starts_with("s-"), "{id}");
    let past = h
        .schedule(conv, "zu spät".into(), "Anna".into(), Timestamp(t0 - 1))
        .await
        .unwrap_err();
    assert!(past.to_string().contains("already passed"), "{past}");
    let shown = h.store().read(|s| s.scheduled(Some(conv))).unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].due, due);
    // A second one, withdrawn: it never goes out.
    let withdrawn = h
        .schedule(conv, "Bitte ignorieren".into(), "Anna".into(), due)
        .await
        .unwrap();
    h.cancel_scheduled(withdrawn.clone(), "Anna".into())
        .await
        .unwrap();
    assert_eq!(scheduled(&h, &withdrawn), ScheduledState::Cancelled);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(texts(&seen).len(), 1, "not before its time");

    // Its time: sent through signal-cli, on time (not late), with the footer policy
    // and the consent gate of now.
    clock.store(due.0 + 1_000, Ordering::SeqCst);
    wait_until("the scheduled message", || texts(&seen).len() == 2).await;
    assert!(texts(&seen)[1].starts_with("Der Monteur kommt um 8 Uhr."));
    wait_until("it marked sent", || {
        matches!(scheduled(&h, &id), ScheduledState::Sent { late: false, .. })
    })
    .await;
    assert!(notes(&h, conv).is_empty(), "on time: no note");

    // Scheduled, then the customer withdraws her consent: refused when due, and staff
    // are told in the conversation, which is open and unread again.
    let later = Timestamp(due.0 + HOUR);
    let refused = h
        .schedule(conv, "Erinnerung: Wartung".into(), "Anna".into(), later)
        .await
        .unwrap();
    say.send(Say::Line(dm(due.0 + 5_000, "STOP", false)))
        .unwrap();
    wait_until("the withdrawal", || {
        h.store()
            .read(|s| s.messages(conv, None, 100))
            .unwrap()
            .iter()
            .any(|m| m.body == "STOP")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    clock.store(later.0 + 1_000, Ordering::SeqCst);
    wait_until("the refusal", || {
        matches!(scheduled(&h, &refused), ScheduledState::Refused { .. })
    })
    .await;
    assert_eq!(
        texts(&seen)
            .iter()
            .filter(|t| t.contains("Wartung"))
            .count(),
        0
    );
    let n = notes(&h, conv);
    assert!(
        n.iter()
            .any(|b| b.starts_with("Geplante Nachricht NICHT gesendet")),
        "{n:?}"
    );
    let c = h.store().read(|s| s.conversation(conv)).unwrap().unwrap();
    assert!(c.marked_unread);
    h.shutdown().await;
    task.await.unwrap().unwrap();

    // Archived: what was written, and what became of each.
    let records = archived(&dir.path().join("archive"), &archive_key());
    let written = records
        .iter()
        .filter(|p| matches!(p, Payload::Scheduled { .. }))
        .count();
    let ended: Vec<&str> = records
        .iter()
        .filter_map(|p| match p {
            Payload::ScheduleEnded { outcome, .. } => Some(outcome.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(written, 3);
    assert_eq!(ended, ["cancelled", "sent", "refused"]);
    // The store rebuilt from the archive knows the same.
    let fresh = rebuilt(&dir.path().join("archive"), &archive_key(), None);
    let one = fresh.scheduled_one(&id).unwrap().unwrap();
    assert!(matches!(
        one.state,
        ScheduledState::Sent { late: false, .. }
    ));
    assert_eq!(
        fresh.scheduled_one(&withdrawn).unwrap().unwrap().state,
        ScheduledState::Cancelled
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_while_stopped_it_goes_out_late_at_the_next_start_or_too_late_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("signal-cli.sock");
    let (say, seen) = peer(socket.clone());
    let t0 = Timestamp::now().0;
    let clock = Arc::new(AtomicI64::new(t0));
    let (engine, h) = start(dir.path(), &socket, &clock);
    let task = tokio::spawn(engine.run());
    subscribed(&seen).await;
    say.send(Say::Line(dm(t0, "Angebot bitte", false))).unwrap();
    wait_until("the notice", || texts(&seen).len() == 1).await;
    let conv = the_conversation(&h);
    let soon = h
        .schedule(
            conv,
            "Ihr Angebot kommt heute.".into(),
            "Anna".into(),
            Timestamp(t0 + HOUR),
        )
        .await
        .unwrap();
    let much_later = h
        .schedule(
            conv,
            "Frohe Weihnachten!".into(),
            "Anna".into(),
            Timestamp(t0 + 2 * HOUR),
        )
        .await
        .unwrap();
    h.shutdown().await;
    task.await.unwrap().unwrap();

    // The office PC was off: back three hours after the first was due — it goes out
    // now, marked late; the second was due two hours ago, within the 12 h: late too.
    clock.store(t0 + 4 * HOUR, Ordering::SeqCst);
    let (engine, h) = start(dir.path(), &socket, &clock);
    let task = tokio::spawn(engine.run());
    wait_until("the late messages", || texts(&seen).len() == 3).await;
    wait_until("both marked late", || {
        matches!(
            scheduled(&h, &soon),
            ScheduledState::Sent { late: true, .. }
        ) && matches!(
            scheduled(&h, &much_later),
            ScheduledState::Sent { late: true, .. }
        )
    })
    .await;
    let n = notes(&h, conv);
    assert_eq!(
        n.iter()
            .filter(|b| b.starts_with("Geplante Nachricht verspätet gesendet"))
            .count(),
        2,
        "{n:?}"
    );
    // One more, and the PC stays off for a day: more than 12 h late, not sent.
    let stale = h
        .schedule(
            conv,
            "Wir kommen in 10 Minuten.".into(),
            "Anna".into(),
            Timestamp(t0 + 5 * HOUR),
        )
        .await
        .unwrap();
    h.shutdown().await;
    task.await.unwrap().unwrap();
    clock.store(t0 + 30 * HOUR, Ordering::SeqCst);
    let (engine, h) = start(dir.path(), &socket, &clock);
    let task = tokio::spawn(engine.run());
    wait_until("the stale one flagged", || {
        scheduled(&h, &stale) == ScheduledState::Missed
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !texts(&seen).iter().any(|t| t.contains("10 Minuten")),
        "never sent"
    );
    let n = notes(&h, conv);
    assert!(
        n.iter().any(|b| b.contains("NICHT gesendet")
            && b.contains("mehr als 12 Stunden")
            && b.contains("Wir kommen in 10 Minuten.")),
        "{n:?}"
    );
    // Shown in the conversation as not sent, for staff to decide.
    let shown = h.store().read(|s| s.scheduled(Some(conv))).unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].state, ScheduledState::Missed);
    h.shutdown().await;
    task.await.unwrap().unwrap();
}

#[test]
fn the_conversation_shows_what_is_scheduled_and_x_withdraws_it() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use tresen::app::{App, AppConfig, Command, Effect, Loaded, Msg};
    let mut cfg = AppConfig::from_config(&tresen::config::Config::default(), false);
    cfg.lang = tresen::app::i18n::Lang::De;
    let mut app = App::new(cfg, T0);
    let mut store = SqliteStore::open_in_memory().unwrap();
    use tresen::store::Store;
    store
        .apply(&[
            conversation("1", "Frau Neu", tresen::domain::Channel::Signal),
            inbound("1", "m1", "Hallo", 0),
        ])
        .unwrap();
    let conv = store.find_conversation("1").unwrap().unwrap();
    app.update(Msg::Loaded(Loaded::Inbox(vec![conv.clone()])));
    app.update(Msg::Key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Enter,
    )));
    let messages = store.messages(conv.id, None, 50).unwrap();
    app.update(Msg::Loaded(Loaded::Conversation {
        id: conv.id,
        messages,
        older: false,
        limit: 200,
        focus: None,
    }));
    let due = Timestamp(T0.0 + 3 * HOUR);
    app.update(Msg::Loaded(Loaded::Scheduled(
        conv.id,
        vec![tresen::domain::scheduled::Scheduled {
            id: "s-1".into(),
            conversation: conv.id,
            sender: "Anna".into(),
            body: "Termin bestätigt".into(),
            due,
            created: T0,
            state: ScheduledState::Waiting,
        }],
    )));
    let mut t = Terminal::new(TestBackend::new(180, 20)).unwrap();
    t.draw(|f| tresen::ui::render(f, &app)).unwrap();
    let screen: String = {
        let buf = t.backend().buffer().clone();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(screen.contains("⏱ geplant für"), "{screen}");
    assert!(screen.contains("Anna: Termin bestätigt"), "{screen}");
    assert!(screen.contains("X: zurückziehen"), "{screen}");
    let e = app.update(Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('X'),
        crossterm::event::KeyModifiers::SHIFT,
    )));
    assert!(
        e.contains(&Effect::Command(Command::CancelScheduled {
            id: "s-1".into()
        })),
        "{e:?}"
    );
    // Writing a reply, Ctrl-T asks when; "morgen 8" schedules it and empties the
    // composer (what was written is what will go out).
    let mut effects = Vec::new();
    for step in tresen::tui::keys::parse_macro("rBis morgen!<c-t>morgen 8<enter>").unwrap() {
        if let tresen::tui::keys::MacroStep::Key(k) = step {
            effects.extend(app.update(Msg::Key(k)));
        }
    }
    let tomorrow_8 = tresen::app::when::parse("morgen 8", T0).unwrap();
    assert!(
        effects.contains(&Effect::Command(Command::Schedule {
            conversation: conv.id,
            body: "Bis morgen!".into(),
            due: tomorrow_8,
        })),
        "{effects:?}"
    );
    assert!(app.composer.is_empty());
    assert!(
        app.flash
            .as_deref()
            .unwrap_or("")
            .starts_with("Geplant für")
    );
}

#[test]
fn send_at_schedules_and_unschedule_withdraws_through_the_binary() {
    let p = Profile::with_demo_account();
    let out = p.run(&["sync", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = p.run(&[
        "send",
        "--at",
        "2030-01-01 08:00",
        "Erika Mustermann",
        "Frohes neues Jahr!",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains("Scheduled for 01.01.2030 08:00 (id s-"),
        "{said}"
    );
    assert!(said.contains("at the next start (marked late"), "{said}");
    let id = said
        .split("(id ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap()
        .to_string();
    let out = p.run(&["unschedule", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Withdrawn"), "{}", stdout(&out));
    let out = p.run(&["unschedule", &id]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cancelled already"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn send_at_refuses_a_past_or_unreadable_time() {
    let p = Profile::with_demo_account();
    let out = p.run(&["send", "--at", "gestern irgendwann", "1", "Hallo"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not understood"), "{}", stderr(&out));
    let out = p.run(&["send", "--at", "2020-01-01 08:00", "1", "Hallo"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("is in the past"), "{}", stderr(&out));
    let out = p.run(&[
        "send",
        "--at",
        "2030-01-01 08:00",
        "--attach",
        "/etc/hostname",
        "1",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // R-E1: a template with tags would go out untagged later — the Widerrufsbelehrung
    // an order waits for must be on record as such — so it is refused, nothing planned.
    assert!(p.run(&["sync", "--once"]).status.success());
    let out = p.run(&[
        "send",
        "--at",
        "2030-01-01 08:00",
        "--template",
        "Widerrufsbelehrung",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("send it without --at"),
        "{}",
        stderr(&out)
    );
}
