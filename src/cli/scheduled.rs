//! `tresen send --at`: a message kept to go out later, by whichever engine runs then
//! (the daemon; without one, the next `tresen` or `sync --once`).

use std::process::ExitCode;

use anyhow::Result;

use crate::app::i18n::Lang;
use crate::cli::common::runtime;
use crate::config::Config;
use crate::domain::Timestamp;
use crate::engine::EngineOptions;
use crate::error::UsageError;
use crate::profile::{OpenProfile, Session};
use crate::protocol::{Done, Order};
use crate::seat::Seat as _;
use crate::seat::remote::Remote;

/// A scheduled message goes out without document tags: a template that brings some
/// (the Widerrufsbelehrung an order waits for, an Angebot's footer) is sent now or not.
pub(crate) fn untagged(options: &crate::engine::SendOptions, lang: Lang) -> Result<(), UsageError> {
    if options.tags.is_empty() && !options.vordruck {
        return Ok(());
    }
    Err(UsageError(match lang {
        Lang::De => format!(
            "diese Vorlage sendet die Nachricht als {}, und geplante Nachrichten gehen ohne Kennzeichnung: ohne --at senden",
            options.tags.join(", ")
        ),
        Lang::En => format!(
            "this template sends the message as {}, and scheduled messages go without tags: send it without --at",
            options.tags.join(", ")
        ),
    }))
}

/// The time `--at` names (local time: "2026-12-07 08:00", "Mo 8:00", "morgen 14 Uhr").
pub(crate) fn due_of(text: &str, lang: Lang) -> Result<Timestamp, UsageError> {
    crate::app::when::parse(text, Timestamp::now()).map_err(|e| {
        UsageError(match (e, lang) {
            (crate::app::when::WhenError::Past, Lang::De) => {
                format!("--at „{text}“ liegt in der Vergangenheit")
            }
            (crate::app::when::WhenError::Past, Lang::En) => {
                format!("--at \"{text}\" is in the past")
            }
            (crate::app::when::WhenError::Unreadable, Lang::De) => format!(
                "--at „{text}“ nicht verstanden; z. B. \"2026-12-07 08:00\", \"24.12. 10:00\", \"Mo 8:00\""
            ),
            (crate::app::when::WhenError::Unreadable, Lang::En) => format!(
                "--at \"{text}\" not understood; e.g. \"2026-12-07 08:00\", \"24.12. 10:00\", \"Mon 8:00\""
            ),
        })
    })
}

fn said(id: &str, due: Timestamp, attached: bool, lang: Lang) -> Result<()> {
    let when = due.to_local().format("%d.%m.%Y %H:%M");
    match lang {
        Lang::De => {
            crate::outln!("Geplant für {when} (ID {id}).");
            if attached {
                crate::outln!(
                    "Der Dienst sendet sie dann, mit Einwilligungs- und Pflichtangaben-Regeln von dann."
                );
            } else {
                crate::outln!(
                    "Gesendet wird sie von dem tresen, das dann läuft (Dienst, Posteingang oder `tresen sync --once`); \
                     läuft zu der Zeit keins, beim nächsten Start (verspätet markiert; mehr als {} h zu spät: nicht gesendet, sondern vermerkt).",
                    crate::engine::DEFAULT_MAX_LATE / Timestamp::HOUR
                );
            }
        }
        Lang::En => {
            crate::outln!("Scheduled for {when} (id {id}).");
            if attached {
                crate::outln!(
                    "The daemon sends it then, under the consent and footer rules of then."
                );
            } else {
                crate::outln!(
                    "It is sent by whichever tresen runs then (the daemon, the inbox or `tresen sync --once`); \
                     if none runs, at the next start (marked late; more than {} h late: not sent, but noted).",
                    crate::engine::DEFAULT_MAX_LATE / Timestamp::HOUR
                );
            }
        }
    }
    Ok(())
}

/// Without a daemon: an engine of its own keeps it, and stops again.
pub(crate) fn local(
    config: &Config,
    profile: OpenProfile,
    connectors: Vec<Box<dyn crate::connector::Connector>>,
    key: &str,
    text: String,
    due: Timestamp,
) -> Result<ExitCode> {
    let lang = config.language();
    let conversation = crate::cli::inbox::find(&profile.store, key, config)?;
    let staff = config.staff_name();
    let id = on_own_engine(config, profile, connectors, |handle| async move {
        handle.schedule(conversation.id, text, staff, due).await
    })?;
    said(&id, due, false, lang)?;
    Ok(ExitCode::SUCCESS)
}

/// Through the daemon, under the seat's staff name.
pub(crate) async fn through_daemon(
    remote: &Remote,
    key: &str,
    text: String,
    due: Timestamp,
    lang: Lang,
) -> Result<ExitCode> {
    let conversation = crate::cli::seat::find(remote, key, lang).await?;
    let done: Done = remote
        .order(
            Order::Schedule {
                conversation: conversation.id,
                body: text,
                due,
            },
            "",
        )
        .await
        .map_err(UsageError)?;
    said(&done.scheduled.unwrap_or_default(), due, true, lang)?;
    Ok(ExitCode::SUCCESS)
}

fn withdrawn(id: &str, lang: Lang) -> Result<()> {
    match lang {
        Lang::De => crate::outln!("Zurückgezogen: {id} wird nicht gesendet."),
        Lang::En => crate::outln!("Withdrawn: {id} will not be sent."),
    }
    Ok(())
}

/// `tresen unschedule ID` without a daemon. The engine it starts also sends what has
/// fallen due meanwhile, so it gets the accounts' connectors.
pub(crate) fn cancel_local(
    config: &Config,
    profile: OpenProfile,
    connectors: Vec<Box<dyn crate::connector::Connector>>,
    id: String,
) -> Result<ExitCode> {
    let lang = config.language();
    let (staff, which) = (config.staff_name(), id.clone());
    on_own_engine(config, profile, connectors, |handle| async move {
        handle.cancel_scheduled(which, staff).await
    })?;
    withdrawn(&id, lang)?;
    Ok(ExitCode::SUCCESS)
}

/// `tresen unschedule ID` through the daemon.
pub(crate) async fn cancel_through_daemon(
    remote: &Remote,
    id: String,
    lang: Lang,
) -> Result<ExitCode> {
    remote
        .order(Order::CancelScheduled { id: id.clone() }, "")
        .await
        .map_err(|e| UsageError(crate::app::reasons::in_lang(&e, lang)))?;
    withdrawn(&id, lang)?;
    Ok(ExitCode::SUCCESS)
}

/// Starts an engine of its own on `profile`, runs `work` on its handle, stops it again.
/// An engine's refusal is a usage error (exit 2).
fn on_own_engine<T, F>(
    config: &Config,
    profile: OpenProfile,
    connectors: Vec<Box<dyn crate::connector::Connector>>,
    work: impl FnOnce(crate::engine::EngineHandle) -> F,
) -> Result<T>
where
    F: std::future::Future<Output = Result<T, crate::engine::EngineError>>,
{
    runtime()?.block_on(async {
        let (engine, handle, _held) = Session::start(
            profile,
            connectors,
            EngineOptions::default(),
            config.staff_name(),
        )?
        .into_parts();
        let engine_task = tokio::spawn(engine.run());
        let r = work(handle.clone()).await;
        handle.shutdown().await;
        let _ = engine_task.await;
        Ok(r.map_err(|e| {
            UsageError(crate::app::reasons::in_lang(
                &e.to_string(),
                config.language(),
            ))
        })?)
    })
}
