//! One contract, every store: SQLite in memory and SQLCipher on disk.

mod support;

use support::*;
use tresen::domain::{
    Channel, ConversationId, Delivery, Direction, MessageKind, Timestamp, TriageState,
};
use tresen::store::{Op, SendMeta, SqliteStore, Store, StoreError, StoreRead};

fn stores() -> Vec<(&'static str, Box<dyn Store>, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let key = [7u8; 32];
    let file = SqliteStore::open(&dir.path().join("inbox.db"), Some(&key)).unwrap();
    vec![
        (
            "sqlite-mem",
            Box::new(SqliteStore::open_in_memory().unwrap()),
            None,
        ),
        ("sqlcipher-file", Box::new(file), Some(dir)),
    ]
}

fn for_each_store(test: impl Fn(&str, &mut dyn Store)) {
    for (name, mut store, _dir) in stores() {
        test(name, store.as_mut());
    }
}

fn seed(s: &mut dyn Store) -> ConversationId {
    s.apply(&[
        conversation("1", "Max Mustermann", Channel::Whatsapp),
        inbound("1", "m1", "Die Heizung ist kalt", 1_000),
        inbound("1", "m2", "Fehlercode F28 im Display", 2_000),
    ])
    .unwrap();
    s.find_conversation("1").unwrap().unwrap().id
}

#[test]
fn incoming_messages_are_idempotent_by_remote_id() {
    for_each_store(|name, s| {
        let id = seed(s);
        // A connector replaying after a crash must not duplicate anything.
        let again = s
            .apply(&[inbound("1", "m1", "Die Heizung ist kalt", 1_000)])
            .unwrap();
        assert_eq!(again.inserted, 0, "{name}");
        let msgs = s.messages(id, None, 100).unwrap();
        assert_eq!(msgs.len(), 2, "{name}");
        let c = s.conversation(id).unwrap().unwrap();
        assert_eq!(c.unread, 2, "{name}: replay must not count as unread");
        assert_eq!(c.last_preview, "Fehlercode F28 im Display", "{name}");
        assert_eq!(c.channel, Channel::Whatsapp, "{name}");
    });
}

#[test]
fn messages_come_in_time_order_and_page_backwards() {
    for_each_store(|name, s| {
        let id = seed(s);
        // Backfilled history arrives after newer messages.
        s.apply(&[inbound("1", "m0", "Hallo", 500)]).unwrap();
        let all = s.messages(id, None, 100).unwrap();
        let bodies: Vec<&str> = all.iter().map(|m| m.body.as_str()).collect();
        assert_eq!(
            bodies,
            ["Hallo", "Die Heizung ist kalt", "Fehlercode F28 im Display"],
            "{name}"
        );
        let last = s.messages(id, None, 1).unwrap();
        assert_eq!(last[0].body, "Fehlercode F28 im Display", "{name}");
        let older = s.messages(id, Some(last[0].id), 10).unwrap();
        assert_eq!(older.len(), 2, "{name}");
        assert_eq!(older[1].body, "Die Heizung ist kalt", "{name}");
        // Preview keeps the newest message even though "Hallo" arrived last.
        let c = s.conversation(id).unwrap().unwrap();
        assert_eq!(c.last_preview, "Fehlercode F28 im Display", "{name}");
    });
}

#[test]
fn outgoing_is_pending_until_the_connector_answers() {
    for_each_store(|name, s| {
        let id = seed(s);
        let applied = s
            .apply(&[Op::QueueOutgoing {
                automatic: false,
                conversation: id,
                sender: "Anna".into(),
                body: "Wir kommen um 9".into(),
                attachments: vec![],
                at: Timestamp(T0.0 + 3_000),
                meta: Default::default(),
            }])
            .unwrap();
        let msg = applied.queued[0];
        let m = s.message(msg).unwrap().unwrap();
        assert_eq!(m.delivery, Delivery::Pending, "{name}");
        assert_eq!(m.direction, Direction::Outbound, "{name}");
        let c = s.conversation(id).unwrap().unwrap();
        assert_eq!(c.unread, 0, "{name}: answering reads the conversation");
        assert_eq!(
            c.state,
            TriageState::Waiting,
            "{name}: answering waits for the customer"
        );

        s.apply(&[Op::SendResult {
            message: msg,
            outcome: Ok("remote-1".into()),
            at: T0,
        }])
        .unwrap();
        s.apply(&[Op::Receipt {
            account: account(),
            remote_id: "remote-1".into(),
            delivery: Delivery::Read,
        }])
        .unwrap();
        // A late "delivered" receipt must not move it back.
        s.apply(&[Op::Receipt {
            account: account(),
            remote_id: "remote-1".into(),
            delivery: Delivery::Delivered,
        }])
        .unwrap();
        let m = s.message(msg).unwrap().unwrap();
        assert_eq!(m.delivery, Delivery::Read, "{name}");
        assert_eq!(m.remote_id.as_deref(), Some("remote-1"), "{name}");
    });
}

#[test]
fn failed_sends_are_kept_and_marked() {
    for_each_store(|name, s| {
        let id = seed(s);
        let msg = s
            .apply(&[Op::QueueOutgoing {
                automatic: false,
                conversation: id,
                sender: "Anna".into(),
                body: "geht nicht raus".into(),
                attachments: vec![],
                at: T0,
                meta: Default::default(),
            }])
            .unwrap()
            .queued[0];
        s.apply(&[Op::SendResult {
            message: msg,
            outcome: Err("network down".into()),
            at: T0,
        }])
        .unwrap();
        let m = s.message(msg).unwrap().unwrap();
        assert_eq!(m.delivery, Delivery::Failed, "{name}");
        assert_eq!(m.body, "geht nicht raus", "{name}: nothing lost");
        // Why, for the office: shown under the message and by `show`.
        assert_eq!(m.failure.as_deref(), Some("network down"), "{name}");
    });
}

#[test]
fn edits_and_deletions_keep_the_original() {
    for_each_store(|name, s| {
        let id = seed(s);
        s.apply(&[
            Op::RemoteEdit {
                account: account(),
                remote_id: "m1".into(),
                body: "Die Heizung ist wieder warm".into(),
                at: T0,
            },
            Op::RemoteDelete {
                account: account(),
                remote_id: "m2".into(),
                at: T0,
            },
        ])
        .unwrap();
        let msgs = s.messages(id, None, 10).unwrap();
        assert_eq!(msgs[0].body, "Die Heizung ist kalt", "{name}");
        assert_eq!(
            msgs[0].display_body(),
            "Die Heizung ist wieder warm",
            "{name}"
        );
        assert_eq!(msgs[1].body, "Fehlercode F28 im Display", "{name}");
        assert!(msgs[1].deleted_at.is_some(), "{name}");
    });
}

