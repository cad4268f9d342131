//! `tresen archive verify`: recomputes the whole chain, checks every manifest and its
//! signature, decrypts every record whose key exists and compares it with its hash,
//! compares the end with `HEAD` and, if given, with off-box anchors (R-B4). Reports the
//! first bad sequence number.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::ops::ControlFlow;

use super::keys::{Key, Keys};
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

/// Chain state while walking one segment.
struct Walk<'a> {
    keys: &'a HashMap<String, Key>,
    known: &'a std::collections::HashSet<String>,
    from: Option<u64>,
    pinned: &'a BTreeMap<u64, (String, &'static str, String)>,
    prev: String,
    expected: u64,
    records: u64,
    checked: u64,
    shredded: u64,
    pins_hit: usize,
    problem: Option<Problem>,
    /// The segment is sealed: its file hash is checked against the signed manifest, so
    /// the content is checked by the key stream alone (`read::content_hash_matches`).
    sealed: bool,
    /// Reused for every record's plaintext; wiped when the walk ends.
    buf: zeroize::Zeroizing<Vec<u8>>,
}

impl Walk<'_> {
    fn fail(&mut self, seq: u64, segment: &str, code: &'static str, message: String) {
        if self.problem.is_none() {
            self.problem = Some(Problem {
                seq,
                segment: segment.to_string(),
                code,
                message,
            });
        }
    }

    fn failed(&self) -> bool {
        self.problem.is_some()
    }
}

/// One segment to check, with the chain state it must start from.
struct Job {
    index: usize,
    name: String,
    path: PathBuf,
    start_seq: u64,
    start_prev: String,
    manifest: Option<manifest::Body>,
    is_last: bool,
}

struct Outcome {
    problem: Option<Problem>,
    records: u64,
    checked: u64,
    shredded: u64,
    pins_hit: usize,
    last_seq: u64,
    last_hash: String,
    notes: Vec<String>,
    bytes: u64,
}

