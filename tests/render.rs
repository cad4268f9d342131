//! Rendering at fixed sizes with a fixed clock, through ratatui's TestBackend.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tresen::app::i18n::Lang;
use tresen::app::{App, AppConfig, Loaded, Msg};
use tresen::config::Config;
use tresen::domain::{
    AccountId, Attachment, Channel, Contact, Conversation, ConversationId, ConversationKind,
    Delivery, Direction, Edit, Health, Message, MessageId, MessageKind, Timestamp, TriageState,
};
use tresen::tui::keys::{MacroStep, parse_macro};

const NOW: Timestamp = Timestamp(1_764_000_000_000);

fn conversation(title: &str, preview: &str) -> Conversation {
    Conversation {
        id: ConversationId(1),
        account: AccountId("matrix-buero".into()),
        remote_id: "!room".into(),
        kind: ConversationKind::Direct,
        channel: Channel::Whatsapp,
        title: title.into(),
        contact: Some(Contact {
            identity: "+49 170 1234567".into(),
            display_name: title.into(),
            phone: None,
        }),
        state: TriageState::Open,
        labels: vec!["notdienst".into()],
        unread: 3,
        marked_unread: false,
        last_activity: Timestamp(NOW.0 - 5 * 60_000),
        last_preview: preview.into(),
        draft: None,
        security: Default::default(),
        assigned: None,
        urgent: false,
        waiting_since: None,
    }
}

fn msg(id: i64, kind: MessageKind, dir: Direction, body: &str, at_min: i64) -> Message {
    Message {
        id: MessageId(id),
        conversation: ConversationId(1),
        remote_id: Some(format!("r{id}")),
        kind,
        direction: dir,
        sender: if kind == MessageKind::Note {
            "Anna".into()
        } else {
            String::new()
        },
        body: body.into(),
        attachments: vec![],
        sent_at: Timestamp(NOW.0 - at_min * 60_000),
        received_at: Timestamp(NOW.0 - at_min * 60_000),
        delivery: Delivery::Read,
        edit: None,
        deleted_at: None,
        failure: None,
        reactions: vec![],
        elsewhere: false,
        sensitive: None,
        quote: None,
    }
}

fn app(lang: Lang, title: &str, messages: Vec<Message>) -> App {
    // The language as configured, so that everything built from the configuration
    // (the R-D5 text among it) speaks it too.
    let mut config = Config::default();
    config.ui.language = match lang {
        Lang::De => tresen::config::LanguageSetting::De,
        Lang::En => tresen::config::LanguageSetting::En,
    };
    let mut cfg = AppConfig::from_config(&config, false);
    cfg.lang = lang;
    let mut app = App::new(cfg, NOW);
    app.update(Msg::Loaded(Loaded::Inbox(vec![conversation(
        title,
        "Heizung tropft",
    )])));
    let mut h = std::collections::BTreeMap::new();
    h.insert(AccountId("matrix-buero".into()), Health::Online);
    app.update(Msg::Loaded(Loaded::Health(h)));
    for step in parse_macro("<enter>").unwrap() {
        if let MacroStep::Key(k) = step {
            app.update(Msg::Key(k));
        }
    }
    app.update(Msg::Loaded(Loaded::Conversation {
        id: ConversationId(1),
        messages,
        older: false,
        limit: 200,
        focus: None,
    }));
    app
}

/// The app drawn at `w`×`h`, cell by cell.
fn draw(app: &mut App, w: u16, h: u16) -> ratatui::buffer::Buffer {
    app.update(Msg::Resize {
        width: w,
        height: h,
    });
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| tresen::ui::render(f, app)).unwrap();
    t.backend().buffer().clone()
}

fn render(app: &mut App, w: u16, h: u16) -> String {
    let buf = draw(app, w, h);
    let mut out = String::new();
    for y in 0..h {
        let mut x = 0;
        while x < w {
            let sym = buf[(x, y)].symbol();
            out.push_str(sym);
            // A wide character's second cell is a placeholder, not content.
            x += unicode_width::UnicodeWidthStr::width(sym).max(1) as u16;
        }
        out.push('\n');
    }
    out
}

/// Feeds a key macro to the app; every effect it produced.
fn press(app: &mut App, m: &str) -> Vec<tresen::app::Effect> {
    let mut out = Vec::new();
    for step in parse_macro(m).unwrap() {
        if let MacroStep::Key(k) = step {
            out.extend(app.update(Msg::Key(k)));
        }
    }
    out
}

fn sample() -> Vec<Message> {
    let mut photo = msg(
        2,
        MessageKind::Chat,
        Direction::Inbound,
        "Hier ein Foto",
        30,
    );
    photo.attachments.push(Attachment {
        name: "IMG_2041.jpg".into(),
        mime: "image/jpeg".into(),
        size: 2_300_000,
        ..Default::default()
    });
    let mut edited = msg(5, MessageKind::Chat, Direction::Inbound, "um 9 Uhr", 3);
    edited.edit = Some(Edit {
        body: "um 10 Uhr".into(),
        at: NOW,
    });
    let mut failed = msg(6, MessageKind::Chat, Direction::Outbound, "Bestätigt", 2);
    failed.delivery = Delivery::Failed;
    failed.failure = Some("the customer's safety number changed \u{1b}[2J".into());
    vec![
        msg(
            1,
            MessageKind::Chat,
            Direction::Inbound,
            "Die Heizung tropft",
            40,
        ),
        photo,
        msg(
            3,
            MessageKind::Chat,
            Direction::Outbound,
            "Wir kommen morgen",
            20,
        ),
        msg(
            4,
            MessageKind::Note,
            Direction::Outbound,
            "Stammkunde, Vaillant",
            10,
        ),
        edited,
        failed,
    ]
}

#[test]
fn inbox_and_conversation_at_120x30_german() {
    let mut a = app(Lang::De, "Max Mustermann", sample());
    let screen = render(&mut a, 120, 30);
    for expected in [
        "GESCHÄFTLICH",
        "WA ",
        "Max Mustermann",
        "Heizung tropft",
        // Issue 19, item 3: the age in German, under a German header.
        "5 Min",
        "Netz  #",
        "[WA] Max Mustermann · +49 170 1234567 · offen #notdienst",
        "📎 IMG_2041.jpg (image/jpeg, 2,3 MB)",
        "✓✓ gelesen",
        "INTERNE NOTIZ",
        "nie gesendet",
        "(bearbeitet)",
        "um 10 Uhr",
        "ursprünglich: um 9 Uhr",
        "✗ NICHT gesendet (R: erneut senden)",
        "matrix-buero",
        "online",
    ] {
        assert!(
            screen.contains(expected),
            "missing {expected:?} in\n{screen}"
        );
    }
}

