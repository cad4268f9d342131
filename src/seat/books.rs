//! The lifecycle commands the daemon runs for a seat (`books`): inside the engine, whose
//! single writer lends them the archive and the store, so nothing is ingested halfway
//! through a destruction and the store moves on only with what the archive holds.

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::archive::Archive;
use crate::config::{Config, Paths};
use crate::engine::{ArchiveJob, EngineCommand, EngineHandle};
use crate::lifecycle::{self, Books, Files, LifecycleError};
use crate::protocol::books::{Answer, Ask, ExportSummary, FileInfo};
use crate::store::SharedStore;

/// What these commands need of the daemon's (or the command's) profile.
#[derive(Debug, Clone)]
pub struct Office {
    /// The config in force (retention rules, the firm's name, everything the
    /// compliance check and the process documentation describe).
    pub config: Config,
    pub compliance: Option<crate::compliance::Compliance>,
    /// `None` without a profile on disk (tests).
    pub profile: Option<OfficeProfile>,
}

/// The profile the daemon (or a command) opened.
#[derive(Clone)]
pub struct OfficeProfile {
    pub paths: Paths,
    /// The archive's public signing key (for the process documentation).
    pub public_key: String,
    /// The profile's key (verifying and signing an anchor).
    pub key: crate::secrets::MasterKey,
    /// The accounts, for the account commands.
    pub accounts: Arc<dyn super::accounts::Kit>,
}

impl std::fmt::Debug for OfficeProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfficeProfile")
            .field("paths", &self.paths)
            .finish_non_exhaustive()
    }
}

/// What a `books` request produced: the answer, and an export's files to hand over.
pub struct Outcome {
    pub answer: Answer,
    pub files: Files,
}

/// Runs `ask` for `who` inside the engine (an anchor beside it: it only reads, and a
/// long verification must not hold up what arrives); the future answers when it is
/// done.
pub fn run(
    engine: &EngineHandle,
    office: Arc<Office>,
    ask: Ask,
    viewer: crate::compliance::staff::Identity,
) -> BoxFuture<'static, Result<Outcome, LifecycleError>> {
    let who = viewer.name.clone();
    if let Ask::RestoreTest { dir } = &ask {
        let dir = std::path::PathBuf::from(dir);
        let engine = engine.clone();
        return Box::pin(async move {
            let started = std::time::Instant::now();
            let profile = office.profile.clone().ok_or_else(no_profile)?;
            crate::archive::integrity::holds_an_archive(&dir).map_err(LifecycleError::Refused)?;
            let live = Archive::dir_of(&profile.paths.data_dir);
            let record = tokio::task::spawn_blocking(move || {
                crate::archive::integrity::restore_drill(&dir, &live, &profile.key, &who)
            })
            .await
            .map_err(|e| LifecycleError::Refused(e.to_string()))?;
            record_integrity(&engine, vec![record.clone()])
                .await
                .map_err(|()| {
                    LifecycleError::Refused(crate::engine::EngineError::Stopped.to_string())
                })?;
            let done = Ok(Outcome {
                answer: Answer::Integrity(record),
                files: Files::default(),
            });
            log("restore test", started, &done);
            done
        });
    }
    if ask == Ask::ComplianceCheck {
        // It reads the whole archive: beside the engine, which keeps taking messages;
        // only the report goes through it.
        let engine = engine.clone();
        return Box::pin(async move {
            let started = std::time::Instant::now();
            let reader = engine.clone();
            let answer = tokio::task::spawn_blocking(move || {
                reader
                    .store()
                    .read(|s| about_the_office(s, &office, &Ask::ComplianceCheck))
            })
            .await
            .map_err(|e| LifecycleError::Refused(e.to_string()))??;
            if let Answer::Findings(report) = &answer {
                let report = serde_json::to_value(report)
                    .map_err(|e| LifecycleError::Refused(e.to_string()))?;
                let record = crate::archive::Payload::ComplianceReport {
                    report,
                    by: who,
                    at: crate::domain::Timestamp::now(),
                };
                record_payloads(&engine, vec![record]).await.map_err(|()| {
                    LifecycleError::Refused(crate::engine::EngineError::Stopped.to_string())
                })?;
            }
            let done = Ok(Outcome {
                answer,
                files: Files::default(),
            });
            log("compliance check", started, &done);
            done
        });
    }
    if ask == Ask::Anchor {
        return Box::pin(async move {
            let started = std::time::Instant::now();
            let done = tokio::task::spawn_blocking(move || anchor(&office))
                .await
                .map_err(|e| LifecycleError::Refused(e.to_string()))?;
            log(kind(&Ask::Anchor), started, &done);
            done
        });
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job = ArchiveJob(Box::new(
        move |archive: Option<&mut Archive>, store: &SharedStore| {
            let started = std::time::Instant::now();
            let kind = kind(&ask);
            let (result, purged) = match archive {
                Some(archive) => {
                    let mut guard = store.lock();
                    let mut books = Books {
                        archive,
                        store: guard.as_mut(),
                        blobs: store.blobs(),
                    };
                    carry_out(&mut books, &office, ask, &viewer)
                }
                None => (
                    Err(LifecycleError::Refused(
                        "this profile has no archive".to_string(),
                    )),
                    false,
                ),
            };
            log(kind, started, &result);
            let _ = tx.send(result);
            purged
        },
    ));
    let stopped = || LifecycleError::Refused(crate::engine::EngineError::Stopped.to_string());
    let sent = engine
        .try_command(EngineCommand::WithArchive(job))
        .map_err(|e| LifecycleError::Refused(e.to_string()));
    Box::pin(async move {
        sent?;
        rx.await.map_err(|_| stopped())?
    })
}

