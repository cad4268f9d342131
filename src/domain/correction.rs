//! A correction of a contact's master data (Art. 16 GDPR) as a new version: the inbox
//! shows the corrected name from then on, while every archived message keeps the name
//! it was written under (GoBD: nothing archived is changed), and the history of names
//! stays readable (R-C12).

use serde::{Deserialize, Serialize};

use super::{Conversation, Timestamp};

/// Which piece of contact data was corrected. Only the name is tresen's own: the number
/// or handle is the network's address and cannot be "corrected" here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactField {
    Name,
}

impl ContactField {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactField::Name => "name",
        }
    }

    pub fn parse(s: &str) -> Option<ContactField> {
        (s == "name").then_some(ContactField::Name)
    }
}

/// One version step of a contact's data: what it was, what it is from `at` on, who
/// corrected it and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactCorrection {
    pub account: String,
    /// The conversation it was corrected in (its archive records carry the correction,
    /// so it is destroyed with the conversation's name and number).
    pub conversation: String,
    /// The contact's network identity; every conversation with it shows the new name.
    pub identity: String,
    pub field: ContactField,
    pub old: String,
    pub new: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    pub by: String,
    pub at: Timestamp,
}

/// Why a correction cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorrectionRefused {
    #[error("a group chat has no contact data to correct; correct it in the customer's own chat")]
    NoContact,
    #[error("the new name is empty")]
    Empty,
    #[error("the name is {0:?} already")]
    Unchanged(String),
    #[error("a name of more than {max} characters is not a name")]
    TooLong { max: usize },
}

/// Longer than any real name, short enough for one list row.
pub const NAME_MAX: usize = 120;

impl ContactCorrection {
    /// The correction of `conv`'s contact name to `new`, checked.
    pub fn name(
        conv: &Conversation,
        new: &str,
        reason: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<ContactCorrection, CorrectionRefused> {
        let contact = conv.contact.as_ref().ok_or(CorrectionRefused::NoContact)?;
        // One line: a line break in a name would let it pose as two list rows.
        let new = new.split_whitespace().collect::<Vec<_>>().join(" ");
        if new.is_empty() {
            return Err(CorrectionRefused::Empty);
        }
        if new.chars().count() > NAME_MAX {
            return Err(CorrectionRefused::TooLong { max: NAME_MAX });
        }
        if new == contact.display_name {
            return Err(CorrectionRefused::Unchanged(new));
        }
        Ok(ContactCorrection {
            account: conv.account.0.clone(),
            conversation: conv.remote_id.clone(),
            identity: contact.identity.clone(),
            field: ContactField::Name,
            old: contact.display_name.clone(),
            new,
            reason: reason.trim().to_string(),
            by: by.to_string(),
            at,
        })
    }

    /// The line the conversation's timeline shows (an internal note): readable in both
    /// UI languages, since it is written once for every seat.
    pub fn note(&self) -> String {
        let mut line = format!(
            "✎ {}: „{}“ → „{}“",
            match self.field {
                ContactField::Name => "Name",
            },
            self.old,
            self.new
        );
        if !self.reason.is_empty() {
            line.push_str(" — ");
            line.push_str(&self.reason);
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::super::{
        AccountId, Channel, Contact, ConversationId, ConversationKind, Security, TriageState,
    };
    use super::*;

    fn conv(contact: Option<Contact>) -> Conversation {
        Conversation {
            id: ConversationId(1),
            account: AccountId("sig".into()),
            remote_id: "+4915731415926".into(),
            kind: ConversationKind::Direct,
            channel: Channel::Signal,
            title: "Schmitt".into(),
            contact,
            state: TriageState::Open,
            labels: vec![],
            unread: 0,
            marked_unread: false,
            last_activity: Timestamp(0),
            last_preview: String::new(),
            draft: None,
            security: Security::default(),
            assigned: None,
            urgent: false,
            waiting_since: None,
        }
    }

    #[test]
    fn r_c12_a_correction_keeps_the_old_name_beside_the_new() {
        let c = conv(Some(Contact::new("+4915731415926", "Schmitt")));
        let k = ContactCorrection::name(&c, "  Hans\nSchmidt ", "Tippfehler", "Anna", Timestamp(5))
            .unwrap();
        assert_eq!(
            (k.old.as_str(), k.new.as_str()),
            ("Schmitt", "Hans Schmidt")
        );
        assert_eq!(k.identity, "+4915731415926");
        assert_eq!(k.note(), "✎ Name: „Schmitt“ → „Hans Schmidt“ — Tippfehler");
    }

    #[test]
    fn r_c12_nonsense_corrections_are_refused() {
        let c = conv(Some(Contact::new("+49157", "Schmitt")));
        let t = Timestamp(0);
        assert_eq!(
            ContactCorrection::name(&c, " \n", "", "Anna", t),
            Err(CorrectionRefused::Empty)
        );
        assert_eq!(
            ContactCorrection::name(&c, "Schmitt", "", "Anna", t),
            Err(CorrectionRefused::Unchanged("Schmitt".into()))
        );
        assert!(matches!(
            ContactCorrection::name(&c, &"x".repeat(NAME_MAX + 1), "", "Anna", t),
            Err(CorrectionRefused::TooLong { .. })
        ));
        assert_eq!(
            ContactCorrection::name(&conv(None), "Schmidt", "", "Anna", t),
            Err(CorrectionRefused::NoContact)
        );
    }
}
