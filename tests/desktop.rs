//! Issue 17, desktop notifications: a customer's message reaches the desktop over the
//! seat's own D-Bus session bus — a real dbus-daemon with a notification service that
//! records the calls — or, over SSH, as the terminal's own notification sequence; none
//! while the terminal is in front, none (and no bell) in quiet hours.

mod support;

use support::notifications::Desktop;
use support::tmux::Tmux;
use support::*;
use tresen::app::{App, AppConfig, Effect, Loaded, Msg};
use tresen::config::Config;
use tresen::domain::{Channel, Conversation, ConversationId, ConversationKind, TriageState};

fn conversation(id: i64, title: &str, unread: u32, preview: &str) -> Conversation {
    Conversation {
        id: ConversationId(id),
        account: account(),
        remote_id: format!("r{id}"),
        kind: ConversationKind::Direct,
        channel: Channel::Whatsapp,
        title: title.into(),
        contact: None,
        state: TriageState::Open,
        unread,
        marked_unread: false,
        last_activity: T0,
        last_preview: preview.into(),
        labels: vec![],
        draft: None,
        assigned: None,
        security: Default::default(),
        urgent: false,
        waiting_since: None,
    }
}

#[test]
fn the_notifier_reaches_a_real_notification_service() {
    let desk = Desktop::start();
    let n = tresen::tui::desktop::Notifier::on_bus(&desk.address);
    assert!(n.has_bus(), "GetServerInformation was answered");
    n.notify(
        "Familie Aydın · WhatsApp",
        "‼ Notfall! Wasser läuft aus dem Kessel",
    );
    let call = desk.wait_for("from tresen", |c| c.app_name == "tresen");
    assert_eq!(call.summary, "Familie Aydın · WhatsApp");
    assert_eq!(call.body, "‼ Notfall! Wasser läuft aus dem Kessel");
    assert_eq!(call.category.as_deref(), Some("im.received"));
    // Nobody owns the name on a bus without a notification daemon: no D-Bus.
    drop(desk);
    let empty = Desktop::start_without_service();
    assert!(!tresen::tui::desktop::Notifier::on_bus(&empty.address).has_bus());
}

fn app(config: &str) -> App {
    let config = Config::parse(config, std::path::Path::new("config.toml")).unwrap();
    App::new(AppConfig::from_config(&config, false), T0)
}

