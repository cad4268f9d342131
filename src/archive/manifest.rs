//! Signed manifests of sealed segments, and checkpoints of the head for off-box copies.
//!
//! A manifest (or checkpoint) file is two lines: the body as compact JSON, then
//! `ed25519:<hex signature over the exact bytes of line 1>`. Anyone can check it with
//! the public key in the body (and compare that key with the one the firm wrote down).

use std::path::Path;

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::ArchiveError;
use crate::secrets::MasterKey;

pub const FORMAT: &str = "tresen-archive-manifest/1";
pub const CHECKPOINT_FORMAT: &str = "tresen-archive-checkpoint/1";

/// The archive's signing key, derived from the master key (nothing extra to lose).
pub struct Signer(SigningKey);

impl Signer {
    pub fn new(master: &MasterKey) -> Signer {
        let seed = master.derive("archive ed25519 signing");
        Signer(SigningKey::from_bytes(&seed))
    }

    pub fn public_hex(&self) -> String {
        hex::encode(self.0.verifying_key().to_bytes())
    }

    fn sign(&self, msg: &[u8]) -> String {
        hex::encode(self.0.sign(msg).to_bytes())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Body {
    pub format: String,
    pub segment: String,
    pub first_seq: u64,
    pub last_seq: u64,
    pub count: u64,
    pub first_ts: i64,
    pub last_ts: i64,
    /// The hash the segment's first record chains to.
    pub prev_hash: String,
    pub last_hash: String,
    pub file_sha256: String,
    pub file_size: u64,
    /// SHA-256 of the previous segment's manifest file (64 zeros for the first).
    pub prev_manifest_sha256: String,
    pub sealed_at: i64,
    pub public_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub format: String,
    pub seq: u64,
    pub hash: String,
    pub at: i64,
    pub public_key: String,
}

pub struct Signed<T> {
    pub body: T,
    /// Whether the signature matches the body and the body's own public key.
    pub signature_ok: bool,
}

pub fn write(path: &Path, body: &Body, signer: &Signer) -> Result<(), ArchiveError> {
    write_signed(path, body, signer)
}

pub fn write_checkpoint(path: &Path, cp: &Checkpoint, signer: &Signer) -> Result<(), ArchiveError> {
    write_signed(path, cp, signer)
}

/// A checkpoint as its file holds it: the JSON line and its signature.
pub fn signed_checkpoint(cp: &Checkpoint, signer: &Signer) -> Result<Vec<u8>, ArchiveError> {
    signed_bytes(cp, signer)
}

fn signed_bytes<T: Serialize>(body: &T, signer: &Signer) -> Result<Vec<u8>, ArchiveError> {
    let line = serde_json::to_string(body)
        .map_err(|e| ArchiveError::Corrupt(format!("cannot encode a manifest: {e}")))?;
    let sig = signer.sign(line.as_bytes());
    Ok(format!("{line}\ned25519:{sig}\n").into_bytes())
}

fn write_signed<T: Serialize>(path: &Path, body: &T, signer: &Signer) -> Result<(), ArchiveError> {
    crate::fsutil::write_private(path, &signed_bytes(body, signer)?)
        .map_err(|e| ArchiveError::io(path, e))?;
    if let Some(dir) = path.parent() {
        super::sync_dir(dir);
    }
    Ok(())
}

pub fn read(path: &Path) -> Result<Signed<Body>, ArchiveError> {
    read_signed(path)
}

pub fn read_checkpoint(path: &Path) -> Result<Signed<Checkpoint>, ArchiveError> {
    read_signed(path)
}

fn read_signed<T: for<'de> Deserialize<'de> + HasKey>(
    path: &Path,
) -> Result<Signed<T>, ArchiveError> {
    let text = std::fs::read_to_string(path).map_err(|e| ArchiveError::io(path, e))?;
    let mut lines = text.lines();
    let (Some(line), Some(sig)) = (lines.next(), lines.next()) else {
        return Err(ArchiveError::Corrupt(format!(
            "{}: not a signed manifest (two lines expected)",
            path.display()
        )));
    };
    // Exactly as written: a third line, CR line ends or an upper-case signature would
    // say the same to a lenient reader, but the file is not the one that was sealed.
    let canonical = text.len() == line.len() + sig.len() + 2
        && text.ends_with('\n')
        && !sig.bytes().any(|b| b.is_ascii_uppercase());
    if !canonical {
        return Err(ArchiveError::Corrupt(format!(
            "{}: changed after it was written (not the two lines tresen writes)",
            path.display()
        )));
    }
    let body: T = serde_json::from_str(line)
        .map_err(|e| ArchiveError::Corrupt(format!("{}: {e}", path.display())))?;
    let signature_ok = check_signature(body.key(), line.as_bytes(), sig);
    Ok(Signed { body, signature_ok })
}

pub trait HasKey {
    fn key(&self) -> &str;
}

impl HasKey for Body {
    fn key(&self) -> &str {
        &self.public_key
    }
}

impl HasKey for Checkpoint {
    fn key(&self) -> &str {
        &self.public_key
    }
}

fn check_signature(public_hex: &str, msg: &[u8], sig_line: &str) -> bool {
    let Some(sig_hex) = sig_line.strip_prefix("ed25519:") else {
        return false;
    };
    let (Ok(pk), Ok(sig)) = (hex::decode(public_hex), hex::decode(sig_hex)) else {
        return false;
    };
    let (Ok(pk), Ok(sig)) = (
        <[u8; 32]>::try_from(pk.as_slice()),
        <[u8; 64]>::try_from(sig.as_slice()),
    ) else {
        return false;
    };
    let Ok(vk) = VerifyingKey::from_bytes(&pk) else {
        return false;
    };
    vk.verify(msg, &Signature::from_bytes(&sig)).is_ok()
}
