//! The Signal connector: signal-cli's daemon (started by tresen, or one the user runs)
//! behind tresen's connector trait.
//!
//! Signal keeps no history on its servers: what signal-cli receives while tresen is not
//! subscribed stays queued at Signal (manual receive mode), so there is nothing older to
//! page back to, and the only "position" stored is the set of groups the office chose.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::daemon::{DaemonConfig, SignalDaemon};
use super::frames;
use super::groups::{GroupChoice, Triage};
use super::rpc::{CallError, Incoming, RpcClient};
use super::setup::{self, SetupEnd, choose_group};
use super::version::VersionCheck;
use crate::connector::setup::SetupError;
use crate::connector::{
    Connector, ConnectorCommand, ConnectorError, ConnectorEvent, ConnectorIo, EventSink,
};
use crate::domain::{AccountId, AccountNetwork, ConversationKind, Health, LinkState, Security};

/// How tresen reaches signal-cli.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// Start and supervise `signal-cli daemon` (the default).
    Spawn(DaemonConfig),
    /// Use a daemon the user runs, on this UNIX socket.
    Socket(PathBuf),
    /// Use a daemon the user runs, on this loopback TCP address (`127.0.0.1:7583`).
    Tcp(String),
}

pub struct SignalConnector {
    account: AccountId,
    /// The business number (signal-cli's account name).
    number: String,
    endpoint: Endpoint,
    /// Group ids whose chats are business; other groups are never stored.
    groups: Vec<String>,
}

impl SignalConnector {
    pub fn new(
        account: AccountId,
        number: String,
        endpoint: Endpoint,
        groups: Vec<String>,
    ) -> Self {
        Self {
            account,
            number,
            endpoint,
            groups,
        }
    }
}

impl Connector for SignalConnector {
    fn account(&self) -> &AccountId {
        &self.account
    }

    fn network(&self) -> AccountNetwork {
        AccountNetwork::Signal
    }

    fn run(self: Box<Self>, io: ConnectorIo) -> BoxFuture<'static, Result<(), ConnectorError>> {
        run(*self, io).boxed()
    }
}

const CALL: Duration = Duration::from_secs(60);

/// The newest message each conversation got from a customer: (author, timestamp), the
/// target of a read receipt.
type Latest = Arc<Mutex<HashMap<String, (String, i64)>>>;

/// A receipt can overtake the answer to its own `send` (the reader sees the receipt
/// while the sending task still waits for its turn). While sends are in flight,
/// receipts wait here and follow the send result, so none lands before its message
/// has its remote id.
#[derive(Default)]
struct Sends {
    in_flight: usize,
    early: Vec<ConnectorEvent>,
}

type SendState = Arc<Mutex<Sends>>;

/// Each peer's identity state (safety number unverified, verified or changed), keyed by
/// number and UUID, as signal-cli's `listIdentities` reports it.
type Trust = Arc<Mutex<HashMap<String, Security>>>;

/// How often the identity list is read again: a verified contact's new key shows up
/// here (or at once, when a send to them is refused for it).
const TRUST_REFRESH: Duration = Duration::from_secs(300);

/// What the receiving loop and the command tasks share across reconnects.
#[derive(Clone)]
struct Shared {
    latest: Latest,
    sends: SendState,
    trust: Trust,
    groups: Arc<Mutex<GroupChoice>>,
    /// Which number is which account id, and people's names.
    peers: Arc<Mutex<frames::Peers>>,
}

/// Learns numbers, account ids and names from signal-cli's contact list (the business
/// phone's synced contacts and everyone who wrote), so a message sent from the phone
/// to a customer is filed under their name, and older entries keyed by a number move
/// to the account id.
async fn learn_contacts(
    client: &RpcClient,
    number: &str,
    peers: &Mutex<frames::Peers>,
    events: &EventSink,
) {
    let list = match client
        .call("listContacts", json!({"account": number}), CALL)
        .await
    {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "signal-cli did not list contacts");
            return;
        }
    };
    let mut out = Vec::new();
    if let Ok(mut p) = peers.lock() {
        for c in list.as_array().into_iter().flatten() {
            p.learn_contact(c, &mut out);
        }
    }
    for ev in out {
        events.emit(ev).await;
    }
}

