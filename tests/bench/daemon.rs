//! The daemon and its seats, on a 1,000,000-message store. Prints numbers; asserts
//! nothing (docs/performance.md, "Daemon and seats").
//!
//!   cargo bench --bench daemon                      # 10,000 conversations, 1,000,000 messages
//!   cargo bench --bench daemon -- --reuse           # the store the perf bench left
//!   cargo bench --bench daemon -- --fuzz 1000000    # also a million fuzzed inputs
//!
//! 1. an attached seat (a new process): start → first inbox frame
//! 2. round trips seat → daemon → acknowledgement: read state (not archived), labels
//!    (archived and fsync'd first)
//! 3. a change made in one seat, seen by 10 others
//! 4. ingest throughput with 20 attached seats against none (alternated, median of 3)
//! 5. the daemon's memory per attached seat
//! 6. fuzzing what the daemon decodes and handles (with --fuzz N)

#[path = "args.rs"]
mod args;
#[path = "corpus.rs"]
mod corpus;
#[path = "../support/fuzz.rs"]
mod fuzz;
#[path = "served.rs"]
mod served;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use args::{arg, ms, pct, runtime, spread};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use served::serve;
use tresen::app::{App, AppConfig, Effect, Msg};
use tresen::config::Config;
use tresen::domain::{AccountId, ConversationId, LocalChange, TriageState};
use tresen::engine::{Engine, EngineOptions, Notification};
use tresen::protocol::Order;
use tresen::seat::Seat as _;
use tresen::seat::remote::Remote;
use tresen::store::{SharedStore, SqliteStore};

const KEY: [u8; 32] = [0x42; 32];

fn lang() -> tresen::app::i18n::Lang {
    tresen::app::i18n::Lang::En
}

/// In a new process: attach, load what the inbox shows first, draw it.
fn seat_child(socket: &Path) {
    let rt = runtime();
    rt.block_on(async {
        let remote = Remote::attach(socket, "bench", lang()).await.unwrap();
        let mut app = App::new(
            AppConfig::from_config(&Config::default(), false),
            tresen::domain::Timestamp::now(),
        );
        app.update(Msg::Resize {
            width: 200,
            height: 50,
        });
        for e in app.init() {
            if let Effect::Load(q) = e {
                let r = remote.clone();
                let l = tokio::task::spawn_blocking(move || r.load(q))
                    .await
                    .unwrap();
                app.update(Msg::Loaded(l));
            }
        }
        let mut t = Terminal::new(TestBackend::new(200, 50)).unwrap();
        t.draw(|f| tresen::ui::render(f, &app)).unwrap();
        println!("FRAME {}", app.conversations.len());
    });
}

/// In a new process: `n` seats attach and stay until stdin closes.
fn seats_child(socket: &Path, n: usize) {
    let rt = runtime();
    rt.block_on(async {
        let mut seats = Vec::new();
        for _ in 0..n {
            let r = Remote::attach(socket, "bench", lang()).await.unwrap();
            let mut bus = r.subscribe();
            // A seat reads the tags as the TUI does.
            tokio::spawn(async move { while bus.recv().await.is_ok() {} });
            seats.push(r);
        }
        println!("ATTACHED {n}");
        let _ = tokio::task::spawn_blocking(|| {
            let mut s = String::new();
            let _ = std::io::stdin().read_line(&mut s);
        })
        .await;
        drop(seats);
    });
}

fn spawn_seats(socket: &Path, n: usize) -> std::process::Child {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--seats-child")
        .arg(socket)
        .arg(n.to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert!(line.starts_with("ATTACHED"), "{line:?}");
    child
}

fn first_frame(socket: &Path) {
    let mut times = Vec::new();
    let mut convs = String::new();
    for _ in 0..10 {
        let start = Instant::now();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--seat-child")
            .arg(socket)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut out, &mut line).unwrap();
        assert!(line.starts_with("FRAME"), "child said {line:?}");
        times.push(start.elapsed());
        convs = line.trim().trim_start_matches("FRAME ").to_string();
        child.wait().unwrap();
    }
    times.sort();
    println!(
        "attached seat, start to first inbox frame (new process, {convs} conversations, 200x50): median {}, max {} over 10 runs",
        ms(pct(&times, 0.5)),
        ms(*times.last().unwrap())
    );
}

async fn round_trips(socket: &Path) {
    let r = Remote::attach(socket, "bench", lang()).await.unwrap();
    let c = ConversationId(1);
    let mut plain = Vec::new();
    for i in 0..1000 {
        let order = if i % 2 == 0 {
            Order::Local {
                change: LocalChange::MarkUnread { conversation: c },
            }
        } else {
            Order::Viewed { conversation: c }
        };
        let start = Instant::now();
        r.order(order, "").await.unwrap();
        plain.push(start.elapsed());
    }
    println!(
        "round trip seat → daemon → acknowledgement, read state (not archived): {}",
        spread(&mut plain)
    );
    let mut durable = Vec::new();
    for i in 0..300 {
        let labels = if i % 2 == 0 {
            vec!["angebot".to_string()]
        } else {
            vec![]
        };
        let start = Instant::now();
        r.order(
            Order::Local {
                change: LocalChange::SetLabels {
                    conversation: c,
                    labels,
                    by: String::new(),
                },
            },
            "",
        )
        .await
        .unwrap();
        durable.push(start.elapsed());
    }
    println!(
        "round trip, a label (archived and fsync'd before it is stored): {}",
        spread(&mut durable)
    );
}

