//! The engine: single owner of the store and the connectors, shared by TUI and daemon.
//!
//! Inbound: connector events are batched into one store transaction, then small
//! [`Notification`] tags go out on a broadcast bus; readers pull what changed from the
//! store ("notify, then pull"). Outbound: an [`EngineCommand::Send`] is stored as pending
//! first, then handed to the connector; its result updates the stored message.

mod capture;
mod lock;
mod rules;

pub use capture::attachment as attachment_entry;
pub use lock::{LockError, ProfileLock};
pub use rules::{AUTOMATIC, SendOptions, consents_of, record_consent};

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::archive::{Archive, ArchiveError, Entry, Payload, Scope};
use crate::connector::OutgoingFile;
use crate::connector::{
    Connector, ConnectorCommand, ConnectorEvent, ConnectorIo, EventSink, Invite, OutgoingMessage,
};
use crate::domain::{
    AccountId, Attachment, BlobId, ConversationId, Health, LinkState, MessageId, Timestamp,
};
use crate::store::{Applied, BlobError, Op, SharedStore, StoreError};

/// Largest number of connector events written in one transaction. Bigger batches rewrite
/// (and re-encrypt) each index page less often; on a 1M-message store, ingest spread over
/// all conversations went 16k → 25k → 33k msg/s from 4k to 16k to 64k. Batches only grow
/// this large during a bulk sync. Readers do not wait for them (the UI has its own read
/// connection); engine commands such as a send wait for the running batch (~2 s at most).
pub const MAX_BATCH: usize = 65_536;

/// Undecryptable messages a connector is asked to try again at start (newest first).
const MAX_RETRY_DECRYPT: usize = 2_000;

/// Commands waiting for one connector.
const CONNECTOR_QUEUE: usize = 65_536;

/// How long a burst of events may be collected before it is written.
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(20);

/// A burst has ended when no event followed for this long: a lone message (announced
/// with its conversation, two events) is then written at once instead of after the
/// whole window (Signal bench: p50 23 → 5 ms).
const BURST_GAP: std::time::Duration = std::time::Duration::from_millis(2);

/// How often a batch the archive refused (disk full, …) is tried again.
const ARCHIVE_RETRY: std::time::Duration = std::time::Duration::from_secs(2);

/// A hint that something changed; never a payload. Receivers re-read the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notification {
    /// The conversation list (order, previews, counts) changed.
    Inbox,
    Conversation(ConversationId),
    /// A message's delivery state or content changed.
    Message(MessageId),
    /// An account's connection health changed.
    Health,
    /// Every connector finished its initial sync.
    CaughtUp,
    /// Who is typing changed (read it with [`EngineHandle::typing`]).
    Typing,
    /// Older history requested with [`EngineCommand::Backfill`] is stored (possibly
    /// none: the beginning was reached).
    Backfilled(ConversationId),
}

#[derive(Debug)]
pub enum EngineCommand {
    /// Send a message. Answered with the local id once it is stored as pending.
    Send {
        conversation: ConversationId,
        body: String,
        /// Files to send. A network message carries one file: with several, each becomes
        /// its own message (the first one with `body` as caption).
        files: Vec<NewFile>,
        sender: String,
        /// Answer to this message (quoted by networks that can).
        reply_to: Option<MessageId>,
        options: SendOptions,
        reply: Option<oneshot::Sender<Result<MessageId, EngineError>>>,
    },
    /// Load older history of a conversation from its network (the store has no more).
    Backfill {
        conversation: ConversationId,
    },
    /// React to a stored message with an emoji.
    React {
        message: MessageId,
        key: String,
    },
    /// The office is (or stopped) typing a reply; forwarded if the network shows it.
    Typing {
        conversation: ConversationId,
        typing: bool,
    },
    /// Make attachment `index` of a message available in the attachment store,
    /// downloading it through its connector if it is not there yet.
    Fetch {
        message: MessageId,
        index: usize,
        reply: Option<oneshot::Sender<Result<BlobId, EngineError>>>,
    },
    /// Triage and other local-only changes (notes, state, labels, read markers).
    Local(Op),
    /// The user opened a conversation: clear unread here and tell the network.
    Viewed(ConversationId),
    /// Accept an invite as a business conversation.
    AcceptInvite {
        account: AccountId,
        remote_id: String,
    },
    /// Link an account that is not set up as a device of the office's phone
    /// (progress in [`EngineHandle::links`]).
    Link {
        account: AccountId,
    },
    Shutdown,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the engine has stopped")]
    Stopped,
    #[error("refusing to send: {0}")]
    Refused(String),
    #[error("attachment: {0}")]
    Attachment(String),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error("archive: {0}")]
    Archive(#[from] ArchiveError),
    #[error(
        "the archive cannot be written ({0}); nothing new was stored or acknowledged, the next run fetches it again"
    )]
    NotArchived(String),
}

/// A file the office attaches to an outgoing message.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub name: String,
    pub mime: String,
    pub bytes: Arc<Vec<u8>>,
}

impl NewFile {
    /// Reads a file from disk; the MIME type comes from its extension.
    pub fn read(path: &std::path::Path) -> std::io::Result<Self> {
        let bytes = std::fs::read(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "datei".into());
        Ok(Self {
            mime: crate::domain::mime_for(&name).to_string(),
            name,
            bytes: Arc::new(bytes),
        })
    }
}

/// Cheap, cloneable access to a running engine.
#[derive(Clone)]
pub struct EngineHandle {
    commands: mpsc::Sender<EngineCommand>,
    bus: broadcast::Sender<Notification>,
    store: SharedStore,
    health: Arc<Mutex<BTreeMap<AccountId, Health>>>,
    invites: Invites,
    typing: Typing,
    links: Links,
    archive_problem: ArchiveProblem,
    rules: Rules,
    sends: Sends,
}

type Sends = Arc<Mutex<SendLog>>;

/// The compliance rules, shared with handles so the composer previews what the engine
/// will do.
type Rules = Arc<std::sync::RwLock<Arc<crate::compliance::Compliance>>>;

/// Why the archive cannot be written right now (disk full, …); `None` when it can.
type ArchiveProblem = Arc<Mutex<Option<String>>>;

/// Accounts that are not set up, and how linking them goes. Memory only.
type Links = Arc<Mutex<BTreeMap<AccountId, LinkState>>>;

type Typing = Arc<Mutex<BTreeMap<ConversationId, Vec<String>>>>;

/// Invites waiting for the office's decision, per account. Kept in memory only: an
/// invite is not business data until someone accepts it.
type Invites = Arc<Mutex<BTreeMap<AccountId, Vec<Invite>>>>;

impl EngineHandle {
    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Notification> {
        self.bus.subscribe()
    }

    pub async fn command(&self, cmd: EngineCommand) -> Result<(), EngineError> {
        self.commands
            .send(cmd)
            .await
            .map_err(|_| EngineError::Stopped)
    }

