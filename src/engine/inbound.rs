//! The inbound path: a batch of connector events archived (R-B1), then stored in one
//! transaction, then what follows from it (compliance rules, downloads, notifications).

use super::*;

impl Engine {
    /// Archives the batch (durably) before anything of it is stored. On failure the
    /// batch is kept for a retry and nothing is stored: sync positions do not advance,
    /// so a crash meanwhile re-delivers instead of losing.
    pub(super) fn archive_batch(
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

    pub(super) fn handle_events(&mut self, batch: Vec<(AccountId, ConnectorEvent)>) {
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
}
