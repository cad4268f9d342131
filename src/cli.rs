//! The command line: argument parsing and the commands behind it. This is the binary's
//! edge, the one place where errors become `anyhow` and exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use clap::{CommandFactory, Parser, Subcommand};
use serde::Serialize;

use crate::app::{App, AppConfig};
use crate::config::{Config, Paths};
use crate::domain::{Conversation, Delivery, Message, Timestamp, sanitize_for_terminal};
use crate::engine::{Engine, EngineHandle, EngineOptions};
use crate::error::UsageError;
use crate::profile::{self, OpenProfile};
use crate::store::{SharedStore, StoreRead};

const ABOUT: &str = "Keyboard-driven terminal inbox for a firm's business messenger line";

const LONG_ABOUT: &str = "\
tresen keeps the customer chats of a firm's business line (Signal, Matrix, and WhatsApp or \
Telegram bridged into Matrix) in one encrypted inbox, apart from anyone's private messages.

Run without a command to open the inbox. Try it first with the built-in demo:
    tresen --demo

Files: the config is ~/.config/tresen/config.toml (see docs/config.md; `tresen config check` \
validates it), the encrypted store lives in ~/.local/share/tresen, logs in \
~/.local/state/tresen/logs. TRESEN_CONFIG, TRESEN_DATA_DIR and TRESEN_LOG override them.

Exit codes: 0 success, 1 failure, 2 a problem you need to fix (bad config, missing key, \
profile in use, damaged store, a send refused), 3 `sync --once` or `send` stopped waiting \
for the network's answer (the message stays pending and is sent again at the next start).";

