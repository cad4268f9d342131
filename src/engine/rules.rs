//! The compliance rules as an engine component (docs/compliance.md), on the engine's two
//! paths: before a message is stored as pending (company data present, consent gate,
//! footer, channel budget) and after inbound messages are stored (consent keywords, the
//! first-contact notice). It reads the store and decides; the engine carries out what
//! it decides — archive first, sends through the outbox — one message at a time, so
//! each decision sees what the one before it did.

use crate::archive::{Archive, Entry, Payload, Scope};
use crate::compliance::consent::{self, Action, ConsentRecord, Gate, Keyword, Method, Purpose};
use crate::compliance::footer::{self, FooterContext};
use crate::compliance::{Compliance, ConsentView, LedgerEntry, Outlook, contact_key, footer_key};
use crate::connector::OutgoingFile;
use crate::domain::hours::AwayReplies;
use crate::domain::{
    AccountId, Clock, Conversation, ConversationId, ConversationKind, Direction, IncomingMessage,
    MessageKind, Timestamp,
};
use crate::store::{Op, SharedStore, StoreRead};

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::EngineError;
use super::send::Outgoing;

/// What a send is, beyond its text (R-A4, R-A5, R-C4).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
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
    /// `[[urgent]]` marks it (set by the engine before the rules see it).
    pub urgent: bool,
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
            urgent: false,
        })
    }
}

/// Inbound messages of a conversation whose kind (direct or group) is not settled:
/// the notice and consent decisions wait until the connector's next sync.
#[derive(Debug, Default)]
struct Parked {
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

/// The rules in force, shared with the handles so the composer previews what the
/// engine will decide.
pub(super) type SharedRules = Arc<RwLock<Arc<Compliance>>>;

/// What the rules decided; the engine carries it out.
pub(super) enum Decision {
    /// A consent keyword from the customer: recorded (archive first), the UI told.
    Consent {
        conversation: ConversationId,
        record: ConsentRecord,
    },
    /// An automatic message goes out in this conversation: the first-contact notice
    /// (R-C8), the away reply, or both in one message.
    Automatic {
        conversation: ConversationId,
        message: Outgoing,
    },
}

pub(super) struct Rules {
    compliance: Arc<Compliance>,
    shared: SharedRules,
    /// Checkpoints per account in this run (a connector's syncs).
    checkpoints: HashMap<AccountId, u64>,
    /// Conversations whose kind (direct or group) is not settled, with the inbound
    /// messages whose decisions wait for it.
    parked: HashMap<(AccountId, String), Parked>,
    /// `[hours]` away replies, when the office wants them.
    away: Option<AwayReplies>,
    clock: Clock,
}

impl Rules {
    /// No rules (footer, consent gate and notice off) until [`Rules::set`].
    pub fn new() -> (Rules, SharedRules) {
        let compliance = Arc::new(Compliance::off());
        let shared: SharedRules = Arc::new(RwLock::new(Arc::clone(&compliance)));
        let rules = Rules {
            compliance,
            shared: Arc::clone(&shared),
            checkpoints: HashMap::new(),
            parked: HashMap::new(),
            away: None,
            clock: crate::domain::system_clock(),
        };
        (rules, shared)
    }

    pub fn set(&mut self, compliance: Compliance) {
        let compliance = Arc::new(compliance);
        if let Ok(mut r) = self.shared.write() {
            *r = Arc::clone(&compliance);
        }
        self.compliance = compliance;
    }

    pub fn set_away(&mut self, away: Option<AwayReplies>, clock: Clock) {
        self.away = away;
        self.clock = clock;
    }

    /// The time by the engine's clock.
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    pub fn compliance(&self) -> &Compliance {
        &self.compliance
    }

    /// A connector of `account` finished a sync.
    pub fn checkpoint(&mut self, account: &AccountId) {
        *self.checkpoints.entry(account.clone()).or_default() += 1;
    }