async fn fan_out(socket: &Path) {
    let writer = Remote::attach(socket, "bench", lang()).await.unwrap();
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel::<(usize, Instant)>();
    let mut watchers = Vec::new();
    for w in 0..10 {
        let r = Remote::attach(socket, "bench", lang()).await.unwrap();
        let mut bus = r.subscribe();
        let tx = seen_tx.clone();
        tokio::spawn(async move {
            while let Ok(n) = bus.recv().await {
                if let Notification::Conversation(ConversationId(id)) = n {
                    let _ = tx.send((id as usize * 100 + w, Instant::now()));
                }
            }
        });
        watchers.push(r);
    }
    let mut lat = Vec::new();
    for i in 0..200usize {
        let conv = 2 + i % 50;
        let state = if i % 100 < 50 {
            TriageState::Waiting
        } else {
            TriageState::Open
        };
        let start = Instant::now();
        writer
            .order(
                Order::Local {
                    change: LocalChange::SetState {
                        conversation: ConversationId(conv as i64),
                        state,
                    },
                },
                "",
            )
            .await
            .unwrap();
        let mut got = 0;
        while got < 10 {
            match tokio::time::timeout(Duration::from_secs(5), seen_rx.recv()).await {
                Ok(Some((key, at))) if key / 100 == conv => {
                    lat.push(at - start);
                    got += 1;
                }
                Ok(Some(_)) => {}
                _ => break,
            }
        }
    }
    println!(
        "a change in one seat seen by 10 others: {} deliveries",
        spread(&mut lat)
    );
    drop(watchers);
}

fn ingest_with_seats(dir: &Path, seats: usize, messages: usize) -> f64 {
    let run = dir.join(format!("ingest-{seats}"));
    let _ = std::fs::remove_dir_all(&run);
    std::fs::create_dir_all(&run).unwrap();
    let store = SqliteStore::open(&run.join("s.db"), Some(&KEY)).unwrap();
    let shared = tresen::profile::shared(store, None).unwrap();
    let socket = run.join("tresen.sock");
    let rt = runtime();
    rt.block_on(async {
        // The generator waits until the seats are there: it starts on a signal.
        let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
        let generator = Gated {
            inner: corpus::Generator {
                account: AccountId("bench".into()),
                conversations: 1000,
                messages,
                grouped: false,
            },
            go: go_rx,
        };
        let served = serve(
            shared,
            vec![Box::new(generator)],
            &run.join("archive"),
            &socket,
            None,
        )
        .await;
        let mut bus = served.handle.subscribe();
        let child = (seats > 0).then(|| spawn_seats(&socket, seats));
        let start = Instant::now();
        let _ = go_tx.send(());
        loop {
            match bus.recv().await {
                Ok(Notification::CaughtUp) => break,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => panic!("engine stopped"),
            }
        }
        let rate = messages as f64 / start.elapsed().as_secs_f64();
        if let Some(mut c) = child {
            drop(c.stdin.take());
            let _ = c.wait();
        }
        served.stop().await;
        rate
    })
}

/// The generator, held until the seats are attached.
struct Gated {
    inner: corpus::Generator,
    go: tokio::sync::oneshot::Receiver<()>,
}

impl tresen::connector::Connector for Gated {
    fn account(&self) -> &AccountId {
        self.inner.account()
    }
    fn network(&self) -> tresen::domain::AccountNetwork {
        self.inner.network()
    }
    fn run(
        self: Box<Self>,
        io: tresen::connector::ConnectorIo,
    ) -> futures::future::BoxFuture<'static, Result<(), tresen::connector::ConnectorError>> {
        let Gated { inner, go } = *self;
        Box::pin(async move {
            let _ = go.await;
            Box::new(inner).run(io).await
        })
    }
}

/// Enough seats that a few pages more or less do not decide the figure.
const SEATS: usize = 400;

/// In a new process: a daemon on an empty store, until stdin closes.
fn daemon_child(socket: &Path) {
    let rt = runtime();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = SharedStore::new(Box::new(SqliteStore::open_in_memory().unwrap()));
        let served = serve(store, vec![], &dir.path().join("archive"), socket, None).await;
        println!("READY");
        let _ = tokio::task::spawn_blocking(|| {
            let mut s = String::new();
            let _ = std::io::stdin().read_line(&mut s);
        })
        .await;
        served.stop().await;
    });
}

