//! Commands as seats of a running daemon: `status`, and `send`, `assign` and the inbox
//! when a daemon owns the profile (they go through it instead of opening the profile).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, anyhow};

use crate::app::i18n::Lang;
use crate::cli::inbox::safe;
use crate::config::Paths;
use crate::domain::{Delivery, LocalChange};
use crate::error::UsageError;
use crate::protocol::{Done, Order};
use crate::seat::Seat as _;
use crate::seat::remote::Remote;

pub(crate) use crate::cli::common::attach;

/// R-F1 beyond the inbox: working with the office's chats from the command line needs
/// the usage policy in force accepted, as the inbox does (it asks for it itself).
pub(crate) fn policy_accepted(remote: &Remote, lang: Lang) -> Result<()> {
    match &remote.hello().policy {
        Some(status) if !status.current() => Err(UsageError(
            lang.t(
                "Die Nutzungsrichtlinie in ihrer aktuellen Fassung ist von Ihnen noch nicht angenommen: zuerst den Posteingang öffnen (tresen), lesen und annehmen",
                "you have not accepted the usage policy in force: open the inbox (tresen) first, read it and accept it",
            )
            .into(),
        )
        .into()),
        _ => Ok(()),
    }
}

/// `tresen sync --once` beside the daemon: it already does that.
pub(crate) fn sync_attached(remote: &Remote, lang: Lang) -> Result<ExitCode> {
    let pid = remote.hello().pid;
    match lang {
        Lang::De => crate::outln!(
            "Der Dienst (PID {pid}) gleicht laufend ab und sendet; nichts weiter zu tun"
        ),
        Lang::En => {
            crate::outln!("the daemon (PID {pid}) syncs and sends continuously; nothing more to do")
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `tresen status`: whether a daemon owns the profile, and how it is.
pub(crate) fn status(paths: &Paths, lang: Lang, json: bool) -> Result<ExitCode> {
    let rt = crate::cli::common::runtime()?;
    let remote = rt.block_on(attach(paths, lang))?;
    let Some(remote) = remote else {
        let holder = crate::profile::ProfileLock::holder(&paths.data_dir)?;
        if json {
            crate::outln!(
                "{}",
                serde_json::json!({"daemon": false, "socket": paths.socket.display().to_string(), "profile_in_use_by_pid": holder})
            );
        } else {
            match (lang, &holder) {
                (Lang::De, None) => crate::outln!(
                    "Kein Dienst läuft für dieses Profil (Socket {}). Starten: tresen daemon",
                    paths.socket.display()
                ),
                (Lang::En, None) => crate::outln!(
                    "no daemon runs for this profile (socket {}). Start one: tresen daemon",
                    paths.socket.display()
                ),
                (Lang::De, Some(pid)) => crate::outln!(
                    "Kein Dienst antwortet; das Profil nutzt gerade PID {pid} (ein tresen ohne Dienst)."
                ),
                (Lang::En, Some(pid)) => crate::outln!(
                    "no daemon answers; the profile is in use by PID {pid} (a tresen without the daemon)."
                ),
            }
        }
        // As init systems do: 3 = not running.
        return Ok(ExitCode::from(3));
    };
    let s = rt
        .block_on(remote.status())
        .map_err(|e| anyhow!(e.message))?;
    if json {
        crate::outln!(
            "{}",
            serde_json::json!({
                "daemon": true,
                "pid": s.pid,
                "socket": s.socket,
                "uptime_secs": s.uptime_secs,
                "seats": s.seats,
                "accounts": s.accounts,
                "archive_problem": s.archive_problem,
                "archive_verified": s.archive_verified,
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    let up = uptime(lang, s.uptime_secs);
    match lang {
        Lang::De => {
            crate::outln!("Dienst läuft: PID {}, seit {up}", s.pid);
            crate::outln!("Socket: {}", s.socket);
            crate::outln!("angeschlossene Plätze: {} (dieser eingeschlossen)", s.seats);
        }
        Lang::En => {
            crate::outln!("daemon running: PID {}, up {up}", s.pid);
            crate::outln!("socket: {}", s.socket);
            crate::outln!("attached seats: {} (this one included)", s.seats);
        }
    }
    for (account, health) in &s.accounts {
        let word = match health {
            crate::domain::Health::Online => lang.t("online", "online").to_string(),
            crate::domain::Health::Connecting => lang.t("verbinde", "connecting").to_string(),
            crate::domain::Health::Degraded(d) => format!(
                "{}: {}",
                lang.t("eingeschränkt", "degraded"),
                safe(&crate::app::reasons::health_reason(d, lang))
            ),
            crate::domain::Health::Offline(d) => format!(
                "offline: {}",
                safe(&crate::app::reasons::health_reason(d, lang))
            ),
        };
        crate::outln!("  {} {word}", safe(&account.0));
    }
    match (&s.archive_verified, lang) {
        (None, Lang::De) => {
            crate::outln!("Archiv: noch nie vollständig geprüft (tresen archive verify)")
        }
        (None, Lang::En) => {
            crate::outln!("archive: never verified in full (tresen archive verify)")
        }
        (Some(v), _) => {
            let when = v.at.to_local().format("%d.%m.%Y %H:%M");
            match (v.ok, lang) {
                (true, Lang::De) => crate::outln!(
                    "Archiv zuletzt geprüft: {when}, intakt ({} Einträge)",
                    v.records
                ),
                (true, Lang::En) => crate::outln!(
                    "archive last verified: {when}, intact ({} records)",
                    v.records
                ),
                (false, Lang::De) => crate::outln!(
                    "Archiv zuletzt geprüft: {when} – BESCHÄDIGT (tresen archive verify zeigt wo)"
                ),
                (false, Lang::En) => crate::outln!(
                    "archive last verified: {when} – DAMAGED (tresen archive verify says where)"
                ),
            }
        }
    }
    if let Some(p) = &s.archive_problem {
        crate::outln!(
            "{}: {}",
            lang.t("ARCHIV NICHT BESCHREIBBAR", "ARCHIVE NOT WRITABLE"),
            safe(p)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Finds a conversation by the same keys as `show`, asking the daemon.
pub(crate) async fn find(
    remote: &Remote,
    key: &str,
    lang: Lang,
) -> Result<crate::domain::Conversation> {
    let found: Option<crate::domain::Conversation> = remote
        .call("find", &key)
        .await
        .map_err(|e| anyhow!(e.message))?;
    found.ok_or_else(|| crate::cli::common::no_conversation(key, lang))
}

/// How long the daemon has run, as people say it.
fn uptime(lang: Lang, secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (lang, d) {
        (Lang::De, 0) => format!("{h} Std. {m} Min."),
        (Lang::De, 1) => format!("1 Tag {h} Std."),
        (Lang::De, d) => format!("{d} Tagen {h} Std."),
        (Lang::En, 0) => format!("{h} h {m} min"),
        (Lang::En, 1) => format!("1 day {h} h"),
        (Lang::En, d) => format!("{d} days {h} h"),
    }
}

/// `tresen send` through the daemon: the message is the daemon's once it answered with
/// its id; then we wait for the network as a local send would.
pub(crate) async fn send(
    remote: &Remote,
    key: &str,
    (text, files, options): (
        String,
        Vec<crate::engine::NewFile>,
        crate::engine::SendOptions,
    ),
    timeout: u64,
    lang: Lang,
) -> Result<ExitCode> {
    let conversation = find(remote, key, lang).await?;
    let mut bus = remote.subscribe();
    let files = files
        .into_iter()
        .map(|f| crate::protocol::WireFile {
            name: f.name,
            mime: f.mime,
            data: f.bytes.to_vec(),
        })
        .collect();
    let done: Done = remote
        .order(
            Order::Send {
                conversation: conversation.id,
                body: text,
                files,
                reply_to: None,
                options,
            },
            "",
        )
        .await
        .map_err(UsageError)?;
    let Some(id) = done.message else {
        return Err(anyhow!("the daemon did not say which message it stored"));
    };
    let me = remote.hello().identity.name;
    let ours = |r: Remote| async move {
        let loaded = tokio::task::spawn_blocking(move || {
            r.load(crate::app::Query::Conversation {
                id: conversation.id,
                before: None,
                limit: 200,
                focus: None,
            })
        })
        .await
        .ok()?;
        match loaded {
            crate::app::Loaded::Conversation { messages, .. } => Some(messages),
            _ => None,
        }
    };
    let mine = |messages: Vec<crate::domain::Message>| -> Vec<crate::domain::Message> {
        messages
            .into_iter()
            .filter(|m| m.id >= id && m.sender == me)
            .collect()
    };
    let waited = tokio::time::timeout(Duration::from_secs(timeout), async {
        loop {
            let parts = mine(ours(remote.clone()).await.unwrap_or_default());
            if !parts.is_empty() && parts.iter().all(|m| m.delivery != Delivery::Pending) {
                return parts;
            }
            // A tag, or a second: whichever comes first (a lost tag must not hang us).
            let _ = tokio::time::timeout(Duration::from_secs(1), bus.recv()).await;
        }
    })
    .await;
    let what = lang.t("Nachricht", "message");
    let Ok(parts) = waited else {
        eprintln!(
            "{what} {}: {}",
            id.0,
            lang.t(
                "keine Antwort des Netzes in der Wartezeit; der Dienst sendet sie weiter",
                "no answer from the network within the wait; the daemon keeps sending it"
            )
        );
        return Ok(ExitCode::from(3));
    };
    if let Some(m) = parts
        .iter()
        .find(|m| matches!(m.delivery, Delivery::Failed | Delivery::Unclear))
    {
        return Err(anyhow!(
            "{what} {}: {}",
            m.id.0,
            crate::cli::engine::not_sent(lang, m)
        ));
    }
    crate::cli::engine::print_sent(id, &parts, lang)?;
    Ok(ExitCode::SUCCESS)
}

/// `tresen consent grant|withdraw` through the daemon: recorded under the seat's staff
/// name, archive first.
pub(crate) async fn consent(
    remote: &Remote,
    change: crate::cli::compliance::ConsentChange,
    lang: Lang,
) -> Result<ExitCode> {
    let c = find(remote, &change.contact, lang).await?;
    let done = remote
        .order(
            Order::Consent {
                conversation: c.id,
                action: change.action,
                purposes: change.purposes,
                method: change.method,
                evidence: change.evidence,
            },
            "",
        )
        .await
        .map_err(UsageError)?;
    let record = done
        .consent
        .ok_or_else(|| anyhow!("the daemon did not say what it recorded"))?;
    crate::cli::compliance::print_recorded(&record, lang)?;
    Ok(ExitCode::SUCCESS)
}

/// `tresen assign` through the daemon.
pub(crate) async fn assign(
    remote: &Remote,
    key: &str,
    staff: Option<String>,
    lang: Lang,
) -> Result<ExitCode> {
    let c = find(remote, key, lang).await?;
    remote
        .order(
            Order::Local {
                change: LocalChange::Assign {
                    conversation: c.id,
                    staff: staff.clone(),
                },
            },
            "",
        )
        .await
        .map_err(UsageError)?;
    match staff {
        Some(who) => crate::outln!("{} → {}", safe(&c.title), safe(&who)),
        None => crate::outln!(
            "{}: {}",
            safe(&c.title),
            lang.t("niemand zugewiesen", "nobody assigned")
        ),
    }
    Ok(ExitCode::SUCCESS)
}
