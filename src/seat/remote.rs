//! A seat attached to the daemon over its socket. One task owns the connection: it
//! writes requests in the order they were made, matches answers by id, passes `notify`
//! tags on, and when the daemon goes away tells the app (a [`Notification::Seat`]),
//! fails what was under way and reconnects by itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::io::{AsyncWriteExt as _, BufReader};
use tokio::net::UnixStream;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::app::i18n::Lang;
use crate::app::{Loaded, Query, SeatView};
use crate::domain::MessageId;
use crate::engine::Notification;
use crate::protocol::lines::read_line;
use crate::protocol::{
    Bye, Done, FetchParams, Hello, HelloParams, Incoming, MAX_LINE, Order, Request, RpcError,
    Status, VERSION, WireFile, code,
};

/// How long a seat waits between attempts to reach a daemon that went away.
const RECONNECT: Duration = Duration::from_millis(300);
/// A daemon that sends half a line and stops is treated as gone.
const STALL: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, thiserror::Error)]
pub enum SeatError {
    /// Nothing listens there (no daemon, or a stale socket).
    #[error("no daemon at {0}")]
    NoDaemon(PathBuf),
    #[error("{0}")]
    Refused(String),
    #[error("the daemon speaks protocol {daemon}, this tresen {ours}: {message}")]
    Version {
        daemon: String,
        ours: u32,
        message: String,
    },
    #[error("{0}")]
    Lost(String),
}

type Reply = oneshot::Sender<Result<Box<RawValue>, RpcError>>;

struct Call {
    method: &'static str,
    params: Box<RawValue>,
    reply: Reply,
}

struct Shared {
    view: Mutex<SeatView>,
    hello: Mutex<Hello>,
    bus: broadcast::Sender<Notification>,
    lang: Lang,
}

/// A cheap, cloneable handle on the connection to the daemon.
#[derive(Clone)]
pub struct Remote {
    calls: mpsc::UnboundedSender<Call>,
    shared: Arc<Shared>,
}

/// The connection is lost: the answer to everything under way.
fn lost(lang: Lang) -> RpcError {
    RpcError {
        code: code::ENGINE,
        message: lang
            .t(
                "Verbindung zum Dienst unterbrochen; nichts davon ist angekommen",
                "connection to the daemon lost; none of this arrived",
            )
            .into(),
    }
}

async fn handshake(
    socket: &Path,
    client: &str,
) -> Result<
    (
        BufReader<tokio::net::unix::OwnedReadHalf>,
        tokio::net::unix::OwnedWriteHalf,
        Hello,
    ),
    SeatError,
> {
    let stream = UnixStream::connect(socket)
        .await
        .map_err(|_| SeatError::NoDaemon(socket.to_path_buf()))?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let hello = Request::new(
        0,
        "hello",
        crate::protocol::raw(&HelloParams {
            protocol: VERSION,
            client: client.into(),
        }),
    );
    let mut line = serde_json::to_string(&hello).unwrap_or_default();
    line.push('\n');
    write
        .write_all(line.as_bytes())
        .await
        .map_err(|e| SeatError::Lost(e.to_string()))?;
    let mut buf = Vec::new();
    loop {
        match read_line(&mut read, &mut buf, MAX_LINE, STALL).await {
            Ok(true) => {}
            Ok(false) => return Err(SeatError::Lost("the daemon closed the connection".into())),
            Err(e) => return Err(SeatError::Lost(e.to_string())),
        }
        let parsed = serde_json::from_slice::<Incoming>(&buf);
        buf.clear();
        let Ok(msg) = parsed else {
            return Err(SeatError::Lost(
                "the daemon sent something unreadable".into(),
            ));
        };
        if msg.id.is_none() {
            continue; // a notification before the answer: nothing to show yet
        }
        if let Some(e) = msg.error {
            return Err(match e.code {
                code::VERSION => SeatError::Version {
                    daemon: "?".into(),
                    ours: VERSION,
                    message: e.message,
                },
                _ => SeatError::Refused(e.message),
            });
        }
        let hello: Hello =
            serde_json::from_str(msg.result.as_deref().map_or("null", RawValue::get))
                .map_err(|e| SeatError::Lost(format!("unreadable hello: {e}")))?;
        return Ok((read, write, hello));
    }
}

