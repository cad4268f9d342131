//! Pure domain types: accounts, conversations, contacts, messages and triage state.
//!
//! Nothing in here does IO; every other layer speaks these types, so a connector for a
//! new network only has to translate into them.

pub mod correction;
pub mod holidays;
pub mod hours;
pub mod invoice;
pub mod links;
pub mod phone;
mod sanitize;
pub mod scheduled;
mod sensitive;
mod time;
pub mod triage;
pub mod urgent;

pub use sanitize::{safe_file_name, sanitize_for_terminal, unix_newlines};
pub use sensitive::{Sensitive, SensitiveMark};
pub use time::{AGE_WIDTH_DE, Clock, Timestamp, system_clock};

use serde::{Deserialize, Serialize};

/// The network an *account* is registered on: what tresen logs into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountNetwork {
    Signal,
    Matrix,
    /// The scripted connector used by `--demo` and tests.
    Demo,
}

impl AccountNetwork {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signal => "signal",
            Self::Matrix => "matrix",
            Self::Demo => "demo",
        }
    }
}

/// The network the *customer* is on. For a WhatsApp chat bridged into Matrix this is
/// `Whatsapp` while the account's network is `Matrix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Signal,
    Whatsapp,
    Telegram,
    Matrix,
    Other,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Self::Signal,
        Self::Whatsapp,
        Self::Telegram,
        Self::Matrix,
        Self::Other,
    ];

    /// The network's own name, as customers know it.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Signal => "Signal",
            Self::Whatsapp => "WhatsApp",
            Self::Telegram => "Telegram",
            Self::Matrix => "Matrix",
            Self::Other => "Messenger",
        }
    }

    /// Three-letter badge shown in the conversation list.
    pub fn badge(self) -> &'static str {
        match self {
            Self::Signal => "SIG",
            Self::Whatsapp => "WA",
            Self::Telegram => "TG",
            Self::Matrix => "MX",
            Self::Other => "??",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signal => "signal",
            Self::Whatsapp => "whatsapp",
            Self::Telegram => "telegram",
            Self::Matrix => "matrix",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Identifies an account in config and store, e.g. `"signal-buero"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub String);

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Local, store-assigned conversation id. Stable for the lifetime of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConversationId(pub i64);

/// Local, store-assigned message id. Monotonic in insertion order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub i64);

impl std::fmt::Display for ConversationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversationKind {
    Direct,
    Group,
}

/// Where a conversation stands in the office's triage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "until")]
pub enum TriageState {
    Open,
    /// The office answered and waits for the customer.
    Waiting,
    /// Hidden until the given time or until the customer writes, whichever comes first.
    Snoozed(Timestamp),
    Done,
    /// Waiting for the customer, with a follow-up date: if they have not answered by
    /// then, the conversation is open again, marked for following up.
    FollowUp(Timestamp),
}

impl TriageState {
    /// The state as the user sees it at `now`: a snooze that has run out is open again.
    pub fn effective(self, now: Timestamp) -> TriageState {
        match self {
            Self::Snoozed(until) | Self::FollowUp(until) if until <= now => Self::Open,
            other => other,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Waiting | Self::FollowUp(_) => "waiting",
            Self::Snoozed(_) => "snoozed",
            Self::Done => "done",
        }
    }

    /// A customer writing pulls any conversation back into the open queue.
    pub fn after_inbound(self) -> TriageState {
        Self::Open
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Network identity: phone number, Matrix ID, bridged handle, or the network's
    /// stable account id where it has one (Signal's ACI), which a number change or a
    /// hidden number does not change.
    pub identity: String,
    pub display_name: String,
    /// The phone number, when the identity is not one but the network told it (Signal).
    /// For staff to recognise and find the customer; consent and history follow
    /// `identity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl Contact {
    pub fn new(identity: impl Into<String>, display_name: impl Into<String>) -> Contact {
        Contact {
            identity: identity.into(),
            display_name: display_name.into(),
            phone: None,
        }
    }

    /// How staff recognise the contact: the phone number if known, else the identity.
    pub fn address(&self) -> &str {
        self.phone.as_deref().unwrap_or(&self.identity)
    }
}

/// How a conversation is protected, as its connector knows it. Shown in the
/// conversation header, so the office sees before answering whether it writes into an
/// end-to-end encrypted chat and whether the customer's identity was checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    #[default]
    Unknown,
    /// Not end-to-end encrypted on this side (a bridged portal: the bridge decrypts the
    /// customer's WhatsApp/Signal messages and passes them on).
    Bridged,
    /// Not encrypted at all.
    Unencrypted,
    /// End-to-end encrypted; the other side's identity has not been verified.
    Encrypted,
    /// End-to-end encrypted and every other member's identity verified.
    Verified,
    /// A member's identity changed after it was verified: someone may be listening in.
    IdentityChanged,
}

