//! Integrity that proves itself (R-B3, R-B4, R-B12): the outcome of every scheduled
//! verification, anchor and restore drill is an archive record of its own, so the
//! archive carries the proof of its checks; `compliance check` reads the newest of each
//! to say how old it is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::payload::Payload;
use super::{ArchiveError, format, segment_name, segments, verify};
use crate::domain::Timestamp;
use crate::secrets::MasterKey;

/// Which check a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The whole chain and every record's content (`archive verify`).
    Verify,
    /// A signed checkpoint written off the archive (`archive anchor`).
    Anchor,
    /// A backup copy verified end to end (`archive restore-test`).
    RestoreTest,
    /// An anchor's checkpoint timestamped by a timestamp authority (RFC 3161).
    Timestamp,
}

impl Check {
    pub const ALL: [Check; 4] = [
        Check::Verify,
        Check::Anchor,
        Check::RestoreTest,
        Check::Timestamp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Check::Verify => "verify",
            Check::Anchor => "anchor",
            Check::RestoreTest => "restore_test",
            Check::Timestamp => "timestamp",
        }
    }
}

/// One check's outcome, as archived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityRecord {
    pub check: Check,
    pub ok: bool,
    /// The newest record the check covered, and its hash.
    pub seq: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
    /// Where (anchor directory, backup copy) and what went wrong, in words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// Who ran it: a staff name, or `tresen` for the daemon's schedule.
    pub by: String,
    pub at: Timestamp,
    /// A timestamp's proof: the TSA's whole reply (RFC 3161 `.tsr`), base64.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token: String,
}

impl IntegrityRecord {
    /// The detail for a German reader: the counts it gives ("…: 49 records") read
    /// German; a damage report stays in the words it was archived in.
    pub fn detail_de(&self) -> String {
        match self.detail.strip_suffix(" records") {
            Some(head) => {
                let (before, count) = head.rsplit_once(' ').unwrap_or(("", head));
                if count.bytes().all(|b| b.is_ascii_digit()) && !count.is_empty() {
                    format!(
                        "{before}{}{count} Einträge",
                        if before.is_empty() { "" } else { " " }
                    )
                } else {
                    self.detail.clone()
                }
            }
            None => self.detail.clone(),
        }
    }
}

/// The newest record of each check, read from the newest segment back (no record
/// older than the newest of its kind is decrypted).
pub fn newest(
    dir: &Path,
    master: &MasterKey,
) -> Result<BTreeMap<Check, IntegrityRecord>, ArchiveError> {
    let mut out = BTreeMap::new();
    super::read::newest_first(dir, master, "integrity", |p| {
        if let Payload::Integrity(r) = p {
            out.entry(r.check).or_insert(r);
        }
        out.len() == Check::ALL.len()
    })?;
    Ok(out)
}

/// When the archive's first record was written (`None`: none yet).
pub fn first_written(dir: &Path) -> Result<Option<Timestamp>, ArchiveError> {
    let Some(first) = segments(dir)?.into_iter().next() else {
        return Ok(None);
    };
    let path = dir.join(segment_name(first));
    let data = std::fs::read_to_string(&path).map_err(|e| ArchiveError::io(&path, e))?;
    Ok(data
        .lines()
        .next()
        .and_then(|l| format::check_line(l).ok())
        .map(|l| Timestamp(l.ts)))
}

/// The whole archive verified now (`live`: the engine may be appending).
pub fn verify_now(
    dir: &Path,
    master: &MasterKey,
    live: bool,
    by: &str,
) -> (verify::Report, IntegrityRecord) {
    let report = verify::verify(
        dir,
        master,
        &verify::Options {
            live,
            ..Default::default()
        },
        &mut |_, _| {},
    );
    let record = match &report {
        Ok(r) => IntegrityRecord {
            check: Check::Verify,
            ok: r.ok,
            seq: r.last_seq,
            hash: r.last_hash.clone(),
            detail: r
                .problem
                .as_ref()
                .map(|p| format!("record {}: {} ({})", p.seq, p.message, p.code))
                .unwrap_or_else(|| format!("{} records", r.records)),
            by: by.to_string(),
            at: Timestamp::now(),
            token: String::new(),
        },
        Err(e) => IntegrityRecord {
            check: Check::Verify,
            ok: false,
            seq: 0,
            hash: String::new(),
            detail: e.to_string(),
            by: by.to_string(),
            at: Timestamp::now(),
            token: String::new(),
        },
    };
    (report.unwrap_or_default(), record)
}

