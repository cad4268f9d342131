//! Where the profile's master key comes from: the OS keyring (keyring-core stores), a
//! systemd credential, or a key file unlocked with an Argon2id-stretched passphrase.
//!
//! The master key is 256 random bits; the store key is derived from it (HKDF), so other
//! keys (attachments, archive) can be derived later without another secret. A key is
//! only ever *created* together with a new store: if the store exists but its key is
//! missing, that is an error, never a silent new key that would orphan the data.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

/// `[secrets]` in the configuration: where the master key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretsBackend {
    Auto,
    Keyring,
    Systemd,
    Passphrase,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsConfig {
    pub backend: SecretsBackend,
    pub credential_name: String,
    pub passphrase_file: String,
    /// Where the offline copy of the master key is kept (e.g. "Tresor Büro, Umschlag 3").
    /// Only recorded; `tresen compliance check` asks for it.
    pub recovery_copy: String,
}

impl Default for SecretsConfig {
    fn default() -> Self {
        Self {
            backend: SecretsBackend::Auto,
            credential_name: "tresen-master-key".into(),
            passphrase_file: String::new(),
            recovery_copy: String::new(),
        }
    }
}

pub const KEY_LEN: usize = 32;
const KEYRING_SERVICE: &str = "tresen";
const KEYRING_TIMEOUT: Duration = Duration::from_secs(15);
const KEY_FILE: &str = "key.json";

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(
        "the system keyring is not available: {0}. On a desktop, log in to a session with \
         GNOME Keyring or KWallet; on a server set secrets.backend = \"systemd\" or \"passphrase\""
    )]
    KeyringUnavailable(String),
    #[error(
        "the system keyring is locked: {0}. Unlock it (for example by logging in to the \
         desktop) and start tresen again"
    )]
    KeyringLocked(String),
    #[error("the system keyring did not answer within {0} s; is its unlock prompt hidden?")]
    KeyringTimeout(u64),
    #[error(
        "the {backend} has no key for this profile, but the store {store} exists. The key is \
         needed to read it: restore it in the {backend}, or choose the backend that holds it \
         (secrets.backend)"
    )]
    KeyMissing {
        backend: &'static str,
        store: PathBuf,
    },
    #[error(
        "systemd credential not available: {0}. Run tresen from a unit with \
         LoadCredentialEncrypted=<name> (see docs/secrets.md)"
    )]
    Systemd(String),
    #[error("wrong passphrase for {0}")]
    WrongPassphrase(PathBuf),
    #[error("passphrase: {0}")]
    Passphrase(String),
    #[error("key file {path}: {message}")]
    KeyFile { path: PathBuf, message: String },
}

/// The profile's master key. Zeroed when dropped (each copy).
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; KEY_LEN]>);

impl MasterKey {
    pub fn random() -> Self {
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        rand::rng().fill_bytes(k.as_mut());
        Self(k)
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; KEY_LEN] = bytes.try_into().ok()?;
        Some(Self(Zeroizing::new(arr)))
    }

    /// A purpose-bound subkey; `purpose` must differ for every use.
    pub fn derive(&self, purpose: &str) -> Zeroizing<[u8; KEY_LEN]> {
        let hk = Hkdf::<Sha256>::new(Some(b"tresen v1"), self.0.as_ref());
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        // Only fails for outputs longer than 255 hash lengths; 32 bytes never does.
        let _ = hk.expand(purpose.as_bytes(), out.as_mut());
        out
    }

    pub fn store_key(&self) -> Zeroizing<[u8; KEY_LEN]> {
        self.derive("inbox store")
    }
}

/// Encrypts a small secret (a session, a token) for storage in the data dir: a random
/// 24-byte nonce followed by XChaCha20-Poly1305 ciphertext. `context` is bound as
/// associated data, so a sealed blob cannot be moved to another purpose.
pub fn seal(key: &[u8; KEY_LEN], context: &str, plaintext: &[u8]) -> Vec<u8> {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    let mut nonce = [0u8; 24];
    rand::rng().fill_bytes(&mut nonce);
    let cipher = XChaCha20Poly1305::new(key.into());
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: context.as_bytes(),
            },
        )
        // Encryption only fails for inputs beyond 256 GiB.
        .unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    out
}

/// The inverse of [`seal`]; `None` if the key or context is wrong or the data damaged.
pub fn unseal(key: &[u8; KEY_LEN], context: &str, data: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    if data.len() < 24 {
        return None;
    }
    let (nonce, sealed) = data.split_at(24);
    XChaCha20Poly1305::new(key.into())
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: context.as_bytes(),
            },
        )
        .ok()
        .map(Zeroizing::new)
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

