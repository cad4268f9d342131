//! The owner's account commands, run by the daemon on its own accounts: the account's
//! connector is stopped (the login store is used by one client at a time), the work is
//! done on the account's login store, and a connector for the account as it is now
//! starts again — syncing after a login, waiting as "not logged in" after a removal.

use std::sync::Arc;

use crate::connector::Connector;
#[cfg(feature = "matrix")]
use crate::domain::AccountId;
use crate::domain::AccountNetwork;
use crate::engine::EngineHandle;
#[cfg(feature = "matrix")]
use crate::engine::{ConnectorChange, EngineCommand};
use crate::protocol::accounts::{AccountAsk, AccountDone};

/// What the daemon keeps of its profile to do this (built by `profile::AccountKit`;
/// the key stays in the daemon's process).
pub trait Kit: Send + Sync {
    /// The id of account `id` of `network` in the daemon's config, or of its only one.
    fn pick(&self, id: Option<&str>, network: AccountNetwork) -> Result<String, String>;
    /// A connector for account `id` as it is now.
    fn connector(&self, id: &str) -> Option<Box<dyn Connector>>;
    /// The login store of Matrix account `id`.
    #[cfg(feature = "matrix")]
    fn matrix(&self, id: &str) -> crate::connector::matrix::MatrixAccount;
}

/// Why an account command did not happen: `refused` is the user's to fix (exit 2).
pub struct Failed {
    pub refused: bool,
    pub message: String,
}

fn refused(message: impl Into<String>) -> Failed {
    Failed {
        refused: true,
        message: message.into(),
    }
}

/// Carries out `ask` on the daemon's accounts.
pub async fn run(
    engine: &EngineHandle,
    kit: Arc<dyn Kit>,
    ask: AccountAsk,
) -> Result<AccountDone, Failed> {
    #[cfg(feature = "matrix")]
    {
        matrix(engine, kit, ask).await
    }
    #[cfg(not(feature = "matrix"))]
    {
        let _ = (engine, kit, ask);
        Err(refused(
            "this build of tresen has no Matrix support (feature `matrix`)",
        ))
    }
}

#[cfg(feature = "matrix")]
async fn matrix(
    engine: &EngineHandle,
    kit: Arc<dyn Kit>,
    ask: AccountAsk,
) -> Result<AccountDone, Failed> {
    let id = match &ask {
        AccountAsk::Login { id, .. }
        | AccountAsk::RecoveryKey { id, .. }
        | AccountAsk::Recover { id, .. } => id.as_deref(),
        AccountAsk::Remove { id } => Some(id.as_str()),
    };
    let account = kit.pick(id, AccountNetwork::Matrix).map_err(refused)?;
    let m = kit.matrix(&account);
    // Which rooms' keys a recovery fetches: only the business rooms tresen stores.
    let rooms: Vec<String> = if matches!(ask, AccountAsk::Recover { .. }) {
        let mine = AccountId(account.clone());
        engine
            .store()
            .read(|s| s.conversations())
            .map_err(|e| Failed {
                refused: false,
                message: e.to_string(),
            })?
            .into_iter()
            .filter(|c| c.account == mine)
            .map(|c| c.remote_id)
            .collect()
    } else {
        Vec::new()
    };
    stop(engine, &account).await?;
    let done = match ask {
        AccountAsk::Login {
            homeserver,
            user,
            password,
            ..
        } => m
            .login(&homeserver, &user, &password)
            .await
            .map(|info| AccountDone::LoggedIn {
                account: account.clone(),
                user_id: info.user_id,
                homeserver: info.homeserver,
                device_id: info.device_id,
            }),
        AccountAsk::RecoveryKey { reset, .. } => {
            m.enable_recovery(reset)
                .await
                .map(|key| AccountDone::RecoveryKey {
                    account: account.clone(),
                    key,
                })
        }
        AccountAsk::Recover { key, .. } => {
            m.recover(&key, &rooms)
                .await
                .map(|rooms| AccountDone::Recovered {
                    account: account.clone(),
                    rooms,
                })
        }
        AccountAsk::Remove { .. } => m.remove().await.map(|was| AccountDone::Removed {
            account: account.clone(),
            was_logged_in: was,
        }),
    };
    // Whatever happened, the account gets its connector back as it is now.
    start(engine, kit.as_ref(), &account)?;
    done.map_err(|e| {
        use crate::connector::matrix::MatrixError as E;
        Failed {
            refused: matches!(
                e,
                E::InvalidCredentials { .. }
                    | E::Unreachable { .. }
                    | E::NotAHomeserver { .. }
                    | E::Unsupported { .. }
                    | E::AlreadyLoggedIn { .. }
                    | E::NotLoggedIn { .. }
                    | E::RecoveryExists { .. }
                    | E::WrongRecoveryKey { .. }
            ),
            message: e.to_string(),
        }
    })
}

#[cfg(feature = "matrix")]
async fn stop(engine: &EngineHandle, account: &str) -> Result<(), Failed> {
    let (stopped, done) = tokio::sync::oneshot::channel();
    engine
        .try_command(EngineCommand::Connector(ConnectorChange::Stop {
            account: AccountId(account.to_string()),
            stopped,
        }))
        .map_err(|e| Failed {
            refused: false,
            message: e.to_string(),
        })?;
    done.await.map_err(|_| Failed {
        refused: false,
        message: crate::engine::EngineError::Stopped.to_string(),
    })
}

#[cfg(feature = "matrix")]
fn start(engine: &EngineHandle, kit: &dyn Kit, account: &str) -> Result<(), Failed> {
    let Some(connector) = kit.connector(account) else {
        return Ok(());
    };
    engine
        .try_command(EngineCommand::Connector(ConnectorChange::Start(connector)))
        .map_err(|e| Failed {
            refused: false,
            message: e.to_string(),
        })
}
