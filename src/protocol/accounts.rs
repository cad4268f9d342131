//! `account`: the owner's account commands the daemon runs on its own accounts (a
//! Matrix login, the recovery key, recovering a reinstalled device, removing an
//! account, registering a Signal number and its groups and contacts). Secrets travel only over the daemon's own socket and are never logged;
//! these types have no `Debug` so that nothing prints them by accident.

use serde::{Deserialize, Serialize};

use crate::connector::setup::{ContactEntry, GroupEntry};
use crate::connector::signal::onboarding::OnboardError;

/// What the owner asks for (`account`). `id` is an account of the daemon's config
/// (default: its only Matrix account).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AccountAsk {
    Login {
        #[serde(default)]
        id: Option<String>,
        homeserver: String,
        user: String,
        password: String,
    },
    RecoveryKey {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        reset: bool,
    },
    Recover {
        #[serde(default)]
        id: Option<String>,
        key: String,
    },
    Remove {
        id: String,
    },
    /// The Signal groups of account `id` (default: the daemon's only Signal account).
    SignalGroups {
        #[serde(default)]
        id: Option<String>,
    },
    SignalContacts {
        #[serde(default)]
        id: Option<String>,
    },
    /// Take a group accepted in the TUI out of the inbox again.
    ForgetGroup {
        #[serde(default)]
        id: Option<String>,
        group: String,
    },
    /// Ask Signal for a verification code for the Signal account `id` (or the one with
    /// `number`): by SMS, or a call with `voice`.
    Register {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        number: Option<String>,
        #[serde(default)]
        voice: bool,
        #[serde(default)]
        captcha: Option<String>,
    },
    /// The code that came (and the PIN of a number with a registration lock).
    Verify {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        number: Option<String>,
        code: String,
        #[serde(default)]
        pin: Option<String>,
    },
}

impl AccountAsk {
    /// Listing groups or contacts reads; everything else changes an account. (Every
    /// account command is the owner's: this only picks the refusal an auditor reads.)
    pub fn changes_something(&self) -> bool {
        !matches!(
            self,
            Self::SignalGroups { .. } | Self::SignalContacts { .. }
        )
    }

    /// Whether it asks about a Signal account's setup (answered by its connector).
    pub fn is_signal(&self) -> bool {
        matches!(
            self,
            Self::SignalGroups { .. }
                | Self::SignalContacts { .. }
                | Self::ForgetGroup { .. }
                | Self::Register { .. }
                | Self::Verify { .. }
        )
    }
}

/// `account`'s answer: what was done, for the line the command prints.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AccountDone {
    LoggedIn {
        account: String,
        user_id: String,
        homeserver: String,
        device_id: String,
    },
    /// Shown once to the owner; the daemon keeps no copy.
    RecoveryKey {
        account: String,
        key: String,
    },
    Recovered {
        account: String,
        rooms: usize,
    },
    Removed {
        account: String,
        was_logged_in: bool,
    },
    Groups {
        account: String,
        groups: Vec<GroupEntry>,
    },
    Contacts {
        account: String,
        contacts: Vec<ContactEntry>,
    },
    GroupForgotten {
        account: String,
        group: String,
    },
    /// Signal sends the code (or calls).
    CodeRequested {
        account: String,
        number: String,
    },
    /// `keys`: the data dir holding the number's only keys, when the daemon started
    /// signal-cli itself (the owner is told to back it up).
    Registered {
        account: String,
        number: String,
        keys: Option<String>,
    },
    /// A register or verify step for a number signal-cli holds already.
    AlreadySetUp {
        account: String,
        number: String,
    },
    /// A register or verify step Signal refused in a way the owner can answer (a
    /// captcha, the PIN, the code again); the seat asks and tries again.
    StepRefused {
        account: String,
        number: String,
        error: OnboardError,
    },
}
