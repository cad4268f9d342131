//! What a send result and a peer's new id change (the SQLite store's rules; see there).

use super::*;

impl MemoryStore {
    pub(super) fn sent(
        &mut self,
        message: MessageId,
        remote: &str,
        at: Timestamp,
        applied: &mut Applied,
    ) -> Result<()> {
        let (account, msg) = self
            .messages
            .get(&message)
            .ok_or(StoreError::NoMessage(message.0))?;
        let (account, conv, was_sent) = (account.clone(), msg.conversation, msg.delivery.is_sent());
        let key = (account.clone(), remote.to_string());
        let body = msg.body.clone();
        let mut id_free = true;
        if let Some(&twin) = self.message_by_remote.get(&key)
            && twin != message
        {
            // The network's copy stored before this answer came is this message; any
            // other message under that id is kept apart (see the SQLite store).
            let echo = self.messages.get(&twin).is_some_and(|(_, m)| {
                m.direction == Direction::Outbound
                    && m.body == body
                    && self.sends.get(&twin).is_none_or(|(s, _)| s.txn.is_none())
            });
            if echo {
                self.messages.remove(&twin);
                self.message_by_remote.remove(&key);
                self.reaction_ids.retain(|_, (m, _)| *m != twin);
            } else {
                id_free = false;
            }
        }
        let Some((_, msg)) = self.messages.get_mut(&message) else {
            return Err(StoreError::NoMessage(message.0));
        };
        if id_free && msg.remote_id.is_none() {
            msg.remote_id = Some(remote.to_string());
            self.message_by_remote.insert(key, message);
        }
        msg.delivery = msg.delivery.advance(Delivery::Sent);
        applied.conversations.insert(conv);
        if was_sent {
            return Ok(());
        }
        let conversation = self
            .conversations
            .get(&conv)
            .map(|c| c.remote_id.clone())
            .unwrap_or_default();
        if let Some((meta, _)) = self.sends.get(&message).cloned() {
            if let Some(version) = meta.footer {
                self.ledger.push(crate::compliance::LedgerEntry::Footer {
                    account: account.clone(),
                    conversation,
                    version,
                    at,
                });
            }
            if let Some(mut notice) = meta.notice {
                notice.message = format!("local:{}", message.0);
                notice.at = at;
                self.ledger
                    .push(crate::compliance::LedgerEntry::FirstContact(*notice));
            }
        }
        Ok(())
    }

    pub(super) fn rename_peer(
        &mut self,
        account: &AccountId,
        from: &str,
        to: &str,
        applied: &mut Applied,
    ) {
        use crate::compliance::LedgerEntry;
        if from == to || from.is_empty() || to.is_empty() {
            return;
        }
        let a = &account.0;
        let old = self.by_remote.get(&(a.clone(), from.to_string())).copied();
        let new = self.by_remote.get(&(a.clone(), to.to_string())).copied();
        match (old, new) {
            (Some(old), None) => {
                self.by_remote.remove(&(a.clone(), from.to_string()));
                self.by_remote.insert((a.clone(), to.to_string()), old);
                if let Some(c) = self.conversations.get_mut(&old) {
                    c.remote_id = to.to_string();
                }
                applied.conversations.insert(old);
            }
            (Some(old), Some(new)) => {
                for (_, m) in self.messages.values_mut() {
                    if m.conversation == old {
                        m.conversation = new;
                    }
                }
                if let Some(gone) = self.conversations.remove(&old) {
                    self.by_remote.remove(&(a.clone(), from.to_string()));
                    if let Some(c) = self.conversations.get_mut(&new) {
                        c.unread += gone.unread;
                        if gone.last_activity > c.last_activity {
                            c.last_preview = gone.last_preview;
                            c.last_activity = gone.last_activity;
                        }
                        if c.draft.is_none() {
                            c.draft = gone.draft;
                        }
                        // Labels decide retention: the two conversations' together.
                        c.labels.extend(gone.labels);
                        c.labels.sort();
                        c.labels.dedup();
                    }
                }
                applied.conversations.insert(new);
            }
            _ => {}
        }
        for c in self.conversations.values_mut() {
            if c.account == *account
                && let Some(ct) = c.contact.as_mut()
                && (ct.identity == from || ct.identity == to)
            {
                ct.identity = to.to_string();
                // The old id was the phone number: it stays known as such.
                if from.starts_with('+') && ct.phone.is_none() {
                    ct.phone = Some(from.to_string());
                }
            }
        }
        let prefix = format!("{from}/");
        let ids: Vec<(String, MessageId)> = self
            .message_by_remote
            .iter()
            .filter(|((acc, r), _)| acc == a && r.starts_with(&prefix))
            .map(|((_, r), id)| (r.clone(), *id))
            .collect();
        for (remote, id) in ids {
            let renamed = format!("{to}{}", &remote[from.len()..]);
            self.message_by_remote.remove(&(a.clone(), remote));
            if self
                .message_by_remote
                .contains_key(&(a.clone(), renamed.clone()))
            {
                self.messages.remove(&id);
                continue;
            }
            if let Some((_, m)) = self.messages.get_mut(&id) {
                m.remote_id = Some(renamed.clone());
                applied.conversations.insert(m.conversation);
            }
            self.message_by_remote.insert((a.clone(), renamed), id);
        }
        let reactions: Vec<(String, String)> = self
            .reaction_ids
            .keys()
            .filter(|(acc, r)| {
                acc == a && (r.starts_with(&prefix) || r.ends_with(&format!("/reaction/{from}")))
            })
            .cloned()
            .collect();
        for key in reactions {
            if let Some(v) = self.reaction_ids.remove(&key) {
                let mut r = match key.1.strip_prefix(&prefix) {
                    Some(rest) => format!("{to}/{rest}"),
                    None => key.1.clone(),
                };
                if let Some(head) = r.strip_suffix(&format!("/reaction/{from}")) {
                    r = format!("{head}/reaction/{to}");
                }
                self.reaction_ids.insert((a.clone(), r), v);
            }
        }
        for e in &mut self.ledger {
            match e {
                LedgerEntry::Consent(r) if r.account == *a && r.address == from => {
                    r.address = to.to_string()
                }
                LedgerEntry::FirstContact(f) if f.account == *a && f.address == from => {
                    f.address = to.to_string()
                }
                LedgerEntry::Footer {
                    account,
                    conversation,
                    ..
                } if account == a && conversation == from => *conversation = to.to_string(),
                _ => {}
            }
        }
    }
}
