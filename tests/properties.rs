//! Property and mutation tests for what tresen reads from others and what it must never
//! get wrong (issue 20): signal-cli's frames and its byte stream, Matrix events, the
//! configuration, archive segments, the store file, the terminal sanitiser and the
//! footer splitter. Each property runs a bounded number of cases (`PROPTEST_CASES`,
//! 64 unless set; `tests/bench/properties.sh`-style long runs set it high); a failing case
//! is written to `tests/fixtures/proptest/` and replayed first in every later run.

mod support;

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, FileFailurePersistence};
use tresen::archive::{Archive, Payload, Scope, verify};
use tresen::compliance::footer::{self, Budget, Footer};
use tresen::connector::signal::frames::{self, Frame};
use tresen::domain::{AccountId, Channel, sanitize_for_terminal};
use tresen::secrets::MasterKey;
use tresen::store::SqliteStore;
use tresen::store::{Store as _, StoreRead as _};
use unicode_segmentation::UnicodeSegmentation as _;

/// Cases per property unless `PROPTEST_CASES` says otherwise; failures kept beside the
/// other fixtures.
fn runner(file: &'static str) -> RunnerConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    RunnerConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(file))),
        ..RunnerConfig::default()
    }
}

/// A byte-level mutation of `input`: flipped bits, bytes inserted, removed, duplicated
/// runs, a cut, digits blown up.
fn mutated(input: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = input.len().max(1);
    proptest::collection::vec((0..6u8, 0..len, any::<u8>(), 1..64usize), 1..6).prop_map(
        move |edits| {
            let mut v = input.clone();
            for (kind, at, byte, run) in edits {
                if v.is_empty() {
                    v.push(byte);
                    continue;
                }
                let at = at % v.len();
                match kind {
                    0 => v[at] ^= 1 << (byte % 8),
                    1 => v.insert(at, byte),
                    2 => {
                        v.remove(at);
                    }
                    3 => {
                        let end = (at + run).min(v.len());
                        let copy = v[at..end].to_vec();
                        v.splice(at..at, copy);
                    }
                    4 => v.truncate(at),
                    _ => {
                        if v[at].is_ascii_digit() {
                            v.splice(at..=at, b"99999999999999999999".iter().copied());
                        } else {
                            v[at] = byte;
                        }
                    }
                }
            }
            v
        },
    )
}

// ---------------------------------------------------------------------------------------
// signal-cli frames

/// The reference frames (man page, captured from signal-cli 0.13.19, built from its
/// source) as tests/signal_frames.rs holds them: the golden corpus.
fn golden_frames() -> Vec<String> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/signal_frames.rs"),
    )
    .unwrap();
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("r#\"{\"jsonrpc\"") {
        let from = &rest[at + 3..];
        let Some(end) = from.find("\"#") else { break };
        out.push(from[..end].to_string());
        rest = &from[end..];
    }
    assert!(out.len() >= 10, "only {} golden frames", out.len());
    out
}

/// What a frame turns into, as far as the connector takes it: parsed, and a received
/// envelope translated into events (never a panic on the way).
fn digest(line: &str) -> String {
    match frames::parse(line) {
        Ok(Frame::Notification { method, params }) => {
            let events = frames::received(&params).map(|r| {
                frames::translate(
                    &AccountId("signal-buero".into()),
                    &mut frames::Peers::new("+493012345678"),
                    &r,
                )
            });
            format!("{method}: {:?}", events.map(|e| e.len()))
        }
        Ok(Frame::Reply { id, outcome }) => format!("reply {id}: {}", outcome.is_ok()),
        Err(e) => format!("skipped: {e}"),
    }
}

fn frame_inputs() -> impl Strategy<Value = Vec<u8>> {
    let golden = golden_frames();
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        (0..golden.len()).prop_flat_map(move |i| mutated(golden[i].as_bytes().to_vec())),
    ]
}

proptest! {
    #![proptest_config(runner("tests/fixtures/proptest/signal_frames.txt"))]

    #[test]
    fn any_signal_cli_frame_is_parsed_or_skipped_never_a_panic(bytes in frame_inputs()) {
        let line = String::from_utf8_lossy(&bytes);
        let _ = digest(line.trim());
    }
}

/// A stream that hands out its bytes in the chunks given, and swallows what is written.
struct Chunked {
    chunks: std::collections::VecDeque<Vec<u8>>,
}

