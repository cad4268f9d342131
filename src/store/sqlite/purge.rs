//! Taking out of the inbox what the archive's retention run or an erasure destroyed:
//! a conversation's messages of a time range, the files only they used, and the
//! conversation itself when nothing is left.

use rusqlite::{OptionalExtension, params};

use super::*;

impl Writer<'_> {
    pub(super) fn purge(
        &mut self,
        account: &AccountId,
        remote_id: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<()> {
        let conv: Option<i64> = self
            .tx
            .prepare_cached("SELECT id FROM conversations WHERE account = ?1 AND remote_id = ?2")?
            .query_row(params![account.0, remote_id], |r| r.get(0))
            .optional()?;
        let Some(conv) = conv else { return Ok(()) };
        let doomed: Vec<(i64, String, Option<String>, Option<String>)> = self
            .tx
            .prepare_cached(
                "SELECT id, body, attachments, remote_id FROM messages \
                 WHERE conversation = ?1 AND sent_at BETWEEN ?2 AND ?3",
            )?
            .query_map(params![conv, from.0, to.0], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut blobs = std::collections::BTreeSet::new();
        for (id, body, attachments, remote) in &doomed {
            self.remove_row(*id, body, &account.0, remote.as_deref())?;
            let list: Vec<Attachment> = attachments
                .as_deref()
                .and_then(|a| serde_json::from_str(a).ok())
                .unwrap_or_default();
            blobs.extend(list.into_iter().filter_map(|a| a.blob));
        }
        self.applied.purged += doomed.len();
        for blob in blobs {
            let used: i64 = self
                .tx
                .prepare_cached(
                    "SELECT count(*) FROM messages WHERE attachments LIKE '%' || ?1 || '%'",
                )?
                .query_row([&blob.0], |r| r.get(0))?;
            if used == 0 {
                self.applied.purged_blobs.push(blob);
            }
        }
        let left: i64 = self
            .tx
            .prepare_cached("SELECT count(*) FROM messages WHERE conversation = ?1")?
            .query_row([conv], |r| r.get(0))?;
        if left == 0 {
            // Nothing left to keep the customer's name and number for.
            self.forget_versions_with(conv)?;
            self.remove_conversation_row(conv)?;
        } else {
            self.applied.conversations.insert(ConversationId(conv));
        }
        Ok(())
    }
}
