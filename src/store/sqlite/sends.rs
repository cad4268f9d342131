//! What a send result and a peer's new id change: the ledger facts a sent message
//! carried, the network's copy of it, and everything stored under a peer's old id.

use std::collections::BTreeSet;

use rusqlite::{OptionalExtension, params};

use super::*;

impl Writer<'_> {
    pub(super) fn ledger(&mut self, entry: &LedgerEntry) -> Result<()> {
        let (channel, address) = entry.key();
        let json = serde_json::to_string(entry)
            .map_err(|e| StoreError::Unreadable(format!("ledger entry: {e}")))?;
        let known: Option<i64> = if let LedgerEntry::FirstContact(f) = entry {
            // A notice is recorded once per message: the send result records it, and so
            // does the archive's `first_contact` record of the same send.
            self.tx
                .prepare_cached(
                    "SELECT 1 FROM ledger WHERE kind = ?1 AND channel = ?2 AND address = ?3 \
                     AND json_extract(entry, '$.message') = ?4 \
                     AND json_extract(entry, '$.account') = ?5",
                )?
                .query_row(
                    params![
                        entry.kind(),
                        channel.as_str(),
                        address,
                        f.message,
                        f.account
                    ],
                    |r| r.get(0),
                )
                .optional()?
        } else {
            // The same record twice is one fact: a replay of the archive (after a
            // command that ran without an engine, or a crash) meets records the store
            // already has.
            self.tx
                .prepare_cached(
                    "SELECT 1 FROM ledger WHERE kind = ?1 AND channel = ?2 AND address = ?3 \
                     AND at = ?4 AND entry = ?5",
                )?
                .query_row(
                    params![entry.kind(), channel.as_str(), address, entry.at().0, json],
                    |r| r.get(0),
                )
                .optional()?
        };
        if known.is_some() {
            return Ok(());
        }
        self.tx
            .prepare_cached(
                "INSERT INTO ledger (kind, channel, address, at, entry) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![entry.kind(), channel.as_str(), address, entry.at().0, json])?;
        Ok(())
    }

    /// The network took `message` as `remote_id`. The first time, what it carried
    /// becomes ledger fact: its footer (the policy's memory) and, for the first-contact
    /// notice, the notice itself.
    pub(super) fn sent(
        &mut self,
        message: MessageId,
        remote_id: &str,
        at: Timestamp,
    ) -> Result<()> {
        type Row = (i64, String, String, Option<String>, Option<String>);
        let row: Option<Row> = self
            .tx
            .prepare_cached(
                "SELECT conversation, account, delivery, footer, notice FROM messages WHERE id = ?1",
            )?
            .query_row([message.0], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?;
        let Some((conv, account, delivery, footer, notice)) = row else {
            return Err(StoreError::NoMessage(message.0));
        };
        // The network's copy was stored as a message of its own before this answer
        // came (it arrived when tresen did not know the send): it is this message. Any
        // other message under that id (two sends in the same millisecond on Signal) is
        // not touched; this one is sent all the same, without the id.
        let twin: Option<(i64, String, Option<String>, String)> = self
            .tx
            .prepare_cached(
                "SELECT id, direction, txn, body FROM messages \
                 WHERE account = ?1 AND remote_id = ?2 AND id <> ?3",
            )?
            .query_row(params![account, remote_id, message.0], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let mut id_free = true;
        if let Some((twin, direction, txn, twin_body)) = twin {
            let body: String = self
                .tx
                .prepare_cached("SELECT body FROM messages WHERE id = ?1")?
                .query_row([message.0], |r| r.get(0))?;
            if direction == "outbound" && txn.is_none() && twin_body == body {
                self.delete_message(twin)?;
            } else {
                tracing::warn!(
                    message = message.0,
                    remote_id,
                    "another message has this network id; kept apart"
                );
                id_free = false;
            }
        }
        if id_free {
            self.tx
                .prepare_cached(
                    "UPDATE messages SET remote_id = ?2 WHERE id = ?1 AND remote_id IS NULL",
                )?
                .execute(params![message.0, remote_id])?;
        }
        self.set_delivery_where("id = ?1", &[&message.0], Delivery::Sent)?;
        let was_sent = Delivery::parse(&delivery).is_some_and(Delivery::is_sent);
        if was_sent {
            return Ok(());
        }
        let conversation: String = self
            .tx
            .prepare_cached("SELECT remote_id FROM conversations WHERE id = ?1")?
            .query_row([conv], |r| r.get(0))?;
        if let Some(version) = footer {
            self.ledger(&LedgerEntry::Footer {
                account: account.clone(),
                conversation,
                version,
                at,
            })?;
        }
        if let Some(json) = notice {
            let mut notice: crate::compliance::FirstContact = serde_json::from_str(&json)
                .map_err(|e| StoreError::Unreadable(format!("notice: {e}")))?;
            notice.message = format!("local:{}", message.0);
            notice.at = at;
            self.ledger(&LedgerEntry::FirstContact(notice))?;
        }
        Ok(())
    }

    /// The inbox id of a message a record names.
    pub(super) fn resolve(&mut self, message: &crate::store::MessageRef) -> Result<MessageId> {
        match message {
            crate::store::MessageRef::Local(id) => Ok(*id),
            crate::store::MessageRef::Remote { account, remote_id } => self
                .tx
                .prepare_cached("SELECT id FROM messages WHERE account = ?1 AND remote_id = ?2")?
                .query_row(params![account.0, remote_id], |r| r.get(0))
                .optional()?
                .map(MessageId)
                .ok_or_else(|| StoreError::NoRemoteMessage(remote_id.clone())),
        }
    }

    /// Removes one message with its index entry and reactions.
    pub(super) fn delete_message(&mut self, id: i64) -> Result<()> {
        let row: Option<(i64, String, String, Option<String>)> = self
            .tx
            .prepare_cached(
                "SELECT conversation, account, body, remote_id FROM messages WHERE id = ?1",
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let Some((conv, account, body, remote)) = row else {
            return Ok(());
        };
        self.remove_row(id, &body, &account, remote.as_deref())?;
        self.applied.conversations.insert(ConversationId(conv));
        Ok(())
    }

    /// A message row gone: its index entry and the reactions on it too.
    pub(super) fn remove_row(
        &mut self,
        id: i64,
        body: &str,
        account: &str,
        remote: Option<&str>,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', ?1, ?2)",
            )?
            .execute(params![id, body])?;
        self.tx
            .prepare_cached("DELETE FROM messages WHERE id = ?1")?
            .execute([id])?;
        if let Some(remote) = remote {
            self.tx
                .prepare_cached("DELETE FROM reactions WHERE account = ?1 AND target = ?2")?
                .execute(params![account, remote])?;
        }
        Ok(())
    }

    pub(super) fn rename_peer(&mut self, account: &AccountId, from: &str, to: &str) -> Result<()> {
        if from == to || from.is_empty() || to.is_empty() {
            return Ok(());
        }
        let a = account.0.as_str();
        // The direct conversation: renamed, or folded into the one under the new id.
        let old = self.conversation_id(a, from)?;
        let new = self.conversation_id(a, to)?;
        match (old, new) {
            (Some(old), None) => {
                self.tx
                    .prepare_cached("UPDATE conversations SET remote_id = ?2 WHERE id = ?1")?
                    .execute(params![old, to])?;
                self.ids.clear();
                self.applied.conversations.insert(ConversationId(old));
            }
            (Some(old), Some(new)) => self.fold_conversation(old, new)?,
            _ => {}
        }
        // The old id was the phone number: it stays known as such.
        self.tx
            .prepare_cached(
                "UPDATE conversations SET contact_identity = ?3 \
                 WHERE account = ?1 AND contact_identity = ?2",
            )?
            .execute(params![a, from, to])?;
        self.rename_versions(a, from, to)?;
        if from.starts_with('+') {
            self.tx
                .prepare_cached(
                    "UPDATE conversations SET contact_phone = ?2 \
                     WHERE account = ?1 AND contact_identity = ?3 AND contact_phone IS NULL",
                )?
                .execute(params![a, from, to])?;
        }
        // Message ids the peer authored: `from/…` becomes `to/…`; a message the
        // network delivered under both ids is kept once.
        let (lo, hi) = (format!("{from}/"), format!("{from}0"));
        let rows: Vec<(i64, String)> = self
            .tx
            .prepare_cached(
                "SELECT id, remote_id FROM messages WHERE account = ?1 AND remote_id >= ?2 AND remote_id < ?3",
            )?
            .query_map(params![a, lo, hi], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, remote) in rows {
            let renamed = format!("{to}{}", &remote[from.len()..]);
            let taken: bool = self
                .tx
                .prepare_cached(
                    "SELECT count(*) FROM messages WHERE account = ?1 AND remote_id = ?2",
                )?
                .query_row(params![a, renamed], |r| r.get::<_, i64>(0))?
                > 0;
            if taken {
                self.delete_message(id)?;
            } else {
                self.tx
                    .prepare_cached("UPDATE messages SET remote_id = ?2 WHERE id = ?1")?
                    .execute(params![id, renamed])?;
                if let Some(c) = self.message_conversation(MessageId(id))? {
                    self.applied.conversations.insert(ConversationId(c));
                }
            }
        }
        // Reactions: on messages it wrote (`from/…`) and by it (`…/reaction/from`).
        let reactions: Vec<(String, String)> = self
            .tx
            .prepare_cached(
                "SELECT remote_id, target FROM reactions WHERE account = ?1 \
                 AND ((target >= ?2 AND target < ?3) OR remote_id LIKE '%/reaction/' || ?4)",
            )?
            .query_map(params![a, lo, hi, from], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (remote, target) in reactions {
            let swap = |s: &str| match s.strip_prefix(&lo) {
                Some(rest) => format!("{to}/{rest}"),
                None => s.to_string(),
            };
            let mut new_remote = swap(&remote);
            if let Some(head) = new_remote.strip_suffix(&format!("/reaction/{from}")) {
                new_remote = format!("{head}/reaction/{to}");
            }
            self.tx
                .prepare_cached(
                    "UPDATE OR REPLACE reactions SET remote_id = ?3, target = ?4 \
                     WHERE account = ?1 AND remote_id = ?2",
                )?
                .execute(params![a, remote, new_remote, swap(&target)])?;
        }
        // Ledger facts about the contact and the conversation's footers.
        let entries: Vec<(i64, String)> = self
            .tx
            .prepare_cached(
                "SELECT id, entry FROM ledger WHERE (address = ?1 AND channel <> 'other') \
                 OR (address = ?2 AND channel = 'other')",
            )?
            .query_map(params![from, crate::compliance::footer_key(a, from)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (id, json) in entries {
            let mut entry = parse_ledger(&json)?;
            match &mut entry {
                LedgerEntry::Consent(r) if r.account == a => r.address = to.to_string(),
                LedgerEntry::FirstContact(f) if f.account == a => f.address = to.to_string(),
                LedgerEntry::Footer {
                    account,
                    conversation,
                    ..
                } if account == a => *conversation = to.to_string(),
                _ => continue,
            }
            let (_, address) = entry.key();
            let json = serde_json::to_string(&entry)
                .map_err(|e| StoreError::Unreadable(format!("ledger entry: {e}")))?;
            self.tx
                .prepare_cached("UPDATE ledger SET address = ?2, entry = ?3 WHERE id = ?1")?
                .execute(params![id, address, json])?;
        }
        Ok(())
    }

    /// Moves everything of conversation `old` into `new` and removes `old`.
    pub(super) fn fold_conversation(&mut self, old: i64, new: i64) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE messages SET conversation = ?2 WHERE conversation = ?1")?
            .execute(params![old, new])?;
        self.tx
            .prepare_cached(
                "UPDATE conversations SET \
                 unread = unread + (SELECT unread FROM conversations WHERE id = ?1), \
                 last_preview = CASE WHEN (SELECT last_activity FROM conversations WHERE id = ?1) > last_activity \
                     THEN (SELECT last_preview FROM conversations WHERE id = ?1) ELSE last_preview END, \
                 last_activity = max(last_activity, (SELECT last_activity FROM conversations WHERE id = ?1)) \
                 WHERE id = ?2",
            )?
            .execute(params![old, new])?;
        // Labels decide retention: the two conversations' together.
        let mut labels = BTreeSet::new();
        for id in [old, new] {
            let json: String = self
                .tx
                .prepare_cached("SELECT labels FROM conversations WHERE id = ?1")?
                .query_row([id], |r| r.get(0))?;
            labels.extend(serde_json::from_str::<Vec<String>>(&json).unwrap_or_default());
        }
        let json = serde_json::to_string(&labels).unwrap_or_else(|_| "[]".into());
        self.tx
            .prepare_cached("UPDATE conversations SET labels = ?2 WHERE id = ?1")?
            .execute(params![new, json])?;
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO drafts (conversation, body) \
                 SELECT ?2, body FROM drafts WHERE conversation = ?1",
            )?
            .execute(params![old, new])?;
        // What is scheduled goes to the same customer's conversation.
        self.tx
            .prepare_cached("UPDATE scheduled SET conversation = ?2 WHERE conversation = ?1")?
            .execute(params![old, new])?;
        self.remove_conversation_row(old)?;
        self.ids.clear();
        self.applied.conversations.insert(ConversationId(new));
        Ok(())
    }

    /// A conversation row gone, with its index entry and draft (its messages are
    /// gone or moved already).
    pub(super) fn remove_conversation_row(&mut self, id: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO conversations_fts (conversations_fts, rowid, title, contact_name, contact_identity, contact_phone, corrected_name) \
                 SELECT 'delete', id, title, contact_name, contact_identity, contact_phone, corrected_name FROM conversations WHERE id = ?1",
            )?
            .execute([id])?;
        self.tx
            .prepare_cached("DELETE FROM drafts WHERE conversation = ?1")?
            .execute([id])?;
        self.tx
            .prepare_cached("DELETE FROM scheduled WHERE conversation = ?1")?
            .execute([id])?;
        self.tx
            .prepare_cached("DELETE FROM conversations WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }
}
