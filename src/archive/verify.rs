//! `tresen archive verify`: recomputes the whole chain, checks every manifest and its
//! signature, decrypts every record whose key exists and compares it with its hash,
//! compares the end with `HEAD` and, if given, with off-box anchors (R-B4). Reports the
//! first bad sequence number.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::keys::Keys;
use super::manifest::{self, Signer};
use super::{ArchiveError, format, manifest_name, segment_name, segments};
use crate::secrets::MasterKey;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Start checking at this sequence number (the chain before it is taken as given).
    pub from: Option<u64>,
    /// A directory written by `tresen archive anchor` (an off-box copy).
    pub anchors: Option<PathBuf>,
    /// Another tresen is writing right now: a partial last line is a write in
    /// progress, not a torn tail.
    pub live: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// The first sequence number that is not as it must be.
    pub seq: u64,
    pub segment: String,
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub ok: bool,
    pub records: u64,
    pub checked: u64,
    /// Records whose bucket key was destroyed: chained, content gone by rule.
    pub shredded: u64,
    pub segments: usize,
    pub sealed: usize,
    pub last_seq: u64,
    pub last_hash: String,
    pub anchors_checked: usize,
    pub problem: Option<Problem>,
    pub notes: Vec<String>,
}

struct Walk<'a> {
    keys: &'a mut Keys,
    opts: &'a Options,
    report: Report,
    prev: String,
    expected: u64,
    /// seq → hash the anchors (and HEAD) say it must have.
    pinned: BTreeMap<u64, (String, &'static str, String)>,
}

impl Walk<'_> {
    fn fail(&mut self, seq: u64, segment: &str, code: &'static str, message: String) {
        if self.report.problem.is_none() {
            self.report.problem = Some(Problem {
                seq,
                segment: segment.to_string(),
                code,
                message,
            });
        }
    }

    fn failed(&self) -> bool {
        self.report.problem.is_some()
    }
}