/// Reads the identities and reports every conversation whose state changed; the first
/// call reports all (the store ignores peers it has no conversation with).
async fn refresh_trust(client: &RpcClient, number: &str, trust: &Trust, events: &EventSink) {
    let fresh = match client
        .call("listIdentities", json!({"account": number}), CALL)
        .await
    {
        Ok(v) => frames::identities(&v),
        Err(e) => {
            tracing::warn!(error = %e, "signal-cli did not list identities");
            return;
        }
    };
    let changed: Vec<(String, Security)> = match trust.lock() {
        Ok(mut map) => fresh
            .into_iter()
            .filter(|(k, s)| map.insert(k.clone(), *s) != Some(*s))
            .collect(),
        Err(_) => return,
    };
    for (peer, security) in changed {
        events
            .emit(ConnectorEvent::Security {
                conversation_remote_id: peer,
                security,
            })
            .await;
    }
}

/// A live connection to signal-cli.
pub struct Connection {
    pub client: Arc<RpcClient>,
    pub incoming: tokio::sync::mpsc::Receiver<Incoming>,
    /// The daemon tresen started, if it did; stopping it ends the connection.
    pub daemon: Option<SignalDaemon>,
    pub version: String,
    pub version_check: VersionCheck,
}

/// Reaches signal-cli (starting it for [`Endpoint::Spawn`]) and asks its version.
pub async fn connect(endpoint: &Endpoint) -> Result<Connection, String> {
    match endpoint {
        Endpoint::Spawn(cfg) => {
            let (daemon, incoming) = SignalDaemon::start(cfg).await.map_err(|e| e.to_string())?;
            Ok(Connection {
                client: daemon.client.clone(),
                incoming,
                version: daemon.version.clone(),
                version_check: daemon.version_check.clone(),
                daemon: Some(daemon),
            })
        }
        Endpoint::Socket(path) => {
            let stream = tokio::net::UnixStream::connect(path)
                .await
                .map_err(|e| format!("cannot connect to signal-cli at {}: {e}", path.display()))?;
            attach(stream).await
        }
        Endpoint::Tcp(addr) => {
            let stream = tokio::net::TcpStream::connect(addr.as_str())
                .await
                .map_err(|e| format!("cannot connect to signal-cli at {addr}: {e}"))?;
            attach(stream).await
        }
    }
}

/// A daemon the user runs: speak to it over `stream` and ask its version.
async fn attach<S>(stream: S) -> Result<Connection, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + 'static,
{
    let (client, incoming) = RpcClient::start(stream);
    let v = client
        .call("version", Value::Null, CALL)
        .await
        .map_err(|e| e.to_string())?;
    let version = v["version"].as_str().unwrap_or("?").to_string();
    Ok(Connection {
        client,
        incoming,
        version_check: super::version::check(&version),
        version,
        daemon: None,
    })
}

