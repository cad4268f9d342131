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