#[test]
fn triage_notes_labels_and_read_markers() {
    for_each_store(|name, s| {
        let id = seed(s);
        let until = Timestamp(T0.0 + Timestamp::DAY);
        s.apply(&[
            Op::SetState {
                conversation: id,
                state: TriageState::Snoozed(until),
            },
            Op::SetLabels {
                conversation: id,
                labels: vec!["wartung".into(), "angebot".into(), "wartung".into()],
            },
            Op::AddNote {
                conversation: id,
                author: "Anna".into(),
                body: "Kunde will nur vormittags".into(),
                at: Timestamp(T0.0 + 5_000),
            },
            Op::MarkRead { conversation: id },
        ])
        .unwrap();
        let c = s.conversation(id).unwrap().unwrap();
        assert_eq!(c.state, TriageState::Snoozed(until), "{name}");
        assert_eq!(c.labels, ["angebot", "wartung"], "{name}");
        assert_eq!(c.unread, 0, "{name}");
        assert_eq!(
            c.last_preview, "Fehlercode F28 im Display",
            "{name}: notes are not previews"
        );
        let note = s.messages(id, None, 1).unwrap().remove(0);
        assert_eq!(note.kind, MessageKind::Note, "{name}");

        s.apply(&[Op::MarkUnread { conversation: id }]).unwrap();
        assert!(s.conversation(id).unwrap().unwrap().is_unread(), "{name}");

        // The customer writing again reopens a snoozed conversation.
        s.apply(&[inbound("1", "m3", "Hallo?", 9_000)]).unwrap();
        let c = s.conversation(id).unwrap().unwrap();
        assert_eq!(c.state, TriageState::Open, "{name}");
    });
}

#[test]
fn a_failing_op_rolls_back_the_whole_batch() {
    for_each_store(|name, s| {
        let id = seed(s);
        let r = s.apply(&[
            Op::SetLabels {
                conversation: id,
                labels: vec!["x".into()],
            },
            Op::SetState {
                conversation: ConversationId(9999),
                state: TriageState::Done,
            },
        ]);
        assert!(matches!(r, Err(StoreError::NoConversation(_))), "{name}");
        assert!(
            s.conversation(id).unwrap().unwrap().labels.is_empty(),
            "{name}"
        );
    });
}

#[test]
fn announcing_a_conversation_again_changes_only_what_changed() {
    for_each_store(|name, s| {
        let id = seed(s);
        // Connectors announce the conversation with every message: same id, same data.
        s.apply(&[conversation("1", "Max Mustermann", Channel::Whatsapp)])
            .unwrap();
        let c = s.find_conversation("1").unwrap().unwrap();
        assert_eq!((c.id, c.title.as_str()), (id, "Max Mustermann"), "{name}");
        // A new name (the customer renamed their profile) is taken over in place.
        s.apply(&[conversation("1", "Max Mustermann (Bad)", Channel::Whatsapp)])
            .unwrap();
        let c = s.find_conversation("1").unwrap().unwrap();
        assert_eq!(c.id, id, "{name}");
        assert_eq!(c.title, "Max Mustermann (Bad)", "{name}");
        assert_eq!(s.messages(id, None, 10).unwrap().len(), 2, "{name}");
        assert_eq!(s.stats().unwrap().conversations, 1, "{name}");
    });
}

#[test]
fn a_changed_identity_updates_only_the_conversations_security() {
    use tresen::domain::Security;
    for_each_store(|name, s| {
        let id = seed(s);
        let set = |security| Op::SetSecurity {
            account: support::account(),
            remote_id: "1".into(),
            security,
        };
        let applied = s.apply(&[set(Security::IdentityChanged)]).unwrap();
        assert!(applied.conversations.contains(&id), "{name}");
        let c = s.find_conversation("1").unwrap().unwrap();
        assert_eq!(c.security, Security::IdentityChanged, "{name}");
        assert_eq!(c.title, "Max Mustermann", "{name}");
        // The same state again is no change (no redraw); an unknown peer is ignored.
        let applied = s.apply(&[set(Security::IdentityChanged)]).unwrap();
        assert!(applied.conversations.is_empty(), "{name}");
        s.apply(&[Op::SetSecurity {
            account: support::account(),
            remote_id: "nobody".into(),
            security: Security::Verified,
        }])
        .unwrap();
        assert!(s.find_conversation("nobody").unwrap().is_none(), "{name}");
    });
}

#[test]
fn unknown_conversation_gets_a_placeholder_not_a_lost_message() {
    for_each_store(|name, s| {
        s.apply(&[inbound("ghost", "g1", "Hallo?", 0)]).unwrap();
        let c = s.find_conversation("ghost").unwrap().expect(name);
        assert_eq!(s.messages(c.id, None, 10).unwrap().len(), 1, "{name}");
    });
}

#[test]
fn search_finds_words_in_bodies_notes_and_names() {
    for_each_store(|name, s| {
        let id = seed(s);
        s.apply(&[
            conversation("2", "Erika Schäfer", Channel::Signal),
            inbound("2", "e1", "Wasserschaden im Keller", 4_000),
            Op::AddNote {
                conversation: id,
                author: "Anna".into(),
                body: "Ersatzteil bestellt".into(),
                at: T0,
            },
        ])
        .unwrap();
        let hits = s.search("keller", 10).unwrap();
        assert_eq!(hits.len(), 1, "{name}");
        assert_eq!(hits[0].title, "Erika Schäfer", "{name}");
        assert!(
            s.search("ersatzteil", 10)
                .unwrap()
                .iter()
                .any(|h| h.message.is_some()),
            "{name}"
        );
        let two = s.search("heizung kalt", 10).unwrap();
        assert_eq!(two.len(), 1, "{name}");
        let contact = s.search("mustermann", 10).unwrap();
        assert!(
            contact
                .iter()
                .any(|h| h.message.is_none() && h.conversation == id),
            "{name}"
        );
        // Operators and quotes in user input are plain text, not syntax.
        assert!(s.search("\"OR * -", 10).unwrap().is_empty(), "{name}");
        assert!(s.search("fehlercode:F28", 10).unwrap().len() == 1, "{name}");
    });
}

