//! `account`: the owner's account commands the daemon runs on its own accounts (a
//! Matrix login, the recovery key, recovering a reinstalled device, removing an
//! account). Secrets travel only over the daemon's own socket and are never logged;
//! these types have no `Debug` so that nothing prints them by accident.

use serde::{Deserialize, Serialize};

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
}
