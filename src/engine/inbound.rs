//! The inbound path: a batch of connector events archived (R-B1), then stored in one
//! transaction, then what follows from it (compliance rules, downloads, notifications).

use super::*;
use crate::ingest::{Record, Signal, Step};
use rules::{Decision, Inbound};

/// A batch in the archive and not yet in the store: it is stored while the next one
/// is archived (`handle_steps`), or at once when nothing more is queued
/// (`store_archived`). The archive stays ahead: nothing is stored that is not
/// archived (R-B1), and the sync positions the batch carries are stored with it.
pub(super) struct Archived {
    steps: Vec<Step>,
    /// The archive's head after the batch, stored with it as the replay position.
    seq: Option<u64>,
    /// The next batch may be archived before this one is stored: it holds only what
    /// the capture's overlay of unstored messages answers for (messages, their
    /// conversations, receipts, edits, deletions, reactions). A renamed peer or an
    /// answered send changes what the next batch's capture reads from the store
    /// (a conversation's id, a notice's state), so such a batch is stored first.
    pub overlaps: bool,
}

impl Archived {
    fn of(steps: Vec<Step>, seq: Option<u64>) -> Archived {
        let overlaps = steps.iter().all(|s| match s {
            Step::Record(r) => matches!(
                r.payload,
                Payload::Message(_)
                    | Payload::Conversation(_)
                    | Payload::Receipt { .. }
                    | Payload::Edit { .. }
                    | Payload::Delete { .. }
                    | Payload::Reaction { .. }
            ),
            Step::Signal(..) => true,
        });
        Archived {
            steps,
            seq,
            overlaps,
        }
    }
}

/// The archive's head after a batch (or why it was not archived), and the store
/// commit of the batch before, if there was one.
type ArchivedBeside = (
    Result<Option<u64>, ArchiveError>,
    Option<Result<Applied, StoreError>>,
);

/// A batch turned into the store's operations, and what follows once they are written.
pub(super) struct Prepared {
    ops: Vec<Op>,
    messages: Vec<MessageId>,
    health_changed: bool,
    /// Downloads answered by this batch: the op that keeps the file, or why not.
    fetched: Vec<(
        (MessageId, usize),
        Result<crate::domain::BlobId, EngineError>,
    )>,
    /// Announced after the batch is stored: whoever hears it reads a complete store.
    caught_up: bool,
    typing_changed: bool,
    backfilled: Vec<ConversationId>,
    to_fetch: Vec<(AccountId, String, Vec<usize>)>,
    inbound: Vec<Inbound>,
}

impl Engine {
    pub(super) fn handle_events(&mut self, batch: Vec<(AccountId, ConnectorEvent)>) {
        #[cfg(debug_assertions)]
        if batch
            .iter()
            .any(|(_, e)| matches!(e, ConnectorEvent::SendResult { outcome: Ok(_), .. }))
        {
            // The network took a message; tresen dies before it knows (tests).
            crate::fault::point("before-send-result");
        }
        // The capture reads the store: a batch that renames a peer, answers a send or
        // brings a file needs the batch archived before it stored (see `Archived`).
        if self.archived.is_some()
            && batch.iter().any(|(_, e)| {
                matches!(
                    e,
                    ConnectorEvent::Renamed { .. }
                        | ConnectorEvent::SendResult { .. }
                        | ConnectorEvent::Fetched { .. }
                )
            })
        {
            self.store_archived();
        }
        let archiving = self.archive.is_some();
        let capture = &mut self.capture;
        let steps = self.store.read(|s| capture.steps(batch, s, archiving));
        self.handle_steps(steps);
    }