// R-C12: a corrected name is a version beside the network's: shown everywhere, found by
// search, kept when the network announces its own name again, following the peer's new
// id, recorded once however often replayed, and gone with the customer's last chat.
#[test]
fn a_corrected_name_is_a_version_beside_the_networks() {
    use tresen::domain::correction::ContactCorrection;
    for_each_store(|name, s| {
        let id = seed(s);
        let conv = s.conversation(id).unwrap().unwrap();
        let c =
            ContactCorrection::name(&conv, "Max Musterfrau", "Heirat", "Anna", Timestamp(5_000))
                .unwrap();
        s.apply(&[Op::CorrectContact(c.clone())]).unwrap();
        s.apply(&[Op::CorrectContact(c.clone())]).unwrap();
        let shown = s.conversation(id).unwrap().unwrap();
        assert_eq!(shown.title, "Max Musterfrau", "{name}");
        assert_eq!(
            shown.contact.unwrap().display_name,
            "Max Musterfrau",
            "{name}"
        );
        let notes: Vec<_> = s
            .messages(id, None, 100)
            .unwrap()
            .into_iter()
            .filter(|m| m.kind == MessageKind::Note)
            .collect();
        assert_eq!(notes.len(), 1, "{name}: replayed once");
        assert!(
            notes[0]
                .body
                .contains("„Max Mustermann“ → „Max Musterfrau“"),
            "{name}"
        );
        // The list keeps its order: a correction is no news from the customer.
        assert_eq!(shown.last_preview, "Fehlercode F28 im Display", "{name}");
        assert_eq!(
            s.find_conversation("max musterfrau").unwrap().map(|c| c.id),
            Some(id)
        );
        assert!(!s.search("Musterfrau", 10).unwrap().is_empty(), "{name}");
        // The network says its old name again: the office's correction stays.
        s.apply(&[conversation("1", "Max Mustermann", Channel::Whatsapp)])
            .unwrap();
        assert_eq!(
            s.conversation(id).unwrap().unwrap().title,
            "Max Musterfrau",
            "{name}"
        );
        let versions = s.contact_versions(&account(), "+49 170 1").unwrap();
        assert_eq!(versions, vec![c], "{name}");
        // The peer's id changes: its versions follow.
        s.apply(&[Op::RenamePeer {
            account: account(),
            from: "+49 170 1".into(),
            to: "aci-1".into(),
        }])
        .unwrap();
        assert_eq!(
            s.contact_versions(&account(), "aci-1").unwrap().len(),
            1,
            "{name}"
        );
        assert!(
            s.contact_versions(&account(), "+49 170 1")
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            s.conversation(id).unwrap().unwrap().title,
            "Max Musterfrau",
            "{name}"
        );
        // The last of the customer's messages goes: nothing to keep the name for.
        s.apply(&[Op::Purge {
            account: account(),
            remote_id: "1".into(),
            from: Timestamp(0),
            to: Timestamp(i64::MAX / 2),
        }])
        .unwrap();
        assert!(s.conversation(id).unwrap().is_none(), "{name}");
        assert!(
            s.contact_versions(&account(), "aci-1").unwrap().is_empty(),
            "{name}"
        );
    });
}

// R-F2: what the office wrote on another device arrives from the network as outbound;
// it is marked, what tresen sent is not.
#[test]
fn messages_sent_from_another_device_are_marked() {
    for_each_store(|name, s| {
        let id = seed(s);
        let mut phone = inbound("1", "p1", "Komme um 8", 3_000);
        if let Op::Incoming(m) = &mut phone {
            m.direction = Direction::Outbound;
        }
        s.apply(&[phone]).unwrap();
        s.apply(&[Op::QueueOutgoing {
            conversation: id,
            automatic: false,
            sender: "Anna".into(),
            body: "Von hier".into(),
            attachments: vec![],
            at: Timestamp(T0.0 + 4_000),
            meta: SendMeta::default(),
        }])
        .unwrap();
        let marked: Vec<(String, bool)> = s
            .messages(id, None, 10)
            .unwrap()
            .into_iter()
            .map(|m| (m.body, m.elsewhere))
            .collect();
        assert!(
            marked.contains(&("Komme um 8".into(), true)),
            "{name}: {marked:?}"
        );
        assert!(
            marked.contains(&("Von hier".into(), false)),
            "{name}: {marked:?}"
        );
        assert!(
            marked.contains(&("Die Heizung ist kalt".into(), false)),
            "{name}"
        );
    });
}

#[test]
fn conversation_list_is_most_recent_first() {
    for_each_store(|name, s| {
        s.apply(&[
            conversation("a", "Alt", Channel::Telegram),
            inbound("a", "a1", "alt", 1_000),
            conversation("b", "Neu", Channel::Matrix),
            inbound("b", "b1", "neu", 2_000),
        ])
        .unwrap();
        let titles: Vec<String> = s
            .conversations()
            .unwrap()
            .into_iter()
            .map(|c| c.title)
            .collect();
        assert_eq!(titles, ["Neu", "Alt"], "{name}");
        assert_eq!(s.stats().unwrap().messages, 2, "{name}");
    });
}

#[test]
fn sqlcipher_store_is_encrypted_and_reopens_only_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    {
        let mut s = SqliteStore::open(&path, Some(&[1u8; 32])).unwrap();
        assert!(s.cipher_version().is_some(), "SQLCipher must be linked");
        s.apply(&[
            conversation("1", "Geheim GmbH", Channel::Signal),
            inbound("1", "x", "vertraulich", 0),
        ])
        .unwrap();
    }
    let raw = std::fs::read(&path).unwrap();
    assert!(!raw.starts_with(b"SQLite format 3"));
    assert!(!raw.windows(11).any(|w| w == b"vertraulich"));
    let reopened = SqliteStore::open(&path, Some(&[1u8; 32])).unwrap();
    assert_eq!(reopened.stats().unwrap().messages, 1);
    drop(reopened);
    let wrong = SqliteStore::open(&path, Some(&[2u8; 32]));
    assert!(
        matches!(wrong, Err(StoreError::WrongKey { .. })),
        "{:?}",
        wrong.err()
    );
}

#[test]
fn ops_in_one_batch_apply_in_order() {
    for_each_store(|name, s| {
        let id = seed(s);
        let until = Timestamp(T0.0 + Timestamp::DAY);
        // Written as one transaction, as the engine does during a sync.
        s.apply(&[
            inbound("1", "b1", "noch was", 3_000),
            Op::SetState {
                conversation: id,
                state: TriageState::Done,
            },
        ])
        .unwrap();
        assert_eq!(
            s.conversation(id).unwrap().unwrap().state,
            TriageState::Done,
            "{name}"
        );
        s.apply(&[
            Op::SetState {
                conversation: id,
                state: TriageState::Snoozed(until),
            },
            inbound("1", "b2", "hallo?", 4_000),
            inbound("1", "b3", "älter", 3_500),
        ])
        .unwrap();
        let c = s.conversation(id).unwrap().unwrap();
        assert_eq!(
            c.state,
            TriageState::Open,
            "{name}: the customer wrote after the snooze"
        );
        assert_eq!(c.unread, 5, "{name}");
        assert_eq!(
            c.last_preview, "hallo?",
            "{name}: newest message, not the last applied"
        );
    });
}

#[test]
fn reader_connection_sees_committed_writes_and_is_read_only() {
    use tresen::store::SharedStore;
    let dir = tempfile::tempdir().unwrap();
    let writer = SqliteStore::open(&dir.path().join("inbox.db"), Some(&[5u8; 32])).unwrap();
    let reader = writer.reader().unwrap().expect("file stores have a reader");
    let shared = SharedStore::with_reader(Box::new(writer), Box::new(reader));
    assert_eq!(shared.read(|s| s.stats().unwrap().messages), 0);
    shared
        .lock()
        .apply(&[
            conversation("1", "Max", Channel::Signal),
            inbound("1", "m1", "Hallo", 0),
        ])
        .unwrap();
    assert_eq!(shared.read(|s| s.stats().unwrap().messages), 1);
    assert_eq!(shared.read(|s| s.search("hallo", 10).unwrap().len()), 1);
    // A reader must not be able to write behind the engine's back.
    let again = SqliteStore::open(&dir.path().join("inbox.db"), Some(&[5u8; 32])).unwrap();
    let mut r = again.reader().unwrap().unwrap();
    assert!(r.apply(&[inbound("1", "m2", "x", 1)]).is_err());
    assert!(
        SqliteStore::open_in_memory()
            .unwrap()
            .reader()
            .unwrap()
            .is_none()
    );
}

