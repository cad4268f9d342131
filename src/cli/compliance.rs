//! `tresen footer preview`, `tresen consent show|grant|withdraw`, `tresen staff
//! what-is-stored` and `tresen compliance check` (docs/compliance.md).

use std::process::ExitCode;

use crate::app::i18n::Lang;
use crate::findings::Report;
use anyhow::{Context as _, Result};
use clap::{Subcommand, ValueEnum};

use crate::compliance::consent::{self, Action, ConsentRecord, ConsentState, Method, Purpose};
use crate::compliance::{LedgerEntry, contact_key, footer};
use crate::config::{Config, Paths};
use crate::domain::{AccountId, Channel, Timestamp, sanitize_for_terminal};
use crate::error::UsageError;
use crate::store::StoreRead;

#[derive(Debug, Subcommand)]
pub enum FooterCommand {
    /// Show the Pflichtangaben footer exactly as messages carry it
    ///
    /// Rendered from [company] and [footer] in the configuration. With --text, shows the
    /// messages a text would become on a network: split where the network's limit
    /// needs it, the footer whole in the last one.
    Preview {
        /// The one-line form used where the full one takes too much room
        #[arg(long)]
        compact: bool,
        /// Show how a text goes out on this network (with --text)
        #[arg(long, value_enum)]
        network: Option<NetworkArg>,
        /// A message text to lay out with the footer
        #[arg(long)]
        text: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum NetworkArg {
    Signal,
    Whatsapp,
    Telegram,
    Matrix,
}

impl NetworkArg {
    fn channel(self) -> Channel {
        match self {
            Self::Signal => Channel::Signal,
            Self::Whatsapp => Channel::Whatsapp,
            Self::Telegram => Channel::Telegram,
            Self::Matrix => Channel::Matrix,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PurposeArg {
    ServiceMessaging,
    Reminders,
    Marketing,
    ReviewRequest,
}

impl PurposeArg {
    pub fn purpose(self) -> Purpose {
        match self {
            Self::ServiceMessaging => Purpose::ServiceMessaging,
            Self::Reminders => Purpose::Reminders,
            Self::Marketing => Purpose::Marketing,
            Self::ReviewRequest => Purpose::ReviewRequest,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    /// Said by phone or at the counter; recorded under your staff name
    Verbal,
    WebForm,
    PaperScan,
}

#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// A contact's consent history, with the exact wording each consent was given to
    Show {
        /// Conversation ID, the customer's number or handle, or the exact name
        contact: String,
        #[arg(long)]
        json: bool,
    },
    /// Record a consent the customer gave outside the chat (web form, paper, phone)
    ///
    /// The record goes into the archive and cannot be changed afterwards; a mistake is
    /// corrected by a withdrawal. The wording recorded is the configured consent
    /// question ([consent] wording) as it is now.
    Grant {
        /// Conversation ID, the customer's number or handle, or the exact name
        contact: String,
        /// What the consent covers (repeatable)
        #[arg(long, value_enum, default_value = "service-messaging")]
        purpose: Vec<PurposeArg>,
        #[arg(long, value_enum)]
        method: MethodArg,
        /// Where the proof is: the form's submission id, the scan's file name
        #[arg(long)]
        evidence: Option<String>,
    },
    /// Record that the customer withdrew consent (all purposes unless --purpose)
    Withdraw {
        contact: String,
        #[arg(long, value_enum)]
        purpose: Vec<PurposeArg>,
        /// How the customer said so (e.g. "Anruf 27.11.")
        #[arg(long)]
        evidence: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// What tresen stores about an employee, for how long and who can see it (R-D5)
    WhatIsStored {
        /// Staff name; default: you
        name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ComplianceCommand {
    /// Check the configuration and the inbox for compliance gaps
    ///
    /// Exit status 0 when nothing required is missing, 1 when something is (each
    /// finding says what to do), 2 when the check itself could not run.
    Check {
        #[arg(long)]
        json: bool,
    },
}

pub fn run_footer(config: &Config, cmd: FooterCommand) -> Result<ExitCode> {
    let FooterCommand::Preview {
        compact,
        network,
        text,
    } = cmd;
    let rules = config
        .compliance()
        .map_err(|e| UsageError(format!("{}: {}", e.key, e.message)))?;
    let lang = config.language();
    let Some(f) = rules.footer else {
        return Err(UsageError(
            lang.t(
                "kein Abschnitt [company] in der Konfiguration: aus ihm entsteht die Fußzeile (docs/compliance.md)",
                "no [company] section in the configuration: the footer is generated from it (docs/compliance.md)",
            )
            .into(),
        )
        .into());
    };
    match (text, network) {
        (None, _) => {
            crate::outln!("{}", if compact { &f.compact } else { &f.full });
            eprintln!(
                "{} {}",
                lang.t("Fassung der Fußzeile", "footer version"),
                f.version
            );
        }
        (Some(text), network) => {
            let channel = network.map_or(Channel::Matrix, NetworkArg::channel);
            let budget = footer::Budget::for_channel(channel);
            let parts =
                footer::compose(&text, Some(&f), channel).map_err(|e| UsageError(e.to_string()))?;
            for (i, p) in parts.iter().enumerate() {
                let (n, of, used, limit) = (i + 1, parts.len(), budget.measure(p), budget.limit());
                match lang {
                    Lang::De => {
                        let unit = match budget.unit() {
                            "bytes" => "Bytes",
                            _ => "Zeichen",
                        };
                        crate::outln!("── Nachricht {n}/{of} ({used} von {limit} {unit}) ──")
                    }
                    Lang::En => crate::outln!(
                        "── message {n}/{of} ({used} of {limit} {}) ──",
                        budget.unit()
                    ),
                }
                crate::outln!("{}", sanitize_for_terminal(p, true));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

use crate::cli::inbox::find;

pub fn run_consent(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: ConsentCommand,
) -> Result<ExitCode> {
    match cmd {
        ConsentCommand::Show { contact, json } => {
            let p = crate::profile::open_read_only(config, paths, prompt)?;
            let conv = find(&p.store, &contact, config)?;
            let (channel, address) = contact_key(&conv);
            let records: Vec<ConsentRecord> = p
                .store
                .ledger(channel, &address)?
                .into_iter()
                .filter_map(|e| match e {
                    LedgerEntry::Consent(r) => Some(r),
                    _ => None,
                })
                .collect();
            if json {
                crate::out::json(&records)?;
                return Ok(ExitCode::SUCCESS);
            }
            let safe = |s: &str| sanitize_for_terminal(s, false).into_owned();
            let lang = config.language();
            crate::outln!(
                "{} ({} {})",
                safe(&conv.title),
                channel.as_str(),
                safe(&address)
            );
            for purpose in Purpose::ALL {
                let state = match consent::state(&records, purpose) {
                    ConsentState::None => lang.t("keine", "none").to_string(),
                    ConsentState::Granted { at, .. } => {
                        format!("{} {}", lang.t("erteilt", "granted"), day(at))
                    }
                    ConsentState::Withdrawn { at } => {
                        format!("{} {}", lang.t("WIDERRUFEN", "WITHDRAWN"), day(at))
                    }
                };
                crate::outln!("  {:<18} {state}", purpose.as_str());
            }
            if records.is_empty() {
                crate::outln!(
                    "{}",
                    lang.t("keine Einwilligung verzeichnet", "no consent records")
                );
            }
            for r in &records {
                crate::outln!();
                crate::outln!(
                    "{} {} {} {} {}{}",
                    day(r.at),
                    match r.action {
                        Action::Grant => lang.t("ERTEILT", "GRANTED"),
                        Action::Withdraw => lang.t("WIDERRUFEN", "WITHDRAWN"),
                    },
                    r.purposes
                        .iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    lang.t("durch", "by"),
                    r.method.as_str(),
                    if r.staff.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " ({} {})",
                            lang.t("eingetragen von", "noted by"),
                            safe(&r.staff)
                        )
                    }
                );
                if let Some(e) = &r.evidence {
                    crate::outln!("  {}: {}", lang.t("Nachweis", "evidence"), safe(e));
                    if let Some(text) = evidence_text(&p.store, e)? {
                        match lang {
                            crate::app::i18n::Lang::De => {
                                crate::outln!("  die Kundschaft schrieb: „{}“", safe(&text))
                            }
                            crate::app::i18n::Lang::En => {
                                crate::outln!("  the customer wrote: \"{}\"", safe(&text))
                            }
                        }
                    }
                }
                let matches =
                    crate::compliance::sha256_hex(r.wording.as_bytes()) == r.wording_sha256;
                crate::outln!(
                    "  {} {} (SHA-256 {}{}):",
                    lang.t("Wortlaut", "wording"),
                    r.wording_version,
                    &r.wording_sha256,
                    if matches {
                        lang.t(", geprüft", ", verified")
                    } else {
                        lang.t(", STIMMT NICHT", ", DOES NOT MATCH")
                    }
                );
                for line in r.wording.lines() {
                    crate::outln!("  │ {}", safe(line));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        cmd => {
            let change = consent_change(cmd)?;
            record(config, paths, prompt, change)
        }
    }
}

/// What `consent grant|withdraw` records, checked before anything is opened.
pub(crate) struct ConsentChange {
    pub(crate) contact: String,
    pub(crate) action: Action,
    pub(crate) purposes: Vec<Purpose>,
    pub(crate) method: Method,
    pub(crate) evidence: Option<String>,
}

/// The change a `consent grant|withdraw` asks for (`show` asks for none).
pub(crate) fn consent_change(cmd: ConsentCommand) -> Result<ConsentChange> {
    let (contact, action, purposes, method, evidence) = match cmd {
        ConsentCommand::Show { .. } => {
            return Err(anyhow::anyhow!("`consent show` records nothing"));
        }
        ConsentCommand::Grant {
            contact,
            purpose,
            method,
            evidence,
        } => {
            let method = match method {
                MethodArg::Verbal => Method::Verbal,
                MethodArg::WebForm => Method::WebForm,
                MethodArg::PaperScan => Method::PaperScan,
            };
            if method != Method::Verbal && evidence.is_none() {
                // Named as typed on the command line (`web-form`), not as stored.
                return Err(UsageError(format!(
                    "--method {} needs --evidence: the form submission or the scan that proves it (Art. 7(1) GDPR)",
                    method.as_str().replace('_', "-")
                ))
                .into());
            }
            (contact, Action::Grant, purpose, method, evidence)
        }
        ConsentCommand::Withdraw {
            contact,
            purpose,
            evidence,
        } => (
            contact,
            Action::Withdraw,
            purpose,
            Method::StaffAction,
            evidence,
        ),
    };
    let mut purposes: Vec<Purpose> = purposes.into_iter().map(PurposeArg::purpose).collect();
    if purposes.is_empty() {
        purposes = Purpose::ALL.to_vec();
    }
    purposes.sort();
    purposes.dedup();
    Ok(ConsentChange {
        contact,
        action,
        purposes,
        method,
        evidence,
    })
}

/// The line that confirms a recorded consent.
pub(crate) fn print_recorded(r: &ConsentRecord, lang: crate::app::i18n::Lang) -> Result<()> {
    let purposes = r
        .purposes
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let (contact, address) = (
        sanitize_for_terminal(&r.contact, false),
        sanitize_for_terminal(&r.address, false),
    );
    match (lang, r.action) {
        (crate::app::i18n::Lang::De, Action::Grant) => crate::outln!(
            "Einwilligung erteilt: {purposes} für {contact} ({address}); im Archiv festgehalten"
        ),
        (crate::app::i18n::Lang::De, Action::Withdraw) => crate::outln!(
            "Einwilligung widerrufen: {purposes} für {contact} ({address}); im Archiv festgehalten"
        ),
        (crate::app::i18n::Lang::En, Action::Grant) => crate::outln!(
            "consent granted: {purposes} for {contact} ({address}); recorded in the archive"
        ),
        (crate::app::i18n::Lang::En, Action::Withdraw) => crate::outln!(
            "consent withdrawn: {purposes} for {contact} ({address}); recorded in the archive"
        ),
    }
    Ok(())
}

fn record(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    change: ConsentChange,
) -> Result<ExitCode> {
    let mut p = crate::profile::open(config, paths, prompt)?;
    let conv = find(&p.store, &change.contact, config)?;
    let (channel, address) = contact_key(&conv);
    // The question for what is consented to (a reminder consent: the reminder question).
    let (wording, wording_version, wording_sha256) =
        p.compliance.consent.question(&change.purposes);
    let r = ConsentRecord {
        account: conv.account.0.clone(),
        contact: conv.title.clone(),
        channel,
        address,
        purposes: change.purposes,
        action: change.action,
        wording_version,
        wording_sha256,
        wording,
        method: change.method,
        evidence: change.evidence,
        staff: config.staff_name(),
        at: Timestamp::now(),
    };
    let blobs = p.blobs();
    let mut books = crate::lifecycle::Books {
        archive: p.archive.as_mut().context("no archive")?,
        store: &mut p.store,
        blobs: Some(&blobs),
    };
    books.record(&[crate::archive::Payload::Consent(r.clone())])?;
    print_recorded(&r, config.language())?;
    Ok(ExitCode::SUCCESS)
}

/// The text of the message an evidence reference (`account/remote id`) points at.
fn evidence_text(store: &dyn StoreRead, evidence: &str) -> Result<Option<String>> {
    let Some((account, remote)) = evidence.split_once('/') else {
        return Ok(None);
    };
    let Some((id, _)) = store.message_by_remote(&AccountId(account.to_string()), remote)? else {
        return Ok(None);
    };
    Ok(store.message(id)?.map(|m| m.body))
}

fn day(t: Timestamp) -> String {
    t.to_local().format("%d.%m.%Y %H:%M").to_string()
}

pub fn run_staff(config: &Config, cmd: StaffCommand) -> Result<ExitCode> {
    let StaffCommand::WhatIsStored { name } = cmd;
    let name = name.unwrap_or_else(|| config.staff_name());
    let de = config.language() == crate::app::i18n::Lang::De;
    for line in
        crate::compliance::staff::what_is_stored(&name, &config.staff, &config.monitoring, de)
    {
        crate::outln!("{}", sanitize_for_terminal(&line, false));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_check(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    json: bool,
) -> Result<ExitCode> {
    // With the profile to itself the check is archived like the daemon's.
    match crate::profile::open(config, paths.clone(), prompt) {
        Ok(p) => {
            let mut books = crate::cli::books::Books::here(config, p);
            return crate::cli::books::compliance_check(&mut books, json);
        }
        Err(e) => {
            tracing::info!(error = %e, "compliance check without the profile: not archived");
            match config.language() {
                crate::app::i18n::Lang::De => {
                    eprintln!("Hinweis: Ergebnis wird nicht archiviert ({e})")
                }
                crate::app::i18n::Lang::En => eprintln!("note: the report is not archived ({e})"),
            }
        }
    }
    let opened = crate::profile::open_read_only(config, paths.clone(), prompt)
        .map_err(|e| e.to_string())
        .and_then(|p| {
            let checks = crate::findings::archive::ArchiveFacts::read(
                &p.paths.data_dir,
                &p.key,
                &p.store,
                config,
            )
            .map_err(|e| e.to_string())?;
            Ok((p, checks))
        });
    let inbox = match &opened {
        Ok((p, checks)) => Ok((&p.store as &dyn StoreRead, checks)),
        Err(e) => Err(e.clone()),
    };
    let report = Report::check(config, &paths, inbox, Timestamp::now())
        .context("reading the compliance ledger")?;
    crate::cli::books::print_check(&report, json, config.language())
}

/// `tresen send --tag` / `--purpose`: turned into the engine's options.
pub fn send_options(tags: Vec<String>, purpose: Option<PurposeArg>) -> crate::engine::SendOptions {
    crate::engine::SendOptions {
        tags,
        purpose: purpose.map(PurposeArg::purpose),
        ..Default::default()
    }
}