/// R-F2: a message the office sent from the business phone (or the WhatsApp app) went
/// past tresen's footer and consent check; the conversation says so at the message.
#[test]
fn a_message_sent_from_another_device_is_marked() {
    for (lang, says) in [
        (
            Lang::De,
            "von anderem Gerät: ohne Fußzeile und Einwilligungsprüfung",
        ),
        (Lang::En, "from another device: no footer, no consent check"),
    ] {
        let mut phone = msg(90, MessageKind::Chat, Direction::Outbound, "Komme um 8", 1);
        phone.elsewhere = true;
        let mut a = app(lang, "Max Mustermann", vec![phone.clone()]);
        let screen = render(&mut a, 160, 30);
        assert!(screen.contains(says), "missing {says:?} in\n{screen}");
        phone.elsewhere = false;
        let mut a = app(lang, "Max Mustermann", vec![phone]);
        assert!(!render(&mut a, 160, 30).contains(says));
    }
}

#[test]
fn english_texts_under_english() {
    let mut a = app(Lang::En, "Max Mustermann", sample());
    let screen = render(&mut a, 120, 30);
    for expected in [
        "BUSINESS",
        "INTERNAL NOTE",
        "never sent",
        "(edited)",
        "✗ NOT sent",
        "Why: the customer's safety number changed",
    ] {
        assert!(
            screen.contains(expected),
            "missing {expected:?} in\n{screen}"
        );
    }
}

#[test]
fn escape_sequences_from_customers_never_reach_the_terminal() {
    let evil = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}txt.exe";
    let mut a = app(
        Lang::De,
        &format!("Mallory{evil}"),
        vec![msg(
            1,
            MessageKind::Chat,
            Direction::Inbound,
            &format!("hi{evil}\nline2"),
            1,
        )],
    );
    let screen = render(&mut a, 120, 20);
    for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
        assert!(!screen.contains(bad), "{bad:?} reached the screen");
    }
    assert!(
        screen.contains("␛]0;pwned"),
        "the attempt stays visible:\n{screen}"
    );
}

#[test]
fn tiny_and_odd_sizes_never_panic() {
    let mut a = app(
        Lang::De,
        "Max Mustermann mit einem sehr langen Namen",
        sample(),
    );
    for (w, h) in [
        (40, 12),
        (1, 1),
        (0, 0),
        (20, 3),
        (80, 5),
        (79, 24),
        (300, 100),
        (15, 40),
    ] {
        render(&mut a, w, h);
    }
    // In the composer and with overlays too.
    for m in [
        "r<a-enter><a-enter>xyz",
        "<esc>?",
        "<esc>/abc",
        "<esc><esc>f",
    ] {
        for step in parse_macro(m).unwrap() {
            if let MacroStep::Key(k) = step {
                a.update(Msg::Key(k));
            }
        }
        for (w, h) in [(40, 12), (10, 4), (25, 6)] {
            render(&mut a, w, h);
        }
    }
}

#[test]
fn narrow_terminal_shows_one_pane() {
    let mut a = app(Lang::De, "Max Mustermann", sample());
    let screen = render(&mut a, 60, 20);
    assert!(
        screen.contains("Die Heizung tropft") || screen.contains("Wir kommen"),
        "{screen}"
    );
    assert!(
        !screen.contains("Kunde · letzte Nachricht"),
        "list hidden while reading:\n{screen}"
    );
}

#[test]
fn help_overlay_lists_bindings_from_the_keymap() {
    let mut a = app(Lang::De, "Max", sample());
    for step in parse_macro("<esc>?").unwrap() {
        if let MacroStep::Key(k) = step {
            a.update(Msg::Key(k));
        }
    }
    let screen = render(&mut a, 120, 40);
    assert!(screen.contains("Tasten (Esc schließt)"), "{screen}");
    // Issue 19, item 3: keys named as a German keyboard labels them.
    assert!(screen.contains("j/↓  Nächster Eintrag"), "{screen}");
    assert!(screen.contains("q/Strg+C  Beenden"), "{screen}");
    assert!(screen.contains("G/Ende  Zum Ende"), "{screen}");
    let lines = tresen::ui::help_lines(&a);
    for action in tresen::app::action::Action::ALL {
        let (de, _) = action.description();
        assert!(
            lines.iter().any(|l| l.contains(de)),
            "{action:?} missing from help"
        );
    }
}

#[test]
fn help_scrolls_to_its_last_line_on_a_small_terminal() {
    let mut a = app(Lang::En, "Max", sample());
    for step in parse_macro("<esc>?G").unwrap() {
        if let MacroStep::Key(k) = step {
            a.update(Msg::Key(k));
        }
    }
    assert_eq!(
        tresen::ui::help_lines(&a).len(),
        tresen::app::action::help_line_count()
    );
    let screen = render(&mut a, 80, 14);
    assert!(screen.contains("Ctrl+C always quits."), "{screen}");
}

#[test]
fn pending_invites_show_in_the_status_line_and_their_overlay() {
    let mut a = app(Lang::De, "Max Mustermann", sample());
    a.update(Msg::Loaded(Loaded::Invites(vec![(
        AccountId("matrix-buero".into()),
        tresen::domain::Invite {
            remote_id: "!x".into(),
            from: "Erika \u{1b}[31mRot".into(),
            title: "Erika Musterfrau".into(),
        },
    )])));
    let screen = render(&mut a, 120, 30);
    assert!(screen.contains("✉ 1 Einladungen (I)"), "{screen}");
    for step in parse_macro("<esc> I").unwrap() {
        if let MacroStep::Key(k) = step {
            a.update(Msg::Key(k));
        }
    }
    let screen = render(&mut a, 120, 30);
    assert!(screen.contains("Erika Musterfrau – von Erika"), "{screen}");
    assert!(
        screen.contains("Eingabe: als geschäftlich annehmen"),
        "{screen}"
    );
    assert!(!screen.contains('\u{1b}'), "{screen}");
}

