//! What several commands share: the async runtime, reading the archive without the
//! lock, and confirming a destructive step.

use std::io::{BufRead as _, IsTerminal as _};
use std::path::PathBuf;

use anyhow::{Context as _, Result};

use crate::archive::Archive;
use crate::archive::keys::Keys;
use crate::config::{Config, Paths};
use crate::error::UsageError;
use crate::secrets::MasterKey;

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The archive's directory and key, for commands that only read.
pub(crate) struct Reader {
    pub(crate) dir: PathBuf,
    pub(crate) key: MasterKey,
    pub(crate) live: bool,
}

impl Reader {
    pub(crate) fn keys(&self) -> Result<Keys> {
        let must = !crate::archive::segments(&self.dir)?.is_empty();
        Ok(Keys::load(&self.dir, &self.key, must)?)
    }
}

pub(crate) fn reader(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
) -> Result<Reader> {
    let p = crate::profile::open_read_only(config, paths, prompt)?;
    Ok(Reader {
        dir: Archive::dir_of(&p.paths.data_dir),
        key: p.key,
        live: p.owner.is_some(),
    })
}

/// Confirms a destructive step: --yes, or "ja"/"yes" typed on a terminal.
pub(crate) fn confirm(
    question: &str,
    yes: bool,
    flag_hint: &str,
    lang: crate::app::i18n::Lang,
) -> Result<bool> {
    use crate::app::i18n::Lang;
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(UsageError(match lang {
            Lang::De => format!("{question} — zum Bestätigen {flag_hint} angeben"),
            Lang::En => format!("{question} — add {flag_hint} to confirm"),
        })
        .into());
    }
    match lang {
        Lang::De => eprint!("{question} Zum Fortfahren „ja“ eintippen: "),
        Lang::En => eprint!("{question} Type \"ja\" (or \"yes\") to go ahead: "),
    }
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "ja" | "yes"))
}

/// One `account` request; what the owner is to fix (refused, forbidden) exits 2.
pub(crate) async fn account(
    remote: &crate::seat::remote::Remote,
    ask: &crate::protocol::accounts::AccountAsk,
) -> Result<crate::protocol::accounts::AccountDone> {
    remote.call("account", ask).await.map_err(|e| match e.code {
        crate::protocol::code::REFUSED | crate::protocol::code::FORBIDDEN => {
            anyhow::Error::from(crate::error::UsageError(e.message))
        }
        _ => anyhow::anyhow!(e.message),
    })
}

fn client() -> String {
    format!("tresen {}", env!("CARGO_PKG_VERSION"))
}

/// Attaches to the daemon that owns this profile. `Ok(None)`: no daemon listens (the
/// command opens the profile itself); an error: a daemon refused this seat.
pub(crate) async fn attach(
    paths: &Paths,
    lang: crate::app::i18n::Lang,
) -> Result<Option<crate::seat::remote::Remote>> {
    if !paths.socket.exists() {
        return Ok(None);
    }
    match crate::seat::remote::Remote::attach(&paths.socket, &client(), lang).await {
        Ok(r) => Ok(Some(r)),
        Err(crate::seat::remote::SeatError::NoDaemon(_)) => Ok(None),
        Err(crate::seat::remote::SeatError::Refused(m)) => Err(UsageError(m).into()),
        Err(e) => Err(UsageError(e.to_string()).into()),
    }
}

/// Archives a read of `scope` before it is shown (see [`record_read`]).
pub(crate) type RecordRead<'a> = &'a dyn Fn(&str) -> Result<()>;

/// Staff names or a raw archive record are about to be shown to whoever holds the
/// profile's key: the read is archived under their staff name first (R-D3) — through
/// the daemon when one owns the profile, else here, holding the profile lock meanwhile.
/// Nothing is shown when it cannot be archived.
pub(crate) fn record_read(
    config: &Config,
    paths: &Paths,
    key: &MasterKey,
    what: &str,
    scope: &str,
) -> Result<()> {
    let lang = config.language();
    match crate::profile::ProfileLock::acquire(&paths.data_dir) {
        Ok(_held) => {
            let (mut archive, _) = Archive::open(&Archive::dir_of(&paths.data_dir), key)?;
            archive.append(vec![crate::archive::Entry::accessed(
                what,
                scope,
                config.staff_name(),
            )])?;
            Ok(())
        }
        Err(crate::profile::LockError::InUse { pid, .. }) => {
            let rt = runtime()?;
            let Some(remote) = rt.block_on(attach(paths, lang))? else {
                return Err(UsageError(match lang {
                    crate::app::i18n::Lang::De => format!(
                        "Ein anderes tresen (PID {pid}) hat das Profil geöffnet, das Lesen könnte nicht archiviert werden: es erst schließen oder den Dienst starten"
                    ),
                    crate::app::i18n::Lang::En => format!(
                        "another tresen (PID {pid}) has the profile open, so this read could not be archived: close it first or start the daemon"
                    ),
                })
                .into());
            };
            let order = crate::protocol::Order::Accessed {
                what: what.to_string(),
                scope: scope.to_string(),
            };
            rt.block_on(crate::seat::Seat::order(&remote, order, ""))
                .map_err(UsageError)?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Who `tresen assign` assigns: the named staff member (checked against `[[staff]]`),
/// nobody (`--none`), or by default whoever runs it (`me`: as the daemon knows them).
pub(crate) fn assignee(
    config: &Config,
    staff: Option<String>,
    none: bool,
    me: Option<String>,
) -> Result<Option<String>> {
    if none {
        return Ok(None);
    }
    let who = staff.unwrap_or_else(|| me.unwrap_or_else(|| config.staff_name()));
    if !config.staff.is_empty() && !config.staff.iter().any(|s| s.name == who) {
        let known: Vec<&str> = config.staff.iter().map(|s| s.name.as_str()).collect();
        let known = known.join(", ");
        return Err(UsageError(match config.language() {
            crate::app::i18n::Lang::De => {
                format!("`{who}` steht nicht in [[staff]]; bekannt sind {known}")
            }
            crate::app::i18n::Lang::En => format!("`{who}` is not in [[staff]]; known: {known}"),
        })
        .into());
    }
    Ok(Some(who))
}

/// No conversation answers to `key` (as `show`, `send` and the daemon's seats look it up).
pub(crate) fn no_conversation(key: &str, lang: crate::app::i18n::Lang) -> anyhow::Error {
    UsageError(match lang {
        crate::app::i18n::Lang::De => format!(
            "keine Unterhaltung „{key}“: die ID aus `tresen list`, die Nummer der Kundschaft oder den genauen Namen angeben"
        ),
        crate::app::i18n::Lang::En => format!(
            "no conversation `{key}`: use the ID from `tresen list`, the customer's number, or the exact name"
        ),
    })
    .into()
}
