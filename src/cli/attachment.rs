//! `tresen attachment save|open`: the bytes of a message's attachment, from the
//! attachment store or, the first time, downloaded through the account's connector.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};

use crate::app::i18n::Lang;
use crate::attachment_io;
use crate::cli::common::runtime;
use crate::config::Config;
use crate::domain::{Attachment, MessageId, safe_file_name, sanitize_for_terminal};
use crate::engine::EngineOptions;
use crate::error::UsageError;
use crate::profile::Session;
use crate::profile::{self, OpenProfile};
use crate::store::StoreRead as _;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum AttachmentCommand {
    /// Save an attachment to a file
    ///
    /// `tresen show` lists attachments as [attachment MESSAGE/INDEX]; pass that.
    /// Without --out the file is saved under its own name in the current directory.
    Save {
        /// MESSAGE or MESSAGE/INDEX, as `tresen show` prints it (INDEX defaults to 1)
        attachment: String,
        /// File or directory to save to
        #[arg(long, short, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Replace an existing file
        #[arg(long)]
        force: bool,
        /// Seconds to wait for the download
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// Open an attachment with the desktop's default application (xdg-open)
    ///
    /// The file is decrypted into a private temporary directory (in $XDG_RUNTIME_DIR
    /// when there is one) for the viewer; tresen's own copy stays encrypted.
    Open {
        /// MESSAGE or MESSAGE/INDEX, as `tresen show` prints it
        attachment: String,
        /// Seconds to wait for the download
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
}

type Loaded = (Attachment, zeroize::Zeroizing<Vec<u8>>);

pub fn run(config: &Config, profile: OpenProfile, cmd: AttachmentCommand) -> Result<ExitCode> {
    deliver(cmd, config.language(), |message, index, timeout| {
        load(config, profile, message, index, timeout)
    })
}

/// As a seat of the running daemon: it downloads if needed and hands the bytes over.
pub(crate) fn run_attached(
    rt: &tokio::runtime::Runtime,
    remote: &crate::seat::remote::Remote,
    cmd: AttachmentCommand,
    lang: Lang,
) -> Result<ExitCode> {
    deliver(cmd, lang, |message, index, timeout| {
        rt.block_on(load_remote(remote, message, index, timeout))
    })
}

async fn load_remote(
    remote: &crate::seat::remote::Remote,
    message: MessageId,
    index: usize,
    timeout: u64,
) -> Result<Loaded> {
    use crate::seat::Seat as _;
    let m = remote
        .message(message)
        .await
        .map_err(|e| anyhow!(e.message))?
        .ok_or_else(|| UsageError(format!("no message {}", message.0)))?;
    let meta = attachment_of(&m, index)?;
    if meta.blob.is_none() {
        eprintln!("downloading {} …", sanitize_for_terminal(&meta.name, false));
    }
    let (_, bytes) = tokio::time::timeout(
        Duration::from_secs(timeout),
        remote.attachment(message, index),
    )
    .await
    .map_err(|_| {
        anyhow!("the download did not finish within {timeout} s (raise --timeout for large files)")
    })?
    .map_err(|e| anyhow!(e))?;
    Ok((meta, zeroize::Zeroizing::new(bytes)))
}

fn attachment_of(m: &crate::domain::Message, index: usize) -> Result<Attachment, UsageError> {
    m.attachments.get(index).cloned().ok_or_else(|| {
        UsageError(format!(
            "message {} has {} attachment(s); there is no number {}",
            m.id.0,
            m.attachments.len(),
            index + 1
        ))
    })
}

fn deliver(
    cmd: AttachmentCommand,
    lang: Lang,
    load: impl FnOnce(MessageId, usize, u64) -> Result<Loaded>,
) -> Result<ExitCode> {
    match cmd {
        AttachmentCommand::Save {
            attachment,
            out,
            force,
            timeout,
        } => {
            let (message, index) = parse_spec(&attachment, lang)?;
            let (meta, bytes) = load(message, index, timeout)?;
            let target = target_path(out.as_deref(), &meta)?;
            if target.exists() && !force {
                return Err(UsageError(if lang == Lang::De {
                    format!(
                        "{} gibt es schon; ein anderes --out wählen oder mit --force ersetzen",
                        target.display()
                    )
                } else {
                    format!(
                        "{} exists; choose another --out or add --force to replace it",
                        target.display()
                    )
                })
                .into());
            }
            std::fs::write(&target, &bytes)
                .with_context(|| format!("cannot write {}", target.display()))?;
            crate::outln!(
                "{} {} ({}) {} {}",
                lang.t("gespeichert:", "saved"),
                sanitize_for_terminal(&meta.name, false),
                crate::ui::text::human_size_in(bytes.len() as u64, lang),
                lang.t("unter", "to"),
                target.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        AttachmentCommand::Open {
            attachment,
            timeout,
        } => {
            let (message, index) = parse_spec(&attachment, lang)?;
            let (meta, bytes) = load(message, index, timeout)?;
            let path = attachment_io::open_copy(&meta.name, &bytes)
                .context("cannot write the copy for the viewer")?;
            attachment_io::open_with_desktop(&path)
                .map_err(|e| UsageError(attachment_io::not_opened(&path, &e, lang == Lang::De)))?;
            crate::outln!("{} {}", lang.t("geöffnet:", "opened"), path.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `1234` or `1234/2` (attachments are counted from 1, as `tresen show` prints them).
fn parse_spec(spec: &str, lang: Lang) -> Result<(MessageId, usize), UsageError> {
    let bad = || {
        UsageError(match lang {
            Lang::De => format!(
                "`{spec}` ist kein Anhang: NACHRICHT oder NACHRICHT/NR angeben, wie `tresen show` sie zeigt (z. B. 1234/1)"
            ),
            Lang::En => format!(
                "`{spec}` is not an attachment: use MESSAGE or MESSAGE/INDEX as `tresen show` prints it (e.g. 1234/1)"
            ),
        })
    };
    let (m, i) = spec.split_once('/').unwrap_or((spec, "1"));
    let message: i64 = m.trim().parse().map_err(|_| bad())?;
    let index: usize = i.trim().parse().map_err(|_| bad())?;
    if index == 0 {
        return Err(bad());
    }
    Ok((MessageId(message), index - 1))
}

/// The attachment's description and bytes; downloads through the account's connector
/// when the attachment store does not have it yet.
fn load(
    config: &Config,
    profile: OpenProfile,
    message: MessageId,
    index: usize,
    timeout: u64,
) -> Result<Loaded> {
    let m = profile
        .store
        .message(message)?
        .ok_or_else(|| UsageError(format!("no message {}", message.0)))?;
    let meta = attachment_of(&m, index)?;
    let blobs = profile.blobs();
    if let Some(blob) = &meta.blob
        && blobs.contains(blob)
    {
        let bytes = blobs.get(blob)?;
        return Ok((meta, bytes));
    }
    let connectors = profile::connectors(config, &profile)?;
    let rt = runtime()?;
    let blob = rt.block_on(async {
        let (engine, handle, _held) = Session::start(
            profile,
            connectors,
            EngineOptions::default(),
            config.staff_name(),
        )?
        .into_parts();
        let task = tokio::spawn(engine.run());
        eprintln!("downloading {} …", sanitize_for_terminal(&meta.name, false));
        let r =
            tokio::time::timeout(Duration::from_secs(timeout), handle.fetch(message, index)).await;
        handle.shutdown().await;
        let _ = task.await;
        match r {
            Ok(r) => r.map_err(anyhow::Error::from),
            Err(_) => Err(anyhow!(
                "the download did not finish within {timeout} s (raise --timeout for large files)"
            )),
        }
    })?;
    Ok((meta, blobs.get(&blob)?))
}

fn target_path(out: Option<&Path>, meta: &Attachment) -> Result<PathBuf> {
    let name = safe_file_name(&meta.name);
    Ok(match out {
        Some(p) if p.is_dir() => p.join(name),
        Some(p) => p.to_path_buf(),
        None => std::env::current_dir()
            .context("cannot find the current directory")?
            .join(name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_specs() {
        assert_eq!(parse_spec("12", Lang::En).unwrap(), (MessageId(12), 0));
        assert_eq!(parse_spec("12/3", Lang::En).unwrap(), (MessageId(12), 2));
        for bad in ["", "x", "12/0", "12/", "/1", "-"] {
            assert!(parse_spec(bad, Lang::De).is_err(), "{bad}");
        }
    }
}
