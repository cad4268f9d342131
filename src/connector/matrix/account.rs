//! A Matrix account on disk: matrix-sdk's own sqlite store (encrypted with a passphrase
//! derived from the profile key) and the login session (access token included), sealed
//! with another derived key. Both live in `<data dir>/accounts/<id>/`.

use std::path::{Path, PathBuf};

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::encryption::EncryptionSettings;
use matrix_sdk::{Client, ClientBuildError};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::domain::AccountId;
use crate::secrets::{self, MasterKey};

#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    #[error("cannot reach the homeserver {homeserver}: {detail}")]
    Unreachable { homeserver: String, detail: String },
    #[error("{homeserver} does not look like a Matrix homeserver: {detail}")]
    NotAHomeserver { homeserver: String, detail: String },
    #[error("the homeserver rejected user `{user}` with this password")]
    InvalidCredentials { user: String },
    #[error(
        "the homeserver does not offer password login ({detail}); single sign-on is not supported yet"
    )]
    Unsupported { detail: String },
    #[error(
        "account `{account}` is not logged in: run `tresen account add matrix --id {account} …`"
    )]
    NotLoggedIn { account: AccountId },
    #[error(
        "account `{account}`: the saved session cannot be opened (was the profile key changed?)"
    )]
    SessionUnreadable { account: AccountId },
    #[error(
        "account `{account}` is already logged in as {user}: `tresen account remove {account}` first"
    )]
    AlreadyLoggedIn { account: AccountId, user: String },
    #[error(
        "account `{account}` already has a recovery key; `tresen account recovery-key --id {account} --reset` \
         makes a new one (the old key stops working)"
    )]
    RecoveryExists { account: AccountId },
    #[error("the recovery key was not accepted ({detail}); check it, or ask who set it up")]
    WrongRecoveryKey { detail: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("matrix: {0}")]
    Sdk(String),
}

impl MatrixError {
    /// Errors that retrying cannot fix.
    pub fn is_permanent(&self) -> bool {
        !matches!(self, Self::Unreachable { .. } | Self::Sdk(_))
    }
}

/// What `account add` and `account list` show.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LoginInfo {
    pub homeserver: String,
    pub user_id: String,
    pub device_id: String,
}

#[derive(Serialize, Deserialize)]
struct SavedSession {
    homeserver: String,
    session: MatrixSession,
}

pub struct MatrixAccount {
    id: AccountId,
    dir: PathBuf,
    session_key: Zeroizing<[u8; 32]>,
    store_passphrase: Zeroizing<String>,
}

const SESSION_FILE: &str = "session.sealed";
const SDK_STORE: &str = "matrix-sdk";

impl MatrixAccount {
    pub fn new(id: AccountId, data_dir: &Path, key: &MasterKey) -> Self {
        let dir = data_dir.join("accounts").join(&id.0);
        let session_key = key.derive(&format!("matrix session {id}"));
        let store_passphrase = Zeroizing::new(hex::encode(
            &key.derive(&format!("matrix sdk store {id}"))[..],
        ));
        Self {
            id,
            dir,
            session_key,
            store_passphrase,
        }
    }

