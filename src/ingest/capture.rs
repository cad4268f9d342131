//! A batch of connector events → [`Step`]s: the records among them as archive entries
//! (R-B1: messages with the network's original payload, outgoing results, edits,
//! deletions, reactions, files, conversations as first seen or changed, receipts as
//! proof a letter arrived), and the signals that are not business records.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::archive::{Entry, Payload, Scope};
use crate::connector::{ConnectorEvent, Invite};
use crate::domain::{
    AccountId, ConversationUpsert, Direction, Health, LinkState, MessageId, MessageKind, Security,
    Timestamp,
};
use crate::store::StoreRead;

/// One event of a batch, in the batch's order.
// Nearly every step is a record: boxing it would cost an allocation per message.
// (A batch holds up to 65,536 steps; their size is the engine's peak memory.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Step {
    /// A business fact: archived (unless the archive has it), then stored.
    Record(Record),
    /// Not a business record: the engine acts on it, the archive never sees it.
    Signal(AccountId, Signal),
}

#[derive(Debug)]
pub struct Record {
    pub payload: Payload,
    /// Where the archive files it — present only when the archive does not have this
    /// fact yet: absent for a message or conversation the archive already holds
    /// unchanged (a connector re-delivering after a restart), for a rename of a peer
    /// nothing is stored under, and when nothing is archived (then it is not even
    /// worked out: the hot path without an archive pays nothing for it).
    pub scope: Option<Box<Scope>>,
    /// The download (`EngineCommand::Fetch`) this file answers.
    pub fetched: Option<(MessageId, usize)>,
}

/// What a connector reports that is not a business record. See [`ConnectorEvent`].
#[derive(Debug)]
pub enum Signal {
    Health(Health),
    Security {
        conversation_remote_id: String,
        security: Security,
    },
    Typing {
        conversation_remote_id: String,
        names: Vec<String>,
    },
    Backfilled {
        conversation_remote_id: String,
    },
    CaughtUp,
    KindPending {
        conversation_remote_id: String,
    },
    Checkpoint(String),
    Invite(Invite),
    Link(LinkState),
    /// A download failed, or the message it belongs to is gone.
    FetchFailed {
        message: MessageId,
        index: usize,
        error: String,
    },
}

#[derive(Default)]
pub struct Capture {
    /// The last archived form of each conversation, so an unchanged one is not
    /// archived again with every message.
    conversations: HashMap<(AccountId, String), ConversationUpsert>,
    /// Messages archived but not stored yet (the engine stores a batch while the
    /// next is archived): their conversation and whether each is a placeholder. The
    /// store cannot answer for them, so the next batch asks here first; without it a
    /// message delivered twice across the two batches were archived twice and a
    /// receipt for one archived without its conversation.
    unstored: HashMap<(AccountId, String), (String, bool)>,
}

impl Capture {
    /// The archive believes nothing of this run any more (a failed append).
    pub fn forget(&mut self) {
        self.conversations.clear();
    }

    /// The store has (or has refused) the messages of these steps: it answers for
    /// them again. An entry a later batch changed (a placeholder that decrypted
    /// since) stays until that batch is stored.
    pub fn stored(&mut self, steps: &[Step]) {
        if self.unstored.is_empty() {
            return;
        }
        for step in steps {
            if let Step::Record(Record {
                payload: Payload::Message(m),
                scope: Some(_),
                ..
            }) = step
            {
                let key = (m.account.clone(), m.remote_id.clone());
                let placeholder = m.kind == MessageKind::System;
                if self
                    .unstored
                    .get(&key)
                    .is_some_and(|(c, p)| *c == m.conversation_remote_id && *p == placeholder)
                {
                    self.unstored.remove(&key);
                }
            }
        }
    }

