//! The boundary to messenger networks, in tresen's own types.
//!
//! A connector is a task: it reports what happens on the network as [`ConnectorEvent`]s
//! and carries out [`ConnectorCommand`]s. No SDK or protocol type crosses this line, so a
//! Matrix (matrix-sdk), Signal (signal-cli JSON-RPC) or future presage connector plug in
//! the same way. Connectors never touch the store or the UI: the engine does.

mod absent;
mod fake;
#[cfg(feature = "matrix")]
pub mod matrix;
pub mod setup;
pub mod signal;

pub use absent::Absent;
pub use fake::{FakeConnector, FakeHandle, ScriptStep};

use std::sync::Arc;

use futures::future::BoxFuture;
use tokio::sync::mpsc;

use crate::domain::{
    AccountId, AccountNetwork, Attachment, ConversationUpsert, Delivery, Health, IncomingMessage,
    LinkState, MessageId, Security, Timestamp,
};

#[derive(Debug, Clone, PartialEq)]
pub enum ConnectorEvent {
    Health(Health),
    Conversation(ConversationUpsert),
    Message(IncomingMessage),
    /// Answer to [`ConnectorCommand::Send`]: the network's id for the message, or why not.
    SendResult {
        message: MessageId,
        outcome: Result<String, String>,
    },
    Receipt {
        remote_id: String,
        delivery: Delivery,
    },
    Edited {
        remote_id: String,
        body: String,
        at: Timestamp,
    },
    /// `remote_id` was deleted: a message (the original is kept) or a reaction (removed).
    Deleted {
        remote_id: String,
        at: Timestamp,
    },
    /// An emoji reaction on message `target`. `remote_id` identifies the reaction itself.
    Reaction {
        remote_id: String,
        target: String,
        key: String,
        sender: String,
        outbound: bool,
        at: Timestamp,
    },
    /// A [`ConnectorCommand::Backfill`] is done: every older message it found was
    /// reported before this (none if the history has no more).
    Backfilled {
        conversation_remote_id: String,
    },
    /// The other side's identity changed state (a Signal safety number verified, or
    /// changed): only the conversation's security is updated, nothing else about it.
    Security {
        conversation_remote_id: String,
        security: Security,
    },
    /// Who is typing in a conversation right now (empty: nobody). Never stored.
    Typing {
        conversation_remote_id: String,
        names: Vec<String>,
    },
    /// The initial sync is complete; `tresen sync --once` stops after every connector
    /// has said this (and what it sent has gone out). Messages before it are the
    /// catch-up of this run, messages after it arrived live.
    CaughtUp,
    /// Whether this conversation is a direct chat or a group is not settled yet (a
    /// Matrix room whose `m.direct` has not arrived): decisions that depend on it
    /// (first-contact notice, consent keywords) wait for the next
    /// [`ConnectorEvent::Checkpoint`] after the one that follows this.
    KindPending {
        conversation_remote_id: String,
    },
    /// The peer known as `from` is `to` from now on (a Signal number and the stable
    /// account id behind it): what is stored under the old id moves to the new one.
    Renamed {
        from: String,
        to: String,
    },
    /// Everything reported before this is covered by `position`; the engine stores the
    /// position in the same transaction as those events and hands it back as
    /// [`ConnectorIo::resume`] after a restart.
    Checkpoint(String),
    /// Someone invited the account into a chat. Never joined automatically: the office
    /// decides ([`ConnectorCommand::Join`]). Nothing about it is stored.
    Invite(Invite),
    /// The account is not set up at the network, or linking it progressed. Kept in
    /// the engine's memory for the UI, never stored.
    Link(LinkState),
    /// Answer to [`ConnectorCommand::Fetch`]: the attachment's bytes (decrypted), or why not.
    Fetched {
        message: MessageId,
        index: usize,
        outcome: Result<Arc<Vec<u8>>, String>,
    },
}

pub use crate::domain::Invite;

/// An outbound message as the connector must deliver it. Footer and consent checks (the
/// compliance layer) happen in the engine before this is built; connectors send `body`
/// verbatim.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingMessage {
    pub message: MessageId,
    pub conversation_remote_id: String,
    pub body: String,
    pub files: Vec<OutgoingFile>,
    /// The message this answers (its remote id), shown as a quote by the network.
    pub reply_to: Option<String>,
    /// The send's idempotency key, stored with the pending message before the first
    /// attempt. A network that has such keys (Matrix: the transaction id) gets the
    /// same one on every retry, so a retry never produces a second copy.
    pub txn: Option<String>,
}

