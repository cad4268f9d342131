//! Writes the app asks of the engine, carried out through its seat.

use crate::domain::{AccountId, ConversationId, MessageId, Timestamp};

/// Writes, carried out by the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Send {
        conversation: ConversationId,
        body: String,
        /// Paths of files to attach; the runtime reads them.
        files: Vec<String>,
        /// The customer message this answers (quoted where the network can).
        reply_to: Option<MessageId>,
        /// Sending a failed message's text again: it already carries whatever footer
        /// it needed, so nothing is added.
        retry: bool,
        /// Document tags from the quick reply it was written from (R-A4, R-E1).
        tags: Vec<String>,
        /// That quick reply is a form (Vordruck).
        vordruck: bool,
    },
    Local(crate::domain::LocalChange),
    Viewed(ConversationId),
    AcceptInvite {
        account: AccountId,
        remote_id: String,
    },
    /// Link the account as a device of the office's phone (a QR code to scan).
    Link {
        account: AccountId,
    },
    React {
        message: MessageId,
        key: String,
    },
    Backfill {
        conversation: ConversationId,
    },
    Typing {
        conversation: ConversationId,
        typing: bool,
        /// Also to the customer's network (`ui.send_typing`); otherwise only the other
        /// seats learn that the conversation is being answered.
        network: bool,
    },
    /// Keep the reply to go out at `due`.
    Schedule {
        conversation: ConversationId,
        body: String,
        due: Timestamp,
    },
    /// Withdraw a scheduled message.
    CancelScheduled {
        id: String,
    },
    /// Correct the contact's name (R-C12): a new version, archived.
    CorrectContact {
        conversation: ConversationId,
        name: String,
    },
    /// Mark a message's content for the owner only (R-E4), or lift the mark; archived.
    MarkSensitive {
        message: MessageId,
        mark: Option<crate::domain::Sensitive>,
    },
    /// A step of the conversation's offer or order (R-E1, R-E2, R-E5), archived.
    OrderStep {
        conversation: ConversationId,
        change: crate::compliance::orders::OrderChange,
    },
    /// The staff member accepts the usage policy in this version (R-F1).
    AcceptPolicy {
        version: String,
    },
}
