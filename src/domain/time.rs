use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC. Kept as a plain integer so the domain
/// needs no clock and tests can pin time.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

/// Where the engine reads the time: the system clock, or a test's.
pub type Clock = std::sync::Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    std::sync::Arc::new(Timestamp::now)
}

impl Timestamp {
    pub const MINUTE: i64 = 60_000;
    pub const HOUR: i64 = 60 * Self::MINUTE;
    pub const DAY: i64 = 24 * Self::HOUR;

    pub fn now() -> Self {
        Self(chrono::Utc::now().timestamp_millis())
    }

    pub fn plus_ms(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    pub fn to_local(self) -> chrono::DateTime<chrono::Local> {
        use chrono::TimeZone;
        chrono::Local
            .timestamp_millis_opt(self.0)
            .single()
            .unwrap_or_else(|| chrono::Local.timestamp_millis_opt(0).unwrap())
    }

    /// RFC 3339 in UTC, the format of every timestamp in `--json` output.
    pub fn rfc3339(self) -> String {
        chrono::DateTime::from_timestamp_millis(self.0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }

    /// Compact age for the inbox list: "now", "5m", "3h", "2d", "6w".
    pub fn age(self, now: Timestamp) -> String {
        let d = (now.0 - self.0).max(0);
        if d < Self::MINUTE {
            "now".into()
        } else if d < Self::HOUR {
            format!("{}m", d / Self::MINUTE)
        } else if d < Self::DAY {
            format!("{}h", d / Self::HOUR)
        } else if d < 14 * Self::DAY {
            format!("{}d", d / Self::DAY)
        } else {
            format!("{}w", d / (7 * Self::DAY))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        let now = Timestamp(10 * Timestamp::DAY);
        assert_eq!(now.age(now), "now");
        assert_eq!(Timestamp(now.0 - 5 * Timestamp::MINUTE).age(now), "5m");
        assert_eq!(Timestamp(now.0 - 3 * Timestamp::HOUR).age(now), "3h");
        assert_eq!(Timestamp(now.0 - 2 * Timestamp::DAY).age(now), "2d");
        assert_eq!(Timestamp(0).plus_ms(1).age(Timestamp(0)), "now");
    }
}
