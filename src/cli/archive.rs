//! The archive on the command line: `archive verify|anchor|export|get|restore-test`,
//! `store rebuild`,
//! `export conversation`, and the arguments of `retention`, `hold` and `dsar` (run in
//! `cli::retention` and `cli::dsar`). Commands that only read run beside a running tresen;
//! the ones that write to the archive take the profile (stop the daemon first).

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};

use crate::app::i18n::Lang;
use crate::archive::{Archive, Payload, read, verify};
use crate::cli::common::{Reader, confirm, reader};
use crate::config::{Config, Paths};
use crate::domain::Timestamp;
use crate::error::UsageError;

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
        /// Name the staff who sent each message; without it they are pseudonyms
        /// ("Mitarbeiter/in 1", …), as the audit rarely needs more (R-D3)
        #[arg(long)]
        staff_names: bool,
    },
    /// One record as archived: its content, or with --raw the network's original payload
    ///
    /// A record can name staff or hold content restricted to the owner: the read is
    /// archived under your staff name (an `access` record) before it is shown.
    Get {
        seq: u64,
        /// Print only the original payload (a message's Matrix event or Signal envelope)
        #[arg(long)]
        raw: bool,
    },
    /// Seal the open segment now (it is sealed monthly and at 64 MiB anyway)
    Seal,
    /// Restore drill: check a backup copy of the data directory (or of its archive)
    ///
    /// tresen makes no backups itself (docs/archive.md says how). Copy the newest backup
    /// back to a directory and run this on it: every record of the copy must verify with
    /// this profile's key (chain, signed manifests, content), and its newest record must
    /// be exactly the live archive's record of that number. The outcome is archived;
    /// `compliance check` fails when the last passing drill is older than
    /// [archive] restore_test_max_age_days. Exit 0 only if the copy is good.
    RestoreTest {
        /// The restored copy: a data directory (with archive/) or an archive directory
        dir: PathBuf,
        /// Machine-readable outcome
        #[arg(long)]
        json: bool,
    },
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
            verify_cmd(&r, from, anchors, json, config.language())
        }
        ArchiveCommand::Anchor { out } => {
            let r = reader(config, paths, prompt)?;
            anchor(&r, &out, config.language())
        }
        ArchiveCommand::Get { seq, raw } => {
            let r = reader(config, paths.clone(), prompt)?;
            // A record may name staff, customers' restricted content or a raw payload:
            // whoever reads one is archived first (R-D3).
            get(&r, seq, raw, config.language(), &|kind: &str| {
                let scope = format!("{seq} ({kind})");
                crate::cli::common::record_read(config, &paths, &r.key, "archive record", &scope)
            })
        }
        ArchiveCommand::RestoreTest { dir, json } => {
            let p = crate::profile::open(config, paths, prompt)?;
            let mut books = crate::cli::books::Books::here(config, p);
            crate::cli::books::restore_test(&mut books, &dir, json)
        }
        ArchiveCommand::Seal => {
            let mut p = crate::profile::open(config, paths, prompt)?;
            let archive = p.archive.as_mut().context("no archive")?;
            archive.seal()?;
            print_sealed(config.language())?;
            Ok(ExitCode::SUCCESS)
        }
        ArchiveCommand::Export {
            from,
            to,
            classes,
            out,
            staff_names,
        } => {
            let p = crate::profile::open(config, paths, prompt)?;
            let mut books = crate::cli::books::Books::here(config, p);
            crate::cli::books::audit_export(&mut books, (from, to), (classes, staff_names), &out)
        }
    }
}