    /// The connector does not know yet whether a conversation is a direct chat or a
    /// group: its decisions wait until the sync after the current one.
    pub fn kind_pending(&mut self, account: AccountId, conversation: String) {
        let release = self.checkpoints.get(&account).copied().unwrap_or(0) + 2;
        self.parked
            .entry((account, conversation))
            .or_insert_with(|| Parked::until(release));
    }

    /// What makes two inbound messages of one batch decide alike, unless one is a
    /// consent keyword or waits for its conversation's kind (then `None`: each is
    /// decided). Once the first of a conversation's messages is decided and carried
    /// out, the rest find the same ledger, the notice underway and the away reply
    /// given: deciding them again would read the store four times each for nothing
    /// (a new customer's burst made that the inbound path's largest cost, issue 20).
    pub fn alike(&self, m: &Inbound) -> Option<(AccountId, String, bool, bool)> {
        let parked = self
            .parked
            .contains_key(&(m.account.clone(), m.conversation.clone()));
        (!parked && self.compliance.consent.keyword(&m.body).is_none()).then(|| {
            (
                m.account.clone(),
                m.conversation.clone(),
                m.urgent,
                m.arrived,
            )
        })
    }

    /// Decisions are waiting for a conversation's kind.
    pub fn waiting(&self) -> bool {
        !self.parked.is_empty()
    }

    /// The messages whose conversation's connector has synced since they were parked
    /// (or all, when the engine stops): decide them now with [`Rules::decide`].
    pub fn due(&mut self, all: bool) -> Vec<Inbound> {
        let checkpoints = &self.checkpoints;
        let due: Vec<(AccountId, String)> = self
            .parked
            .iter()
            .filter(|((account, _), p)| {
                all || checkpoints.get(account).copied().unwrap_or(0) >= p.release_at
            })
            .map(|(k, _)| k.clone())
            .collect();
        due.into_iter()
            .filter_map(|k| self.parked.remove(&k))
            .flat_map(|p| p.messages)
            .collect()
    }

