//! What `tresen compliance check` reports (R-F2): what the configuration lacks, whether
//! signal-cli is a version tresen works with, and what the inbox shows (consent asked
//! for long ago without an answer). Findings, not printing: the command line prints
//! them, the daemon can serve them.

pub mod archive;
mod footers;
mod register;

use serde::{Deserialize, Serialize};

use crate::compliance::LedgerEntry;
use crate::compliance::consent::{self, ConsentRecord, ConsentState, Purpose};
use crate::config::{Config, Paths};
use crate::domain::Timestamp;
use crate::store::{StoreError, StoreRead};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Warning,
    Required,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: std::borrow::Cow<'static, str>,
    pub level: Level,
    pub message: String,
    /// The same in German, for the command line under a German locale (`message` stays
    /// what the archive and the log keep).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message_de: String,
}

/// Everything `tresen compliance check` found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub at: String,
    pub required_missing: usize,
    pub warnings: usize,
    pub findings: Vec<Finding>,
}

impl Report {
    /// The findings about the configuration, signal-cli and — where the profile could
    /// be opened (`Err`: why not) — the inbox and the archive's own checks.
    pub fn check(
        config: &Config,
        paths: &Paths,
        inbox: Result<(&dyn StoreRead, &archive::ArchiveFacts), String>,
        now: Timestamp,
    ) -> Result<Report, StoreError> {
        let mut findings = config_findings(config, paths);
        findings.extend(register::config_findings(config));
        findings.extend(signal_cli_finding(config));
        match inbox {
            Ok((store, checks)) => {
                findings.extend(inbox_findings(store, now)?);
                findings.extend(register::inbox_findings(config, store)?);
                findings.extend(unclassified(config, store)?);
                findings.extend(archive::count_findings(checks));
                findings.extend(archive::findings(&config.archive, checks, now));
            }
            Err(why) => findings.push(finding(
                "inbox",
                Level::Warning,
                format!("the inbox could not be checked: {why}"),
                format!("der Posteingang ließ sich nicht prüfen: {why}"),
            )),
        }
        let count = |l| findings.iter().filter(|f| f.level == l).count();
        Ok(Report {
            at: now.rfc3339(),
            required_missing: count(Level::Required),
            warnings: count(Level::Warning),
            findings,
        })
    }
}

/// A finding in English (the archive's and the log's language) and German.
fn finding(
    id: &'static str,
    level: Level,
    message: impl Into<String>,
    de: impl Into<String>,
) -> Finding {
    Finding {
        id: id.into(),
        level,
        message: message.into(),
        message_de: de.into(),
    }
}

