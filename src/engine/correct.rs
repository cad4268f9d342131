//! A contact's name corrected as a new version (R-C12): checked, archived in the
//! conversation's name-and-number scope, then shown in every conversation with them.

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
            .ok_or_else(|| EngineError::Refused(format!("no conversation {}", conversation.0)))?;
        let c = ContactCorrection::name(&conv, name, reason, by, Timestamp::now())
            .map_err(|e| EngineError::Refused(e.to_string()))?;
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
}