fn verify_cmd(
    r: &Reader,
    from: Option<u64>,
    anchors: Option<PathBuf>,
    json: bool,
    lang: crate::app::i18n::Lang,
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
    if opts.from.is_none()
        && let Err(e) = crate::archive::checked::record(&r.dir, &report)
    {
        tracing::warn!(error = %e, "the verification's outcome was not recorded for `tresen status`");
    }
    if show_progress {
        eprintln!();
    }
    if json {
        crate::out::json(&report)?;
    } else {
        for n in &report.notes {
            crate::outln!(
                "{}: {}",
                lang.t("Hinweis", "note"),
                crate::app::reasons::in_lang(n, lang)
            );
        }
        let secs = started.elapsed().as_secs_f64();
        match &report.problem {
            None => {
                let hash = &report.last_hash[..16.min(report.last_hash.len())];
                let (records, checked, shredded) =
                    (report.records, report.checked, report.shredded);
                let (segments, sealed, last) = (report.segments, report.sealed, report.last_seq);
                let anchors = match (report.anchors_checked, lang) {
                    (0, _) => String::new(),
                    (n, Lang::De) => format!(", {n} Anker stimmen"),
                    (n, Lang::En) => format!(", {n} anchors match"),
                };
                match lang {
                    Lang::De => {
                        let secs = format!("{secs:.1}").replace('.', ",");
                        crate::outln!(
                            "Archiv unversehrt: {records} Einträge ({checked} mit Inhalt geprüft, {shredded} nach Regel vernichtet), {segments} Segmente ({sealed} versiegelt){anchors}, letzter Eintrag {last} ({hash}) – {secs} s"
                        )
                    }
                    Lang::En => crate::outln!(
                        "archive intact: {records} records ({checked} checked with content, {shredded} destroyed by rule), {segments} segments ({sealed} sealed){anchors}, last record {last} ({hash}) — {secs:.1} s"
                    ),
                }
                if report.anchors_checked == 0 {
                    crate::outln!(
                        "{}",
                        lang.t(
                            "(eine Kette beweist Unversehrtheit nur gegenüber einer anderswo verwahrten Kopie: siehe `tresen archive anchor`)",
                            "(a chain proves integrity only against a copy kept elsewhere: see `tresen archive anchor`)"
                        )
                    );
                }
            }
            Some(p) => {
                crate::outln!(
                    "{} {} ({}): {}",
                    lang.t("ARCHIV BESCHÄDIGT bei Eintrag", "ARCHIVE DAMAGED at record"),
                    p.seq,
                    if p.segment.is_empty() {
                        "-"
                    } else {
                        &p.segment
                    },
                    crate::app::reasons::in_lang(&p.message, lang)
                );
                crate::outln!("{}: {}", lang.t("Code", "code"), p.code);
            }
        }
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The line that confirms a sealed segment.
pub(crate) fn print_sealed(lang: crate::app::i18n::Lang) -> Result<()> {
    crate::outln!(
        "{}",
        lang.t(
            "versiegelt; der nächste Eintrag beginnt ein neues Segment",
            "sealed; the next record starts a new segment"
        )
    );
    Ok(())
}

fn anchor(r: &Reader, out: &Path, lang: crate::app::i18n::Lang) -> Result<ExitCode> {
    let a = crate::archive::anchor::make(&r.dir, &r.key, r.live)
        .map_err(|e| anyhow::Error::from(UsageError(e.to_string())))?;
    let copied = crate::cli::books::write_anchor(out, &a.files)?;
    crate::cli::books::print_anchored(out, (a.seq, &a.hash, &a.public_key), copied, lang)
}

fn get(
    r: &Reader,
    seq: u64,
    raw: bool,
    lang: Lang,
    record: crate::cli::common::RecordRead<'_>,
) -> Result<ExitCode> {
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
    record(&rec.kind)?;
    let Some(payload) = rec.payload else {
        match lang {
            Lang::De => crate::outln!(
                "Eintrag {seq} ({}): sein Inhalt wurde am Ende seiner Aufbewahrungsfrist vernichtet (siehe den Grabstein)",
                rec.kind
            ),
            Lang::En => crate::outln!(
                "record {seq} ({}): its content was destroyed at the end of its retention period (see the tombstone)",
                rec.kind
            ),
        }
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

pub fn run_store(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: StoreCommand,
) -> Result<ExitCode> {
    let StoreCommand::Rebuild { yes } = cmd;
    let p = crate::profile::open_for_rebuild(config, paths, prompt)?;
    let lang = config.language();
    let question = lang.t(
        "Den Posteingang aus dem Archiv neu aufbauen? Der jetzige wird beiseitegelegt (nicht gelöscht); Bearbeitungsstand, Notizen und Entwürfe beginnen leer.",
        "Rebuild the inbox store from the archive? The current store is moved aside (kept); triage state, notes and drafts start empty.",
    );
    if !confirm(question, yes, "--yes", lang)? {
        eprintln!("{}", lang.t("nichts geändert", "nothing changed"));
        return Ok(ExitCode::SUCCESS);
    }
    let crate::profile::RebuildProfile {
        paths,
        key,
        lock,
        mut archive,
    } = p;
    let file = paths.store_file();
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
    let mut replay = crate::ingest::Replay::default();
    let dir = archive.dir().to_path_buf();
    let mut failed = None;
    let mut n = 0u64;
    let tty = std::io::stderr().is_terminal();
    read::for_each(&dir, archive.keys(), 1, |r| {
        n += 1;
        if tty && n.is_multiple_of(10_000) {
            eprint!("\r{n} {} …", lang.t("Einträge", "records"));
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
    let (records, messages, shredded) = (replay.records, replay.messages, replay.shredded);
    match lang {
        Lang::De => crate::outln!(
            "Posteingang aus {records} Archiveinträgen neu aufgebaut: {messages} Nachrichten ({shredded} Einträge nach Ablauf ihrer Frist bleiben vernichtet)"
        ),
        Lang::En => crate::outln!(
            "store rebuilt from {records} archive records: {messages} messages ({shredded} records whose retention ended stay destroyed)"
        ),
    }
    for m in moved {
        crate::outln!(
            "{} {}",
            lang.t("der bisherige liegt jetzt unter", "old store kept as"),
            m.display()
        );
    }
    Ok(ExitCode::SUCCESS)
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
    let lang = config.language();
    crate::cli::books::refuse_existing_file(out.as_deref(), lang)?;
    // With the profile to itself, staff names are shown and that access is archived
    // (R-D3), as through the daemon.
    match crate::profile::open(config, paths.clone(), prompt) {
        Ok(p) => {
            return crate::cli::books::transcript(
                &mut crate::cli::books::Books::here(config, p),
                conversation,
                format.into(),
                out.as_deref(),
            );
        }
        // Another tresen holds it: read beside it, without names.
        Err(e @ crate::profile::ProfileError::Lock(crate::profile::LockError::InUse { .. })) => {
            tracing::info!(error = %e, "transcript beside the profile's owner: no staff names");
            eprintln!(
                "{} ({e})",
                lang.t(
                    "Hinweis: ohne Namen der Beschäftigten („Team“), denn das Lesen könnte nicht archiviert werden",
                    "note: without staff names (\"Team\"), as reading them could not be archived"
                )
            );
        }
        Err(e) => return Err(e.into()),
    }
    // Read-only: a readable copy works beside an inbox that owns the profile.
    let p = crate::profile::open_read_only(config, paths, prompt)?;
    let conv = {
        use crate::store::StoreRead as _;
        p.store.find_conversation(&conversation)?
    };
    let Some(c) = conv else {
        return Err(UsageError(format!(
            "no conversation `{conversation}` (see `tresen list`)"
        ))
        .into());
    };
    let r = Reader {
        dir: Archive::dir_of(&p.paths.data_dir),
        key: p.key,
        live: p.owner.is_some(),
    };
    let mut keys = r.keys()?;
    let (messages, text) = crate::lifecycle::transcript(
        &r.dir,
        &mut keys,
        (&c.account.0, &c.remote_id),
        format.into(),
        // Only their own name: this reading of the archive is not recorded.
        &crate::compliance::staff::Identity {
            name: config.staff_name(),
            role: crate::compliance::staff::Role::Staff,
            scope: None,
        },
    )?;
    crate::cli::books::deliver_transcript(messages, text.as_bytes(), out.as_deref(), lang)
}

impl From<TranscriptFormat> for crate::lifecycle::Transcript {
    fn from(f: TranscriptFormat) -> Self {
        match f {
            TranscriptFormat::Html => crate::lifecycle::Transcript::Html,
            TranscriptFormat::Txt => crate::lifecycle::Transcript::Txt,
        }
    }
}
