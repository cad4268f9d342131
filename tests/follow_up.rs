//! Issue 17, follow-ups and snoozing: `w` asks for a follow-up date (default: two
//! working days), and a conversation whose customer has not answered by then is open
//! again, marked ↻; `z` asks when (heute 14:00, morgen 8:00, nächster Werktag 8:00, or a
//! typed date). The store keeps the date; a reply or the customer's answer ends it.
//! The queue (`W`): who has waited longest for an answer first, as an age per
//! conversation (never per member of staff).

mod support;

use chrono::TimeZone;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::*;
use tresen::app::when::{WhenError, parse};
use tresen::app::{App, AppConfig, Effect, Loaded, Msg, Overlay};
use tresen::config::Config;
use tresen::domain::{Channel, Conversation, ConversationId, LocalChange, Timestamp, TriageState};
use tresen::store::{Op, SqliteStore, Store, StoreRead};

/// A local wall-clock time (the app's snooze and follow-up times are the staff's).
fn local(s: &str) -> Timestamp {
    let t = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    Timestamp(
        chrono::Local
            .from_local_datetime(&t)
            .earliest()
            .unwrap()
            .timestamp_millis(),
    )
}

fn conv(id: i64, title: &str, state: TriageState) -> Conversation {
    Conversation {
        id: ConversationId(id),
        account: account(),
        remote_id: format!("r{id}"),
        kind: tresen::domain::ConversationKind::Direct,
        channel: Channel::Signal,
        title: title.into(),
        contact: None,
        state,
        labels: vec![],
        unread: 0,
        marked_unread: false,
        last_activity: T0,
        last_preview: "Danke, ich melde mich".into(),
        draft: None,
        security: Default::default(),
        assigned: None,
        urgent: false,
        waiting_since: None,
    }
}

fn app(now: Timestamp, list: Vec<Conversation>) -> App {
    let mut cfg = AppConfig::from_config(&Config::default(), false);
    cfg.lang = tresen::app::i18n::Lang::De;
    let mut app = App::new(cfg, now);
    app.update(Msg::Loaded(Loaded::Inbox(list)));
    app
}

fn keys(app: &mut App, keys: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    for step in tresen::tui::keys::parse_macro(keys).unwrap() {
        if let tresen::tui::keys::MacroStep::Key(k) = step {
            out.extend(app.update(Msg::Key(k)));
        }
    }
    out
}

fn state_set(effects: &[Effect]) -> Option<TriageState> {
    effects.iter().find_map(|e| match e {
        Effect::Command(tresen::app::Command::Local(LocalChange::SetState { state, .. })) => {
            Some(*state)
        }
        _ => None,
    })
}

#[test]
fn w_asks_for_a_follow_up_date_two_working_days_by_default() {
    // Friday afternoon: two working days on is Tuesday, 8:00.
    let friday = local("2026-12-04 15:00");
    let mut a = app(friday, vec![conv(1, "Frau Neu", TriageState::Open)]);
    assert!(keys(&mut a, "w").is_empty());
    let Some(Overlay::When {
        choices, selected, ..
    }) = &a.overlay
    else {
        panic!("no prompt: {:?}", a.overlay);
    };
    assert_eq!(*selected, 0);
    assert!(choices[0].label.contains("Di 08.12. 8:00"), "{choices:?}");
    assert!(
        choices.iter().any(|c| c.at.is_none()),
        "plain waiting is a choice"
    );
    let e = keys(&mut a, "<enter>");
    assert_eq!(
        state_set(&e),
        Some(TriageState::FollowUp(local("2026-12-08 08:00")))
    );
    // Typed: "Mo 9" is next Monday 9:00; the last choice is waiting without a date.
    let mut a = app(friday, vec![conv(1, "Frau Neu", TriageState::Open)]);
    let e = keys(&mut a, "wMo 9<enter>");
    assert_eq!(
        state_set(&e),
        Some(TriageState::FollowUp(local("2026-12-07 09:00")))
    );
    let mut a = app(friday, vec![conv(1, "Frau Neu", TriageState::Open)]);
    let e = keys(&mut a, "w<down><down><down><enter>");
    assert_eq!(state_set(&e), Some(TriageState::Waiting));
    // Something unreadable keeps the prompt open and says how to write it.
    let mut a = app(friday, vec![conv(1, "Frau Neu", TriageState::Open)]);
    let e = keys(&mut a, "wirgendwann<enter>");
    assert!(state_set(&e).is_none());
    assert!(matches!(a.overlay, Some(Overlay::When { .. })));
    assert!(
        a.flash
            .as_deref()
            .unwrap_or("")
            .contains("Nicht verstanden")
    );
}

