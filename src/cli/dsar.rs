//! `tresen dsar export / erase`: a customer's GDPR requests (Art. 15, 17, 20); the
//! use cases are `lifecycle::dsar`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Subcommand;

use crate::cli::common::confirm;
use crate::config::{Config, Paths};
use crate::domain::sanitize_for_terminal;
use crate::lifecycle::dsar::Subject;
use crate::lifecycle::{Books, gather, policy, store_labels, today};

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

pub fn run_dsar(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: DsarCommand,
) -> Result<ExitCode> {
    let mut p = crate::profile::open(config, paths, prompt)?;
    let blobs = p.blobs();
    let archive = p.archive.as_mut().context("no archive")?;
    let contact = match &cmd {
        DsarCommand::Export { contact, .. } | DsarCommand::Erase { contact, .. } => contact,
    };
    let subject = Subject::find(archive, &p.store, contact)?;
    let shown = sanitize_for_terminal(contact, false).into_owned();
    let by = config.staff_name();
    match cmd {
        DsarCommand::Export { out, .. } => {
            let done = subject.export(archive, &p.store, &config.retention, &out, &by)?;
            crate::outln!(
                "{shown}: {} messages, {} files written to {} (answer due {}, Art. 12(3) GDPR)",
                done.messages,
                done.files,
                out.display(),
                done.due
            );
            if done.groups {
                crate::outln!(
                    "Group chats included: check other people's messages before handing it over (Art. 15(4) GDPR)."
                );
            }
        }
        DsarCommand::Erase { yes, .. } => {
            let dir = archive.dir().to_path_buf();
            let facts = gather(&dir, archive.keys(), &store_labels(&p.store)?)?;
            let tags = config.retention.tag_pairs();
            let erasure = subject.erasure(&facts, &policy(&config.retention, &tags), today());
            crate::outln!("Erasure request for {shown}:");
            for i in &erasure.erase {
                crate::outln!(
                    "  erase    {} {} ({} records, class {})",
                    i.conversation,
                    i.part(),
                    i.records,
                    i.class
                );
            }
            for i in &erasure.restrict {
                let why = if i.holds.is_empty() {
                    format!("statutory retention until {} ({})", i.retain_until, i.rule)
                } else {
                    format!("hold: {}", i.holds.join("; "))
                };
                crate::outln!(
                    "  restrict {} {} ({} records): {}",
                    i.conversation,
                    i.part(),
                    i.records,
                    sanitize_for_terminal(&why, false)
                );
            }
            if !confirm("Carry this out?", yes, "--yes")? {
                eprintln!("nothing changed");
                return Ok(ExitCode::SUCCESS);
            }
            let mut books = Books {
                archive,
                store: &mut p.store,
                blobs: &blobs,
            };
            let report = subject.erase(&mut books, &erasure, &p.compliance, &by)?;
            crate::outln!("\n{}", sanitize_for_terminal(&report, true));
        }
    }
    Ok(ExitCode::SUCCESS)
}