#[test]
fn the_header_says_how_the_conversation_is_protected() {
    use tresen::domain::Security;
    let cases = [
        (Security::Bridged, Lang::De, "🔓 über Bridge"),
        (Security::Unencrypted, Lang::De, "🔓 unverschlüsselt"),
        (
            Security::Encrypted,
            Lang::De,
            "🔒 verschlüsselt, nicht verifiziert",
        ),
        (
            Security::Verified,
            Lang::De,
            "🔒 verschlüsselt, verifiziert",
        ),
        (
            Security::IdentityChanged,
            Lang::De,
            "⚠ Identität geändert – vor dem Senden prüfen",
        ),
        (Security::Verified, Lang::En, "🔒 encrypted, verified"),
        (Security::IdentityChanged, Lang::En, "⚠ identity changed"),
    ];
    for (security, lang, expected) in cases {
        let mut a = app(lang, "Max Mustermann", sample());
        let mut c = conversation("Max Mustermann", "Heizung tropft");
        c.security = security;
        a.update(Msg::Loaded(Loaded::Inbox(vec![c])));
        let screen = render(&mut a, 160, 30);
        assert!(
            screen.contains(expected),
            "{security:?}: missing {expected:?} in\n{screen}"
        );
    }
    // Unknown says nothing rather than guessing.
    let mut a = app(Lang::De, "Max Mustermann", sample());
    let screen = render(&mut a, 160, 30);
    assert!(!screen.contains("🔒") && !screen.contains("🔓"), "{screen}");
}

#[test]
fn reactions_and_typing_are_shown() {
    let mut messages = sample();
    let first = messages
        .iter_mut()
        .find(|m| m.direction == Direction::Inbound && m.kind == MessageKind::Chat)
        .unwrap();
    for (key, sender, outbound) in [
        ("👍", "Max", false),
        ("👍", "Anna", true),
        ("✅", "Anna", true),
    ] {
        first.reactions.push(tresen::domain::Reaction {
            key: key.into(),
            sender: sender.into(),
            outbound,
        });
    }
    let mut a = app(Lang::De, "Max Mustermann", messages);
    let mut typing = std::collections::BTreeMap::new();
    typing.insert(ConversationId(1), vec!["Max \u{1b}[2J".to_string()]);
    a.update(Msg::Loaded(Loaded::Typing(typing)));
    let screen = render(&mut a, 160, 30);
    assert!(screen.contains("👍 Max, Sie · ✅ Sie"), "{screen}");
    assert!(screen.contains("✎ Max ␛[2J schreibt …"), "{screen}");
}

#[test]
fn linking_signal_shows_a_scannable_code_or_says_the_window_is_too_small() {
    use std::collections::BTreeMap;
    use tresen::domain::LinkState;
    let mut a = app(Lang::De, "Max", sample());
    let acc = AccountId("signal-buero".into());
    let uri = "sgnl://linkdevice?uuid=Yz3kQ0rZ8hAbCdEfGh&pub_key=BXk7mVq2AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abc";
    a.update(Msg::Loaded(Loaded::Links(BTreeMap::from([(
        acc,
        LinkState::Waiting { uri: uri.into() },
    )]))));
    for step in parse_macro("L").unwrap() {
        if let MacroStep::Key(k) = step {
            a.update(Msg::Key(k));
        }
    }
    let screen = render(&mut a, 120, 50);
    assert!(screen.contains("Gekoppelte Geräte"), "{screen}");
    assert!(screen.contains("sgnl://linkdevice"), "{screen}");
    // Nothing cut off at the bottom of the box.
    assert!(screen.contains("Esc schließt"), "{screen}");
    let qr_rows = screen
        .lines()
        .filter(|l| l.matches(['█', '▀', '▄']).count() > 20)
        .count();
    assert!(qr_rows >= 20, "no QR code:\n{screen}");
    // On a small terminal the code would be cut (unscannable): it says so instead.
    let small = render(&mut a, 80, 24);
    assert!(small.contains("zu klein"), "{small}");
    assert!(small.contains("tresen account link signal"), "{small}");
}

// A full disk must not go unnoticed: while the archive refuses writes, nothing new is
// stored or sent, and the status line says so before anything else.
#[test]
fn an_archive_that_cannot_be_written_is_shown_in_the_status_line() {
    let mut a = app(Lang::De, "Erika", sample());
    assert!(!render(&mut a, 120, 30).contains("ARCHIV"));
    a.update(Msg::Loaded(Loaded::ArchiveProblem(Some(
        "archive seg-000003.jsonl: No space left on device \u{1b}[2J".into(),
    ))));
    let screen = render(&mut a, 120, 30);
    assert!(screen.contains("ARCHIV NICHT BESCHREIBBAR"), "{screen}");
    assert!(screen.contains("No space left on device"), "{screen}");
    assert!(!screen.contains('\u{1b}'));
    a.update(Msg::Loaded(Loaded::ArchiveProblem(None)));
    assert!(!render(&mut a, 120, 30).contains("ARCHIV"));
}

fn outlook(
    consent: tresen::compliance::ConsentView,
    footer: Option<&str>,
    blocked: Option<&str>,
) -> Msg {
    Msg::Loaded(Loaded::Outlook(
        ConversationId(1),
        Some(tresen::compliance::Outlook {
            consent,
            footer: footer.map(str::to_string),
            blocked: blocked.map(str::to_string),
            exempt: false,
        }),
    ))
}

#[test]
fn r_c3_the_header_shows_consent_and_the_composer_the_footer_that_will_be_sent() {
    use tresen::compliance::ConsentView;
    let mut a = app(Lang::De, "Max Mustermann", sample());
    let footer = "-- \nMuster Haustechnik GmbH\nRegister: HRB 12345";
    a.update(outlook(ConsentView::Pending, Some(footer), None));
    let s = render(&mut a, 120, 30);
    assert!(s.contains("Einwilligung ausstehend"), "{s}");
    // Writing a reply: exactly what will go out, footer included, before sending.
    for step in parse_macro("rBis morgen").unwrap() {
        if let MacroStep::Key(k) = step {
            a.update(Msg::Key(k));
        }
    }
    let s = render(&mut a, 120, 30);
    assert!(s.contains("Bis morgen"), "{s}");
    assert!(s.contains("wird mit diesen Pflichtangaben gesendet"), "{s}");
    assert!(s.contains("Register: HRB 12345"), "{s}");
    // A note never carries a footer, so none is shown there.
    let mut n = app(Lang::De, "Max Mustermann", sample());
    n.update(outlook(ConsentView::Pending, Some(footer), None));
    for step in parse_macro("mintern").unwrap() {
        if let MacroStep::Key(k) = step {
            n.update(Msg::Key(k));
        }
    }
    let s = render(&mut n, 120, 30);
    assert!(!s.contains("HRB 12345"), "{s}");
    // Withdrawn and blocked: said in the header and in the composer.
    let mut b = app(Lang::En, "Max Mustermann", sample());
    b.update(outlook(
        ConsentView::Withdrawn,
        None,
        Some("the contact withdrew consent"),
    ));
    for step in parse_macro("r").unwrap() {
        if let MacroStep::Key(k) = step {
            b.update(Msg::Key(k));
        }
    }
    let s = render(&mut b, 120, 30);
    assert!(s.contains("consent withdrawn"), "{s}");
    assert!(s.contains("⛔ the contact withdrew consent"), "{s}");
}

