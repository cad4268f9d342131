//! Key-driven tests of the app state machine: keys in, state and effects out. No runtime.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tresen::app::i18n::Lang;
use tresen::app::{
    App, AppConfig, Command, ComposeMode, Effect, Focus, Loaded, Msg, Overlay, Query,
};
use tresen::config::{Config, QuickReply};
use tresen::domain::LocalChange;
use tresen::domain::{
    AccountId, Channel, Contact, Conversation, ConversationId, ConversationKind, SearchHit,
    Timestamp, TriageState,
};
use tresen::tui::keys::{MacroStep, parse_macro};

const NOW: Timestamp = Timestamp(1_764_000_000_000);

fn conv(id: i64, title: &str, channel: Channel, unread: u32, state: TriageState) -> Conversation {
    Conversation {
        id: ConversationId(id),
        account: AccountId("acc".into()),
        remote_id: format!("r{id}"),
        kind: ConversationKind::Direct,
        channel,
        title: title.into(),
        contact: Some(Contact {
            identity: format!("+49 170 000{id}"),
            display_name: title.into(),
            phone: None,
        }),
        state,
        labels: if id == 2 {
            vec!["angebot".into()]
        } else {
            vec![]
        },
        unread,
        marked_unread: false,
        last_activity: Timestamp(NOW.0 - id * 60_000),
        last_preview: format!("Nachricht {id}"),
        draft: (id == 4).then(|| "gespeicherter Entwurf".to_string()),
        security: Default::default(),
        assigned: None,
        urgent: false,
        waiting_since: None,
    }
}

/// A stored message of conversation 1.
fn message(
    id: i64,
    dir: tresen::domain::Direction,
    remote: Option<&str>,
    body: &str,
    delivery: tresen::domain::Delivery,
) -> tresen::domain::Message {
    tresen::domain::Message {
        id: tresen::domain::MessageId(id),
        conversation: ConversationId(1),
        remote_id: remote.map(str::to_string),
        kind: tresen::domain::MessageKind::Chat,
        direction: dir,
        sender: String::new(),
        body: body.into(),
        attachments: vec![],
        sent_at: NOW,
        received_at: NOW,
        delivery,
        edit: None,
        deleted_at: None,
        failure: None,
        reactions: vec![],
        elsewhere: false,
        sensitive: None,
        quote: None,
    }
}

fn app() -> App {
    let mut cfg = AppConfig::from_config(&Config::default(), false);
    cfg.lang = Lang::De;
    cfg.staff_name = "Anna".into();
    cfg.quick_replies = vec![QuickReply {
        name: "Termin".into(),
        text: "Hallo {kunde}, bis {datum}. {mitarbeiter}".into(),
        tags: vec![],
        vordruck: false,
    }];
    let mut app = App::new(cfg, NOW);
    app.update(Msg::Resize {
        width: 120,
        height: 40,
    });
    app.update(Msg::Loaded(Loaded::Inbox(vec![
        conv(1, "Max Mustermann", Channel::Whatsapp, 2, TriageState::Open),
        conv(2, "Erika Schäfer", Channel::Signal, 0, TriageState::Waiting),
        conv(
            3,
            "Bau Lindenstraße",
            Channel::Telegram,
            0,
            TriageState::Done,
        ),
        conv(4, "Jens Köhler", Channel::Matrix, 1, TriageState::Open),
    ])));
    app
}

/// Feeds a key macro; returns every effect produced.
fn keys(app: &mut App, m: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    for step in parse_macro(m).unwrap() {
        if let MacroStep::Key(k) = step {
            out.extend(app.update(Msg::Key(k)));
        }
    }
    out
}

fn selected_title(app: &App) -> String {
    app.selected_conversation().unwrap().title.clone()
}

#[test]
fn inbox_hides_done_by_default_and_moves_with_vim_and_arrows() {
    let mut a = app();
    assert_eq!(a.visible.len(), 3, "done is not in the inbox view");
    assert_eq!(selected_title(&a), "Max Mustermann");
    keys(&mut a, "j");
    assert_eq!(selected_title(&a), "Erika Schäfer");
    keys(&mut a, "<down>");
    assert_eq!(selected_title(&a), "Jens Köhler");
    keys(&mut a, "j");
    assert_eq!(selected_title(&a), "Jens Köhler", "stays at the end");
    keys(&mut a, "g");
    assert_eq!(selected_title(&a), "Max Mustermann");
    keys(&mut a, "G<up>k");
    assert_eq!(selected_title(&a), "Max Mustermann");
}

#[test]
fn opening_loads_history_and_marks_viewed() {
    let mut a = app();
    let e = keys(&mut a, "j<enter>");
    assert_eq!(a.focus, Focus::Conversation);
    assert!(e.contains(&Effect::Load(Query::Conversation {
        id: ConversationId(2),
        before: None,
        limit: 200,
        focus: None
    })));
    assert!(e.contains(&Effect::Command(Command::Viewed(ConversationId(2)))));
    keys(&mut a, "<esc>");
    assert_eq!(a.focus, Focus::Inbox);
}