impl Remote {
    /// Attaches to the daemon at `socket`. Fails if none listens there or it refuses
    /// this seat (no staff entry, another protocol version); once attached, a lost
    /// connection is reattached by itself.
    pub async fn attach(socket: &Path, client: &str, lang: Lang) -> Result<Remote, SeatError> {
        let (read, write, hello) = handshake(socket, client).await?;
        let (calls, rx) = mpsc::unbounded_channel();
        let (bus, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            view: Mutex::new(SeatView::Attached { pid: hello.pid }),
            hello: Mutex::new(hello),
            bus,
            lang,
        });
        tokio::spawn(connection(
            socket.to_path_buf(),
            client.to_string(),
            Some((read, write)),
            rx,
            Arc::clone(&shared),
        ));
        Ok(Remote { calls, shared })
    }

    /// What the daemon said at the last attach: its PID and who this seat is.
    pub fn hello(&self) -> Hello {
        self.shared
            .hello
            .lock()
            .map(|h| h.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Calls `method` and waits for its answer.
    pub async fn call<P: Serialize, R: DeserializeOwned>(
        &self,
        method: &'static str,
        params: &P,
    ) -> Result<R, RpcError> {
        let rx = self.start(method, params)?;
        Self::finish(rx, self.shared.lang).await
    }

    fn start<P: Serialize>(
        &self,
        method: &'static str,
        params: &P,
    ) -> Result<oneshot::Receiver<Result<Box<RawValue>, RpcError>>, RpcError> {
        let params = serde_json::value::to_raw_value(params).map_err(|e| RpcError {
            code: code::INVALID_PARAMS,
            message: e.to_string(),
        })?;
        let (reply, rx) = oneshot::channel();
        self.calls
            .send(Call {
                method,
                params,
                reply,
            })
            .map_err(|_| lost(self.shared.lang))?;
        Ok(rx)
    }

    async fn finish<R: DeserializeOwned>(
        rx: oneshot::Receiver<Result<Box<RawValue>, RpcError>>,
        lang: Lang,
    ) -> Result<R, RpcError> {
        let value = rx.await.map_err(|_| lost(lang))??;
        serde_json::from_str(value.get()).map_err(|e| RpcError {
            code: code::INVALID_PARAMS,
            message: format!("unreadable answer from the daemon: {e}"),
        })
    }

    pub async fn status(&self) -> Result<Status, RpcError> {
        self.call("status", &()).await
    }

    /// A message as the store has it now.
    pub async fn message(&self, id: MessageId) -> Result<Option<crate::domain::Message>, RpcError> {
        self.call("message", &id).await
    }
}

impl super::Seat for Remote {
    fn subscribe(&self) -> broadcast::Receiver<Notification> {
        self.shared.bus.subscribe()
    }

    fn load(&self, query: Query) -> Loaded {
        if query == Query::Seat {
            let view = self
                .shared
                .view
                .lock()
                .map(|v| v.clone())
                .unwrap_or_default();
            return Loaded::Seat(view);
        }
        let rx = match self.start("query", &query) {
            Ok(rx) => rx,
            Err(e) => return Loaded::Failed(e.message),
        };
        match rx.blocking_recv() {
            Ok(Ok(v)) => serde_json::from_str(v.get())
                .unwrap_or_else(|e| Loaded::Failed(format!("unreadable answer: {e}"))),
            Ok(Err(e)) => Loaded::Failed(e.message),
            Err(_) => Loaded::Failed(lost(self.shared.lang).message),
        }
    }

    fn order(&self, order: Order, _staff: &str) -> BoxFuture<'static, Result<Done, String>> {
        // Drafts stay on their seat (the app keeps them); they never reach the daemon.
        if let Order::Local {
            change: crate::domain::LocalChange::SetDraft { .. },
        } = order
        {
            return Box::pin(async { Ok(Done::default()) });
        }
        let lang = self.shared.lang;
        let rx = self.start("order", &order);
        Box::pin(async move {
            let rx = rx.map_err(|e| e.message)?;
            Self::finish(rx, lang).await.map_err(|e| e.message)
        })
    }

    fn attachment(
        &self,
        message: MessageId,
        index: usize,
    ) -> BoxFuture<'static, Result<(String, Vec<u8>), String>> {
        let lang = self.shared.lang;
        let rx = self.start("fetch", &FetchParams { message, index });
        Box::pin(async move {
            let f: WireFile = Self::finish(rx.map_err(|e| e.message)?, lang)
                .await
                .map_err(|e| e.message)?;
            Ok((f.name, f.data))
        })
    }
}

type Halves = (
    BufReader<tokio::net::unix::OwnedReadHalf>,
    tokio::net::unix::OwnedWriteHalf,
);

fn set_view(shared: &Shared, view: SeatView) {
    if let Ok(mut v) = shared.view.lock() {
        *v = view;
    }
    let _ = shared.bus.send(Notification::Seat);
}

