//! The compliance layer on the engine's two paths (docs/compliance.md): before a
//! message is stored as pending (company data present, consent gate, footer, channel
//! budget) and after inbound messages are stored (consent keywords, the first-contact
//! notice). What it decides is archived like any message.

use crate::archive::{Archive, Entry, Payload, Scope};
use crate::compliance::consent::{self, Action, ConsentRecord, Gate, Keyword, Method, Purpose};
use crate::compliance::footer::{self, FooterContext};
use crate::compliance::{Compliance, ConsentView, LedgerEntry, Outlook, contact_key, footer_key};
use crate::connector::OutgoingFile;
use crate::domain::{
    AccountId, Conversation, ConversationKind, Direction, IncomingMessage, MessageKind, Timestamp,
};
use crate::store::{Op, SharedStore, StoreRead};

use super::{Engine, EngineError, Notification};

/// What a send is, beyond its text (R-A4, R-A5, R-C4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendOptions {
    /// Document tags such as `angebot` or `rechnung` (the footer always goes on those).
    pub tags: Vec<String>,
    /// `None`: a service message about the customer's request.
    pub purpose: Option<Purpose>,
    /// Sent from a quick reply marked as a form (Vordruck exception, if enabled).
    pub vordruck: bool,
    /// The text of a message that failed, sent again: it already carries its footer,
    /// so none is added (never two footers on a retry).
    pub retry: bool,
}

/// One network message of a send, and the footer version it carries.
pub(super) struct Part {
    pub body: String,
    pub files: Vec<OutgoingFile>,
    pub footer: Option<String>,
    /// Its idempotency key, once queued.
    pub txn: Option<String>,
}

/// Labels that show a completed order with the contact (R-A5's existing business
/// relationship).
const CUSTOMER_LABELS: [&str; 3] = ["auftragsbestaetigung", "rechnung", "kunde"];

/// An inbound chat message of a stored batch, for the keyword and first-contact checks.
#[derive(Debug, Clone)]
pub(super) struct Inbound {
    pub account: AccountId,
    pub conversation: String,
    pub remote_id: String,
    pub body: String,
    pub sent_at: Timestamp,
    /// It arrived now or while tresen was not running, not as history (a new
    /// account's first sync, older messages fetched on request): only then can a
    /// first-contact notice be due. Its own timestamp plays no part.
    pub arrived: bool,
}

impl Inbound {
    pub fn of(m: &IncomingMessage, arrived: bool) -> Option<Inbound> {
        (m.direction == Direction::Inbound && m.kind == MessageKind::Chat).then(|| Inbound {
            account: m.account.clone(),
            conversation: m.conversation_remote_id.clone(),
            remote_id: m.remote_id.clone(),
            body: m.body.clone(),
            sent_at: m.sent_at,
            arrived,
        })
    }
}

/// Inbound messages of a conversation whose kind (direct or group) is not settled:
/// the notice and consent decisions wait until the connector's next sync.
#[derive(Debug, Default)]
pub(super) struct Parked {
    /// Decided once the account's checkpoint count reaches this.
    release_at: u64,
    messages: Vec<Inbound>,
}

impl Parked {
    pub fn until(release_at: u64) -> Parked {
        Parked {
            release_at,
            messages: Vec::new(),
        }
    }
}

/// Messages kept per undecided conversation; the first-contact decision needs one, a
/// customer rarely types several consent keywords within a second.
const PARKED_MAX: usize = 16;

pub use crate::domain::AUTOMATIC;

