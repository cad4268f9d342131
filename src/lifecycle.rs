//! The archive's lifecycle as use cases over the archive and the inbox store, for the
//! commands that run without an engine: what retention needs to know about every part of
//! the archive (`gather`), destroying an expired or erased part — in the archive first
//! (its key, then a tombstone), then in the store (`destroy`, `purge_year`) — holds,
//! and the day retention counts with. The command line parses, confirms and prints
//! around them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;

use crate::archive::keys::Keys;
use crate::archive::retention::{self, BucketFacts, Hold, HoldKind, HoldScope};
use crate::archive::{Archive, ArchiveError, Entry, Payload, Scope, read};
use crate::domain::Timestamp;
use crate::store::{BlobError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blob(#[from] BlobError),
}

/// What the plan needs to know, read from the whole archive.
pub struct Facts {
    pub buckets: Vec<BucketFacts>,
    pub holds: Vec<Hold>,
    pub titles: BTreeMap<(String, String), String>,
}

/// Reads the whole archive once: every part (bucket) with its labels, contacts and
/// record range, the holds in force, and the conversations' names.
pub fn gather(
    dir: &Path,
    keys: &mut Keys,
    store_labels: &BTreeMap<(String, String), Vec<String>>,
) -> Result<Facts, LifecycleError> {
    #[derive(Default)]
    struct B {
        records: u64,
        first: u64,
        last: u64,
    }
    let mut per: BTreeMap<String, B> = BTreeMap::new();
    let mut holds: BTreeMap<String, Hold> = BTreeMap::new();
    let mut labels: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut contacts: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut titles = BTreeMap::new();
    read::for_each(dir, keys, 1, |r| {
        if r.bucket != crate::archive::keys::SYSTEM {
            let b = per.entry(r.bucket.clone()).or_default();
            if b.records == 0 {
                b.first = r.seq;
            }
            b.records += 1;
            b.last = r.seq;
        }
        match r.payload {
            Some(Payload::Hold(h)) => {
                holds.insert(h.id.clone(), h);
            }
            Some(Payload::HoldRelease { id, .. }) => {
                holds.remove(&id);
            }
            Some(Payload::Classify {
                account,
                conversation,
                labels: l,
                ..
            }) => labels.entry((account, conversation)).or_default().extend(l),
            Some(Payload::Conversation(c)) => {
                let k = (c.account.0.clone(), c.remote_id.clone());
                if let Some(contact) = &c.contact {
                    // A hold may name the customer by number or by the network's id.
                    let known = contacts.entry(k.clone()).or_default();
                    known.insert(contact.identity.clone());
                    known.extend(contact.phone.clone());
                }
                titles.insert(k, c.title.clone());
            }
            _ => {}
        }
        Ok(())
    })?;
    for (k, l) in store_labels {
        labels
            .entry(k.clone())
            .or_default()
            .extend(l.iter().cloned());
    }
    let mut buckets = Vec::new();
    for (id, b) in keys.buckets() {
        if b.is_shredded() {
            continue;
        }
        let k = (b.account.clone(), b.conversation.clone());
        let facts = per.get(id);
        buckets.push(BucketFacts {
            bucket: id.clone(),
            account: b.account.clone(),
            conversation: b.conversation.clone(),
            year: b.year,
            labels: labels
                .get(&k)
                .map(|l| l.iter().cloned().collect())
                .unwrap_or_default(),
            contacts: contacts
                .get(&k)
                .map(|c| c.iter().cloned().collect())
                .unwrap_or_default(),
            records: facts.map_or(0, |f| f.records),
            first_seq: facts.map_or(0, |f| f.first),
            last_seq: facts.map_or(0, |f| f.last),
        });
    }
    Ok(Facts {
        buckets,
        holds: holds.into_values().collect(),
        titles,
    })
}

/// Every conversation's labels as the inbox has them (they decide the retention class
/// together with the archive's `classify` records).
pub fn store_labels(
    store: &dyn crate::store::StoreRead,
) -> Result<BTreeMap<(String, String), Vec<String>>, LifecycleError> {
    Ok(store
        .conversations()?
        .into_iter()
        .map(|c| ((c.account.0, c.remote_id), c.labels))
        .collect())
}

/// The office's calendar day, which retention periods count to.
pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// Destroys a bucket: key first (from then on its records are unreadable), then the
/// tombstone, then the inbox copies. Returns the inbox messages removed.
pub fn destroy(
    archive: &mut Archive,
    store: &mut crate::store::SqliteStore,
    blobs: &crate::store::BlobStore,
    tomb: retention::Tombstone,
) -> Result<usize, LifecycleError> {
    archive.keys().shred(&tomb.bucket, Timestamp::now())?;
    let (account, conversation, year) =
        (tomb.account.clone(), tomb.conversation.clone(), tomb.year);
    archive.append(vec![Entry {
        scope: Scope::System,
        payload: Payload::Tombstone(tomb),
    }])?;
    purge_year(store, blobs, &account, &conversation, year)
}

/// Removes a conversation's messages of `year` from the inbox (and the files only they
/// used); the archive is not touched. Returns the messages removed.
pub fn purge_year(
    store: &mut crate::store::SqliteStore,
    blobs: &crate::store::BlobStore,
    account: &str,
    conversation: &str,
    year: i32,
) -> Result<usize, LifecycleError> {
    use crate::store::Store as _;
    if year == retention::META_YEAR {
        return Ok(0); // no messages in it; the conversation goes with its last message
    }
    let start = NaiveDate::from_ymd_opt(year, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
    let end =
        NaiveDate::from_ymd_opt(year, 12, 31).and_then(|d| d.and_hms_milli_opt(23, 59, 59, 999));
    let (Some(start), Some(end)) = (start, end) else {
        return Ok(0);
    };
    let applied = store.apply(&[crate::store::Op::Purge {
        account: crate::domain::AccountId(account.to_string()),
        remote_id: conversation.to_string(),
        from: Timestamp(start.and_utc().timestamp_millis()),
        to: Timestamp(end.and_utc().timestamp_millis()),
    }])?;
    for b in &applied.purged_blobs {
        blobs.remove(b)?;
    }
    Ok(applied.purged)
}

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