fn rss_of(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// A daemon of its own in a fresh process, so that neither the big store's cache nor
/// this process's allocations hide what the seats cost.
fn memory_per_seat(dir: &Path) {
    let socket = dir.join("mem.sock");
    let mut daemon = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--daemon-child")
        .arg(&socket)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(daemon.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert!(line.starts_with("READY"), "{line:?}");
    // One seat first: the runtime's and the protocol's one-off costs are not per seat.
    let mut one = spawn_seats(&socket, 1);
    std::thread::sleep(Duration::from_millis(500));
    let before = rss_of(daemon.id());
    let mut many = spawn_seats(&socket, SEATS);
    std::thread::sleep(Duration::from_millis(1000));
    let after = rss_of(daemon.id());
    for c in [&mut many, &mut one] {
        drop(c.stdin.take());
        let _ = c.wait();
    }
    drop(daemon.stdin.take());
    let _ = daemon.wait();
    println!(
        "daemon memory per attached seat: {:.1} KiB (daemon RSS {:.1} MB with 1 seat, {:.1} MB with {})",
        after.saturating_sub(before) as f64 / SEATS as f64,
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        SEATS + 1
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--seat-child") {
        seat_child(Path::new(&args[i + 1]));
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--daemon-child") {
        daemon_child(Path::new(&args[i + 1]));
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--seats-child") {
        seats_child(Path::new(&args[i + 1]), args[i + 2].parse().unwrap());
        return;
    }
    let conversations = arg("--conversations", 10_000);
    let messages = arg("--messages", 1_000_000);
    let dir: PathBuf = std::env::var_os("TRESEN_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "machine: {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    // The same store the perf bench builds (and reuses with --reuse).
    let path = dir.join(format!("bench-{conversations}-{messages}.db"));
    if !(args.iter().any(|a| a == "--reuse") && path.exists()) {
        let _ = std::fs::remove_file(&path);
        let store = SqliteStore::open(&path, Some(&KEY)).unwrap();
        let shared = SharedStore::new(Box::new(store));
        let rt = runtime();
        rt.block_on(async {
            let g = corpus::Generator {
                account: AccountId("bench".into()),
                conversations,
                messages,
                grouped: false,
            };
            let (engine, handle) =
                Engine::start(shared, vec![Box::new(g)], EngineOptions::default());
            let mut bus = handle.subscribe();
            let task = tokio::spawn(engine.run());
            while !matches!(
                bus.recv().await,
                Ok(Notification::CaughtUp) | Err(tokio::sync::broadcast::error::RecvError::Closed)
            ) {}
            handle.shutdown().await;
            let _ = task.await;
        });
        println!("store built: {messages} messages in {conversations} conversations");
    }
    let work = tempfile::tempdir_in(&dir).unwrap();
    let socket = work.path().join("tresen.sock");
    let store = SqliteStore::open(&path, Some(&KEY)).unwrap();
    let shared = tresen::profile::shared(store, None).unwrap();
    let rt = runtime();
    let served = rt.block_on(serve(
        shared,
        vec![],
        &work.path().join("archive"),
        &socket,
        None,
    ));
    first_frame(&socket);
    rt.block_on(round_trips(&socket));
    rt.block_on(fan_out(&socket));
    memory_per_seat(work.path());
    if let Some(n) = args
        .iter()
        .position(|a| a == "--fuzz")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse::<u64>().ok())
    {
        fuzz::count_panics();
        // On a small store of its own: the figure is the decoder's, not the store's.
        let stats = rt.block_on(async {
            let store = SharedStore::new(Box::new(SqliteStore::open_in_memory().unwrap()));
            let (engine, handle) = Engine::start(store, vec![], EngineOptions::default());
            let task = tokio::spawn(engine.run());
            let daemon = tresen::daemon::Daemon::new(
                handle.clone(),
                &Config::default(),
                socket.clone(),
                None,
            );
            let stats = fuzz::run(
                daemon,
                tresen::fsutil::own_uid(),
                0xdae,
                n,
                Duration::from_secs(3600),
            )
            .await;
            handle.shutdown().await;
            let _ = task.await;
            stats
        });
        println!(
            "fuzzed seat input: {} inputs in {:.1} s ({:.0}/s), {} answered, {} connections closed, {} panics",
            stats.inputs,
            stats.elapsed.as_secs_f64(),
            stats.inputs as f64 / stats.elapsed.as_secs_f64(),
            stats.answered,
            stats.closed,
            fuzz::PANICS.load(std::sync::atomic::Ordering::SeqCst)
        );
    }
    rt.block_on(served.stop());
    // Ingest with and without seats, alternated.
    let n = arg("--ingest", 100_000);
    let (mut none, mut twenty) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        none.push(ingest_with_seats(work.path(), 0, n));
        twenty.push(ingest_with_seats(work.path(), 20, n));
    }
    none.sort_by(f64::total_cmp);
    twenty.sort_by(f64::total_cmp);
    println!(
        "ingest of {n} messages (archive on): none attached {:.0} msg/s, 20 seats attached {:.0} msg/s (medians of 3, alternated): {:.1} % lower",
        none[1],
        twenty[1],
        (1.0 - twenty[1] / none[1]) * 100.0
    );
}
