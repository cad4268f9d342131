//! The retention archive: append-only, hash-chained, encrypted segment files that keep
//! every business message (as received or sent) for its statutory period (R-B1, R-B2).
//! The engine appends here, durably, before anything reaches the inbox store or is
//! acknowledged to a connector; the archive is the source of truth the store can be
//! rebuilt from. Format: [`format`]; guarantees and limits: `docs/archive.md`.
//!
//! Layout of `<data dir>/archive/`:
//! `seg-000001.jsonl` … (records, the last one open), `seg-000001.manifest` (for every
//! sealed segment: signed body + signature), `keys.sealed` (bucket keys), `HEAD` (the
//! last durable record, authenticated), `quarantine/` (torn tails set aside).

pub mod anchor;
pub mod checked;
pub mod export;
pub mod format;
pub mod integrity;
pub mod keys;
mod lines;
pub mod manifest;
pub mod payload;
pub mod read;
pub mod retention;
pub mod tsa;
pub mod verify;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload as AeadPayload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::domain::Timestamp;
use crate::secrets::MasterKey;
pub use payload::Payload;

const DEFAULT_SEGMENT_LIMIT: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("archive {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{0} cannot be opened with this profile's key: the archive belongs to another key (or the file is damaged). Nothing was read or changed."
    )]
    WrongKey(PathBuf),
    #[error(
        "{0} is missing although the archive holds records: without it the records cannot be read. Restore it from a backup; tresen does not start a new one over an existing archive."
    )]
    KeysMissing(PathBuf),
    #[error("archive damaged: {0}")]
    Corrupt(String),
}

impl ArchiveError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        ArchiveError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Where a record's key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Not about one conversation (configuration, holds, runs).
    System,
    /// A conversation's record of the calendar year `year` (the event's own year, which
    /// is what its retention period counts from).
    Conversation {
        account: String,
        conversation: String,
        year: i32,
    },
}

impl Scope {
    /// A conversation's name and number: kept as long as any of its messages.
    pub fn conversation_meta(account: &str, conversation: &str) -> Scope {
        Scope::Conversation {
            account: account.to_string(),
            conversation: conversation.to_string(),
            year: retention::META_YEAR,
        }
    }

    pub fn conversation(account: &str, conversation: &str, at: Timestamp) -> Scope {
        Scope::Conversation {
            account: account.to_string(),
            conversation: conversation.to_string(),
            year: year_of(at),
        }
    }
}

pub fn year_of(at: Timestamp) -> i32 {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp_millis(at.0)
        .map(|d| d.year())
        .unwrap_or(1970)
}

/// The first and last millisecond of `year` (UTC, as [`year_of`] counts): what a
/// year's bucket covers.
pub fn year_span(year: i32) -> Option<(Timestamp, Timestamp)> {
    let start = chrono::NaiveDate::from_ymd_opt(year, 1, 1)?.and_hms_opt(0, 0, 0)?;
    let end = chrono::NaiveDate::from_ymd_opt(year, 12, 31)?.and_hms_milli_opt(23, 59, 59, 999)?;
    Some((
        Timestamp(start.and_utc().timestamp_millis()),
        Timestamp(end.and_utc().timestamp_millis()),
    ))
}

fn month_of(ts: i64) -> (i32, u32) {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp_millis(ts)
        .map(|d| (d.year(), d.month()))
        .unwrap_or((1970, 1))
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub scope: Scope,
    pub payload: Payload,
}

impl Entry {
    /// `by` read `what` of `scope` out of tresen (an export, names, a raw record): now.
    pub fn accessed(
        what: impl Into<String>,
        scope: impl Into<String>,
        by: impl Into<String>,
    ) -> Entry {
        Entry {
            scope: Scope::System,
            payload: Payload::Access {
                what: what.into(),
                scope: scope.into(),
                by: by.into(),
                at: crate::domain::Timestamp::now(),
            },
        }
    }
}

/// The last durable record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// 0 while the archive is empty.
    pub seq: u64,
    pub hash: String,
}

/// What opening found and did.
#[derive(Debug, Default)]
pub struct OpenReport {
    /// A torn tail (a write cut short by a crash or power loss) was moved aside.
    pub torn: Option<Torn>,
}