impl Engine {
    /// Checks a send against the rules and cuts it into the messages that will go out:
    /// the footer where the policy wants it, every piece within the channel's limit.
    pub(super) fn plan_send(
        &self,
        conv: &Conversation,
        body: String,
        files: Vec<OutgoingFile>,
        options: &SendOptions,
    ) -> Result<(Vec<Part>, Gate), EngineError> {
        let rules = &self.compliance;
        if let Some(why) = rules.cannot_send(&conv.account.0) {
            return Err(EngineError::Refused(why));
        }
        let store = &self.store;
        let (gate, footer) = store.read(|s| assess(s, rules, conv, options, Timestamp::now()))?;
        if let Gate::Blocked(why) = &gate {
            return Err(EngineError::Refused(why.explain()));
        }
        let footer = footer.filter(|_| !options.retry);
        let pieces = footer::compose(&body, footer, conv.channel)
            .map_err(|e| EngineError::Refused(e.to_string()))?;
        let version = footer.map(|f| f.version.clone());
        let text = |body: String, last: bool| Part {
            body,
            files: Vec::new(),
            footer: if last { version.clone() } else { None },
            txn: None,
        };
        let n = pieces.len();
        let mut parts = Vec::new();
        if files.is_empty() {
            parts.extend(
                pieces
                    .into_iter()
                    .enumerate()
                    .map(|(i, p)| text(p, i + 1 == n)),
            );
        } else if footer.is_none() || files.len() == 1 {
            // The text's last piece is the first file's caption; earlier pieces go ahead.
            let mut pieces = pieces;
            let caption = pieces.pop().unwrap_or_default();
            parts.extend(pieces.into_iter().map(|p| text(p, false)));
            for (i, f) in files.into_iter().enumerate() {
                parts.push(Part {
                    body: if i == 0 {
                        caption.clone()
                    } else {
                        String::new()
                    },
                    files: vec![f],
                    footer: if i == 0 { version.clone() } else { None },
                    txn: None,
                });
            }
        } else {
            // Several files and a footer: the files first, the text with the footer last.
            for f in files {
                parts.push(Part {
                    body: String::new(),
                    files: vec![f],
                    footer: None,
                    txn: None,
                });
            }
            parts.extend(
                pieces
                    .into_iter()
                    .enumerate()
                    .map(|(i, p)| text(p, i + 1 == n)),
            );
        }
        Ok((parts, gate))
    }

    /// Consent keywords and the first-contact notice for inbound messages just stored.
    pub(super) fn after_inbound(&mut self, inbound: Vec<Inbound>) {
        for m in inbound {
            if let Err(e) = self.inbound_rules(&m, true) {
                tracing::warn!(account = %m.account, error = %e, "compliance step after an inbound message failed");
            }
        }
    }