impl Security {
    pub const ALL: [Security; 6] = [
        Self::Unknown,
        Self::Bridged,
        Self::Unencrypted,
        Self::Encrypted,
        Self::Verified,
        Self::IdentityChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Bridged => "bridged",
            Self::Unencrypted => "unencrypted",
            Self::Encrypted => "encrypted",
            Self::Verified => "verified",
            Self::IdentityChanged => "identity_changed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Everything the inbox list shows for one conversation, kept denormalised in the store
/// so that the list never has to touch the message table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub account: AccountId,
    /// The connector's id for this chat (room id, phone number, group id).
    pub remote_id: String,
    pub kind: ConversationKind,
    pub channel: Channel,
    pub title: String,
    pub contact: Option<Contact>,
    pub state: TriageState,
    pub labels: Vec<String>,
    pub unread: u32,
    /// Set by "mark unread" so a read conversation can be put back on the pile.
    pub marked_unread: bool,
    pub last_activity: Timestamp,
    pub last_preview: String,
    /// An unsent reply the office started; kept across restarts.
    pub draft: Option<String>,
    pub security: Security,
    /// Who handles it now. The current state only: no history, no times (an
    /// assignment log would measure staff, BetrVG § 87(1) Nr. 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned: Option<String>,
    /// An urgent rule matched a customer's message (`[[urgent]]`): pinned at the top
    /// until the office replies or sets it to done.
    #[serde(default)]
    pub urgent: bool,
    /// The customer's oldest message the office has not answered yet: how long they
    /// have been waiting for us (the queue view). Per conversation, never per staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_since: Option<Timestamp>,
}

impl Conversation {
    /// Its follow-up date passed without an answer from the customer: open again, and
    /// the list says why.
    pub fn follow_up_due(&self, now: Timestamp) -> bool {
        matches!(self.state, TriageState::FollowUp(t) if t <= now)
    }

    pub fn is_unread(&self) -> bool {
        self.unread > 0 || self.marked_unread
    }
}

/// What a connector (or the demo seeder) knows about a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationUpsert {
    pub account: AccountId,
    pub remote_id: String,
    pub kind: ConversationKind,
    pub channel: Channel,
    pub title: String,
    pub contact: Option<Contact>,
    pub security: Security,
}

impl ConversationUpsert {
    /// The conversation as a store holds it after this upsert, given what it held
    /// (`known`: its title and contact). A connector that does not know a name leaves
    /// the title or display name empty (a message the office sent from its own phone
    /// names no customer): the known ones stay, and a new conversation is named after
    /// the number or identity. A number once told stays known for the same identity.
    pub fn completed(&self, known: Option<(&str, Option<&Contact>)>) -> ConversationUpsert {
        let mut c = self.clone();
        let same = known.and_then(|(_, k)| k).filter(|k| {
            c.contact
                .as_ref()
                .is_some_and(|ct| ct.identity == k.identity)
        });
        if let Some(ct) = c.contact.as_mut()
            && ct.phone.is_none()
        {
            ct.phone = same.and_then(|k| k.phone.clone());
        }
        if c.title.trim().is_empty() {
            c.title = match known {
                Some((title, _)) => title.to_string(),
                None => c
                    .contact
                    .as_ref()
                    .map(|ct| ct.address().to_string())
                    .unwrap_or_else(|| c.remote_id.clone()),
            };
        }
        let title = c.title.clone();
        if let Some(ct) = c.contact.as_mut()
            && ct.display_name.trim().is_empty()
        {
            ct.display_name = same
                .map(|k| k.display_name.clone())
                .filter(|n| !n.trim().is_empty())
                .unwrap_or(title);
        }
        c
    }

