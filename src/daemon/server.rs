//! One task per seat: identify it from the kernel, read its requests one at a time (a
//! flood waits in the socket: the seat throttles itself), pass the engine's tags on,
//! and close the connection — only that one — on anything malformed, oversized or
//! stalled.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::io::{AsyncWriteExt as _, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use super::Daemon;
use crate::app::SeatView;
use crate::compliance::staff::{Identity, Role};
use crate::engine::Notification;
use crate::protocol::lines::{LineError, read_line};
use crate::protocol::{
    CAPABILITIES, FetchParams, Hello, HelloParams, MAX_LINE, Order, Request, RpcError, VERSION,
    WireFile, code, notification, parse_request, response,
};

/// Half a request, then nothing for this long: the connection is closed.
const STALL: Duration = Duration::from_secs(10);

/// Why the daemon stops, for the seats' `bye`; `None` while it runs.
pub type Stop = watch::Receiver<Option<String>>;

/// Accepts seats until `stop` says why not; then waits briefly for each to be told.
pub async fn serve(listener: UnixListener, daemon: Arc<Daemon>, mut stop: Stop) {
    let mut seats = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    seats.spawn(connection(stream, Arc::clone(&daemon), stop.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = seats.join_next(), if !seats.is_empty() => {}
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while seats.join_next().await.is_some() {}
    })
    .await;
}

fn error(code: i64, message: impl Into<String>) -> RpcError {
    RpcError {
        code,
        message: message.into(),
    }
}

fn params<T: DeserializeOwned>(req: &Request) -> Result<T, RpcError> {
    req.params()
        .map_err(|e| error(code::INVALID_PARAMS, e.to_string()))
}

/// What a seat's connection does after a line.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// Write this answer and read on.
    Answer(String),
    /// Write this answer, then close the connection.
    Last(String),
    /// Nothing to write (a notification from the seat).
    Quiet,
}

/// One seat's state between lines: who it is once `hello` went through.
pub struct Session {
    daemon: Arc<Daemon>,
    uid: Option<u32>,
    seat: Option<(Identity, super::SeatGuard)>,
}

impl Session {
    pub fn new(daemon: Arc<Daemon>, uid: Option<u32>) -> Session {
        Session {
            daemon,
            uid,
            seat: None,
        }
    }

    pub fn attached(&self) -> bool {
        self.seat.is_some()
    }

    /// Handles one line from the seat (without its newline). Never panics on any input:
    /// what is not a request ends the connection with an error answer.
    pub async fn line(&mut self, line: &[u8]) -> Step {
        let req = match parse_request(line) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "malformed request: connection closed");
                return Step::Last(response(
                    &Value::Null,
                    Err(error(code::PARSE, e.to_string())),
                ));
            }
        };
        let id = req.id.clone();
        let answer = match &self.seat {
            None => match greet(&self.daemon, self.uid, req) {
                Ok((identity, hello)) => {
                    // Never who, nor when a person attached: that would be a presence log
                    // (R-D1; `staff what-is-stored` promises none).
                    tracing::debug!(role = identity.role.name(), "seat attached");
                    self.seat = Some((identity, self.daemon.seat()));
                    Ok(hello)
                }
                Err(e) => return Step::Last(response(&id.unwrap_or(Value::Null), Err(e))),
            },
            Some((identity, guard)) => handle(&self.daemon, identity, guard.id(), req).await,
        };
        match id {
            Some(id) => Step::Answer(response(&id, answer)),
            None => Step::Quiet,
        }
    }
}

/// Serves one seat until it leaves, misbehaves or the daemon stops.
async fn connection(stream: UnixStream, daemon: Arc<Daemon>, mut stop: Stop) {
    let uid = stream.peer_cred().map(|c| c.uid()).ok();
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::with_capacity(8 * 1024, read);
    let mut buf = Vec::new();
    let mut bus = daemon.engine.subscribe();
    let mut session = Session::new(Arc::clone(&daemon), uid);
    // When the line in `buf` began: notifications wake this loop (and restart the
    // reader's own stall timer), so a half line is timed here as well.
    let mut partial_since: Option<std::time::Instant> = None;
    loop {
        if buf.is_empty() {
            partial_since = None;
        } else if partial_since
            .get_or_insert_with(std::time::Instant::now)
            .elapsed()
            > STALL
        {
            log_closed(&LineError::Stalled(STALL));
            return;
        }
        let (out, last) = tokio::select! {
            _ = stop.changed() => {
                let reason = stop.borrow().clone().unwrap_or_default();
                let _ = write
                    .write_all(notification("bye", &crate::protocol::Bye { reason }).as_bytes())
                    .await;
                return;
            }
            n = bus.recv(), if session.attached() => match n {
                Ok(n) => (notification("notify", &n), false),
                // Fell behind the engine: the seat reloads what it shows.
                Err(RecvError::Lagged(_)) => (notification("notify", &Notification::Seat), false),
                Err(RecvError::Closed) => return,
            },
            line = read_line(&mut read, &mut buf, MAX_LINE, STALL) => {
                match line {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        log_closed(&e);
                        if matches!(e, LineError::TooLong(_)) {
                            let _ = write.write_all(response(&Value::Null, Err(error(code::INVALID_REQUEST, e.to_string()))).as_bytes()).await;
                        }
                        return;
                    }
                }
                let step = session.line(&buf).await;
                buf.clear();
                // One huge request must not keep its buffer for the connection's life.
                if buf.capacity() > 64 * 1024 {
                    buf = Vec::new();
                }
                match step {
                    Step::Answer(a) => (a, false),
                    Step::Last(a) => (a, true),
                    Step::Quiet => continue,
                }
            }
        };
        if write.write_all(out.as_bytes()).await.is_err() || last {
            return; // the seat went away (nothing it was acknowledged is lost), or must
        }
    }
}

