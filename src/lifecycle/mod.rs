//! The archive's lifecycle as use cases over the archive and the inbox store, for the
//! commands that run without an engine: what retention needs to know about every part of
//! the archive (`gather`), destroying what has expired (`expire`), holds (`holds`), a
//! customer's GDPR requests (`dsar`) and the tax auditor's export (`auditor`). Every
//! write goes through [`Books::record`]: the archive first, then the store through the
//! same fact table as live ingest. The command line parses, confirms and prints around
//! them; the daemon can run them as they are.

pub mod auditor;
pub mod dsar;
mod expire;
pub mod holds;
pub mod items;
pub mod orders;
pub mod requests;
pub mod sensitive;

pub use expire::{Expired, expire};
pub use holds::{HoldChange, HoldDone, release_hold, set_hold};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::archive::export::Collection;
use crate::archive::keys::Keys;
use crate::archive::retention::{self, BucketFacts, Hold};
use crate::archive::{Archive, ArchiveError, Payload, Scope, read};
use crate::domain::Timestamp;
use crate::store::{BlobError, BlobStore, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The request cannot be carried out as asked; the message says what to give
    /// instead (exit code 2).
    #[error("{0}")]
    Refused(String),
}

/// A profile's archive and inbox store (and its files): opened by a command without an
/// engine, or lent by the daemon's engine for one job.
pub struct Books<'a> {
    pub archive: &'a mut Archive,
    pub store: &'a mut dyn Store,
    pub blobs: Option<&'a BlobStore>,
}

impl Books<'_> {
    /// Archives `payloads` (one fsync), then brings the store up to the archive through
    /// the fact table live ingest and the replay use — so the store moves on only with
    /// what the archive holds, and a store rebuilt later ends up the same. Returns the
    /// inbox messages removed (by a tombstone or a restriction).
    pub fn record(&mut self, payloads: &[Payload]) -> Result<usize, LifecycleError> {
        let entries: Vec<(&Scope, &Payload)> =
            payloads.iter().map(|p| (&Scope::System, p)).collect();
        self.record_scoped(&entries)
    }

    /// [`Books::record`] with each record under its own scope (a record about one
    /// conversation goes when its keys are destroyed).
    pub fn record_scoped(
        &mut self,
        entries: &[(&Scope, &Payload)],
    ) -> Result<usize, LifecycleError> {
        self.archive.append_all(entries)?;
        let replay =
            crate::ingest::catch_up::<LifecycleError>(self.archive, self.store, self.blobs)?;
        Ok(replay.map_or(0, |r| r.purged as usize))
    }
}

/// The retention plan as `retention plan|apply` show it: each part's fate on `on`, and
/// the names of the conversations.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RetentionPlan {
    pub on: NaiveDate,
    pub items: Vec<retention::Item>,
    /// (account, conversation, name)
    pub titles: Vec<(String, String, String)>,
    /// Files that look like invoices and are kept as Buchungsbelege until staff confirm
    /// or correct it (R-E3), as `MESSAGE/FILE name (why)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unconfirmed: Vec<String>,
}

impl RetentionPlan {
    pub fn of(facts: &Facts, policy: &retention::Policy<'_>, on: NaiveDate) -> RetentionPlan {
        let items = retention::plan(&facts.buckets, &facts.holds, policy, on);
        let titles = facts
            .titles
            .iter()
            .filter(|((a, c), _)| {
                items
                    .iter()
                    .any(|i| i.account == *a && i.conversation == *c)
            })
            .map(|((a, c), t)| (a.clone(), c.clone(), t.clone()))
            .collect();
        RetentionPlan {
            on,
            items,
            titles,
            unconfirmed: Vec::new(),
        }
    }

    /// A conversation's name (its id if the archive knows none).
    pub fn title(&self, account: &str, conversation: &str) -> String {
        self.titles
            .iter()
            .find(|(a, c, _)| a == account && c == conversation)
            .map_or_else(|| conversation.to_string(), |(_, _, t)| t.clone())
    }