/// What the configuration lacks (R-F2). Pure apart from reading the config file's text
/// to see whether `[retention]` was set on purpose.
fn config_findings(config: &Config, paths: &Paths) -> Vec<Finding> {
    let mut out = Vec::new();
    match &config.company {
        None => out.push(finding(
            "company",
            Level::Required,
            "no [company] section: nothing can be sent on a business account without the Pflichtangaben (docs/compliance.md)",
            "kein Abschnitt [company]: ohne Pflichtangaben kann über kein geschäftliches Konto gesendet werden (docs/compliance.md)",
        )),
        Some(c) => {
            let form = c.legal_form.map_or("?", |f| f.key());
            out.push(finding(
                "company",
                Level::Ok,
                format!("legal form {form}, Pflichtangaben complete"),
                format!("Rechtsform {form}, Pflichtangaben vollständig"),
            ));
            if c.info_url.trim().is_empty() {
                out.push(finding(
                    "info_url",
                    Level::Required,
                    "company.info_url is empty: the footer and the first-contact notice must point to the DL-InfoV details and the full privacy notice",
                    "company.info_url ist leer: Fußzeile und Erstkontakt-Hinweis müssen auf die Angaben nach DL-InfoV und die vollständige Datenschutzerklärung verweisen",
                ));
            } else {
                let url = c.info_url.trim().to_string();
                out.push(finding("info_url", Level::Ok, url.clone(), url));
            }
            for w in c.warnings().into_iter().filter(|w| w.field != "info_url") {
                out.push(finding(
                    "company_advice",
                    Level::Warning,
                    format!("company.{}: {}", w.field, w.message),
                    format!("company.{}: {}", w.field, w.message_de),
                ));
            }
        }
    }
    if config.consent.wording == consent::DEFAULT_WORDING {
        out.push(finding(
            "consent_wording",
            Level::Warning,
            "consent.wording is tresen's default text: have the firm's data-protection adviser approve or replace it",
            "consent.wording ist tresens mitgelieferter Text: von der Datenschutzberatung der Firma freigeben lassen oder ersetzen",
        ));
    } else {
        out.push(finding(
            "consent_wording",
            Level::Ok,
            "own consent wording configured",
            "eigener Wortlaut der Einwilligung eingetragen",
        ));
    }
    if !config.consent.require_consent_for_outbound {
        out.push(finding(
            "consent_gate",
            Level::Warning,
            "consent.require_consent_for_outbound is off: staff can start messenger conversations without consent",
            "consent.require_consent_for_outbound ist aus: Beschäftigte können Unterhaltungen per Messenger ohne Einwilligung beginnen",
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
            format!("Standardklasse {}", config.retention.default_class),
        ));
    } else {
        out.push(finding(
            "retention",
            Level::Warning,
            "no [retention] section: the defaults apply (Handelsbrief, 6 years); decide the classes with the tax adviser and write them down",
            "kein Abschnitt [retention]: es gelten die Vorgaben (Handelsbrief, 6 Jahre); die Klassen mit der Steuerberatung festlegen und eintragen",
        ));
    }
    if config.secrets.recovery_copy.trim().is_empty() {
        out.push(finding(
            "key_recovery",
            Level::Required,
            "secrets.recovery_copy is empty: without an offline copy of the master key the archive becomes unreadable when this computer is lost (GoBD readability); make one (docs/secrets.md) and note where it is kept",
            "secrets.recovery_copy ist leer: ohne Offline-Kopie des Hauptschlüssels wird das Archiv unlesbar, wenn dieser Rechner verloren geht (GoBD: Lesbarkeit); eine anlegen (docs/secrets.md) und eintragen, wo sie liegt",
        ));
    } else {
        out.push(finding(
            "key_recovery",
            Level::Ok,
            format!("recovery copy: {}", config.secrets.recovery_copy.trim()),
            format!("Schlüsselkopie: {}", config.secrets.recovery_copy.trim()),
        ));
    }
    out.push(match config.policy.load() {
        Ok(Some(p)) => finding(
            "usage_policy",
            Level::Ok,
            format!(
                "version {}: each staff member accepts it before their first session in the inbox",
                p.version
            ),
            format!(
                "Fassung {}: alle Beschäftigten nehmen sie vor ihrer ersten Sitzung im Posteingang an",
                p.version
            ),
        ),
        _ => finding(
            "usage_policy",
            Level::Warning,
            "no [policy] file: staff are not asked to accept a usage policy (R-F1; template docs/nutzungsrichtlinie.md)",
            "keine Datei unter [policy]: Beschäftigte werden nicht gebeten, eine Nutzungsrichtlinie anzunehmen (R-F1; Vorlage docs/nutzungsrichtlinie.md)",
        ),
    });
    let on = config.monitoring.enabled();
    if on.is_empty() {
        out.push(finding(
            "monitoring",
            Level::Ok,
            "no staff monitoring features on",
            "keine Funktion zur Überwachung von Beschäftigten eingeschaltet",
        ));
    } else {
        let agreement = |none: &'static str| {
            if config.monitoring.works_agreement_ref.is_empty() {
                none.to_string()
            } else {
                config.monitoring.works_agreement_ref.clone()
            }
        };
        out.push(finding(
            "monitoring",
            Level::Warning,
            format!(
                "on: {} (works agreement: {}, DPIA: {})",
                on.join(", "),
                agreement("none, no works council attested"),
                config.monitoring.dpia_ref
            ),
            format!(
                "eingeschaltet: {} (Betriebsvereinbarung: {}, DSFA: {})",
                on.join(", "),
                agreement("keine, kein Betriebsrat bestätigt"),
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
            let check = crate::connector::signal::version::check(&reported);
            match (check.warning(), check.warning_in(true)) {
                (Some(w), de) => finding("signal_cli", Level::Required, w, de.unwrap_or_default()),
                (None, _) => finding(
                    "signal_cli",
                    Level::Ok,
                    reported.trim().to_string(),
                    reported.trim().to_string(),
                ),
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
            format!(
                "`{} --version` schlug fehl: {}",
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
            format!(
                "`{}` lässt sich nicht ausführen: {e} (docs/signal.md)",
                config.signal.cli_path
            ),
        ),
    })
}

/// What the inbox shows (R-F2): conversations waiting for consent longer than 14 days,
/// messages sent where consent was withdrawn.
fn inbox_findings(store: &dyn StoreRead, now: Timestamp) -> Result<Vec<Finding>, StoreError> {
    let ledger = store.ledger_all()?;
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
        format!("{consents} Einwilligungs-Einträge"),
    )];
    out.push(if pending_old > 0 {
        finding(
            "consent_pending",
            Level::Warning,
            format!("{pending_old} contact(s) asked for consent more than 14 days ago without an answer: ask again by phone, or stop messaging them"),
            format!("{pending_old} Kontakt(e) vor mehr als 14 Tagen um Einwilligung gebeten, ohne Antwort: telefonisch nachfragen oder keine Nachrichten mehr schicken"),
        )
    } else {
        finding(
            "consent_pending",
            Level::Ok,
            "no consent pending for more than 14 days",
            "keine Einwilligung seit mehr als 14 Tagen offen",
        )
    });
    Ok(out)
}

/// Conversations no one gave a retention label: the default class applies to them
/// (R-F2: the classification duty).
fn unclassified(config: &Config, store: &dyn StoreRead) -> Result<Vec<Finding>, StoreError> {
    let classes = &config.retention.tags;
    let n = store
        .conversations()?
        .iter()
        .filter(|c| !c.labels.iter().any(|l| classes.contains_key(l)))
        .count();
    Ok(vec![if n > 0 {
        finding(
            "unclassified",
            Level::Warning,
            format!(
                "{n} conversation(s) without a retention label: kept as `{}` by default; label them (`t` in the inbox) where another class applies",
                config.retention.default_class
            ),
            format!(
                "{n} Unterhaltung(en) ohne Aufbewahrungs-Label: als `{}` aufbewahrt; dort labeln (`t` im Posteingang), wo eine andere Klasse gilt",
                config.retention.default_class
            ),
        )
    } else {
        finding(
            "unclassified",
            Level::Ok,
            "0 conversations without a retention label",
            "0 Unterhaltungen ohne Aufbewahrungs-Label",
        )
    }])
}