fn log(kind: &str, started: std::time::Instant, result: &Result<Outcome, LifecycleError>) {
    match result {
        Ok(_) => tracing::info!(
            kind,
            ms = started.elapsed().as_millis() as u64,
            "lifecycle command for a seat done"
        ),
        Err(e) => tracing::warn!(kind, error = %e, "lifecycle command for a seat failed"),
    }
}

/// For the log: what was done, never about whom.
fn kind(ask: &Ask) -> &'static str {
    match ask {
        Ask::RetentionPlan { .. } => "retention plan",
        Ask::Expire { .. } => "retention apply",
        Ask::ErasurePlan { .. } => "erasure plan",
        Ask::Erase { .. } => "erasure",
        Ask::DsarExport { .. } => "dsar export",
        Ask::AuditExport { .. } => "audit export",
        Ask::Transcript { .. } => "transcript",
        Ask::Anchor => "anchor",
        Ask::ComplianceCheck => "compliance check",
        Ask::Verfahrensdoku => "verfahrensdoku",
        Ask::Vvt => "vvt",
        Ask::RestoreTest { .. } => "restore test",
        Ask::DocsBundle => "docs bundle",
        Ask::DsarRequest { .. } => "dsar request",
        Ask::DsarClose { .. } => "dsar close",
        Ask::DsarOpen => "dsar requests",
        Ask::Order { .. } => "order",
        Ask::Orders { .. } => "orders",
    }
}

