//! The read side: `StoreRead` on the store's own connection.

use rusqlite::{OptionalExtension, params};

use super::*;

impl SqliteStore {
    /// Messages read newest first, turned oldest first with their reactions.
    fn oldest_first(&self, mut newest_first: Vec<Message>) -> Result<Vec<Message>> {
        newest_first.reverse();
        for m in &mut newest_first {
            self.load_reactions(m)?;
        }
        Ok(newest_first)
    }
}

impl StoreRead for SqliteStore {
    fn conversations(&self) -> Result<Vec<Conversation>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations c ORDER BY last_activity DESC, id DESC"
        ))?;
        let rows = st.query_map([], conversation_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn conversation(&self, id: ConversationId) -> Result<Option<Conversation>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE id = ?1"
            ))?
            .query_row([id.0], conversation_from_row)
            .optional()?)
    }

    fn find_conversation(&self, key: &str) -> Result<Option<Conversation>> {
        if let Ok(id) = key.parse::<i64>()
            && let Some(c) = self.conversation(ConversationId(id))?
        {
            return Ok(Some(c));
        }
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations c \
                 WHERE remote_id = ?1 OR contact_identity = ?1 OR contact_phone = ?1 \
                 OR replace(contact_identity, ' ', '') = ?1 OR replace(contact_phone, ' ', '') = ?1 \
                 OR lower(title) = lower(?1) OR lower(corrected_name) = lower(?1) \
                 ORDER BY (remote_id = ?1) DESC, last_activity DESC LIMIT 1"
            ))?
            .query_row([key], conversation_from_row)
            .optional()?)
    }

    fn messages(
        &self,
        conversation: ConversationId,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<Vec<Message>> {
        let out: Vec<Message> = match before {
            None => {
                let mut st = self.conn.prepare_cached(&format!(
                    "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation = ?1 \
                     ORDER BY sent_at DESC, id DESC LIMIT ?2"
                ))?;
                st.query_map(params![conversation.0, limit as i64], message_from_row)?
                    .collect::<rusqlite::Result<_>>()?
            }
            Some(b) => {
                let mut st = self.conn.prepare_cached(&format!(
                    "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation = ?1 \
                     AND (sent_at, id) < (SELECT sent_at, id FROM messages WHERE id = ?3) \
                     ORDER BY sent_at DESC, id DESC LIMIT ?2"
                ))?;
                st.query_map(params![conversation.0, limit as i64, b.0], message_from_row)?
                    .collect::<rusqlite::Result<_>>()?
            }
        };
        self.oldest_first(out)
    }

    fn messages_between(
        &self,
        conversation: ConversationId,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> Result<Vec<Message>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation = ?1 AND kind = 'chat' \
             AND sent_at BETWEEN ?2 AND ?3 ORDER BY sent_at DESC, id DESC LIMIT ?4"
        ))?;
        let out: Vec<Message> = st
            .query_map(
                params![conversation.0, from.0, to.0, limit as i64],
                message_from_row,
            )?
            .collect::<rusqlite::Result<_>>()?;
        self.oldest_first(out)
    }

    fn message(&self, id: MessageId) -> Result<Option<Message>> {
        let mut m = self
            .conn
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1"
            ))?
            .query_row([id.0], message_from_row)
            .optional()?;
        if let Some(m) = &mut m {
            self.load_reactions(m)?;
        }
        Ok(m)
    }

    fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let Some(q) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let mut hits = Vec::new();
        // Contacts first: finding the customer is usually what the user wants.
        let mut st = self.conn.prepare_cached(
            "SELECT c.id, c.title, coalesce(c.contact_phone, c.contact_identity, c.remote_id), c.last_activity \
             FROM conversations_fts f JOIN conversations c ON c.id = f.rowid \
             WHERE conversations_fts MATCH ?1 ORDER BY c.last_activity DESC LIMIT ?2",
        )?;
        for row in st.query_map(params![q, limit as i64], |r| {
            Ok(SearchHit {
                conversation: ConversationId(r.get(0)?),
                message: None,
                title: r.get(1)?,
                snippet: r.get(2)?,
                at: Timestamp(r.get(3)?),
            })
        })? {
            hits.push(row?);
        }
        // Recency order lets FTS5 stop after `limit` rows instead of ranking every match.
        let mut st = self.conn.prepare_cached(
            "SELECT m.conversation, m.id, c.title, \
                    snippet(messages_fts, 0, '', '', '…', 12), m.sent_at \
             FROM messages_fts f JOIN messages m ON m.id = f.rowid \
             JOIN conversations c ON c.id = m.conversation \
             WHERE messages_fts MATCH ?1 ORDER BY f.rowid DESC LIMIT ?2",
        )?;
        let remaining = limit.saturating_sub(hits.len());
        let contacts = hits.len();
        for row in st.query_map(params![q, remaining as i64], |r| {
            Ok(SearchHit {
                conversation: ConversationId(r.get(0)?),
                message: Some(MessageId(r.get(1)?)),
                title: r.get(2)?,
                snippet: r.get(3)?,
                at: Timestamp(r.get(4)?),
            })
        })? {
            hits.push(row?);
        }
        // Insertion order is not time order (history is backfilled): show newest first.
        hits[contacts..].sort_by_key(|h| std::cmp::Reverse(h.at));
        Ok(hits)
    }

    fn oldest_remote_id(&self, conversation: ConversationId) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT remote_id FROM messages WHERE conversation = ?1 AND remote_id IS NOT NULL \
                 ORDER BY sent_at, id LIMIT 1",
            )?
            .query_row([conversation.0], |r| r.get(0))
            .optional()?)
    }

    fn conversation_by_remote(
        &self,
        account: &AccountId,
        remote_id: &str,
    ) -> Result<Option<ConversationId>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM conversations WHERE account = ?1 AND remote_id = ?2")?
            .query_row(params![account.0, remote_id], |r| r.get(0))
            .optional()?
            .map(ConversationId))
    }

    fn known_remote_ids(
        &self,
        account: &AccountId,
        remote_ids: &[&str],
    ) -> Result<std::collections::HashMap<String, bool>> {
        const CHUNK: usize = 256;
        let mut out = std::collections::HashMap::new();
        for chunk in remote_ids.chunks(CHUNK) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT remote_id, kind = 'system' FROM messages WHERE account = ? AND remote_id IN ({marks})"
            ))?;
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() + 1);
            values.push(&account.0);
            for id in chunk {
                values.push(id);
            }
            let rows = stmt.query_map(values.as_slice(), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?))
            })?;
            for row in rows {
                let (id, placeholder) = row?;
                out.insert(id, placeholder);
            }
        }
        Ok(out)
    }

    fn message_by_remote(
        &self,
        account: &AccountId,
        remote_id: &str,
    ) -> Result<Option<(MessageId, String)>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT m.id, c.remote_id FROM messages m JOIN conversations c ON c.id = m.conversation \
                 WHERE m.account = ?1 AND m.remote_id = ?2",
            )?
            .query_row(params![account.0, remote_id], |r| {
                Ok((MessageId(r.get(0)?), r.get(1)?))
            })
            .optional()?)
    }

    fn undecryptable(&self, account: &AccountId, limit: usize) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.remote_id, m.remote_id FROM messages m \
             JOIN conversations c ON c.id = m.conversation \
             WHERE m.account = ?1 AND m.kind = 'system' AND m.body = ?2 \
             AND m.remote_id IS NOT NULL ORDER BY m.id DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![account.0, UNDECRYPTABLE, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn account_health(&self, account: &AccountId) -> Result<Option<(Health, Timestamp)>> {
        let row: Option<(String, i64)> = self
            .conn
            .prepare_cached("SELECT health, since FROM account_health WHERE account = ?1")?
            .query_row([&account.0], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.and_then(|(h, t)| Some((serde_json::from_str(&h).ok()?, Timestamp(t)))))
    }

    fn sync_position(&self, account: &AccountId) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT position FROM sync_positions WHERE account = ?1",
                [&account.0],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn ledger(&self, channel: Channel, address: &str) -> Result<Vec<LedgerEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT entry FROM ledger WHERE address = ?1 AND channel = ?2 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![address, channel.as_str()], |r| {
            r.get::<_, String>(0)
        })?;
        rows.map(|r| parse_ledger(&r?)).collect()
    }

    fn contact_versions(
        &self,
        account: &AccountId,
        identity: &str,
    ) -> Result<Vec<crate::domain::correction::ContactCorrection>> {
        self.read_contact_versions(account, identity)
    }

    fn ledger_all(&self) -> Result<Vec<LedgerEntry>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT entry FROM ledger ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|r| parse_ledger(&r?)).collect()
    }

    fn last_exchange(
        &self,
        conversation: ConversationId,
    ) -> Result<(Option<Timestamp>, Option<Timestamp>)> {
        Ok(self.conn.query_row(
            "SELECT (SELECT max(sent_at) FROM messages WHERE conversation = ?1 AND kind = 'chat' \
                     AND direction = 'outbound' AND delivery IN ('sent', 'delivered', 'read')), \
                    (SELECT max(sent_at) FROM messages WHERE conversation = ?1 AND kind = 'chat' AND direction = 'inbound')",
            [conversation.0],
            |r| {
                Ok((
                    r.get::<_, Option<i64>>(0)?.map(Timestamp),
                    r.get::<_, Option<i64>>(1)?.map(Timestamp),
                ))
            },
        )?)
    }

    fn unsent(&self) -> Result<Vec<crate::store::Unsent>> {
        let mut st = self.conn.prepare_cached(
            "SELECT m.id, m.conversation, m.remote_id, m.kind, m.direction, m.sender, m.body, \
             m.attachments, m.sent_at, m.received_at, m.delivery, m.edit_body, m.edit_at, \
             m.deleted_at, m.failure, m.elsewhere, m.sensitive, m.quote, m.account, c.remote_id, m.txn, \
             m.footer, m.notice, m.attempted \
             FROM messages m JOIN conversations c ON c.id = m.conversation \
             WHERE m.delivery = 'pending' AND m.direction = 'outbound' AND m.kind = 'chat' \
             ORDER BY m.id",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                message_from_row(r)?,
                r.get::<_, String>(18)?,
                r.get::<_, String>(19)?,
                (r.get(20)?, r.get(21)?, r.get::<_, Option<String>>(22)?),
                r.get::<_, i64>(23)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (message, account, conversation, (txn, footer, notice), attempted) = row?;
            out.push(crate::store::Unsent {
                message,
                account: AccountId(account),
                conversation_remote_id: conversation,
                meta: meta_of(txn, footer, notice)?,
                attempted: attempted > 0,
            });
        }
        Ok(out)
    }

    fn scheduled(
        &self,
        conversation: Option<ConversationId>,
    ) -> Result<Vec<crate::domain::scheduled::Scheduled>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {SCHEDULED_COLUMNS} FROM scheduled WHERE (?1 IS NULL OR conversation = ?1) \
             AND state IN ('waiting', 'missed', 'refused') ORDER BY due, id"
        ))?;
        let rows = st.query_map([conversation.map(|c| c.0)], scheduled_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn scheduled_due(&self, now: Timestamp) -> Result<Vec<crate::domain::scheduled::Scheduled>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {SCHEDULED_COLUMNS} FROM scheduled WHERE state = 'waiting' AND due <= ?1 \
             ORDER BY due, id"
        ))?;
        let rows = st.query_map([now.0], scheduled_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn scheduled_one(&self, id: &str) -> Result<Option<crate::domain::scheduled::Scheduled>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {SCHEDULED_COLUMNS} FROM scheduled WHERE id = ?1"
            ))?
            .query_row([id], scheduled_from_row)
            .optional()?)
    }

    fn notice_deliveries(&self, conversation: ConversationId) -> Result<Vec<Delivery>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT delivery FROM messages INDEXED BY messages_notices \
             WHERE conversation = ?1 AND notice IS NOT NULL \
               AND direction = 'outbound' AND kind = 'chat' ORDER BY id",
        )?;
        let rows = stmt.query_map([conversation.0], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for d in rows {
            out.push(Delivery::parse(&d?).unwrap_or(Delivery::Sent));
        }
        Ok(out)
    }

    fn send_meta(&self, message: MessageId) -> Result<Option<crate::store::SendMeta>> {
        let row: Option<(Option<String>, Option<String>, Option<String>)> = self
            .conn
            .prepare_cached(
                "SELECT txn, footer, notice FROM messages \
                 WHERE id = ?1 AND direction = 'outbound' AND kind = 'chat'",
            )?
            .query_row([message.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        match row {
            Some((txn, footer, notice)) => meta_of(txn, footer, notice).map(Some),
            None => Ok(None),
        }
    }

    fn knows_peer(&self, account: &AccountId, id: &str) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM conversations WHERE account = ?1 \
                            AND (remote_id = ?2 OR contact_identity = ?2)) \
                 OR EXISTS (SELECT 1 FROM messages WHERE account = ?1 \
                            AND remote_id >= ?2 || '/' AND remote_id < ?2 || '0')",
            params![account.0, id],
            |r| r.get(0),
        )?)
    }

    fn stats(&self) -> Result<Stats> {
        let (conversations, messages) = self.conn.query_row(
            "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM messages)",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )?;
        Ok(Stats {
            conversations: conversations as u64,
            messages: messages as u64,
        })
    }
}

const SCHEDULED_COLUMNS: &str =
    "id, conversation, sender, body, due, created, state, reason, message";

fn scheduled_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<crate::domain::scheduled::Scheduled> {
    let state: String = r.get(6)?;
    Ok(crate::domain::scheduled::Scheduled {
        id: r.get(0)?,
        conversation: ConversationId(r.get(1)?),
        sender: r.get(2)?,
        body: r.get(3)?,
        due: Timestamp(r.get(4)?),
        created: Timestamp(r.get(5)?),
        state: crate::domain::scheduled::ScheduledState::parse(&state, r.get(7)?, r.get(8)?),
    })
}
