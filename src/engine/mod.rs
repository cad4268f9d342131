//! The engine: single owner of the store and the connectors, shared by TUI and daemon.
//!
//! Inbound: connector events are batched into one store transaction, then small
//! [`Notification`] tags go out on a broadcast bus; readers pull what changed from the
//! store ("notify, then pull"). Outbound: an [`EngineCommand::Send`] is stored as pending
//! first, then handed to the connector; its result updates the stored message.

mod batching;
mod changes;
mod commands;
mod fetch;
mod handle;
pub mod hooks;
mod inbound;
mod presence;
mod rules;
mod scheduled;
mod send;

pub use crate::ingest::attachment as attachment_entry;
pub use handle::EngineHandle;
pub use rules::{AUTOMATIC, SendOptions, consents_of, record_consent};
pub use scheduled::DEFAULT_MAX_LATE;

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

/// How often a batch the archive refused (disk full, …) is tried again.
const ARCHIVE_RETRY: std::time::Duration = std::time::Duration::from_secs(2);

/// A hint that something changed; never a payload. Receivers re-read the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "tag", content = "id")]
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
    /// A seat's connection to the daemon came back or was lost (never sent by the
    /// engine itself): everything shown may be stale.
    Seat,
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
    /// Also tells the other seats that the conversation is being answered (never by
    /// whom); `network`: forwarded to the customer's network too.
    Typing {
        conversation: ConversationId,
        typing: bool,
        network: bool,
        /// Which seat (0: the engine's own TUI).
        seat: u64,
    },
    /// Make attachment `index` of a message available in the attachment store,
    /// downloading it through its connector if it is not there yet.
    Fetch {
        message: MessageId,
        index: usize,
        reply: Option<oneshot::Sender<Result<BlobId, EngineError>>>,
    },
    /// Triage and other local-only changes (notes, state, labels, read markers).
    Local(crate::domain::LocalChange),
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
        /// What the phone lists this device as (default: "tresen (<host name>)").
        device_name: Option<String>,
    },
    /// A question about an account's own setup, passed to its connector, which answers
    /// on `reply` (`tresen account register|groups|contacts` through the daemon).
    Setup {
        account: AccountId,
        ask: crate::connector::setup::SetupAsk,
        reply: crate::connector::setup::Reply,
    },
    /// Record a consent staff took outside the chat (`tresen consent grant|withdraw`):
    /// archived first, then the ledger. Answered with the record.
    Consent {
        conversation: ConversationId,
        action: crate::compliance::consent::Action,
        purposes: Vec<crate::compliance::consent::Purpose>,
        method: crate::compliance::consent::Method,
        evidence: Option<String>,
        staff: String,
        reply:
            Option<oneshot::Sender<Result<crate::compliance::consent::ConsentRecord, EngineError>>>,
    },
    /// A contact's name corrected as a new version (R-C12), archived first.
    CorrectContact {
        conversation: ConversationId,
        name: String,
        reason: String,
        by: String,
        reply: Option<
            oneshot::Sender<Result<crate::domain::correction::ContactCorrection, EngineError>>,
        >,
    },
    /// Runs a job on the archive (and the store) inside the single writer: a hold, a
    /// seal, or a lifecycle command of a seat (retention, erasure, an export). The job
    /// gets `None` when this engine has no archive.
    WithArchive(ArchiveJob),
    /// Stops or starts one account's connector while the engine runs (the daemon's
    /// account commands: a login or the recovery key need the account's store alone).
    Connector(ConnectorChange),
    /// Keep a message to go out at `due` (`send --at`); answered with its id.
    Schedule {
        conversation: ConversationId,
        body: String,
        sender: String,
        due: Timestamp,
        reply: Option<oneshot::Sender<Result<String, EngineError>>>,
    },
    /// Withdraw a scheduled message that has not gone out.
    CancelScheduled {
        id: String,
        by: String,
        reply: Option<oneshot::Sender<Result<(), EngineError>>>,
    },
    /// Answered once every command before it is carried out: a seat's acknowledgement
    /// means the change is made.
    Barrier(oneshot::Sender<()>),
    Shutdown,
}

