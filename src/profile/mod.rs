//! Opening a profile: data directory, single-process lock, key, store and connectors,
//! in the order that fails earliest and changes nothing on failure; then the running
//! engine over it ([`Session`]), the one way every command and the TUI start one.

mod accounts;
pub mod demo;
mod lock;
mod session;

use std::path::PathBuf;

use crate::config::{Config, Paths};
use crate::connector::Connector;
use crate::domain::{AccountNetwork, Timestamp};

use crate::fsutil::{DirError, ensure_private_dir};
use crate::secrets::{self, MasterKey, SecretsError};
use crate::store::{BlobStore, KEY_LEN, SqliteStore, StoreError};
pub use accounts::{AccountKit, office};
pub use lock::{LockError, ProfileLock};
pub use session::{Held, Session};

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error(transparent)]
    Dir(#[from] DirError),
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The daemon owns the profile and this command cannot go through it (the message,
    /// in the user's language, names its PID and what to do).
    #[error("{0}")]
    Daemon(String),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
    #[error("configuration: {0}")]
    Compliance(String),
    /// The store could not be brought up to the archive at start.
    #[error("cannot bring the inbox store up to the archive: {0}")]
    Replay(#[source] crate::engine::EngineError),
    /// An account cannot run as configured (not logged in, not in this build).
    #[error("{0}")]
    Account(String),
}

pub struct OpenProfile {
    pub paths: Paths,
    /// Connectors derive their own keys from it (sessions, matrix-sdk's store).
    pub key: MasterKey,
    pub lock: ProfileLock,
    pub store: SqliteStore,
    /// The retention archive (`<data dir>/archive`); the engine writes it first.
    pub archive: Option<crate::archive::Archive>,
    /// Present for the demo profile: its directory is removed when this is dropped.
    pub temp: Option<tempfile::TempDir>,
    /// Footer, consent gate and first-contact notice, from the config (the demo's own
    /// firm for `--demo`).
    pub compliance: crate::compliance::Compliance,
    /// What marks a customer's message urgent (`[[urgent]]`).
    pub urgent: crate::domain::urgent::UrgentRules,
    /// The office's commands for new customer messages (`[hooks]`).
    pub hooks: crate::config::HooksConfig,
    /// `[hours]` away replies, if the office wants them.
    pub away: Option<crate::domain::hours::AwayReplies>,
    /// How overdue a scheduled message may go out (`[scheduled]`), in ms.
    pub max_late: i64,
}

fn key_array(key: &MasterKey) -> zeroize::Zeroizing<[u8; KEY_LEN]> {
    key.store_key()
}

/// Why a command stops while the daemon runs, and how to go on.
fn daemon_owns(pid: &str, german: bool) -> String {
    match german {
        true => format!(
            "Der tresen-Dienst (PID {pid}) führt dieses Profil, und dieser Befehl geht noch nicht über ihn: \
             Dienst beenden (`systemctl stop tresen` oder `kill -TERM {pid}`), den Befehl ausführen, \
             den Dienst wieder starten. Über den Dienst gehen: der Posteingang, send, assign, consent, \
             attachment, hold, archive seal|anchor|export, retention apply, dsar, export, compliance check, \
             docs, account add|link|recovery-key|recover|remove, sync und status; list und show lesen daneben"
        ),
        false => format!(
            "the tresen daemon (PID {pid}) owns this profile, and this command does not go through \
             it: stop the daemon (`systemctl stop tresen`, or `kill -TERM {pid}`), run the command, \
             then start it again. The inbox, send, assign, consent, attachment, hold, archive \
             seal|anchor|export, retention apply, dsar, export, compliance check, docs, account \
             add|link|recovery-key|recover|remove, sync and status go through it; list and show \
             read beside it"
        ),
    }
}

/// Opens the configured profile.
pub fn open(
    config: &Config,
    paths: Paths,
    prompt: secrets::Prompt<'_>,
) -> Result<OpenProfile, ProfileError> {
    let (lock, key) = lock_and_key(config, &paths, prompt)?;
    let store_file = paths.store_file();
    let store = SqliteStore::open(&store_file, Some(&key_array(&key)))?;
    set_private(&store_file);
    let archive = open_archive(&paths, &key)?;
    Ok(OpenProfile {
        paths,
        key,
        lock,
        store,
        archive: Some(archive),
        temp: None,
        compliance: config
            .compliance()
            .map_err(|e| ProfileError::Compliance(format!("{}: {}", e.key, e.message)))?,
        urgent: crate::domain::urgent::UrgentRules::new(&config.urgent)
            .map_err(|e| ProfileError::Compliance(format!("{}: {}", e.key, e.message)))?,
        hooks: config.hooks.clone(),
        away: config
            .hours
            .away()
            .map_err(|(key, message)| ProfileError::Compliance(format!("{key}: {message}")))?,
        max_late: config.scheduled.max_late_ms(),
    })
}

/// The profile's lock and its key, the store not yet touched.
fn lock_and_key(
    config: &Config,
    paths: &Paths,
    prompt: secrets::Prompt<'_>,
) -> Result<(ProfileLock, MasterKey), ProfileError> {
    ensure_private_dir(&paths.data_dir)?;
    let lock = match ProfileLock::acquire(&paths.data_dir) {
        Err(LockError::InUse { pid, .. })
            if std::os::unix::net::UnixStream::connect(&paths.socket).is_ok() =>
        {
            return Err(ProfileError::Daemon(daemon_owns(&pid, config.german())));
        }
        r => r?,
    };
    let (key, source) = secrets::master_key(&secrets::Request {
        config: &config.secrets,
        data_dir: &paths.data_dir,
        store_file: &paths.store_file(),
        prompt,
    })?;
    tracing::info!(?source, data_dir = %paths.data_dir.display(), "profile key loaded");
    Ok((lock, key))
}

/// What `store rebuild` needs: the lock, the key and the archive — not the store, which
/// may be damaged beyond opening (rebuilding it is the way out).
pub struct RebuildProfile {
    pub paths: Paths,
    pub key: MasterKey,
    pub lock: ProfileLock,
    pub archive: crate::archive::Archive,
}

pub fn open_for_rebuild(
    config: &Config,
    paths: Paths,
    prompt: secrets::Prompt<'_>,
) -> Result<RebuildProfile, ProfileError> {
    let (lock, key) = lock_and_key(config, &paths, prompt)?;
    let archive = open_archive(&paths, &key)?;
    Ok(RebuildProfile {
        paths,
        key,
        lock,
        archive,
    })
}

/// A profile opened only to read, without the profile lock: `tresen list`, `show` and
/// `account list` work while the TUI or the daemon owns the profile.
pub struct ReadProfile {
    pub paths: Paths,
    pub key: MasterKey,
    pub store: SqliteStore,
    /// The PID of the tresen that owns the profile right now, if one does.
    pub owner: Option<String>,
}

impl ReadProfile {
    #[cfg(feature = "matrix")]
    pub fn matrix_account(&self, id: &str) -> crate::connector::matrix::MatrixAccount {
        matrix_account_in(&self.paths, &self.key, id)
    }
}

/// Opens the configured profile for reading. A profile that has no store yet is
/// created first (with the lock, briefly), so a new user's `tresen list` just shows an
/// empty inbox.
pub fn open_read_only(
    config: &Config,
    paths: Paths,
    prompt: secrets::Prompt<'_>,
) -> Result<ReadProfile, ProfileError> {
    let store_file = paths.store_file();
    if !store_file.exists() {
        let p = open(config, paths, prompt)?;
        return Ok(ReadProfile {
            paths: p.paths,
            key: p.key,
            store: p.store,
            owner: None,
        });
    }
    // Who owns it is only information here, read without taking the lock.
    let owner = ProfileLock::holder(&paths.data_dir)?;
    let (key, _) = secrets::master_key(&secrets::Request {
        config: &config.secrets,
        data_dir: &paths.data_dir,
        store_file: &store_file,
        prompt,
    })?;
    let store = SqliteStore::open_read_only(&store_file, Some(&key_array(&key)))?;
    Ok(ReadProfile {
        paths,
        key,
        store,
        owner,
    })
}

/// The demo profile: a fresh temporary directory, a throw-away key that never touches
/// the keyring, and the seeded inbox.
pub fn open_demo(conversations: usize) -> Result<OpenProfile, ProfileError> {
    let temp = tempfile::Builder::new()
        .prefix("tresen-demo-")
        .tempdir()
        .map_err(|source| DirError::Create {
            path: std::env::temp_dir(),
            source,
        })?;
    let data_dir = temp.path().to_path_buf();
    ensure_private_dir(&data_dir)?;
    let lock = ProfileLock::acquire(&data_dir)?;
    let paths = Paths {
        config_file: None,
        log_dir: data_dir.join("logs"),
        socket: data_dir.join("tresen.sock"),
        data_dir,
    };
    let key = MasterKey::random();
    let mut store = SqliteStore::open(&paths.store_file(), Some(&key_array(&key)))?;
    crate::demo::seed(&mut store, conversations, Timestamp::now())?;
    let archive = open_archive(&paths, &key)?;
    Ok(OpenProfile {
        paths,
        key,
        lock,
        store,
        archive: Some(archive),
        temp: Some(temp),
        compliance: crate::demo::compliance(),
        urgent: crate::demo::urgent(),
        hooks: Default::default(),
        away: None,
        max_late: crate::engine::DEFAULT_MAX_LATE,
    })
}

/// Opens the archive; a torn tail found on the way is set aside and said on stderr
/// (this runs before any TUI takes the terminal) as well as logged and archived.
fn open_archive(
    paths: &Paths,
    key: &MasterKey,
) -> Result<crate::archive::Archive, crate::archive::ArchiveError> {
    let dir = crate::archive::Archive::dir_of(&paths.data_dir);
    let (archive, report) = crate::archive::Archive::open(&dir, key)?;
    if let Some(t) = report.torn {
        eprintln!(
            "tresen: the archive ended in an incomplete record (a write cut short, {} bytes at byte {} of {}); \
             it was set aside in {} and the archive continues from the last complete record. \
             Nothing before it is affected.",
            t.length,
            t.offset,
            t.segment,
            t.quarantined_to.display()
        );
    }
    Ok(archive)
}

fn set_private(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for suffix in ["", "-wal", "-shm", ".keyid"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let p = PathBuf::from(p);
            if p.exists() {
                let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
            }
        }
    }
}

/// The store as the engine shares it: the writer plus a reader connection, so the UI
/// never waits for a large write.
pub fn shared(
    store: SqliteStore,
    blobs: Option<BlobStore>,
) -> Result<crate::store::SharedStore, StoreError> {
    let shared = match store.reader()? {
        Some(reader) => crate::store::SharedStore::with_reader(Box::new(store), Box::new(reader)),
        None => crate::store::SharedStore::new(Box::new(store)),
    };
    Ok(match blobs {
        Some(b) => shared.with_blobs(b),
        None => shared,
    })
}

impl OpenProfile {
    /// The profile's attachment store (`<data dir>/attachments`).
    pub fn blobs(&self) -> BlobStore {
        BlobStore::new(&self.paths.data_dir, &self.key)
    }
}

/// The Matrix account `id` of this profile (its session and keys on disk).
#[cfg(feature = "matrix")]
pub fn matrix_account(profile: &OpenProfile, id: &str) -> crate::connector::matrix::MatrixAccount {
    matrix_account_in(&profile.paths, &profile.key, id)
}

#[cfg(feature = "matrix")]
fn matrix_account_in(
    paths: &Paths,
    key: &MasterKey,
    id: &str,
) -> crate::connector::matrix::MatrixAccount {
    crate::connector::matrix::MatrixAccount::new(
        crate::domain::AccountId(id.to_string()),
        &paths.data_dir,
        key,
    )
}

/// How tresen reaches signal-cli for this profile: signal-cli started by tresen (its
/// socket in `<data dir>/run`, 0700), or the daemon at `signal.endpoint`.
pub fn signal_endpoint(
    config: &Config,
    profile: &OpenProfile,
) -> crate::connector::signal::Endpoint {
    signal_endpoint_at(config, &profile.paths)
}

pub(crate) fn signal_endpoint_at(
    config: &Config,
    paths: &Paths,
) -> crate::connector::signal::Endpoint {
    use crate::config::SignalEndpoint;
    use crate::connector::signal::{Endpoint, daemon::DaemonConfig};
    let sc = &config.signal;
    // Checked when the config was loaded; a bad value cannot get here.
    match sc.endpoint().unwrap_or(SignalEndpoint::Spawn) {
        SignalEndpoint::Unix(path) => Endpoint::Socket(path),
        SignalEndpoint::Tcp(addr) => Endpoint::Tcp(addr),
        SignalEndpoint::Spawn => {
            let data = paths.data_dir.clone();
            Endpoint::Spawn(DaemonConfig {
                // An empty value means the default, not "no program".
                signal_cli: PathBuf::from(match sc.cli_path.trim() {
                    "" => "signal-cli",
                    p => p,
                }),
                data_dir: if sc.data_dir.trim().is_empty() {
                    data.join("signal-cli")
                } else {
                    PathBuf::from(&sc.data_dir)
                },
                run_dir: data.join("run"),
                java_home: (!sc.java_home.trim().is_empty()).then(|| PathBuf::from(&sc.java_home)),
                start_timeout: std::time::Duration::from_secs(60),
            })
        }
    }
}

/// The Signal connector for a configured account.
fn signal_connector(
    config: &Config,
    profile: &OpenProfile,
    a: &crate::config::AccountConfig,
) -> crate::connector::signal::SignalConnector {
    signal_connector_at(config, &profile.paths, a)
}

fn signal_connector_at(
    config: &Config,
    paths: &Paths,
    a: &crate::config::AccountConfig,
) -> crate::connector::signal::SignalConnector {
    crate::connector::signal::SignalConnector::new(
        crate::domain::AccountId(a.id.clone()),
        a.number.clone().unwrap_or_default(),
        signal_endpoint_at(config, paths),
        a.groups.clone(),
    )
}

/// Connectors for the configured accounts.
#[cfg_attr(not(feature = "matrix"), allow(unused_variables))]
pub fn connectors(
    config: &Config,
    profile: &OpenProfile,
) -> Result<Vec<Box<dyn Connector>>, ProfileError> {
    let now = Timestamp::now();
    config
        .accounts
        .iter()
        .map(|a| -> Result<Box<dyn Connector>, ProfileError> {
            match a.network {
                AccountNetwork::Demo => Ok(crate::demo::scripted_account(&a.id, now)),
                #[cfg(feature = "matrix")]
                AccountNetwork::Matrix => {
                    let account = matrix_account(profile, &a.id);
                    match account.info() {
                        Ok(Some(_)) => Ok(Box::new(crate::connector::matrix::MatrixConnector::new(
                            account,
                            a.rooms.clone(),
                        ))),
                        Ok(None) => Err(ProfileError::Account(format!(
                            "account `{}` is not logged in yet: run `tresen account add matrix --id {} --homeserver URL --user NAME`",
                            a.id, a.id
                        ))),
                        Err(e) => Err(ProfileError::Account(e.to_string())),
                    }
                }
                AccountNetwork::Signal => Ok(Box::new(signal_connector(config, profile, a))),
                #[allow(unreachable_patterns)]
                _ => Err(ProfileError::Account(format!(
                    "account `{}`: the {} connector is not part of this build",
                    a.id,
                    a.network.as_str()
                ))),
            }
        })
        .collect()
}
