//! RFC 3161 timestamps for anchors (R-B3): a timestamp authority (TSA) signs the
//! SHA-256 of an anchor's checkpoint together with its own time, so the age of the
//! checkpoint rests on a third party's clock and signature, not on this machine's.
//!
//! tresen asks over plain HTTP — the token is signed by the TSA, which is why TSAs are
//! reached that way — and checks that the answer was granted and covers exactly this
//! checkpoint (its hash and a fresh nonce). The TSA's signature and certificate are
//! checked with `openssl ts -verify` and the TSA's CA certificate (docs/archive.md):
//! tresen keeps the token, it does not validate certificate chains.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// A granted timestamp: the TSA's whole reply (`.tsr`, DER) and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub reply: Vec<u8>,
    /// The TSA's time, as it wrote it (GeneralizedTime, e.g. `20261206101500Z`).
    pub gen_time: String,
    /// The token's serial number, hex.
    pub serial: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TsaError {
    #[error(
        "archive.tsa_url `{0}`: only http:// URLs (RFC 3161 over HTTP), e.g. http://zeitstempel.dfn.de"
    )]
    Url(String),
    #[error("the timestamp authority {url} is unreachable: {why}")]
    Unreachable { url: String, why: String },
    #[error("the timestamp authority {url} answered HTTP {status} instead of a timestamp")]
    Http { url: String, status: u16 },
    #[error(
        "the timestamp authority {url} answered something that is not an RFC 3161 reply: {why}"
    )]
    Garbage { url: String, why: String },
    #[error("the timestamp authority {url} refused the request (status {status}{text})")]
    Rejected {
        url: String,
        status: u32,
        text: String,
    },
    #[error("the timestamp from {url} is not for this checkpoint: {why}")]
    Mismatch { url: String, why: String },
}

/// What a reply can be, before the URL is known to the error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("not an RFC 3161 reply: {0}")]
    Garbage(String),
    #[error("a refusal (status {status}{text})")]
    Rejected { status: u32, text: String },
    #[error("{0}")]
    Mismatch(String),
}

const SHA256_OID: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const SIGNED_DATA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const TST_INFO_OID: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04,
];
/// More than any TSA reply (a few KiB with its certificate).
const REPLY_MAX: u64 = 1 << 20;

/// Asks the TSA at `url` to timestamp `data` (its SHA-256).
pub fn stamp(url: &str, data: &[u8], timeout: Duration) -> Result<Stamp, TsaError> {
    let target = Target::parse(url)?;
    let digest: [u8; 32] = Sha256::digest(data).into();
    let nonce = rand::random::<u64>() >> 1;
    let body = request_der(&digest, nonce);
    let reply = target.post(&body, timeout)?;
    parse_reply(&reply, &digest, nonce).map_err(|e| match e {
        ReplyError::Garbage(why) => TsaError::Garbage {
            url: url.into(),
            why,
        },
        ReplyError::Rejected { status, text } => TsaError::Rejected {
            url: url.into(),
            status,
            text,
        },
        ReplyError::Mismatch(why) => TsaError::Mismatch {
            url: url.into(),
            why,
        },
    })
}

/// Checks the URL without asking (configuration).
pub fn check_url(url: &str) -> Result<(), TsaError> {
    Target::parse(url).map(|_| ())
}

/// The TimeStampReq (RFC 3161 § 2.4.1) for a SHA-256 `digest`, asking for the TSA's
/// certificate in the token so it can be verified later without asking again.
pub fn request_der(digest: &[u8; 32], nonce: u64) -> Vec<u8> {
    let algorithm = tlv(0x30, &[tlv(0x06, SHA256_OID), tlv(0x05, &[])].concat());
    let imprint = tlv(0x30, &[algorithm, tlv(0x04, digest)].concat());
    tlv(
        0x30,
        &[
            tlv(0x02, &[1]),
            imprint,
            tlv(0x02, &integer(nonce)),
            tlv(0x01, &[0xff]),
        ]
        .concat(),
    )
}

/// Reads a TimeStampResp: granted, for `digest`, with `nonce`.
pub fn parse_reply(der: &[u8], digest: &[u8; 32], nonce: u64) -> Result<Stamp, ReplyError> {
    parse(der, digest, Some(nonce))
}

