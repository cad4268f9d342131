//! The engine with the scripted connector: inbound → store → notification, outbound
//! pending → connector → sent/failed, sync-once completion, shutdown.

mod support;

use std::time::Duration;

use support::engine::{Running, running, running_with, told};
use support::*;
use tresen::connector::{Connector, ConnectorEvent, FakeConnector, ScriptStep};
use tresen::domain::LocalChange;
use tresen::domain::{
    AccountId, Channel, Contact, ConversationKind, ConversationUpsert, Delivery, Direction,
    IncomingMessage, MessageKind, Timestamp,
};
use tresen::engine::{Engine, EngineCommand, EngineOptions, Notification};
use tresen::store::{SharedStore, SqliteStore};

fn upsert(remote: &str) -> ConnectorEvent {
    ConnectorEvent::Conversation(ConversationUpsert {
        account: account(),
        remote_id: remote.into(),
        kind: ConversationKind::Direct,
        channel: Channel::Telegram,
        title: "Kunde".into(),
        contact: Some(Contact {
            identity: "@kunde".into(),
            display_name: "Kunde".into(),
            phone: None,
        }),
        security: Default::default(),
    })
}

fn message(remote: &str, id: &str, body: &str) -> ConnectorEvent {
    incoming(remote, id, body, T0, false)
}

fn incoming(
    remote: &str,
    id: &str,
    body: &str,
    sent_at: Timestamp,
    history: bool,
) -> ConnectorEvent {
    ConnectorEvent::Message(IncomingMessage {
        account: account(),
        conversation_remote_id: remote.into(),
        remote_id: id.into(),
        kind: MessageKind::Chat,
        direction: Direction::Inbound,
        sender: String::new(),
        body: body.into(),
        attachments: vec![],
        sent_at,
        received_at: Timestamp::now(),
        raw: None,
        history,
    })
}

