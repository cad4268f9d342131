//! Matrix connector figures against a real local Synapse with the emulated WhatsApp
//! bridge (the harness of tests/matrix.rs). Prints numbers, asserts nothing.
//!
//!   cargo bench --bench matrix                        # 1,000 rooms, 20,000 messages
//!   cargo bench --bench matrix -- --rooms 100 --messages 2000
//!
//! Needs the Synapse venv that tests/run.sh installs (TRESEN_SYNAPSE_VENV). The populated
//! homeserver database is kept in `target/bench-cache/` (or `TRESEN_BENCH_CACHE`) and
//! reused by the next run with the same numbers: building it takes ~18 minutes and is
//! not the figure. Before tresen's initial sync the bench fetches the same `/sync` raw
//! over HTTP with the same filter, so the homeserver's own time stands beside tresen's.
#![recursion_limit = "256"]

#[path = "args.rs"]
mod args;
#[path = "../support/synapse.rs"]
mod synapse;

use args::{arg, cpu_seconds, rss_kib};

use std::time::{Duration, Instant};

use synapse::Synapse;
use tresen::config::{Config, Paths};
use tresen::engine::{Engine, EngineOptions, Notification};
use tresen::profile::{self, OpenProfile};

fn rss_mb() -> f64 {
    rss_kib() as f64 / 1024.0
}

struct Bench {
    dir: tempfile::TempDir,
    config: Config,
}

impl Bench {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pass = dir.path().join("pass");
        std::fs::write(&pass, "bench passphrase\n").unwrap();
        let text = format!(
            "[secrets]\nbackend = \"passphrase\"\npassphrase_file = \"{}\"\n\n[[accounts]]\nid = \"buero\"\nnetwork = \"matrix\"\npurpose = \"business\"\n",
            pass.display()
        );
        let file = dir.path().join("config.toml");
        std::fs::write(&file, text).unwrap();
        let config = Config::load(Some(&file)).unwrap();
        Self { dir, config }
    }

    fn open(&self) -> OpenProfile {
        let paths = Paths {
            config_file: None,
            data_dir: self.dir.path().join("data"),
            log_dir: self.dir.path().join("logs"),
            socket: self.dir.path().join("tresen.sock"),
        };
        let prompt =
            |_: &str, _: bool| -> Result<String, tresen::secrets::SecretsError> { unreachable!() };
        profile::open(&self.config, paths, &prompt).unwrap()
    }
}

