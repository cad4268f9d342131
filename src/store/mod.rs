//! The inbox store: a trait and its encrypted SQLite implementation (on disk, or in memory for tests).
//!
//! Writes go through [`Store::apply`], one transaction per batch of [`Op`]s, and are
//! idempotent by (account, remote id) so a connector may replay events after a crash.
//! Only the engine writes; everybody else reads through [`StoreRead`].

mod blobs;
mod query;
mod sqlite;

pub use blobs::{BlobError, BlobStore};
pub use query::fts_query;
pub use sqlite::{KEY_LEN, SqliteStore};

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::compliance::LedgerEntry;
use crate::domain::{
    AccountId, Attachment, BlobId, Channel, Conversation, ConversationId, ConversationUpsert,
    Delivery, Health, IncomingMessage, Message, MessageId, SearchHit, Security, Timestamp,
    TriageState,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the store {path} cannot be opened with this key: it was created with a different key \
         (wrong passphrase, or the secret store holds another profile's key)"
    )]
    WrongKey { path: PathBuf },
    #[error(
        "the store {path} is damaged ({detail}); nothing was changed. `tresen store rebuild` \
         builds it anew from the archive (the damaged file is kept beside it), or restore it \
         from a backup"
    )]
    Corrupted { path: PathBuf, detail: String },
    #[error(
        "the store {path} has schema version {found}, this tresen understands up to {supported}; \
         use a newer tresen"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "the store {path} has schema version {found} and needs upgrading to {supported}; \
         stop the running tresen and start it (or `tresen sync --once`) with this version first"
    )]
    OlderSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("no such conversation: {0}")]
    NoConversation(String),
    #[error("no such message: {0}")]
    NoMessage(i64),
    #[error("no message with the network id {0}")]
    NoRemoteMessage(String),
    #[error("message {message} has no attachment number {index}")]
    NoAttachment { message: i64, index: usize },
    #[error("store error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the store holds an entry this tresen cannot read: {0}")]
    Unreadable(String),
    #[error("store I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// One write. A batch of these is applied atomically.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    UpsertConversation(ConversationUpsert),
    /// A message from the network (inbound, or outbound sent from another device).
    Incoming(IncomingMessage),
    /// An outbound message the office wrote here; stored as pending before any connector
    /// sees it. The store assigns the local id (reported in [`Applied::queued`]).
    QueueOutgoing {
        conversation: ConversationId,
        sender: String,
        body: String,
        attachments: Vec<Attachment>,
        at: Timestamp,
        /// Sent by tresen itself (the first-contact notice): nobody answered the
        /// customer yet, so unread count and triage state stay as they are.
        automatic: bool,
        meta: SendMeta,
    },
    /// The message is being handed to its connector now: after a crash from here on,
    /// the network may have it.
    SendAttempt {
        message: MessageId,
    },
    /// Tresen stopped after handing the message to a network that cannot tell a
    /// repeat from a new message: it may or may not have arrived (`Delivery::Unclear`).
    SendUnclear {
        message: MessageId,
        reason: String,
    },
    /// The connector's answer to a send. The first success also records what the
    /// message carried in the ledger (its footer, the first-contact notice): only
    /// what reached the network counts.
    SendResult {
        message: MessageId,
        outcome: std::result::Result<String, String>,
        at: Timestamp,
    },
    Receipt {
        account: AccountId,
        remote_id: String,
        delivery: Delivery,
    },
    RemoteEdit {
        account: AccountId,
        remote_id: String,
        body: String,
        at: Timestamp,
    },
    RemoteDelete {
        account: AccountId,
        remote_id: String,
        at: Timestamp,
    },
    AddNote {
        conversation: ConversationId,
        author: String,
        body: String,
        at: Timestamp,
    },
    /// A message to go out at `due` (kept apart from the messages until it is sent).
    Schedule {
        id: String,
        account: AccountId,
        remote_id: String,
        sender: String,
        body: String,
        due: Timestamp,
        at: Timestamp,
    },
    /// What became of a scheduled message (only a waiting one changes).
    EndScheduled {
        id: String,
        state: crate::domain::scheduled::ScheduledState,
    },
    SetState {
        conversation: ConversationId,
        state: TriageState,
    },
    SetLabels {
        conversation: ConversationId,
        labels: Vec<String>,
    },
    MarkRead {
        conversation: ConversationId,
    },
    MarkUnread {
        conversation: ConversationId,
    },
    /// Mark a message's content as for the owner only (R-E4, R-C14), or lift the mark.
    /// The newest message's preview in the list shows ⊘ instead of its text (🔒 is the encryption sign).
    MarkSensitive {
        message: MessageId,
        mark: Option<crate::domain::Sensitive>,
    },
    /// Keep (or with an empty body, drop) the unsent reply of a conversation.
    SetDraft {
        conversation: ConversationId,
        body: String,
    },
    /// Removes a conversation's messages (and notes, reactions) sent in `[from, to]`,
    /// and the conversation itself if nothing is left: what the archive's retention run
    /// or an erasure destroyed must not live on in the inbox. Attachment files no other
    /// message uses are reported in [`Applied::purged_blobs`] for the caller to delete.
    Purge {
        account: AccountId,
        remote_id: String,
        from: Timestamp,
        to: Timestamp,
    },
    /// Where a connector resumes after a restart (e.g. a Matrix sync token). Written in
    /// the same transaction as the events before it, so a position never runs ahead of
    /// what is stored: a crash re-delivers, and idempotent writes drop the repeats.
    SetSyncPosition {
        account: AccountId,
        position: String,
    },
    /// Someone reacted to message `target` (a remote id) with `key`. `remote_id` is the
    /// reaction's own id: deleting it (`RemoteDelete`) takes the reaction away.
    Reaction {
        account: AccountId,
        remote_id: String,
        target: String,
        key: String,
        sender: String,
        outbound: bool,
        at: Timestamp,
    },
    /// An urgent rule matched a customer's new message in this conversation (the
    /// office's reply or setting it to done settles it: `domain::triage`).
    MarkUrgent {
        account: AccountId,
        remote_id: String,
        /// When the customer's urgent message was sent: an answer after it (from the
        /// office's phone, in the same batch) has settled it already.
        at: Timestamp,
    },
    /// A conversation's encryption/verification state changed (a conversation the
    /// store does not have is left alone: there is nothing to secure yet).
    SetSecurity {
        account: AccountId,
        remote_id: String,
        security: Security,
    },
    /// An account's connection health changed (kept for `account list` and restarts).
    SetHealth {
        account: AccountId,
        health: Health,
        at: Timestamp,
    },
    /// The bytes of a message's attachment `index` are now in the attachment store.
    SetAttachmentBlob {
        message: MessageRef,
        index: usize,
        blob: BlobId,
    },
    /// A contact's name corrected (R-C12): every conversation with the contact shows
    /// the new name, the version is kept, and the conversation's timeline gets a note.
    /// The same correction again changes nothing.
    CorrectContact(crate::domain::correction::ContactCorrection),
    /// A compliance fact (consent, first-contact notice, footer sent); append-only.
    Ledger(crate::compliance::LedgerEntry),
    /// Who handles a conversation from now on (`None`: nobody). Only the current state
    /// is kept.
    Assign {
        conversation: ConversationId,
        staff: Option<String>,
    },
    /// The peer known as `from` is `to` (a Signal number and the account's stable
    /// id): its direct conversation, contact, ledger entries and the message ids it
    /// authored (`from/…`) move to `to`; where both exist they become one.
    RenamePeer {
        account: AccountId,
        from: String,
        to: String,
    },
}