    /// For the synchronous UI loop: never blocks; a full queue is reported as an error.
    pub fn try_command(&self, cmd: EngineCommand) -> Result<(), EngineError> {
        self.commands
            .try_send(cmd)
            .map_err(|_| EngineError::Stopped)
    }

    pub async fn send(
        &self,
        conversation: ConversationId,
        body: String,
        sender: String,
    ) -> Result<MessageId, EngineError> {
        self.send_files(conversation, body, Vec::new(), sender)
            .await
    }

    /// Sends with document tags, a purpose or as a form (`tresen send --tag …`).
    pub async fn send_with(
        &self,
        conversation: ConversationId,
        body: String,
        files: Vec<NewFile>,
        sender: String,
        options: SendOptions,
    ) -> Result<MessageId, EngineError> {
        let (tx, rx) = oneshot::channel();
        self.command(EngineCommand::Send {
            conversation,
            body,
            files,
            sender,
            reply_to: None,
            options,
            reply: Some(tx),
        })
        .await?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// Sends a message with files; answers with the (first) message's local id once it
    /// is stored as pending.
    pub async fn send_files(
        &self,
        conversation: ConversationId,
        body: String,
        files: Vec<NewFile>,
        sender: String,
    ) -> Result<MessageId, EngineError> {
        self.send_with(conversation, body, files, sender, SendOptions::default())
            .await
    }

    /// Waits until attachment `index` of `message` is in the attachment store.
    pub async fn fetch(&self, message: MessageId, index: usize) -> Result<BlobId, EngineError> {
        let (tx, rx) = oneshot::channel();
        self.command(EngineCommand::Fetch {
            message,
            index,
            reply: Some(tx),
        })
        .await?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    pub fn invites(&self) -> BTreeMap<AccountId, Vec<Invite>> {
        self.invites.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Accounts not set up at their network, and how linking them goes.
    pub fn links(&self) -> BTreeMap<AccountId, LinkState> {
        self.links.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Who is typing where, as the networks last said. Kept in memory only.
    pub fn typing(&self) -> BTreeMap<ConversationId, Vec<String>> {
        self.typing.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Why the archive cannot be written right now. While it cannot, nothing new is
    /// stored, acknowledged or sent; the engine retries.
    pub fn archive_problem(&self) -> Option<String> {
        self.archive_problem.lock().ok().and_then(|p| p.clone())
    }

    pub fn health(&self) -> BTreeMap<AccountId, Health> {
        self.health.lock().map(|h| h.clone()).unwrap_or_default()
    }

    /// What this run handed to the networks, and what is still unanswered.
    pub fn sends(&self) -> SendLog {
        self.sends.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// For the composer: the contact's consent state, the footer the next message gets
    /// and why a send would be refused, decided as the engine will decide them.
    /// `store` is the caller's read access (readers must not take the store twice).
    pub fn outlook(
        &self,
        store: &dyn crate::store::StoreRead,
        conversation: ConversationId,
    ) -> Result<Option<crate::compliance::Outlook>, StoreError> {
        let rules = self
            .rules
            .read()
            .map(|r| Arc::clone(&r))
            .unwrap_or_else(|p| Arc::clone(&p.into_inner()));
        let Some(conv) = store.conversation(conversation)? else {
            return Ok(None);
        };
        rules::outlook(store, &rules, &conv, Timestamp::now()).map(Some)
    }

    pub async fn shutdown(&self) {
        let _ = self.commands.send(EngineCommand::Shutdown).await;
    }
}

#[derive(Debug, Clone, Copy)]
pub struct EngineOptions {
    /// Stop once every connector has caught up and what this run sent has gone out
    /// (`tresen sync --once`).
    pub exit_when_caught_up: bool,
    /// How long, after catching up, such a run waits for its sends to be answered.
    pub settle: std::time::Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            exit_when_caught_up: false,
            settle: std::time::Duration::from_secs(30),
        }
    }
}

/// A staff message older than this that never reached the network is not sent any
/// more after a restart: what it says may be out of date.
pub const RESEND_WITHIN: i64 = 60 * 60 * 1000;

/// How many handed-over messages [`SendLog::handed`] remembers.
const HANDED_KEPT: usize = 100_000;

/// How long a stopping engine waits for sends the network has not answered yet.
const STOP_DRAIN: std::time::Duration = std::time::Duration::from_secs(5);

/// What this run handed to the networks, for `sync --once` and `send` to report.
#[derive(Debug, Default, Clone)]
pub struct SendLog {
    /// Every message handed to a connector in this run, in order (the last 100,000
    /// or more in a long run).
    pub handed: Vec<MessageId>,
    /// Those whose answer has not come back.
    pub in_flight: std::collections::BTreeSet<MessageId>,
}

pub struct Engine {
    store: SharedStore,
    commands: mpsc::Receiver<EngineCommand>,
    events: mpsc::Receiver<(AccountId, ConnectorEvent)>,
    /// Kept so the event channel stays open with no connectors (an inbox without
    /// accounts is still usable for triage).
    _events_tx: mpsc::Sender<(AccountId, ConnectorEvent)>,
    bus: broadcast::Sender<Notification>,
    health: Arc<Mutex<BTreeMap<AccountId, Health>>>,
    invites: Invites,
    typing: Typing,
    links: Links,
    connectors: HashMap<AccountId, mpsc::Sender<ConnectorCommand>>,
    tasks: Vec<JoinHandle<()>>,
    pending_caught_up: usize,
    options: EngineOptions,
    /// Downloads in flight and who waits for them.
    fetching: HashMap<(MessageId, usize), Vec<FetchReply>>,
    archive: Option<Archive>,
    capture: capture::Capture,
    archive_problem: ArchiveProblem,
    /// A batch the archive could not take; retried before any new event is read, so a
    /// connector is never told more was kept than really was.
    stalled: Option<Vec<(AccountId, ConnectorEvent)>>,
    /// Who works here (label changes are archived with this name).
    staff: String,
    /// Footer, consent gate, first-contact notice (off unless set); the same `Arc` the
    /// handles read through `rules`.
    compliance: Arc<crate::compliance::Compliance>,
    rules: Rules,
    /// Why a `sync --once` engine stopped early.
    failed: Option<String>,
    sends: Sends,
    /// Accounts whose connector sends idempotently (a retry is never a second copy).
    idempotent: std::collections::HashSet<AccountId>,
    /// Checkpoints per account in this run (a connector's syncs).
    checkpoints: HashMap<AccountId, u64>,
    /// Conversations whose kind (direct or group) is not settled, with the inbound
    /// messages whose decisions wait for it.
    parked: HashMap<(AccountId, String), rules::Parked>,
    /// `sync --once`: every connector caught up; stop once sends are answered or
    /// this passed.
    settle_until: Option<tokio::time::Instant>,
}

type FetchReply = oneshot::Sender<Result<BlobId, EngineError>>;

impl Engine {
    /// Builds the engine and starts the connectors. Call [`Engine::run`] to process.
    pub fn start(
        store: SharedStore,
        connectors: Vec<Box<dyn Connector>>,
        options: EngineOptions,
    ) -> (Engine, EngineHandle) {
        let (cmd_tx, cmd_rx) = mpsc::channel(256);
        let (ev_tx, ev_rx) = mpsc::channel(131_072);
        let (bus, _) = broadcast::channel(1024);
        let health = Arc::new(Mutex::new(BTreeMap::new()));
        let invites: Invites = Arc::default();
        let typing: Typing = Arc::default();
        let links: Links = Arc::default();
        let archive_problem: ArchiveProblem = Arc::default();
        let sends: Sends = Arc::default();
        let compliance = Arc::new(crate::compliance::Compliance::off());
        let rules: Rules = Arc::new(std::sync::RwLock::new(Arc::clone(&compliance)));
        let mut routes = HashMap::new();
        let mut tasks = Vec::new();
        let count = connectors.len();
        let mut idempotent = std::collections::HashSet::new();
        // Sends a previous run handed over without learning the outcome.
        let unsent = store.read(|s| s.unsent()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot list unsent messages");
            Vec::new()
        });
        for c in connectors {
            let account = c.account().clone();
            if c.idempotent_sends() {
                idempotent.insert(account.clone());
            }
            // Room for every recovered send at start (a queue slot costs nothing until
            // used); a full queue would fail a send.
            let (tx, rx) = mpsc::channel(CONNECTOR_QUEUE);
            routes.insert(account.clone(), tx);
            if let Ok(mut h) = health.lock() {
                h.insert(account.clone(), Health::Connecting);
            }
            let resume = store.read(|s| s.sync_position(&account)).unwrap_or_else(|e| {
                tracing::error!(%account, error = %e, "cannot read the sync position; syncing from scratch");
                None
            });
            let undecryptable = store
                .read(|s| s.undecryptable(&account, MAX_RETRY_DECRYPT))
                .unwrap_or_else(|e| {
                    tracing::warn!(%account, error = %e, "cannot list undecryptable messages");
                    Vec::new()
                });
            let outstanding = unsent
                .iter()
                .filter(|u| u.account == account)
                .filter_map(|u| Some((u.message.id, u.meta.txn.clone()?)))
                .collect();
            let io = ConnectorIo {
                events: EventSink::new(account.clone(), ev_tx.clone()),
                commands: rx,
                resume,
                undecryptable,
                outstanding,
            };
            let sink = io.events.clone();
            tasks.push(tokio::spawn(async move {
                let result = c.run(io).await;
                let health = match result {
                    Ok(()) => Health::Offline("stopped".into()),
                    Err(e) => {
                        tracing::error!(%account, error = %e, "connector gave up");
                        Health::Offline(e.to_string())
                    }
                };
                // The connector is gone; it cannot report CaughtUp any more.
                sink.emit(ConnectorEvent::Health(health)).await;
                sink.emit(ConnectorEvent::CaughtUp).await;
            }));
        }
        let handle = EngineHandle {
            commands: cmd_tx,
            bus: bus.clone(),
            store: store.clone(),
            health: health.clone(),
            invites: invites.clone(),
            typing: typing.clone(),
            links: links.clone(),
            archive_problem: archive_problem.clone(),
            rules: rules.clone(),
            sends: sends.clone(),
        };
        let engine = Engine {
            store,
            commands: cmd_rx,
            events: ev_rx,
            _events_tx: ev_tx,
            bus,
            health,
            invites,
            typing,
            links,
            connectors: routes,
            tasks,
            pending_caught_up: count,
            options,
            fetching: HashMap::new(),
            archive: None,
            capture: capture::Capture::default(),
            archive_problem,
            stalled: None,
            staff: String::new(),
            compliance,
            rules,
            failed: None,
            sends,
            idempotent,
            checkpoints: HashMap::new(),
            parked: HashMap::new(),
            settle_until: None,
        };
        (engine, handle)
    }

    /// The compliance rules every send and every inbound message passes
    /// (docs/compliance.md). Call before [`Engine::with_archive`], which records the
    /// footer version in force.
    pub fn with_compliance(mut self, compliance: crate::compliance::Compliance) -> Self {
        let compliance = Arc::new(compliance);
        if let Ok(mut r) = self.rules.write() {
            *r = Arc::clone(&compliance);
        }
        self.compliance = compliance;
        self
    }

    /// Makes the engine archive everything before storing it (R-B1). First brings the
    /// store up to the archive (records a crash left unapplied), then records the
    /// configuration if it changed. Call before [`Engine::run`].
    pub fn with_archive(
        mut self,
        mut archive: Archive,
        config: Option<(String, String)>,
        staff: String,
    ) -> Result<Self, EngineError> {
        self.staff = staff;
        let applied = self
            .store
            .read(|s| crate::archive::replay::applied_seq(s))?;
        let head = archive.head().seq;
        if head > applied {
            tracing::info!(
                from = applied + 1,
                to = head,
                "archive records not yet in the store; replaying"
            );
            let mut replay = crate::archive::replay::Replay::default();
            let dir = archive.dir().to_path_buf();
            let shared = &self.store;
            let blobs = shared.blobs();
            let mut store = shared.lock();
            let mut result = Ok(());
            crate::archive::read::for_each(&dir, archive.keys(), applied + 1, |r| {
                if let Err(e) = replay.apply(&mut **store, blobs, r) {
                    result = Err(e);
                }
                Ok(())
            })?;
            result?;
            replay.flush(&mut **store)?;
        }
        if let Some((file, text)) = config {
            let sha = crate::archive::format::sha256_hex(text.as_bytes());
            let mark = archive.dir().join("config.sha256");
            if std::fs::read_to_string(&mark).ok().as_deref() != Some(sha.as_str()) {
                let appended = archive.append(vec![Entry {
                    scope: Scope::System,
                    payload: Payload::Config {
                        file,
                        sha256: sha.clone(),
                        text,
                    },
                }]);
                match appended {
                    Ok(_) => {
                        if let Err(e) = crate::archive::write_private_nosync(&mark, sha.as_bytes())
                        {
                            tracing::warn!(error = %e, "config mark not written; the next start archives the config again");
                        }
                    }
                    // Not fatal: without the mark the next start tries again, and the
                    // engine holds every event until the archive takes it.
                    Err(e) => {
                        tracing::error!(error = %e, "configuration not archived");
                        self.set_archive_problem(Some(e.to_string()));
                    }
                }
            }
        }
        self.archive = Some(archive);
        self.archive_footer_version();
        Ok(self)
    }

    /// Processes events and commands until shutdown. Returns after the connectors have
    /// been told to stop and their queued events have been written.
    pub async fn run(mut self) -> Result<(), EngineError> {
        self.recover_sends();
        if self.options.exit_when_caught_up && self.pending_caught_up == 0 {
            self.notify(Notification::CaughtUp);
            self.stop().await;
            return Ok(());
        }
        loop {
            let stalled = self.stalled.is_some();
            let settle = self.settle_until;
            tokio::select! {
                cmd = self.commands.recv() => match cmd {
                    None | Some(EngineCommand::Shutdown) => break,
                    Some(cmd) => self.handle_command(cmd),
                },
                () = tokio::time::sleep(ARCHIVE_RETRY), if stalled => {
                    if let Some(batch) = self.stalled.take() {
                        self.handle_events(batch);
                    }
                }
                first = self.events.recv(), if !stalled => {
                    let Some(first) = first else { break };
                    let batch = self.gather(first).await;
                    self.handle_events(batch);
                }
                () = async {
                    if let Some(t) = settle {
                        tokio::time::sleep_until(t).await;
                    }
                }, if settle.is_some() => {
                    tracing::warn!(unanswered = self.in_flight_count(), "stopping with sends the network has not answered");
                    break;
                }
            }
            if self.failed.is_some() || self.settled() {
                break;
            }
        }
        self.stop().await;
        match self.failed.take() {
            Some(e) => Err(EngineError::NotArchived(e)),
            None => Ok(()),
        }
    }

    /// `sync --once` is done: caught up, every send answered, no decision waiting.
    fn settled(&self) -> bool {
        self.settle_until.is_some() && self.in_flight_count() == 0 && self.parked.is_empty()
    }

    fn in_flight_count(&self) -> usize {
        self.sends.lock().map(|s| s.in_flight.len()).unwrap_or(0)
    }

    /// Group commit: every durable commit costs an fsync, so while events keep coming we
    /// collect them for a few milliseconds (or up to `MAX_BATCH`) and write them in one
    /// transaction. A lone event is written at once.
    async fn gather(
        &mut self,
        first: (AccountId, ConnectorEvent),
    ) -> Vec<(AccountId, ConnectorEvent)> {
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
        while batch.len() < MAX_BATCH {
            match self.events.try_recv() {
                Ok(ev) => batch.push(ev),
                Err(_) if batch.len() == 1 => break,
                Err(_) => match tokio::time::timeout_at(
                    deadline.min(tokio::time::Instant::now() + BURST_GAP),
                    self.events.recv(),
                )
                .await
                {
                    Ok(Some(ev)) => batch.push(ev),
                    Ok(None) | Err(_) => break,
                },
            }
        }
        batch
    }

    async fn stop(&mut self) {
        // Decisions still waiting for a conversation's kind are made with what is
        // known now: a notice due goes out before the connectors stop.
        self.release_parked(true);
        // Sends the network has not answered: wait a little, so the result is stored
        // and the next start need not ask (a `sync --once` that waited for them
        // already, and gave up, does not wait again).
        let drain = match self.settle_until {
            Some(t) if tokio::time::Instant::now() >= t => std::time::Duration::ZERO,
            _ => STOP_DRAIN,
        };
        let deadline = tokio::time::Instant::now() + drain;
        while self.in_flight_count() > 0 && self.stalled.is_none() {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(first)) => {
                    let batch = self.gather(first).await;
                    self.handle_events(batch);
                }
                _ => break,
            }
        }
        // Closing the command channels tells connectors to finish.
        self.connectors.clear();
        for t in self.tasks.drain(..) {
            match tokio::time::timeout(std::time::Duration::from_secs(5), t).await {
                Ok(_) => {}
                Err(_) => tracing::warn!("a connector did not stop within 5 s"),
            }
        }
        // Whatever the connectors reported before stopping is still written.
        let mut rest = Vec::new();
        while let Ok(ev) = self.events.try_recv() {
            rest.push(ev);
        }
        if !rest.is_empty() {
            self.handle_events(rest);
        }
    }

    fn notify(&self, n: Notification) {
        // No subscriber is fine: the daemon runs without a UI.
        let _ = self.bus.send(n);
    }

    fn publish(&self, applied: &Applied) {
        if applied.conversations.is_empty() {
            return;
        }
        self.notify(Notification::Inbox);
        // Past a handful, per-conversation tags cost more than a full reload.
        if applied.conversations.len() <= 32 {
            for c in &applied.conversations {
                self.notify(Notification::Conversation(*c));
            }
        }
    }

    /// Archives the batch (durably) before anything of it is stored. On failure the
    /// batch is kept for a retry and nothing is stored: sync positions do not advance,
    /// so a crash meanwhile re-delivers instead of losing.
    fn archive_batch(
        &mut self,
        batch: &[(AccountId, ConnectorEvent)],
    ) -> Result<Option<u64>, ArchiveError> {
        let Some(archive) = self.archive.as_mut() else {
            return Ok(None);
        };
        let capture = &mut self.capture;
        let entries = self.store.read(|s| capture.entries(batch, s));
        let multi = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        let result = if multi && entries.len() > 64 {
            tokio::task::block_in_place(|| archive.append(entries))
        } else {
            archive.append(entries)
        };
        match result {
            Ok(head) => Ok(Some(head.seq)),
            Err(e) => {
                // The capture believes these conversations are archived; they are not.
                // Forgetting that makes the retry archive them again.
                self.capture = capture::Capture::default();
                Err(e)
            }
        }
    }

    fn set_archive_problem(&self, problem: Option<String>) {
        let changed = match self.archive_problem.lock() {
            Ok(mut p) => {
                let changed = *p != problem;
                *p = problem;
                changed
            }
            Err(_) => false,
        };
        if changed {
            self.notify(Notification::Health);
        }
    }

    fn handle_events(&mut self, batch: Vec<(AccountId, ConnectorEvent)>) {
        #[cfg(debug_assertions)]
        if batch
            .iter()
            .any(|(_, e)| matches!(e, ConnectorEvent::SendResult { outcome: Ok(_), .. }))
        {
            // The network took a message; tresen dies before it knows (tests).
            crate::fault::point("before-send-result");
        }
        let archived = match self.archive_batch(&batch) {
            Ok(seq) => seq,
            Err(e) => {
                tracing::error!(error = %e, events = batch.len(), "archive write failed; holding the events and retrying");
                self.set_archive_problem(Some(e.to_string()));
                if self.options.exit_when_caught_up {
                    // `sync --once` stops and says so; nothing of the batch was stored,
                    // so the next run fetches it again.
                    self.failed = Some(e.to_string());
                    return;
                }
                self.stalled = Some(batch);
                return;
            }
        };
        self.set_archive_problem(None);
        let mut ops = Vec::with_capacity(batch.len() + 1);
        if let Some(seq) = archived {
            ops.push(crate::archive::replay::position_op(seq));
        }
        let mut messages = Vec::new();
        let mut health_changed = false;
        let mut fetched = Vec::new();
        // Announced after the batch is stored: whoever hears it reads a complete store.
        let mut caught_up = false;
        let mut typing_changed = false;
        let mut backfilled = Vec::new();
        let mut to_fetch = Vec::new();
        let mut inbound = Vec::new();
        for (account, ev) in batch {
            match ev {
                ConnectorEvent::Health(h) => {
                    if let Ok(mut map) = self.health.lock()
                        && map.get(&account) != Some(&h)
                    {
                        // Kept for `account list` (which may run beside the daemon).
                        // "Connecting" is every start's first word, not news.
                        if h != Health::Connecting {
                            ops.push(Op::SetHealth {
                                account: account.clone(),
                                health: h.clone(),
                                at: Timestamp::now(),
                            });
                        }
                        map.insert(account, h);
                        health_changed = true;
                    }
                }
                ConnectorEvent::Conversation(c) => ops.push(Op::UpsertConversation(c)),
                ConnectorEvent::Message(m) => {
                    // Files of a business message belong in the archive (R-B1): fetched
                    // right after the message is stored, archived when they arrive.
                    let missing: Vec<usize> = m
                        .attachments
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| a.blob.is_none() && a.source.is_some())
                        .map(|(i, _)| i)
                        .collect();
                    if self.archive.is_some() && !missing.is_empty() {
                        to_fetch.push((account.clone(), m.remote_id.clone(), missing));
                    }
                    // An automatic reply is due for what arrives now, or arrived while
                    // tresen was not running, never for history (a new account's first
                    // sync, older messages fetched on request): the connector tells.
                    inbound.extend(rules::Inbound::of(&m, !m.history));
                    ops.push(Op::Incoming(m))
                }
                ConnectorEvent::SendResult { message, outcome } => {
                    if let Err(e) = &outcome {
                        tracing::warn!(%account, message = message.0, error = %e, "send failed");
                    }
                    if let Ok(mut s) = self.sends.lock() {
                        s.in_flight.remove(&message);
                    }
                    messages.push(message);
                    ops.push(Op::SendResult {
                        message,
                        outcome,
                        at: Timestamp::now(),
                    });
                }
                ConnectorEvent::Receipt {
                    remote_id,
                    delivery,
                } => ops.push(Op::Receipt {
                    account,
                    remote_id,
                    delivery,
                }),
                ConnectorEvent::Edited {
                    remote_id,
                    body,
                    at,
                } => ops.push(Op::RemoteEdit {
                    account,
                    remote_id,
                    body,
                    at,
                }),
                ConnectorEvent::Deleted { remote_id, at } => ops.push(Op::RemoteDelete {
                    account,
                    remote_id,
                    at,
                }),
                ConnectorEvent::Reaction {
                    remote_id,
                    target,
                    key,
                    sender,
                    outbound,
                    at,
                } => ops.push(Op::Reaction {
                    account,
                    remote_id,
                    target,
                    key,
                    sender,
                    outbound,
                    at,
                }),
                ConnectorEvent::Backfilled {
                    conversation_remote_id,
                } => {
                    let conv = self
                        .store
                        .read(|s| s.conversation_by_remote(&account, &conversation_remote_id));
                    if let Ok(Some(id)) = conv {
                        backfilled.push(id);
                    }
                }
                ConnectorEvent::Security {
                    conversation_remote_id,
                    security,
                } => ops.push(Op::SetSecurity {
                    account: account.clone(),
                    remote_id: conversation_remote_id,
                    security,
                }),
                ConnectorEvent::Typing {
                    conversation_remote_id,
                    names,
                } => {
                    let conv = self
                        .store
                        .read(|s| s.conversation_by_remote(&account, &conversation_remote_id));
                    if let Ok(Some(id)) = conv
                        && let Ok(mut map) = self.typing.lock()
                    {
                        if names.is_empty() {
                            map.remove(&id);
                        } else {
                            map.insert(id, names);
                        }
                        typing_changed = true;
                    }
                }
                ConnectorEvent::Checkpoint(position) => {
                    *self.checkpoints.entry(account.clone()).or_default() += 1;
                    ops.push(Op::SetSyncPosition { account, position })
                }
                ConnectorEvent::KindPending {
                    conversation_remote_id,
                } => {
                    // Decided at the checkpoint after the one closing this sync.
                    let release = self.checkpoints.get(&account).copied().unwrap_or(0) + 2;
                    self.parked
                        .entry((account, conversation_remote_id))
                        .or_insert_with(|| rules::Parked::until(release));
                }
                ConnectorEvent::Renamed { from, to } => {
                    ops.push(Op::RenamePeer { account, from, to })
                }
                ConnectorEvent::Link(state) => {
                    if let Ok(mut map) = self.links.lock() {
                        map.insert(account, state);
                    }
                    health_changed = true;
                }
                ConnectorEvent::Invite(invite) => {
                    if let Ok(mut map) = self.invites.lock() {
                        let list = map.entry(account).or_default();
                        list.retain(|i| i.remote_id != invite.remote_id);
                        list.push(invite);
                    }
                    health_changed = true;
                }
                ConnectorEvent::Fetched {
                    message,
                    index,
                    outcome,
                } => {
                    let result = outcome.map_err(EngineError::Attachment).and_then(|bytes| {
                        let blobs = self.store.blobs().ok_or_else(no_blob_store)?;
                        Ok(blobs.put(&bytes)?)
                    });
                    if let Ok(blob) = &result {
                        ops.push(Op::SetAttachmentBlob {
                            message,
                            index,
                            blob: blob.clone(),
                        });
                        messages.push(message);
                    }
                    fetched.push(((message, index), result));
                }
                ConnectorEvent::CaughtUp => {
                    self.pending_caught_up = self.pending_caught_up.saturating_sub(1);
                    if self.pending_caught_up == 0 {
                        if self.options.exit_when_caught_up && self.settle_until.is_none() {
                            self.settle_until =
                                Some(tokio::time::Instant::now() + self.options.settle);
                        }
                        caught_up = true;
                    }
                }
            }
        }
        if !ops.is_empty() {
            match self.apply(&ops) {
                Ok(applied) => self.publish(&applied),
                Err(e) => {
                    // One bad event must not take the batch down with it: retry singly,
                    // so everything good is kept and the bad one is logged.
                    tracing::warn!(error = %e, "batch failed; applying events one by one");
                    for op in &ops {
                        match self.apply(std::slice::from_ref(op)) {
                            Ok(a) => self.publish(&a),
                            Err(e) => {
                                tracing::error!(error = %e, ?op, "dropping event the store rejected")
                            }
                        }
                    }
                }
            }
        }
        for m in messages {
            self.notify(Notification::Message(m));
        }
        if !inbound.is_empty() {
            self.after_inbound(inbound);
        }
        self.release_parked(false);
        for (account, remote_id, missing) in to_fetch {
            if let Ok(Some((id, _))) = self
                .store
                .read(|s| s.message_by_remote(&account, &remote_id))
            {
                for index in missing {
                    if !self.fetching.contains_key(&(id, index)) {
                        self.fetch(id, index, None);
                    }
                }
            }
        }
        // Answered after the batch is stored, so a waiter that reads the message sees
        // its blob.
        for (key, result) in fetched {
            self.answer_fetch(key, result);
        }
        if health_changed {
            self.notify(Notification::Health);
        }
        if typing_changed {
            self.notify(Notification::Typing);
        }
        for id in backfilled {
            self.notify(Notification::Backfilled(id));
        }
        if caught_up {
            self.notify(Notification::CaughtUp);
        }
    }

