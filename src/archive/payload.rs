//! What a record holds once decrypted: one JSON object per event, `"type"` naming it
//! (the same name as the record's clear `kind`). Events, never state: a correction is a
//! new record. Field by field in `docs/archive.md`.

use serde::{Deserialize, Serialize};

use crate::domain::{Attachment, ConversationUpsert, Direction, IncomingMessage, Timestamp};

/// Who or what a rule, hold or run was made by: a staff member's name or "tresen".
pub type Actor = String;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Payload {
    /// A conversation as the network described it (first seen, or changed).
    Conversation(ConversationUpsert),
    /// A message from the network: inbound, or outbound from another device. Its `raw`
    /// is the network's own payload exactly as the connector received it (the Matrix
    /// event JSON, signal-cli's envelope).
    Message(IncomingMessage),
    /// A message the office wrote here, as handed to the connector; `local_id` is the
    /// inbox id, `staff` who sent it.
    Outgoing {
        local_id: i64,
        account: String,
        conversation: String,
        staff: Actor,
        body: String,
        attachments: Vec<Attachment>,
        at: Timestamp,
        /// The footer version the body carries (R-A8); its text is in a
        /// `footer_version` record.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        footer: Option<String>,
        /// A reply to a customer who wrote first, sent before they consented (R-C3).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        consent_pending: bool,
        /// The send's idempotency key (a Matrix transaction id), so a store rebuilt
        /// from the archive still recognises the network's copy of it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        txn: Option<String>,
        /// The document tags it was sent with (`send --tag rechnung`): they select its
        /// retention class beside the conversation's labels (R-B5).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tags: Vec<String>,
        /// The network's id of the message this reply quotes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quote: Option<String>,
    },
    /// The network's answer to an outgoing message.
    SendResult {
        local_id: i64,
        account: String,
        conversation: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remote_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        at: Timestamp,
    },
    /// The network confirmed delivery or reading of a message (evidence that a business
    /// letter reached the customer).
    Receipt {
        account: String,
        conversation: String,
        remote_id: String,
        delivery: crate::domain::Delivery,
        at: Timestamp,
    },
    Edit {
        account: String,
        conversation: String,
        remote_id: String,
        body: String,
        at: Timestamp,
    },
    Delete {
        account: String,
        conversation: String,
        remote_id: String,
        at: Timestamp,
    },
    Reaction {
        account: String,
        conversation: String,
        remote_id: String,
        target: String,
        key: String,
        sender: String,
        direction: Direction,
        at: Timestamp,
    },
    /// A file's bytes, base64. `message` is the remote id (inbound) or `local:<id>`.
    Attachment {
        account: String,
        conversation: String,
        message: String,
        index: usize,
        name: String,
        mime: String,
        sha256: String,
        data: String,
    },
    /// The configuration in force from now on (the whole file, as text).
    Config {
        file: String,
        sha256: String,
        text: String,
    },
    /// A conversation's retention labels changed (who, and what they are now).
    Classify {
        account: String,
        conversation: String,
        labels: Vec<String>,
        by: Actor,
        at: Timestamp,
    },
    Hold(crate::archive::retention::Hold),
    HoldRelease {
        id: String,
        by: Actor,
        reason: String,
        at: Timestamp,
    },
    /// A bucket's key was destroyed: its records can no longer be read, by rule.
    Tombstone(crate::archive::retention::Tombstone),
    /// An Art. 17 request: what was restricted instead of erased, and why.
    Restrict {
        contact: String,
        account: String,
        conversation: String,
        year: i32,
        until: String,
        reason: String,
        by: Actor,
        at: Timestamp,
    },
    /// Something was read out of the archive (export, DSAR) — who, what, where to.
    Access {
        what: String,
        scope: String,
        by: Actor,
        at: Timestamp,
    },
    /// A consent given or withdrawn (R-C1): the ledger, append-only.
    Consent(crate::compliance::consent::ConsentRecord),
    /// The first-contact notice went to a new contact (R-C8); `message` is the
    /// outgoing record's `local:<id>`.
    FirstContact(crate::compliance::FirstContact),
    /// The company data in force from now on and the footer rendered from it (R-A8).
    FooterVersion {
        version: String,
        full: String,
        compact: String,
        company: serde_json::Value,
        at: Timestamp,
    },
    /// A peer's id changed to its stable one (a Signal number to the account's ACI):
    /// earlier records under `from` are about `to`.
    PeerRenamed {
        account: String,
        from: String,
        to: String,
        at: Timestamp,
    },
    /// A message written to go out at `due` (`send --at`); what it says and who wrote
    /// it, before anything is sent.
    Scheduled {
        id: String,
        account: String,
        conversation: String,
        staff: Actor,
        body: String,
        due: Timestamp,
        at: Timestamp,
    },
    /// What became of a scheduled message: `sent`/`late` (with the outgoing message's
    /// local id), `cancelled` (by whom), `missed` (too late to send), `refused` (why).
    ScheduleEnded {
        id: String,
        account: String,
        conversation: String,
        outcome: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        staff: Actor,
        at: Timestamp,
    },
    /// Staff decided the retention class of one message or one of its files (R-B5,
    /// R-E3): it replaces what its tags or the invoice recognition selected.
    ItemClass(crate::archive::retention::ItemClass),
    /// A message's content marked for the owner only (R-E4, R-C14), or the mark lifted.
    Sensitive(crate::domain::SensitiveMark),
    /// An offer's or order's step (R-E1, R-E2, R-E5): a consumer marked, an order
    /// accepted with its withdrawal ground, an offer declined, work begun, an early-start
    /// request linked. In the conversation's year.
    Order(crate::compliance::orders::OrderRecord),
    /// A contact's name corrected (R-C12): a new version, the old one kept here. In the
    /// conversation's name-and-number scope: destroyed with them.
    ContactCorrected(crate::domain::correction::ContactCorrection),
    /// A customer's data-subject request came in, with its due date (R-F2).
    DsarRequest(crate::compliance::requests::Request),
    /// … and was answered.
    DsarClosed(crate::compliance::requests::Closed),
    /// A staff member accepted the usage policy in this version (R-F1).
    PolicyAccepted(crate::compliance::policy::PolicyAcceptance),
    /// What `compliance check` found (R-F2), as it reported it, and who ran it.
    ComplianceReport {
        report: serde_json::Value,
        by: Actor,
        at: Timestamp,
    },
    /// A scheduled verification, an anchor or a restore drill and its outcome (R-B3,
    /// R-B4, R-B12).
    Integrity(crate::archive::integrity::IntegrityRecord),
    /// A torn tail was found when the archive was opened and set aside.
    Recovery {
        segment: String,
        offset: u64,
        length: u64,
        sha256: String,
        quarantined_to: String,
        at: Timestamp,
    },
    /// The wall clock was behind the archive's newest record (`wall`); the records from
    /// here on keep `kept` until the clock has caught up.
    ClockBack {
        wall: Timestamp,
        kept: Timestamp,
    },
}