    /// `batch` as steps. `store` answers which conversation a message belongs to and
    /// whether a message is archived already; with `archiving` false nothing is marked
    /// for the archive and the questions only the archive needs are not asked.
    pub fn steps(
        &mut self,
        batch: Vec<(AccountId, ConnectorEvent)>,
        store: &dyn StoreRead,
        archiving: bool,
    ) -> Vec<Step> {
        let now = Timestamp::now();
        let plan = if archiving {
            Plan::of(&batch, store, &mut self.unstored)
        } else {
            Plan::default()
        };
        let mut noticed = HashSet::new();
        let mut out = Vec::with_capacity(batch.len());
        for (i, (account, ev)) in batch.into_iter().enumerate() {
            let conversation = || plan.conversations.get(&i).cloned().unwrap_or_default();
            let record = |scope: Option<Scope>, payload: Payload| {
                Step::Record(Record {
                    payload,
                    scope: scope.map(Box::new),
                    fetched: None,
                })
            };
            let step = match ev {
                ConnectorEvent::Conversation(c) => {
                    let (c, new) = if archiving {
                        let key = (account.clone(), c.remote_id.clone());
                        // What the store will hold: a name the connector did not know
                        // (a message sent from the office's phone) is the one known
                        // before.
                        let c = completed(c, self.conversations.get(&key), store);
                        let new = self.conversations.get(&key) != Some(&c);
                        if new {
                            self.conversations.insert(key, c.clone());
                        }
                        (c, new)
                    } else {
                        (c, false)
                    };
                    Step::Record(Record {
                        scope: new
                            .then(|| Box::new(Scope::conversation_meta(&account.0, &c.remote_id))),
                        payload: Payload::Conversation(c),
                        fetched: None,
                    })
                }
                ConnectorEvent::Message(m) => Step::Record(Record {
                    scope: (archiving && plan.new_messages.contains(&i)).then(|| {
                        Box::new(Scope::conversation(
                            &account.0,
                            &m.conversation_remote_id,
                            m.sent_at,
                        ))
                    }),
                    payload: Payload::Message(m),
                    fetched: None,
                }),
                ConnectorEvent::SendResult { message, outcome } => {
                    let conversation = if archiving {
                        store
                            .message(message)
                            .ok()
                            .flatten()
                            .and_then(|m| store.conversation(m.conversation).ok().flatten())
                            .map(|c| c.remote_id)
                            .unwrap_or_default()
                    } else {
                        String::new()
                    };
                    // The first-contact notice is on record once the network took it
                    // (R-C8), not when it was queued.
                    let notice = (archiving && outcome.is_ok() && noticed.insert(message))
                        .then(|| first_send_of_notice(store, message))
                        .flatten();
                    out.push(record(
                        archiving.then(|| Scope::conversation(&account.0, &conversation, now)),
                        Payload::SendResult {
                            local_id: message.0,
                            account: account.0.clone(),
                            conversation,
                            remote_id: outcome.as_ref().ok().cloned(),
                            error: outcome.err(),
                            at: now,
                        },
                    ));
                    let Some(notice) = notice else { continue };
                    record(
                        archiving.then_some(Scope::System),
                        Payload::FirstContact(crate::compliance::FirstContact {
                            message: format!("local:{}", message.0),
                            at: now,
                            ..notice
                        }),
                    )
                }
                ConnectorEvent::Receipt {
                    remote_id,
                    delivery,
                } => {
                    let conversation = conversation();
                    record(
                        archiving.then(|| Scope::conversation(&account.0, &conversation, now)),
                        Payload::Receipt {
                            account: account.0,
                            conversation,
                            remote_id,
                            delivery,
                            at: now,
                        },
                    )
                }
                ConnectorEvent::Edited {
                    remote_id,
                    body,
                    at,
                } => {
                    let conversation = conversation();
                    record(
                        archiving.then(|| Scope::conversation(&account.0, &conversation, at)),
                        Payload::Edit {
                            account: account.0,
                            conversation,
                            remote_id,
                            body,
                            at,
                        },
                    )
                }
                ConnectorEvent::Deleted { remote_id, at } => {
                    let conversation = conversation();
                    record(
                        archiving.then(|| Scope::conversation(&account.0, &conversation, at)),
                        Payload::Delete {
                            account: account.0,
                            conversation,
                            remote_id,
                            at,
                        },
                    )
                }
                ConnectorEvent::Reaction {
                    remote_id,
                    target,
                    key,
                    sender,
                    outbound,
                    at,
                } => {
                    let conversation = conversation();
                    record(
                        archiving.then(|| Scope::conversation(&account.0, &conversation, at)),
                        Payload::Reaction {
                            account: account.0,
                            conversation,
                            remote_id,
                            target,
                            key,
                            sender,
                            direction: if outbound {
                                Direction::Outbound
                            } else {
                                Direction::Inbound
                            },
                            at,
                        },
                    )
                }
                ConnectorEvent::Renamed { from, to } => {
                    // Only when something is stored under the old id: otherwise there
                    // is nothing to map (and no record every start).
                    let archive = archiving
                        && (plan.peers_in_batch.contains(&i)
                            || store.knows_peer(&account, &from).unwrap_or(true));
                    Step::Record(Record {
                        scope: archive.then(|| Box::new(Scope::System)),
                        payload: Payload::PeerRenamed {
                            account: account.0,
                            from,
                            to,
                            at: now,
                        },
                        fetched: None,
                    })
                }
                ConnectorEvent::Fetched {
                    message,
                    index,
                    outcome,
                } => {
                    match outcome.and_then(|bytes| file(&account, message, index, &bytes, store)) {
                        Ok(entry) => Step::Record(Record {
                            scope: archiving.then(|| Box::new(entry.scope)),
                            payload: entry.payload,
                            fetched: Some((message, index)),
                        }),
                        Err(error) => Step::Signal(
                            account,
                            Signal::FetchFailed {
                                message,
                                index,
                                error,
                            },
                        ),
                    }
                }
                ConnectorEvent::Health(h) => Step::Signal(account, Signal::Health(h)),
                ConnectorEvent::Security {
                    conversation_remote_id,
                    security,
                } => Step::Signal(
                    account,
                    Signal::Security {
                        conversation_remote_id,
                        security,
                    },
                ),
                ConnectorEvent::Typing {
                    conversation_remote_id,
                    names,
                } => Step::Signal(
                    account,
                    Signal::Typing {
                        conversation_remote_id,
                        names,
                    },
                ),
                ConnectorEvent::Backfilled {
                    conversation_remote_id,
                } => Step::Signal(
                    account,
                    Signal::Backfilled {
                        conversation_remote_id,
                    },
                ),
                ConnectorEvent::CaughtUp => Step::Signal(account, Signal::CaughtUp),
                ConnectorEvent::KindPending {
                    conversation_remote_id,
                } => Step::Signal(
                    account,
                    Signal::KindPending {
                        conversation_remote_id,
                    },
                ),
                ConnectorEvent::Checkpoint(p) => Step::Signal(account, Signal::Checkpoint(p)),
                ConnectorEvent::Invite(i) => Step::Signal(account, Signal::Invite(i)),
                ConnectorEvent::Link(l) => Step::Signal(account, Signal::Link(l)),
            };
            out.push(step);
        }
        out
    }
}