    fn apply(&self, ops: &[Op]) -> Result<Applied, StoreError> {
        // A large batch blocks for a while (fsync included). On the multi-threaded runtime
        // block_in_place hands this worker's other tasks (connectors, the UI loop) to
        // another thread instead of stalling them behind the write.
        let multi = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if multi && ops.len() > 64 {
            tokio::task::block_in_place(|| self.store.lock().apply(ops))
        } else {
            self.store.lock().apply(ops)
        }
    }

    fn handle_command(&mut self, cmd: EngineCommand) {
        match cmd {
            EngineCommand::Send {
                conversation,
                body,
                files,
                sender,
                reply_to,
                options,
                reply,
            } => {
                let result = self.send(conversation, body, files, sender, reply_to, &options);
                if let Err(e) = &result {
                    tracing::warn!(error = %e, "send rejected");
                }
                if let Some(reply) = reply {
                    let _ = reply.send(result);
                }
            }
            EngineCommand::Local(op) => {
                // A label can change a conversation's retention class: archived first,
                // with who changed it (R-B2, R-B5).
                if let Op::SetLabels {
                    conversation,
                    labels,
                } = &op
                    && let Err(e) = self.archive_labels(*conversation, labels)
                {
                    tracing::warn!(error = %e, "label change not archived, so not made");
                    self.set_archive_problem(Some(e.to_string()));
                    return;
                }
                match self.apply(std::slice::from_ref(&op)) {
                    Ok(a) => self.publish(&a),
                    Err(e) => tracing::warn!(error = %e, "local change rejected"),
                }
            }
            EngineCommand::Viewed(id) => {
                let conv = self.store.lock().conversation(id);
                let Ok(Some(conv)) = conv else { return };
                if conv.is_unread() {
                    match self.apply(&[Op::MarkRead { conversation: id }]) {
                        Ok(a) => self.publish(&a),
                        Err(e) => tracing::warn!(error = %e, "mark read failed"),
                    }
                }
                if let Some(tx) = self.connectors.get(&conv.account) {
                    let _ = tx.try_send(ConnectorCommand::MarkRead {
                        conversation_remote_id: conv.remote_id,
                    });
                }
            }
            EngineCommand::Link { account } => match self.connectors.get(&account) {
                Some(tx) => {
                    let device_name = format!("tresen ({})", hostname());
                    let _ = tx.try_send(ConnectorCommand::Link { device_name });
                }
                None => tracing::warn!(%account, "link asked for an account that is not running"),
            },
            EngineCommand::AcceptInvite { account, remote_id } => {
                if let Ok(mut map) = self.invites.lock()
                    && let Some(list) = map.get_mut(&account)
                {
                    list.retain(|i| i.remote_id != remote_id);
                }
                match self.connectors.get(&account) {
                    Some(tx) => {
                        let _ = tx.try_send(ConnectorCommand::Join { remote_id });
                    }
                    None => {
                        tracing::warn!(%account, "invite accepted for an account that is not running")
                    }
                }
                self.notify(Notification::Health);
            }
            EngineCommand::Fetch {
                message,
                index,
                reply,
            } => self.fetch(message, index, reply),
            EngineCommand::Backfill { conversation } => {
                let found = self.store.read(|s| -> Result<_, StoreError> {
                    Ok((
                        s.conversation(conversation)?,
                        s.oldest_remote_id(conversation)?,
                    ))
                });
                match found {
                    Ok((Some(conv), oldest)) => match self.connectors.get(&conv.account) {
                        Some(tx) => {
                            let _ = tx.try_send(ConnectorCommand::Backfill {
                                conversation_remote_id: conv.remote_id,
                                oldest,
                            });
                        }
                        // Nothing to ask: the history ends here for now.
                        None => self.notify(Notification::Backfilled(conversation)),
                    },
                    Ok((None, _)) => {}
                    Err(e) => tracing::warn!(error = %e, "backfill not started"),
                }
            }
            EngineCommand::React { message, key } => {
                if let Err(e) = self.react(message, key) {
                    tracing::warn!(message = message.0, error = %e, "reaction not sent");
                }
            }
            EngineCommand::Typing {
                conversation,
                typing,
            } => {
                let conv = self.store.read(|s| s.conversation(conversation));
                if let Ok(Some(conv)) = conv
                    && let Some(tx) = self.connectors.get(&conv.account)
                {
                    // Best effort: a lost typing notice is harmless.
                    let _ = tx.try_send(ConnectorCommand::Typing {
                        conversation_remote_id: conv.remote_id,
                        typing,
                    });
                }
            }
            EngineCommand::Shutdown => {}
        }
    }

