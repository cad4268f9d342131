//! `[archive]`: where the daemon anchors the archive, and how old its checks may get
//! before `compliance check` fails (R-B3, R-B4, R-B12).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArchiveConfig {
    /// A directory off this machine's disk (a mounted share, a USB disk) where the
    /// daemon writes an anchor after each daily verification and each sealed segment.
    /// Empty: only `tresen archive anchor --out DIR` by hand, and no record of it.
    pub anchor_dir: String,
    /// An RFC 3161 timestamp authority (`http://…`) asked to timestamp each anchor's
    /// checkpoint; the reply is written beside it and archived. Empty: none.
    pub tsa_url: String,
    /// `compliance check` fails when the last verification is older than this.
    pub verify_max_age_days: u32,
    /// … when the last anchor is older than this.
    pub anchor_max_age_days: u32,
    /// … when the last restore drill (`tresen archive restore-test`) is older than this.
    pub restore_test_max_age_days: u32,
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        Self {
            anchor_dir: String::new(),
            tsa_url: String::new(),
            verify_max_age_days: 2,
            anchor_max_age_days: 2,
            restore_test_max_age_days: 92,
        }
    }
}

impl ArchiveConfig {
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for (key, days) in [
            ("archive.verify_max_age_days", self.verify_max_age_days),
            ("archive.anchor_max_age_days", self.anchor_max_age_days),
            (
                "archive.restore_test_max_age_days",
                self.restore_test_max_age_days,
            ),
        ] {
            if !(1..=3660).contains(&days) {
                return Err((key, format!("expected 1..=3660 days, found {days}")));
            }
        }
        if !self.anchor_dir.is_empty() && !std::path::Path::new(&self.anchor_dir).is_absolute() {
            return Err((
                "archive.anchor_dir",
                format!("`{}`: give an absolute path", self.anchor_dir),
            ));
        }
        if !self.tsa_url.is_empty() {
            crate::archive::tsa::check_url(&self.tsa_url)
                .map_err(|e| ("archive.tsa_url", e.to_string()))?;
            if self.anchor_dir.is_empty() {
                return Err((
                    "archive.tsa_url",
                    "a timestamp is kept beside its anchor: set archive.anchor_dir too".into(),
                ));
            }
        }
        Ok(())
    }

    /// The allowed age of `check`'s newest record, in days.
    pub fn max_age_days(&self, check: crate::archive::integrity::Check) -> u32 {
        use crate::archive::integrity::Check;
        match check {
            Check::Verify => self.verify_max_age_days,
            Check::Anchor | Check::Timestamp => self.anchor_max_age_days,
            Check::RestoreTest => self.restore_test_max_age_days,
        }
    }
}