/// The use case behind `ask`, on the books the daemon's engine lends or a command
/// opened itself; also says whether it took anything out of the store.
pub fn carry_out(
    books: &mut Books<'_>,
    office: &Office,
    ask: Ask,
    viewer: &crate::compliance::staff::Identity,
) -> (Result<Outcome, LifecycleError>, bool) {
    let who = viewer.name.as_str();
    let answer = |answer| Outcome {
        answer,
        files: Files::default(),
    };
    match ask {
        Ask::ComplianceCheck => {
            // The report is archived, not only logged (R-F2): the history of the checks
            // is part of the documentation.
            let done = about_the_office(&*books.store, office, &ask).and_then(|a| {
                if let Answer::Findings(report) = &a {
                    let report = serde_json::to_value(report)
                        .map_err(|e| LifecycleError::Refused(e.to_string()))?;
                    books.record(&[crate::archive::Payload::ComplianceReport {
                        report,
                        by: who.to_string(),
                        at: crate::domain::Timestamp::now(),
                    }])?;
                }
                Ok(answer(a))
            });
            (done, false)
        }
        Ask::DocsBundle => {
            let done = office
                .profile
                .as_ref()
                .ok_or_else(no_profile)
                .and_then(|p| {
                    let (files, summary) = crate::procdoc::bundle::make(
                        &office.config,
                        &p.paths,
                        &p.public_key,
                        &p.key,
                    )
                    .map_err(|e| LifecycleError::Refused(e.to_string()))?;
                    Ok(export(ExportSummary::Bundle(summary), Files(files)))
                });
            (done, false)
        }
        Ask::Verfahrensdoku | Ask::Vvt => (
            about_the_office(&*books.store, office, &ask).map(answer),
            false,
        ),
        Ask::Anchor => (anchor(office), false),
        Ask::RestoreTest { dir } => {
            // Here (no daemon): the command holds the archive, nothing else appends.
            let done = office
                .profile
                .as_ref()
                .ok_or_else(no_profile)
                .and_then(|p| {
                    crate::archive::integrity::holds_an_archive(std::path::Path::new(&dir))
                        .map_err(LifecycleError::Refused)?;
                    let live = books.archive.dir().to_path_buf();
                    let record = crate::archive::integrity::restore_drill(
                        std::path::Path::new(&dir),
                        &live,
                        &p.key,
                        who,
                    );
                    books.record(&[crate::archive::Payload::Integrity(record.clone())])?;
                    Ok(answer(Answer::Integrity(record)))
                });
            (done, false)
        }
        Ask::RetentionPlan { date } => {
            let on = date.unwrap_or_else(lifecycle::today);
            let plan = lifecycle::retention_plan(books, &office.config.retention, on);
            (plan.map(|p| answer(Answer::Plan(p))), false)
        }
        Ask::Expire { buckets } => {
            let done =
                lifecycle::retention_plan(books, &office.config.retention, lifecycle::today())
                    .and_then(|plan| lifecycle::expire_confirmed(books, &plan, &buckets, who));
            let purged = done.as_ref().is_ok_and(|(d, _)| d.parts > 0);
            let done = done.map(|(d, skipped)| {
                answer(Answer::Expired {
                    parts: d.parts,
                    messages: d.messages,
                    skipped,
                })
            });
            (done, purged)
        }
        Ask::ErasurePlan { contact } => {
            let plan = lifecycle::dsar::erasure_plan(books, &office.config.retention, &contact);
            (plan.map(|(_, e)| answer(Answer::Erasure(e))), false)
        }
        Ask::Erase {
            contact,
            erase,
            restrict,
        } => {
            let report = lifecycle::dsar::erasure_plan(books, &office.config.retention, &contact)
                .and_then(|(subject, erasure)| {
                    if !erasure.is(&erase, &restrict) {
                        return Err(LifecycleError::Refused(
                            office
                                .config
                                .language()
                                .t(
                                    "Was dieser Antrag löscht, hat sich geändert, seit es angezeigt wurde (eine Sperre, eine neue Nachricht, ein neuer Tag): den Befehl noch einmal ausführen",
                                    "what this request erases has changed since it was shown (a hold, a new message, a new day): run the command again",
                                )
                                .into(),
                        ));
                    }
                    let compliance = office.compliance.as_ref().ok_or_else(|| {
                        LifecycleError::Refused("the compliance settings do not load".into())
                    })?;
                    subject.erase(books, &erasure, compliance, who)
                });
            let purged = report.is_ok();
            (
                report.map(|report| answer(Answer::Erased { report })),
                purged,
            )
        }
        Ask::DsarExport { contact } => {
            let done = lifecycle::dsar::Subject::find(books.archive, &*books.store, &contact)
                .and_then(|s| {
                    s.export(
                        books.archive,
                        &*books.store,
                        &office.config.retention,
                        &crate::config::processors::recipients(&office.config.processors),
                        who,
                    )
                })
                .map(|(e, files)| export(ExportSummary::Dsar(e), files));
            (done, false)
        }
        Ask::AuditExport {
            classes,
            from,
            to,
            staff_names,
        } => {
            let done = lifecycle::auditor::classes(&classes)
                .and_then(|classes| {
                    lifecycle::auditor::export(
                        books.archive,
                        &*books.store,
                        &office.config.retention,
                        &classes,
                        (from, to),
                        staff_names,
                        &office.config.profile.name,
                        who,
                    )
                })
                .map(|(e, files)| export(ExportSummary::Audit(e), files));
            (done, false)
        }
        Ask::Transcript {
            conversation,
            format,
        } => (
            transcript(
                books,
                &conversation,
                format,
                viewer,
                &office.config.retention,
            ),
            false,
        ),
        Ask::DsarRequest {
            contact,
            request,
            received,
            note,
        } => {
            let asked = lifecycle::requests::Asked {
                contact: &contact,
                kind: request,
                received,
                note: &note,
            };
            let de = office.config.language() == crate::app::i18n::Lang::De;
            let done = lifecycle::requests::record(books, asked, who, de);
            (done.map(|r| requests(vec![r])), false)
        }
        Ask::DsarClose { id, how } => {
            let de = office.config.language() == crate::app::i18n::Lang::De;
            let done = lifecycle::requests::close(books, &id, &how, who, de);
            (done.map(|r| requests(vec![r])), false)
        }
        Ask::Order {
            conversation,
            change,
        } => {
            let de = office.config.language() == crate::app::i18n::Lang::De;
            let done = lifecycle::orders::change(books, &conversation, change, who, de);
            (done.map(|v| orders(vec![v])), false)
        }
        Ask::Orders { conversation } => {
            let de = office.config.language() == crate::app::i18n::Lang::De;
            let done = match conversation {
                None => lifecycle::orders::list(books).map(orders),
                Some(key) => lifecycle::orders::show(books, &key, de).map(|v| orders(vec![v])),
            };
            (done, false)
        }
        Ask::DsarOpen => {
            let dir = books.archive.dir().to_path_buf();
            let done = lifecycle::requests::ledger(&dir, books.archive.keys())
                .map_err(LifecycleError::from)
                .map(|l| requests(l.open()));
            (done, false)
        }
    }
}

