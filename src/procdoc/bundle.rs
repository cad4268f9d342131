//! `tresen docs bundle` (R-F3): the documentation a Betriebsprüfer or a
//! Datenschutzbeauftragter asks for, current and earlier versions, with a hash manifest.
//! Earlier versions come from what tresen keeps: the kept Verfahrensdoku and VVT
//! versions, and every configuration the archive recorded (consent wordings, privacy
//! notices, processors, retention rules as they were then), and every version of the
//! firm's usage policy a daemon or an inbox put in force, beside the shipped template.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use super::ProcdocError;
use crate::archive::Payload;
use crate::archive::keys::Keys;
use crate::config::{Config, Paths};
use crate::domain::Timestamp;

/// The shipped template of the usage policy.
pub const USAGE_POLICY: &str = include_str!("../../docs/nutzungsrichtlinie.md");

/// The firm's usage policy in force is kept word for word in the data directory, named
/// by its version (the hash of the text staff accept, R-F1), so a bundle can show every
/// version anyone accepted. Written once per version; never changed.
pub fn keep_policy(
    data_dir: &Path,
    policy: &crate::compliance::policy::Policy,
) -> Result<(), ProcdocError> {
    let dir = data_dir.join(POLICY_DIR);
    let path = dir.join(format!("{}.md", policy.version));
    if path.exists() {
        return Ok(());
    }
    crate::fsutil::ensure_private_dir(&dir)?;
    crate::fsutil::write_private(&path, policy.text.as_bytes())
        .map_err(|source| ProcdocError::Io { path, source })
}

const POLICY_DIR: &str = "nutzungsrichtlinie";

/// What the bundle holds, for the summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub files: usize,
    pub configurations: usize,
    pub reports: usize,
}

/// A file of the bundle: its path inside it, and its bytes.
pub type File = (String, Vec<u8>);

/// One configuration the archive recorded: when it came into force, and its text.
struct Version {
    at: Timestamp,
    text: String,
}

/// Every file of the bundle (`name`, bytes), `manifest.sha256` last.
pub fn make(
    config: &Config,
    paths: &Paths,
    public_key: &str,
    key: &crate::secrets::MasterKey,
) -> Result<(Vec<File>, Summary), ProcdocError> {
    // The current versions are kept first, so the lists below include them.
    super::current(config, paths, public_key)?;
    super::vvt::current(config, paths)?;
    let mut files: Vec<File> = Vec::new();
    for kind in ["verfahrensdoku", "vvt"] {
        let dir = paths.data_dir.join(kind);
        let io = |source| ProcdocError::Io {
            path: dir.clone(),
            source,
        };
        for (_, path) in super::versions::versions(&dir, kind).map_err(io)? {
            let bytes = std::fs::read(&path).map_err(io)?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            files.push((format!("{kind}/{}", name.unwrap_or_default()), bytes));
        }
    }
    let (configs, reports) = archived(&paths.data_dir, key)?;
    let mut summary = Summary {
        configurations: configs.len(),
        reports: reports.len(),
        ..Default::default()
    };
    for (i, v) in configs.iter().enumerate() {
        files.push((
            format!("konfiguration/v{:03}-{}.toml", i + 1, day(v.at)),
            v.text.clone().into_bytes(),
        ));
    }
    let parsed: Vec<(Timestamp, Result<Config, String>)> = configs
        .iter()
        .map(|v| {
            (
                v.at,
                Config::parse(&v.text, Path::new("config.toml")).map_err(|e| e.to_string()),
            )
        })
        .collect();
    files.push((
        "einwilligungstexte.md".into(),
        wordings(&parsed).into_bytes(),
    ));
    files.push((
        "datenschutzhinweise.md".into(),
        notices(&parsed).into_bytes(),
    ));
    files.push(("verarbeiter.md".into(), processors(&parsed).into_bytes()));
    files.push((
        "aufbewahrungsregeln.md".into(),
        retention(&parsed).into_bytes(),
    ));
    let policy_version = &crate::compliance::sha256_hex(USAGE_POLICY.as_bytes())[..12];
    files.push((
        format!("nutzungsrichtlinie-vorlage-{policy_version}.md"),
        USAGE_POLICY.as_bytes().to_vec(),
    ));
    if let Ok(Some(p)) = config.policy.load() {
        keep_policy(&paths.data_dir, &p)?;
    }
    files.extend(policies(&paths.data_dir)?);
    for (at, seq, report) in &reports {
        files.push((
            format!("pruefberichte/{seq:012}-{}.json", day(*at)),
            serde_json::to_vec_pretty(report).unwrap_or_default(),
        ));
    }
    files.push(("LIESMICH.md".into(), readme(&summary).into_bytes()));
    let mut manifest = String::new();
    for (name, bytes) in &files {
        let _ = writeln!(manifest, "{}  {name}", crate::compliance::sha256_hex(bytes));
    }
    files.push(("manifest.sha256".into(), manifest.into_bytes()));
    summary.files = files.len();
    Ok((files, summary))
}

