//! The inbound path: a batch of connector events archived (R-B1), then stored in one
//! transaction, then what follows from it (compliance rules, downloads, notifications).

use super::*;
use crate::ingest::{Record, Signal, Step};
use rules::{Decision, Inbound};

impl Engine {
    /// Archives the records of the batch (durably) before anything of it is stored. On
    /// failure nothing is stored and the caller keeps the batch for a retry: sync
    /// positions do not advance, so a crash meanwhile re-delivers instead of losing.
    pub(super) fn archive_steps(&mut self, steps: &[Step]) -> Result<Option<u64>, ArchiveError> {
        let Some(archive) = self.archive.as_mut() else {
            return Ok(None);
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
        let multi = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        let result = if multi && entries.len() > 64 {
            tokio::task::block_in_place(|| archive.append_all(&entries))
        } else {
            archive.append_all(&entries)
        };
        match result {
            Ok(head) => Ok(Some(head.seq)),
            Err(e) => {
                // The capture believes these conversations are archived; they are not.
                // Forgetting that makes the retry archive them again.
                self.capture.forget();
                Err(e)
            }
        }
    }

    pub(super) fn handle_events(&mut self, batch: Vec<(AccountId, ConnectorEvent)>) {
        #[cfg(debug_assertions)]
        if batch
            .iter()
            .any(|(_, e)| matches!(e, ConnectorEvent::SendResult { outcome: Ok(_), .. }))
        {
            // The network took a message; tresen dies before it knows (tests).
            crate::fault::point("before-send-result");
        }
        let archiving = self.archive.is_some();
        let capture = &mut self.capture;
        let steps = self.store.read(|s| capture.steps(batch, s, archiving));
        self.handle_steps(steps);
    }

    /// Archives and stores one batch of steps. A batch the archive refused is kept in
    /// `stalled` as it is, so the retry archives exactly the same records.
    pub(super) fn handle_steps(&mut self, steps: Vec<Step>) {
        let archived = match self.archive_steps(&steps) {
            Ok(seq) => seq,
            Err(e) => {
                tracing::error!(error = %e, steps = steps.len(), "archive write failed; holding the events and retrying");
                self.set_archive_problem(Some(e.to_string()));
                if self.options.exit_when_caught_up {
                    // `sync --once` stops and says so; nothing of the batch was stored,
                    // so the next run fetches it again.
                    self.failed = Some(e.to_string());
                    return;
                }
                self.stalled = Some(steps);
                return;
            }
        };
        self.set_archive_problem(None);
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
                    if !self.downloads.is_waiting(&(id, index)) {
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
    pub(super) fn after_inbound(&mut self, inbound: Vec<Inbound>) {
        self.fire_hooks(&inbound);
        for m in inbound {
            self.apply_rules(&m, true);
        }
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
