//! `retention apply`, `dsar export|erase`, `archive export` and `export conversation`
//! the same way whether this command opened the profile itself or the daemon owns it:
//! the plan is read where the books are, shown and confirmed here, carried out there,
//! and an export's files are written here — by the user who asked, into their directory.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow};

use crate::app::i18n::Lang;
use crate::cli::common::confirm;
use crate::domain::sanitize_for_terminal;
use crate::error::UsageError;
use crate::lifecycle::{Files, LifecycleError, RetentionPlan, refuse_existing};
use crate::profile::OpenProfile;
use crate::protocol::books::{Answer, Ask, ExportSummary, Piece, Take};
use crate::protocol::{RpcError, code};
use crate::seat::books::{Office, Outcome, carry_out};
use crate::seat::remote::Remote;

/// Where the archive and the store are.
pub(crate) enum Books {
    /// Opened by this command (no daemon runs).
    Here {
        profile: Box<OpenProfile>,
        office: Box<Office>,
        who: String,
    },
    /// Owned by the daemon: it runs the work as the staff member it knows this user as.
    Daemon {
        rt: tokio::runtime::Runtime,
        remote: Remote,
        lang: Lang,
    },
}

impl Books {
    pub(crate) fn here(config: &crate::config::Config, profile: OpenProfile) -> Books {
        let office = Office {
            config: config.clone(),
            compliance: Some(profile.compliance.clone()),
            profile: Some(crate::profile::office(config, &profile)),
        };
        Books::Here {
            profile: Box::new(profile),
            office: Box::new(office),
            who: config.staff_name(),
        }
    }

    /// The seat's language (a daemon's answers come in its own).
    pub(crate) fn lang(&self) -> Lang {
        match self {
            Books::Here { office, .. } => office.config.language(),
            Books::Daemon { lang, .. } => *lang,
        }
    }

    pub(crate) fn ask(&mut self, ask: Ask) -> Result<Outcome> {
        match self {
            Books::Here {
                profile,
                office,
                who,
            } => {
                let blobs = profile.blobs();
                let archive = profile.archive.as_mut().context("no archive")?;
                let mut books = crate::lifecycle::Books {
                    archive,
                    store: &mut profile.store,
                    blobs: Some(&blobs),
                };
                // Whoever opens the profile itself is its owner.
                let viewer = crate::compliance::staff::Identity {
                    name: who.clone(),
                    role: crate::compliance::staff::Role::Owner,
                    scope: None,
                };
                let (outcome, _) = carry_out(&mut books, office, ask, &viewer);
                Ok(outcome?)
            }
            Books::Daemon { rt, remote, .. } => rt.block_on(through_daemon(remote, ask)),
        }
    }
}

/// Asks the daemon, then takes an export's files piece by piece.
async fn through_daemon(remote: &Remote, ask: Ask) -> Result<Outcome> {
    let answer: Answer = remote.call("books", &ask).await.map_err(refusal)?;
    let mut files = Files::default();
    if let Answer::Export { files: list, .. } = &answer {
        for (i, f) in list.iter().enumerate() {
            let mut data = Vec::with_capacity(usize::try_from(f.size).unwrap_or(0));
            while (data.len() as u64) < f.size {
                let take = Take {
                    file: i,
                    offset: data.len() as u64,
                };
                let piece: Piece = remote.call("take", &take).await.map_err(refusal)?;
                if piece.data.is_empty() {
                    return Err(anyhow!("the daemon's export of {} ended early", f.name));
                }
                data.extend(piece.data);
            }
            files.0.push((f.name.clone(), data));
        }
    }
    Ok(Outcome { answer, files })
}

/// What the daemon refused is the user's to fix (exit code 2), as it is without it.
fn refusal(e: RpcError) -> anyhow::Error {
    match e.code {
        code::REFUSED | code::FORBIDDEN | code::INVALID_PARAMS => {
            LifecycleError::Refused(e.message).into()
        }
        _ => anyhow!(e.message),
    }
}

