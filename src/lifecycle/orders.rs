//! Offers and orders on record (R-E1, R-E2, R-E5): reading a conversation's steps from
//! the archive — its order records, the offers, Widerrufsbelehrungen and early-start
//! questions sent (by their tags), the `auftrag_verbraucher` label — and recording a new
//! step, refused where the law's order of things is not kept.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Books, LifecycleError};
use crate::archive::{ArchiveError, Payload, Scope, keys::Keys, read};
use crate::compliance::orders::{
    BELEHRUNG_TAG, CONSUMER_ORDER_LABEL, EARLY_START_TAG, Ground, OFFER_TAG, OrderEvent,
    OrderRecord, OrderState, Quote,
};
pub use crate::compliance::orders::{OrderChange, OrderView, WithdrawalView};
use crate::domain::{Direction, MessageId, Timestamp};

type Key = (String, String);

/// Every conversation's offer and order, from what `feed` saw.
#[derive(Debug, Default)]
pub struct Ledger {
    states: BTreeMap<Key, OrderState>,
    /// Since when a conversation carries the `auftrag_verbraucher` label.
    labelled: BTreeMap<Key, Timestamp>,
}

impl Ledger {
    /// Feeds one archived payload.
    pub fn feed(&mut self, p: &Payload) {
        match p {
            Payload::Order(r) => self.state(&r.account, &r.conversation).apply(r),
            Payload::Outgoing {
                local_id,
                account,
                conversation,
                tags,
                at,
                ..
            } => {
                let has = |t: &str| tags.iter().any(|x| x.eq_ignore_ascii_case(t));
                // Most messages carry no tag of these: no state for them.
                if ![OFFER_TAG, BELEHRUNG_TAG, EARLY_START_TAG]
                    .iter()
                    .any(|t| has(t))
                {
                    return;
                }
                let s = self.state(account, conversation);
                if has(OFFER_TAG) {
                    s.offer = Some(*at);
                }
                if has(BELEHRUNG_TAG) {
                    s.belehrung = Some((format!("local:{local_id}"), *at));
                }
                if has(EARLY_START_TAG) {
                    s.early_start_asked = Some(*at);
                }
            }
            // A Widerrufsbelehrung the network refused did not inform anyone.
            Payload::SendResult {
                local_id,
                account,
                conversation,
                error: Some(_),
                ..
            } => {
                if let Some(s) = self
                    .states
                    .get_mut(&(account.clone(), conversation.clone()))
                    && s.belehrung.as_ref().map(|(k, _)| k.as_str())
                        == Some(format!("local:{local_id}").as_str())
                {
                    s.belehrung = None;
                }
            }
            Payload::PeerRenamed {
                account, from, to, ..
            } => {
                let names = (account.as_str(), from.as_str(), to.as_str());
                super::follow_rename(&mut self.states, names, |k| (&k.0, &mut k.1));
                super::follow_rename(&mut self.labelled, names, |k| (&k.0, &mut k.1));
                // A state also names its conversation (for `order list`).
                for s in self.states.values_mut() {
                    if (&s.account, &s.conversation) == (account, from) {
                        s.conversation = to.clone();
                    }
                }
            }
            Payload::Classify {
                account,
                conversation,
                labels,
                at,
                ..
            } => {
                let key = (account.clone(), conversation.clone());
                if labels
                    .iter()
                    .any(|l| l.eq_ignore_ascii_case(CONSUMER_ORDER_LABEL))
                {
                    self.labelled.entry(key).or_insert(*at);
                } else {
                    self.labelled.remove(&key);
                }
            }
            _ => {}
        }
    }

    fn state(&mut self, account: &str, conversation: &str) -> &mut OrderState {
        self.states
            .entry((account.to_string(), conversation.to_string()))
            .or_insert_with(|| OrderState {
                account: account.to_string(),
                conversation: conversation.to_string(),
                ..Default::default()
            })
    }

    /// One conversation's state, if it has any.
    pub fn state_of(&self, account: &str, conversation: &str) -> Option<OrderState> {
        self.states
            .get(&(account.to_string(), conversation.to_string()))
            .cloned()
    }