/// See [`EngineCommand::Connector`].
pub enum ConnectorChange {
    /// Closes the account's connector; `stopped` is answered once its task ended.
    Stop {
        account: AccountId,
        stopped: oneshot::Sender<()>,
    },
    /// Starts `connector` for its account (replacing one that was stopped), and hands
    /// it the account's sends that are still pending.
    Start(Box<dyn Connector>),
}

impl std::fmt::Debug for ConnectorChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectorChange::Stop { account, .. } => write!(f, "Stop({account})"),
            ConnectorChange::Start(c) => write!(f, "Start({})", c.account()),
        }
    }
}

/// Work on the archive that the engine runs for a seat (see `EngineCommand::WithArchive`).
pub struct ArchiveJob(pub Box<dyn ArchiveWork>);

/// What an [`ArchiveJob`] does with the archive (`None`: the engine has none) and the
/// store. Returns whether it took messages or conversations out of the store (a
/// destruction, an erasure): the engine then forgets what it remembers of them and
/// every seat reloads.
pub trait ArchiveWork: FnOnce(Option<&mut Archive>, &SharedStore) -> bool + Send {}
impl<F: FnOnce(Option<&mut Archive>, &SharedStore) -> bool + Send> ArchiveWork for F {}

impl std::fmt::Debug for ArchiveJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ArchiveJob")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the engine has stopped")]
    Stopped,
    #[error("refusing to send: {0}")]
    Refused(String),
    /// Something other than a send cannot be done as asked (a scheduled message that
    /// is gone, a reaction on a message the network never had, a name not accepted).
    #[error("{0}")]
    Declined(String),
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

type Sends = Arc<Mutex<SendLog>>;

#[derive(Debug, Clone, Copy)]
pub struct EngineOptions {
    /// Stop once every connector has caught up and what this run sent has gone out
    /// (`tresen sync --once`).
    pub exit_when_caught_up: bool,
    /// How long, after catching up, such a run waits for its sends to be answered.
    pub settle: std::time::Duration,
    /// How often scheduled messages are looked at (tests shorten it).
    pub schedule_check: std::time::Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            exit_when_caught_up: false,
            settle: std::time::Duration::from_secs(30),
            schedule_check: scheduled::CHECK_EVERY,
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
    /// The bytes connectors may queue ([`crate::connector::QUEUED_BYTES`]), given back
    /// as events are taken off the queue.
    budget: Arc<tokio::sync::Semaphore>,
    bus: broadcast::Sender<Notification>,
    presence: presence::Presence,
    connectors: HashMap<AccountId, mpsc::Sender<ConnectorCommand>>,
    /// Each connector's task, by account (stopped and started again for an account
    /// command of the daemon).
    tasks: HashMap<AccountId, JoinHandle<()>>,
    pending_caught_up: usize,
    options: EngineOptions,
    /// Downloads in flight and who waits for them.
    downloads: fetch::Downloads,
    archive: Option<Archive>,
    capture: crate::ingest::Capture,
    /// Records → store ops (the fact table shared with the archive's replay).
    ingest: crate::ingest::Ingest,
    /// A batch the archive could not take; retried before any new event is read, so a
    /// connector is never told more was kept than really was.
    stalled: Option<Vec<crate::ingest::Step>>,
    /// The batch archived last, stored beside the next one's archive write.
    archived: Option<inbound::Archived>,
    /// Inbound messages stored whose rules have not run yet (see `decide_stored`).
    undecided: Vec<rules::Inbound>,
    /// Who works here (label changes are archived with this name).
    staff: String,
    /// Footer, consent gate, first-contact notice (off unless set).
    rules: rules::Rules,
    /// Why a `sync --once` engine stopped early.
    failed: Option<String>,
    sends: Sends,
    /// Accounts whose connector sends idempotently (a retry is never a second copy).
    idempotent: std::collections::HashSet<AccountId>,
    /// `sync --once`: every connector caught up; stop once sends are answered or
    /// this passed.
    settle_until: Option<tokio::time::Instant>,
    /// What marks a customer's new message urgent.
    urgent: crate::domain::urgent::UrgentRules,
    /// `[hooks]`: started when the engine runs (they need its runtime).
    hooks_config: hooks::HooksConfig,
    hooks: Option<hooks::Hooks>,
    /// A scheduled message more overdue than this (ms) is not sent (`[scheduled]`).
    max_late: i64,
}