/// Which backend actually served the key (for `tresen` status output and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Keyring,
    Systemd,
    Passphrase,
}

/// Asks the user for a passphrase; `confirm` is set when a new one is being chosen.
pub type Prompt<'a> = &'a dyn Fn(&str, bool) -> Result<String, SecretsError>;

pub struct Request<'a> {
    pub config: &'a SecretsConfig,
    pub data_dir: &'a Path,
    /// The store file; it decides whether a missing key may be created.
    pub store_file: &'a Path,
    pub prompt: Prompt<'a>,
}

/// Reads the passphrase from the terminal, without echo.
pub fn tty_prompt(label: &str, confirm: bool) -> Result<String, SecretsError> {
    let p = rpassword::prompt_password(format!("{label}: "))
        .map_err(|e| SecretsError::Passphrase(format!("cannot read from the terminal: {e}")))?;
    if confirm {
        let again = rpassword::prompt_password("Repeat / wiederholen: ")
            .map_err(|e| SecretsError::Passphrase(e.to_string()))?;
        if again != p {
            return Err(SecretsError::Passphrase("the two entries differ".into()));
        }
    }
    Ok(p)
}

pub fn resolve_backend(config: &SecretsConfig, data_dir: &Path) -> SecretsBackend {
    match config.backend {
        SecretsBackend::Auto => {
            if credential_path(config).is_some_and(|p| p.exists()) {
                SecretsBackend::Systemd
            } else if !config.passphrase_file.is_empty() || data_dir.join(KEY_FILE).exists() {
                SecretsBackend::Passphrase
            } else {
                SecretsBackend::Keyring
            }
        }
        b => b,
    }
}

pub fn master_key(req: &Request<'_>) -> Result<(MasterKey, Source), SecretsError> {
    let may_create = !req.store_file.exists();
    match resolve_backend(req.config, req.data_dir) {
        SecretsBackend::Systemd => systemd_key(req.config).map(|k| (k, Source::Systemd)),
        SecretsBackend::Passphrase => {
            passphrase_key(req, may_create).map(|k| (k, Source::Passphrase))
        }
        SecretsBackend::Keyring | SecretsBackend::Auto => {
            keyring_key(req.data_dir, req.store_file, may_create).map(|k| (k, Source::Keyring))
        }
    }
}

fn credential_path(config: &SecretsConfig) -> Option<PathBuf> {
    std::env::var_os("CREDENTIALS_DIRECTORY")
        .filter(|v| !v.is_empty())
        .map(|d| PathBuf::from(d).join(&config.credential_name))
}

fn systemd_key(config: &SecretsConfig) -> Result<MasterKey, SecretsError> {
    let path = credential_path(config)
        .ok_or_else(|| SecretsError::Systemd("$CREDENTIALS_DIRECTORY is not set".into()))?;
    let raw = Zeroizing::new(
        std::fs::read(&path)
            .map_err(|e| SecretsError::Systemd(format!("cannot read {}: {e}", path.display())))?,
    );
    if let Some(k) = MasterKey::from_bytes(&raw) {
        return Ok(k);
    }
    let text = String::from_utf8_lossy(&raw);
    let decoded = Zeroizing::new(hex::decode(text.trim()).unwrap_or_default());
    MasterKey::from_bytes(&decoded).ok_or_else(|| {
        SecretsError::Systemd(format!(
            "{} must hold 32 raw bytes or 64 hex digits",
            path.display()
        ))
    })
}

/// The keyring entry name is bound to the data directory so profiles never share keys.
fn keyring_user(data_dir: &Path) -> String {
    let canonical = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    format!("master-key:{}", canonical.display())
}

#[cfg(target_os = "linux")]
fn default_keyring() -> Result<std::sync::Arc<keyring_core::CredentialStore>, keyring_core::Error> {
    let s: std::sync::Arc<keyring_core::CredentialStore> =
        zbus_secret_service_keyring_store::Store::new()?;
    Ok(s)
}

#[cfg(target_os = "macos")]
fn default_keyring() -> Result<std::sync::Arc<keyring_core::CredentialStore>, keyring_core::Error> {
    let s: std::sync::Arc<keyring_core::CredentialStore> =
        apple_native_keyring_store::keychain::Store::new()?;
    Ok(s)
}

