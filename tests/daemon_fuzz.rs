//! The daemon's seat handling under random and mutated input, in a test binary of its
//! own: the panic counter must see only this test's panics.

mod support;

use std::time::Duration;

use support::*;

const HELLO: &str =
    r#"{"jsonrpc":"2.0","id":1,"method":"hello","params":{"protocol":2,"client":"test"}}"#;

/// What the daemon decodes and handles from a seat, fed random and mutated lines: no
/// panic, every answer a JSON line, and the daemon still serves afterwards. Bounded to
/// `TRESEN_FUZZ_SECS` (default 20 s) here; the bench runs a million inputs.
#[test]
fn a_fuzzed_seat_never_takes_the_daemon_down() {
    use tresen::connector::{FakeConnector, ScriptStep};
    use tresen::store::{SharedStore, SqliteStore};
    support::fuzz::count_panics();
    let secs = std::env::var("TRESEN_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let fake = FakeConnector::new(account()).with_script(vec![
            ScriptStep::Emit(tresen::connector::ConnectorEvent::Conversation(
                match conversation("c1", "Erika Mustermann", tresen::domain::Channel::Signal) {
                    tresen::store::Op::UpsertConversation(u) => u,
                    _ => unreachable!(),
                },
            )),
        ]);
        let store = SharedStore::new(Box::new(SqliteStore::open_in_memory().unwrap()));
        let run = support::engine::running(store, vec![Box::new(fake)]).await;
        let daemon = tresen::daemon::Daemon::new(
            run.handle.clone(),
            &tresen::config::Config::default(),
            "/nonexistent/tresen.sock".into(), None);
        let uid = tresen::fsutil::own_uid();
        let stats = support::fuzz::run(
            std::sync::Arc::clone(&daemon),
            uid,
            0x7e5e,
            1_000_000,
            Duration::from_secs(secs),
        )
        .await;
        eprintln!(
            "fuzzed the daemon's seat handling: {} inputs in {:.1} s, {} answered, {} connections closed",
            stats.inputs,
            stats.elapsed.as_secs_f64(),
            stats.answered,
            stats.closed
        );
        assert!(stats.inputs > 1000, "too few inputs to mean anything");
        assert!(stats.closed > 0 && stats.answered > 0);
        assert_eq!(
            support::fuzz::PANICS.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "a panic while fuzzing"
        );
        // Still serving: a fresh seat attaches and gets its status.
        let mut s = tresen::daemon::server::Session::new(daemon, Some(uid));
        assert!(matches!(
            s.line(HELLO.as_bytes()).await,
            tresen::daemon::server::Step::Answer(_)
        ));
        let tresen::daemon::server::Step::Answer(a) = s
            .line(br#"{"jsonrpc":"2.0","id":2,"method":"status"}"#)
            .await
        else {
            panic!("no status")
        };
        assert!(a.contains("\"seats\""), "{a}");
        run.handle.shutdown().await;
    });
}
