//! The write path: a batch of ops on one transaction.

use std::collections::BTreeSet;

use rusqlite::{OptionalExtension, Transaction, params};

use super::*;

/// The write path, on an open transaction.
pub(super) struct Writer<'a> {
    pub(super) tx: Transaction<'a>,
    pub(super) applied: Applied,
    /// Conversation ids looked up in this batch: account → remote id → id.
    pub(super) ids: std::collections::HashMap<String, std::collections::HashMap<String, i64>>,
    pub(super) deltas: std::collections::HashMap<i64, super::messages::ConversationDelta>,
}

/// A conversation's row as far as a connector's upsert sets it.
#[derive(PartialEq)]
struct UpsertRow {
    kind: String,
    channel: String,
    title: String,
    identity: Option<String>,
    name: Option<String>,
    security: String,
    phone: Option<String>,
}

impl UpsertRow {
    /// What the row becomes after `c`, given what it holds (`ConversationUpsert::completed`).
    pub(super) fn wanted(
        c: &crate::domain::ConversationUpsert,
        have: Option<&UpsertRow>,
    ) -> UpsertRow {
        let known_contact = have.and_then(|h| {
            Some(Contact {
                identity: h.identity.clone()?,
                display_name: h.name.clone().unwrap_or_default(),
                phone: h.phone.clone(),
            })
        });
        let c = c.completed(have.map(|h| (h.title.as_str(), known_contact.as_ref())));
        UpsertRow {
            kind: match c.kind {
                ConversationKind::Direct => "direct",
                ConversationKind::Group => "group",
            }
            .to_string(),
            channel: c.channel.as_str().to_string(),
            title: c.title,
            identity: c.contact.as_ref().map(|ct| ct.identity.clone()),
            name: c.contact.as_ref().map(|ct| ct.display_name.clone()),
            security: c.security.as_str().to_string(),
            phone: c.contact.and_then(|ct| ct.phone),
        }
    }
}

