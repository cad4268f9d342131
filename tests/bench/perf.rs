//! Performance figures for docs/performance.md. Prints numbers; asserts nothing.
//!
//!   cargo bench --bench perf                       # 10,000 conversations, 1,000,000 messages
//!   cargo bench --bench perf -- --messages 100000  # a quicker run
//!   cargo bench --bench perf -- --archive 1         # ingest with the retention archive
//!
//! 1. ingest through the engine into the encrypted store (durable, batched)
//! 2. cold start to the first rendered inbox frame, and RSS while idle (a fresh process)
//! 3. one full frame render, 200x50, list + conversation
//! 4. full-text search latency, single- and two-word queries

#[path = "args.rs"]
mod args;
#[path = "corpus.rs"]
mod corpus;
use args::{arg, ms, pct, rss_kib, runtime};
use corpus::{COMMON, Generator, body};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tresen::app::{App, AppConfig, Loaded, Msg};
use tresen::config::Config;
use tresen::demo::Rng;
use tresen::domain::{
    AccountId, Channel, ConversationKind, ConversationUpsert, Direction, IncomingMessage,
    MessageKind, Timestamp,
};
use tresen::engine::{Engine, EngineOptions, Notification};
use tresen::store::{SharedStore, SqliteStore, StoreRead};

const KEY: [u8; 32] = [0x42; 32];

fn ingest(path: &Path, conversations: usize, messages: usize, grouped: bool) {
    let _ = std::fs::remove_file(path);
    let store = SqliteStore::open(path, Some(&KEY)).expect("store");
    let shared = SharedStore::new(Box::new(store));
    let rt = runtime();
    rt.block_on(async {
        let gen_ = Generator {
            account: AccountId("bench".into()),
            conversations,
            messages,
            grouped,
        };
        let (engine, handle) = Engine::start(shared.clone(), vec![Box::new(gen_)], EngineOptions::default());
        // --archive 1: every batch archived (and synced) before it is stored, beside
        // the commit of the batch before, as the TUI and daemon run it.
        let archived = arg("--archive", 0) == 1;
        let engine = if archived {
            let dir = path.with_extension("archive");
            let _ = std::fs::remove_dir_all(&dir);
            let key = tresen::secrets::MasterKey::from_bytes(&KEY).expect("key");
            let (archive, _) = tresen::archive::Archive::open(&dir, &key).expect("archive");
            engine.with_archive(archive, None, "bench".into()).expect("archive")
        } else {
            engine
        };
        let mut bus = handle.subscribe();
        let start = Instant::now();
        let task = tokio::spawn(engine.run());
        loop {
            match bus.recv().await {
                Ok(Notification::CaughtUp) => break,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => panic!("engine stopped"),
            }
        }
        let took = start.elapsed();
        handle.shutdown().await;
        task.await.unwrap().unwrap();
        let stats = shared.lock().stats().unwrap();
        println!(
            "ingest {}{}: {} messages + {} conversations in {:.2} s = {:.0} messages/s (SQLCipher, WAL, synchronous=FULL, batches of up to {})",
            if grouped { "history backfill, conversation by conversation" } else { "spread at random over all conversations" },
            if archived { ", with the archive" } else { "" },
            stats.messages,
            stats.conversations,
            took.as_secs_f64(),
            stats.messages as f64 / took.as_secs_f64(),
            tresen::engine::MAX_BATCH
        );
    });
}

/// Runs in a fresh child process: open the store, load the inbox, draw the first frame.
fn cold_start_child(path: &Path) {
    let store = SqliteStore::open(path, Some(&KEY)).expect("store");
    let shared = tresen::profile::shared(store, None).expect("reader");
    let rt = runtime();
    rt.block_on(async {
        let (engine, handle) = Engine::start(shared, vec![], EngineOptions::default());
        let task = tokio::spawn(engine.run());
        let mut app = App::new(
            AppConfig::from_config(&Config::default(), false),
            Timestamp::now(),
        );
        app.update(Msg::Resize {
            width: 200,
            height: 50,
        });
        for e in app.init() {
            if let tresen::app::Effect::Load(q) = e {
                let l = tresen::tui::load(&handle, q);
                app.update(Msg::Loaded(l));
            }
        }
        let mut t = Terminal::new(TestBackend::new(200, 50)).unwrap();
        t.draw(|f| tresen::ui::render(f, &app)).unwrap();
        println!("FRAME {}", app.conversations.len());
        // Idle in the inbox for a moment, then report memory.
        tokio::time::sleep(Duration::from_millis(500)).await;
        println!("RSS {}", rss_kib());
        handle.shutdown().await;
        let _ = task.await;
    });
}

fn cold_start(path: &Path) {
    let exe = std::env::current_exe().unwrap();
    let mut times = Vec::new();
    let mut rss = 0;
    for _ in 0..10 {
        let start = Instant::now();
        let mut child = std::process::Command::new(&exe)
            .arg("--cold-start-child")
            .arg(path)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut out, &mut line).unwrap();
        assert!(line.starts_with("FRAME"), "child said {line:?}");
        times.push(start.elapsed());
        line.clear();
        std::io::BufRead::read_line(&mut out, &mut line).unwrap();
        rss = line
            .trim()
            .trim_start_matches("RSS ")
            .parse::<u64>()
            .unwrap_or(0)
            .max(rss);
        child.wait().unwrap();
    }
    times.sort();
    println!(
        "cold start to first inbox frame (new process, 200x50): median {}, max {} over 10 runs",
        ms(pct(&times, 0.5)),
        ms(*times.last().unwrap())
    );
    println!(
        "RSS idle in the inbox: {:.1} MB (max over the runs)",
        rss as f64 / 1024.0
    );
}

