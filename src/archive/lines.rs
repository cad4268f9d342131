//! Reads a segment line by line in chunks of a few MiB rather than as one 64 MiB
//! allocation: the verifier hashes each chunk for the manifest's file hash while its
//! bytes are still in the cache, and fresh pages are not faulted in for every segment.

use std::io::Read as _;
use std::ops::ControlFlow;
use std::path::Path;

use sha2::Digest;

const CHUNK: usize = 4 << 20;

/// What a segment held beyond its complete lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scanned {
    /// Bytes read (the whole file, unless `each` stopped early).
    pub bytes: u64,
    /// Bytes after the last newline: no complete record.
    pub tail: u64,
}

/// Calls `each(line, offset)` for every complete line of `path` (without its newline;
/// `offset` is where it starts in the file) until it breaks. Every byte read goes into
/// `hash`, if given, in file order; a break stops reading (the hash is then partial).
pub fn each_line(
    path: &Path,
    mut hash: Option<&mut sha2::Sha256>,
    mut each: impl FnMut(&[u8], u64) -> ControlFlow<()>,
) -> std::io::Result<Scanned> {
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; CHUNK];
    // buf[..filled] holds unprocessed bytes: a partial line carried over, then new ones.
    let mut filled = 0usize;
    // File offset of buf[0].
    let mut base = 0u64;
    let mut bytes = 0u64;
    loop {
        if filled == buf.len() {
            // One line longer than the buffer (a large attachment): make room.
            buf.resize(buf.len() * 2, 0);
        }
        let n = match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if let Some(h) = hash.as_deref_mut() {
            h.update(&buf[filled..filled + n]);
        }
        // Only the new bytes can hold the next newline.
        let search_from = filled;
        filled += n;
        bytes += n as u64;
        let Some(last_nl) = memchr::memrchr(b'\n', &buf[search_from..filled]) else {
            continue;
        };
        let complete = search_from + last_nl + 1;
        let mut start = 0usize;
        for nl in memchr::memchr_iter(b'\n', &buf[..complete]) {
            if each(&buf[start..nl], base + start as u64).is_break() {
                return Ok(Scanned { bytes, tail: 0 });
            }
            start = nl + 1;
        }
        buf.copy_within(complete..filled, 0);
        filled -= complete;
        base += complete as u64;
    }
    Ok(Scanned {
        bytes,
        tail: filled as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(content: &[u8]) -> (Vec<(Vec<u8>, u64)>, Scanned, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seg");
        std::fs::write(&path, content).unwrap();
        let mut seen = Vec::new();
        let mut h = sha2::Sha256::new();
        let r = each_line(&path, Some(&mut h), |l, at| {
            seen.push((l.to_vec(), at));
            ControlFlow::Continue(())
        })
        .unwrap();
        (seen, r, hex::encode(h.finalize()))
    }

    #[test]
    fn lines_offsets_tail_and_hash_are_those_of_the_whole_file() {
        // Lines across chunk borders and one longer than a chunk.
        let mut content = Vec::new();
        let mut want = Vec::new();
        for (i, len) in [10, CHUNK - 20, 3, CHUNK * 2 + 5, 0, 7]
            .into_iter()
            .enumerate()
        {
            let line = vec![b'a' + i as u8; len];
            want.push((line.clone(), content.len() as u64));
            content.extend_from_slice(&line);
            content.push(b'\n');
        }
        content.extend_from_slice(b"torn");
        let (seen, r, hash) = lines_of(&content);
        assert_eq!(seen.len(), want.len());
        for (s, w) in seen.iter().zip(&want) {
            assert_eq!(s.1, w.1);
            assert!(s.0 == w.0, "line at {} differs", w.1);
        }
        assert_eq!(
            r,
            Scanned {
                bytes: content.len() as u64,
                tail: 4
            }
        );
        assert_eq!(hash, super::super::format::sha256_hex(&content));
    }

    #[test]
    fn an_empty_file_and_one_without_newline_have_no_lines() {
        assert_eq!(lines_of(b"").1, Scanned { bytes: 0, tail: 0 });
        let (seen, r, _) = lines_of(b"no newline");
        assert!(seen.is_empty());
        assert_eq!(r.tail, 10);
    }
}