impl From<crate::domain::LocalChange> for Op {
    fn from(change: crate::domain::LocalChange) -> Op {
        use crate::domain::LocalChange as L;
        match change {
            L::AddNote {
                conversation,
                author,
                body,
                at,
            } => Op::AddNote {
                conversation,
                author,
                body,
                at,
            },
            L::SetState {
                conversation,
                state,
            } => Op::SetState {
                conversation,
                state,
            },
            L::SetLabels {
                conversation,
                labels,
                ..
            } => Op::SetLabels {
                conversation,
                labels,
            },
            L::MarkUnread { conversation } => Op::MarkUnread { conversation },
            L::SetDraft { conversation, body } => Op::SetDraft { conversation, body },
            L::Assign {
                conversation,
                staff,
            } => Op::Assign {
                conversation,
                staff,
            },
        }
    }
}

/// A message as a record names it: by the inbox's own id, or by the network's id (the
/// store resolves that inside the batch, so a message and its file may come together).
#[derive(Debug, Clone, PartialEq)]
pub enum MessageRef {
    Local(MessageId),
    Remote {
        account: AccountId,
        remote_id: String,
    },
}

impl From<MessageId> for MessageRef {
    fn from(id: MessageId) -> Self {
        MessageRef::Local(id)
    }
}