#[test]
fn r_d5_p_shows_what_tresen_stores_about_me() {
    let mut a = app(Lang::De, "Max Mustermann", sample());
    a.cfg.staff_info =
        tresen::compliance::staff::what_is_stored("Anna Schmidt", &[], &Default::default(), true);
    for step in parse_macro("P").unwrap() {
        if let MacroStep::Key(k) = step {
            a.update(Msg::Key(k));
        }
    }
    let s = render(&mut a, 100, 36);
    assert!(s.contains("Über mich gespeichert"), "{s}");
    assert!(s.contains("Was tresen über Anna Schmidt speichert"), "{s}");
    assert!(s.contains("Nicht gespeichert: Anwesenheit"), "{s}");
    for step in parse_macro("<esc>").unwrap() {
        if let MacroStep::Key(k) = step {
            a.update(Msg::Key(k));
        }
    }
    assert!(!render(&mut a, 100, 30).contains("Über mich gespeichert"));
}

/// Issue 14, item 1: a message that may have reached the customer before tresen stopped
/// is not shown as "not sent": it says the delivery is unclear, why, and that R sends
/// it again after checking. Staff's own language, also for the reason.
#[test]
fn an_unclear_delivery_says_so_and_how_to_act() {
    for (lang, mark, why) in [
        (
            Lang::De,
            "? Zustellung unklar (R: nach Rückfrage erneut senden)",
            "Grund: Zustellung unklar: tresen wurde beim Senden beendet",
        ),
        (
            Lang::En,
            "? delivery unclear (R: send again after checking)",
            "Why: delivery unclear: tresen stopped while sending",
        ),
    ] {
        let mut m = msg(
            7,
            MessageKind::Chat,
            Direction::Outbound,
            "Angebot anbei",
            1,
        );
        m.delivery = Delivery::Unclear;
        m.failure = Some(tresen::domain::FAILURE_UNCLEAR.into());
        let mut a = app(lang, "Max Mustermann", vec![m]);
        let screen = render(&mut a, 120, 30);
        assert!(screen.contains(mark), "{screen}");
        assert!(screen.contains(why), "{screen}");
        assert!(
            !screen.contains("NICHT gesendet") && !screen.contains("NOT sent"),
            "{screen}"
        );
    }
}

/// R-F1: a staff member who has not accepted the usage policy in force sees it before
/// anything else; no inbox key gets past it, Esc does not close it; `a` asks for the
/// acceptance to be archived and the inbox opens once it is; `P` then names the
/// version.
#[test]
fn r_f1_the_usage_policy_blocks_the_inbox_until_it_is_accepted() {
    use tresen::app::{Command, Effect, Overlay};
    use tresen::compliance::policy::{Accepted, Policy, PolicyStatus};
    let text =
        "# Nutzungsrichtlinie Messenger\n\n1. Nur geschäftlich.\n2. Kein Adressbuch-Abgleich.\n";
    let policy = Policy::of(text);
    let mut cfg = AppConfig::from_config(&Config::default(), false);
    cfg.lang = Lang::De;
    cfg.policy = Some(PolicyStatus {
        policy: policy.clone(),
        // An earlier version was accepted: this one must be, again.
        accepted: Some(Accepted {
            version: "u-000000000001".into(),
            at: NOW,
        }),
    });
    let mut app = App::new(cfg, NOW);
    app.update(Msg::Loaded(Loaded::Inbox(vec![conversation(
        "Max Mustermann",
        "Heizung tropft",
    )])));
    assert!(matches!(app.overlay, Some(Overlay::Policy { .. })));
    let screen = render(&mut app, 100, 20);
    assert!(
        screen.contains("Nutzungsrichtlinie Messenger, Version u-"),
        "{screen}"
    );
    assert!(screen.contains("1. Nur geschäftlich."), "{screen}");
    assert!(
        screen.contains("seit Sie Version u-000000000001 angenommen haben"),
        "{screen}"
    );
    assert!(screen.contains("a annehmen · q beenden"), "{screen}");
    assert!(
        !screen.contains("Heizung tropft"),
        "the inbox stays hidden: {screen}"
    );
    // Inbox keys, Esc and the help do nothing here.
    assert!(press(&mut app, "<esc><enter>jP?").is_empty());
    assert!(matches!(app.overlay, Some(Overlay::Policy { .. })));
    assert!(app.open.is_none());
    // `a` asks for the acceptance; the inbox opens only once it is archived.
    let effects = press(&mut app, "a");
    assert_eq!(
        effects,
        vec![Effect::Command(Command::AcceptPolicy {
            version: policy.version.clone()
        })]
    );
    assert!(matches!(app.overlay, Some(Overlay::Policy { .. })));
    app.update(Msg::PolicyAccepted(policy.version.clone()));
    assert!(app.overlay.is_none());
    let screen = render(&mut app, 100, 20);
    assert!(screen.contains("Max Muster"), "{screen}");
    press(&mut app, "P");
    let screen = render(&mut app, 100, 30);
    assert!(
        screen.contains(&format!(
            "Nutzungsrichtlinie: Version {} angenommen am",
            policy.version
        )),
        "{screen}"
    );
}