    /// Reactions are not stored as pending: the network's echo stores them, so what the
    /// inbox shows is what the customer sees.
    fn react(&mut self, message: MessageId, key: String) -> Result<(), EngineError> {
        let (m, conv) = self.store.read(|s| -> Result<_, StoreError> {
            let m = s
                .message(message)?
                .ok_or(StoreError::NoMessage(message.0))?;
            let conv = s
                .conversation(m.conversation)?
                .ok_or_else(|| StoreError::NoConversation(m.conversation.to_string()))?;
            Ok((m, conv))
        })?;
        let target = m
            .remote_id
            .ok_or_else(|| EngineError::Refused("this message is not on the network".into()))?;
        let tx = self.connectors.get(&conv.account).ok_or_else(|| {
            EngineError::Refused("no connector is running for this account".into())
        })?;
        tx.try_send(ConnectorCommand::React {
            conversation_remote_id: conv.remote_id,
            target,
            key,
        })
        .map_err(|_| EngineError::Refused("the connector is busy; try again".into()))
    }

    fn answer_fetch(&mut self, key: (MessageId, usize), result: Result<BlobId, EngineError>) {
        for reply in self.fetching.remove(&key).unwrap_or_default() {
            let r = match &result {
                Ok(id) => Ok(id.clone()),
                Err(e) => Err(EngineError::Attachment(e.to_string())),
            };
            let _ = reply.send(r);
        }
    }

