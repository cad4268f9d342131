//! In-memory store with the same contract as the SQLite one; for app and engine tests.

mod sends;

use std::collections::{BTreeMap, HashMap};

use super::query::query_words;
use super::{
    Applied, LocalMessage, Op, Result, SendMeta, Stats, Store, StoreError, StoreRead, Unsent,
    preview_of,
};
use crate::domain::{
    AccountId, Channel, Conversation, ConversationId, ConversationKind, ConversationUpsert,
    Delivery, Direction, Edit, Health, Message, MessageId, MessageKind, Reaction, SearchHit,
    Timestamp, TriageState, UNDECRYPTABLE,
};

#[derive(Default, Clone)]
pub struct MemoryStore {
    conversations: BTreeMap<ConversationId, Conversation>,
    by_remote: HashMap<(String, String), ConversationId>,
    messages: BTreeMap<MessageId, (String, Message)>,
    message_by_remote: HashMap<(String, String), MessageId>,
    next_conversation: i64,
    next_message: i64,
    sync_positions: HashMap<AccountId, String>,
    health: HashMap<AccountId, (Health, Timestamp)>,
    /// Reaction remote id → the message it sits on and the reaction.
    reaction_ids: HashMap<(String, String), (MessageId, Reaction)>,
    ledger: Vec<crate::compliance::LedgerEntry>,
    /// Messages sent from here: what they carry and whether a connector had them.
    sends: HashMap<MessageId, (SendMeta, bool)>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn upsert(&mut self, c: &ConversationUpsert, applied: &mut Applied) -> ConversationId {
        let key = (c.account.0.clone(), c.remote_id.clone());
        let have = self
            .by_remote
            .get(&key)
            .and_then(|id| self.conversations.get(id));
        let c = &c.completed(have.map(|h| (h.title.as_str(), h.contact.as_ref())));
        let id = match self.by_remote.get(&key) {
            Some(id) => *id,
            None => {
                self.next_conversation += 1;
                let id = ConversationId(self.next_conversation);
                self.by_remote.insert(key, id);
                self.conversations.insert(
                    id,
                    Conversation {
                        id,
                        account: c.account.clone(),
                        remote_id: c.remote_id.clone(),
                        kind: c.kind,
                        channel: c.channel,
                        title: c.title.clone(),
                        contact: c.contact.clone(),
                        state: TriageState::Open,
                        labels: Vec::new(),
                        unread: 0,
                        marked_unread: false,
                        last_activity: Timestamp(0),
                        last_preview: String::new(),
                        draft: None,
                        security: c.security,
                        assigned: None,
                    },
                );
                id
            }
        };
        if let Some(conv) = self.conversations.get_mut(&id) {
            conv.security = c.security;
            conv.kind = c.kind;
            conv.channel = c.channel;
            conv.title = c.title.clone();
            conv.contact = c.contact.clone();
        }
        applied.conversations.insert(id);
        id
    }

    fn conv_mut(&mut self, id: ConversationId) -> Result<&mut Conversation> {
        self.conversations
            .get_mut(&id)
            .ok_or_else(|| StoreError::NoConversation(id.to_string()))
    }

    fn insert_local(&mut self, m: LocalMessage<'_>, applied: &mut Applied) -> Result<MessageId> {
        let LocalMessage {
            conversation,
            kind,
            sender,
            body,
            attachments,
            at,
            delivery,
            quiet,
            meta,
        } = m;
        let conv = self.conv_mut(conversation)?;
        if kind != MessageKind::Note && !quiet {
            conv.last_preview = preview_of(body);
            conv.last_activity = conv.last_activity.max(at);
        }
        let account = conv.account.0.clone();
        self.next_message += 1;
        let id = MessageId(self.next_message);
        if let Some(meta) = meta {
            self.sends.insert(id, (meta.clone(), false));
        }
        self.messages.insert(
            id,
            (
                account,
                Message {
                    id,
                    conversation,
                    remote_id: None,
                    kind,
                    direction: Direction::Outbound,
                    sender: sender.to_string(),
                    body: body.to_string(),
                    attachments: attachments.to_vec(),
                    sent_at: at,
                    received_at: at,
                    delivery,
                    edit: None,
                    deleted_at: None,
                    failure: None,
                    reactions: Vec::new(),
                },
            ),
        );
        applied.conversations.insert(conversation);
        Ok(id)
    }