// R-E1, R-A4: a reply written from the shipped "Widerrufsbelehrung" quick reply says
// what it goes out as, asks for the outlook of a message with that tag, and is sent with
// the tag (which `tresen order accept` waits for); the next reply is plain again.
#[test]
fn r_e1_a_tagged_quick_reply_is_sent_with_its_tag_and_says_so() {
    use tresen::app::{Command, Effect, Query};
    use tresen::compliance::ConsentView;
    let mut a = app(Lang::De, "Max Mustermann", sample());
    a.update(outlook(ConsentView::Granted, None, None));
    let at = a
        .cfg
        .quick_replies
        .iter()
        .position(|q| q.name == "Widerrufsbelehrung")
        .expect("tresen brings the Widerrufsbelehrung along");
    let e = press(&mut a, &format!("Q{}<enter>", "<down>".repeat(at)));
    let tagged = Effect::Load(Query::OutlookTagged {
        conversation: ConversationId(1),
        tags: vec!["widerrufsbelehrung".into()],
        vordruck: false,
    });
    assert!(e.contains(&tagged), "{e:?}");
    assert!(a.composer.text().starts_with("Widerrufsbelehrung"));
    let s = render(&mut a, 120, 40);
    assert!(s.contains("🏷 gesendet als widerrufsbelehrung"), "{s}");
    let e = press(&mut a, "<enter>");
    match e
        .iter()
        .find(|e| matches!(e, Effect::Command(Command::Send { .. })))
    {
        Some(Effect::Command(Command::Send { tags, body, .. })) => {
            assert_eq!(tags, &vec!["widerrufsbelehrung".to_string()]);
            assert!(body.contains("Muster-Widerrufsformular"));
        }
        other => panic!("no send: {other:?} in {e:?}"),
    }
    let e = press(&mut a, "rDanke<enter>");
    match e
        .iter()
        .find(|e| matches!(e, Effect::Command(Command::Send { .. })))
    {
        Some(Effect::Command(Command::Send { tags, .. })) => assert!(tags.is_empty()),
        other => panic!("no send: {other:?}"),
    }
    assert!(!render(&mut a, 120, 40).contains("gesendet als"));
}

// R-E1: a reply from a tagged quick reply that is put aside keeps its tags when its
// conversation is opened again; it cannot be scheduled (it would go out untagged); and
// once its text is cleared the tags go too.
#[test]
fn r_e1_a_tagged_reply_put_aside_keeps_its_tags_and_an_emptied_one_loses_them() {
    use tresen::app::{Effect, Query};
    let mut a = app(Lang::De, "Max Mustermann", sample());
    let mut other = conversation("Erika Muster", "Termin?");
    other.id = ConversationId(2);
    a.update(Msg::Loaded(Loaded::Inbox(vec![
        conversation("Max Mustermann", "Heizung tropft"),
        other,
    ])));
    let at = a
        .cfg
        .quick_replies
        .iter()
        .position(|q| q.name == "Widerrufsbelehrung")
        .unwrap();
    press(&mut a, &format!("Q{}<enter>", "<down>".repeat(at)));
    let tags = (vec!["widerrufsbelehrung".to_string()], false);
    assert_eq!(a.compose_tags, tags);
    // Ctrl-T (send later) is refused, saying why; the text stays.
    assert!(press(&mut a, "<c-t>").is_empty());
    assert!(
        a.flash.as_deref().unwrap_or("").contains("nicht planen"),
        "{:?}",
        a.flash
    );
    assert!(a.composer.text().starts_with("Widerrufsbelehrung"));
    // To the other conversation and back: the draft comes back with its tags.
    press(&mut a, "<esc><esc>j<enter>");
    assert_eq!(a.open.as_ref().map(|o| o.id), Some(ConversationId(2)));
    assert_eq!(a.compose_tags, (Vec::new(), false));
    press(&mut a, "<esc>k<enter>");
    assert_eq!(a.open.as_ref().map(|o| o.id), Some(ConversationId(1)));
    assert_eq!(a.compose_tags, tags);
    press(&mut a, "r");
    let s = render(&mut a, 120, 40);
    assert!(s.contains("🏷 gesendet als widerrufsbelehrung"), "{s}");
    // Emptied: no tags, and the outlook is asked for without them.
    let n = a.composer.text().chars().count();
    let e = press(&mut a, &"<c-w>".repeat(n));
    assert_eq!(a.composer.text(), "");
    assert_eq!(a.compose_tags, (Vec::new(), false));
    assert!(
        e.contains(&Effect::Load(Query::Outlook(ConversationId(1)))),
        "{e:?}"
    );
}

/// Issue 19, item 3: counts take the noun's number — "1 Unterhaltung", not
/// "1 Unterhaltungen" (and "1 conversation" in English).
#[test]
fn the_header_counts_in_the_right_number() {
    let mut de = app(Lang::De, "Max Mustermann", sample());
    let s = render(&mut de, 120, 30);
    assert!(s.contains("1 Unterhaltung "), "{s}");
    assert!(!s.contains("1 Unterhaltungen"), "{s}");
    let mut en = app(Lang::En, "Max Mustermann", sample());
    let s = render(&mut en, 120, 30);
    assert!(s.contains("1 conversation "), "{s}");
}

/// Issue 19, item 9: a demo account without company data sends without Pflichtangaben,
/// and the composer says so instead of showing nothing.
#[test]
fn the_composer_says_when_an_account_sends_without_pflichtangaben() {
    let mut a = app(Lang::De, "Max Mustermann", sample());
    a.update(Msg::Loaded(Loaded::Outlook(
        ConversationId(1),
        Some(tresen::compliance::Outlook {
            consent: tresen::compliance::ConsentView::NotRequired,
            footer: None,
            blocked: None,
            exempt: true,
        }),
    )));
    for step in parse_macro("rHallo").unwrap() {
        if let MacroStep::Key(k) = step {
            a.update(Msg::Key(k));
        }
    }
    let s = render(&mut a, 120, 30);
    assert!(s.contains("ohne Pflichtangaben: Demo-Konto"), "{s}");
}

/// Issue 19, item 7: the status bar does not say "GESCHÄFTLICH  Geschäftlich"; a
/// profile named otherwise keeps its name.
#[test]
fn the_status_bar_names_the_profile_once() {
    let mut a = app(Lang::De, "Max Mustermann", sample());
    let s = render(&mut a, 120, 30);
    assert!(s.contains("GESCHÄFTLICH"), "{s}");
    assert!(!s.contains("Geschäftlich"), "{s}");
    a.cfg.profile_name = "Filiale Nord".into();
    assert!(render(&mut a, 120, 30).contains("GESCHÄFTLICH  Filiale Nord"));
}

/// The composer's rows as the screen shows them: the pane right of the list, from the
/// row under the composer's title to its bottom border.
fn composer_rows(screen: &str, pane_x: usize) -> Vec<String> {
    let pane: Vec<String> = screen
        .lines()
        .map(|l| l.chars().skip(pane_x).collect())
        .collect();
    let title = pane
        .iter()
        .rposition(|l| l.contains("Antwort ·"))
        .expect("the composer is open");
    pane[title + 1..]
        .iter()
        .take_while(|l| !l.starts_with('─'))
        .cloned()
        .collect()
}