/// Where a backup copy keeps the archive: `DIR/archive` (a copy of the data directory)
/// or `DIR` itself.
pub fn archive_in(copy: &Path) -> PathBuf {
    let inner = copy.join("archive");
    if inner.is_dir() {
        inner
    } else {
        copy.to_path_buf()
    }
}

/// `copy` holds an archive at all: a mistyped path is a usage error, not a failed
/// drill on record.
pub fn holds_an_archive(copy: &Path) -> Result<(), String> {
    match segments(&archive_in(copy)) {
        Ok(s) if !s.is_empty() => Ok(()),
        Ok(_) => Err(format!(
            "{}: no archive in it (neither archive/seg-*.jsonl nor seg-*.jsonl); name the restored copy of the data directory",
            copy.display()
        )),
        Err(e) => Err(format!("{}: {e}", copy.display())),
    }
}

/// The restore drill (R-B12): the backup copy at `copy` verifies end to end with this
/// profile's key — chain, signatures, every record's content — and its newest record is
/// byte for byte the live archive's record of that number (a copy of this archive, not
/// another one, and not rewritten since).
pub fn restore_drill(copy: &Path, live: &Path, master: &MasterKey, by: &str) -> IntegrityRecord {
    let dir = archive_in(copy);
    let fail = |detail: String| IntegrityRecord {
        check: Check::RestoreTest,
        ok: false,
        seq: 0,
        hash: String::new(),
        detail,
        by: by.to_string(),
        at: Timestamp::now(),
        token: String::new(),
    };
    match segments(&dir) {
        Ok(s) if !s.is_empty() => {}
        Ok(_) => {
            return fail(format!(
                "{}: no archive segments in the copy",
                copy.display()
            ));
        }
        Err(e) => return fail(format!("{}: {e}", copy.display())),
    }
    let report = match verify::verify(&dir, master, &verify::Options::default(), &mut |_, _| {}) {
        Ok(r) => r,
        Err(e) => return fail(format!("{}: {e}", copy.display())),
    };
    if let Some(p) = &report.problem {
        return fail(format!(
            "{}: record {}: {} ({})",
            copy.display(),
            p.seq,
            p.message,
            p.code
        ));
    }
    let same = match (
        line_of(&dir, report.last_seq),
        line_of(live, report.last_seq),
    ) {
        (Ok(Some(a)), Ok(Some(b))) => a == b,
        _ => false,
    };
    if !same {
        return fail(format!(
            "{}: its record {} is not the live archive's record {}: a copy of another archive, or one of them was rewritten",
            copy.display(),
            report.last_seq,
            report.last_seq
        ));
    }
    IntegrityRecord {
        check: Check::RestoreTest,
        ok: true,
        seq: report.last_seq,
        hash: report.last_hash,
        detail: format!("{}: {} records", copy.display(), report.records),
        by: by.to_string(),
        at: Timestamp::now(),
        token: String::new(),
    }
}

/// The text of record `seq` in the archive at `dir`.
fn line_of(dir: &Path, seq: u64) -> Result<Option<String>, ArchiveError> {
    for n in segments(dir)? {
        let mpath = dir.join(super::manifest_name(n));
        if mpath.exists() && super::manifest::read(&mpath).is_ok_and(|m| m.body.last_seq < seq) {
            continue;
        }
        let path = dir.join(segment_name(n));
        let data = std::fs::read_to_string(&path).map_err(|e| ArchiveError::io(&path, e))?;
        if let Some(l) = data.lines().find(|l| format::quick_seq(l) == Some(seq)) {
            return Ok(Some(l.to_string()));
        }
    }
    Ok(None)
}