    /// One conversation's view.
    pub fn view(&self, account: &str, conversation: &str, title: String) -> OrderView {
        let key = (account.to_string(), conversation.to_string());
        let mut state = self
            .states
            .get(&key)
            .cloned()
            .unwrap_or_else(|| OrderState {
                account: account.to_string(),
                conversation: conversation.to_string(),
                ..Default::default()
            });
        let labelled = self.labelled.get(&key).map(|t| t.to_local().date_naive());
        state.consumer |= labelled.is_some();
        OrderView::of(state, labelled, title)
    }

    /// Every conversation with an offer, an order or a consumer mark.
    pub fn views(&self, title: impl Fn(&str, &str) -> String) -> Vec<OrderView> {
        let mut keys: Vec<&Key> = self.states.keys().collect();
        keys.extend(
            self.labelled
                .keys()
                .filter(|k| !self.states.contains_key(*k)),
        );
        keys.sort();
        keys.into_iter()
            .map(|(a, c)| self.view(a, c, title(a, c)))
            .filter(|v| {
                let s = &v.state;
                s.consumer || s.offer.is_some() || s.accepted.is_some() || s.declined.is_some()
            })
            .collect()
    }
}

/// The ledger of the archive at `dir`.
pub fn ledger(dir: &Path, keys: &mut Keys) -> Result<Ledger, ArchiveError> {
    let mut l = Ledger::default();
    read::each_payload(dir, keys, |p| l.feed(p))?;
    Ok(l)
}

/// Records `change` for the conversation `key` names, as `by`; `de`: refusals in German.
pub fn change(
    books: &mut Books<'_>,
    key: &str,
    change: OrderChange,
    by: &str,
    de: bool,
) -> Result<OrderView, LifecycleError> {
    let refuse = |de_text: String, en_text: String| {
        Err(LifecycleError::Refused(if de { de_text } else { en_text }))
    };
    let Some(conv) = books.store.find_conversation(key)? else {
        return refuse(
            format!("keine Unterhaltung `{key}`"),
            format!("no conversation `{key}`"),
        );
    };
    let (account, remote) = (conv.account.0.clone(), conv.remote_id.clone());
    let dir = books.archive.dir().to_path_buf();
    let ledger = ledger(&dir, books.archive.keys())?;
    let now = ledger.view(&account, &remote, conv.title.clone());
    let s = &now.state;
    let quote = |id: MessageId| -> Result<Quote, LifecycleError> {
        let m = books
            .store
            .message(id)?
            .filter(|m| m.conversation == conv.id && m.direction == Direction::Inbound);
        let m = m.ok_or_else(|| {
            LifecycleError::Refused(if de {
                format!(
                    "Nachricht {} ist keine Nachricht des Kunden in dieser Unterhaltung",
                    id.0
                )
            } else {
                format!(
                    "message {} is not the customer's message in this conversation",
                    id.0
                )
            })
        })?;
        Ok(Quote {
            message: m
                .remote_id
                .clone()
                .unwrap_or_else(|| format!("local:{}", m.id.0)),
            text: m.body.clone(),
            at: m.sent_at,
        })
    };
    let event = match change {
        OrderChange::Consumer { consumer } => OrderEvent::Consumer { consumer },
        OrderChange::Accept { .. } if s.accepted.is_some() => {
            return refuse(
                "der Auftrag ist schon angenommen".into(),
                "the order is accepted already".into(),
            );
        }
        OrderChange::Accept { urgent_request } => {
            let ground = match (s.consumer, urgent_request, &s.belehrung) {
                (false, _, _) => Ground::Business,
                (true, Some(id), _) => Ground::UrgentRepair {
                    request: quote(id)?,
                },
                (true, None, Some((belehrung, sent))) => Ground::Informed {
                    belehrung: belehrung.clone(),
                    sent: *sent,
                },
                (true, None, None) => {
                    return refuse(
                        "Verbraucherauftrag: erst die Widerrufsbelehrung senden (`tresen send KUNDE --template Widerrufsbelehrung`) – oder bei einer dringenden Reparatur auf ausdrücklichen Wunsch des Kunden dessen Nachricht angeben (`--urgent-request NACHRICHT`)".into(),
                        "a consumer's order: send the Widerrufsbelehrung first (`tresen send CUSTOMER --template Widerrufsbelehrung`) — or, for an urgent repair the customer expressly asked for, name their message (`--urgent-request MESSAGE`)".into(),
                    );
                }
            };
            OrderEvent::Accepted { ground }
        }
        OrderChange::Decline if s.accepted.is_some() => {
            return refuse(
                "der Auftrag ist angenommen: ein abgelehntes Angebot ist er nicht mehr".into(),
                "the order is accepted: it is no declined offer any more".into(),
            );
        }
        OrderChange::Decline => OrderEvent::Declined,
        OrderChange::Start if s.consumer && s.accepted.is_none() => {
            return refuse(
                "Verbraucherauftrag: erst annehmen (`tresen order accept`)".into(),
                "a consumer's order: accept it first (`tresen order accept`)".into(),
            );
        }
        OrderChange::Start => OrderEvent::WorkStarted,
        OrderChange::EarlyStart { request } => OrderEvent::EarlyStart {
            request: quote(request)?,
        },
    };
    let at = Timestamp::now();
    let record = OrderRecord {
        account: account.clone(),
        conversation: remote.clone(),
        event,
        by: by.to_string(),
        at,
    };
    books.record_scoped(&[(
        &Scope::conversation(&account, &remote, at),
        &Payload::Order(record.clone()),
    )])?;
    let mut after = ledger;
    after.feed(&Payload::Order(record));
    Ok(after.view(&account, &remote, conv.title))
}