#[test]
fn drafts_persist_until_cleared() {
    for_each_store(|name, s| {
        let id = seed(s);
        s.apply(&[Op::SetDraft {
            conversation: id,
            body: "Guten Tag, wir".into(),
        }])
        .unwrap();
        assert_eq!(
            s.conversation(id).unwrap().unwrap().draft.as_deref(),
            Some("Guten Tag, wir"),
            "{name}"
        );
        assert_eq!(
            s.conversations().unwrap()[0].draft.as_deref(),
            Some("Guten Tag, wir"),
            "{name}"
        );
        s.apply(&[Op::SetDraft {
            conversation: id,
            body: "  ".into(),
        }])
        .unwrap();
        assert_eq!(s.conversation(id).unwrap().unwrap().draft, None, "{name}");
        let err = s.apply(&[Op::SetDraft {
            conversation: ConversationId(999),
            body: "x".into(),
        }]);
        assert!(matches!(err, Err(StoreError::NoConversation(_))), "{name}");
    });
}

/// Takes a current store back to before schema 10 (sends kept across restarts, a
/// contact's phone beside its id), so older schemas can be built from it.
/// Undoes migration 11 (the urgent mark).
const UNDO_15: &str = "ALTER TABLE messages DROP COLUMN elsewhere;";
/// Undoes migration 16 (the restriction mark).
const UNDO_16: &str = "ALTER TABLE messages DROP COLUMN sensitive;";

const UNDO_17: &str = "ALTER TABLE messages DROP COLUMN quote;";
const UNDO_18: &str = "DROP INDEX messages_notices;";

const UNDO_14: &str = "DROP TRIGGER conversations_fts_insert; DROP TRIGGER conversations_fts_update; \
    DROP TABLE conversations_fts; DROP TABLE contact_versions; \
    ALTER TABLE conversations DROP COLUMN corrected_name; \
    CREATE VIRTUAL TABLE conversations_fts USING fts5 (title, contact_name, contact_identity, contact_phone, \
        content = 'conversations', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'); \
    CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN \
        INSERT INTO conversations_fts (rowid, title, contact_name, contact_identity, contact_phone) \
        VALUES (new.id, new.title, new.contact_name, new.contact_identity, new.contact_phone); END; \
    CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title, contact_name, contact_identity, contact_phone ON conversations BEGIN \
        INSERT INTO conversations_fts (conversations_fts, rowid, title, contact_name, contact_identity, contact_phone) \
        VALUES ('delete', old.id, old.title, old.contact_name, old.contact_identity, old.contact_phone); \
        INSERT INTO conversations_fts (rowid, title, contact_name, contact_identity, contact_phone) \
        VALUES (new.id, new.title, new.contact_name, new.contact_identity, new.contact_phone); END;";

const UNDO_13: &str = "DROP TABLE scheduled;";

const UNDO_12: &str = "ALTER TABLE conversations DROP COLUMN last_reply_at; \
    ALTER TABLE conversations DROP COLUMN waiting_since;";

const UNDO_11: &str = "ALTER TABLE conversations DROP COLUMN urgent;";

const UNDO_10: &str = "DROP TRIGGER conversations_fts_insert; DROP TRIGGER conversations_fts_update; \
    DROP TABLE conversations_fts; DROP INDEX messages_pending; \
    ALTER TABLE conversations DROP COLUMN contact_phone; \
    ALTER TABLE messages DROP COLUMN txn; ALTER TABLE messages DROP COLUMN attempted; \
    ALTER TABLE messages DROP COLUMN footer; ALTER TABLE messages DROP COLUMN notice; \
    CREATE VIRTUAL TABLE conversations_fts USING fts5 (title, contact_name, contact_identity, \
        content = 'conversations', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'); \
    CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN \
        INSERT INTO conversations_fts (rowid, title, contact_name, contact_identity) \
        VALUES (new.id, new.title, new.contact_name, new.contact_identity); END; \
    CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title, contact_name, contact_identity ON conversations BEGIN \
        INSERT INTO conversations_fts (conversations_fts, rowid, title, contact_name, contact_identity) \
        VALUES ('delete', old.id, old.title, old.contact_name, old.contact_identity); \
        INSERT INTO conversations_fts (rowid, title, contact_name, contact_identity) \
        VALUES (new.id, new.title, new.contact_name, new.contact_identity); END; \
    INSERT INTO conversations_fts (conversations_fts) VALUES ('rebuild');";

#[test]
fn a_store_of_schema_1_is_migrated_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        // What the first release wrote: schema 1, no drafts table.
        let s = SqliteStore::open(&path, None).unwrap();
        drop(s);
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(UNDO_18).unwrap();
        c.execute_batch(UNDO_17).unwrap();
        c.execute_batch(UNDO_16).unwrap();
        c.execute_batch(UNDO_15).unwrap();
        c.execute_batch(UNDO_14).unwrap();
        c.execute_batch(UNDO_13).unwrap();
        c.execute_batch(UNDO_12).unwrap();
        c.execute_batch(UNDO_11).unwrap();
        c.execute_batch(UNDO_10).unwrap();
        c.execute_batch(
            "DROP TABLE drafts; DROP TABLE sync_positions; DROP TABLE reactions; \
             DROP TABLE account_health; DROP TABLE ledger; \
             ALTER TABLE conversations DROP COLUMN assigned; \
             ALTER TABLE conversations DROP COLUMN security; \
             ALTER TABLE messages DROP COLUMN failure; PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let mut s = SqliteStore::open(&path, None).unwrap();
    let id = seed(&mut s);
    s.apply(&[Op::SetDraft {
        conversation: id,
        body: "neu".into(),
    }])
    .unwrap();
    assert_eq!(
        s.conversation(id).unwrap().unwrap().draft.as_deref(),
        Some("neu")
    );
    drop(s);
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("PRAGMA user_version = 99;").unwrap();
    drop(c);
    assert!(matches!(
        SqliteStore::open(&path, None),
        Err(StoreError::NewerSchema { found: 99, .. })
    ));
}

