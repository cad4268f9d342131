//! The command line: argument parsing and the commands behind it. This is the binary's
//! edge, the one place where errors become `anyhow` and exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result};
use clap::{CommandFactory, Parser, Subcommand};

use crate::app::{App, AppConfig};
use crate::cli_engine::{archived, daemon, send, sync_once};
use crate::cli_inbox::{find, list, safe, show};
use crate::config::{Config, Paths};
use crate::domain::Timestamp;
use crate::engine::{Engine, EngineOptions};
use crate::error::UsageError;
use crate::profile::{self, OpenProfile};

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
            sync_once(profile, connectors, timeout, config.language())
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
            crate::cli_retention::run_retention(&config, paths, &prompt, cmd)
        }
        Some(Command::Hold(cmd)) => crate::cli_retention::run_hold(&config, paths, &prompt, cmd),
        Some(Command::Dsar(cmd)) => crate::cli_dsar::run_dsar(&config, paths, &prompt, cmd),
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