impl tokio::io::AsyncRead for Chunked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if let Some(mut chunk) = self.chunks.pop_front() {
            let n = chunk.len().min(buf.remaining());
            buf.put_slice(&chunk[..n]);
            if n < chunk.len() {
                self.chunks.push_front(chunk.split_off(n));
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for Chunked {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        b: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(b.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// What the signal-cli client makes of `bytes` cut into `chunks`: every notification and
/// skipped frame, in order.
fn read_through_client(bytes: &[u8], cuts: &[usize]) -> Vec<String> {
    let mut chunks = std::collections::VecDeque::new();
    let mut last = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    // An empty read is the end of the stream: only cuts that leave bytes on both sides.
    cuts.dedup();
    for c in cuts.into_iter().filter(|&c| c > 0 && c < bytes.len()) {
        chunks.push_back(bytes[last..c].to_vec());
        last = c;
    }
    chunks.push_back(bytes[last..].to_vec());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use tresen::connector::signal::rpc::{Incoming, RpcClient};
        let (_client, mut rx) = RpcClient::start(Chunked { chunks });
        let mut seen = Vec::new();
        while let Some(i) = rx.recv().await {
            seen.push(match i {
                Incoming::Notification { method, params } => format!("{method} {params}"),
                Incoming::Skipped(why) => format!("skipped {why}"),
            });
        }
        seen
    })
}

proptest! {
    #![proptest_config(runner("tests/fixtures/proptest/signal_stream.txt"))]

    /// The same frames, however the socket cuts them: chunk boundaries anywhere (inside a
    /// UTF-8 sequence, between `\r` and `\n`) change nothing.
    #[test]
    fn the_signal_cli_stream_reads_the_same_however_it_is_cut(
        picks in proptest::collection::vec(any::<prop::sample::Index>(), 1..12),
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
    ) {
        let golden = golden_frames();
        let mut stream = String::new();
        for (n, p) in picks.iter().enumerate() {
            stream.push_str(&golden[p.index(golden.len())]);
            stream.push_str(if n % 3 == 0 { "\r\n" } else { "\n" });
        }
        let whole = read_through_client(stream.as_bytes(), &[]);
        let cut = read_through_client(stream.as_bytes(), &cuts);
        prop_assert_eq!(whole, cut);
    }
}

#[test]
fn the_signal_cli_stream_reads_the_same_one_byte_at_a_time() {
    let golden = golden_frames();
    let stream = golden.join("\n") + "\n";
    let every: Vec<usize> = (1..stream.len()).collect();
    let whole = read_through_client(stream.as_bytes(), &[]);
    assert!(whole.len() >= 5, "{whole:?}");
    assert_eq!(whole, read_through_client(stream.as_bytes(), &every));
}

// ---------------------------------------------------------------------------------------
// Matrix events

/// Timeline events shaped as the Matrix spec (v1.12) and Synapse send them: text, a
/// reply with its fallback, an edit, a redaction, a reaction, an encrypted file, an image
/// by URL, a notice, a location, an undecryptable event, a membership change.
const MATRIX_EVENTS: &[&str] = &[
    r#"{"type":"m.room.message","event_id":"$a1","sender":"@kunde:example.org","origin_server_ts":1767225600000,"content":{"msgtype":"m.text","body":"Die Heizung ist kalt."},"unsigned":{"age":12}}"#,
    r#"{"type":"m.room.message","event_id":"$a2","sender":"@kunde:example.org","origin_server_ts":1767225601000,"content":{"msgtype":"m.text","body":"> <@buero:example.org> Wann passt es?\n\nMorgen um 8","format":"org.matrix.custom.html","formatted_body":"<mx-reply></mx-reply>Morgen um 8","m.relates_to":{"m.in_reply_to":{"event_id":"$a0"}}}}"#,
    r#"{"type":"m.room.message","event_id":"$a3","sender":"@kunde:example.org","origin_server_ts":1767225602000,"content":{"msgtype":"m.text","body":" * Morgen um 9","m.new_content":{"msgtype":"m.text","body":"Morgen um 9"},"m.relates_to":{"rel_type":"m.replace","event_id":"$a2"}}}"#,
    r#"{"type":"m.room.redaction","event_id":"$a4","sender":"@kunde:example.org","origin_server_ts":1767225603000,"redacts":"$a3","content":{"redacts":"$a3","reason":"falsch"}}"#,
    r#"{"type":"m.reaction","event_id":"$a5","sender":"@kunde:example.org","origin_server_ts":1767225604000,"content":{"m.relates_to":{"rel_type":"m.annotation","event_id":"$a1","key":"👍"}}}"#,
    r#"{"type":"m.room.message","event_id":"$a6","sender":"@kunde:example.org","origin_server_ts":1767225605000,"content":{"msgtype":"m.image","body":"kessel.jpg","filename":"kessel.jpg","info":{"mimetype":"image/jpeg","size":48213,"w":800,"h":600},"file":{"url":"mxc://example.org/abc","key":{"kty":"oct","key_ops":["encrypt","decrypt"],"alg":"A256CTR","k":"aGVsbG8","ext":true},"iv":"AAAAAAAAAAAAAAAAAAAAAA","hashes":{"sha256":"deadbeef"},"v":"v2"}}}"#,
    r#"{"type":"m.room.message","event_id":"$a7","sender":"@whatsapp_4915112345678:example.org","origin_server_ts":1767225606000,"content":{"msgtype":"m.file","body":"Rechnung bitte","filename":"rechnung.pdf","url":"mxc://example.org/def","info":{"mimetype":"application/pdf","size":1024}}}"#,
    r#"{"type":"m.room.message","event_id":"$a8","sender":"@whatsappbot:example.org","origin_server_ts":1767225607000,"content":{"msgtype":"m.notice","body":"not logged in"}}"#,
    r#"{"type":"m.room.message","event_id":"$a9","sender":"@kunde:example.org","origin_server_ts":1767225608000,"content":{"msgtype":"m.location","body":"Standort","geo_uri":"geo:48.37,10.89"}}"#,
    r#"{"type":"m.room.encrypted","event_id":"$b1","sender":"@kunde:example.org","origin_server_ts":1767225609000,"content":{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"AwgAEnB","device_id":"ABCDEF","sender_key":"xyz","session_id":"s1"}}"#,
    r#"{"type":"m.room.member","event_id":"$b2","sender":"@kunde:example.org","state_key":"@kunde:example.org","origin_server_ts":1767225610000,"content":{"membership":"join","displayname":"Familie Aydın"}}"#,
    r#"{"type":"m.room.message","event_id":"$b3","sender":"@buero:example.org","origin_server_ts":1767225611000,"content":{"msgtype":"m.text","body":"Wir kommen morgen.\u001b[2J"}}"#,
];

#[cfg(feature = "matrix")]
proptest! {
    #![proptest_config(runner("tests/fixtures/proptest/matrix_events.txt"))]

    #[test]
    fn any_matrix_event_is_translated_or_skipped_never_a_panic(
        bytes in (0..MATRIX_EVENTS.len())
            .prop_flat_map(|i| mutated(MATRIX_EVENTS[i].as_bytes().to_vec()))
    ) {
        let Ok(ev) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            return Ok(());
        };
        let _ = translated(&ev);
    }
}

/// What the Matrix connector makes of one timeline event in a customer's room.
#[cfg(feature = "matrix")]
fn translated(ev: &serde_json::Value) -> Option<tresen::connector::ConnectorEvent> {
    use tresen::connector::matrix::events::{Context, translate};
    let account = AccountId("matrix-buero".into());
    let name_of = |_: &str| Some("Kunde".to_string());
    let cx = Context {
        account: &account,
        room_id: "!raum:example.org",
        own_user: "@buero:example.org",
        name_of: &name_of,
    };
    translate(ev, &cx)
}

#[cfg(feature = "matrix")]
#[test]
fn the_matrix_corpus_is_translated() {
    let shown = MATRIX_EVENTS
        .iter()
        .filter(|e| translated(&serde_json::from_str(e).unwrap()).is_some())
        .count();
    // The mutations start from events tresen takes, not from ones it ignores anyway.
    assert!(shown >= 8, "only {shown} of the corpus translated");
}

// ---------------------------------------------------------------------------------------
// The configuration

/// Valid configurations: the documented defaults, and an office with a Signal and a
/// Matrix account, staff, hours and its company data.
fn valid_configs() -> Vec<String> {
    vec![
        tresen::config::DEFAULT_TOML.to_string(),
        format!(
            "[ui]\nlanguage = \"de\"\ndefault_country = \"+49\"\n\n\
             [[accounts]]\nid = \"buero\"\nnetwork = \"signal\"\nnumber = \"+493012345678\"\n\n\
             [[accounts]]\nid = \"mx\"\nnetwork = \"matrix\"\n\n\
             [[staff]]\nname = \"Anna\"\nrole = \"owner\"\n\n\
             [hours]\nmonday = [\"08:00-12:00\", \"13:00-17:00\"]\nbundesland = \"BY\"\n{}",
            support::COMPANY
        ),
    ]
}

proptest! {
    #![proptest_config(runner("tests/fixtures/proptest/config.txt"))]

    /// A damaged configuration is either still valid or refused with its file and
    /// where: `file:line:column: …` or `file: key `k`: …` — never a panic, never an
    /// error that leaves the user guessing.
    #[test]
    fn a_damaged_config_is_refused_with_file_and_place(
        bytes in {
            let configs = valid_configs();
            (0..configs.len()).prop_flat_map(move |i| mutated(configs[i].as_bytes().to_vec()))
        }
    ) {
        let text = String::from_utf8_lossy(&bytes);
        let path = PathBuf::from("/etc/tresen/c.toml");
        if let Err(e) = tresen::config::Config::parse(&text, &path) {
            let said = e.to_string();
            let placed = said.starts_with("/etc/tresen/c.toml:")
                && (said.as_bytes().get(19).is_some_and(u8::is_ascii_digit)
                    || said.starts_with("/etc/tresen/c.toml: key `"));
            prop_assert!(placed, "{}", said);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Archive segments, manifests and HEAD

fn archive_key() -> MasterKey {
    MasterKey::from_bytes(&[7u8; 32]).unwrap()
}

/// An archive of `n` records over two segments (the first sealed, with its manifest).
fn small_archive(dir: &Path, n: usize) {
    let (mut a, _) = Archive::open(dir, &archive_key()).unwrap();
    for i in 0..n {
        let payload = Payload::Config {
            file: format!("/etc/tresen/{i}.toml"),
            sha256: "00".repeat(32),
            text: format!("[ui]\nlanguage = \"de\" # Fassung {i} äöü"),
        };
        a.append_all(&[(&Scope::System, &payload)]).unwrap();
        if i == n / 2 {
            a.seal().unwrap();
        }
    }
}

fn archive_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// HEAD only guards the end of the archive (the chain and the signed manifests guard the
/// rest): a damaged HEAD leaves an intact archive intact, but verify must say that it
/// could not compare the end.
fn head_noted(name: &str, r: &verify::Report) -> bool {
    name == "HEAD" && r.notes.iter().any(|n| n.starts_with("HEAD "))
}

proptest! {
    #![proptest_config(runner("tests/fixtures/proptest/archive.txt"))]

    /// A changed byte anywhere in a segment, manifest or HEAD is found: verify says the
    /// archive is not intact (or refuses to read it), never panics, never reports intact.
    #[test]
    fn a_changed_archive_byte_is_never_reported_intact(
        file in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        bit in 0..8u8,
    ) {
        let dir = tempfile::tempdir().unwrap();
        small_archive(dir.path(), 12);
        let files = archive_files(dir.path());
        let target = &files[file.index(files.len())];
        let mut bytes = std::fs::read(target).unwrap();
        if bytes.is_empty() {
            return Ok(());
        }
        let i = at.index(bytes.len());
        let was = bytes[i];
        bytes[i] ^= 1 << bit;
        std::fs::write(target, &bytes).unwrap();
        let name = target.file_name().unwrap().to_string_lossy().into_owned();
        // HEAD is three words: one blank turned into another says the same.
        if name == "HEAD" && char::from(was).is_whitespace() && char::from(bytes[i]).is_whitespace() {
            return Ok(());
        }
        let report = verify::verify(dir.path(), &archive_key(), &verify::Options::default(), &mut |_, _| {});
        if let Ok(r) = report {
            prop_assert!(
                !r.ok || head_noted(&name, &r),
                "{name} byte {i} bit {bit} changed, verify says intact: {:?}", r.notes
            );
        }
    }

    /// Cut anywhere, the archive is never intact, unless only a final line break went.
    #[test]
    fn a_cut_archive_file_is_never_reported_intact(
        file in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        small_archive(dir.path(), 12);
        let files = archive_files(dir.path());
        let target = &files[file.index(files.len())];
        let bytes = std::fs::read(target).unwrap();
        let keep = at.index(bytes.len().max(1));
        std::fs::write(target, &bytes[..keep]).unwrap();
        let name = target.file_name().unwrap().to_string_lossy().into_owned();
        let report = verify::verify(dir.path(), &archive_key(), &verify::Options::default(), &mut |_, _| {});
        if let Ok(r) = report {
            prop_assert!(
                !r.ok || bytes[keep..].iter().all(u8::is_ascii_whitespace) || head_noted(&name, &r),
                "{name} cut to {keep} of {} bytes, verify says intact: {:?}", bytes.len(), r.notes
            );
        }
    }
}

/// Found by the properties above, kept as plain cases: a manifest must be exactly the
/// two lines that were sealed, and a HEAD that cannot be read is said.
#[test]
fn a_manifest_rewritten_in_another_form_and_an_unreadable_head_are_reported() {
    let verify_dir = |dir: &Path| {
        verify::verify(
            dir,
            &archive_key(),
            &verify::Options::default(),
            &mut |_, _| {},
        )
        .unwrap()
    };
    for change in ["upper-case signature", "a third line", "CR LF"] {
        let dir = tempfile::tempdir().unwrap();
        small_archive(dir.path(), 6);
        let manifest = dir.path().join("seg-000001.manifest");
        let text = std::fs::read_to_string(&manifest).unwrap();
        let changed = match change {
            "upper-case signature" => {
                let (body, sig) = text.split_once("\ned25519:").unwrap();
                format!("{body}\ned25519:{}", sig.to_ascii_uppercase())
            }
            "a third line" => format!("{text}nachgetragen\n"),
            _ => text.replace('\n', "\r\n"),
        };
        std::fs::write(&manifest, changed).unwrap();
        assert!(!verify_dir(dir.path()).ok, "{change} went unnoticed");
    }
    let dir = tempfile::tempdir().unwrap();
    small_archive(dir.path(), 6);
    std::fs::write(dir.path().join("HEAD"), b"\xff 12 ab").unwrap();
    let r = verify_dir(dir.path());
    assert!(
        r.notes.iter().any(|n| n.starts_with("HEAD is unreadable")),
        "{:?}",
        r.notes
    );
    std::fs::remove_file(dir.path().join("HEAD")).unwrap();
    let r = verify_dir(dir.path());
    assert!(
        r.notes.iter().any(|n| n.starts_with("HEAD is missing")),
        "{:?}",
        r.notes
    );
}

// ---------------------------------------------------------------------------------------
// The store file

proptest! {
    #![proptest_config(runner("tests/fixtures/proptest/store.txt"))]

    /// A damaged store file is refused with a clear error or still reads; it never
    /// panics, and what still opens answers a listing.
    #[test]
    fn a_damaged_store_file_is_refused_or_read_never_a_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inbox.db");
        let key = [3u8; 32];
        {
            let mut s = SqliteStore::open(&path, Some(&key)).unwrap();
            let mut ops = Vec::new();
            for i in 0..20 {
                let remote = format!("{i}");
                ops.push(support::conversation(&remote, &format!("Kunde {i}"), Channel::Signal));
                ops.push(support::inbound(&remote, &format!("m{i}"), "Die Heizung ist kalt", i));
            }
            s.apply(&ops).unwrap();
        }
        let mut bytes = std::fs::read(&path).unwrap();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        std::fs::write(&path, &bytes).unwrap();
        match SqliteStore::open(&path, Some(&key)) {
            Ok(s) => {
                let _ = s.conversations();
            }
            Err(e) => {
                let said = e.to_string();
                prop_assert!(said.contains("inbox.db"), "the error names no file: {}", said);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The terminal sanitiser

/// Text with what an attacker would put in: ESC sequences, C1 controls (8-bit CSI),
/// bidi overrides and isolates, zero-width characters, combining marks, emoji.
fn hostile_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("\u{1b}[2J".to_string()),
        Just("\u{1b}]0;title\u{7}".to_string()),
        Just("\u{1b}]8;;http://evil\u{1b}\\".to_string()),
        Just("\u{9b}31m".to_string()),
        Just("\u{202e}".to_string()),
        Just("\u{2066}".to_string()),
        Just("\u{200b}".to_string()),
        Just("e\u{301}".to_string()),
        Just("👨\u{200d}👩\u{200d}👧".to_string()),
        Just("\r\n".to_string()),
        Just("\t".to_string()),
        "[a-zäöüß ]{0,12}",
        any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

proptest! {
    #![proptest_config(runner("tests/fixtures/proptest/sanitize.txt"))]

    /// Nothing that steers a terminal survives, and the text does not grow: each
    /// character becomes at most one.
    #[test]
    fn no_control_or_bidi_character_reaches_the_terminal(text in hostile_text(), newlines in any::<bool>()) {
        let out = sanitize_for_terminal(&text, newlines);
        for c in out.chars() {
            prop_assert!(
                !(c.is_control() && !(newlines && c == '\n')),
                "{:?} survived in {:?}", c, out
            );
            prop_assert!(!is_bidi_control(c), "bidi {:?} survived in {:?}", c, out);
        }
        prop_assert!(out.chars().count() <= text.chars().count());
    }
}

// ---------------------------------------------------------------------------------------
// The footer splitter

fn test_footer() -> Footer {
    let company: tresen::compliance::company::CompanyConfig =
        toml::from_str(support::COMPANY.trim().strip_prefix("[company]").unwrap()).unwrap();
    Footer::render(&company.validate().unwrap(), "").unwrap()
}

/// Message bodies: words, umlauts, line and paragraph breaks, emoji sequences, letters
/// with combining marks, and long runs without a space (a URL, a pasted table).
fn body_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        4 => "[A-Za-zäöüÄÖÜß]{1,12}".prop_map(|w| format!("{w} ")),
        1 => Just("\n".to_string()),
        1 => Just("\n\n".to_string()),
        1 => Just("👨\u{200d}👩\u{200d}👧\u{200d}👦".to_string()),
        1 => Just("e\u{301}\u{302}".to_string()),
        1 => Just("\u{301}".to_string()),
        1 => Just("🇩🇪".to_string()),
        1 => (1..400usize).prop_map(|n| "x".repeat(n)),
        1 => (1..200usize).prop_map(|n| "€".repeat(n)),
    ];
    (proptest::collection::vec(pieces, 1..200), 1..24usize)
        .prop_map(|(v, times)| v.concat().repeat(times))
}

fn non_space(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

proptest! {
    #![proptest_config(runner("tests/fixtures/proptest/footer.txt"))]

    /// R-A6: the parts together are the text and the footer; the footer stands whole at
    /// the end of the last part; each part fits its channel; no cut falls inside a
    /// character, an emoji sequence or a letter with its accents.
    #[test]
    fn the_footer_splitter_loses_nothing_and_cuts_only_between_graphemes(
        body in body_text(),
        channel in prop_oneof![
            Just(Channel::Whatsapp),
            Just(Channel::Telegram),
            Just(Channel::Matrix),
            Just(Channel::Signal),
        ],
    ) {
        let footer = test_footer();
        let budget = Budget::for_channel(channel);
        let parts = footer::compose(&body, Some(&footer), channel).unwrap();
        for p in &parts {
            prop_assert!(budget.measure(p) <= budget.limit(), "a part of {} over {}", budget.measure(p), budget.limit());
        }
        let last = parts.last().unwrap();
        let text = if last.ends_with(&footer.full) { &footer.full } else { &footer.compact };
        prop_assert!(last.ends_with(text.as_str()), "the last part does not end with the footer");
        let before = &last[..last.len() - text.len()];
        prop_assert!(before.is_empty() || before.ends_with(footer::SEPARATOR));
        for p in &parts[..parts.len() - 1] {
            prop_assert!(!p.contains(footer.compact.as_str()), "the footer in a part before the last");
        }
        let mut bodies: Vec<&str> = parts[..parts.len() - 1].iter().map(String::as_str).collect();
        bodies.push(before);
        prop_assert_eq!(non_space(&bodies.concat()), non_space(&body));
        // Every part is a stretch of the text that starts and ends between graphemes.
        let bounds: std::collections::HashSet<usize> = body
            .grapheme_indices(true)
            .map(|(i, _)| i)
            .chain(std::iter::once(body.len()))
            .collect();
        let mut from = 0;
        for b in bodies.iter().map(|b| b.trim()).filter(|b| !b.is_empty()) {
            let at = from + body[from..].find(b).expect("each part comes from the text, in order");
            prop_assert!(bounds.contains(&at), "a part starts inside a grapheme at byte {}", at);
            prop_assert!(bounds.contains(&(at + b.len())), "a part ends inside a grapheme at byte {}", at + b.len());
            from = at + b.len();
        }
    }
}
