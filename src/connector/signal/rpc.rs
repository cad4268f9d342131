//! A JSON-RPC client for signal-cli over any byte stream (its TCP or UNIX socket).
//!
//! Requests get increasing numeric ids; replies are matched by id because signal-cli
//! answers out of order. Notifications go to a channel. A malformed frame is logged and
//! skipped; an oversized one is dropped up to its newline without being buffered
//! whole. When the stream ends, every call still waiting fails with
//! [`CallError::Closed`] and the notification channel closes, so the owner can
//! reconnect.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{Mutex, mpsc, oneshot};

use super::frames::{self, Frame, MAX_FRAME, RpcError};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Rpc(#[from] RpcError),
    #[error("signal-cli did not answer `{method}` within {secs} s")]
    Timeout { method: String, secs: u64 },
    #[error("the connection to signal-cli is closed")]
    Closed,
}

type Pending = Arc<std::sync::Mutex<HashMap<u64, oneshot::Sender<Result<Value, RpcError>>>>>;

/// Set by the reader when the stream ended: a write may still "succeed" into a dead
/// socket, but no answer can come.
type Closed = Arc<std::sync::atomic::AtomicBool>;

/// What the reader saw that was not a reply: notifications, and frames it skipped
/// (so tests and the log can tell).
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Notification { method: String, params: Value },
    Skipped(String),
}

pub struct RpcClient {
    writer: Mutex<Box<dyn AsyncWrite + Send + Unpin>>,
    next_id: AtomicU64,
    pending: Pending,
    closed: Closed,
    /// The reader owns the other half of the stream: the connection only closes when
    /// it stops too (a daemon the user runs would otherwise keep a dead client).
    reader: tokio::task::AbortHandle,
}

impl Drop for RpcClient {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl RpcClient {
    /// Starts reading `stream`; returns the client and the channel of notifications.
    pub fn start<S>(stream: S) -> (Arc<RpcClient>, mpsc::Receiver<Incoming>)
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (read, write) = tokio::io::split(stream);
        let pending: Pending = Arc::default();
        let closed: Closed = Arc::default();
        let (tx, rx) = mpsc::channel(1024);
        let reader =
            tokio::spawn(read_loop(read, pending.clone(), closed.clone(), tx)).abort_handle();
        let client = Arc::new(RpcClient {
            writer: Mutex::new(Box::new(write)),
            next_id: AtomicU64::new(1),
            pending,
            closed,
            reader,
        });
        (client, rx)
    }

    /// One request; waits for its reply at most `timeout`.
    pub async fn call(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, CallError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut p) = self.pending.lock() {
            p.insert(id, tx);
        }
        // Checked after registering: either the reader's final clean-up drops our
        // waiter (→ Closed) or we see the flag here.
        if self.closed.load(Ordering::SeqCst) {
            if let Ok(mut p) = self.pending.lock() {
                p.remove(&id);
            }
            return Err(CallError::Closed);
        }
        let mut line = frames::request(id, method, params);
        line.push('\n');
        let written = {
            let mut w = self.writer.lock().await;
            match w.write_all(line.as_bytes()).await {
                Ok(()) => w.flush().await,
                Err(e) => Err(e),
            }
        };
        let forget = || {
            if let Ok(mut p) = self.pending.lock() {
                p.remove(&id);
            }
        };
        if written.is_err() {
            forget();
            return Err(CallError::Closed);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(result)) => result.map_err(CallError::from),
            Ok(Err(_)) => Err(CallError::Closed),
            Err(_) => {
                forget();
                Err(CallError::Timeout {
                    method: method.to_string(),
                    secs: timeout.as_secs(),
                })
            }
        }
    }
}

async fn read_loop<R: AsyncRead + Unpin>(
    mut read: R,
    pending: Pending,
    closed: Closed,
    incoming: mpsc::Sender<Incoming>,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    // Inside an oversized frame: drop bytes until its newline.
    let mut skipping = false;
    'stream: loop {
        let n = match read.read(&mut chunk).await {
            Ok(0) | Err(_) => break 'stream,
            Ok(n) => n,
        };
        let mut rest = &chunk[..n];
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            let (line, after) = rest.split_at(pos);
            rest = &after[1..];
            if skipping {
                skipping = false;
                buf.clear();
                continue;
            }
            buf.extend_from_slice(line);
            let frame = std::mem::take(&mut buf);
            if !handle_line(&frame, &pending, &incoming).await {
                break 'stream;
            }
        }
        if !skipping {
            buf.extend_from_slice(rest);
            if buf.len() > MAX_FRAME {
                tracing::warn!(bytes = buf.len(), "oversized frame from signal-cli skipped");
                let _ = incoming
                    .send(Incoming::Skipped(format!("frame over {MAX_FRAME} bytes")))
                    .await;
                buf.clear();
                skipping = true;
            }
        }
    }
    // The peer is gone (or nobody listens): nobody will answer the calls still waiting.
    closed.store(true, Ordering::SeqCst);
    if let Ok(mut p) = pending.lock() {
        p.clear();
    }
}

/// Returns false once nobody listens for notifications any more.
async fn handle_line(line: &[u8], pending: &Pending, incoming: &mpsc::Sender<Incoming>) -> bool {
    let text = String::from_utf8_lossy(line);
    let text = text.trim();
    if text.is_empty() {
        return true;
    }
    match frames::parse(text) {
        Ok(Frame::Reply { id, outcome }) => {
            let waiter = id.as_u64().and_then(|id| pending.lock().ok()?.remove(&id));
            match waiter {
                Some(w) => {
                    let _ = w.send(outcome);
                }
                None => {
                    tracing::warn!(%id, "reply for no waiting request (late or unknown id)");
                }
            }
            true
        }
        Ok(Frame::Notification { method, params }) => incoming
            .send(Incoming::Notification { method, params })
            .await
            .is_ok(),
        Err(e) => {
            tracing::warn!(error = %e, "frame from signal-cli skipped");
            incoming
                .send(Incoming::Skipped(e.to_string()))
                .await
                .is_ok()
        }
    }
}
