//! Handing an attachment's bytes to the user: a viewer, or a file in a folder. Shared
//! by `tresen attachment` and the TUI.

use std::io;
use std::path::{Path, PathBuf};

use crate::domain::safe_file_name;

/// `~/x` → the home directory's `x`; everything else as typed.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(dirs)) => dirs.home_dir().join(rest),
        _ => PathBuf::from(path),
    }
}

/// Tab in the attach prompt: `typed` completed as far as the folder's entries agree
/// (a lone folder gets its `/`), and the entries that fit, folders marked with `/`.
/// Hidden entries only when the name typed starts with a dot.
pub fn complete_path(typed: &str) -> (String, Vec<String>) {
    let typed = if typed == "~" { "~/" } else { typed };
    let (dir, prefix) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let folder = if dir.is_empty() {
        PathBuf::from(".")
    } else {
        expand_home(dir)
    };
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return (typed.to_string(), Vec::new());
    };
    let mut found: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir())
                || e.path().metadata().is_ok_and(|m| m.is_dir());
            Some(if is_dir { format!("{name}/") } else { name })
        })
        .collect();
    found.sort();
    let common = found
        .iter()
        .skip(1)
        .fold(found.first().cloned().unwrap_or_default(), |acc, n| {
            acc.chars()
                .zip(n.chars())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect()
        });
    let completed = if common.chars().count() > prefix.chars().count() {
        format!("{dir}{common}")
    } else {
        typed.to_string()
    };
    found.truncate(200);
    (completed, found)
}

/// Where the TUI saves attachments: the desktop's downloads folder (XDG_DOWNLOAD_DIR),
/// else the home directory.
pub fn download_dir() -> PathBuf {
    directories::UserDirs::new()
        .and_then(|u| {
            u.download_dir()
                .map(Path::to_path_buf)
                .or_else(|| Some(u.home_dir().to_path_buf()))
        })
        .unwrap_or_else(std::env::temp_dir)
}

/// Saves `bytes` in `dir` under the attachment's (sanitised) name, never replacing a
/// file: `angebot.pdf` becomes `angebot (2).pdf` if the first is taken.
pub fn save_new(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    use std::io::Write as _;
    let name = safe_file_name(name);
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
        _ => (name.clone(), String::new()),
    };
    std::fs::create_dir_all(dir)?;
    for n in 1..1000 {
        let candidate = if n == 1 {
            dir.join(&name)
        } else {
            dir.join(format!("{stem} ({n}){ext}"))
        };
        // create_new: two saves at once cannot pick the same name.
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(mut f) => {
                f.write_all(bytes)?;
                f.sync_all()?;
                return Ok(candidate);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "{} already holds 999 files named like {name}",
        dir.display()
    )))
}

/// A decrypted copy for the viewer, in a 0700 directory of this user (tmpfs under
/// $XDG_RUNTIME_DIR on most desktops, so it is gone at logout).
pub fn open_copy(name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join("tresen-open");
    crate::fsutil::ensure_private_dir(&dir).map_err(|e| io::Error::other(e.to_string()))?;
    let path = dir.join(safe_file_name(name));
    crate::fsutil::write_private(&path, bytes)?;
    Ok(path)
}

/// Starts the desktop's default application for `path` (the `opener` crate: xdg-open
/// or its own copy of it, `open` on macOS, WSL's Windows side). The error is the
/// opener's reason; callers say it in the user's language, with where the file is.
pub fn open_with_desktop(path: &Path) -> Result<(), String> {
    opener::open(path).map_err(|e| e.to_string())
}

/// Why a file could not be shown, and where it is, in the user's language (over SSH
/// there is no desktop to show it on).
pub fn not_opened(path: &Path, reason: &str, german: bool) -> String {
    if german {
        format!(
            "Öffnen nicht möglich ({reason}); die Datei liegt unter {}",
            path.display()
        )
    } else {
        format!(
            "cannot open it ({reason}); the file is at {}",
            path.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saving_never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = save_new(dir.path(), "angebot.pdf", b"1").unwrap();
        let b = save_new(dir.path(), "angebot.pdf", b"2").unwrap();
        let c = save_new(dir.path(), "../angebot.pdf", b"3").unwrap();
        assert_eq!(a, dir.path().join("angebot.pdf"));
        assert_eq!(b, dir.path().join("angebot (2).pdf"));
        assert_eq!(c.parent(), Some(dir.path()));
        assert_eq!(std::fs::read(&a).unwrap(), b"1");
        assert_eq!(std::fs::read(&b).unwrap(), b"2");
    }

    #[test]
    fn tab_completes_a_path_as_far_as_the_folder_agrees() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["angebot.pdf", "angebot-2.pdf", ".versteckt"] {
            std::fs::write(dir.path().join(f), b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join("anfahrt")).unwrap();
        let d = format!("{}/", dir.path().display());
        let (done, found) = complete_path(&format!("{d}ang"));
        assert_eq!(done, format!("{d}angebot"));
        assert_eq!(found, vec!["angebot-2.pdf", "angebot.pdf"]);
        let (done, found) = complete_path(&format!("{d}anf"));
        assert_eq!(done, format!("{d}anfahrt/"));
        assert_eq!(found, vec!["anfahrt/"]);
        let (_, found) = complete_path(&d);
        assert_eq!(
            found.len(),
            3,
            "hidden files only when asked for: {found:?}"
        );
        let (done, found) = complete_path(&format!("{d}x"));
        assert_eq!(done, format!("{d}x"));
        assert!(found.is_empty());
    }
}