/// Verifies the archive in `dir`. `progress(done, total)` is called in bytes.
pub fn verify(
    dir: &Path,
    master: &MasterKey,
    opts: &Options,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, ArchiveError> {
    let segs = segments(dir)?;
    let mut keys = Keys::load(dir, master, !segs.is_empty())?;
    let public = Signer::new(master).public_hex();
    let total: u64 = segs
        .iter()
        .filter_map(|n| std::fs::metadata(dir.join(segment_name(*n))).ok())
        .map(|m| m.len())
        .sum();
    let mut w = Walk {
        keys: &mut keys,
        opts,
        report: Report::default(),
        prev: format::GENESIS.to_string(),
        expected: 1,
        pinned: BTreeMap::new(),
    };
    let mut anchored_manifests = Vec::new();
    if let Some(adir) = &opts.anchors {
        anchored_manifests = load_anchors(adir, &public, &mut w)?;
    }
    let mut prev_manifest = format::GENESIS.to_string();
    let mut done = 0u64;
    for (i, &n) in segs.iter().enumerate() {
        if w.failed() {
            break;
        }
        let name = segment_name(n);
        let path = dir.join(&name);
        let data = std::fs::read(&path).map_err(|e| ArchiveError::io(&path, e))?;
        let mpath = dir.join(manifest_name(n));
        let is_last = i + 1 == segs.len();
        let sealed = if mpath.exists() {
            match manifest::read(&mpath) {
                Ok(m) => Some((m, std::fs::read(&mpath).unwrap_or_default())),
                Err(e) => {
                    w.fail(w.expected, &name, "manifest_unreadable", e.to_string());
                    break;
                }
            }
        } else {
            if !is_last {
                w.fail(
                    w.expected,
                    &name,
                    "manifest_missing",
                    format!("{name} is followed by another segment but has no manifest"),
                );
                break;
            }
            None
        };
        w.report.segments += 1;
        if let Some((m, bytes)) = &sealed {
            w.report.sealed += 1;
            let b = &m.body;
            let mut bad = None;
            if !m.signature_ok {
                bad = Some(("manifest_signature", "the manifest's signature does not match it".to_string()));
            } else if b.public_key != public {
                bad = Some((
                    "manifest_key",
                    format!("the manifest is signed by another key ({})", b.public_key),
                ));
            } else if b.prev_manifest_sha256 != prev_manifest {
                bad = Some(("manifest_chain", "the manifest does not follow the previous segment's manifest".to_string()));
            } else if b.segment != name {
                bad = Some(("manifest_segment", format!("the manifest describes {}", b.segment)));
            }
            if let Some((code, msg)) = bad {
                w.fail(b.first_seq.max(w.expected), &name, code, msg);
                break;
            }
            prev_manifest = format::sha256_hex(bytes);
            // --from: a whole sealed segment before the start is taken from its manifest.
            if opts.from.is_some_and(|f| b.last_seq < f) {
                w.prev = b.last_hash.clone();
                w.expected = b.last_seq + 1;
                w.report.records += b.count;
                done += data.len() as u64;
                progress(done, total);
                continue;
            }
        }
        let seg_first = w.expected;
        let complete_end = data.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let mut last_progress = done;
        let mut offset = 0usize;
        for text in data[..complete_end].split(|&b| b == b'\n') {
            let line_len = text.len() + 1;
            let at = offset;
            offset += line_len;
            if offset > complete_end {
                break; // the empty piece after the final newline
            }
            check_one(&mut w, &name, text, at);
            if w.failed() {
                break;
            }
            if done + offset as u64 - last_progress > (4 << 20) {
                last_progress = done + offset as u64;
                progress(last_progress, total);
            }
        }
        if w.failed() {
            break;
        }
        if complete_end < data.len() {
            if is_last && opts.live {
                w.report.notes.push(format!(
                    "{} bytes at the end of {name} are still being written",
                    data.len() - complete_end
                ));
            } else {
                w.fail(
                    w.expected,
                    &name,
                    "torn_tail",
                    format!(
                        "{name} ends in {} bytes that are no complete record (a write cut short); opening the profile sets them aside",
                        data.len() - complete_end
                    ),
                );
                break;
            }
        }
        if let Some((m, _)) = &sealed {
            let b = &m.body;
            let last = w.expected - 1;
            if last < b.last_seq {
                w.fail(
                    last + 1,
                    &name,
                    "truncated",
                    format!(
                        "{name} ends at record {last}, its manifest says {}: records {}–{} are missing",
                        b.last_seq,
                        last + 1,
                        b.last_seq
                    ),
                );
            } else if last > b.last_seq || b.first_seq != seg_first {
                w.fail(
                    b.last_seq + 1,
                    &name,
                    "manifest_mismatch",
                    format!("{name} holds records {seg_first}–{last}, its manifest says {}–{}", b.first_seq, b.last_seq),
                );
            } else if b.last_hash != w.prev {
                w.fail(b.last_seq, &name, "manifest_mismatch", "the last record's hash differs from the manifest".into());
            } else if b.file_sha256 != format::sha256_hex(&data) {
                w.fail(
                    b.first_seq,
                    &name,
                    "file_mismatch",
                    format!("{name} differs from the file its manifest sealed (the records check, so the change is outside them)"),
                );
            }
        }
        done += data.len() as u64;
        progress(done, total);
    }
    if !w.failed() {
        check_head(dir, master, &mut w);
    }
    if !w.failed() {
        let last = w.expected - 1;
        let pending: Vec<_> = w.pinned.range(last + 1..).map(|(s, v)| (*s, v.clone())).collect();
        if let Some((seq, (_, code, source))) = pending.into_iter().next() {
            w.fail(
                last + 1,
                "",
                code,
                format!("the archive ends at record {last}, but {source} holds record {seq}: records were cut off or rewritten"),
            );
        }
    }
    if !w.failed() {
        for (name, bytes) in anchored_manifests {
            match std::fs::read(dir.join(&name)) {
                Ok(local) if local == bytes => {}
                Ok(_) => {
                    let seq = manifest_seq(&bytes);
                    w.fail(seq, &name, "anchor_mismatch", format!("{name} differs from its off-box copy: it was replaced"));
                    break;
                }
                Err(_) => {
                    let seq = manifest_seq(&bytes);
                    w.fail(seq, &name, "anchor_mismatch", format!("{name} is in the off-box copy but not in the archive"));
                    break;
                }
            }
        }
    }
    let mut report = w.report;
    report.last_seq = w.expected - 1;
    report.last_hash = w.prev;
    report.ok = report.problem.is_none();
    Ok(report)
}

fn manifest_seq(bytes: &[u8]) -> u64 {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| t.lines().next())
        .and_then(|l| serde_json::from_str::<manifest::Body>(l).ok())
        .map_or(0, |b| b.first_seq)
}

