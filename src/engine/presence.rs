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
    /// Conversations a seat is writing a reply in: seat → when it last said so. Never
    /// who (R-D1, R-D4): only that the conversation is being answered.
    composing: Arc<Mutex<BTreeMap<ConversationId, BTreeMap<u64, std::time::Instant>>>>,
}

/// A seat that stopped saying it writes (it died, its network dropped) is forgotten.
const COMPOSING_FOR: std::time::Duration = std::time::Duration::from_secs(30);

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

    /// Seat `seat` writes (or stopped writing) a reply in `conversation`; answers
    /// whether what other seats see changed.
    pub(super) fn set_composing(&self, conversation: ConversationId, seat: u64, on: bool) -> bool {
        let Ok(mut map) = self.composing.lock() else {
            return false;
        };
        let seats = map.entry(conversation).or_default();
        let before = !seats.is_empty();
        if on {
            seats.insert(seat, std::time::Instant::now());
        } else {
            seats.remove(&seat);
        }
        let after = !seats.is_empty();
        if !after {
            map.remove(&conversation);
        }
        // Another seat's view changes when the set of writers changes at all.
        before != after || on
    }

    /// Forgets everything seat `seat` said it writes (it went away).
    pub(crate) fn forget_seat(&self, seat: u64) -> bool {
        let Ok(mut map) = self.composing.lock() else {
            return false;
        };
        let mut changed = false;
        map.retain(|_, seats| {
            changed |= seats.remove(&seat).is_some();
            !seats.is_empty()
        });
        changed
    }

    /// Conversations some seat other than `except` is writing a reply in.
    pub(super) fn answering(&self, except: u64) -> Vec<ConversationId> {
        let Ok(map) = self.composing.lock() else {
            return Vec::new();
        };
        map.iter()
            .filter(|(_, seats)| {
                seats
                    .iter()
                    .any(|(s, at)| *s != except && at.elapsed() < COMPOSING_FOR)
            })
            .map(|(c, _)| *c)
            .collect()
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