    /// Whether [`ConversationUpsert::completed`] has anything to fill in.
    pub fn incomplete(&self) -> bool {
        self.title.trim().is_empty()
            || self
                .contact
                .as_ref()
                .is_some_and(|ct| ct.display_name.trim().is_empty() || ct.phone.is_none())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    /// A real message exchanged with the customer.
    Chat,
    /// An internal note: visible to staff only, never sent.
    Note,
    /// A line generated by the network or tresen (membership change, decryption failure…).
    System,
}

/// Delivery progress of an outbound message. Ordered: a later state never goes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    Pending,
    Sent,
    Delivered,
    Read,
    Failed,
    /// The network may or may not have it: tresen stopped (crash, power cut) after
    /// handing it to a network that cannot tell a repeat from a new message (Signal).
    /// Sent again only when staff confirm, so the customer never gets it twice unasked.
    Unclear,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
            Self::Unclear => "unclear",
        }
    }

    /// The network has it (sent, delivered or read).
    pub fn is_sent(self) -> bool {
        matches!(self, Self::Sent | Self::Delivered | Self::Read)
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Sent,
            Self::Delivered,
            Self::Read,
            Self::Failed,
            Self::Unclear,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }

    /// Receipts can arrive out of order; only ever move forward, and a failure can be
    /// superseded by a later success (a retry that went through).
    /// An unclear delivery is settled by whatever the network says next.
    pub fn advance(self, next: Delivery) -> Delivery {
        match (self, next) {
            (Self::Failed | Self::Unclear, n) => n,
            (Self::Pending, n @ (Self::Failed | Self::Unclear)) => n,
            (cur, Self::Failed | Self::Unclear) => cur,
            (cur, n) => cur.max(n),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    pub mime: String,
    pub size: u64,
    /// Where the connector fetches the bytes from; opaque to everyone else (for Matrix,
    /// the media source as JSON). Absent for files the office attached here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The bytes in tresen's attachment store, once downloaded or when sent from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<BlobId>,
}

/// What staff change locally about a conversation: the whole vocabulary the UI and the
/// command line may ask the engine for besides sends (never a store write of its own
/// choosing: nothing here can remove a message or touch what the network said).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalChange {
    /// An internal note: visible to staff only, never sent.
    AddNote {
        conversation: ConversationId,
        author: String,
        body: String,
        at: Timestamp,
    },
    SetState {
        conversation: ConversationId,
        state: TriageState,
    },
    /// The conversation's labels from now on (they decide its retention class).
    SetLabels {
        conversation: ConversationId,
        labels: Vec<String>,
        /// Who changed them (recorded with the change, R-B2); filled in by the engine's
        /// side from the seat's identity, whatever a seat sends.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        by: String,
    },
    MarkUnread {
        conversation: ConversationId,
    },
    /// Keep (or with an empty body, drop) the unsent reply.
    SetDraft {
        conversation: ConversationId,
        body: String,
    },
    /// Who handles the conversation from now on (`None`: nobody).
    Assign {
        conversation: ConversationId,
        staff: Option<String>,
    },
}

/// A canned response (Textbaustein) from the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuickReply {
    pub name: String,
    pub text: String,
    /// Document tags a message from this template carries (e.g. `angebot`: always
    /// with the footer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// A form (Vordruck) under § 37a(2) HGB: to existing customers it may go without
    /// the footer if `footer.allow_vordruck_exception` is on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub vordruck: bool,
}

/// The name automatic messages (the first-contact notice) are attributed to.
pub const AUTOMATIC: &str = "tresen (automatisch)";

/// Stored as a message's failure when tresen did not send it after a restart: a staff
/// message that waited more than an hour (its text may be out of date).
pub const FAILURE_TOO_OLD: &str = "tresen:too-old";

/// Stored with [`Delivery::Unclear`]: tresen stopped while handing the message to a
/// network that cannot tell a repeat from a new message.
pub const FAILURE_UNCLEAR: &str = "tresen:unclear";

/// A stored failure reason as staff read it: tresen's own in their language, a
/// network's as the network said it.
pub fn failure_text(reason: &str, german: bool) -> &str {
    match (reason, german) {
        (FAILURE_TOO_OLD, true) => "zu alt — bitte prüfen und neu senden",
        (FAILURE_TOO_OLD, false) => "too old — please check and send it again",
        (FAILURE_UNCLEAR, true) => {
            "Zustellung unklar: tresen wurde beim Senden beendet, vielleicht hat der Kunde die Nachricht schon. Bitte erst nachfragen, dann erneut senden."
        }
        (FAILURE_UNCLEAR, false) => {
            "delivery unclear: tresen stopped while sending; the customer may have the message already. Check first, then send it again."
        }
        (other, _) => other,
    }
}

/// The text of a placeholder for a message that could not be decrypted (yet). When its
/// keys arrive later (key backup, `tresen account recover`), the store replaces the
/// placeholder with the real message.
pub const UNDECRYPTABLE: &str =
    "🔒 Nachricht konnte nicht entschlüsselt werden / message could not be decrypted";

/// A MIME type from a file name, for files the office attaches (`mime_guess`'s table of
/// the common types). Unknown extensions are sent as generic binary data, which every
/// messenger accepts.
pub fn mime_for(name: &str) -> &'static str {
    mime_guess::from_path(name)
        .first_raw()
        .unwrap_or("application/octet-stream")
}

