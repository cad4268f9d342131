//! What the app asks the engine for ([`Query`]) and what comes back ([`Loaded`]): the
//! whole vocabulary between the inbox and the store, serialisable so a seat attached to
//! the daemon asks the same questions over its socket.

use std::collections::BTreeMap;

use crate::domain::{
    AccountId, Conversation, ConversationId, Health, Invite, LinkState, Message, MessageId,
    SearchHit,
};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loaded {
    Inbox(Vec<Conversation>),
    Conversation {
        id: ConversationId,
        messages: Vec<Message>,
        older: bool,
        limit: usize,
        focus: Option<MessageId>,
    },
    Search {
        query: String,
        hits: Vec<SearchHit>,
    },
    Health(BTreeMap<AccountId, Health>),
    ArchiveProblem(Option<String>),
    /// Invites waiting for the office's decision.
    Invites(Vec<(AccountId, Invite)>),
    /// Accounts not set up at their network, and how linking them goes.
    Links(BTreeMap<AccountId, LinkState>),
    /// Background work finished (an attachment opened or saved): a line for the status.
    Done(String),
    /// Who is typing where.
    Typing(BTreeMap<ConversationId, Vec<String>>),
    /// Consent state and footer preview of a conversation.
    Outlook(ConversationId, Option<crate::compliance::Outlook>),
    /// A conversation's scheduled messages staff should see.
    Scheduled(ConversationId, Vec<crate::domain::scheduled::Scheduled>),
    /// How this seat reaches the engine.
    Seat(SeatView),
    /// Conversations another seat is writing a reply in.
    Answering(Vec<ConversationId>),
    Failed(String),
}

/// How the inbox reaches the engine, shown in the status line: its own, or a daemon's
/// (and whether the connection to it stands).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatView {
    /// This process runs the engine itself.
    #[default]
    Own,
    /// Attached to the daemon with this PID.
    Attached { pid: u32 },
    /// The connection to the daemon is lost; the seat keeps trying.
    Lost { reason: String },
}

/// Data the app asks for; the runtime answers with [`Msg::Loaded`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Query {
    Inbox,
    Conversation {
        id: ConversationId,
        before: Option<MessageId>,
        limit: usize,
        /// Load far enough back that this message is included.
        focus: Option<MessageId>,
    },
    Search {
        query: String,
        limit: usize,
    },
    Health,
    /// Why the archive cannot be written, if it cannot (shown in the status line).
    ArchiveProblem,
    Invites,
    Links,
    Typing,
    /// The consent state and footer the composer shows for a conversation.
    Outlook(ConversationId),
    /// The same for a message sent with these document tags (a quick reply's): the
    /// footer they may require (R-A4).
    OutlookTagged {
        conversation: ConversationId,
        tags: Vec<String>,
        vordruck: bool,
    },
    Scheduled(ConversationId),
    /// How this seat reaches the engine.
    Seat,
    /// Conversations another seat is writing a reply in.
    Answering,
}
