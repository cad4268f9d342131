//! `[scheduled]`: messages written to go out later (`tresen send --at`, `Strg-T`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduledConfig {
    /// A scheduled message that fell due while no tresen ran goes out at the next start,
    /// marked late — unless it is more than this many hours overdue: then it is not
    /// sent, and staff find a note in the conversation.
    pub max_late_hours: u32,
}

impl Default for ScheduledConfig {
    fn default() -> Self {
        Self { max_late_hours: 12 }
    }
}

impl ScheduledConfig {
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if !(1..=168).contains(&self.max_late_hours) {
            return Err((
                "scheduled.max_late_hours",
                format!("expected 1..=168, found {}", self.max_late_hours),
            ));
        }
        Ok(())
    }

    pub fn max_late_ms(&self) -> i64 {
        i64::from(self.max_late_hours) * crate::domain::Timestamp::HOUR
    }
}