#[derive(Debug, Clone)]
pub struct Torn {
    pub segment: String,
    pub offset: u64,
    pub length: u64,
    pub quarantined_to: PathBuf,
}

pub fn segment_name(n: u32) -> String {
    format!("seg-{n:06}.jsonl")
}

pub fn manifest_name(n: u32) -> String {
    format!("seg-{n:06}.manifest")
}

/// The segment numbers present in `dir`, ascending.
pub fn segments(dir: &Path) -> Result<Vec<u32>, ArchiveError> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(ArchiveError::io(dir, e)),
    };
    for e in rd {
        let e = e.map_err(|e| ArchiveError::io(dir, e))?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if let Some(n) = name
            .strip_prefix("seg-")
            .and_then(|s| s.strip_suffix(".jsonl"))
            .and_then(|s| s.parse::<u32>().ok())
        {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

pub(crate) fn sync_dir(dir: &Path) {
    // Makes a rename or a new file durable; best effort where directories cannot be
    // opened (not on Linux).
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

pub struct Archive {
    dir: PathBuf,
    keys: keys::Keys,
    signer: manifest::Signer,
    head_key: keys::Key,
    file: File,
    segment: u32,
    size: u64,
    /// The open segment's first record: (seq, ts, prev).
    first: Option<(u64, i64, String)>,
    head: Head,
    limit: u64,
    buf: Vec<u8>,
    fsyncs: u64,
    /// The time of the newest record: archive time never goes back behind it.
    last_ts: i64,
    /// Where the time comes from (the wall clock; a test's own).
    clock: crate::domain::Clock,
    /// The wall clock was behind `last_ts` and that is on record: no second record
    /// until the clock has caught up and falls back again.
    behind: bool,
    /// SHA-256 of the open segment's bytes so far (those read at open, then each
    /// synced write): the manifest's file hash without reading the segment back.
    file_hash: sha2::Sha256,
}

impl Archive {
    pub fn dir_of(data_dir: &Path) -> PathBuf {
        data_dir.join("archive")
    }

    /// Opens (or creates) the archive in `dir`. A torn tail is moved to `quarantine/`,
    /// reported, and noted as a `recovery` record; nothing before it is touched.
    pub fn open(dir: &Path, master: &MasterKey) -> Result<(Archive, OpenReport), ArchiveError> {
        crate::fsutil::ensure_private_dir(dir).map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
        let segs = segments(dir)?;
        let keys = keys::Keys::load(dir, master, !segs.is_empty())?;
        keys.create_if_missing()?;
        let signer = manifest::Signer::new(master);
        let head_key = master.derive("archive head");
        let mut segment = segs.last().copied().unwrap_or(1);
        // Sealed, and then the process died before the next segment was created: the
        // next one simply starts now.
        if dir.join(manifest_name(segment)).exists() {
            segment += 1;
        }
        let path = dir.join(segment_name(segment));
        let mut report = OpenReport::default();
        // The chain before the open segment: its predecessor's manifest.
        let (sealed_head, sealed_ts) = if segment > 1 {
            let m = manifest::read(&dir.join(manifest_name(segment - 1)))?;
            (
                Head {
                    seq: m.body.last_seq,
                    hash: m.body.last_hash.clone(),
                },
                m.body.last_ts,
            )
        } else {
            (
                Head {
                    seq: 0,
                    hash: format::GENESIS.to_string(),
                },
                0,
            )
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| ArchiveError::io(&path, e))?;
        set_private(&path);
        let mut data = Vec::new();
        file.read_to_end(&mut data)
            .map_err(|e| ArchiveError::io(&path, e))?;
        let (good_end, last) = last_good(&data);
        let mut head = sealed_head;
        let mut first = None;
        if let Some((text_start, text_end)) = first_line(&data[..good_end])
            && let Ok(l) =
                format::check_line(std::str::from_utf8(&data[text_start..text_end]).unwrap_or(""))
        {
            first = Some((l.seq, l.ts, l.prev.to_string()));
        }
        if let Some((seq, hash)) = last {
            head = Head { seq, hash };
        }
        if good_end < data.len() {
            let torn = &data[good_end..];
            let qdir = dir.join("quarantine");
            crate::fsutil::ensure_private_dir(&qdir)
                .map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
            let qpath = qdir.join(format!(
                "{}.torn-at-{good_end}-{}",
                segment_name(segment),
                Timestamp::now().0
            ));
            crate::fsutil::write_private(&qpath, torn).map_err(|e| ArchiveError::io(&qpath, e))?;
            file.set_len(good_end as u64)
                .map_err(|e| ArchiveError::io(&path, e))?;
            file.sync_all().map_err(|e| ArchiveError::io(&path, e))?;
            tracing::warn!(
                segment = segment,
                offset = good_end,
                length = torn.len(),
                quarantined = %qpath.display(),
                "archive: torn tail set aside"
            );
            report.torn = Some(Torn {
                segment: segment_name(segment),
                offset: good_end as u64,
                length: torn.len() as u64,
                quarantined_to: qpath,
            });
        }
        file.seek(SeekFrom::End(0))
            .map_err(|e| ArchiveError::io(&path, e))?;
        let last_ts = last_line_ts(&data[..good_end]).unwrap_or(sealed_ts);
        let file_hash = {
            use sha2::Digest as _;
            sha2::Sha256::new_with_prefix(&data[..good_end])
        };
        let mut archive = Archive {
            dir: dir.to_path_buf(),
            keys,
            signer,
            head_key,
            file,
            segment,
            size: good_end as u64,
            first,
            head,
            limit: DEFAULT_SEGMENT_LIMIT,
            buf: Vec::with_capacity(1 << 20),
            fsyncs: 0,
            last_ts,
            clock: crate::domain::system_clock(),
            behind: false,
            file_hash,
        };
        if let Some(t) = &report.torn {
            let torn_bytes = std::fs::read(&t.quarantined_to).unwrap_or_default();
            archive.append(vec![Entry {
                scope: Scope::System,
                payload: Payload::Recovery {
                    segment: t.segment.clone(),
                    offset: t.offset,
                    length: t.length,
                    sha256: format::sha256_hex(&torn_bytes),
                    quarantined_to: t.quarantined_to.display().to_string(),
                    at: Timestamp::now(),
                },
            }])?;
        }
        Ok((archive, report))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn head(&self) -> &Head {
        &self.head
    }

    /// How many times the archive forced data to disk (for the benchmark's report).
    pub fn fsyncs(&self) -> u64 {
        self.fsyncs
    }

    pub fn public_key_hex(&self) -> String {
        self.signer.public_hex()
    }

    /// Takes the time from `clock` instead of the wall clock (tests of clock jumps).
    pub fn set_clock(&mut self, clock: crate::domain::Clock) {
        self.clock = clock;
    }

    /// Seals segments at `bytes` instead of 64 MiB (tests, benchmarks).
    pub fn set_segment_limit(&mut self, bytes: u64) {
        self.limit = bytes.max(1);
    }

    pub fn keys(&mut self) -> &mut keys::Keys {
        &mut self.keys
    }

    /// Appends `entries` and makes them durable (one fsync for all of them: group
    /// commit). Either every entry is on disk when this returns `Ok`, or none is
    /// counted: on a failed write the segment is cut back to where it was.
    pub fn append(&mut self, entries: Vec<Entry>) -> Result<Head, ArchiveError> {
        let borrowed: Vec<(&Scope, &Payload)> =
            entries.iter().map(|e| (&e.scope, &e.payload)).collect();
        self.append_all(&borrowed)
    }

    /// [`Archive::append`] for entries the caller keeps (no copy of the payloads).
    pub fn append_all(&mut self, entries: &[(&Scope, &Payload)]) -> Result<Head, ArchiveError> {
        if entries.is_empty() {
            return Ok(self.head.clone());
        }
        // Archive time never goes back: a wall clock set back (by hand, a bad NTP
        // answer, a dead RTC battery) would make later records look older than earlier
        // ones. The records keep the newest time and the first batch after the jump
        // says so in a `clock_back` record.
        let wall = (self.clock)().0;
        let now = wall.max(self.last_ts);
        let mut noted = Vec::new();
        if wall < self.last_ts {
            if !self.behind {
                self.behind = true;
                tracing::warn!(
                    wall,
                    kept = self.last_ts,
                    "the wall clock went back; archive time kept"
                );
                noted.push(Payload::ClockBack {
                    wall: Timestamp(wall),
                    kept: Timestamp(self.last_ts),
                });
            }
        } else {
            self.behind = false;
        }
        let with_note: Vec<(&Scope, &Payload)>;
        let entries = if noted.is_empty() {
            entries
        } else {
            with_note = noted
                .iter()
                .map(|p| (&Scope::System, p))
                .chain(entries.iter().copied())
                .collect();
            &with_note[..]
        };
        // Sealing happens only between batches, so a batch lives in one segment and a
        // failed write is undone by cutting that segment back.
        if let Some((_, first_ts, _)) = &self.first
            && (month_of(*first_ts) != month_of(now) || self.size >= self.limit)
        {
            self.seal()?;
        }
        let start = (self.size, self.head.clone(), self.first.clone());
        let hash_before = self.file_hash.clone();
        self.buf.clear();
        if let Err(e) = self.append_inner(now, entries) {
            self.behind = self.behind && noted.is_empty();
            // Nothing half-written stays behind; the caller keeps the events and retries.
            let path = self.dir.join(segment_name(self.segment));
            if let Err(cut) = self.file.set_len(start.0) {
                tracing::error!(error = %cut, path = %path.display(), "cannot cut a failed archive write back");
            }
            (self.size, self.head, self.first) = start;
            self.file_hash = hash_before;
            self.buf.clear();
            tracing::error!(error = %e, path = %path.display(), "archive append failed");
            return Err(e);
        }
        self.last_ts = now;
        self.write_head_file();
        Ok(self.head.clone())
    }

    fn append_inner(
        &mut self,
        now: i64,
        entries: &[(&Scope, &Payload)],
    ) -> Result<(), ArchiveError> {
        let mut rng = rand::rng();
        for &(scope, payload) in entries {
            let bucket = match scope {
                Scope::System => keys::SYSTEM.to_string(),
                Scope::Conversation {
                    account,
                    conversation,
                    year,
                } => self.keys.bucket_for(account, conversation, *year)?,
            };
            let kind = payload.kind();
            let mut salt = [0u8; 16];
            rng.fill_bytes(&mut salt);
            let plain = serde_json::to_vec(&payload::Sealed {
                salt: hex::encode(salt),
                event: payload,
            })
            .map_err(|e| ArchiveError::Corrupt(format!("cannot encode a record: {e}")))?;
            let ch = format::sha256_hex(&plain);
            let seq = self.head.seq + 1;
            let mut nonce = [0u8; 24];
            rng.fill_bytes(&mut nonce);
            let key = self
                .keys
                .key(&bucket)
                .ok_or_else(|| ArchiveError::Corrupt(format!("bucket {bucket} has no key")))?;
            let ct = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&key[..]))
                .encrypt(
                    XNonce::from_slice(&nonce),
                    AeadPayload {
                        msg: &plain,
                        aad: &format::aad(seq, kind, &bucket),
                    },
                )
                .map_err(|_| ArchiveError::Corrupt("encryption failed".into()))?;
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD;
            let (line, h) = format::encode_line(
                seq,
                now,
                kind,
                &bucket,
                &ch,
                &self.head.hash,
                &b64.encode(nonce),
                &b64.encode(&ct),
            );
            if self.first.is_none() {
                self.first = Some((seq, now, self.head.hash.clone()));
            }
            self.buf.extend_from_slice(line.as_bytes());
            self.buf.push(b'\n');
            self.head = Head { seq, hash: h };
        }
        // New bucket keys reach the disk before the records that need them.
        self.keys.save_new()?;
        self.flush()
    }

    /// Writes the buffered lines and syncs them.
    fn flush(&mut self) -> Result<(), ArchiveError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let path = self.dir.join(segment_name(self.segment));
        self.file
            .write_all(&self.buf)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| ArchiveError::io(&path, e))?;
        self.fsyncs += 1;
        self.size += self.buf.len() as u64;
        {
            use sha2::Digest as _;
            self.file_hash.update(&self.buf);
        }
        self.buf.clear();
        Ok(())
    }

    /// Closes the open segment with a signed manifest and starts the next one.
    pub fn seal(&mut self) -> Result<(), ArchiveError> {
        let Some((first_seq, first_ts, prev)) = self.first.clone() else {
            return Ok(()); // nothing to seal
        };
        let name = segment_name(self.segment);
        // What this writer read at open and wrote since, every byte of it synced: the
        // segment is not read back (a 64 MiB read and hash was 15 % of the archive's
        // time under load). A byte changed on disk meanwhile is sealed as it was
        // written, so `verify` reports the change.
        let file_sha256 = {
            use sha2::Digest as _;
            hex::encode(self.file_hash.clone().finalize())
        };
        let last_ts = self.last_ts.max(first_ts);
        let prev_manifest = if self.segment > 1 {
            let p = self.dir.join(manifest_name(self.segment - 1));
            format::sha256_hex(&std::fs::read(&p).map_err(|e| ArchiveError::io(&p, e))?)
        } else {
            format::GENESIS.to_string()
        };
        let body = manifest::Body {
            format: manifest::FORMAT.to_string(),
            segment: name,
            first_seq,
            last_seq: self.head.seq,
            count: self.head.seq + 1 - first_seq,
            first_ts,
            last_ts,
            prev_hash: prev,
            last_hash: self.head.hash.clone(),
            file_sha256,
            file_size: self.size,
            prev_manifest_sha256: prev_manifest,
            sealed_at: Timestamp::now().0,
            public_key: self.signer.public_hex(),
        };
        let mpath = self.dir.join(manifest_name(self.segment));
        manifest::write(&mpath, &body, &self.signer)?;
        let next = self.segment + 1;
        let npath = self.dir.join(segment_name(next));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&npath)
            .map_err(|e| ArchiveError::io(&npath, e))?;
        set_private(&npath);
        sync_dir(&self.dir);
        self.file = file;
        self.segment = next;
        self.size = 0;
        self.first = None;
        self.file_hash = sha2::Sha256::default();
        tracing::info!(segment = %body.segment, records = body.count, "archive segment sealed");
        Ok(())
    }

    /// `HEAD`: the last durable record, authenticated with a key only the profile has.
    /// Lets `verify` notice records cut off the end of the open segment. Written after
    /// the records are synced, so it never runs ahead of them; not synced itself (a
    /// stale HEAD only weakens that check, it never raises a false alarm).
    fn write_head_file(&self) {
        let body = format!("{} {}", self.head.seq, self.head.hash);
        let tag = head_tag(&self.head_key, &body);
        let path = self.dir.join("HEAD");
        let tmp = self.dir.join("HEAD.tmp");
        let r = write_private_nosync(&tmp, format!("{body} {tag}\n").as_bytes())
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = r {
            tracing::warn!(error = %e, "archive HEAD not updated");
        }
    }
}