    /// Decides what waited for a conversation's kind: those whose connector has synced
    /// since (or all, when the engine stops), with the kind the store holds now.
    pub(super) fn release_parked(&mut self, all: bool) {
        if self.parked.is_empty() {
            return;
        }
        let due: Vec<(AccountId, String)> = self
            .parked
            .iter()
            .filter(|((account, _), p)| {
                all || self.checkpoints.get(account).copied().unwrap_or(0) >= p.release_at
            })
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            let Some(p) = self.parked.remove(&key) else {
                continue;
            };
            for m in p.messages {
                if let Err(e) = self.inbound_rules(&m, false) {
                    tracing::warn!(account = %m.account, error = %e, "compliance step after an inbound message failed");
                }
            }
        }
    }

    fn inbound_rules(&mut self, m: &Inbound, may_park: bool) -> Result<(), EngineError> {
        // Most messages are neither a keyword nor a new contact's first: decided without
        // touching the store (a bulk sync of old history costs nothing here).
        let keyword = self.compliance.consent.keyword(&m.body);
        let rules = &self.compliance;
        let may_notice = rules.consent.first_contact_message
            && rules.notice.is_some()
            && rules.footer.is_some()
            && m.arrived;
        if keyword.is_none() && !may_notice {
            return Ok(());
        }
        if may_park
            && let Some(p) = self
                .parked
                .get_mut(&(m.account.clone(), m.conversation.clone()))
        {
            // Direct chat or group is not known yet: decided after the next sync.
            if p.messages.len() < PARKED_MAX {
                p.messages.push(m.clone());
            }
            return Ok(());
        }
        let Some(id) = self
            .store
            .read(|s| s.conversation_by_remote(&m.account, &m.conversation))?
        else {
            return Ok(());
        };
        let Some(conv) = self.store.read(|s| s.conversation(id))? else {
            return Ok(());
        };
        let (channel, address) = contact_key(&conv);
        if let Some(keyword) = keyword {
            // Consent is to the words the customer saw: the question tresen asked.
            let wording = match keyword {
                Keyword::Grant => match self.asked_for_consent(&conv, channel, &address)? {
                    Some(asked) => asked,
                    // "Ja" answers some other question: not a consent.
                    None => return Ok(()),
                },
                Keyword::Withdraw => self.compliance.consent.wording.clone(),
            };
            let sha = crate::compliance::sha256_hex(wording.as_bytes());
            let version = format!("w-{}", &sha[..12]);
            let record = ConsentRecord {
                account: conv.account.0.clone(),
                contact: conv.title.clone(),
                channel,
                address: address.clone(),
                purposes: match keyword {
                    Keyword::Grant => vec![Purpose::ServiceMessaging],
                    Keyword::Withdraw => Purpose::ALL.to_vec(),
                },
                action: match keyword {
                    Keyword::Grant => Action::Grant,
                    Keyword::Withdraw => Action::Withdraw,
                },
                wording_version: version,
                wording_sha256: sha,
                wording,
                method: Method::InboundKeyword,
                evidence: Some(format!("{}/{}", m.account, m.remote_id)),
                staff: String::new(),
                at: m.sent_at,
            };
            record_consent(self.archive.as_mut(), &self.store, record)?;
            self.notify(Notification::Conversation(id));
            return Ok(());
        }
        if may_notice {
            self.first_contact(&conv, channel, address)?;
        }
        Ok(())
    }

    /// The question a JA from this contact answers, if it answers tresen's: a direct
    /// chat, the question (first-contact notice) went out, and no consent is on record
    /// yet.
    fn asked_for_consent(
        &self,
        conv: &Conversation,
        channel: crate::domain::Channel,
        address: &str,
    ) -> Result<Option<String>, EngineError> {
        if conv.kind != ConversationKind::Direct {
            return Ok(None);
        }
        let ledger = self.store.read(|s| s.ledger(channel, address))?;
        let asked = ledger.iter().rev().find_map(|e| match e {
            // Records from before the wording was kept asked the configured one.
            LedgerEntry::FirstContact(f) if f.wording.is_empty() => {
                Some(self.compliance.consent.wording.clone())
            }
            LedgerEntry::FirstContact(f) => Some(f.wording.clone()),
            _ => None,
        });
        let records: Vec<ConsentRecord> = ledger
            .into_iter()
            .filter_map(|e| match e {
                LedgerEntry::Consent(r) => Some(r),
                _ => None,
            })
            .collect();
        let granted = matches!(
            consent::state(&records, Purpose::ServiceMessaging),
            consent::ConsentState::Granted { .. }
        );
        Ok(asked.filter(|_| !granted))
    }

    /// R-C8: one notice per contact, due when a customer in a direct chat writes and
    /// tresen has no first-contact record for them (nor a consent on record). A reply
    /// the office sent before does not make it unnecessary. Recorded only once the
    /// network took it.
    fn first_contact(
        &mut self,
        conv: &Conversation,
        channel: crate::domain::Channel,
        address: String,
    ) -> Result<(), EngineError> {
        let rules = &self.compliance;
        if rules.notice.is_none() || rules.footer.is_none() || !rules.consent.first_contact_message
        {
            return Ok(());
        }
        if conv.kind != ConversationKind::Direct {
            return Ok(());
        }
        let ledger = self.store.read(|s| s.ledger(channel, &address))?;
        if !ledger.is_empty() {
            // Already noticed, or the contact's consent is on record: nothing to ask.
            return Ok(());
        }
        if self.notice_underway(conv.id)? {
            return Ok(());
        }
        self.queue_notice(conv, channel, address)
    }

    /// A notice for this conversation is stored and not yet answered by the network.
    fn notice_underway(
        &self,
        conversation: crate::domain::ConversationId,
    ) -> Result<bool, EngineError> {
        Ok(self.notices(conversation)?.into_iter().any(underway))
    }

    /// Delivery states of the first-contact notices tresen queued in a conversation.
    fn notices(
        &self,
        conversation: crate::domain::ConversationId,
    ) -> Result<Vec<crate::domain::Delivery>, EngineError> {
        let recent = self.store.read(|s| s.messages(conversation, None, 500))?;
        Ok(recent
            .iter()
            .filter(|m| m.direction == Direction::Outbound && m.sender == AUTOMATIC)
            .map(|m| m.delivery)
            .collect())
    }

    fn queue_notice(
        &mut self,
        conv: &Conversation,
        channel: crate::domain::Channel,
        address: String,
    ) -> Result<(), EngineError> {
        let Some(notice) = &self.compliance.notice else {
            return Ok(());
        };
        let body = format!("{}\n\n{}", notice.text, self.compliance.consent.wording);
        let record = crate::compliance::FirstContact {
            account: conv.account.0.clone(),
            channel,
            address,
            notice_version: notice.version.clone(),
            // Both filled in when the network takes it.
            message: String::new(),
            at: Timestamp::now(),
            wording: self.compliance.consent.wording.clone(),
        };
        self.send_as(
            conv.id,
            super::send::Outgoing {
                body,
                files: Vec::new(),
                sender: AUTOMATIC.to_string(),
                reply_to: None,
                notice: Some(record),
            },
            &SendOptions::default(),
        )?;
        Ok(())
    }

    /// Before staff write in a direct chat: a notice that failed is still owed and
    /// goes out first ("with or before the next outgoing message").
    pub(super) fn owed_notice(&mut self, conv: &Conversation) -> Result<(), EngineError> {
        let rules = &self.compliance;
        if rules.notice.is_none()
            || rules.footer.is_none()
            || !rules.consent.first_contact_message
            || conv.kind != ConversationKind::Direct
        {
            return Ok(());
        }
        // Cheap first: almost every contact has its notice or consent on record.
        let (channel, address) = contact_key(conv);
        if !self.store.read(|s| s.ledger(channel, &address))?.is_empty() {
            return Ok(());
        }
        let notices = self.notices(conv.id)?;
        let failed = notices.contains(&crate::domain::Delivery::Failed);
        if !failed || notices.iter().any(|&d| underway(d) || d.is_sent()) {
            return Ok(());
        }
        tracing::info!(
            conversation = conv.id.0,
            "the first-contact notice failed before; sending it ahead of this message"
        );
        self.queue_notice(conv, channel, address)
    }

    /// Records the footer version in force in the archive when it is new (R-A8).
    pub(super) fn archive_footer_version(&mut self) {
        let (Some(footer), Some(company), Some(archive)) = (
            self.compliance.footer.clone(),
            self.compliance.company.as_ref(),
            self.archive.as_mut(),
        ) else {
            return;
        };
        let mark = archive.dir().join("footer.version");
        if std::fs::read_to_string(&mark).ok().as_deref() == Some(footer.version.as_str()) {
            return;
        }
        let company = serde_json::to_value(&company.config).unwrap_or_default();
        let appended = archive.append(vec![Entry {
            scope: Scope::System,
            payload: Payload::FooterVersion {
                version: footer.version.clone(),
                full: footer.full.clone(),
                compact: footer.compact.clone(),
                company,
                at: Timestamp::now(),
            },
        }]);
        match appended {
            Ok(_) => {
                if let Err(e) =
                    crate::archive::write_private_nosync(&mark, footer.version.as_bytes())
                {
                    tracing::warn!(error = %e, "footer mark not written; the next start records the version again");
                }
            }
            Err(e) => tracing::error!(error = %e, "footer version not archived"),
        }
    }
}