#[test]
fn reply_sends_and_never_sends_a_note() {
    let mut a = app();
    keys(&mut a, "r");
    assert_eq!(a.focus, Focus::Composer);
    // Typed letters are text in the composer, not commands (q would quit in the list).
    let e = keys(&mut a, "qjk Hallo<a-enter>Zeile 2<enter>");
    assert!(!a.quit);
    assert_eq!(
        e.last(),
        Some(&Effect::Command(Command::Send {
            conversation: ConversationId(1),
            body: "qjk Hallo\nZeile 2".into(),
            files: vec![],
            reply_to: None,
            retry: false,
            tags: vec![],
            vordruck: false,
        }))
    );
    assert!(a.composer.is_empty());

    let e = keys(&mut a, "mnur intern<enter>");
    match e.last() {
        Some(Effect::Command(Command::Local(LocalChange::AddNote { body, author, .. }))) => {
            assert_eq!(body, "nur intern");
            assert_eq!(author, "Anna");
        }
        other => panic!("expected a note, got {other:?}"),
    }
    assert_eq!(a.compose_mode, ComposeMode::Reply);
}

/// Issue 19, item 6: `/` starts a new query instead of appending to the last one;
/// Ctrl-U clears the line so far and Ctrl-A goes to its start, in the composer too.
#[test]
fn input_fields_start_empty_and_know_ctrl_u_and_ctrl_a() {
    let mut a = app();
    keys(&mut a, "/heizung<enter>");
    keys(&mut a, "<esc>/");
    match &a.overlay {
        Some(Overlay::SearchPrompt { input }) => assert_eq!(input.text(), ""),
        other => panic!("{other:?}"),
    }
    keys(&mut a, "kessel<c-u>therme");
    match &a.overlay {
        Some(Overlay::SearchPrompt { input }) => assert_eq!(input.text(), "therme"),
        other => panic!("{other:?}"),
    }
    keys(&mut a, "<esc><esc>rWelt<c-a>Hallo ");
    assert_eq!(a.composer.text(), "Hallo Welt");
}

/// Issue 19, item 2: a pasted address arrives with CR line breaks (bracketed paste) or
/// CRLF; it is sent with LF, as the composer shows it. Pasted into the search field it
/// becomes one line.
#[test]
fn pasted_line_breaks_are_sent_as_the_composer_shows_them() {
    let mut a = app();
    keys(&mut a, "r");
    a.update(Msg::Pasted(
        "Adresse:\rHauptstr. 5\r\n86150 Augsburg".into(),
    ));
    assert_eq!(a.composer.text(), "Adresse:\nHauptstr. 5\n86150 Augsburg");
    match keys(&mut a, "<enter>").last() {
        Some(Effect::Command(Command::Send { body, .. })) => {
            assert_eq!(body, "Adresse:\nHauptstr. 5\n86150 Augsburg")
        }
        other => panic!("no send: {other:?}"),
    }
    keys(&mut a, "<esc><esc>/");
    a.update(Msg::Pasted("Hauptstr.\r5\r".into()));
    match &a.overlay {
        Some(Overlay::SearchPrompt { input }) => assert_eq!(input.text(), "Hauptstr. 5"),
        other => panic!("{other:?}"),
    }
}

