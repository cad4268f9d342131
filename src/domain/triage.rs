//! The triage rules, stated once: what a new message does to its conversation in the
//! inbox. The store applies them to every message it keeps (from the network, from
//! the office, replayed from the archive).

use super::{Direction, MessageKind};

/// What a new message changes about its conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewMessage {
    /// The customer wrote: one more unread message.
    pub counts_unread: bool,
    /// The customer wrote: a conversation set aside (done, waiting, snoozed) is open
    /// again.
    pub reopens: bool,
    /// It becomes the conversation's preview and latest activity (unless an older
    /// message arrives late).
    pub shows: bool,
    /// The office answered (here or from its phone): an urgent conversation is no
    /// longer pinned. tresen's own automatic messages answer nothing.
    pub settles_urgency: bool,
}

impl NewMessage {
    /// `quiet`: tresen's own automatic messages, which leave the customer's words as
    /// what the inbox shows.
    pub fn of(direction: Direction, kind: MessageKind, quiet: bool) -> NewMessage {
        let customer = direction == Direction::Inbound && kind == MessageKind::Chat;
        NewMessage {
            counts_unread: customer,
            reopens: customer,
            shows: !quiet && kind != MessageKind::Note,
            settles_urgency: direction == Direction::Outbound
                && kind == MessageKind::Chat
                && !quiet,
        }
    }
}

/// The one-line preview of a message in the conversation list: whitespace folded, at
/// most 120 characters.
pub fn preview(body: &str) -> String {
    const MAX: usize = 120;
    // Built in one pass: it runs for every message stored.
    let mut out = String::with_capacity(body.len().min(4 * MAX));
    let mut n = 0;
    for word in body.split_whitespace() {
        if n > 0 {
            if n == MAX {
                break;
            }
            out.push(' ');
            n += 1;
        }
        for c in word.chars() {
            if n == MAX {
                return out;
            }
            out.push(c);
            n += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_customer_message_counts_and_reopens() {
        let c = NewMessage::of(Direction::Inbound, MessageKind::Chat, false);
        assert!(c.counts_unread && c.reopens && c.shows);
        let ours = NewMessage::of(Direction::Outbound, MessageKind::Chat, false);
        assert!(!ours.counts_unread && !ours.reopens && ours.shows);
        let notice = NewMessage::of(Direction::Outbound, MessageKind::Chat, true);
        assert!(!notice.shows);
        let note = NewMessage::of(Direction::Outbound, MessageKind::Note, false);
        assert!(!note.shows && !note.counts_unread);
        let system = NewMessage::of(Direction::Inbound, MessageKind::System, false);
        assert!(!system.counts_unread && !system.reopens && system.shows);
    }

    #[test]
    fn the_preview_is_one_line_of_at_most_120_characters() {
        assert_eq!(
            preview("Heizung\n  kalt\tseit heute"),
            "Heizung kalt seit heute"
        );
        assert_eq!(preview(&"ä".repeat(200)).chars().count(), 120);
        // The same as collapsing the whitespace and cutting at 120 characters, at every
        // boundary: a word ending on the cut, a space on it, words of every length.
        let slow = |b: &str| -> String {
            b.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(120)
                .collect()
        };
        for len in 1..130 {
            for text in [
                format!("{} b", "a".repeat(len)),
                format!("{}\n\n  ü{}", "x".repeat(len), " y".repeat(len)),
                format!("  {}  ", "ß ".repeat(len)),
            ] {
                assert_eq!(preview(&text), slow(&text), "{text:?}");
            }
        }
    }
}