/// Owns the connection for the seat's lifetime: serves it, and after a loss answers
/// calls with an error while it reconnects.
async fn connection(
    socket: PathBuf,
    client: String,
    mut first: Option<Halves>,
    mut calls: mpsc::UnboundedReceiver<Call>,
    shared: Arc<Shared>,
) {
    loop {
        let halves = match first.take() {
            Some(h) => h,
            None => match handshake(&socket, &client).await {
                Ok((r, w, hello)) => {
                    tracing::info!(pid = hello.pid, "attached to the daemon again");
                    let pid = hello.pid;
                    if let Ok(mut h) = shared.hello.lock() {
                        *h = hello;
                    }
                    set_view(&shared, SeatView::Attached { pid });
                    (r, w)
                }
                Err(e) => {
                    // Calls made meanwhile fail at once rather than wait.
                    let sleep = tokio::time::sleep(RECONNECT);
                    tokio::pin!(sleep);
                    loop {
                        tokio::select! {
                            _ = &mut sleep => break,
                            call = calls.recv() => match call {
                                Some(c) => { let _ = c.reply.send(Err(lost(shared.lang))); }
                                None => return,
                            },
                        }
                    }
                    tracing::debug!(error = %e, "daemon not reachable yet");
                    continue;
                }
            },
        };
        let reason = serve(halves, &mut calls, &shared).await;
        match reason {
            None => return, // the seat ended
            Some(reason) => {
                tracing::warn!(%reason, "connection to the daemon lost");
                set_view(&shared, SeatView::Lost { reason });
            }
        }
    }
}

/// Serves one connection until it ends: `None` when the seat has gone, else why the
/// connection ended.
async fn serve(
    (mut read, mut write): Halves,
    calls: &mut mpsc::UnboundedReceiver<Call>,
    shared: &Shared,
) -> Option<String> {
    let mut pending: HashMap<u64, Reply> = HashMap::new();
    let mut next: u64 = 1;
    let mut buf = Vec::new();
    let mut bye: Option<String> = None;
    let fail_all = |pending: &mut HashMap<u64, Reply>| {
        for (_, reply) in pending.drain() {
            let _ = reply.send(Err(lost(shared.lang)));
        }
    };
    loop {
        tokio::select! {
            call = calls.recv() => {
                let call = call?;
                let id = next;
                next += 1;
                let mut line = serde_json::to_string(&Request::new(id, call.method, call.params))
                    .unwrap_or_default();
                line.push('\n');
                if let Err(e) = write.write_all(line.as_bytes()).await {
                    let _ = call.reply.send(Err(lost(shared.lang)));
                    fail_all(&mut pending);
                    return Some(e.to_string());
                }
                pending.insert(id, call.reply);
            }
            line = read_line(&mut read, &mut buf, MAX_LINE, STALL) => {
                let why = match line {
                    Ok(true) => None,
                    Ok(false) => Some(bye.take().unwrap_or_else(|| {
                        shared.lang.t("der Dienst hat die Verbindung beendet", "the daemon closed the connection").into()
                    })),
                    Err(e) => Some(e.to_string()),
                };
                if let Some(why) = why {
                    fail_all(&mut pending);
                    return Some(why);
                }
                let parsed = serde_json::from_slice::<Incoming>(&buf);
                buf.clear();
                // A large answer (a long inbox) must not keep its buffer for good.
                if buf.capacity() > 1024 * 1024 {
                    buf = Vec::new();
                }
                let Ok(msg) = parsed else {
                    tracing::warn!("unreadable line from the daemon skipped");
                    continue;
                };
                match (msg.id.as_ref().and_then(Value::as_u64), msg.method.as_deref()) {
                    (Some(id), _) => {
                        if let Some(reply) = pending.remove(&id) {
                            let r = match msg.error {
                                Some(e) => Err(e),
                                None => Ok(msg.result.unwrap_or_else(crate::protocol::null)),
                            };
                            let _ = reply.send(r);
                        }
                    }
                    (None, Some("notify")) => {
                        if let Some(n) = msg.params.and_then(|p| serde_json::from_str::<Notification>(p.get()).ok()) {
                            let _ = shared.bus.send(n);
                        }
                    }
                    (None, Some("bye")) => {
                        bye = msg.params.and_then(|p| serde_json::from_str::<Bye>(p.get()).ok()).map(|b| b.reason);
                    }
                    _ => tracing::debug!("message from the daemon ignored"),
                }
            }
        }
    }
}
