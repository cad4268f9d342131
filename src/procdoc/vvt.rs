//! The record of processing activities (Art. 30(1) GDPR, R-C13) for "Kundenkommunikation
//! über Messenger", generated from the configuration: the firm, purposes, data subjects
//! and data, recipients from the processor register, third countries, the retention
//! rules and the measures tresen takes. In German: it goes into the firm's records.
//! Parts tresen cannot know are marked [auszufüllen].

use std::fmt::Write as _;

use super::ProcdocError;
use super::versions::{self, Kind};
use crate::config::{Config, Paths};

pub const KIND: Kind = Kind {
    name: "vvt",
    title: "Verzeichnis von Verarbeitungstätigkeiten (Art. 30 Abs. 1 DSGVO): Kundenkommunikation über Messenger",
};

/// The current version's number and text (kept like the Verfahrensdokumentation).
pub fn current(config: &Config, paths: &Paths) -> Result<(u32, String), ProcdocError> {
    versions::keep(&paths.data_dir, &KIND, body(config))
}

fn cell(s: &str) -> String {
    match s.trim() {
        "" => "[auszufüllen]".into(),
        s => s.replace('|', "/"),
    }
}

pub fn body(config: &Config) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## 1. Verantwortlicher\n");
    match &config.company {
        Some(c) => {
            let name = if c.firma.trim().is_empty() {
                &c.owner
            } else {
                &c.firma
            };
            let mut people = c.managing_directors.clone();
            people.extend(c.vorstand.iter().cloned());
            people.extend(c.partners.iter().cloned());
            if !c.owner.trim().is_empty() {
                people.push(c.owner.clone());
            }
            let _ = writeln!(
                s,
                "- Name: {}\n- Anschrift: {}\n- Vertretung: {}\n- Datenschutzbeauftragte(r): [auszufüllen, falls benannt]\n",
                cell(name),
                cell(&c.address),
                cell(&people.join(", "))
            );
        }
        None => {
            let _ = writeln!(
                s,
                "[auszufüllen: keine Firmendaten ([company]) in der Konfiguration]\n"
            );
        }
    }
    let _ = writeln!(
        s,
        "## 2. Zwecke und Rechtsgrundlagen\n\n\
         - Bearbeitung von Anfragen und Aufträgen von Kunden über Messenger (Art. 6 Abs. 1 lit. b DSGVO).\n\
         - Erinnerungen, Angebote und Bewertungsbitten über Messenger nur mit Einwilligung (Art. 6 Abs. 1 lit. a DSGVO); Einwilligungen und Widerrufe stehen im Einwilligungsbuch des Archivs.\n\
         - Aufbewahrung von Handelsbriefen und Buchungsbelegen (Art. 6 Abs. 1 lit. c DSGVO i. V. m. § 257 HGB, § 147 AO).\n\
         - Die Ausnahme des Art. 30 Abs. 5 DSGVO greift nicht: die Verarbeitung erfolgt nicht nur gelegentlich.\n"
    );
    let _ = writeln!(
        s,
        "## 3. Betroffene Personen und Daten\n\n\
         - Kunden, Interessenten und ihre Ansprechpartner: Name bzw. Anzeigename, Telefonnummer oder Messenger-Kennung, Inhalte der Nachrichten, gesendete und empfangene Dateien (Fotos, Sprachnachrichten, Dokumente), Zeitpunkte, Einwilligungen und Widerrufe.\n\
         - Beschäftigte: Name an gesendeten Nachrichten, Notizen, Label-Änderungen, der Einstufung einzelner Nachrichten, Schritten bei Angeboten und Aufträgen, Einschränkungen von Nachrichten, eingetragenen Einwilligungen, Sperren, Exporten, Prüfungen und an der Annahme der Nutzungsrichtlinie (`tresen staff what-is-stored`); keine Auswertung von Leistung oder Verhalten{}.\n",
        match config.monitoring.enabled() {
            on if on.is_empty() => String::new(),
            on => format!(
                " außer den eingeschalteten Funktionen {} (Betriebsvereinbarung {}, DSFA {})",
                on.join(", "),
                cell(&config.monitoring.works_agreement_ref),
                cell(&config.monitoring.dpia_ref)
            ),
        }
    );
    let _ = writeln!(s, "## 4. Empfänger und Auftragsverarbeiter\n");
    if config.processors.is_empty() {
        let _ = writeln!(
            s,
            "[auszufüllen: kein Register `[[processors]]` in der Konfiguration; Betreiber von Matrix-Server und Brücke, Messenger-Anbieter, Ziel der Datensicherung eintragen]\n"
        );
    } else {
        let _ = writeln!(
            s,
            "| Name | Rolle | Standort | AVV | Übermittlungsgrundlage |\n|---|---|---|---|---|"
        );
        for p in &config.processors {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                cell(&p.name),
                p.role.german(),
                cell(&p.location),
                cell(&p.avv_ref),
                if p.in_eu() {
                    "– (EU/EWR)".to_string()
                } else {
                    cell(&p.transfer_mechanism)
                }
            );
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "Angebundene Kanäle:\n\n| Konto | Anbieter | Zugang | Risiko akzeptiert | DSFA |\n|---|---|---|---|---|"
    );
    for a in &config.accounts {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            cell(&a.id),
            cell(&a.provider()),
            a.api_type().as_str(),
            dash(&a.accepted_risk_ref),
            dash(&a.dpia_ref)
        );
        for b in &a.bridges {
            let _ = writeln!(
                s,
                "| {} (Brücke) | {} | {} | {} | {} |",
                cell(&a.id),
                cell(&b.provider()),
                b.api_type.as_str(),
                dash(&b.accepted_risk_ref),
                dash(&b.dpia_ref)
            );
        }
    }
    let _ = writeln!(s, "\n## 5. Übermittlung in Drittländer\n");
    let third: Vec<_> = config.processors.iter().filter(|p| !p.in_eu()).collect();
    if config.processors.is_empty() {
        let _ = writeln!(s, "[auszufüllen: ohne Register nicht bestimmbar]\n");
    } else if third.is_empty() {
        let _ = writeln!(s, "Laut Register keine.\n");
    } else {
        for p in third {
            let _ = writeln!(
                s,
                "- {} ({}): Grundlage {}",
                cell(&p.name),
                cell(&p.location),
                cell(&p.transfer_mechanism)
            );
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "## 6. Löschfristen\n\nFrist ab Ende des Kalenderjahres der Nachricht; gesperrte Daten (Rechtsstreit, Prüfung) werden nicht gelöscht.\n\n{}",
        super::retention_table(Some(&config.retention))
    );
    let _ = writeln!(
        s,
        "## 7. Technische und organisatorische Maßnahmen (Art. 32 DSGVO), soweit tresen sie trifft\n\n\
         - Datenbank mit SQLCipher verschlüsselt; Archiv je Datensatz mit XChaCha20-Poly1305 verschlüsselt, hash-verkettet, abgeschlossene Abschnitte Ed25519-signiert (`tresen archive verify`).\n\
         - Hauptschlüssel in `{:?}`; Wiederherstellungskopie: {}.\n\
         - Nur geschäftliche Konten (`purpose = \"business\"`); private Matrix-Räume werden nicht gespeichert.\n\
         - Arbeitsplätze verbinden sich über den lokalen Socket des Dienstes; Rollen laut `[[staff]]` (owner, staff, auditor).\n\
         - [auszufüllen: Zugangsschutz der Rechner, Datensicherung, Schulung, weitere Maßnahmen des Betriebs]\n",
        config.secrets.backend,
        cell(&config.secrets.recovery_copy)
    );
    s
}

fn dash(s: &str) -> String {
    match s.trim() {
        "" => "–".into(),
        s => s.replace('|', "/"),
    }
}
