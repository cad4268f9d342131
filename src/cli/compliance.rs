//! `tresen footer preview`, `tresen consent show|grant|withdraw`, `tresen staff
//! what-is-stored` and `tresen compliance check` (docs/compliance.md).

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{Subcommand, ValueEnum};
use serde::Serialize;

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
    let Some(f) = rules.footer else {
        return Err(UsageError(
            "no [company] section in the configuration: the footer is generated from it (docs/compliance.md)".into(),
        )
        .into());
    };
    match (text, network) {
        (None, _) => {
            crate::outln!("{}", if compact { &f.compact } else { &f.full });
            eprintln!("footer version {}", f.version);
        }
        (Some(text), network) => {
            let channel = network.map_or(Channel::Matrix, NetworkArg::channel);
            let budget = footer::Budget::for_channel(channel);
            let parts =
                footer::compose(&text, Some(&f), channel).map_err(|e| UsageError(e.to_string()))?;
            for (i, p) in parts.iter().enumerate() {
                crate::outln!(
                    "── message {}/{} ({} of {} {}) ──",
                    i + 1,
                    parts.len(),
                    budget.measure(p),
                    budget.limit(),
                    budget.unit()
                );
                crate::outln!("{}", sanitize_for_terminal(p, true));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn find(store: &dyn StoreRead, key: &str) -> Result<crate::domain::Conversation> {
    store.find_conversation(key)?.ok_or_else(|| {
        UsageError(format!(
            "no conversation `{key}`: use the ID from `tresen list`, the customer's number, or the exact name"
        ))
        .into()
    })
}

pub fn run_consent(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    cmd: ConsentCommand,
) -> Result<ExitCode> {
    match cmd {
        ConsentCommand::Show { contact, json } => {
            let p = crate::profile::open_read_only(config, paths, prompt)?;
            let conv = find(&p.store, &contact)?;
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
            crate::outln!(
                "{} ({} {})",
                safe(&conv.title),
                channel.as_str(),
                safe(&address)
            );
            for purpose in Purpose::ALL {
                let state = match consent::state(&records, purpose) {
                    ConsentState::None => "none".to_string(),
                    ConsentState::Granted { at, .. } => format!("granted {}", day(at)),
                    ConsentState::Withdrawn { at } => format!("WITHDRAWN {}", day(at)),
                };
                crate::outln!("  {:<18} {state}", purpose.as_str());
            }
            if records.is_empty() {
                crate::outln!("no consent records");
            }
            for r in &records {
                crate::outln!();
                crate::outln!(
                    "{} {} {} by {}{}",
                    day(r.at),
                    match r.action {
                        Action::Grant => "GRANTED",
                        Action::Withdraw => "WITHDRAWN",
                    },
                    r.purposes
                        .iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    r.method.as_str(),
                    if r.staff.is_empty() {
                        String::new()
                    } else {
                        format!(" (noted by {})", safe(&r.staff))
                    }
                );
                if let Some(e) = &r.evidence {
                    crate::outln!("  evidence: {}", safe(e));
                    if let Some(text) = evidence_text(&p.store, e)? {
                        crate::outln!("  the customer wrote: \"{}\"", safe(&text));
                    }
                }
                let matches =
                    crate::compliance::sha256_hex(r.wording.as_bytes()) == r.wording_sha256;
                crate::outln!(
                    "  wording {} (SHA-256 {}{}):",
                    r.wording_version,
                    &r.wording_sha256,
                    if matches {
                        ", verified"
                    } else {
                        ", DOES NOT MATCH"
                    }
                );
                for line in r.wording.lines() {
                    crate::outln!("  │ {}", safe(line));
                }
            }
            Ok(ExitCode::SUCCESS)
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
            record(
                config,
                paths,
                prompt,
                &contact,
                Action::Grant,
                purpose,
                method,
                evidence,
            )
        }
        ConsentCommand::Withdraw {
            contact,
            purpose,
            evidence,
        } => record(
            config,
            paths,
            prompt,
            &contact,
            Action::Withdraw,
            purpose,
            Method::StaffAction,
            evidence,
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    contact: &str,
    action: Action,
    purposes: Vec<PurposeArg>,
    method: Method,
    evidence: Option<String>,
) -> Result<ExitCode> {
    let mut purposes: Vec<Purpose> = purposes.into_iter().map(PurposeArg::purpose).collect();
    if purposes.is_empty() {
        purposes = Purpose::ALL.to_vec();
    }
    purposes.sort();
    purposes.dedup();
    let p = crate::profile::open(config, paths, prompt)?;
    let conv = find(&p.store, contact)?;
    let (channel, address) = contact_key(&conv);
    let (wording_version, wording_sha256) = p.compliance.wording.clone();
    let r = ConsentRecord {
        account: conv.account.0.clone(),
        contact: conv.title.clone(),
        channel,
        address,
        purposes,
        action,
        wording_version,
        wording_sha256,
        wording: p.compliance.consent.wording.clone(),
        method,
        evidence,
        staff: config.staff_name(),
        at: Timestamp::now(),
    };
    let crate::profile::OpenProfile {
        store,
        mut archive,
        lock: _lock,
        ..
    } = p;
    let shared = crate::store::SharedStore::new(Box::new(store));
    crate::engine::record_consent(archive.as_mut(), &shared, r.clone())?;
    crate::outln!(
        "{} {} for {} ({}); recorded in the archive",
        match action {
            Action::Grant => "consent granted:",
            Action::Withdraw => "consent withdrawn:",
        },
        r.purposes
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        sanitize_for_terminal(&r.contact, false),
        sanitize_for_terminal(&r.address, false),
    );
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Warning,
    Required,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub level: Level,
    pub message: String,
}

#[derive(Debug, Serialize)]
struct Report {
    at: String,
    required_missing: usize,
    warnings: usize,
    findings: Vec<Finding>,
}

pub fn run_check(
    config: &Config,
    paths: Paths,
    prompt: crate::secrets::Prompt<'_>,
    json: bool,
) -> Result<ExitCode> {
    let mut findings = config_findings(config, &paths);
    findings.extend(signal_cli_finding(config));
    match crate::profile::open_read_only(config, paths, prompt) {
        Ok(p) => findings.extend(inbox_findings(&p.store, Timestamp::now())?),
        Err(e) => findings.push(Finding {
            id: "inbox",
            level: Level::Warning,
            message: format!("the inbox could not be checked: {e}"),
        }),
    }
    let required_missing = findings
        .iter()
        .filter(|f| f.level == Level::Required)
        .count();
    let warnings = findings
        .iter()
        .filter(|f| f.level == Level::Warning)
        .count();
    tracing::info!(required_missing, warnings, "compliance check");
    for f in findings.iter().filter(|f| f.level != Level::Ok) {
        tracing::info!(id = f.id, level = ?f.level, message = %f.message, "compliance finding");
    }
    if json {
        let report = Report {
            at: Timestamp::now().rfc3339(),
            required_missing,
            warnings,
            findings,
        };
        crate::out::json(&report)?;
    } else {
        for f in &findings {
            let mark = match f.level {
                Level::Ok => "ok      ",
                Level::Warning => "WARNING ",
                Level::Required => "MISSING ",
            };
            crate::outln!(
                "{mark} {:<18} {}",
                f.id,
                sanitize_for_terminal(&f.message, false)
            );
        }
        crate::outln!(
            "{} required item(s) missing, {} warning(s)",
            required_missing,
            warnings
        );
    }
    Ok(if required_missing > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn finding(id: &'static str, level: Level, message: impl Into<String>) -> Finding {
    Finding {
        id,
        level,
        message: message.into(),
    }
}

/// What the configuration lacks (R-F2). Pure apart from reading the config file's text
/// to see whether `[retention]` was set on purpose.
pub fn config_findings(config: &Config, paths: &Paths) -> Vec<Finding> {
    let mut out = Vec::new();
    match &config.company {
        None => out.push(finding(
            "company",
            Level::Required,
            "no [company] section: nothing can be sent on a business account without the Pflichtangaben (docs/compliance.md)",
        )),
        Some(c) => {
            let form = c.legal_form.map_or("?", |f| f.key());
            out.push(finding("company", Level::Ok, format!("legal form {form}, Pflichtangaben complete")));
            if c.info_url.trim().is_empty() {
                out.push(finding(
                    "info_url",
                    Level::Required,
                    "company.info_url is empty: the footer and the first-contact notice must point to the DL-InfoV details and the full privacy notice",
                ));
            } else {
                out.push(finding("info_url", Level::Ok, c.info_url.trim().to_string()));
            }
            for w in c.warnings().into_iter().filter(|w| w.field != "info_url") {
                out.push(finding("company_advice", Level::Warning, format!("company.{}: {}", w.field, w.message)));
            }
        }
    }
    if config.consent.wording == consent::DEFAULT_WORDING {
        out.push(finding(
            "consent_wording",
            Level::Warning,
            "consent.wording is tresen's default text: have the firm's data-protection adviser approve or replace it",
        ));
    } else {
        out.push(finding(
            "consent_wording",
            Level::Ok,
            "own consent wording configured",
        ));
    }
    if !config.consent.require_consent_for_outbound {
        out.push(finding(
            "consent_gate",
            Level::Warning,
            "consent.require_consent_for_outbound is off: staff can start messenger conversations without consent",
        ));
    }
    let file_text = paths
        .config_file
        .as_ref()
        .and_then(|f| std::fs::read_to_string(f).ok())
        .unwrap_or_default();
    if file_text.lines().any(|l| l.trim() == "[retention]") {
        out.push(finding(
            "retention",
            Level::Ok,
            format!("default class {}", config.retention.default_class),
        ));
    } else {
        out.push(finding(
            "retention",
            Level::Warning,
            "no [retention] section: the defaults apply (Handelsbrief, 6 years); decide the classes with the tax adviser and write them down",
        ));
    }
    if config.secrets.recovery_copy.trim().is_empty() {
        out.push(finding(
            "key_recovery",
            Level::Required,
            "secrets.recovery_copy is empty: without an offline copy of the master key the archive becomes unreadable when this computer is lost (GoBD readability); make one (docs/secrets.md) and note where it is kept",
        ));
    } else {
        out.push(finding(
            "key_recovery",
            Level::Ok,
            format!("recovery copy: {}", config.secrets.recovery_copy.trim()),
        ));
    }
    let on = config.monitoring.enabled();
    if on.is_empty() {
        out.push(finding(
            "monitoring",
            Level::Ok,
            "no staff monitoring features on",
        ));
    } else {
        out.push(finding(
            "monitoring",
            Level::Warning,
            format!(
                "on: {} (works agreement: {}, DPIA: {})",
                on.join(", "),
                if config.monitoring.works_agreement_ref.is_empty() {
                    "none, no works council attested"
                } else {
                    &config.monitoring.works_agreement_ref
                },
                config.monitoring.dpia_ref
            ),
        ));
    }
    out
}

fn signal_cli_finding(config: &Config) -> Option<Finding> {
    let uses_signal = config
        .accounts
        .iter()
        .any(|a| a.network == crate::domain::AccountNetwork::Signal);
    if !uses_signal || !config.signal.endpoint.trim().is_empty() {
        return None;
    }
    let out = std::process::Command::new(&config.signal.cli_path)
        .arg("--version")
        .output();
    Some(match out {
        Ok(o) if o.status.success() => {
            let reported = String::from_utf8_lossy(&o.stdout).to_string();
            match crate::connector::signal::version::check(&reported).warning() {
                None => finding("signal_cli", Level::Ok, reported.trim().to_string()),
                Some(w) => finding("signal_cli", Level::Required, w),
            }
        }
        Ok(o) => finding(
            "signal_cli",
            Level::Required,
            format!(
                "`{} --version` failed: {}",
                config.signal.cli_path,
                String::from_utf8_lossy(&o.stderr).trim()
            ),
        ),
        Err(e) => finding(
            "signal_cli",
            Level::Required,
            format!(
                "cannot run `{}`: {e} (docs/signal.md)",
                config.signal.cli_path
            ),
        ),
    })
}

/// What the inbox shows (R-F2): conversations waiting for consent longer than 14 days,
/// messages sent where consent was withdrawn.
pub fn inbox_findings(store: &dyn StoreRead, now: Timestamp) -> Result<Vec<Finding>> {
    let ledger = store
        .ledger_all()
        .context("reading the compliance ledger")?;
    let mut pending_old = 0;
    for e in &ledger {
        if let LedgerEntry::FirstContact(crate::compliance::FirstContact {
            channel,
            address,
            at,
            ..
        }) = e
        {
            let records: Vec<ConsentRecord> = ledger
                .iter()
                .filter_map(|x| match x {
                    LedgerEntry::Consent(r) if r.channel == *channel && r.address == *address => {
                        Some(r.clone())
                    }
                    _ => None,
                })
                .collect();
            let state = consent::state(&records, Purpose::ServiceMessaging);
            if state == ConsentState::None && now.0 - at.0 > 14 * Timestamp::DAY {
                pending_old += 1;
            }
        }
    }
    let consents = ledger
        .iter()
        .filter(|e| matches!(e, LedgerEntry::Consent(_)))
        .count();
    let mut out = vec![finding(
        "consent_ledger",
        Level::Ok,
        format!("{consents} consent record(s)"),
    )];
    out.push(if pending_old > 0 {
        finding(
            "consent_pending",
            Level::Warning,
            format!("{pending_old} contact(s) asked for consent more than 14 days ago without an answer: ask again by phone, or stop messaging them"),
        )
    } else {
        finding("consent_pending", Level::Ok, "no consent pending for more than 14 days")
    });
    Ok(out)
}

/// `tresen send --tag` / `--purpose`: turned into the engine's options.
pub fn send_options(tags: Vec<String>, purpose: Option<PurposeArg>) -> crate::engine::SendOptions {
    crate::engine::SendOptions {
        tags,
        purpose: purpose.map(PurposeArg::purpose),
        ..Default::default()
    }
}