    /// Archives one batch of steps while the batch archived before is stored, so the
    /// two fsync'd writers run side by side (issue 20). Without an archive the batch
    /// is stored at once. A batch the archive refused is kept in `stalled` as it is,
    /// so the retry archives exactly the same records; on failure the capture forgets
    /// what it believed archived, so the retry archives it again. Sync positions do
    /// not advance before their batch is stored, so a crash meanwhile re-delivers
    /// instead of losing.
    pub(super) fn handle_steps(&mut self, steps: Vec<Step>) {
        if self.archive.is_none() {
            let prepared = self.prepare(steps, None);
            let applied = self.apply_some(&prepared.ops);
            self.after_storing(prepared, applied);
            self.decide_stored();
            return;
        }
        let earlier = self.archived.take().map(|a| {
            self.capture.stored(&a.steps);
            self.prepare(a.steps, a.seq)
        });
        let (archived, applied) = self.archive_beside(&steps, earlier.as_ref());
        if let Some(prepared) = earlier {
            self.after_storing(prepared, applied.unwrap_or_else(|| Ok(Applied::default())));
        }
        match archived {
            Ok(seq) => {
                self.set_archive_problem(None);
                self.archived = Some(Archived::of(steps, seq));
            }
            Err(e) => {
                self.capture.forget();
                tracing::error!(error = %e, steps = steps.len(), "archive write failed; holding the events and retrying");
                self.set_archive_problem(Some(e.to_string()));
                if self.options.exit_when_caught_up {
                    // `sync --once` stops and says so; nothing of the batch was stored,
                    // so the next run fetches it again.
                    self.failed = Some(e.to_string());
                    return;
                }
                self.stalled = Some(steps);
            }
        }
        if self.archived.is_none() {
            self.decide_stored();
        }
    }

    /// Stores the batch that is archived and waits for its store commit, if any, and
    /// decides what its messages call for.
    pub(super) fn store_archived(&mut self) {
        if let Some(a) = self.archived.take() {
            self.capture.stored(&a.steps);
            let prepared = self.prepare(a.steps, a.seq);
            let applied = self.apply_some(&prepared.ops);
            self.after_storing(prepared, applied);
        }
        self.decide_stored();
    }

    /// The compliance rules for the messages stored since they last ran, and the
    /// decisions that waited for a conversation's kind.
    fn decide_stored(&mut self) {
        let inbound = std::mem::take(&mut self.undecided);
        if !inbound.is_empty() {
            self.after_inbound(inbound);
        }
        self.release_parked(false);
    }

    /// A batch of nothing but signals (typing, health) writes nothing.
    fn apply_some(&self, ops: &[Op]) -> Result<Applied, StoreError> {
        if ops.is_empty() {
            return Ok(Applied::default());
        }
        self.apply(ops)
    }

    /// The archive's append of `steps` on a thread of its own, beside the store
    /// commit of `earlier` on this one. Both block (fsync): on the multi-threaded
    /// runtime the worker's other tasks move to another thread meanwhile.
    fn archive_beside(&mut self, steps: &[Step], earlier: Option<&Prepared>) -> ArchivedBeside {
        let Some(archive) = self.archive.as_mut() else {
            return (Ok(None), None);
        };
        let entries: Vec<(&crate::archive::Scope, &Payload)> = steps
            .iter()
            .filter_map(|s| match s {
                Step::Record(Record {
                    scope: Some(scope),
                    payload,
                    ..
                }) => Some((&**scope, payload)),
                _ => None,
            })
            .collect();
        let ops = earlier.map(|p| p.ops.as_slice()).filter(|o| !o.is_empty());
        let store = &self.store;
        let mut work = || match ops {
            Some(ops) if !entries.is_empty() => std::thread::scope(|scope| {
                let appending = scope.spawn(|| archive.append_all(&entries));
                let applied = store.lock().apply(ops);
                let archived = appending
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (archived, Some(applied))
            }),
            Some(ops) => {
                let applied = store.lock().apply(ops);
                (archive.append_all(&entries), Some(applied))
            }
            None => (archive.append_all(&entries), None),
        };
        let multi = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        let heavy = entries.len() + ops.map_or(0, <[Op]>::len) > 64;
        let (archived, applied) = if multi && heavy {
            tokio::task::block_in_place(work)
        } else {
            work()
        };
        (archived.map(|head| Some(head.seq)), applied)
    }