fn unexpected() -> anyhow::Error {
    anyhow!("the daemon answered something else than asked (another tresen version?)")
}

/// A day as the user reads dates.
fn day(d: chrono::NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::De => d.format("%d.%m.%Y").to_string(),
        Lang::En => d.to_string(),
    }
}

/// `tresen retention apply`.
pub(crate) fn retention_apply(books: &mut Books, yes: bool) -> Result<ExitCode> {
    let lang = books.lang();
    let Answer::Plan(plan) = books.ask(Ask::RetentionPlan { date: None })?.answer else {
        return Err(unexpected());
    };
    let expiring = plan.expiring();
    if expiring.is_empty() {
        match lang {
            Lang::De => crate::outln!(
                "Nichts hat das Ende seiner Aufbewahrungsfrist erreicht (Stand {})",
                plan.on.format("%d.%m.%Y")
            ),
            Lang::En => crate::outln!(
                "nothing has reached the end of its retention period ({})",
                plan.on
            ),
        }
        return Ok(ExitCode::SUCCESS);
    }
    print_plan(&plan, false, lang)?;
    let question = match lang {
        Lang::De => format!(
            "{} abgelaufene Teile endgültig vernichten (ihre Schlüssel und ihre Kopien im Posteingang)?",
            expiring.len()
        ),
        Lang::En => format!(
            "Destroy {} expired part(s) for good (their keys, and their copies in the inbox)?",
            expiring.len()
        ),
    };
    if !confirm(&question, yes, "--yes", lang)? {
        eprintln!("{}", lang.t("nichts vernichtet", "nothing destroyed"));
        return Ok(ExitCode::SUCCESS);
    }
    let Answer::Expired {
        parts,
        messages,
        skipped,
    } = books.ask(Ask::Expire { buckets: expiring })?.answer
    else {
        return Err(unexpected());
    };
    match lang {
        Lang::De => crate::outln!(
            "{parts} abgelaufene Teile vernichtet ({messages} Nachrichten aus dem Posteingang entfernt); die Grabsteine stehen im Archiv. `tresen archive verify` besteht weiter."
        ),
        Lang::En => crate::outln!(
            "destroyed {parts} expired part(s) ({messages} inbox messages removed); tombstones are in the archive. `tresen archive verify` still passes."
        ),
    }
    if skipped > 0 {
        crate::outln!(
            "{skipped} {}",
            lang.t(
                "Teile laufen inzwischen nicht mehr ab (eine Sperre kam dazu): unberührt",
                "part(s) no longer expire (a hold was set meanwhile): left alone"
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `tresen dsar export`.
pub(crate) fn dsar_export(books: &mut Books, contact: String, out: &Path) -> Result<ExitCode> {
    let lang = books.lang();
    refuse_existing(out)?;
    let shown = sanitize_for_terminal(&contact, false).into_owned();
    let o = books.ask(Ask::DsarExport { contact })?;
    o.files.write_new_dir(out)?;
    let Answer::Export {
        what: ExportSummary::Dsar(done),
        ..
    } = o.answer
    else {
        return Err(unexpected());
    };
    match lang {
        Lang::De => crate::outln!(
            "{shown}: {} Nachrichten, {} Dateien nach {} geschrieben (Antwort fällig bis {}, Art. 12 Abs. 3 DSGVO)",
            done.messages,
            done.files,
            out.display(),
            day(done.due, lang)
        ),
        Lang::En => crate::outln!(
            "{shown}: {} messages, {} files written to {} (answer due {}, Art. 12(3) GDPR)",
            done.messages,
            done.files,
            out.display(),
            done.due
        ),
    }
    if done.groups {
        crate::outln!(
            "{}",
            lang.t(
                "Gruppenchats enthalten: Beiträge anderer Personen vor der Herausgabe prüfen (Art. 15 Abs. 4 DSGVO).",
                "Group chats included: check other people's messages before handing it over (Art. 15(4) GDPR)."
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `tresen dsar erase`.
pub(crate) fn dsar_erase(books: &mut Books, contact: String, yes: bool) -> Result<ExitCode> {
    let lang = books.lang();
    let Answer::Erasure(erasure) = books
        .ask(Ask::ErasurePlan {
            contact: contact.clone(),
        })?
        .answer
    else {
        return Err(unexpected());
    };
    let contact_shown = sanitize_for_terminal(&contact, false);
    match lang {
        Lang::De => crate::outln!("Löschantrag für {contact_shown}:"),
        Lang::En => crate::outln!("Erasure request for {contact_shown}:"),
    }
    for i in &erasure.erase {
        match lang {
            Lang::De => crate::outln!(
                "  löschen       {} {} ({} Einträge, Klasse {})",
                i.conversation,
                i.part(),
                i.records,
                i.class
            ),
            Lang::En => crate::outln!(
                "  erase    {} {} ({} records, class {})",
                i.conversation,
                i.part(),
                i.records,
                i.class
            ),
        }
    }
    for i in &erasure.restrict {
        let until = day(i.retain_until, lang);
        let why = match (i.holds.is_empty(), lang) {
            (true, Lang::De) => format!("gesetzliche Aufbewahrung bis {until} ({})", i.rule),
            (true, Lang::En) => format!("statutory retention until {until} ({})", i.rule),
            (false, Lang::De) => format!("Sperre: {}", i.holds_de.join("; ")),
            (false, Lang::En) => format!("hold: {}", i.holds.join("; ")),
        };
        let why = sanitize_for_terminal(&why, false);
        match lang {
            Lang::De => crate::outln!(
                "  einschränken  {} {} ({} Einträge): {why}",
                i.conversation,
                i.part(),
                i.records
            ),
            Lang::En => crate::outln!(
                "  restrict {} {} ({} records): {why}",
                i.conversation,
                i.part(),
                i.records
            ),
        }
    }
    let question = lang.t("So ausführen?", "Carry this out?");
    if !confirm(question, yes, "--yes", lang)? {
        eprintln!("{}", lang.t("nichts geändert", "nothing changed"));
        return Ok(ExitCode::SUCCESS);
    }
    let ids = |items: &[crate::archive::retention::Item]| {
        items.iter().map(|i| i.bucket.clone()).collect::<Vec<_>>()
    };
    let ask = Ask::Erase {
        contact,
        erase: ids(&erasure.erase),
        restrict: ids(&erasure.restrict),
    };
    let Answer::Erased { report } = books.ask(ask)?.answer else {
        return Err(unexpected());
    };
    crate::outln!("\n{}", sanitize_for_terminal(&report, true));
    Ok(ExitCode::SUCCESS)
}

/// `tresen archive export`.
pub(crate) fn audit_export(
    books: &mut Books,
    (from, to): (chrono::NaiveDate, chrono::NaiveDate),
    (classes, staff_names): (Vec<String>, bool),
    out: &Path,
) -> Result<ExitCode> {
    let lang = books.lang();
    refuse_existing(out)?;
    let o = books.ask(Ask::AuditExport {
        classes,
        from,
        to,
        staff_names,
    })?;
    o.files.write_new_dir(out)?;
    let Answer::Export {
        what: ExportSummary::Audit(done),
        ..
    } = o.answer
    else {
        return Err(unexpected());
    };
    let (from, to) = (day(from, lang), day(to, lang));
    match lang {
        Lang::De => crate::outln!(
            "{} Nachrichten und {} Dateien vom {from} bis {to} ({}) nach {} geschrieben",
            done.messages,
            done.files,
            done.classes.join(", "),
            out.display()
        ),
        Lang::En => crate::outln!(
            "{} messages and {} files from {from} to {to} ({}) written to {}",
            done.messages,
            done.files,
            done.classes.join(", "),
            out.display()
        ),
    }
    crate::outln!(
        "{}",
        lang.t(
            "index.xml folgt dem Beschreibungsstandard (DTD gdpdu-01-08-2002); manifest.sha256 nennt die Prüfsumme jeder Datei.",
            "index.xml follows the Beschreibungsstandard (DTD gdpdu-01-08-2002); manifest.sha256 lists every file's hash."
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// `tresen compliance check` through the daemon: its configuration and its inbox.
pub(crate) fn compliance_check(books: &mut Books, json: bool) -> Result<ExitCode> {
    let Answer::Findings(report) = books.ask(Ask::ComplianceCheck)?.answer else {
        return Err(unexpected());
    };
    print_check(&report, json, books.lang())
}

/// `tresen docs verfahrensdoku|vvt` through the daemon: of its configuration, kept in
/// its data directory.
pub(crate) fn document(books: &mut Books, ask: Ask, out: Option<&Path>) -> Result<ExitCode> {
    if ask == Ask::DocsBundle {
        let out = out.context("docs bundle needs --out")?;
        refuse_existing(out)?;
        let lang = books.lang();
        let o = books.ask(ask)?;
        o.files.write_new_dir(out)?;
        let Answer::Export {
            what: ExportSummary::Bundle(summary),
            ..
        } = o.answer
        else {
            return Err(unexpected());
        };
        return crate::cli::docs::bundled(&summary, out, lang);
    }
    let Answer::Document { number, text } = books.ask(ask)?.answer else {
        return Err(unexpected());
    };
    crate::cli::docs::deliver(number, &text, out, books.lang())
}

/// `tresen archive restore-test DIR`: the drill, here or in the daemon; exit 1 when the
/// copy is not good.
pub(crate) fn restore_test(books: &mut Books, dir: &Path, json: bool) -> Result<ExitCode> {
    // The daemon resolves the path on its side: hand it an absolute one.
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let ask = Ask::RestoreTest {
        dir: dir.display().to_string(),
    };
    let lang = books.lang();
    let Answer::Integrity(r) = books.ask(ask)?.answer else {
        return Err(unexpected());
    };
    if json {
        crate::out::json(&r)?;
    } else {
        let detail = crate::domain::sanitize_for_terminal(r.detail.trim_end_matches('.'), false);
        // The archived detail is English; the catalogue puts it into German.
        let detail = crate::app::reasons::in_lang(&detail, lang);
        match (lang, r.ok) {
            (Lang::De, true) => crate::outln!(
                "Wiederherstellungstest bestanden: {detail}; neuester Eintrag {} stimmt mit dem Archiv überein. Ergebnis archiviert.",
                r.seq
            ),
            (Lang::De, false) => crate::outln!(
                "Wiederherstellungstest NICHT bestanden: {detail}. Ergebnis archiviert."
            ),
            (Lang::En, true) => crate::outln!(
                "restore drill passed: {detail}; newest record {} matches the archive. Outcome archived.",
                r.seq
            ),
            (Lang::En, false) => {
                crate::outln!("restore drill FAILED: {detail}. Outcome archived.")
            }
        }
    }
    Ok(if r.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `tresen archive anchor` through the daemon: it verifies and signs, the files are
/// written here.
pub(crate) fn anchor(books: &mut Books, out: &Path) -> Result<ExitCode> {
    let o = books.ask(Ask::Anchor)?;
    let Answer::Export {
        what:
            ExportSummary::Anchor {
                seq,
                hash,
                public_key,
            },
        ..
    } = o.answer
    else {
        return Err(unexpected());
    };
    let copied = write_anchor(out, &o.files.0)?;
    print_anchored(out, (seq, &hash, &public_key), copied, books.lang())
}

/// `tresen export conversation` through the daemon.
pub(crate) fn transcript(
    books: &mut Books,
    conversation: String,
    format: crate::lifecycle::Transcript,
    out: Option<&Path>,
) -> Result<ExitCode> {
    let lang = books.lang();
    refuse_existing_file(out, lang)?;
    let o = books.ask(Ask::Transcript {
        conversation,
        format,
    })?;
    let Answer::Export {
        what: ExportSummary::Transcript { messages },
        ..
    } = o.answer
    else {
        return Err(unexpected());
    };
    let text = o
        .files
        .0
        .into_iter()
        .next()
        .map(|(_, t)| t)
        .unwrap_or_default();
    deliver_transcript(messages, &text, out, lang)
}

/// A transcript goes into a new file only.
pub(crate) fn refuse_existing_file(out: Option<&Path>, lang: Lang) -> Result<()> {
    match out {
        Some(path) if path.exists() => Err(LifecycleError::Refused(match lang {
            Lang::De => format!("{} gibt es schon; eine neue Datei angeben", path.display()),
            Lang::En => format!("{} exists; name a new file", path.display()),
        })
        .into()),
        _ => Ok(()),
    }
}

/// Writes a transcript of `messages` messages to `out`, or to standard output.
pub(crate) fn deliver_transcript(
    messages: usize,
    text: &[u8],
    out: Option<&Path>,
    lang: Lang,
) -> Result<ExitCode> {
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
            crate::archive::export::write_new(dir, &name, text).with_context(|| match lang {
                Lang::De => format!(
                    "{} kann nicht geschrieben werden (die Datei darf noch nicht bestehen)",
                    path.display()
                ),
                Lang::En => format!("cannot write {} (it must not exist yet)", path.display()),
            })?;
            match lang {
                Lang::De => eprintln!("{messages} Nachrichten nach {} geschrieben", path.display()),
                Lang::En => eprintln!("{messages} messages written to {}", path.display()),
            }
        }
        None => {
            use std::io::Write as _;
            std::io::stdout().lock().write_all(text)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The plan as `retention plan` and `retention apply` show it.
pub(crate) fn print_plan(plan: &RetentionPlan, json: bool, lang: Lang) -> Result<()> {
    let (items, on) = (&plan.items, plan.on);
    if json {
        crate::out::json(
            &serde_json::json!({ "date": on, "items": items, "unconfirmed": plan.unconfirmed }),
        )?;
        return Ok(());
    }
    let de = lang == Lang::De;
    if de {
        crate::outln!("Aufbewahrung, Stand {}:", on.format("%d.%m.%Y"));
    } else {
        crate::outln!("retention as of {on}:");
    }
    crate::outln!(
        "{:<8} {:<28} {:>4} {:<14} {:<10} {:>7}  {}",
        lang.t("Teil", "bucket"),
        lang.t("Unterhaltung", "conversation"),
        lang.t("Jahr", "year"),
        lang.t("Klasse", "class"),
        lang.t("bis", "until"),
        lang.t("Einträge", "records"),
        lang.t("Entscheidung", "decision"),
    );
    for i in items {
        let title = plan.title(&i.account, &i.conversation);
        let title: String = sanitize_for_terminal(&title, false)
            .chars()
            .take(28)
            .collect();
        let decision = match i.decision.as_ref() {
            "expire" => lang.t("LÄUFT AB", "EXPIRES").to_string(),
            "held" => {
                let holds = match lang {
                    Lang::De => &i.holds_de,
                    Lang::En => &i.holds,
                };
                format!("{} ({})", lang.t("gesperrt", "held"), holds.join("; "))
            }
            _ => lang.t("behalten", "keep").to_string(),
        };
        crate::outln!(
            "{:<8} {:<28} {:>4} {:<14} {:<10} {:>7}  {}",
            &i.bucket[..8.min(i.bucket.len())],
            title,
            i.part(),
            i.class,
            i.retain_until,
            i.records,
            sanitize_for_terminal(&decision, false)
        );
        for why in &i.because {
            crate::outln!("         ↳ {}", sanitize_for_terminal(why, false));
        }
    }
    if !plan.unconfirmed.is_empty() {
        if de {
            crate::outln!(
                "{} Datei(en) sehen nach Rechnungen aus und werden als buchungsbeleg aufbewahrt, bis jemand das bestätigt oder berichtigt (`tresen retention item NACHRICHT/DATEI --class … --reason …`):",
                plan.unconfirmed.len()
            );
        } else {
            crate::outln!(
                "{} file(s) look like invoices and are kept as buchungsbeleg until someone confirms or corrects that (`tresen retention item MESSAGE/FILE --class … --reason …`):",
                plan.unconfirmed.len()
            );
        }
        for u in &plan.unconfirmed {
            crate::outln!("  {}", sanitize_for_terminal(u, false));
        }
    }
    let n = |d: &str| items.iter().filter(|i| i.decision == d).count();
    if de {
        crate::outln!(
            "{} laufen ab, {} gesperrt, {} behalten",
            n("expire"),
            n("held"),
            n("keep")
        );
    } else {
        crate::outln!(
            "{} expire, {} held, {} kept",
            n("expire"),
            n("held"),
            n("keep")
        );
    }
    Ok(())
}

/// Writes an anchor into `out` (kept from one anchor to the next): manifests already
/// there must be byte for byte the archive's — a different one is refused, nothing
/// written — new ones are added, and the checkpoint is written. Returns how many
/// manifests were new.
pub(crate) fn write_anchor(out: &Path, files: &[(String, Vec<u8>)]) -> Result<usize> {
    crate::archive::anchor::write(out, files).map_err(|e| match e {
        crate::archive::anchor::AnchorError::Refused(m) => UsageError(m).into(),
        e => anyhow::Error::from(e),
    })
}

/// What an anchor certifies: (record, its hash, the archive's public key).
pub(crate) fn print_anchored(
    out: &Path,
    (seq, hash, public_key): (u64, &str, &str),
    copied: usize,
    lang: Lang,
) -> Result<ExitCode> {
    let short = &hash[..16.min(hash.len())];
    match lang {
        Lang::De => {
            crate::outln!(
                "Eintrag {seq} ({short}) in {} verankert; {copied} neue Manifeste kopiert",
                out.display()
            );
            crate::outln!("Öffentlicher Schlüssel des Archivs: {public_key}");
            crate::outln!(
                "Diesen Ordner außerhalb dieses Rechners aufbewahren; später prüfen mit `tresen archive verify --anchors ORDNER`."
            );
        }
        Lang::En => {
            crate::outln!(
                "anchored record {seq} ({short}) in {}; {copied} new manifest(s) copied",
                out.display()
            );
            crate::outln!("archive public key: {public_key}");
            crate::outln!(
                "Keep this directory off this machine; check later with `tresen archive verify --anchors DIR`."
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints what `compliance check` found (here, or in the daemon); exit 1 if anything
/// required is missing.
pub(crate) fn print_check(
    report: &crate::findings::Report,
    json: bool,
    lang: Lang,
) -> Result<ExitCode> {
    use crate::findings::Level;
    let (required_missing, warnings) = (report.required_missing, report.warnings);
    tracing::info!(required_missing, warnings, "compliance check");
    for f in report.findings.iter().filter(|f| f.level != Level::Ok) {
        tracing::info!(id = %f.id, level = ?f.level, message = %f.message, "compliance finding");
    }
    if json {
        crate::out::json(report)?;
    } else {
        for f in &report.findings {
            let mark = match (f.level, lang) {
                (Level::Ok, _) => "ok      ",
                (Level::Warning, Lang::En) => "WARNING ",
                (Level::Warning, Lang::De) => "WARNUNG ",
                (Level::Required, Lang::En) => "MISSING ",
                (Level::Required, Lang::De) => "FEHLT   ",
            };
            crate::outln!(
                "{mark} {:<18} {}",
                f.id,
                sanitize_for_terminal(
                    match lang {
                        Lang::De if !f.message_de.is_empty() => &f.message_de,
                        _ => &f.message,
                    },
                    false
                )
            );
        }
        match lang {
            Lang::De => {
                crate::outln!("{required_missing} Pflichtpunkt(e) fehlen, {warnings} Warnung(en)")
            }
            Lang::En => crate::outln!(
                "{} required item(s) missing, {} warning(s)",
                required_missing,
                warnings
            ),
        }
    }
    Ok(if required_missing > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
