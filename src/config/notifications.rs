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
    /// Desktop notifications for customers' messages.
    pub desktop: Desktop,
    /// The terminal's own notification sequence, when the desktop is not reachable
    /// over D-Bus (over SSH).
    pub terminal_sequence: TerminalSequence,
    /// No bell and no desktop notification in this span of the day, e.g.
    /// `"20:00-07:00"`. Empty: none.
    pub quiet_hours: String,
}

/// Where a desktop notification goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Desktop {
    /// This machine's desktop over D-Bus; over SSH, or without a notification service,
    /// the terminal's own sequence.
    Auto,
    /// Only over D-Bus.
    Dbus,
    /// Only the terminal's sequence.
    Terminal,
    Off,
}

/// Which notification sequence the terminal understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TerminalSequence {
    /// `OSC 777;notify;title;body`: foot, kitty, WezTerm, Ghostty, urxvt (notify).
    Osc777,
    /// `OSC 9;text`: iTerm2, WezTerm, ConEmu.
    Osc9,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            bell: true,
            title: true,
            desktop: Desktop::Auto,
            terminal_sequence: TerminalSequence::Osc777,
            quiet_hours: String::new(),
        }
    }
}

impl NotificationsConfig {
    /// The quiet span in minutes of the day (it may run past midnight).
    pub fn quiet(&self) -> Result<Option<(u16, u16)>, (String, String)> {
        let text = self.quiet_hours.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let key = || "notifications.quiet_hours".to_string();
        let (a, b) = text.split_once('-').ok_or_else(|| {
            (
                key(),
                format!("`{text}`: expected from-to, e.g. \"20:00-07:00\""),
            )
        })?;
        let a = crate::domain::hours::clock(a.trim()).map_err(|m| (key(), m))?;
        let b = crate::domain::hours::clock(b.trim()).map_err(|m| (key(), m))?;
        if a == b {
            return Err((key(), format!("`{text}`: an empty span")));
        }
        Ok(Some((a, b)))
    }
}
