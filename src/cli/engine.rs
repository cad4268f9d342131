//! The commands that run the engine without the TUI: `sync --once`, `daemon`, `send`,
//! and what they report about the messages they handed to the networks.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};

use crate::app::i18n::Lang;
use crate::cli::common::runtime;
use crate::cli::inbox::{delivery_word, find, safe};
use crate::config::Config;
use crate::domain::Delivery;
use crate::engine::{EngineHandle, EngineOptions};
use crate::profile::{OpenProfile, Session};
use crate::store::StoreRead;

pub(crate) fn sync_once(
    profile: OpenProfile,
    connectors: Vec<Box<dyn crate::connector::Connector>>,
    timeout: u64,
    lang: Lang,
) -> Result<ExitCode> {
    if connectors.is_empty() {
        crate::outln!(
            "{}",
            lang.t(
                "nichts abzugleichen: keine Konten eingerichtet",
                "nothing to sync: no accounts configured"
            )
        );
        return Ok(ExitCode::SUCCESS);
    }
    let before = profile.store.stats()?;
    let rt = runtime()?;
    rt.block_on(async {
        let (engine, handle, _held) = Session::start(
            profile,
            connectors,
            EngineOptions {
                exit_when_caught_up: true,
                settle: Duration::from_secs(timeout),
                ..EngineOptions::default()
            },
            "tresen sync".into(),
        )?
        .into_parts();
        engine.run().await?;
        let after = handle.store().lock().stats()?;
        for (account, health) in handle.health() {
            if let crate::domain::Health::Offline(reason) | crate::domain::Health::Degraded(reason) = &health
                && reason != "stopped"
            {
                eprintln!(
                    "{account}: {}",
                    safe(&crate::app::reasons::health_reason(reason, lang))
                );
            }
        }
        let (new, total) = (
            after.messages.saturating_sub(before.messages),
            after.conversations,
        );
        let new = lang.count(new, ("neue Nachricht", "neue Nachrichten"), ("new message", "new messages"));
        let total = lang.count(total, ("Unterhaltung", "Unterhaltungen"), ("conversation", "conversations"));
        match lang {
            Lang::De => crate::outln!("abgeglichen: {new}, insgesamt {total}"),
            Lang::En => crate::outln!("synced: {new}, {total} in total"),
        }
        report_sends(&handle, timeout, None, lang)
    })
}