#[test]
fn z_offers_today_tomorrow_and_the_next_working_day() {
    let friday_morning = local("2026-12-04 09:30");
    let mut a = app(friday_morning, vec![conv(1, "Frau Neu", TriageState::Open)]);
    keys(&mut a, "z");
    let Some(Overlay::When {
        choices, selected, ..
    }) = &a.overlay
    else {
        panic!("no prompt");
    };
    let labels: Vec<&str> = choices.iter().map(|c| c.label.as_str()).collect();
    assert!(labels[0].starts_with("heute 14:00"), "{labels:?}");
    assert!(
        labels[1].starts_with("morgen 8:00  (Sa 05.12."),
        "{labels:?}"
    );
    assert!(
        labels[2].starts_with("nächster Werktag 8:00  (Mo 07.12."),
        "{labels:?}"
    );
    // The default is the next working day: Monday, not Saturday.
    assert_eq!(*selected, 2);
    let e = keys(&mut a, "<enter>");
    assert_eq!(
        state_set(&e),
        Some(TriageState::Snoozed(local("2026-12-07 08:00")))
    );
    // In the afternoon "heute 14:00" is gone.
    let mut a = app(
        local("2026-12-04 15:00"),
        vec![conv(1, "A", TriageState::Open)],
    );
    keys(&mut a, "z");
    let Some(Overlay::When { choices, .. }) = &a.overlay else {
        panic!("no prompt");
    };
    assert!(!choices[0].label.starts_with("heute"));
    // Any date and time.
    let e = keys(&mut a, "24.12. 10:30<enter>");
    assert_eq!(
        state_set(&e),
        Some(TriageState::Snoozed(local("2026-12-24 10:30")))
    );
}

#[test]
fn typed_times_are_read_as_an_office_writes_them() {
    let now = local("2026-12-04 15:00");
    assert_eq!(parse("16:00", now), Ok(local("2026-12-04 16:00")));
    // A time already past today is tomorrow's.
    assert_eq!(parse("9", now), Ok(local("2026-12-05 09:00")));
    assert_eq!(parse("morgen 14 Uhr", now), Ok(local("2026-12-05 14:00")));
    assert_eq!(parse("Fr", now), Ok(local("2026-12-11 08:00")));
    assert_eq!(
        parse("2027-01-04 07:30", now),
        Ok(local("2027-01-04 07:30"))
    );
    assert_eq!(parse("4.1.27", now), Ok(local("2027-01-04 08:00")));
    // 1 December has passed this year: next year's.
    assert_eq!(parse("1.12.", now), Ok(local("2027-12-01 08:00")));
    assert_eq!(parse("heute 8:00", now), Err(WhenError::Past));
    assert_eq!(parse("01.12.2026", now), Err(WhenError::Past));
    assert_eq!(parse("nächste Woche", now), Err(WhenError::Unreadable));
    assert_eq!(parse("31.02.", now), Err(WhenError::Unreadable));
    assert_eq!(parse("25:00", now), Err(WhenError::Unreadable));
}