/// A message in this state may still reach the customer (pending, or unclear).
fn underway(d: crate::domain::Delivery) -> bool {
    matches!(
        d,
        crate::domain::Delivery::Pending | crate::domain::Delivery::Unclear
    )
}

/// The consent gate's answer and the footer the next message needs, as the engine will
/// decide them (shared with the composer's preview).
pub fn assess<'r>(
    store: &dyn StoreRead,
    rules: &'r Compliance,
    conv: &Conversation,
    options: &SendOptions,
    now: Timestamp,
) -> Result<(Gate, Option<&'r footer::Footer>), crate::store::StoreError> {
    let records = consents_of(store, conv)?;
    let (last_out, last_in) = store.last_exchange(conv.id)?;
    let purpose = options.purpose.unwrap_or(Purpose::ServiceMessaging);
    let gate = consent::gate(
        rules.consent.require_consent_for_outbound,
        purpose,
        &records,
        last_in,
    );
    let Some(f) = &rules.footer else {
        return Ok((gate, None));
    };
    let last_footer = store
        .ledger(
            crate::domain::Channel::Other,
            &footer_key(&conv.account.0, &conv.remote_id),
        )?
        .last()
        .map(LedgerEntry::at);
    let mut tags = options.tags.clone();
    tags.extend(conv.labels.iter().cloned());
    let ctx = FooterContext {
        now,
        last_outbound: last_out,
        last_footer,
        tags: &tags,
        vordruck: options.vordruck,
        existing_customer: conv
            .labels
            .iter()
            .any(|l| CUSTOMER_LABELS.contains(&l.as_str())),
    };
    Ok((
        gate,
        footer::needs_footer(&rules.footer_config, &ctx).then_some(f),
    ))
}

