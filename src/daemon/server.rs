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
use crate::seat::scope::{Scoped, sees};

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

/// One seat's state between lines: who it is once `hello` went through, and its last
/// export until it has taken the files.
pub struct Session {
    daemon: Arc<Daemon>,
    uid: Option<u32>,
    seat: Option<(Identity, super::SeatGuard)>,
    export: crate::lifecycle::Files,
}

impl Session {
    pub fn new(daemon: Arc<Daemon>, uid: Option<u32>) -> Session {
        Session {
            daemon,
            uid,
            seat: None,
            export: crate::lifecycle::Files::default(),
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
            Some((identity, _)) if req.method == "books" || req.method == "take" => {
                books(&self.daemon, identity, &mut self.export, req).await
            }
            Some((identity, _)) if req.method == "account" => {
                account(&self.daemon, identity, req).await
            }
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
        hours: daemon.hours.clone(),
        policy: daemon.policy_status(&identity.name),
    };
    Ok((identity, crate::protocol::raw(&hello)))
}

/// The role's word on a change: `Err` when an auditor asks for one, or someone who
/// is not the owner for what only the owner may do.
fn allowed(
    daemon: &Daemon,
    who: &Identity,
    changes: bool,
    owner_only: bool,
) -> Result<(), RpcError> {
    let lang = daemon.lang;
    if who.role == Role::Auditor && changes {
        return Err(error(
            code::FORBIDDEN,
            lang.t(
                "Prüferzugang: nur lesen – Änderungen und Nachrichten sind nicht erlaubt",
                "auditor access is read-only: no changes, no messages",
            ),
        ));
    }
    if owner_only && who.role != Role::Owner {
        return Err(error(
            code::FORBIDDEN,
            lang.t(
                "Das darf nur die Inhaberin oder der Inhaber (role = \"owner\")",
                "only the owner may do this (role = \"owner\")",
            ),
        ));
    }
    Ok(())
}

/// `books` (a lifecycle command) and `take` (a piece of its export's files).
async fn books(
    daemon: &Daemon,
    who: &Identity,
    export: &mut crate::lifecycle::Files,
    req: Request,
) -> Result<Box<RawValue>, RpcError> {
    use crate::protocol::books::{Ask, PIECE, Piece, Take};
    if req.method == "take" {
        let t: Take = params(&req)?;
        let Some((_, data)) = export.0.get(t.file) else {
            return Err(error(
                code::INVALID_PARAMS,
                "no such file in the last export",
            ));
        };
        let from = usize::try_from(t.offset)
            .unwrap_or(usize::MAX)
            .min(data.len());
        let to = from.saturating_add(PIECE).min(data.len());
        let piece = Piece {
            data: data[from..to].to_vec(),
        };
        // The last piece of the last file: the export is the seat's now.
        if to == data.len() && t.file + 1 == export.0.len() {
            *export = crate::lifecycle::Files::default();
        }
        return Ok(json(&piece));
    }
    let ask: Ask = params(&req)?;
    // Offers and orders are not the tax audit's (R-B8, Z1): a read the auditor does not
    // get, though it changes nothing.
    let changes = ask.changes_something() || matches!(ask, Ask::Orders { .. });
    allowed(daemon, who, changes, ask.owner_only())?;
    let done =
        crate::seat::books::run(&daemon.engine, Arc::clone(&daemon.office), ask, who.clone())
            .await
            .map_err(|e| match e {
                crate::lifecycle::LifecycleError::Refused(m) => error(code::REFUSED, m),
                e => error(code::ENGINE, e.to_string()),
            })?;
    *export = done.files;
    Ok(json(&done.answer))
}

/// `account`: the owner's account commands (a login, the recovery key, …).
async fn account(daemon: &Daemon, who: &Identity, req: Request) -> Result<Box<RawValue>, RpcError> {
    let ask: crate::protocol::accounts::AccountAsk = params(&req)?;
    allowed(daemon, who, ask.changes_something(), true)?;
    let Some(profile) = &daemon.office.profile else {
        return Err(error(code::REFUSED, "this daemon has no profile on disk"));
    };
    let german = daemon.lang == crate::app::i18n::Lang::De;
    let done =
        crate::seat::accounts::run(&daemon.engine, Arc::clone(&profile.accounts), ask, german)
            .await
            .map_err(|f| {
                error(
                    if f.refused {
                        code::REFUSED
                    } else {
                        code::ENGINE
                    },
                    f.message,
                )
            })?;
    Ok(json(&done))
}

/// A request from an attached seat.
async fn handle(
    daemon: &Daemon,
    who: &Identity,
    seat: u64,
    req: Request,
) -> Result<Box<RawValue>, RpcError> {
    let engine = daemon.engine.clone();
    match req.method.as_str() {
        "query" => {
            let q: crate::app::Query = params(&req)?;
            let pid = std::process::id();
            let audit = Scoped::of(who, &daemon.office.config.retention);
            let withheld = !who.sees_sensitive();
            let mut loaded = tokio::task::spawn_blocking(move || {
                let mut loaded = crate::seat::answer(&engine, q, SeatView::Attached { pid }, seat);
                if let Some(audit) = &audit {
                    engine.store().read(|s| audit.loaded(&mut loaded, s));
                }
                // A marked message is not found by its words either (R-E4).
                if let (true, crate::app::Loaded::Search { hits, .. }) = (withheld, &mut loaded) {
                    engine.store().read(|s| {
                        hits.retain(|h| {
                            h.message.is_none_or(|id| {
                                s.message(id)
                                    .ok()
                                    .flatten()
                                    .is_some_and(|m| m.sensitive.is_none())
                            })
                        })
                    });
                }
                loaded
            })
            .await
            .map_err(|e| error(code::ENGINE, e.to_string()))?;
            // R-D3: a staff seat sees colleagues' messages, sent or waiting, as "Team".
            match &mut loaded {
                crate::app::Loaded::Conversation { messages, .. } => {
                    who.attribute(messages);
                    who.withhold(messages);
                }
                crate::app::Loaded::Scheduled(_, waiting) => {
                    for s in waiting {
                        s.sender = who.shown_sender(&s.sender).to_string();
                    }
                }
                _ => {}
            }
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
            allowed(daemon, who, order.changes_something(), order.owner_only())?;
            if let Order::AcceptPolicy { version } = &order
                && daemon.policy.as_ref().map(|p| &p.version) != Some(version)
            {
                return Err(error(
                    code::REFUSED,
                    daemon.lang.t(
                        "Die Nutzungsrichtlinie wurde inzwischen geändert: den Posteingang neu starten und die neue Fassung lesen",
                        "the usage policy changed meanwhile: restart the inbox and read the new version",
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
            let audit = Scoped::of(who, &daemon.office.config.retention);
            let mut m = tokio::task::spawn_blocking(move || {
                engine.store().read(|s| {
                    let m = s.message(id)?;
                    Ok::<_, crate::store::StoreError>(
                        m.filter(|m| sees(&audit, m, |a, m| a.message(m, s))),
                    )
                })
            })
            .await
            .map_err(|e| error(code::ENGINE, e.to_string()))?
            .map_err(|e| error(code::ENGINE, e.to_string()))?;
            if let Some(m) = &mut m {
                who.attribute(std::slice::from_mut(m));
                who.withhold(std::slice::from_mut(m));
            }
            Ok(json(&m))
        }
        "fetch" => {
            let p: FetchParams = params(&req)?;
            if !who.sees_sensitive() {
                let (reader, id) = (engine.clone(), p.message);
                let marked = tokio::task::spawn_blocking(move || {
                    reader.store().read(|s| {
                        s.message(id)
                            .ok()
                            .flatten()
                            .is_some_and(|m| m.sensitive.is_some())
                    })
                })
                .await
                .unwrap_or(false);
                if marked {
                    return Err(error(
                        code::REFUSED,
                        daemon.lang.t(
                            "eingeschränkt (Art. 9 DSGVO / Daten Dritter): nur für die Inhaberin oder den Inhaber",
                            "restricted (Art. 9 GDPR / third parties' data): for the owner only",
                        ),
                    ));
                }
            }
            if let Some(audit) = Scoped::of(who, &daemon.office.config.retention) {
                let (reader, id) = (engine.clone(), p.message);
                let inside = tokio::task::spawn_blocking(move || {
                    reader.store().read(|s| {
                        s.message(id)
                            .ok()
                            .flatten()
                            .is_some_and(|m| audit.message(&m, s))
                    })
                })
                .await
                .unwrap_or(false);
                if !inside {
                    return Err(error(code::REFUSED, "outside the audit period or classes"));
                }
            }
            let (name, data) = crate::seat::attachment(&engine, p.message, p.index)
                .await
                .map_err(|e| error(code::ENGINE, e))?;
            let mime = crate::domain::mime_for(&name).to_string();
            Ok(json(&WireFile { name, mime, data }))
        }
        "find" => {
            let key: String = params(&req)?;
            let audit = Scoped::of(who, &daemon.office.config.retention);
            let country = daemon.office.config.ui.default_country.clone();
            let c = tokio::task::spawn_blocking(move || {
                engine.store().read(|s| {
                    s.find_typed(&key, &country)
                        .map(|c| c.filter(|c| sees(&audit, c, |a, c| a.part_of_audit(c, s))))
                })
            })
            .await
            .map_err(|e| error(code::ENGINE, e.to_string()))?
            .map_err(|e| error(code::ENGINE, e.to_string()))?;
            Ok(json(&c))
        }
        "contact_history" => {
            let key: String = params(&req)?;
            let audit = Scoped::of(who, &daemon.office.config.retention);
            let country = daemon.office.config.ui.default_country.clone();
            let found = tokio::task::spawn_blocking(move || {
                engine.store().read(|s| {
                    // A number typed in national form names the same customer.
                    let key = match s.find_typed(&key, &country)? {
                        Some(c) => c.id.0.to_string(),
                        None => key,
                    };
                    s.contact_history(&key)
                        .map(|h| h.filter(|(c, _)| sees(&audit, c, |a, c| a.part_of_audit(c, s))))
                })
            })
            .await
            .map_err(|e| error(code::ENGINE, e.to_string()))?
            .map_err(|e| error(code::ENGINE, e.to_string()))?;
            Ok(json(&found))
        }
        "status" => Ok(json(&daemon.status())),
        "hello" => Err(error(code::INVALID_REQUEST, "already attached")),
        other => Err(error(code::NO_METHOD, format!("no method `{other}`"))),
    }
}

fn json<T: serde::Serialize>(v: &T) -> Box<RawValue> {
    crate::protocol::raw(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO: &[u8] =
        br#"{"jsonrpc":"2.0","id":1,"method":"hello","params":{"protocol":2,"client":"t"}}"#;

    #[tokio::test]
    async fn a_large_export_is_taken_in_pieces_and_then_let_go() {
        let store = crate::store::SharedStore::new(Box::new(
            crate::store::SqliteStore::open_in_memory().unwrap(),
        ));
        let (engine, handle) =
            crate::engine::Engine::start(store, vec![], crate::engine::EngineOptions::default());
        let task = tokio::spawn(engine.run());
        let daemon = Daemon::new(
            handle.clone(),
            &crate::config::Config::default(),
            "/nonexistent/tresen.sock".into(),
            None,
        );
        let mut s = Session::new(daemon, Some(crate::fsutil::own_uid()));
        assert!(matches!(s.line(HELLO).await, Step::Answer(_)));
        let big: Vec<u8> = (0..20 * 1024 * 1024 + 5).map(|i| (i % 251) as u8).collect();
        s.export = crate::lifecycle::Files(vec![
            ("a.txt".into(), b"klein".to_vec()),
            ("dateien/b.bin".into(), big.clone()),
        ]);
        let mut got = Vec::new();
        let mut pieces = 0;
        while got.len() < big.len() {
            let req = format!(
                r#"{{"jsonrpc":"2.0","id":2,"method":"take","params":{{"file":1,"offset":{}}}}}"#,
                got.len()
            );
            let Step::Answer(a) = s.line(req.as_bytes()).await else {
                panic!("no answer")
            };
            let v: serde_json::Value = serde_json::from_str(&a).unwrap();
            let piece: crate::protocol::books::Piece =
                serde_json::from_value(v["result"].clone()).unwrap();
            assert!(!piece.data.is_empty() && piece.data.len() <= crate::protocol::books::PIECE);
            got.extend(piece.data);
            pieces += 1;
        }
        assert_eq!(got, big);
        assert_eq!(pieces, 3);
        assert!(
            s.export.0.is_empty(),
            "handed over: the daemon keeps no copy"
        );
        // Past the end, or a file that is not there: an error, never a panic.
        let Step::Answer(a) = s
            .line(br#"{"jsonrpc":"2.0","id":3,"method":"take","params":{"file":9,"offset":18446744073709551615}}"#)
            .await
        else {
            panic!("no answer")
        };
        assert!(a.contains("\"error\""), "{a}");
        handle.shutdown().await;
        let _ = task.await;
    }
}
