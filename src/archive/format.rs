//! The archive's line format, version 1 (pure: no IO). Documented in `docs/archive.md`;
//! `tests/archive.rs` pins it with a golden line, so a change here is a format change.
//!
//! One record per line of a segment file:
//!
//! ```text
//! {"v":1,"seq":7,"ts":1764240000000,"kind":"message","b":"3f9a0c1d2e4b5a69","ch":"…64 hex…","prev":"…64 hex…","n":"…base64 24 bytes…","ct":"…base64…","h":"…64 hex…"}
//! ```
//!
//! * `ch` is the SHA-256 of the plaintext payload (a JSON object), `ct` that payload
//!   encrypted with XChaCha20-Poly1305 under the key of bucket `b`, nonce `n`, with the
//!   associated data `tresen-archive/1|seq|kind|b`.
//! * `h = SHA-256("tresen-archive/1|" seq "|" ts "|" kind "|" b "|" ch "|" prev)`, all
//!   decimal or lower-case hex as written in the line; `prev` is the previous record's
//!   `h` (64 zeros before the first record).
//!
//! The chain runs over the clear header and the plaintext's hash, not over the
//! ciphertext: records can be verified without any key, re-encrypted without breaking
//! the chain, and a record whose bucket key was destroyed at the end of its retention
//! period (crypto-shredding) still links its neighbours.

use serde::Deserialize;
use sha2::{Digest, Sha256};

pub const VERSION: u32 = 1;
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const DOMAIN: &str = "tresen-archive/1";

/// A record's clear header, as parsed from a line (borrowing the line).
#[derive(Debug, Deserialize)]
pub struct Line<'a> {
    pub v: u32,
    pub seq: u64,
    pub ts: i64,
    #[serde(borrow)]
    pub kind: &'a str,
    #[serde(borrow)]
    pub b: &'a str,
    #[serde(borrow)]
    pub ch: &'a str,
    #[serde(borrow)]
    pub prev: &'a str,
    #[serde(borrow)]
    pub n: &'a str,
    #[serde(borrow)]
    pub ct: &'a str,
    #[serde(borrow)]
    pub h: &'a str,
}

/// What is wrong with one record. The verifier reports the first one, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Defect {
    /// Not a record at all (not JSON, fields missing).
    Unreadable(String),
    UnknownVersion(u32),
    /// The sequence number is not the one that must come next.
    Sequence {
        expected: u64,
        found: u64,
    },
    /// `prev` is not the previous record's hash: something was deleted, inserted or
    /// swapped before this record.
    ChainBreak,
    /// `h` does not match the header: the record itself was altered.
    HashMismatch,
    /// The content does not decrypt, or decrypts to something else than `ch` promises.
    ContentMismatch,
    /// A name field holds characters the format does not allow.
    BadField(&'static str),
}

impl std::fmt::Display for Defect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Defect::Unreadable(why) => write!(f, "unreadable record ({why})"),
            Defect::UnknownVersion(v) => write!(f, "unknown record format version {v}"),
            Defect::Sequence { expected, found } => {
                write!(f, "sequence number {found} where {expected} must follow")
            }
            Defect::ChainBreak => f.write_str(
                "chain break: the record does not follow the one before it (deleted, inserted or reordered)",
            ),
            Defect::HashMismatch => f.write_str("hash mismatch: the record was altered"),
            Defect::ContentMismatch => {
                f.write_str("content mismatch: the encrypted content was altered")
            }
            Defect::BadField(name) => write!(f, "malformed field {name}"),
        }
    }
}

impl Defect {
    /// A stable, machine-readable name (`verify --json`).
    pub fn code(&self) -> &'static str {
        match self {
            Defect::Unreadable(_) => "unreadable",
            Defect::UnknownVersion(_) => "unknown_version",
            Defect::Sequence { .. } => "sequence",
            Defect::ChainBreak => "chain_break",
            Defect::HashMismatch => "hash_mismatch",
            Defect::ContentMismatch => "content_mismatch",
            Defect::BadField(_) => "bad_field",
        }
    }
}