// What the composer shows is what is sent: a long reply with a link wraps at the pane's
// width instead of scrolling sideways, and every character of the body is on screen.
#[test]
fn the_composer_wraps_and_shows_every_character_that_is_sent() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use tresen::app::{Command, Effect};
    let mut a = app(Lang::De, "Max Mustermann", sample());
    press(&mut a, "r");
    let body = "Guten Tag Herr Mustermann, der Monteur kommt am Montag zwischen 8 und 10 \
                Uhr. Bitte halten Sie die Zufahrt frei, Details hier: \
                https://example.com/t/2026-12-07?kunde=4711&a=1\n\
                Mit freundlichen Grüßen";
    for c in body.chars() {
        let k = if c == '\n' {
            KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT)
        } else {
            KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
        };
        a.update(Msg::Key(k));
    }
    assert_eq!(a.composer.text(), body);
    let screen = render(&mut a, 100, 40);
    let pane_x = usize::from(tresen::app::list_width(100)) + 1;
    let rows = composer_rows(&screen, pane_x);
    let width = 100 - pane_x;
    assert!(rows.len() >= 5, "wrapped into several rows: {rows:#?}");
    for r in &rows {
        assert!(r.chars().count() <= width, "{r}");
    }
    // The rows, joined, hold the body's characters in order (spaces at the breaks aside).
    let on_screen: String = rows.concat().split_whitespace().collect();
    let sent_text: String = body.split_whitespace().collect();
    assert!(
        on_screen.starts_with(&sent_text),
        "shown:\n{}\nbody: {body}",
        rows.join("\n")
    );
    // The link is kept whole on its own row when it fits.
    assert!(
        rows.iter()
            .any(|r| r.contains("https://example.com/t/2026-12-07?kunde=4711&a=1")),
        "{rows:#?}"
    );
    let e = press(&mut a, "<enter>");
    match e
        .iter()
        .find(|e| matches!(e, Effect::Command(Command::Send { .. })))
    {
        Some(Effect::Command(Command::Send { body: sent, .. })) => assert_eq!(sent, body),
        other => panic!("no send: {other:?} in {e:?}"),
    }
}

// Up and down move through the wrapped rows; Ctrl+Z takes typing back a word at a time;
// Ctrl+← jumps a word.
#[test]
fn the_composer_moves_by_row_and_word_and_undoes() {
    let mut a = app(Lang::De, "Max Mustermann", sample());
    render(&mut a, 100, 40);
    press(&mut a, "r");
    let long = "wort ".repeat(30);
    press(&mut a, &long);
    press(&mut a, "<up>X");
    let text = a.composer.text().to_string();
    let at = text.find('X').expect("typed");
    let width = usize::from(a.conversation_width());
    assert!(
        (width - 10..=width + 5).contains(&(text.len() - at)),
        "one row up from the end is about one row's width back: {at} of {}",
        text.len()
    );
    press(&mut a, "<c-z>");
    assert_eq!(a.composer.text(), long);
    press(&mut a, "<end><c-left><c-left>Y");
    assert!(
        a.composer.text().ends_with("Ywort wort "),
        "{}",
        a.composer.text()
    );
}

// Issue 19 (7): a narrow conversation pane wraps its header instead of cutting off the
// consent and the labels; a wide terminal gives the list's preview more room.
#[test]
fn the_header_wraps_and_the_list_grows_with_the_window() {
    use tresen::compliance::ConsentView;
    let mut a = app(Lang::De, "Maximilian Mustermann-Schulze", sample());
    a.update(outlook(ConsentView::Granted, None, None));
    let s = render(&mut a, 90, 30);
    let pane_x = usize::from(tresen::app::list_width(90)) + 1;
    let pane: String = s
        .lines()
        .take(6)
        .map(|l| l.chars().skip(pane_x).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(pane.contains("#notdienst"), "{s}");
    assert!(pane.contains("Einwilligung"), "{s}");
    // The preview column at 250 columns holds far more than at 100.
    let preview_cols = |w: u16| {
        let mut a = app(Lang::De, "Max", sample());
        press(&mut a, "<esc>");
        a.update(Msg::Loaded(Loaded::Inbox(vec![conversation(
            "Max",
            &"Heizung tropft seit heute morgen im Keller ".repeat(5),
        )])));
        let s = render(&mut a, w, 20);
        let row = s
            .lines()
            .find(|l| l.contains("Heizung"))
            .unwrap()
            .to_string();
        row.matches("Keller").count()
    };
    assert_eq!(preview_cols(100), 0);
    assert!(preview_cols(250) > 0, "the list grows");
}

// Issue 19 (8): a reply sent quoting a message says what it answers in the timeline.
#[test]
fn a_quoted_reply_shows_what_it_answers() {
    let question = msg(
        1,
        MessageKind::Chat,
        Direction::Inbound,
        "Kommt der Monteur morgen?",
        30,
    );
    let mut answer = msg(
        2,
        MessageKind::Chat,
        Direction::Outbound,
        "Ja, gegen 10 Uhr.",
        20,
    );
    answer.quote = Some(MessageId(1));
    let mut a = app(Lang::De, "Max", vec![question, answer]);
    let s = render(&mut a, 120, 30);
    assert!(
        s.contains("↪ Antwort auf „Kommt der Monteur morgen?“"),
        "{s}"
    );
    let above = s.find("↪ Antwort auf").unwrap();
    assert!(
        above < s.find("Ja, gegen 10 Uhr.").unwrap(),
        "the quote comes first"
    );
}

fn colours(app: &mut App, w: u16, h: u16) -> Vec<ratatui::style::Color> {
    draw(app, w, h)
        .content
        .iter()
        .flat_map(|c| [c.fg, c.bg])
        .filter(|c| *c != ratatui::style::Color::Reset)
        .collect()
}

// Issue 19 (10): `theme = "mono"` (and NO_COLOR) draws without colours, the selection in
// reverse video; the dark theme uses light blue for our own names, readable on dark
// palettes; the light theme no yellow text.
#[test]
fn themes_dark_light_and_mono() {
    use ratatui::style::Color;
    use tresen::app::Palette;
    let mut a = app(Lang::De, "Max", sample());
    let dark = colours(&mut a, 120, 30);
    assert!(dark.contains(&Color::LightBlue), "our names in light blue");
    assert!(!dark.contains(&Color::Blue));
    a.cfg.theme = Palette::Light;
    let yellow_text = draw(&mut a, 120, 30)
        .content
        .iter()
        .filter(|c| c.fg == Color::Yellow)
        .count();
    assert_eq!(yellow_text, 0, "no yellow text on a light background");
    a.cfg.theme = Palette::Mono;
    assert_eq!(colours(&mut a, 120, 30), vec![], "no colour at all");
    let s = render(&mut a, 120, 30);
    assert!(s.contains("Max"), "the content is all there: {s}");
}

/// Every screen and pop-up the keys reach from the conversation list and an open
/// conversation, drawn at two sizes.
fn every_screen(lang: Lang, messages: &dyn Fn() -> Vec<Message>) -> Vec<(String, String)> {
    use tresen::compliance::ConsentView;
    let macros = [
        "",
        "<esc>",
        "<esc>s",
        "<esc>N",
        "<esc>U",
        "<esc>W",
        "<esc>I",
        "<esc>L",
        "<esc>x",
        "r",
        "m",
        "rText<c-o>",
        "rText<c-t>",
        "?",
        "?G",
        "/",
        "f",
        "t",
        "<esc>T",
        "Q",
        "z",
        "w",
        "a",
        "P",
        "PG",
        "+",
        "S",
        "O",
        "K",
        "A",
        "d",
        "u",
        "o",
        ">",
        "X",
        "R",
        "<esc>q",
    ];
    let mut out = Vec::new();
    for m in macros {
        for (w, h) in [(140, 45), (90, 30)] {
            let mut a = app(lang, "Max", messages());
            a.update(outlook(
                ConsentView::Granted,
                Some("Heizung Muster GmbH"),
                None,
            ));
            press(&mut a, m);
            out.push((format!("{m:?} at {w}x{h}"), render(&mut a, w, h)));
        }
    }
    // The help in full, whatever fits on screen.
    let a = app(lang, "Max", messages());
    out.push(("help".into(), tresen::ui::help_lines(&a).join("\n")));
    out
}

/// Whole words from `words` found in `text`.
fn words_in<'a>(text: &str, words: &[&'a str]) -> Vec<&'a str> {
    let found: std::collections::BTreeSet<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words
        .iter()
        .copied()
        .filter(|w| found.contains(w))
        .collect()
}