    fn by_remote_mut(&mut self, account: &AccountId, remote: &str) -> Option<&mut Message> {
        let id = self
            .message_by_remote
            .get(&(account.0.clone(), remote.to_string()))?;
        self.messages.get_mut(id).map(|(_, m)| m)
    }

    fn apply_one(&mut self, op: &Op, applied: &mut Applied) -> Result<()> {
        match op {
            Op::UpsertConversation(c) => {
                self.upsert(c, applied);
            }
            Op::Incoming(m) => {
                let key = (m.account.0.clone(), m.remote_id.clone());
                if let Some(id) = self.message_by_remote.get(&key).copied() {
                    // A placeholder for an undecryptable message becomes the message.
                    if m.kind == MessageKind::Chat
                        && let Some((_, old)) = self.messages.get_mut(&id)
                        && old.kind == MessageKind::System
                        && old.body == UNDECRYPTABLE
                    {
                        old.kind = MessageKind::Chat;
                        old.sender = m.sender.clone();
                        old.body = m.body.clone();
                        old.attachments = m.attachments.clone();
                        applied.conversations.insert(old.conversation);
                    }
                    return Ok(());
                }
                let conv_key = (m.account.0.clone(), m.conversation_remote_id.clone());
                let conv_id = match self.by_remote.get(&conv_key) {
                    Some(id) => *id,
                    None => self.upsert(
                        &ConversationUpsert {
                            account: m.account.clone(),
                            remote_id: m.conversation_remote_id.clone(),
                            kind: ConversationKind::Direct,
                            channel: Channel::Other,
                            title: m.conversation_remote_id.clone(),
                            contact: None,
                            security: Default::default(),
                        },
                        applied,
                    ),
                };
                self.next_message += 1;
                let id = MessageId(self.next_message);
                self.message_by_remote.insert(key, id);
                self.messages.insert(
                    id,
                    (
                        m.account.0.clone(),
                        Message {
                            id,
                            conversation: conv_id,
                            remote_id: Some(m.remote_id.clone()),
                            kind: m.kind,
                            direction: m.direction,
                            sender: m.sender.clone(),
                            body: m.body.clone(),
                            attachments: m.attachments.clone(),
                            sent_at: m.sent_at,
                            received_at: m.received_at,
                            delivery: match m.direction {
                                Direction::Inbound => Delivery::Read,
                                Direction::Outbound => Delivery::Sent,
                            },
                            edit: None,
                            deleted_at: None,
                            failure: None,
                            reactions: Vec::new(),
                        },
                    ),
                );
                applied.inserted += 1;
                let conv = self.conv_mut(conv_id)?;
                if m.direction == Direction::Inbound && m.kind == MessageKind::Chat {
                    conv.unread += 1;
                    conv.state = conv.state.after_inbound();
                }
                if m.sent_at >= conv.last_activity {
                    conv.last_preview = preview_of(&m.body);
                }
                conv.last_activity = conv.last_activity.max(m.sent_at);
                applied.conversations.insert(conv_id);
            }
            Op::QueueOutgoing {
                conversation,
                sender,
                body,
                attachments,
                at,
                automatic,
                meta,
            } => {
                let id = self.insert_local(
                    LocalMessage {
                        conversation: *conversation,
                        kind: MessageKind::Chat,
                        sender,
                        body,
                        attachments,
                        at: *at,
                        delivery: Delivery::Pending,
                        quiet: *automatic,
                        meta: Some(meta),
                    },
                    applied,
                )?;
                let conv = self.conv_mut(*conversation)?;
                if *automatic {
                    applied.queued.push(id);
                    return Ok(());
                }
                conv.unread = 0;
                conv.marked_unread = false;
                if conv.state == TriageState::Open {
                    conv.state = TriageState::Waiting;
                }
                applied.queued.push(id);
            }
            Op::SendResult {
                message,
                outcome,
                at,
            } => match outcome {
                Ok(remote) => self.sent(*message, remote, *at, applied)?,
                Err(reason) => {
                    let (_, msg) = self
                        .messages
                        .get_mut(message)
                        .ok_or(StoreError::NoMessage(message.0))?;
                    msg.delivery = msg.delivery.advance(Delivery::Failed);
                    if msg.delivery == Delivery::Failed {
                        msg.failure = Some(reason.clone());
                    }
                    applied.conversations.insert(msg.conversation);
                }
            },
            Op::SendAttempt { message } => {
                if let Some((_, attempted)) = self.sends.get_mut(message) {
                    *attempted = true;
                }
            }
            Op::SendUnclear { message, reason } => {
                if let Some((_, msg)) = self.messages.get_mut(message) {
                    msg.delivery = msg.delivery.advance(Delivery::Unclear);
                    if msg.delivery == Delivery::Unclear {
                        msg.failure = Some(reason.clone());
                    }
                    applied.conversations.insert(msg.conversation);
                }
            }
            Op::RenamePeer { account, from, to } => self.rename_peer(account, from, to, applied),
            Op::Receipt {
                account,
                remote_id,
                delivery,
            } => {
                if let Some(m) = self.by_remote_mut(account, remote_id) {
                    let new = m.delivery.advance(*delivery);
                    if new != m.delivery {
                        m.delivery = new;
                        let c = m.conversation;
                        applied.conversations.insert(c);
                    }
                }
            }
            Op::RemoteEdit {
                account,
                remote_id,
                body,
                at,
            } => {
                if let Some(m) = self.by_remote_mut(account, remote_id) {
                    m.edit = Some(Edit {
                        body: body.clone(),
                        at: *at,
                    });
                    let c = m.conversation;
                    applied.conversations.insert(c);
                }
            }
            Op::RemoteDelete {
                account,
                remote_id,
                at,
            } => {
                if let Some((id, r)) = self
                    .reaction_ids
                    .remove(&(account.0.clone(), remote_id.clone()))
                    && let Some((_, m)) = self.messages.get_mut(&id)
                {
                    if let Some(pos) = m.reactions.iter().position(|x| *x == r) {
                        m.reactions.remove(pos);
                    }
                    applied.conversations.insert(m.conversation);
                }
                if let Some(m) = self.by_remote_mut(account, remote_id) {
                    m.deleted_at.get_or_insert(*at);
                    let c = m.conversation;
                    applied.conversations.insert(c);
                }
            }
            Op::SetSecurity {
                account,
                remote_id,
                security,
            } => {
                if let Some(id) = self.by_remote.get(&(account.0.clone(), remote_id.clone()))
                    && let Some(c) = self.conversations.get_mut(id)
                    && c.security != *security
                {
                    c.security = *security;
                    applied.conversations.insert(*id);
                }
            }
            Op::Purge {
                account,
                remote_id,
                from,
                to,
            } => {
                let Some(&conv) = self.by_remote.get(&(account.0.clone(), remote_id.clone()))
                else {
                    return Ok(());
                };
                let doomed: Vec<MessageId> = self
                    .messages
                    .iter()
                    .filter(|(_, (_, m))| {
                        m.conversation == conv && m.sent_at >= *from && m.sent_at <= *to
                    })
                    .map(|(id, _)| *id)
                    .collect();
                let mut blobs = std::collections::BTreeSet::new();
                for id in &doomed {
                    if let Some((_, m)) = self.messages.remove(id) {
                        blobs.extend(m.attachments.into_iter().filter_map(|a| a.blob));
                        if let Some(r) = m.remote_id {
                            self.message_by_remote.remove(&(account.0.clone(), r));
                        }
                    }
                }
                self.reaction_ids.retain(|_, (m, _)| !doomed.contains(m));
                applied.purged += doomed.len();
                for b in blobs {
                    if !self
                        .messages
                        .values()
                        .any(|(_, m)| m.attachments.iter().any(|a| a.blob.as_ref() == Some(&b)))
                    {
                        applied.purged_blobs.push(b);
                    }
                }
                if !self.messages.values().any(|(_, m)| m.conversation == conv) {
                    self.conversations.remove(&conv);
                    self.by_remote
                        .remove(&(account.0.clone(), remote_id.clone()));
                } else {
                    applied.conversations.insert(conv);
                }
            }
            Op::SetHealth {
                account,
                health,
                at,
            } => {
                self.health.insert(account.clone(), (health.clone(), *at));
            }
            Op::Reaction {
                account,
                remote_id,
                target,
                key,
                sender,
                outbound,
                ..
            } => {
                let rkey = (account.0.clone(), remote_id.clone());
                if self.reaction_ids.contains_key(&rkey) {
                    return Ok(());
                }
                let reaction = Reaction {
                    key: key.clone(),
                    sender: sender.clone(),
                    outbound: *outbound,
                };
                if let Some(m) = self.by_remote_mut(account, target) {
                    m.reactions.push(reaction.clone());
                    let (id, conv) = (m.id, m.conversation);
                    applied.conversations.insert(conv);
                    self.reaction_ids.insert(rkey, (id, reaction));
                }
            }
            Op::SetAttachmentBlob {
                message,
                index,
                blob,
            } => {
                let (_, m) = self
                    .messages
                    .get_mut(message)
                    .ok_or(StoreError::NoMessage(message.0))?;
                let a = m
                    .attachments
                    .get_mut(*index)
                    .ok_or(StoreError::NoAttachment {
                        message: message.0,
                        index: *index,
                    })?;
                a.blob = Some(blob.clone());
                applied.conversations.insert(m.conversation);
            }
            Op::AddNote {
                conversation,
                author,
                body,
                at,
            } => {
                self.insert_local(
                    LocalMessage {
                        conversation: *conversation,
                        kind: MessageKind::Note,
                        sender: author,
                        body,
                        attachments: &[],
                        at: *at,
                        delivery: Delivery::Read,
                        quiet: false,
                        meta: None,
                    },
                    applied,
                )?;
            }
            Op::SetState {
                conversation,
                state,
            } => {
                self.conv_mut(*conversation)?.state = *state;
                applied.conversations.insert(*conversation);
            }
            Op::SetLabels {
                conversation,
                labels,
            } => {
                let mut l = labels.clone();
                l.sort();
                l.dedup();
                self.conv_mut(*conversation)?.labels = l;
                applied.conversations.insert(*conversation);
            }
            Op::MarkRead { conversation } => {
                let c = self.conv_mut(*conversation)?;
                c.unread = 0;
                c.marked_unread = false;
                applied.conversations.insert(*conversation);
            }
            Op::MarkUnread { conversation } => {
                self.conv_mut(*conversation)?.marked_unread = true;
                applied.conversations.insert(*conversation);
            }
            Op::SetDraft { conversation, body } => {
                self.conv_mut(*conversation)?.draft =
                    (!body.trim().is_empty()).then(|| body.clone());
                applied.conversations.insert(*conversation);
            }
            Op::SetSyncPosition { account, position } => {
                self.sync_positions
                    .insert(account.clone(), position.clone());
            }
            Op::Ledger(entry) => self.ledger.push(entry.clone()),
            Op::Assign {
                conversation,
                staff,
            } => {
                self.conv_mut(*conversation)?.assigned = staff.clone();
                applied.conversations.insert(*conversation);
            }
        }
        Ok(())
    }

