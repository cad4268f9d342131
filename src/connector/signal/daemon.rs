//! Starting signal-cli's JSON-RPC daemon and connecting to it.
//!
//! tresen runs `signal-cli daemon` in multi-account mode on a UNIX socket in a 0700
//! directory of the profile (a loopback TCP port would be open to every local user)
//! with `--receive-mode manual`, so nothing is received before tresen subscribes and
//! can store it. The child is killed when the handle is dropped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::net::UnixStream;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use super::rpc::{CallError, Incoming, RpcClient};
use super::version::{self, VersionCheck};

#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// The `signal-cli` launcher.
    pub signal_cli: PathBuf,
    /// signal-cli's own data (the account's keys): back it up, see docs/signal.md.
    pub data_dir: PathBuf,
    /// Where the socket lives; created 0700.
    pub run_dir: PathBuf,
    /// A Java runtime for the JVM build of signal-cli (else the one on PATH).
    pub java_home: Option<PathBuf>,
    /// How long the JVM may take to open its socket.
    pub start_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("cannot start {path}: {source} (set signal.cli_path in the config; docs/signal.md)")]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("signal-cli stopped right after starting (exit {code:?}): {stderr}")]
    Exited { code: Option<i32>, stderr: String },
    #[error("signal-cli did not open its socket within {0} s")]
    NoSocket(u64),
    #[error("cannot prepare {path}: {detail}")]
    RunDir { path: PathBuf, detail: String },
    #[error("signal-cli does not answer: {0}")]
    Rpc(#[from] CallError),
}

/// A running signal-cli daemon and the connection to it.
pub struct SignalDaemon {
    child: Child,
    pub client: Arc<RpcClient>,
    pub version: String,
    pub version_check: VersionCheck,
}

impl SignalDaemon {
    /// Starts the daemon, waits for its socket, connects and asks its version.
    pub async fn start(
        cfg: &DaemonConfig,
    ) -> Result<(SignalDaemon, mpsc::Receiver<Incoming>), DaemonError> {
        crate::fsutil::ensure_private_dir(&cfg.run_dir).map_err(|e| DaemonError::RunDir {
            path: cfg.run_dir.clone(),
            detail: e.to_string(),
        })?;
        let socket = cfg.run_dir.join("signal-cli.sock");
        let _ = std::fs::remove_file(&socket);
        let mut cmd = Command::new(&cfg.signal_cli);
        cmd.arg("--config")
            .arg(&cfg.data_dir)
            .arg("daemon")
            .arg("--socket")
            .arg(&socket)
            .arg("--receive-mode")
            .arg("manual")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(java) = &cfg.java_home {
            cmd.env("JAVA_HOME", java);
        }
        let mut child = cmd.spawn().map_err(|source| DaemonError::Spawn {
            path: cfg.signal_cli.clone(),
            source,
        })?;
        // Drained all the time: a full stderr pipe would block the JVM.
        let tail: Tail = Arc::default();
        if let Some(stderr) = child.stderr.take() {
            let tail = tail.clone();
            tokio::spawn(async move {
                use tokio::io::AsyncBufReadExt;
                let mut lines = tokio::io::BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    tracing::info!(target: "signal_cli", "{line}");
                    if let Ok(mut t) = tail.lock() {
                        if t.len() == 20 {
                            t.pop_front();
                        }
                        t.push_back(line);
                    }
                }
            });
        }
        let stream = wait_for_socket(&mut child, &socket, cfg.start_timeout, &tail).await?;
        let (client, incoming) = RpcClient::start(stream);
        let answer = client
            .call("version", Value::Null, Duration::from_secs(10))
            .await?;
        let version = answer["version"].as_str().unwrap_or("?").to_string();
        let version_check = version::check(&version);
        if let Some(w) = version_check.warning() {
            tracing::warn!("{w}");
        }
        Ok((
            SignalDaemon {
                child,
                client,
                version,
                version_check,
            },
            incoming,
        ))
    }

    /// Stops the daemon (SIGKILL; signal-cli keeps its state consistent on disk).
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// The last lines signal-cli wrote to stderr, for error messages.
type Tail = Arc<std::sync::Mutex<std::collections::VecDeque<String>>>;

async fn wait_for_socket(
    child: &mut Child,
    socket: &Path,
    timeout: Duration,
    tail: &Tail,
) -> Result<UnixStream, DaemonError> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(s) = UnixStream::connect(socket).await {
            return Ok(s);
        }
        if let Ok(Some(status)) = child.try_wait() {
            // Give the drain task a moment to read the last words.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let stderr = tail
                .lock()
                .map(|t| {
                    t.iter()
                        .rev()
                        .take(5)
                        .rev()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" | ")
                })
                .unwrap_or_default();
            return Err(DaemonError::Exited {
                code: status.code(),
                stderr,
            });
        }
        if Instant::now() > deadline {
            return Err(DaemonError::NoSocket(timeout.as_secs()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