    fn fetch(&mut self, message: MessageId, index: usize, reply: Option<FetchReply>) {
        let key = (message, index);
        if let Some(r) = reply {
            self.fetching.entry(key).or_default().push(r);
        } else {
            self.fetching.entry(key).or_default();
        }
        if self.fetching.get(&key).is_some_and(|w| w.len() > 1) {
            return; // already on its way
        }
        match self.fetch_command(message, index) {
            Ok(None) => {}
            Ok(Some(done)) => self.answer_fetch(key, Ok(done)),
            Err(e) => {
                tracing::warn!(message = message.0, index, error = %e, "attachment not fetched");
                self.answer_fetch(key, Err(e));
            }
        }
    }

    /// `Some(blob)` if the file is here already, `None` once a connector was asked.
    fn fetch_command(
        &mut self,
        message: MessageId,
        index: usize,
    ) -> Result<Option<BlobId>, EngineError> {
        let blobs = self.store.blobs().ok_or_else(no_blob_store)?;
        let store = self.store.lock();
        let m = store
            .message(message)?
            .ok_or(StoreError::NoMessage(message.0))?;
        let a = m.attachments.get(index).ok_or(StoreError::NoAttachment {
            message: message.0,
            index,
        })?;
        if let Some(blob) = &a.blob
            && blobs.contains(blob)
        {
            return Ok(Some(blob.clone()));
        }
        let source = a.source.clone().ok_or_else(|| {
            EngineError::Attachment(format!(
                "{} was never downloaded and the network gave no address for it",
                a.name
            ))
        })?;
        let conv = store
            .conversation(m.conversation)?
            .ok_or_else(|| StoreError::NoConversation(m.conversation.to_string()))?;
        drop(store);
        let tx = self.connectors.get(&conv.account).ok_or_else(|| {
            EngineError::Attachment(format!(
                "account {} is not connected; the file can be downloaded once it is",
                conv.account
            ))
        })?;
        tx.try_send(ConnectorCommand::Fetch {
            message,
            index,
            source,
        })
        .map_err(|_| EngineError::Attachment("the connector is busy; try again".into()))?;
        Ok(None)
    }