    /// The parts it lets expire.
    pub fn expiring(&self) -> Vec<String> {
        self.items
            .iter()
            .filter(|i| i.decision == "expire")
            .map(|i| i.bucket.clone())
            .collect()
    }
}

/// Today's plan (or `on`'s), read where the books are.
pub fn retention_plan(
    books: &mut Books<'_>,
    config: &crate::config::RetentionConfig,
    on: NaiveDate,
) -> Result<RetentionPlan, LifecycleError> {
    let labels = store_labels(&*books.store)?;
    let dir = books.archive.dir().to_path_buf();
    let facts = gather(&dir, books.archive.keys(), &labels)?;
    let tags = config.tag_pairs();
    let mut plan = RetentionPlan::of(&facts, &policy(config, &tags), on);
    plan.unconfirmed = items::listed(&*books.store, &facts.unconfirmed);
    Ok(plan)
}

/// Destroys the parts in `confirmed` that `plan` (made just now) lets expire, recording
/// `by` as who did it. Also returns how many of `confirmed` it left alone (no longer
/// expiring: a hold set since they were shown).
pub fn expire_confirmed(
    books: &mut Books<'_>,
    plan: &RetentionPlan,
    confirmed: &[String],
    by: &str,
) -> Result<(Expired, usize), LifecycleError> {
    let items: Vec<retention::Item> = plan
        .items
        .iter()
        .filter(|i| confirmed.contains(&i.bucket))
        .cloned()
        .collect();
    let done = expire(books, &items, by)?;
    Ok((done, confirmed.len().saturating_sub(done.parts)))
}

/// A readable copy's format (`export conversation --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transcript {
    Html,
    Txt,
}

/// Conversation `remote` of `account` as a readable copy from the archive, and how many
/// messages it holds.
pub fn transcript(
    dir: &Path,
    keys: &mut Keys,
    (account, remote): (&str, &str),
    format: Transcript,
    viewer: &crate::compliance::staff::Identity,
) -> Result<(usize, String), LifecycleError> {
    let mut c = Collection::default();
    read::for_each(dir, keys, 1, |r| {
        c.add(r, &|a, cv| a == account && cv == remote);
        Ok(())
    })?;
    // An auditor's copy holds the audit period only (R-B8, Z1).
    if let Some(scope) = &viewer.scope {
        c.rows.retain(|r| scope.covers(r.at));
    }
    // Marked content is the owner's (R-E4, R-C14).
    if !viewer.sees_sensitive() {
        c.withhold_marked();
    }
    for row in &mut c.rows {
        if row.direction == crate::domain::Direction::Outbound {
            row.sender = viewer.shown_sender(&row.sender).to_string();
        }
    }
    let rows: Vec<&crate::archive::export::Row> = c.rows.iter().collect();
    let title = c.title(account, remote);
    let text = match format {
        Transcript::Html => crate::archive::export::transcript_html(&title, &rows),
        Transcript::Txt => crate::archive::export::transcript_txt(&title, &rows),
    };
    Ok((rows.len(), text))
}

/// Everything the archive holds, decrypted where the keys still exist.
pub fn collect_all(dir: &Path, keys: &mut Keys) -> Result<Collection, LifecycleError> {
    let mut all = Collection::default();
    read::for_each(dir, keys, 1, |r| {
        all.add(r, &|_, _| true);
        Ok(())
    })?;
    Ok(all)
}

/// The retention rules as the config sets them.
pub fn policy<'a>(
    config: &'a crate::config::RetentionConfig,
    tags: &'a [(String, String)],
) -> retention::Policy<'a> {
    retention::Policy {
        default_class: &config.default_class,
        tags,
        no_statutory_years: config.no_statutory_years,
        failed_offer_months: config.failed_offer_months,
        offer_lapse_days: config.offer_lapse_days,
    }
}