/// Issue 17: a store from before the queue view learns how long each customer has been
/// waiting from the messages it holds.
#[test]
fn migration_12_finds_how_long_each_customer_has_waited() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let mut s = SqliteStore::open(&path, None).unwrap();
        s.apply(&[
            conversation("1", "Frau Huber", Channel::Signal),
            inbound("1", "a", "Angebot?", 0),
            conversation("2", "Herr Alt", Channel::Signal),
            inbound("2", "b", "Heizung?", 1_000),
        ])
        .unwrap();
        let alt = s.find_conversation("2").unwrap().unwrap().id;
        s.apply(&[
            Op::QueueOutgoing {
                conversation: alt,
                sender: "Anna".into(),
                body: "Morgen.".into(),
                attachments: vec![],
                at: Timestamp(T0.0 + 2_000),
                automatic: false,
                meta: Default::default(),
            },
            inbound("2", "c", "Danke, und wann genau?", 3_000),
        ])
        .unwrap();
        drop(s);
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(UNDO_18).unwrap();
        c.execute_batch(UNDO_17).unwrap();
        c.execute_batch(UNDO_16).unwrap();
        c.execute_batch(UNDO_15).unwrap();
        c.execute_batch(UNDO_14).unwrap();
        c.execute_batch(UNDO_13).unwrap();
        c.execute_batch(UNDO_12).unwrap();
        c.execute_batch("PRAGMA user_version = 11;").unwrap();
    }
    let s = SqliteStore::open(&path, None).unwrap();
    let huber = s.find_conversation("1").unwrap().unwrap();
    assert_eq!(huber.waiting_since, Some(T0));
    let alt = s.find_conversation("2").unwrap().unwrap();
    assert_eq!(alt.waiting_since, Some(Timestamp(T0.0 + 3_000)));
}

#[test]
fn messages_indexed_before_schema_3_are_still_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    {
        let mut s = SqliteStore::open(&path, Some(&[3u8; 32])).unwrap();
        s.apply(&[
            conversation("1", "Frau Huber", Channel::Signal),
            inbound("1", "a", "Thermostat im Bad tropft", 0),
        ])
        .unwrap();
    }
    {
        // Back to schema 2: migration 3 replaces the message index and must refill it.
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(&format!(
            "PRAGMA key = \"x'{}'\"; PRAGMA cipher_page_size = 16384; \
             PRAGMA cipher_hmac_algorithm = HMAC_SHA256; {UNDO_18} {UNDO_17} {UNDO_16} {UNDO_15} {UNDO_14} {UNDO_13} {UNDO_12} {UNDO_11} {UNDO_10} DROP TABLE sync_positions; \
             DROP TABLE reactions; DROP TABLE account_health; DROP TABLE ledger; \
             ALTER TABLE conversations DROP COLUMN assigned; \
             ALTER TABLE conversations DROP COLUMN security; \
             ALTER TABLE messages DROP COLUMN failure; PRAGMA user_version = 2;",
            "03".repeat(32)
        ))
        .unwrap();
    }
    let s = SqliteStore::open(&path, Some(&[3u8; 32])).unwrap();
    let hits = s.search("thermostat", 10).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
}

#[test]
fn a_store_with_sqlcipher_default_pages_still_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    {
        // What the first release wrote: SQLCipher 4's default page settings.
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(&format!(
            "PRAGMA key = \"x'{}'\"; CREATE TABLE from_first_release (x);",
            "05".repeat(32)
        ))
        .unwrap();
    }
    {
        let mut s = SqliteStore::open(&path, Some(&[5u8; 32])).unwrap();
        s.apply(&[
            conversation("1", "Herr Yilmaz", Channel::Whatsapp),
            inbound("1", "a", "Heizung bleibt kalt", 0),
        ])
        .unwrap();
        let reader = s.reader().unwrap().expect("file store has a reader");
        assert_eq!(reader.stats().unwrap().messages, 1);
    }
    let s = SqliteStore::open(&path, Some(&[5u8; 32])).unwrap();
    assert_eq!(s.search("heizung", 10).unwrap().len(), 1);
    drop(s);
    let wrong = SqliteStore::open(&path, Some(&[6u8; 32]));
    assert!(
        matches!(wrong, Err(StoreError::WrongKey { .. })),
        "{:?}",
        wrong.err()
    );
}

#[test]
fn a_sync_position_is_stored_only_with_the_events_before_it() {
    for_each_store(|name, s| {
        let id = seed(s);
        let acc = support::account();
        assert_eq!(s.sync_position(&acc).unwrap(), None, "{name}");
        s.apply(&[
            inbound("1", "p1", "eins", 10),
            Op::SetSyncPosition {
                account: acc.clone(),
                position: "s1".into(),
            },
        ])
        .unwrap();
        assert_eq!(
            s.sync_position(&acc).unwrap().as_deref(),
            Some("s1"),
            "{name}"
        );
        // A batch that fails leaves the old position: the events are fetched again.
        let r = s.apply(&[
            inbound("1", "p2", "zwei", 20),
            Op::SetState {
                conversation: ConversationId(9999),
                state: TriageState::Done,
            },
            Op::SetSyncPosition {
                account: acc.clone(),
                position: "s2".into(),
            },
        ]);
        assert!(r.is_err(), "{name}");
        assert_eq!(
            s.sync_position(&acc).unwrap().as_deref(),
            Some("s1"),
            "{name}"
        );
        assert_eq!(
            s.messages(id, None, 10).unwrap().len(),
            2 + 1,
            "{name}: seed + eins"
        );
    });
}

#[test]
fn a_placeholder_for_an_undecryptable_message_is_replaced_once_it_decrypts() {
    for_each_store(|name, s| {
        let id = seed(s);
        let mut utd = inbound("1", "enc1", tresen::domain::UNDECRYPTABLE, 3_000);
        if let Op::Incoming(m) = &mut utd {
            m.kind = MessageKind::System;
        }
        s.apply(&[utd]).unwrap();
        assert_eq!(
            s.undecryptable(&account(), 10).unwrap(),
            vec![("1".to_string(), "enc1".to_string())],
            "{name}"
        );
        // The same event again, undecryptable again: nothing changes.
        let mut again = inbound("1", "enc1", tresen::domain::UNDECRYPTABLE, 3_000);
        if let Op::Incoming(m) = &mut again {
            m.kind = MessageKind::System;
        }
        s.apply(&[again]).unwrap();
        // Decrypted at last: the placeholder becomes the message, searchable.
        s.apply(&[inbound("1", "enc1", "Zugangscode Heizraum 4711", 3_000)])
            .unwrap();
        let msgs = s.messages(id, None, 10).unwrap();
        assert_eq!(msgs.len(), 3, "{name}: replaced, not added");
        assert_eq!(msgs[2].body, "Zugangscode Heizraum 4711", "{name}");
        assert_eq!(msgs[2].kind, MessageKind::Chat, "{name}");
        assert!(
            s.undecryptable(&account(), 10).unwrap().is_empty(),
            "{name}"
        );
        assert_eq!(s.search("Zugangscode", 10).unwrap().len(), 1, "{name}");
        assert!(s.search("entschlüsselt", 10).unwrap().is_empty(), "{name}");
        // A real message is never overwritten by a replay with other text.
        s.apply(&[inbound("1", "m1", "überschrieben?", 1_000)])
            .unwrap();
        assert_eq!(
            s.messages(id, None, 10).unwrap()[0].body,
            "Die Heizung ist kalt",
            "{name}"
        );
    });
}

#[test]
fn security_state_is_kept_and_updated_by_the_connector() {
    for_each_store(|name, s| {
        let id = seed(s);
        assert_eq!(
            s.conversation(id).unwrap().unwrap().security,
            tresen::domain::Security::Unknown,
            "{name}"
        );
        let mut up = conversation("1", "Max Mustermann", Channel::Whatsapp);
        if let Op::UpsertConversation(c) = &mut up {
            c.security = tresen::domain::Security::IdentityChanged;
        }
        s.apply(&[up]).unwrap();
        assert_eq!(
            s.conversation(id).unwrap().unwrap().security,
            tresen::domain::Security::IdentityChanged,
            "{name}"
        );
    });
}