    fn send(
        &mut self,
        conversation: ConversationId,
        body: String,
        files: Vec<NewFile>,
        sender: String,
        reply_to: Option<MessageId>,
        options: &SendOptions,
    ) -> Result<MessageId, EngineError> {
        self.send_as(
            conversation,
            Outgoing {
                body,
                files,
                sender,
                reply_to,
                notice: None,
            },
            options,
        )
    }

    fn send_as(
        &mut self,
        conversation: ConversationId,
        what: Outgoing,
        options: &SendOptions,
    ) -> Result<MessageId, EngineError> {
        let Outgoing {
            body,
            files,
            sender,
            reply_to,
            notice,
        } = what;
        if body.trim().is_empty() && files.is_empty() {
            return Err(EngineError::Refused("the message is empty".into()));
        }
        let conv = self
            .store
            .lock()
            .conversation(conversation)?
            .ok_or_else(|| StoreError::NoConversation(conversation.to_string()))?;
        let automatic = sender == rules::AUTOMATIC;
        if !automatic {
            // A notice that did not go out is still owed: it goes first (R-C8).
            self.owed_notice(&conv)?;
        }
        let reply_to = match reply_to {
            Some(id) => self
                .store
                .read(|s| s.message(id))?
                .and_then(|m| m.remote_id),
            None => None,
        };
        let outgoing: Vec<OutgoingFile> = files
            .into_iter()
            .map(|f| OutgoingFile {
                attachment: Attachment {
                    name: f.name,
                    mime: f.mime,
                    size: f.bytes.len() as u64,
                    source: None,
                    blob: None,
                },
                bytes: f.bytes,
            })
            .collect();
        // Footer, consent gate and channel limits decide what goes out; what is stored
        // as pending is exactly what will be sent.
        let (mut parts, gate) = self.plan_send(&conv, body, outgoing, options)?;
        if gate == crate::compliance::consent::Gate::ConsentPending {
            tracing::info!(
                conversation = conversation.0,
                "reply without consent on record: consent pending"
            );
        }
        // Files go to the attachment store first: a pending message never points at
        // bytes that are not there.
        if parts.iter().any(|p| !p.files.is_empty()) {
            let blobs = self.store.blobs().ok_or_else(no_blob_store)?;
            for f in parts.iter_mut().flat_map(|p| p.files.iter_mut()) {
                f.attachment.blob = Some(blobs.put(&f.bytes)?);
            }
        }
        let now = Timestamp::now();
        let n = parts.len();
        let ops: Vec<Op> = parts
            .iter_mut()
            .enumerate()
            .map(|(i, p)| {
                p.txn = Some(new_txn());
                Op::QueueOutgoing {
                    conversation,
                    sender: sender.clone(),
                    body: p.body.clone(),
                    attachments: p.files.iter().map(|f| f.attachment.clone()).collect(),
                    at: now,
                    automatic,
                    meta: crate::store::SendMeta {
                        txn: p.txn.clone(),
                        footer: p.footer.clone(),
                        // The notice is its last part (the question and the footer).
                        notice: notice.clone().filter(|_| i + 1 == n).map(Box::new),
                    },
                }
            })
            .collect();
        let applied = self.apply(&ops)?;
        if applied.queued.len() != parts.len() {
            return Err(EngineError::Refused(
                "store did not queue the message".into(),
            ));
        }
        self.publish(&applied);
        // Archived before any connector sees it: nothing leaves the house unrecorded.
        let pending = gate == crate::compliance::consent::Gate::ConsentPending;
        let archived = self.archive_outgoing(&conv, &sender, &applied.queued, &parts, now, pending);
        if let Err(e) = archived {
            let reason = format!("not archived, so not sent: {e}");
            let failed: Vec<Op> = applied
                .queued
                .iter()
                .map(|&id| Op::SendResult {
                    message: id,
                    outcome: Err(reason.clone()),
                    at: Timestamp::now(),
                })
                .collect();
            let a = self.apply(&failed)?;
            self.publish(&a);
            for &id in &applied.queued {
                self.notify(Notification::Message(id));
            }
            self.set_archive_problem(Some(e.to_string()));
            return Err(EngineError::Refused(format!(
                "the archive cannot be written ({e}); nothing was sent"
            )));
        }
        crate::fault::point("after-queue");
        // One write: the store catches up with the archive (a replay at the next start
        // would find the messages there already) and the parts are marked as handed
        // over, which they are next.
        let mut ops: Vec<Op> = archived
            .ok()
            .flatten()
            .map(crate::archive::replay::position_op)
            .into_iter()
            .collect();
        if self.connectors.contains_key(&conv.account) {
            ops.extend(
                applied
                    .queued
                    .iter()
                    .map(|&message| Op::SendAttempt { message }),
            );
        }
        if let Err(e) = self.apply(&ops) {
            tracing::warn!(error = %e, "send not marked as handed over");
        }
        crate::fault::point("after-attempt");
        for (&id, part) in applied.queued.iter().zip(parts) {
            let out = OutgoingMessage {
                message: id,
                conversation_remote_id: conv.remote_id.clone(),
                body: part.body,
                files: part.files,
                reply_to: reply_to.clone(),
                txn: part.txn,
            };
            self.hand_over(&conv.account, out, false)?;
        }
        Ok(applied.queued[0])
    }