/// What the composer shows for a conversation (consent state, footer, refusal).
pub fn outlook(
    store: &dyn StoreRead,
    rules: &Compliance,
    conv: &Conversation,
    now: Timestamp,
) -> Result<Outlook, crate::store::StoreError> {
    let (gate, footer) = assess(store, rules, conv, &SendOptions::default(), now)?;
    let records = consents_of(store, conv)?;
    let consent = match (consent::state(&records, Purpose::ServiceMessaging), &gate) {
        (consent::ConsentState::Granted { .. }, _) => ConsentView::Granted,
        (consent::ConsentState::Withdrawn { .. }, _) => ConsentView::Withdrawn,
        (_, Gate::Blocked(_)) => ConsentView::Missing,
        (_, Gate::ConsentPending) => ConsentView::Pending,
        (_, Gate::Allowed) => ConsentView::NotRequired,
    };
    let blocked = match (&gate, rules.cannot_send(&conv.account.0)) {
        (_, Some(why)) => Some(why),
        (Gate::Blocked(why), None) => Some(why.explain()),
        _ => None,
    };
    Ok(Outlook {
        consent,
        footer: footer.map(|f| f.full.clone()),
        blocked,
    })
}

/// Appends a consent record to the archive (first) and the store's ledger. Used by the
/// engine for keywords and by `tresen consent grant|withdraw`.
pub fn record_consent(
    archive: Option<&mut Archive>,
    store: &SharedStore,
    record: ConsentRecord,
) -> Result<(), EngineError> {
    if let Some(archive) = archive {
        archive.append(vec![Entry {
            scope: Scope::System,
            payload: Payload::Consent(record.clone()),
        }])?;
    }
    store
        .lock()
        .apply(&[Op::Ledger(LedgerEntry::Consent(record))])?;
    Ok(())
}

/// The consent records about a conversation's contact, oldest first.
pub fn consents_of(
    store: &dyn StoreRead,
    conv: &Conversation,
) -> Result<Vec<ConsentRecord>, crate::store::StoreError> {
    let (channel, address) = contact_key(conv);
    Ok(store
        .ledger(channel, &address)?
        .into_iter()
        .filter_map(|e| match e {
            LedgerEntry::Consent(r) => Some(r),
            _ => None,
        })
        .collect())
}