#[test]
fn reactions_show_on_their_message_and_go_when_withdrawn() {
    for_each_store(|name, s| {
        let id = seed(s);
        let react = |rid: &str, key: &str, outbound: bool| Op::Reaction {
            account: account(),
            remote_id: rid.into(),
            target: "m1".into(),
            key: key.into(),
            sender: if outbound {
                "Anna".into()
            } else {
                "Max".into()
            },
            outbound,
            at: T0,
        };
        s.apply(&[react("r1", "👍", false), react("r2", "✅", true)])
            .unwrap();
        s.apply(&[react("r1", "👍", false)]).unwrap(); // replay
        let m = &s.messages(id, None, 10).unwrap()[0];
        assert_eq!(
            m.reactions
                .iter()
                .map(|r| (r.key.as_str(), r.sender.as_str(), r.outbound))
                .collect::<Vec<_>>(),
            vec![("👍", "Max", false), ("✅", "Anna", true)],
            "{name}"
        );
        assert_eq!(
            s.message(m.id).unwrap().unwrap().reactions.len(),
            2,
            "{name}"
        );
        s.apply(&[Op::RemoteDelete {
            account: account(),
            remote_id: "r1".into(),
            at: T0,
        }])
        .unwrap();
        let msgs = s.messages(id, None, 10).unwrap();
        assert_eq!(msgs[0].reactions.len(), 1, "{name}");
        assert_eq!(msgs[0].reactions[0].key, "✅", "{name}");
        assert!(
            msgs[0].deleted_at.is_none(),
            "{name}: the message itself stays"
        );
        assert_eq!(msgs.len(), 2, "{name}: a reaction is no message");
    });
}

#[test]
fn the_last_health_of_an_account_is_kept() {
    use tresen::domain::{AccountId, Health};
    for_each_store(|name, s| {
        let a = AccountId("buero".into());
        assert!(s.account_health(&a).unwrap().is_none(), "{name}");
        s.apply(&[Op::SetHealth {
            account: a.clone(),
            health: Health::Degraded("whatsapp bridge: not logged in".into()),
            at: T0,
        }])
        .unwrap();
        assert_eq!(
            s.account_health(&a).unwrap(),
            Some((
                Health::Degraded("whatsapp bridge: not logged in".into()),
                T0
            )),
            "{name}"
        );
    });
}

#[test]
fn a_read_only_store_reads_beside_the_writer_and_never_migrates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let key = [4u8; 32];
    let mut writer = SqliteStore::open(&path, Some(&key)).unwrap();
    seed(&mut writer);
    let reader = SqliteStore::open_read_only(&path, Some(&key)).unwrap();
    assert_eq!(reader.conversations().unwrap().len(), 1);
    writer
        .apply(&[inbound("1", "m9", "noch eine Nachricht", 9_000)])
        .unwrap();
    assert_eq!(reader.stats().unwrap().messages, 3, "sees committed writes");
    assert!(matches!(
        SqliteStore::open_read_only(&path, Some(&[5u8; 32])),
        Err(StoreError::WrongKey { .. })
    ));
    drop(reader);
    let c = {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(&format!(
            "PRAGMA key = \"x'{}'\"; PRAGMA cipher_page_size = 16384; \
             PRAGMA cipher_hmac_algorithm = HMAC_SHA256; PRAGMA user_version = 3;",
            "04".repeat(32)
        ))
        .unwrap();
        c
    };
    drop(c);
    assert!(
        matches!(
            SqliteStore::open_read_only(&path, Some(&key)),
            Err(StoreError::OlderSchema { found: 3, .. })
        ),
        "an older schema is not migrated by a reader"
    );
}

// What the archive's capture asks before archiving a re-delivered message.
#[test]
fn known_remote_ids_names_stored_messages_and_placeholders() {
    for_each_store(|name, s| {
        seed(s);
        let mut utd = inbound("1", "enc1", tresen::domain::UNDECRYPTABLE, 3_000);
        if let Op::Incoming(m) = &mut utd {
            m.kind = MessageKind::System;
        }
        s.apply(&[utd, inbound("1", "plain1", "Hallo", 3_100)])
            .unwrap();
        let many: Vec<String> = (0..600).map(|i| format!("x{i}")).collect();
        let mut ids: Vec<&str> = many.iter().map(String::as_str).collect();
        ids.extend(["enc1", "plain1", "nope"]);
        let known = s.known_remote_ids(&account(), &ids).unwrap();
        assert_eq!(known.len(), 2, "{name}: {known:?}");
        assert_eq!(known.get("enc1"), Some(&true), "{name}");
        assert_eq!(known.get("plain1"), Some(&false), "{name}");
        assert!(
            s.known_remote_ids(&tresen::domain::AccountId("other".into()), &["plain1"])
                .unwrap()
                .is_empty(),
            "{name}: per account"
        );
    });
}

#[test]
fn tresens_own_notice_leaves_unread_state_and_preview_alone() {
    for_each_store(|name, s| {
        let id = seed(s);
        let notice = s
            .apply(&[Op::QueueOutgoing {
                automatic: true,
                conversation: id,
                sender: "tresen (automatisch)".into(),
                body: "Datenschutz kurz …".into(),
                attachments: vec![],
                at: Timestamp(T0.0 + 3_000),
                meta: Default::default(),
            }])
            .unwrap()
            .queued[0];
        let c = s.conversation(id).unwrap().unwrap();
        assert_eq!(c.unread, 2, "{name}: nobody has answered the customer yet");
        assert_eq!(c.state, TriageState::Open, "{name}");
        assert_eq!(c.last_preview, "Fehlercode F28 im Display", "{name}");
        // Not counted as the office's last message while it has not left (issue 14):
        // the footer policy counts only what the network took.
        let (out, inbound) = s.last_exchange(id).unwrap();
        assert_eq!(out, None, "{name}");
        assert_eq!(inbound, Some(Timestamp(T0.0 + 2_000)), "{name}");
        s.apply(&[Op::SendResult {
            message: notice,
            outcome: Ok("n1".into()),
            at: Timestamp(T0.0 + 4_000),
        }])
        .unwrap();
        let (out, _) = s.last_exchange(id).unwrap();
        assert_eq!(
            out,
            Some(Timestamp(T0.0 + 3_000)),
            "{name}: once sent it counts"
        );
    });
}

