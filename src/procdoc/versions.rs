//! Versions of a generated document kept in the data directory: a new one only when the
//! text changed, each with the history of what changed (GoBD: the documentation is
//! kept like the records it describes).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::ProcdocError;
use crate::domain::Timestamp;

/// Which document: its directory and file prefix, and its title.
pub struct Kind {
    pub name: &'static str,
    pub title: &'static str,
}

/// The current version's number and text: the last one kept if `body` is still the
/// same, else a new one (kept, with what changed).
pub fn keep(data_dir: &Path, kind: &Kind, body: String) -> Result<(u32, String), ProcdocError> {
    let dir = data_dir.join(kind.name);
    let io = |source| ProcdocError::Io {
        path: dir.clone(),
        source,
    };
    crate::fsutil::ensure_private_dir(&dir)?;
    let versions = versions(&dir, kind.name).map_err(io)?;
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
    let text = format!(
        "{}{body}\n## Änderungshistorie\n\n{history}",
        header(kind, n)
    );
    crate::fsutil::write_private(
        &dir.join(format!("{}-v{n:03}.md", kind.name)),
        text.as_bytes(),
    )
    .map_err(io)?;
    Ok((n, text))
}

const HISTORY: &str = "## Änderungshistorie\n\n";

fn header(kind: &Kind, n: u32) -> String {
    format!(
        "<!-- tresen {} version {n} -->\n# {}\n\nVersion {n}, erzeugt von tresen {} am {}.\n\n",
        kind.name,
        kind.title,
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

/// The kept versions of one document, oldest first.
pub fn versions(dir: &Path, prefix: &str) -> std::io::Result<Vec<(u32, PathBuf)>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(n) = name
            .strip_prefix(prefix)
            .and_then(|s| s.strip_prefix("-v"))
            .and_then(|s| s.strip_suffix(".md"))
            .and_then(|s| s.parse().ok())
        {
            v.push((n, e.path()));
        }
    }
    v.sort();
    Ok(v)
}