fn check_one(w: &mut Walk<'_>, segment: &str, text: &[u8], offset: usize) {
    let Ok(text) = std::str::from_utf8(text) else {
        let seq = w.expected;
        w.fail(seq, segment, "unreadable", format!("record at byte {offset} is not UTF-8"));
        return;
    };
    // --from: before the start, only follow the chain.
    if let Some(from) = w.opts.from
        && w.expected < from
    {
        if let Ok(l) = serde_json::from_str::<format::Line<'_>>(text) {
            w.expected = l.seq + 1;
            w.prev = l.h.to_string();
            w.report.records += 1;
            return;
        }
    }
    let line = match format::check_line(text) {
        Ok(l) => l,
        Err(d) => {
            let seq = w.expected;
            w.fail(seq, segment, d.code(), format!("record {seq} (byte {offset} of {segment}): {d}"));
            return;
        }
    };
    if line.prev != w.prev || line.seq != w.expected {
        let seq = w.expected;
        let d = if line.prev != w.prev {
            format::Defect::ChainBreak
        } else {
            format::Defect::Sequence {
                expected: seq,
                found: line.seq,
            }
        };
        w.fail(
            seq,
            segment,
            d.code(),
            format!("record {seq} expected, found record {} (byte {offset} of {segment}): {d}", line.seq),
        );
        return;
    }
    match w.keys.key(line.b).map(|k| super::read::open_content(k, &line).is_some()) {
        Some(true) => w.report.checked += 1,
        Some(false) => {
            let d = format::Defect::ContentMismatch;
            w.fail(line.seq, segment, d.code(), format!("record {}: {d}", line.seq));
            return;
        }
        None if line.b == super::keys::SYSTEM || w.keys.bucket(line.b).is_none() => {
            w.fail(
                line.seq,
                segment,
                "unknown_bucket",
                format!("record {} names bucket {}, which the key table does not know", line.seq, line.b),
            );
            return;
        }
        None => w.report.shredded += 1,
    }
    if let Some((hash, code, source)) = w.pinned.remove(&line.seq)
        && hash != line.h
    {
        w.fail(
            line.seq,
            segment,
            code,
            format!("record {} differs from {source}: the chain was rewritten from here on or before", line.seq),
        );
        return;
    }
    w.report.records += 1;
    w.expected = line.seq + 1;
    w.prev = line.h.to_string();
}

/// `HEAD` names the last record the writer made durable. An archive that ends before it
/// lost records at the end (a truncated open segment).
fn check_head(dir: &Path, master: &MasterKey, w: &mut Walk<'_>) {
    let Ok(text) = std::fs::read_to_string(dir.join("HEAD")) else {
        return;
    };
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [seq, hash, tag] = parts[..] else {
        w.report.notes.push("HEAD is unreadable; the end of the archive was not compared with it".into());
        return;
    };
    let body = format!("{seq} {hash}");
    if super::head_tag(&master.derive("archive head"), &body) != tag {
        w.report.notes.push("HEAD does not carry this profile's tag; ignored".into());
        return;
    }
    let Ok(seq) = seq.parse::<u64>() else { return };
    let last = w.expected - 1;
    if seq > last {
        w.fail(
            last + 1,
            "",
            "truncated",
            format!("the archive ends at record {last}, but record {seq} was written: records {}–{seq} are missing", last + 1),
        );
    }
}

/// Reads `tresen archive anchor` output: checkpoints pin a record's hash; manifests are
/// compared byte for byte after the walk.
fn load_anchors(
    adir: &Path,
    public: &str,
    w: &mut Walk<'_>,
) -> Result<Vec<(String, Vec<u8>)>, ArchiveError> {
    let mut manifests = Vec::new();
    let rd = std::fs::read_dir(adir).map_err(|e| ArchiveError::io(adir, e))?;
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let path = adir.join(&name);
        if name.ends_with(".manifest") {
            let bytes = std::fs::read(&path).map_err(|e| ArchiveError::io(&path, e))?;
            manifests.push((name, bytes));
            w.report.anchors_checked += 1;
        } else if name.starts_with("checkpoint-") && name.ends_with(".json") {
            let cp = manifest::read_checkpoint(&path)?;
            if !cp.signature_ok || cp.body.public_key != public {
                return Err(ArchiveError::Corrupt(format!(
                    "{}: the checkpoint's signature does not match this archive's key",
                    path.display()
                )));
            }
            w.pinned.insert(
                cp.body.seq,
                (cp.body.hash.clone(), "anchor_mismatch", format!("the anchor {name}")),
            );
            w.report.anchors_checked += 1;
        }
    }
    Ok(manifests)
}
