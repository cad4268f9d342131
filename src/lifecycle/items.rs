//! Retention per message and per file (R-B5, R-E3): what the archive's records say about
//! single items — the tags a message was sent with, files that look like invoices, and
//! staff's decisions about them — and recording such a decision.

use std::collections::BTreeMap;

use crate::archive::read::Record;
use crate::archive::retention::{ItemClass, ItemFact};
use crate::archive::{Archive, Entry, Payload, Scope};
use crate::domain::invoice::{self, InvoiceSign};
use crate::domain::{Direction, MessageId, Timestamp};

use super::LifecycleError;

/// The class a file that looks like an invoice is kept as until staff decide.
pub const INVOICE_CLASS: &str = "buchungsbeleg";

/// (account, conversation, message key, file index or `None` for the message itself).
type Key = (String, String, String, Option<usize>);

/// A file that looks like an invoice and that nobody confirmed or corrected yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unconfirmed {
    pub account: String,
    pub conversation: String,
    /// The message's archive key (network id, or `local:<id>`).
    pub message: String,
    pub index: usize,
    /// The network's id of a message sent here, once it has one.
    pub remote: Option<String>,
    pub name: String,
    pub sign: InvoiceSign,
}

struct Found {
    bucket: String,
    name: Option<String>,
    tags: Vec<String>,
    sign: Option<InvoiceSign>,
}

/// Collects what single records say, record by record (see [`super::gather`]).
#[derive(Default)]
pub struct Items {
    found: BTreeMap<Key, Found>,
    decided: BTreeMap<Key, (String, ItemClass)>,
    /// The network's id of a message sent here → its `local:<id>` key (a decision
    /// names a sent message by the network's id: the inbox's own ids change when the
    /// store is rebuilt).
    sent: BTreeMap<(String, String, String), String>,
}

impl Items {
    pub fn feed(&mut self, r: &Record) {
        match &r.payload {
            Some(Payload::Outgoing {
                local_id,
                account,
                conversation,
                tags,
                ..
            }) if !tags.is_empty() => {
                let key = (
                    account.clone(),
                    conversation.clone(),
                    format!("local:{local_id}"),
                    None,
                );
                self.found.insert(
                    key,
                    Found {
                        bucket: r.bucket.clone(),
                        name: None,
                        tags: tags.clone(),
                        sign: None,
                    },
                );
            }
            Some(Payload::Attachment {
                account,
                conversation,
                message,
                index,
                name,
                mime,
                data,
                ..
            }) => {
                use base64::Engine as _;
                let b64 = base64::engine::general_purpose::STANDARD;
                // Photos and voice notes are most files: their first bytes say they are
                // no PDF or XML, and the rest is not decoded.
                let lower = name.to_lowercase();
                let named = [".pdf", ".xml"].iter().any(|e| lower.ends_with(e))
                    || mime.ends_with("/pdf")
                    || mime.ends_with("/xml");
                let head = b64
                    .decode(data.get(..12).unwrap_or(data))
                    .unwrap_or_default();
                if !named && !head.starts_with(b"%PDF") && !head.starts_with(b"<?xml") {
                    return;
                }
                let bytes = b64.decode(data).unwrap_or_default();
                if let Some(sign) = invoice::detect(name, mime, &bytes) {
                    let key = (
                        account.clone(),
                        conversation.clone(),
                        message.clone(),
                        Some(*index),
                    );
                    self.found.insert(
                        key,
                        Found {
                            bucket: r.bucket.clone(),
                            name: Some(name.clone()),
                            tags: Vec::new(),
                            sign: Some(sign),
                        },
                    );
                }
            }
            Some(Payload::SendResult {
                local_id,
                account,
                conversation,
                remote_id: Some(remote),
                ..
            }) => {
                self.sent.insert(
                    (account.clone(), conversation.clone(), remote.clone()),
                    format!("local:{local_id}"),
                );
            }
            Some(Payload::PeerRenamed {
                account, from, to, ..
            }) => {
                let names = (account.as_str(), from.as_str(), to.as_str());
                super::follow_rename(&mut self.found, names, |k| (&k.0, &mut k.1));
                super::follow_rename(&mut self.decided, names, |k| (&k.0, &mut k.1));
                super::follow_rename(&mut self.sent, names, |k| (&k.0, &mut k.1));
            }
            Some(Payload::ItemClass(c)) => {
                let key = (
                    c.account.clone(),
                    c.conversation.clone(),
                    c.message.clone(),
                    c.index,
                );
                self.decided.insert(key, (r.bucket.clone(), c.clone()));
            }
            _ => {}
        }
    }