fn log_closed(e: &LineError) {
    match e {
        LineError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            tracing::info!("a seat left in the middle of a request")
        }
        LineError::Io(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        e => tracing::warn!(error = %e, "connection closed"),
    }
}

/// The first request must be `hello` with our protocol version, from a user with a
/// staff entry.
fn greet(
    daemon: &Daemon,
    uid: Option<u32>,
    req: Request,
) -> Result<(Identity, Box<RawValue>), RpcError> {
    let lang = daemon.lang;
    if req.method != "hello" {
        return Err(error(
            code::NO_HELLO,
            lang.t(
                "zuerst `hello` mit der Protokollversion",
                "`hello` with the protocol version comes first",
            ),
        ));
    }
    let p: HelloParams = params(&req)?;
    if p.protocol != VERSION {
        return Err(error(
            code::VERSION,
            match lang {
                crate::app::i18n::Lang::De => format!(
                    "Der Dienst spricht Protokoll {VERSION}, dieser Platz {}: beide auf dieselbe tresen-Version bringen",
                    p.protocol
                ),
                crate::app::i18n::Lang::En => format!(
                    "the daemon speaks protocol {VERSION}, this seat {}: run the same tresen version on both",
                    p.protocol
                ),
            },
        ));
    }
    let Some(uid) = uid else {
        return Err(error(
            code::NOT_STAFF,
            "the kernel did not say who connected",
        ));
    };
    let identity = daemon.identify(uid).map_err(|m| {
        tracing::warn!("seat refused: its OS user has no staff entry");
        error(code::NOT_STAFF, m)
    })?;
    let hello = Hello {
        protocol: VERSION,
        capabilities: CAPABILITIES.iter().map(|c| c.to_string()).collect(),
        pid: std::process::id(),
        identity: identity.clone(),
    };
    Ok((identity, crate::protocol::raw(&hello)))
}

/// A request from an attached seat.
async fn handle(
    daemon: &Daemon,
    who: &Identity,
    seat: u64,
    req: Request,
) -> Result<Box<RawValue>, RpcError> {
    let lang = daemon.lang;
    let engine = daemon.engine.clone();
    match req.method.as_str() {
        "query" => {
            let q: crate::app::Query = params(&req)?;
            let pid = std::process::id();
            let loaded = tokio::task::spawn_blocking(move || {
                crate::seat::answer(&engine, q, SeatView::Attached { pid }, seat)
            })
            .await
            .map_err(|e| error(code::ENGINE, e.to_string()))?;
            Ok(json(&loaded))
        }
        "order" => {
            let order: Order = params(&req)?;
            if let Order::Local {
                change: crate::domain::LocalChange::SetDraft { .. },
            } = order
            {
                return Err(error(
                    code::INVALID_PARAMS,
                    "drafts stay on their seat; the daemon keeps none",
                ));
            }
            if who.role == Role::Auditor && order.changes_something() {
                return Err(error(
                    code::FORBIDDEN,
                    lang.t(
                        "Prüferzugang: nur lesen – Änderungen und Nachrichten sind nicht erlaubt",
                        "auditor access is read-only: no changes, no messages",
                    ),
                ));
            }
            if order.owner_only() && who.role != Role::Owner {
                return Err(error(
                    code::FORBIDDEN,
                    lang.t(
                        "Das darf nur die Inhaberin oder der Inhaber (role = \"owner\")",
                        "only the owner may do this (role = \"owner\")",
                    ),
                ));
            }
            let done = crate::seat::order_now(&engine, order, &who.name, seat)
                .map_err(|e| error(code::ENGINE, e))?
                .await
                .map_err(|e| error(code::ENGINE, e))?;
            Ok(json(&done))
        }
        "message" => {
            let id: crate::domain::MessageId = params(&req)?;
            let m = tokio::task::spawn_blocking(move || engine.store().read(|s| s.message(id)))
                .await
                .map_err(|e| error(code::ENGINE, e.to_string()))?
                .map_err(|e| error(code::ENGINE, e.to_string()))?;
            Ok(json(&m))
        }
        "fetch" => {
            let p: FetchParams = params(&req)?;
            let (name, data) = crate::seat::attachment(&engine, p.message, p.index)
                .await
                .map_err(|e| error(code::ENGINE, e))?;
            let mime = crate::domain::mime_for(&name).to_string();
            Ok(json(&WireFile { name, mime, data }))
        }
        "find" => {
            let key: String = params(&req)?;
            let c = tokio::task::spawn_blocking(move || {
                engine.store().read(|s| s.find_conversation(&key))
            })
            .await
            .map_err(|e| error(code::ENGINE, e.to_string()))?
            .map_err(|e| error(code::ENGINE, e.to_string()))?;
            Ok(json(&c))
        }
        "status" => Ok(json(&daemon.status())),
        "hello" => Err(error(code::INVALID_REQUEST, "already attached")),
        other => Err(error(code::NO_METHOD, format!("no method `{other}`"))),
    }
}

fn json<T: serde::Serialize>(v: &T) -> Box<RawValue> {
    crate::protocol::raw(v)
}