fn orders(orders: Vec<lifecycle::orders::OrderView>) -> Outcome {
    Outcome {
        answer: Answer::Orders { orders },
        files: Files::default(),
    }
}

fn requests(requests: Vec<lifecycle::requests::Request>) -> Outcome {
    Outcome {
        answer: Answer::Requests { requests },
        files: Files::default(),
    }
}

/// A conversation's readable copy from the archive. Who sent what for the firm is
/// shown to the owner and an auditor, and that access is archived; a staff member sees
/// their own name and "Team" for everyone else's (R-D3).
fn transcript(
    books: &mut Books<'_>,
    conversation: &str,
    format: lifecycle::Transcript,
    viewer: &crate::compliance::staff::Identity,
    retention: &crate::config::RetentionConfig,
) -> Result<Outcome, LifecycleError> {
    let c = books
        .store
        .find_conversation(conversation)?
        // An auditor's audit covers some classes only (R-B8, Z1): others do not exist.
        .filter(|c| {
            let audit = crate::seat::scope::Scoped::of(viewer, retention);
            crate::seat::scope::sees(&audit, c, |a, c| a.part_of_audit(c, &*books.store))
        })
        .ok_or_else(|| {
            LifecycleError::Refused(format!(
                "no conversation `{conversation}` (see `tresen list`)"
            ))
        })?;
    let dir = books.archive.dir().to_path_buf();
    let (messages, text) = lifecycle::transcript(
        &dir,
        books.archive.keys(),
        (&c.account.0, &c.remote_id),
        format,
        viewer,
    )?;
    if viewer.sees_senders() {
        books.archive.append(vec![crate::archive::Entry::accessed(
            "transcript with staff names",
            format!("{}/{}", c.account.0, c.remote_id),
            &viewer.name,
        )])?;
    }
    Ok(export(
        ExportSummary::Transcript { messages },
        Files(vec![("transcript".into(), text.into_bytes())]),
    ))
}

