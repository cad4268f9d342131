//! Questions about an account's own setup at its network — registering a number, the
//! groups and contacts the network knows for it — that the owner's `account` commands
//! put to a running connector. Unlike every other command they are answered on a reply
//! channel, not as events: the answer belongs to the one seat that asked.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use super::signal::onboarding::OnboardError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SetupAsk {
    /// The groups the account is a member of, and which of them reach the inbox.
    Groups,
    /// The contacts the network knows for the account (read only).
    Contacts,
    /// Take a group accepted in the TUI out of the inbox again.
    ForgetGroup { group: String },
    /// Ask the network to send a verification code (SMS, or a call with `voice`).
    Register {
        voice: bool,
        captcha: Option<String>,
    },
    /// The code that came; the account is set up and starts receiving.
    Verify { code: String, pin: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupEntry {
    pub id: String,
    pub name: String,
    pub members: usize,
    /// Whether its messages reach the inbox (in the config, or accepted in the TUI).
    pub business: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactEntry {
    /// `None` when the contact hides its number.
    pub number: Option<String>,
    pub uuid: Option<String>,
    pub name: String,
    pub blocked: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SetupAnswer {
    Groups {
        groups: Vec<GroupEntry>,
    },
    Contacts {
        contacts: Vec<ContactEntry>,
    },
    /// A register or verify step asked of a number that is set up already.
    AlreadySetUp,
    Done,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum SetupError {
    /// A registration step failed in a way the office can act on (captcha, PIN, code).
    #[error(transparent)]
    Onboard(OnboardError),
    /// The number is not set up at the network yet.
    #[error("{0}")]
    NotSetUp(String),
    #[error("the group is listed in the config (groups = [...]): remove it there")]
    GroupInConfig,
    #[error(
        "the group was not accepted in the TUI; `tresen account groups` lists the business groups"
    )]
    GroupNotChosen,
    #[error("this network has no such step")]
    Unsupported,
    #[error("{0}")]
    Failed(String),
}

pub type Answer = Result<SetupAnswer, SetupError>;

/// Where a connector answers one [`SetupAsk`]. Cloning shares the one channel: the
/// first answer is delivered, later ones are dropped.
pub struct Reply(Arc<Mutex<Option<oneshot::Sender<Answer>>>>);

impl Reply {
    pub fn new() -> (Self, oneshot::Receiver<Answer>) {
        let (tx, rx) = oneshot::channel();
        (Self(Arc::new(Mutex::new(Some(tx)))), rx)
    }

    pub fn send(&self, answer: Answer) {
        if let Some(tx) = self.0.lock().ok().and_then(|mut t| t.take()) {
            let _ = tx.send(answer);
        }
    }
}

impl Clone for Reply {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl PartialEq for Reply {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reply")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_answer_reaches_the_asker_and_a_dropped_reply_says_so() {
        let (reply, rx) = Reply::new();
        let copy = reply.clone();
        copy.send(Ok(SetupAnswer::Done));
        reply.send(Err(SetupError::Unsupported));
        assert_eq!(rx.blocking_recv().unwrap(), Ok(SetupAnswer::Done));
        let (reply, rx) = Reply::new();
        drop(reply);
        assert!(rx.blocking_recv().is_err());
    }

    #[test]
    fn an_onboarding_failure_keeps_its_kind_over_the_wire() {
        let e = SetupError::Onboard(OnboardError::PinRequired("167 hours".into()));
        let back: SetupError = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }
}
