//! The GoBD process documentation chapter for tresen (Verfahrensdokumentation, R-B10),
//! generated from the live configuration, in German, and the Art. 30 record (`vvt`).
//! Every version that differs from the one before is kept in the data directory with a
//! change history (`versions`); the command line prints it, the daemon serves it to a
//! seat.

pub mod bundle;
pub mod versions;
pub mod vvt;

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::archive::retention;
use crate::config::{Config, Paths};

#[derive(Debug, thiserror::Error)]
pub enum ProcdocError {
    #[error("cannot keep the versions in {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Dir(#[from] crate::fsutil::DirError),
    #[error("reading the archive: {0}")]
    Archive(String),
}

/// The current version's number and text: the last one kept if the configuration
/// still says the same, else a new one (kept, with what changed). `public_key` is the
/// archive's signing key.
pub fn current(
    config: &Config,
    paths: &Paths,
    public_key: &str,
) -> Result<(u32, String), ProcdocError> {
    versions::keep(
        &paths.data_dir,
        &versions::Kind {
            name: "verfahrensdoku",
            title: "Verfahrensdokumentation: geschäftliche Messenger-Kommunikation mit tresen",
        },
        body(config, paths, public_key),
    )
}

fn body(config: &Config, paths: &Paths, public_key: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## 1. Allgemeine Beschreibung\n");
    let _ = writeln!(
        s,
        "tresen ist das Postfach der geschäftlichen Messenger-Nummer „{}“. Mitarbeiter beantworten darin Kundennachrichten aus Signal und Matrix (auch über Brücken angebundene WhatsApp-, Telegram- und Signal-Chats). Private Konten werden nicht angebunden; nur Konten mit `purpose = \"business\"` sind zugelassen.\n",
        config.profile.name
    );
    let _ = writeln!(
        s,
        "Angebundene Konten:\n\n| Konto | Netz | Zweck | Nummer |\n|---|---|---|---|"
    );
    for a in &config.accounts {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            a.id,
            a.network.as_str(),
            a.purpose.as_deref().unwrap_or("-"),
            a.number.as_deref().unwrap_or("-")
        );
    }
    if config.accounts.is_empty() {
        let _ = writeln!(s, "| (keine) | | | |");
    }
    let _ = writeln!(s, "\n## 2. Anwenderdokumentation\n");
    let _ = writeln!(
        s,
        "- Jede ein- und ausgehende geschäftliche Nachricht wird vor der Anzeige bzw. vor dem Versand verkettet und verschlüsselt archiviert; Änderungen fallen bei `tresen archive verify` auf (`tresen archive`).\n\
         - Aufbewahrungsklassen werden über Gesprächs-Labels gewählt; jede Änderung wird mit Namen archiviert. Ohne Label gilt die Klasse `{}`.\n\
         - Bei Rechtsstreit, Betriebsprüfung oder Gewährleistungsfall setzt die verantwortliche Person eine Sperre: `tresen hold set … --reason …`; gesperrte Daten werden nicht gelöscht.\n\
         - Auskunftsersuchen (Art. 15 DSGVO): `tresen dsar export <Kontakt> --out <Ordner>`; Löschersuchen (Art. 17): `tresen dsar erase <Kontakt>` (aufbewahrungspflichtige Daten werden eingeschränkt, nicht gelöscht).\n\
         - Datenüberlassung an die Finanzverwaltung (Z3): `tresen archive export --from … --to … --out …` (nur der Prüfungszeitraum, nur steuerlich relevante Klassen).\n",
        config.retention.default_class
    );
    let _ = writeln!(s, "Labels und Klassen:\n\n| Label | Klasse |\n|---|---|");
    for (tag, class) in &config.retention.tags {
        let _ = writeln!(s, "| {tag} | {class} |");
    }
    let _ = writeln!(s, "\n## 3. Technische Systemdokumentation\n");
    let _ = writeln!(
        s,
        "- Programm: tresen {} (Rust), Datenverzeichnis `{}`.\n\
         - Archiv: `{}/archive`, Segmentdateien im Format JSON Lines (eine Zeile je Ereignis), fortlaufend nummeriert; jede Zeile enthält die SHA-256-Prüfsumme ihres Inhalts und der vorigen Zeile (Hash-Kette). Beschreibung des Formats: docs/archive.md.\n\
         - Verschlüsselung: XChaCha20-Poly1305 je Datensatz; Schlüssel je Gespräch und Kalenderjahr, selbst verschlüsselt mit einem aus dem Hauptschlüssel abgeleiteten Schlüssel. Am Ende der Aufbewahrungsfrist wird der Schlüssel vernichtet; die Kette bleibt prüfbar.\n\
         - Segmente werden monatlich und ab 64 MiB abgeschlossen und mit einem Ed25519-signierten Manifest versehen. Öffentlicher Schlüssel des Archivs: `{public_key}`.\n\
         - Ablage des Hauptschlüssels: `{:?}`.\n",
        env!("CARGO_PKG_VERSION"),
        paths.data_dir.display(),
        paths.data_dir.display(),
        config.secrets.backend
    );
    let _ = writeln!(
        s,
        "Aufbewahrungsregeln (Frist läuft bis 31.12. des Jahres der Nachricht plus Jahre):\n\n{}",
        retention_table(Some(&config.retention))
    );
    let _ = writeln!(s, "\n## 4. Betriebsdokumentation\n");
    let _ = writeln!(
        s,
        "- Prüfung: monatlich `tresen archive verify`; das Ergebnis wird aufbewahrt. [auszufüllen: wer, wann]\n\
         - Verankerung: monatlich `tresen archive anchor --out <Ordner>` und Kopie außerhalb dieses Rechners (z. B. Steuerberater, WORM-Speicher). [auszufüllen: wohin]\n\
         - Datensicherung: verschlüsselte Sicherung des Datenverzeichnisses; Wiederherstellungstest mit anschließendem `tresen archive verify`. Aufbewahrungsdauer der Sicherungen: [auszufüllen], höchstens so lange, dass gelöschte Daten nicht unbegrenzt in Sicherungen verbleiben.\n\
         - Schlüsselverwahrung: Wiederherstellungskopie des Hauptschlüssels außerhalb des Rechners (Tresor). Ohne Schlüssel ist das Archiv nicht lesbar. [auszufüllen: Ort, Verantwortliche]\n\
         - Fristenlauf: jährlich `tresen retention plan` prüfen, danach `tresen retention apply`. [auszufüllen: Verantwortliche]\n"
    );
    let _ = writeln!(
        s,
        "Hinweis: Die Ordnungsmäßigkeit ergibt sich aus dem gesamten Verfahren des Unternehmens (diese Dokumentation, internes Kontrollsystem, Betrieb), nicht aus der Software allein; tresen trägt kein Zertifikat, das die Finanzverwaltung bindet."
    );
    s
}

