//! `retention apply`: destroying every part of the archive whose retention period has
//! ended (and no hold keeps), each leaving a tombstone.

use super::{Books, LifecycleError, destroy};
use crate::archive::retention::Item;

/// What a retention run destroyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expired {
    /// Parts of the archive (a conversation's year, or its name and number).
    pub parts: usize,
    /// Messages taken out of the inbox with them.
    pub messages: usize,
}

/// Destroys the plan's items marked "expire" (the others are left alone), recording
/// `by` as who did it.
pub fn expire(books: &mut Books<'_>, plan: &[Item], by: &str) -> Result<Expired, LifecycleError> {
    let mut done = Expired {
        parts: 0,
        messages: 0,
    };
    for item in plan.iter().filter(|i| i.decision == "expire") {
        let tomb = item.tombstone(item.rule.clone(), "retention_expired", by);
        done.messages += destroy(books, tomb)?;
        done.parts += 1;
    }
    Ok(done)
}
