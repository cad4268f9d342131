//! Logging to a daily-rotated file; never to the terminal the TUI draws on.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::EnvFilter;

/// Starts file logging. `TRESEN_LOG` overrides the configured filter. A log directory
/// that cannot be created is reported and tresen runs without a log; losing the log is
/// better than refusing to show the inbox.
pub fn init(log_dir: &Path, level: &str, max_files: usize, prefix: &str) -> Option<WorkerGuard> {
    if let Err(e) = crate::fsutil::ensure_private_dir(log_dir) {
        eprintln!("tresen: logging disabled: {e}");
        return None;
    }
    let appender = match Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix(prefix)
        .filename_suffix("log")
        .max_log_files(max_files)
        .build(log_dir)
    {
        Ok(a) => a,
        Err(e) => {
            eprintln!(
                "tresen: logging disabled: cannot open log in {}: {e}",
                log_dir.display()
            );
            return None;
        }
    };
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = std::env::var("TRESEN_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| EnvFilter::try_new(level).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init();
    Some(guard)
}