    /// Gives a stored, archived message to its connector, marked as attempted first
    /// (`mark`, unless the caller did): after a crash from here on, the network may
    /// have it. A connector that cannot take it makes the message fail with the reason.
    fn hand_over(
        &mut self,
        account: &AccountId,
        out: OutgoingMessage,
        mark: bool,
    ) -> Result<(), EngineError> {
        let id = out.message;
        let refused = match self.connectors.get(account) {
            None => Some("no connector is running for this account"),
            Some(tx) => {
                let tx = tx.clone();
                if mark {
                    self.apply(&[Op::SendAttempt { message: id }])?;
                    crate::fault::point("after-attempt");
                }
                match tx.try_send(ConnectorCommand::Send(out)) {
                    Ok(()) => None,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        Some("the connector is busy; try again")
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => Some("the connector has stopped"),
                }
            }
        };
        match refused {
            None => {
                if let Ok(mut s) = self.sends.lock() {
                    // A daemon runs for months: only the recent past is reported.
                    if s.handed.len() >= HANDED_KEPT {
                        s.handed.drain(..HANDED_KEPT / 2);
                    }
                    s.handed.push(id);
                    s.in_flight.insert(id);
                }
            }
            Some(reason) => {
                let applied = self.apply(&[Op::SendResult {
                    message: id,
                    outcome: Err(reason.to_string()),
                    at: Timestamp::now(),
                }])?;
                self.publish(&applied);
                self.notify(Notification::Message(id));
            }
        }
        Ok(())
    }