/// Every kept version of the firm's usage policy, oldest first.
fn policies(data_dir: &Path) -> Result<Vec<File>, ProcdocError> {
    let dir = data_dir.join(POLICY_DIR);
    let io = |source| ProcdocError::Io {
        path: dir.clone(),
        source,
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut kept = Vec::new();
    for e in entries {
        let e = e.map_err(io)?;
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("u-") && name.ends_with(".md")) {
            continue;
        }
        let modified = e.metadata().and_then(|m| m.modified()).map_err(io)?;
        kept.push((modified, name, std::fs::read(e.path()).map_err(io)?));
    }
    kept.sort();
    Ok(kept
        .into_iter()
        .map(|(_, name, bytes)| (format!("{POLICY_DIR}/{name}"), bytes))
        .collect())
}

type Reports = Vec<(Timestamp, u64, serde_json::Value)>;

/// The configurations and compliance reports the archive holds, oldest first.
fn archived(
    data_dir: &Path,
    key: &crate::secrets::MasterKey,
) -> Result<(Vec<Version>, Reports), ProcdocError> {
    let dir = crate::archive::Archive::dir_of(data_dir);
    let mut configs = Vec::new();
    let mut reports = Vec::new();
    let segs = crate::archive::segments(&dir).map_err(|e| ProcdocError::Archive(e.to_string()))?;
    if segs.is_empty() {
        return Ok((configs, reports));
    }
    let mut keys = Keys::load(&dir, key, true).map_err(|e| ProcdocError::Archive(e.to_string()))?;
    crate::archive::read::for_each(&dir, &mut keys, 1, |r| {
        match r.payload {
            Some(Payload::Config { text, .. }) => configs.push(Version {
                at: Timestamp(r.ts),
                text,
            }),
            Some(Payload::ComplianceReport { report, at, .. }) => {
                reports.push((at, r.seq, report));
            }
            _ => {}
        }
        Ok(())
    })
    .map_err(|e| ProcdocError::Archive(e.to_string()))?;
    Ok((configs, reports))
}

fn day(t: Timestamp) -> String {
    t.to_local().format("%Y-%m-%d").to_string()
}

fn header(title: &str, what: &str) -> String {
    format!(
        "# {title}\n\n{what} Jede Fassung mit dem Tag, an dem tresen sie zuerst in Kraft archiviert hat.\n\n"
    )
}

/// Each distinct text once, with the day it first came into force.
fn distinct<'a>(
    parsed: &'a [(Timestamp, Result<Config, String>)],
    mut each: impl FnMut(&'a Config) -> Vec<(String, String)>,
) -> Vec<(Timestamp, String, String)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (at, c) in parsed {
        let Ok(c) = c else { continue };
        for (label, text) in each(c) {
            if seen.insert((label.clone(), text.clone())) {
                out.push((*at, label, text));
            }
        }
    }
    out
}

fn unreadable(parsed: &[(Timestamp, Result<Config, String>)]) -> String {
    let mut s = String::new();
    for (at, c) in parsed {
        if let Err(e) = c {
            let _ = writeln!(
                s,
                "- Fassung vom {} nicht auswertbar ({e}); ihr Wortlaut steht unter konfiguration/.",
                day(*at)
            );
        }
    }
    s
}

fn wordings(parsed: &[(Timestamp, Result<Config, String>)]) -> String {
    let mut s = header(
        "Einwilligungstexte",
        "Die Fragen, auf die Kunden mit JA einwilligen, je Zweck, mit Version (SHA-256).",
    );
    for (at, purpose, text) in distinct(parsed, |c| {
        vec![
            ("service_messaging".into(), c.consent.wording.clone()),
            ("reminders".into(), c.consent.reminders_wording.clone()),
            ("marketing".into(), c.consent.marketing_wording.clone()),
            (
                "review_requests".into(),
                c.consent.review_request_wording.clone(),
            ),
        ]
    }) {
        let sha = crate::compliance::sha256_hex(text.as_bytes());
        let _ = writeln!(
            s,
            "## {purpose}, Version w-{}, ab {}\n\n> {text}\n",
            &sha[..12],
            day(at)
        );
    }
    s + unreadable(parsed).as_str()
}