    /// Checks a send against the rules and cuts it into the messages that will go out:
    /// the footer where the policy wants it, every piece within the channel's limit.
    pub fn plan_send(
        &self,
        store: &SharedStore,
        conv: &Conversation,
        body: String,
        files: Vec<OutgoingFile>,
        options: &SendOptions,
    ) -> Result<(Vec<Part>, Gate), EngineError> {
        let rules = &self.compliance;
        if let Some(why) = rules.cannot_send(&conv.account.0) {
            return Err(EngineError::Refused(why));
        }
        let (gate, footer) = store.read(|s| assess(s, rules, conv, options, self.now()))?;
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

    /// Consent keywords and the first-contact notice for an inbound message just
    /// stored. `may_park`: it may wait for its conversation's kind.
    pub fn decide(
        &mut self,
        store: &SharedStore,
        m: &Inbound,
        may_park: bool,
    ) -> Result<Option<Decision>, EngineError> {
        // Most messages are neither a keyword nor a new contact's first: decided without
        // touching the store (a bulk sync of old history costs nothing here).
        let keyword = self.compliance.consent.keyword(&m.body);
        let rules = &self.compliance;
        let may_notice = rules.consent.first_contact_message
            && rules.notice.is_some()
            && rules.footer.is_some()
            && m.arrived;
        let now = (self.clock)();
        let may_away = m.arrived && self.away.as_ref().is_some_and(|a| !a.hours.is_open(now));
        if keyword.is_none() && !may_notice && !may_away {
            return Ok(None);
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
            return Ok(None);
        }
        let Some(id) = store.read(|s| s.conversation_by_remote(&m.account, &m.conversation))?
        else {
            return Ok(None);
        };
        let Some(conv) = store.read(|s| s.conversation(id))? else {
            return Ok(None);
        };
        let (channel, address) = contact_key(&conv);
        if keyword == Some(Keyword::Privacy) {
            return Ok(self
                .privacy_text(&conv, m)
                .map(|message| Decision::Automatic {
                    conversation: id,
                    message,
                }));
        }
        if let Some(keyword) = keyword {
            // Consent is to the words the customer saw: the question tresen asked.
            let wording = match keyword {
                Keyword::Grant => match self.asked_for_consent(store, &conv, channel, &address)? {
                    Some(asked) => asked,
                    // "Ja" answers some other question: not a consent.
                    None => return Ok(None),
                },
                Keyword::Withdraw | Keyword::Privacy => self.compliance.consent.wording.clone(),
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
                    Keyword::Withdraw | Keyword::Privacy => Purpose::ALL.to_vec(),
                },
                action: match keyword {
                    Keyword::Grant => Action::Grant,
                    Keyword::Withdraw | Keyword::Privacy => Action::Withdraw,
                },
                wording_version: version,
                wording_sha256: sha,
                wording,
                method: Method::InboundKeyword,
                evidence: Some(format!("{}/{}", m.account, m.remote_id)),
                staff: String::new(),
                at: m.sent_at,
            };
            return Ok(Some(Decision::Consent {
                conversation: id,
                record,
            }));
        }
        let notice = match may_notice {
            true => self.first_contact(store, &conv, channel, address)?,
            false => None,
        };
        let away = match may_away {
            true => self.away_reply(store, &conv, m.urgent, now)?,
            false => None,
        };
        let message = match (away, notice) {
            // A new customer gets one message: the away text, then the notice.
            (Some(away), Some(mut notice)) => {
                notice.body = format!("{away}\n\n{}", notice.body);
                notice
            }
            (Some(away), None) => Outgoing {
                body: away,
                files: Vec::new(),
                sender: AUTOMATIC.to_string(),
                reply_to: None,
                notice: None,
            },
            (None, Some(notice)) => notice,
            (None, None) => return Ok(None),
        };
        Ok(Some(Decision::Automatic {
            conversation: id,
            message,
        }))
    }

    /// R-C8's second layer, for a customer who answered the privacy keyword in a direct
    /// chat as it arrived (history does not ask).
    fn privacy_text(&self, conv: &Conversation, m: &Inbound) -> Option<Outgoing> {
        let notice = self.compliance.notice.as_ref()?;
        if !m.arrived || conv.kind != ConversationKind::Direct || self.compliance.footer.is_none() {
            return None;
        }
        Some(Outgoing {
            body: notice.full.clone(),
            files: Vec::new(),
            sender: AUTOMATIC.to_string(),
            reply_to: None,
            notice: None,
        })
    }

    /// The away text, if the office is closed at `now` and this direct chat has had
    /// no automatic message since it closed: one per conversation per closed period.
    fn away_reply(
        &self,
        store: &SharedStore,
        conv: &Conversation,
        urgent: bool,
        now: Timestamp,
    ) -> Result<Option<String>, EngineError> {
        let Some(away) = &self.away else {
            return Ok(None);
        };
        if conv.kind != ConversationKind::Direct {
            return Ok(None);
        }
        let Some(text) = away.text_at(now, urgent) else {
            return Ok(None);
        };
        let since = away.hours.closed_since(now).unwrap_or(Timestamp(i64::MIN));
        let recent = store.read(|s| s.messages(conv.id, None, 200))?;
        let given = recent.iter().any(|m| {
            m.direction == Direction::Outbound && m.sender == AUTOMATIC && m.sent_at >= since
        });
        Ok((!given).then_some(text))
    }