    pub fn id(&self) -> &AccountId {
        &self.id
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn context(&self) -> String {
        format!("tresen matrix session {}", self.id)
    }

    fn session_path(&self) -> PathBuf {
        self.dir.join(SESSION_FILE)
    }

    fn io(&self, path: PathBuf) -> impl FnOnce(std::io::Error) -> MatrixError {
        move |source| MatrixError::Io { path, source }
    }

    /// The saved login, if any (no network).
    pub fn info(&self) -> Result<Option<LoginInfo>, MatrixError> {
        Ok(self.saved()?.map(|s| LoginInfo {
            homeserver: s.homeserver,
            user_id: s.session.meta.user_id.to_string(),
            device_id: s.session.meta.device_id.to_string(),
        }))
    }

    fn saved(&self) -> Result<Option<SavedSession>, MatrixError> {
        let path = self.session_path();
        let data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(path)(e)),
        };
        let plain =
            secrets::unseal(&self.session_key, &self.context(), &data).ok_or_else(|| {
                MatrixError::SessionUnreadable {
                    account: self.id.clone(),
                }
            })?;
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|_| MatrixError::SessionUnreadable {
                account: self.id.clone(),
            })
    }

    async fn client(&self, homeserver: &str, discover: bool) -> Result<Client, MatrixError> {
        crate::fsutil::ensure_private_dir(&self.dir).map_err(|e| MatrixError::Io {
            path: self.dir.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let builder = Client::builder();
        let builder = if discover {
            builder.server_name_or_homeserver_url(homeserver)
        } else {
            builder.homeserver_url(homeserver)
        };
        builder
            .sqlite_store(
                self.dir.join(SDK_STORE),
                Some(self.store_passphrase.as_str()),
            )
            .with_encryption_settings(EncryptionSettings {
                auto_enable_cross_signing: true,
                // A message that fails to decrypt makes the SDK look in the key backup.
                backup_download_strategy:
                    matrix_sdk::encryption::BackupDownloadStrategy::AfterDecryptionFailure,
                auto_enable_backups: false,
            })
            .build()
            .await
            .map_err(|e| build_error(homeserver, e))
    }

    /// Logs in with a password and saves the session. `homeserver` may be a server name
    /// (`example.org`, resolved through `.well-known`) or a URL.
    pub async fn login(
        &self,
        homeserver: &str,
        user: &str,
        password: &str,
    ) -> Result<LoginInfo, MatrixError> {
        if let Some(existing) = self.info()? {
            return Err(MatrixError::AlreadyLoggedIn {
                account: self.id.clone(),
                user: existing.user_id,
            });
        }
        // A half-finished earlier attempt may have left an sdk store for another device.
        let _ = std::fs::remove_dir_all(self.dir.join(SDK_STORE));
        let client = self.client(homeserver, true).await?;
        let hs = client.homeserver().to_string();
        let auth = client.matrix_auth();
        match auth.get_login_types().await {
            Ok(types) => {
                use matrix_sdk::ruma::api::client::session::get_login_types::v3::LoginType;
                if !types
                    .flows
                    .iter()
                    .any(|f| matches!(f, LoginType::Password(_)))
                {
                    return Err(MatrixError::Unsupported {
                        detail: "no m.login.password flow".into(),
                    });
                }
            }
            Err(e) => return Err(http_error(&hs, e)),
        }
        let response = auth
            .login_username(user, password)
            .initial_device_display_name("tresen")
            .send()
            .await;
        if let Err(e) = response {
            let forbidden = e
                .client_api_error_kind()
                .is_some_and(|k| matches!(k, matrix_sdk::ruma::api::error::ErrorKind::Forbidden));
            return Err(if forbidden {
                MatrixError::InvalidCredentials {
                    user: user.to_string(),
                }
            } else {
                match e {
                    matrix_sdk::Error::Http(h) => http_error(&hs, *h),
                    other => MatrixError::Sdk(other.to_string()),
                }
            });
        }
        let session = auth
            .session()
            .ok_or_else(|| MatrixError::Sdk("login returned no session".into()))?;
        // Cross-signing is bootstrapped in the background after login; `account add`
        // exits right after this, so wait for it.
        client
            .encryption()
            .wait_for_e2ee_initialization_tasks()
            .await;
        let info = LoginInfo {
            homeserver: hs.clone(),
            user_id: session.meta.user_id.to_string(),
            device_id: session.meta.device_id.to_string(),
        };
        let saved = SavedSession {
            homeserver: hs,
            session,
        };
        let json = Zeroizing::new(
            serde_json::to_vec(&saved).map_err(|e| MatrixError::Sdk(e.to_string()))?,
        );
        let sealed = secrets::seal(&self.session_key, &self.context(), &json);
        crate::fsutil::write_private(&self.session_path(), &sealed)
            .map_err(self.io(self.session_path()))?;
        Ok(info)
    }

    /// A client with the saved session, without logging in again.
    pub async fn restore(&self) -> Result<Client, MatrixError> {
        let saved = self.saved()?.ok_or_else(|| MatrixError::NotLoggedIn {
            account: self.id.clone(),
        })?;
        let client = self.client(&saved.homeserver, false).await?;
        client
            .restore_session(saved.session)
            .await
            .map_err(|e| MatrixError::Sdk(e.to_string()))?;
        Ok(client)
    }

    /// Sets up server-side key backup and secret storage (cross-signing keys and the
    /// backup key, encrypted with a new recovery key) and waits until every room key
    /// this device holds is backed up. Returns the recovery key; tresen keeps no copy.
    pub async fn enable_recovery(&self, reset: bool) -> Result<String, MatrixError> {
        use matrix_sdk::encryption::recovery::RecoveryState;
        let client = self.restore().await?;
        let encryption = client.encryption();
        encryption.wait_for_e2ee_initialization_tasks().await;
        let recovery = encryption.recovery();
        let key = match (recovery.state(), reset) {
            (RecoveryState::Enabled | RecoveryState::Incomplete, false) => {
                return Err(MatrixError::RecoveryExists {
                    account: self.id.clone(),
                });
            }
            (RecoveryState::Enabled | RecoveryState::Incomplete, true) => {
                recovery.reset_key().await
            }
            _ => recovery.enable().wait_for_backups_to_upload().await,
        };
        key.map_err(|e| MatrixError::Sdk(format!("setting up the recovery key failed: {e}")))
    }

    /// Uses the recovery key on this device: imports the cross-signing keys (the device
    /// becomes verified) and the backup key, then downloads the room keys of `rooms`
    /// from the backup. Returns how many rooms' keys were downloaded.
    pub async fn recover(&self, key: &str, rooms: &[String]) -> Result<usize, MatrixError> {
        let client = self.restore().await?;
        let encryption = client.encryption();
        encryption.wait_for_e2ee_initialization_tasks().await;
        encryption
            .recovery()
            .recover(key.trim())
            .await
            .map_err(|e| MatrixError::WrongRecoveryKey {
                detail: e.to_string(),
            })?;
        let backups = encryption.backups();
        let mut done = 0;
        for r in rooms {
            let Ok(id) = matrix_sdk::ruma::RoomId::parse(r) else {
                continue;
            };
            match backups.download_room_keys_for_room(&id).await {
                Ok(()) => done += 1,
                Err(e) => tracing::warn!(room = %r, error = %e, "no room keys from the backup"),
            }
        }
        Ok(done)
    }

    /// Logs the device out at the homeserver (best effort) and deletes everything local.
    pub async fn remove(&self) -> Result<bool, MatrixError> {
        if !self.dir.exists() {
            return Ok(false);
        }
        if let Ok(client) = self.restore().await
            && let Err(e) = client.matrix_auth().logout().await
        {
            tracing::warn!(account = %self.id, error = %e, "logout at the homeserver failed");
        }
        std::fs::remove_dir_all(&self.dir).map_err(self.io(self.dir.clone()))?;
        Ok(true)
    }
}

fn http_error(homeserver: &str, e: matrix_sdk::HttpError) -> MatrixError {
    match &e {
        matrix_sdk::HttpError::Reqwest(r) if r.is_connect() || r.is_timeout() => {
            MatrixError::Unreachable {
                homeserver: homeserver.to_string(),
                detail: root_cause(r),
            }
        }
        _ if e.as_client_api_error().is_none() => MatrixError::NotAHomeserver {
            homeserver: homeserver.to_string(),
            detail: e.to_string(),
        },
        _ => MatrixError::Sdk(e.to_string()),
    }
}

fn build_error(homeserver: &str, e: ClientBuildError) -> MatrixError {
    match e {
        ClientBuildError::Http(h) => http_error(homeserver, h),
        ClientBuildError::AutoDiscovery(_) | ClientBuildError::InvalidServerName => {
            MatrixError::NotAHomeserver {
                homeserver: homeserver.to_string(),
                detail: e.to_string(),
            }
        }
        ClientBuildError::Url(_) => MatrixError::NotAHomeserver {
            homeserver: homeserver.to_string(),
            detail: format!("not a valid URL or server name: {e}"),
        },
        other => MatrixError::Sdk(other.to_string()),
    }
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
