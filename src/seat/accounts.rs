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
    /// The id and number of the Signal account `id`, or the one with `number`, or the
    /// only one.
    fn signal(&self, id: Option<&str>, number: Option<&str>) -> Result<(String, String), String>;
    /// Where signal-cli keeps the numbers' keys, when the daemon starts it itself.
    fn signal_keys(&self) -> Option<std::path::PathBuf>;
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
    german: bool,
) -> Result<AccountDone, Failed> {
    if ask.is_signal() {
        return signal(engine, kit.as_ref(), ask, german).await;
    }
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
        _ => return Err(refused("not a Matrix account command")),
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
        // Turned away above, before the connector was stopped.
        _ => Err(crate::connector::matrix::MatrixError::Unsupported {
            detail: "not a Matrix account command".into(),
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

/// How long a setup question may take: a registration step waits for Signal's servers.
const SETUP_ANSWER: std::time::Duration = std::time::Duration::from_secs(180);

/// A Signal account's setup, answered by its running connector (it holds the one
/// connection to signal-cli).
async fn signal(
    engine: &EngineHandle,
    kit: &dyn Kit,
    ask: AccountAsk,
    german: bool,
) -> Result<AccountDone, Failed> {
    use crate::connector::setup::{Reply, SetupAnswer, SetupAsk, SetupError};
    use crate::connector::signal::groups::ForgetError;
    let (id, number) = match &ask {
        AccountAsk::Register { id, number, .. } | AccountAsk::Verify { id, number, .. } => {
            (id.as_deref(), number.as_deref())
        }
        AccountAsk::SignalGroups { id }
        | AccountAsk::SignalContacts { id }
        | AccountAsk::ForgetGroup { id, .. } => (id.as_deref(), None),
        _ => return Err(refused("not a Signal account command")),
    };
    let (account, number) = kit.signal(id, number).map_err(refused)?;
    let (setup, forgotten) = match ask {
        AccountAsk::SignalGroups { .. } => (SetupAsk::Groups, None),
        AccountAsk::SignalContacts { .. } => (SetupAsk::Contacts, None),
        AccountAsk::ForgetGroup { group, .. } => (
            SetupAsk::ForgetGroup {
                group: group.clone(),
            },
            Some(group),
        ),
        AccountAsk::Register { voice, captcha, .. } => {
            (SetupAsk::Register { voice, captcha }, None)
        }
        AccountAsk::Verify { code, pin, .. } => (SetupAsk::Verify { code, pin }, None),
        _ => return Err(refused("not a Signal account command")),
    };
    let verifying = matches!(setup, SetupAsk::Verify { .. });
    let (reply, answer) = Reply::new();
    engine
        .try_command(crate::engine::EngineCommand::Setup {
            account: crate::domain::AccountId(account.clone()),
            ask: setup,
            reply,
        })
        .map_err(|e| Failed {
            refused: false,
            message: e.to_string(),
        })?;
    let answer = match tokio::time::timeout(SETUP_ANSWER, answer).await {
        Ok(Ok(a)) => a,
        Ok(Err(_)) => Err(SetupError::Failed(format!(
            "the connection of `{account}` did not answer (`tresen status` shows its state)"
        ))),
        Err(_) => Err(SetupError::Failed(format!(
            "no answer from signal-cli for `{account}` within {} s",
            SETUP_ANSWER.as_secs()
        ))),
    };
    match answer {
        Ok(SetupAnswer::Groups { groups }) => Ok(AccountDone::Groups { account, groups }),
        Ok(SetupAnswer::Contacts { contacts }) => Ok(AccountDone::Contacts { account, contacts }),
        Ok(SetupAnswer::AlreadySetUp) => Ok(AccountDone::AlreadySetUp { account, number }),
        Ok(SetupAnswer::Done) => Ok(match forgotten {
            Some(group) => AccountDone::GroupForgotten { account, group },
            None if verifying => AccountDone::Registered {
                account,
                number,
                keys: kit.signal_keys().map(|p| p.display().to_string()),
            },
            None => AccountDone::CodeRequested { account, number },
        }),
        Err(SetupError::Onboard(error)) => Ok(AccountDone::StepRefused {
            account,
            number,
            error,
        }),
        Err(SetupError::GroupInConfig) => Err(refused(ForgetError::InConfig.explain(
            &account,
            forgotten.as_deref().unwrap_or_default(),
            german,
        ))),
        Err(SetupError::GroupNotChosen) => Err(refused(ForgetError::NotChosen.explain(
            &account,
            forgotten.as_deref().unwrap_or_default(),
            german,
        ))),
        Err(e @ (SetupError::Failed(_) | SetupError::Unsupported)) => Err(Failed {
            refused: false,
            message: e.to_string(),
        }),
        Err(e) => Err(refused(e.to_string())),
    }
}
