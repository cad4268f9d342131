//! The archive on the command line: `archive verify|anchor|export|get`, `store rebuild`,
//! `retention plan|apply`, `hold set|release|list`, `dsar export|erase`,
//! `export conversation`. Commands that only read run beside a running tresen; the ones
//! that write to the archive take the profile (stop the daemon first).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};

use crate::archive::export::{self, Collection, Row};
use crate::archive::keys::Keys;
use crate::archive::retention::{self, BucketFacts, Hold, HoldKind, HoldScope};
use crate::archive::{Archive, Entry, Payload, Scope, read, verify};
use crate::config::{Config, Paths};
use crate::domain::{Timestamp, sanitize_for_terminal};
use crate::error::UsageError;
use crate::secrets::MasterKey;
use crate::store::StoreRead as _;

#[derive(Debug, Subcommand)]
pub enum ArchiveCommand {
    /// Check the whole archive: chain, signatures, contents; exit 0 only if intact
    ///
    /// Recomputes every record's hash and its link to the one before, checks each sealed
    /// segment's signed manifest, decrypts every record whose key exists and compares it
    /// with its hash, and compares the end with the last record written. Names the first
    /// bad sequence number. Runs beside a running tresen.
    Verify {
        /// Start at this sequence number (the chain before it is taken as given)
        #[arg(long, value_name = "SEQ")]
        from: Option<u64>,
        /// Also compare with an off-box copy written by `tresen archive anchor`
        #[arg(long, value_name = "DIR")]
        anchors: Option<PathBuf>,
        /// Machine-readable report
        #[arg(long)]
        json: bool,
    },
    /// Write the signed manifests and a signed checkpoint of the newest record to DIR
    ///
    /// Copy DIR off this machine (a USB stick in the safe, the tax advisor, WORM storage):
    /// only an outside copy proves later that nothing was rewritten or cut off.
    /// docs/archive.md shows how to add an RFC 3161 timestamp.
    Anchor {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Data for a tax audit (GoBD Z3): messages of a period as CSV with index.xml
    ///
    /// Scoped to the period and classes asked for; internal and non-statutory
    /// conversations are never part of it. Writes into a new directory.
    Export {
        /// First day (YYYY-MM-DD)
        #[arg(long)]
        from: NaiveDate,
        /// Last day (YYYY-MM-DD)
        #[arg(long)]
        to: NaiveDate,
        /// Retention classes to include (default: handelsbrief, buchungsbeleg, buch)
        #[arg(long = "class", value_name = "CLASS")]
        classes: Vec<String>,
        /// Directory to create
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// One record as archived: its content, or with --raw the network's original payload
    Get {
        seq: u64,
        /// Print only the original payload (a message's Matrix event or Signal envelope)
        #[arg(long)]
        raw: bool,
    },
    /// Seal the open segment now (it is sealed monthly and at 64 MiB anyway)
    Seal,
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Rebuild the inbox store from the archive (the old store is kept beside it)
    ///
    /// Messages, conversations, edits, reactions, send results and archived files come
    /// back; triage state, notes and drafts are not archived and start empty.
    Rebuild {
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// What has reached the end of its retention period, and what holds keep (dry run)
    Plan {
        /// Evaluate as of this day instead of today (YYYY-MM-DD)
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Destroy what `plan` lists as expired: keys destroyed, inbox copies deleted
    ///
    /// Irreversible. Each removal leaves a tombstone in the archive (what, under which
    /// rule); the chain stays verifiable.
    Apply {
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// The retention classes, their periods and legal basis
    Rules,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum HoldKindArg {
    Legal,
    Tax,
    Warranty,
}

#[derive(Debug, Subcommand)]
pub enum HoldCommand {
    /// Keep data beyond its retention period (litigation, tax audit, warranty)
    Set {
        /// A conversation (its remote id: phone number or room id)
        #[arg(long, group = "scope")]
        conversation: Option<String>,
        /// Account of --conversation (default: any)
        #[arg(long, requires = "conversation")]
        account: Option<String>,
        /// Everything with a customer (number or handle)
        #[arg(long, group = "scope")]
        contact: Option<String>,
        /// Everything from this day … (with --to)
        #[arg(long, requires = "to", group = "scope")]
        from: Option<NaiveDate>,
        #[arg(long, requires = "from")]
        to: Option<NaiveDate>,
        /// Everything
        #[arg(long, group = "scope")]
        global: bool,
        #[arg(long, value_enum, default_value = "legal")]
        kind: HoldKindArg,
        /// Why (recorded in the archive)
        #[arg(long)]
        reason: String,
        /// Ends by itself after this day
        #[arg(long)]
        until: Option<NaiveDate>,
    },
    /// End a hold
    Release {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Holds in force
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DsarCommand {
    /// Everything about one customer, for an Art. 15 / Art. 20 request
    ///
    /// JSON (machine-readable), an HTML transcript, the files, and the Art. 15
    /// information (purposes, recipients, periods, rights) in a new directory.
    Export {
        /// The customer: phone number, handle or conversation id
        contact: String,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Art. 17: delete what no retention duty covers, restrict the rest until its end
    Erase {
        contact: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TranscriptFormat {
    Html,
    Txt,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// A conversation's history as a readable file (from the archive)
    Conversation {
        /// Conversation: its number from `tresen list`, the customer's number or the exact name
        conversation: String,
        #[arg(long, value_enum, default_value = "html")]
        format: TranscriptFormat,
        /// Write here instead of standard output
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// The archive's directory and key, for commands that only read.
struct Reader {
    dir: PathBuf,
    key: MasterKey,
    live: bool,
}

impl Reader {
    fn keys(&self) -> Result<Keys> {
        let must = !crate::archive::segments(&self.dir)?.is_empty();
        Ok(Keys::load(&self.dir, &self.key, must)?)
    }

    fn collect(&self, wanted: &dyn Fn(&str, &str) -> bool) -> Result<Collection> {
        let mut keys = self.keys()?;
        let mut c = Collection::default();
        read::for_each(&self.dir, &mut keys, 1, |r| {
            c.add(r, wanted);
            Ok(())
        })?;
        Ok(c)
    }
}

/// Everything the archive holds, decrypted where the keys still exist.
fn collect_all(dir: &Path, keys: &mut Keys) -> Result<Collection> {
    let mut all = Collection::default();
    read::for_each(dir, keys, 1, |r| {
        all.add(r, &|_, _| true);
        Ok(())
    })?;
    Ok(all)
}

fn reader(config: &Config, paths: Paths, prompt: crate::secrets::Prompt<'_>) -> Result<Reader> {
    let p = crate::profile::open_read_only(config, paths, prompt)?;
    Ok(Reader {
        dir: Archive::dir_of(&p.paths.data_dir),
        key: p.key,
        live: p.owner.is_some(),
    })
}

pub fn run_archive(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: ArchiveCommand,
) -> Result<ExitCode> {
    match cmd {
        ArchiveCommand::Verify {
            from,
            anchors,
            json,
        } => {
            let r = reader(config, paths, prompt)?;
            verify_cmd(&r, from, anchors, json)
        }
        ArchiveCommand::Anchor { out } => {
            let r = reader(config, paths, prompt)?;
            anchor(&r, &out)
        }
        ArchiveCommand::Get { seq, raw } => {
            let r = reader(config, paths, prompt)?;
            get(&r, seq, raw)
        }
        ArchiveCommand::Seal => {
            let mut p = crate::profile::open(config, paths, prompt)?;
            let archive = p.archive.as_mut().context("no archive")?;
            archive.seal()?;
            crate::outln!("sealed; the next record starts a new segment");
            Ok(ExitCode::SUCCESS)
        }
        ArchiveCommand::Export {
            from,
            to,
            classes,
            out,
        } => {
            let p = crate::profile::open(config, paths, prompt)?;
            auditor_export(config, p, from, to, classes, &out)
        }
    }
}

fn verify_cmd(
    r: &Reader,
    from: Option<u64>,
    anchors: Option<PathBuf>,
    json: bool,
) -> Result<ExitCode> {
    let opts = verify::Options {
        from,
        anchors,
        live: r.live,
    };
    let show_progress = !json && std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let mut last_draw = std::time::Instant::now();
    let mut progress = |done: u64, total: u64| {
        if show_progress && (last_draw.elapsed().as_millis() > 100 || done == total) {
            last_draw = std::time::Instant::now();
            let pct = (done * 100).checked_div(total).unwrap_or(100);
            let bar = "#".repeat((pct / 4) as usize);
            eprint!("\r[{bar:<25}] {pct:>3} %  {} MiB", done >> 20);
            let _ = std::io::stderr().flush();
        }
    };
    let report = verify::verify(&r.dir, &r.key, &opts, &mut progress)?;
    if show_progress {
        eprintln!();
    }
    if json {
        crate::out::json(&report)?;
    } else {
        for n in &report.notes {
            crate::outln!("note: {n}");
        }
        match &report.problem {
            None => {
                crate::outln!(
                    "archive intact: {} records ({} checked with content, {} destroyed by rule), {} segments ({} sealed){}, last record {} ({}) — {:.1} s",
                    report.records,
                    report.checked,
                    report.shredded,
                    report.segments,
                    report.sealed,
                    if report.anchors_checked > 0 {
                        format!(", {} anchors match", report.anchors_checked)
                    } else {
                        String::new()
                    },
                    report.last_seq,
                    &report.last_hash[..16.min(report.last_hash.len())],
                    started.elapsed().as_secs_f64()
                );
                if report.anchors_checked == 0 {
                    crate::outln!(
                        "(a chain proves integrity only against a copy kept elsewhere: see `tresen archive anchor`)"
                    );
                }
            }
            Some(p) => {
                crate::outln!(
                    "ARCHIVE DAMAGED at record {} ({}): {}",
                    p.seq,
                    if p.segment.is_empty() {
                        "-"
                    } else {
                        &p.segment
                    },
                    p.message
                );
                crate::outln!("code: {}", p.code);
            }
        }
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn anchor(r: &Reader, out: &Path) -> Result<ExitCode> {
    crate::fsutil::ensure_private_dir(out)?;
    let report = verify::verify(
        &r.dir,
        &r.key,
        &verify::Options {
            live: r.live,
            ..Default::default()
        },
        &mut |_, _| {},
    )?;
    if let Some(p) = &report.problem {
        return Err(UsageError(format!(
            "the archive is damaged at record {} ({}); an anchor would certify that. Run `tresen archive verify`.",
            p.seq, p.message
        ))
        .into());
    }
    let mut copied = 0;
    for n in crate::archive::segments(&r.dir)? {
        let name = crate::archive::manifest_name(n);
        let src = r.dir.join(&name);
        if src.exists() {
            let dst = out.join(&name);
            let bytes = std::fs::read(&src)?;
            match std::fs::read(&dst) {
                Ok(existing) if existing == bytes => {}
                Ok(_) => {
                    return Err(UsageError(format!(
                        "{} differs from the archive's {name}: this copy was made from another archive, or the archive's manifest was replaced. Nothing written.",
                        dst.display()
                    ))
                    .into());
                }
                Err(_) => {
                    crate::fsutil::write_private(&dst, &bytes)?;
                    copied += 1;
                }
            }
        }
    }
    let signer = crate::archive::manifest::Signer::new(&r.key);
    let cp = crate::archive::manifest::Checkpoint {
        format: crate::archive::manifest::CHECKPOINT_FORMAT.into(),
        seq: report.last_seq,
        hash: report.last_hash.clone(),
        at: Timestamp::now().0,
        public_key: signer.public_hex(),
    };
    let path = out.join(format!("checkpoint-{:012}.json", cp.seq));
    crate::archive::manifest::write_checkpoint(&path, &cp, &signer)?;
    crate::outln!(
        "anchored record {} ({}) in {}; {copied} new manifest(s) copied",
        cp.seq,
        &cp.hash[..16.min(cp.hash.len())],
        out.display()
    );
    crate::outln!("archive public key: {}", cp.public_key);
    crate::outln!(
        "Keep this directory off this machine; check later with `tresen archive verify --anchors DIR`."
    );
    Ok(ExitCode::SUCCESS)
}

fn get(r: &Reader, seq: u64, raw: bool) -> Result<ExitCode> {
    let mut keys = r.keys()?;
    let mut found = None;
    read::for_each(&r.dir, &mut keys, seq, |rec| {
        if rec.seq == seq && found.is_none() {
            found = Some(rec);
        }
        Ok(())
    })?;
    let Some(rec) = found else {
        return Err(UsageError(format!("the archive has no record {seq}")).into());
    };
    let Some(payload) = rec.payload else {
        crate::outln!(
            "record {seq} ({}): its content was destroyed at the end of its retention period (see the tombstone)",
            rec.kind
        );
        return Ok(ExitCode::SUCCESS);
    };
    if raw {
        match payload {
            Payload::Message(m) if m.raw.is_some() => {
                // Byte for byte as received; for a terminal the caller pipes it.
                let mut out = std::io::stdout().lock();
                out.write_all(m.raw.unwrap_or_default().as_bytes())?;
                out.flush()?;
                return Ok(ExitCode::SUCCESS);
            }
            _ => {
                return Err(UsageError(format!(
                    "record {seq} ({}) has no original network payload",
                    rec.kind
                ))
                .into());
            }
        }
    }
    // Exact (JSON escapes, nothing dropped) and safe for the terminal at once.
    crate::out::json(&serde_json::json!({
        "seq": rec.seq,
        "archived_at": Timestamp(rec.ts).rfc3339(),
        "kind": rec.kind,
        "content": payload,
    }))?;
    Ok(ExitCode::SUCCESS)
}

/// Confirms a destructive step: --yes, or "ja"/"yes" typed on a terminal.
fn confirm(question: &str, yes: bool, flag_hint: &str) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(UsageError(format!("{question} — add {flag_hint} to confirm")).into());
    }
    eprint!("{question} Type \"ja\" (or \"yes\") to go ahead: ");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "ja" | "yes"))
}

pub fn run_store(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: StoreCommand,
) -> Result<ExitCode> {
    let StoreCommand::Rebuild { yes } = cmd;
    let p = crate::profile::open(config, paths, prompt)?;
    if !confirm(
        "Rebuild the inbox store from the archive? The current store is moved aside (kept); triage state, notes and drafts start empty.",
        yes,
        "--yes",
    )? {
        eprintln!("nothing changed");
        return Ok(ExitCode::SUCCESS);
    }
    let crate::profile::OpenProfile {
        paths,
        key,
        lock,
        store,
        archive,
        ..
    } = p;
    let mut archive = archive.context("no archive")?;
    let file = paths.store_file();
    drop(store);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut moved = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut from = file.as_os_str().to_owned();
        from.push(suffix);
        let from = PathBuf::from(from);
        if from.exists() {
            let mut to = file.as_os_str().to_owned();
            to.push(format!(".before-rebuild-{stamp}{suffix}"));
            std::fs::rename(&from, &to)?;
            moved.push(PathBuf::from(to));
        }
    }
    let mut store = crate::store::SqliteStore::open(&file, Some(&key.store_key()))?;
    let blobs = crate::store::BlobStore::new(&paths.data_dir, &key);
    let mut replay = crate::archive::replay::Replay::default();
    let dir = archive.dir().to_path_buf();
    let mut failed = None;
    let mut n = 0u64;
    let tty = std::io::stderr().is_terminal();
    read::for_each(&dir, archive.keys(), 1, |r| {
        n += 1;
        if tty && n.is_multiple_of(10_000) {
            eprint!("\r{n} records …");
        }
        if let Err(e) = replay.apply(&mut store, Some(&blobs), r)
            && failed.is_none()
        {
            failed = Some(e);
        }
        Ok(())
    })?;
    if tty {
        eprintln!();
    }
    if let Some(e) = failed {
        return Err(e.into());
    }
    replay.flush(&mut store)?;
    drop(lock);
    crate::outln!(
        "store rebuilt from {} archive records: {} messages ({} records whose retention ended stay destroyed)",
        replay.records,
        replay.messages,
        replay.shredded
    );
    for m in moved {
        crate::outln!("old store kept as {}", m.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// What the plan needs to know, read from the whole archive.
struct Facts {
    buckets: Vec<BucketFacts>,
    holds: Vec<Hold>,
    titles: BTreeMap<(String, String), String>,
}

fn gather(
    dir: &Path,
    keys: &mut Keys,
    store_labels: &BTreeMap<(String, String), Vec<String>>,
) -> Result<Facts> {
    #[derive(Default)]
    struct B {
        records: u64,
        first: u64,
        last: u64,
    }
    let mut per: BTreeMap<String, B> = BTreeMap::new();
    let mut holds: BTreeMap<String, Hold> = BTreeMap::new();
    let mut labels: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut contacts: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut titles = BTreeMap::new();
    read::for_each(dir, keys, 1, |r| {
        if r.bucket != crate::archive::keys::SYSTEM {
            let b = per.entry(r.bucket.clone()).or_default();
            if b.records == 0 {
                b.first = r.seq;
            }
            b.records += 1;
            b.last = r.seq;
        }
        match r.payload {
            Some(Payload::Hold(h)) => {
                holds.insert(h.id.clone(), h);
            }
            Some(Payload::HoldRelease { id, .. }) => {
                holds.remove(&id);
            }
            Some(Payload::Classify {
                account,
                conversation,
                labels: l,
                ..
            }) => labels.entry((account, conversation)).or_default().extend(l),
            Some(Payload::Conversation(c)) => {
                let k = (c.account.0.clone(), c.remote_id.clone());
                if let Some(contact) = &c.contact {
                    contacts
                        .entry(k.clone())
                        .or_default()
                        .insert(contact.identity.clone());
                }
                titles.insert(k, c.title.clone());
            }
            _ => {}
        }
        Ok(())
    })?;
    for (k, l) in store_labels {
        labels
            .entry(k.clone())
            .or_default()
            .extend(l.iter().cloned());
    }
    let mut buckets = Vec::new();
    for (id, b) in keys.buckets() {
        if b.is_shredded() {
            continue;
        }
        let k = (b.account.clone(), b.conversation.clone());
        let facts = per.get(id);
        buckets.push(BucketFacts {
            bucket: id.clone(),
            account: b.account.clone(),
            conversation: b.conversation.clone(),
            year: b.year,
            labels: labels
                .get(&k)
                .map(|l| l.iter().cloned().collect())
                .unwrap_or_default(),
            contacts: contacts
                .get(&k)
                .map(|c| c.iter().cloned().collect())
                .unwrap_or_default(),
            records: facts.map_or(0, |f| f.records),
            first_seq: facts.map_or(0, |f| f.first),
            last_seq: facts.map_or(0, |f| f.last),
        });
    }
    Ok(Facts {
        buckets,
        holds: holds.into_values().collect(),
        titles,
    })
}

fn store_labels(
    store: &dyn crate::store::StoreRead,
) -> Result<BTreeMap<(String, String), Vec<String>>> {
    Ok(store
        .conversations()?
        .into_iter()
        .map(|c| ((c.account.0, c.remote_id), c.labels))
        .collect())
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

pub fn run_retention(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: RetentionCommand,
) -> Result<ExitCode> {
    let tags = config.retention.tag_pairs();
    let policy = retention::Policy {
        default_class: &config.retention.default_class,
        tags: &tags,
        no_statutory_years: config.retention.no_statutory_years,
    };
    match cmd {
        RetentionCommand::Rules => {
            for r in retention::RULES {
                crate::outln!(
                    "{:<14} {:>2} J. ab {}  {} — {}",
                    r.class,
                    r.years,
                    r.valid_from,
                    r.title_de,
                    r.legal_basis
                );
            }
            crate::outln!(
                "{:<14} {:>2} J.                keine gesetzliche Pflicht (Löschkonzept, retention.no_statutory_years)",
                retention::NO_STATUTORY,
                config.retention.no_statutory_years
            );
            crate::outln!("default class: {}", config.retention.default_class);
            for (tag, class) in &tags {
                crate::outln!("label {tag:<22} → {class}");
            }
            crate::outln!(
                "Periods run to 31 December of the year the message was made in plus the years."
            );
            Ok(ExitCode::SUCCESS)
        }
        RetentionCommand::Plan { date, json } => {
            let p = crate::profile::open_read_only(config, paths, prompt)?;
            let dir = Archive::dir_of(&p.paths.data_dir);
            let mut keys = Keys::load(&dir, &p.key, !crate::archive::segments(&dir)?.is_empty())?;
            let facts = gather(&dir, &mut keys, &store_labels(&p.store)?)?;
            let on = date.unwrap_or_else(today);
            let items = retention::plan(&facts.buckets, &facts.holds, &policy, on);
            print_plan(&items, &facts, on, json)?;
            Ok(ExitCode::SUCCESS)
        }
        RetentionCommand::Apply { yes } => {
            let mut p = crate::profile::open(config, paths, prompt)?;
            let labels = store_labels(&p.store)?;
            let blobs = p.blobs();
            let archive = p.archive.as_mut().context("no archive")?;
            let dir = archive.dir().to_path_buf();
            let facts = gather(&dir, archive.keys(), &labels)?;
            let on = today();
            let items = retention::plan(&facts.buckets, &facts.holds, &policy, on);
            let expired: Vec<_> = items.iter().filter(|i| i.decision == "expire").collect();
            if expired.is_empty() {
                crate::outln!("nothing has reached the end of its retention period ({on})");
                return Ok(ExitCode::SUCCESS);
            }
            print_plan(&items, &facts, on, false)?;
            if !confirm(
                &format!(
                    "Destroy {} expired part(s) for good (their keys, and their copies in the inbox)?",
                    expired.len()
                ),
                yes,
                "--yes",
            )? {
                eprintln!("nothing destroyed");
                return Ok(ExitCode::SUCCESS);
            }
            let by = config.staff_name();
            let mut purged = 0;
            for item in &expired {
                let tomb = retention::Tombstone {
                    bucket: item.bucket.clone(),
                    account: item.account.clone(),
                    conversation: item.conversation.clone(),
                    year: item.year,
                    class: item.class.clone(),
                    rule: item.rule.clone(),
                    retain_until: item.retain_until,
                    records: item.records,
                    first_seq: item.first_seq,
                    last_seq: item.last_seq,
                    reason: "retention_expired".into(),
                    by: by.clone(),
                    at: Timestamp::now(),
                };
                purged += destroy(archive, &mut p.store, &blobs, tomb)?;
            }
            crate::outln!(
                "destroyed {} expired part(s) ({purged} inbox messages removed); tombstones are in the archive. `tresen archive verify` still passes.",
                expired.len()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Destroys a bucket: key first (from then on its records are unreadable), then the
/// tombstone, then the inbox copies. Returns the inbox messages removed.
fn destroy(
    archive: &mut Archive,
    store: &mut crate::store::SqliteStore,
    blobs: &crate::store::BlobStore,
    tomb: retention::Tombstone,
) -> Result<usize> {
    archive.keys().shred(&tomb.bucket, Timestamp::now())?;
    let (account, conversation, year) =
        (tomb.account.clone(), tomb.conversation.clone(), tomb.year);
    archive.append(vec![Entry {
        scope: Scope::System,
        payload: Payload::Tombstone(tomb),
    }])?;
    purge_year(store, blobs, &account, &conversation, year)
}

fn print_plan(items: &[retention::Item], facts: &Facts, on: NaiveDate, json: bool) -> Result<()> {
    if json {
        crate::out::json(&serde_json::json!({ "date": on, "items": items }))?;
        return Ok(());
    }
    crate::outln!("retention as of {on}:");
    crate::outln!(
        "{:<8} {:<28} {:>4} {:<14} {:<10} {:>7}  decision",
        "bucket",
        "conversation",
        "year",
        "class",
        "until",
        "records"
    );
    for i in items {
        let title = facts
            .titles
            .get(&(i.account.clone(), i.conversation.clone()))
            .cloned()
            .unwrap_or_else(|| i.conversation.clone());
        let title: String = sanitize_for_terminal(&title, false)
            .chars()
            .take(28)
            .collect();
        let decision = match i.decision {
            "expire" => "EXPIRES".to_string(),
            "held" => format!("held ({})", i.holds.join("; ")),
            _ => "keep".to_string(),
        };
        let year = if i.year == retention::META_YEAR {
            "name".to_string()
        } else {
            i.year.to_string()
        };
        crate::outln!(
            "{:<8} {:<28} {:>4} {:<14} {:<10} {:>7}  {}",
            &i.bucket[..8.min(i.bucket.len())],
            title,
            year,
            i.class,
            i.retain_until,
            i.records,
            sanitize_for_terminal(&decision, false)
        );
    }
    let n = |d: &str| items.iter().filter(|i| i.decision == d).count();
    crate::outln!(
        "{} expire, {} held, {} kept",
        n("expire"),
        n("held"),
        n("keep")
    );
    Ok(())
}

pub fn run_hold(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: HoldCommand,
) -> Result<ExitCode> {
    match cmd {
        HoldCommand::List { json } => {
            let r = reader(config, paths, prompt)?;
            let mut keys = r.keys()?;
            let facts = gather(&r.dir, &mut keys, &BTreeMap::new())?;
            if json {
                crate::out::json(&facts.holds)?;
            } else if facts.holds.is_empty() {
                crate::outln!("no holds");
            } else {
                for h in &facts.holds {
                    crate::outln!(
                        "{} (set by {} on {}{})",
                        sanitize_for_terminal(&h.describe(), false),
                        sanitize_for_terminal(&h.by, false),
                        h.at.to_local().format("%d.%m.%Y"),
                        h.until.map(|u| format!(", until {u}")).unwrap_or_default()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        HoldCommand::Set {
            conversation,
            account,
            contact,
            from,
            to,
            global,
            kind,
            reason,
            until,
        } => {
            let scope = match (conversation, contact, from.zip(to), global) {
                (Some(c), _, _, _) => {
                    let mut p = crate::profile::open(config, paths.clone(), prompt)?;
                    let account = match account {
                        Some(a) => a,
                        None => {
                            use crate::store::StoreRead as _;
                            let conv = p.store.find_conversation(&c)?.ok_or_else(|| {
                                UsageError(format!(
                                    "no conversation `{c}`; give --account with the remote id"
                                ))
                            })?;
                            let _ = &mut p;
                            return set_hold(
                                config,
                                p,
                                HoldScope::Conversation {
                                    account: conv.account.0,
                                    conversation: conv.remote_id,
                                },
                                kind,
                                reason,
                                until,
                            );
                        }
                    };
                    return set_hold(
                        config,
                        p,
                        HoldScope::Conversation {
                            account,
                            conversation: c,
                        },
                        kind,
                        reason,
                        until,
                    );
                }
                (None, Some(address), _, _) => HoldScope::Contact { address },
                (None, None, Some((from, to)), _) => {
                    if from > to {
                        return Err(UsageError("--from is after --to".into()).into());
                    }
                    HoldScope::Range { from, to }
                }
                (None, None, None, true) => HoldScope::Global,
                _ => {
                    return Err(UsageError(
                        "say what to hold: --conversation, --contact, --from/--to or --global"
                            .into(),
                    )
                    .into());
                }
            };
            let p = crate::profile::open(config, paths, prompt)?;
            set_hold(config, p, scope, kind, reason, until)
        }
        HoldCommand::Release { id, reason } => {
            let mut p = crate::profile::open(config, paths, prompt)?;
            let archive = p.archive.as_mut().context("no archive")?;
            let dir = archive.dir().to_path_buf();
            let facts = gather(&dir, archive.keys(), &BTreeMap::new())?;
            if !facts.holds.iter().any(|h| h.id == id) {
                return Err(UsageError(format!(
                    "no hold `{id}` in force (see `tresen hold list`)"
                ))
                .into());
            }
            archive.append(vec![Entry {
                scope: Scope::System,
                payload: Payload::HoldRelease {
                    id: id.clone(),
                    by: config.staff_name(),
                    reason,
                    at: Timestamp::now(),
                },
            }])?;
            crate::outln!("hold {id} released");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn set_hold(
    config: &Config,
    mut p: crate::profile::OpenProfile,
    scope: HoldScope,
    kind: HoldKindArg,
    reason: String,
    until: Option<NaiveDate>,
) -> Result<ExitCode> {
    if reason.trim().is_empty() {
        return Err(UsageError("a hold needs a --reason".into()).into());
    }
    let id = format!("h{}", hex::encode(rand::random::<[u8; 4]>()));
    let hold = Hold {
        id: id.clone(),
        kind: match kind {
            HoldKindArg::Legal => HoldKind::Legal,
            HoldKindArg::Tax => HoldKind::Tax,
            HoldKindArg::Warranty => HoldKind::Warranty,
        },
        scope,
        reason,
        by: config.staff_name(),
        at: Timestamp::now(),
        until,
    };
    let text = hold.describe();
    let archive = p.archive.as_mut().context("no archive")?;
    archive.append(vec![Entry {
        scope: Scope::System,
        payload: Payload::Hold(hold),
    }])?;
    crate::outln!("{}", sanitize_for_terminal(&text, false));
    crate::outln!("release with `tresen hold release {id} --reason …`");
    Ok(ExitCode::SUCCESS)
}

/// Conversations that belong to `contact`: its id, the customer's number or handle, or
/// its exact name.
/// The conversations about a customer: `keys` are what the office typed and what the
/// inbox knows of them (conversation id, number, handle, the network's id); records
/// from before a peer's id changed (a Signal number → its account id) count too.
fn contact_matches(c: &Collection, keys: &[String]) -> BTreeSet<(String, String)> {
    let mut ids: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
    loop {
        let before = ids.len();
        for (_, from, to) in &c.renames {
            if ids.contains(from.as_str()) || ids.contains(to.as_str()) {
                ids.insert(from);
                ids.insert(to);
            }
        }
        if ids.len() == before {
            break;
        }
    }
    let mut out = BTreeSet::new();
    for ((account, remote), conv) in &c.conversations {
        let person = conv.contact.as_ref().is_some_and(|x| {
            ids.contains(x.identity.as_str()) || x.phone.as_deref().is_some_and(|p| ids.contains(p))
        });
        if ids.contains(remote.as_str()) || keys.contains(&conv.title) || person {
            out.insert((account.clone(), remote.clone()));
        }
    }
    for r in &c.rows {
        if ids.contains(r.conversation.as_str()) {
            out.insert((r.account.clone(), r.conversation.clone()));
        }
    }
    out
}

pub fn run_dsar(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: DsarCommand,
) -> Result<ExitCode> {
    let mut p = crate::profile::open(config, paths, prompt)?;
    let blobs = p.blobs();
    let labels = store_labels(&p.store)?;
    let ledger = p.store.ledger_all()?;
    let archive = p.archive.as_mut().context("no archive")?;
    let dir = archive.dir().to_path_buf();
    let all = collect_all(&dir, archive.keys())?;
    let contact = match &cmd {
        DsarCommand::Export { contact, .. } | DsarCommand::Erase { contact, .. } => contact.clone(),
    };
    // What the office typed, and what the inbox resolves it to (a conversation id from
    // `tresen list`, a number shown beside a network id).
    let mut keys = vec![contact.clone()];
    if let Some(c) = p.store.find_conversation(&contact)? {
        keys.push(c.remote_id.clone());
        if let Some(ct) = &c.contact {
            keys.push(ct.identity.clone());
            keys.extend(ct.phone.clone());
        }
    }
    let convs = contact_matches(&all, &keys);
    if convs.is_empty() {
        return Err(UsageError(format!(
            "the archive holds nothing about `{contact}` (give the number, handle or conversation id)"
        ))
        .into());
    }
    match cmd {
        DsarCommand::Export { out, .. } => {
            if out.exists() {
                return Err(
                    UsageError(format!("{} exists; name a new directory", out.display())).into(),
                );
            }
            crate::fsutil::ensure_private_dir(&out)?;
            crate::fsutil::ensure_private_dir(&out.join("dateien"))?;
            let rows: Vec<&Row> = all
                .rows
                .iter()
                .filter(|r| convs.contains(&(r.account.clone(), r.conversation.clone())))
                .collect();
            let files: Vec<_> = all
                .files
                .iter()
                .filter(|f| convs.contains(&(f.account.clone(), f.conversation.clone())))
                .collect();
            let mut html = String::new();
            let mut group = false;
            for (account, remote) in &convs {
                let title = all.title(account, remote);
                if all
                    .conversations
                    .get(&(account.clone(), remote.clone()))
                    .is_some_and(|c| c.kind == crate::domain::ConversationKind::Group)
                {
                    group = true;
                }
                let mine: Vec<&Row> = rows
                    .iter()
                    .copied()
                    .filter(|r| &r.account == account && &r.conversation == remote)
                    .collect();
                html.push_str(&export::transcript_html(&title, &mine));
            }
            export::write_new(&out, "verlauf.html", html.as_bytes())?;
            let mut file_list = Vec::new();
            for f in &files {
                let name = format!(
                    "{}-{}",
                    &f.sha256[..16.min(f.sha256.len())],
                    crate::domain::safe_file_name(&f.name)
                );
                if !out.join("dateien").join(&name).exists() {
                    export::write_new(&out.join("dateien"), &name, &f.bytes)?;
                }
                file_list.push(serde_json::json!({
                    "name": f.name, "mime": f.mime, "size": f.size, "sha256": f.sha256,
                    "message": f.message, "file": format!("dateien/{name}"),
                }));
            }
            let tags = config.retention.tag_pairs();
            let retention: Vec<_> = convs
                .iter()
                .map(|(a, c)| {
                    let l: Vec<String> = labels.get(&(a.clone(), c.clone())).cloned().unwrap_or_default();
                    let class = retention::class_for(&l, &tags, &config.retention.default_class);
                    let years = retention::rule_for(class, today()).map_or(config.retention.no_statutory_years, |r| r.years);
                    serde_json::json!({ "account": a, "conversation": c, "class": class, "years_after_end_of_year": years })
                })
                .collect();
            // The consent records about these conversations' contacts (R-C10).
            let addresses: BTreeSet<String> = contacts_of(&all, &convs)
                .into_iter()
                .map(|c| c.address)
                .collect();
            let consents: Vec<_> = ledger
                .iter()
                .filter_map(|e| match e {
                    crate::compliance::LedgerEntry::Consent(r)
                        if addresses.contains(&r.address) =>
                    {
                        Some(r)
                    }
                    _ => None,
                })
                .collect();
            let due = (chrono::Local::now() + chrono::Months::new(1)).date_naive();
            let json = serde_json::json!({
                "format": "tresen-dsar/1",
                "subject": contact,
                "created_at": Timestamp::now().rfc3339(),
                "conversations": convs.iter().map(|(a, c)| all.conversations.get(&(a.clone(), c.clone())).cloned()).collect::<Vec<_>>(),
                "messages": rows,
                "files": file_list,
                "consents": consents,
                "retention": retention,
                "third_parties_review_needed": group,
            });
            export::write_new(
                &out,
                "daten.json",
                serde_json::to_string_pretty(&json)?.as_bytes(),
            )?;
            let info = art15_text(&contact, rows.len(), files.len(), group, &retention);
            export::write_new(&out, "auskunft.txt", info.as_bytes())?;
            archive.append(vec![Entry {
                scope: Scope::System,
                payload: Payload::Access {
                    what: "dsar_export".into(),
                    scope: format!(
                        "{contact}: {} messages, {} files; answer due {due}",
                        rows.len(),
                        files.len()
                    ),
                    by: config.staff_name(),
                    at: Timestamp::now(),
                },
            }])?;
            crate::outln!(
                "{}: {} messages, {} files written to {} (answer due {due}, Art. 12(3) GDPR)",
                sanitize_for_terminal(&contact, false),
                rows.len(),
                files.len(),
                out.display()
            );
            if group {
                crate::outln!(
                    "Group chats included: check other people's messages before handing it over (Art. 15(4) GDPR)."
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        DsarCommand::Erase { yes, .. } => {
            let facts = gather(&dir, archive.keys(), &labels)?;
            let tags = config.retention.tag_pairs();
            let policy = retention::Policy {
                default_class: &config.retention.default_class,
                tags: &tags,
                no_statutory_years: config.retention.no_statutory_years,
            };
            let on = today();
            let items: Vec<_> = retention::plan(&facts.buckets, &facts.holds, &policy, on)
                .into_iter()
                .filter(|i| convs.contains(&(i.account.clone(), i.conversation.clone())))
                .collect();
            // Statutory retention (Art. 17(3)(b)) or a hold (17(3)(e)): restrict. Else erase.
            // A conversation's name and number go only with the last of its messages.
            let keeps = |i: &retention::Item| {
                i.decision == "held" || (i.decision == "keep" && i.class != retention::NO_STATUTORY)
            };
            let (restrict, erase): (Vec<_>, Vec<_>) = items.iter().partition(|i| {
                if i.year == retention::META_YEAR {
                    items.iter().any(|o| {
                        o.year != retention::META_YEAR
                            && o.account == i.account
                            && o.conversation == i.conversation
                            && keeps(o)
                    })
                } else {
                    keeps(i)
                }
            });
            crate::outln!(
                "Erasure request for {}:",
                sanitize_for_terminal(&contact, false)
            );
            for i in &erase {
                crate::outln!(
                    "  erase    {} {} ({} records, class {})",
                    i.conversation,
                    i.year,
                    i.records,
                    i.class
                );
            }
            for i in &restrict {
                let why = if i.holds.is_empty() {
                    format!("statutory retention until {} ({})", i.retain_until, i.rule)
                } else {
                    format!("hold: {}", i.holds.join("; "))
                };
                crate::outln!(
                    "  restrict {} {} ({} records): {}",
                    i.conversation,
                    i.year,
                    i.records,
                    sanitize_for_terminal(&why, false)
                );
            }
            if !confirm("Carry this out?", yes, "--yes")? {
                eprintln!("nothing changed");
                return Ok(ExitCode::SUCCESS);
            }
            let by = config.staff_name();
            let mut report =
                String::from("Antwort auf Ihren Antrag auf Löschung (Art. 17 DSGVO)\n\n");
            for i in &erase {
                let tomb = retention::Tombstone {
                    bucket: i.bucket.clone(),
                    account: i.account.clone(),
                    conversation: i.conversation.clone(),
                    year: i.year,
                    class: i.class.clone(),
                    rule: "Art. 17 Abs. 1 DSGVO (Löschantrag)".into(),
                    retain_until: i.retain_until,
                    records: i.records,
                    first_seq: i.first_seq,
                    last_seq: i.last_seq,
                    reason: "erasure_request".into(),
                    by: by.clone(),
                    at: Timestamp::now(),
                };
                destroy(archive, &mut p.store, &blobs, tomb)?;
                let _ = std::fmt::Write::write_fmt(
                    &mut report,
                    format_args!("- Gelöscht: Nachrichten aus {}\n", i.year),
                );
            }
            for i in &restrict {
                let reason = if i.holds.is_empty() {
                    format!("gesetzliche Aufbewahrungspflicht: {}", i.rule)
                } else {
                    format!("Aufbewahrung wegen {}", i.holds.join("; "))
                };
                archive.append(vec![Entry {
                    scope: Scope::System,
                    payload: Payload::Restrict {
                        contact: contact.clone(),
                        account: i.account.clone(),
                        conversation: i.conversation.clone(),
                        year: i.year,
                        until: i.retain_until.to_string(),
                        reason: reason.clone(),
                        by: by.clone(),
                        at: Timestamp::now(),
                    },
                }])?;
                // Restricted: out of the inbox and its search; kept only in the archive.
                purge_year(&mut p.store, &blobs, &i.account, &i.conversation, i.year)?;
                let _ = std::fmt::Write::write_fmt(
                    &mut report,
                    format_args!(
                        "- Eingeschränkt (Art. 18 DSGVO), gelöscht nach dem {}: Nachrichten aus {} — Grund: {}\n",
                        i.retain_until.format("%d.%m.%Y"),
                        i.year,
                        reason
                    ),
                );
            }
            // Every consent ends with the erasure (R-C11); the withdrawal is a new
            // ledger record, the earlier ones stay as evidence.
            let (wording_version, wording_sha256) = p.compliance.wording.clone();
            for c in contacts_of(&all, &convs) {
                let record = crate::compliance::consent::ConsentRecord {
                    purposes: crate::compliance::consent::Purpose::ALL.to_vec(),
                    action: crate::compliance::consent::Action::Withdraw,
                    wording_version: wording_version.clone(),
                    wording_sha256: wording_sha256.clone(),
                    wording: p.compliance.consent.wording.clone(),
                    method: crate::compliance::consent::Method::StaffAction,
                    evidence: Some("Art. 17 DSGVO: Löschantrag".into()),
                    staff: by.clone(),
                    at: Timestamp::now(),
                    ..c
                };
                archive.append(vec![Entry {
                    scope: Scope::System,
                    payload: Payload::Consent(record.clone()),
                }])?;
                use crate::store::Store as _;
                p.store.apply(&[crate::store::Op::Ledger(
                    crate::compliance::LedgerEntry::Consent(record),
                )])?;
            }
            report.push_str("- Einwilligungen zur Kontaktaufnahme über Messenger: widerrufen\n");
            crate::outln!("\n{}", sanitize_for_terminal(&report, true));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A consent record's "who" for each matched conversation (address, channel, account,
/// name); the rest of the record is filled by the caller.
fn contacts_of(
    all: &Collection,
    convs: &BTreeSet<(String, String)>,
) -> Vec<crate::compliance::consent::ConsentRecord> {
    let mut seen = BTreeSet::new();
    convs
        .iter()
        .filter_map(|k| all.conversations.get(k))
        .filter_map(|c| {
            let address =
                crate::compliance::contact_address(c.contact.as_ref(), c.kind, &c.remote_id);
            seen.insert((c.channel, address.clone())).then(|| {
                crate::compliance::consent::ConsentRecord {
                    account: c.account.0.clone(),
                    contact: c.title.clone(),
                    channel: c.channel,
                    address,
                    purposes: Vec::new(),
                    action: crate::compliance::consent::Action::Withdraw,
                    wording_version: String::new(),
                    wording_sha256: String::new(),
                    wording: String::new(),
                    method: crate::compliance::consent::Method::StaffAction,
                    evidence: None,
                    staff: String::new(),
                    at: Timestamp(0),
                }
            })
        })
        .collect()
}

/// Removes a conversation's messages of `year` from the inbox (and the files only they
/// used); the archive is not touched. Returns the messages removed.
fn purge_year(
    store: &mut crate::store::SqliteStore,
    blobs: &crate::store::BlobStore,
    account: &str,
    conversation: &str,
    year: i32,
) -> Result<usize> {
    use crate::store::Store as _;
    if year == retention::META_YEAR {
        return Ok(0); // no messages in it; the conversation goes with its last message
    }
    let start = NaiveDate::from_ymd_opt(year, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
    let end =
        NaiveDate::from_ymd_opt(year, 12, 31).and_then(|d| d.and_hms_milli_opt(23, 59, 59, 999));
    let (Some(start), Some(end)) = (start, end) else {
        return Ok(0);
    };
    let applied = store.apply(&[crate::store::Op::Purge {
        account: crate::domain::AccountId(account.to_string()),
        remote_id: conversation.to_string(),
        from: Timestamp(start.and_utc().timestamp_millis()),
        to: Timestamp(end.and_utc().timestamp_millis()),
    }])?;
    for b in &applied.purged_blobs {
        blobs.remove(b)?;
    }
    Ok(applied.purged)
}

fn art15_text(
    contact: &str,
    messages: usize,
    files: usize,
    group: bool,
    retention: &[serde_json::Value],
) -> String {
    let mut s = format!(
        "Auskunft nach Art. 15 DSGVO\n\nBetroffene Person: {}\nNachrichten: {messages}, Dateien: {files}\n\n\
         Zwecke: Bearbeitung Ihrer Anfragen und Aufträge über Messenger; Erfüllung gesetzlicher Aufbewahrungspflichten (§ 257 HGB, § 147 AO).\n\
         Empfänger: keine Weitergabe an Dritte; technische Übermittlung über den jeweiligen Messenger-Dienst.\n\
         Herkunft: von Ihnen selbst über den Messenger übermittelt.\n\
         Speicherdauer:\n",
        clean(contact)
    );
    for r in retention {
        s.push_str(&format!(
            "  - Gespräch {}: Klasse {}, {} Jahre nach Ende des Kalenderjahres\n",
            r["conversation"].as_str().unwrap_or(""),
            r["class"].as_str().unwrap_or(""),
            r["years_after_end_of_year"]
        ));
    }
    s.push_str(
        "\nIhre Rechte: Berichtigung (Art. 16), Löschung (Art. 17), Einschränkung (Art. 18), Datenübertragbarkeit (Art. 20), \
         Widerspruch (Art. 21), Widerruf einer Einwilligung (Art. 7 Abs. 3), Beschwerde bei einer Aufsichtsbehörde (Art. 77).\n\
         Maschinenlesbare Kopie: daten.json. Lesbarer Verlauf: verlauf.html.\n",
    );
    if group {
        s.push_str("\nHinweis intern: enthält Gruppenchats — Beiträge Dritter vor Herausgabe prüfen (Art. 15 Abs. 4 DSGVO).\n");
    }
    s
}

fn clean(s: &str) -> String {
    sanitize_for_terminal(s, false).into_owned()
}

pub fn run_export(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: ExportCommand,
) -> Result<ExitCode> {
    let ExportCommand::Conversation {
        conversation,
        format,
        out,
    } = cmd;
    let p = crate::profile::open_read_only(config, paths, prompt)?;
    let conv = {
        use crate::store::StoreRead as _;
        p.store.find_conversation(&conversation)?
    };
    let (account, remote) = match conv {
        Some(c) => (c.account.0, c.remote_id),
        None => {
            return Err(UsageError(format!(
                "no conversation `{conversation}` (see `tresen list`)"
            ))
            .into());
        }
    };
    let r = Reader {
        dir: Archive::dir_of(&p.paths.data_dir),
        key: p.key,
        live: p.owner.is_some(),
    };
    let c = r.collect(&|a, cv| a == account && cv == remote)?;
    let rows: Vec<&Row> = c.rows.iter().collect();
    let title = c.title(&account, &remote);
    let text = match format {
        TranscriptFormat::Html => export::transcript_html(&title, &rows),
        TranscriptFormat::Txt => export::transcript_txt(&title, &rows),
    };
    match out {
        Some(path) => {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let name = path
                .file_name()
                .context("--out needs a file name")?
                .to_string_lossy()
                .into_owned();
            export::write_new(dir, &name, text.as_bytes()).with_context(|| {
                format!("cannot write {} (it must not exist yet)", path.display())
            })?;
            eprintln!("{} messages written to {}", rows.len(), path.display());
        }
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(text.as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn auditor_export(
    config: &Config,
    mut p: crate::profile::OpenProfile,
    from: NaiveDate,
    to: NaiveDate,
    classes: Vec<String>,
    out: &Path,
) -> Result<ExitCode> {
    if from > to {
        return Err(UsageError("--from is after --to".into()).into());
    }
    let classes: BTreeSet<String> = if classes.is_empty() {
        ["handelsbrief", "buchungsbeleg", "buch"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        classes
            .into_iter()
            .flat_map(|c| {
                c.split(',')
                    .map(|s| s.trim().to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    for c in &classes {
        if c == retention::NO_STATUTORY || c == "internal" {
            return Err(UsageError(format!(
                "class `{c}` is not tax-relevant: an audit export holds only statutory classes (handelsbrief, buchungsbeleg, buch), never all chats"
            ))
            .into());
        }
        if !retention::CLASSES.contains(&c.as_str()) {
            return Err(UsageError(format!(
                "unknown class `{c}`; one of: handelsbrief, buchungsbeleg, buch"
            ))
            .into());
        }
    }
    if out.exists() {
        return Err(UsageError(format!("{} exists; name a new directory", out.display())).into());
    }
    let labels = store_labels(&p.store)?;
    let archive = p.archive.as_mut().context("no archive")?;
    let dir = archive.dir().to_path_buf();
    let all = collect_all(&dir, archive.keys())?;
    let tags = config.retention.tag_pairs();
    let class_of = |a: &str, c: &str| {
        let mut l: Vec<String> = labels
            .get(&(a.to_string(), c.to_string()))
            .cloned()
            .unwrap_or_default();
        if let Some(x) = all.labels.get(&(a.to_string(), c.to_string())) {
            l.extend(x.iter().cloned());
        }
        retention::class_for(&l, &tags, &config.retention.default_class).to_string()
    };
    let lo = from
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc().timestamp_millis())
        .unwrap_or(i64::MIN);
    let hi = to
        .and_hms_milli_opt(23, 59, 59, 999)
        .map(|d| d.and_utc().timestamp_millis())
        .unwrap_or(i64::MAX);
    let rows: Vec<(&Row, String, String)> = all
        .rows
        .iter()
        .filter(|r| r.at.0 >= lo && r.at.0 <= hi)
        .map(|r| {
            (
                r,
                all.title(&r.account, &r.conversation),
                class_of(&r.account, &r.conversation),
            )
        })
        .filter(|(_, _, class)| classes.contains(class))
        .collect();
    let in_scope: BTreeSet<(String, String)> = rows
        .iter()
        .map(|(r, _, _)| (r.account.clone(), r.conversation.clone()))
        .collect();
    let scoped_messages: BTreeSet<String> = rows
        .iter()
        .flat_map(|(r, _, _)| r.remote_id.clone())
        .collect();
    let files: Vec<_> = all
        .files
        .iter()
        .filter(|f| in_scope.contains(&(f.account.clone(), f.conversation.clone())))
        .filter(|f| scoped_messages.contains(&f.message) || f.message.starts_with("local:"))
        .collect();
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let name = config.profile.name.clone();
    let supplier = export::Supplier {
        name: &name,
        location: "",
        comment: "Erzeugt von tresen (archive export); Integrität: manifest.sha256, tresen archive verify",
    };
    let n = export::auditor(out, &rows, &files, &supplier, from, to)?;
    archive.append(vec![Entry {
        scope: Scope::System,
        payload: Payload::Access {
            what: "auditor_export".into(),
            scope: format!(
                "{from}..{to} classes {}: {n} messages",
                classes.iter().cloned().collect::<Vec<_>>().join(",")
            ),
            by: config.staff_name(),
            at: Timestamp::now(),
        },
    }])?;
    crate::outln!(
        "{n} messages and {} files from {from} to {to} ({}) written to {}",
        files.len(),
        classes.iter().cloned().collect::<Vec<_>>().join(", "),
        out.display()
    );
    crate::outln!(
        "index.xml follows the Beschreibungsstandard (DTD gdpdu-01-08-2002); manifest.sha256 lists every file's hash."
    );
    Ok(ExitCode::SUCCESS)
}