/// What became of the messages this run handed to the networks: a line for each one
/// that did not go out, and the exit code (0 all sent, 1 one failed, 3 one pending).
/// `quiet` are messages the caller reports itself.
fn report_sends(
    handle: &EngineHandle,
    timeout: u64,
    quiet: Option<&[crate::domain::MessageId]>,
    lang: Lang,
) -> Result<ExitCode> {
    let store = handle.store();
    let (mut sent, mut failed, mut pending) = (0, 0, 0);
    for id in &handle.sends().handed {
        let Some(m) = store.read(|s| s.message(*id))? else {
            continue;
        };
        let title = store
            .read(|s| s.conversation(m.conversation))?
            .map(|c| safe(&c.title))
            .unwrap_or_default();
        let what = match (m.sender == crate::engine::AUTOMATIC, lang) {
            (true, Lang::De) => "Der automatische Erstkontakt-Hinweis",
            (true, Lang::En) => "The automatic first-contact notice",
            (false, Lang::De) => "Nachricht",
            (false, Lang::En) => "Message",
        };
        let mine = quiet.is_some_and(|q| q.contains(id));
        match m.delivery {
            d if d.is_sent() => sent += 1,
            Delivery::Pending => {
                pending += 1;
                if !mine {
                    eprintln!("{what} {} → {title}: {}", id.0, no_answer(lang, timeout));
                }
            }
            _ => {
                failed += 1;
                if !mine {
                    eprintln!("{what} {} → {title}: {}", id.0, not_sent(lang, &m));
                }
            }
        }
    }
    if quiet.is_none() && sent > 0 {
        match lang {
            Lang::De => crate::outln!("Nachrichten gesendet: {sent}"),
            Lang::En => crate::outln!("sent: {sent} messages"),
        }
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else if pending > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// A message the network has not answered within the wait.
fn no_answer(lang: Lang, timeout: u64) -> String {
    match lang {
        Lang::De => format!(
            "keine Antwort des Netzes in {timeout} s; sie bleibt ausstehend und wird beim nächsten Start gesendet"
        ),
        Lang::En => format!(
            "no answer from the network within {timeout} s; it stays pending and is sent again at the next start"
        ),
    }
}

/// A message that did not go out (failed, or unclear whether it did), and why.
pub(crate) fn not_sent(lang: Lang, m: &crate::domain::Message) -> String {
    let why = crate::domain::failure_text(
        m.failure
            .as_deref()
            .unwrap_or(lang.t("siehe Protokoll", "see the log")),
        lang == Lang::De,
    );
    let state = match (m.delivery, lang) {
        (Delivery::Unclear, Lang::De) => "Zustellung unklar",
        (Delivery::Unclear, Lang::En) => "delivery unclear",
        (_, Lang::De) => "NICHT gesendet",
        (_, Lang::En) => "NOT sent",
    };
    format!("{state}: {}", safe(why))
}

pub(crate) fn daemon(
    config: &Config,
    profile: OpenProfile,
    connectors: Vec<Box<dyn crate::connector::Connector>>,
) -> Result<ExitCode> {
    let lang = config.language();
    let rt = runtime()?;
    rt.block_on(async {
        let socket_path = profile.paths.socket.clone();
        let office = crate::profile::office(config, &profile);
        // The lock is ours, so a socket already there is a crashed daemon's.
        let mut listening = crate::daemon::socket::listen(&socket_path, &config.daemon.socket_group)?;
        let (engine, handle, held) = Session::start(
            profile,
            connectors,
            EngineOptions::default(),
            config.staff_name(),
        )?
        .into_parts();
        let daemon = crate::daemon::Daemon::new(
            handle.clone(),
            config,
            socket_path.clone(),
            Some(office),
        );
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(None);
        let Some(listener) = listening.take_listener() else {
            return Err(anyhow!("the socket was not listening"));
        };
        let server = tokio::spawn(crate::daemon::server::serve(
            listener,
            std::sync::Arc::clone(&daemon),
            stop_rx,
        ));
        match lang {
            Lang::De => eprintln!(
                "tresen-Dienst läuft (PID {}, Daten {}, Socket {}); beenden mit SIGTERM oder Strg+C",
                std::process::id(),
                held.paths.data_dir.display(),
                socket_path.display()
            ),
            Lang::En => eprintln!(
                "tresen daemon running (PID {}, data {}, socket {}); stop with SIGTERM or Ctrl+C",
                std::process::id(),
                held.paths.data_dir.display(),
                socket_path.display()
            ),
        }
        tracing::info!(pid = std::process::id(), socket = %socket_path.display(), "daemon started");
        let engine_task = tokio::spawn(engine.run());
        let checks = tokio::spawn(crate::daemon::integrity::run(
            handle.clone(),
            std::sync::Arc::clone(&daemon.office),
        ));
        crate::daemon::sd_notify("READY=1");
        let why = signals(config, &held.paths, &daemon).await?;
        crate::daemon::sd_notify("STOPPING=1");
        let _ = stop_tx.send(Some(why));
        let _ = server.await;
        checks.abort();
        drop(listening);
        handle.shutdown().await;
        engine_task
            .await
            .map_err(|e| anyhow!("engine task failed: {e}"))??;
        tracing::info!("daemon stopped cleanly");
        eprintln!("{}", lang.t("tresen-Dienst beendet", "tresen daemon stopped"));
        Ok(ExitCode::SUCCESS)
    })
}

/// Runs until SIGTERM or SIGINT (returns why, for the seats); SIGHUP reloads the
/// configuration's staff list (the rest needs a restart), keeping the old one if the
/// file is invalid.
#[cfg(unix)]
async fn signals(
    config: &Config,
    paths: &crate::config::Paths,
    daemon: &crate::daemon::Daemon,
) -> Result<String> {
    use tokio::signal::unix::{SignalKind, signal};
    let lang = config.language();
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut hup = signal(SignalKind::hangup()).context("cannot listen for SIGHUP")?;
    loop {
        tokio::select! {
            _ = term.recv() => {
                tracing::info!("SIGTERM: shutting down");
                return Ok(lang.t("Der Dienst wird beendet (SIGTERM)", "the daemon is stopping (SIGTERM)").into());
            }
            _ = tokio::signal::ctrl_c() => {
                tracing::info!("SIGINT: shutting down");
                return Ok(lang.t("Der Dienst wird beendet (SIGINT)", "the daemon is stopping (SIGINT)").into());
            }
            _ = hup.recv() => {
                crate::daemon::sd_notify("RELOADING=1");
                match Config::load(paths.config_file.as_deref()) {
                    Ok(new) => {
                        daemon.reload_staff(new.staff.clone());
                        tracing::info!(staff = new.staff.len(), "SIGHUP: [[staff]] reloaded; other changes take effect at the next start");
                    }
                    Err(e) => tracing::error!(error = %e, "SIGHUP: configuration invalid, the old one stays in force"),
                }
                crate::daemon::sd_notify("READY=1");
            }
        }
    }
}

#[cfg(not(unix))]
async fn signals(
    _config: &Config,
    _paths: &crate::config::Paths,
    _daemon: &crate::daemon::Daemon,
) -> Result<String> {
    tokio::signal::ctrl_c()
        .await
        .context("cannot listen for Ctrl-C")?;
    Ok("Ctrl-C".into())
}

pub(crate) fn send(
    config: &Config,
    profile: OpenProfile,
    connectors: Vec<Box<dyn crate::connector::Connector>>,
    key: &str,
    (text, files, options): (
        String,
        Vec<crate::engine::NewFile>,
        crate::engine::SendOptions,
    ),
    timeout: u64,
) -> Result<ExitCode> {
    let lang = config.language();
    let conversation = find(&profile.store, key, config)?;
    let rt = runtime()?;
    rt.block_on(async {
        let (engine, handle, _held) = Session::start(
            profile,
            connectors,
            EngineOptions::default(),
            config.staff_name(),
        )?
        .into_parts();
        let mut bus = handle.subscribe();
        let engine_task = tokio::spawn(engine.run());
        let staff = config.staff_name();
        let id = match handle
            .send_with(conversation.id, text, files, staff.clone(), options)
            .await
        {
            Ok(id) => id,
            Err(e) => {
                handle.shutdown().await;
                let _ = engine_task.await;
                return Err(e.into());
            }
        };
        // Everything handed over in this run: a long text cut into parts (the
        // footer in the last), a notice owed before it, what an earlier run left.
        let answered = tokio::time::timeout(Duration::from_secs(timeout), async {
            while !handle.sends().in_flight.is_empty() {
                match bus.recv().await {
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => break,
                }
            }
        })
        .await
        .is_ok();
        handle.shutdown().await;
        let _ = engine_task.await;
        // This message's parts: what this run handed over from it on, from us.
        let handed = handle.sends().handed;
        let store = handle.store();
        let ours: Vec<crate::domain::Message> = store
            .read(|s| s.messages(conversation.id, None, 1000))?
            .into_iter()
            .filter(|m| m.id >= id && m.sender == staff && handed.contains(&m.id))
            .collect();
        let mine: Vec<_> = ours.iter().map(|m| m.id).collect();
        let others = report_sends(&handle, timeout, Some(&mine), lang)?;
        if let Some(m) = ours
            .iter()
            .find(|m| matches!(m.delivery, Delivery::Failed | Delivery::Unclear))
        {
            let what = lang.t("Nachricht", "message");
            return Err(anyhow!("{what} {}: {}", m.id.0, not_sent(lang, m)));
        }
        if !answered || ours.iter().any(|m| m.delivery == Delivery::Pending) {
            let what = lang.t("Nachricht", "message");
            eprintln!("{what} {}: {}", id.0, no_answer(lang, timeout));
            return Ok(ExitCode::from(3));
        }
        print_sent(id, &ours, lang)?;
        Ok(others)
    })
}

/// The outcome of a send as the command line says it: how many parts (a long text is cut
/// at the network's limit) and the last part's delivery.
pub(crate) fn print_sent(
    id: crate::domain::MessageId,
    parts: &[crate::domain::Message],
    lang: Lang,
) -> Result<()> {
    if parts.len() > 1 {
        match lang {
            Lang::De => crate::outln!(
                "als {} Nachrichten gesendet (Längengrenze des Netzes)",
                parts.len()
            ),
            Lang::En => crate::outln!(
                "sent as {} messages (the network's length limit)",
                parts.len()
            ),
        }
    }
    let last = parts.last().map_or(Delivery::Sent, |m| m.delivery);
    crate::outln!(
        "{} {} {}",
        lang.t("Nachricht", "message"),
        id.0,
        delivery_word(last, lang)
    );
    Ok(())
}
