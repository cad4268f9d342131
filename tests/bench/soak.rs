//! Soak: the daemon (engine, archive, the demo firm's rules, the real Signal connector)
//! in a process of its own, fed by a scripted signal-cli at an office's pace with a
//! burst every few minutes, five seats attached that reload the inbox as the TUI does.
//! Every 10 s it samples the daemon's resident memory, open files, threads and live
//! tokio tasks. Prints the curve and whether it stayed flat; asserts nothing (issue 20).
//!
//!   cargo bench --bench soak                                # 30 minutes
//!   cargo bench --bench soak -- --minutes 5 --every 5       # a short look
//!   cargo bench --bench soak -- --rate 5 --burst 20000 --burst-every 300
//!
//! Growth is judged after a warm-up (a fifth of the run, at least 60 s): the largest
//! sample against the first one after it.

#[path = "args.rs"]
mod args;
#[path = "served.rs"]
mod served;
#[path = "signal_peer.rs"]
mod signal_peer;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use args::{arg, runtime, status_of};
use signal_peer::{OWN, notification, peer};
use tresen::app::Query;
use tresen::connector::signal::{Endpoint, SignalConnector};
use tresen::domain::AccountId;
use tresen::seat::Seat as _;
use tresen::seat::remote::Remote;
use tresen::store::SqliteStore;

const SEATS: usize = 5;

/// One sample of the daemon process.
#[derive(Clone, Copy, Default)]
struct Sample {
    at_s: u64,
    rss_kib: u64,
    fds: u64,
    threads: u64,
    tasks: u64,
    stored: u64,
    db_kib: u64,
}

fn proc_value(pid: u32, field: &str) -> u64 {
    status_of(&pid.to_string(), field)
}

fn open_files(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64)
}

/// In a process of its own: the daemon on `dir`, its Signal account talking to the
/// scripted peer on `signal`, serving seats on `socket`. Prints its live task count and
/// stored messages whenever a line arrives on stdin; stops when stdin closes.
fn daemon_child(dir: &Path, signal: &Path, socket: &Path) {
    let rt = runtime();
    rt.block_on(async {
        let sqlite = SqliteStore::open(&dir.join("store.db"), Some(&[7; 32])).unwrap();
        let store = tresen::profile::shared(sqlite, None).unwrap();
        let connector = SignalConnector::new(
            AccountId("signal-buero".into()),
            OWN.into(),
            Endpoint::Socket(signal.into()),
            vec![],
        );
        let served = served::serve(
            store,
            vec![Box::new(connector)],
            &dir.join("archive"),
            socket,
            Some(tresen::demo::compliance()),
        )
        .await;
        let handle = served.handle.clone();
        println!("READY");
        let metrics = tokio::runtime::Handle::current().metrics();
        // A line on stdin asks for a sample; stdin closing stops the daemon.
        let (ask, mut asked) = tokio::sync::mpsc::channel::<()>(1);
        std::thread::spawn(move || {
            for line in std::io::stdin().lines() {
                if line.is_err() || ask.blocking_send(()).is_err() {
                    return;
                }
            }
        });
        while asked.recv().await.is_some() {
            let stored = handle
                .store()
                .read(|s| s.stats().map(|s| s.messages).unwrap_or(0));
            // The store's file: SQLite's page cache (up to 96 + 16 MiB) grows with it.
            let db_kib = ["store.db", "store.db-wal"]
                .iter()
                .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
                .map(|m| m.len() / 1024)
                .sum::<u64>();
            println!("TASKS {} {stored} {db_kib}", metrics.num_alive_tasks());
        }
        served.stop().await;
    });
}

/// In a process of its own: `n` seats attach and reload the inbox after each change,
/// at most once a second each, as the TUI does; until stdin closes.
fn seats_child(socket: &Path, n: usize) {
    let rt = runtime();
    rt.block_on(async {
        let mut seats = Vec::new();
        for i in 0..n {
            let remote = Remote::attach(socket, &format!("soak-{i}"), tresen::app::i18n::Lang::De)
                .await
                .unwrap();
            let mut bus = remote.subscribe();
            let r = remote.clone();
            seats.push(tokio::spawn(async move {
                let mut last = Instant::now() - Duration::from_secs(1);
                loop {
                    match bus.recv().await {
                        Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(_) => return,
                    }
                    if last.elapsed() >= Duration::from_secs(1) {
                        last = Instant::now();
                        let r = r.clone();
                        let _ = tokio::task::spawn_blocking(move || r.load(Query::Inbox)).await;
                    }
                }
            }));
        }
        println!("ATTACHED {n}");
        let _ = tokio::task::spawn_blocking(|| {
            let mut s = String::new();
            let _ = std::io::stdin().read_line(&mut s);
        })
        .await;
    });
}

