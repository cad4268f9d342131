//! What the UI, the command line and the daemon hold of a running engine: a queue for
//! commands, the notification bus, read access to the store and to what is only in the
//! engine's memory.

use super::*;

/// Cheap, cloneable access to a running engine.
#[derive(Clone)]
pub struct EngineHandle {
    pub(super) commands: mpsc::Sender<EngineCommand>,
    pub(super) bus: broadcast::Sender<Notification>,
    pub(super) store: SharedStore,
    pub(super) presence: presence::Presence,
    pub(super) rules: rules::SharedRules,
    pub(super) sends: Sends,
}

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

    /// Keeps `body` to go out at `due`; answers with the scheduled message's id.
    pub async fn schedule(
        &self,
        conversation: ConversationId,
        body: String,
        sender: String,
        due: crate::domain::Timestamp,
    ) -> Result<String, EngineError> {
        let (tx, rx) = oneshot::channel();
        self.command(EngineCommand::Schedule {
            conversation,
            body,
            sender,
            due,
            reply: Some(tx),
        })
        .await?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// Withdraws a scheduled message that has not gone out.
    pub async fn cancel_scheduled(&self, id: String, by: String) -> Result<(), EngineError> {
        let (tx, rx) = oneshot::channel();
        self.command(EngineCommand::CancelScheduled {
            id,
            by,
            reply: Some(tx),
        })
        .await?;
        rx.await.map_err(|_| EngineError::Stopped)?
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
        self.presence.invites()
    }

    /// Accounts not set up at their network, and how linking them goes.
    pub fn links(&self) -> BTreeMap<AccountId, LinkState> {
        self.presence.links()
    }

    /// Who is typing where, as the networks last said. Kept in memory only.
    pub fn typing(&self) -> BTreeMap<ConversationId, Vec<String>> {
        self.presence.typing()
    }

    /// Why the archive cannot be written right now. While it cannot, nothing new is
    /// stored, acknowledged or sent; the engine retries.
    pub fn archive_problem(&self) -> Option<String> {
        self.presence.archive_problem()
    }

    /// Conversations another seat than `seat` is writing a reply in.
    pub fn answering(&self, seat: u64) -> Vec<ConversationId> {
        self.presence.answering(seat)
    }

    /// A seat went away: it writes nowhere any more.
    pub fn forget_seat(&self, seat: u64) {
        if self.presence.forget_seat(seat) {
            let _ = self.bus.send(Notification::Typing);
        }
    }

    pub fn health(&self) -> BTreeMap<AccountId, Health> {
        self.presence.health()
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
        options: &super::SendOptions,
    ) -> Result<Option<crate::compliance::Outlook>, StoreError> {
        let rules = self
            .rules
            .read()
            .map(|r| Arc::clone(&r))
            .unwrap_or_else(|p| Arc::clone(&p.into_inner()));
        let Some(conv) = store.conversation(conversation)? else {
            return Ok(None);
        };
        rules::outlook(store, &rules, &conv, options, Timestamp::now()).map(Some)
    }

    pub async fn shutdown(&self) {
        let _ = self.commands.send(EngineCommand::Shutdown).await;
    }
}
