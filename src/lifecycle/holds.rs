//! Holds: keeping data beyond its retention period (litigation, tax audit, warranty).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{LifecycleError, gather};
use crate::archive::retention::{Hold, HoldKind, HoldScope};
use crate::archive::{Archive, Entry, Payload, Scope};
use crate::domain::Timestamp;

/// Records a hold in the archive: nothing it covers expires until it is released (or
/// `until` has passed). Returns the hold with its new id.
pub fn set_hold(
    archive: &mut Archive,
    scope: HoldScope,
    kind: HoldKind,
    reason: String,
    by: String,
    until: Option<NaiveDate>,
) -> Result<Hold, LifecycleError> {
    let hold = Hold {
        id: format!("h{}", hex::encode(rand::random::<[u8; 4]>())),
        kind,
        scope,
        reason,
        by,
        at: Timestamp::now(),
        until,
    };
    archive.append(vec![Entry {
        scope: Scope::System,
        payload: Payload::Hold(hold.clone()),
    }])?;
    Ok(hold)
}

/// Ends the hold `id` (recorded with who and why). `false`: no hold with this id is in
/// force, nothing was written.
pub fn release_hold(
    archive: &mut Archive,
    id: &str,
    by: String,
    reason: String,
) -> Result<bool, LifecycleError> {
    let dir = archive.dir().to_path_buf();
    let facts = gather(&dir, archive.keys(), &BTreeMap::new())?;
    if !facts.holds.iter().any(|h| h.id == id) {
        return Ok(false);
    }
    archive.append(vec![Entry {
        scope: Scope::System,
        payload: Payload::HoldRelease {
            id: id.to_string(),
            by,
            reason,
            at: Timestamp::now(),
        },
    }])?;
    Ok(true)
}

/// A change to the holds, as a seat asks the daemon for it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum HoldChange {
    Set {
        scope: HoldScope,
        kind: HoldKind,
        reason: String,
        until: Option<NaiveDate>,
    },
    Release {
        id: String,
        reason: String,
    },
}

/// What a hold change did.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldDone {
    Set(Hold),
    /// `false`: no hold with that id was in force; nothing was written.
    Released(bool),
}

/// Carries out `change` on behalf of `by`.
pub fn apply(
    archive: &mut Archive,
    change: HoldChange,
    by: String,
) -> Result<HoldDone, LifecycleError> {
    match change {
        HoldChange::Set {
            scope,
            kind,
            reason,
            until,
        } => {
            if reason.trim().is_empty() {
                return Err(LifecycleError::Refused("a hold needs a --reason".into()));
            }
            set_hold(archive, scope, kind, reason, by, until).map(HoldDone::Set)
        }
        HoldChange::Release { id, reason } => {
            release_hold(archive, &id, by, reason).map(HoldDone::Released)
        }
    }
}