/// What the plan needs to know, read from the whole archive.
pub struct Facts {
    pub buckets: Vec<BucketFacts>,
    pub holds: Vec<Hold>,
    pub titles: BTreeMap<(String, String), String>,
    /// Files that look like invoices, kept as Buchungsbelege until staff confirm or
    /// correct that (R-E3).
    pub unconfirmed: Vec<items::Unconfirmed>,
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
    let mut single = items::Items::default();
    let mut orders = orders::Ledger::default();
    read::for_each(dir, keys, 1, |r| {
        single.feed(&r);
        if let Some(p) = &r.payload {
            orders.feed(p);
        }
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
    let (mut per_item, unconfirmed) = single.finish();
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
            items: per_item.remove(id).unwrap_or_default(),
            order: orders.state_of(&b.account, &b.conversation),
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
        unconfirmed,
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
/// A peer's id changed (`peer_renamed`: a Signal number became the account's ACI): what a
/// ledger keeps under the old `(account, conversation)` is from now on the new one's.
/// `parts` gives a key's account and conversation; an entry already under the new key
/// wins over a moved one.
pub fn follow_rename<K: Ord, V>(
    map: &mut BTreeMap<K, V>,
    (account, from, to): (&str, &str, &str),
    parts: impl Fn(&mut K) -> (&str, &mut String),
) {
    let mut moved = Vec::new();
    for (mut k, v) in std::mem::take(map) {
        let (a, c) = parts(&mut k);
        if a == account && c == from {
            *c = to.to_string();
            moved.push((k, v));
        } else {
            map.insert(k, v);
        }
    }
    for (k, v) in moved {
        map.entry(k).or_insert(v);
    }
}

pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// Destroys a bucket: key first (from then on its records are unreadable), then the
/// tombstone, which takes the year's messages out of the inbox. Returns the inbox
/// messages removed.
pub fn destroy(books: &mut Books<'_>, tomb: retention::Tombstone) -> Result<usize, LifecycleError> {
    books.archive.keys().shred(&tomb.bucket, Timestamp::now())?;
    books.record(&[Payload::Tombstone(tomb)])
}

/// The files of an export by their path inside its directory, kept in memory until
/// written: by the command line into a new directory, or by the daemon handed to the
/// seat that asked, which writes them on its side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Files(pub Vec<(String, Vec<u8>)>);

impl Files {
    /// Adds `name` unless it is there already (the same file attached twice).
    pub fn add(&mut self, name: String, data: Vec<u8>) {
        if !self.0.iter().any(|(n, _)| *n == name) {
            self.0.push((name, data));
        }
    }

    /// Writes everything into the new directory `out`; refused if `out` exists (an
    /// export never mixes with or overwrites an earlier one).
    pub fn write_new_dir(&self, out: &Path) -> Result<(), LifecycleError> {
        refuse_existing(out)?;
        crate::archive::export::write_tree(out, &self.0).map_err(|source| LifecycleError::Write {
            path: out.to_path_buf(),
            source,
        })
    }
}

/// An export's directory must be new: checked before anything is read or recorded.
pub fn refuse_existing(out: &Path) -> Result<(), LifecycleError> {
    if out.exists() {
        return Err(LifecycleError::Refused(format!(
            "{} exists; name a new directory",
            out.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_lands_in_a_new_directory_and_nowhere_else() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("export");
        let mut files = Files::default();
        files.add("a.txt".into(), b"eins".to_vec());
        files.add("a.txt".into(), b"doppelt".to_vec());
        files.add("dateien/b.pdf".into(), b"zwei".to_vec());
        files.write_new_dir(&out).unwrap();
        assert_eq!(std::fs::read(out.join("a.txt")).unwrap(), b"eins");
        assert_eq!(std::fs::read(out.join("dateien/b.pdf")).unwrap(), b"zwei");
        assert!(matches!(
            files.write_new_dir(&out),
            Err(LifecycleError::Refused(_))
        ));
        for bad in ["../raus.txt", "/etc/raus", "dateien/../../raus"] {
            let other = tmp.path().join(format!("x{}", bad.len()));
            let f = Files(vec![(bad.into(), b"x".to_vec())]);
            assert!(f.write_new_dir(&other).is_err(), "{bad}");
        }
        assert!(!tmp.path().join("raus.txt").exists());
    }
}
