//! What the UI and the command line ask of the engine: sends, triage, reads, invites,
//! linking, history, reactions, typing and downloads.

use super::*;

impl Engine {
    pub(super) fn handle_command(&mut self, cmd: EngineCommand) {
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
            EngineCommand::Local(change) => {
                // A label can change a conversation's retention class: archived first,
                // with who changed it (R-B2, R-B5).
                if let crate::domain::LocalChange::SetLabels {
                    conversation,
                    labels,
                    by,
                } = &change
                    && let Err(e) = self.archive_labels(*conversation, labels, by)
                {
                    tracing::warn!(error = %e, "label change not archived, so not made");
                    self.set_archive_problem(Some(e.to_string()));
                    return;
                }
                match self.apply(&[Op::from(change)]) {
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
            EngineCommand::Link {
                account,
                device_name,
            } => match self.connectors.get(&account) {
                Some(tx) => {
                    let device_name =
                        device_name.unwrap_or_else(|| format!("tresen ({})", hostname()));
                    let _ = tx.try_send(ConnectorCommand::Link { device_name });
                }
                None => tracing::warn!(%account, "link asked for an account that is not running"),
            },
            EngineCommand::Schedule {
                conversation,
                body,
                sender,
                due,
                reply,
            } => {
                let result = self.schedule(conversation, body, sender, due);
                if let Err(e) = &result {
                    tracing::warn!(error = %e, "scheduled send refused");
                }
                if let Some(reply) = reply {
                    let _ = reply.send(result);
                }
            }
            EngineCommand::CancelScheduled { id, by, reply } => {
                let result = self.cancel_scheduled(&id, &by);
                if let Some(reply) = reply {
                    let _ = reply.send(result);
                }
            }
            EngineCommand::Setup {
                account,
                ask,
                reply,
            } => {
                use crate::connector::setup::SetupError;
                let why = match self.connectors.get(&account) {
                    Some(tx) => match tx.try_send(ConnectorCommand::Setup {
                        ask,
                        reply: reply.clone(),
                    }) {
                        Ok(()) => return,
                        Err(_) => "the account's connection is busy; try again in a moment",
                    },
                    None => "the account is not running in this engine",
                };
                reply.send(Err(SetupError::Failed(why.into())));
            }
            EngineCommand::AcceptInvite { account, remote_id } => {
                self.presence.remove_invite(&account, &remote_id);
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
                network,
                seat,
            } => {
                if self.presence.set_composing(conversation, seat, typing) {
                    self.notify(Notification::Typing);
                }
                if !network {
                    return;
                }
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
            EngineCommand::Consent {
                conversation,
                action,
                purposes,
                method,
                evidence,
                staff,
                reply,
            } => {
                let result = self
                    .store
                    .read(|s| s.conversation(conversation))
                    .map_err(EngineError::from)
                    .and_then(|c| {
                        c.ok_or_else(|| {
                            EngineError::Declined(format!("no conversation {}", conversation.0))
                        })
                    })
                    .and_then(|conv| {
                        let record = self
                            .rules
                            .staff_consent(&conv, action, purposes, method, evidence, staff);
                        rules::record_consent(self.archive.as_mut(), &self.store, record.clone())?;
                        self.notify(Notification::Conversation(conversation));
                        Ok(record)
                    });
                if let Err(e) = &result {
                    tracing::warn!(error = %e, "consent not recorded");
                }
                if let Some(reply) = reply {
                    let _ = reply.send(result);
                }
            }
            EngineCommand::CorrectContact {
                conversation,
                name,
                reason,
                by,
                reply,
            } => {
                let result = self.correct_contact(conversation, &name, &reason, &by);
                if let Err(e) = &result {
                    tracing::warn!(error = %e, "contact correction not made");
                }
                if let Some(reply) = reply {
                    let _ = reply.send(result);
                }
            }
            EngineCommand::WithArchive(job) => {
                if (job.0)(self.archive.as_mut(), &self.store) {
                    self.capture.forget();
                    self.notify(Notification::Inbox);
                }
            }
            EngineCommand::Connector(change) => self.change_connector(change),
            EngineCommand::Barrier(done) => {
                let _ = done.send(());
            }
            EngineCommand::Shutdown => {}
        }
    }

    fn change_connector(&mut self, change: super::ConnectorChange) {
        match change {
            super::ConnectorChange::Stop { account, stopped } => {
                // A closed command channel is how a connector is told to finish.
                self.connectors.remove(&account);
                let task = self.tasks.remove(&account);
                tokio::spawn(async move {
                    if let Some(task) = task
                        && tokio::time::timeout(std::time::Duration::from_secs(10), task)
                            .await
                            .is_err()
                    {
                        tracing::warn!(%account, "a connector did not stop within 10 s");
                    }
                    let _ = stopped.send(());
                });
            }
            super::ConnectorChange::Start(connector) => {
                let unsent = self.store.read(|s| s.unsent()).unwrap_or_default();
                let (account, tx, task, idempotent) = super::spawn_connector(
                    connector,
                    &self.store,
                    &self._events_tx,
                    &self.budget,
                    &self.presence,
                    &unsent,
                );
                if let Some(old) = self.tasks.insert(account.clone(), task) {
                    old.abort();
                }
                if idempotent {
                    self.idempotent.insert(account.clone());
                } else {
                    self.idempotent.remove(&account);
                }
                self.connectors.insert(account.clone(), tx);
                self.recover_sends(Some(&account));
                self.notify(Notification::Health);
            }
        }
    }

    /// Reactions are not stored as pending: the network's echo stores them, so what the
    /// inbox shows is what the customer sees.
    pub(super) fn react(&mut self, message: MessageId, key: String) -> Result<(), EngineError> {
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
            .ok_or_else(|| EngineError::Declined("this message is not on the network".into()))?;
        let tx = self.connectors.get(&conv.account).ok_or_else(|| {
            EngineError::Declined("no connector is running for this account".into())
        })?;
        tx.try_send(ConnectorCommand::React {
            conversation_remote_id: conv.remote_id,
            target,
            key,
        })
        .map_err(|_| EngineError::Declined("the connector is busy; try again".into()))
    }
}
