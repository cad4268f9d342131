//! SQLite (SQLCipher) implementation of the store.
//!
//! rusqlite is pinned to the version matrix-sdk-sqlite 0.18 uses, because only one
//! libsqlite3-sys may be linked into the binary; its `bundled-sqlcipher` feature then
//! serves both stores.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Row};
use sha2::{Digest, Sha256};

use crate::compliance::LedgerEntry;

use super::{Applied, LocalMessage, Op, Result, Stats, Store, StoreError, StoreRead, fts_query};
use crate::domain::{
    AccountId, Attachment, Channel, Contact, Conversation, ConversationId, ConversationKind,
    Delivery, Direction, Edit, Health, IncomingMessage, Message, MessageId, MessageKind, Reaction,
    SearchHit, Security, Timestamp, TriageState, UNDECRYPTABLE,
};

/// Length of the raw SQLCipher key.
pub const KEY_LEN: usize = 32;

mod contacts;
mod messages;
mod purge;
mod read;
mod schema;
mod sends;
mod write;

use schema::MIGRATIONS;
use write::Writer;

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
    security, assigned, contact_phone, urgent, waiting_since, corrected_name";

fn conversation_from_row(r: &Row<'_>) -> rusqlite::Result<Conversation> {
    let identity: Option<String> = r.get(6)?;
    let name: Option<String> = r.get(7)?;
    let state: String = r.get(8)?;
    let until: Option<i64> = r.get(9)?;
    let labels: String = r.get(10)?;
    // The office's correction wins over the network's name (R-C12); a direct chat is
    // named after its contact.
    let corrected: Option<String> = r.get(21)?;
    let kind = if r.get::<_, String>(3)? == "group" {
        ConversationKind::Group
    } else {
        ConversationKind::Direct
    };
    let title: String = match (&corrected, kind) {
        (Some(c), ConversationKind::Direct) => c.clone(),
        _ => r.get(5)?,
    };
    Ok(Conversation {
        id: ConversationId(r.get(0)?),
        account: AccountId(r.get(1)?),
        remote_id: r.get(2)?,
        kind,
        channel: Channel::parse(&r.get::<_, String>(4)?).unwrap_or(Channel::Other),
        title,
        contact: identity.map(|identity| Contact {
            display_name: corrected.or(name).unwrap_or_else(|| identity.clone()),
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
        urgent: r.get(19)?,
        waiting_since: r.get::<_, Option<i64>>(20)?.map(Timestamp),
    })
}

fn state_from_columns(state: &str, until: Option<i64>) -> TriageState {
    match (state, until) {
        ("waiting", Some(t)) => TriageState::FollowUp(Timestamp(t)),
        ("waiting", None) => TriageState::Waiting,
        ("snoozed", Some(t)) => TriageState::Snoozed(Timestamp(t)),
        ("done", _) => TriageState::Done,
        _ => TriageState::Open,
    }
}

fn state_to_columns(state: TriageState) -> (&'static str, Option<i64>) {
    match state {
        TriageState::Snoozed(t) => ("snoozed", Some(t.0)),
        // The follow-up date shares the column: a conversation has one or the other.
        TriageState::FollowUp(t) => ("waiting", Some(t.0)),
        s => (s.name(), None),
    }
}

const MESSAGE_COLUMNS: &str = "id, conversation, remote_id, kind, direction, sender, body, \
    attachments, sent_at, received_at, delivery, edit_body, edit_at, deleted_at, failure, elsewhere, \
    sensitive, quote";

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
        elsewhere: r.get(15)?,
        sensitive: r
            .get::<_, Option<String>>(16)?
            .as_deref()
            .and_then(crate::domain::Sensitive::parse),
        quote: r.get::<_, Option<i64>>(17)?.map(MessageId),
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
        // Kept on the message itself; a send taken up again after a restart goes
        // without the network's reply relation.
        quote: None,
    })
}

fn parse_ledger(json: &str) -> Result<LedgerEntry> {
    serde_json::from_str(json).map_err(|e| StoreError::Unreadable(format!("ledger entry: {e}")))
}
