//! `[notifications]`: how this seat draws attention to what arrives. Read from the
//! seat user's own config (like `[ui]`), never from the daemon's.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationsConfig {
    /// Ring the terminal's bell when a customer's message arrives.
    pub bell: bool,
    /// Show the number of unread conversations in the window title (`tresen (3)`);
    /// the title before is restored on exit where the terminal keeps a title stack.
    pub title: bool,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            bell: true,
            title: true,
        }
    }
}