fn notices(parsed: &[(Timestamp, Result<Config, String>)]) -> String {
    let mut s = header(
        "Datenschutzhinweise bei Erstkontakt (Art. 13 DSGVO)",
        "Erste Stufe (mit der Einwilligungsfrage gesendet) und zweite Stufe (auf DATENSCHUTZ), mit Version.",
    );
    for (at, version, text) in distinct(parsed, |c| match c.compliance() {
        Ok(comp) => comp
            .notice
            .map(|n| {
                vec![(
                    n.version.clone(),
                    format!(
                        "Erste Stufe:\n\n> {}\n\nZweite Stufe:\n\n> {}",
                        n.first_message(&comp.consent.wording).replace('\n', "\n> "),
                        n.full.replace('\n', "\n> ")
                    ),
                )]
            })
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }) {
        let _ = writeln!(s, "## Version {version}, ab {}\n\n{text}\n", day(at));
    }
    s + unreadable(parsed).as_str()
}

fn processors(parsed: &[(Timestamp, Result<Config, String>)]) -> String {
    let mut s = header(
        "Verarbeiter und Empfänger",
        "Das Register `[[processors]]` je Fassung der Konfiguration.",
    );
    for (at, _, text) in distinct(parsed, |c| {
        let mut t = String::from(
            "| Name | Rolle | Standort | AVV | Übermittlung |\n|---|---|---|---|---|\n",
        );
        for p in &c.processors {
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {} |",
                p.name,
                p.role.german(),
                p.location,
                p.avv_ref,
                p.transfer_mechanism
            );
        }
        if c.processors.is_empty() {
            t = "(kein Register)\n".into();
        }
        vec![(String::new(), t)]
    }) {
        let _ = writeln!(s, "## Ab {}\n\n{text}", day(at));
    }
    s + unreadable(parsed).as_str()
}

fn retention(parsed: &[(Timestamp, Result<Config, String>)]) -> String {
    let mut s = header(
        "Aufbewahrungsregeln",
        "Die gesetzlichen Klassen (in tresen festgelegt) und je Fassung der Konfiguration die Zuordnung der Labels.",
    );
    s.push_str(&super::retention_table(None));
    s.push('\n');
    for (at, _, text) in distinct(parsed, |c| {
        let mut t = format!(
            "Ohne Label: `{}`; keine gesetzliche Pflicht: {} Jahre.\n",
            c.retention.default_class, c.retention.no_statutory_years
        );
        for (tag, class) in &c.retention.tags {
            let _ = writeln!(t, "- Label `{tag}` → `{class}`");
        }
        vec![(String::new(), t)]
    }) {
        let _ = writeln!(s, "## Ab {}\n\n{text}", day(at));
    }
    s + unreadable(parsed).as_str()
}

fn readme(summary: &Summary) -> String {
    format!(
        "# Dokumentation: geschäftliche Messenger-Kommunikation mit tresen\n\n\
         Erzeugt von tresen {} am {}.\n\n\
         - `verfahrensdoku/`: alle Fassungen der Verfahrensdokumentation (GoBD), mit Änderungshistorie.\n\
         - `vvt/`: alle Fassungen des Verzeichnisses von Verarbeitungstätigkeiten (Art. 30 DSGVO) mit TOM-Übersicht.\n\
         - `konfiguration/`: jede der {} Konfigurationen, die tresen archiviert hat, im Wortlaut.\n\
         - `einwilligungstexte.md`, `datenschutzhinweise.md`, `verarbeiter.md`, `aufbewahrungsregeln.md`: daraus, je Fassung.\n\
         - `nutzungsrichtlinie/u-….md`: jede Fassung der Nutzungsrichtlinie des Betriebs, die ein Dienst oder Posteingang in Kraft gesetzt hat, im Wortlaut (der Name ist die Fassung, die Beschäftigte annehmen: `u-` und die ersten 12 Stellen der SHA-256 des Textes); `nutzungsrichtlinie-vorlage-….md`: die mitgelieferte Vorlage dieser tresen-Version.\n\
         - `pruefberichte/`: die {} archivierten Ergebnisse von `tresen compliance check`.\n\
         - `manifest.sha256`: die SHA-256-Prüfsumme jeder Datei (`sha256sum -c manifest.sha256`).\n",
        env!("CARGO_PKG_VERSION"),
        Timestamp::now().to_local().format("%d.%m.%Y"),
        summary.configurations,
        summary.reports
    )
}