async fn run(c: SignalConnector, mut io: ConnectorIo) -> Result<(), ConnectorError> {
    let events = io.events.clone();
    let shared = Shared {
        latest: Arc::default(),
        sends: Arc::default(),
        trust: Arc::default(),
        groups: Arc::new(Mutex::new(GroupChoice::new(
            &c.groups,
            io.resume.as_deref(),
        ))),
        peers: Arc::new(Mutex::new(frames::Peers::new(&c.number))),
    };
    let mut caught_up = false;
    let mut pause = Duration::from_millis(500);
    loop {
        events
            .emit(ConnectorEvent::Health(Health::Connecting))
            .await;
        let connected = match connect(&c.endpoint).await {
            Ok(mut conn) => match subscribe(&conn.client, &c.number).await {
                Ok(()) => Ok(conn),
                Err(CallError::Rpc(r))
                    if r.code == -32602 && r.message.contains("does not exist") =>
                {
                    // signal-cli runs but does not hold the number: keep it running and
                    // let the office link it from the TUI.
                    let end = setup::waiting(
                        &c.number,
                        &mut conn,
                        &mut io,
                        &shared.groups,
                        &mut caught_up,
                    )
                    .await;
                    match end {
                        SetupEnd::Subscribed => Ok(conn),
                        SetupEnd::Stop => {
                            if let Some(d) = conn.daemon {
                                d.stop().await;
                            }
                            return Ok(());
                        }
                        SetupEnd::Lost => {
                            if let Some(d) = conn.daemon {
                                d.stop().await;
                            }
                            Err("the connection to signal-cli was lost; reconnecting".to_string())
                        }
                    }
                }
                Err(e) => Err(match e {
                    CallError::Rpc(r) => r.explain(),
                    other => other.to_string(),
                }),
            },
            Err(e) => Err(e),
        };
        match connected {
            Ok(Connection {
                client,
                mut incoming,
                daemon,
                version_check: check,
                ..
            }) => {
                pause = Duration::from_millis(500);
                let health = match (&check, check.warning()) {
                    (VersionCheck::TooOld { .. } | VersionCheck::Aging { .. }, Some(w)) => {
                        Health::Degraded(w)
                    }
                    _ => Health::Online,
                };
                events.emit(ConnectorEvent::Health(health)).await;
                if !caught_up {
                    caught_up = true;
                    events.emit(ConnectorEvent::CaughtUp).await;
                }
                let stop = serve(&c, &client, &mut incoming, &mut io, &events, &shared).await;
                if let Some(d) = daemon {
                    d.stop().await;
                }
                if stop {
                    return Ok(());
                }
                events
                    .emit(ConnectorEvent::Health(Health::Offline(
                        "the connection to signal-cli was lost; reconnecting".into(),
                    )))
                    .await;
            }
            Err(e) => {
                tracing::warn!(account = %c.account, error = %e, "signal-cli not reachable");
                events
                    .emit(ConnectorEvent::Health(Health::Offline(e)))
                    .await;
                if !caught_up {
                    // sync --once must not wait forever for a Signal that is not there.
                    caught_up = true;
                    events.emit(ConnectorEvent::CaughtUp).await;
                }
            }
        }
        // Back off before reconnecting; commands meanwhile fail fast (sends) or wait.
        let sleep = tokio::time::sleep(pause);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => break,
                cmd = io.commands.recv() => match cmd {
                    None => return Ok(()),
                    Some(ConnectorCommand::Send(out)) => {
                        events.emit(ConnectorEvent::SendResult {
                            message: out.message,
                            outcome: Err("signal-cli is not reachable".into()),
                        }).await;
                    }
                    Some(ConnectorCommand::Backfill { conversation_remote_id, .. }) => {
                        events.emit(ConnectorEvent::Backfilled { conversation_remote_id }).await;
                    }
                    Some(ConnectorCommand::Join { remote_id }) => {
                        choose_group(&remote_id, &shared.groups, &events).await;
                    }
                    Some(ConnectorCommand::Setup { ask: crate::connector::setup::SetupAsk::ForgetGroup { group }, reply }) => {
                        reply.send(setup::forget_group(&group, &shared.groups, &events).await);
                    }
                    Some(ConnectorCommand::Setup { reply, .. }) => {
                        reply.send(Err(SetupError::Failed("signal-cli is not reachable".into())));
                    }
                    Some(_) => {}
                }
            }
        }
        pause = (pause * 2).min(Duration::from_secs(60));
    }
}

pub(super) async fn subscribe(client: &RpcClient, number: &str) -> Result<(), CallError> {
    client
        .call("subscribeReceive", json!({"account": number}), CALL)
        .await
        .map(|_| ())
}