/// Whether a kept reply (`checkpoint-….tsr`) was granted for exactly `data` (`archive
/// verify --anchors`); the nonce was checked when it came.
pub fn covers(der: &[u8], data: &[u8]) -> Result<Stamp, ReplyError> {
    let digest: [u8; 32] = Sha256::digest(data).into();
    parse(der, &digest, None)
}

fn parse(der: &[u8], digest: &[u8; 32], nonce: Option<u64>) -> Result<Stamp, ReplyError> {
    let bad = |why: &str| ReplyError::Garbage(why.to_string());
    let (resp, rest) = read(der, 0x30).map_err(|e| bad(&e))?;
    if !rest.is_empty() {
        return Err(bad("bytes after the reply"));
    }
    let (status_info, token) = read(resp, 0x30).map_err(|e| bad(&e))?;
    let (status, more) = read(status_info, 0x02).map_err(|e| bad(&e))?;
    let status = unsigned(status).map_err(|e| bad(&e))?;
    if status > 1 {
        let text = match read(more, 0x30) {
            Ok((strings, _)) => {
                let mut words = Vec::new();
                let mut s = strings;
                while let Ok((t, c, r)) = next(s) {
                    if t == 0x0c {
                        words.push(String::from_utf8_lossy(c).into_owned());
                    }
                    s = r;
                }
                format!(": {}", words.join("; "))
            }
            Err(_) => String::new(),
        };
        return Err(ReplyError::Rejected {
            status: status as u32,
            text,
        });
    }
    // ContentInfo { signedData, [0] SignedData { version, digests, encapContentInfo } }
    let (content_info, _) = read(token, 0x30).map_err(|_| bad("granted, but no token"))?;
    let (oid, rest) = read(content_info, 0x06).map_err(|e| bad(&e))?;
    if oid != SIGNED_DATA_OID {
        return Err(bad("the token is not CMS signed data"));
    }
    let (explicit, _) = read(rest, 0xa0).map_err(|e| bad(&e))?;
    let (signed, _) = read(explicit, 0x30).map_err(|e| bad(&e))?;
    let (_, rest) = read(signed, 0x02).map_err(|e| bad(&e))?;
    let (_, rest) = read(rest, 0x31).map_err(|e| bad(&e))?;
    let (encap, _) = read(rest, 0x30).map_err(|e| bad(&e))?;
    let (oid, rest) = read(encap, 0x06).map_err(|e| bad(&e))?;
    if oid != TST_INFO_OID {
        return Err(bad("the signed content is not a TSTInfo"));
    }
    let (explicit, _) = read(rest, 0xa0).map_err(|e| bad(&e))?;
    let (octets, _) = read(explicit, 0x04).map_err(|e| bad(&e))?;
    let (info, _) = read(octets, 0x30).map_err(|e| bad(&e))?;
    // TSTInfo { version, policy, messageImprint, serialNumber, genTime, … nonce … }
    let (_, rest) = read(info, 0x02).map_err(|e| bad(&e))?;
    let (_, rest) = read(rest, 0x06).map_err(|e| bad(&e))?;
    let (imprint, rest) = read(rest, 0x30).map_err(|e| bad(&e))?;
    let (serial, rest) = read(rest, 0x02).map_err(|e| bad(&e))?;
    let (time, mut rest) = read(rest, 0x18).map_err(|e| bad(&e))?;
    let (algorithm, hashed) = read(imprint, 0x30).map_err(|e| bad(&e))?;
    let (alg_oid, _) = read(algorithm, 0x06).map_err(|e| bad(&e))?;
    let (hash, _) = read(hashed, 0x04).map_err(|e| bad(&e))?;
    if alg_oid != SHA256_OID || hash != digest {
        return Err(ReplyError::Mismatch(
            "it certifies another hash than the checkpoint's SHA-256".into(),
        ));
    }
    let mut got_nonce = None;
    while !rest.is_empty() {
        let (tag, content, r) = next(rest).map_err(|e| bad(&e))?;
        if tag == 0x02 {
            got_nonce = Some(unsigned(content).map_err(|e| bad(&e))?);
        }
        rest = r;
    }
    if let Some(nonce) = nonce
        && got_nonce != Some(u128::from(nonce))
    {
        return Err(ReplyError::Mismatch(
            "its nonce is not the one asked with (an old or replayed answer)".into(),
        ));
    }
    let gen_time = std::str::from_utf8(time)
        .map_err(|_| bad("the time is not text"))?
        .to_string();
    Ok(Stamp {
        reply: der.to_vec(),
        gen_time,
        serial: hex::encode(serial),
    })
}

