//! New messages and what they change on their conversation: from the network (summed
//! per batch, written once per conversation), from the office, and a placeholder that
//! becomes the message once it could be decrypted.

use rusqlite::{OptionalExtension, params};

use super::write::Writer;
use super::*;
use crate::domain::triage::{NewMessage, preview};

/// Per-batch sum of what incoming messages change on their conversation.
#[derive(Default)]
pub(super) struct ConversationDelta {
    unread: i64,
    reopen: bool,
    /// The office answered in this batch (an urgent conversation is settled).
    settle: bool,
    /// (sent_at, preview) of the newest message.
    newest: Option<(i64, String)>,
    /// The oldest customer message and the newest answer of the office in this batch:
    /// how long the customer has been waiting for us.
    oldest_customer: Option<i64>,
    newest_reply: Option<i64>,
}

impl Writer<'_> {
    pub(super) fn incoming(&mut self, m: &IncomingMessage) -> Result<()> {
        let conv = self.conversation_for(&m.account.0, &m.conversation_remote_id)?;
        let delivery = match m.direction {
            Direction::Inbound => Delivery::Read,
            Direction::Outbound => Delivery::Sent,
        };
        // No RETURNING here: it opens a statement savepoint, and FTS5 flushes its pending
        // index on every savepoint, which made ingest four times slower.
        let changed = self
            .tx
            .prepare_cached(
                "INSERT INTO messages (conversation, account, remote_id, kind, direction, sender, \
                 body, attachments, sent_at, received_at, delivery, elsewhere) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
                 ON CONFLICT (account, remote_id) WHERE remote_id IS NOT NULL DO NOTHING",
            )?
            .execute(params![
                conv,
                m.account.0,
                m.remote_id,
                kind_str(m.kind),
                direction_str(m.direction),
                m.sender,
                m.body,
                attachments_json(&m.attachments),
                m.sent_at.0,
                m.received_at.0,
                delivery.as_str(),
                // From the network, yet ours: written on another device.
                m.direction == Direction::Outbound && m.kind == MessageKind::Chat,
            ])?;
        if changed == 0 {
            if m.kind == MessageKind::Chat {
                self.replace_placeholder(conv, m)?;
            }
            return Ok(());
        }
        let id = self.tx.last_insert_rowid();
        self.index_body(id, &m.body)?;
        self.applied.inserted += 1;
        let effect = NewMessage::of(m.direction, m.kind, false);
        // Conversation counters are summed per batch and written once (see flush_deltas):
        // one UPDATE per conversation instead of one per message.
        let d = self.deltas.entry(conv).or_default();
        d.unread += effect.counts_unread as i64;
        d.reopen |= effect.reopens;
        d.settle |= effect.settles_urgency;
        let t = m.sent_at.0;
        if effect.counts_unread {
            d.oldest_customer = Some(d.oldest_customer.map_or(t, |o| o.min(t)));
        }
        if effect.settles_urgency {
            d.newest_reply = Some(d.newest_reply.map_or(t, |o| o.max(t)));
        }
        if effect.shows && d.newest.as_ref().is_none_or(|(t, _)| m.sent_at.0 >= *t) {
            d.newest = Some((m.sent_at.0, preview(&m.body)));
        }
        self.applied.conversations.insert(ConversationId(conv));
        Ok(())
    }

    /// Writes the summed conversation changes of the incoming messages so far. Runs
    /// before any other kind of op, so ops keep their order.
    pub(super) fn flush_deltas(&mut self) -> Result<()> {
        for (conv, d) in std::mem::take(&mut self.deltas) {
            let Some((sent_at, preview)) = d.newest else {
                continue;
            };
            self.tx
                .prepare_cached(
                    "UPDATE conversations SET \
                     unread = unread + ?2, \
                     state = CASE WHEN ?3 THEN 'open' ELSE state END, \
                     snoozed_until = CASE WHEN ?3 THEN NULL ELSE snoozed_until END, \
                     last_preview = CASE WHEN ?4 >= last_activity THEN ?5 ELSE last_preview END, \
                     last_activity = max(last_activity, ?4), \
                     urgent = CASE WHEN ?6 THEN 0 ELSE urgent END, \
                     last_reply_at = CASE WHEN ?7 IS NULL THEN last_reply_at \
                       ELSE max(coalesce(last_reply_at, ?7), ?7) END, \
                     waiting_since = CASE \
                       WHEN ?7 IS NULL AND ?8 IS NULL THEN waiting_since \
                       WHEN ?7 IS NULL AND ?8 > coalesce(last_reply_at, -1) \
                         THEN min(coalesce(waiting_since, ?8), ?8) \
                       ELSE (SELECT min(m.sent_at) FROM messages m WHERE m.conversation = ?1 \
                         AND m.direction = 'inbound' AND m.kind = 'chat' \
                         AND m.sent_at > max(coalesce(last_reply_at, -1), coalesce(?7, -1))) END \
                     WHERE id = ?1",
                )?
                .execute(params![
                    conv,
                    d.unread,
                    d.reopen,
                    sent_at,
                    preview,
                    d.settle,
                    d.newest_reply,
                    d.oldest_customer
                ])?;
        }
        Ok(())
    }

    pub(super) fn local_message(&mut self, m: LocalMessage<'_>) -> Result<MessageId> {
        let LocalMessage {
            conversation,
            kind,
            sender,
            body,
            attachments,
            at,
            delivery,
            quiet,
            meta,
        } = m;
        let notice = match meta.and_then(|m| m.notice.as_ref()) {
            Some(n) => Some(
                serde_json::to_string(n)
                    .map_err(|e| StoreError::Unreadable(format!("notice: {e}")))?,
            ),
            None => None,
        };
        let account = self.conversation_account(conversation)?;
        let id: i64 = self
            .tx
            .prepare_cached(
                "INSERT INTO messages (conversation, account, remote_id, kind, direction, sender, \
                 body, attachments, sent_at, received_at, delivery, txn, footer, notice, quote) \
                 VALUES (?1, ?2, NULL, ?3, 'outbound', ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10, ?11, ?12) \
                 RETURNING id",
            )?
            .query_row(
                params![
                    conversation.0,
                    account,
                    kind_str(kind),
                    sender,
                    body,
                    attachments_json(attachments),
                    at.0,
                    delivery.as_str(),
                    meta.and_then(|m| m.txn.as_deref()),
                    meta.and_then(|m| m.footer.as_deref()),
                    notice,
                    meta.and_then(|m| m.quote).map(|q| q.0),
                ],
                |r| r.get(0),
            )?;
        self.index_body(id, body)?;
        let effect = NewMessage::of(Direction::Outbound, kind, quiet);
        let preview = effect.shows.then(|| preview(body));
        self.tx
            .prepare_cached(
                "UPDATE conversations SET \
                 last_preview = coalesce(?3, last_preview), \
                 last_activity = CASE WHEN ?3 IS NULL THEN last_activity ELSE max(last_activity, ?2) END, \
                 urgent = CASE WHEN ?4 THEN 0 ELSE urgent END, \
                 last_reply_at = CASE WHEN ?4 THEN max(coalesce(last_reply_at, ?2), ?2) \
                   ELSE last_reply_at END, \
                 waiting_since = CASE WHEN ?4 THEN \
                   (SELECT min(m.sent_at) FROM messages m WHERE m.conversation = ?1 \
                   AND m.direction = 'inbound' AND m.kind = 'chat' \
                   AND m.sent_at > max(coalesce(last_reply_at, -1), ?2)) \
                   ELSE waiting_since END \
                 WHERE id = ?1",
            )?
            .execute(params![conversation.0, at.0, preview, effect.settles_urgency])?;
        self.applied.conversations.insert(conversation);
        Ok(MessageId(id))
    }

    /// A message that arrived undecryptable and now could be decrypted: the placeholder
    /// becomes the message (it held no content of its own to keep).
    pub(super) fn replace_placeholder(&mut self, conv: i64, m: &IncomingMessage) -> Result<()> {
        let id: Option<i64> = self
            .tx
            .prepare_cached(
                "SELECT id FROM messages WHERE account = ?1 AND remote_id = ?2 \
                 AND kind = 'system' AND body = ?3",
            )?
            .query_row(params![m.account.0, m.remote_id, UNDECRYPTABLE], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(id) = id else { return Ok(()) };
        self.tx
            .prepare_cached(
                "INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', ?1, ?2)",
            )?
            .execute(params![id, UNDECRYPTABLE])?;
        self.tx
            .prepare_cached(
                "UPDATE messages SET kind = ?2, sender = ?3, body = ?4, attachments = ?5 \
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                kind_str(m.kind),
                m.sender,
                m.body,
                attachments_json(&m.attachments)
            ])?;
        self.index_body(id, &m.body)?;
        self.applied.conversations.insert(ConversationId(conv));
        Ok(())
    }

    /// [`crate::store::Op::MarkSensitive`].
    pub(super) fn mark_sensitive(
        &mut self,
        message: MessageId,
        mark: Option<crate::domain::Sensitive>,
    ) -> Result<()> {
        let Some((conversation, body)) = self
            .tx
            .prepare_cached("SELECT conversation, body FROM messages WHERE id = ?1")?
            .query_row([message.0], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .optional()?
        else {
            return Err(StoreError::NoMessage(message.0));
        };
        self.tx
            .prepare_cached("UPDATE messages SET sensitive = ?2 WHERE id = ?1")?
            .execute(params![message.0, mark.map(|m| m.as_str())])?;
        let preview = match mark {
            Some(_) => "⊘".to_string(),
            None => crate::domain::triage::preview(&body),
        };
        self.tx
            .prepare_cached(
                "UPDATE conversations SET last_preview = ?2 WHERE id = ?1 AND NOT EXISTS \
                 (SELECT 1 FROM messages m WHERE m.conversation = ?1 AND m.kind = 'chat' \
                  AND m.sent_at > (SELECT sent_at FROM messages WHERE id = ?3))",
            )?
            .execute(params![conversation, preview, message.0])?;
        self.applied
            .conversations
            .insert(ConversationId(conversation));
        Ok(())
    }
}