/// The name of a file in the attachment store: a keyed hash of its content, so equal
/// files are stored once and a name tells nothing about the content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BlobId(pub String);

impl std::fmt::Display for BlobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A change the other side made after sending. The original body is never overwritten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    pub body: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub conversation: ConversationId,
    pub remote_id: Option<String>,
    pub kind: MessageKind,
    pub direction: Direction,
    pub sender: String,
    /// The body exactly as first received or sent.
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub sent_at: Timestamp,
    pub received_at: Timestamp,
    pub delivery: Delivery,
    /// Latest edit by the other side, if any; `body` keeps the original.
    pub edit: Option<Edit>,
    /// When the other side deleted it; the original stays readable for the office.
    pub deleted_at: Option<Timestamp>,
    /// Why sending failed, as the network (or tresen) explained it.
    #[serde(default)]
    pub failure: Option<String>,
    /// Emoji reactions to this message, oldest first.
    #[serde(default)]
    pub reactions: Vec<Reaction>,
    /// The office sent it from another device (the business phone, the WhatsApp app):
    /// past tresen's footer and consent check (R-F2).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub elsewhere: bool,
    /// Marked as special-category or third-party data (R-E4, R-C14): only the owner
    /// sees its content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive: Option<Sensitive>,
    /// The message this reply quotes (sent from tresen with `>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<MessageId>,
}

/// An emoji someone put on a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub key: String,
    /// Display name (or id) of who reacted.
    pub sender: String,
    /// Sent by the office (from here or another device).
    pub outbound: bool,
}

/// The emoji the office can react with: short, unambiguous acknowledgements.
pub const QUICK_REACTIONS: [&str; 6] = ["👍", "✅", "🙏", "❤️", "😊", "👀"];

impl Message {
    /// The text to show: the edited body if there is one.
    pub fn display_body(&self) -> &str {
        self.edit.as_ref().map_or(&self.body, |e| &e.body)
    }
}

/// A message as it arrives from a connector, before the store has given it an id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncomingMessage {
    pub account: AccountId,
    pub conversation_remote_id: String,
    pub remote_id: String,
    pub kind: MessageKind,
    pub direction: Direction,
    pub sender: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub sent_at: Timestamp,
    pub received_at: Timestamp,
    /// The network's own payload, exactly as received (the Matrix event JSON,
    /// signal-cli's envelope): archived as the original (R-B1), never shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// Fetched from the network's history on request (older messages, a retried
    /// decryption), not delivered now: no automatic reply is due for it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub history: bool,
}

/// A full-text search hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub conversation: ConversationId,
    pub message: Option<MessageId>,
    pub title: String,
    pub snippet: String,
    pub at: Timestamp,
}

/// An invitation into a chat, waiting for the office to accept it as business or
/// ignore it. Never stored: until accepted it is not business data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    /// The network's id for the chat (a Matrix room id).
    pub remote_id: String,
    /// Who invited, as the network names them.
    pub from: String,
    pub title: String,
}

/// Setting up an account that is not linked to the network yet (a Signal number
/// signal-cli does not hold): what the office sees while linking from the TUI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// Not set up: the office can link it (or register it on the command line).
    Needed,
    /// Waiting for the phone to scan this `sgnl://linkdevice…` address.
    Waiting {
        uri: String,
    },
    Linked {
        number: String,
    },
    Failed(String),
}

/// Connection health of one account, as shown in the status line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "detail")]
pub enum Health {
    Connecting,
    Online,
    /// Reachable but something needs attention (e.g. a bridge reports it is logged out).
    Degraded(String),
    Offline(String),
}

impl Health {
    pub fn is_online(&self) -> bool {
        matches!(self, Self::Online)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_never_goes_back() {
        assert_eq!(Delivery::Read.advance(Delivery::Delivered), Delivery::Read);
        assert_eq!(Delivery::Sent.advance(Delivery::Failed), Delivery::Sent);
        assert_eq!(
            Delivery::Pending.advance(Delivery::Failed),
            Delivery::Failed
        );
        assert_eq!(Delivery::Failed.advance(Delivery::Sent), Delivery::Sent);
        assert_eq!(
            Delivery::Pending.advance(Delivery::Unclear),
            Delivery::Unclear
        );
        assert_eq!(Delivery::Unclear.advance(Delivery::Sent), Delivery::Sent);
        assert_eq!(Delivery::Read.advance(Delivery::Unclear), Delivery::Read);
    }

    #[test]
    fn expired_snooze_is_open() {
        let s = TriageState::Snoozed(Timestamp(1000));
        assert_eq!(s.effective(Timestamp(999)), s);
        assert_eq!(s.effective(Timestamp(1000)), TriageState::Open);
    }
}
