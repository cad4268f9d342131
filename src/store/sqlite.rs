//! SQLite (SQLCipher) implementation of the store.
//!
//! rusqlite is pinned to the version matrix-sdk-sqlite 0.18 uses, because only one
//! libsqlite3-sys may be linked into the binary; its `bundled-sqlcipher` feature then
//! serves both stores.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use sha2::{Digest, Sha256};

use crate::compliance::LedgerEntry;

use super::{
    Applied, LocalMessage, Op, Result, Stats, Store, StoreError, StoreRead, fts_query, preview_of,
};
use crate::domain::{
    AccountId, Attachment, Channel, Contact, Conversation, ConversationId, ConversationKind,
    Delivery, Direction, Edit, Health, IncomingMessage, Message, MessageId, MessageKind, Reaction,
    SearchHit, Security, Timestamp, TriageState, UNDECRYPTABLE,
};

/// Length of the raw SQLCipher key.
pub const KEY_LEN: usize = 32;

const MIGRATIONS: &[&str] = &[
    // 1: initial schema
    r#"
    CREATE TABLE conversations (
        id               INTEGER PRIMARY KEY,
        account          TEXT NOT NULL,
        remote_id        TEXT NOT NULL,
        kind             TEXT NOT NULL,
        channel          TEXT NOT NULL,
        title            TEXT NOT NULL,
        contact_identity TEXT,
        contact_name     TEXT,
        state            TEXT NOT NULL DEFAULT 'open',
        snoozed_until    INTEGER,
        labels           TEXT NOT NULL DEFAULT '[]',
        unread           INTEGER NOT NULL DEFAULT 0,
        marked_unread    INTEGER NOT NULL DEFAULT 0,
        last_activity    INTEGER NOT NULL DEFAULT 0,
        last_preview     TEXT NOT NULL DEFAULT '',
        UNIQUE (account, remote_id)
    );
    CREATE INDEX conversations_activity ON conversations (last_activity DESC, id DESC);

    CREATE TABLE messages (
        id           INTEGER PRIMARY KEY,
        conversation INTEGER NOT NULL REFERENCES conversations (id),
        account      TEXT NOT NULL,
        remote_id    TEXT,
        kind         TEXT NOT NULL,
        direction    TEXT NOT NULL,
        sender       TEXT NOT NULL,
        body         TEXT NOT NULL,
        attachments  TEXT,
        sent_at      INTEGER NOT NULL,
        received_at  INTEGER NOT NULL,
        delivery     TEXT NOT NULL,
        edit_body    TEXT,
        edit_at      INTEGER,
        deleted_at   INTEGER
    );
    CREATE UNIQUE INDEX messages_remote ON messages (account, remote_id) WHERE remote_id IS NOT NULL;
    CREATE INDEX messages_timeline ON messages (conversation, sent_at, id);

    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        body, content = 'messages', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    -- messages_fts is filled by the writer, not by triggers: an FTS5 insert from a
    -- trigger costs four times as much (measured: 15k vs 58k rows/s).

    CREATE VIRTUAL TABLE conversations_fts USING fts5 (
        title, contact_name, contact_identity,
        content = 'conversations', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
        INSERT INTO conversations_fts (rowid, title, contact_name, contact_identity)
        VALUES (new.id, new.title, new.contact_name, new.contact_identity);
    END;
    CREATE TRIGGER conversations_fts_update
    AFTER UPDATE OF title, contact_name, contact_identity ON conversations BEGIN
        INSERT INTO conversations_fts (conversations_fts, rowid, title, contact_name, contact_identity)
        VALUES ('delete', old.id, old.title, old.contact_name, old.contact_identity);
        INSERT INTO conversations_fts (rowid, title, contact_name, contact_identity)
        VALUES (new.id, new.title, new.contact_name, new.contact_identity);
    END;
    "#,
    // 2: unsent replies survive a restart
    r#"
    CREATE TABLE drafts (
        conversation INTEGER PRIMARY KEY REFERENCES conversations (id),
        body         TEXT NOT NULL
    );
    "#,
    // 3: no per-document size table in the message index. It only serves bm25 ranking,
    // which search never uses (hits come newest first); dropping it saves one b-tree
    // insert per message: 1M-message backfill 45k -> 50k msg/s (docs/performance.md).
    r#"
    DROP TABLE messages_fts;
    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        body, content = 'messages', content_rowid = 'id', columnsize = 0,
        tokenize = 'unicode61 remove_diacritics 2'
    );
    INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
    "#,
    // 4: where each connector resumes (see Op::SetSyncPosition)
    r#"
    CREATE TABLE sync_positions (
        account  TEXT PRIMARY KEY,
        position TEXT NOT NULL
    );
    "#,
    // 5: encryption and verification state per conversation (domain::Security)
    r#"
    ALTER TABLE conversations ADD COLUMN security TEXT NOT NULL DEFAULT 'unknown';
    "#,
    // 6: emoji reactions, by the reaction's own remote id (a redaction removes it)
    r#"
    CREATE TABLE reactions (
        account   TEXT NOT NULL,
        remote_id TEXT NOT NULL,
        target    TEXT NOT NULL,
        key       TEXT NOT NULL,
        sender    TEXT NOT NULL,
        outbound  INTEGER NOT NULL,
        at        INTEGER NOT NULL,
        PRIMARY KEY (account, remote_id)
    );
    CREATE INDEX reactions_target ON reactions (account, target);
    "#,
    // 7: last known connection health per account (for `account list`, and the
    // status line before a connector has spoken)
    r#"
    CREATE TABLE account_health (
        account TEXT PRIMARY KEY,
        health  TEXT NOT NULL,
        since   INTEGER NOT NULL
    );
    "#,
    // 8: why a send failed, as the connector explained it (shown under the message)
    r#"
    ALTER TABLE messages ADD COLUMN failure TEXT;
    "#,
    // 9: the compliance ledger (consents, first-contact notices, footers sent); rebuilt
    // from the archive like everything else
    r#"
    CREATE TABLE ledger (
        id      INTEGER PRIMARY KEY,
        kind    TEXT NOT NULL,
        channel TEXT NOT NULL,
        address TEXT NOT NULL,
        at      INTEGER NOT NULL,
        entry   TEXT NOT NULL
    );
    CREATE INDEX ledger_key ON ledger (address, channel);
    ALTER TABLE conversations ADD COLUMN assigned TEXT;
    "#,
    // 10: sends survive a restart (transaction id, attempted before, the footer and
    // first-contact notice they carry, counted only once sent); a contact's phone
    // number beside a network id that is not one
    r#"
    ALTER TABLE messages ADD COLUMN txn TEXT;
    ALTER TABLE messages ADD COLUMN attempted INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN footer TEXT;
    ALTER TABLE messages ADD COLUMN notice TEXT;
    CREATE INDEX messages_pending ON messages (id) WHERE delivery = 'pending';
    ALTER TABLE conversations ADD COLUMN contact_phone TEXT;
    DROP TRIGGER conversations_fts_insert;
    DROP TRIGGER conversations_fts_update;
    DROP TABLE conversations_fts;
    CREATE VIRTUAL TABLE conversations_fts USING fts5 (
        title, contact_name, contact_identity, contact_phone,
        content = 'conversations', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
        INSERT INTO conversations_fts (rowid, title, contact_name, contact_identity, contact_phone)
        VALUES (new.id, new.title, new.contact_name, new.contact_identity, new.contact_phone);
    END;
    CREATE TRIGGER conversations_fts_update
    AFTER UPDATE OF title, contact_name, contact_identity, contact_phone ON conversations BEGIN
        INSERT INTO conversations_fts (conversations_fts, rowid, title, contact_name, contact_identity, contact_phone)
        VALUES ('delete', old.id, old.title, old.contact_name, old.contact_identity, old.contact_phone);
        INSERT INTO conversations_fts (rowid, title, contact_name, contact_identity, contact_phone)
        VALUES (new.id, new.title, new.contact_name, new.contact_identity, new.contact_phone);
    END;
    INSERT INTO conversations_fts (conversations_fts) VALUES ('rebuild');
    "#,
];

/// SQLCipher page settings. They are not recorded in the file, so a store must be
/// opened with the settings it was created with.
///
/// New stores use 16 KiB pages and HMAC-SHA256 (with SHA-NI far cheaper than the
/// default HMAC-SHA512 and still a 256-bit MAC); together they took the 1M-message
/// ingest from 50k to 58k msg/s. Stores created before that keep SQLCipher 4's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CipherSettings {
    Current,
    Sqlcipher4Defaults,
}

impl CipherSettings {
    fn pragmas(self) -> &'static str {
        match self {
            Self::Current => {
                "PRAGMA cipher_page_size = 16384; PRAGMA cipher_hmac_algorithm = HMAC_SHA256;"
            }
            Self::Sqlcipher4Defaults => "",
        }
    }
}

pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// Kept to open reader connections on the same file.
    key: Option<zeroize::Zeroizing<[u8; KEY_LEN]>>,
    cipher: CipherSettings,
}

/// Gives `conn` the key and page settings; nothing is read yet.
fn apply_key(
    conn: &Connection,
    key: &[u8; KEY_LEN],
    cipher: CipherSettings,
) -> rusqlite::Result<()> {
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex::encode(key)))?;
    conn.execute_batch(cipher.pragmas())?;
    // SQLCipher logs HMAC failures to stderr, which would scribble over the TUI.
    let _ = conn.query_row("PRAGMA cipher_log_level = NONE", [], |_| Ok(()));
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`, encrypted with `key`.
    ///
    /// A wrong key and a damaged file are told apart with a key fingerprint kept next to
    /// the database: both look like "file is not a database" to SQLCipher. Nothing is
    /// written before the key has been proven right.
    pub fn open(path: &Path, key: Option<&[u8; KEY_LEN]>) -> Result<Self> {
        let existed = path.exists()
            && std::fs::metadata(path)
                .map(|m| m.len() > 0)
                .unwrap_or(false);
        let mut store = Self {
            conn: Connection::open(path)?,
            path: path.to_path_buf(),
            key: key.map(|k| zeroize::Zeroizing::new(*k)),
            cipher: CipherSettings::Current,
        };
        if let Some(key) = key {
            apply_key(&store.conn, key, CipherSettings::Current)?;
        }
        if let Err(e) = store.probe() {
            // Maybe a store from before the current page settings: try those once.
            let legacy = match key {
                Some(key) if existed => {
                    let conn = Connection::open(path)?;
                    apply_key(&conn, key, CipherSettings::Sqlcipher4Defaults)?;
                    Some(conn)
                }
                _ => None,
            };
            let legacy_ok = legacy.as_ref().is_some_and(|c| {
                c.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
                    .is_ok()
            });
            match legacy {
                Some(conn) if legacy_ok => {
                    store.conn = conn;
                    store.cipher = CipherSettings::Sqlcipher4Defaults;
                }
                _ => return Err(store.classify_open_error(e, key, existed)),
            }
        }
        store.conn.busy_timeout(std::time::Duration::from_secs(5))?;
        store.conn.pragma_update(None, "journal_mode", "WAL")?;
        store.conn.pragma_update(None, "synchronous", "FULL")?;
        // Up to 96 MiB of page cache (default 2 MiB); it only fills while writing or
        // searching a large store. 32 vs 96 MiB made no measurable difference to ingest.
        store.conn.pragma_update(None, "cache_size", -98_304)?;
        // foreign_keys stays off: on a 1M-message ingest it cost ~10 % (42.5k vs 47.6k
        // msg/s backfill, 28.1k vs 31.7k spread). The writer keeps references valid
        // itself: a message always gets a conversation, a draft checks its conversation.
        store.migrate()?;
        if let Some(key) = key {
            store.write_fingerprint(key)?;
        }
        Ok(store)
    }

    /// An unencrypted store that lives in memory; for tests and benchmarks.
    pub fn open_in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory()?;
        let mut store = Self {
            conn,
            path: PathBuf::from(":memory:"),
            key: None,
            cipher: CipherSettings::Current,
        };
        store.migrate()?;
        Ok(store)
    }

    /// A second, read-only connection to the same file. In WAL mode it reads the last
    /// committed state without waiting for a write in progress, so the UI stays
    /// responsive while the engine writes a large batch. `None` for in-memory stores.
    pub fn reader(&self) -> Result<Option<SqliteStore>> {
        if self.path.as_os_str() == ":memory:" {
            return Ok(None);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        if let Some(key) = &self.key {
            apply_key(&conn, key, self.cipher)?;
        }
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "cache_size", -16_384)?;
        let reader = SqliteStore {
            conn,
            path: self.path.clone(),
            key: None,
            cipher: self.cipher,
        };
        reader.probe()?;
        Ok(Some(reader))
    }

    /// Opens an existing store for reading only, without taking part in writing: for
    /// `tresen list`, `show` and `account list` while the TUI or the daemon owns the
    /// profile. Never migrates; a store of another schema version is an error.
    pub fn open_read_only(path: &Path, key: Option<&[u8; KEY_LEN]>) -> Result<Self> {
        let flags =
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut last = None;
        for cipher in [CipherSettings::Current, CipherSettings::Sqlcipher4Defaults] {
            let conn = Connection::open_with_flags(path, flags)?;
            if let Some(key) = key {
                apply_key(&conn, key, cipher)?;
            }
            let store = SqliteStore {
                conn,
                path: path.to_path_buf(),
                key: key.map(|k| zeroize::Zeroizing::new(*k)),
                cipher,
            };
            match store.probe() {
                Ok(()) => {
                    store.conn.busy_timeout(std::time::Duration::from_secs(5))?;
                    let version: i64 = store
                        .conn
                        .query_row("PRAGMA user_version", [], |r| r.get(0))?;
                    let supported = MIGRATIONS.len() as i64;
                    if version > supported {
                        return Err(StoreError::NewerSchema {
                            path: path.to_path_buf(),
                            found: version,
                            supported,
                        });
                    }
                    if version < supported {
                        return Err(StoreError::OlderSchema {
                            path: path.to_path_buf(),
                            found: version,
                            supported,
                        });
                    }
                    return Ok(store);
                }
                Err(e) => last = Some((store, e)),
            }
            if key.is_none() {
                break;
            }
        }
        match last {
            Some((store, e)) => Err(store.classify_open_error(e, key, true)),
            None => Err(StoreError::Corrupted {
                path: path.to_path_buf(),
                detail: "cannot be opened".into(),
            }),
        }
    }

    /// The SQLCipher version linked in, or `None` for plain SQLite.
    pub fn cipher_version(&self) -> Option<String> {
        self.conn
            .query_row("PRAGMA cipher_version", [], |r| r.get::<_, String>(0))
            .optional()
            .ok()
            .flatten()
    }

    fn probe(&self) -> rusqlite::Result<()> {
        self.conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
    }

    fn fingerprint_path(&self) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(".keyid");
        PathBuf::from(p)
    }

    fn fingerprint(key: &[u8; KEY_LEN]) -> String {
        let mut h = Sha256::new();
        h.update(b"tresen store key fingerprint v1\0");
        h.update(key);
        hex::encode(&h.finalize()[..16])
    }

    fn write_fingerprint(&self, key: &[u8; KEY_LEN]) -> Result<()> {
        let p = self.fingerprint_path();
        let want = Self::fingerprint(key);
        if std::fs::read_to_string(&p).ok().as_deref() == Some(want.as_str()) {
            return Ok(());
        }
        crate::fsutil::write_private(&p, want.as_bytes())
            .map_err(|source| StoreError::Io { path: p, source })
    }

    fn classify_open_error(
        &self,
        err: rusqlite::Error,
        key: Option<&[u8; KEY_LEN]>,
        existed: bool,
    ) -> StoreError {
        let not_a_db = matches!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
        );
        if !not_a_db || !existed {
            return StoreError::Sqlite(err);
        }
        if let Some(key) = key
            && let Ok(stored) = std::fs::read_to_string(self.fingerprint_path())
            && stored.trim() != Self::fingerprint(key)
        {
            return StoreError::WrongKey {
                path: self.path.clone(),
            };
        }
        StoreError::Corrupted {
            path: self.path.clone(),
            detail: err.to_string(),
        }
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let supported = MIGRATIONS.len() as i64;
        if version > supported {
            return Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found: version,
                supported,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
            tracing::info!(version = i + 1, path = %self.path.display(), "store migrated");
        }
        Ok(())
    }
}

const CONVERSATION_COLUMNS: &str = "id, account, remote_id, kind, channel, title, \
    contact_identity, contact_name, state, snoozed_until, labels, unread, marked_unread, \
    last_activity, last_preview, (SELECT body FROM drafts d WHERE d.conversation = c.id), \
    security, assigned, contact_phone";

fn conversation_from_row(r: &Row<'_>) -> rusqlite::Result<Conversation> {
    let identity: Option<String> = r.get(6)?;
    let name: Option<String> = r.get(7)?;
    let state: String = r.get(8)?;
    let until: Option<i64> = r.get(9)?;
    let labels: String = r.get(10)?;
    Ok(Conversation {
        id: ConversationId(r.get(0)?),
        account: AccountId(r.get(1)?),
        remote_id: r.get(2)?,
        kind: if r.get::<_, String>(3)? == "group" {
            ConversationKind::Group
        } else {
            ConversationKind::Direct
        },
        channel: Channel::parse(&r.get::<_, String>(4)?).unwrap_or(Channel::Other),
        title: r.get(5)?,
        contact: identity.map(|identity| Contact {
            display_name: name.unwrap_or_else(|| identity.clone()),
            identity,
            phone: r.get(18).ok().flatten(),
        }),
        state: state_from_columns(&state, until),
        labels: serde_json::from_str(&labels).unwrap_or_default(),
        unread: r.get::<_, i64>(11)?.max(0) as u32,
        marked_unread: r.get(12)?,
        last_activity: Timestamp(r.get(13)?),
        last_preview: r.get(14)?,
        draft: r.get(15)?,
        security: Security::parse(&r.get::<_, String>(16)?).unwrap_or_default(),
        assigned: r.get(17)?,
    })
}

fn state_from_columns(state: &str, until: Option<i64>) -> TriageState {
    match (state, until) {
        ("waiting", _) => TriageState::Waiting,
        ("snoozed", Some(t)) => TriageState::Snoozed(Timestamp(t)),
        ("done", _) => TriageState::Done,
        _ => TriageState::Open,
    }
}

fn state_to_columns(state: TriageState) -> (&'static str, Option<i64>) {
    match state {
        TriageState::Snoozed(t) => ("snoozed", Some(t.0)),
        s => (s.name(), None),
    }
}

const MESSAGE_COLUMNS: &str = "id, conversation, remote_id, kind, direction, sender, body, \
    attachments, sent_at, received_at, delivery, edit_body, edit_at, deleted_at, failure";

fn message_from_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    let attachments: Option<String> = r.get(7)?;
    let edit_body: Option<String> = r.get(11)?;
    let edit_at: Option<i64> = r.get(12)?;
    Ok(Message {
        id: MessageId(r.get(0)?),
        conversation: ConversationId(r.get(1)?),
        remote_id: r.get(2)?,
        kind: match r.get::<_, String>(3)?.as_str() {
            "note" => MessageKind::Note,
            "system" => MessageKind::System,
            _ => MessageKind::Chat,
        },
        direction: if r.get::<_, String>(4)? == "outbound" {
            Direction::Outbound
        } else {
            Direction::Inbound
        },
        sender: r.get(5)?,
        body: r.get(6)?,
        attachments: attachments
            .and_then(|a| serde_json::from_str::<Vec<Attachment>>(&a).ok())
            .unwrap_or_default(),
        sent_at: Timestamp(r.get(8)?),
        received_at: Timestamp(r.get(9)?),
        delivery: Delivery::parse(&r.get::<_, String>(10)?).unwrap_or(Delivery::Sent),
        edit: edit_body.map(|body| Edit {
            body,
            at: Timestamp(edit_at.unwrap_or_default()),
        }),
        deleted_at: r.get::<_, Option<i64>>(13)?.map(Timestamp),
        failure: r.get(14)?,
        reactions: Vec::new(),
    })
}

fn kind_str(k: MessageKind) -> &'static str {
    match k {
        MessageKind::Chat => "chat",
        MessageKind::Note => "note",
        MessageKind::System => "system",
    }
}

fn direction_str(d: Direction) -> &'static str {
    match d {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

fn attachments_json(a: &[Attachment]) -> Option<String> {
    if a.is_empty() {
        None
    } else {
        serde_json::to_string(a).ok()
    }
}

/// Per-batch sum of what incoming messages change on their conversation.
#[derive(Default)]
struct ConversationDelta {
    unread: i64,
    reopen: bool,
    /// (sent_at, preview) of the newest message.
    newest: Option<(i64, String)>,
}

/// The write path, on an open transaction.
struct Writer<'a> {
    tx: Transaction<'a>,
    applied: Applied,
    /// Conversation ids looked up in this batch: account → remote id → id.
    ids: std::collections::HashMap<String, std::collections::HashMap<String, i64>>,
    deltas: std::collections::HashMap<i64, ConversationDelta>,
}

/// A conversation's row as far as a connector's upsert sets it.
#[derive(PartialEq)]
struct Row7 {
    kind: String,
    channel: String,
    title: String,
    identity: Option<String>,
    name: Option<String>,
    security: String,
    phone: Option<String>,
}

impl Row7 {
    /// What the row becomes. A connector that does not know a name leaves it empty
    /// (a message the office sent from its phone names no customer): the stored one
    /// stays, and a new conversation is named after the number or identity.
    fn wanted(c: &crate::domain::ConversationUpsert, kind: &str, have: Option<&Row7>) -> Row7 {
        let phone = c
            .contact
            .as_ref()
            .and_then(|ct| ct.phone.clone())
            .or_else(|| {
                // A message without the number does not make the number unknown.
                let same = have.is_some_and(|h| {
                    h.identity.as_deref() == c.contact.as_ref().map(|ct| ct.identity.as_str())
                });
                have.filter(|_| same).and_then(|h| h.phone.clone())
            });
        let fallback = || {
            phone
                .clone()
                .or_else(|| c.contact.as_ref().map(|ct| ct.identity.clone()))
                .unwrap_or_else(|| c.remote_id.clone())
        };
        let title = match (c.title.trim().is_empty(), have) {
            (false, _) => c.title.clone(),
            (true, Some(h)) => h.title.clone(),
            (true, None) => fallback(),
        };
        let name = c.contact.as_ref().map(|ct| {
            if !ct.display_name.trim().is_empty() {
                ct.display_name.clone()
            } else {
                have.and_then(|h| h.name.clone())
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| title.clone())
            }
        });
        Row7 {
            kind: kind.to_string(),
            channel: c.channel.as_str().to_string(),
            title,
            identity: c.contact.as_ref().map(|ct| ct.identity.clone()),
            name,
            security: c.security.as_str().to_string(),
            phone,
        }
    }
}

impl Writer<'_> {
    fn conversation_id(&mut self, account: &str, remote_id: &str) -> rusqlite::Result<Option<i64>> {
        if let Some(id) = self.ids.get(account).and_then(|m| m.get(remote_id)) {
            return Ok(Some(*id));
        }
        let id: Option<i64> = self
            .tx
            .prepare_cached("SELECT id FROM conversations WHERE account = ?1 AND remote_id = ?2")?
            .query_row(params![account, remote_id], |r| r.get(0))
            .optional()?;
        if let Some(id) = id {
            self.ids
                .entry(account.to_string())
                .or_default()
                .insert(remote_id.to_string(), id);
        }
        Ok(id)
    }

    fn upsert_conversation(&mut self, c: &crate::domain::ConversationUpsert) -> Result<i64> {
        let kind = match c.kind {
            ConversationKind::Direct => "direct",
            ConversationKind::Group => "group",
        };
        // Connectors announce a conversation with each message (Signal always does). An
        // unchanged one is not written: a write that may touch several rows opens a
        // statement savepoint, and every savepoint flushes the FTS5 index (half the
        // ingest time with one upsert per message).
        let existing = self
            .tx
            .prepare_cached(
                "SELECT id, kind, channel, title, contact_identity, contact_name, security, \
                 contact_phone FROM conversations WHERE account = ?1 AND remote_id = ?2",
            )?
            .query_row(params![c.account.0, c.remote_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    Row7 {
                        kind: r.get(1)?,
                        channel: r.get(2)?,
                        title: r.get(3)?,
                        identity: r.get(4)?,
                        name: r.get(5)?,
                        security: r.get(6)?,
                        phone: r.get(7)?,
                    },
                ))
            })
            .optional()?;
        let have = existing.as_ref().map(|(_, h)| h);
        let wanted = Row7::wanted(c, kind, have);
        let id = match existing {
            Some((id, have)) if have == wanted => id,
            Some((id, _)) => {
                self.tx
                    .prepare_cached(
                        "UPDATE conversations SET kind = ?2, channel = ?3, title = ?4, \
                         contact_identity = ?5, contact_name = ?6, security = ?7, \
                         contact_phone = ?8 WHERE id = ?1",
                    )?
                    .execute(params![
                        id,
                        wanted.kind,
                        wanted.channel,
                        wanted.title,
                        wanted.identity,
                        wanted.name,
                        wanted.security,
                        wanted.phone
                    ])?;
                id
            }
            None => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO conversations (account, remote_id, kind, channel, title, \
                         contact_identity, contact_name, security, contact_phone) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    )?
                    .execute(params![
                        c.account.0,
                        c.remote_id,
                        wanted.kind,
                        wanted.channel,
                        wanted.title,
                        wanted.identity,
                        wanted.name,
                        wanted.security,
                        wanted.phone
                    ])?;
                self.tx.last_insert_rowid()
            }
        };
        self.applied.conversations.insert(ConversationId(id));
        Ok(id)
    }

    /// A message for a conversation the connector never announced still must not be
    /// lost: it gets a placeholder conversation that a later upsert completes.
    fn conversation_for(&mut self, account: &str, remote_id: &str) -> Result<i64> {
        if let Some(id) = self.conversation_id(account, remote_id)? {
            return Ok(id);
        }
        self.upsert_conversation(&crate::domain::ConversationUpsert {
            account: AccountId(account.to_string()),
            remote_id: remote_id.to_string(),
            kind: ConversationKind::Direct,
            channel: Channel::Other,
            title: remote_id.to_string(),
            contact: None,
            security: Security::Unknown,
        })
    }

    fn incoming(&mut self, m: &IncomingMessage) -> Result<()> {
        let conv = self.conversation_for(&m.account.0, &m.conversation_remote_id)?;
        let delivery = match m.direction {
            Direction::Inbound => Delivery::Read,
            Direction::Outbound => Delivery::Sent,
        };
        // No RETURNING here: it opens a statement savepoint, and FTS5 flushes its pending
        // index on every savepoint, which made ingest four times slower.
        let changed = self
            .tx
            .prepare_cached(
                "INSERT INTO messages (conversation, account, remote_id, kind, direction, sender, \
                 body, attachments, sent_at, received_at, delivery) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
                 ON CONFLICT (account, remote_id) WHERE remote_id IS NOT NULL DO NOTHING",
            )?
            .execute(params![
                conv,
                m.account.0,
                m.remote_id,
                kind_str(m.kind),
                direction_str(m.direction),
                m.sender,
                m.body,
                attachments_json(&m.attachments),
                m.sent_at.0,
                m.received_at.0,
                delivery.as_str(),
            ])?;
        if changed == 0 {
            if m.kind == MessageKind::Chat {
                self.replace_placeholder(conv, m)?;
            }
            return Ok(());
        }
        let id = self.tx.last_insert_rowid();
        self.index_body(id, &m.body)?;
        self.applied.inserted += 1;
        let inbound_chat = m.direction == Direction::Inbound && m.kind == MessageKind::Chat;
        // Conversation counters are summed per batch and written once (see flush_deltas):
        // one UPDATE per conversation instead of one per message.
        let d = self.deltas.entry(conv).or_default();
        d.unread += inbound_chat as i64;
        d.reopen |= inbound_chat;
        if d.newest.as_ref().is_none_or(|(t, _)| m.sent_at.0 >= *t) {
            d.newest = Some((m.sent_at.0, preview_of(&m.body)));
        }
        self.applied.conversations.insert(ConversationId(conv));
        Ok(())
    }

    /// Writes the summed conversation changes of the incoming messages so far. Runs
    /// before any other kind of op, so ops keep their order.
    fn flush_deltas(&mut self) -> Result<()> {
        for (conv, d) in std::mem::take(&mut self.deltas) {
            let Some((sent_at, preview)) = d.newest else {
                continue;
            };
            self.tx
                .prepare_cached(
                    "UPDATE conversations SET \
                     unread = unread + ?2, \
                     state = CASE WHEN ?3 THEN 'open' ELSE state END, \
                     snoozed_until = CASE WHEN ?3 THEN NULL ELSE snoozed_until END, \
                     last_preview = CASE WHEN ?4 >= last_activity THEN ?5 ELSE last_preview END, \
                     last_activity = max(last_activity, ?4) \
                     WHERE id = ?1",
                )?
                .execute(params![conv, d.unread, d.reopen, sent_at, preview])?;
        }
        Ok(())
    }

    fn local_message(&mut self, m: LocalMessage<'_>) -> Result<MessageId> {
        let LocalMessage {
            conversation,
            kind,
            sender,
            body,
            attachments,
            at,
            delivery,
            quiet,
            meta,
        } = m;
        let notice = match meta.and_then(|m| m.notice.as_ref()) {
            Some(n) => Some(
                serde_json::to_string(n)
                    .map_err(|e| StoreError::Unreadable(format!("notice: {e}")))?,
            ),
            None => None,
        };
        let account = self.conversation_account(conversation)?;
        let id: i64 = self
            .tx
            .prepare_cached(
                "INSERT INTO messages (conversation, account, remote_id, kind, direction, sender, \
                 body, attachments, sent_at, received_at, delivery, txn, footer, notice) \
                 VALUES (?1, ?2, NULL, ?3, 'outbound', ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10, ?11) \
                 RETURNING id",
            )?
            .query_row(
                params![
                    conversation.0,
                    account,
                    kind_str(kind),
                    sender,
                    body,
                    attachments_json(attachments),
                    at.0,
                    delivery.as_str(),
                    meta.and_then(|m| m.txn.as_deref()),
                    meta.and_then(|m| m.footer.as_deref()),
                    notice
                ],
                |r| r.get(0),
            )?;
        self.index_body(id, body)?;
        let preview = match kind {
            _ if quiet => None,
            MessageKind::Note => None,
            _ => Some(preview_of(body)),
        };
        self.tx
            .prepare_cached(
                "UPDATE conversations SET \
                 last_preview = coalesce(?3, last_preview), \
                 last_activity = CASE WHEN ?3 IS NULL THEN last_activity ELSE max(last_activity, ?2) END \
                 WHERE id = ?1",
            )?
            .execute(params![conversation.0, at.0, preview])?;
        self.applied.conversations.insert(conversation);
        Ok(MessageId(id))
    }

    /// The account of a conversation; an unknown conversation is an error.
    fn conversation_account(&self, conversation: ConversationId) -> Result<String> {
        self.tx
            .prepare_cached("SELECT account FROM conversations WHERE id = ?1")?
            .query_row([conversation.0], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NoConversation(conversation.to_string()))
    }

    /// A message that arrived undecryptable and now could be decrypted: the placeholder
    /// becomes the message (it held no content of its own to keep).
    fn replace_placeholder(&mut self, conv: i64, m: &IncomingMessage) -> Result<()> {
        let id: Option<i64> = self
            .tx
            .prepare_cached(
                "SELECT id FROM messages WHERE account = ?1 AND remote_id = ?2 \
                 AND kind = 'system' AND body = ?3",
            )?
            .query_row(params![m.account.0, m.remote_id, UNDECRYPTABLE], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(id) = id else { return Ok(()) };
        self.tx
            .prepare_cached(
                "INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', ?1, ?2)",
            )?
            .execute(params![id, UNDECRYPTABLE])?;
        self.tx
            .prepare_cached(
                "UPDATE messages SET kind = ?2, sender = ?3, body = ?4, attachments = ?5 \
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                kind_str(m.kind),
                m.sender,
                m.body,
                attachments_json(&m.attachments)
            ])?;
        self.index_body(id, &m.body)?;
        self.applied.conversations.insert(ConversationId(conv));
        Ok(())
    }

    fn purge(
        &mut self,
        account: &AccountId,
        remote_id: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<()> {
        let conv: Option<i64> = self
            .tx
            .prepare_cached("SELECT id FROM conversations WHERE account = ?1 AND remote_id = ?2")?
            .query_row(params![account.0, remote_id], |r| r.get(0))
            .optional()?;
        let Some(conv) = conv else { return Ok(()) };
        let doomed: Vec<(i64, String, Option<String>, Option<String>)> = self
            .tx
            .prepare_cached(
                "SELECT id, body, attachments, remote_id FROM messages \
                 WHERE conversation = ?1 AND sent_at BETWEEN ?2 AND ?3",
            )?
            .query_map(params![conv, from.0, to.0], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut blobs = std::collections::BTreeSet::new();
        for (id, body, attachments, remote) in &doomed {
            self.remove_row(*id, body, &account.0, remote.as_deref())?;
            let list: Vec<Attachment> = attachments
                .as_deref()
                .and_then(|a| serde_json::from_str(a).ok())
                .unwrap_or_default();
            blobs.extend(list.into_iter().filter_map(|a| a.blob));
        }
        self.applied.purged += doomed.len();
        for blob in blobs {
            let used: i64 = self
                .tx
                .prepare_cached(
                    "SELECT count(*) FROM messages WHERE attachments LIKE '%' || ?1 || '%'",
                )?
                .query_row([&blob.0], |r| r.get(0))?;
            if used == 0 {
                self.applied.purged_blobs.push(blob);
            }
        }
        let left: i64 = self
            .tx
            .prepare_cached("SELECT count(*) FROM messages WHERE conversation = ?1")?
            .query_row([conv], |r| r.get(0))?;
        if left == 0 {
            // Nothing left to keep the customer's name and number for.
            self.remove_conversation_row(conv)?;
        } else {
            self.applied.conversations.insert(ConversationId(conv));
        }
        Ok(())
    }

    fn index_body(&mut self, id: i64, body: &str) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO messages_fts (rowid, body) VALUES (?1, ?2)")?
            .execute(params![id, body])?;
        Ok(())
    }

    fn touch_by_remote(&mut self, account: &str, remote_id: &str) -> Result<Option<i64>> {
        let conv: Option<i64> = self
            .tx
            .prepare_cached(
                "SELECT conversation FROM messages WHERE account = ?1 AND remote_id = ?2",
            )?
            .query_row(params![account, remote_id], |r| r.get(0))
            .optional()?;
        if let Some(c) = conv {
            self.applied.conversations.insert(ConversationId(c));
        }
        Ok(conv)
    }

    fn set_delivery_where(
        &mut self,
        sql_where: &str,
        p: &[&dyn rusqlite::ToSql],
        next: Delivery,
    ) -> Result<()> {
        let current: Option<(i64, i64, String)> = self
            .tx
            .prepare_cached(&format!(
                "SELECT id, conversation, delivery FROM messages WHERE {sql_where}"
            ))?
            .query_row(p, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        if let Some((id, conv, cur)) = current {
            let cur = Delivery::parse(&cur).unwrap_or(Delivery::Pending);
            let new = cur.advance(next);
            if new != cur {
                self.tx
                    .prepare_cached("UPDATE messages SET delivery = ?2 WHERE id = ?1")?
                    .execute(params![id, new.as_str()])?;
                self.applied.conversations.insert(ConversationId(conv));
            }
        }
        Ok(())
    }

    fn apply(&mut self, op: &Op) -> Result<()> {
        if !matches!(op, Op::Incoming(_)) {
            self.flush_deltas()?;
        }
        match op {
            Op::UpsertConversation(c) => {
                self.upsert_conversation(c)?;
            }
            Op::Incoming(m) => self.incoming(m)?,
            Op::QueueOutgoing {
                conversation,
                sender,
                body,
                attachments,
                at,
                automatic,
                meta,
            } => {
                let id = self.local_message(LocalMessage {
                    conversation: *conversation,
                    kind: MessageKind::Chat,
                    sender,
                    body,
                    attachments,
                    at: *at,
                    delivery: Delivery::Pending,
                    quiet: *automatic,
                    meta: Some(meta),
                })?;
                // Answering moves the ball to the customer; tresen's own notice does not.
                if !automatic {
                    self.tx.execute(
                        "UPDATE conversations SET unread = 0, marked_unread = 0, \
                         state = CASE WHEN state = 'open' THEN 'waiting' ELSE state END WHERE id = ?1",
                        [conversation.0],
                    )?;
                }
                self.applied.queued.push(id);
            }
            Op::SendResult {
                message,
                outcome,
                at,
            } => match outcome {
                Ok(remote_id) => self.sent(*message, remote_id, *at)?,
                Err(reason) => {
                    self.set_delivery_where("id = ?1", &[&message.0], Delivery::Failed)?;
                    self.tx
                        .prepare_cached(
                            "UPDATE messages SET failure = ?2 WHERE id = ?1 AND delivery = 'failed'",
                        )?
                        .execute(params![message.0, reason])?;
                }
            },
            Op::SendAttempt { message } => {
                self.tx
                    .prepare_cached("UPDATE messages SET attempted = attempted + 1 WHERE id = ?1")?
                    .execute([message.0])?;
            }
            Op::SendUnclear { message, reason } => {
                self.set_delivery_where("id = ?1", &[&message.0], Delivery::Unclear)?;
                self.tx
                    .prepare_cached(
                        "UPDATE messages SET failure = ?2 WHERE id = ?1 AND delivery = 'unclear'",
                    )?
                    .execute(params![message.0, reason])?;
            }
            Op::RenamePeer { account, from, to } => self.rename_peer(account, from, to)?,
            Op::Receipt {
                account,
                remote_id,
                delivery,
            } => {
                self.set_delivery_where(
                    "account = ?1 AND remote_id = ?2",
                    &[&account.0, remote_id],
                    *delivery,
                )?;
            }
            Op::RemoteEdit {
                account,
                remote_id,
                body,
                at,
            } => {
                if self.touch_by_remote(&account.0, remote_id)?.is_some() {
                    self.tx
                        .prepare_cached(
                            "UPDATE messages SET edit_body = ?3, edit_at = ?4 \
                             WHERE account = ?1 AND remote_id = ?2",
                        )?
                        .execute(params![account.0, remote_id, body, at.0])?;
                }
            }
            Op::RemoteDelete {
                account,
                remote_id,
                at,
            } => {
                let conv: Option<i64> = self
                    .tx
                    .prepare_cached(
                        "SELECT m.conversation FROM reactions r JOIN messages m \
                         ON m.account = r.account AND m.remote_id = r.target \
                         WHERE r.account = ?1 AND r.remote_id = ?2",
                    )?
                    .query_row(params![account.0, remote_id], |r| r.get(0))
                    .optional()?;
                if let Some(c) = conv {
                    // A withdrawn reaction is just gone: it is no message of its own.
                    self.tx
                        .prepare_cached(
                            "DELETE FROM reactions WHERE account = ?1 AND remote_id = ?2",
                        )?
                        .execute(params![account.0, remote_id])?;
                    self.applied.conversations.insert(ConversationId(c));
                }
                if self.touch_by_remote(&account.0, remote_id)?.is_some() {
                    self.tx
                        .prepare_cached(
                            "UPDATE messages SET deleted_at = coalesce(deleted_at, ?3) \
                             WHERE account = ?1 AND remote_id = ?2",
                        )?
                        .execute(params![account.0, remote_id, at.0])?;
                }
            }
            Op::SetSecurity {
                account,
                remote_id,
                security,
            } => {
                if let Some(id) = self.conversation_id(&account.0, remote_id)? {
                    let n = self
                        .tx
                        .prepare_cached(
                            "UPDATE conversations SET security = ?2 WHERE id = ?1 AND security <> ?2",
                        )?
                        .execute(params![id, security.as_str()])?;
                    if n > 0 {
                        self.applied.conversations.insert(ConversationId(id));
                    }
                }
            }
            Op::SetHealth {
                account,
                health,
                at,
            } => {
                let json = serde_json::to_string(health)
                    .unwrap_or_else(|_| r#"{"state":"online"}"#.to_string());
                self.tx
                    .prepare_cached(
                        "INSERT INTO account_health (account, health, since) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (account) DO UPDATE SET health = excluded.health, \
                         since = excluded.since",
                    )?
                    .execute(params![account.0, json, at.0])?;
            }
            Op::Reaction {
                account,
                remote_id,
                target,
                key,
                sender,
                outbound,
                at,
            } => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO reactions (account, remote_id, target, key, sender, outbound, at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
                    )?
                    .execute(params![account.0, remote_id, target, key, sender, outbound, at.0])?;
                self.touch_by_remote(&account.0, target)?;
            }
            Op::SetAttachmentBlob {
                message,
                index,
                blob,
            } => {
                let row: Option<(i64, Option<String>)> = self
                    .tx
                    .prepare_cached("SELECT conversation, attachments FROM messages WHERE id = ?1")?
                    .query_row(params![message.0], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                let missing = || StoreError::NoAttachment {
                    message: message.0,
                    index: *index,
                };
                let Some((conversation, json)) = row else {
                    return Err(StoreError::NoMessage(message.0));
                };
                let mut list: Vec<Attachment> = json
                    .and_then(|j| serde_json::from_str(&j).ok())
                    .unwrap_or_default();
                let a = list.get_mut(*index).ok_or_else(missing)?;
                a.blob = Some(blob.clone());
                self.tx
                    .prepare_cached("UPDATE messages SET attachments = ?2 WHERE id = ?1")?
                    .execute(params![message.0, attachments_json(&list)])?;
                self.applied
                    .conversations
                    .insert(ConversationId(conversation));
            }
            Op::AddNote {
                conversation,
                author,
                body,
                at,
            } => {
                self.local_message(LocalMessage {
                    conversation: *conversation,
                    kind: MessageKind::Note,
                    sender: author,
                    body,
                    attachments: &[],
                    at: *at,
                    delivery: Delivery::Read,
                    quiet: false,
                    meta: None,
                })?;
            }
            Op::SetState {
                conversation,
                state,
            } => {
                let (s, until) = state_to_columns(*state);
                self.update_conversation(
                    "UPDATE conversations SET state = ?2, snoozed_until = ?3 WHERE id = ?1",
                    params![conversation.0, s, until],
                    *conversation,
                )?;
            }
            Op::SetLabels {
                conversation,
                labels,
            } => {
                let labels: BTreeSet<&String> = labels.iter().collect();
                let json = serde_json::to_string(&labels).unwrap_or_else(|_| "[]".into());
                self.update_conversation(
                    "UPDATE conversations SET labels = ?2 WHERE id = ?1",
                    params![conversation.0, json],
                    *conversation,
                )?;
            }
            Op::MarkRead { conversation } => self.update_conversation(
                "UPDATE conversations SET unread = 0, marked_unread = 0 WHERE id = ?1",
                params![conversation.0],
                *conversation,
            )?,
            Op::MarkUnread { conversation } => self.update_conversation(
                "UPDATE conversations SET marked_unread = 1 WHERE id = ?1",
                params![conversation.0],
                *conversation,
            )?,
            Op::SetDraft { conversation, body } => {
                self.conversation_account(*conversation)?;
                self.applied.conversations.insert(*conversation);
                if body.trim().is_empty() {
                    self.tx
                        .prepare_cached("DELETE FROM drafts WHERE conversation = ?1")?
                        .execute([conversation.0])?;
                } else {
                    self.tx
                        .prepare_cached(
                            "INSERT INTO drafts (conversation, body) VALUES (?1, ?2) \
                             ON CONFLICT (conversation) DO UPDATE SET body = excluded.body",
                        )?
                        .execute(params![conversation.0, body])?;
                }
            }
            Op::Purge {
                account,
                remote_id,
                from,
                to,
            } => self.purge(account, remote_id, *from, *to)?,
            Op::SetSyncPosition { account, position } => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO sync_positions (account, position) VALUES (?1, ?2) \
                         ON CONFLICT (account) DO UPDATE SET position = excluded.position",
                    )?
                    .execute(params![account.0, position])?;
            }
            Op::Assign {
                conversation,
                staff,
            } => {
                let n = self.tx.execute(
                    "UPDATE conversations SET assigned = ?2 WHERE id = ?1",
                    params![conversation.0, staff],
                )?;
                if n == 0 {
                    return Err(StoreError::NoConversation(conversation.to_string()));
                }
                self.applied.conversations.insert(*conversation);
            }
            Op::Ledger(entry) => self.ledger(entry)?,
        }
        Ok(())
    }

    fn ledger(&mut self, entry: &LedgerEntry) -> Result<()> {
        let (channel, address) = entry.key();
        let json = serde_json::to_string(entry)
            .map_err(|e| StoreError::Unreadable(format!("ledger entry: {e}")))?;
        self.tx
            .prepare_cached(
                "INSERT INTO ledger (kind, channel, address, at, entry) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![entry.kind(), channel.as_str(), address, entry.at().0, json])?;
        Ok(())
    }

    /// The network took `message` as `remote_id`. The first time, what it carried
    /// becomes ledger fact: its footer (the policy's memory) and, for the first-contact
    /// notice, the notice itself.
    fn sent(&mut self, message: MessageId, remote_id: &str, at: Timestamp) -> Result<()> {
        type Row = (i64, String, String, Option<String>, Option<String>);
        let row: Option<Row> = self
            .tx
            .prepare_cached(
                "SELECT conversation, account, delivery, footer, notice FROM messages WHERE id = ?1",
            )?
            .query_row([message.0], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?;
        let Some((conv, account, delivery, footer, notice)) = row else {
            return Err(StoreError::NoMessage(message.0));
        };
        // The network's copy was stored as a message of its own before this answer
        // came (it arrived when tresen did not know the send): it is this message. Any
        // other message under that id (two sends in the same millisecond on Signal) is
        // not touched; this one is sent all the same, without the id.
        let twin: Option<(i64, String, Option<String>, String)> = self
            .tx
            .prepare_cached(
                "SELECT id, direction, txn, body FROM messages \
                 WHERE account = ?1 AND remote_id = ?2 AND id <> ?3",
            )?
            .query_row(params![account, remote_id, message.0], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let mut id_free = true;
        if let Some((twin, direction, txn, twin_body)) = twin {
            let body: String = self
                .tx
                .prepare_cached("SELECT body FROM messages WHERE id = ?1")?
                .query_row([message.0], |r| r.get(0))?;
            if direction == "outbound" && txn.is_none() && twin_body == body {
                self.delete_message(twin)?;
            } else {
                tracing::warn!(
                    message = message.0,
                    remote_id,
                    "another message has this network id; kept apart"
                );
                id_free = false;
            }
        }
        if id_free {
            self.tx
                .prepare_cached(
                    "UPDATE messages SET remote_id = ?2 WHERE id = ?1 AND remote_id IS NULL",
                )?
                .execute(params![message.0, remote_id])?;
        }
        self.set_delivery_where("id = ?1", &[&message.0], Delivery::Sent)?;
        let was_sent = Delivery::parse(&delivery).is_some_and(Delivery::is_sent);
        if was_sent {
            return Ok(());
        }
        let conversation: String = self
            .tx
            .prepare_cached("SELECT remote_id FROM conversations WHERE id = ?1")?
            .query_row([conv], |r| r.get(0))?;
        if let Some(version) = footer {
            self.ledger(&LedgerEntry::Footer {
                account: account.clone(),
                conversation,
                version,
                at,
            })?;
        }
        if let Some(json) = notice {
            let mut notice: crate::compliance::FirstContact = serde_json::from_str(&json)
                .map_err(|e| StoreError::Unreadable(format!("notice: {e}")))?;
            notice.message = format!("local:{}", message.0);
            notice.at = at;
            self.ledger(&LedgerEntry::FirstContact(notice))?;
        }
        Ok(())
    }

    /// Removes one message with its index entry and reactions.
    fn delete_message(&mut self, id: i64) -> Result<()> {
        let row: Option<(i64, String, String, Option<String>)> = self
            .tx
            .prepare_cached(
                "SELECT conversation, account, body, remote_id FROM messages WHERE id = ?1",
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let Some((conv, account, body, remote)) = row else {
            return Ok(());
        };
        self.remove_row(id, &body, &account, remote.as_deref())?;
        self.applied.conversations.insert(ConversationId(conv));
        Ok(())
    }

    /// A message row gone: its index entry and the reactions on it too.
    fn remove_row(
        &mut self,
        id: i64,
        body: &str,
        account: &str,
        remote: Option<&str>,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', ?1, ?2)",
            )?
            .execute(params![id, body])?;
        self.tx
            .prepare_cached("DELETE FROM messages WHERE id = ?1")?
            .execute([id])?;
        if let Some(remote) = remote {
            self.tx
                .prepare_cached("DELETE FROM reactions WHERE account = ?1 AND target = ?2")?
                .execute(params![account, remote])?;
        }
        Ok(())
    }

    fn rename_peer(&mut self, account: &AccountId, from: &str, to: &str) -> Result<()> {
        if from == to || from.is_empty() || to.is_empty() {
            return Ok(());
        }
        let a = account.0.as_str();
        // The direct conversation: renamed, or folded into the one under the new id.
        let old = self.conversation_id(a, from)?;
        let new = self.conversation_id(a, to)?;
        match (old, new) {
            (Some(old), None) => {
                self.tx
                    .prepare_cached("UPDATE conversations SET remote_id = ?2 WHERE id = ?1")?
                    .execute(params![old, to])?;
                self.ids.clear();
                self.applied.conversations.insert(ConversationId(old));
            }
            (Some(old), Some(new)) => self.fold_conversation(old, new)?,
            _ => {}
        }
        // The old id was the phone number: it stays known as such.
        self.tx
            .prepare_cached(
                "UPDATE conversations SET contact_identity = ?3 \
                 WHERE account = ?1 AND contact_identity = ?2",
            )?
            .execute(params![a, from, to])?;
        if from.starts_with('+') {
            self.tx
                .prepare_cached(
                    "UPDATE conversations SET contact_phone = ?2 \
                     WHERE account = ?1 AND contact_identity = ?3 AND contact_phone IS NULL",
                )?
                .execute(params![a, from, to])?;
        }
        // Message ids the peer authored: `from/…` becomes `to/…`; a message the
        // network delivered under both ids is kept once.
        let (lo, hi) = (format!("{from}/"), format!("{from}0"));
        let rows: Vec<(i64, String)> = self
            .tx
            .prepare_cached(
                "SELECT id, remote_id FROM messages WHERE account = ?1 AND remote_id >= ?2 AND remote_id < ?3",
            )?
            .query_map(params![a, lo, hi], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, remote) in rows {
            let renamed = format!("{to}{}", &remote[from.len()..]);
            let taken: bool = self
                .tx
                .prepare_cached(
                    "SELECT count(*) FROM messages WHERE account = ?1 AND remote_id = ?2",
                )?
                .query_row(params![a, renamed], |r| r.get::<_, i64>(0))?
                > 0;
            if taken {
                self.delete_message(id)?;
            } else {
                self.tx
                    .prepare_cached("UPDATE messages SET remote_id = ?2 WHERE id = ?1")?
                    .execute(params![id, renamed])?;
                if let Some(c) = self.message_conversation(MessageId(id))? {
                    self.applied.conversations.insert(ConversationId(c));
                }
            }
        }
        // Reactions: on messages it wrote (`from/…`) and by it (`…/reaction/from`).
        let reactions: Vec<(String, String)> = self
            .tx
            .prepare_cached(
                "SELECT remote_id, target FROM reactions WHERE account = ?1 \
                 AND ((target >= ?2 AND target < ?3) OR remote_id LIKE '%/reaction/' || ?4)",
            )?
            .query_map(params![a, lo, hi, from], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (remote, target) in reactions {
            let swap = |s: &str| match s.strip_prefix(&lo) {
                Some(rest) => format!("{to}/{rest}"),
                None => s.to_string(),
            };
            let mut new_remote = swap(&remote);
            if let Some(head) = new_remote.strip_suffix(&format!("/reaction/{from}")) {
                new_remote = format!("{head}/reaction/{to}");
            }
            self.tx
                .prepare_cached(
                    "UPDATE OR REPLACE reactions SET remote_id = ?3, target = ?4 \
                     WHERE account = ?1 AND remote_id = ?2",
                )?
                .execute(params![a, remote, new_remote, swap(&target)])?;
        }
        // Ledger facts about the contact and the conversation's footers.
        let entries: Vec<(i64, String)> = self
            .tx
            .prepare_cached(
                "SELECT id, entry FROM ledger WHERE (address = ?1 AND channel <> 'other') \
                 OR (address = ?2 AND channel = 'other')",
            )?
            .query_map(params![from, crate::compliance::footer_key(a, from)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (id, json) in entries {
            let mut entry = parse_ledger(&json)?;
            match &mut entry {
                LedgerEntry::Consent(r) if r.account == a => r.address = to.to_string(),
                LedgerEntry::FirstContact(f) if f.account == a => f.address = to.to_string(),
                LedgerEntry::Footer {
                    account,
                    conversation,
                    ..
                } if account == a => *conversation = to.to_string(),
                _ => continue,
            }
            let (_, address) = entry.key();
            let json = serde_json::to_string(&entry)
                .map_err(|e| StoreError::Unreadable(format!("ledger entry: {e}")))?;
            self.tx
                .prepare_cached("UPDATE ledger SET address = ?2, entry = ?3 WHERE id = ?1")?
                .execute(params![id, address, json])?;
        }
        Ok(())
    }

    /// Moves everything of conversation `old` into `new` and removes `old`.
    fn fold_conversation(&mut self, old: i64, new: i64) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE messages SET conversation = ?2 WHERE conversation = ?1")?
            .execute(params![old, new])?;
        self.tx
            .prepare_cached(
                "UPDATE conversations SET \
                 unread = unread + (SELECT unread FROM conversations WHERE id = ?1), \
                 last_preview = CASE WHEN (SELECT last_activity FROM conversations WHERE id = ?1) > last_activity \
                     THEN (SELECT last_preview FROM conversations WHERE id = ?1) ELSE last_preview END, \
                 last_activity = max(last_activity, (SELECT last_activity FROM conversations WHERE id = ?1)) \
                 WHERE id = ?2",
            )?
            .execute(params![old, new])?;
        // Labels decide retention: the two conversations' together.
        let mut labels = BTreeSet::new();
        for id in [old, new] {
            let json: String = self
                .tx
                .prepare_cached("SELECT labels FROM conversations WHERE id = ?1")?
                .query_row([id], |r| r.get(0))?;
            labels.extend(serde_json::from_str::<Vec<String>>(&json).unwrap_or_default());
        }
        let json = serde_json::to_string(&labels).unwrap_or_else(|_| "[]".into());
        self.tx
            .prepare_cached("UPDATE conversations SET labels = ?2 WHERE id = ?1")?
            .execute(params![new, json])?;
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO drafts (conversation, body) \
                 SELECT ?2, body FROM drafts WHERE conversation = ?1",
            )?
            .execute(params![old, new])?;
        self.remove_conversation_row(old)?;
        self.ids.clear();
        self.applied.conversations.insert(ConversationId(new));
        Ok(())
    }

    /// A conversation row gone, with its index entry and draft (its messages are
    /// gone or moved already).
    fn remove_conversation_row(&mut self, id: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO conversations_fts (conversations_fts, rowid, title, contact_name, contact_identity, contact_phone) \
                 SELECT 'delete', id, title, contact_name, contact_identity, contact_phone FROM conversations WHERE id = ?1",
            )?
            .execute([id])?;
        self.tx
            .prepare_cached("DELETE FROM drafts WHERE conversation = ?1")?
            .execute([id])?;
        self.tx
            .prepare_cached("DELETE FROM conversations WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    fn message_conversation(&self, id: MessageId) -> rusqlite::Result<Option<i64>> {
        self.tx
            .prepare_cached("SELECT conversation FROM messages WHERE id = ?1")?
            .query_row([id.0], |r| r.get(0))
            .optional()
    }

    fn update_conversation(
        &mut self,
        sql: &str,
        p: impl rusqlite::Params,
        id: ConversationId,
    ) -> Result<()> {
        if self.tx.prepare_cached(sql)?.execute(p)? == 0 {
            return Err(StoreError::NoConversation(id.to_string()));
        }
        self.applied.conversations.insert(id);
        Ok(())
    }
}

impl Store for SqliteStore {
    fn apply(&mut self, ops: &[Op]) -> Result<Applied> {
        let tx = self.conn.transaction()?;
        let mut w = Writer {
            tx,
            applied: Applied::default(),
            ids: Default::default(),
            deltas: Default::default(),
        };
        for op in ops {
            w.apply(op)?;
        }
        w.flush_deltas()?;
        let Writer { tx, applied, .. } = w;
        tx.commit()?;
        Ok(applied)
    }
}

impl SqliteStore {
    fn load_reactions(&self, m: &mut Message) -> Result<()> {
        if m.remote_id.is_none() {
            return Ok(());
        }
        let mut st = self.conn.prepare_cached(
            "SELECT r.key, r.sender, r.outbound FROM reactions r JOIN messages m \
             ON r.account = m.account AND r.target = m.remote_id \
             WHERE m.id = ?1 ORDER BY r.at, r.rowid",
        )?;
        m.reactions = st
            .query_map([m.id.0], |r| {
                Ok(Reaction {
                    key: r.get(0)?,
                    sender: r.get(1)?,
                    outbound: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(())
    }
}

impl StoreRead for SqliteStore {
    fn conversations(&self) -> Result<Vec<Conversation>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations c ORDER BY last_activity DESC, id DESC"
        ))?;
        let rows = st.query_map([], conversation_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn conversation(&self, id: ConversationId) -> Result<Option<Conversation>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE id = ?1"
            ))?
            .query_row([id.0], conversation_from_row)
            .optional()?)
    }

    fn find_conversation(&self, key: &str) -> Result<Option<Conversation>> {
        if let Ok(id) = key.parse::<i64>()
            && let Some(c) = self.conversation(ConversationId(id))?
        {
            return Ok(Some(c));
        }
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations c \
                 WHERE remote_id = ?1 OR contact_identity = ?1 OR contact_phone = ?1 \
                 OR lower(title) = lower(?1) \
                 ORDER BY (remote_id = ?1) DESC, last_activity DESC LIMIT 1"
            ))?
            .query_row([key], conversation_from_row)
            .optional()?)
    }

    fn messages(
        &self,
        conversation: ConversationId,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<Vec<Message>> {
        let mut out: Vec<Message> = match before {
            None => {
                let mut st = self.conn.prepare_cached(&format!(
                    "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation = ?1 \
                     ORDER BY sent_at DESC, id DESC LIMIT ?2"
                ))?;
                st.query_map(params![conversation.0, limit as i64], message_from_row)?
                    .collect::<rusqlite::Result<_>>()?
            }
            Some(b) => {
                let mut st = self.conn.prepare_cached(&format!(
                    "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation = ?1 \
                     AND (sent_at, id) < (SELECT sent_at, id FROM messages WHERE id = ?3) \
                     ORDER BY sent_at DESC, id DESC LIMIT ?2"
                ))?;
                st.query_map(params![conversation.0, limit as i64, b.0], message_from_row)?
                    .collect::<rusqlite::Result<_>>()?
            }
        };
        out.reverse();
        for m in &mut out {
            self.load_reactions(m)?;
        }
        Ok(out)
    }

    fn message(&self, id: MessageId) -> Result<Option<Message>> {
        let mut m = self
            .conn
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1"
            ))?
            .query_row([id.0], message_from_row)
            .optional()?;
        if let Some(m) = &mut m {
            self.load_reactions(m)?;
        }
        Ok(m)
    }

    fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let Some(q) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let mut hits = Vec::new();
        // Contacts first: finding the customer is usually what the user wants.
        let mut st = self.conn.prepare_cached(
            "SELECT c.id, c.title, coalesce(c.contact_phone, c.contact_identity, c.remote_id), c.last_activity \
             FROM conversations_fts f JOIN conversations c ON c.id = f.rowid \
             WHERE conversations_fts MATCH ?1 ORDER BY c.last_activity DESC LIMIT ?2",
        )?;
        for row in st.query_map(params![q, limit as i64], |r| {
            Ok(SearchHit {
                conversation: ConversationId(r.get(0)?),
                message: None,
                title: r.get(1)?,
                snippet: r.get(2)?,
                at: Timestamp(r.get(3)?),
            })
        })? {
            hits.push(row?);
        }
        // Recency order lets FTS5 stop after `limit` rows instead of ranking every match.
        let mut st = self.conn.prepare_cached(
            "SELECT m.conversation, m.id, c.title, \
                    snippet(messages_fts, 0, '', '', '…', 12), m.sent_at \
             FROM messages_fts f JOIN messages m ON m.id = f.rowid \
             JOIN conversations c ON c.id = m.conversation \
             WHERE messages_fts MATCH ?1 ORDER BY f.rowid DESC LIMIT ?2",
        )?;
        let remaining = limit.saturating_sub(hits.len());
        let contacts = hits.len();
        for row in st.query_map(params![q, remaining as i64], |r| {
            Ok(SearchHit {
                conversation: ConversationId(r.get(0)?),
                message: Some(MessageId(r.get(1)?)),
                title: r.get(2)?,
                snippet: r.get(3)?,
                at: Timestamp(r.get(4)?),
            })
        })? {
            hits.push(row?);
        }
        // Insertion order is not time order (history is backfilled): show newest first.
        hits[contacts..].sort_by_key(|h| std::cmp::Reverse(h.at));
        Ok(hits)
    }

    fn oldest_remote_id(&self, conversation: ConversationId) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT remote_id FROM messages WHERE conversation = ?1 AND remote_id IS NOT NULL \
                 ORDER BY sent_at, id LIMIT 1",
            )?
            .query_row([conversation.0], |r| r.get(0))
            .optional()?)
    }

    fn conversation_by_remote(
        &self,
        account: &AccountId,
        remote_id: &str,
    ) -> Result<Option<ConversationId>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM conversations WHERE account = ?1 AND remote_id = ?2")?
            .query_row(params![account.0, remote_id], |r| r.get(0))
            .optional()?
            .map(ConversationId))
    }

    fn known_remote_ids(
        &self,
        account: &AccountId,
        remote_ids: &[&str],
    ) -> Result<std::collections::HashMap<String, bool>> {
        const CHUNK: usize = 256;
        let mut out = std::collections::HashMap::new();
        for chunk in remote_ids.chunks(CHUNK) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT remote_id, kind = 'system' FROM messages WHERE account = ? AND remote_id IN ({marks})"
            ))?;
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() + 1);
            values.push(&account.0);
            for id in chunk {
                values.push(id);
            }
            let rows = stmt.query_map(values.as_slice(), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?))
            })?;
            for row in rows {
                let (id, placeholder) = row?;
                out.insert(id, placeholder);
            }
        }
        Ok(out)
    }

    fn message_by_remote(
        &self,
        account: &AccountId,
        remote_id: &str,
    ) -> Result<Option<(MessageId, String)>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT m.id, c.remote_id FROM messages m JOIN conversations c ON c.id = m.conversation \
                 WHERE m.account = ?1 AND m.remote_id = ?2",
            )?
            .query_row(params![account.0, remote_id], |r| {
                Ok((MessageId(r.get(0)?), r.get(1)?))
            })
            .optional()?)
    }

    fn undecryptable(&self, account: &AccountId, limit: usize) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.remote_id, m.remote_id FROM messages m \
             JOIN conversations c ON c.id = m.conversation \
             WHERE m.account = ?1 AND m.kind = 'system' AND m.body = ?2 \
             AND m.remote_id IS NOT NULL ORDER BY m.id DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![account.0, UNDECRYPTABLE, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn account_health(&self, account: &AccountId) -> Result<Option<(Health, Timestamp)>> {
        let row: Option<(String, i64)> = self
            .conn
            .prepare_cached("SELECT health, since FROM account_health WHERE account = ?1")?
            .query_row([&account.0], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.and_then(|(h, t)| Some((serde_json::from_str(&h).ok()?, Timestamp(t)))))
    }

    fn sync_position(&self, account: &AccountId) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT position FROM sync_positions WHERE account = ?1",
                [&account.0],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn ledger(&self, channel: Channel, address: &str) -> Result<Vec<LedgerEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT entry FROM ledger WHERE address = ?1 AND channel = ?2 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![address, channel.as_str()], |r| {
            r.get::<_, String>(0)
        })?;
        rows.map(|r| parse_ledger(&r?)).collect()
    }

    fn ledger_all(&self) -> Result<Vec<LedgerEntry>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT entry FROM ledger ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|r| parse_ledger(&r?)).collect()
    }

    fn last_exchange(
        &self,
        conversation: ConversationId,
    ) -> Result<(Option<Timestamp>, Option<Timestamp>)> {
        Ok(self.conn.query_row(
            "SELECT (SELECT max(sent_at) FROM messages WHERE conversation = ?1 AND kind = 'chat' \
                     AND direction = 'outbound' AND delivery IN ('sent', 'delivered', 'read')), \
                    (SELECT max(sent_at) FROM messages WHERE conversation = ?1 AND kind = 'chat' AND direction = 'inbound')",
            [conversation.0],
            |r| {
                Ok((
                    r.get::<_, Option<i64>>(0)?.map(Timestamp),
                    r.get::<_, Option<i64>>(1)?.map(Timestamp),
                ))
            },
        )?)
    }

    fn unsent(&self) -> Result<Vec<crate::store::Unsent>> {
        let mut st = self.conn.prepare_cached(
            "SELECT m.id, m.conversation, m.remote_id, m.kind, m.direction, m.sender, m.body, \
             m.attachments, m.sent_at, m.received_at, m.delivery, m.edit_body, m.edit_at, \
             m.deleted_at, m.failure, m.account, c.remote_id, m.txn, m.footer, m.notice, m.attempted \
             FROM messages m JOIN conversations c ON c.id = m.conversation \
             WHERE m.delivery = 'pending' AND m.direction = 'outbound' AND m.kind = 'chat' \
             ORDER BY m.id",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                message_from_row(r)?,
                r.get::<_, String>(15)?,
                r.get::<_, String>(16)?,
                (r.get(17)?, r.get(18)?, r.get::<_, Option<String>>(19)?),
                r.get::<_, i64>(20)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (message, account, conversation, (txn, footer, notice), attempted) = row?;
            out.push(crate::store::Unsent {
                message,
                account: AccountId(account),
                conversation_remote_id: conversation,
                meta: meta_of(txn, footer, notice)?,
                attempted: attempted > 0,
            });
        }
        Ok(out)
    }

    fn send_meta(&self, message: MessageId) -> Result<Option<crate::store::SendMeta>> {
        let row: Option<(Option<String>, Option<String>, Option<String>)> = self
            .conn
            .prepare_cached(
                "SELECT txn, footer, notice FROM messages \
                 WHERE id = ?1 AND direction = 'outbound' AND kind = 'chat'",
            )?
            .query_row([message.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        match row {
            Some((txn, footer, notice)) => meta_of(txn, footer, notice).map(Some),
            None => Ok(None),
        }
    }

    fn knows_peer(&self, account: &AccountId, id: &str) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM conversations WHERE account = ?1 \
                            AND (remote_id = ?2 OR contact_identity = ?2)) \
                 OR EXISTS (SELECT 1 FROM messages WHERE account = ?1 \
                            AND remote_id >= ?2 || '/' AND remote_id < ?2 || '0')",
            params![account.0, id],
            |r| r.get(0),
        )?)
    }

    fn stats(&self) -> Result<Stats> {
        let (conversations, messages) = self.conn.query_row(
            "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM messages)",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )?;
        Ok(Stats {
            conversations: conversations as u64,
            messages: messages as u64,
        })
    }
}

fn meta_of(
    txn: Option<String>,
    footer: Option<String>,
    notice: Option<String>,
) -> Result<crate::store::SendMeta> {
    let notice = match notice {
        Some(json) => Some(
            serde_json::from_str(&json)
                .map_err(|e| StoreError::Unreadable(format!("notice: {e}")))?,
        ),
        None => None,
    };
    Ok(crate::store::SendMeta {
        txn,
        footer,
        notice,
    })
}

fn parse_ledger(json: &str) -> Result<LedgerEntry> {
    serde_json::from_str(json).map_err(|e| StoreError::Unreadable(format!("ledger entry: {e}")))
}
