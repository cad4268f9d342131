//! Which Signal groups are business. Chats with people writing to the business number
//! are; a group is only when chosen, in the config or by accepting it in the TUI (the
//! owner's family group must never be stored). A message from a group nobody chose yet
//! turns into an invite; until the office decides, its messages wait in memory (never
//! on disk, bounded) so that accepting loses nothing. Pure: no IO.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::connector::ConnectorEvent;
use crate::domain::Invite;

/// Messages (and their reactions, edits…) kept per undecided group; older ones beyond
/// this are dropped (counted). The group itself is kept once, apart.
pub const MAX_HELD: usize = 200;

/// What to do with one event.
#[derive(Debug, PartialEq)]
pub enum Triage {
    /// Business: on to the engine.
    Pass(ConnectorEvent),
    /// Held until the office decides; the first message of a group also asks.
    Held(Option<Invite>),
    /// Of an undecided group and not worth keeping (typing).
    Drop,
}

#[derive(Debug, Default)]
struct Held {
    title: String,
    /// The newest announcement of the group (each message repeats it).
    conversation: Option<ConnectorEvent>,
    events: Vec<ConnectorEvent>,
    dropped: usize,
    invited: bool,
}

/// The groups chosen in the TUI travel with the connector's position (stored by the
/// engine), so they survive a restart without a config edit.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Position {
    #[serde(default)]
    groups: BTreeSet<String>,
}

#[derive(Debug)]
pub struct GroupChoice {
    config: BTreeSet<String>,
    chosen_here: BTreeSet<String>,
    held: HashMap<String, Held>,
}

impl GroupChoice {
    pub fn new(config: &[String], resume: Option<&str>) -> Self {
        let chosen_here = resume
            .and_then(|r| match serde_json::from_str::<Position>(r) {
                Ok(p) => Some(p.groups),
                Err(e) => {
                    tracing::warn!(error = %e, "stored Signal position unreadable; groups from the config only");
                    None
                }
            })
            .unwrap_or_default();
        Self {
            config: config.iter().cloned().collect(),
            chosen_here,
            held: HashMap::new(),
        }
    }

    pub fn is_business(&self, group: &str) -> bool {
        self.config.contains(group) || self.chosen_here.contains(group)
    }

    pub fn triage(&mut self, ev: ConnectorEvent) -> Triage {
        let Some(group) = group_of(&ev) else {
            return Triage::Pass(ev);
        };
        if self.is_business(group) {
            return Triage::Pass(ev);
        }
        let group = group.to_string();
        let held = self.held.entry(group.clone()).or_default();
        let from = match &ev {
            ConnectorEvent::Typing { .. } => return Triage::Drop,
            ConnectorEvent::Conversation(c) => {
                held.title = c.title.clone();
                held.conversation = Some(ev);
                return Triage::Held(None);
            }
            ConnectorEvent::Message(m) => Some(m.sender.clone()),
            _ => None,
        };
        if held.events.len() == MAX_HELD {
            held.events.remove(0);
            held.dropped += 1;
        }
        held.events.push(ev);
        match from {
            Some(from) if !held.invited => {
                held.invited = true;
                Triage::Held(Some(Invite {
                    remote_id: format!("group:{group}"),
                    from,
                    title: held.title.clone(),
                }))
            }
            _ => Triage::Held(None),
        }
    }

    /// The office accepted `remote_id` (`group:<id>`) as business: what it sent while
    /// undecided, then the position that remembers the choice. None for anything else.
    pub fn choose(&mut self, remote_id: &str) -> Option<(Vec<ConnectorEvent>, String)> {
        let group = remote_id.strip_prefix("group:")?;
        self.chosen_here.insert(group.to_string());
        let mut held = self.held.remove(group).unwrap_or_default();
        if held.dropped > 0 {
            tracing::warn!(
                group,
                dropped = held.dropped,
                "older messages of the group were not kept while it was undecided"
            );
        }
        let position = serde_json::to_string(&Position {
            groups: self.chosen_here.clone(),
        })
        .unwrap_or_default();
        let events = held
            .conversation
            .take()
            .into_iter()
            .chain(held.events)
            .collect();
        Some((events, position))
    }
}

/// Why a group cannot be forgotten here.
#[derive(Debug, PartialEq, Eq)]
pub enum ForgetError {
    /// It is listed in the config: only a config edit removes it.
    InConfig,
    NotChosen,
}

impl ForgetError {
    /// What the office is told, with what to do instead.
    pub fn explain(&self, account: &str, group: &str, german: bool) -> String {
        let group = crate::domain::sanitize_for_terminal(group, false);
        match (self, german) {
            (Self::InConfig, true) => format!(
                "Gruppe {group} steht in der Konfiguration (groups = [...] des Kontos `{account}`): dort entfernen"
            ),
            (Self::InConfig, false) => format!(
                "group {group} is listed in the config (groups = [...] of account `{account}`): remove it there"
            ),
            (Self::NotChosen, true) => format!(
                "Gruppe {group} wurde für `{account}` nicht in der TUI angenommen; `tresen account groups` zeigt die geschäftlichen Gruppen"
            ),
            (Self::NotChosen, false) => format!(
                "group {group} was not accepted in the TUI for `{account}`; `tresen account groups` lists the business groups"
            ),
        }
    }
}

impl GroupChoice {
    /// Takes a group chosen in the TUI out again; the new position to store.
    pub fn forget(&mut self, group: &str) -> Result<String, ForgetError> {
        if self.config.contains(group) {
            return Err(ForgetError::InConfig);
        }
        if !self.chosen_here.remove(group) {
            return Err(ForgetError::NotChosen);
        }
        Ok(serde_json::to_string(&Position {
            groups: self.chosen_here.clone(),
        })
        .unwrap_or_default())
    }
}

fn group_of(ev: &ConnectorEvent) -> Option<&str> {
    let conv = match ev {
        ConnectorEvent::Conversation(c) => &c.remote_id,
        ConnectorEvent::Message(m) => &m.conversation_remote_id,
        ConnectorEvent::Typing {
            conversation_remote_id,
            ..
        } => conversation_remote_id,
        _ => return None,
    };
    conv.strip_prefix("group:")
}