#[cfg(target_os = "windows")]
fn default_keyring() -> Result<std::sync::Arc<keyring_core::CredentialStore>, keyring_core::Error> {
    let s: std::sync::Arc<keyring_core::CredentialStore> =
        windows_native_keyring_store::Store::new()?;
    Ok(s)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn default_keyring() -> Result<std::sync::Arc<keyring_core::CredentialStore>, keyring_core::Error> {
    Err(keyring_core::Error::NotSupportedByStore(
        "this build has no keyring store for this platform; use secrets.backend = \"passphrase\""
            .into(),
    ))
}

fn map_keyring_error(e: keyring_core::Error) -> SecretsError {
    match e {
        keyring_core::Error::NoStorageAccess(inner) => {
            SecretsError::KeyringLocked(inner.to_string())
        }
        other => SecretsError::KeyringUnavailable(other.to_string()),
    }
}

enum KeyringOutcome {
    Found(MasterKey),
    Missing,
}

/// Runs keyring calls on their own thread: a Secret Service that waits for an unlock
/// prompt nobody can see must not hang tresen.
fn with_timeout<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SecretsError> + Send + 'static,
) -> Result<T, SecretsError> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(KEYRING_TIMEOUT)
        .map_err(|_| SecretsError::KeyringTimeout(KEYRING_TIMEOUT.as_secs()))?
}

fn keyring_key(
    data_dir: &Path,
    store_file: &Path,
    may_create: bool,
) -> Result<MasterKey, SecretsError> {
    let user = keyring_user(data_dir);
    let user2 = user.clone();
    let outcome = with_timeout(move || {
        let store = default_keyring().map_err(map_keyring_error)?;
        let entry = keyring_core::Entry::new_in_store(&store, KEYRING_SERVICE, &user2)
            .map_err(map_keyring_error)?;
        match entry.get_secret() {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                MasterKey::from_bytes(&bytes)
                    .map(KeyringOutcome::Found)
                    .ok_or_else(|| {
                        SecretsError::KeyringUnavailable(
                            "the keyring entry for tresen does not hold a 32-byte key".into(),
                        )
                    })
            }
            Err(keyring_core::Error::NoEntry) => Ok(KeyringOutcome::Missing),
            Err(e) => Err(map_keyring_error(e)),
        }
    })?;
    match outcome {
        KeyringOutcome::Found(k) => Ok(k),
        KeyringOutcome::Missing if !may_create => Err(SecretsError::KeyMissing {
            backend: "system keyring",
            store: store_file.to_path_buf(),
        }),
        KeyringOutcome::Missing => {
            let key = MasterKey::random();
            let bytes = Zeroizing::new(*key.0);
            with_timeout(move || {
                let store = default_keyring().map_err(map_keyring_error)?;
                let entry = keyring_core::Entry::new_in_store(&store, KEYRING_SERVICE, &user)
                    .map_err(map_keyring_error)?;
                entry.set_secret(bytes.as_ref()).map_err(map_keyring_error)
            })?;
            tracing::info!("created a new master key in the system keyring");
            Ok(key)
        }
    }
}

/// Deletes this profile's keyring entry (used by tests and `--demo` cleanup paths).
pub fn keyring_delete(data_dir: &Path) -> Result<(), SecretsError> {
    let user = keyring_user(data_dir);
    with_timeout(move || {
        let store = default_keyring().map_err(map_keyring_error)?;
        let entry = keyring_core::Entry::new_in_store(&store, KEYRING_SERVICE, &user)
            .map_err(map_keyring_error)?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e)),
        }
    })
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    v: u32,
    kdf: String,
    m_kib: u32,
    t: u32,
    p: u32,
    salt: String,
    nonce: String,
    wrapped: String,
}

/// Argon2id cost: about a quarter second once per start on a small office PC.
const ARGON_M_KIB: u32 = 64 * 1024;
const ARGON_T: u32 = 3;
const ARGON_P: u32 = 1;

fn stretch(
    pass: &str,
    salt: &[u8],
    m: u32,
    t: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 32]>, SecretsError> {
    let params = argon2::Params::new(m, t, p, Some(32))
        .map_err(|e| SecretsError::Passphrase(format!("bad Argon2 parameters: {e}")))?;
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 32]);
    a.hash_password_into(pass.as_bytes(), salt, out.as_mut())
        .map_err(|e| SecretsError::Passphrase(e.to_string()))?;
    Ok(out)
}

/// The shortest passphrase a new profile key is wrapped with.
const MIN_PASSPHRASE: usize = 12;