    fn sorted_messages(&self, conversation: ConversationId) -> Vec<&Message> {
        let mut v: Vec<&Message> = self
            .messages
            .values()
            .map(|(_, m)| m)
            .filter(|m| m.conversation == conversation)
            .collect();
        v.sort_by_key(|m| (m.sent_at, m.id));
        v
    }
}

impl Store for MemoryStore {
    fn apply(&mut self, ops: &[Op]) -> Result<Applied> {
        // All or nothing, like a transaction: work on a copy and keep it only on success.
        let mut next = self.clone();
        let mut applied = Applied::default();
        for op in ops {
            next.apply_one(op, &mut applied)?;
        }
        *self = next;
        Ok(applied)
    }
}

fn contains_all(haystack: &str, words: &[String]) -> bool {
    let h = haystack.to_lowercase();
    words.iter().all(|w| h.contains(w.as_str()))
}

impl StoreRead for MemoryStore {
    fn conversations(&self) -> Result<Vec<Conversation>> {
        let mut v: Vec<Conversation> = self.conversations.values().cloned().collect();
        v.sort_by(|a, b| b.last_activity.cmp(&a.last_activity).then(b.id.cmp(&a.id)));
        Ok(v)
    }

    fn conversation(&self, id: ConversationId) -> Result<Option<Conversation>> {
        Ok(self.conversations.get(&id).cloned())
    }

