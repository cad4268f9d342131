//! `tresen restrict MESSAGE`: a message's content for the owner only — special-category
//! data (Art. 9 GDPR) or other people's data (R-E4, R-C14) — or, by the owner, the mark
//! lifted.

use std::process::ExitCode;

use anyhow::Result;

use crate::app::i18n::Lang;
use crate::config::{Config, Paths};
use crate::domain::{MessageId, Sensitive, SensitiveMark};
use crate::error::UsageError;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum KindArg {
    /// Special category (Art. 9 GDPR): health, disability
    Art9,
    /// Other people than the customer
    ThirdParty,
}

#[derive(Debug, clap::Args)]
pub struct RestrictArgs {
    /// The message, as `tresen show` numbers it
    message: i64,
    /// What it holds
    #[arg(long, value_enum, required_unless_present = "lift")]
    kind: Option<KindArg>,
    /// Lift the mark (the owner only: everyone sees the content again)
    #[arg(long, conflicts_with = "kind")]
    lift: bool,
    /// Why (recorded in the archive)
    #[arg(long, default_value = "")]
    reason: String,
}

impl RestrictArgs {
    fn mark(&self) -> Option<Sensitive> {
        self.kind.map(|k| match k {
            KindArg::Art9 => Sensitive::Art9,
            KindArg::ThirdParty => Sensitive::ThirdParty,
        })
    }
}

/// With the profile itself (no daemon runs: its owner).
pub fn run(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    args: RestrictArgs,
) -> Result<ExitCode> {
    let lang = config.language();
    let mut p = crate::profile::open(config, paths, prompt)?;
    let blobs = p.blobs();
    let archive = p
        .archive
        .as_mut()
        .ok_or_else(|| anyhow::anyhow!("this profile has no archive"))?;
    let mut books = crate::lifecycle::Books {
        archive,
        store: &mut p.store,
        blobs: Some(&blobs),
    };
    let done = crate::lifecycle::sensitive::mark(
        &mut books,
        MessageId(args.message),
        args.mark(),
        &args.reason,
        &config.staff_name(),
        lang == Lang::De,
    )
    .map_err(|e| match e {
        crate::lifecycle::LifecycleError::Refused(m) => UsageError(m).into(),
        e => anyhow::Error::from(e),
    })?;
    print(&done, args.message, lang)
}

/// Through the daemon.
pub fn attached(
    rt: &tokio::runtime::Runtime,
    remote: &crate::seat::remote::Remote,
    args: RestrictArgs,
    lang: Lang,
) -> Result<ExitCode> {
    let order = crate::protocol::Order::MarkSensitive {
        message: MessageId(args.message),
        mark: args.mark(),
        reason: args.reason.clone(),
        german: lang == Lang::De,
    };
    let done = rt
        .block_on(crate::seat::Seat::order(remote, order, ""))
        .map_err(UsageError)?;
    let mark = done
        .sensitive
        .ok_or_else(|| anyhow::anyhow!("the daemon did not say what it did"))?;
    print(&mark, args.message, lang)
}

fn print(mark: &SensitiveMark, message: i64, lang: Lang) -> Result<ExitCode> {
    let de = lang == Lang::De;
    match (mark.mark, de) {
        (Some(s), true) => crate::outln!(
            "Nachricht {message} eingeschränkt – {}: nur die Inhaberin oder der Inhaber sieht den Inhalt",
            s.describe(true)
        ),
        (Some(s), false) => crate::outln!(
            "message {message} restricted – {}: only the owner sees its content",
            s.describe(false)
        ),
        (None, true) => crate::outln!("Nachricht {message}: Markierung aufgehoben"),
        (None, false) => crate::outln!("message {message}: mark lifted"),
    }
    Ok(ExitCode::SUCCESS)
}
