//! Marking a message's content for the owner only (R-E4, R-C14): special-category data
//! (Art. 9 GDPR) or other people's data. The mark is an archive record in the message's
//! conversation-year — so a rebuilt inbox keeps it and it goes with the message — and
//! every seat but the owner's shows the message as withheld.

use super::{Books, LifecycleError};
use crate::archive::{Payload, Scope};
use crate::domain::{MessageId, Sensitive, SensitiveMark, Timestamp};

/// Marks message `id` (or with `mark: None` lifts the mark) as `by`; `de`: refusals in
/// German.
pub fn mark(
    books: &mut Books<'_>,
    id: MessageId,
    mark: Option<Sensitive>,
    reason: &str,
    by: &str,
    de: bool,
) -> Result<SensitiveMark, LifecycleError> {
    let refuse = |de_text: String, en_text: String| {
        LifecycleError::Refused(if de { de_text } else { en_text })
    };
    let m = books.store.message(id)?.ok_or_else(|| {
        refuse(
            format!("keine Nachricht {}", id.0),
            format!("no message {}", id.0),
        )
    })?;
    if m.kind != crate::domain::MessageKind::Chat {
        return Err(refuse(
            "Nur Nachrichten an oder von Kunden lassen sich einschränken".into(),
            "only messages to or from customers can be restricted".into(),
        ));
    }
    if m.sensitive == mark {
        return Err(match mark {
            Some(_) => refuse(
                "die Nachricht ist schon so markiert".into(),
                "the message is marked so already".into(),
            ),
            None => refuse(
                "die Nachricht ist nicht markiert".into(),
                "the message is not marked".into(),
            ),
        });
    }
    let conv = books.store.conversation(m.conversation)?.ok_or_else(|| {
        refuse(
            format!("keine Nachricht {}", id.0),
            format!("no message {}", id.0),
        )
    })?;
    let key = super::items::archive_key(&m).ok_or_else(|| {
        refuse(
            "die Nachricht hat noch keine Kennung des Netzes".into(),
            "the message has no id from the network yet".into(),
        )
    })?;
    let record = SensitiveMark {
        account: conv.account.0.clone(),
        conversation: conv.remote_id.clone(),
        message: key,
        mark,
        reason: reason.trim().to_string(),
        by: by.to_string(),
        at: Timestamp::now(),
    };
    books.record_scoped(&[(
        &Scope::conversation(&conv.account.0, &conv.remote_id, m.sent_at),
        &Payload::Sensitive(record.clone()),
    )])?;
    Ok(record)
}
