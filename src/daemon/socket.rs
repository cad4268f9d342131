//! The daemon's socket on disk: a private directory (0700, or 0750 for the socket's
//! group), a stale socket from a crashed daemon replaced, and the file removed again
//! at a clean stop.

use std::path::{Path, PathBuf};

use tokio::net::UnixListener;

#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error("cannot create the socket directory {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no group `{0}` ([daemon] socket_group): create it with `groupadd {0}`")]
    NoGroup(String),
    #[error("cannot give {path} to group `{group}`: {source}")]
    Chown {
        path: PathBuf,
        group: String,
        source: std::io::Error,
    },
    #[error("another daemon answers on {0}")]
    InUse(PathBuf),
    #[error("cannot listen on {path}: {source}")]
    Bind {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The listening socket; the file goes when this is dropped.
pub struct Listening {
    listener: Option<UnixListener>,
    path: PathBuf,
}

impl Listening {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The listener for the server task; the file stays until this is dropped.
    pub fn take_listener(&mut self) -> Option<UnixListener> {
        self.listener.take()
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Listens on `path`. The caller holds the profile lock, so a socket file that is
/// there already is a dead daemon's, unless something still answers on it.
pub fn listen(path: &Path, group: &str) -> Result<Listening, SocketError> {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    let dir_err = |source| SocketError::Dir {
        path: dir.to_path_buf(),
        source,
    };
    let created = !dir.exists();
    std::fs::create_dir_all(dir).map_err(dir_err)?;
    let group = group.trim();
    // Only a directory of our own is tightened or given to the group: one we created,
    // or one named `tresen` (/run/tresen under systemd). A shared parent (/tmp, the data
    // dir) keeps its own rules; there only the socket file gets the group.
    let own = created || dir.file_name().is_some_and(|n| n == "tresen");
    if own {
        let mode = if group.is_empty() { 0o700 } else { 0o750 };
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).map_err(dir_err)?;
    }
    let gid = if group.is_empty() {
        None
    } else {
        Some(crate::fsutil::group_id(group).ok_or_else(|| SocketError::NoGroup(group.into()))?)
    };
    let chown = |p: &Path| {
        std::os::unix::fs::chown(p, None, gid).map_err(|source| SocketError::Chown {
            path: p.to_path_buf(),
            group: group.into(),
            source,
        })
    };
    if gid.is_some() && own {
        chown(dir)?;
    }
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(SocketError::InUse(path.to_path_buf()));
        }
        tracing::info!(path = %path.display(), "stale socket of a crashed daemon replaced");
        let _ = std::fs::remove_file(path);
    }
    let listener = UnixListener::bind(path).map_err(|source| SocketError::Bind {
        path: path.to_path_buf(),
        source,
    })?;
    // Access is decided by the directory; the socket itself only needs to be writable
    // by the group that may enter it.
    let mode = if group.is_empty() { 0o600 } else { 0o660 };
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
    if gid.is_some() {
        chown(path)?;
    }
    Ok(Listening {
        listener: Some(listener),
        path: path.to_path_buf(),
    })
}
