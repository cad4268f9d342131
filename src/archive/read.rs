//! Reading records back: every segment in order, decrypted where the bucket key still
//! exists. For exports, DSAR, retention plans and rebuilding the inbox store. Reading
//! assumes an intact archive (run `verify` for proof); a record that does not decrypt
//! is an error here, never silently skipped.

use std::path::Path;

use chacha20poly1305::aead::KeyInit;
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use super::keys::Keys;
use super::payload::{Payload, Sealed};
use super::{ArchiveError, format, segment_name, segments};

#[derive(Debug, Clone)]
pub struct Record {
    pub seq: u64,
    /// When the record was archived (ms since the epoch, UTC).
    pub ts: i64,
    pub kind: String,
    pub bucket: String,
    /// `None` once the bucket's key was destroyed (retention ended, or erased).
    pub payload: Option<Payload>,
}

/// Decrypts one record's content with `key`; `None` if it does not decrypt to what `ch`
/// promises.
pub fn open_content(
    key: &[u8; 32],
    line: &format::Line<'_>,
) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let mut buf = zeroize::Zeroizing::new(Vec::new());
    content_matches(key, line, &mut buf).then_some(buf)
}

/// Decrypts into `buf` (reused across records by the verifier: no allocation per
/// record) and checks the plaintext against `ch`.
pub fn content_matches(key: &[u8; 32], line: &format::Line<'_>, buf: &mut Vec<u8>) -> bool {
    use chacha20poly1305::aead::AeadInPlace;
    use sha2::Digest as _;
    let Some(nonce) = nonce_and_ciphertext(line, buf) else {
        return false;
    };
    if XChaCha20Poly1305::new(key.into())
        .decrypt_in_place(
            XNonce::from_slice(&nonce),
            &format::aad(line.seq, line.kind, line.b),
            buf,
        )
        .is_err()
    {
        return false;
    }
    format::hex_is(line.ch, &sha2::Sha256::digest(buf.as_slice()).into())
}

/// Whether the content decrypts to what `ch` promises, by the cipher's key stream alone
/// (the Poly1305 tag is not computed). Only for records of a sealed segment whose file
/// hash the verifier checks against the signed manifest: those bytes, the tag among them,
/// are then exactly what the writer sealed, and the key stream proves the key still opens
/// them; the tag itself would add nothing but a second pass over the ciphertext (a
/// third of the verifier's time with the pure-Rust Poly1305). `buf` as in
/// [`content_matches`].
pub fn content_hash_matches(key: &[u8; 32], line: &format::Line<'_>, buf: &mut Vec<u8>) -> bool {
    use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
    use sha2::Digest as _;
    const TAG: usize = 16;
    let Some(nonce) = nonce_and_ciphertext(line, buf) else {
        return false;
    };
    if buf.len() < TAG {
        return false;
    }
    let body = buf.len() - TAG;
    let mut cipher = chacha20::XChaCha20::new(key.into(), &nonce.into());
    // The AEAD's first block is the Poly1305 key; the content starts at the second.
    cipher.seek(64u64);
    cipher.apply_keystream(&mut buf[..body]);
    format::hex_is(line.ch, &sha2::Sha256::digest(&buf[..body]).into())
}

/// The record's nonce, and its ciphertext (with the tag) decoded into `buf`; `None` if
/// either is not valid base64 of the right size.
fn nonce_and_ciphertext(line: &format::Line<'_>, buf: &mut Vec<u8>) -> Option<[u8; 24]> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut nonce = [0u8; 24];
    if b64.decode_slice(line.n, &mut nonce) != Ok(24) {
        return None;
    }
    buf.clear();
    b64.decode_vec(line.ct, buf).ok()?;
    Some(nonce)
}

/// Calls `f` with every record's content that can still be read, oldest first (a ledger
/// built from the whole archive).
pub fn each_payload(
    dir: &Path,
    keys: &mut Keys,
    mut f: impl FnMut(&super::Payload),
) -> Result<(), ArchiveError> {
    for_each(dir, keys, 1, |r| {
        if let Some(p) = &r.payload {
            f(p);
        }
        Ok(())
    })
}

