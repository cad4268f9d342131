//! What the bench binaries need: command-line numbers and the process's memory.

/// `--name N` from the command line, or `default`.
pub fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident memory of this process in KiB (Linux; 0 elsewhere).
#[allow(dead_code)]
pub fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

/// The most resident memory this process has had, in KiB (Linux; 0 elsewhere).
#[allow(dead_code)]
pub fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}

fn status_kib(field: &str) -> u64 {
    status_of("self", field)
}

/// A number from `/proc/<pid>/status` (`VmRSS:`, `Threads:`, …; 0 if unreadable).
#[allow(dead_code)]
pub fn status_of(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// The runtime tresen itself uses: two workers.
#[allow(dead_code)]
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The `p` quantile of sorted durations.
#[allow(dead_code)]
pub fn pct(sorted: &[std::time::Duration], p: f64) -> std::time::Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[allow(dead_code)]
pub fn ms(d: std::time::Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// "p50 …, p95 …, max … over N" of `times` (sorted here).
#[allow(dead_code)]
pub fn spread(times: &mut [std::time::Duration]) -> String {
    times.sort();
    format!(
        "p50 {}, p95 {}, max {} over {}",
        ms(pct(times, 0.5)),
        ms(pct(times, 0.95)),
        ms(times[times.len() - 1]),
        times.len()
    )
}

/// CPU seconds (user + system) this process has used so far (Linux; 0 elsewhere).
#[allow(dead_code)]
pub fn cpu_seconds() -> f64 {
    cpu_seconds_of("self")
}

/// CPU seconds (user + system) process `pid` has used so far, its waited-for children
/// included (Linux; 0 if unreadable).
#[allow(dead_code)]
pub fn cpu_seconds_of(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces), from field 3 on.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    // utime, stime are fields 14 and 15 (indices 11, 12 here), in clock ticks of 1/100 s.
    (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) / 100.0
}