/// One conversation's offer and order (`tresen order show`).
pub fn show(books: &mut Books<'_>, key: &str, de: bool) -> Result<OrderView, LifecycleError> {
    let conv = books.store.find_conversation(key)?.ok_or_else(|| {
        LifecycleError::Refused(if de {
            format!("keine Unterhaltung `{key}`")
        } else {
            format!("no conversation `{key}`")
        })
    })?;
    let dir = books.archive.dir().to_path_buf();
    let ledger = ledger(&dir, books.archive.keys())?;
    Ok(ledger.view(&conv.account.0, &conv.remote_id, conv.title))
}

/// Every conversation's offer and order (`tresen order list`).
pub fn list(books: &mut Books<'_>) -> Result<Vec<OrderView>, LifecycleError> {
    let dir = books.archive.dir().to_path_buf();
    let ledger = ledger(&dir, books.archive.keys())?;
    let titles: BTreeMap<Key, String> = books
        .store
        .conversations()?
        .into_iter()
        .map(|c| ((c.account.0, c.remote_id), c.title))
        .collect();
    Ok(ledger.views(|a, c| {
        titles
            .get(&(a.to_string(), c.to_string()))
            .cloned()
            .unwrap_or_else(|| c.to_string())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::orders::{OrderEvent, OrderRecord};

    /// R-E1: a customer marked a consumer under their phone number is still one after
    /// Signal gave the conversation its account id, and the Widerrufsbelehrung sent
    /// after that counts for the same order.
    #[test]
    fn r_e1_an_order_follows_the_customer_to_their_new_id() {
        let mut l = Ledger::default();
        l.feed(&Payload::Order(OrderRecord {
            account: "buero".into(),
            conversation: "+4917012345".into(),
            event: OrderEvent::Consumer { consumer: true },
            by: "Lea".into(),
            at: Timestamp(1),
        }));
        l.feed(&Payload::PeerRenamed {
            account: "buero".into(),
            from: "+4917012345".into(),
            to: "aci-1".into(),
            at: Timestamp(2),
        });
        l.feed(&Payload::Outgoing {
            local_id: 7,
            account: "buero".into(),
            conversation: "aci-1".into(),
            staff: "Lea".into(),
            body: "Widerrufsbelehrung …".into(),
            attachments: Vec::new(),
            at: Timestamp(3),
            footer: None,
            consent_pending: false,
            txn: None,
            tags: vec![BELEHRUNG_TAG.into()],
            quote: None,
        });
        assert_eq!(l.state_of("buero", "+4917012345"), None);
        let s = l.state_of("buero", "aci-1").expect("moved");
        assert!(s.consumer);
        assert_eq!(s.conversation, "aci-1");
        assert_eq!(s.belehrung, Some(("local:7".into(), Timestamp(3))));
    }
}