/// What only the archive needs to know about a batch, asked of the store up front:
/// one query per account for the messages instead of one per message.
#[derive(Default)]
struct Plan {
    /// Positions of messages the archive does not have: new ones, and placeholders
    /// that now decrypt (new content). A message twice in one batch counts once.
    new_messages: HashSet<usize>,
    /// The conversation (network id) of each receipt, edit, deletion and reaction.
    conversations: HashMap<usize, String>,
    /// Positions of renames whose old id an earlier event of the batch stored
    /// something under (the store does not know it yet).
    peers_in_batch: HashSet<usize>,
}

impl Plan {
    fn of(
        batch: &[(AccountId, ConnectorEvent)],
        store: &dyn StoreRead,
        unstored: &mut HashMap<(AccountId, String), (String, bool)>,
    ) -> Plan {
        let mut wanted: HashMap<&AccountId, Vec<&str>> = HashMap::new();
        for (account, ev) in batch {
            if let ConnectorEvent::Message(m) = ev {
                wanted.entry(account).or_default().push(&m.remote_id);
            }
        }
        let known: HashMap<&AccountId, HashMap<String, bool>> = wanted
            .into_iter()
            .map(|(account, ids)| {
                let known = store.known_remote_ids(account, &ids).unwrap_or_default();
                (account, known)
            })
            .collect();
        // Peers renamed in this batch: the store still has their old ids.
        let renamed: Vec<(&AccountId, &str, &str)> = batch
            .iter()
            .filter_map(|(a, ev)| match ev {
                ConnectorEvent::Renamed { from, to } => Some((a, from.as_str(), to.as_str())),
                _ => None,
            })
            .collect();
        let mut plan = Plan::default();
        // Messages earlier in this batch: not in the store yet.
        let mut in_batch: HashMap<(&AccountId, &str), (&str, bool)> = HashMap::new();
        // Peers something earlier in the batch is stored under (a conversation, a
        // message's chat or author): a rename of one of them must be archived.
        let mut peers: HashSet<(&AccountId, &str)> = HashSet::new();
        for (i, (account, ev)) in batch.iter().enumerate() {
            match ev {
                ConnectorEvent::Conversation(c) => {
                    peers.insert((account, c.remote_id.as_str()));
                }
                ConnectorEvent::Message(m) => {
                    peers.insert((account, m.conversation_remote_id.as_str()));
                    if let Some((author, _)) = m.remote_id.split_once('/') {
                        peers.insert((account, author));
                    }
                }
                _ => {}
            }
            let target = match ev {
                ConnectorEvent::Renamed { from, .. } => {
                    if peers.contains(&(account, from.as_str())) {
                        plan.peers_in_batch.insert(i);
                    }
                    continue;
                }
                ConnectorEvent::Message(m) => {
                    let key = (account, m.remote_id.as_str());
                    // Whatever holds this id so far: an earlier message of the batch,
                    // else the store. A placeholder that now decrypts is new content.
                    let holder = in_batch
                        .get(&key)
                        .map(|(_, p)| *p)
                        .or_else(|| {
                            unstored
                                .get(&(account.clone(), m.remote_id.clone()))
                                .map(|(_, p)| *p)
                        })
                        .or_else(|| {
                            known
                                .get(account)
                                .and_then(|k| k.get(&m.remote_id))
                                .copied()
                        });
                    let new_content = match holder {
                        None => true,
                        Some(placeholder) => placeholder && m.kind != MessageKind::System,
                    };
                    if new_content {
                        let placeholder = m.kind == MessageKind::System;
                        in_batch.insert(key, (m.conversation_remote_id.as_str(), placeholder));
                        plan.new_messages.insert(i);
                    }
                    continue;
                }
                ConnectorEvent::Receipt { remote_id, .. }
                | ConnectorEvent::Edited { remote_id, .. }
                | ConnectorEvent::Deleted { remote_id, .. } => remote_id,
                ConnectorEvent::Reaction { target, .. } => target,
                _ => continue,
            };
            let conversation = in_batch
                .get(&(account, target.as_str()))
                .map(|(c, _)| c.to_string())
                .or_else(|| {
                    unstored
                        .get(&(account.clone(), target.clone()))
                        .map(|(c, _)| c.clone())
                })
                .or_else(|| stored_conversation(store, account, target))
                .or_else(|| {
                    renamed.iter().find_map(|(a, from, to)| {
                        let rest = target.strip_prefix(to)?.strip_prefix('/')?;
                        let conv = stored_conversation(store, account, &format!("{from}/{rest}"))
                            .filter(|_| *a == account)?;
                        // A direct conversation moves with its peer.
                        Some(if conv == *from { to.to_string() } else { conv })
                    })
                })
                .unwrap_or_default();
            plan.conversations.insert(i, conversation);
        }
        for ((account, id), (conversation, placeholder)) in in_batch {
            unstored.insert(
                (account.clone(), id.to_string()),
                (conversation.to_string(), placeholder),
            );
        }
        plan
    }
}

