//! Which signal-cli versions tresen works with. Signal changes its servers often;
//! signal-cli's README warns that releases older than about three months may stop
//! working, so an old binary is worth a clear warning at start, not a mystery later.

/// Oldest release tresen is tested with (the real-binary conformance tests run it).
pub const MINIMUM: (u32, u32, u32) = (0, 13, 19);
/// The release current when this tresen was made (July 2026, needs Java 25).
pub const RECOMMENDED: (u32, u32, u32) = (0, 14, 6);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionCheck {
    Current,
    /// Works with tresen, but Signal's servers may no longer accept it.
    Aging {
        found: String,
    },
    /// Older than anything tresen is tested with.
    TooOld {
        found: String,
    },
    Unknown {
        found: String,
    },
}

impl VersionCheck {
    /// A line for the log and the status line; `None` when all is well.
    pub fn warning(&self) -> Option<String> {
        self.warning_in(false)
    }

    /// The same, in German with `de` (`compliance check`'s German text).
    pub fn warning_in(&self, de: bool) -> Option<String> {
        let v = |t: (u32, u32, u32)| format!("{}.{}.{}", t.0, t.1, t.2);
        let (min, rec) = (v(MINIMUM), v(RECOMMENDED));
        Some(match (self, de) {
            (Self::Current, _) => return None,
            (Self::Aging { found }, false) => format!(
                "signal-cli {found} is older than {rec}: Signal may stop accepting it; update signal-cli (docs/signal.md)"
            ),
            (Self::Aging { found }, true) => format!(
                "signal-cli {found} ist älter als {rec}: Signal nimmt es womöglich bald nicht mehr an; signal-cli aktualisieren (docs/signal.md)"
            ),
            (Self::TooOld { found }, false) => format!(
                "signal-cli {found} is too old for tresen (at least {min} needed, {rec} recommended)"
            ),
            (Self::TooOld { found }, true) => format!(
                "signal-cli {found} ist zu alt für tresen (mindestens {min} nötig, {rec} empfohlen)"
            ),
            (Self::Unknown { found }, false) => format!(
                "cannot tell which signal-cli this is (`{found}`); tresen is tested with {min} and later"
            ),
            (Self::Unknown { found }, true) => format!(
                "unklar, welches signal-cli das ist (`{found}`); tresen ist mit {min} und neuer geprüft"
            ),
        })
    }
}

/// Judges what `signal-cli --version` or the `version` request reported:
/// `signal-cli 0.13.19`, `0.14.6`, `0.14.6-SNAPSHOT`.
pub fn check(reported: &str) -> VersionCheck {
    let found = reported
        .trim()
        .trim_start_matches("signal-cli")
        .trim()
        .to_string();
    let core = found.split(['-', '+', ' ']).next().unwrap_or_default();
    let parts: Vec<Option<u32>> = core.split('.').map(|p| p.parse().ok()).collect();
    let version = match parts.as_slice() {
        [Some(a), Some(b), Some(c)] => (*a, *b, *c),
        [Some(a), Some(b)] => (*a, *b, 0),
        _ => return VersionCheck::Unknown { found },
    };
    if version < MINIMUM {
        VersionCheck::TooOld { found }
    } else if version < RECOMMENDED {
        VersionCheck::Aging { found }
    } else {
        VersionCheck::Current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_judged_by_number_not_by_text() {
        assert_eq!(check("signal-cli 0.14.6"), VersionCheck::Current);
        assert_eq!(
            check("0.14.10"),
            VersionCheck::Current,
            "10 > 6, not '1' < '6'"
        );
        assert_eq!(check("1.0"), VersionCheck::Current);
        assert!(
            matches!(check("signal-cli 0.13.19\n"), VersionCheck::Aging { found } if found == "0.13.19")
        );
        assert!(matches!(
            check("0.14.5-SNAPSHOT"),
            VersionCheck::Aging { .. }
        ));
        assert!(matches!(check("0.12.8"), VersionCheck::TooOld { .. }));
        assert!(matches!(check("banana"), VersionCheck::Unknown { .. }));
        assert!(
            check("0.12.8")
                .warning()
                .unwrap()
                .contains("at least 0.13.19")
        );
        assert!(check("0.14.6").warning().is_none());
    }
}