impl Writer<'_> {
    pub(super) fn conversation_id(
        &mut self,
        account: &str,
        remote_id: &str,
    ) -> rusqlite::Result<Option<i64>> {
        if let Some(id) = self.ids.get(account).and_then(|m| m.get(remote_id)) {
            return Ok(Some(*id));
        }
        let id: Option<i64> = self
            .tx
            .prepare_cached("SELECT id FROM conversations WHERE account = ?1 AND remote_id = ?2")?
            .query_row(params![account, remote_id], |r| r.get(0))
            .optional()?;
        if let Some(id) = id {
            self.ids
                .entry(account.to_string())
                .or_default()
                .insert(remote_id.to_string(), id);
        }
        Ok(id)
    }

    pub(super) fn upsert_conversation(
        &mut self,
        c: &crate::domain::ConversationUpsert,
    ) -> Result<i64> {
        // Connectors announce a conversation with each message (Signal always does). An
        // unchanged one is not written: a write that may touch several rows opens a
        // statement savepoint, and every savepoint flushes the FTS5 index (half the
        // ingest time with one upsert per message).
        let existing = self
            .tx
            .prepare_cached(
                "SELECT id, kind, channel, title, contact_identity, contact_name, security, \
                 contact_phone FROM conversations WHERE account = ?1 AND remote_id = ?2",
            )?
            .query_row(params![c.account.0, c.remote_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    UpsertRow {
                        kind: r.get(1)?,
                        channel: r.get(2)?,
                        title: r.get(3)?,
                        identity: r.get(4)?,
                        name: r.get(5)?,
                        security: r.get(6)?,
                        phone: r.get(7)?,
                    },
                ))
            })
            .optional()?;
        let have = existing.as_ref().map(|(_, h)| h);
        let wanted = UpsertRow::wanted(c, have);
        let id = match existing {
            Some((id, have)) if have == wanted => id,
            Some((id, _)) => {
                self.tx
                    .prepare_cached(
                        "UPDATE conversations SET kind = ?2, channel = ?3, title = ?4, \
                         contact_identity = ?5, contact_name = ?6, security = ?7, \
                         contact_phone = ?8 WHERE id = ?1",
                    )?
                    .execute(params![
                        id,
                        wanted.kind,
                        wanted.channel,
                        wanted.title,
                        wanted.identity,
                        wanted.name,
                        wanted.security,
                        wanted.phone
                    ])?;
                id
            }
            None => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO conversations (account, remote_id, kind, channel, title, \
                         contact_identity, contact_name, security, contact_phone) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    )?
                    .execute(params![
                        c.account.0,
                        c.remote_id,
                        wanted.kind,
                        wanted.channel,
                        wanted.title,
                        wanted.identity,
                        wanted.name,
                        wanted.security,
                        wanted.phone
                    ])?;
                self.tx.last_insert_rowid()
            }
        };
        self.applied.conversations.insert(ConversationId(id));
        Ok(id)
    }

    /// A message for a conversation the connector never announced still must not be
    /// lost: it gets a placeholder conversation that a later upsert completes.
    pub(super) fn conversation_for(&mut self, account: &str, remote_id: &str) -> Result<i64> {
        if let Some(id) = self.conversation_id(account, remote_id)? {
            return Ok(id);
        }
        self.upsert_conversation(&crate::domain::ConversationUpsert {
            account: AccountId(account.to_string()),
            remote_id: remote_id.to_string(),
            kind: ConversationKind::Direct,
            channel: Channel::Other,
            title: remote_id.to_string(),
            contact: None,
            security: Security::Unknown,
        })
    }

    /// The account of a conversation; an unknown conversation is an error.
    pub(super) fn conversation_account(&self, conversation: ConversationId) -> Result<String> {
        self.tx
            .prepare_cached("SELECT account FROM conversations WHERE id = ?1")?
            .query_row([conversation.0], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NoConversation(conversation.to_string()))
    }

    pub(super) fn index_body(&mut self, id: i64, body: &str) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO messages_fts (rowid, body) VALUES (?1, ?2)")?
            .execute(params![id, body])?;
        Ok(())
    }

    pub(super) fn touch_by_remote(
        &mut self,
        account: &str,
        remote_id: &str,
    ) -> Result<Option<i64>> {
        let conv: Option<i64> = self
            .tx
            .prepare_cached(
                "SELECT conversation FROM messages WHERE account = ?1 AND remote_id = ?2",
            )?
            .query_row(params![account, remote_id], |r| r.get(0))
            .optional()?;
        if let Some(c) = conv {
            self.applied.conversations.insert(ConversationId(c));
        }
        Ok(conv)
    }

    pub(super) fn set_delivery_where(
        &mut self,
        sql_where: &str,
        p: &[&dyn rusqlite::ToSql],
        next: Delivery,
    ) -> Result<()> {
        let current: Option<(i64, i64, String)> = self
            .tx
            .prepare_cached(&format!(
                "SELECT id, conversation, delivery FROM messages WHERE {sql_where}"
            ))?
            .query_row(p, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        if let Some((id, conv, cur)) = current {
            let cur = Delivery::parse(&cur).unwrap_or(Delivery::Pending);
            let new = cur.advance(next);
            if new != cur {
                self.tx
                    .prepare_cached("UPDATE messages SET delivery = ?2 WHERE id = ?1")?
                    .execute(params![id, new.as_str()])?;
                self.applied.conversations.insert(ConversationId(conv));
            }
        }
        Ok(())
    }

    pub(super) fn apply(&mut self, op: &Op) -> Result<()> {
        if !matches!(op, Op::Incoming(_)) {
            self.flush_deltas()?;
        }
        match op {
            Op::UpsertConversation(c) => {
                self.upsert_conversation(c)?;
            }
            Op::Incoming(m) => self.incoming(m)?,
            Op::QueueOutgoing {
                conversation,
                sender,
                body,
                attachments,
                at,
                automatic,
                meta,
            } => {
                let id = self.local_message(LocalMessage {
                    conversation: *conversation,
                    kind: MessageKind::Chat,
                    sender,
                    body,
                    attachments,
                    at: *at,
                    delivery: Delivery::Pending,
                    quiet: *automatic,
                    meta: Some(meta),
                })?;
                // Answering moves the ball to the customer; tresen's own notice does not.
                // A snooze or follow-up date that has passed is open as far as anyone can
                // see: answering it is waiting again, without the old date.
                if !automatic {
                    self.tx.execute(
                        "UPDATE conversations SET unread = 0, marked_unread = 0, \
                         state = CASE WHEN state = 'open' OR (state = 'snoozed' AND snoozed_until <= ?2) \
                         THEN 'waiting' ELSE state END, \
                         snoozed_until = CASE WHEN state IN ('snoozed', 'waiting') AND snoozed_until <= ?2 \
                         THEN NULL ELSE snoozed_until END WHERE id = ?1",
                        params![conversation.0, at.0],
                    )?;
                }
                self.applied.queued.push(id);
            }
            Op::SendResult {
                message,
                outcome,
                at,
            } => match outcome {
                Ok(remote_id) => self.sent(*message, remote_id, *at)?,
                Err(reason) => {
                    self.set_delivery_where("id = ?1", &[&message.0], Delivery::Failed)?;
                    self.tx
                        .prepare_cached(
                            "UPDATE messages SET failure = ?2 WHERE id = ?1 AND delivery = 'failed'",
                        )?
                        .execute(params![message.0, reason])?;
                }
            },
            Op::SendAttempt { message } => {
                self.tx
                    .prepare_cached("UPDATE messages SET attempted = attempted + 1 WHERE id = ?1")?
                    .execute([message.0])?;
            }
            Op::SendUnclear { message, reason } => {
                self.set_delivery_where("id = ?1", &[&message.0], Delivery::Unclear)?;
                self.tx
                    .prepare_cached(
                        "UPDATE messages SET failure = ?2 WHERE id = ?1 AND delivery = 'unclear'",
                    )?
                    .execute(params![message.0, reason])?;
            }
            Op::RenamePeer { account, from, to } => self.rename_peer(account, from, to)?,
            Op::Receipt {
                account,
                remote_id,
                delivery,
            } => {
                self.set_delivery_where(
                    "account = ?1 AND remote_id = ?2",
                    &[&account.0, remote_id],
                    *delivery,
                )?;
            }
            Op::RemoteEdit {
                account,
                remote_id,
                body,
                at,
            } => {
                if self.touch_by_remote(&account.0, remote_id)?.is_some() {
                    self.tx
                        .prepare_cached(
                            "UPDATE messages SET edit_body = ?3, edit_at = ?4 \
                             WHERE account = ?1 AND remote_id = ?2",
                        )?
                        .execute(params![account.0, remote_id, body, at.0])?;
                }
            }
            Op::RemoteDelete {
                account,
                remote_id,
                at,
            } => {
                let conv: Option<i64> = self
                    .tx
                    .prepare_cached(
                        "SELECT m.conversation FROM reactions r JOIN messages m \
                         ON m.account = r.account AND m.remote_id = r.target \
                         WHERE r.account = ?1 AND r.remote_id = ?2",
                    )?
                    .query_row(params![account.0, remote_id], |r| r.get(0))
                    .optional()?;
                if let Some(c) = conv {
                    // A withdrawn reaction is just gone: it is no message of its own.
                    self.tx
                        .prepare_cached(
                            "DELETE FROM reactions WHERE account = ?1 AND remote_id = ?2",
                        )?
                        .execute(params![account.0, remote_id])?;
                    self.applied.conversations.insert(ConversationId(c));
                }
                if self.touch_by_remote(&account.0, remote_id)?.is_some() {
                    self.tx
                        .prepare_cached(
                            "UPDATE messages SET deleted_at = coalesce(deleted_at, ?3) \
                             WHERE account = ?1 AND remote_id = ?2",
                        )?
                        .execute(params![account.0, remote_id, at.0])?;
                }
            }
            Op::MarkUrgent {
                account,
                remote_id,
                at,
            } => {
                if let Some(id) = self.conversation_id(&account.0, remote_id)? {
                    let n = self
                        .tx
                        .prepare_cached(
                            "UPDATE conversations SET urgent = 1 WHERE id = ?1 AND urgent = 0 \
                             AND NOT EXISTS (SELECT 1 FROM messages WHERE conversation = ?1 \
                             AND direction = 'outbound' AND kind = 'chat' AND sent_at > ?2 \
                             AND sender <> ?3)",
                        )?
                        // tresen's own away reply answers nothing.
                        .execute(params![id, at.0, crate::domain::AUTOMATIC])?;
                    if n > 0 {
                        self.applied.conversations.insert(ConversationId(id));
                    }
                }
            }
            Op::SetSecurity {
                account,
                remote_id,
                security,
            } => {
                if let Some(id) = self.conversation_id(&account.0, remote_id)? {
                    let n = self
                        .tx
                        .prepare_cached(
                            "UPDATE conversations SET security = ?2 WHERE id = ?1 AND security <> ?2",
                        )?
                        .execute(params![id, security.as_str()])?;
                    if n > 0 {
                        self.applied.conversations.insert(ConversationId(id));
                    }
                }
            }
            Op::SetHealth {
                account,
                health,
                at,
            } => {
                let json = serde_json::to_string(health)
                    .unwrap_or_else(|_| r#"{"state":"online"}"#.to_string());
                self.tx
                    .prepare_cached(
                        "INSERT INTO account_health (account, health, since) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (account) DO UPDATE SET health = excluded.health, \
                         since = excluded.since",
                    )?
                    .execute(params![account.0, json, at.0])?;
            }
            Op::Reaction {
                account,
                remote_id,
                target,
                key,
                sender,
                outbound,
                at,
            } => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO reactions (account, remote_id, target, key, sender, outbound, at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
                    )?
                    .execute(params![account.0, remote_id, target, key, sender, outbound, at.0])?;
                self.touch_by_remote(&account.0, target)?;
            }
            Op::SetAttachmentBlob {
                message,
                index,
                blob,
            } => {
                let message = self.resolve(message)?;
                let message = &message;
                let row: Option<(i64, Option<String>)> = self
                    .tx
                    .prepare_cached("SELECT conversation, attachments FROM messages WHERE id = ?1")?
                    .query_row(params![message.0], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                let missing = || StoreError::NoAttachment {
                    message: message.0,
                    index: *index,
                };
                let Some((conversation, json)) = row else {
                    return Err(StoreError::NoMessage(message.0));
                };
                let mut list: Vec<Attachment> = json
                    .and_then(|j| serde_json::from_str(&j).ok())
                    .unwrap_or_default();
                let a = list.get_mut(*index).ok_or_else(missing)?;
                a.blob = Some(blob.clone());
                self.tx
                    .prepare_cached("UPDATE messages SET attachments = ?2 WHERE id = ?1")?
                    .execute(params![message.0, attachments_json(&list)])?;
                self.applied
                    .conversations
                    .insert(ConversationId(conversation));
            }
            Op::AddNote {
                conversation,
                author,
                body,
                at,
            } => {
                self.local_message(LocalMessage {
                    conversation: *conversation,
                    kind: MessageKind::Note,
                    sender: author,
                    body,
                    attachments: &[],
                    at: *at,
                    delivery: Delivery::Read,
                    quiet: false,
                    meta: None,
                })?;
            }
            Op::Schedule {
                id,
                account,
                remote_id,
                sender,
                body,
                due,
                at,
            } => {
                let conv = self.conversation_for(&account.0, remote_id)?;
                // The same record replayed changes nothing.
                self.tx
                    .prepare_cached(
                        "INSERT INTO scheduled (id, conversation, sender, body, due, created) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
                    )?
                    .execute(params![id, conv, sender, body, due.0, at.0])?;
                self.applied.conversations.insert(ConversationId(conv));
            }
            Op::EndScheduled { id, state } => {
                let (reason, message) = match state {
                    crate::domain::scheduled::ScheduledState::Refused { reason } => {
                        (Some(reason.as_str()), None)
                    }
                    crate::domain::scheduled::ScheduledState::Sent { message, .. } => {
                        (None, Some(message.0))
                    }
                    _ => (None, None),
                };
                let conv: Option<i64> = self
                    .tx
                    .prepare_cached(
                        "UPDATE scheduled SET state = ?2, reason = ?3, message = ?4 \
                         WHERE id = ?1 AND state = 'waiting' RETURNING conversation",
                    )?
                    .query_row(params![id, state.name(), reason, message], |r| r.get(0))
                    .optional()?;
                if let Some(conv) = conv {
                    self.applied.conversations.insert(ConversationId(conv));
                }
            }
            Op::SetState {
                conversation,
                state,
            } => {
                let (s, until) = state_to_columns(*state);
                // Done settles an urgent conversation as a reply does.
                self.update_conversation(
                    "UPDATE conversations SET state = ?2, snoozed_until = ?3, \
                     urgent = CASE WHEN ?2 = 'done' THEN 0 ELSE urgent END WHERE id = ?1",
                    params![conversation.0, s, until],
                    *conversation,
                )?;
            }
            Op::SetLabels {
                conversation,
                labels,
            } => {
                let labels: BTreeSet<&String> = labels.iter().collect();
                let json = serde_json::to_string(&labels).unwrap_or_else(|_| "[]".into());
                self.update_conversation(
                    "UPDATE conversations SET labels = ?2 WHERE id = ?1",
                    params![conversation.0, json],
                    *conversation,
                )?;
            }
            Op::MarkRead { conversation } => self.update_conversation(
                "UPDATE conversations SET unread = 0, marked_unread = 0 WHERE id = ?1",
                params![conversation.0],
                *conversation,
            )?,
            Op::MarkUnread { conversation } => self.update_conversation(
                "UPDATE conversations SET marked_unread = 1 WHERE id = ?1",
                params![conversation.0],
                *conversation,
            )?,
            Op::MarkSensitive { message, mark } => self.mark_sensitive(*message, *mark)?,
            Op::SetDraft { conversation, body } => {
                self.conversation_account(*conversation)?;
                self.applied.conversations.insert(*conversation);
                if body.trim().is_empty() {
                    self.tx
                        .prepare_cached("DELETE FROM drafts WHERE conversation = ?1")?
                        .execute([conversation.0])?;
                } else {
                    self.tx
                        .prepare_cached(
                            "INSERT INTO drafts (conversation, body) VALUES (?1, ?2) \
                             ON CONFLICT (conversation) DO UPDATE SET body = excluded.body",
                        )?
                        .execute(params![conversation.0, body])?;
                }
            }
            Op::Purge {
                account,
                remote_id,
                from,
                to,
            } => self.purge(account, remote_id, *from, *to)?,
            Op::SetSyncPosition { account, position } => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO sync_positions (account, position) VALUES (?1, ?2) \
                         ON CONFLICT (account) DO UPDATE SET position = excluded.position",
                    )?
                    .execute(params![account.0, position])?;
            }
            Op::Assign {
                conversation,
                staff,
            } => {
                let n = self.tx.execute(
                    "UPDATE conversations SET assigned = ?2 WHERE id = ?1",
                    params![conversation.0, staff],
                )?;
                if n == 0 {
                    return Err(StoreError::NoConversation(conversation.to_string()));
                }
                self.applied.conversations.insert(*conversation);
            }
            Op::Ledger(entry) => self.ledger(entry)?,
            Op::CorrectContact(c) => self.correct_contact(c)?,
        }
        Ok(())
    }

    pub(super) fn message_conversation(&self, id: MessageId) -> rusqlite::Result<Option<i64>> {
        self.tx
            .prepare_cached("SELECT conversation FROM messages WHERE id = ?1")?
            .query_row([id.0], |r| r.get(0))
            .optional()
    }

    pub(super) fn update_conversation(
        &mut self,
        sql: &str,
        p: impl rusqlite::Params,
        id: ConversationId,
    ) -> Result<()> {
        if self.tx.prepare_cached(sql)?.execute(p)? == 0 {
            return Err(StoreError::NoConversation(id.to_string()));
        }
        self.applied.conversations.insert(id);
        Ok(())
    }
}

impl Store for SqliteStore {
    fn apply(&mut self, ops: &[Op]) -> Result<Applied> {
        let tx = self.conn.transaction()?;
        let mut w = Writer {
            tx,
            applied: Applied::default(),
            ids: Default::default(),
            deltas: Default::default(),
        };
        for op in ops {
            w.apply(op)?;
        }
        w.flush_deltas()?;
        let Writer { tx, applied, .. } = w;
        tx.commit()?;
        Ok(applied)
    }
}
