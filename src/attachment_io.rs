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

/// Starts the desktop's default application for `path` (xdg-open; `open` on macOS)
/// without waiting for it.
pub fn open_with_desktop(path: &Path) -> Result<(), String> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    std::process::Command::new(opener)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|e| {
            format!(
                "cannot run {opener} ({e}); the file is at {}",
                path.display()
            )
        })
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
}
