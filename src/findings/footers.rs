//! Outgoing messages the office sent past tresen — from the business phone or the
//! messenger app — that lacked the footer its own policy would have required (R-F2).
//! tresen's own sends carry it by construction; these are read back from the archive in
//! the order they were archived, with the same decision the engine makes for a send.

use std::collections::{BTreeMap, BTreeSet};

use crate::archive::Payload;
use crate::compliance::footer::{FooterConfig, FooterContext, needs_footer};
use crate::domain::{Direction, MessageKind, Timestamp};

/// Fed every archived record in order; counts what lacked a required footer.
pub struct FooterWatch<'a> {
    config: &'a FooterConfig,
    /// Accounts whose sends need the footer (the engine's rule).
    enforced: &'a BTreeSet<String>,
    /// Every footer text in force so far (full and compact): a message that carries one
    /// pasted by hand has its footer.
    texts: Vec<String>,
    /// Per conversation: the last outgoing message, the last one with the footer.
    seen: BTreeMap<(String, String), (Option<Timestamp>, Option<Timestamp>)>,
    pub missing: usize,
    pub missing_in: BTreeSet<String>,
}

impl<'a> FooterWatch<'a> {
    pub fn new(config: &'a FooterConfig, enforced: &'a BTreeSet<String>) -> Self {
        FooterWatch {
            config,
            enforced,
            texts: Vec::new(),
            seen: BTreeMap::new(),
            missing: 0,
            missing_in: BTreeSet::new(),
        }
    }

    pub fn feed(&mut self, payload: &Payload) {
        match payload {
            Payload::FooterVersion { full, compact, .. } => {
                self.texts.extend(
                    [full, compact]
                        .into_iter()
                        .filter(|t| !t.trim().is_empty())
                        .cloned(),
                );
            }
            Payload::Outgoing {
                account,
                conversation,
                at,
                footer,
                ..
            } => {
                let e = self.entry(account, conversation);
                e.0 = Some(*at);
                if footer.is_some() {
                    e.1 = Some(*at);
                }
            }
            Payload::Message(m)
                if m.direction == Direction::Outbound && m.kind == MessageKind::Chat =>
            {
                let carries = self.texts.iter().any(|t| m.body.contains(t.as_str()));
                let enforced = self.enforced.contains(&m.account.0);
                let config = self.config;
                let (last_outbound, last_footer) =
                    *self.entry(&m.account.0, &m.conversation_remote_id);
                let required = enforced
                    && !carries
                    && needs_footer(
                        config,
                        &FooterContext {
                            now: m.sent_at,
                            last_outbound,
                            last_footer,
                            ..FooterContext::default()
                        },
                    );
                if required {
                    self.missing += 1;
                    self.missing_in
                        .insert(format!("{}/{}", m.account.0, m.conversation_remote_id));
                }
                let e = self.entry(&m.account.0, &m.conversation_remote_id);
                e.0 = Some(m.sent_at);
                if carries {
                    e.1 = Some(m.sent_at);
                }
            }
            // Earlier messages under the old id are the same conversation's.
            Payload::PeerRenamed {
                account, from, to, ..
            } => crate::lifecycle::follow_rename(&mut self.seen, (account, from, to), |k| {
                (&k.0, &mut k.1)
            }),
            _ => {}
        }
    }

    fn entry(
        &mut self,
        account: &str,
        conversation: &str,
    ) -> &mut (Option<Timestamp>, Option<Timestamp>) {
        self.seen
            .entry((account.to_string(), conversation.to_string()))
            .or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, IncomingMessage};

    fn elsewhere(body: &str, at: i64) -> Payload {
        Payload::Message(IncomingMessage {
            account: AccountId("buero".into()),
            conversation_remote_id: "+49170".into(),
            remote_id: format!("r{at}"),
            kind: MessageKind::Chat,
            direction: Direction::Outbound,
            sender: String::new(),
            body: body.into(),
            attachments: Vec::new(),
            sent_at: Timestamp(at),
            received_at: Timestamp(at),
            raw: None,
            history: false,
        })
    }

    fn sent_here(at: i64, footer: bool) -> Payload {
        Payload::Outgoing {
            local_id: 1,
            account: "buero".into(),
            conversation: "+49170".into(),
            staff: "Lea".into(),
            body: "x".into(),
            attachments: Vec::new(),
            at: Timestamp(at),
            footer: footer.then(|| "v1".into()),
            consent_pending: false,
            txn: None,
            tags: Vec::new(),
            quote: None,
        }
    }

    #[test]
    fn r_f2_only_sends_past_tresen_that_the_policy_required_a_footer_for_count() {
        let config = FooterConfig::default();
        let enforced: BTreeSet<String> = ["buero".to_string()].into();
        let day = Timestamp::DAY;
        let mut w = FooterWatch::new(&config, &enforced);
        w.feed(&Payload::FooterVersion {
            version: "v1".into(),
            full: "Muster Haustechnik GmbH\nHRB 1".into(),
            compact: "Muster Haustechnik GmbH · HRB 1".into(),
            company: serde_json::Value::Null,
            at: Timestamp(0),
        });
        // The very first message of a conversation needs it: sent from the phone, it lacks it.
        w.feed(&elsewhere("Wir kommen morgen.", day));
        assert_eq!(w.missing, 1);
        // tresen's own send carried it; a phone reply the same day needs none.
        w.feed(&sent_here(2 * day, true));
        w.feed(&elsewhere("Bis gleich.", 2 * day + 60));
        assert_eq!(w.missing, 1);
        // With the footer pasted by hand it has one, however long the pause was.
        w.feed(&elsewhere(
            "Rechnung folgt.\n-- \nMuster Haustechnik GmbH · HRB 1",
            200 * day,
        ));
        assert_eq!(w.missing, 1);
        // Months later without it: required again under the default policy.
        w.feed(&elsewhere("Wartung fällig?", 400 * day));
        assert_eq!(w.missing, 2);
        assert_eq!(w.missing_in.len(), 1);
        // An account the footer is not enforced on (a demo without company data) counts nothing.
        let none = BTreeSet::new();
        let mut w = FooterWatch::new(&config, &none);
        w.feed(&elsewhere("Hallo", day));
        assert_eq!(w.missing, 0);
    }
}