/// Until the connection ends (false) or the engine stops (true).
async fn serve(
    c: &SignalConnector,
    client: &Arc<RpcClient>,
    incoming: &mut tokio::sync::mpsc::Receiver<Incoming>,
    io: &mut ConnectorIo,
    events: &EventSink,
    shared: &Shared,
) -> bool {
    let Shared {
        latest,
        sends,
        trust,
        groups,
        peers,
    } = shared;
    let lanes = crate::connector::SendLanes::default();
    learn_contacts(client, &c.number, peers, events).await;
    // The first tick is at once: the state of every peer when the connection starts.
    let mut refresh = tokio::time::interval(TRUST_REFRESH);
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = refresh.tick() => refresh_trust(client, &c.number, trust, events).await,
            msg = incoming.recv() => match msg {
                None => return false,
                Some(Incoming::Skipped(why)) => {
                    tracing::warn!(account = %c.account, %why, "frame from signal-cli skipped");
                }
                Some(Incoming::Notification { method, params }) if method == "receive" => {
                    let Some(r) = frames::received(&params) else { continue };
                    if r.account.is_some_and(|a| a != c.number) {
                        continue;
                    }
                    let translated = match peers.lock() {
                        Ok(mut p) => frames::translate(&c.account, &mut p, &r),
                        Err(_) => continue,
                    };
                    for ev in translated {
                        let triage = match groups.lock() {
                            Ok(mut g) => g.triage(ev),
                            Err(_) => continue,
                        };
                        let mut ev = match triage {
                            Triage::Pass(ev) => ev,
                            Triage::Held(Some(invite)) => {
                                if !events.emit(ConnectorEvent::Invite(invite)).await {
                                    return true;
                                }
                                continue;
                            }
                            Triage::Held(None) | Triage::Drop => continue,
                        };
                        // A message says nothing about safety numbers; the identity list does.
                        if let ConnectorEvent::Conversation(conv) = &mut ev
                            && conv.kind == ConversationKind::Direct
                            && let Some(s) = trust.lock().ok().and_then(|t| t.get(&conv.remote_id).copied())
                        {
                            conv.security = s;
                        }
                        if let ConnectorEvent::Message(m) = &ev
                            && m.direction == crate::domain::Direction::Inbound
                            && let Some((author, ts)) = split_key(&m.remote_id)
                            && let Ok(mut l) = latest.lock()
                        {
                            l.insert(m.conversation_remote_id.clone(), (author.to_string(), ts));
                        }
                        if matches!(ev, ConnectorEvent::Receipt { .. })
                            && let Ok(mut st) = sends.lock()
                            && st.in_flight > 0
                        {
                            st.early.push(ev);
                            continue;
                        }
                        if !events.emit(ev).await {
                            return true;
                        }
                    }
                }
                Some(Incoming::Notification { .. }) => {}
            },
            cmd = io.commands.recv() => match cmd {
                None => return true,
                Some(ConnectorCommand::Join { remote_id }) => {
                    choose_group(&remote_id, groups, events).await;
                }
                Some(cmd) => {
                    let (client, events, shared) = (client.clone(), events.clone(), shared.clone());
                    let number = c.number.clone();
                    let lane = match &cmd {
                        ConnectorCommand::Send(out) => Some(out.conversation_remote_id.clone()),
                        _ => None,
                    };
                    let job = async move { command(&client, &number, cmd, &events, &shared).await };
                    match lane {
                        // In order per conversation: parts of a long text, text after files.
                        Some(conversation) => lanes.run(&conversation, job),
                        None => {
                            tokio::spawn(job);
                        }
                    }
                }
            }
        }
    }
}

/// `recipient` or `groupId` for a conversation id.
fn target(conversation: &str) -> (&'static str, Value) {
    match conversation.strip_prefix("group:") {
        Some(g) => ("groupId", json!(g)),
        None => ("recipient", json!([conversation])),
    }
}

fn split_key(key: &str) -> Option<(&str, i64)> {
    let (author, ts) = key.rsplit_once('/')?;
    Some((author, ts.parse().ok()?))
}

