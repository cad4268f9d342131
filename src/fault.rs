//! Crash points for the tests that prove nothing is lost or sent twice when tresen dies
//! mid-send (`tests/matrix.rs`, `tests/signal_engine.rs`).
//!
//! Debug builds only: with `TRESEN_TEST_FAULT=<point>` set, the process aborts at that
//! point, as a power cut or `kill -9` would stop it. Release builds have no such points.
//! The points: `after-queue` (a send stored and archived, no connector has it),
//! `after-attempt` (marked as handed over, the connector does not have it yet),
//! `before-send-result` (the network took a message, tresen has not stored that).

/// Aborts the process here if `TRESEN_TEST_FAULT` names this point (debug builds).
#[inline]
pub fn point(name: &str) {
    #[cfg(debug_assertions)]
    {
        static WANTED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        let wanted = WANTED.get_or_init(|| std::env::var("TRESEN_TEST_FAULT").ok());
        if wanted.as_deref() == Some(name) {
            tracing::warn!(point = name, "TRESEN_TEST_FAULT: aborting here");
            std::process::abort();
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = name;
}