#[test]
fn the_ledger_is_kept_in_order_per_contact_and_assignment_is_the_current_state_only() {
    use tresen::compliance::LedgerEntry;
    use tresen::compliance::consent::{Action, ConsentRecord, Method, Purpose};
    for_each_store(|name, s| {
        let id = seed(s);
        let record = |action, at| {
            LedgerEntry::Consent(ConsentRecord {
                account: "buero".into(),
                contact: "Max".into(),
                channel: Channel::Whatsapp,
                address: "+4917012345".into(),
                purposes: vec![Purpose::ServiceMessaging],
                action,
                wording_version: "w-1".into(),
                wording_sha256: "ab".into(),
                wording: "JA?".into(),
                method: Method::InboundKeyword,
                evidence: Some("buero/m9".into()),
                staff: String::new(),
                at: Timestamp(at),
            })
        };
        s.apply(&[
            Op::Ledger(record(Action::Grant, 10)),
            Op::Ledger(LedgerEntry::Footer {
                account: "buero".into(),
                conversation: "1".into(),
                version: "f-1".into(),
                at: Timestamp(11),
            }),
            Op::Ledger(record(Action::Withdraw, 12)),
        ])
        .unwrap();
        let mine = s.ledger(Channel::Whatsapp, "+4917012345").unwrap();
        assert_eq!(mine.len(), 2, "{name}");
        assert_eq!(mine[0], record(Action::Grant, 10), "{name}");
        assert_eq!(mine[1], record(Action::Withdraw, 12), "{name}");
        assert!(
            s.ledger(Channel::Signal, "+4917012345").unwrap().is_empty(),
            "{name}: per channel"
        );
        let footers = s
            .ledger(
                Channel::Other,
                &tresen::compliance::footer_key("buero", "1"),
            )
            .unwrap();
        assert_eq!(footers.len(), 1, "{name}");
        assert_eq!(s.ledger_all().unwrap().len(), 3, "{name}");
        // R-C1: a replay of the archive (after a command that ran without an engine)
        // meets the same consent again; it stays one record, a new one is added.
        s.apply(&[
            Op::Ledger(record(Action::Grant, 10)),
            Op::Ledger(record(Action::Grant, 13)),
        ])
        .unwrap();
        let mine = s.ledger(Channel::Whatsapp, "+4917012345").unwrap();
        assert_eq!(mine.len(), 3, "{name}: {mine:?}");
        assert_eq!(mine[2], record(Action::Grant, 13), "{name}");

        s.apply(&[Op::Assign {
            conversation: id,
            staff: Some("Anna Schmidt".into()),
        }])
        .unwrap();
        assert_eq!(
            s.conversation(id).unwrap().unwrap().assigned.as_deref(),
            Some("Anna Schmidt"),
            "{name}"
        );
        s.apply(&[Op::Assign {
            conversation: id,
            staff: None,
        }])
        .unwrap();
        assert_eq!(
            s.conversation(id).unwrap().unwrap().assigned,
            None,
            "{name}"
        );
        assert!(
            s.apply(&[Op::Assign {
                conversation: ConversationId(999),
                staff: None
            }])
            .is_err(),
            "{name}"
        );
    });
}

fn queue(
    s: &mut dyn Store,
    id: ConversationId,
    body: &str,
    meta: SendMeta,
) -> tresen::domain::MessageId {
    s.apply(&[Op::QueueOutgoing {
        automatic: false,
        conversation: id,
        sender: "Anna".into(),
        body: body.into(),
        attachments: vec![],
        at: Timestamp(T0.0 + 5_000),
        meta,
    }])
    .unwrap()
    .queued[0]
}

/// Issue 14: the network's copy of a send, stored before the send's answer (tresen had
/// stopped), is that message and not a second one; two different messages that come
/// back with the same network id (two Signal sends in one millisecond) both stay.
#[test]
fn a_send_result_folds_its_own_echo_and_never_another_message() {
    use tresen::domain::{Delivery, Direction, IncomingMessage, MessageKind};
    for_each_store(|name, s| {
        let id = seed(s);
        let mine = queue(
            s,
            id,
            "Termin Dienstag",
            SendMeta {
                txn: Some("t1".into()),
                ..Default::default()
            },
        );
        s.apply(&[Op::Incoming(IncomingMessage {
            account: account(),
            conversation_remote_id: "1".into(),
            remote_id: "$echo".into(),
            kind: MessageKind::Chat,
            direction: Direction::Outbound,
            sender: "buero".into(),
            body: "Termin Dienstag".into(),
            attachments: vec![],
            sent_at: Timestamp(T0.0 + 5_100),
            received_at: Timestamp(T0.0 + 5_100),
            raw: None,
            history: false,
        })])
        .unwrap();
        s.apply(&[Op::SendResult {
            message: mine,
            outcome: Ok("$echo".into()),
            at: Timestamp(T0.0 + 6_000),
        }])
        .unwrap();
        let all = s.messages(id, None, 50).unwrap();
        let ours: Vec<_> = all.iter().filter(|m| m.body == "Termin Dienstag").collect();
        assert_eq!(ours.len(), 1, "{name}: {all:?}");
        assert_eq!(ours[0].id, mine, "{name}");
        assert_eq!(ours[0].remote_id.as_deref(), Some("$echo"), "{name}");

        let a = queue(
            s,
            id,
            "Erste",
            SendMeta {
                txn: Some("t2".into()),
                ..Default::default()
            },
        );
        let b = queue(
            s,
            id,
            "Zweite",
            SendMeta {
                txn: Some("t3".into()),
                ..Default::default()
            },
        );
        for m in [a, b] {
            s.apply(&[Op::SendResult {
                message: m,
                outcome: Ok("+4930/1767225600000".into()),
                at: Timestamp(T0.0 + 7_000),
            }])
            .unwrap();
        }
        let a = s.message(a).unwrap().unwrap();
        let b = s.message(b).unwrap().unwrap();
        assert_eq!(
            (a.delivery, b.delivery),
            (Delivery::Sent, Delivery::Sent),
            "{name}"
        );
        assert_eq!(
            a.remote_id.as_deref(),
            Some("+4930/1767225600000"),
            "{name}"
        );
        assert_eq!(b.remote_id, None, "{name}: kept apart");
    });
}

/// Issue 14: what a sent message carried counts once the network took it — its footer
/// for the policy, the first-contact notice as a record — and only once.
#[test]
fn footer_and_notice_are_recorded_when_sent_not_when_queued() {
    use tresen::compliance::{FirstContact, LedgerEntry};
    for_each_store(|name, s| {
        let id = seed(s);
        let notice = FirstContact {
            account: "acc".into(),
            channel: Channel::Whatsapp,
            address: "+49 170 1".into(),
            notice_version: "n-1".into(),
            message: String::new(),
            at: T0,
            wording: "Dürfen wir? JA".into(),
        };
        let m = queue(
            s,
            id,
            "Hinweis",
            SendMeta {
                txn: Some("t9".into()),
                footer: Some("f-abc".into()),
                notice: Some(Box::new(notice)),
                quote: None,
            },
        );
        assert!(
            s.ledger_all().unwrap().is_empty(),
            "{name}: nothing while pending"
        );
        assert_eq!(s.unsent().unwrap().len(), 1, "{name}");
        assert_eq!(
            s.unsent().unwrap()[0].meta.txn.as_deref(),
            Some("t9"),
            "{name}"
        );
        s.apply(&[Op::SendAttempt { message: m }]).unwrap();
        assert!(s.unsent().unwrap()[0].attempted, "{name}");
        for _ in 0..2 {
            s.apply(&[Op::SendResult {
                message: m,
                outcome: Ok("$n".into()),
                at: Timestamp(T0.0 + 9_000),
            }])
            .unwrap();
        }
        let ledger = s.ledger_all().unwrap();
        assert_eq!(ledger.len(), 2, "{name}: {ledger:?}");
        assert!(
            ledger
                .iter()
                .any(|e| matches!(e, LedgerEntry::Footer { version, .. } if version == "f-abc"))
        );
        assert!(
            ledger
                .iter()
                .any(|e| matches!(e, LedgerEntry::FirstContact(f)
            if f.message == format!("local:{}", m.0) && f.at == Timestamp(T0.0 + 9_000))),
            "{name}: {ledger:?}"
        );
        assert!(s.unsent().unwrap().is_empty(), "{name}");
    });
}

