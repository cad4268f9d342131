//! Logging to a daily-rotated file; never to the terminal the TUI draws on.

use std::path::Path;

use tracing::{Event, Level, Metadata};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::FilterExt as _;
use tracing_subscriber::layer::{Context, Filter, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

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
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_filter(filter.and(NotFoundIsNoError));
    let _ = tracing_subscriber::registry().with(layer).try_init();
    Some(guard)
}

/// matrix-sdk logs every failed HTTP request as an ERROR, also the 404 that is its own
/// way of learning something is absent (a bridged portal has no `m.room.encryption`
/// state: asked once per room before the first send). Those are dropped; every other
/// error stays, and tresen logs what a failure means where it handles it.
struct NotFoundIsNoError;

impl<S> Filter<S> for NotFoundIsNoError {
    fn enabled(&self, _: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &Event<'_>, _: &Context<'_, S>) -> bool {
        let meta = event.metadata();
        if *meta.level() != Level::ERROR || !meta.target().starts_with("matrix_sdk::http_client") {
            return true;
        }
        let mut text = Text(String::new());
        event.record(&mut text);
        !not_found(&text.0)
    }
}

/// A matrix-sdk request error that is the server saying "not there" (HTTP 404).
fn not_found(message: &str) -> bool {
    message.contains("status_code: 404") || message.contains("NotFound")
}

struct Text(String);

impl tracing::field::Visit for Text {
    fn record_debug(&mut self, _: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        let _ = write!(self.0, "{value:?} ");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_404_is_no_error_other_failures_are() {
        assert!(super::not_found(
            "Error while sending request: Api(Server(ClientApi(Error { status_code: 404, body: Standard(StandardErrorBody { kind: NotFound, message: \"Event not found.\" }) })))"
        ));
        assert!(!super::not_found(
            "Error while sending request: Api(Server(ClientApi(Error { status_code: 502, body: … })))"
        ));
    }
}
