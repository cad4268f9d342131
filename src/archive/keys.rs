//! Bucket keys. Every conversation's records of one calendar year share a bucket with its
//! own random key; destroying that key at the end of the retention period makes the
//! records unreadable (crypto-shredding) while their headers keep the chain intact.
//! Records that belong to no conversation (configuration, holds, tombstones) use the
//! `sys` bucket, whose key is derived from the master key and never destroyed.
//!
//! The bucket table (which conversation and year a bucket is, and its key) is one file,
//! `keys.sealed`, encrypted with a key derived from the master key. The clear record
//! headers name only the opaque bucket id.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::ArchiveError;
use crate::domain::Timestamp;
use crate::secrets::MasterKey;

pub const SYSTEM: &str = "sys";
const CONTEXT: &str = "tresen archive bucket keys v1";
pub const FILE: &str = "keys.sealed";

pub type Key = Zeroizing<[u8; 32]>;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bucket {
    pub account: String,
    pub conversation: String,
    pub year: i32,
    /// Base64 of the key; gone once shredded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shredded: Option<Timestamp>,
}

impl Bucket {
    pub fn is_shredded(&self) -> bool {
        self.key.is_none()
    }
}

#[derive(Default, Serialize, Deserialize)]
struct Table {
    buckets: BTreeMap<String, Bucket>,
}

pub struct Keys {
    path: PathBuf,
    wrap: Key,
    system: Key,
    table: Table,
    /// (account, conversation, year) → bucket id.
    index: HashMap<(String, String, i32), String>,
    /// Decoded keys, so a busy append does not base64-decode per record.
    cache: HashMap<String, Key>,
    /// Buckets created since the table was last written.
    unsaved: Vec<String>,
}

impl Keys {
    /// Loads the table. `must_exist`: the archive already has records, so a missing
    /// table means the keys were lost — an error, never a silent fresh start.
    pub fn load(dir: &Path, master: &MasterKey, must_exist: bool) -> Result<Keys, ArchiveError> {
        let path = dir.join(FILE);
        let wrap = master.derive("archive bucket table");
        let system = master.derive("archive system bucket");
        let table = match std::fs::read(&path) {
            Ok(data) => {
                let plain = crate::secrets::unseal(&wrap, CONTEXT, &data)
                    .ok_or_else(|| ArchiveError::WrongKey(path.clone()))?;
                serde_json::from_slice(&plain)
                    .map_err(|e| ArchiveError::Corrupt(format!("{}: {e}", path.display())))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => Table::default(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ArchiveError::KeysMissing(path));
            }
            Err(e) => return Err(ArchiveError::io(&path, e)),
        };
        let index = table
            .buckets
            .iter()
            .map(|(id, b)| {
                (
                    (b.account.clone(), b.conversation.clone(), b.year),
                    id.clone(),
                )
            })
            .collect();
        Ok(Keys {
            path,
            wrap,
            system,
            table,
            index,
            cache: HashMap::new(),
            unsaved: Vec::new(),
        })
    }

    /// The key of bucket `id`; `None` if it was shredded or never existed.
    pub fn key(&mut self, id: &str) -> Option<&Key> {
        if id == SYSTEM {
            return Some(&self.system);
        }
        if !self.cache.contains_key(id) {
            let b = self.table.buckets.get(id)?;
            let raw = base64::Engine::decode(
                &base64::engine::general_purpose::STANDARD,
                b.key.as_deref()?,
            )
            .ok()?;
            let arr: [u8; 32] = raw.as_slice().try_into().ok()?;
            self.cache.insert(id.to_string(), Zeroizing::new(arr));
        }
        self.cache.get(id)
    }

    /// Every key that still exists (and `sys`), decoded: for readers that check many
    /// records on several threads.
    pub fn decoded(&mut self) -> HashMap<String, Key> {
        let ids: Vec<String> = self.table.buckets.keys().cloned().collect();
        let mut out = HashMap::new();
        out.insert(SYSTEM.to_string(), self.system.clone());
        for id in ids {
            if let Some(k) = self.key(&id) {
                out.insert(id, k.clone());
            }
        }
        out
    }

    pub fn bucket(&self, id: &str) -> Option<&Bucket> {
        self.table.buckets.get(id)
    }

    pub fn buckets(&self) -> impl Iterator<Item = (&String, &Bucket)> {
        self.table.buckets.iter()
    }

    /// The bucket for a conversation's year, created if it is new. A new bucket is
    /// written to disk by [`Keys::save_new`], which the archive calls before it writes
    /// any record that uses it (once per batch, not per bucket).
    pub fn bucket_for(
        &mut self,
        account: &str,
        conversation: &str,
        year: i32,
    ) -> Result<String, ArchiveError> {
        let k = (account.to_string(), conversation.to_string(), year);
        if let Some(id) = self.index.get(&k)
            && self.table.buckets.get(id).is_some_and(|b| !b.is_shredded())
        {
            return Ok(id.clone());
        }
        let mut rng = rand::rng();
        let mut id_bytes = [0u8; 8];
        rng.fill_bytes(&mut id_bytes);
        let id = hex::encode(id_bytes);
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut());
        self.table.buckets.insert(
            id.clone(),
            Bucket {
                account: k.0.clone(),
                conversation: k.1.clone(),
                year,
                key: Some(base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    &key[..],
                )),
                shredded: None,
            },
        );
        self.cache.insert(id.clone(), key);
        self.index.insert(k, id.clone());
        self.unsaved.push(id.clone());
        Ok(id)
    }

    /// Writes buckets created since the last call. On failure they are forgotten again
    /// (no record uses them yet).
    pub fn save_new(&mut self) -> Result<(), ArchiveError> {
        if self.unsaved.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.save() {
            for id in self.unsaved.drain(..) {
                if let Some(b) = self.table.buckets.remove(&id) {
                    self.index.remove(&(b.account, b.conversation, b.year));
                }
                self.cache.remove(&id);
            }
            return Err(e);
        }
        self.unsaved.clear();
        Ok(())
    }

    /// Destroys a bucket's key for good (the table is rewritten and synced).
    pub fn shred(&mut self, id: &str, at: Timestamp) -> Result<(), ArchiveError> {
        let Some(b) = self.table.buckets.get_mut(id) else {
            return Ok(());
        };
        let old = b.key.take();
        b.shredded = Some(at);
        if let Err(e) = self.save() {
            if let Some(b) = self.table.buckets.get_mut(id) {
                b.key = old;
                b.shredded = None;
            }
            return Err(e);
        }
        self.cache.remove(id);
        Ok(())
    }

    /// Writes the (empty) table of a new archive before its first segment exists, so
    /// that "segments but no table" always means the table was lost.
    pub fn create_if_missing(&self) -> Result<(), ArchiveError> {
        if self.path.exists() {
            return Ok(());
        }
        self.save()
    }

    fn save(&self) -> Result<(), ArchiveError> {
        let plain = Zeroizing::new(
            serde_json::to_vec(&self.table)
                .map_err(|e| ArchiveError::Corrupt(format!("bucket table: {e}")))?,
        );
        let sealed = crate::secrets::seal(&self.wrap, CONTEXT, &plain);
        crate::fsutil::write_private(&self.path, &sealed)
            .map_err(|e| ArchiveError::io(&self.path, e))?;
        super::sync_dir(self.path.parent().unwrap_or(Path::new(".")));
        Ok(())
    }
}
