//! When the archive was last verified in full, and what came out: kept beside the
//! archive (never in it) so `tresen status` can say it without reading every record.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastVerify {
    pub at: Timestamp,
    pub ok: bool,
    pub records: u64,
}

fn file(archive_dir: &Path) -> PathBuf {
    archive_dir.with_file_name("archive-verified.json")
}

/// Records the outcome of a full verification (a partial one proves less: not kept).
pub fn record(archive_dir: &Path, report: &super::verify::Report) -> std::io::Result<()> {
    let last = LastVerify {
        at: Timestamp::now(),
        ok: report.ok,
        records: report.records,
    };
    let text = serde_json::to_vec(&last).map_err(std::io::Error::other)?;
    crate::fsutil::write_private(&file(archive_dir), &text)
}

/// The last full verification's outcome, if one was recorded.
pub fn last(archive_dir: &Path) -> Option<LastVerify> {
    let bytes = std::fs::read(file(archive_dir)).ok()?;
    serde_json::from_slice(&bytes).ok()
}
