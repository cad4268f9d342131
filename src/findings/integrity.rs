//! How old the archive's own checks are (R-F2 with R-B3, R-B4, R-B12): the newest
//! verification, anchor and restore drill on record, each against its limit.

use std::collections::BTreeMap;

use super::{Finding, Level, finding};
use crate::archive::integrity::{Check, IntegrityRecord};
use crate::config::ArchiveConfig;
use crate::domain::Timestamp;

/// What the archive holds about its checks: since when it holds anything, and the
/// newest record of each check.
pub struct Integrity {
    /// When its first record was written (`None`: nothing archived yet).
    pub since: Option<Timestamp>,
    pub newest: BTreeMap<Check, IntegrityRecord>,
}

impl Integrity {
    /// Read from the profile's archive.
    pub fn read(
        data_dir: &std::path::Path,
        key: &crate::secrets::MasterKey,
    ) -> Result<Integrity, crate::archive::ArchiveError> {
        let dir = crate::archive::Archive::dir_of(data_dir);
        Ok(Integrity {
            since: crate::archive::integrity::first_written(&dir)?,
            newest: crate::archive::integrity::newest(&dir, key)?,
        })
    }
}

pub(super) fn findings(config: &ArchiveConfig, state: &Integrity, now: Timestamp) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(since) = state.since else {
        out.push(finding("archive_checks", Level::Ok, "nothing archived yet"));
        return out;
    };
    for check in Check::ALL {
        let id = match check {
            Check::Verify => "archive_verify",
            Check::Anchor => "archive_anchor",
            Check::RestoreTest => "restore_test",
        };
        let max = config.max_age_days(check);
        let how = match check {
            Check::Verify => "the daemon verifies the archive daily: keep `tresen daemon` running",
            Check::Anchor if config.anchor_dir.is_empty() => {
                "no [archive] anchor_dir: set one off this machine's disk and the daemon anchors there daily"
            }
            Check::Anchor => {
                "the daemon anchors after each daily verification: keep `tresen daemon` running"
            }
            Check::RestoreTest => {
                "copy a backup back and run `tresen archive restore-test DIR` on it (docs/archive.md)"
            }
        };
        let name = check.as_str().replace('_', " ");
        // A check is overdue once the archive is older than the check's limit.
        let due = Timestamp(since.0 + i64::from(max) * Timestamp::DAY);
        out.push(match state.newest.get(&check) {
            None if now < due => finding(
                id,
                Level::Warning,
                format!("no {name} on record yet; due by {}; {how}", due.rfc3339()),
            ),
            None => finding(id, Level::Required, format!("no {name} on record; {how}")),
            Some(r) => {
                let days = (now.0 - r.at.0).max(0) / Timestamp::DAY;
                let when = format!("{} ({days} day(s) ago)", r.at.rfc3339());
                if !r.ok {
                    finding(
                        id,
                        Level::Required,
                        format!(
                            "the last {} failed on {when}: {}",
                            check.as_str().replace('_', " "),
                            r.detail
                        ),
                    )
                } else if days >= i64::from(max) {
                    finding(
                        id,
                        Level::Required,
                        format!(
                            "the last {} is from {when}, more than {max} day(s); {how}",
                            check.as_str().replace('_', " ")
                        ),
                    )
                } else {
                    finding(
                        id,
                        Level::Ok,
                        format!("{when}, record {}: {}", r.seq, r.detail),
                    )
                }
            }
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(check: Check, ok: bool, at: Timestamp) -> IntegrityRecord {
        IntegrityRecord {
            check,
            ok,
            seq: 7,
            hash: String::new(),
            detail: "7 records".into(),
            by: "tresen".into(),
            at,
        }
    }

    fn level(out: &[Finding], id: &str) -> Level {
        out.iter().find(|f| f.id == id).map(|f| f.level).unwrap()
    }

    #[test]
    fn r_f2_a_check_is_overdue_once_older_than_its_limit_and_a_new_archive_gets_time() {
        let config = ArchiveConfig {
            anchor_dir: "/mnt/anker".into(),
            ..Default::default()
        };
        let day = Timestamp::DAY;
        let since = Timestamp(1_790_000_000_000);
        // A day-old archive without checks: warnings with the date they are due.
        let fresh = Integrity {
            since: Some(since),
            newest: BTreeMap::new(),
        };
        let out = findings(&config, &fresh, Timestamp(since.0 + day));
        assert_eq!(level(&out, "archive_verify"), Level::Warning);
        assert_eq!(level(&out, "restore_test"), Level::Warning);
        // Three days on, verification and anchor are overdue; the drill is not yet.
        let out = findings(&config, &fresh, Timestamp(since.0 + 3 * day));
        assert_eq!(level(&out, "archive_verify"), Level::Required);
        assert_eq!(level(&out, "archive_anchor"), Level::Required);
        assert_eq!(level(&out, "restore_test"), Level::Warning);
        // Checks on record: fine while recent, overdue when old, failed is failed.
        let now = Timestamp(since.0 + 200 * day);
        let state = Integrity {
            since: Some(since),
            newest: BTreeMap::from([
                (
                    Check::Verify,
                    record(Check::Verify, true, Timestamp(now.0 - day / 2)),
                ),
                (
                    Check::Anchor,
                    record(Check::Anchor, true, Timestamp(now.0 - 5 * day)),
                ),
                (
                    Check::RestoreTest,
                    record(Check::RestoreTest, false, Timestamp(now.0 - day)),
                ),
            ]),
        };
        let out = findings(&config, &state, now);
        assert_eq!(level(&out, "archive_verify"), Level::Ok);
        assert_eq!(level(&out, "archive_anchor"), Level::Required);
        let anchor = out.iter().find(|f| f.id == "archive_anchor").unwrap();
        assert!(
            anchor.message.contains("5 day(s) ago"),
            "{}",
            anchor.message
        );
        assert!(
            anchor.message.contains("more than 2 day(s)"),
            "{}",
            anchor.message
        );
        assert_eq!(level(&out, "restore_test"), Level::Required);
    }
}