#[test]
fn a_passed_follow_up_is_open_again_marked_until_answered() {
    let mut s = SqliteStore::open_in_memory().unwrap();
    s.apply(&[
        conversation("r1", "Frau Neu", Channel::Signal),
        inbound("r1", "m1", "Was kostet das?", 0),
    ])
    .unwrap();
    let id = s.find_conversation("r1").unwrap().unwrap().id;
    let due = Timestamp(T0.0 + 2 * Timestamp::DAY);
    s.apply(&[Op::SetState {
        conversation: id,
        state: TriageState::FollowUp(due),
    }])
    .unwrap();
    let c = s.conversation(id).unwrap().unwrap();
    assert_eq!(c.state, TriageState::FollowUp(due), "kept by the store");
    assert_eq!(
        c.state.effective(Timestamp(due.0 - 1)),
        TriageState::FollowUp(due)
    );
    assert_eq!(c.state.effective(due), TriageState::Open);
    assert!(c.follow_up_due(due) && !c.follow_up_due(Timestamp(due.0 - 1)));

    // In the inbox: waiting before, open and marked ↻ after, and the legend says why.
    let mut a = app(Timestamp(due.0 - 60_000), vec![c.clone()]);
    assert_eq!(a.now, Timestamp(due.0 - 60_000));
    assert_eq!(a.conversations[0].state, TriageState::FollowUp(due));
    let line = row(&mut a, "Frau Neu");
    assert!(line.contains('◐'), "{line}");
    a.update(Msg::Tick(Timestamp(due.0 + 60_000)));
    let line = row(&mut a, "Frau Neu");
    assert!(line.contains('↻'), "{line}");
    assert_eq!(a.visible.len(), 1, "shown in the inbox");
    let help = tresen::ui::help_lines(&a).join("\n");
    assert!(help.contains("↻") && help.contains("nachfassen"), "{help}");

    // The office nudges the customer: waiting again, without the old date.
    s.apply(&[Op::QueueOutgoing {
        conversation: id,
        sender: "Anna".into(),
        body: "Haben Sie unser Angebot erhalten?".into(),
        attachments: vec![],
        at: Timestamp(due.0 + 3_600_000),
        automatic: false,
        meta: Default::default(),
    }])
    .unwrap();
    assert_eq!(
        s.conversation(id).unwrap().unwrap().state,
        TriageState::Waiting
    );
    // A follow-up again, and this time the customer answers in time: open, no date.
    s.apply(&[
        Op::SetState {
            conversation: id,
            state: TriageState::FollowUp(Timestamp(due.0 + 5 * Timestamp::DAY)),
        },
        inbound("r1", "m2", "Ja, passt so.", 3 * Timestamp::DAY),
    ])
    .unwrap();
    let c = s.conversation(id).unwrap().unwrap();
    assert_eq!(c.state, TriageState::Open);
}

