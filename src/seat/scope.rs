//! An auditor seat sees its audit and nothing else (R-B8, Z1): conversations of the
//! tax-relevant classes its `[[staff]]` entry names, messages of the audit period —
//! in the list, a conversation, search, single messages, files and lookups alike.

use crate::app::Loaded;
use crate::compliance::audit_scope::AuditScope;
use crate::compliance::staff::Identity;
use crate::config::RetentionConfig;
use crate::domain::{Conversation, Message};
use crate::store::StoreRead;

/// What an auditor may see; owned, so it goes along into the store's reader.
pub struct Scoped {
    scope: AuditScope,
    tags: Vec<(String, String)>,
    default_class: String,
}

/// Whether `viewer` sees `what`: always, unless an audit scope says otherwise.
pub fn sees<T: ?Sized>(
    viewer: &Option<Scoped>,
    what: &T,
    test: impl Fn(&Scoped, &T) -> bool,
) -> bool {
    viewer.as_ref().is_none_or(|v| test(v, what))
}

impl Scoped {
    /// The audit `viewer` is limited to (`None`: not an auditor, sees everything).
    pub fn of(viewer: &Identity, retention: &RetentionConfig) -> Option<Scoped> {
        viewer.scope.as_ref().map(|scope| Scoped {
            scope: scope.clone(),
            tags: retention.tag_pairs(),
            default_class: retention.default_class.clone(),
        })
    }

    /// The conversation's retention class is part of the audit.
    pub fn conversation(&self, c: &Conversation) -> bool {
        let class =
            crate::archive::retention::class_for(&c.labels, &self.tags, &self.default_class);
        self.scope.covers_class(class)
    }

    /// The message is of the audit period, in a conversation that is part of it.
    /// Internal notes are never part of it.
    pub fn message(&self, m: &Message, store: &dyn StoreRead) -> bool {
        m.kind == crate::domain::MessageKind::Chat
            && self.scope.covers(m.sent_at)
            && self.conversation_id(m.conversation, store)
    }

    /// The conversation is of the audit's classes and has letters in its period.
    pub fn part_of_audit(&self, c: &Conversation, store: &dyn StoreRead) -> bool {
        let (from, to) = self.scope.span();
        self.conversation(c)
            && store
                .messages_between(c.id, from, to, 1)
                .is_ok_and(|l| !l.is_empty())
    }

    fn conversation_id(&self, id: crate::domain::ConversationId, store: &dyn StoreRead) -> bool {
        store
            .conversation(id)
            .ok()
            .flatten()
            .is_some_and(|c| self.conversation(&c))
    }

    /// The conversation as it stood at the end of the period: its newest letter of the
    /// period is what the list shows; none, and it is not part of the audit.
    fn as_of(&self, c: &mut Conversation, store: &dyn StoreRead) -> bool {
        let (from, to) = self.scope.span();
        let Some(m) = store
            .messages_between(c.id, from, to, 1)
            .ok()
            .and_then(|l| l.into_iter().next())
        else {
            return false;
        };
        c.last_preview = m.body;
        c.last_activity = m.sent_at;
        c.unread = 0;
        c.marked_unread = false;
        c.draft = None;
        c.waiting_since = None;
        true
    }

    /// What the seat loaded, cut to the audit.
    pub fn loaded(&self, loaded: &mut Loaded, store: &dyn StoreRead) {
        match loaded {
            Loaded::Inbox(list) => {
                list.retain_mut(|c| self.conversation(c) && self.as_of(c, store))
            }
            // The audit period's letters, whatever the seat asked for: internal notes and
            // what came before or after are not the audit's.
            Loaded::Conversation {
                id,
                messages,
                limit,
                older,
                ..
            } => {
                let (from, to) = self.scope.span();
                *messages = match (self.conversation_id(*id, store), *older) {
                    (true, false) => store
                        .messages_between(*id, from, to, (*limit).max(1))
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
            }
            Loaded::Search { hits, .. } => hits.retain(|h| match h.message {
                Some(id) => store
                    .message(id)
                    .ok()
                    .flatten()
                    .is_some_and(|m| self.message(&m, store)),
                // A name: the conversation, if the audit has letters of it.
                None => store
                    .conversation(h.conversation)
                    .ok()
                    .flatten()
                    .is_some_and(|c| self.part_of_audit(&c, store)),
            }),
            // Letters not yet sent, who types where, chats not yet accepted, and a
            // pairing code (which would link a device to the business account) are no
            // audit's business.
            Loaded::Scheduled(_, list) => list.clear(),
            Loaded::Typing(map) => map.clear(),
            Loaded::Invites(list) => list.clear(),
            Loaded::Links(map) => map.clear(),
            _ => {}
        }
    }
}
