//! `tresen dsar export / erase`: a customer's GDPR requests (Art. 15, 17, 20); the
//! use cases are `lifecycle::dsar`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

use crate::app::i18n::Lang;
use crate::cli::books::Books;
use crate::cli::inbox::safe;
use crate::config::{Config, Paths};
use crate::lifecycle::requests::{Request, RequestKind};
use crate::protocol::books::{Answer, Ask};

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
    /// Record that a customer made a request (the answer is due within a month)
    ///
    /// `compliance check` then counts it as open, with its due date, until `dsar close`.
    Request {
        /// The customer: phone number, handle or conversation id
        contact: String,
        #[arg(long, value_enum)]
        kind: RequestKindArg,
        /// The day it came in (YYYY-MM-DD; default today)
        #[arg(long)]
        received: Option<chrono::NaiveDate>,
        /// How it came in, what exactly was asked
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Record that a request was answered
    Close {
        /// The request's id (`dsar requests`)
        id: String,
        /// How it was answered (e.g. "Auskunft per Post am 12.12.")
        #[arg(long, default_value = "")]
        how: String,
    },
    /// The requests not answered yet, soonest due first
    Requests {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RequestKindArg {
    /// Art. 15: a copy of their data
    Access,
    /// Art. 16: a correction
    Rectification,
    /// Art. 17: erasure
    Erasure,
    /// Art. 18: restriction
    Restriction,
    /// Art. 20: their data, machine-readable
    Portability,
    /// Art. 21: an objection
    Objection,
}

impl From<RequestKindArg> for RequestKind {
    fn from(k: RequestKindArg) -> Self {
        match k {
            RequestKindArg::Access => RequestKind::Access,
            RequestKindArg::Rectification => RequestKind::Rectification,
            RequestKindArg::Erasure => RequestKind::Erasure,
            RequestKindArg::Restriction => RequestKind::Restriction,
            RequestKindArg::Portability => RequestKind::Portability,
            RequestKindArg::Objection => RequestKind::Objection,
        }
    }
}

pub fn run_dsar(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: DsarCommand,
) -> Result<ExitCode> {
    let p = crate::profile::open(config, paths, prompt)?;
    run(&mut Books::here(config, p), cmd)
}

/// On the profile this command opened, or through the daemon.
pub(crate) fn run(books: &mut Books, cmd: DsarCommand) -> Result<ExitCode> {
    match cmd {
        DsarCommand::Export { contact, out } => {
            crate::cli::books::dsar_export(books, contact, &out)
        }
        DsarCommand::Erase { contact, yes } => crate::cli::books::dsar_erase(books, contact, yes),
        DsarCommand::Request {
            contact,
            kind,
            received,
            note,
        } => {
            let lang = books.lang();
            let r = requests(books.ask(Ask::DsarRequest {
                contact,
                request: kind.into(),
                received,
                note,
            })?)?;
            for r in &r {
                match lang {
                    Lang::De => crate::outln!(
                        "Antrag {} ({}) von {} eingetragen: Antwort fällig bis {}",
                        r.id,
                        r.kind.in_lang(lang == Lang::De),
                        safe(&r.contact),
                        r.due.format("%d.%m.%Y")
                    ),
                    Lang::En => crate::outln!(
                        "request {} ({}) from {} recorded: the answer is due by {}",
                        r.id,
                        r.kind.in_lang(lang == Lang::De),
                        safe(&r.contact),
                        r.due
                    ),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        DsarCommand::Close { id, how } => {
            let lang = books.lang();
            let r = requests(books.ask(Ask::DsarClose { id, how })?)?;
            for r in &r {
                crate::outln!(
                    "{} {} ({})",
                    lang.t("Antrag erledigt:", "request closed:"),
                    r.id,
                    safe(&r.contact)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        DsarCommand::Requests { json } => {
            let lang = books.lang();
            let open = requests(books.ask(Ask::DsarOpen)?)?;
            if json {
                crate::out::json(&open)?;
                return Ok(ExitCode::SUCCESS);
            }
            if open.is_empty() {
                crate::outln!("{}", lang.t("Keine offenen Anträge", "no open requests"));
            }
            let today = crate::lifecycle::today();
            for r in &open {
                let late = if r.due < today {
                    lang.t("  ÜBERFÄLLIG", "  OVERDUE")
                } else {
                    ""
                };
                crate::outln!(
                    "{}  {:<13} {:<24} {} {}{late}{}",
                    r.id,
                    r.kind.in_lang(lang == Lang::De),
                    safe(&r.contact),
                    lang.t("fällig", "due"),
                    match lang {
                        Lang::De => r.due.format("%d.%m.%Y").to_string(),
                        Lang::En => r.due.to_string(),
                    },
                    if r.note.is_empty() {
                        String::new()
                    } else {
                        format!("  — {}", safe(&r.note))
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn requests(o: crate::seat::books::Outcome) -> Result<Vec<Request>> {
    match o.answer {
        Answer::Requests { requests } => Ok(requests),
        _ => Err(anyhow::anyhow!("the daemon answered something else")),
    }
}
