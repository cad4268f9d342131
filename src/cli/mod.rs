//! The command line: argument parsing and the commands behind it. This is the binary's
//! edge, the one place where errors become `anyhow` and exit codes.

mod account;
mod account_daemon;
mod archive;
mod attachment;
mod books;
mod common;
mod compliance;
mod contact;
mod docs;
mod dsar;
mod engine;
mod inbox;
mod man;
mod order;
mod restrict;
mod retention;
mod scheduled;
mod send_input;

use send_input::{read_files, send_input};
mod seat;
mod signal;
mod signal_daemon;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result};
use clap::{CommandFactory, Parser, Subcommand};

use crate::app::{App, AppConfig};
use crate::cli::account::AccountCommand;
use crate::cli::attachment::AttachmentCommand;
use crate::cli::common::runtime;
use crate::cli::engine::{daemon, send, sync_once};
use crate::cli::inbox::{find, list, safe};
use crate::config::{Config, Paths};
use crate::domain::Timestamp;
use crate::engine::EngineOptions;
use crate::error::UsageError;
use crate::profile::{self, OpenProfile, Session};

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
    /// Run the office's engine: sync around the clock and serve every seat
    ///
    /// Owns the profile and listens on a Unix socket (`[daemon] socket`, docs/daemon.md).
    /// While it runs, the inbox (`tresen`), `send`, `assign`, `consent`, `attachment`,
    /// `hold`, `archive seal|anchor|export`, `retention apply`, `dsar`, `export`, `compliance`,
    /// `docs`, every `account` command and `status` attach to it instead of opening the
    /// profile; `list` and `show` read beside it; only `store rebuild` wants it stopped. A Matrix
    /// account nobody logged in yet does not stop it: log it in through it.
    /// Stops on SIGTERM or SIGINT (attached seats are told why); SIGHUP reloads
    /// `[[staff]]`.
    Daemon,
    /// Whether a daemon owns the profile: its PID, socket, uptime, accounts and seats
    ///
    /// Exit code 0: a daemon runs; 3: none runs.
    Status {
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
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
        /// Name the staff member who sent each message (otherwise "Team"); this read is
        /// archived under your name first (R-D3)
        #[arg(long)]
        staff_names: bool,
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
        /// Message text (may be empty with --attach); `-` reads it from standard input
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
        purpose: Option<crate::cli::compliance::PurposeArg>,
        /// Send a quick reply (by name) instead of a text, with its tags and its
        /// Vordruck mark
        #[arg(long, value_name = "NAME")]
        template: Option<String>,
        /// Send later: "2026-12-07 08:00", "24.12. 10:00", "Mo 8:00" (local time). Kept
        /// and archived now, sent then (consent and footer decided then); text only
        #[arg(long, value_name = "WHEN", conflicts_with_all = ["attach", "tag", "purpose"])]
        at: Option<String>,
    },
    /// Withdraw a message scheduled with `send --at` (its id is printed then, and the
    /// conversation shows it; `X` there does the same)
    Unschedule {
        /// The scheduled message's id (`s-…`)
        id: String,
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
    Archive(crate::cli::archive::ArchiveCommand),
    /// Preview the Pflichtangaben footer (docs/compliance.md)
    #[command(subcommand)]
    Footer(crate::cli::compliance::FooterCommand),
    /// Show and record customers' consent to messenger contact (docs/compliance.md)
    #[command(subcommand)]
    Consent(crate::cli::compliance::ConsentCommand),
    /// Correct a customer's name as a new version, and read its versions (Art. 16 GDPR)
    #[command(subcommand)]
    Contact(crate::cli::contact::ContactCommand),
    /// What tresen stores about employees
    #[command(subcommand)]
    Staff(crate::cli::compliance::StaffCommand),
    /// Check configuration and inbox for compliance gaps
    #[command(subcommand)]
    Compliance(crate::cli::compliance::ComplianceCommand),
    /// The inbox store: rebuild it from the archive
    #[command(subcommand)]
    Store(crate::cli::archive::StoreCommand),
    /// Retention periods: what expires, and destroying it when it has
    #[command(subcommand)]
    Retention(crate::cli::retention::RetentionCommand),
    /// Legal, tax and warranty holds: keep data beyond its retention period
    #[command(subcommand)]
    Hold(crate::cli::retention::HoldCommand),
    /// GDPR requests of a customer: copy of their data (Art. 15/20) and erasure (Art. 17)
    #[command(subcommand)]
    Dsar(crate::cli::dsar::DsarCommand),
    /// Restrict a message to the owner: Art. 9 GDPR (health) or third parties' data
    Restrict(crate::cli::restrict::RestrictArgs),
    /// Offers and orders: consumer or not, accepted (with the Widerrufsbelehrung),
    /// declined, work begun
    #[command(subcommand)]
    Order(crate::cli::order::OrderCommand),
    /// Readable copies of conversations (from the archive)
    #[command(subcommand)]
    Export(crate::cli::archive::ExportCommand),
    /// Generated documentation: the GoBD process documentation, the Art. 30 record
    #[command(subcommand)]
    Docs(crate::cli::docs::DocsCommand),
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff); with --out, write it and one page per command
    ///
    /// The page lists the commands as tresen-send(1), tresen-archive(1) …: those pages
    /// exist once written, e.g. `tresen man --out ~/.local/share/man/man1`.
    Man {
        /// Directory to write tresen.1 and every command's page into
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
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
        Some(Command::Man { out }) => return crate::cli::man::man(Cli::command(), out.as_deref()),
        Some(Command::Config(ConfigCommand::Default)) => {
            crate::out!("{}", crate::config::DEFAULT_TOML);
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Config(ConfigCommand::Check { path })) => {
            let file = path.or_else(|| Paths::config_file(cli.config.as_deref()));
            let config = Config::load(file.as_deref())?;
            let paths = Paths::resolve(file.clone(), &config);
            let lang = config.language();
            match &file {
                Some(f) => crate::outln!("{}: OK", f.display()),
                None => crate::outln!(
                    "{}: OK",
                    lang.t(
                        "keine Konfigurationsdatei, es gelten die eingebauten Vorgaben",
                        "no config file; using the built-in defaults"
                    )
                ),
            }
            let dir = lang.t("Datenverzeichnis", "data directory");
            crate::outln!("{dir}: {}", paths.data_dir.display());
            crate::outln!(
                "{}: {}",
                lang.t("Konten", "accounts"),
                config.accounts.len()
            );
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
    // A running daemon owns the profile: these commands become its seats.
    let account_attaches = matches!(&cli.command, Some(Command::Account(a)) if crate::cli::account_daemon::attaches(a));
    let attaches = account_attaches
        || matches!(
            cli.command,
            None | Some(
                Command::Send { .. }
                    | Command::Unschedule { .. }
                    | Command::Assign { .. }
                    | Command::Sync { .. }
                    | Command::Attachment(_)
                    | Command::Archive(
                        crate::cli::archive::ArchiveCommand::Seal
                            | crate::cli::archive::ArchiveCommand::Export { .. }
                            | crate::cli::archive::ArchiveCommand::Anchor { .. }
                            | crate::cli::archive::ArchiveCommand::RestoreTest { .. }
                    )
                    | Command::Retention(
                        crate::cli::retention::RetentionCommand::Apply { .. }
                            | crate::cli::retention::RetentionCommand::Item { .. }
                    )
                    | Command::Dsar(_)
                    | Command::Order(_)
                    | Command::Restrict(_)
                    | Command::Export(_)
                    | Command::Docs(_)
                    | Command::Compliance(_)
                    | Command::Hold(
                        crate::cli::retention::HoldCommand::Set { .. }
                            | crate::cli::retention::HoldCommand::Release { .. }
                    )
                    | Command::Contact(_)
                    | Command::Consent(
                        crate::cli::compliance::ConsentCommand::Grant { .. }
                            | crate::cli::compliance::ConsentCommand::Withdraw { .. }
                    )
            )
        );
    if attaches {
        let rt = runtime()?;
        if let Some(remote) = rt.block_on(seat::attach(&paths, config.language()))? {
            return run_seat(&config, rt, remote, cli.command);
        }
        // A staff member's seat config: only the daemon's socket. Opening an empty
        // profile of its own instead would look like a lost inbox.
        if config.accounts.is_empty() && !config.daemon.socket.trim().is_empty() {
            return Err(UsageError(match config.language() {
                crate::app::i18n::Lang::De => format!(
                    "Der tresen-Dienst läuft nicht (kein Dienst an {}). Bitte die Inhaberin oder den Inhaber fragen: `systemctl start tresen`",
                    paths.socket.display()
                ),
                crate::app::i18n::Lang::En => format!(
                    "the tresen daemon is not running (none at {}). Ask the owner to start it: `systemctl start tresen`",
                    paths.socket.display()
                ),
            })
            .into());
        }
    }
    match cli.command {
        Some(Command::Status { json }) => seat::status(&paths, config.language(), json),
        None => {
            let profile = profile::open(&config, paths, &prompt)?;
            let connectors = profile::connectors(&config, &profile)?;
            run_tui(&config, profile, connectors, false)
        }
        Some(Command::List { json, all }) => {
            let profile = profile::open_read_only(&config, paths, &prompt)?;
            list(&profile.store, json, all, config.language())
        }
        Some(Command::Show {
            conversation,
            json,
            limit,
            staff_names,
        }) => crate::cli::inbox::show_command(
            &config,
            profile::open_read_only(&config, paths, &prompt)?,
            &conversation,
            (json, limit),
            staff_names,
        ),
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
            // An account that cannot connect yet (not logged in) waits and says why: the
            // owner logs it in through the running daemon (`tresen account add`).
            let connectors = profile::AccountKit::new(&config, &profile).connectors();
            if connectors.is_empty() {
                return Err(UsageError(
                    "no accounts configured: add [[accounts]] to the config (see docs/config.md)"
                        .into(),
                )
                .into());
            }
            daemon(&config, profile, connectors)
        }
        Some(Command::Send {
            conversation,
            text,
            attach,
            timeout,
            tag,
            purpose,
            template,
            at,
        }) => {
            let due = at
                .map(|a| scheduled::due_of(&a, config.language()))
                .transpose()?;
            let files = read_files(&attach)?;
            let profile = profile::open(&config, paths, &prompt)?;
            let (text, files, options) =
                send_input(&config, text, files, tag, purpose, template, || {
                    find(&profile.store, &conversation, &config).ok()
                })?;
            let connectors = profile::connectors(&config, &profile)?;
            if let Some(due) = due {
                scheduled::untagged(&options, config.language())?;
                return scheduled::local(&config, profile, connectors, &conversation, text, due);
            }
            send(
                &config,
                profile,
                connectors,
                &conversation,
                (text, files, options),
                timeout,
            )
        }
        Some(Command::Unschedule { id }) => {
            let profile = profile::open(&config, paths, &prompt)?;
            let connectors = profile::connectors(&config, &profile)?;
            scheduled::cancel_local(&config, profile, connectors, id)
        }
        Some(Command::Assign {
            conversation,
            staff,
            none,
        }) => {
            let mut profile = profile::open(&config, paths, &prompt)?;
            let c = find(&profile.store, &conversation, &config)?;
            let staff = crate::cli::common::assignee(&config, staff, none, None)?;
            use crate::store::Store as _;
            profile.store.apply(&[crate::store::Op::Assign {
                conversation: c.id,
                staff: staff.clone(),
            }])?;
            match staff {
                Some(who) => crate::outln!("{} → {}", safe(&c.title), safe(&who)),
                None => crate::outln!(
                    "{}: {}",
                    safe(&c.title),
                    config
                        .language()
                        .t("niemandem zugewiesen", "nobody assigned")
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Attachment(cmd)) => {
            let profile = profile::open(&config, paths, &prompt)?;
            crate::cli::attachment::run(&config, profile, cmd)
        }
        Some(Command::Account(AccountCommand::List { json })) => {
            let profile = profile::open_read_only(&config, paths, &prompt)?;
            crate::cli::account::list(&config, &profile, json)
        }
        Some(Command::Account(cmd)) => {
            let mut profile = profile::open(&config, paths, &prompt)?;
            crate::cli::account::run(&config, &mut profile, cmd)
        }
        Some(Command::Archive(cmd)) => {
            crate::cli::archive::run_archive(&config, paths, &prompt, cmd)
        }
        Some(Command::Store(cmd)) => crate::cli::archive::run_store(&config, paths, &prompt, cmd),
        Some(Command::Retention(cmd)) => {
            crate::cli::retention::run_retention(&config, paths, &prompt, cmd)
        }
        Some(Command::Hold(cmd)) => crate::cli::retention::run_hold(&config, paths, &prompt, cmd),
        Some(Command::Dsar(cmd)) => crate::cli::dsar::run_dsar(&config, paths, &prompt, cmd),
        Some(Command::Order(cmd)) => crate::cli::order::run_order(&config, paths, &prompt, cmd),
        Some(Command::Restrict(a)) => crate::cli::restrict::run(&config, paths, &prompt, a),
        Some(Command::Export(cmd)) => crate::cli::archive::run_export(&config, paths, &prompt, cmd),
        Some(Command::Docs(cmd)) => crate::cli::docs::run(&config, paths, &prompt, cmd),
        Some(Command::Footer(cmd)) => crate::cli::compliance::run_footer(&config, cmd),
        Some(Command::Consent(cmd)) => {
            crate::cli::compliance::run_consent(&config, paths, &prompt, cmd)
        }
        Some(Command::Contact(cmd)) => crate::cli::contact::run(&config, paths, &prompt, cmd),
        Some(Command::Staff(cmd)) => crate::cli::compliance::run_staff(&config, cmd),
        Some(Command::Compliance(crate::cli::compliance::ComplianceCommand::Check { json })) => {
            crate::cli::compliance::run_check(&config, paths, &prompt, json)
        }
        Some(Command::Completions { .. } | Command::Man { .. } | Command::Config(_)) => {
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The inbox, `send`, `assign` and `sync --once` as seats of the running daemon.
fn run_seat(
    config: &Config,
    rt: tokio::runtime::Runtime,
    remote: crate::seat::remote::Remote,
    command: Option<Command>,
) -> Result<ExitCode> {
    let lang = config.language();
    if !matches!(command, None | Some(Command::Sync { .. })) {
        seat::policy_accepted(&remote, lang)?;
    }
    match command {
        None => run_attached_tui(config, rt, remote),
        Some(Command::Sync { .. }) => seat::sync_attached(&remote, lang),
        Some(Command::Send {
            conversation,
            text,
            attach,
            timeout,
            tag,
            purpose,
            template,
            at,
        }) => {
            let due = at.map(|a| scheduled::due_of(&a, lang)).transpose()?;
            let files = read_files(&attach)?;
            let (text, files, options) =
                send_input(config, text, files, tag, purpose, template, || {
                    let r = remote.clone();
                    let key = conversation.clone();
                    rt.block_on(async move { r.call("find", &key).await })
                        .ok()
                        .flatten()
                })?;
            if let Some(due) = due {
                scheduled::untagged(&options, lang)?;
                let _ = files;
                return rt.block_on(scheduled::through_daemon(
                    &remote,
                    &conversation,
                    text,
                    due,
                    lang,
                ));
            }
            rt.block_on(seat::send(
                &remote,
                &conversation,
                (text, files, options),
                timeout,
                lang,
            ))
        }
        Some(Command::Unschedule { id }) => {
            rt.block_on(scheduled::cancel_through_daemon(&remote, id, lang))
        }
        Some(Command::Assign {
            conversation,
            staff,
            none,
        }) => {
            let staff = crate::cli::common::assignee(
                config,
                staff,
                none,
                Some(remote.hello().identity.name),
            )?;
            rt.block_on(seat::assign(&remote, &conversation, staff, lang))
        }
        Some(Command::Consent(cmd)) => {
            let change = crate::cli::compliance::consent_change(cmd)?;
            rt.block_on(seat::consent(&remote, change, lang))
        }
        Some(Command::Contact(cmd)) => {
            rt.block_on(crate::cli::contact::run_attached(&remote, cmd, lang))
        }
        Some(Command::Attachment(cmd)) => {
            crate::cli::attachment::run_attached(&rt, &remote, cmd, config.language())
        }
        Some(Command::Archive(crate::cli::archive::ArchiveCommand::Export {
            from,
            to,
            classes,
            out,
            staff_names,
        })) => {
            let mut books = crate::cli::books::Books::Daemon { rt, remote, lang };
            crate::cli::books::audit_export(&mut books, (from, to), (classes, staff_names), &out)
        }
        Some(Command::Archive(crate::cli::archive::ArchiveCommand::RestoreTest { dir, json })) => {
            crate::cli::books::restore_test(
                &mut crate::cli::books::Books::Daemon { rt, remote, lang },
                &dir,
                json,
            )
        }
        Some(Command::Archive(crate::cli::archive::ArchiveCommand::Anchor { out })) => {
            crate::cli::books::anchor(
                &mut crate::cli::books::Books::Daemon { rt, remote, lang },
                &out,
            )
        }
        Some(Command::Retention(crate::cli::retention::RetentionCommand::Apply { yes })) => {
            let mut books = crate::cli::books::Books::Daemon { rt, remote, lang };
            crate::cli::books::retention_apply(&mut books, yes)
        }
        Some(Command::Retention(cmd @ crate::cli::retention::RetentionCommand::Item { .. })) => {
            crate::cli::retention::run_attached(&rt, &remote, cmd, lang)
        }
        Some(Command::Restrict(a)) => crate::cli::restrict::attached(&rt, &remote, a, lang),
        Some(Command::Order(cmd)) => crate::cli::order::run(
            &mut crate::cli::books::Books::Daemon { rt, remote, lang },
            cmd,
        ),
        Some(Command::Dsar(cmd)) => crate::cli::dsar::run(
            &mut crate::cli::books::Books::Daemon { rt, remote, lang },
            cmd,
        ),
        Some(Command::Export(crate::cli::archive::ExportCommand::Conversation {
            conversation,
            format,
            out,
        })) => crate::cli::books::transcript(
            &mut crate::cli::books::Books::Daemon { rt, remote, lang },
            conversation,
            format.into(),
            out.as_deref(),
        ),
        Some(Command::Account(cmd)) => {
            crate::cli::account_daemon::run_attached(&rt, &remote, cmd, lang)
        }
        Some(Command::Compliance(crate::cli::compliance::ComplianceCommand::Check { json })) => {
            crate::cli::books::compliance_check(
                &mut crate::cli::books::Books::Daemon { rt, remote, lang },
                json,
            )
        }
        Some(Command::Docs(cmd)) => {
            let (ask, out) = cmd.ask();
            crate::cli::books::document(
                &mut crate::cli::books::Books::Daemon { rt, remote, lang },
                ask,
                out.as_deref(),
            )
        }
        Some(Command::Archive(_)) => {
            rt.block_on(crate::seat::Seat::order(
                &remote,
                crate::protocol::Order::Seal,
                "",
            ))
            .map_err(UsageError)?;
            crate::cli::archive::print_sealed(lang)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Hold(cmd)) => crate::cli::retention::hold_attached(&rt, &remote, cmd, lang),
        Some(_) => Err(anyhow::anyhow!(
            "this command does not attach to the daemon"
        )),
    }
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
    let rt = runtime()?;
    let mut cfg = AppConfig::from_config(config, demo);
    if let Some(status) = &mut cfg.policy {
        // What this staff member accepted, from this profile's archive (R-F1).
        let dir = crate::archive::Archive::dir_of(&profile.paths.data_dir);
        status.accepted =
            crate::archive::read::policy_accepted(&dir, &profile.key, &config.staff_name())
                .context("reading the usage policy acceptances")?;
        crate::procdoc::bundle::keep_policy(&profile.paths.data_dir, &status.policy)?;
    }
    rt.block_on(async {
        let (engine, handle, _held) = Session::start(
            profile,
            connectors,
            EngineOptions::default(),
            config.staff_name(),
        )?
        .into_parts();
        let engine_task = tokio::spawn(engine.run());
        let app = App::new(cfg, Timestamp::now());
        let r = drive_tui(config, app, &handle).await;
        handle.shutdown().await;
        let _ = engine_task.await;
        r
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The inbox as a seat of the daemon: who works here is what the daemon says.
fn run_attached_tui(
    config: &Config,
    rt: tokio::runtime::Runtime,
    remote: crate::seat::remote::Remote,
) -> Result<ExitCode> {
    let mut cfg = AppConfig::from_config(config, false);
    let hello = remote.hello();
    cfg.staff_name = hello.identity.name;
    // The office's hours and usage policy are the daemon's, not this seat's copy.
    cfg.hours = hello.hours;
    cfg.policy = hello.policy;
    let app = App::new(cfg, Timestamp::now());
    rt.block_on(drive_tui(config, app, &remote))?;
    Ok(ExitCode::SUCCESS)
}

/// Sets up the terminal, runs the inbox on `seat`, and restores the terminal.
async fn drive_tui<E: crate::seat::Seat>(config: &Config, mut app: App, seat: &E) -> Result<()> {
    let mouse = config.ui.mouse;
    let editor = crate::tui::terminal::editor_command(&config.ui.editor);
    let german = config.german();
    let mut terminal = crate::tui::terminal::enter(mouse).context("cannot set up the terminal")?;
    // Asks the terminal what it can draw: before anything else reads its answers.
    let picker = crate::preview::picker(config.ui.photos);
    let input = crossterm::event::EventStream::new();
    let opts = crate::tui::RunOptions {
        tick: Duration::from_secs(1),
        editor: Box::new(move |initial: &str| {
            crate::tui::terminal::run_editor(&editor, initial, mouse, german)
        }),
        clock: Box::new(Timestamp::now),
        downloads: crate::attachment_io::download_dir(),
        opener: crate::attachment_io::open_with_desktop,
        notifier: crate::tui::desktop::Notifier::new(
            config.notifications.desktop,
            config.notifications.terminal_sequence,
        ),
        hyperlinks: config.ui.hyperlinks
            && crate::ui::hyperlink::supported(std::env::var("TERM").ok().as_deref()),
        picker,
    };
    let r = crate::tui::run(&mut terminal, &mut app, seat, input, opts).await;
    crate::tui::terminal::restore_if_entered();
    r.map_err(anyhow::Error::from)
}