pub(crate) fn head_tag(key: &keys::Key, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key.as_ref())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A small owner-only file, not synced (see `write_head_file`).
pub(crate) fn write_private_nosync(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)?.write_all(data)
}

fn set_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
}

fn first_line(data: &[u8]) -> Option<(usize, usize)> {
    let end = data.iter().position(|&b| b == b'\n')?;
    Some((0, end))
}

fn last_line_ts(data: &[u8]) -> Option<i64> {
    let body = data.strip_suffix(b"\n")?;
    let start = body.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let text = std::str::from_utf8(&body[start..]).ok()?;
    format::check_line(text).ok().map(|l| l.ts)
}

/// The end of the last complete, self-consistent line (everything after it is a torn
/// tail) and that line's (seq, hash). Only trailing damage counts as torn: a bad record
/// followed by good ones is tampering, which `verify` reports and nobody repairs.
fn last_good(data: &[u8]) -> (usize, Option<(u64, String)>) {
    let mut end = data.len();
    loop {
        // The complete line that ends right before `end`, if the data up to `end`
        // finishes with a newline.
        let upto = &data[..end];
        let complete_end = match upto.iter().rposition(|&b| b == b'\n') {
            Some(p) => p,
            None => return (0, None),
        };
        if complete_end + 1 != end {
            // Bytes after the last newline: a partial line.
            end = complete_end + 1;
            continue;
        }
        let start = data[..complete_end]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let text = std::str::from_utf8(&data[start..complete_end]).unwrap_or("");
        match format::check_line(text) {
            Ok(l) => return (end, Some((l.seq, l.h.to_string()))),
            Err(_) => end = start,
        }
        if end == 0 {
            return (0, None);
        }
    }
}

#[cfg(test)]
mod tests;