impl Payload {
    /// The record's clear `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::Conversation(_) => "conversation",
            Payload::Message(_) => "message",
            Payload::Outgoing { .. } => "outgoing",
            Payload::SendResult { .. } => "send_result",
            Payload::Receipt { .. } => "receipt",
            Payload::Edit { .. } => "edit",
            Payload::Delete { .. } => "delete",
            Payload::Reaction { .. } => "reaction",
            Payload::Attachment { .. } => "attachment",
            Payload::Config { .. } => "config",
            Payload::Classify { .. } => "classify",
            Payload::Hold(_) => "hold",
            Payload::HoldRelease { .. } => "hold_release",
            Payload::Tombstone(_) => "tombstone",
            Payload::Restrict { .. } => "restrict",
            Payload::Access { .. } => "access",
            Payload::Recovery { .. } => "recovery",
            Payload::ClockBack { .. } => "clock_back",
            Payload::Integrity(_) => "integrity",
            Payload::ComplianceReport { .. } => "compliance_report",
            Payload::PolicyAccepted(_) => "policy_accepted",
            Payload::ContactCorrected(_) => "contact_corrected",
            Payload::ItemClass(_) => "item_class",
            Payload::Order(_) => "order",
            Payload::Sensitive(_) => "sensitive",
            Payload::DsarRequest(_) => "dsar_request",
            Payload::DsarClosed(_) => "dsar_closed",
            Payload::Consent(_) => "consent",
            Payload::FirstContact(_) => "first_contact",
            Payload::FooterVersion { .. } => "footer_version",
            Payload::PeerRenamed { .. } => "peer_renamed",
            Payload::Scheduled { .. } => "scheduled",
            Payload::ScheduleEnded { .. } => "schedule_ended",
        }
    }
}

/// The plaintext as written: the event plus a random salt, so that `ch` (which stays
/// readable after the key is destroyed) cannot confirm a guessed short message. Written
/// from a borrowed event (`Sealed<&Payload>`: the engine archives what it then stores,
/// without a copy), read into an owned one.
#[derive(Serialize, Deserialize)]
pub struct Sealed<P = Payload> {
    pub salt: String,
    #[serde(flatten)]
    pub event: P,
}