/// Issue 14: a peer first known by number is the same as the account id learnt later:
/// its conversation (folded into the one under the id, if both exist), the messages it
/// wrote, reactions and ledger entries move; the number stays as the contact's phone.
#[test]
fn a_renamed_peer_keeps_one_conversation_with_everything_in_it() {
    use tresen::compliance::LedgerEntry;
    use tresen::compliance::consent::{Action, ConsentRecord, Method, Purpose};
    use tresen::domain::{Contact, ConversationKind, ConversationUpsert, Security};
    for_each_store(|name, s| {
        let upsert = |remote: &str, identity: &str| {
            Op::UpsertConversation(ConversationUpsert {
                account: account(),
                remote_id: remote.into(),
                kind: ConversationKind::Direct,
                channel: Channel::Signal,
                title: "Anna Kundin".into(),
                contact: Some(Contact::new(identity, "Anna Kundin")),
                security: Security::Encrypted,
            })
        };
        s.apply(&[
            upsert("+4915112345678", "+4915112345678"),
            inbound("+4915112345678", "+4915112345678/1", "alt", 1_000),
            Op::Reaction {
                account: account(),
                remote_id: "+4915112345678/1/reaction/+4915112345678".into(),
                target: "+4915112345678/1".into(),
                key: "👍".into(),
                sender: "Anna".into(),
                outbound: false,
                at: T0,
            },
            Op::Ledger(LedgerEntry::Consent(ConsentRecord {
                account: "acc".into(),
                contact: "Anna".into(),
                channel: Channel::Signal,
                address: "+4915112345678".into(),
                purposes: vec![Purpose::ServiceMessaging],
                action: Action::Grant,
                wording_version: "w".into(),
                wording_sha256: "s".into(),
                wording: "JA?".into(),
                method: Method::InboundKeyword,
                evidence: None,
                staff: String::new(),
                at: T0,
            })),
            // The account id arrived before the rename (a new message keyed by it).
            upsert("u1", "u1"),
            inbound("u1", "u1/2", "neu", 2_000),
        ])
        .unwrap();
        let old = s.find_conversation("+4915112345678").unwrap().unwrap().id;
        s.apply(&[Op::SetLabels {
            conversation: old,
            labels: vec!["rechnung".into()],
        }])
        .unwrap();
        assert!(
            s.knows_peer(&account(), "+4915112345678").unwrap(),
            "{name}"
        );
        s.apply(&[Op::RenamePeer {
            account: account(),
            from: "+4915112345678".into(),
            to: "u1".into(),
        }])
        .unwrap();
        assert!(
            !s.knows_peer(&account(), "+4915112345678").unwrap(),
            "{name}"
        );
        let convs = s.conversations().unwrap();
        assert_eq!(convs.len(), 1, "{name}: {convs:?}");
        assert_eq!(convs[0].remote_id, "u1", "{name}");
        assert_eq!(convs[0].unread, 2, "{name}");
        assert_eq!(
            convs[0].labels,
            vec!["rechnung".to_string()],
            "{name}: retention label kept"
        );
        let msgs = s.messages(convs[0].id, None, 10).unwrap();
        let keys: Vec<_> = msgs.iter().filter_map(|m| m.remote_id.clone()).collect();
        assert_eq!(keys, vec!["u1/1".to_string(), "u1/2".to_string()], "{name}");
        assert_eq!(msgs[0].reactions.len(), 1, "{name}");
        assert_eq!(
            s.find_conversation("+4915112345678").unwrap().map(|c| c.id),
            Some(convs[0].id),
            "{name}: found by the number"
        );
        let consent = s.ledger(Channel::Signal, "u1").unwrap();
        assert_eq!(consent.len(), 1, "{name}");
        assert!(
            s.ledger(Channel::Signal, "+4915112345678")
                .unwrap()
                .is_empty(),
            "{name}"
        );
        // A message without the number does not make it unknown; an empty title keeps
        // the name (a message from the office's own phone names no customer).
        s.apply(&[Op::UpsertConversation(ConversationUpsert {
            account: account(),
            remote_id: "u1".into(),
            kind: ConversationKind::Direct,
            channel: Channel::Signal,
            title: String::new(),
            contact: Some(Contact::new("u1", "")),
            security: Security::Encrypted,
        })])
        .unwrap();
        let c = s.conversation(convs[0].id).unwrap().unwrap();
        assert_eq!(c.title, "Anna Kundin", "{name}");
        let ct = c.contact.unwrap();
        assert_eq!(
            (ct.display_name.as_str(), ct.phone.as_deref()),
            ("Anna Kundin", Some("+4915112345678")),
            "{name}"
        );
    });
}

// R-E4: a mark is kept with the message; the list's preview of the newest message shows
// ⊘ instead of its words, and its words again once the mark is lifted. An older
// message's mark leaves the preview alone.
#[test]
fn a_restricted_message_keeps_its_mark_and_hides_its_preview() {
    use tresen::domain::Sensitive;
    for_each_store(|name, s| {
        let id = seed(s);
        let msgs = s.messages(id, None, 10).unwrap();
        let (old, new) = (msgs[0].id, msgs[1].id);
        s.apply(&[Op::MarkSensitive {
            message: old,
            mark: Some(Sensitive::ThirdParty),
        }])
        .unwrap();
        let c = s.conversation(id).unwrap().unwrap();
        assert_eq!(c.last_preview, "Fehlercode F28 im Display", "{name}");
        s.apply(&[Op::MarkSensitive {
            message: new,
            mark: Some(Sensitive::Art9),
        }])
        .unwrap();
        assert_eq!(
            s.message(new).unwrap().unwrap().sensitive,
            Some(Sensitive::Art9),
            "{name}"
        );
        assert_eq!(
            s.conversation(id).unwrap().unwrap().last_preview,
            "⊘",
            "{name}"
        );
        s.apply(&[Op::MarkSensitive {
            message: new,
            mark: None,
        }])
        .unwrap();
        assert_eq!(
            s.conversation(id).unwrap().unwrap().last_preview,
            "Fehlercode F28 im Display",
            "{name}"
        );
        assert!(matches!(
            s.apply(&[Op::MarkSensitive {
                message: tresen::domain::MessageId(999),
                mark: None,
            }]),
            Err(StoreError::NoMessage(_))
        ));
    });
}