/// A file to send: what the message shows and the bytes themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingFile {
    pub attachment: Attachment,
    pub bytes: Arc<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConnectorCommand {
    Send(OutgoingMessage),
    /// The user has seen the conversation up to now.
    MarkRead {
        conversation_remote_id: String,
    },
    /// Accept an invite as a business conversation.
    Join {
        remote_id: String,
    },
    /// Link the account as a secondary device of the office's phone (answered with
    /// [`ConnectorEvent::Link`]); for networks that have no such thing, nothing happens.
    Link {
        device_name: String,
    },
    /// Fetch older history of a conversation from the network: the page before
    /// `oldest` (the oldest message tresen has, by remote id), or the newest page.
    /// Answered with messages, then [`ConnectorEvent::Backfilled`].
    Backfill {
        conversation_remote_id: String,
        oldest: Option<String>,
    },
    /// React with `key` (an emoji) to message `target` (a remote id).
    React {
        conversation_remote_id: String,
        target: String,
        key: String,
    },
    /// The office is (or stopped) writing a reply in this conversation.
    Typing {
        conversation_remote_id: String,
        typing: bool,
    },
    /// Download attachment `index` of a stored message; `source` is the
    /// [`Attachment::source`] this connector reported. Answered with
    /// [`ConnectorEvent::Fetched`].
    Fetch {
        message: MessageId,
        index: usize,
        source: String,
    },
    /// A question about the account's own setup, answered on `reply`
    /// ([`setup::Reply`]); a connector without an answer drops it, which the asker reads
    /// as "not answered".
    Setup {
        ask: setup::SetupAsk,
        reply: setup::Reply,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error("{account}: {message}")]
    Failed { account: AccountId, message: String },
}

/// Bytes of events that may wait for the engine, from all connectors together. A
/// connector that gets ahead (a burst, a backfill) waits once this much is queued, so
/// memory is bounded by bytes, not by a count of events that may each be large
/// (issue 20: a queue of 131,072 events let a 100,000-message burst take 339 MB).
pub const QUEUED_BYTES: usize = 4 << 20;

impl ConnectorEvent {
    /// About what the event holds in memory, as the queue to the engine counts it
    /// (never more than [`QUEUED_BYTES`], so one large file still passes).
    pub fn weight(&self) -> u32 {
        // The enum itself, the account tag, a few short strings and their allocations.
        const BASE: usize = 256;
        let own = match self {
            ConnectorEvent::Message(m) => {
                m.body.len()
                    + m.raw.as_ref().map_or(0, String::len)
                    + m.remote_id.len()
                    + m.conversation_remote_id.len()
                    + m.sender.len()
                    + m.attachments.len() * BASE
            }
            ConnectorEvent::Conversation(c) => c.title.len() + c.remote_id.len() + BASE,
            ConnectorEvent::Edited { body, .. } => body.len(),
            ConnectorEvent::Fetched {
                outcome: Ok(bytes), ..
            } => bytes.len(),
            _ => 0,
        };
        (BASE + own).min(QUEUED_BYTES) as u32
    }
}

/// Where a connector reports to; tags every event with the account.
#[derive(Clone)]
pub struct EventSink {
    account: AccountId,
    tx: mpsc::Sender<(AccountId, ConnectorEvent)>,
    /// Permits for [`QUEUED_BYTES`]: taken here, given back by the engine as it takes
    /// each event off the queue.
    budget: Arc<tokio::sync::Semaphore>,
}

impl EventSink {
    pub fn new(
        account: AccountId,
        tx: mpsc::Sender<(AccountId, ConnectorEvent)>,
        budget: Arc<tokio::sync::Semaphore>,
    ) -> Self {
        Self {
            account,
            tx,
            budget,
        }
    }

    pub fn account(&self) -> &AccountId {
        &self.account
    }

    /// Waits while the engine is busy (backpressure, in bytes queued). Returns false
    /// once the engine is gone, which tells the connector to stop.
    pub async fn emit(&self, event: ConnectorEvent) -> bool {
        match self.budget.acquire_many(event.weight()).await {
            // The engine gives the bytes back when it takes the event.
            Ok(permit) => permit.forget(),
            Err(_) => return false,
        }
        self.tx.send((self.account.clone(), event)).await.is_ok()
    }
}