// Issue 19 (3): under German no English word on any screen or pop-up; under English no
// German one (the customers' own words aside: the English run has English content).
#[test]
fn every_screen_speaks_one_language() {
    const ENGLISH: &[&str] = &[
        "the",
        "and",
        "with",
        "without",
        "for",
        "from",
        "Reply",
        "reply",
        "Send",
        "send",
        "Cancel",
        "cancel",
        "Open",
        "open",
        "Done",
        "done",
        "Waiting",
        "waiting",
        "Unread",
        "unread",
        "Search",
        "search",
        "Draft",
        "draft",
        "Note",
        "note",
        "Net",
        "now",
        "Customer",
        "customer",
        "message",
        "messages",
        "conversation",
        "Conversation",
        "conversations",
        "loading",
        "Enter",
        "Ctrl",
        "Home",
        "End",
        "PgDn",
        "PgUp",
        "Backspace",
        "Delete",
        "Space",
        "Shift",
        "press",
        "key",
        "keys",
        "Quit",
        "quit",
        "snoozed",
        "Snooze",
        "Attachments",
        "attachments",
        "Filter:",
        "all",
        "none",
        "Labels:",
        "Consent",
        "consent",
        "footer",
        "sent",
        "Sent",
        "read",
        "Read",
        "failed",
        "edited",
        "deleted",
        "Help",
        "help",
        "back",
        "Back",
        "Next",
        "Previous",
        "minutes",
        "days",
        "today",
        "tomorrow",
        "yesterday",
        "Unknown",
        "unknown",
        "Yes",
        "No",
    ];
    const GERMAN: &[&str] = &[
        "und",
        "der",
        "die",
        "das",
        "nicht",
        "mit",
        "ohne",
        "für",
        "Antwort",
        "antworten",
        "senden",
        "Abbrechen",
        "Unterhaltung",
        "Unterhaltungen",
        "Nachricht",
        "Nachrichten",
        "Entwurf",
        "Notiz",
        "offen",
        "erledigt",
        "ungelesen",
        "Suche",
        "Strg",
        "Eingabe",
        "zurück",
        "Kunde",
        "Kundschaft",
        "Einwilligung",
        "Fußzeile",
        "gesendet",
        "gelesen",
        "heute",
        "morgen",
        "gestern",
        "Stunden",
        "Tage",
        "Netz",
        "Hilfe",
        "Anhänge",
        "Bild",
        "Pos1",
        "Ende",
        "Entf",
        "Leertaste",
        "Rücktaste",
        "Zurückstellen",
        "Beenden",
        "wartet",
        "Wir",
        "Tasten",
    ];
    // A failure reason is the network's own text (signal-cli's English); the German
    // run has a German one, as tresen's own reasons are.
    let german_content = || {
        let mut m = sample();
        for x in &mut m {
            if x.failure.is_some() {
                x.failure = Some("Sicherheitsnummer geändert".into());
            }
        }
        m
    };
    let english_content = || {
        let mut m = sample();
        for (i, x) in m.iter_mut().enumerate() {
            x.body = format!("Customer text number {i}");
            x.edit = None;
        }
        m
    };
    let mut problems = Vec::new();
    for (name, screen) in every_screen(Lang::De, &german_content) {
        let bad = words_in(&screen, ENGLISH);
        if !bad.is_empty() {
            problems.push(format!("de {name}: {bad:?}\n{screen}"));
        }
    }
    for (name, screen) in every_screen(Lang::En, &english_content) {
        // The firm's canned responses are its own German texts (the shipped
        // Widerrufsbelehrung among them): content, not interface.
        if name.starts_with("\"Q\"") {
            continue;
        }
        let bad = words_in(&screen, GERMAN);
        if !bad.is_empty() {
            problems.push(format!("en {name}: {bad:?}\n{screen}"));
        }
    }
    if std::env::var_os("TRESEN_DUMP_SCREENS").is_some() {
        for (name, screen) in every_screen(Lang::De, &german_content) {
            eprintln!("{name}\n{screen}");
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

// Issue 19 (10): links in a message are underlined (what `b` opens), the words around
// them are not.
#[test]
fn links_in_messages_are_underlined() {
    use ratatui::style::Modifier;
    let m = msg(
        1,
        MessageKind::Chat,
        Direction::Inbound,
        "Foto hier: https://bilder.example/1.jpg danke",
        5,
    );
    let mut a = app(Lang::De, "Max", vec![m]);
    let buf = draw(&mut a, 120, 30);
    let (w, h) = (buf.area.width, buf.area.height);
    let at = (0..h)
        .find_map(|y| {
            let row: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
            row.find("https://bilder")
                .map(|i| (row[..i].chars().count() as u16, y))
        })
        .expect("the link is on screen");
    assert!(buf[at].modifier.contains(Modifier::UNDERLINED));
    // "danke" after the link, and "Foto" before it, are plain.
    assert!(
        !buf[(at.0 + 30, at.1)]
            .modifier
            .contains(Modifier::UNDERLINED)
    );
    assert!(
        !buf[(at.0 - 5, at.1)]
            .modifier
            .contains(Modifier::UNDERLINED)
    );
}

/// A photo of `w` × `h` pixels, red above and blue below, as PNG.
fn red_over_blue(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |_, y| {
        if y < h / 2 {
            image::Rgb([220, 0, 0])
        } else {
            image::Rgb([0, 0, 220])
        }
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png
}

fn file(name: &str, mime: &str, here: bool) -> Attachment {
    Attachment {
        name: name.into(),
        mime: mime.into(),
        size: 2_000,
        source: None,
        blob: here.then(|| tresen::domain::BlobId(format!("blob-{name}"))),
    }
}

/// Issue 19, item 10: photos show in the conversation, under their file line, over SSH
/// too (half blocks need nothing but colour); only files that are here are asked for.
#[test]
fn a_photo_is_previewed_under_its_file_line_when_it_fits() {
    let mut a = app(Lang::De, "Max Mustermann", vec![]);
    draw(&mut a, 120, 40);
    let mut photo = msg(
        10,
        MessageKind::Chat,
        Direction::Inbound,
        "So sieht es aus",
        5,
    );
    photo.attachments = vec![
        file("heizung.png", "image/png", true),
        file("angebot.pdf", "application/pdf", true),
    ];
    let mut later = msg(11, MessageKind::Chat, Direction::Inbound, "noch eins", 1);
    later.attachments = vec![file("zwei.jpg", "image/jpeg", false)];
    let load = |a: &mut App| {
        a.update(Msg::Loaded(Loaded::Conversation {
            id: ConversationId(1),
            messages: vec![photo.clone(), later.clone()],
            older: false,
            limit: 200,
            focus: None,
        }))
    };
    let asked: Vec<(MessageId, usize, u16)> = load(&mut a)
        .into_iter()
        .filter_map(|e| match e {
            tresen::app::Effect::LoadPhoto {
                message,
                index,
                cols,
                ..
            } => Some((message, index, cols)),
            _ => None,
        })
        .collect();
    // Not the PDF, not the photo still on the network.
    assert_eq!(asked.len(), 1, "{asked:?}");
    let (message, index, cols) = asked[0];
    assert_eq!((message, index), (MessageId(10), 0));
    assert!(load(&mut a).is_empty(), "asked for once");

    let picker = tresen::preview::picker(tresen::preview::PhotoMode::Halfblocks).unwrap();
    let prepared =
        tresen::preview::Photo::prepare(&picker, &red_over_blue(200, 100), cols, 12).unwrap();
    let (pw, ph) = (prepared.cols, prepared.rows);
    a.update(Msg::PhotoReady {
        message,
        index,
        photo: Ok(prepared),
    });
    let buf = draw(&mut a, 120, 40);
    let screen = render(&mut a, 120, 40);
    let file_row = screen
        .lines()
        .position(|l| l.contains("📎 heizung.png"))
        .expect("file line") as u16;
    let x0 = screen
        .lines()
        .nth(file_row as usize)
        .unwrap()
        .find("📎")
        .unwrap();
    let x0 = screen.lines().nth(file_row as usize).unwrap()[..x0]
        .chars()
        .count() as u16;
    let photo_cells: Vec<(u16, u16)> = (0..40)
        .flat_map(|y| (0..120).map(move |x| (x, y)))
        .filter(|&(x, y)| matches!(buf[(x, y)].fg, ratatui::style::Color::Rgb(..)))
        .collect();
    assert_eq!(photo_cells.len(), usize::from(pw) * usize::from(ph));
    let top = photo_cells.iter().map(|c| c.1).min().unwrap();
    let left = photo_cells.iter().map(|c| c.0).min().unwrap();
    assert_eq!(top, file_row + 1, "right under its file line\n{screen}");
    assert_eq!(left, x0, "indented like the message\n{screen}");
    let ratatui::style::Color::Rgb(r, _, b) = buf[(left, top)].fg else {
        unreachable!()
    };
    assert!(r > 150 && b < 60, "red on top");
    // The PDF's line comes after the photo's rows, nothing is drawn over.
    let pdf_row = screen
        .lines()
        .position(|l| l.contains("📎 angebot.pdf"))
        .unwrap();
    assert_eq!(pdf_row as u16, top + ph, "\n{screen}");

    // A window too low for the whole photo shows none of it, never a part.
    let buf = draw(&mut a, 120, 8 + ph / 2);
    assert!(
        !buf.content
            .iter()
            .any(|c| matches!(c.fg, ratatui::style::Color::Rgb(..))),
        "a cut photo was drawn"
    );
}

#[test]
fn no_photo_previews_when_they_are_off() {
    let mut config = Config::default();
    config.ui.photos = tresen::preview::PhotoMode::Off;
    let mut a = App::new(AppConfig::from_config(&config, false), NOW);
    a.update(Msg::Loaded(Loaded::Inbox(vec![conversation(
        "Max", "Foto",
    )])));
    press(&mut a, "<enter>");
    let mut photo = msg(10, MessageKind::Chat, Direction::Inbound, "Foto", 5);
    photo.attachments = vec![file("heizung.png", "image/png", true)];
    let effects = a.update(Msg::Loaded(Loaded::Conversation {
        id: ConversationId(1),
        messages: vec![photo],
        older: false,
        limit: 200,
        focus: None,
    }));
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, tresen::app::Effect::LoadPhoto { .. })),
        "{effects:?}"
    );
}
