//! Contact corrections (R-C12): kept as versions, the newest name shown beside the
//! network's own, which stays in `contact_name` so a network rename changes nothing
//! the office corrected.

use rusqlite::{OptionalExtension, params};

use super::*;
use crate::domain::correction::{ContactCorrection, ContactField};

impl Writer<'_> {
    pub(super) fn correct_contact(&mut self, c: &ContactCorrection) -> Result<()> {
        let added = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO contact_versions \
                 (account, identity, field, old, new, reason, by, at, conversation) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                c.account,
                c.identity,
                c.field.as_str(),
                c.old,
                c.new,
                c.reason,
                c.by,
                c.at.0,
                c.conversation
            ])?;
        if added == 0 {
            return Ok(());
        }
        self.refresh_corrected_name(&c.account, &c.identity)?;
        if let Some(conv) = self.conversation_id(&c.account, &c.conversation)? {
            self.local_message(LocalMessage {
                conversation: ConversationId(conv),
                kind: MessageKind::Note,
                sender: &c.by,
                body: &c.note(),
                attachments: &[],
                at: c.at,
                delivery: Delivery::Read,
                quiet: true,
                meta: None,
            })?;
        }
        Ok(())
    }

    /// Every conversation with the contact shows its newest corrected name.
    pub(super) fn refresh_corrected_name(&mut self, account: &str, identity: &str) -> Result<()> {
        let newest: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT new FROM contact_versions WHERE account = ?1 AND identity = ?2 \
                 AND field = 'name' ORDER BY at DESC, id DESC LIMIT 1",
            )?
            .query_row(params![account, identity], |r| r.get(0))
            .optional()?;
        let ids: Vec<i64> = self
            .tx
            .prepare_cached(
                "UPDATE conversations SET corrected_name = ?3 \
                 WHERE account = ?1 AND contact_identity = ?2 RETURNING id",
            )?
            .query_map(params![account, identity, newest], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        self.applied
            .conversations
            .extend(ids.into_iter().map(ConversationId));
        Ok(())
    }

    /// A peer's id changed (`rename_peer`): its versions follow it.
    pub(super) fn rename_versions(&mut self, account: &str, from: &str, to: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE OR IGNORE contact_versions SET identity = ?3 \
                 WHERE account = ?1 AND identity = ?2",
            )?
            .execute(params![account, from, to])?;
        self.tx
            .prepare_cached(
                "UPDATE contact_versions SET conversation = ?3 \
                 WHERE account = ?1 AND conversation = ?2",
            )?
            .execute(params![account, from, to])?;
        self.refresh_corrected_name(account, to)
    }

    /// The conversation `id` is about to go: when it was the contact's last one, its
    /// versions go too (nothing left to keep the customer's name for).
    pub(super) fn forget_versions_with(&mut self, id: i64) -> Result<()> {
        let contact: Option<(String, Option<String>)> = self
            .tx
            .prepare_cached("SELECT account, contact_identity FROM conversations WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((account, Some(identity))) = contact else {
            return Ok(());
        };
        self.tx
            .prepare_cached(
                "DELETE FROM contact_versions WHERE account = ?1 AND identity = ?2 \
                 AND NOT EXISTS (SELECT 1 FROM conversations WHERE account = ?1 \
                 AND contact_identity = ?2 AND id <> ?3)",
            )?
            .execute(params![account, identity, id])?;
        Ok(())
    }
}

impl SqliteStore {
    pub(super) fn read_contact_versions(
        &self,
        account: &AccountId,
        identity: &str,
    ) -> Result<Vec<ContactCorrection>> {
        let mut st = self.conn.prepare_cached(
            "SELECT field, old, new, reason, by, at, conversation FROM contact_versions \
             WHERE account = ?1 AND identity = ?2 ORDER BY at, id",
        )?;
        let rows = st.query_map(params![account.0, identity], |r| {
            Ok((
                r.get::<_, String>(0)?,
                ContactCorrection {
                    account: account.0.clone(),
                    conversation: r.get(6)?,
                    identity: identity.to_string(),
                    field: ContactField::Name,
                    old: r.get(1)?,
                    new: r.get(2)?,
                    reason: r.get(3)?,
                    by: r.get(4)?,
                    at: Timestamp(r.get(5)?),
                },
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (field, c) = row?;
            // A field a newer tresen added is not this version's to show.
            if let Some(field) = ContactField::parse(&field) {
                out.push(ContactCorrection { field, ..c });
            }
        }
        Ok(out)
    }
}