    /// Every bucket's items with a class of their own, and the invoices nobody
    /// confirmed yet.
    pub fn finish(mut self) -> (BTreeMap<String, Vec<ItemFact>>, Vec<Unconfirmed>) {
        let decided = std::mem::take(&mut self.decided);
        for (key, d) in decided {
            let message = self
                .sent
                .get(&(key.0.clone(), key.1.clone(), key.2.clone()))
                .cloned()
                .unwrap_or(key.2);
            self.decided.insert((key.0, key.1, message, key.3), d);
        }
        let mut per: BTreeMap<String, Vec<ItemFact>> = BTreeMap::new();
        let mut unconfirmed = Vec::new();
        for (key, f) in &self.found {
            let whole = (key.0.clone(), key.1.clone(), key.2.clone(), None);
            let decision = self
                .decided
                .get(key)
                .or_else(|| self.decided.get(&whole))
                .map(|(_, c)| c);
            let what = match (&f.name, f.sign) {
                (Some(name), Some(sign)) => format!("{name} ({})", sign.describe(true)),
                (Some(name), None) => name.clone(),
                (None, _) => format!("Nachricht {} [{}]", key.2, f.tags.join(", ")),
            };
            let fact = match decision {
                Some(c) => ItemFact {
                    what: format!("{what}, eingestuft von {}", c.by),
                    tags: Vec::new(),
                    class: Some(c.class.clone()),
                },
                None => {
                    if let (Some(sign), Some(name), Some(index)) = (f.sign, &f.name, key.3) {
                        let remote = self
                            .sent
                            .iter()
                            .find(|((a, c, _), local)| (a, c, *local) == (&key.0, &key.1, &key.2))
                            .map(|((_, _, r), _)| r.clone());
                        unconfirmed.push(Unconfirmed {
                            account: key.0.clone(),
                            conversation: key.1.clone(),
                            message: key.2.clone(),
                            index,
                            remote,
                            name: name.clone(),
                            sign,
                        });
                    }
                    ItemFact {
                        what,
                        tags: f.tags.clone(),
                        class: f.sign.map(|_| INVOICE_CLASS.to_string()),
                    }
                }
            };
            per.entry(f.bucket.clone()).or_default().push(fact);
        }
        // A decision about a message nothing else singled out (a plain text that is an
        // invoice, say) counts in the bucket it was recorded in: its message's.
        for (key, (bucket, c)) in &self.decided {
            let covered = self.found.keys().any(|k| {
                (k.0.as_str(), k.1.as_str(), k.2.as_str()) == (&key.0, &key.1, &key.2)
                    && (key.3.is_none() || k.3 == key.3)
            });
            if !covered {
                per.entry(bucket.clone()).or_default().push(ItemFact {
                    what: format!("Nachricht {}, eingestuft von {}", key.2, c.by),
                    tags: Vec::new(),
                    class: Some(c.class.clone()),
                });
            }
        }
        (per, unconfirmed)
    }
}

/// How a decision names an inbox message in the archive: by the network's id, or for
/// a message sent here that the network has not confirmed, `local:<id>`.
pub fn archive_key(m: &crate::domain::Message) -> Option<String> {
    match (&m.remote_id, m.direction) {
        (Some(remote), _) => Some(remote.clone()),
        (None, Direction::Outbound) if !m.elsewhere => Some(format!("local:{}", m.id.0)),
        (None, _) => None,
    }
}

/// The unconfirmed invoices as `tresen retention item` takes them: `MESSAGE/FILE`
/// (the inbox's ids, as `tresen show` prints them; `?` when the inbox no longer has the
/// message), the file's name and why it looks like an invoice.
pub fn listed(store: &dyn crate::store::StoreRead, unconfirmed: &[Unconfirmed]) -> Vec<String> {
    unconfirmed
        .iter()
        .map(|u| {
            let account = crate::domain::AccountId(u.account.clone());
            let remote = u.remote.as_deref().unwrap_or(&u.message);
            let inbox = match store.message_by_remote(&account, remote) {
                Ok(Some((id, _))) => Some(id.0),
                _ => u
                    .message
                    .strip_prefix("local:")
                    .and_then(|n| n.parse::<i64>().ok())
                    // Inbox ids change when the store is rebuilt: only if the file is there.
                    .filter(|&n| {
                        store.message(MessageId(n)).is_ok_and(|m| {
                            m.and_then(|m| m.attachments.get(u.index).map(|a| a.name == u.name))
                                == Some(true)
                        })
                    }),
            };
            let at = inbox.map_or("?".to_string(), |id| format!("{id}/{}", u.index + 1));
            format!("{at} {} ({})", u.name, u.sign.describe(true))
        })
        .collect()
}