fn stored_conversation(store: &dyn StoreRead, account: &AccountId, remote: &str) -> Option<String> {
    store
        .message_by_remote(account, remote)
        .ok()
        .flatten()
        .map(|(_, c)| c)
}

/// A downloaded file as an archive entry, or why it cannot be one.
fn file(
    account: &AccountId,
    message: MessageId,
    index: usize,
    bytes: &Arc<Vec<u8>>,
    store: &dyn StoreRead,
) -> Result<Entry, String> {
    let m = store
        .message(message)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("message {} is gone", message.0))?;
    let conversation = store
        .conversation(m.conversation)
        .ok()
        .flatten()
        .map(|c| c.remote_id)
        .unwrap_or_default();
    let (name, mime) = m
        .attachments
        .get(index)
        .map(|a| (a.name.clone(), a.mime.clone()))
        .ok_or_else(|| format!("message {} has no attachment number {index}", message.0))?;
    Ok(attachment(
        account,
        &conversation,
        m.remote_id
            .clone()
            .unwrap_or_else(|| format!("local:{}", message.0)),
        index,
        name,
        mime,
        bytes,
        m.sent_at,
    ))
}

/// An upsert with the title, name and number the connector left out filled in from the
/// last archived form or the store (the store's own rule, `ConversationUpsert::completed`).
fn completed(
    c: ConversationUpsert,
    archived: Option<&ConversationUpsert>,
    store: &dyn StoreRead,
) -> ConversationUpsert {
    if !c.incomplete() {
        return c;
    }
    let stored = match archived {
        Some(_) => None,
        None => store
            .conversation_by_remote(&c.account, &c.remote_id)
            .ok()
            .flatten()
            .and_then(|id| store.conversation(id).ok().flatten()),
    };
    let known = archived
        .map(|a| (a.title.as_str(), a.contact.as_ref()))
        .or(stored
            .as_ref()
            .map(|k| (k.title.as_str(), k.contact.as_ref())));
    c.completed(known)
}

/// The notice record a first-contact message carries, if this is its first success.
fn first_send_of_notice(
    store: &dyn StoreRead,
    message: MessageId,
) -> Option<crate::compliance::FirstContact> {
    let m = store.message(message).ok().flatten()?;
    if m.delivery.is_sent() {
        return None;
    }
    store.send_meta(message).ok().flatten()?.notice.map(|n| *n)
}

/// A file's bytes as an archive entry, in the bucket of the message it belongs to.
#[allow(clippy::too_many_arguments)]
pub fn attachment(
    account: &AccountId,
    conversation: &str,
    message: String,
    index: usize,
    name: String,
    mime: String,
    bytes: &[u8],
    at: Timestamp,
) -> Entry {
    use base64::Engine as _;
    Entry {
        scope: Scope::conversation(&account.0, conversation, at),
        payload: Payload::Attachment {
            account: account.0.clone(),
            conversation: conversation.to_string(),
            message,
            index,
            name,
            mime,
            sha256: crate::archive::format::sha256_hex(bytes),
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
        },
    }
}
