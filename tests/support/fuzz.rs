//! Random and mutated input for what the daemon reads from a seat: lines that are valid
//! requests, the same mutated (bytes flipped, cut, spliced, numbers blown up, nesting),
//! and plain noise, fed to `daemon::server::Session` as a connection would. Used by the
//! bounded test run and the bench's million-input run.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tresen::daemon::Daemon;
use tresen::daemon::server::{Session, Step};

/// Panics anywhere in the process while fuzzing (a spawned task's included).
pub static PANICS: AtomicUsize = AtomicUsize::new(0);

pub fn count_panics() {
    let old = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        old(info);
    }));
}

const HELLO: &str =
    r#"{"jsonrpc":"2.0","id":1,"method":"hello","params":{"protocol":2,"client":"fuzz"}}"#;

/// Requests a seat sends, valid as they stand.
const CORPUS: &[&str] = &[
    HELLO,
    r#"{"jsonrpc":"2.0","id":2,"method":"status"}"#,
    r#"{"jsonrpc":"2.0","id":3,"method":"query","params":"inbox"}"#,
    r#"{"jsonrpc":"2.0","id":4,"method":"query","params":{"conversation":{"id":1,"before":null,"limit":50,"focus":null}}}"#,
    r#"{"jsonrpc":"2.0","id":5,"method":"query","params":{"search":{"query":"Heizung","limit":20}}}"#,
    r#"{"jsonrpc":"2.0","id":6,"method":"query","params":{"outlook":1}}"#,
    r#"{"jsonrpc":"2.0","id":7,"method":"query","params":"answering"}"#,
    r#"{"jsonrpc":"2.0","id":8,"method":"order","params":{"kind":"local","change":{"set_state":{"conversation":1,"state":"waiting"}}}}"#,
    r#"{"jsonrpc":"2.0","id":9,"method":"order","params":{"kind":"typing","conversation":1,"typing":true,"network":false}}"#,
    r#"{"jsonrpc":"2.0","id":10,"method":"order","params":{"kind":"viewed","conversation":1}}"#,
    r#"{"jsonrpc":"2.0","id":11,"method":"order","params":{"kind":"local","change":{"add_note":{"conversation":1,"author":"x","body":"Rückruf","at":1764000000000}}}}"#,
    r#"{"jsonrpc":"2.0","id":12,"method":"order","params":{"kind":"send","conversation":1,"body":"Hallo","files":[{"name":"a.txt","mime":"text/plain","data":"aGFsbG8="}]}}"#,
    r#"{"jsonrpc":"2.0","id":13,"method":"find","params":"c1"}"#,
    r#"{"jsonrpc":"2.0","id":14,"method":"message","params":1}"#,
    r#"{"jsonrpc":"2.0","id":15,"method":"fetch","params":{"message":1,"index":0}}"#,
    r#"{"jsonrpc":"2.0","method":"status"}"#,
    r#"{"jsonrpc":"2.0","id":16,"method":"books","params":{"kind":"retention_plan"}}"#,
    r#"{"jsonrpc":"2.0","id":17,"method":"books","params":{"kind":"transcript","conversation":"c1","format":"txt"}}"#,
    r#"{"jsonrpc":"2.0","id":18,"method":"take","params":{"file":0,"offset":0}}"#,
    r#"{"jsonrpc":"2.0","id":19,"method":"books","params":{"kind":"expire","buckets":["b1"]}}"#,
    r#"{"jsonrpc":"2.0","id":20,"method":"books","params":{"kind":"audit_export","classes":[],"from":"2021-01-01","to":"2021-12-31"}}"#,
];

fn mutate(rng: &mut StdRng, line: &[u8]) -> Vec<u8> {
    let mut v = line.to_vec();
    for _ in 0..rng.random_range(1..4) {
        if v.is_empty() {
            v.push(rng.random());
        }
        let i = rng.random_range(0..v.len());
        match rng.random_range(0..9) {
            0 => v[i] = rng.random(),
            1 => v.insert(i, rng.random()),
            2 => {
                let end = rng.random_range(i..=v.len());
                v.drain(i..end);
            }
            3 => v.truncate(i),
            4 => {
                let other = CORPUS[rng.random_range(0..CORPUS.len())].as_bytes();
                let j = rng.random_range(0..other.len());
                v.truncate(i);
                v.extend_from_slice(&other[j..]);
            }
            5 => {
                let n: &[u8] = [
                    &b"18446744073709551616"[..],
                    b"-1",
                    b"1e999",
                    b"null",
                    b"\"\\ud800\"",
                    b"[]",
                    b"{}",
                    b"0.5",
                ][rng.random_range(0..8)];
                v.splice(i..i, n.iter().copied());
            }
            6 => {
                let depth = rng.random_range(1..300);
                let mut nest = vec![b'['; depth];
                nest.extend(std::iter::repeat_n(b']', depth));
                v.splice(i..i, nest);
            }
            7 => v.retain(|b| *b != b'"' || rng.random_bool(0.9)),
            _ => {
                let s = "\u{1b}[31mÄ\u{202e}\u{0}";
                v.splice(i..i, s.bytes());
            }
        }
    }
    // A line never holds its own newline: the reader cut there.
    v.retain(|b| *b != b'\n');
    v
}

/// Noise: random bytes of random length.
fn noise(rng: &mut StdRng) -> Vec<u8> {
    let n = rng.random_range(0..200);
    (0..n)
        .map(|_| rng.random::<u8>())
        .filter(|b| *b != b'\n')
        .collect()
}

pub struct Stats {
    pub inputs: u64,
    pub closed: u64,
    pub answered: u64,
    pub elapsed: Duration,
}

/// Feeds up to `inputs` lines (or until `budget` is spent) to fresh sessions of
/// `daemon`; a session that ends the connection is replaced by a new one.
pub async fn run(daemon: Arc<Daemon>, uid: u32, seed: u64, inputs: u64, budget: Duration) -> Stats {
    let mut rng = StdRng::seed_from_u64(seed);
    let start = Instant::now();
    let mut session = Session::new(Arc::clone(&daemon), Some(uid));
    let mut stats = Stats {
        inputs: 0,
        closed: 0,
        answered: 0,
        elapsed: Duration::ZERO,
    };
    while stats.inputs < inputs && start.elapsed() < budget {
        let line = if !session.attached() && rng.random_bool(0.9) {
            HELLO.as_bytes().to_vec()
        } else {
            match rng.random_range(0..10) {
                0..=2 => CORPUS[rng.random_range(0..CORPUS.len())]
                    .as_bytes()
                    .to_vec(),
                3..=8 => {
                    let base = CORPUS[rng.random_range(0..CORPUS.len())].as_bytes();
                    mutate(&mut rng, base)
                }
                _ => noise(&mut rng),
            }
        };
        stats.inputs += 1;
        match session.line(&line).await {
            Step::Answer(a) => {
                assert!(a.ends_with('\n') && serde_json::from_str::<serde_json::Value>(&a).is_ok());
                stats.answered += 1;
            }
            Step::Last(_) => {
                stats.closed += 1;
                session = Session::new(Arc::clone(&daemon), Some(uid));
            }
            Step::Quiet => {}
        }
    }
    stats.elapsed = start.elapsed();
    stats
}