    /// The store's operations for a batch and what is to follow once they are written.
    fn prepare(&mut self, steps: Vec<Step>, archived: Option<u64>) -> Prepared {
        let mut ops = Vec::with_capacity(steps.len() + 1);
        if let Some(seq) = archived {
            ops.push(crate::ingest::position_op(seq));
        }
        let mut messages = Vec::new();
        let mut health_changed = false;
        // Downloads answered by this batch: the op that keeps the file, or why not.
        let mut fetched = Vec::new();
        // Announced after the batch is stored: whoever hears it reads a complete store.
        let mut caught_up = false;
        let mut typing_changed = false;
        let mut backfilled = Vec::new();
        let mut to_fetch = Vec::new();
        let mut inbound = Vec::new();
        let shared = self.store.clone();
        let blobs = shared.blobs();
        for step in steps {
            let (account, signal) = match step {
                Step::Record(record) => {
                    self.before_storing(&record, &mut to_fetch, &mut inbound, &mut messages);
                    let at = ops.len();
                    let result = self.ingest.ops(record.payload, blobs, &mut ops);
                    if let Some(key) = record.fetched {
                        let result = match result {
                            Ok(_) => ops[at..]
                                .iter()
                                .find_map(|op| match op {
                                    Op::SetAttachmentBlob { blob, .. } => Some(blob.clone()),
                                    _ => None,
                                })
                                .ok_or_else(no_blob_store),
                            Err(e) => Err(EngineError::Store(e)),
                        };
                        if result.is_ok() {
                            messages.push(key.0);
                        }
                        fetched.push((key, result));
                    } else if let Err(e) = result {
                        tracing::error!(error = %e, "record not stored");
                    }
                    continue;
                }
                Step::Signal(account, signal) => (account, signal),
            };
            match signal {
                Signal::Health(h) => {
                    if self.presence.set_health(account.clone(), h.clone()) {
                        // Kept for `account list` (which may run beside the daemon).
                        // "Connecting" is every start's first word, not news.
                        if h != Health::Connecting {
                            ops.push(Op::SetHealth {
                                account,
                                health: h,
                                at: Timestamp::now(),
                            });
                        }
                        health_changed = true;
                    }
                }
                Signal::Backfilled {
                    conversation_remote_id,
                } => {
                    let conv = self
                        .store
                        .read(|s| s.conversation_by_remote(&account, &conversation_remote_id));
                    if let Ok(Some(id)) = conv {
                        backfilled.push(id);
                    }
                }
                Signal::Security {
                    conversation_remote_id,
                    security,
                } => ops.push(Op::SetSecurity {
                    account: account.clone(),
                    remote_id: conversation_remote_id,
                    security,
                }),
                Signal::Typing {
                    conversation_remote_id,
                    names,
                } => {
                    let conv = self
                        .store
                        .read(|s| s.conversation_by_remote(&account, &conversation_remote_id));
                    if let Ok(Some(id)) = conv {
                        self.presence.set_typing(id, names);
                        typing_changed = true;
                    }
                }
                Signal::Checkpoint(position) => {
                    self.rules.checkpoint(&account);
                    ops.push(Op::SetSyncPosition { account, position })
                }
                Signal::KindPending {
                    conversation_remote_id,
                } => {
                    self.rules.kind_pending(account, conversation_remote_id);
                }
                Signal::Link(state) => {
                    self.presence.set_link(account, state);
                    health_changed = true;
                }
                Signal::Invite(invite) => {
                    self.presence.add_invite(account, invite);
                    health_changed = true;
                }
                Signal::FetchFailed {
                    message,
                    index,
                    error,
                } => fetched.push(((message, index), Err(EngineError::Attachment(error)))),
                Signal::CaughtUp => {
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
        // Urgent in the same transaction as the message: whoever hears of the message
        // reads it pinned (the seat's bell and desktop notification say so at once).
        for m in inbound.iter_mut().filter(|m| m.arrived) {
            m.urgent = self.urgent.matches(&m.body);
            if m.urgent {
                ops.push(Op::MarkUrgent {
                    account: m.account.clone(),
                    remote_id: m.conversation.clone(),
                    at: m.sent_at,
                });
            }
        }
        Prepared {
            ops,
            messages,
            health_changed,
            fetched,
            caught_up,
            typing_changed,
            backfilled,
            to_fetch,
            inbound,
        }
    }

    /// Publishes what a batch's commit changed and sets in motion what follows from
    /// it. A commit that failed is retried op by op: one bad event must not take the
    /// batch down with it, so everything good is kept and the bad one is logged.
    fn after_storing(&mut self, p: Prepared, applied: Result<Applied, StoreError>) {
        match applied {
            Ok(applied) => self.publish(&applied),
            Err(e) => {
                tracing::warn!(error = %e, "batch failed; applying events one by one");
                for op in &p.ops {
                    match self.apply(std::slice::from_ref(op)) {
                        Ok(a) => self.publish(&a),
                        Err(e) => {
                            tracing::error!(error = %e, ?op, "dropping event the store rejected")
                        }
                    }
                }
            }
        }
        for m in p.messages {
            self.notify(Notification::Message(m));
        }
        // Decided once no batch waits between archive and store (`decide_stored`):
        // what the rules send is archived after every batch archived so far, so it
        // must be stored after them too, or the archive's order would not be the
        // store's and a rebuild from the archive would differ from the live store
        // (a reply stored under a peer the next batch renames).
        self.undecided.extend(p.inbound);
        for (account, remote_id, missing) in p.to_fetch {
            if let Ok(Some((id, _))) = self
                .store
                .read(|s| s.message_by_remote(&account, &remote_id))
            {
                for index in missing {
                    if !self.downloads.is_waiting(&(id, index)) {
                        self.fetch(id, index, None);
                    }
                }
            }
        }
        // Answered after the batch is stored, so a waiter that reads the message sees
        // its blob.
        for (key, result) in p.fetched {
            self.answer_fetch(key, result);
        }
        if p.health_changed {
            self.notify(Notification::Health);
        }
        if p.typing_changed {
            self.notify(Notification::Typing);
        }
        for id in p.backfilled {
            self.notify(Notification::Backfilled(id));
        }
        if p.caught_up {
            self.notify(Notification::CaughtUp);
        }
    }
    /// What a record sets in motion besides the store: files to download, the
    /// compliance rules' look at a customer's message, send bookkeeping.
    fn before_storing(
        &mut self,
        record: &Record,
        to_fetch: &mut Vec<(AccountId, String, Vec<usize>)>,
        inbound: &mut Vec<Inbound>,
        messages: &mut Vec<MessageId>,
    ) {
        match &record.payload {
            Payload::Message(m) => {
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
                    to_fetch.push((m.account.clone(), m.remote_id.clone(), missing));
                }
                // An automatic reply is due for what arrives now, or arrived while
                // tresen was not running, never for history (a new account's first
                // sync, older messages fetched on request): the connector tells.
                inbound.extend(Inbound::of(m, !m.history));
            }
            Payload::SendResult {
                local_id, error, ..
            } => {
                let message = MessageId(*local_id);
                if let Some(e) = error {
                    tracing::warn!(message = local_id, error = %e, "send failed");
                }
                if let Ok(mut s) = self.sends.lock() {
                    s.in_flight.remove(&message);
                }
                messages.push(message);
            }
            _ => {}
        }
    }
}

impl Engine {
    /// Consent keywords, the first-contact notice and away replies for inbound messages
    /// just stored (urgent ones already marked), each decided after the one before it
    /// was carried out.
    /// A conversation's later messages in the same batch are not decided again (see
    /// [`rules::Rules::alike`]): a notice that failed at once is sent with the next
    /// batch's message or before staff's reply, not retried within the batch.
    pub(super) fn after_inbound(&mut self, inbound: Vec<Inbound>) {
        self.fire_hooks(&inbound);
        let mut decided = std::collections::HashSet::new();
        // Automatic messages decided and not yet sent: sent together (one store write
        // and one archive append for all, not three writes each), before any consent
        // is recorded and before another message of their conversation is decided, so
        // every decision still sees what the ones before it did.
        let mut automatic = Vec::new();
        let mut waiting = std::collections::HashSet::new();
        for m in inbound {
            if let Some(key) = self.rules.alike(&m)
                && !decided.insert(key)
            {
                continue;
            }
            let conversation = (m.account.clone(), m.conversation.clone());
            if waiting.contains(&conversation) {
                self.send_automatic(std::mem::take(&mut automatic));
                waiting.clear();
            }
            match self.rules.decide(&self.store, &m, true) {
                Ok(Some(Decision::Automatic {
                    conversation: id,
                    message,
                })) => {
                    automatic.push((id, message));
                    waiting.insert(conversation);
                }
                Ok(Some(decision)) => {
                    self.send_automatic(std::mem::take(&mut automatic));
                    waiting.clear();
                    if let Err(e) = self.carry_out(decision) {
                        tracing::warn!(account = %m.account, error = %e, "compliance step after an inbound message failed");
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(account = %m.account, error = %e, "compliance step after an inbound message failed")
                }
            }
        }
        self.send_automatic(automatic);
    }

    /// Hands each customer message that arrived now to the office's hooks.
    fn fire_hooks(&self, inbound: &[Inbound]) {
        let Some(hooks) = &self.hooks else { return };
        for m in inbound.iter().filter(|m| m.arrived) {
            let found =
                self.store.read(
                    |s| match s.conversation_by_remote(&m.account, &m.conversation) {
                        Ok(Some(id)) => s.conversation(id),
                        Ok(None) => Ok(None),
                        Err(e) => Err(e),
                    },
                );
            let Ok(Some(c)) = found else {
                continue;
            };
            let contact = c.contact.as_ref();
            hooks.fire(super::hooks::Event {
                conversation: c.id.0,
                network: c.channel.as_str().to_string(),
                contact_name: contact.map_or(c.title.clone(), |k| k.display_name.clone()),
                contact_address: contact
                    .map(|k| k.phone.clone().unwrap_or_else(|| k.identity.clone()))
                    .unwrap_or_default(),
                urgent: m.urgent,
                preview: super::hooks::Event::preview(&m.body),
            });
        }
    }

    /// Decides what waited for a conversation's kind: those whose connector has synced
    /// since (or all, when the engine stops), with the kind the store holds now.
    pub(super) fn release_parked(&mut self, all: bool) {
        for m in self.rules.due(all) {
            self.apply_rules(&m, false);
        }
    }

    fn apply_rules(&mut self, m: &Inbound, may_park: bool) {
        let done = match self.rules.decide(&self.store, m, may_park) {
            Ok(Some(decision)) => self.carry_out(decision),
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = done {
            tracing::warn!(account = %m.account, error = %e, "compliance step after an inbound message failed");
        }
    }

    /// What the rules decided: a consent recorded (archive first), a notice or an away
    /// reply sent.
    fn carry_out(&mut self, decision: Decision) -> Result<(), EngineError> {
        match decision {
            Decision::Consent {
                conversation,
                record,
            } => {
                rules::record_consent(self.archive.as_mut(), &self.store, record)?;
                self.notify(Notification::Conversation(conversation));
            }
            Decision::Automatic {
                conversation,
                message,
            } => {
                self.send_as(conversation, message, &SendOptions::default())?;
            }
        }
        Ok(())
    }
}