/// DER tag-length-value.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A non-negative INTEGER's content octets.
fn integer(v: u64) -> Vec<u8> {
    let mut bytes: Vec<u8> = v
        .to_be_bytes()
        .into_iter()
        .skip_while(|&b| b == 0)
        .collect();
    if bytes.first().is_none_or(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    bytes
}

fn unsigned(content: &[u8]) -> Result<u128, String> {
    let trimmed: Vec<u8> = content.iter().copied().skip_while(|&b| b == 0).collect();
    if content.first().is_some_and(|b| b & 0x80 != 0) || trimmed.len() > 16 {
        return Err("an integer out of range".into());
    }
    Ok(trimmed
        .iter()
        .fold(0u128, |acc, &b| (acc << 8) | u128::from(b)))
}

/// The next element: (tag, content, what follows). DER only: definite lengths, one-byte
/// tags.
fn next(buf: &[u8]) -> Result<(u8, &[u8], &[u8]), String> {
    let (&tag, rest) = buf.split_first().ok_or("cut short")?;
    if tag & 0x1f == 0x1f {
        return Err("a multi-byte tag".into());
    }
    let (&first, rest) = rest.split_first().ok_or("cut short")?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err("a length that is not DER".into());
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return Err("cut short".into());
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

/// The next element, which must carry `tag`: (content, what follows).
fn read(buf: &[u8], tag: u8) -> Result<(&[u8], &[u8]), String> {
    let (t, content, rest) = next(buf)?;
    if t != tag {
        return Err(format!("expected tag {tag:#04x}, found {t:#04x}"));
    }
    Ok((content, rest))
}

/// Where an `http://host[:port]/path` URL points.
struct Target {
    url: String,
    host: String,
    port: u16,
    path: String,
}

impl Target {
    fn parse(url: &str) -> Result<Target, TsaError> {
        let bad = || TsaError::Url(url.to_string());
        let rest = url.strip_prefix("http://").ok_or_else(bad)?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                (h, p.parse().map_err(|_| bad())?)
            }
            _ => (authority, 80),
        };
        if host.is_empty() || host.contains(['@', ' ']) || path.contains([' ', '\r', '\n']) {
            return Err(bad());
        }
        Ok(Target {
            url: url.to_string(),
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }

    fn post(&self, body: &[u8], timeout: Duration) -> Result<Vec<u8>, TsaError> {
        let unreachable = |why: String| TsaError::Unreachable {
            url: self.url.clone(),
            why,
        };
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let addrs = (host, self.port)
            .to_socket_addrs()
            .map_err(|e| unreachable(e.to_string()))?;
        let mut last = String::from("no address");
        let mut stream = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = e.to_string(),
            }
        }
        let mut stream = stream.ok_or_else(|| unreachable(last))?;
        let io = |e: std::io::Error| unreachable(e.to_string());
        stream.set_read_timeout(Some(timeout)).map_err(io)?;
        stream.set_write_timeout(Some(timeout)).map_err(io)?;
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/timestamp-query\r\n\
             Accept: application/timestamp-reply\r\nContent-Length: {}\r\n\
             User-Agent: tresen/{}\r\nConnection: close\r\n\r\n",
            self.path,
            self.host,
            self.port,
            body.len(),
            env!("CARGO_PKG_VERSION")
        );
        stream.write_all(head.as_bytes()).map_err(io)?;
        stream.write_all(body).map_err(io)?;
        let mut raw = Vec::new();
        stream.take(REPLY_MAX).read_to_end(&mut raw).map_err(io)?;
        http_body(&raw).map_err(|e| match e {
            HttpError::Status(status) => TsaError::Http {
                url: self.url.clone(),
                status,
            },
            HttpError::Garbage(why) => TsaError::Garbage {
                url: self.url.clone(),
                why,
            },
        })
    }
}

#[derive(Debug, PartialEq)]
enum HttpError {
    Status(u16),
    Garbage(String),
}