    /// The question a JA from this contact answers, if it answers tresen's: a direct
    /// chat, the question (first-contact notice) went out, and no consent is on record
    /// yet.
    fn asked_for_consent(
        &self,
        store: &SharedStore,
        conv: &Conversation,
        channel: crate::domain::Channel,
        address: &str,
    ) -> Result<Option<String>, EngineError> {
        if conv.kind != ConversationKind::Direct {
            return Ok(None);
        }
        let ledger = store.read(|s| s.ledger(channel, address))?;
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
        &self,
        store: &SharedStore,
        conv: &Conversation,
        channel: crate::domain::Channel,
        address: String,
    ) -> Result<Option<Outgoing>, EngineError> {
        let rules = &self.compliance;
        if rules.notice.is_none() || rules.footer.is_none() || !rules.consent.first_contact_message
        {
            return Ok(None);
        }
        if conv.kind != ConversationKind::Direct {
            return Ok(None);
        }
        let ledger = store.read(|s| s.ledger(channel, &address))?;
        if !ledger.is_empty() {
            // Already noticed, or the contact's consent is on record: nothing to ask.
            return Ok(None);
        }
        if notices(store, conv.id)?.into_iter().any(underway) {
            // One is stored and not yet answered by the network.
            return Ok(None);
        }
        Ok(self.notice(conv, channel, address))
    }

    /// The notice and the consent question, as the automatic message that carries them.
    fn notice(
        &self,
        conv: &Conversation,
        channel: crate::domain::Channel,
        address: String,
    ) -> Option<Outgoing> {
        let notice = self.compliance.notice.as_ref()?;
        let body = notice.first_message(&self.compliance.consent.wording);
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
        Some(Outgoing {
            body,
            files: Vec::new(),
            sender: AUTOMATIC.to_string(),
            reply_to: None,
            notice: Some(record),
        })
    }

    /// Before staff write in a direct chat: a notice that failed is still owed and
    /// goes out first ("with or before the next outgoing message").
    pub fn owed_notice(
        &self,
        store: &SharedStore,
        conv: &Conversation,
    ) -> Result<Option<Outgoing>, EngineError> {
        let rules = &self.compliance;
        if rules.notice.is_none()
            || rules.footer.is_none()
            || !rules.consent.first_contact_message
            || conv.kind != ConversationKind::Direct
        {
            return Ok(None);
        }
        // Cheap first: almost every contact has its notice or consent on record.
        let (channel, address) = contact_key(conv);
        if !store.read(|s| s.ledger(channel, &address))?.is_empty() {
            return Ok(None);
        }
        let notices = notices(store, conv.id)?;
        let failed = notices.contains(&crate::domain::Delivery::Failed);
        if !failed || notices.iter().any(|&d| underway(d) || d.is_sent()) {
            return Ok(None);
        }
        tracing::info!(
            conversation = conv.id.0,
            "the first-contact notice failed before; sending it ahead of this message"
        );
        Ok(self.notice(conv, channel, address))
    }
}

/// Delivery states of the first-contact notices tresen queued in a conversation.
fn notices(
    store: &SharedStore,
    conversation: ConversationId,
) -> Result<Vec<crate::domain::Delivery>, EngineError> {
    Ok(store.read(|s| s.notice_deliveries(conversation))?)
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
    options: &SendOptions,
    now: Timestamp,
) -> Result<Outlook, crate::store::StoreError> {
    let (gate, footer) = assess(store, rules, conv, options, now)?;
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
        exempt: rules.exempt(&conv.account.0),
    })
}

impl Rules {
    /// A consent staff took outside the chat, on the wording in force now.
    pub(super) fn staff_consent(
        &self,
        conv: &Conversation,
        action: Action,
        purposes: Vec<Purpose>,
        method: Method,
        evidence: Option<String>,
        staff: String,
    ) -> ConsentRecord {
        let (channel, address) = contact_key(conv);
        // The question for what is consented to: a reminder consent is to the reminder
        // question, not the service one.
        let (wording, wording_version, wording_sha256) =
            self.compliance().consent.question(&purposes);
        ConsentRecord {
            account: conv.account.0.clone(),
            contact: conv.title.clone(),
            channel,
            address,
            purposes,
            action,
            wording_version,
            wording_sha256,
            wording,
            method,
            evidence,
            staff,
            at: Timestamp::now(),
        }
    }
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
