//! Signal connector figures: a scripted signal-cli on a UNIX socket streams receive
//! notifications into the whole engine and its encrypted store. Prints numbers,
//! asserts nothing (issue 4 asks for ≥ 20,000 messages/s and p95 ≤ 50 ms).
//!
//!   cargo bench --bench signal                          # 100,000 notifications
//!   cargo bench --bench signal -- --messages 10000 --latency 200
//!   cargo bench --bench signal -- --archive 1     # with the retention archive

#[path = "args.rs"]
mod args;
#[path = "signal_peer.rs"]
mod signal_peer;

use args::{arg, peak_rss_kib, rss_kib};
use signal_peer::{OWN, notification, peer};

use std::time::{Duration, Instant};

use tresen::connector::signal::{Endpoint, SignalConnector};
use tresen::domain::{AccountId, Timestamp};
use tresen::engine::{Engine, EngineOptions, Notification};
use tresen::store::{SharedStore, SqliteStore};

fn main() {
    let n = arg("--messages", 100_000);
    let customers = arg("--customers", 1_000).max(1);
    let probes = arg("--latency", 500);
    let with_archive = arg("--archive", 0) == 1;
    // --compliance 1: the rules as the daemon runs them (the demo firm's footer, consent
    // keywords, a first-contact notice to each new customer).
    let with_compliance = arg("--compliance", 0) == 1;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    println!(
        "signal bench: {n} notifications from {customers} customers, then {probes} single messages{}",
        if with_archive {
            ", with the archive"
        } else {
            ""
        }
    );
    if with_compliance {
        println!("  with the compliance rules: every new customer gets the first-contact notice");
    }
    rt.block_on(async {
        let socket = dir.path().join("signal-cli.sock");
        let say = peer(&socket);
        // Encrypted like a real profile's store.
        let sqlite = SqliteStore::open(&dir.path().join("store.db"), Some(&[7; 32])).unwrap();
        let store: SharedStore = tresen::profile::shared(sqlite, None).unwrap();
        let connector = SignalConnector::new(
            AccountId("signal-buero".into()),
            OWN.into(),
            Endpoint::Socket(socket),
            vec![],
        );
        let (engine, h) =
            Engine::start(store, vec![Box::new(connector)], EngineOptions::default());
        let engine = if with_compliance {
            engine.with_compliance(tresen::demo::compliance())
        } else {
            engine
        };
        // --archive 1: as the TUI and daemon run it, every batch archived (and synced)
        // before it is stored.
        let engine = if with_archive {
            let key = tresen::secrets::MasterKey::from_bytes(&[7; 32]).unwrap();
            let (archive, _) =
                tresen::archive::Archive::open(&dir.path().join("archive"), &key).unwrap();
            engine.with_archive(archive, None, "bench".into()).unwrap()
        } else {
            engine
        };
        let mut bus = h.subscribe();
        let task = tokio::spawn(engine.run());
        while !matches!(bus.recv().await, Ok(Notification::CaughtUp)) {}
        let rss_before = rss_kib();

        // Throughput: the whole stream, timed from the first line written until the
        // last message is committed.
        let t0_ms = 1_767_225_600_000i64;
        let start = Instant::now();
        let writer = {
            let say = say.clone();
            tokio::task::spawn_blocking(move || {
                for i in 0..n {
                    let text = format!("Nachricht {i}: Heizung prüfen, bitte Rückruf");
                    say.blocking_send(notification(i % customers, t0_ms + i as i64, &text))
                        .unwrap();
                }
            })
        };
        // With the rules, each customer's first-contact notice is stored beside the stream.
        let expected = n + if with_compliance { customers.min(n) } else { 0 };
        loop {
            let stored = h.store().read(|s| s.stats().unwrap().messages) as usize;
            if stored >= expected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let took = start.elapsed();
        writer.await.unwrap();
        let stats = h.store().read(|s| s.stats().unwrap());
        println!(
            "ingest: {} messages in {} conversations in {:.2} s = {:.0} messages/s",
            stats.messages,
            stats.conversations,
            took.as_secs_f64(),
            stats.messages as f64 / took.as_secs_f64()
        );
        println!(
            "memory: RSS {} MB before, {} MB after, peak {} MB (bench process: engine, store and peer)",
            rss_before / 1024,
            rss_kib() / 1024,
            peak_rss_kib() / 1024
        );

        // With the rules, every one of the stream's customers is new and gets the
        // first-contact notice (issue 14: Signal delivers no history, so all of it
        // arrived). Counted until the peer answered the last.
        if with_compliance {
            let settle = Instant::now();
            loop {
                let sends = h.sends();
                if sends.handed.len() >= customers && sends.in_flight.is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            println!(
                "first-contact notices: {} handed over, the last answered {:.2} s after the stream was stored ({:.0} s in all)",
                h.sends().handed.len(),
                settle.elapsed().as_secs_f64(),
                start.elapsed().as_secs_f64()
            );
        }

        // Latency: one message at a time, from the peer writing it to visible in the
        // store (the engine tells the UI; the UI reads it back).
        let mut latencies = Vec::with_capacity(probes);
        for i in 0..probes {
            while bus.try_recv().is_ok() {}
            let sent = Timestamp::now();
            let text = format!("Einzelne Nachricht {i}");
            say.send(notification(customers + i % 10, sent.0, &text))
                .await
                .unwrap();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            'wait: loop {
                match tokio::time::timeout_at(deadline, bus.recv()).await {
                    Err(_) => panic!("message {i} did not arrive within 10 s"),
                    Ok(Ok(Notification::Conversation(id))) => {
                        // The newest few: the rules may have answered it already.
                        let newest = h.store().read(|s| s.messages(id, None, 3).unwrap());
                        if newest.iter().any(|m| m.body == text) {
                            latencies.push(Timestamp::now().0 - sent.0);
                            break 'wait;
                        }
                    }
                    Ok(_) => {}
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        latencies.sort_unstable();
        let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        println!(
            "peer to store: {} messages, p50 {} ms, p95 {} ms, p99 {} ms, max {} ms",
            latencies.len(),
            pct(0.5),
            pct(0.95),
            pct(0.99),
            latencies.last().copied().unwrap_or(0)
        );
        h.shutdown().await;
        let _ = task.await;
    });
}