fn read_passphrase(req: &Request<'_>, confirm: bool) -> Result<Zeroizing<String>, SecretsError> {
    let file = req.config.passphrase_file.trim();
    if file.is_empty() {
        let label = if confirm {
            "New passphrase for this tresen profile / Neue Passphrase"
        } else {
            "Passphrase for this tresen profile / Passphrase"
        };
        return (req.prompt)(label, confirm).map(Zeroizing::new);
    }
    let text = Zeroizing::new(std::fs::read_to_string(file).map_err(|e| {
        SecretsError::Passphrase(format!("cannot read secrets.passphrase_file {file}: {e}"))
    })?);
    let line = text.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        return Err(SecretsError::Passphrase(format!(
            "secrets.passphrase_file {file} is empty"
        )));
    }
    Ok(Zeroizing::new(line))
}

fn passphrase_key(req: &Request<'_>, may_create: bool) -> Result<MasterKey, SecretsError> {
    let path = req.data_dir.join(KEY_FILE);
    let bad = |message: String| SecretsError::KeyFile {
        path: path.clone(),
        message,
    };
    if !path.exists() {
        if !may_create {
            return Err(SecretsError::KeyMissing {
                backend: "passphrase key file",
                store: req.store_file.to_path_buf(),
            });
        }
        let pass = read_passphrase(req, true)?;
        // The key protects ten years of business letters: a few words, not a PIN.
        if pass.chars().count() < MIN_PASSPHRASE {
            return Err(SecretsError::Passphrase(format!(
                "a new passphrase needs at least {MIN_PASSPHRASE} characters, as it protects records kept for ten years — a few words are easiest"
            )));
        }
        let key = MasterKey::random();
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut salt);
        rand::rng().fill_bytes(&mut nonce);
        let kek = stretch(&pass, &salt, ARGON_M_KIB, ARGON_T, ARGON_P)?;
        let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&kek[..]));
        let wrapped = cipher
            .encrypt(XNonce::from_slice(&nonce), key.0.as_ref())
            .map_err(|_| bad("encryption failed".into()))?;
        let file = KeyFile {
            v: 1,
            kdf: "argon2id".into(),
            m_kib: ARGON_M_KIB,
            t: ARGON_T,
            p: ARGON_P,
            salt: hex::encode(salt),
            nonce: hex::encode(nonce),
            wrapped: hex::encode(wrapped),
        };
        let json = serde_json::to_vec_pretty(&file).map_err(|e| bad(e.to_string()))?;
        crate::fsutil::write_private(&path, &json).map_err(|e| bad(e.to_string()))?;
        return Ok(key);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
    let file: KeyFile = serde_json::from_str(&text).map_err(|e| bad(format!("unreadable: {e}")))?;
    if file.v != 1 || file.kdf != "argon2id" {
        return Err(bad(format!(
            "unsupported version {} / kdf {}",
            file.v, file.kdf
        )));
    }
    let salt = hex::decode(&file.salt).map_err(|e| bad(e.to_string()))?;
    let nonce = hex::decode(&file.nonce).map_err(|e| bad(e.to_string()))?;
    let wrapped = hex::decode(&file.wrapped).map_err(|e| bad(e.to_string()))?;
    if nonce.len() != 24 {
        return Err(bad("bad nonce length".into()));
    }
    let pass = read_passphrase(req, false)?;
    let kek = stretch(&pass, &salt, file.m_kib, file.t, file.p)?;
    let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&kek[..]));
    let plain = Zeroizing::new(
        cipher
            .decrypt(XNonce::from_slice(&nonce), wrapped.as_ref())
            .map_err(|_| SecretsError::WrongPassphrase(path.clone()))?,
    );
    MasterKey::from_bytes(&plain).ok_or_else(|| bad("wrapped key has the wrong length".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_key_and_context() {
        let key = [7u8; KEY_LEN];
        let blob = seal(&key, "matrix session a", b"token");
        assert!(!blob.windows(5).any(|w| w == b"token"));
        assert_eq!(
            unseal(&key, "matrix session a", &blob)
                .as_deref()
                .map(|v| v.as_slice()),
            Some(&b"token"[..])
        );
        assert!(unseal(&[8u8; KEY_LEN], "matrix session a", &blob).is_none());
        assert!(unseal(&key, "matrix session b", &blob).is_none());
        assert!(unseal(&key, "matrix session a", &blob[..10]).is_none());
    }

    #[test]
    fn derived_keys_differ_by_purpose() {
        let k = MasterKey::random();
        assert_ne!(*k.derive("a"), *k.derive("b"));
        assert_eq!(*k.derive("a"), *k.derive("a"));
    }
}