/// Calls `f` for every record from sequence number `from` on (1: all), oldest first. A
/// partial last line (a write in progress, or a torn tail not yet set aside) is not a
/// record and is left out.
pub fn for_each(
    dir: &Path,
    keys: &mut Keys,
    from: u64,
    mut f: impl FnMut(Record) -> Result<(), ArchiveError>,
) -> Result<(), ArchiveError> {
    for n in segments(dir)? {
        let mpath = dir.join(super::manifest_name(n));
        if from > 1
            && mpath.exists()
            && super::manifest::read(&mpath).is_ok_and(|m| m.body.last_seq < from)
        {
            continue;
        }
        let path = dir.join(segment_name(n));
        let data = std::fs::read(&path).map_err(|e| ArchiveError::io(&path, e))?;
        let complete = match data.iter().rposition(|&b| b == b'\n') {
            Some(p) => &data[..p],
            None => continue,
        };
        for text in complete.split(|&b| b == b'\n') {
            let text = std::str::from_utf8(text)
                .map_err(|_| ArchiveError::Corrupt(format!("{}: not UTF-8", path.display())))?;
            if from > 1 && format::quick_seq(text).is_some_and(|seq| seq < from) {
                continue;
            }
            let line = format::check_line(text).map_err(|d| {
                ArchiveError::Corrupt(format!(
                    "{}: {d} (run `tresen archive verify`)",
                    path.display()
                ))
            })?;
            let payload = match keys.key(line.b) {
                None => None,
                Some(key) => {
                    let plain = open_content(key, &line).ok_or_else(|| {
                        ArchiveError::Corrupt(format!(
                            "record {}: content does not decrypt (run `tresen archive verify`)",
                            line.seq
                        ))
                    })?;
                    let sealed: Sealed = serde_json::from_slice(&plain)
                        .map_err(|e| ArchiveError::Corrupt(format!("record {}: {e}", line.seq)))?;
                    Some(sealed.event)
                }
            };
            f(Record {
                seq: line.seq,
                ts: line.ts,
                kind: line.kind.to_string(),
                bucket: line.b.to_string(),
                payload,
            })?;
        }
    }
    Ok(())
}

/// Calls `take` with the records of `kind` from the newest back, until it returns true.
/// Only those records are decrypted: the kind is in clear text on every line.
pub fn newest_first(
    dir: &Path,
    master: &crate::secrets::MasterKey,
    kind: &str,
    mut take: impl FnMut(Payload) -> bool,
) -> Result<(), ArchiveError> {
    let segs = segments(dir)?;
    if segs.is_empty() {
        return Ok(());
    }
    let mut keys = Keys::load(dir, master, true)?;
    let marker = format!("\"kind\":\"{kind}\",");
    let marker = marker.as_bytes();
    for n in segs.into_iter().rev() {
        let path = dir.join(segment_name(n));
        let data = std::fs::read(&path).map_err(|e| ArchiveError::io(&path, e))?;
        let complete = match data.iter().rposition(|&b| b == b'\n') {
            Some(p) => &data[..p],
            None => continue,
        };
        for text in complete.rsplit(|&b| b == b'\n') {
            if !text.windows(marker.len()).any(|w| w == marker) {
                continue;
            }
            let Ok(text) = std::str::from_utf8(text) else {
                continue;
            };
            let Ok(line) = format::check_line(text) else {
                continue;
            };
            let Some(key) = keys.key(line.b) else {
                continue;
            };
            let Some(plain) = open_content(key, &line) else {
                continue;
            };
            if let Ok(sealed) = serde_json::from_slice::<Sealed>(&plain)
                && take(sealed.event)
            {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The last time `staff` accepted the usage policy, and which version (R-F1).
pub fn policy_accepted(
    dir: &Path,
    master: &crate::secrets::MasterKey,
    staff: &str,
) -> Result<Option<crate::compliance::policy::Accepted>, ArchiveError> {
    let mut found = None;
    newest_first(dir, master, "policy_accepted", |p| {
        if let Payload::PolicyAccepted(a) = p
            && a.staff == staff
        {
            found = Some(crate::compliance::policy::Accepted {
                version: a.version,
                at: a.at,
            });
            return true;
        }
        false
    })?;
    Ok(found)
}
