//! One process per profile: the engine owns the store and the connectors' sessions, and
//! two engines on one Signal or Matrix device would corrupt state. The OS releases the
//! lock when the process dies, so a stale lock file never blocks a restart.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "profile in use by PID {pid} (lock file {path}). Stop that tresen (or its daemon) first, \
         or use another profile"
    )]
    InUse { pid: String, path: PathBuf },
    #[error("cannot create lock file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Held for as long as the process works on the profile.
#[derive(Debug)]
pub struct ProfileLock {
    _file: File,
    path: PathBuf,
}

impl ProfileLock {
    pub fn acquire(data_dir: &Path) -> Result<Self, LockError> {
        let path = data_dir.join("tresen.lock");
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut o = OpenOptions::new();
        o.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let mut file = o.open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                return Err(LockError::InUse {
                    pid: if pid.is_empty() {
                        "?".into()
                    } else {
                        pid.into()
                    },
                    path,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(Self { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The PID of the process that holds the profile now, if one does, found without
    /// taking the lock: a reader (`tresen list`) must never make a daemon that starts
    /// at the same moment fail with "profile in use".
    pub fn holder(data_dir: &Path) -> Result<Option<String>, LockError> {
        let path = data_dir.join("tresen.lock");
        #[cfg(target_os = "linux")]
        {
            let _ = &path;
            Ok(linux_holder(&path))
        }
        #[cfg(not(target_os = "linux"))]
        {
            // No kernel lock table to read: ask the lock itself, briefly.
            match ProfileLock::acquire(data_dir) {
                Ok(lock) => {
                    drop(lock);
                    Ok(None)
                }
                Err(LockError::InUse { pid, .. }) => Ok(Some(pid)),
                Err(e) => Err(e),
            }
        }
    }
}

/// The holder of the `flock` on `path`, from the kernel's table (`/proc/locks`, lines
/// like `1: FLOCK  ADVISORY  WRITE 4711 fd:01:1234567 0 EOF`).
#[cfg(target_os = "linux")]
fn linux_holder(path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    let dev = meta.dev();
    let (major, minor) = (
        ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff),
        ((dev >> 12) & 0xffff_ff00) | (dev & 0xff),
    );
    let want = (major, minor, meta.ino());
    let table = std::fs::read_to_string("/proc/locks").ok()?;
    table.lines().find_map(|line| {
        // Waiters are listed as `1: -> FLOCK …`: they do not hold it.
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(1) != Some(&"FLOCK") {
            return None;
        }
        let (pid, file) = (fields.get(4)?, fields.get(5)?);
        let mut parts = file.split(':');
        let maj = u64::from_str_radix(parts.next()?, 16).ok()?;
        let min = u64::from_str_radix(parts.next()?, 16).ok()?;
        let ino: u64 = parts.next()?.parse().ok()?;
        ((maj, min, ino) == want).then(|| pid.to_string())
    })
}