fn render(path: &Path) {
    let store = SqliteStore::open(path, Some(&KEY)).expect("store");
    let convs = store.conversations().unwrap();
    let first = convs[0].id;
    let msgs = store.messages(first, None, 200).unwrap();
    let mut app = App::new(
        AppConfig::from_config(&Config::default(), false),
        Timestamp::now(),
    );
    app.update(Msg::Resize {
        width: 200,
        height: 50,
    });
    app.update(Msg::Loaded(Loaded::Inbox(convs)));
    app.update(Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Enter,
        crossterm::event::KeyModifiers::NONE,
    )));
    app.update(Msg::Loaded(Loaded::Conversation {
        id: first,
        messages: msgs,
        older: false,
        limit: 200,
        focus: None,
    }));
    let mut t = Terminal::new(TestBackend::new(200, 50)).unwrap();
    for _ in 0..50 {
        t.draw(|f| tresen::ui::render(f, &app)).unwrap();
    }
    let mut times = Vec::new();
    for _ in 0..1000 {
        // Force a full redraw each time, as after a resize.
        t.clear().unwrap();
        let s = Instant::now();
        t.draw(|f| tresen::ui::render(f, &app)).unwrap();
        times.push(s.elapsed());
    }
    times.sort();
    println!(
        "full frame render 200x50 (list of {} + conversation of 200 messages): median {}, p99 {}",
        app.conversations.len(),
        ms(pct(&times, 0.5)),
        ms(pct(&times, 0.99))
    );
}

fn search(path: &Path) {
    let store = SqliteStore::open(path, Some(&KEY)).expect("store");
    let mut rng = Rng(0xfeed);
    for (label, words) in [("single-word", 1), ("two-word", 2)] {
        let mut times = Vec::new();
        let mut hits_total = 0;
        for i in 0..200 {
            let q: Vec<String> = (0..words)
                .map(|_| {
                    if i % 2 == 0 {
                        COMMON[(rng.next_u64() % COMMON.len() as u64) as usize].to_string()
                    } else {
                        format!("wort{}", rng.next_u64() % 20_000)
                    }
                })
                .collect();
            let q = q.join(" ");
            let s = Instant::now();
            let hits = store.search(&q, 200).unwrap();
            times.push(s.elapsed());
            hits_total += hits.len();
        }
        times.sort();
        println!(
            "search {label} (200 queries, half common, half rare words; up to 200 hits): p50 {}, p95 {}, max {} (avg {} hits)",
            ms(pct(&times, 0.5)),
            ms(pct(&times, 0.95)),
            ms(*times.last().unwrap()),
            hits_total / 200
        );
    }
}

/// The store alone, without engine and channel, to tell where ingest time goes.
fn store_only(dir: &Path, n: usize, key: Option<&[u8; 32]>) {
    use tresen::store::{Op, Store};
    let path = dir.join("store-only.db");
    let _ = std::fs::remove_file(&path);
    let mut store = SqliteStore::open(&path, key).unwrap();
    let mut rng = Rng(1);
    let account = AccountId("bench".into());
    let mut ops: Vec<Op> = (0..1000)
        .map(|c| {
            Op::UpsertConversation(ConversationUpsert {
                account: account.clone(),
                remote_id: format!("c{c}"),
                kind: ConversationKind::Direct,
                channel: Channel::Signal,
                title: format!("Kunde {c}"),
                contact: None,
                security: Default::default(),
            })
        })
        .collect();
    ops.extend((0..n).map(|m| {
        Op::Incoming(IncomingMessage {
            account: account.clone(),
            conversation_remote_id: format!("c{}", rng.next_u64() % 1000),
            remote_id: format!("m{m}"),
            kind: MessageKind::Chat,
            direction: Direction::Inbound,
            sender: String::new(),
            body: body(&mut rng),
            attachments: vec![],
            sent_at: Timestamp(m as i64),
            received_at: Timestamp(m as i64),
            raw: None,
            history: false,
        })
    }));
    let s = Instant::now();
    for chunk in ops.chunks(4096) {
        store.apply(chunk).unwrap();
    }
    let t = s.elapsed();
    println!(
        "store apply only ({}): {n} messages in {:.2} s = {:.0}/s",
        if key.is_some() {
            "SQLCipher"
        } else {
            "plain SQLite"
        },
        t.as_secs_f64(),
        n as f64 / t.as_secs_f64()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--store-only") {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        store_only(&dir, arg("--messages", 100_000), Some(&KEY));
        store_only(&dir, arg("--messages", 100_000), None);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--cold-start-child") {
        cold_start_child(Path::new(&args[i + 1]));
        return;
    }
    let conversations = arg("--conversations", 10_000);
    let messages = arg("--messages", 1_000_000);
    let dir: PathBuf = std::env::var_os("TRESEN_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("bench-{conversations}-{messages}.db"));
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(
                |c| c.lines().find(|l| l.starts_with("model name")).map(|l| l
                    .split(':')
                    .nth(1)
                    .unwrap_or("")
                    .trim()
                    .to_string())
            )
            .unwrap_or_default()
    );
    if args.iter().any(|a| a == "--reuse") && path.exists() {
        println!("ingest: skipped (--reuse)");
    } else {
        let grouped_path = dir.join(format!("bench-grouped-{conversations}-{messages}.db"));
        ingest(&grouped_path, conversations, messages, true);
        for suffix in ["", "-wal", "-shm", ".keyid"] {
            let mut p = grouped_path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
        ingest(&path, conversations, messages, false);
    }
    if args.iter().any(|a| a == "--ingest-only") {
        return;
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("store size: {:.0} MB", size as f64 / 1e6);
    cold_start(&path);
    render(&path);
    search(&path);
}