    /// At start: what an earlier run stored as pending but never learned the fate of.
    /// Automatic messages (the first-contact notice) and staff messages of the last
    /// hour go out again, with the same idempotency key; older staff messages are
    /// marked failed (their text may be out of date). A staff message a network
    /// without idempotency keys (Signal) may already have is marked unclear: staff
    /// decide whether to send it again.
    fn recover_sends(&mut self) {
        let unsent = match self.store.read(|s| s.unsent()) {
            Ok(u) => u,
            Err(e) => {
                tracing::error!(error = %e, "cannot list unsent messages; they stay pending");
                return;
            }
        };
        let now = Timestamp::now();
        for u in unsent {
            let id = u.message.id;
            let automatic = u.message.sender == rules::AUTOMATIC;
            let decision = if u.attempted && !automatic && !self.idempotent.contains(&u.account) {
                Some(Op::SendUnclear {
                    message: id,
                    reason: crate::domain::FAILURE_UNCLEAR.to_string(),
                })
            } else if !automatic && now.0 - u.message.sent_at.0 > RESEND_WITHIN {
                Some(Op::SendResult {
                    message: id,
                    outcome: Err(crate::domain::FAILURE_TOO_OLD.to_string()),
                    at: now,
                })
            } else {
                None
            };
            if let Some(op) = decision {
                tracing::info!(message = id.0, ?op, "unsent message from an earlier run");
                match self.apply(&[op]) {
                    Ok(a) => self.publish(&a),
                    Err(e) => {
                        tracing::warn!(message = id.0, error = %e, "unsent message left as it was")
                    }
                }
                self.notify(Notification::Message(id));
                continue;
            }
            let files = match self.stored_files(&u.message.attachments) {
                Ok(f) => f,
                Err(why) => {
                    let _ = self.apply(&[Op::SendResult {
                        message: id,
                        outcome: Err(why),
                        at: now,
                    }]);
                    self.notify(Notification::Message(id));
                    continue;
                }
            };
            tracing::info!(message = id.0, account = %u.account, "sending a message an earlier run left pending");
            let out = OutgoingMessage {
                message: id,
                conversation_remote_id: u.conversation_remote_id,
                body: u.message.body,
                files,
                reply_to: None,
                txn: u.meta.txn,
            };
            if let Err(e) = self.hand_over(&u.account, out, true) {
                tracing::warn!(message = id.0, error = %e, "unsent message not handed over");
            }
        }
    }

    /// The bytes of a stored message's files, from the attachment store.
    fn stored_files(&self, attachments: &[Attachment]) -> Result<Vec<OutgoingFile>, String> {
        if attachments.is_empty() {
            return Ok(Vec::new());
        }
        let blobs = self
            .store
            .blobs()
            .ok_or("this profile has no attachment store")?;
        attachments
            .iter()
            .map(|a| {
                let blob = a
                    .blob
                    .as_ref()
                    .ok_or_else(|| format!("{} is not in the attachment store", a.name))?;
                let bytes = blobs.get(blob).map_err(|e| format!("{}: {e}", a.name))?;
                Ok(OutgoingFile {
                    attachment: a.clone(),
                    bytes: Arc::new(bytes.to_vec()),
                })
            })
            .collect()
    }
}

/// What to send, for [`Engine::send_as`].
struct Outgoing {
    body: String,
    files: Vec<NewFile>,
    sender: String,
    reply_to: Option<MessageId>,
    /// The first-contact notice: recorded for the contact once it is sent.
    notice: Option<crate::compliance::FirstContact>,
}

/// A fresh idempotency key for a send (a Matrix transaction id: unique per device).
fn new_txn() -> String {
    use rand::Rng as _;
    let bytes: [u8; 12] = rand::rng().random();
    format!("tresen-{}", hex::encode(bytes))
}

impl Engine {
    fn archive_labels(
        &mut self,
        conversation: ConversationId,
        labels: &[String],
    ) -> Result<(), EngineError> {
        let Some(archive) = self.archive.as_mut() else {
            return Ok(());
        };
        let Some(conv) = self.store.read(|s| s.conversation(conversation))? else {
            return Ok(());
        };
        if conv.labels == labels {
            return Ok(());
        }
        let now = Timestamp::now();
        archive.append(vec![Entry {
            scope: Scope::System,
            payload: Payload::Classify {
                account: conv.account.0.clone(),
                conversation: conv.remote_id.clone(),
                labels: labels.to_vec(),
                by: self.staff.clone(),
                at: now,
            },
        }])?;
        Ok(())
    }

    fn archive_outgoing(
        &mut self,
        conv: &crate::domain::Conversation,
        staff: &str,
        ids: &[MessageId],
        parts: &[rules::Part],
        at: Timestamp,
        consent_pending: bool,
    ) -> Result<Option<u64>, ArchiveError> {
        let Some(archive) = self.archive.as_mut() else {
            return Ok(None);
        };
        let mut entries = Vec::new();
        for (&id, part) in ids.iter().zip(parts) {
            let (body, files) = (&part.body, &part.files);
            entries.push(Entry {
                scope: Scope::conversation(&conv.account.0, &conv.remote_id, at),
                payload: Payload::Outgoing {
                    local_id: id.0,
                    account: conv.account.0.clone(),
                    conversation: conv.remote_id.clone(),
                    staff: staff.to_string(),
                    body: body.clone(),
                    attachments: files.iter().map(|f| f.attachment.clone()).collect(),
                    at,
                    footer: part.footer.clone(),
                    consent_pending,
                    txn: part.txn.clone(),
                },
            });
            for (index, f) in files.iter().enumerate() {
                entries.push(capture::attachment(
                    &conv.account,
                    &conv.remote_id,
                    format!("local:{}", id.0),
                    index,
                    f.attachment.name.clone(),
                    f.attachment.mime.clone(),
                    &f.bytes,
                    at,
                ));
            }
        }
        Ok(Some(archive.append(entries)?.seq))
    }
}

/// The name the office's phone lists tresen under, so a second office PC is told apart.
fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "Büro".to_string())
}

fn no_blob_store() -> EngineError {
    EngineError::Attachment("this profile has no attachment store".into())
}