#[tokio::test]
async fn inbound_events_are_stored_then_announced() {
    let fake = FakeConnector::new(account()).with_script(vec![
        ScriptStep::Emit(upsert("c1")),
        ScriptStep::Emit(message("c1", "m1", "Hallo")),
        ScriptStep::Emit(message("c1", "m1", "Hallo")), // replay
    ]);
    let store = SharedStore::new(Box::new(SqliteStore::open_in_memory().unwrap()));
    let Running {
        store,
        handle,
        bus: _,
        task,
    } = running(store, vec![Box::new(fake)]).await;
    {
        let s = store.lock();
        let c = s.find_conversation("c1").unwrap().unwrap();
        assert_eq!(s.messages(c.id, None, 10).unwrap().len(), 1);
        assert_eq!(c.channel, Channel::Telegram);
    }
    assert_eq!(
        handle.health().get(&account()),
        Some(&tresen::domain::Health::Online)
    );
    handle.shutdown().await;
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn send_is_pending_first_then_sent_with_receipts() {
    let fake = FakeConnector::new(account())
        .with_script(vec![ScriptStep::Emit(upsert("c1"))])
        .with_replies(vec!["Danke!".into()])
        .with_receipt_delay(Duration::from_millis(20));
    let sent = fake.handle();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("s.db"), Some(&[3; 32])).unwrap();
    let store = SharedStore::new(Box::new(sqlite));
    let Running {
        store,
        handle,
        mut bus,
        task,
    } = running(store, vec![Box::new(fake)]).await;
    let conv = store.lock().find_conversation("c1").unwrap().unwrap();
    let id = handle
        .send(conv.id, "Wir kommen um 9".into(), "Anna".into())
        .await
        .unwrap();
    told(&mut bus, Notification::Message(id)).await;
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let done = {
                let s = store.lock();
                let m = s.message(id).unwrap().unwrap();
                let replies = s.messages(conv.id, None, 10).unwrap().len();
                m.delivery == Delivery::Read && replies == 2
            };
            if done {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("read receipt and reply");
    assert_eq!(sent.sent()[0].body, "Wir kommen um 9");
    assert_eq!(sent.sent()[0].conversation_remote_id, "c1");
    handle.shutdown().await;
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_refused_send_is_stored_as_failed_not_lost() {
    let fake = FakeConnector::new(account())
        .with_script(vec![ScriptStep::Emit(upsert("c1"))])
        .failing_on("#fail");
    let store = SharedStore::new(Box::new(SqliteStore::open_in_memory().unwrap()));
    let Running {
        store,
        handle,
        mut bus,
        task,
    } = running(store, vec![Box::new(fake)]).await;
    let conv = store.lock().find_conversation("c1").unwrap().unwrap();
    let id = handle
        .send(conv.id, "test #fail".into(), "Anna".into())
        .await
        .unwrap();
    told(&mut bus, Notification::Message(id)).await;
    let m = store.lock().message(id).unwrap().unwrap();
    assert_eq!(m.delivery, Delivery::Failed);
    assert_eq!(m.body, "test #fail");
    handle.shutdown().await;
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn sending_without_a_connector_fails_visibly() {
    let store = SharedStore::new(Box::new(SqliteStore::open_in_memory().unwrap()));
    store
        .lock()
        .apply(&[conversation("x", "Offline", Channel::Signal)])
        .unwrap();
    let (engine, handle) = Engine::start(store.clone(), vec![], EngineOptions::default());
    let task = tokio::spawn(engine.run());
    let conv = store.lock().find_conversation("x").unwrap().unwrap();
    let id = handle
        .send(conv.id, "Hallo".into(), "Anna".into())
        .await
        .unwrap();
    assert_eq!(
        store.lock().message(id).unwrap().unwrap().delivery,
        Delivery::Failed
    );
    // Empty messages are refused before anything is stored.
    assert!(
        handle
            .send(conv.id, "   ".into(), "Anna".into())
            .await
            .is_err()
    );
    assert_eq!(store.lock().stats().unwrap().messages, 1);
    handle.shutdown().await;
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn sync_once_stops_after_every_connector_caught_up() {
    let a = FakeConnector::new(AccountId("a".into())).with_script(vec![
        ScriptStep::Sleep(Duration::from_millis(30)),
        ScriptStep::Emit(message("c", "1", "eins")),
    ]);
    let b = FakeConnector::new(AccountId("b".into()));
    let store = SharedStore::new(Box::new(SqliteStore::open_in_memory().unwrap()));
    let connectors: Vec<Box<dyn Connector>> = vec![Box::new(a), Box::new(b)];
    let (engine, _handle) = Engine::start(
        store.clone(),
        connectors,
        EngineOptions {
            exit_when_caught_up: true,
            ..Default::default()
        },
    );
    tokio::time::timeout(Duration::from_secs(5), engine.run())
        .await
        .expect("engine stops by itself")
        .unwrap();
    assert_eq!(store.lock().stats().unwrap().messages, 1);
}

#[tokio::test]
async fn viewing_clears_unread_and_tells_the_network() {
    let fake = FakeConnector::new(account()).with_script(vec![
        ScriptStep::Emit(upsert("c1")),
        ScriptStep::Emit(message("c1", "m1", "Hallo")),
    ]);
    let seen = fake.handle();
    let store = SharedStore::new(Box::new(SqliteStore::open_in_memory().unwrap()));
    let Running {
        store,
        handle,
        bus: _,
        task,
    } = running(store, vec![Box::new(fake)]).await;
    let conv = store.lock().find_conversation("c1").unwrap().unwrap();
    assert_eq!(conv.unread, 1);
    handle
        .command(EngineCommand::Viewed(conv.id))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        while store.lock().conversation(conv.id).unwrap().unwrap().unread != 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("unread cleared");
    handle
        .command(EngineCommand::Local(LocalChange::AddNote {
            conversation: conv.id,
            author: "Anna".into(),
            body: "intern".into(),
            at: Timestamp::now(),
        }))
        .await
        .unwrap();
    handle.shutdown().await;
    task.await.unwrap().unwrap();
    assert_eq!(seen.marked_read(), vec!["c1".to_string()]);
    assert!(seen.sent().is_empty(), "a note never reaches the connector");
}

/// A connector that looks into the store at the moment it is asked to send.
struct Inspecting {
    store: SharedStore,
    seen: tokio::sync::mpsc::UnboundedSender<Option<Delivery>>,
}

impl Connector for Inspecting {
    fn account(&self) -> &AccountId {
        static A: std::sync::OnceLock<AccountId> = std::sync::OnceLock::new();
        A.get_or_init(account)
    }
    fn network(&self) -> tresen::domain::AccountNetwork {
        tresen::domain::AccountNetwork::Demo
    }
    fn run(
        self: Box<Self>,
        mut io: tresen::connector::ConnectorIo,
    ) -> futures::future::BoxFuture<'static, Result<(), tresen::connector::ConnectorError>> {
        Box::pin(async move {
            io.events.emit(ConnectorEvent::CaughtUp).await;
            while let Some(cmd) = io.commands.recv().await {
                if let tresen::connector::ConnectorCommand::Send(out) = cmd {
                    let state = self
                        .store
                        .lock()
                        .message(out.message)
                        .unwrap()
                        .map(|m| m.delivery);
                    let _ = self.seen.send(state);
                }
            }
            Ok(())
        })
    }
}

#[tokio::test]
async fn outgoing_is_stored_as_pending_before_the_connector_sees_it() {
    let store = SharedStore::new(Box::new(SqliteStore::open_in_memory().unwrap()));
    store
        .lock()
        .apply(&[conversation("x", "Kunde", Channel::Signal)])
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let c = Inspecting {
        store: store.clone(),
        seen: tx,
    };
    let (engine, handle) =
        Engine::start(store.clone(), vec![Box::new(c)], EngineOptions::default());
    let task = tokio::spawn(engine.run());
    let conv = store.lock().find_conversation("x").unwrap().unwrap();
    handle
        .send(conv.id, "Hallo".into(), "Anna".into())
        .await
        .unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen, Some(Delivery::Pending));
    handle.shutdown().await;
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caught_up_is_announced_only_after_everything_before_it_is_stored() {
    // The UI (and `sync --once` users) read through a separate connection the moment
    // they hear CaughtUp: the batch holding the last events must be committed by then.
    let mut script = vec![ScriptStep::Emit(upsert("c1"))];
    for i in 0..20_000 {
        script.push(ScriptStep::Emit(message("c1", &format!("m{i}"), "Heizung")));
    }
    let fake = FakeConnector::new(account()).with_script(script);
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("s.db"), Some(&[5; 32])).unwrap();
    let store = tresen::profile::shared(sqlite, None).unwrap();
    let (engine, handle) = Engine::start(
        store.clone(),
        vec![Box::new(fake)],
        EngineOptions::default(),
    );
    let mut bus = handle.subscribe();
    let task = tokio::spawn(engine.run());
    told(&mut bus, Notification::CaughtUp).await;
    let stored = store.read(|s| s.stats().unwrap().messages);
    assert_eq!(stored, 20_000);
    handle.shutdown().await;
    task.await.unwrap().unwrap();
}

// R-A4: a failed message sent again keeps its one footer; a note never gets one; the
// rules decide per conversation.
#[tokio::test]
async fn a_retried_send_never_carries_the_footer_twice_and_notes_never_carry_it() {
    let fake = FakeConnector::new(account())
        .with_script(vec![
            ScriptStep::Emit(upsert("c1")),
            ScriptStep::Emit(message("c1", "m1", "Was kostet das?")),
        ])
        .failing_on("#fail");
    let store = SharedStore::new(Box::new(SqliteStore::open_in_memory().unwrap()));
    let Running {
        handle,
        mut bus,
        task,
        ..
    } = running_with_rules(store.clone(), fake).await;
    let conv = store.lock().find_conversation("c1").unwrap().unwrap();
    let footer = tresen::demo::compliance().footer.unwrap().full;
    let offer = tresen::engine::SendOptions {
        tags: vec!["angebot".into()],
        ..Default::default()
    };
    let id = handle
        .send_with(
            conv.id,
            "Angebot #fail".into(),
            vec![],
            "Anna".into(),
            offer.clone(),
        )
        .await
        .unwrap();
    told(&mut bus, Notification::Message(id)).await;
    let failed = store.lock().message(id).unwrap().unwrap();
    assert_eq!(failed.delivery, Delivery::Failed);
    assert_eq!(failed.body, format!("Angebot #fail\n\n{footer}"));
    // The retry sends the stored text as it is (the app marks it a retry).
    let again = handle
        .send_with(
            conv.id,
            failed.body.clone(),
            vec![],
            "Anna".into(),
            tresen::engine::SendOptions {
                retry: true,
                ..offer
            },
        )
        .await
        .unwrap();
    let m = store.lock().message(again).unwrap().unwrap();
    assert_eq!(m.body.matches("Registergericht").count(), 1, "{}", m.body);
    assert_eq!(m.body, failed.body);
    handle
        .command(EngineCommand::Local(LocalChange::AddNote {
            conversation: conv.id,
            author: "Anna".into(),
            body: "intern: Preis prüfen".into(),
            at: Timestamp::now(),
        }))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let msgs = store.lock().messages(conv.id, None, 50).unwrap();
    let note = msgs.iter().find(|m| m.kind == MessageKind::Note).unwrap();
    assert_eq!(note.body, "intern: Preis prüfen");
    // The customer's own message is never touched.
    let inbound = msgs
        .iter()
        .find(|m| m.direction == Direction::Inbound)
        .unwrap();
    assert_eq!(inbound.body, "Was kostet das?");
    handle.shutdown().await;
    task.await.unwrap().unwrap();
}

// R-A5: with the exception on, a form to an existing customer goes without the footer;
// to a new contact, or as a Bestellschein, never.
#[tokio::test]
async fn r_a5_the_vordruck_exception_applies_only_to_existing_customers_and_never_to_order_forms() {
    let fake = FakeConnector::new(account()).with_script(vec![
        ScriptStep::Emit(upsert("neu")),
        ScriptStep::Emit(message("neu", "n1", "Hallo")),
        ScriptStep::Emit(upsert("kunde")),
        ScriptStep::Emit(message("kunde", "k1", "Hallo")),
    ]);
    let store = SharedStore::new(Box::new(SqliteStore::open_in_memory().unwrap()));
    let (engine, handle) = Engine::start(
        store.clone(),
        vec![Box::new(fake)],
        EngineOptions::default(),
    );
    let mut rules = tresen::demo::compliance();
    rules.footer_config.allow_vordruck_exception = true;
    rules.footer_config.policy = tresen::compliance::footer::FooterPolicy::EveryMessage;
    let engine = engine.with_compliance(rules);
    let mut bus = handle.subscribe();
    let task = tokio::spawn(engine.run());
    told(&mut bus, Notification::CaughtUp).await;
    let neu = store.lock().find_conversation("neu").unwrap().unwrap();
    let kunde = store.lock().find_conversation("kunde").unwrap().unwrap();
    handle
        .command(EngineCommand::Local(LocalChange::SetLabels {
            conversation: kunde.id,
            labels: vec!["auftragsbestaetigung".into()],
            by: String::new(),
        }))
        .await
        .unwrap();
    let form = |tags: Vec<String>| tresen::engine::SendOptions {
        tags,
        vordruck: true,
        ..Default::default()
    };
    let send = |conv, tags| {
        let handle = handle.clone();
        let store = store.clone();
        async move {
            let id = handle
                .send_with(
                    conv,
                    "Termin: Montag 8 Uhr.".into(),
                    vec![],
                    "Anna".into(),
                    form(tags),
                )
                .await
                .unwrap();
            store.lock().message(id).unwrap().unwrap().body
        }
    };
    assert!(
        send(neu.id, vec![]).await.contains("Registergericht"),
        "a new contact: footer"
    );
    assert_eq!(
        send(kunde.id, vec![]).await,
        "Termin: Montag 8 Uhr.",
        "existing customer, form"
    );
    assert!(
        send(kunde.id, vec!["bestellschein".into()])
            .await
            .contains("Registergericht"),
        "never for an order form"
    );
    handle.shutdown().await;
    task.await.unwrap().unwrap();
}

/// A customer message arriving from the scripted network, `age_ms` old by its own
/// timestamp, as history (fetched, a first sync) or as delivered now.
fn customer_says(remote: &str, id: &str, body: &str, age_ms: i64, history: bool) -> ConnectorEvent {
    incoming(
        remote,
        id,
        body,
        Timestamp(Timestamp::now().0 - age_ms),
        history,
    )
}

fn person(remote: &str, name: &str) -> ConnectorEvent {
    ConnectorEvent::Conversation(ConversationUpsert {
        account: account(),
        remote_id: remote.into(),
        kind: ConversationKind::Direct,
        channel: Channel::Signal,
        title: name.into(),
        contact: Some(Contact::new(format!("+49 170 {remote}"), name)),
        security: Default::default(),
    })
}

/// The conversations the scripted network got the first-contact notice for.
fn noticed(fake: &tresen::connector::FakeHandle) -> Vec<String> {
    fake.sent()
        .into_iter()
        .filter(|m| m.body.starts_with("Guten Tag, vielen Dank"))
        .map(|m| m.conversation_remote_id)
        .collect()
}

async fn running_with_rules(store: SharedStore, fake: FakeConnector) -> Running {
    running_with(
        store,
        vec![Box::new(fake)],
        Some(tresen::demo::compliance()),
    )
    .await
}

/// Issue 14, item 4: the notice follows how a message arrived, not its own timestamp.
/// A message four days old that reaches tresen now (the office PC was off, Signal
/// queued it) gets it; a first sync's history and older messages fetched on request
/// do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_c8_the_notice_follows_arrival_not_the_age_of_the_message() {
    const DAY: i64 = 24 * 3600 * 1000;
    let fake = FakeConnector::new(account())
        .with_script(vec![
            ScriptStep::Emit(person("1", "Lena Spät")),
            ScriptStep::Emit(customer_says(
                "1",
                "late-1",
                "Heizung aus seit Freitag",
                4 * DAY,
                false,
            )),
            ScriptStep::Emit(person("2", "Olaf Alt")),
            ScriptStep::Emit(customer_says(
                "2",
                "old-1",
                "Danke für die Reparatur",
                3_600_000,
                true,
            )),
            ScriptStep::Emit(person("3", "Berta Früher")),
        ])
        .with_history(vec![
            match customer_says("3", "bf-1", "Angebot bitte", 60_000, false) {
                ConnectorEvent::Message(m) => m,
                _ => unreachable!(),
            },
        ]);
    let net = fake.handle();
    let store = SharedStore::new(Box::new(SqliteStore::open_in_memory().unwrap()));
    let mut r = running_with_rules(store.clone(), fake).await;
    let berta = store
        .lock()
        .conversation_by_remote(&account(), "3")
        .unwrap()
        .unwrap();
    r.handle
        .command(EngineCommand::Backfill {
            conversation: berta,
        })
        .await
        .unwrap();
    told(&mut r.bus, Notification::Backfilled(berta)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(noticed(&net), vec!["1".to_string()]);
    r.handle.shutdown().await;
    r.task.await.unwrap().unwrap();
}

/// Issue 14, item 4: a reply the office sent before the notice does not cancel it.
/// The customer's chat came in with a first sync (no notice), the office answered,
/// and when the customer writes again the notice goes out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_c8_an_earlier_reply_of_the_office_does_not_cancel_the_notice() {
    let store = SharedStore::new(Box::new(SqliteStore::open_in_memory().unwrap()));
    let first = FakeConnector::new(account()).with_script(vec![
        ScriptStep::Emit(person("7", "Kai Kunde")),
        ScriptStep::Emit(customer_says(
            "7",
            "k-1",
            "Wann kommt der Monteur?",
            3_600_000,
            true,
        )),
    ]);
    let net = first.handle();
    let r = running_with_rules(store.clone(), first).await;
    let kai = store
        .lock()
        .conversation_by_remote(&account(), "7")
        .unwrap()
        .unwrap();
    r.handle
        .send(kai, "Morgen früh.".into(), "Anna".into())
        .await
        .unwrap();
    r.handle.shutdown().await;
    r.task.await.unwrap().unwrap();
    assert!(noticed(&net).is_empty(), "history: no notice");
    assert_eq!(net.sent().len(), 1, "the office's reply went out");

    let again = FakeConnector::new(account()).with_script(vec![
        ScriptStep::Emit(person("7", "Kai Kunde")),
        ScriptStep::Emit(customer_says("7", "k-2", "Danke, bis morgen.", 0, false)),
    ]);
    let net = again.handle();
    let r = running_with_rules(store.clone(), again).await;
    for _ in 0..50 {
        if !noticed(&net).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(noticed(&net), vec!["7".to_string()]);
    r.handle.shutdown().await;
    r.task.await.unwrap().unwrap();
}

/// A store op of the fixtures as the event a network would deliver.
fn event(op: tresen::store::Op) -> ScriptStep {
    match op {
        tresen::store::Op::UpsertConversation(c) => {
            ScriptStep::Emit(ConnectorEvent::Conversation(c))
        }
        tresen::store::Op::Incoming(m) => ScriptStep::Emit(ConnectorEvent::Message(m)),
        other => panic!("no event for {other:?}"),
    }
}

// R-E1 through a seat (the inbox's `O`): a consumer's order is refused until the
// Widerrufsbelehrung went out — in the seat's language — and then recorded in the
// archive under the seat's name, linking the belehrung.
#[tokio::test]
async fn r_e1_order_steps_from_the_inbox_go_through_the_engine() {
    use tresen::compliance::orders::Ground;
    use tresen::lifecycle::orders::OrderChange;
    use tresen::protocol::Order;
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeConnector::new(account()).with_script(vec![
        event(conversation("c1", "Max Mustermann", Channel::Signal)),
        event(inbound(
            "c1",
            "m1",
            "Bitte ein Angebot für die Therme",
            1_000,
        )),
    ]);
    let support::engine::Archived {
        engine,
        handle,
        dir: archive,
        key,
    } = support::engine::start_archived(dir.path(), vec![Box::new(fake)]);
    let task = tokio::spawn(engine.run());
    let conv = loop {
        if let Some(c) = handle.store().read(|s| s.find_conversation("c1").unwrap()) {
            break c.id;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let step = |change: OrderChange| {
        tresen::seat::order_now(
            &handle,
            Order::OrderStep {
                conversation: conv,
                change,
                german: true,
            },
            "Anna",
            1,
        )
        .unwrap()
    };
    let v = step(OrderChange::Consumer { consumer: true })
        .await
        .unwrap()
        .order
        .unwrap();
    assert!(v.state.consumer);
    let refused = step(OrderChange::Accept {
        urgent_request: None,
    })
    .await
    .unwrap_err();
    assert!(
        refused.contains("erst die Widerrufsbelehrung senden"),
        "{refused}"
    );
    let (tx, rx) = tokio::sync::oneshot::channel();
    handle
        .command(EngineCommand::Send {
            conversation: conv,
            body: "Widerrufsbelehrung …".into(),
            files: vec![],
            sender: "Anna".into(),
            reply_to: None,
            options: tresen::engine::SendOptions {
                tags: vec!["widerrufsbelehrung".into()],
                ..Default::default()
            },
            reply: Some(tx),
        })
        .await
        .unwrap();
    let sent = rx.await.unwrap().unwrap();
    let v = step(OrderChange::Accept {
        urgent_request: None,
    })
    .await
    .unwrap()
    .order
    .unwrap();
    match &v.state.accepted {
        Some((_, Ground::Informed { belehrung, .. })) => {
            assert_eq!(belehrung, &format!("local:{}", sent.0))
        }
        other => panic!("{other:?}"),
    }
    handle.shutdown().await;
    task.await.unwrap().unwrap();
    let by: Vec<String> = support::engine::archived(&archive, &key)
        .into_iter()
        .filter_map(|p| match p {
            tresen::archive::Payload::Order(r) => Some(r.by),
            _ => None,
        })
        .collect();
    assert_eq!(by, ["Anna", "Anna"]);
}