fn main() {
    let rooms = arg("--rooms", 1000);
    let messages = arg("--messages", 20_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "machine: {} cores; Synapse 1.163.2 on 127.0.0.1 (sqlite), emulated WhatsApp bridge",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    let cache = std::env::var_os("TRESEN_BENCH_CACHE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-cache")
        })
        .join(format!("synapse-1.163.2-{rooms}-rooms-{messages}-messages"));
    let (mut hs, local) = match std::fs::read_to_string(cache.join("user")) {
        Ok(local) => {
            let hs = Synapse::start_from(&cache.join("data"));
            println!(
                "setup: the populated homeserver database from {} (delete it to build it anew)",
                cache.display()
            );
            (hs, local.trim().to_string())
        }
        Err(_) => {
            let mut hs = Synapse::start();
            let (local, mxid) = hs.user("buero");
            let t = Instant::now();
            hs.emu(&[
                "bulk",
                &mxid,
                &Synapse::password(&local),
                &rooms.to_string(),
                &messages.to_string(),
            ]);
            println!(
                "setup: {rooms} portals with {messages} messages created in {:.1} s; kept in {}",
                t.elapsed().as_secs_f64(),
                cache.display()
            );
            hs.save_data(&cache.join("data"));
            std::fs::write(cache.join("user"), &local).unwrap();
            (hs, local)
        }
    };

    // The homeserver's own time: the initial /sync tresen will make (same filter, no
    // token, no wait), fetched raw on a new login, from a freshly started Synapse; then
    // once more with its caches warm.
    hs.restart();
    for caches in ["cold", "warm"] {
        let raw = raw_sync(hs.port, &local);
        println!(
            "raw /sync ({caches} homeserver caches): {} rooms, {} timeline events, {:.1} MB in {:.2} s",
            raw.rooms,
            raw.events,
            raw.bytes as f64 / 1e6,
            raw.secs
        );
    }
    hs.restart();

    let bench = Bench::new();
    {
        let p = bench.open();
        let account = tresen::connector::matrix::MatrixAccount::new(
            tresen::domain::AccountId("buero".into()),
            &p.paths.data_dir,
            &p.key,
        );
        let t = Instant::now();
        rt.block_on(account.login(&hs.url, &local, &Synapse::password(&local)))
            .unwrap();
        println!("login: {:.2} s", t.elapsed().as_secs_f64());
    }

    // Initial sync: start to caught up, everything in the store.
    let p = bench.open();
    let connectors = profile::connectors(&bench.config, &p).unwrap();
    let OpenProfile { store, lock, .. } = p;
    let shared = profile::shared(store, None).unwrap();
    let rss_before = rss_mb();
    let cpu_before = cpu_seconds();
    let t = Instant::now();
    let (handle, task) = rt.block_on(async {
        let (engine, handle) = Engine::start(shared, connectors, EngineOptions::default());
        (handle, tokio::spawn(engine.run()))
    });
    let mut bus = handle.subscribe();
    rt.block_on(async {
        loop {
            match bus.recv().await {
                Ok(Notification::CaughtUp) => break,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => panic!("engine stopped"),
            }
        }
    });
    let initial = t.elapsed();
    let cpu = cpu_seconds() - cpu_before;
    let stats = handle.store().read(|s| s.stats().unwrap());
    println!(
        "initial sync: tresen's CPU {cpu:.2} s (user + system, all threads) in {:.2} s",
        initial.as_secs_f64()
    );
    println!(
        "initial sync: {} rooms, {} messages stored in {:.2} s = {:.0} messages/s; RSS {:.0} MB (before {:.0} MB)",
        stats.conversations,
        stats.messages,
        initial.as_secs_f64(),
        stats.messages as f64 / initial.as_secs_f64(),
        rss_mb(),
        rss_before
    );

    // Latency: puppet sends, one every 100 ms; origin_server_ts to stored.
    let room = handle
        .store()
        .read(|s| s.conversations().unwrap())
        .first()
        .map(|c| (c.remote_id.clone(), c.id))
        .unwrap();
    let phone = handle
        .store()
        .read(|s| s.conversation(room.1).unwrap())
        .and_then(|c| c.contact)
        .map(|c| c.identity.trim_start_matches('+').to_string())
        .unwrap();
    let n = 50;
    let emu = {
        let args: Vec<String> = ["burst", &room.0, &phone, &n.to_string(), "100"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let hs_url = hs.url.clone();
        let as_port = hs.as_port;
        let dir = hs.dir().to_path_buf();
        std::thread::spawn(move || {
            std::process::Command::new("python3")
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/support/bridge_emu.py"
                ))
                .args(&args)
                .env("HS", hs_url)
                .env("AS_PORT", as_port.to_string())
                .current_dir(dir)
                .output()
                .unwrap()
        })
    };
    let mut latencies = Vec::new();
    let mut seen = std::collections::HashSet::new();
    rt.block_on(async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while latencies.len() < n {
            let ev = tokio::time::timeout_at(deadline, bus.recv()).await;
            match ev {
                Err(_) => break,
                Ok(Ok(Notification::Conversation(id))) if id == room.1 => {
                    let now = tresen::domain::Timestamp::now();
                    let msgs = handle.store().read(|s| s.messages(id, None, 20).unwrap());
                    for m in msgs {
                        if m.body.starts_with("burst ") && seen.insert(m.id) {
                            latencies
                                .push(Duration::from_millis((now.0 - m.sent_at.0).max(0) as u64));
                        }
                    }
                }
                Ok(_) => {}
            }
        }
    });
    let _ = emu.join();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "puppet message to tresen's store: {} messages, p50 {} ms, p95 {} ms, max {} ms",
        latencies.len(),
        pct(0.5).as_millis(),
        pct(0.95).as_millis(),
        latencies.last().unwrap().as_millis()
    );
    rt.block_on(async {
        handle.shutdown().await;
        let _ = task.await;
    });
    drop(lock);

    // Incremental sync after a restart: nothing new, then one new message.
    hs.puppet_says(&room.0, &phone, "nach dem Neustart");
    let p = bench.open();
    let connectors = profile::connectors(&bench.config, &p).unwrap();
    let OpenProfile { store, lock, .. } = p;
    let shared = profile::shared(store, None).unwrap();
    let t = Instant::now();
    let (handle, task) = rt.block_on(async {
        let (engine, handle) = Engine::start(shared, connectors, EngineOptions::default());
        (handle, tokio::spawn(engine.run()))
    });
    let mut bus = handle.subscribe();
    rt.block_on(async { while !matches!(bus.recv().await, Ok(Notification::CaughtUp)) {} });
    println!(
        "restart to caught up (incremental sync from the stored position, one new message): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    rt.block_on(async {
        handle.shutdown().await;
        let _ = task.await;
    });
    drop(lock);
}

struct RawSync {
    rooms: usize,
    events: usize,
    bytes: usize,
    secs: f64,
}

/// Logs `local` in on a new device and times one initial `/sync` with tresen's filter,
/// from the request to the last byte of the answer (HTTP/1.0: the server closes the
/// connection at the end, no chunking).
fn raw_sync(port: u16, local: &str) -> RawSync {
    let login = serde_json::json!({
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": local},
        "password": Synapse::password(local),
        "initial_device_display_name": "raw /sync bench",
    });
    let (_, body) = http(
        port,
        "POST",
        "/_matrix/client/v3/login",
        None,
        Some(&login.to_string()),
    );
    let token: serde_json::Value = serde_json::from_slice(&body).expect("login answer");
    let token = token["access_token"]
        .as_str()
        .expect("an access token")
        .to_string();
    let filter = tresen::connector::matrix::sync_filter_json();
    let path = format!(
        "/_matrix/client/v3/sync?timeout=0&filter={}",
        percent_encode(&filter)
    );
    let t = Instant::now();
    let (status, body) = http(port, "GET", &path, Some(&token), None);
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    // Counted without building the answer as a tree: its ~100 MB of small allocations
    // would stay in this process's RSS and blur tresen's figure after it.
    use serde::de::IgnoredAny;
    #[derive(serde::Deserialize)]
    struct Answer {
        rooms: Rooms,
    }
    #[derive(serde::Deserialize)]
    struct Rooms {
        #[serde(default)]
        join: std::collections::BTreeMap<String, Joined>,
    }
    #[derive(serde::Deserialize)]
    struct Joined {
        timeline: Timeline,
    }
    #[derive(serde::Deserialize)]
    struct Timeline {
        events: Vec<IgnoredAny>,
    }
    let answer: Answer = serde_json::from_slice(&body).expect("sync answer");
    RawSync {
        rooms: answer.rooms.join.len(),
        events: answer
            .rooms
            .join
            .values()
            .map(|r| r.timeline.events.len())
            .sum(),
        bytes: body.len(),
        secs,
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One HTTP/1.0 request to the homeserver on 127.0.0.1: (status, body).
fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to Synapse");
    let body = body.unwrap_or("");
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send the request");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).expect("read the answer");
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&answer[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, answer[split + 4..].to_vec())
}
