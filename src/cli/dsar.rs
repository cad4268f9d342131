//! `tresen dsar export / erase`: a customer's GDPR requests (Art. 15, 17, 20); the
//! use cases are `lifecycle::dsar`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

use crate::cli::books::Books;
use crate::config::{Config, Paths};

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
    }
}
