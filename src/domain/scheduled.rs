//! A message the office wrote to go out later (`tresen send --at`, `Strg-T` in the
//! composer): kept until it is due, then sent the normal way — consent gate and footer
//! decided then, not when it was written.

use serde::{Deserialize, Serialize};

use super::{ConversationId, MessageId, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheduled {
    /// Stable across a store rebuilt from the archive (`s-` and 16 hex digits).
    pub id: String,
    pub conversation: ConversationId,
    /// Who wrote it (the staff name the message goes out under).
    pub sender: String,
    pub body: String,
    pub due: Timestamp,
    pub created: Timestamp,
    pub state: ScheduledState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ScheduledState {
    /// Not due yet (or due, and the engine is about to send it).
    Waiting,
    /// Handed to the outbound path; `late` when tresen was not running at the time.
    Sent {
        message: MessageId,
        late: bool,
    },
    Cancelled,
    /// More than `max_late` overdue when tresen ran again: not sent; staff decide.
    Missed,
    /// The rules refused it when it was due (consent withdrawn meanwhile, …).
    Refused {
        reason: String,
    },
}

impl ScheduledState {
    /// Its name in the store and the archive.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Sent { late: false, .. } => "sent",
            Self::Sent { late: true, .. } => "late",
            Self::Cancelled => "cancelled",
            Self::Missed => "missed",
            Self::Refused { .. } => "refused",
        }
    }

    pub fn parse(name: &str, reason: Option<String>, message: Option<i64>) -> ScheduledState {
        match name {
            "sent" | "late" => Self::Sent {
                message: MessageId(message.unwrap_or_default()),
                late: name == "late",
            },
            "cancelled" => Self::Cancelled,
            "missed" => Self::Missed,
            "refused" => Self::Refused {
                reason: reason.unwrap_or_default(),
            },
            _ => Self::Waiting,
        }
    }

    /// Still something staff should see in the conversation: waiting, or not sent.
    pub fn shown(&self) -> bool {
        matches!(self, Self::Waiting | Self::Missed | Self::Refused { .. })
    }
}

/// A new id for a scheduled message.
pub fn new_id() -> String {
    format!("s-{:016x}", rand::random::<u64>())
}
