//! What the networks say right now that is no business record and never stored as one:
//! connection health, who is typing, invites waiting for the office, how linking an
//! account goes, and why the archive cannot be written. The engine writes it; every
//! handle reads it (and is told of changes by `Notification::Health` / `Typing`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::domain::{AccountId, ConversationId, Health, Invite, LinkState};

#[derive(Clone, Default)]
pub(super) struct Presence {
    health: Arc<Mutex<BTreeMap<AccountId, Health>>>,
    /// Invites waiting for the office's decision, per account: not business data until
    /// someone accepts one.
    invites: Arc<Mutex<BTreeMap<AccountId, Vec<Invite>>>>,
    typing: Arc<Mutex<BTreeMap<ConversationId, Vec<String>>>>,
    /// Accounts that are not set up, and how linking them goes.
    links: Arc<Mutex<BTreeMap<AccountId, LinkState>>>,
    /// Why the archive cannot be written right now; `None` when it can.
    archive_problem: Arc<Mutex<Option<String>>>,
}

/// A copy of what a map holds (a poisoned lock reads as empty: a panic elsewhere must
/// not take the screen with it).
fn copy<T: Clone + Default>(m: &Mutex<T>) -> T {
    m.lock().map(|m| m.clone()).unwrap_or_default()
}

impl Presence {
    pub(super) fn health(&self) -> BTreeMap<AccountId, Health> {
        copy(&self.health)
    }

    pub(super) fn invites(&self) -> BTreeMap<AccountId, Vec<Invite>> {
        copy(&self.invites)
    }

    pub(super) fn typing(&self) -> BTreeMap<ConversationId, Vec<String>> {
        copy(&self.typing)
    }

    pub(super) fn links(&self) -> BTreeMap<AccountId, LinkState> {
        copy(&self.links)
    }

    pub(super) fn archive_problem(&self) -> Option<String> {
        copy(&self.archive_problem)
    }

    /// Records an account's health; answers whether it changed.
    pub(super) fn set_health(&self, account: AccountId, health: Health) -> bool {
        match self.health.lock() {
            Ok(mut map) if map.get(&account) != Some(&health) => {
                map.insert(account, health);
                true
            }
            _ => false,
        }
    }

    pub(super) fn set_typing(&self, conversation: ConversationId, names: Vec<String>) {
        if let Ok(mut map) = self.typing.lock() {
            if names.is_empty() {
                map.remove(&conversation);
            } else {
                map.insert(conversation, names);
            }
        }
    }

    /// A new invite replaces an earlier one to the same chat.
    pub(super) fn add_invite(&self, account: AccountId, invite: Invite) {
        if let Ok(mut map) = self.invites.lock() {
            let list = map.entry(account).or_default();
            list.retain(|i| i.remote_id != invite.remote_id);
            list.push(invite);
        }
    }

    pub(super) fn remove_invite(&self, account: &AccountId, remote_id: &str) {
        if let Ok(mut map) = self.invites.lock()
            && let Some(list) = map.get_mut(account)
        {
            list.retain(|i| i.remote_id != remote_id);
        }
    }

    pub(super) fn set_link(&self, account: AccountId, state: LinkState) {
        if let Ok(mut map) = self.links.lock() {
            map.insert(account, state);
        }
    }

    /// Records why the archive cannot be written (or `None`); answers whether that
    /// changed.
    pub(super) fn set_archive_problem(&self, problem: Option<String>) -> bool {
        match self.archive_problem.lock() {
            Ok(mut p) if *p != problem => {
                *p = problem;
                true
            }
            _ => false,
        }
    }
}