/// What a running connector gets from the engine.
pub struct ConnectorIo {
    pub events: EventSink,
    /// Closed by the engine on shutdown; a connector returns when `recv` yields `None`.
    pub commands: mpsc::Receiver<ConnectorCommand>,
    /// The last [`ConnectorEvent::Checkpoint`] the store holds for this account.
    pub resume: Option<String>,
    /// Stored messages that arrived undecryptable, as (conversation, message) remote
    /// ids, newest first. A connector that can decrypt them now reports them again as
    /// [`ConnectorEvent::Message`]; the store replaces the placeholders.
    pub undecryptable: Vec<(String, String)>,
    /// Messages a previous run handed over without learning the outcome, with their
    /// idempotency keys: the network's copy of one of them is that message (answer
    /// with [`ConnectorEvent::SendResult`]), not a new one. Those still pending are
    /// sent again as ordinary [`ConnectorCommand::Send`]s.
    pub outstanding: Vec<(MessageId, String)>,
}

pub trait Connector: Send + 'static {
    fn account(&self) -> &AccountId;
    fn network(&self) -> AccountNetwork;
    /// Whether sending a message twice with the same [`OutgoingMessage::txn`] delivers
    /// it once (Matrix). Where it does not (Signal), a message that may have left
    /// before a crash is not sent again without staff confirming it.
    fn idempotent_sends(&self) -> bool {
        false
    }
    /// Runs until the command channel closes. Reconnecting after network trouble is the
    /// connector's job; returning an error means it gave up.
    fn run(self: Box<Self>, io: ConnectorIo) -> BoxFuture<'static, Result<(), ConnectorError>>;
}

/// Sends to one conversation go out in the order the engine gave them (a long text cut
/// into parts with the footer in the last, a text after its files), while conversations
/// do not wait for each other. Connectors run each command in its own task; without
/// this, two parts could overtake each other on the way to the server.
#[derive(Clone, Default)]
pub struct SendLanes {
    lanes: Arc<std::sync::Mutex<std::collections::HashMap<String, Lane>>>,
}

type Lane = mpsc::UnboundedSender<BoxFuture<'static, ()>>;

impl SendLanes {
    /// Runs `job` after every job queued before it for `conversation`.
    pub fn run(&self, conversation: &str, job: impl Future<Output = ()> + Send + 'static) {
        let mut job: BoxFuture<'static, ()> = Box::pin(job);
        let Ok(mut lanes) = self.lanes.lock() else {
            tokio::spawn(job);
            return;
        };
        if let Some(lane) = lanes.get(conversation) {
            match lane.send(job) {
                Ok(()) => return,
                // The lane's task ended (runtime shutting down): start a new one.
                Err(e) => job = e.0,
            }
        }
        let (tx, mut rx) = mpsc::unbounded_channel::<BoxFuture<'static, ()>>();
        let _ = tx.send(job);
        lanes.insert(conversation.to_string(), tx);
        let all = Arc::clone(&self.lanes);
        let key = conversation.to_string();
        tokio::spawn(async move {
            loop {
                while let Ok(job) = rx.try_recv() {
                    job.await;
                }
                // Idle: the lane closes, or a daemon would keep a task for every
                // conversation it ever sent to (the soak bench counted 2,000 after 2,000
                // first-contact notices). Checked under the lock senders hold, so a
                // job queued meanwhile is run, not lost.
                let next = {
                    let Ok(mut lanes) = all.lock() else { return };
                    match rx.try_recv() {
                        Ok(job) => job,
                        Err(_) => {
                            lanes.remove(&key);
                            return;
                        }
                    }
                };
                next.await;
            }
        });
    }

    /// Conversations with sends queued or running.
    pub fn busy(&self) -> usize {
        self.lanes.lock().map_or(0, |l| l.len())
    }
}