/// Starts connector `c` with what the store knows for its account: the sync position,
/// messages to decrypt again, sends an earlier run handed over without an answer.
/// Returns its account, command sender, task and whether its sends are idempotent.
fn spawn_connector(
    c: Box<dyn Connector>,
    store: &SharedStore,
    ev_tx: &mpsc::Sender<(AccountId, ConnectorEvent)>,
    budget: &Arc<tokio::sync::Semaphore>,
    presence: &presence::Presence,
    unsent: &[crate::store::Unsent],
) -> (
    AccountId,
    mpsc::Sender<ConnectorCommand>,
    JoinHandle<()>,
    bool,
) {
    let account = c.account().clone();
    let idempotent = c.idempotent_sends();
    // Room for every recovered send at start (a queue slot costs nothing until
    // used); a full queue would fail a send.
    let (tx, rx) = mpsc::channel(CONNECTOR_QUEUE);
    presence.set_health(account.clone(), Health::Connecting);
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
        events: EventSink::new(account.clone(), ev_tx.clone(), Arc::clone(budget)),
        commands: rx,
        resume,
        undecryptable,
        outstanding,
    };
    let sink = io.events.clone();
    let who = account.clone();
    let task = tokio::spawn(async move {
        let result = c.run(io).await;
        let health = match result {
            Ok(()) => Health::Offline("stopped".into()),
            Err(e) => {
                tracing::error!(account = %who, error = %e, "connector gave up");
                Health::Offline(e.to_string())
            }
        };
        // The connector is gone; it cannot report CaughtUp any more.
        sink.emit(ConnectorEvent::Health(health)).await;
        sink.emit(ConnectorEvent::CaughtUp).await;
    });
    (account, tx, task, idempotent)
}

