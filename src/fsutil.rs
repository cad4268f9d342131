//! Private files and directories: the profile holds customer data and key material, so
//! everything tresen creates is 0700 (dirs) / 0600 (files), and a data directory the user
//! cannot write to is reported before anything is opened.

use std::io::Write;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum DirError {
    #[error("cannot create data directory {path}: {source}")]
    Create {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(
        "data directory {path} has permissions {mode:04o}; tresen needs to read, write and \
         enter it (owner rwx). Fix with: chmod 700 {path}"
    )]
    Permissions { path: std::path::PathBuf, mode: u32 },
    #[error("{path} exists but is not a directory")]
    NotADirectory { path: std::path::PathBuf },
}

/// Creates `dir` (and parents) as 0700, or checks an existing one. A directory that is
/// readable by others is tightened to 0700 rather than refused: that only removes access.
pub fn ensure_private_dir(dir: &Path) -> Result<(), DirError> {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(DirError::NotADirectory {
                path: dir.to_path_buf(),
            });
        }
        Ok(m) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = m.permissions().mode() & 0o7777;
                // Checked on the mode bits rather than by trying: root ignores them, and a
                // daemon later started as a normal user must not find a dead profile.
                if mode & 0o700 != 0o700 {
                    return Err(DirError::Permissions {
                        path: dir.to_path_buf(),
                        mode,
                    });
                }
                if mode & 0o077 != 0 {
                    tracing::warn!(dir = %dir.display(), mode = format!("{mode:04o}"), "tightening data directory to 0700");
                    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
                }
            }
        }
        Err(_) => {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                b.mode(0o700);
            }
            b.create(dir).map_err(|source| DirError::Create {
                path: dir.to_path_buf(),
                source,
            })?;
        }
    }
    Ok(())
}

/// Writes a file readable only by its owner, atomically (temp file + rename).
pub fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let mut f = o.open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// This process's user id.
#[cfg(unix)]
pub fn own_uid() -> u32 {
    use std::os::unix::fs::MetadataExt as _;
    // /proc/self belongs to the process's (effective) user.
    std::fs::metadata("/proc/self").map_or(u32::MAX, |m| m.uid())
}

#[cfg(not(unix))]
pub fn own_uid() -> u32 {
    u32::MAX
}

/// The login name of `uid`: /etc/passwd, else `getent passwd` (NSS: LDAP, systemd).
pub fn login_of(uid: u32) -> Option<String> {
    id_entry("passwd", &uid.to_string(), 2).map(|f| f[0].clone())
}

/// The id of group `name`: /etc/group, else `getent group`.
pub fn group_id(name: &str) -> Option<u32> {
    id_entry("group", name, 0).and_then(|f| f.get(2)?.parse().ok())
}

/// The line of an `/etc/passwd`-style database whose field `field` equals `key`.
fn id_entry(db: &str, key: &str, field: usize) -> Option<Vec<String>> {
    let find = |text: &str| {
        text.lines()
            .map(|l| l.split(':').map(str::to_string).collect::<Vec<_>>())
            .find(|f| f.len() > 2 && f[field] == key)
    };
    if let Some(hit) = std::fs::read_to_string(format!("/etc/{db}"))
        .ok()
        .and_then(|t| find(&t))
    {
        return Some(hit);
    }
    let out = std::process::Command::new("getent")
        .args([db, key])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    find(&String::from_utf8_lossy(&out.stdout))
}