/// The body of a whole HTTP/1.x response (`Connection: close`): length-delimited,
/// chunked or to the end.
fn http_body(raw: &[u8]) -> Result<Vec<u8>, HttpError> {
    let garbage = |why: &str| HttpError::Garbage(why.to_string());
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| garbage("no HTTP answer"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| garbage("no HTTP answer"))?;
    let body = &raw[end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = match status_line.split(' ').collect::<Vec<_>>().as_slice() {
        [v, code, ..] if v.starts_with("HTTP/1.") => {
            code.parse().map_err(|_| garbage("no HTTP answer"))?
        }
        _ => return Err(garbage("no HTTP answer")),
    };
    if status != 200 {
        return Err(HttpError::Status(status));
    }
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| garbage("a bad Content-Length"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        }
    }
    if chunked {
        return dechunk(body).ok_or_else(|| garbage("a broken chunked body"));
    }
    match length {
        Some(n) if body.len() < n => Err(garbage("the answer was cut short")),
        Some(n) => Ok(body[..n].to_vec()),
        None => Ok(body.to_vec()),
    }
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = body.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&body[..eol]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        body = &body[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        if body.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_der_a_tsa_can_read() {
        let req = request_der(&[7; 32], 0x8000_0000_0000_0001);
        // SEQUENCE { INTEGER 1, imprint, INTEGER nonce (leading zero: positive), TRUE }
        let (content, rest) = read(&req, 0x30).unwrap();
        assert!(rest.is_empty());
        let (v, rest) = read(content, 0x02).unwrap();
        assert_eq!(v, [1]);
        let (_, rest) = read(rest, 0x30).unwrap();
        let (nonce, rest) = read(rest, 0x02).unwrap();
        assert_eq!(nonce[0], 0);
        assert_eq!(unsigned(nonce).unwrap(), 0x8000_0000_0000_0001);
        assert_eq!(read(rest, 0x01).unwrap().0, [0xff]);
    }

    #[test]
    fn garbage_and_refusals_are_told_apart() {
        let d = [1; 32];
        assert!(matches!(
            parse_reply(b"<html>busy</html>", &d, 1),
            Err(ReplyError::Garbage(_))
        ));
        assert!(matches!(
            parse_reply(&[], &d, 1),
            Err(ReplyError::Garbage(_))
        ));
        // status 2 (rejection) with a text
        let status = tlv(
            0x30,
            &[tlv(0x02, &[2]), tlv(0x30, &tlv(0x0c, b"bad alg"))].concat(),
        );
        let reply = tlv(0x30, &status);
        assert_eq!(
            parse_reply(&reply, &d, 1),
            Err(ReplyError::Rejected {
                status: 2,
                text: ": bad alg".into()
            })
        );
        // granted, but nothing else
        let reply = tlv(0x30, &tlv(0x30, &tlv(0x02, &[0])));
        assert!(matches!(
            parse_reply(&reply, &d, 1),
            Err(ReplyError::Garbage(w)) if w.contains("no token")
        ));
    }

    #[test]
    fn every_cut_of_a_reply_is_an_error_not_a_panic() {
        let status = tlv(
            0x30,
            &[tlv(0x02, &[2]), tlv(0x30, &tlv(0x0c, b"x"))].concat(),
        );
        let reply = tlv(0x30, &status);
        for n in 0..reply.len() {
            assert!(parse_reply(&reply[..n], &[0; 32], 1).is_err());
        }
    }

    #[test]
    fn http_bodies_by_length_chunks_or_end() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef";
        assert_eq!(http_body(ok).unwrap(), b"abc");
        let chunked =
            b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(http_body(chunked).unwrap(), b"abcde");
        assert_eq!(
            http_body(b"HTTP/1.1 404 Not Found\r\n\r\n"),
            Err(HttpError::Status(404))
        );
        assert!(http_body(b"SSH-2.0-OpenSSH\r\n").is_err());
        let short = b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc";
        assert!(http_body(short).is_err());
    }

    #[test]
    fn only_http_urls() {
        assert!(check_url("http://zeitstempel.dfn.de").is_ok());
        assert!(check_url("http://127.0.0.1:3180/tsa").is_ok());
        assert!(check_url("https://tsa.example").is_err());
        assert!(check_url("zeitstempel.dfn.de").is_err());
        assert!(check_url("http://:80/").is_err());
        assert!(check_url("http://host:port/").is_err());
    }
}