fn draft_writes(e: &[Effect]) -> Vec<(i64, String)> {
    e.iter()
        .filter_map(|e| match e {
            Effect::Command(Command::Local(LocalChange::SetDraft { conversation, body })) => {
                Some((conversation.0, body.clone()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn drafts_are_kept_by_the_store_and_never_mixed_with_notes() {
    let mut a = app();
    // A stored draft is shown in the list and restored in the composer.
    assert_eq!(a.draft(ConversationId(4)), Some("gespeicherter Entwurf"));
    keys(&mut a, "G<enter>r");
    assert_eq!(a.composer.text(), "gespeicherter Entwurf");
    // Leaving the composer keeps the edited draft in the store.
    let e = keys(&mut a, "!<esc>");
    assert_eq!(
        draft_writes(&e),
        [(4, "gespeicherter Entwurf!".to_string())]
    );
    // A note in between neither sends nor clears the reply draft.
    let e = keys(&mut a, "mintern<enter>");
    assert!(draft_writes(&e).is_empty(), "{e:?}");
    assert_eq!(
        a.composer.text(),
        "gespeicherter Entwurf!",
        "the reply is back"
    );
    keys(&mut a, "m<esc>");
    assert_eq!(a.draft(ConversationId(4)), Some("gespeicherter Entwurf!"));
    // Sending clears it.
    let e = keys(&mut a, "r<enter>");
    assert_eq!(draft_writes(&e), [(4, String::new())]);
    assert_eq!(a.draft(ConversationId(4)), None);
}

#[test]
fn quitting_keeps_the_draft() {
    let mut a = app();
    keys(&mut a, "rHalb fertig");
    let e = a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert_eq!(e.last(), Some(&Effect::Quit));
    assert_eq!(draft_writes(&e), [(1, "Halb fertig".to_string())]);
}

#[test]
fn draft_survives_leaving_the_composer_and_switching_conversations() {
    let mut a = app();
    keys(&mut a, "rEntwurf<esc><esc>j<enter>");
    assert!(a.composer.is_empty(), "other conversation starts empty");
    keys(&mut a, "<esc>k<enter>");
    assert_eq!(a.composer.text(), "Entwurf");
}

#[test]
fn triage_keys_change_state_and_keep_the_flow() {
    let mut a = app();
    let e = keys(&mut a, "d");
    assert_eq!(
        e,
        vec![Effect::Command(Command::Local(LocalChange::SetState {
            conversation: ConversationId(1),
            state: TriageState::Done
        }))]
    );
    // The done conversation leaves the view; the next one is under the cursor.
    assert_eq!(selected_title(&a), "Erika Schäfer");
    // `z` asks when; Enter takes the default (the next working day, 8:00).
    assert!(keys(&mut a, "z").is_empty());
    let e = keys(&mut a, "<enter>");
    match &e[0] {
        Effect::Command(Command::Local(LocalChange::SetState {
            state: TriageState::Snoozed(until),
            ..
        })) => assert!(*until > NOW),
        other => panic!("{other:?}"),
    }
    keys(&mut a, "s");
    assert_eq!(a.filter.state, tresen::app::StateFilter::Open);
}

#[test]
fn filters_by_network_unread_label_and_clear() {
    let mut a = app();
    keys(&mut a, "N");
    assert_eq!(a.filter.channel, Some(Channel::Signal));
    assert_eq!(a.visible.len(), 1);
    // Issue 19, item 9: `N` visits only networks with conversations to show — not
    // Telegram (its one conversation is done, hidden) nor an unknown "??" — then none.
    let mut seen = vec![];
    for _ in 0..4 {
        keys(&mut a, "N");
        seen.push(a.filter.channel);
        assert!(
            a.filter.channel.is_none() || !a.visible.is_empty(),
            "{seen:?}"
        );
    }
    assert_eq!(
        seen,
        [
            Some(Channel::Whatsapp),
            Some(Channel::Matrix),
            None,
            Some(Channel::Signal)
        ]
    );
    keys(&mut a, "x");
    keys(&mut a, "U");
    let titles: Vec<String> = a
        .visible
        .iter()
        .map(|&i| a.conversations[i].title.clone())
        .collect();
    assert_eq!(titles, ["Max Mustermann", "Jens Köhler"]);
    keys(&mut a, "xTangebot<enter>");
    assert_eq!(a.visible.len(), 1);
    assert_eq!(selected_title(&a), "Erika Schäfer");
}

/// Issue 19, item 9: a list key pressed while reading a conversation says where it
/// works instead of doing nothing.
#[test]
fn list_keys_in_the_conversation_say_where_they_work() {
    let mut a = app();
    keys(&mut a, "<enter>");
    assert_eq!(a.focus, Focus::Conversation);
    for k in ["N", "s", "T"] {
        a.flash = None;
        assert!(keys(&mut a, k).is_empty());
        let flash = a.flash.clone().unwrap_or_default();
        assert!(
            flash.contains(&format!("„{k}“ wirkt in der Liste")),
            "{k}: {flash}"
        );
    }
    assert_eq!(a.filter.channel, None, "nothing filtered meanwhile");
}

#[test]
fn next_unread_jumps_and_wraps() {
    let mut a = app();
    // Issue 19, item 4: from the list, the selected unread conversation is the first
    // (it used to be skipped).
    keys(&mut a, "n");
    assert_eq!(a.open.as_ref().unwrap().id, ConversationId(1));
    keys(&mut a, "n");
    assert_eq!(a.open.as_ref().unwrap().id, ConversationId(4));
    keys(&mut a, "n");
    assert_eq!(a.open.as_ref().unwrap().id, ConversationId(1));
}

#[test]
fn fuzzy_jump_by_name_or_number() {
    let mut a = app();
    keys(&mut a, "fkhlr");
    match &a.overlay {
        Some(Overlay::Jump { matches, .. }) => {
            assert_eq!(a.conversations[matches[0]].title, "Jens Köhler")
        }
        other => panic!("{other:?}"),
    }
    keys(&mut a, "<enter>");
    assert_eq!(a.open.as_ref().unwrap().id, ConversationId(4));
    // A number finds the customer, even one hidden by the filter (done).
    keys(&mut a, "<esc>f0003<enter>");
    assert_eq!(a.open.as_ref().unwrap().id, ConversationId(3));
    // Issue 19, item 5: as caller ID shows it, in national form ([ui] default_country).
    keys(&mut a, "<esc>f0170 0002<enter>");
    assert_eq!(a.open.as_ref().unwrap().id, ConversationId(2));
    keys(&mut a, "<esc>f017 00004<enter>");
    assert_eq!(a.open.as_ref().unwrap().id, ConversationId(4));
}

#[test]
fn search_asks_the_store_and_steps_through_hits() {
    let mut a = app();
    let e = keys(&mut a, "/heizung<enter>");
    assert_eq!(
        e,
        vec![Effect::Load(Query::Search {
            query: "heizung".into(),
            limit: 200
        })]
    );
    let hit = |c: i64, m: i64| SearchHit {
        conversation: ConversationId(c),
        message: Some(tresen::domain::MessageId(m)),
        title: String::new(),
        snippet: String::new(),
        at: NOW,
    };
    a.update(Msg::Loaded(Loaded::Search {
        query: "heizung".into(),
        hits: vec![hit(2, 20), hit(4, 40)],
    }));
    assert!(matches!(
        a.overlay,
        Some(Overlay::SearchResults { selected: 0 })
    ));
    let e = keys(&mut a, "<enter>");
    assert!(e.contains(&Effect::Load(Query::Conversation {
        id: ConversationId(2),
        before: None,
        limit: 200,
        focus: Some(tresen::domain::MessageId(20))
    })));
    // Issue 19, item 4: stepping onto Jens's unread conversation is not reading it: it
    // stays unread (and says so) until staff write there or open it from the list.
    let e = keys(&mut a, "<c-n>");
    assert_eq!(a.open.as_ref().unwrap().id, ConversationId(4));
    assert!(
        !e.contains(&Effect::Command(Command::Viewed(ConversationId(4)))),
        "{e:?}"
    );
    assert!(
        a.flash
            .as_deref()
            .unwrap_or("")
            .contains("Bleibt ungelesen")
    );
    // A reload while it is shown does not read it either.
    let list = a.conversations.clone();
    let e = a.update(Msg::Loaded(Loaded::Inbox(list)));
    assert!(
        !e.contains(&Effect::Command(Command::Viewed(ConversationId(4)))),
        "{e:?}"
    );
    keys(&mut a, "<c-n>");
    assert_eq!(
        a.open.as_ref().unwrap().id,
        ConversationId(2),
        "wraps around"
    );
    // Jumping to it and starting a reply reads it.
    let e = keys(&mut a, "<esc>fjens<enter>");
    assert!(
        !e.contains(&Effect::Command(Command::Viewed(ConversationId(4)))),
        "{e:?}"
    );
    let e = keys(&mut a, "r");
    assert!(
        e.contains(&Effect::Command(Command::Viewed(ConversationId(4)))),
        "{e:?}"
    );
}

#[test]
fn mark_unread_returns_to_the_list() {
    let mut a = app();
    keys(&mut a, "j<enter>");
    let e = keys(&mut a, "u");
    assert_eq!(
        e,
        vec![Effect::Command(Command::Local(LocalChange::MarkUnread {
            conversation: ConversationId(2)
        }))]
    );
    assert_eq!(a.focus, Focus::Inbox);
}

#[test]
fn labels_prompt_prefills_and_normalises() {
    let mut a = app();
    keys(&mut a, "jt");
    match &a.overlay {
        Some(Overlay::Labels { input }) => assert_eq!(input.text(), "angebot"),
        o => panic!("{o:?}"),
    }
    let e = keys(&mut a, ", Rechnung ,<enter>");
    assert_eq!(
        e,
        vec![Effect::Command(Command::Local(LocalChange::SetLabels {
            conversation: ConversationId(2),
            labels: vec!["angebot".into(), "rechnung".into()],
            by: String::new(),
        }))]
    );
}

// R-C12: `K` offers the customer's name to correct; Enter asks the engine for a new
// version (the seat's staff name is added there), an unchanged name asks nothing.
#[test]
fn k_corrects_the_customers_name() {
    let mut a = app();
    keys(&mut a, "jK");
    match &a.overlay {
        Some(Overlay::ContactName { input }) => assert_eq!(input.text(), "Erika Schäfer"),
        o => panic!("{o:?}"),
    }
    let e = keys(&mut a, "<bs><bs><bs><bs><bs><bs><bs>Schaefer<enter>");
    assert_eq!(
        e,
        vec![Effect::Command(Command::CorrectContact {
            conversation: ConversationId(2),
            name: "Erika Schaefer".into(),
        })]
    );
    assert!(a.overlay.is_none());
    // Unchanged: nothing to record.
    let e = keys(&mut a, "K<enter>");
    assert!(e.is_empty(), "{e:?}");
}

#[test]
fn quick_reply_fills_placeholders() {
    let mut a = app();
    keys(&mut a, "Q<enter>");
    let date = NOW.to_local().format("%d.%m.%Y").to_string();
    assert_eq!(
        a.composer.text(),
        format!("Hallo Max Mustermann, bis {date}. Anna")
    );
    assert_eq!(a.focus, Focus::Composer);
}

#[test]
fn editor_result_replaces_the_draft() {
    let mut a = app();
    let e = keys(&mut a, "ralt<c-e>");
    assert_eq!(
        e.last(),
        Some(&Effect::OpenEditor {
            initial: "alt".into()
        })
    );
    a.update(Msg::EditorClosed(Ok("neu aus dem Editor\n".into())));
    assert_eq!(a.composer.text(), "neu aus dem Editor");
    a.update(Msg::EditorClosed(Err("vi exited".into())));
    assert_eq!(
        a.composer.text(),
        "neu aus dem Editor",
        "a failed editor loses nothing"
    );
    assert!(a.flash.as_deref().unwrap().contains("vi exited"));
}

#[test]
fn notifications_turn_into_reloads() {
    let mut a = app();
    keys(&mut a, "<enter>");
    let e = a.update(Msg::Notified(tresen::engine::Notification::Conversation(
        ConversationId(1),
    )));
    assert!(matches!(
        e[0],
        Effect::Load(Query::Conversation {
            id: ConversationId(1),
            ..
        })
    ));
    let e = a.update(Msg::Notified(tresen::engine::Notification::Conversation(
        ConversationId(3),
    )));
    assert!(e.is_empty(), "other conversations are not reloaded");
    let e = a.update(Msg::Lagged);
    assert!(e.contains(&Effect::Load(Query::Inbox)));
}

#[test]
fn configured_keys_replace_defaults_and_help_follows() {
    let mut config = Config::default();
    config.keymap.insert(
        toml::Spanned::new(0..0, "done".into()),
        vec!["e".parse().unwrap()],
    );
    let cfg = AppConfig::from_config(&config, false);
    let mut a = App::new(cfg, NOW);
    a.update(Msg::Loaded(Loaded::Inbox(vec![conv(
        1,
        "A",
        Channel::Signal,
        0,
        TriageState::Open,
    )])));
    assert!(keys(&mut a, "d").is_empty());
    assert_eq!(keys(&mut a, "e").len(), 1);
    assert_eq!(
        a.cfg
            .keymap
            .label(tresen::app::action::Action::Done, Lang::De),
        "e"
    );
}

#[test]
fn ctrl_c_always_quits() {
    let mut a = app();
    keys(&mut a, "r");
    let e = a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert_eq!(e, vec![Effect::Quit]);
}

/// Issue 14, item 1: R on a message whose delivery is unclear is staff's confirmation;
/// nothing resends it before.
#[test]
fn r_on_an_unclear_delivery_sends_it_again() {
    use tresen::domain::{Delivery, Direction};
    let mut a = app();
    keys(&mut a, "<enter>");
    a.update(Msg::Loaded(Loaded::Conversation {
        id: ConversationId(1),
        messages: vec![message(
            1,
            Direction::Outbound,
            None,
            "Angebot anbei",
            Delivery::Unclear,
        )],
        older: false,
        limit: 200,
        focus: None,
    }));
    assert_eq!(
        keys(&mut a, "R"),
        vec![Effect::Command(Command::Send {
            conversation: ConversationId(1),
            body: "Angebot anbei".into(),
            files: vec![],
            reply_to: None,
            retry: true,
            tags: vec![],
            vordruck: false,
        })]
    );
}

#[test]
fn retry_resends_the_newest_failed_message_as_a_new_one() {
    use tresen::domain::{Delivery, Direction};
    let mut a = app();
    keys(&mut a, "<enter>");
    let msg = |id: i64, body: &str, delivery: Delivery| {
        message(id, Direction::Outbound, None, body, delivery)
    };
    a.update(Msg::Loaded(Loaded::Conversation {
        id: ConversationId(1),
        messages: vec![
            msg(1, "alt, fehlgeschlagen", Delivery::Failed),
            msg(2, "neuer, fehlgeschlagen", Delivery::Failed),
            msg(3, "ging raus", Delivery::Read),
        ],
        older: false,
        limit: 200,
        focus: None,
    }));
    let e = keys(&mut a, "R");
    assert_eq!(
        e,
        vec![Effect::Command(Command::Send {
            conversation: ConversationId(1),
            body: "neuer, fehlgeschlagen".into(),
            files: vec![],
            reply_to: None,
            retry: true,
            tags: vec![],
            vordruck: false,
        })]
    );
    keys(&mut a, "<esc>j<enter>");
    assert!(keys(&mut a, "R").is_empty());
    assert!(
        a.flash
            .as_deref()
            .unwrap()
            .contains("Keine fehlgeschlagene")
    );
}

#[test]
fn invites_wait_for_a_decision_accept_as_business_or_ignore() {
    use tresen::domain::Invite;
    let mut a = app();
    assert!(keys(&mut a, "I").is_empty());
    assert!(a.overlay.is_none(), "nothing to decide yet");
    let invite = |id: &str, title: &str| {
        (
            AccountId("matrix".into()),
            Invite {
                remote_id: id.into(),
                from: "WhatsApp bridge".into(),
                title: title.into(),
            },
        )
    };
    a.update(Msg::Loaded(Loaded::Invites(vec![
        invite("!a", "Max Mustermann"),
        invite("!b", "Oma privat"),
    ])));
    keys(&mut a, "I");
    assert_eq!(a.overlay, Some(Overlay::Invites { selected: 0 }));
    // Ignoring sends nothing anywhere and hides the invite for this session.
    assert!(keys(&mut a, "j x").is_empty());
    assert_eq!(a.invites.len(), 1);
    a.update(Msg::Loaded(Loaded::Invites(vec![
        invite("!a", "Max Mustermann"),
        invite("!b", "Oma privat"),
    ])));
    assert_eq!(a.invites.len(), 1, "an ignored invite stays ignored");
    let effects = keys(&mut a, "<enter>");
    assert_eq!(
        effects,
        vec![Effect::Command(Command::AcceptInvite {
            account: AccountId("matrix".into()),
            remote_id: "!a".into()
        })]
    );
    assert!(a.overlay.is_none(), "no invites left");
}

#[test]
fn plus_reacts_to_the_customers_last_message() {
    use tresen::domain::{Delivery, Direction, MessageId};
    let mut a = app();
    keys(&mut a, "<enter>");
    let msg = |id: i64, dir: Direction, remote: Option<&str>| {
        message(id, dir, remote, &format!("Nachricht {id}"), Delivery::Read)
    };
    a.update(Msg::Loaded(Loaded::Conversation {
        id: ConversationId(1),
        messages: vec![
            msg(1, Direction::Inbound, Some("$1")),
            msg(2, Direction::Inbound, Some("$2")),
            msg(3, Direction::Outbound, Some("$3")),
        ],
        older: false,
        limit: 200,
        focus: None,
    }));
    keys(&mut a, "+");
    assert!(matches!(a.overlay, Some(Overlay::Reactions { .. })));
    let e = keys(&mut a, "j<enter>");
    assert_eq!(
        e,
        vec![Effect::Command(Command::React {
            message: MessageId(2),
            key: "✅".into()
        })],
        "the newest customer message, not our own"
    );
    assert!(a.overlay.is_none());
    // Issue 19, item 8: the pop-up names message 2; a customer message arriving while
    // it is open does not change what Enter reacts to.
    keys(&mut a, "+");
    a.update(Msg::Loaded(Loaded::Conversation {
        id: ConversationId(1),
        messages: vec![
            msg(1, Direction::Inbound, Some("$1")),
            msg(2, Direction::Inbound, Some("$2")),
            msg(3, Direction::Outbound, Some("$3")),
            msg(4, Direction::Inbound, Some("$4")),
        ],
        older: false,
        limit: 200,
        focus: None,
    }));
    let e = keys(&mut a, "<enter>");
    assert!(
        matches!(
            &e[..],
            [Effect::Command(Command::React {
                message: MessageId(2),
                ..
            })]
        ),
        "{e:?}"
    );
}

#[test]
fn typing_is_announced_for_replies_only_and_ends_with_the_reply() {
    let mut a = app();
    let typing = |e: &[Effect]| {
        e.iter()
            .filter_map(|x| match x {
                Effect::Command(Command::Typing {
                    typing, network, ..
                }) => Some((*typing, *network)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let e = keys(&mut a, "rHallo");
    assert_eq!(typing(&e), vec![(true, true)], "once, not per key");
    let e = keys(&mut a, "<enter>");
    assert_eq!(typing(&e), vec![(false, true)]);
    // An internal note never tells anyone anything.
    let e = keys(&mut a, "mRückruf notiert<enter>");
    assert!(typing(&e).is_empty(), "{e:?}");
    // Off in the config: the customer's network learns nothing; the other seats still
    // see that the conversation is being answered.
    let mut b = app();
    b.cfg.send_typing = false;
    let e = keys(&mut b, "rHallo<enter>");
    assert_eq!(typing(&e), vec![(true, false), (false, false)]);
}

#[test]
fn greater_than_answers_quoting_the_customers_last_message() {
    use tresen::domain::{Delivery, Direction, MessageId};
    let mut a = app();
    keys(&mut a, "<enter>");
    let msg = |id: i64, dir: Direction| {
        let remote = format!("${id}");
        message(
            id,
            dir,
            Some(&remote),
            &format!("Nachricht {id}"),
            Delivery::Read,
        )
    };
    a.update(Msg::Loaded(Loaded::Conversation {
        id: ConversationId(1),
        messages: vec![msg(1, Direction::Inbound), msg(2, Direction::Outbound)],
        older: false,
        limit: 200,
        focus: None,
    }));
    keys(&mut a, ">");
    assert_eq!(a.focus, Focus::Composer);
    assert_eq!(a.quoting.as_ref().map(|q| q.0), Some(MessageId(1)));
    let e = keys(&mut a, "Gern, bis morgen<enter>");
    assert!(
        e.contains(&Effect::Command(Command::Send {
            conversation: ConversationId(1),
            body: "Gern, bis morgen".into(),
            files: vec![],
            reply_to: Some(MessageId(1)),
            retry: false,
            tags: vec![],
            vordruck: false,
        })),
        "{e:?}"
    );
    assert!(a.quoting.is_none(), "the next reply is a plain one again");
    // Esc drops the quote.
    keys(&mut a, "><esc>r");
    assert!(a.quoting.is_none());
}

#[test]
fn l_links_a_signal_number_that_is_not_set_up_and_asks_again_after_a_failure() {
    use std::collections::BTreeMap;
    use tresen::app::{Command, Overlay};
    use tresen::domain::{AccountId, LinkState};
    let mut app = app();
    // Nothing to link: says so, asks nothing.
    assert!(keys(&mut app, "L").is_empty());
    assert!(
        app.flash
            .as_deref()
            .unwrap_or_default()
            .contains("Alle Konten")
    );
    let acc = AccountId("signal-buero".into());
    let links = |s: LinkState| Msg::Loaded(Loaded::Links(BTreeMap::from([(acc.clone(), s)])));
    app.update(links(LinkState::Needed));
    let fx = keys(&mut app, "L");
    assert_eq!(
        fx,
        [Effect::Command(Command::Link {
            account: acc.clone()
        })]
    );
    assert_eq!(
        app.overlay,
        Some(Overlay::Link {
            account: acc.clone()
        })
    );
    // A code is waiting to be scanned: showing it again does not ask for another.
    app.update(links(LinkState::Waiting {
        uri: "sgnl://linkdevice?uuid=a&pub_key=b".into(),
    }));
    assert!(keys(&mut app, "<esc>L").is_empty());
    // Failed: Enter asks for a new code.
    app.update(links(LinkState::Failed("timed out".into())));
    let fx = keys(&mut app, "<enter>");
    assert_eq!(
        fx,
        [Effect::Command(Command::Link {
            account: acc.clone()
        })]
    );
    app.update(links(LinkState::Linked {
        number: "+493012345678".into(),
    }));
    assert!(
        app.flash
            .as_deref()
            .unwrap_or_default()
            .contains("+493012345678")
    );
}

#[test]
fn a_assigns_to_me_and_again_unassigns() {
    let mut a = app();
    let e = keys(&mut a, "A");
    assert_eq!(
        e,
        vec![Effect::Command(Command::Local(LocalChange::Assign {
            conversation: ConversationId(1),
            staff: Some("Anna".into()),
        }))]
    );
    assert_eq!(a.conversations[0].assigned.as_deref(), Some("Anna"));
    let e = keys(&mut a, "A");
    assert_eq!(
        e,
        vec![Effect::Command(Command::Local(LocalChange::Assign {
            conversation: ConversationId(1),
            staff: None,
        }))]
    );
    assert_eq!(a.conversations[0].assigned, None);
}

#[test]
fn sending_after_someone_else_answered_asks_first() {
    use tresen::domain::{Delivery, Direction, Timestamp};
    let mut a = app();
    keys(&mut a, "<enter>");
    let sends = |e: &[Effect]| {
        e.iter()
            .filter(|x| matches!(x, Effect::Command(Command::Send { .. })))
            .count()
    };
    keys(&mut a, "rUnser Monteur kommt morgen");
    // Meanwhile another seat answered (the engine's tag made the app reload).
    let mut answer = message(
        7,
        Direction::Outbound,
        Some("$7"),
        "Wir kommen heute",
        Delivery::Sent,
    );
    answer.sender = "Kollege".into();
    answer.sent_at = Timestamp(NOW.0 + 20_000);
    a.update(Msg::Tick(Timestamp(NOW.0 + 40_000)));
    a.update(Msg::Loaded(Loaded::Conversation {
        id: ConversationId(1),
        messages: vec![answer],
        older: false,
        limit: 200,
        focus: None,
    }));
    let e = keys(&mut a, "<enter>");
    assert_eq!(sends(&e), 0, "not sent without asking");
    assert!(matches!(
        a.overlay,
        Some(Overlay::AnsweredMeanwhile { ago_secs: 20 })
    ));
    // No: nothing is sent and the text stays, exactly as typed.
    let e = keys(&mut a, "n");
    assert_eq!(sends(&e), 0);
    assert!(a.overlay.is_none());
    assert_eq!(a.composer.text(), "Unser Monteur kommt morgen");
    // Asked once per answer: pressing Enter again sends.
    let e = keys(&mut a, "<enter>");
    assert_eq!(sends(&e), 1);

    // Yes: sent.
    keys(&mut a, "rNoch etwas");
    let mut later = message(8, Direction::Outbound, Some("$8"), "x", Delivery::Sent);
    later.sender = "Kollege".into();
    later.sent_at = Timestamp(NOW.0 + 60_000);
    a.update(Msg::Tick(Timestamp(NOW.0 + 70_000)));
    a.update(Msg::Loaded(Loaded::Conversation {
        id: ConversationId(1),
        messages: vec![later],
        older: false,
        limit: 200,
        focus: None,
    }));
    keys(&mut a, "<enter>");
    assert!(matches!(a.overlay, Some(Overlay::AnsweredMeanwhile { .. })));
    let e = keys(&mut a, "j");
    assert_eq!(sends(&e), 1);
}

// R-E1, R-E2: `O` lists the order steps; Enter asks the engine for the one picked, the
// urgent repair quoting the customer's last message of the open conversation.
#[test]
fn o_records_a_step_of_the_offer_or_order() {
    use tresen::lifecycle::orders::OrderChange;
    let mut a = app();
    let e = keys(&mut a, "O<down><down><enter>");
    assert!(
        e.contains(&Effect::Command(Command::OrderStep {
            conversation: ConversationId(1),
            change: OrderChange::Accept {
                urgent_request: None
            },
        })),
        "{e:?}"
    );
    assert!(a.overlay.is_none());
    // Without the conversation open there is no customer message to quote.
    let e = keys(&mut a, "O<down><down><down><enter>");
    assert!(
        !e.iter()
            .any(|e| matches!(e, Effect::Command(Command::OrderStep { .. }))),
        "{e:?}"
    );
    assert!(a.flash.as_deref().unwrap_or("").contains("öffnen"));
}

// R-E4: `S` marks the customer's last message (Art. 9 first, third parties second).
#[test]
fn s_restricts_the_customers_last_message() {
    use tresen::domain::{Delivery, Direction, MessageId, Sensitive};
    let mut a = app();
    let e = keys(&mut a, "S");
    assert!(
        e.is_empty() && a.overlay.is_none(),
        "nothing to restrict yet"
    );
    keys(&mut a, "<enter>");
    a.update(Msg::Loaded(Loaded::Conversation {
        id: ConversationId(1),
        messages: vec![
            message(
                1,
                Direction::Inbound,
                Some("$1"),
                "Foto vom Bad",
                Delivery::Read,
            ),
            message(2, Direction::Outbound, Some("$2"), "Danke", Delivery::Read),
        ],
        older: false,
        limit: 200,
        focus: None,
    }));
    let e = keys(&mut a, "Sj<enter>");
    assert_eq!(
        e,
        vec![Effect::Command(Command::MarkSensitive {
            message: MessageId(1),
            mark: Some(Sensitive::ThirdParty),
        })]
    );
}

// Issue 19 (7): with two panes the right one shows the highlighted conversation, and
// looking at it does not read it; opening it does.
#[test]
fn the_right_pane_follows_the_cursor_without_reading() {
    let mut a = app();
    let e = keys(&mut a, "j");
    assert_eq!(a.open.as_ref().map(|o| o.id), Some(ConversationId(2)));
    assert!(e.contains(&Effect::Load(Query::Conversation {
        id: ConversationId(2),
        before: None,
        limit: 200,
        focus: None
    })));
    let e = keys(&mut a, "j");
    assert_eq!(a.open.as_ref().map(|o| o.id), Some(ConversationId(4)));
    assert!(
        !e.iter()
            .any(|e| matches!(e, Effect::Command(Command::Viewed(_)))),
        "an unread conversation stays unread while the cursor passes: {e:?}"
    );
    assert_eq!(a.focus, Focus::Inbox);
    let e = keys(&mut a, "<enter>");
    assert!(e.contains(&Effect::Command(Command::Viewed(ConversationId(4)))));
    // One pane (narrow terminal): moving does not open anything.
    let mut a = app();
    a.update(Msg::Resize {
        width: 60,
        height: 30,
    });
    keys(&mut a, "j");
    assert!(a.open.is_none());
}

// Issue 19 (6): `t` offers the labels in use and Tab completes one; a label that did not
// exist is said to be new, so a typo does not quietly make one.
#[test]
fn labels_are_offered_and_completed_and_a_new_one_is_announced() {
    let mut a = app();
    keys(&mut a, "t");
    assert_eq!(a.label_suggestions(), vec!["angebot".to_string()]);
    keys(&mut a, "ang<tab>");
    match &a.overlay {
        Some(Overlay::Labels { input }) => assert_eq!(input.text(), "angebot"),
        other => panic!("{other:?}"),
    }
    let e = keys(&mut a, "<enter>");
    assert!(e.iter().any(|e| matches!(
        e,
        Effect::Command(Command::Local(LocalChange::SetLabels { labels, .. })) if labels == &vec!["angebot".to_string()]
    )));
    assert!(a.flash.is_none(), "{:?}", a.flash);
    keys(&mut a, "t<c-u>angbot<enter>");
    assert!(
        a.flash
            .as_deref()
            .is_some_and(|f| f.contains("Neues Label angelegt: angbot")),
        "{:?}",
        a.flash
    );
    // T with a label nobody has says so.
    keys(&mut a, "Tgibtsnicht<enter>");
    assert!(
        a.flash.as_deref().is_some_and(|f| f.contains("gibtsnicht")),
        "{:?}",
        a.flash
    );
}

// Issue 19 (6): Tab in the attach prompt asks for the folder's entries and completes
// the path with what comes back, unless the path changed meanwhile.
#[test]
fn the_attach_prompt_completes_paths_with_tab() {
    let mut a = app();
    keys(&mut a, "r<c-o>");
    let e = keys(&mut a, "~/Do<tab>");
    assert_eq!(e, vec![Effect::CompletePath("~/Do".into())]);
    a.update(Msg::PathCompleted {
        typed: "~/Do".into(),
        completed: "~/Dokumente/".into(),
        candidates: vec!["Dokumente/".into()],
    });
    match &a.overlay {
        Some(Overlay::AttachPrompt { input, candidates }) => {
            assert_eq!(input.text(), "~/Dokumente/");
            assert_eq!(candidates, &vec!["Dokumente/".to_string()]);
        }
        other => panic!("{other:?}"),
    }
    // A late answer for a path no longer typed changes nothing.
    keys(&mut a, "x");
    a.update(Msg::PathCompleted {
        typed: "~/Dokumente/".into(),
        completed: "~/Dokumente/angebot.pdf".into(),
        candidates: vec![],
    });
    match &a.overlay {
        Some(Overlay::AttachPrompt { input, .. }) => assert_eq!(input.text(), "~/Dokumente/x"),
        other => panic!("{other:?}"),
    }
}

// Issue 19 (10): `y` offers the customer's message, number and name; Enter hands the
// chosen text to the terminal's clipboard.
#[test]
fn y_copies_message_number_or_name() {
    use tresen::domain::{Delivery, Direction};
    let mut a = app();
    keys(&mut a, "<enter>");
    a.update(Msg::Loaded(Loaded::Conversation {
        id: ConversationId(1),
        messages: vec![message(
            7,
            Direction::Inbound,
            Some("$e7"),
            "Adresse: Hauptstr. 5, 86150 Augsburg",
            Delivery::Read,
        )],
        older: false,
        limit: 200,
        focus: None,
    }));
    keys(&mut a, "y");
    match &a.overlay {
        Some(Overlay::Copy { items, .. }) => {
            let texts: Vec<&str> = items.iter().map(|(_, t)| t.as_str()).collect();
            assert_eq!(
                texts,
                vec![
                    "Adresse: Hauptstr. 5, 86150 Augsburg",
                    "+49 170 0001",
                    "Max Mustermann"
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    let e = keys(&mut a, "j<enter>");
    assert_eq!(e, vec![Effect::Copy("+49 170 0001".into())]);
    assert!(a.flash.as_deref().is_some_and(|f| f.contains("kopiert")));
}

// Issue 19 (10): `b` lists the web links customers sent, newest first; Enter opens one.
// Other schemes are never offered.
#[test]
fn b_offers_the_conversations_links_to_open() {
    use tresen::domain::{Delivery, Direction};
    let mut a = app();
    keys(&mut a, "<enter>");
    keys(&mut a, "b");
    assert!(a.overlay.is_none(), "nothing to offer yet");
    a.update(Msg::Loaded(Loaded::Conversation {
        id: ConversationId(1),
        messages: vec![
            message(
                7,
                Direction::Inbound,
                Some("$e7"),
                "Foto: https://bilder.example/1.jpg",
                Delivery::Read,
            ),
            message(
                8,
                Direction::Inbound,
                Some("$e8"),
                "Lageplan www.karte.example/x. file:///etc/passwd",
                Delivery::Read,
            ),
        ],
        older: false,
        limit: 200,
        focus: None,
    }));
    keys(&mut a, "b");
    match &a.overlay {
        Some(Overlay::Links { links, .. }) => assert_eq!(
            links,
            &vec![
                "https://www.karte.example/x".to_string(),
                "https://bilder.example/1.jpg".to_string()
            ]
        ),
        other => panic!("{other:?}"),
    }
    let e = keys(&mut a, "j<enter>");
    assert_eq!(
        e,
        vec![Effect::OpenLink("https://bilder.example/1.jpg".into())]
    );
}