fn notifications(effects: &[Effect]) -> Vec<(String, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notify { summary, body } => Some((summary.clone(), body.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_customer_writing_notifies_the_desktop_unless_the_terminal_is_in_front() {
    let mut app = app("");
    let first = app.update(Msg::Loaded(Loaded::Inbox(vec![conversation(
        1, "Frau Neu", 1, "Hallo",
    )])));
    // What was there at start is not news.
    assert!(notifications(&first).is_empty(), "{first:?}");
    // A new message, with an escape sequence in it: sanitised, at most 100 characters.
    let long = format!("Heizung\x1b]0;x\x07 kalt {}", "sehr ".repeat(40));
    let more = app.update(Msg::Loaded(Loaded::Inbox(vec![conversation(
        1, "Frau Neu", 2, &long,
    )])));
    let got = notifications(&more);
    assert_eq!(got.len(), 1, "{more:?}");
    assert_eq!(got[0].0, "Frau Neu · WhatsApp");
    assert!(got[0].1.starts_with("Heizung␛]0;x"), "{}", got[0].1);
    assert!(!got[0].1.contains('\x1b') && !got[0].1.contains('\x07'));
    assert_eq!(got[0].1.chars().count(), 100);
    // The terminal reports that it is in front: the bell, but no desktop notification.
    app.update(Msg::Focus(true));
    let seen = app.update(Msg::Loaded(Loaded::Inbox(vec![conversation(
        1, "Frau Neu", 3, "Noch da?",
    )])));
    assert!(notifications(&seen).is_empty(), "{seen:?}");
    assert!(seen.contains(&Effect::Bell));
    app.update(Msg::Focus(false));
    let away = app.update(Msg::Loaded(Loaded::Inbox(vec![conversation(
        1, "Frau Neu", 4, "Hallo?",
    )])));
    assert_eq!(notifications(&away).len(), 1);
    // Switched off.
    let mut off = self::app("[notifications]\ndesktop = \"off\"\n");
    off.update(Msg::Loaded(Loaded::Inbox(vec![conversation(
        1, "A", 0, "",
    )])));
    let e = off.update(Msg::Loaded(Loaded::Inbox(vec![conversation(
        1, "A", 1, "x",
    )])));
    assert!(notifications(&e).is_empty() && e.contains(&Effect::Bell));
}

#[test]
fn quiet_hours_silence_the_bell_and_the_desktop_not_the_title() {
    // A span that always contains now: from the next minute round to this one.
    let mut app = app("[notifications]\nquiet_hours = \"00:00-23:59\"\n");
    let now = T0.to_local();
    use chrono::Timelike;
    let minute = now.hour() * 60 + now.minute();
    if minute == 23 * 60 + 59 {
        // T0 is fixed; this only guards a change of it.
        panic!("T0 falls outside the quiet span of this test");
    }
    app.update(Msg::Loaded(Loaded::Inbox(vec![conversation(
        1, "A", 0, "",
    )])));
    let e = app.update(Msg::Loaded(Loaded::Inbox(vec![conversation(
        1, "A", 1, "x",
    )])));
    assert!(!e.contains(&Effect::Bell), "{e:?}");
    assert!(notifications(&e).is_empty(), "{e:?}");
    assert!(e.contains(&Effect::Title(1)), "{e:?}");
    // Outside them, both.
    let mut app = self::app("[notifications]\nquiet_hours = \"23:59-00:00\"\n");
    app.update(Msg::Loaded(Loaded::Inbox(vec![conversation(
        1, "A", 0, "",
    )])));
    let e = app.update(Msg::Loaded(Loaded::Inbox(vec![conversation(
        1, "A", 1, "x",
    )])));
    assert!(
        e.contains(&Effect::Bell) && notifications(&e).len() == 1,
        "{e:?}"
    );
}

/// The whole way: `tresen --demo` in a real terminal of a desktop session
/// (`dbus-run-session`, whose bus the recording notification service joins before
/// tresen starts); the demo's emergency arrives a few seconds after start and reaches
/// the notification service.
#[test]
fn the_demo_notifies_the_desktop_in_a_real_terminal() {
    let bin = env!("CARGO_BIN_EXE_tresen");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[ui]\nlanguage = \"de\"\n").unwrap();
    let (addr, ready) = (dir.path().join("addr"), dir.path().join("ready"));
    let t = Tmux::start(
        "desktop",
        &format!(
            "dbus-run-session -- sh -c 'echo \"$DBUS_SESSION_BUS_ADDRESS\" > {addr}; \
             until [ -e {ready} ]; do sleep 0.1; done; {bin} --demo --config {config}'; sleep 30",
            addr = addr.display(),
            ready = ready.display(),
            config = config.display(),
        ),
        &[],
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let address = loop {
        let a = std::fs::read_to_string(&addr).unwrap_or_default();
        if a.ends_with('\n') && a.trim().len() > 5 {
            break a.trim().to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "dbus-run-session did not start (is dbus-daemon installed?)"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let desk = Desktop::on_bus(&address);
    std::fs::write(&ready, "").unwrap();
    t.wait_for("DEMO – Beispieldaten");
    let call = desk.wait_for("for the emergency", |c| c.summary.contains("Aydın"));
    assert_eq!(call.app_name, "tresen");
    assert_eq!(call.summary, "Familie Aydın · WhatsApp");
    assert!(
        call.body.starts_with("‼ Notfall! Wasser läuft"),
        "{}",
        call.body
    );
    t.keys(&["q"]);
}

/// Over SSH the session bus is the server's, not the user's desktop: the terminal's
/// own sequence (OSC 777) carries the notification to the terminal on the desk.
#[test]
fn over_ssh_the_terminal_sequence_carries_it() {
    let bin = env!("CARGO_BIN_EXE_tresen");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[ui]\nlanguage = \"de\"\n").unwrap();
    let raw = dir.path().join("raw");
    let t = Tmux::start(
        "ssh-notify",
        &format!(
            "sleep 1; {bin} --demo --config {}; sleep 30",
            config.display()
        ),
        &[
            ("SSH_CONNECTION", "192.0.2.7 50022 192.0.2.1 22"),
            ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent"),
        ],
    );
    t.record_output(&raw);
    t.wait_for("DEMO – Beispieldaten");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let want = "\x1b]777;notify;Familie Aydın · WhatsApp;‼ Notfall! Wasser läuft";
    loop {
        let out = String::from_utf8_lossy(&std::fs::read(&raw).unwrap_or_default()).into_owned();
        if out.contains(want) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no OSC 777 notification in the terminal's output"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    t.keys(&["q"]);
}
