//! What of a batch of connector events goes to the archive (R-B1): messages with the
//! network's original payload, outgoing results, edits, deletions, reactions, files and
//! conversations as first seen or changed, and receipts (proof a letter arrived).
//! Typing and health are not business records and are not archived.

use std::collections::HashMap;

use crate::archive::{Entry, Payload, Scope};
use crate::connector::ConnectorEvent;
use crate::domain::{AccountId, Direction, Timestamp};
use crate::store::StoreRead;

#[derive(Default)]
pub struct Capture {
    /// The last archived form of each conversation, so an unchanged one is not
    /// archived again with every message.
    conversations: HashMap<(AccountId, String), crate::domain::ConversationUpsert>,
}

impl Capture {
    /// The archive entries for `batch`. `store` answers which conversation a message
    /// belongs to and whether a message is already archived (a connector re-delivering
    /// after a restart must not produce a second record).
    pub fn entries(
        &mut self,
        batch: &[(AccountId, ConnectorEvent)],
        store: &dyn StoreRead,
    ) -> Vec<Entry> {
        let now = Timestamp::now();
        let mut out = Vec::new();
        // Which messages the store (and so the archive) has already: one query per
        // account and chunk instead of one per message.
        let mut known: HashMap<&AccountId, HashMap<String, bool>> = HashMap::new();
        {
            let mut wanted: HashMap<&AccountId, Vec<&str>> = HashMap::new();
            for (account, ev) in batch {
                if let ConnectorEvent::Message(m) = ev {
                    wanted.entry(account).or_default().push(&m.remote_id);
                }
            }
            for (account, ids) in wanted {
                known.insert(
                    account,
                    store.known_remote_ids(account, &ids).unwrap_or_default(),
                );
            }
        }
        // Notices whose first send result is in this batch (recorded once).
        let mut noticed = std::collections::HashSet::new();
        // Messages earlier in this batch: not in the store yet.
        let mut in_batch: HashMap<(&AccountId, &str), &str> = HashMap::new();
        // Peers renamed earlier in this batch: the store still has their old ids.
        let renamed: Vec<(&AccountId, &str, &str)> = batch
            .iter()
            .filter_map(|(a, ev)| match ev {
                ConnectorEvent::Renamed { from, to } => Some((a, from.as_str(), to.as_str())),
                _ => None,
            })
            .collect();
        let conversation_of =
            |account: &AccountId, remote: &str, in_batch: &HashMap<(&AccountId, &str), &str>| {
                let stored = |remote: &str| {
                    store
                        .message_by_remote(account, remote)
                        .ok()
                        .flatten()
                        .map(|(_, c)| c)
                };
                let before_rename = || {
                    renamed.iter().find_map(|(a, from, to)| {
                        let rest = remote.strip_prefix(to)?.strip_prefix('/')?;
                        let conv = stored(&format!("{from}/{rest}")).filter(|_| *a == account)?;
                        // A direct conversation moves with its peer.
                        Some(if conv == *from { to.to_string() } else { conv })
                    })
                };
                in_batch
                    .get(&(account, remote))
                    .map(|c| c.to_string())
                    .or_else(|| stored(remote))
                    .or_else(before_rename)
                    .unwrap_or_default()
            };
        for (account, ev) in batch {
            match ev {
                ConnectorEvent::Conversation(c) => {
                    let key = (account.clone(), c.remote_id.clone());
                    // What the store will hold: a name the connector did not know (a
                    // message sent from the office's phone) is the one known before.
                    let c = completed(c, self.conversations.get(&key), store);
                    if self.conversations.get(&key) != Some(&c) {
                        out.push(Entry {
                            scope: Scope::conversation_meta(&account.0, &c.remote_id),
                            payload: Payload::Conversation(c.clone()),
                        });
                        self.conversations.insert(key, c);
                    }
                }
                ConnectorEvent::Message(m) => {
                    // A placeholder that now decrypts is new content; anything else the
                    // store holds was archived before it was stored.
                    let stored = known.get(account).and_then(|k| k.get(&m.remote_id));
                    let new_content = match stored {
                        None => true,
                        Some(&placeholder) => {
                            placeholder && m.kind != crate::domain::MessageKind::System
                        }
                    };
                    if in_batch.contains_key(&(account, m.remote_id.as_str())) || !new_content {
                        continue;
                    }
                    in_batch.insert(
                        (account, m.remote_id.as_str()),
                        m.conversation_remote_id.as_str(),
                    );
                    out.push(Entry {
                        scope: Scope::conversation(
                            &account.0,
                            &m.conversation_remote_id,
                            m.sent_at,
                        ),
                        payload: Payload::Message(m.clone()),
                    });
                }
                ConnectorEvent::SendResult { message, outcome } => {
                    let conv = store
                        .message(*message)
                        .ok()
                        .flatten()
                        .and_then(|m| store.conversation(m.conversation).ok().flatten());
                    let conversation = conv.map(|c| c.remote_id).unwrap_or_default();
                    out.push(Entry {
                        scope: Scope::conversation(&account.0, &conversation, now),
                        payload: Payload::SendResult {
                            local_id: message.0,
                            account: account.0.clone(),
                            conversation,
                            remote_id: outcome.as_ref().ok().cloned(),
                            error: outcome.as_ref().err().cloned(),
                            at: now,
                        },
                    });
                    // The first-contact notice is on record once the network took it
                    // (R-C8), not when it was queued.
                    if outcome.is_ok()
                        && noticed.insert(*message)
                        && let Some(notice) = first_send_of_notice(store, *message)
                    {
                        out.push(Entry {
                            scope: Scope::System,
                            payload: Payload::FirstContact(crate::compliance::FirstContact {
                                message: format!("local:{}", message.0),
                                at: now,
                                ..notice
                            }),
                        });
                    }
                }
                ConnectorEvent::Receipt {
                    remote_id,
                    delivery,
                } => {
                    let conversation = conversation_of(account, remote_id, &in_batch);
                    out.push(Entry {
                        scope: Scope::conversation(&account.0, &conversation, now),
                        payload: Payload::Receipt {
                            account: account.0.clone(),
                            conversation,
                            remote_id: remote_id.clone(),
                            delivery: *delivery,
                            at: now,
                        },
                    });
                }
                ConnectorEvent::Edited {
                    remote_id,
                    body,
                    at,
                } => {
                    let conversation = conversation_of(account, remote_id, &in_batch);
                    out.push(Entry {
                        scope: Scope::conversation(&account.0, &conversation, *at),
                        payload: Payload::Edit {
                            account: account.0.clone(),
                            conversation,
                            remote_id: remote_id.clone(),
                            body: body.clone(),
                            at: *at,
                        },
                    });
                }
                ConnectorEvent::Deleted { remote_id, at } => {
                    let conversation = conversation_of(account, remote_id, &in_batch);
                    out.push(Entry {
                        scope: Scope::conversation(&account.0, &conversation, *at),
                        payload: Payload::Delete {
                            account: account.0.clone(),
                            conversation,
                            remote_id: remote_id.clone(),
                            at: *at,
                        },
                    });
                }
                ConnectorEvent::Reaction {
                    remote_id,
                    target,
                    key,
                    sender,
                    outbound,
                    at,
                } => {
                    let conversation = conversation_of(account, target, &in_batch);
                    out.push(Entry {
                        scope: Scope::conversation(&account.0, &conversation, *at),
                        payload: Payload::Reaction {
                            account: account.0.clone(),
                            conversation,
                            remote_id: remote_id.clone(),
                            target: target.clone(),
                            key: key.clone(),
                            sender: sender.clone(),
                            direction: if *outbound {
                                Direction::Outbound
                            } else {
                                Direction::Inbound
                            },
                            at: *at,
                        },
                    });
                }
                // Only when something is stored under the old id: otherwise there is
                // nothing to map (and no record every start).
                ConnectorEvent::Renamed { from, to }
                    if store.knows_peer(account, from).unwrap_or(true) =>
                {
                    out.push(Entry {
                        scope: Scope::System,
                        payload: Payload::PeerRenamed {
                            account: account.0.clone(),
                            from: from.clone(),
                            to: to.clone(),
                            at: now,
                        },
                    });
                }
                ConnectorEvent::Fetched {
                    message,
                    index,
                    outcome: Ok(bytes),
                } => {
                    let Ok(Some(m)) = store.message(*message) else {
                        continue;
                    };
                    let conversation = store
                        .conversation(m.conversation)
                        .ok()
                        .flatten()
                        .map(|c| c.remote_id)
                        .unwrap_or_default();
                    let (name, mime) = m
                        .attachments
                        .get(*index)
                        .map(|a| (a.name.clone(), a.mime.clone()))
                        .unwrap_or_default();
                    out.push(attachment(
                        account,
                        &conversation,
                        m.remote_id
                            .clone()
                            .unwrap_or_else(|| format!("local:{}", message.0)),
                        *index,
                        name,
                        mime,
                        bytes,
                        m.sent_at,
                    ));
                }
                _ => {}
            }
        }
        out
    }
}

/// An upsert with the title, name and number the connector left out filled in from the
/// last archived form or the store (the store's own rule, `ConversationUpsert::completed`).
fn completed(
    c: &crate::domain::ConversationUpsert,
    archived: Option<&crate::domain::ConversationUpsert>,
    store: &dyn StoreRead,
) -> crate::domain::ConversationUpsert {
    if !c.incomplete() {
        return c.clone();
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
    message: crate::domain::MessageId,
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
