//! The GoBD process documentation chapter for tresen (Verfahrensdokumentation, R-B10),
//! generated from the live configuration, in German. Every version that differs from
//! the one before is kept in `<data dir>/verfahrensdoku/` with a change history; the
//! command line prints it, the daemon serves it to a seat.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::archive::retention;
use crate::config::{Config, Paths};
use crate::domain::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum ProcdocError {
    #[error("cannot keep the versions in {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Dir(#[from] crate::fsutil::DirError),
}

/// The current version's number and text: the last one kept if the configuration
/// still says the same, else a new one (kept, with what changed). `public_key` is the
/// archive's signing key.
pub fn current(
    config: &Config,
    paths: &Paths,
    public_key: &str,
) -> Result<(u32, String), ProcdocError> {
    let body = body(config, paths, public_key);
    let dir = paths.data_dir.join("verfahrensdoku");
    let io = |source| ProcdocError::Io {
        path: dir.clone(),
        source,
    };
    crate::fsutil::ensure_private_dir(&dir)?;
    let versions = versions(&dir).map_err(io)?;
    let previous = versions
        .last()
        .map(|(_, path)| std::fs::read_to_string(path))
        .transpose()
        .map_err(io)?;
    let previous_body = previous.as_deref().map(strip_header);
    if let (Some(text), Some((n, _))) = (&previous, versions.last())
        && previous_body.as_deref() == Some(body.as_str())
    {
        return Ok((*n, text.clone()));
    }
    let n = versions.last().map_or(1, |(n, _)| n + 1);
    let mut history = previous.as_deref().map(history_of).unwrap_or_default();
    let changes = match &previous_body {
        None => vec!["erste Fassung".to_string()],
        Some(old) => diff(old, &body),
    };
    let mut entry = format!(
        "- Version {n}, {}:\n",
        Timestamp::now().to_local().format("%d.%m.%Y %H:%M")
    );
    for c in &changes {
        let _ = writeln!(entry, "  - {c}");
    }
    history.push_str(&entry);
    let text = format!("{}{body}\n## Änderungshistorie\n\n{history}", header(n));
    crate::fsutil::write_private(
        &dir.join(format!("verfahrensdoku-v{n:03}.md")),
        text.as_bytes(),
    )
    .map_err(io)?;
    Ok((n, text))
}

const HISTORY: &str = "## Änderungshistorie\n\n";

fn header(n: u32) -> String {
    format!(
        "<!-- tresen verfahrensdoku version {n} -->\n# Verfahrensdokumentation: geschäftliche Messenger-Kommunikation mit tresen\n\nVersion {n}, erzeugt von tresen {} am {}.\n\n",
        env!("CARGO_PKG_VERSION"),
        Timestamp::now().to_local().format("%d.%m.%Y")
    )
}

/// The body without the version header and the history: what is compared.
fn strip_header(text: &str) -> String {
    let start = text.find("## 1.").unwrap_or(0);
    let end = text.find(&format!("\n{HISTORY}")).unwrap_or(text.len());
    text[start..end].to_string()
}

fn history_of(text: &str) -> String {
    text.find(HISTORY)
        .map(|i| text[i + HISTORY.len()..].to_string())
        .unwrap_or_default()
}

/// Lines removed and added, for the change history.
fn diff(old: &str, new: &str) -> Vec<String> {
    let o: std::collections::BTreeSet<&str> =
        old.lines().filter(|l| !l.trim().is_empty()).collect();
    let n: std::collections::BTreeSet<&str> =
        new.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut out: Vec<String> = o
        .difference(&n)
        .map(|l| format!("entfernt: {}", l.trim()))
        .collect();
    out.extend(n.difference(&o).map(|l| format!("neu: {}", l.trim())));
    out
}

fn versions(dir: &std::path::Path) -> std::io::Result<Vec<(u32, PathBuf)>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(n) = name
            .strip_prefix("verfahrensdoku-v")
            .and_then(|s| s.strip_suffix(".md"))
            .and_then(|s| s.parse().ok())
        {
            v.push((n, e.path()));
        }
    }
    v.sort();
    Ok(v)
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
        "Aufbewahrungsregeln (Frist läuft bis 31.12. des Jahres der Nachricht plus Jahre):\n\n| Klasse | Jahre | gültig ab | Rechtsgrundlage |\n|---|---|---|---|"
    );
    for r in retention::RULES {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            r.class, r.years, r.valid_from, r.legal_basis
        );
    }
    let _ = writeln!(
        s,
        "| {} | {} | – | keine gesetzliche Pflicht; Löschkonzept des Unternehmens |",
        retention::NO_STATUTORY,
        config.retention.no_statutory_years
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