/// Which rooms of a Matrix account count as business. Rooms that are not selected are
/// never written to the store, not even their names (R-D6).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomSelection {
    /// Bridged networks whose chats are included: `whatsapp`, `telegram`, `signal`, … or
    /// `all`.
    #[serde(default = "all_networks")]
    pub networks: Vec<String>,
    /// Plain (not bridged) Matrix direct chats. Off: they are usually private.
    #[serde(default)]
    pub direct: bool,
    /// Rooms included anyway: room IDs (`!…`), aliases (`#…`) or spaces (their rooms).
    #[serde(default)]
    pub include: Vec<String>,
    /// Rooms never included, whatever else matches; wins over `include`.
    #[serde(default)]
    pub exclude: Vec<String>,
}

fn all_networks() -> Vec<String> {
    vec!["all".into()]
}

impl Default for RoomSelection {
    fn default() -> Self {
        Self {
            networks: all_networks(),
            direct: false,
            include: Vec::new(),
            exclude: Vec::new(),
        }
    }
}

impl RoomSelection {
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Direction, IncomingMessage, MessageKind, Timestamp};
    use futures::FutureExt;

    fn message(body_bytes: usize) -> ConnectorEvent {
        ConnectorEvent::Message(IncomingMessage {
            account: AccountId("a".into()),
            conversation_remote_id: "c".into(),
            remote_id: "m".into(),
            kind: MessageKind::Chat,
            direction: Direction::Inbound,
            sender: String::new(),
            body: "x".repeat(body_bytes),
            attachments: Vec::new(),
            sent_at: Timestamp(0),
            received_at: Timestamp(0),
            raw: None,
            history: false,
        })
    }

    /// Issue 20 (soak): a lane ends once its sends are done, and order within a
    /// conversation still holds for what is queued while it runs.
    #[tokio::test]
    async fn send_lanes_close_when_idle_and_keep_order() {
        let lanes = SendLanes::default();
        let (tx, mut rx) = mpsc::unbounded_channel();
        for conversation in 0..100 {
            for part in 0..3 {
                let tx = tx.clone();
                lanes.run(&format!("c{conversation}"), async move {
                    tokio::task::yield_now().await;
                    let _ = tx.send((conversation, part));
                });
            }
        }
        let mut seen = std::collections::HashMap::new();
        for _ in 0..300 {
            let (conversation, part) = rx.recv().await.expect("every send runs");
            let last = seen.insert(conversation, part);
            assert_eq!(last.map_or(0, |p| p + 1), part, "parts in order");
        }
        for _ in 0..100 {
            if lanes.busy() == 0 {
                break;
            }
            tokio::task::yield_now().await;
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert_eq!(lanes.busy(), 0, "idle lanes are closed");
        // A conversation sent to again gets a lane again.
        let tx2 = tx.clone();
        lanes.run("c0", async move {
            let _ = tx2.send((0, 3));
        });
        assert_eq!(rx.recv().await, Some((0, 3)));
    }

    /// Issue 20: a connector that gets ahead waits once QUEUED_BYTES of events are
    /// queued, however few they are, and goes on as the engine takes them.
    #[test]
    fn the_queue_to_the_engine_is_bounded_in_bytes_not_events() {
        let (tx, mut rx) = mpsc::channel(1_000);
        let budget = Arc::new(tokio::sync::Semaphore::new(QUEUED_BYTES));
        let sink = EventSink::new(AccountId("a".into()), tx, Arc::clone(&budget));
        let big = QUEUED_BYTES / 4;
        for _ in 0..3 {
            assert_eq!(sink.emit(message(big)).now_or_never(), Some(true));
        }
        // A fourth of the budget is left minus the events' overhead: a fourth large
        // event waits although the channel has room for 997 more.
        assert_eq!(sink.emit(message(big)).now_or_never(), None);
        // Small events still pass while the budget allows.
        assert_eq!(sink.emit(message(10)).now_or_never(), Some(true));
        // The engine takes one off the queue and gives its bytes back.
        let (_, taken) = rx.try_recv().expect("queued");
        budget.add_permits(taken.weight() as usize);
        assert_eq!(sink.emit(message(big)).now_or_never(), Some(true));
        // One event larger than the whole budget still passes on an empty queue.
        while let Ok((_, e)) = rx.try_recv() {
            budget.add_permits(e.weight() as usize);
        }
        let huge = message(QUEUED_BYTES * 2);
        assert_eq!(huge.weight() as usize, QUEUED_BYTES);
        assert_eq!(sink.emit(huge).now_or_never(), Some(true));
    }
}