/// Kinds and bucket ids are short names; keeping them to `[a-z0-9._-]` means the `|`
/// in the hash input can never be forged by a field.
pub fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The record hash `h` over the header fields.
pub fn record_hash(seq: u64, ts: i64, kind: &str, bucket: &str, ch: &str, prev: &str) -> String {
    hex::encode(record_digest(seq, ts, kind, bucket, ch, prev))
}

fn record_digest(seq: u64, ts: i64, kind: &str, bucket: &str, ch: &str, prev: &str) -> [u8; 32] {
    let (mut a, mut b) = (itoa::Buffer::new(), itoa::Buffer::new());
    let mut d = Sha256::new();
    d.update(DOMAIN.as_bytes());
    for part in [a.format(seq), b.format(ts), kind, bucket, ch, prev] {
        d.update(b"|");
        d.update(part.as_bytes());
    }
    d.finalize().into()
}

/// Whether 64 lower-case hex digits spell exactly these bytes (no allocation: the
/// verifier does this twice per record).
pub fn hex_is(hex_text: &str, bytes: &[u8; 32]) -> bool {
    // Encoding the digest and comparing is a third of the cost of decoding the text; the
    // format writes lower case only, so nothing else can match.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let text = hex_text.as_bytes();
    text.len() == 64
        && bytes.iter().zip(text.chunks_exact(2)).all(|(b, pair)| {
            pair[0] == DIGITS[usize::from(b >> 4)] && pair[1] == DIGITS[usize::from(b & 15)]
        })
}

/// The associated data that binds a ciphertext to its place in the archive.
pub fn aad(seq: u64, kind: &str, bucket: &str) -> Vec<u8> {
    format!("{DOMAIN}|{seq}|{kind}|{bucket}").into_bytes()
}

/// Writes one line (without the newline).
#[allow(clippy::too_many_arguments)] // one argument per field of the line, in its order `kind`, `bucket` must satisfy [`is_name`],
/// `ch`/`prev` be 64 hex digits; the writer guarantees it.
pub fn encode_line(
    seq: u64,
    ts: i64,
    kind: &str,
    bucket: &str,
    ch: &str,
    prev: &str,
    nonce: &str,
    ct: &str,
) -> (String, String) {
    let h = record_hash(seq, ts, kind, bucket, ch, prev);
    let line = format!(
        r#"{{"v":{VERSION},"seq":{seq},"ts":{ts},"kind":"{kind}","b":"{bucket}","ch":"{ch}","prev":"{prev}","n":"{nonce}","ct":"{ct}","h":"{h}"}}"#
    );
    (line, h)
}

/// The sequence number of a line as this writer formats it, without parsing the rest
/// (skipping to a record must not cost a JSON parse per line).
pub fn quick_seq(text: &str) -> Option<u64> {
    let rest = text.strip_prefix("{\"v\":1,\"seq\":")?;
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    rest[..end].parse().ok()
}

/// Parses a line and checks everything that needs no key and no neighbour: version,
/// field shapes and the record's own hash.
pub fn check_line(text: &str) -> Result<Line<'_>, Defect> {
    let line: Line<'_> = match canonical(text) {
        Some(line) => line,
        None => serde_json::from_str(text).map_err(|e| Defect::Unreadable(e.to_string()))?,
    };
    if line.v != VERSION {
        return Err(Defect::UnknownVersion(line.v));
    }
    if !is_name(line.kind) {
        return Err(Defect::BadField("kind"));
    }
    if !is_name(line.b) {
        return Err(Defect::BadField("b"));
    }
    for (name, v) in [("ch", line.ch), ("prev", line.prev), ("h", line.h)] {
        if !is_hex64(v) {
            return Err(Defect::BadField(name));
        }
    }
    if !hex_is(
        line.h,
        &record_digest(line.seq, line.ts, line.kind, line.b, line.ch, line.prev),
    ) {
        return Err(Defect::HashMismatch);
    }
    Ok(line)
}

