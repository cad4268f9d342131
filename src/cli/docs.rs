//! `tresen docs verfahrensdoku|vvt`: the GoBD process documentation and the Art. 30
//! record (`crate::procdoc`), printed or written to a file.

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
    /// The record of processing activities (Art. 30 GDPR, VVT), in German
    ///
    /// The entry "Kundenkommunikation über Messenger", generated from the
    /// configuration: the firm, purposes and legal bases, data subjects and data,
    /// recipients and processors from [[processors]], the channels and their risk,
    /// third-country transfers, the retention rules and the measures tresen takes.
    /// Versions are kept like the process documentation's. Complete the parts marked
    /// [auszufüllen].
    Vvt {
        /// Write the current version to this file instead of printing it
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Everything a Betriebsprüfer or data-protection officer asks for, in a new directory
    ///
    /// All kept versions of the Verfahrensdokumentation and the VVT (with the measures
    /// tresen takes), every configuration the archive recorded and from them the consent
    /// wordings, privacy notices, processors and retention rules as they were, the usage
    /// policy template, every archived `compliance check` report, and manifest.sha256
    /// (check with `sha256sum -c manifest.sha256`).
    Bundle {
        /// The directory to create (must not exist)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

impl DocsCommand {
    /// What to ask a running daemon for, and where the answer goes.
    pub fn ask(self) -> (crate::protocol::books::Ask, Option<PathBuf>) {
        use crate::protocol::books::Ask;
        match self {
            DocsCommand::Verfahrensdoku { out } => (Ask::Verfahrensdoku, out),
            DocsCommand::Vvt { out } => (Ask::Vvt, out),
            DocsCommand::Bundle { out } => (Ask::DocsBundle, Some(out)),
        }
    }
}

pub fn run(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: DocsCommand,
) -> Result<ExitCode> {
    let p = crate::profile::open_read_only(config, paths, prompt)?;
    let (number, text, out) = match cmd {
        DocsCommand::Verfahrensdoku { out } => {
            let public = crate::archive::manifest::Signer::new(&p.key).public_hex();
            let (n, t) = crate::procdoc::current(config, &p.paths, &public)?;
            (n, t, out)
        }
        DocsCommand::Vvt { out } => {
            let (n, t) = crate::procdoc::vvt::current(config, &p.paths)?;
            (n, t, out)
        }
        DocsCommand::Bundle { out } => {
            crate::lifecycle::refuse_existing(&out)?;
            let public = crate::archive::manifest::Signer::new(&p.key).public_hex();
            let (files, summary) = crate::procdoc::bundle::make(config, &p.paths, &public, &p.key)?;
            crate::lifecycle::Files(files).write_new_dir(&out)?;
            return bundled(&summary, &out, config.language());
        }
    };
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

/// What `docs bundle` wrote.
pub(crate) fn bundled(
    s: &crate::procdoc::bundle::Summary,
    out: &std::path::Path,
    lang: crate::app::i18n::Lang,
) -> Result<ExitCode> {
    use crate::app::i18n::Lang;
    match lang {
        Lang::De => crate::outln!(
            "{} Dateien nach {} geschrieben ({} archivierte Konfigurationen, {} Prüfberichte); Prüfsummen in manifest.sha256",
            s.files,
            out.display(),
            s.configurations,
            s.reports
        ),
        Lang::En => crate::outln!(
            "{} files written to {} ({} archived configurations, {} compliance reports); hashes in manifest.sha256",
            s.files,
            out.display(),
            s.configurations,
            s.reports
        ),
    }
    Ok(ExitCode::SUCCESS)
}