#[derive(Debug, Parser)]
#[command(name = "tresen", version, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Cli {
    /// Config file to use instead of ~/.config/tresen/config.toml
    #[arg(long, global = true, value_name = "PATH", env = "TRESEN_CONFIG")]
    pub config: Option<PathBuf>,

    /// Open the inbox on a temporary demo profile with sample customers (nothing is kept)
    #[arg(long)]
    pub demo: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate configuration
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Fetch what is new from every account, send what is due, then exit
    ///
    /// Waits for what it sends (the first-contact notice to a new customer, messages an
    /// earlier run left unsent) until the network answered or --timeout passed.
    /// Exit code 0: everything went out; 1: a message was not sent; 3: a message is
    /// still waiting for the network's answer (it is sent again at the next start).
    Sync {
        /// Required: sync once and exit (use `tresen daemon` to keep syncing)
        #[arg(long)]
        once: bool,
        /// Seconds to wait, after catching up, for the network to take what was sent
        #[arg(long, default_value_t = 30)]
        timeout: u64,
    },
    /// Keep syncing in the background without a terminal, until SIGTERM or SIGINT
    Daemon,
    /// List conversations, most recent first
    List {
        /// Machine-readable output (format in docs/json.md)
        #[arg(long)]
        json: bool,
        /// Include done and snoozed conversations
        #[arg(long)]
        all: bool,
    },
    /// Show a conversation's messages
    Show {
        /// Conversation: its number from `tresen list`, the customer's number or handle, or the exact name
        conversation: String,
        /// Machine-readable output (format in docs/json.md)
        #[arg(long)]
        json: bool,
        /// Newest messages to show
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Send a message (for scripts); waits until the network accepted it
    ///
    /// With --attach, each file goes as its own message; the text (if any) is the
    /// caption of the first. Waits also for what goes out with it (a first-contact
    /// notice still owed, messages an earlier run left unsent). Exit code 0: sent;
    /// 1: not sent; 2: refused (no consent, bad input); 3: no answer from the network
    /// within --timeout (sent again at the next start).
    Send {
        /// Conversation, as for `show`
        conversation: String,
        /// Message text (may be empty with --attach)
        #[arg(default_value = "")]
        text: String,
        /// Attach a file (repeatable)
        #[arg(long, value_name = "PATH")]
        attach: Vec<PathBuf>,
        /// Seconds to wait for the network's answer
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        /// Document type of the message, e.g. angebot, rechnung, bestellschein (the
        /// Pflichtangaben footer always goes on those; repeatable)
        #[arg(long, value_name = "TAG")]
        tag: Vec<String>,
        /// What the message is for: reminders, marketing and review requests need the
        /// contact's consent for exactly that (default: service-messaging)
        #[arg(long, value_enum)]
        purpose: Option<crate::cli_compliance::PurposeArg>,
        /// Send a quick reply (by name) instead of a text, with its tags and its
        /// Vordruck mark
        #[arg(long, value_name = "NAME")]
        template: Option<String>,
    },
    /// Assign a conversation to a staff member (only who handles it now is kept: no
    /// history, no times)
    Assign {
        /// Conversation, as for `show`
        conversation: String,
        /// Staff name; default: you
        staff: Option<String>,
        /// Take the assignment away
        #[arg(long, conflicts_with = "staff")]
        none: bool,
    },
    /// Save or open a message's attachment; downloads it first if it is not here yet
    #[command(subcommand)]
    Attachment(AttachmentCommand),
    /// Set up, list and remove messenger accounts (Matrix login, Signal link or registration)
    #[command(subcommand)]
    Account(AccountCommand),
    /// Check, anchor and export the retention archive (docs/archive.md)
    #[command(subcommand)]
    Archive(crate::cli_archive::ArchiveCommand),
    /// Preview the Pflichtangaben footer (docs/compliance.md)
    #[command(subcommand)]
    Footer(crate::cli_compliance::FooterCommand),
    /// Show and record customers' consent to messenger contact (docs/compliance.md)
    #[command(subcommand)]
    Consent(crate::cli_compliance::ConsentCommand),
    /// What tresen stores about employees
    #[command(subcommand)]
    Staff(crate::cli_compliance::StaffCommand),
    /// Check configuration and inbox for compliance gaps
    #[command(subcommand)]
    Compliance(crate::cli_compliance::ComplianceCommand),
    /// The inbox store: rebuild it from the archive
    #[command(subcommand)]
    Store(crate::cli_archive::StoreCommand),
    /// Retention periods: what expires, and destroying it when it has
    #[command(subcommand)]
    Retention(crate::cli_archive::RetentionCommand),
    /// Legal, tax and warranty holds: keep data beyond its retention period
    #[command(subcommand)]
    Hold(crate::cli_archive::HoldCommand),
    /// GDPR requests of a customer: copy of their data (Art. 15/20) and erasure (Art. 17)
    #[command(subcommand)]
    Dsar(crate::cli_archive::DsarCommand),
    /// Readable copies of conversations (from the archive)
    #[command(subcommand)]
    Export(crate::cli_archive::ExportCommand),
    /// Generated documentation: the GoBD process documentation (Verfahrensdokumentation)
    #[command(subcommand)]
    Docs(crate::cli_docs::DocsCommand),
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    Man,
}

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
    /// inbox; this shows their ids to copy there. Starts signal-cli, so run it while
    /// no tresen is running on the profile.
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

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a config file (default: the one tresen would use) and report the first error
    Check { path: Option<PathBuf> },
    /// Print the built-in default configuration
    Default,
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        // Rendered in memory first: the generators panic on a failed write.
        Some(Command::Completions { shell }) => {
            let mut cmd = Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "tresen", &mut buf);
            std::io::stdout().lock().write_all(&buf)?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Man) => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
            std::io::stdout().lock().write_all(&buf)?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Config(ConfigCommand::Default)) => {
            crate::out!("{}", crate::config::DEFAULT_TOML);
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Config(ConfigCommand::Check { path })) => {
            let file = path.or_else(|| Paths::config_file(cli.config.as_deref()));
            let config = Config::load(file.as_deref())?;
            let paths = Paths::resolve(file.clone(), &config);
            match &file {
                Some(f) => crate::outln!("{}: OK", f.display()),
                None => crate::outln!("no config file; using the built-in defaults: OK"),
            }
            crate::outln!("data directory: {}", paths.data_dir.display());
            crate::outln!("accounts: {}", config.accounts.len());
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }

    if cli.demo {
        if cli.command.is_some() {
            return Err(
                UsageError("--demo only opens the inbox; it takes no command".into()).into(),
            );
        }
        return run_demo(cli.config.as_deref());
    }

    let file = Paths::config_file(cli.config.as_deref());
    let config = Config::load(file.as_deref())?;
    let paths = Paths::resolve(file, &config);
    // Checked before logging starts, because the log may live inside the data directory.
    crate::fsutil::ensure_private_dir(&paths.data_dir)?;
    let prefix = if matches!(cli.command, Some(Command::Daemon)) {
        "daemon"
    } else {
        "tresen"
    };
    let _guard = crate::logging::init(
        &paths.log_dir,
        &config.logging.level,
        config.logging.max_files,
        prefix,
    );
    let prompt = |label: &str, confirm: bool| crate::secrets::tty_prompt(label, confirm);
    match cli.command {
        None => {
            let profile = profile::open(&config, paths, &prompt)?;
            let connectors = profile::connectors(&config, &profile)?;
            run_tui(&config, profile, connectors, false)
        }
        Some(Command::List { json, all }) => {
            let profile = profile::open_read_only(&config, paths, &prompt)?;
            list(&profile.store, json, all)
        }
        Some(Command::Show {
            conversation,
            json,
            limit,
        }) => {
            let profile = profile::open_read_only(&config, paths, &prompt)?;
            show(&profile.store, &conversation, json, limit)
        }
        Some(Command::Sync { once, timeout }) => {
            if !once {
                return Err(UsageError(
                    "`tresen sync` needs --once; to keep syncing run `tresen daemon`".into(),
                )
                .into());
            }
            let profile = profile::open(&config, paths, &prompt)?;
            let connectors = profile::connectors(&config, &profile)?;
            sync_once(profile, connectors, timeout)
        }
        Some(Command::Daemon) => {
            let profile = profile::open(&config, paths, &prompt)?;
            let connectors = profile::connectors(&config, &profile)?;
            if connectors.is_empty() {
                return Err(UsageError(
                    "no accounts configured: add [[accounts]] to the config (see docs/config.md)"
                        .into(),
                )
                .into());
            }
            daemon(profile, connectors)
        }
        Some(Command::Send {
            conversation,
            text,
            attach,
            timeout,
            mut tag,
            purpose,
            template,
        }) => {
            // Files are read before anything starts: a typo fails fast and sends nothing.
            let files = attach
                .iter()
                .map(|p| {
                    crate::engine::NewFile::read(p)
                        .map_err(|e| UsageError(format!("cannot read {}: {e}", p.display())))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if text.trim().is_empty() && files.is_empty() && template.is_none() {
                return Err(UsageError(
                    "nothing to send: give a text, --template NAME or --attach FILE".into(),
                )
                .into());
            }
            let profile = profile::open(&config, paths, &prompt)?;
            let mut text = text;
            let mut vordruck = false;
            if let Some(name) = template {
                let q = config
                    .quick_replies
                    .iter()
                    .find(|q| q.name.eq_ignore_ascii_case(&name))
                    .ok_or_else(|| {
                        UsageError(format!(
                            "no quick reply `{name}`; configured: {}",
                            config
                                .quick_replies
                                .iter()
                                .map(|q| q.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    })?;
                let c = find(&profile.store, &conversation)?;
                let kunde = c
                    .contact
                    .as_ref()
                    .map_or(c.title.clone(), |ct| ct.display_name.clone());
                let today = Timestamp::now().to_local().format("%d.%m.%Y").to_string();
                let filled = q.fill(&kunde, &today, &config.staff_name());
                text = if text.trim().is_empty() {
                    filled
                } else {
                    format!("{filled}\n\n{text}")
                };
                tag.extend(q.tags.iter().cloned());
                vordruck = q.vordruck;
            }
            let connectors = profile::connectors(&config, &profile)?;
            let mut options = crate::cli_compliance::send_options(tag, purpose);
            options.vordruck = vordruck;
            send(
                &config,
                profile,
                connectors,
                &conversation,
                (text, files, options),
                timeout,
            )
        }
        Some(Command::Assign {
            conversation,
            staff,
            none,
        }) => {
            let mut profile = profile::open(&config, paths, &prompt)?;
            let c = find(&profile.store, &conversation)?;
            let staff = if none {
                None
            } else {
                Some(staff.unwrap_or_else(|| config.staff_name()))
            };
            if let Some(who) = &staff
                && !config.staff.is_empty()
                && !config.staff.iter().any(|s| &s.name == who)
            {
                return Err(UsageError(format!(
                    "`{who}` is not in [[staff]]; known: {}",
                    config
                        .staff
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .into());
            }
            use crate::store::Store as _;
            profile.store.apply(&[crate::store::Op::Assign {
                conversation: c.id,
                staff: staff.clone(),
            }])?;
            match staff {
                Some(who) => crate::outln!("{} → {}", safe(&c.title), safe(&who)),
                None => crate::outln!("{}: nobody assigned", safe(&c.title)),
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Attachment(cmd)) => {
            let profile = profile::open(&config, paths, &prompt)?;
            crate::cli_attachment::run(&config, profile, cmd)
        }
        Some(Command::Account(AccountCommand::List { json })) => {
            let profile = profile::open_read_only(&config, paths, &prompt)?;
            crate::cli_account::list(&config, &profile, json)
        }
        Some(Command::Account(cmd)) => {
            let mut profile = profile::open(&config, paths, &prompt)?;
            crate::cli_account::run(&config, &mut profile, cmd)
        }
        Some(Command::Archive(cmd)) => {
            crate::cli_archive::run_archive(&config, paths, &prompt, cmd)
        }
        Some(Command::Store(cmd)) => crate::cli_archive::run_store(&config, paths, &prompt, cmd),
        Some(Command::Retention(cmd)) => {
            crate::cli_archive::run_retention(&config, paths, &prompt, cmd)
        }
        Some(Command::Hold(cmd)) => crate::cli_archive::run_hold(&config, paths, &prompt, cmd),
        Some(Command::Dsar(cmd)) => crate::cli_archive::run_dsar(&config, paths, &prompt, cmd),
        Some(Command::Export(cmd)) => crate::cli_archive::run_export(&config, paths, &prompt, cmd),
        Some(Command::Docs(cmd)) => crate::cli_docs::run(&config, paths, &prompt, cmd),
        Some(Command::Footer(cmd)) => crate::cli_compliance::run_footer(&config, cmd),
        Some(Command::Consent(cmd)) => {
            crate::cli_compliance::run_consent(&config, paths, &prompt, cmd)
        }
        Some(Command::Staff(cmd)) => crate::cli_compliance::run_staff(&config, cmd),
        Some(Command::Compliance(crate::cli_compliance::ComplianceCommand::Check { json })) => {
            crate::cli_compliance::run_check(&config, paths, &prompt, json)
        }
        Some(Command::Completions { .. } | Command::Man | Command::Config(_)) => {
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn run_demo(config_path: Option<&Path>) -> Result<ExitCode> {
    // The user's config still supplies language, keys and quick replies; the profile is not theirs.
    let file = Paths::config_file(config_path);
    let config = Config::load(file.as_deref())?;
    let profile = profile::open_demo(300)?;
    let _guard = crate::logging::init(&profile.paths.log_dir, &config.logging.level, 2, "demo");
    let connectors = crate::demo::connectors(Timestamp::now());
    run_tui(&config, profile, connectors, true)
}

fn run_tui(
    config: &Config,
    profile: OpenProfile,
    connectors: Vec<Box<dyn crate::connector::Connector>>,
    demo: bool,
) -> Result<ExitCode> {
    let blobs = profile.blobs();
    let OpenProfile {
        store,
        lock,
        temp,
        archive,
        paths,
        compliance,
        ..
    } = profile;
    let rt = runtime()?;
    let shared = profile::shared(store, Some(blobs))?;
    let result: Result<()> = rt.block_on(async {
        let (engine, handle) = Engine::start(shared, connectors, EngineOptions::default());
        let engine = archived(
            engine.with_compliance(compliance),
            archive,
            &paths,
            demo,
            config.staff_name(),
        )?;
        let engine_task = tokio::spawn(engine.run());
        let mut app = App::new(AppConfig::from_config(config, demo), Timestamp::now());
        let mouse = config.ui.mouse;
        let editor = crate::tui::terminal::editor_command(&config.ui.editor);
        let mut terminal =
            crate::tui::terminal::enter(mouse).context("cannot set up the terminal")?;
        let input = crossterm::event::EventStream::new();
        let opts = crate::tui::RunOptions {
            tick: Duration::from_secs(1),
            editor: Box::new(move |initial: &str| {
                crate::tui::terminal::run_editor(&editor, initial, mouse)
            }),
            clock: Box::new(Timestamp::now),
            downloads: crate::attachment_io::download_dir(),
            opener: crate::attachment_io::open_with_desktop,
        };
        let r = crate::tui::run(&mut terminal, &mut app, &handle, input, opts).await;
        crate::tui::terminal::restore_if_entered();
        handle.shutdown().await;
        let _ = engine_task.await;
        r.map_err(anyhow::Error::from)
    });
    drop(lock);
    drop(temp);
    result?;
    Ok(ExitCode::SUCCESS)
}

/// `--json` shapes. Versioned and documented in docs/json.md; change only by adding fields.
#[derive(Serialize)]
struct JsonContact<'a> {
    identity: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonConversation<'a> {
    id: i64,
    account: &'a str,
    remote_id: &'a str,
    kind: crate::domain::ConversationKind,
    network: &'a str,
    title: &'a str,
    contact: Option<JsonContact<'a>>,
    state: &'a str,
    snoozed_until: Option<String>,
    labels: &'a [String],
    unread: u32,
    marked_unread: bool,
    last_activity: String,
    last_preview: &'a str,
    security: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    assigned: Option<&'a str>,
}

impl<'a> From<&'a Conversation> for JsonConversation<'a> {
    fn from(c: &'a Conversation) -> Self {
        Self {
            id: c.id.0,
            account: &c.account.0,
            remote_id: &c.remote_id,
            kind: c.kind,
            network: c.channel.as_str(),
            title: &c.title,
            contact: c.contact.as_ref().map(|ct| JsonContact {
                identity: &ct.identity,
                name: &ct.display_name,
                phone: ct.phone.as_deref(),
            }),
            state: c.state.name(),
            snoozed_until: match c.state {
                crate::domain::TriageState::Snoozed(t) => Some(t.rfc3339()),
                _ => None,
            },
            labels: &c.labels,
            unread: c.unread,
            marked_unread: c.marked_unread,
            last_activity: c.last_activity.rfc3339(),
            last_preview: &c.last_preview,
            security: c.security.as_str(),
            assigned: c.assigned.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct JsonMessage<'a> {
    id: i64,
    remote_id: Option<&'a str>,
    kind: crate::domain::MessageKind,
    direction: crate::domain::Direction,
    sender: &'a str,
    body: &'a str,
    edited_body: Option<&'a str>,
    edited_at: Option<String>,
    deleted_at: Option<String>,
    attachments: Vec<JsonAttachment<'a>>,
    sent_at: String,
    received_at: String,
    delivery: &'a str,
    /// Why sending failed (for `failed` and `unclear`).
    failure: Option<&'a str>,
    reactions: Vec<JsonReaction<'a>>,
}

#[derive(Serialize)]
struct JsonReaction<'a> {
    key: &'a str,
    sender: &'a str,
    outbound: bool,
}

/// The network's media address is left out on purpose: for encrypted rooms it holds
/// the file's decryption key.
#[derive(Serialize)]
struct JsonAttachment<'a> {
    name: &'a str,
    mime: &'a str,
    size: u64,
    /// In tresen's attachment store (`tresen attachment save` works offline).
    downloaded: bool,
}

impl<'a> From<&'a Message> for JsonMessage<'a> {
    fn from(m: &'a Message) -> Self {
        Self {
            id: m.id.0,
            remote_id: m.remote_id.as_deref(),
            kind: m.kind,
            direction: m.direction,
            sender: &m.sender,
            body: &m.body,
            edited_body: m.edit.as_ref().map(|e| e.body.as_str()),
            edited_at: m.edit.as_ref().map(|e| e.at.rfc3339()),
            deleted_at: m.deleted_at.map(|t| t.rfc3339()),
            attachments: m
                .attachments
                .iter()
                .map(|a| JsonAttachment {
                    name: &a.name,
                    mime: &a.mime,
                    size: a.size,
                    downloaded: a.blob.is_some(),
                })
                .collect(),
            sent_at: m.sent_at.rfc3339(),
            received_at: m.received_at.rfc3339(),
            delivery: m.delivery.as_str(),
            failure: m
                .failure
                .as_deref()
                .map(|f| crate::domain::failure_text(f, false)),
            reactions: m
                .reactions
                .iter()
                .map(|r| JsonReaction {
                    key: &r.key,
                    sender: &r.sender,
                    outbound: r.outbound,
                })
                .collect(),
        }
    }
}

fn safe(s: &str) -> String {
    sanitize_for_terminal(s, false).into_owned()
}

fn list(store: &dyn StoreRead, json: bool, all: bool) -> Result<ExitCode> {
    let now = Timestamp::now();
    let convs: Vec<Conversation> = store
        .conversations()?
        .into_iter()
        .filter(|c| {
            all || matches!(
                c.state.effective(now),
                crate::domain::TriageState::Open | crate::domain::TriageState::Waiting
            )
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if json {
        let v = serde_json::json!({
            "version": 1,
            "conversations": convs.iter().map(JsonConversation::from).collect::<Vec<_>>(),
        });
        crate::out::json_to(&mut out, &v)?;
    } else {
        writeln!(
            out,
            "{:>6}  {:<3}  {:<8}  {:>6}  {:>4}  {:<24}  LAST MESSAGE",
            "ID", "NET", "STATE", "UNREAD", "AGE", "CUSTOMER"
        )?;
        for c in &convs {
            writeln!(
                out,
                "{:>6}  {:<3}  {:<8}  {:>6}  {:>4}  {:<24}  {}",
                c.id.0,
                c.channel.badge(),
                c.state.effective(now).name(),
                if c.unread > 0 {
                    c.unread.to_string()
                } else {
                    String::new()
                },
                c.last_activity.age(now),
                crate::ui::text::truncate(&safe(&c.title), 24),
                crate::ui::text::truncate(&safe(&c.last_preview), 60),
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn find(store: &dyn StoreRead, key: &str) -> Result<Conversation> {
    store.find_conversation(key)?.ok_or_else(|| {
        UsageError(format!(
            "no conversation `{key}`: use the ID from `tresen list`, the customer's number, or the exact name"
        ))
        .into()
    })
}

fn show(store: &dyn StoreRead, key: &str, json: bool, limit: usize) -> Result<ExitCode> {
    let c = find(store, key)?;
    let messages = store.messages(c.id, None, limit)?;
    let mut out = std::io::stdout().lock();
    if json {
        let v = serde_json::json!({
            "version": 1,
            "conversation": JsonConversation::from(&c),
            "messages": messages.iter().map(JsonMessage::from).collect::<Vec<_>>(),
        });
        crate::out::json_to(&mut out, &v)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "[{}] {} ({})",
        c.channel.badge(),
        safe(&c.title),
        c.state.name()
    )?;
    for m in &messages {
        let when = m.sent_at.to_local().format("%Y-%m-%d %H:%M");
        let who = match (m.kind, m.direction) {
            (crate::domain::MessageKind::Note, _) => format!("NOTE {}", safe(&m.sender)),
            (crate::domain::MessageKind::System, _) => "--".into(),
            (_, crate::domain::Direction::Inbound) => {
                if m.sender.is_empty() {
                    safe(&c.title)
                } else {
                    safe(&m.sender)
                }
            }
            (_, crate::domain::Direction::Outbound) => format!("> {}", m.delivery.as_str()),
        };
        writeln!(
            out,
            "{when}  {who}: {}",
            sanitize_for_terminal(m.display_body(), true)
        )?;
        match (m.delivery, &m.failure) {
            (Delivery::Failed, Some(why)) => writeln!(
                out,
                "{:16}  (not sent: {})",
                "",
                safe(crate::domain::failure_text(why, false))
            )?,
            (Delivery::Unclear, Some(why)) => writeln!(
                out,
                "{:16}  ({})",
                "",
                safe(crate::domain::failure_text(why, false))
            )?,
            _ => {}
        }
        for (i, a) in m.attachments.iter().enumerate() {
            writeln!(
                out,
                "                  [attachment {}/{}] {} ({}, {} bytes)",
                m.id.0,
                i + 1,
                safe(&a.name),
                safe(&a.mime),
                a.size
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn start_engine(
    profile: OpenProfile,
    connectors: Vec<Box<dyn crate::connector::Connector>>,
    options: EngineOptions,
    staff: String,
) -> Result<(Engine, EngineHandle, OpenProfile2)> {
    let blobs = profile.blobs();
    let OpenProfile {
        store,
        lock,
        temp,
        paths,
        archive,
        compliance,
        ..
    } = profile;
    let shared = SharedStore::new(Box::new(store)).with_blobs(blobs);
    let (engine, handle) = Engine::start(shared, connectors, options);
    let engine = archived(
        engine.with_compliance(compliance),
        archive,
        &paths,
        false,
        staff,
    )?;
    Ok((
        engine,
        handle,
        OpenProfile2 {
            _lock: lock,
            _temp: temp,
            paths,
        },
    ))
}

/// Hands the engine its archive, with the configuration in force (archived when it
/// changed since the last start).
fn archived(
    engine: Engine,
    archive: Option<crate::archive::Archive>,
    paths: &Paths,
    demo: bool,
    staff: String,
) -> Result<Engine> {
    let Some(archive) = archive else {
        return Ok(engine);
    };
    let config = match (&paths.config_file, demo) {
        (Some(file), false) => std::fs::read_to_string(file)
            .ok()
            .map(|text| (file.display().to_string(), text)),
        _ => None,
    };
    engine
        .with_archive(archive, config, staff)
        .context("cannot bring the inbox store up to the archive")
}

/// What stays alive while the engine owns the store.
pub(crate) struct OpenProfile2 {
    _lock: crate::engine::ProfileLock,
    _temp: Option<tempfile::TempDir>,
    paths: Paths,
}

fn sync_once(
    profile: OpenProfile,
    connectors: Vec<Box<dyn crate::connector::Connector>>,
    timeout: u64,
) -> Result<ExitCode> {
    if connectors.is_empty() {
        crate::outln!("nothing to sync: no accounts configured");
        return Ok(ExitCode::SUCCESS);
    }
    let before = profile.store.stats()?;
    let rt = runtime()?;
    rt.block_on(async {
        let (engine, handle, _keep) = start_engine(
            profile,
            connectors,
            EngineOptions {
                exit_when_caught_up: true,
                settle: Duration::from_secs(timeout),
            },
            "tresen sync".into(),
        )?;
        engine.run().await?;
        let after = handle.store().lock().stats()?;
        for (account, health) in handle.health() {
            if let crate::domain::Health::Offline(reason) | crate::domain::Health::Degraded(reason) = &health
                && reason != "stopped"
            {
                eprintln!("{account}: {reason}");
            }
        }
        crate::outln!(
            "synced: {} new messages, {} conversations in total",
            after.messages.saturating_sub(before.messages),
            after.conversations
        );
        report_sends(&handle, timeout, None)
    })
}

/// What became of the messages this run handed to the networks: a line for each one
/// that did not go out, and the exit code (0 all sent, 1 one failed, 3 one pending).
/// `quiet` is a message the caller reports itself.
fn report_sends(
    handle: &EngineHandle,
    timeout: u64,
    quiet: Option<&[crate::domain::MessageId]>,
) -> Result<ExitCode> {
    let log = handle.sends();
    let store = handle.store();
    let (mut sent, mut failed, mut pending) = (0, 0, 0);
    for id in &log.handed {
        let Some(m) = store.read(|s| s.message(*id))? else {
            continue;
        };
        let title = store
            .read(|s| s.conversation(m.conversation))?
            .map(|c| safe(&c.title))
            .unwrap_or_default();
        let what = if m.sender == crate::engine::AUTOMATIC {
            "the automatic first-contact notice"
        } else {
            "message"
        };
        let mine = quiet.is_some_and(|q| q.contains(id));
        match m.delivery {
            d if d.is_sent() => sent += 1,
            Delivery::Pending => {
                pending += 1;
                if !mine {
                    eprintln!(
                        "{what} {} to {title}: no answer from the network within {timeout} s; it stays pending and is sent again at the next start",
                        id.0
                    );
                }
            }
            _ => {
                failed += 1;
                if !mine {
                    let why = crate::domain::failure_text(
                        m.failure.as_deref().unwrap_or("see the log"),
                        false,
                    );
                    eprintln!("{what} {} to {title} was NOT sent: {}", id.0, safe(why));
                }
            }
        }
    }
    if quiet.is_none() && sent > 0 {
        crate::outln!("sent: {sent} messages");
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else if pending > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn daemon(
    profile: OpenProfile,
    connectors: Vec<Box<dyn crate::connector::Connector>>,
) -> Result<ExitCode> {
    let rt = runtime()?;
    rt.block_on(async {
        let (engine, handle, keep) = start_engine(
            profile,
            connectors,
            EngineOptions::default(),
            "tresen daemon".into(),
        )?;
        eprintln!(
            "tresen daemon running (PID {}, data {}); stop with SIGTERM or Ctrl-C",
            std::process::id(),
            keep.paths.data_dir.display()
        );
        tracing::info!(pid = std::process::id(), "daemon started");
        let engine_task = tokio::spawn(engine.run());
        shutdown_signal().await?;
        handle.shutdown().await;
        engine_task
            .await
            .map_err(|e| anyhow!("engine task failed: {e}"))??;
        tracing::info!("daemon stopped cleanly");
        eprintln!("tresen daemon stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// Waits for SIGTERM (systemd stop) or SIGINT (Ctrl-C).
#[cfg(unix)]
async fn shutdown_signal() -> Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot listen for SIGTERM")?;
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: shutting down"),
    }
    Ok(())
}

#[cfg(not(unix))]
async fn shutdown_signal() -> Result<()> {
    tokio::signal::ctrl_c()
        .await
        .context("cannot listen for Ctrl-C")?;
    tracing::info!("Ctrl-C: shutting down");
    Ok(())
}

fn send(
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
    let conversation = find(&profile.store, key)?;
    let rt = runtime()?;
    rt.block_on(async {
        let (engine, handle, _keep) =
            start_engine(profile, connectors, EngineOptions::default(), config.staff_name())?;
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
        let store = handle.store();
        let ours: Vec<crate::domain::Message> = store
            .read(|s| s.messages(conversation.id, None, 1000))?
            .into_iter()
            .filter(|m| {
                m.id.0 >= id.0
                    && m.direction == crate::domain::Direction::Outbound
                    && m.sender == staff
                    && handle.sends().handed.contains(&m.id)
            })
            .collect();
        let others = report_sends(
            &handle,
            timeout,
            Some(&ours.iter().map(|m| m.id).collect::<Vec<_>>()),
        )?;
        if let Some(m) = ours
            .iter()
            .find(|m| matches!(m.delivery, Delivery::Failed | Delivery::Unclear))
        {
            let why = crate::domain::failure_text(m.failure.as_deref().unwrap_or("see the log"), false);
            return Err(anyhow!(
                "message {} was NOT sent (kept as {}): {}",
                m.id.0,
                m.delivery.as_str(),
                safe(why)
            ));
        }
        if !answered || ours.iter().any(|m| m.delivery == Delivery::Pending) {
            eprintln!(
                "no answer from the network within {timeout} s; message {} stays pending and is sent again at the next start",
                id.0
            );
            return Ok(ExitCode::from(3));
        }
        if ours.len() > 1 {
            crate::outln!("sent as {} messages (the network's length limit)", ours.len());
        }
        let last = ours.last().map_or(Delivery::Sent, |m| m.delivery);
        crate::outln!("message {} {}", id.0, last.as_str());
        Ok(others)
    })
}
