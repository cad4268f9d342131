//! `[[processors]]` (R-C7): who handles customer data for the firm — the homeserver
//! and bridge hosts, the messenger providers, the backup target, the timestamp
//! authority — where, and under which contract. The register feeds the privacy notice,
//! the Art. 15 answer, `tresen docs vvt` and `compliance check`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessorConfig {
    pub name: String,
    pub role: ProcessorRole,
    /// Where it processes the data: a country code (`DE`, `US`) or `EU`.
    #[serde(default)]
    pub location: String,
    /// The data-processing agreement (Art. 28 GDPR): where it is filed, or why there
    /// is none (e.g. a messenger provider that acts as its own controller).
    #[serde(default)]
    pub avv_ref: String,
    /// For a location outside the EU/EEA: `adequacy`, `dpf`, `scc` or `bcr`
    /// (Art. 44–46 GDPR).
    #[serde(default)]
    pub transfer_mechanism: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessorRole {
    HomeserverHost,
    BridgeHost,
    Messenger,
    BackupTarget,
    Tsa,
    Hosting,
    Other,
}

impl ProcessorRole {
    /// How the notice, the Art. 15 answer and the VVT name the role (German: they
    /// are written for customers and the firm's records).
    pub fn german(self) -> &'static str {
        match self {
            ProcessorRole::HomeserverHost => "Betreiber des Matrix-Servers",
            ProcessorRole::BridgeHost => "Betreiber der Messenger-Brücke",
            ProcessorRole::Messenger => "Messenger-Anbieter",
            ProcessorRole::BackupTarget => "Speicherort der Datensicherung",
            ProcessorRole::Tsa => "Zeitstempeldienst",
            ProcessorRole::Hosting => "Hosting",
            ProcessorRole::Other => "sonstiger Dienstleister",
        }
    }
}

/// EU member states and the other EEA states (Iceland, Liechtenstein, Norway).
const EU_EEA: [&str; 30] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
];

pub const TRANSFER_MECHANISMS: [&str; 4] = ["adequacy", "dpf", "scc", "bcr"];

impl ProcessorConfig {
    /// Inside the EU/EEA: no third-country transfer.
    pub fn in_eu(&self) -> bool {
        let l = self.location.trim().to_ascii_uppercase();
        matches!(l.as_str(), "EU" | "EWR" | "EEA") || EU_EEA.contains(&l.as_str())
    }

    /// "Name (Rolle, Standort US, Übermittlung: scc)".
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} ({}, Standort {}",
            self.name.trim(),
            self.role.german(),
            self.location.trim()
        );
        if !self.in_eu() {
            s.push_str(&format!(
                ", Übermittlung: {}",
                self.transfer_mechanism.trim()
            ));
        }
        s.push(')');
        s
    }
}

/// Each entry names itself, says where it works, and — outside the EU/EEA — on which
/// ground data go there (R-C7).
pub(super) fn check(processors: &[ProcessorConfig]) -> Result<(), (String, String)> {
    for (i, p) in processors.iter().enumerate() {
        let key = |field: &str| format!("processors[{i}].{field}");
        if p.name.trim().is_empty() {
            return Err((key("name"), "must not be empty".into()));
        }
        if p.location.trim().is_empty() {
            return Err((
                key("name"),
                format!(
                    "processor `{}` has no location: say where it processes data (location = \"DE\", \"EU\", \"US\", …)",
                    p.name.trim()
                ),
            ));
        }
        if !p.in_eu() && !TRANSFER_MECHANISMS.contains(&p.transfer_mechanism.trim()) {
            return Err((
                key("location"),
                format!(
                    "processor `{}` works outside the EU/EEA ({}): name the transfer ground, transfer_mechanism = one of {} (Art. 44–46 GDPR)",
                    p.name.trim(),
                    p.location.trim(),
                    TRANSFER_MECHANISMS.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// The recipients as the privacy notice names them; empty without a register.
pub fn recipients(processors: &[ProcessorConfig]) -> String {
    processors
        .iter()
        .map(ProcessorConfig::describe)
        .collect::<Vec<_>>()
        .join("; ")
}
