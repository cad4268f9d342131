//! The attachment store: files of business messages, encrypted and content-addressed.
//!
//! A file's name is an HMAC-SHA256 of its bytes under a key of the profile, so the same
//! photo sent twice is stored once and a directory listing reveals nothing (a plain hash
//! would let anyone check whether a known document is there). The bytes are sealed with
//! XChaCha20-Poly1305; the name is bound as associated data, so a file swapped for
//! another one, or altered, fails to open instead of showing the wrong content.

use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::domain::BlobId;
use crate::fsutil::{ensure_private_dir, write_private};
use crate::secrets::{self, KEY_LEN, MasterKey};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("attachment {id} is not in the attachment store {dir}")]
    Missing { id: BlobId, dir: PathBuf },
    #[error(
        "attachment {id} in {dir} is damaged or was altered; it cannot be opened \
         (restore the data directory from a backup)"
    )]
    Damaged { id: BlobId, dir: PathBuf },
    #[error("attachment store {dir}: {source}")]
    Io {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub struct BlobStore {
    dir: PathBuf,
    name_key: Zeroizing<[u8; KEY_LEN]>,
    seal_key: Zeroizing<[u8; KEY_LEN]>,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStore").field("dir", &self.dir).finish()
    }
}

const CONTEXT: &str = "tresen attachment v1 ";

impl BlobStore {
    /// The attachment store of a profile: `<data dir>/attachments`.
    pub fn new(data_dir: &Path, key: &MasterKey) -> Self {
        Self {
            dir: data_dir.join("attachments"),
            name_key: key.derive("tresen attachment names v1"),
            seal_key: key.derive("tresen attachment content v1"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The id `bytes` get (without storing them).
    pub fn id_of(&self, bytes: &[u8]) -> BlobId {
        // HMAC takes keys of any length; new_from_slice cannot fail for it.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.name_key.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        mac.update(bytes);
        BlobId(hex::encode(mac.finalize().into_bytes()))
    }

    fn path(&self, id: &BlobId) -> Option<PathBuf> {
        // Ids come from our own store, but a damaged row must not become a path outside.
        let ok = id.0.len() == 64 && id.0.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| self.dir.join(&id.0[..2]).join(&id.0))
    }

    fn io(&self, source: std::io::Error) -> BlobError {
        BlobError::Io {
            dir: self.dir.clone(),
            source,
        }
    }

    /// Stores `bytes` durably (fsync, atomic rename) and returns their id. Storing the
    /// same bytes again is a no-op.
    pub fn put(&self, bytes: &[u8]) -> Result<BlobId, BlobError> {
        let id = self.id_of(bytes);
        let path = self
            .path(&id)
            .unwrap_or_else(|| unreachable!("ids we make are hex"));
        if path.exists() {
            return Ok(id);
        }
        let parent = path.parent().unwrap_or(&self.dir);
        ensure_private_dir(&self.dir)
            .and_then(|()| ensure_private_dir(parent))
            .map_err(|e| self.io(std::io::Error::other(e.to_string())))?;
        let sealed = secrets::seal(&self.seal_key, &format!("{CONTEXT}{id}"), bytes);
        write_private(&path, &sealed).map_err(|e| self.io(e))?;
        Ok(id)
    }

    /// Deletes a file (its retention ended, or it was erased). Missing is fine.
    pub fn remove(&self, id: &BlobId) -> Result<(), BlobError> {
        let Some(path) = self.path(id) else {
            return Ok(());
        };
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io(e)),
        }
    }

    pub fn contains(&self, id: &BlobId) -> bool {
        self.path(id).is_some_and(|p| p.exists())
    }

    /// The bytes of `id`, checked against their name.
    pub fn get(&self, id: &BlobId) -> Result<Zeroizing<Vec<u8>>, BlobError> {
        let damaged = || BlobError::Damaged {
            id: id.clone(),
            dir: self.dir.clone(),
        };
        let path = self.path(id).ok_or_else(damaged)?;
        let sealed = match std::fs::read(&path) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(BlobError::Missing {
                    id: id.clone(),
                    dir: self.dir.clone(),
                });
            }
            Err(e) => return Err(self.io(e)),
        };
        let bytes = secrets::unseal(&self.seal_key, &format!("{CONTEXT}{id}"), &sealed)
            .ok_or_else(damaged)?;
        if self.id_of(&bytes) != *id {
            return Err(damaged());
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, BlobStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = BlobStore::new(dir.path(), &MasterKey::random());
        (dir, s)
    }

    #[test]
    fn round_trip_is_byte_identical_and_deduplicated() {
        let (_d, s) = store();
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let id = s.put(&data).unwrap();
        assert_eq!(s.put(&data).unwrap(), id);
        assert_eq!(*s.get(&id).unwrap(), data);
        let files: Vec<_> = walk(s.dir());
        assert_eq!(files.len(), 1, "{files:?}");
        let on_disk = std::fs::read(&files[0]).unwrap();
        assert!(
            !on_disk
                .windows(64)
                .any(|w| data.windows(64).next() == Some(w)),
            "the file on disk is not encrypted"
        );
    }

    #[test]
    fn names_depend_on_the_profile_key() {
        let (_a, a) = store();
        let (_b, b) = store();
        assert_ne!(a.id_of(b"Angebot"), b.id_of(b"Angebot"));
    }

    #[test]
    fn altered_or_swapped_files_are_refused() {
        let (_d, s) = store();
        let one = s.put(b"Rechnung 1").unwrap();
        let two = s.put(b"Rechnung 2").unwrap();
        let p1 = s.path(&one).unwrap();
        let p2 = s.path(&two).unwrap();
        std::fs::copy(&p2, &p1).unwrap();
        assert!(matches!(s.get(&one), Err(BlobError::Damaged { .. })));
        let mut bytes = std::fs::read(&p2).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&p2, bytes).unwrap();
        assert!(matches!(s.get(&two), Err(BlobError::Damaged { .. })));
        assert!(matches!(
            s.get(&BlobId("../../etc/passwd".into())),
            Err(BlobError::Damaged { .. })
        ));
        let absent = BlobId("ab".repeat(32));
        assert!(matches!(s.get(&absent), Err(BlobError::Missing { .. })));
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }
}
