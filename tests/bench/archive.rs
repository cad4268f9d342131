//! Archive figures (issue 5): durable append with group commit, verify of 1,000,000
//! records, auditor export of 100,000 messages. `cargo bench --bench archive`;
//! results in docs/performance.md. Prints numbers, asserts nothing about time.

use std::time::Instant;

use tresen::archive::export::{self, Collection, Row, Supplier};
use tresen::archive::{Archive, Entry, Payload, Scope, keys::Keys, read, verify};
use tresen::domain::*;
use tresen::secrets::MasterKey;

fn key() -> MasterKey {
    MasterKey::from_bytes(&[9u8; 32]).unwrap()
}

fn message(i: u64) -> Entry {
    let conv = format!("+4917{:06}", i % 3_000);
    let at = Timestamp(1_735_000_000_000 + i as i64 * 1_000);
    Entry {
        scope: Scope::conversation("buero", &conv, at),
        payload: Payload::Message(IncomingMessage {
            account: AccountId("buero".into()),
            conversation_remote_id: conv.clone(),
            remote_id: format!("{conv}/{i}"),
            kind: MessageKind::Chat,
            direction: Direction::Inbound,
            sender: "Kunde".into(),
            body: format!(
                "Guten Tag, bei uns ist die Heizung ausgefallen (Nachricht {i}). Können Sie morgen vorbeikommen?"
            ),
            attachments: Vec::new(),
            sent_at: at,
            received_at: at,
            raw: Some(format!(
                "{{\"envelope\":{{\"source\":\"{conv}\",\"timestamp\":{},\"dataMessage\":{{\"message\":\"Nachricht {i}\"}}}}}}",
                at.0
            )),
            history: false,
        }),
    }
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn append(dir: &std::path::Path, total: u64, batch: u64) -> (f64, u64, f64) {
    let (mut a, _) = Archive::open(dir, &key()).unwrap();
    let start = Instant::now();
    let mut i = 0;
    while i < total {
        let n = batch.min(total - i);
        a.append((i..i + n).map(message).collect()).unwrap();
        i += n;
    }
    let secs = start.elapsed().as_secs_f64();
    (total as f64 / secs, a.fsyncs(), a.fsyncs() as f64 / secs)
}

fn main() {
    let tmp =
        tempfile::tempdir_in(std::env::var("TRESEN_BENCH_DIR").unwrap_or_else(|_| ".".into()))
            .unwrap();
    println!(
        "archive bench (release build, {} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // TRESEN_BENCH_ONLY=verify skips the append and export parts.
    let only_verify = std::env::var("TRESEN_BENCH_ONLY").is_ok_and(|v| v == "verify");
    let appends: &[(u64, u64)] = if only_verify {
        &[]
    } else {
        &[(1, 2_000), (100, 100_000), (1_000, 200_000)]
    };
    for &(batch, total) in appends {
        let d = tmp.path().join(format!("append-{batch}"));
        let (rate, fsyncs, per_s) = append(&d, total, batch);
        println!(
            "append: {total} records in batches of {batch}: {rate:.0} records/s, {fsyncs} fsyncs ({per_s:.0}/s)"
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    // 1,000,000 records, as a busy office would gather over years.
    let d = tmp.path().join("million").join("archive");
    let (rate, _, _) = append(&d, 1_000_000, 4_096);
    let size: u64 = std::fs::read_dir(&d)
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "built 1,000,000 records ({rate:.0} records/s), {:.0} MiB on disk ({:.0} B/record)",
        size as f64 / 1048576.0,
        size as f64 / 1e6
    );
    // TRESEN_BENCH_VERIFY_RUNS=n verifies n times (for a profiler: `perf record` then
    // sees the verifier, not the build).
    let runs: usize = std::env::var("TRESEN_BENCH_VERIFY_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    for _ in 0..runs {
        let start = Instant::now();
        let report =
            verify::verify(&d, &key(), &verify::Options::default(), &mut |_, _| {}).unwrap();
        let secs = start.elapsed().as_secs_f64();
        assert!(report.ok, "{:?}", report.problem);
        println!(
            "verify: {} records ({} segments, {} sealed) in {secs:.2} s = {:.0} records/s (goal: 1,000,000 in ≤ 2 s)",
            report.records,
            report.segments,
            report.sealed,
            report.records as f64 / secs
        );
    }
    if runs > 1 {
        return;
    }

    // What `compliance check` reads of it (issue 18): the newest check records (none
    // here: the worst case, every segment scanned) and one pass counting what the
    // records show, with the retention plan.
    let store = tresen::store::SqliteStore::open_in_memory().unwrap();
    let start = Instant::now();
    let facts = tresen::findings::archive::ArchiveFacts::read(
        d.parent().unwrap(),
        &key(),
        &store,
        &tresen::config::Config::default(),
    );
    let secs = start.elapsed().as_secs_f64();
    let facts = facts.unwrap();
    println!(
        "compliance check's archive facts: 1,000,000 records in {secs:.2} s ({} parts past their period; beside the engine, not in its loop)",
        facts.counts.expired
    );

    if only_verify {
        return;
    }
    // Export of 100,000 messages: read, decrypt, collect and write the auditor's files.
    let e = tmp.path().join("export-src");
    append(&e, 100_000, 4_096);
    let start = Instant::now();
    let mut keys = Keys::load(&e, &key(), true).unwrap();
    let mut c = Collection::default();
    read::for_each(&e, &mut keys, 1, |r| {
        c.add(r, &|_, _| true);
        Ok(())
    })
    .unwrap();
    let rows: Vec<(&Row, String, String)> = c
        .rows
        .iter()
        .map(|r| (r, r.conversation.clone(), "handelsbrief".to_string()))
        .collect();
    let out = tmp.path().join("export-out");
    let from = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let supplier = Supplier {
        name: "Bench GmbH",
        location: "Berlin",
        comment: "",
    };
    let files = export::auditor(&rows, &[], &supplier, from, to);
    export::write_tree(&out, &files).unwrap();
    let n = rows.len();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "export: {n} messages (CSV, index.xml, {n} originals, manifest) in {secs:.2} s (goal ≤ 10 s)"
    );
    println!("peak RSS: {:.0} MB", rss_mb());
}
