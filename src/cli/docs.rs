//! `tresen docs verfahrensdoku`: the GoBD process documentation (`crate::procdoc`),
//! printed or written to a file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Subcommand;

use crate::config::{Config, Paths};

#[derive(Debug, Subcommand)]
pub enum DocsCommand {
    /// The GoBD process documentation (Verfahrensdokumentation) for tresen, in German
    ///
    /// Generated from the configuration in force: accounts, retention rules, archive
    /// format and keys, backups. Each changed version is kept (10 years, like the
    /// documentation itself must be) with a list of what changed. Complete the parts
    /// marked [auszufüllen] and file it with the firm's other process documentation.
    Verfahrensdoku {
        /// Also write the current version to this file
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

pub fn run(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: DocsCommand,
) -> Result<ExitCode> {
    let DocsCommand::Verfahrensdoku { out } = cmd;
    let p = crate::profile::open_read_only(config, paths, prompt)?;
    let public = crate::archive::manifest::Signer::new(&p.key).public_hex();
    let (number, text) = crate::procdoc::current(config, &p.paths, &public)?;
    deliver(number, &text, out.as_deref(), config.language())
}

/// Prints version `number`, or writes it to `out`.
pub(crate) fn deliver(
    number: u32,
    text: &str,
    out: Option<&std::path::Path>,
    lang: crate::app::i18n::Lang,
) -> Result<ExitCode> {
    use crate::app::i18n::Lang;
    if let Some(path) = out {
        std::fs::write(path, text).with_context(|| match lang {
            Lang::De => format!("{} kann nicht geschrieben werden", path.display()),
            Lang::En => format!("cannot write {}", path.display()),
        })?;
        match lang {
            Lang::De => eprintln!("Version {number} nach {} geschrieben", path.display()),
            Lang::En => eprintln!("Version {number} written to {}", path.display()),
        }
    } else {
        crate::out!("{text}");
    }
    Ok(ExitCode::SUCCESS)
}