impl Engine {
    /// Builds the engine and starts the connectors. Call [`Engine::run`] to process.
    pub fn start(
        store: SharedStore,
        connectors: Vec<Box<dyn Connector>>,
        options: EngineOptions,
    ) -> (Engine, EngineHandle) {
        let (cmd_tx, cmd_rx) = mpsc::channel(256);
        // Bounded in bytes by `budget`; the count only keeps tiny events (typing,
        // receipts) from piling up without end.
        let (ev_tx, ev_rx) = mpsc::channel(batching::EVENTS_QUEUED);
        let budget = Arc::new(tokio::sync::Semaphore::new(crate::connector::QUEUED_BYTES));
        let (bus, _) = broadcast::channel(1024);
        let presence = presence::Presence::default();
        let sends: Sends = Arc::default();
        let (rules, shared_rules) = rules::Rules::new();
        let mut routes = HashMap::new();
        let mut tasks = HashMap::new();
        let count = connectors.len();
        let mut idempotent = std::collections::HashSet::new();
        // Sends a previous run handed over without learning the outcome.
        let unsent = store.read(|s| s.unsent()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot list unsent messages");
            Vec::new()
        });
        for c in connectors {
            let (account, tx, task, idem) =
                spawn_connector(c, &store, &ev_tx, &budget, &presence, &unsent);
            if idem {
                idempotent.insert(account.clone());
            }
            routes.insert(account.clone(), tx);
            tasks.insert(account, task);
        }
        let handle = EngineHandle {
            commands: cmd_tx,
            bus: bus.clone(),
            store: store.clone(),
            presence: presence.clone(),
            rules: shared_rules,
            sends: sends.clone(),
        };
        let engine = Engine {
            store,
            commands: cmd_rx,
            events: ev_rx,
            _events_tx: ev_tx,
            budget,
            bus,
            presence,
            connectors: routes,
            tasks,
            pending_caught_up: count,
            options,
            downloads: fetch::Downloads::default(),
            archive: None,
            capture: crate::ingest::Capture::default(),
            ingest: crate::ingest::Ingest::default(),
            stalled: None,
            archived: None,
            undecided: Vec::new(),
            staff: String::new(),
            rules,
            failed: None,
            sends,
            idempotent,
            settle_until: None,
            urgent: Default::default(),
            hooks_config: Default::default(),
            hooks: None,
            max_late: scheduled::DEFAULT_MAX_LATE,
        };
        (engine, handle)
    }

    /// The compliance rules every send and every inbound message passes
    /// (docs/compliance.md). Call before [`Engine::with_archive`], which records the
    /// footer version in force.
    pub fn with_compliance(mut self, compliance: crate::compliance::Compliance) -> Self {
        self.rules.set(compliance);
        self
    }

    /// What marks a customer's new message urgent (`[[urgent]]`).
    pub fn with_urgent(mut self, urgent: crate::domain::urgent::UrgentRules) -> Self {
        self.urgent = urgent;
        self
    }

    /// `[hours]` away replies, and the clock they are judged by (tests pin it).
    pub fn with_away(
        mut self,
        away: Option<crate::domain::hours::AwayReplies>,
        clock: crate::domain::Clock,
    ) -> Self {
        self.rules.set_away(away, clock);
        self
    }

    /// How overdue a scheduled message may be and still go out (`[scheduled]`).
    pub fn with_max_late(mut self, max_late_ms: i64) -> Self {
        self.max_late = max_late_ms;
        self
    }

    /// The office's commands for new customer messages (`[hooks]`).
    pub fn with_hooks(mut self, hooks: hooks::HooksConfig) -> Self {
        self.hooks_config = hooks;
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
        {
            let blobs = self.store.blobs();
            let mut store = self.store.lock();
            if let Some(r) =
                crate::ingest::catch_up::<EngineError>(&mut archive, &mut **store, blobs)?
            {
                tracing::info!(
                    records = r.records,
                    "archive records a crash left out of the store replayed"
                );
            }
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
        self.hooks = hooks::Hooks::start(&self.hooks_config);
        self.recover_sends(None);
        // What fell due while no engine ran goes out now (or is flagged, too late).
        self.send_due();
        let mut due_check = tokio::time::interval(self.options.schedule_check);
        due_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
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
                _ = due_check.tick() => self.send_due(),
                () = tokio::time::sleep(ARCHIVE_RETRY), if stalled => {
                    if let Some(steps) = self.stalled.take() {
                        self.handle_steps(steps);
                        self.store_archived();
                    }
                }
                first = self.events.recv(), if !stalled => {
                    let Some(first) = first else { break };
                    let batch = self.gather(first).await;
                    self.handle_events(batch);
                    self.pipeline().await;
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
        self.settle_until.is_some() && self.in_flight_count() == 0 && !self.rules.waiting()
    }

    fn in_flight_count(&self) -> usize {
        self.sends.lock().map(|s| s.in_flight.len()).unwrap_or(0)
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
                    self.store_archived();
                }
                _ => break,
            }
        }
        // Closing the command channels tells connectors to finish.
        self.connectors.clear();
        for (_, t) in self.tasks.drain() {
            match tokio::time::timeout(std::time::Duration::from_secs(5), t).await {
                Ok(_) => {}
                Err(_) => tracing::warn!("a connector did not stop within 5 s"),
            }
        }
        // Whatever the connectors reported before stopping is still written.
        let mut rest = Vec::new();
        while let Ok(ev) = self.events.try_recv() {
            self.taken(&ev);
            rest.push(ev);
        }
        if !rest.is_empty() {
            self.handle_events(rest);
            self.store_archived();
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

    fn set_archive_problem(&self, problem: Option<String>) {
        if self.presence.set_archive_problem(problem) {
            self.notify(Notification::Health);
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