/// What tresen keeps about a message it sends, beyond its text, until the network
/// has taken it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SendMeta {
    /// The send's idempotency key (a Matrix transaction id): a retry with it gives no
    /// second copy, and the network's echo of an earlier attempt is recognised.
    pub txn: Option<String>,
    /// The footer version the message carries; the footer policy counts it once sent.
    pub footer: Option<String>,
    /// The message is the first-contact notice: recorded for the contact once sent.
    pub notice: Option<Box<crate::compliance::FirstContact>>,
    /// The message this one answers, quoted.
    pub quote: Option<MessageId>,
}

/// An outgoing message the network has not confirmed, as the engine needs it to deal
/// with it at start.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsent {
    pub message: Message,
    pub account: AccountId,
    pub conversation_remote_id: String,
    pub meta: SendMeta,
    /// It was handed to a connector before: the network may have it.
    pub attempted: bool,
}

/// What a batch changed, so the engine can send precise notifications.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Applied {
    pub conversations: BTreeSet<ConversationId>,
    /// Local ids of messages queued by `QueueOutgoing`, in op order.
    pub queued: Vec<MessageId>,
    /// Messages actually inserted (replays of known remote ids are not counted).
    pub inserted: usize,
    /// Messages removed by [`Op::Purge`].
    pub purged: usize,
    /// Attachment files no message refers to any more after a purge.
    pub purged_blobs: Vec<BlobId>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub conversations: u64,
    pub messages: u64,
}

