//! Exit codes at the binary edge: 2 for anything the user has to fix (bad config, a
//! locked or missing key, a profile in use, a damaged store), 1 for other failures.

use crate::config::ConfigError;
use crate::fsutil::DirError;
use crate::profile::LockError;
use crate::profile::ProfileError;
use crate::secrets::SecretsError;
use crate::store::StoreError;

/// An error the user must act on, with a message that says how; exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if cause.is::<ConfigError>()
            || cause.is::<DirError>()
            || cause.is::<LockError>()
            || cause.is::<SecretsError>()
            || cause.is::<UsageError>()
        {
            return 2;
        }
        if matches!(
            cause.downcast_ref::<crate::lifecycle::LifecycleError>(),
            Some(crate::lifecycle::LifecycleError::Refused(_))
        ) {
            return 2;
        }
        // Refused by a rule (no consent, no company data, nothing to send): the user
        // decides what to do instead.
        if matches!(
            cause.downcast_ref::<crate::engine::EngineError>(),
            Some(crate::engine::EngineError::Refused(_) | crate::engine::EngineError::Declined(_))
        ) {
            return 2;
        }
        let store = match cause.downcast_ref::<ProfileError>() {
            Some(ProfileError::Store(s)) => Some(s),
            // Decided by what stopped the replay (further down the chain).
            Some(ProfileError::Replay(_)) => None,
            Some(_) => return 2,
            None => cause.downcast_ref::<StoreError>(),
        };
        if let Some(s) = store
            && matches!(
                s,
                StoreError::WrongKey { .. }
                    | StoreError::Corrupted { .. }
                    | StoreError::NewerSchema { .. }
                    | StoreError::OlderSchema { .. }
                    | StoreError::NoConversation(_)
            )
        {
            return 2;
        }
    }
    1
}