/// Reads a line written exactly as [`encode_line`] writes it, without a JSON parser (a
/// fifth of the verifier's time went to it). Anything else, valid JSON or not, is `None`
/// and left to serde: what this accepts is a strict subset of what serde reads, with the
/// same values.
fn canonical(text: &str) -> Option<Line<'_>> {
    struct Cursor<'a>(&'a str);
    impl<'a> Cursor<'a> {
        fn tag(&mut self, tag: &str) -> Option<()> {
            self.0 = self.0.strip_prefix(tag)?;
            Some(())
        }
        fn digits(&mut self) -> Option<&'a str> {
            let end = self.0.find(|c: char| !c.is_ascii_digit())?;
            let (digits, rest) = self.0.split_at(end);
            // JSON numbers have no leading zeros.
            if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
                return None;
            }
            self.0 = rest;
            Some(digits)
        }
        /// A string's contents up to its closing quote; one with an escape is left to serde.
        fn string(&mut self) -> Option<&'a str> {
            let end = memchr::memchr2(b'"', b'\\', self.0.as_bytes())?;
            if self.0.as_bytes()[end] != b'"' {
                return None;
            }
            let (s, rest) = self.0.split_at(end);
            self.0 = &rest[1..];
            Some(s)
        }
    }
    let mut c = Cursor(text);
    c.tag("{\"v\":")?;
    let v = c.digits()?.parse().ok()?;
    c.tag(",\"seq\":")?;
    let seq = c.digits()?.parse().ok()?;
    c.tag(",\"ts\":")?;
    let negative = c.tag("-").is_some();
    let ts: i64 = c.digits()?.parse().ok()?;
    let ts = if negative { ts.checked_neg()? } else { ts };
    let mut field = |name: &str| {
        c.tag(",\"")?;
        c.tag(name)?;
        c.tag("\":\"")?;
        c.string()
    };
    let kind = field("kind")?;
    let b = field("b")?;
    let ch = field("ch")?;
    let prev = field("prev")?;
    let n = field("n")?;
    let ct = field("ct")?;
    let h = field("h")?;
    (c.0 == "}").then_some(Line {
        v,
        seq,
        ts,
        kind,
        b,
        ch,
        prev,
        n,
        ct,
        h,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_round_trips_and_any_header_change_is_caught() {
        let ch = sha256_hex(b"{}");
        let (line, h) = encode_line(3, 1000, "message", "sys", &ch, GENESIS, "bm9uY2U=", "Y3Q=");
        let parsed = check_line(&line).unwrap();
        assert_eq!(parsed.h, h);
        assert_eq!(parsed.seq, 3);
        for (from, to) in [
            ("\"ts\":1000", "\"ts\":1001"),
            ("\"kind\":\"message\"", "\"kind\":\"messages\""),
            ("\"b\":\"sys\"", "\"b\":\"syz\""),
        ] {
            let bad = line.replace(from, to);
            assert_eq!(check_line(&bad).unwrap_err(), Defect::HashMismatch, "{to}");
        }
        assert!(matches!(
            check_line(&line[..line.len() - 3]),
            Err(Defect::Unreadable(_))
        ));
    }

    #[test]
    fn the_quick_reader_reads_what_serde_reads_or_leaves_it_to_serde() {
        let ch = sha256_hex(b"{}");
        let (line, _) = encode_line(3, -1000, "message", "sys", &ch, GENESIS, "bm9uY2U=", "Y3Q=");
        let quick = canonical(&line).expect("the writer's own line");
        let full: Line<'_> = serde_json::from_str(&line).unwrap();
        assert_eq!(format!("{quick:?}"), format!("{full:?}"));
        // Other spellings of the same record, and broken ones, are not read here.
        for other in [
            line.replacen("{\"v\":1,", "{ \"v\":1,", 1),
            line.replacen("\"seq\":3", "\"seq\":03", 1),
            line.replacen("\"kind\":\"message\"", "\"kind\":\"mess\\u0061ge\"", 1),
            format!("{line} "),
            line[..line.len() - 1].to_string(),
            line.replacen("\"ts\":-1000", "\"ts\":-", 1),
        ] {
            assert!(canonical(&other).is_none(), "{other}");
        }
        // serde still reads a valid spelling the writer does not use.
        let spaced = line.replacen("{\"v\":1,", "{ \"v\":1,", 1);
        assert_eq!(check_line(&spaced).unwrap().seq, 3);
    }

    #[test]
    fn names_cannot_smuggle_separators() {
        assert!(is_name("message.out"));
        assert!(!is_name("a|b"));
        assert!(!is_name(""));
        assert!(!is_name("Message"));
    }
}