/// What staff decided about one item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemDecision {
    pub message: MessageId,
    /// Which file (from 0); `None`: the message with all its files.
    #[serde(default)]
    pub index: Option<usize>,
    pub class: String,
    pub reason: String,
    /// Refusals in German.
    #[serde(default)]
    pub german: bool,
}

/// Records `by`'s decision about a message's (or file's) retention class in the
/// message's part of the archive (R-B5: every reclassification is logged).
pub fn classify(
    archive: &mut Archive,
    store: &dyn crate::store::StoreRead,
    decision: ItemDecision,
    by: &str,
) -> Result<ItemClass, LifecycleError> {
    let de = decision.german;
    let refuse = |de_text: String, en_text: String| {
        LifecycleError::Refused(if de { de_text } else { en_text })
    };
    let classes = crate::archive::retention::CLASSES.join(", ");
    if !crate::archive::retention::CLASSES.contains(&decision.class.as_str()) {
        return Err(refuse(
            format!(
                "keine Aufbewahrungsklasse `{}` (eine von: {classes})",
                decision.class
            ),
            format!(
                "no retention class `{}` (one of: {classes})",
                decision.class
            ),
        ));
    }
    if decision.reason.trim().is_empty() {
        return Err(refuse(
            "eine Einstufung braucht einen Grund (--reason)".into(),
            "a reclassification needs a --reason".into(),
        ));
    }
    let n = decision.message.0;
    let m = store
        .message(decision.message)?
        .ok_or_else(|| refuse(format!("keine Nachricht {n}"), format!("no message {n}")))?;
    if let Some(i) = decision.index
        && i >= m.attachments.len()
    {
        let files = m.attachments.len();
        return Err(refuse(
            format!("Nachricht {n} hat {files} Datei(en), nicht {}", i + 1),
            format!("message {n} has {files} file(s), not {}", i + 1),
        ));
    }
    let conv = store
        .conversation(m.conversation)?
        .ok_or_else(|| refuse(format!("keine Nachricht {n}"), format!("no message {n}")))?;
    let message = archive_key(&m).ok_or_else(|| {
        refuse(
            format!("Nachricht {n} hat noch keine Kennung des Netzes; nach dem Senden einstufen"),
            format!("message {n} has not reached the network yet; classify it once it is sent"),
        )
    })?;
    let record = ItemClass {
        account: conv.account.0.clone(),
        conversation: conv.remote_id.clone(),
        message,
        index: decision.index,
        class: decision.class,
        reason: decision.reason,
        by: by.to_string(),
        at: Timestamp::now(),
    };
    archive.append(vec![Entry {
        scope: Scope::conversation(&conv.account.0, &conv.remote_id, m.sent_at),
        payload: Payload::ItemClass(record.clone()),
    }])?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(payload: Payload) -> Record {
        Record {
            seq: 1,
            ts: 0,
            kind: payload.kind().into(),
            bucket: "b-2026".into(),
            payload: Some(payload),
        }
    }

    /// R-E3: an invoice received under the customer's number is confirmed by a decision
    /// taken after Signal gave the conversation its account id.
    #[test]
    fn r_e3_a_decision_after_the_peer_got_its_new_id_confirms_the_invoice() {
        use base64::Engine as _;
        let mut items = Items::default();
        items.feed(&record(Payload::Attachment {
            account: "buero".into(),
            conversation: "+4917012345".into(),
            message: "m1".into(),
            index: 0,
            name: "Rechnung-2026-17.pdf".into(),
            mime: "application/pdf".into(),
            sha256: String::new(),
            data: base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.7 ..."),
        }));
        items.feed(&record(Payload::PeerRenamed {
            account: "buero".into(),
            from: "+4917012345".into(),
            to: "aci-1".into(),
            at: Timestamp(2),
        }));
        items.feed(&record(Payload::ItemClass(ItemClass {
            account: "buero".into(),
            conversation: "aci-1".into(),
            message: "m1".into(),
            index: Some(0),
            class: "buchungsbeleg".into(),
            reason: "Eingangsrechnung".into(),
            by: "Lea".into(),
            at: Timestamp(3),
        })));
        let (per, unconfirmed) = items.finish();
        assert!(unconfirmed.is_empty(), "{unconfirmed:?}");
        assert_eq!(per["b-2026"][0].class.as_deref(), Some("buchungsbeleg"));
    }
}
