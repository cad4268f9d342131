//! `tresen account …`: logging in to the accounts the config lists, listing and removing
//! them. Only accounts listed in the config with `purpose = "business"` can be added
//! (R-D6); the config check enforces the purpose.

use std::io::BufRead as _;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::app::i18n::Lang;
use crate::config::{AccountConfig, Config};
use crate::domain::AccountNetwork;
use crate::domain::sanitize_for_terminal;
use crate::error::UsageError;
use crate::profile::OpenProfile;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Log in to an account listed under [[accounts]] in the config
    #[command(subcommand)]
    Add(AddAccount),
    /// Link the business phone's Signal: tresen becomes one of its linked devices
    ///
    /// Shows a QR code; on the phone open Signal → Settings → Linked devices → "+" and
    /// scan it. The phone stays the main device; tresen sees chats from then on (Signal
    /// gives a new device no history). See docs/signal.md.
    #[command(subcommand)]
    Link(LinkAccount),
    /// Register a number with Signal as tresen's own (primary) device, e.g. a landline
    ///
    /// For a business number without a smartphone. Signal sends a code by SMS, or with
    /// --voice calls and reads it out (tresen first requests the SMS Signal insists on).
    /// signal-cli's data dir then holds the number's only keys: back it up
    /// (docs/signal.md).
    #[command(subcommand)]
    Register(RegisterAccount),
    /// The Signal groups the business number is in, and which of them tresen takes in
    ///
    /// Only groups listed in the account's `groups = [...]` in the config reach the
    /// inbox; this shows their ids to copy there. Beside a running daemon its Signal
    /// connector answers; otherwise tresen starts signal-cli for it.
    Groups {
        /// Account id from the config (default: the only Signal account)
        #[arg(long)]
        id: Option<String>,
        /// Machine-readable output
        #[arg(long)]
        json: bool,
        /// Take a group accepted in the TUI out of the inbox again (by its id); its stored
        /// conversation stays, new messages are no longer stored
        #[arg(long, value_name = "GROUP_ID")]
        forget: Option<String>,
    },
    /// The Signal contacts signal-cli knows for the business number (read only)
    ///
    /// Comes from the business phone's contact sync and from who wrote; tresen never
    /// uploads an address book.
    Contacts {
        /// Account id from the config (default: the only Signal account)
        #[arg(long)]
        id: Option<String>,
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Configured accounts and their login (no network access)
    List {
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Set up a recovery key: server-side key backup and secret storage (Matrix)
    ///
    /// Prints the key once. Keep it in the firm's safe: a reinstalled office PC reads the
    /// encrypted history again with `tresen account recover`. tresen keeps no copy.
    RecoveryKey {
        /// Account id from the config (default: the only Matrix account)
        #[arg(long)]
        id: Option<String>,
        /// Replace an existing recovery key (the old one stops working)
        #[arg(long)]
        reset: bool,
    },
    /// Use the recovery key on this device: verifies it and decrypts the history again
    Recover {
        /// Account id from the config (default: the only Matrix account)
        #[arg(long)]
        id: Option<String>,
        /// Read the recovery key from this file (first line)
        #[arg(long, value_name = "PATH", conflicts_with = "key_stdin")]
        key_file: Option<PathBuf>,
        /// Read the recovery key from standard input (first line)
        #[arg(long)]
        key_stdin: bool,
    },
    /// Log the account's device out at the server and delete its local session and keys
    Remove {
        /// The account id from the config
        id: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AddAccount {
    /// A Matrix account (with its bridges to WhatsApp, Telegram, Signal…); see docs/matrix.md
    ///
    /// The account must be listed in the config with network = "matrix" and
    /// purpose = "business". The password is asked for, or read from a file or stdin
    /// for scripts; it is not kept: tresen keeps the session, sealed with the profile key.
    Matrix {
        /// Account id from the config (default: the only Matrix account there)
        #[arg(long)]
        id: Option<String>,
        /// Homeserver URL, or the server name for .well-known discovery (example.org)
        #[arg(long, value_name = "URL")]
        homeserver: String,
        /// User name or full Matrix ID (@buero:example.org)
        #[arg(long)]
        user: String,
        /// Read the password from this file (first line)
        #[arg(long, value_name = "PATH", conflicts_with = "password_stdin")]
        password_file: Option<PathBuf>,
        /// Read the password from standard input (first line)
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum LinkAccount {
    /// Link as a secondary device of the business phone (QR code)
    Signal {
        /// Account id from the config (default: the only Signal account there)
        #[arg(long)]
        id: Option<String>,
        /// The name the phone lists this device under
        #[arg(long, default_value = "tresen")]
        device_name: String,
        /// Draw the QR code for dark text on a light background (default: light on dark)
        #[arg(long)]
        light_terminal: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RegisterAccount {
    /// Register the configured Signal number as a primary device
    ///
    /// Asks for a captcha when Signal wants one and for the code it sends; both can be
    /// given as options instead, and the answers can come from standard input.
    Signal {
        /// Account id from the config (default: the account with --number, or the only one)
        #[arg(long)]
        id: Option<String>,
        /// The number to register, as in the config (+49…)
        #[arg(long)]
        number: Option<String>,
        /// Have Signal call and read the code out (for a landline)
        #[arg(long)]
        voice: bool,
        /// The captcha link from signalcaptchas.org (signalcaptcha://…)
        #[arg(long, value_name = "LINK")]
        captcha: Option<String>,
        /// The verification code, when already at hand (123-456 or 123456)
        #[arg(long)]
        code: Option<String>,
        /// The number's Signal PIN, when it has a registration lock
        #[arg(long)]
        pin: Option<String>,
    },
}

pub fn run(config: &Config, profile: &mut OpenProfile, cmd: AccountCommand) -> Result<ExitCode> {
    match cmd {
        AccountCommand::Add(AddAccount::Matrix {
            id,
            homeserver,
            user,
            password_file,
            password_stdin,
        }) => {
            let account = pick(config, id.as_deref(), AccountNetwork::Matrix)?;
            let password = read_password(
                password_file.as_deref(),
                password_stdin,
                &user,
                config.language(),
            )?;
            add_matrix(
                profile,
                account,
                (&homeserver, &user, &password),
                config.language(),
            )
        }
        AccountCommand::Link(LinkAccount::Signal {
            id,
            device_name,
            light_terminal,
        }) => {
            let account = crate::cli::signal::pick(config, id.as_deref(), None)?;
            let args = crate::cli::signal::LinkArgs {
                device_name,
                light_terminal,
            };
            crate::cli::signal::link(config, profile, account, args)
        }
        AccountCommand::Register(RegisterAccount::Signal {
            id,
            number,
            voice,
            captcha,
            code,
            pin,
        }) => {
            let account = crate::cli::signal::pick(config, id.as_deref(), number.as_deref())?;
            let args = crate::cli::signal::RegisterArgs {
                voice,
                captcha,
                code,
                pin,
            };
            crate::cli::signal::register(config, profile, account, args)
        }
        AccountCommand::Groups { id, json, forget } => {
            let account = crate::cli::signal::pick(config, id.as_deref(), None)?;
            match forget {
                Some(group) => {
                    crate::cli::signal::forget_group(profile, account, &group, config.language())
                }
                None => crate::cli::signal::groups(config, profile, account, json),
            }
        }
        AccountCommand::Contacts { id, json } => {
            let account = crate::cli::signal::pick(config, id.as_deref(), None)?;
            crate::cli::signal::contacts(config, profile, account, json)
        }
        AccountCommand::List { .. } => Err(UsageError(
            "internal: account list reads without the profile lock (cli.rs)".into(),
        )
        .into()),
        AccountCommand::RecoveryKey { id, reset } => {
            let account = pick(config, id.as_deref(), AccountNetwork::Matrix)?;
            recovery_key(profile, account, reset, config.language())
        }
        AccountCommand::Recover {
            id,
            key_file,
            key_stdin,
        } => {
            let account = pick(config, id.as_deref(), AccountNetwork::Matrix)?;
            let key = read_secret(
                key_file.as_deref(),
                key_stdin,
                config
                    .language()
                    .t("Wiederherstellungsschlüssel: ", "Recovery key: "),
                "recovery key",
            )?;
            recover(profile, account, &key, config.language())
        }
        AccountCommand::Remove { id, yes } => remove(config, profile, &id, yes),
    }
}

fn pick<'a>(
    config: &'a Config,
    id: Option<&str>,
    network: AccountNetwork,
) -> Result<&'a AccountConfig, UsageError> {
    let example = |id: &str| {
        format!(
            "\n\nadd it to the config first (business accounts only):\n\n[[accounts]]\nid = \"{id}\"\nnetwork = \"{}\"\npurpose = \"business\"",
            network.as_str()
        )
    };
    match id {
        Some(id) => {
            let a = config.accounts.iter().find(|a| a.id == id).ok_or_else(|| {
                UsageError(format!("no account `{id}` in the config{}", example(id)))
            })?;
            if a.network != network {
                return Err(UsageError(format!(
                    "account `{id}` is a {} account in the config, not {}",
                    a.network.as_str(),
                    network.as_str()
                )));
            }
            Ok(a)
        }
        None => {
            let mut of_network = config.accounts.iter().filter(|a| a.network == network);
            match (of_network.next(), of_network.next()) {
                (Some(a), None) => Ok(a),
                (None, _) => Err(UsageError(format!(
                    "no {} account in the config{}",
                    network.as_str(),
                    example(network.as_str())
                ))),
                (Some(_), Some(_)) => Err(UsageError(format!(
                    "the config lists several {} accounts: choose one with --id",
                    network.as_str()
                ))),
            }
        }
    }
}

pub(crate) fn read_password(
    file: Option<&std::path::Path>,
    stdin: bool,
    user: &str,
    lang: crate::app::i18n::Lang,
) -> Result<zeroize::Zeroizing<String>> {
    let prompt = match lang {
        crate::app::i18n::Lang::De => format!("Matrix-Passwort für {user}: "),
        crate::app::i18n::Lang::En => format!("Matrix password for {user}: "),
    };
    read_secret(file, stdin, &prompt, "password")
}

/// A secret from a file, stdin or a prompt: the first line, never empty.
pub(crate) fn read_secret(
    file: Option<&std::path::Path>,
    stdin: bool,
    prompt: &str,
    what: &str,
) -> Result<zeroize::Zeroizing<String>> {
    let first_line = |text: &str| text.lines().next().unwrap_or_default().to_string();
    let password = if let Some(path) = file {
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the {what} file {}", path.display()))?,
        );
        first_line(&text)
    } else if stdin {
        let mut line = zeroize::Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .with_context(|| format!("cannot read the {what} from stdin"))?;
        first_line(&line)
    } else {
        crate::secrets::tty_prompt(prompt, false)?
    };
    if password.trim().is_empty() {
        return Err(UsageError(format!("the {what} is empty")).into());
    }
    Ok(zeroize::Zeroizing::new(password))
}

#[cfg(feature = "matrix")]
fn add_matrix(
    profile: &OpenProfile,
    account: &AccountConfig,
    (homeserver, user, password): (&str, &str, &str),
    lang: Lang,
) -> Result<ExitCode> {
    use crate::connector::matrix::MatrixError;
    let m = crate::profile::matrix_account(profile, &account.id);
    match lang {
        Lang::De => eprintln!("Anmeldung bei {homeserver} als {user} …"),
        Lang::En => eprintln!("logging in to {homeserver} as {user} …"),
    }
    let rt = crate::cli::common::runtime()?;
    match rt.block_on(m.login(homeserver, user, password)) {
        Ok(info) => {
            print_logged_in(
                &account.id,
                (&info.user_id, &info.homeserver, &info.device_id),
                lang,
            )?;
            crate::outln!(
                "{}",
                lang.t(
                    "zum Abgleichen `tresen` oder `tresen daemon` starten",
                    "start `tresen` or `tresen daemon` to sync"
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(
            e @ (MatrixError::InvalidCredentials { .. }
            | MatrixError::Unreachable { .. }
            | MatrixError::NotAHomeserver { .. }
            | MatrixError::Unsupported { .. }
            | MatrixError::AlreadyLoggedIn { .. }),
        ) => Err(UsageError(e.to_string()).into()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(feature = "matrix")]
fn recovery_key(
    profile: &OpenProfile,
    account: &AccountConfig,
    reset: bool,
    lang: Lang,
) -> Result<ExitCode> {
    use crate::connector::matrix::MatrixError;
    let m = crate::profile::matrix_account(profile, &account.id);
    eprintln!(
        "{}",
        lang.t(
            "Schlüsselsicherung und Geheimnisspeicher werden eingerichtet; die Raumschlüssel dieses Geräts werden gesichert …",
            "setting up key backup and secret storage; backing up this device's room keys …"
        )
    );
    let rt = crate::cli::common::runtime()?;
    match rt.block_on(m.enable_recovery(reset)) {
        Ok(key) => {
            print_recovery_key(&account.id, &key, lang)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (MatrixError::RecoveryExists { .. } | MatrixError::NotLoggedIn { .. })) => {
            Err(UsageError(e.to_string()).into())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(feature = "matrix")]
fn recover(
    profile: &OpenProfile,
    account: &AccountConfig,
    key: &str,
    lang: Lang,
) -> Result<ExitCode> {
    use crate::connector::matrix::MatrixError;
    use crate::store::StoreRead as _;
    let m = crate::profile::matrix_account(profile, &account.id);
    // Only the business rooms tresen stores: keys of private rooms are not fetched.
    let account_id = crate::domain::AccountId(account.id.clone());
    let rooms: Vec<String> = profile
        .store
        .conversations()?
        .into_iter()
        .filter(|c| c.account == account_id)
        .map(|c| c.remote_id)
        .collect();
    match lang {
        Lang::De => eprintln!(
            "Wiederherstellungsschlüssel wird geprüft, die Schlüssel von {} Gesprächen werden geladen …",
            rooms.len()
        ),
        Lang::En => eprintln!(
            "checking the recovery key and downloading the keys of {} conversation(s) …",
            rooms.len()
        ),
    }
    let rt = crate::cli::common::runtime()?;
    match rt.block_on(m.recover(key, &rooms)) {
        Ok(n) => {
            print_recovered(&account.id, n, lang)?;
            crate::outln!(
                "{}",
                lang.t(
                    "Nachrichten, die nicht entschlüsselt werden konnten, werden beim nächsten Start von tresen oder `tresen sync --once` entschlüsselt",
                    "messages that could not be decrypted are decrypted on the next start of tresen or `tresen sync --once`"
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (MatrixError::WrongRecoveryKey { .. } | MatrixError::NotLoggedIn { .. })) => {
            Err(UsageError(e.to_string()).into())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(feature = "matrix"))]
fn recovery_key(_: &OpenProfile, _: &AccountConfig, _: bool, _: Lang) -> Result<ExitCode> {
    Err(UsageError("this build of tresen has no Matrix support (feature `matrix`)".into()).into())
}

#[cfg(not(feature = "matrix"))]
fn recover(_: &OpenProfile, _: &AccountConfig, _: &str, _: Lang) -> Result<ExitCode> {
    Err(UsageError("this build of tresen has no Matrix support (feature `matrix`)".into()).into())
}

#[cfg(not(feature = "matrix"))]
fn add_matrix(
    _: &OpenProfile,
    _: &AccountConfig,
    _: (&str, &str, &str),
    _: Lang,
) -> Result<ExitCode> {
    Err(UsageError("this build of tresen has no Matrix support (feature `matrix`)".into()).into())
}

/// Stands in for a login in builds without any network connector.
#[cfg(not(feature = "matrix"))]
struct NoLogin {
    homeserver: String,
    user_id: String,
    device_id: String,
}

#[derive(Serialize)]
struct JsonAccount<'a> {
    id: &'a str,
    network: &'a str,
    logged_in: bool,
    homeserver: Option<String>,
    user: Option<String>,
    device: Option<String>,
    /// Last connection health the engine recorded, and since when (RFC 3339).
    health: Option<crate::domain::Health>,
    health_since: Option<String>,
}

/// `tresen account list`: reads only, so it works while the TUI or the daemon runs and
/// then shows their live health.
pub fn list(
    config: &Config,
    profile: &crate::profile::ReadProfile,
    json: bool,
) -> Result<ExitCode> {
    use crate::store::StoreRead as _;
    let mut rows = Vec::new();
    for a in &config.accounts {
        #[cfg(feature = "matrix")]
        let login = if a.network == AccountNetwork::Matrix {
            profile.matrix_account(&a.id).info()?
        } else {
            None
        };
        #[cfg(not(feature = "matrix"))]
        let login: Option<NoLogin> = None;
        let health = profile
            .store
            .account_health(&crate::domain::AccountId(a.id.clone()))?;
        rows.push(JsonAccount {
            id: &a.id,
            network: a.network.as_str(),
            logged_in: login.is_some() || a.network == AccountNetwork::Demo,
            homeserver: login.as_ref().map(|l| l.homeserver.clone()),
            user: login.as_ref().map(|l| l.user_id.clone()),
            device: login.map(|l| l.device_id),
            health_since: health.as_ref().map(|(_, t)| t.rfc3339()),
            health: health.map(|(h, _)| h),
        });
    }
    if json {
        let v = serde_json::json!({
            "version": 1,
            "running_pid": profile.owner,
            "accounts": rows,
        });
        crate::out::json(&v)?;
        return Ok(ExitCode::SUCCESS);
    }
    let lang = config.language();
    let de = lang == Lang::De;
    if rows.is_empty() {
        crate::outln!(
            "{}",
            lang.t(
                "keine Konten in der Konfiguration (siehe docs/config.md)",
                "no accounts in the config (see docs/config.md)"
            )
        );
    }
    for r in &rows {
        let number = config
            .accounts
            .iter()
            .find(|a| a.id == r.id)
            .and_then(|a| a.number.clone());
        let status = match (&r.user, &r.homeserver) {
            (Some(u), Some(h)) if de => format!("angemeldet als {u} bei {h}"),
            (Some(u), Some(h)) => format!("logged in as {u} on {h}"),
            _ if r.logged_in => lang.t("eingebaut", "built in").to_string(),
            _ if number.is_some() => match lang {
                Lang::De => format!(
                    "Nummer {} über signal-cli (dessen Datenverzeichnis hält die Schlüssel; docs/signal.md)",
                    number.as_deref().unwrap_or_default()
                ),
                Lang::En => format!(
                    "number {} through signal-cli (its own data dir holds the keys; docs/signal.md)",
                    number.as_deref().unwrap_or_default()
                ),
            },
            _ => format!(
                "{}: tresen account add {} --id {}",
                lang.t("nicht angemeldet", "not logged in"),
                r.network,
                r.id
            ),
        };
        crate::outln!("{:<20} {:<8} {status}", r.id, r.network);
        if let Some(h) = &r.health {
            use crate::domain::Health;
            // In local time, as people read it; the JSON keeps RFC 3339.
            let since = r
                .health_since
                .as_deref()
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                .map(|t| {
                    let local = t.with_timezone(&chrono::Local);
                    match lang {
                        Lang::De => local.format("%d.%m.%Y %H:%M").to_string(),
                        Lang::En => local.format("%Y-%m-%d %H:%M").to_string(),
                    }
                })
                .unwrap_or_default();
            let word = match h {
                Health::Online => "online".to_string(),
                Health::Connecting => lang.t("verbindet", "connecting").to_string(),
                Health::Degraded(d) => format!(
                    "{}: {}",
                    lang.t("BRAUCHT AUFMERKSAMKEIT", "NEEDS ATTENTION"),
                    sanitize_for_terminal(&crate::app::reasons::health_reason(d, lang), false)
                ),
                Health::Offline(d) => format!(
                    "offline: {}",
                    sanitize_for_terminal(&crate::app::reasons::health_reason(d, lang), false)
                ),
            };
            crate::outln!("{:<29} {word} ({} {since})", "", lang.t("seit", "since"));
        }
    }
    match (&profile.owner, lang) {
        (Some(pid), Lang::De) => {
            crate::outln!("\njetzt: tresen (PID {pid}) läuft auf diesem Profil")
        }
        (Some(pid), Lang::En) => {
            crate::outln!("\nlive: tresen (PID {pid}) is running on this profile")
        }
        (None, _) if rows.iter().any(|r| r.health.is_some()) => crate::outln!(
            "\n{}",
            lang.t(
                "zuletzt bekannt: gerade läuft kein tresen auf diesem Profil",
                "last known: no tresen is running on this profile right now"
            )
        ),
        (None, _) => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn remove(config: &Config, profile: &OpenProfile, id: &str, yes: bool) -> Result<ExitCode> {
    let Some(a) = config.accounts.iter().find(|a| a.id == id) else {
        return Err(UsageError(format!("no account `{id}` in the config")).into());
    };
    let lang = config.language();
    if !confirm_remove(id, yes, lang)? {
        return Ok(ExitCode::SUCCESS);
    }
    match a.network {
        #[cfg(feature = "matrix")]
        AccountNetwork::Matrix => {
            let m = crate::profile::matrix_account(profile, &a.id);
            let rt = crate::cli::common::runtime()?;
            print_removed(id, rt.block_on(m.remove())?, lang)?;
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            let _ = profile;
            Err(UsageError(format!(
                "account `{id}` ({}) has nothing to remove",
                a.network.as_str()
            ))
            .into())
        }
    }
}

/// Asks before an account is removed (`--yes` skips it); `false`: nothing is done.
pub(crate) fn confirm_remove(id: &str, yes: bool, lang: Lang) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    use std::io::IsTerminal as _;
    if !std::io::stdin().is_terminal() {
        return Err(UsageError(match lang {
            Lang::De => format!(
                "`{id}` entfernen meldet sein Gerät ab und löscht seine Schlüssel hier; zum Bestätigen --yes angeben"
            ),
            Lang::En => format!(
                "removing `{id}` logs its device out and deletes its local keys; add --yes to confirm"
            ),
        })
        .into());
    }
    match lang {
        Lang::De => eprint!(
            "Konto `{id}` entfernen? Sein Gerät wird abgemeldet, Sitzung und Schlüssel hier werden gelöscht;\n\
             gespeicherte Gespräche bleiben im Posteingang. [j/N] "
        ),
        Lang::En => eprint!(
            "Remove account `{id}`? Its device is logged out and its local session and encryption keys are deleted;\n\
             stored conversations stay in the inbox. [y/N] "
        ),
    }
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    let go = matches!(answer.trim(), "y" | "Y" | "j" | "J" | "yes" | "ja");
    if !go {
        eprintln!("{}", lang.t("nichts entfernt", "nothing removed"));
    }
    Ok(go)
}

/// (user id, homeserver, device id) of a login.
pub(crate) fn print_logged_in(
    account: &str,
    (user, hs, device): (&str, &str, &str),
    lang: Lang,
) -> Result<()> {
    let (user, hs, device) = (
        sanitize_for_terminal(user, false),
        sanitize_for_terminal(hs, false),
        sanitize_for_terminal(device, false),
    );
    match lang {
        Lang::De => {
            crate::outln!("Konto `{account}`: angemeldet als {user} bei {hs} (Gerät {device})")
        }
        Lang::En => {
            crate::outln!("account `{account}`: logged in as {user} on {hs} (device {device})")
        }
    }
    Ok(())
}

pub(crate) fn print_recovery_key(account: &str, key: &str, lang: Lang) -> Result<()> {
    let key = sanitize_for_terminal(key, false);
    match lang {
        Lang::De => {
            crate::outln!("Wiederherstellungsschlüssel für Konto `{account}`:\n\n    {key}\n");
            crate::outln!(
                "Aufschreiben und im Tresor der Firma aufbewahren. Damit liest ein neu eingerichteter\n\
                 Büro-PC den verschlüsselten Verlauf wieder (`tresen account recover`); wer ihn hat,\n\
                 kann das auch. tresen behält keine Kopie und kann ihn nicht noch einmal zeigen."
            );
        }
        Lang::En => {
            crate::outln!("Recovery key for account `{account}`:\n\n    {key}\n");
            crate::outln!(
                "Write it down and keep it in the firm's safe. With it, a reinstalled office PC\n\
                 reads the encrypted history again (`tresen account recover`); anyone holding it\n\
                 can do the same. tresen keeps no copy and cannot show it again."
            );
        }
    }
    Ok(())
}

pub(crate) fn print_recovered(account: &str, rooms: usize, lang: Lang) -> Result<()> {
    match lang {
        Lang::De => crate::outln!(
            "Konto `{account}`: wiederhergestellt; dieses Gerät ist bestätigt und hat die Schlüssel von {rooms} Gesprächen."
        ),
        Lang::En => crate::outln!(
            "account `{account}`: recovered; this device is verified and has the keys of {rooms} conversation(s)."
        ),
    }
    Ok(())
}

pub(crate) fn print_removed(id: &str, was_logged_in: bool, lang: Lang) -> Result<()> {
    match (was_logged_in, lang) {
        (true, Lang::De) => {
            crate::outln!("Konto `{id}`: abgemeldet, Sitzung hier gelöscht")
        }
        (true, Lang::En) => {
            crate::outln!("account `{id}`: logged out and local session deleted")
        }
        (false, Lang::De) => {
            crate::outln!("Konto `{id}` war nicht angemeldet; nichts zu entfernen")
        }
        (false, Lang::En) => {
            crate::outln!("account `{id}` was not logged in; nothing to remove")
        }
    }
    crate::outln!(
        "{}",
        lang.t(
            "(seinen [[accounts]]-Eintrag aus der Konfiguration nehmen, um es nicht mehr zu nutzen)",
            "(remove its [[accounts]] entry from the config to stop using it)"
        )
    );
    Ok(())
}