/// The archive's anchor, made beside the engine (which appends meanwhile: `live`).
fn anchor(office: &Office) -> Result<Outcome, LifecycleError> {
    let Some(p) = &office.profile else {
        return Err(LifecycleError::Refused(
            "this engine has no profile on disk".into(),
        ));
    };
    let dir = crate::archive::Archive::dir_of(&p.paths.data_dir);
    let a = crate::archive::anchor::make(&dir, &p.key, true).map_err(|e| match e {
        crate::archive::anchor::AnchorError::Archive(e) => LifecycleError::Archive(e),
        damaged => LifecycleError::Refused(damaged.to_string()),
    })?;
    Ok(export(
        ExportSummary::Anchor {
            seq: a.seq,
            hash: a.hash,
            public_key: a.public_key,
        },
        Files(a.files),
    ))
}

/// `compliance check`, `docs verfahrensdoku` and `docs vvt`: the daemon's config and
/// store.
fn about_the_office(
    store: &dyn crate::store::StoreRead,
    office: &Office,
    ask: &Ask,
) -> Result<Answer, LifecycleError> {
    let Some(OfficeProfile {
        paths, public_key, ..
    }) = &office.profile
    else {
        return Err(LifecycleError::Refused(
            "this engine has no profile on disk".into(),
        ));
    };
    match ask {
        Ask::ComplianceCheck => {
            let profile = office.profile.as_ref().ok_or_else(|| {
                LifecycleError::Refused("this engine has no profile on disk".into())
            })?;
            let checks = crate::findings::archive::ArchiveFacts::read(
                &paths.data_dir,
                &profile.key,
                store,
                &office.config,
            )?;
            let report = crate::findings::Report::check(
                &office.config,
                paths,
                Ok((store, &checks)),
                crate::domain::Timestamp::now(),
            )?;
            Ok(Answer::Findings(report))
        }
        Ask::Vvt => {
            let (number, text) = crate::procdoc::vvt::current(&office.config, paths)
                .map_err(|e| LifecycleError::Refused(e.to_string()))?;
            Ok(Answer::Document { number, text })
        }
        _ => {
            let (number, text) = crate::procdoc::current(&office.config, paths, public_key)
                .map_err(|e| LifecycleError::Refused(e.to_string()))?;
            Ok(Answer::Document { number, text })
        }
    }
}

fn export(what: ExportSummary, files: Files) -> Outcome {
    Outcome {
        answer: Answer::Export {
            what,
            files: files
                .0
                .iter()
                .map(|(name, data)| FileInfo {
                    name: name.clone(),
                    size: data.len() as u64,
                })
                .collect(),
        },
        files,
    }
}

fn no_profile() -> LifecycleError {
    LifecycleError::Refused("this engine has no profile on disk".into())
}

/// Appends the outcome of archive checks through the engine, the archive's single
/// writer; `Err` when the engine stopped.
pub async fn record_integrity(
    engine: &EngineHandle,
    records: Vec<crate::archive::integrity::IntegrityRecord>,
) -> Result<(), ()> {
    let payloads = records
        .into_iter()
        .map(crate::archive::Payload::Integrity)
        .collect();
    record_payloads(engine, payloads).await
}

/// Appends system records through the engine; `Err` when the engine stopped.
async fn record_payloads(
    engine: &EngineHandle,
    payloads: Vec<crate::archive::Payload>,
) -> Result<(), ()> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job = ArchiveJob(Box::new(
        move |archive: Option<&mut Archive>, store: &SharedStore| {
            let done = match archive {
                Some(archive) => {
                    let mut guard = store.lock();
                    let mut books = Books {
                        archive,
                        store: guard.as_mut(),
                        blobs: store.blobs(),
                    };
                    books.record(&payloads).map(|_| ())
                }
                None => Ok(()),
            };
            if let Err(e) = &done {
                tracing::error!(error = %e, "cannot archive the outcome of a check");
            }
            let _ = tx.send(());
            false
        },
    ));
    engine
        .command(EngineCommand::WithArchive(job))
        .await
        .map_err(|_| ())?;
    rx.await.map_err(|_| ())
}