/// The list row of `title`.
fn row(app: &mut App, title: &str) -> String {
    let mut t = Terminal::new(TestBackend::new(120, 12)).unwrap();
    t.draw(|f| tresen::ui::render(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .find(|l| l.contains(title))
        .unwrap_or_default()
}

fn reply(conversation: ConversationId, at: i64, automatic: bool) -> Op {
    Op::QueueOutgoing {
        conversation,
        sender: if automatic {
            tresen::domain::AUTOMATIC.into()
        } else {
            "Anna".into()
        },
        body: "Antwort".into(),
        attachments: vec![],
        at: Timestamp(T0.0 + at),
        automatic,
        meta: Default::default(),
    }
}

/// The office's answer written on the business phone: it reaches tresen as a message of
/// the network, outbound.
fn from_phone(conv: &str, id: &str, at: i64) -> Op {
    match inbound(conv, id, "Kommen morgen.", at) {
        Op::Incoming(mut m) => {
            m.direction = tresen::domain::Direction::Outbound;
            Op::Incoming(m)
        }
        _ => unreachable!(),
    }
}

#[test]
fn the_store_knows_since_when_each_customer_waits_for_us() {
    const MIN: i64 = 60_000;
    let mut s = SqliteStore::open_in_memory().unwrap();
    s.apply(&[
        conversation("a", "Frau Früh", Channel::Signal),
        conversation("b", "Herr Spät", Channel::Whatsapp),
        inbound("a", "a1", "Angebot?", 0),
        inbound("a", "a2", "Hallo?", 10 * MIN),
        inbound("b", "b1", "Rechnung?", 30 * MIN),
    ])
    .unwrap();
    let get = |s: &SqliteStore, r: &str| s.find_conversation(r).unwrap().unwrap();
    // Waiting since the oldest unanswered message, not the newest.
    assert_eq!(get(&s, "a").waiting_since, Some(T0));
    assert_eq!(get(&s, "b").waiting_since, Some(Timestamp(T0.0 + 30 * MIN)));
    let a = get(&s, "a").id;
    // tresen's own automatic message (an away reply) answers nobody.
    s.apply(&[reply(a, 11 * MIN, true)]).unwrap();
    assert_eq!(get(&s, "a").waiting_since, Some(T0));
    // The office answers here: nobody waits; she writes again: since then.
    s.apply(&[reply(a, 12 * MIN, false)]).unwrap();
    assert_eq!(get(&s, "a").waiting_since, None);
    s.apply(&[inbound("a", "a3", "Danke!", 20 * MIN)]).unwrap();
    assert_eq!(get(&s, "a").waiting_since, Some(Timestamp(T0.0 + 20 * MIN)));
    // Answered from the phone, in the same batch as a message that arrived late from
    // before the answer, and one after it.
    s.apply(&[
        inbound("b", "b0", "(vorher)", 25 * MIN),
        from_phone("b", "p1", 40 * MIN),
        inbound("b", "b2", "Und noch was", 50 * MIN),
    ])
    .unwrap();
    assert_eq!(get(&s, "b").waiting_since, Some(Timestamp(T0.0 + 50 * MIN)));
    // An old answer fetched with history changes nothing about a newer question.
    s.apply(&[from_phone("b", "p0", 5 * MIN)]).unwrap();
    assert_eq!(get(&s, "b").waiting_since, Some(Timestamp(T0.0 + 50 * MIN)));
}

#[test]
fn the_queue_shows_who_has_waited_longest_first_with_the_age() {
    let now = Timestamp(T0.0 + 10 * Timestamp::DAY);
    let waiting = |id, title: &str, hours_ago: Option<i64>, activity_min: i64| {
        let mut c = conv(id, title, TriageState::Open);
        c.waiting_since = hours_ago.map(|h| Timestamp(now.0 - h * Timestamp::HOUR));
        c.last_activity = Timestamp(now.0 - activity_min * 60_000);
        c
    };
    let mut a = app(
        now,
        vec![
            waiting(1, "Frau Neu", Some(1), 5),
            waiting(2, "Herr Geduld", Some(30), 2),
            waiting(3, "Beantwortet", None, 1),
            waiting(4, "Firma Mittel", Some(5), 60),
        ],
    );
    keys(&mut a, "W");
    let order: Vec<&str> = a
        .visible
        .iter()
        .map(|&i| a.conversations[i].title.as_str())
        .collect();
    assert_eq!(order, ["Herr Geduld", "Firma Mittel", "Frau Neu"]);
    // The waiting time, not the last activity (2 min and 60 min ago).
    let line = row(&mut a, "Herr Geduld");
    assert!(
        line.trim_end().ends_with("1 Tg│") || line.contains(" 1 Tg"),
        "{line}"
    );
    let line = row(&mut a, "Firma Mittel");
    assert!(line.contains(" 5 Std"), "{line}");
    let top = row(&mut a, "Warteschlange");
    assert!(top.contains("längste Wartezeit zuerst"), "{top}");
    // Back to the inbox.
    keys(&mut a, "W");
    assert_eq!(a.visible.len(), 4);
}