/// Read access, shared by the UI, the CLI and the engine.
pub trait StoreRead {
    /// Every conversation, most recent activity first.
    fn conversations(&self) -> Result<Vec<Conversation>>;
    fn conversation(&self, id: ConversationId) -> Result<Option<Conversation>>;
    /// Resolve what a user typed on the command line: a local id, a remote id or an
    /// exact (case-insensitive) title.
    fn find_conversation(&self, key: &str) -> Result<Option<Conversation>>;
    /// What staff typed, where a phone number may also be in national form or written
    /// with separators (0157 314 15 92): taken with the calling code `country`.
    fn find_typed(&self, key: &str, country: &str) -> Result<Option<Conversation>> {
        if let Some(c) = self.find_conversation(key)? {
            return Ok(Some(c));
        }
        match crate::domain::phone::international(key, country) {
            Some(number) if number != key => self.find_conversation(&number),
            _ => Ok(None),
        }
    }
    /// Up to `limit` messages in chronological order, ending just before `before`
    /// (or at the newest message).
    fn messages(
        &self,
        conversation: ConversationId,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<Vec<Message>>;
    fn message(&self, id: MessageId) -> Result<Option<Message>>;
    /// The remote id of the oldest message of a conversation that has one (where
    /// loading older history from the network continues).
    fn oldest_remote_id(&self, conversation: ConversationId) -> Result<Option<String>>;
    /// The conversation with this remote id on this account.
    fn conversation_by_remote(
        &self,
        account: &AccountId,
        remote_id: &str,
    ) -> Result<Option<ConversationId>>;
    /// Which of `remote_ids` the store has for `account`, each with whether it is only
    /// an undecryptable placeholder (one query per chunk, for the archive's dedupe).
    fn known_remote_ids(
        &self,
        account: &AccountId,
        remote_ids: &[&str],
    ) -> Result<std::collections::HashMap<String, bool>> {
        let mut out = std::collections::HashMap::new();
        for id in remote_ids {
            if let Some((m, _)) = self.message_by_remote(account, id)? {
                let placeholder = self
                    .message(m)?
                    .is_some_and(|x| x.kind == crate::domain::MessageKind::System);
                out.insert(id.to_string(), placeholder);
            }
        }
        Ok(out)
    }
    /// The message with this remote id, and the remote id of its conversation.
    fn message_by_remote(
        &self,
        account: &AccountId,
        remote_id: &str,
    ) -> Result<Option<(MessageId, String)>>;
    /// Full-text search over message bodies, notes and contact names; newest first.
    fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>>;
    fn stats(&self) -> Result<Stats>;
    /// Messages of `account` that arrived undecryptable, newest first, as
    /// (conversation remote id, message remote id): the connector tries them again.
    fn undecryptable(&self, account: &AccountId, limit: usize) -> Result<Vec<(String, String)>>;
    /// The last health stored with [`Op::SetHealth`] and since when.
    fn account_health(&self, account: &AccountId) -> Result<Option<(Health, Timestamp)>>;
    /// The last position stored with [`Op::SetSyncPosition`].
    fn sync_position(&self, account: &AccountId) -> Result<Option<String>>;
    /// Ledger entries about `(channel, address)` in the order they were recorded; for a
    /// conversation's footers ask with `Channel::Other` and [`crate::compliance::footer_key`].
    fn ledger(&self, channel: Channel, address: &str) -> Result<Vec<LedgerEntry>>;
    /// The newest `limit` chat messages of a conversation sent in `from..=to`, oldest
    /// first (an auditor's view of an audit period).
    fn messages_between(
        &self,
        conversation: ConversationId,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> Result<Vec<Message>>;
    /// The corrections of a contact's data, oldest first (R-C12).
    fn contact_versions(
        &self,
        account: &AccountId,
        identity: &str,
    ) -> Result<Vec<crate::domain::correction::ContactCorrection>>;
    /// The conversation `key` finds (as `find_conversation`) with its contact's
    /// corrections (none for a group chat).
    #[allow(clippy::type_complexity)]
    fn contact_history(
        &self,
        key: &str,
    ) -> Result<
        Option<(
            Conversation,
            Vec<crate::domain::correction::ContactCorrection>,
        )>,
    > {
        let Some(conv) = self.find_conversation(key)? else {
            return Ok(None);
        };
        let versions = match &conv.contact {
            Some(c) => self.contact_versions(&conv.account, &c.identity)?,
            None => Vec::new(),
        };
        Ok(Some((conv, versions)))
    }
    /// The whole ledger, oldest first (compliance check, DSAR).
    fn ledger_all(&self) -> Result<Vec<LedgerEntry>>;
    /// Outgoing messages still pending (never confirmed by the network), oldest first.
    fn unsent(&self) -> Result<Vec<Unsent>>;
    /// Delivery states of the first-contact notices queued in a conversation, oldest
    /// first.
    fn notice_deliveries(&self, conversation: ConversationId) -> Result<Vec<Delivery>>;
    /// What tresen keeps about a message it sends (`None` for other messages).
    fn send_meta(&self, message: MessageId) -> Result<Option<SendMeta>>;
    /// Scheduled messages staff should see (waiting, missed, refused), soonest first:
    /// of one conversation, or all.
    fn scheduled(
        &self,
        conversation: Option<ConversationId>,
    ) -> Result<Vec<crate::domain::scheduled::Scheduled>>;
    /// Waiting scheduled messages due at `now`, oldest first.
    fn scheduled_due(&self, now: Timestamp) -> Result<Vec<crate::domain::scheduled::Scheduled>>;
    /// One scheduled message by id, whatever became of it.
    fn scheduled_one(&self, id: &str) -> Result<Option<crate::domain::scheduled::Scheduled>>;
    /// Whether anything of `account` is keyed by peer `id`: its conversation, a
    /// contact, or a message it authored (`id/…`).
    fn knows_peer(&self, account: &AccountId, id: &str) -> Result<bool>;
    /// The newest outgoing message the network took (sent, delivered or read) and the
    /// newest inbound chat message of a conversation (notes, system lines and messages
    /// that never left do not count).
    fn last_exchange(
        &self,
        conversation: ConversationId,
    ) -> Result<(Option<Timestamp>, Option<Timestamp>)>;
}

pub trait Store: StoreRead + Send {
    /// Apply a batch atomically: all ops or none.
    fn apply(&mut self, ops: &[Op]) -> Result<Applied>;
}

/// The engine's store, readable from other tasks. Writers other than the engine must not
/// exist; the lock only serialises readers against the single writer.
#[derive(Clone)]
pub struct SharedStore {
    writer: Arc<Mutex<Box<dyn Store>>>,
    /// A separate connection for readers (the UI, the CLI), so a long write never makes
    /// them wait. Absent for stores that cannot have one (in-memory).
    reader: Option<Arc<Mutex<Box<dyn StoreRead + Send>>>>,
    /// The attachment files. Content-addressed and append-only, so readers may open
    /// files while the engine adds new ones.
    blobs: Option<Arc<BlobStore>>,
}

impl SharedStore {
    pub fn new(store: Box<dyn Store>) -> Self {
        Self {
            writer: Arc::new(Mutex::new(store)),
            reader: None,
            blobs: None,
        }
    }

    /// With a dedicated read connection (see [`SqliteStore::reader`]).
    pub fn with_reader(store: Box<dyn Store>, reader: Box<dyn StoreRead + Send>) -> Self {
        Self {
            writer: Arc::new(Mutex::new(store)),
            reader: Some(Arc::new(Mutex::new(reader))),
            blobs: None,
        }
    }

    pub fn with_blobs(mut self, blobs: BlobStore) -> Self {
        self.blobs = Some(Arc::new(blobs));
        self
    }

    /// The attachment store; absent for in-memory stores without one.
    pub fn blobs(&self) -> Option<&BlobStore> {
        self.blobs.as_deref()
    }

    /// Lock for a batch write (the engine) or a read that must see the engine's own
    /// writes at once. A panic while holding the lock is a bug; the store itself is
    /// transactional, so recovering the guard is safe.
    pub fn lock(&self) -> MutexGuard<'_, Box<dyn Store>> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs a read on the reader connection if there is one, else on the writer.
    pub fn read<R>(&self, f: impl FnOnce(&dyn StoreRead) -> R) -> R {
        match &self.reader {
            Some(r) => {
                let guard = r.lock().unwrap_or_else(|p| p.into_inner());
                f(guard.as_ref())
            }
            None => {
                let guard = self.lock();
                f(guard.as_ref())
            }
        }
    }
}

/// A message written by the office itself (outgoing or note), before it has an id.
pub(crate) struct LocalMessage<'a> {
    pub conversation: ConversationId,
    pub kind: crate::domain::MessageKind,
    pub sender: &'a str,
    pub body: &'a str,
    pub attachments: &'a [Attachment],
    pub at: Timestamp,
    pub delivery: Delivery,
    /// Leaves the conversation's preview and activity alone (notes; tresen's own
    /// notices, so the customer's words stay what the inbox shows).
    pub quiet: bool,
    pub meta: Option<&'a SendMeta>,
}