fn spawn_child(
    args: &[&std::ffi::OsStr],
    ready: &str,
) -> (std::process::Child, BufReader<std::process::ChildStdout>) {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.starts_with(ready), "child said {line:?}");
    (child, out)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--daemon-child") {
        daemon_child(
            Path::new(&args[i + 1]),
            Path::new(&args[i + 2]),
            Path::new(&args[i + 3]),
        );
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--seats-child") {
        seats_child(Path::new(&args[i + 1]), args[i + 2].parse().unwrap());
        return;
    }
    let minutes = arg("--minutes", 30) as u64;
    let every = arg("--every", 10).max(1) as u64;
    // An office's pace: a message every few seconds on average…
    let rate = arg("--rate", 2).max(1);
    // …and every few minutes a burst (a bridge catching up, a group's busy hour).
    let burst = arg("--burst", 10_000);
    let burst_every = arg("--burst-every", 300).max(1) as u64;
    let customers = arg("--customers", 2_000).max(1);
    println!(
        "soak: {minutes} min, {rate} msg/s from {customers} customers, a burst of {burst} every {burst_every} s, {SEATS} seats; sampled every {every} s"
    );
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let signal = dir.path().join("signal-cli.sock");
    let socket = dir.path().join("daemon.sock");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    rt.block_on(async {
        let say = peer(&signal);
        let (mut daemon, mut daemon_out) = tokio::task::block_in_place(|| {
            spawn_child(
                &[
                    "--daemon-child".as_ref(),
                    data.as_os_str(),
                    signal.as_os_str(),
                    socket.as_os_str(),
                ],
                "READY",
            )
        });
        let (mut seats, _) = tokio::task::block_in_place(|| {
            spawn_child(
                &[
                    "--seats-child".as_ref(),
                    socket.as_os_str(),
                    SEATS.to_string().as_ref(),
                ],
                "ATTACHED",
            )
        });
        let pid = daemon.id();
        let t0_ms = 1_767_225_600_000i64;
        let start = Instant::now();
        let end = start + Duration::from_secs(minutes * 60);
        let mut sent = 0usize;
        let mut next_burst = start + Duration::from_secs(burst_every);
        let mut next_sample = start;
        let mut samples: Vec<Sample> = Vec::new();
        println!("   t/s   RSS/MB  files  threads  tasks  stored  store/MB");
        while Instant::now() < end {
            if Instant::now() >= next_sample {
                next_sample += Duration::from_secs(every);
                let mut stdin = daemon.stdin.take().unwrap();
                let line = tokio::task::block_in_place(|| {
                    writeln!(stdin, "sample").unwrap();
                    let mut line = String::new();
                    daemon_out.read_line(&mut line).unwrap();
                    line
                });
                daemon.stdin = Some(stdin);
                let mut it = line.split_whitespace().skip(1);
                let s = Sample {
                    at_s: start.elapsed().as_secs(),
                    rss_kib: proc_value(pid, "VmRSS:"),
                    fds: open_files(pid),
                    threads: proc_value(pid, "Threads:"),
                    tasks: it.next().and_then(|v| v.parse().ok()).unwrap_or(0),
                    stored: it.next().and_then(|v| v.parse().ok()).unwrap_or(0),
                    db_kib: it.next().and_then(|v| v.parse().ok()).unwrap_or(0),
                };
                println!(
                    "{:>6} {:>8.1} {:>6} {:>8} {:>6} {:>7} {:>9.1}",
                    s.at_s,
                    s.rss_kib as f64 / 1024.0,
                    s.fds,
                    s.threads,
                    s.tasks,
                    s.stored,
                    s.db_kib as f64 / 1024.0
                );
                samples.push(s);
            }
            if Instant::now() >= next_burst {
                next_burst += Duration::from_secs(burst_every);
                for _ in 0..burst {
                    let text = format!("Nachricht {sent}: Heizung prüfen, bitte Rückruf");
                    say.send(notification(sent % customers, t0_ms + sent as i64, &text))
                        .await
                        .unwrap();
                    sent += 1;
                }
            }
            let text = format!("Nachricht {sent}: Wann kommt der Monteur?");
            say.send(notification(sent % customers, t0_ms + sent as i64, &text))
                .await
                .unwrap();
            sent += 1;
            tokio::time::sleep(Duration::from_millis(1000 / rate as u64)).await;
        }
        drop(seats.stdin.take());
        let _ = seats.wait();
        drop(daemon.stdin.take());
        let _ = daemon.wait();
        let warm = (minutes * 60 / 5).max(60);
        let after: Vec<&Sample> = samples.iter().filter(|s| s.at_s >= warm).collect();
        let Some(first) = after.first() else {
            println!("too short to judge growth after a {warm} s warm-up");
            return;
        };
        let growth = |f: fn(&Sample) -> u64| {
            let max = after.iter().map(|s| f(s)).max().unwrap_or(0);
            let base = f(first).max(1);
            (max as f64 / base as f64 - 1.0) * 100.0
        };
        println!(
            "after the {warm} s warm-up ({} samples): growth of the largest over the first: RSS {:+.1} %, open files {:+.1} %, threads {:+.1} %, tasks {:+.1} %; {} messages sent",
            after.len(),
            growth(|s| s.rss_kib),
            growth(|s| s.fds),
            growth(|s| s.threads),
            growth(|s| s.tasks),
            sent
        );
    });
}
