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
        self.age_in(now, false)
    }

    /// The compact age in German or English: "jetzt", "5 Min", "3 Std", "2 Tg", "6 Wo"
    /// (at most [`AGE_WIDTH_DE`] columns) or "now", "5m", "3h", "2d", "6w".
    pub fn age_in(self, now: Timestamp, german: bool) -> String {
        let d = (now.0 - self.0).max(0);
        let (n, de, en) = if d < Self::MINUTE {
            return if german { "jetzt" } else { "now" }.into();
        } else if d < Self::HOUR {
            (d / Self::MINUTE, "Min", "m")
        } else if d < Self::DAY {
            (d / Self::HOUR, "Std", "h")
        } else if d < 14 * Self::DAY {
            (d / Self::DAY, "Tg", "d")
        } else {
            (d / (7 * Self::DAY), "Wo", "w")
        };
        if german {
            format!("{n} {de}")
        } else {
            format!("{n}{en}")
        }
    }
}

/// The widest German age ("59 Min"); English ones take 3 columns (weeks beyond 99
/// take more and are cut like any other column).
pub const AGE_WIDTH_DE: usize = 6;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        let now = Timestamp(10 * Timestamp::DAY);
        assert_eq!(now.age_in(now, true), "jetzt");
        assert_eq!(
            Timestamp(now.0 - 17 * Timestamp::MINUTE).age_in(now, true),
            "17 Min"
        );
        assert_eq!(
            Timestamp(now.0 - 3 * Timestamp::HOUR).age_in(now, true),
            "3 Std"
        );
        assert_eq!(
            Timestamp(now.0 - 2 * Timestamp::DAY).age_in(now, true),
            "2 Tg"
        );
        assert_eq!(
            Timestamp(0).age_in(Timestamp(70 * Timestamp::DAY), true),
            "10 Wo"
        );
        assert_eq!(now.age(now), "now");
        assert_eq!(Timestamp(now.0 - 5 * Timestamp::MINUTE).age(now), "5m");
        assert_eq!(Timestamp(now.0 - 3 * Timestamp::HOUR).age(now), "3h");
        assert_eq!(Timestamp(now.0 - 2 * Timestamp::DAY).age(now), "2d");
        assert_eq!(Timestamp(0).plus_ms(1).age(Timestamp(0)), "now");
    }
}