/// The retention rules as a Markdown table (with the firm's periods for what no statute
/// covers, when given).
pub fn retention_table(config: Option<&crate::config::RetentionConfig>) -> String {
    let mut s =
        String::from("| Klasse | Jahre | gültig ab | Rechtsgrundlage |\n|---|---|---|---|\n");
    for r in retention::RULES {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            r.class, r.years, r.valid_from, r.legal_basis
        );
    }
    if let Some(c) = config {
        let _ = writeln!(
            s,
            "| {} | {} | – | keine gesetzliche Pflicht; Löschkonzept des Unternehmens |",
            retention::NO_STATUTORY,
            c.no_statutory_years,
        );
        let lapse = c.offer_lapse_days.map_or_else(
            || "abgelehnt (`tresen order decline`)".to_string(),
            |d| format!("abgelehnt oder {d} Tage nicht angenommen"),
        );
        let _ = writeln!(
            s,
            "| {} (Angebot ohne Auftrag: {lapse}) | {} Monate nach dem Angebot | – | kein Auftrag zustande gekommen, als Handelsbrief nicht behandelt (§ 257 Abs. 2 HGB; mit der Steuerberatung abzustimmen); Löschkonzept des Unternehmens; gilt nicht, wenn ein Label, eine markierte Nachricht oder eine Rechnung im Gesprächsjahr länger verlangt |",
            retention::NO_STATUTORY,
            c.failed_offer_months,
        );
        let _ = writeln!(
            s,
            "\nDateien, die wie Rechnungen aussehen (PDF namens Rechnung, XRechnung, PDF mit ZUGFeRD/Factur-X), gelten als `buchungsbeleg`, bis jemand sie mit `tresen retention item` einstuft; ein Gesprächsjahr wird so lange aufbewahrt, wie die strengste Klasse darin verlangt."
        );
    }
    s
}
