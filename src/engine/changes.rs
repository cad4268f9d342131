//! Changes staff make that the archive records first, with who made them: a
//! conversation's labels (its retention class, R-B2, R-B5) and a contact's name
//! corrected as a new version (R-C12), archived in the conversation's name-and-number
//! scope, then shown in every conversation with them.

use super::*;
use crate::domain::correction::ContactCorrection;

impl Engine {
    pub(super) fn correct_contact(
        &mut self,
        conversation: ConversationId,
        name: &str,
        reason: &str,
        by: &str,
    ) -> Result<ContactCorrection, EngineError> {
        let conv = self
            .store
            .read(|s| s.conversation(conversation))?
            .ok_or_else(|| EngineError::Declined(format!("no conversation {}", conversation.0)))?;
        let c = ContactCorrection::name(&conv, name, reason, by, Timestamp::now())
            .map_err(|e| EngineError::Declined(e.to_string()))?;
        let mut ops = vec![Op::CorrectContact(c.clone())];
        if let Some(archive) = self.archive.as_mut() {
            let scope = Scope::conversation_meta(&c.account, &c.conversation);
            match archive.append(vec![Entry {
                scope,
                payload: Payload::ContactCorrected(c.clone()),
            }]) {
                Ok(head) => ops.push(crate::ingest::position_op(head.seq)),
                Err(e) => {
                    self.set_archive_problem(Some(e.to_string()));
                    return Err(e.into());
                }
            }
        }
        let applied = self.apply(&ops)?;
        self.publish(&applied);
        Ok(c)
    }

    /// A label can change a conversation's retention class: archived first, with who
    /// changed it (R-B2, R-B5).
    pub(super) fn archive_labels(
        &mut self,
        conversation: ConversationId,
        labels: &[String],
        by: &str,
    ) -> Result<(), EngineError> {
        let Some(archive) = self.archive.as_mut() else {
            return Ok(());
        };
        let Some(conv) = self.store.read(|s| s.conversation(conversation))? else {
            return Ok(());
        };
        if conv.labels == labels {
            return Ok(());
        }
        let now = Timestamp::now();
        archive.append(vec![Entry {
            scope: Scope::System,
            payload: Payload::Classify {
                account: conv.account.0.clone(),
                conversation: conv.remote_id.clone(),
                labels: labels.to_vec(),
                // The seat's staff member; this engine's own user when it has no seats.
                by: if by.is_empty() {
                    self.staff.clone()
                } else {
                    by.to_string()
                },
                at: now,
            },
        }])?;
        Ok(())
    }
}