async fn command(
    client: &RpcClient,
    number: &str,
    cmd: ConnectorCommand,
    events: &EventSink,
    shared: &Shared,
) {
    let Shared {
        latest,
        sends,
        trust,
        ..
    } = shared;
    let explain = |e: CallError| match e {
        CallError::Rpc(r) => r.explain(),
        other => other.to_string(),
    };
    match cmd {
        ConnectorCommand::Send(out) => {
            use base64::Engine as _;
            // Files travel inline as data URIs: no plain copy on disk for signal-cli.
            let files: Vec<String> = out
                .files
                .iter()
                .map(|f| {
                    format!(
                        "data:{};filename={};base64,{}",
                        f.attachment.mime,
                        crate::domain::safe_file_name(&f.attachment.name),
                        base64::engine::general_purpose::STANDARD.encode(f.bytes.as_slice())
                    )
                })
                .collect();
            let quote = out.reply_to.as_deref().and_then(split_key);
            // The one place the outbound text leaves: shaped by the engine (footer,
            // consent) before; sent verbatim, never truncated (frames::send_params).
            let params =
                frames::send_params(number, &out.conversation_remote_id, &out.body, files, quote);
            if let Ok(mut st) = sends.lock() {
                st.in_flight += 1;
            }
            let answer = client.call("send", params, CALL).await;
            // Refused for the customer's new safety number: show it on the conversation
            // now, not at the next periodic look.
            if matches!(&answer, Err(CallError::Rpc(r)) if r.code == -4)
                && !out.conversation_remote_id.starts_with("group:")
            {
                if let Ok(mut t) = trust.lock() {
                    t.insert(
                        out.conversation_remote_id.clone(),
                        Security::IdentityChanged,
                    );
                }
                events
                    .emit(ConnectorEvent::Security {
                        conversation_remote_id: out.conversation_remote_id.clone(),
                        security: Security::IdentityChanged,
                    })
                    .await;
            }
            let outcome = match answer {
                Ok(r) => r["timestamp"]
                    .as_i64()
                    .map(|ts| frames::message_key(number, ts))
                    .ok_or_else(|| "signal-cli's answer had no timestamp".to_string()),
                Err(e) => Err(explain(e)),
            };
            events
                .emit(ConnectorEvent::SendResult {
                    message: out.message,
                    outcome,
                })
                .await;
            // Receipts that overtook a send follow its result now.
            let early = match sends.lock() {
                Ok(mut st) => {
                    st.in_flight = st.in_flight.saturating_sub(1);
                    if st.in_flight == 0 {
                        std::mem::take(&mut st.early)
                    } else {
                        Vec::new()
                    }
                }
                Err(_) => Vec::new(),
            };
            for ev in early {
                events.emit(ev).await;
            }
        }
        ConnectorCommand::MarkRead {
            conversation_remote_id,
        } => {
            let last = latest
                .lock()
                .ok()
                .and_then(|l| l.get(&conversation_remote_id).cloned());
            if let Some((author, ts)) = last {
                let params = json!({"account": number, "recipient": author,
                    "targetTimestamp": [ts], "type": "read"});
                if let Err(e) = client.call("sendReceipt", params, CALL).await {
                    tracing::warn!(error = %explain(e), "read receipt not sent");
                }
            }
        }
        ConnectorCommand::React {
            conversation_remote_id,
            target: t,
            key,
        } => {
            let Some((author, ts)) = split_key(&t) else {
                return;
            };
            let (k, v) = target(&conversation_remote_id);
            let mut params = json!({"account": number, "emoji": key,
                "targetAuthor": author, "targetTimestamp": ts});
            params[k] = v;
            match client.call("sendReaction", params, CALL).await {
                // Signal sends no echo of our own reaction to this device: record it.
                Ok(r) => {
                    let at = crate::domain::Timestamp(r["timestamp"].as_i64().unwrap_or(0));
                    events
                        .emit(ConnectorEvent::Reaction {
                            remote_id: format!("{t}/reaction/{number}"),
                            target: t.clone(),
                            key,
                            sender: String::new(),
                            outbound: true,
                            at,
                        })
                        .await;
                }
                Err(e) => tracing::warn!(error = %explain(e), "reaction not sent"),
            }
        }
        ConnectorCommand::Typing {
            conversation_remote_id,
            typing,
        } => {
            let (k, v) = target(&conversation_remote_id);
            let mut params = json!({"account": number, "stop": !typing});
            params[k] = v;
            let _ = client.call("sendTyping", params, CALL).await;
        }
        ConnectorCommand::Fetch {
            message,
            index,
            source,
        } => {
            use base64::Engine as _;
            let outcome = match serde_json::from_str::<Value>(&source) {
                Ok(mut params) => {
                    params["account"] = json!(number);
                    match client.call("getAttachment", params, CALL).await {
                        Ok(r) => r["data"]
                            .as_str()
                            .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok())
                            .map(Arc::new)
                            .ok_or_else(|| "signal-cli sent no attachment data".to_string()),
                        Err(e) => Err(explain(e)),
                    }
                }
                Err(e) => Err(format!("unusable attachment reference: {e}")),
            };
            events
                .emit(ConnectorEvent::Fetched {
                    message,
                    index,
                    outcome,
                })
                .await;
        }
        // Signal keeps no history on its servers: there is nothing older to fetch.
        ConnectorCommand::Backfill {
            conversation_remote_id,
            ..
        } => {
            events
                .emit(ConnectorEvent::Backfilled {
                    conversation_remote_id,
                })
                .await;
        }
        // Handled where the group choice lives (serve and the reconnect wait).
        ConnectorCommand::Join { .. } => {}
        ConnectorCommand::Setup { ask, reply } => {
            reply.send(setup::subscribed(client, number, ask, &shared.groups, events).await);
        }
        // The number is set up (this runs only once subscribed): nothing to link.
        ConnectorCommand::Link { .. } => {
            events
                .emit(ConnectorEvent::Link(LinkState::Linked {
                    number: number.to_string(),
                }))
                .await;
        }
    }
}