/// Verifies the archive in `dir`. `progress(done, total)` is called in bytes. Sealed
/// segments are checked in parallel: each starts from the state its predecessor's
/// manifest states, and each is held to its own manifest, so together they prove the
/// whole chain.
pub fn verify(
    dir: &Path,
    master: &MasterKey,
    opts: &Options,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, ArchiveError> {
    let segs = segments(dir)?;
    let mut keys = Keys::load(dir, master, !segs.is_empty())?;
    let decoded = keys.decoded();
    let known: std::collections::HashSet<String> =
        keys.buckets().map(|(id, _)| id.clone()).collect();
    let public = Signer::new(master).public_hex();
    let mut report = Report::default();
    let mut pinned = BTreeMap::new();
    let mut anchored_manifests = Vec::new();
    if let Some(adir) = &opts.anchors {
        anchored_manifests = load_anchors(adir, &public, &mut pinned, &mut report)?;
    }
    let head = read_head(dir, master, !segs.is_empty(), &mut report);
    // Phase 1, in order and cheap: the manifests, their signatures and their chain.
    let mut jobs = Vec::new();
    let mut prev_manifest = format::GENESIS.to_string();
    let (mut next_seq, mut next_prev) = (1u64, format::GENESIS.to_string());
    let mut early: Option<Problem> = None;
    for (i, &n) in segs.iter().enumerate() {
        let name = segment_name(n);
        let mpath = dir.join(manifest_name(n));
        let is_last = i + 1 == segs.len();
        let manifest = if mpath.exists() {
            let problem = |code, message: String, seq| Problem {
                seq,
                segment: name.clone(),
                code,
                message,
            };
            let m = match manifest::read(&mpath) {
                Ok(m) => m,
                Err(e) => {
                    early = Some(problem("manifest_unreadable", e.to_string(), next_seq));
                    break;
                }
            };
            let b = &m.body;
            let bad = if !m.signature_ok {
                Some((
                    "manifest_signature",
                    "the manifest's signature does not match it".to_string(),
                ))
            } else if b.public_key != public {
                Some((
                    "manifest_key",
                    format!("the manifest is signed by another key ({})", b.public_key),
                ))
            } else if b.prev_manifest_sha256 != prev_manifest {
                Some((
                    "manifest_chain",
                    "the manifest does not follow the previous segment's manifest".to_string(),
                ))
            } else if b.segment != name {
                Some((
                    "manifest_segment",
                    format!("the manifest describes {}", b.segment),
                ))
            } else if b.first_seq != next_seq || b.prev_hash != next_prev {
                Some((
                    "manifest_chain",
                    format!(
                        "the manifest starts at record {}, the chain at {next_seq}",
                        b.first_seq
                    ),
                ))
            } else {
                None
            };
            if let Some((code, msg)) = bad {
                early = Some(problem(code, msg, b.first_seq.max(next_seq)));
                break;
            }
            prev_manifest = format::sha256_hex(
                &std::fs::read(&mpath).map_err(|e| ArchiveError::io(&mpath, e))?,
            );
            Some(m.body)
        } else if !is_last {
            early = Some(Problem {
                seq: next_seq,
                segment: name.clone(),
                code: "manifest_missing",
                message: format!("{name} is followed by another segment but has no manifest"),
            });
            break;
        } else {
            None
        };
        let job = Job {
            index: i,
            name,
            path: dir.join(segment_name(n)),
            start_seq: next_seq,
            start_prev: next_prev.clone(),
            manifest: manifest.clone(),
            is_last,
        };
        if let Some(m) = &manifest {
            next_seq = m.last_seq + 1;
            next_prev = m.last_hash.clone();
        }
        jobs.push(job);
    }
    let total: u64 = jobs
        .iter()
        .filter_map(|j| std::fs::metadata(&j.path).ok())
        .map(|m| m.len())
        .sum();
    report.segments = jobs.len();
    report.sealed = jobs.iter().filter(|j| j.manifest.is_some()).count();

    // Phase 2: the records, segment by segment, on every core.
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Result<Outcome, ArchiveError>)>();
    let mut outcomes: Vec<Option<Outcome>> = (0..jobs.len()).map(|_| None).collect();
    let mut failure = None;
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (jobs, next, decoded, known, pinned) = (&jobs, &next, &decoded, &known, &pinned);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let r = check_segment(job, decoded, known, pinned, opts);
                    if tx.send((job.index, r)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut done = 0;
        for (i, r) in rx {
            match r {
                Ok(o) => {
                    done += o.bytes;
                    progress(done, total);
                    outcomes[i] = Some(o);
                }
                Err(e) => failure = Some(e),
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let mut last = (0u64, format::GENESIS.to_string());
    let mut pins_hit = 0;
    for o in outcomes.into_iter().flatten() {
        report.records += o.records;
        report.checked += o.checked;
        report.shredded += o.shredded;
        report.notes.extend(o.notes);
        pins_hit += o.pins_hit;
        if o.last_seq > 0 {
            last = (o.last_seq, o.last_hash.clone());
        }
        if report.problem.is_none() {
            report.problem = o.problem;
        }
    }
    if let Some(p) = early
        && report.problem.as_ref().is_none_or(|q| p.seq <= q.seq)
    {
        report.problem = Some(p);
    }
    report.last_seq = last.0;
    report.last_hash = last.1;
    if report.problem.is_none() {
        check_head(head, &mut report);
    }
    if report.problem.is_none() && pins_hit < pinned.len() {
        let lastseq = report.last_seq;
        if let Some((seq, (_, code, source))) = pinned.range(lastseq + 1..).next() {
            report.problem = Some(Problem {
                seq: lastseq + 1,
                segment: String::new(),
                code,
                message: format!(
                    "the archive ends at record {lastseq}, but {source} holds record {seq}: records were cut off or rewritten"
                ),
            });
        }
    }
    if report.problem.is_none() {
        for (name, bytes) in anchored_manifests {
            let message = match std::fs::read(dir.join(&name)) {
                Ok(local) if local == bytes => continue,
                Ok(_) => format!("{name} differs from its off-box copy: it was replaced"),
                Err(_) => format!("{name} is in the off-box copy but not in the archive"),
            };
            report.problem = Some(Problem {
                seq: manifest_seq(&bytes),
                segment: name.clone(),
                code: "anchor_mismatch",
                message,
            });
            break;
        }
    }
    report.ok = report.problem.is_none();
    Ok(report)
}

fn check_segment(
    job: &Job,
    keys: &HashMap<String, Key>,
    known: &std::collections::HashSet<String>,
    pinned: &BTreeMap<u64, (String, &'static str, String)>,
    opts: &Options,
) -> Result<Outcome, ArchiveError> {
    let name = &job.name;
    // --from: a sealed segment wholly before the start is taken from its manifest.
    if let (Some(from), Some(m)) = (opts.from, &job.manifest)
        && m.last_seq < from
    {
        return Ok(Outcome {
            problem: None,
            records: m.count,
            checked: 0,
            shredded: 0,
            pins_hit: 0,
            last_seq: m.last_seq,
            last_hash: m.last_hash.clone(),
            notes: Vec::new(),
            bytes: std::fs::metadata(&job.path).map_or(0, |m| m.len()),
        });
    }
    let mut w = Walk {
        keys,
        known,
        from: opts.from,
        pinned,
        prev: job.start_prev.clone(),
        expected: job.start_seq,
        records: 0,
        checked: 0,
        shredded: 0,
        pins_hit: 0,
        problem: None,
        sealed: job.manifest.is_some(),
        buf: zeroize::Zeroizing::new(Vec::with_capacity(4096)),
    };
    let mut notes = Vec::new();
    let mut file_hash = job.manifest.as_ref().map(|_| Sha256::new());
    let read = super::lines::each_line(&job.path, file_hash.as_mut(), |text, at| {
        check_one(&mut w, name, text, at);
        match w.failed() {
            true => ControlFlow::Break(()),
            false => ControlFlow::Continue(()),
        }
    })
    .map_err(|e| ArchiveError::io(&job.path, e))?;
    if !w.failed() && read.tail > 0 {
        if job.is_last && opts.live {
            notes.push(format!(
                "{} bytes at the end of {name} are still being written",
                read.tail
            ));
        } else {
            let seq = w.expected;
            w.fail(
                seq,
                name,
                "torn_tail",
                format!(
                    "{name} ends in {} bytes that are no complete record (a write cut short); opening the profile sets them aside",
                    read.tail
                ),
            );
        }
    }
    if !w.failed()
        && let Some(b) = &job.manifest
    {
        let last = w.expected - 1;
        if last < b.last_seq {
            w.fail(
                last + 1,
                name,
                "truncated",
                format!(
                    "{name} ends at record {last}, its manifest says {}: records {}–{} are missing",
                    b.last_seq,
                    last + 1,
                    b.last_seq
                ),
            );
        } else if last > b.last_seq {
            w.fail(
                b.last_seq + 1,
                name,
                "manifest_mismatch",
                format!(
                    "{name} holds records up to {last}, its manifest says {}",
                    b.last_seq
                ),
            );
        } else if b.last_hash != w.prev {
            w.fail(
                b.last_seq,
                name,
                "manifest_mismatch",
                "the last record's hash differs from the manifest".into(),
            );
        } else if file_hash.is_some_and(|h| !format::hex_is(&b.file_sha256, &h.finalize().into())) {
            w.fail(
                b.first_seq,
                name,
                "file_mismatch",
                format!("{name} differs from the file its manifest sealed (chain and contents check, so the change is in bytes they do not cover, such as an authentication tag)"),
            );
        }
    }
    Ok(Outcome {
        problem: w.problem,
        records: w.records,
        checked: w.checked,
        shredded: w.shredded,
        pins_hit: w.pins_hit,
        last_seq: w.expected - 1,
        last_hash: w.prev,
        notes,
        bytes: read.bytes,
    })
}

fn manifest_seq(bytes: &[u8]) -> u64 {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| t.lines().next())
        .and_then(|l| serde_json::from_str::<manifest::Body>(l).ok())
        .map_or(0, |b| b.first_seq)
}

fn check_one(w: &mut Walk<'_>, segment: &str, text: &[u8], offset: u64) {
    let Ok(text) = std::str::from_utf8(text) else {
        let seq = w.expected;
        w.fail(
            seq,
            segment,
            "unreadable",
            format!("record at byte {offset} is not UTF-8"),
        );
        return;
    };
    // --from: before the start, only follow the chain.
    if let Some(from) = w.from
        && w.expected < from
        && let Ok(l) = serde_json::from_str::<format::Line<'_>>(text)
    {
        w.expected = l.seq + 1;
        w.prev = l.h.to_string();
        w.records += 1;
        return;
    }
    let line = match format::check_line(text) {
        Ok(l) => l,
        Err(d) => {
            let seq = w.expected;
            w.fail(
                seq,
                segment,
                d.code(),
                format!("record {seq} (byte {offset} of {segment}): {d}"),
            );
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
            format!(
                "record {seq} expected, found record {} (byte {offset} of {segment}): {d}",
                line.seq
            ),
        );
        return;
    }
    let (buf, sealed) = (&mut w.buf, w.sealed);
    let matches = |k: &Key| match sealed {
        true => super::read::content_hash_matches(k, &line, buf),
        false => super::read::content_matches(k, &line, buf),
    };
    match w.keys.get(line.b).map(matches) {
        Some(true) => w.checked += 1,
        Some(false) => {
            let d = format::Defect::ContentMismatch;
            w.fail(
                line.seq,
                segment,
                d.code(),
                format!("record {}: {d}", line.seq),
            );
            return;
        }
        None if !w.known.contains(line.b) => {
            w.fail(
                line.seq,
                segment,
                "unknown_bucket",
                format!(
                    "record {} names bucket {}, which the key table does not know",
                    line.seq, line.b
                ),
            );
            return;
        }
        None => w.shredded += 1,
    }
    if let Some((hash, code, source)) = w.pinned.get(&line.seq) {
        if *hash != line.h {
            w.fail(
                line.seq,
                segment,
                code,
                format!("record {} differs from {source}: the chain was rewritten from here on or before", line.seq),
            );
            return;
        }
        w.pins_hit += 1;
    }
    w.records += 1;
    w.expected = line.seq + 1;
    w.prev = line.h.to_string();
}

/// `HEAD` names the last record the writer made durable. An archive that ends before it
/// lost records at the end (a truncated open segment).
/// The sequence number `HEAD` names, read before the segments: a writer running
/// beside the verifier only ever moves it forward, so what it said then is on disk.
/// Whatever keeps it from being compared is said (a note: HEAD is a guard of the end,
/// rewritten after each write, not part of the chain).
fn read_head(
    dir: &Path,
    master: &MasterKey,
    has_records: bool,
    report: &mut Report,
) -> Option<u64> {
    let unreadable = |report: &mut Report| {
        report
            .notes
            .push("HEAD is unreadable; the end of the archive was not compared with it".into());
    };
    let text = match std::fs::read(dir.join("HEAD")) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                unreadable(report);
                return None;
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if has_records {
                report.notes.push(
                    "HEAD is missing; the end of the archive was not compared with it".into(),
                );
            }
            return None;
        }
        Err(_) => {
            unreadable(report);
            return None;
        }
    };
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [seq, hash, tag] = parts[..] else {
        unreadable(report);
        return None;
    };
    let body = format!("{seq} {hash}");
    if super::head_tag(&master.derive("archive head"), &body) != tag {
        report
            .notes
            .push("HEAD does not carry this profile's tag; ignored".into());
        return None;
    }
    let seq = seq.parse().ok();
    if seq.is_none() {
        unreadable(report);
    }
    seq
}

fn check_head(head: Option<u64>, report: &mut Report) {
    let Some(seq) = head else { return };
    let last = report.last_seq;
    if seq > last {
        report.problem = Some(Problem {
            seq: last + 1,
            segment: String::new(),
            code: "truncated",
            message: format!(
                "the archive ends at record {last}, but record {seq} was written: records {}–{seq} are missing",
                last + 1
            ),
        });
    }
}

/// Reads `tresen archive anchor` output: checkpoints pin a record's hash; manifests are
/// compared byte for byte after the walk.
fn load_anchors(
    adir: &Path,
    public: &str,
    pinned: &mut BTreeMap<u64, (String, &'static str, String)>,
    report: &mut Report,
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
            report.anchors_checked += 1;
        } else if name.starts_with("checkpoint-") && name.ends_with(".json") {
            let cp = manifest::read_checkpoint(&path)?;
            if !cp.signature_ok || cp.body.public_key != public {
                return Err(ArchiveError::Corrupt(format!(
                    "{}: the checkpoint's signature does not match this archive's key",
                    path.display()
                )));
            }
            pinned.insert(
                cp.body.seq,
                (
                    cp.body.hash.clone(),
                    "anchor_mismatch",
                    format!("the anchor {name}"),
                ),
            );
            report.anchors_checked += 1;
        } else if name.starts_with("checkpoint-") && name.ends_with(".tsr") {
            // An RFC 3161 reply must cover its checkpoint's exact bytes (R-B3, R-B4).
            let data_path = path.with_extension("json");
            let reply = std::fs::read(&path).map_err(|e| ArchiveError::io(&path, e))?;
            let data = std::fs::read(&data_path).map_err(|e| ArchiveError::io(&data_path, e))?;
            match super::tsa::covers(&reply, &data) {
                Ok(stamp) => report.notes.push(format!(
                    "{name}: timestamped {} by the TSA; its signature is checked with `openssl ts -verify` and the TSA's CA certificate",
                    stamp.gen_time
                )),
                Err(e) => {
                    return Err(ArchiveError::Corrupt(format!(
                        "{}: the timestamp does not cover its checkpoint: {e}",
                        path.display()
                    )));
                }
            }
            report.anchors_checked += 1;
        }
    }
    Ok(manifests)
}