    fn find_conversation(&self, key: &str) -> Result<Option<Conversation>> {
        if let Ok(id) = key.parse::<i64>()
            && let Some(c) = self.conversations.get(&ConversationId(id))
        {
            return Ok(Some(c.clone()));
        }
        let all = self.conversations()?;
        Ok(all
            .iter()
            .find(|c| c.remote_id == key)
            .or_else(|| {
                all.iter().find(|c| {
                    c.contact
                        .as_ref()
                        .is_some_and(|ct| ct.identity == key || ct.phone.as_deref() == Some(key))
                        || c.title.to_lowercase() == key.to_lowercase()
                })
            })
            .cloned())
    }

    fn messages(
        &self,
        conversation: ConversationId,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<Vec<Message>> {
        let all = self.sorted_messages(conversation);
        let end = match before {
            None => all.len(),
            Some(b) => match all.iter().position(|m| m.id == b) {
                Some(p) => p,
                None => return Ok(Vec::new()),
            },
        };
        let start = end.saturating_sub(limit);
        Ok(all[start..end].iter().map(|m| (*m).clone()).collect())
    }

    fn message(&self, id: MessageId) -> Result<Option<Message>> {
        Ok(self.messages.get(&id).map(|(_, m)| m.clone()))
    }

    fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let words = query_words(query);
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let mut hits = Vec::new();
        for c in self.conversations()? {
            let contact = c
                .contact
                .as_ref()
                .map(|ct| {
                    format!(
                        "{} {} {}",
                        ct.display_name,
                        ct.identity,
                        ct.phone.as_deref().unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            if contains_all(&format!("{} {}", c.title, contact), &words) {
                hits.push(SearchHit {
                    conversation: c.id,
                    message: None,
                    title: c.title.clone(),
                    snippet: c
                        .contact
                        .as_ref()
                        .map_or(c.remote_id.clone(), |ct| ct.address().to_string()),
                    at: c.last_activity,
                });
            }
        }
        hits.truncate(limit);
        for (_, m) in self.messages.values().rev() {
            if hits.len() >= limit {
                break;
            }
            if contains_all(&m.body, &words) {
                let title = self
                    .conversations
                    .get(&m.conversation)
                    .map(|c| c.title.clone())
                    .unwrap_or_default();
                hits.push(SearchHit {
                    conversation: m.conversation,
                    message: Some(m.id),
                    title,
                    snippet: preview_of(&m.body),
                    at: m.sent_at,
                });
            }
        }
        Ok(hits)
    }

    fn oldest_remote_id(&self, conversation: ConversationId) -> Result<Option<String>> {
        Ok(self
            .messages
            .values()
            .filter(|(_, m)| m.conversation == conversation && m.remote_id.is_some())
            .min_by_key(|(_, m)| (m.sent_at, m.id))
            .and_then(|(_, m)| m.remote_id.clone()))
    }

    fn conversation_by_remote(
        &self,
        account: &AccountId,
        remote_id: &str,
    ) -> Result<Option<ConversationId>> {
        Ok(self
            .by_remote
            .get(&(account.0.clone(), remote_id.to_string()))
            .copied())
    }

    fn message_by_remote(
        &self,
        account: &AccountId,
        remote_id: &str,
    ) -> Result<Option<(MessageId, String)>> {
        let key = (account.0.clone(), remote_id.to_string());
        let Some(id) = self.message_by_remote.get(&key) else {
            return Ok(None);
        };
        let conv = self.messages.get(id).map(|(_, m)| m.conversation);
        Ok(conv
            .and_then(|c| self.conversations.get(&c))
            .map(|c| (*id, c.remote_id.clone())))
    }

    fn undecryptable(&self, account: &AccountId, limit: usize) -> Result<Vec<(String, String)>> {
        Ok(self
            .messages
            .values()
            .rev()
            .filter(|(a, m)| {
                *a == account.0 && m.kind == MessageKind::System && m.body == UNDECRYPTABLE
            })
            .filter_map(|(_, m)| {
                let conv = self.conversations.get(&m.conversation)?;
                Some((conv.remote_id.clone(), m.remote_id.clone()?))
            })
            .take(limit)
            .collect())
    }

    fn account_health(&self, account: &AccountId) -> Result<Option<(Health, Timestamp)>> {
        Ok(self.health.get(account).cloned())
    }

    fn sync_position(&self, account: &AccountId) -> Result<Option<String>> {
        Ok(self.sync_positions.get(account).cloned())
    }

    fn ledger(
        &self,
        channel: Channel,
        address: &str,
    ) -> Result<Vec<crate::compliance::LedgerEntry>> {
        Ok(self
            .ledger
            .iter()
            .filter(|e| e.key() == (channel, address.to_string()))
            .cloned()
            .collect())
    }

    fn ledger_all(&self) -> Result<Vec<crate::compliance::LedgerEntry>> {
        Ok(self.ledger.clone())
    }

    fn last_exchange(
        &self,
        conversation: ConversationId,
    ) -> Result<(Option<Timestamp>, Option<Timestamp>)> {
        let mut out = (None, None);
        for m in self.sorted_messages(conversation) {
            if m.kind != MessageKind::Chat
                || m.direction == Direction::Outbound && !m.delivery.is_sent()
            {
                continue;
            }
            let slot = match m.direction {
                Direction::Outbound => &mut out.0,
                Direction::Inbound => &mut out.1,
            };
            *slot = Some(slot.map_or(m.sent_at, |t: Timestamp| t.max(m.sent_at)));
        }
        Ok(out)
    }

    fn unsent(&self) -> Result<Vec<Unsent>> {
        Ok(self
            .messages
            .iter()
            .filter(|(_, (_, m))| {
                m.delivery == Delivery::Pending
                    && m.direction == Direction::Outbound
                    && m.kind == MessageKind::Chat
            })
            .filter_map(|(id, (account, m))| {
                let conv = self.conversations.get(&m.conversation)?;
                let (meta, attempted) = self.sends.get(id).cloned().unwrap_or_default();
                Some(Unsent {
                    message: m.clone(),
                    account: AccountId(account.clone()),
                    conversation_remote_id: conv.remote_id.clone(),
                    meta,
                    attempted,
                })
            })
            .collect())
    }

    fn send_meta(&self, message: MessageId) -> Result<Option<SendMeta>> {
        Ok(self.sends.get(&message).map(|(m, _)| m.clone()))
    }

    fn knows_peer(&self, account: &AccountId, id: &str) -> Result<bool> {
        let prefix = format!("{id}/");
        Ok(self.conversations.values().any(|c| {
            c.account == *account
                && (c.remote_id == id || c.contact.as_ref().is_some_and(|ct| ct.identity == id))
        }) || self
            .message_by_remote
            .keys()
            .any(|(a, r)| *a == account.0 && r.starts_with(&prefix)))
    }

    fn stats(&self) -> Result<Stats> {
        Ok(Stats {
            conversations: self.conversations.len() as u64,
            messages: self.messages.len() as u64,
        })
    }
}
