//! Issue 17, business hours: the weekly schedule in German time across both DST
//! changes, public holidays of two Bundesländer (checked against the official dates
//! 2026–2028), local holidays and closures; one away reply per conversation per closed
//! period, through the Signal connector, never into a group; "geschlossen bis …" in the
//! inbox header.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::NaiveDate;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::engine::{archived, start_archived_with, wait_until};
use support::signal_peer::*;
use tresen::app::{App, AppConfig, Loaded, Msg};
use tresen::archive::Payload;
use tresen::config::{Config, HoursConfig};
use tresen::domain::holidays::{Bundesland, holidays};
use tresen::domain::hours::{Hours, from_berlin};
use tresen::domain::urgent::{UrgentRule, UrgentRules};
use tresen::domain::{AUTOMATIC, Timestamp, TriageState};

const NOTICE_START: &str = "Guten Tag, vielen Dank für Ihre Nachricht an Muster Haustechnik GmbH";

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A German wall-clock time.
fn berlin(s: &str) -> Timestamp {
    from_berlin(chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
}

fn dates(land: Bundesland, year: i32) -> Vec<String> {
    holidays(year, Some(land))
        .into_iter()
        .map(|(d, _)| d.format("%d.%m.").to_string())
        .collect()
}

/// The official lists (Kultusministerkonferenz / the Länder's Feiertagsgesetze):
/// Bavaria without Mariä Himmelfahrt and the Augsburger Friedensfest, which hold only in
/// some municipalities (the office's `extra_holidays`).
#[test]
fn holidays_of_bavaria_and_saxony_2026_to_2028_are_the_official_ones() {
    let by = [
        (
            2026,
            "01.01. 06.01. 03.04. 06.04. 01.05. 14.05. 25.05. 04.06. 03.10. 01.11. 25.12. 26.12.",
        ),
        (
            2027,
            "01.01. 06.01. 26.03. 29.03. 01.05. 06.05. 17.05. 27.05. 03.10. 01.11. 25.12. 26.12.",
        ),
        (
            2028,
            "01.01. 06.01. 14.04. 17.04. 01.05. 25.05. 05.06. 15.06. 03.10. 01.11. 25.12. 26.12.",
        ),
    ];
    let sn = [
        (
            2026,
            "01.01. 03.04. 06.04. 01.05. 14.05. 25.05. 03.10. 31.10. 18.11. 25.12. 26.12.",
        ),
        (
            2027,
            "01.01. 26.03. 29.03. 01.05. 06.05. 17.05. 03.10. 31.10. 17.11. 25.12. 26.12.",
        ),
        (
            2028,
            "01.01. 14.04. 17.04. 01.05. 25.05. 05.06. 03.10. 31.10. 22.11. 25.12. 26.12.",
        ),
    ];
    for (land, table) in [(Bundesland::BY, by), (Bundesland::SN, sn)] {
        for (year, want) in table {
            assert_eq!(dates(land, year).join(" "), want, "{land:?} {year}");
        }
    }
    // Berlin's own and Brandenburg's Sundays, Thuringia's Weltkindertag.
    assert!(dates(Bundesland::BE, 2027).contains(&"08.03.".to_string()));
    assert!(dates(Bundesland::BB, 2028).contains(&"16.04.".to_string()));
    assert!(dates(Bundesland::TH, 2026).contains(&"20.09.".to_string()));
}

fn office(land: &str) -> Hours {
    HoursConfig {
        monday: "07:00-12:00, 12:30-16:30".into(),
        tuesday: "07:00-12:00, 12:30-16:30".into(),
        wednesday: "07:00-12:00, 12:30-16:30".into(),
        thursday: "07:00-12:00, 12:30-16:30".into(),
        friday: "07:00-13:00".into(),
        state: land.into(),
        extra_holidays: vec!["2028-08-15".into()],
        closures: vec!["2026-12-24..2027-01-01".into()],
        ..HoursConfig::default()
    }
    .hours()
    .unwrap()
}

#[test]
fn hours_hold_across_both_dst_changes_holidays_and_closures() {
    let by = office("BY");
    let sn = office("Sachsen");
    // Friday before the spring change: closed at 13:00 CET, open Monday 07:00 CEST.
    let sat = berlin("2026-03-28 12:00");
    assert!(!by.is_open(sat));
    assert_eq!(by.closed_since(sat), Some(berlin("2026-03-27 13:00")));
    assert_eq!(by.next_open(sat), Some(berlin("2026-03-30 07:00")));
    // 07:00 CEST is 05:00 UTC; the Friday's 13:00 CET was 12:00 UTC.
    assert_eq!(berlin("2026-03-30 07:00").0, 1_774_846_800_000);
    assert_eq!(berlin("2026-03-27 13:00").0, 1_774_612_800_000);
    // The autumn change: open Monday at 07:00 CET (06:00 UTC).
    let sun = berlin("2026-10-25 02:30");
    assert_eq!(by.next_open(sun), Some(berlin("2026-10-26 07:00")));
    assert_eq!(berlin("2026-10-26 07:00").0, 1_792_994_400_000);
    // The lunch break is closed, and knows when it began.
    let lunch = berlin("2026-03-31 12:15");
    assert!(!by.is_open(lunch));
    assert_eq!(by.closed_since(lunch), Some(berlin("2026-03-31 12:00")));
    assert_eq!(by.next_open(lunch), Some(berlin("2026-03-31 12:30")));
    assert!(by.is_open(berlin("2026-03-31 12:30")));
    assert!(!by.is_open(berlin("2026-03-31 16:30")));
    // Fronleichnam closes Bavaria, not Saxony; Buß- und Bettag the other way round.
    let corpus = berlin("2026-06-04 10:00");
    assert!(!by.is_open(corpus) && sn.is_open(corpus));
    assert_eq!(by.next_open(corpus), Some(berlin("2026-06-05 07:00")));
    let repentance = berlin("2027-11-17 10:00");
    assert!(by.is_open(repentance) && !sn.is_open(repentance));
    // Christi Himmelfahrt (everywhere): back on Friday.
    assert_eq!(
        by.next_open(berlin("2026-05-14 09:00")),
        Some(berlin("2026-05-15 07:00"))
    );
    // The company closure over the turn of the year, then the weekend.
    assert_eq!(
        by.next_open(berlin("2026-12-23 17:00")),
        Some(berlin("2027-01-04 07:00"))
    );
    // A local holiday.
    assert!(!by.is_open(berlin("2028-08-15 09:00")));
    assert!(by.is_open(berlin("2028-08-16 09:00")));
    assert!(by.closed_on(date("2028-08-15")).is_some());
}

fn away_config() -> HoursConfig {
    HoursConfig {
        monday: "07:00-16:30".into(),
        tuesday: "07:00-16:30".into(),
        wednesday: "07:00-16:30".into(),
        thursday: "07:00-16:30".into(),
        friday: "07:00-13:00".into(),
        state: "BY".into(),
        away_reply: true,
        away_text: "Unser Büro ist geschlossen; wir melden uns ab {oeffnet}.".into(),
        urgent_away_text:
            "Notdienst rund um die Uhr: 0170 1234567 (ab {naechster_werktag} wieder im Büro)."
                .into(),
        ..HoursConfig::default()
    }
}

/// A customer message, sent `at` by the phone.
fn customer(at: Timestamp, text: &str) -> Say {
    Say::Line(dm(at.0, text, false))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_away_reply_per_closed_period_through_signal_never_into_a_group() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("signal-cli.sock");
    let (say, seen) = peer(socket.clone());
    let clock = Arc::new(AtomicI64::new(berlin("2026-03-27 18:00").0));
    let set = |at: Timestamp| clock.store(at.0, Ordering::SeqCst);
    let c = clock.clone();
    let a = start_archived_with(
        dir.path(),
        vec![signal(&socket, &["g1="])],
        Some(tresen::demo::compliance()),
    );
    let engine = a
        .engine
        .with_urgent(
            UrgentRules::new(&[UrgentRule {
                words: vec!["Notfall".into()],
                patterns: vec![],
            }])
            .unwrap(),
        )
        .with_away(
            away_config().away().unwrap(),
            Arc::new(move || Timestamp(c.load(Ordering::SeqCst))),
        );
    let (h, key, adir) = (a.handle.clone(), a.key, a.dir.clone());
    let task = tokio::spawn(engine.run());
    subscribed(&seen).await;
    let texts = || -> Vec<String> { sends(&seen).iter().map(delivered_text).collect() };
    let stored = |n: usize| {
        let h = h.clone();
        move || {
            h.store().read(|s| {
                s.conversations()
                    .unwrap()
                    .iter()
                    .map(|c| s.messages(c.id, None, 100).unwrap().len())
                    .sum::<usize>()
                    >= n
            })
        }
    };

    // Friday evening, a new customer: one message, the away text first, then the
    // first-contact notice (R-C8), with the opening after the change to summer time.
    say.send(customer(berlin("2026-03-27 18:00"), "Heizung kalt"))
        .unwrap();
    wait_until("the away reply", || !texts().is_empty()).await;
    let first = &texts()[0];
    assert!(
        first.starts_with(
            "Unser Büro ist geschlossen; wir melden uns ab Montag, 30.03.2026, 7:00 Uhr.\n\n"
        ),
        "{first}"
    );
    assert!(first.contains(NOTICE_START), "{first}");
    // She writes again, and on Saturday: the same closed period, nothing more.
    say.send(customer(berlin("2026-03-27 18:05"), "Hallo?"))
        .unwrap();
    set(berlin("2026-03-28 10:00"));
    say.send(customer(berlin("2026-03-28 10:00"), "Noch da?"))
        .unwrap();
    wait_until("her three messages", stored(4)).await;
    // Monday 09:00 the office is open: no automatic answer.
    set(berlin("2026-03-30 09:00"));
    say.send(customer(berlin("2026-03-30 09:00"), "Guten Morgen"))
        .unwrap();
    wait_until("her fourth message", stored(5)).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(texts().len(), 1, "{:#?}", texts());

    // In the group, while closed: never an away reply.
    set(berlin("2026-03-30 18:00"));
    say.send(Say::Line(group_line(
        "g1=",
        "Baustelle",
        berlin("2026-03-30 18:00").0,
        "Feierabend",
    )))
    .unwrap();
    wait_until("the group message", stored(6)).await;
    // Monday evening is the next closed period: one again, with the urgent text.
    say.send(customer(
        berlin("2026-03-30 18:01"),
        "Notfall! Wasser im Keller",
    ))
    .unwrap();
    wait_until("the second away reply", || texts().len() == 2).await;
    let second = &texts()[1];
    assert!(
        second.starts_with(
            "Notdienst rund um die Uhr: 0170 1234567 (ab Dienstag, 31.03.2026 wieder im Büro)."
        ),
        "{second}"
    );
    assert!(
        !second.contains(NOTICE_START),
        "the notice went once: {second}"
    );
    let group_sends = sends(&seen)
        .iter()
        .filter(|r| r["params"]["groupId"].is_string())
        .count();
    assert_eq!(group_sends, 0);
    // Holiday (Christi Himmelfahrt): closed all day, one reply naming Friday.
    set(berlin("2026-05-14 10:00"));
    say.send(customer(berlin("2026-05-14 10:00"), "Heute jemand da?"))
        .unwrap();
    wait_until("the holiday's away reply", || texts().len() == 3).await;
    assert!(
        texts()[2].contains("ab Freitag, 15.05.2026, 7:00 Uhr"),
        "{}",
        texts()[2]
    );

    // The away reply answered nobody: the conversation is still open, unread, urgent.
    let conv = h
        .store()
        .read(|s| s.conversations())
        .unwrap()
        .into_iter()
        .find(|c| c.kind == tresen::domain::ConversationKind::Direct)
        .unwrap();
    assert_eq!(conv.state, TriageState::Open);
    assert!(conv.unread > 0);
    assert!(
        conv.urgent,
        "an away reply does not settle an urgent conversation"
    );
    h.shutdown().await;
    task.await.unwrap().unwrap();
    // Archived, as tresen's automatic message.
    let automatic = archived(&adir, &key)
        .into_iter()
        .filter(|p| match p {
            Payload::Outgoing { staff, .. } => staff == AUTOMATIC,
            _ => false,
        })
        .count();
    assert_eq!(automatic, 3);
}

#[test]
fn the_header_says_until_when_the_office_is_closed() {
    let mut cfg = AppConfig::from_config(&Config::default(), false);
    cfg.lang = tresen::app::i18n::Lang::De;
    cfg.hours = Some(away_config().hours().unwrap());
    let mut app = App::new(cfg, berlin("2026-03-28 10:00"));
    app.update(Msg::Loaded(Loaded::Inbox(vec![])));
    let top = first_line(&mut app);
    assert!(top.contains("geschlossen bis Mo 7:00"), "{top}");
    app.update(Msg::Tick(berlin("2026-03-30 08:00")));
    let top = first_line(&mut app);
    assert!(!top.contains("geschlossen"), "{top}");
    // Wednesday evening before Christi Himmelfahrt: back on Friday.
    app.update(Msg::Tick(berlin("2026-05-13 17:00")));
    let top = first_line(&mut app);
    assert!(top.contains("geschlossen bis Fr 7:00"), "{top}");
}

fn first_line(app: &mut App) -> String {
    let mut t = Terminal::new(TestBackend::new(140, 10)).unwrap();
    t.draw(|f| tresen::ui::render(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    (0..buf.area.width)
        .map(|x| buf[(x, 0)].symbol().to_string())
        .collect()
}
