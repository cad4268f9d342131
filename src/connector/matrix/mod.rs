//! The Matrix connector (matrix-sdk 0.18): the firm's Matrix account and every chat its
//! bridges (WhatsApp, Telegram, Signal…) bring in.
//!
//! Durability: tresen keeps its own sync token. It is handed to the engine as a
//! [`ConnectorEvent::Checkpoint`] after the events of that sync response, and the engine
//! stores it in the same transaction as those events. matrix-sdk's own token is never
//! reused ("ReusePrevious" could run ahead of tresen's store after a crash); a
//! restart syncs from tresen's token again and idempotent writes drop the repeats.

mod account;
mod commands;
pub mod events;
mod facts;
mod history;
mod rooms;

pub use account::{LoginInfo, MatrixAccount, MatrixError};
use commands::{handle_command, room, wait_or_stop};
use facts::{facts, security};
use history::{fill_gap, member_name, older_page, redecrypt, translate_in};
pub use rooms::{BridgeInfo, RoomFacts, RoomRole, bridge_notice_health, classify};

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use matrix_sdk::attachment::AttachmentConfig;
use matrix_sdk::config::{SyncSettings, SyncToken};
use matrix_sdk::deserialized_responses::RawAnySyncOrStrippedState;
use matrix_sdk::media::{MediaFormat, MediaRequestParameters};
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::api::client::filter::{FilterDefinition, RoomEventFilter, RoomFilter};
use matrix_sdk::ruma::api::client::receipt::create_receipt::v3::ReceiptType;
use matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter;
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::events::receipt::ReceiptThread;
use matrix_sdk::ruma::events::room::MediaSource;
use matrix_sdk::ruma::events::room::message::{RoomMessageEventContent, TextMessageEventContent};
use matrix_sdk::ruma::{
    OwnedEventId, OwnedRoomId, OwnedTransactionId, RoomId, TransactionId, UInt,
};
use matrix_sdk::{Client, Room, RoomMemberships, RoomState};
use rand::Rng as _;
use serde_json::Value;

use crate::connector::RoomSelection;
use crate::connector::{
    Connector, ConnectorCommand, ConnectorError, ConnectorEvent, ConnectorIo, EventSink, Invite,
    OutgoingMessage,
};
use crate::domain::{
    AccountId, AccountNetwork, ConversationKind, ConversationUpsert, Delivery, Health, Security,
};

/// Events per room per sync; a gap beyond this is filled with `/messages`.
const TIMELINE_LIMIT: u32 = 100;
const LONG_POLL: Duration = Duration::from_secs(30);

pub struct MatrixConnector {
    account: MatrixAccount,
    selection: RoomSelection,
}

impl MatrixConnector {
    pub fn new(account: MatrixAccount, selection: RoomSelection) -> Self {
        Self { account, selection }
    }
}

impl Connector for MatrixConnector {
    fn account(&self) -> &AccountId {
        self.account.id()
    }

    fn network(&self) -> AccountNetwork {
        AccountNetwork::Matrix
    }

    /// A transaction id sent again gives the event sent before, and the sync echo of
    /// our own device's event carries it.
    fn idempotent_sends(&self) -> bool {
        true
    }

    fn run(self: Box<Self>, io: ConnectorIo) -> BoxFuture<'static, Result<(), ConnectorError>> {
        Box::pin(async move { run(*self, io).await })
    }
}

/// Exponential backoff with jitter, so that many offices do not hammer a homeserver in
/// step after an outage.
struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(500);
    const MAX: Duration = Duration::from_secs(60);

    fn new() -> Self {
        Self { next: Self::FIRST }
    }

    fn reset(&mut self) {
        self.next = Self::FIRST;
    }

    fn step(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        let jitter = rand::rng().random_range(0.8..1.2);
        base.mul_f64(jitter)
    }
}

/// State shared between the sync loop and the send tasks.
#[derive(Default)]
struct Shared {
    /// Transaction ids of sends in flight (and of those an earlier run left without an
    /// answer): their echo in the sync is our message.
    txns: HashMap<String, crate::domain::MessageId>,
    /// Messages of an earlier run whose echo answered them in this run: not sent again.
    echoed: std::collections::HashSet<crate::domain::MessageId>,
    /// The newest message from someone else per business room: where a read receipt goes.
    latest: HashMap<String, OwnedEventId>,
    /// Invites accepted in this run (the tag on the homeserver may come a sync later).
    accepted: std::collections::HashSet<String>,
}

/// Room tag that marks a room the office accepted as business. Kept in the account's
/// data on the homeserver, so it survives a reinstall and holds for every office PC.
const BUSINESS_TAG: &str = "u.tresen.business";

struct SyncState {
    selection: RoomSelection,
    own_user: String,
    /// Bridge bots seen in portal state, with their protocol.
    bots: Vec<(String, String)>,
    /// Connection problems reported by bridge bots, per protocol.
    bridges: BTreeMap<String, Result<(), String>>,
    caught_up: bool,
    invites_seen: std::collections::HashSet<OwnedRoomId>,
    /// Invites that said they start a direct chat (`is_direct`): after joining, the
    /// room is one before `m.direct` arrives a sync later.
    direct_invites: std::collections::HashSet<OwnedRoomId>,
    /// What each joined room looked like when its state last changed. Reading it from
    /// matrix-sdk's store costs several queries per room; most sync responses carry
    /// only messages, so the facts are recomputed only when state or tags moved.
    facts: HashMap<OwnedRoomId, RoomFacts>,
}

/// Whether a sync update can have changed what [`facts`] reads: room state (in the
/// state section or as state events in the timeline) or room account data (tags).
fn room_changed(update: &matrix_sdk::sync::JoinedRoomUpdate) -> bool {
    use matrix_sdk::sync::State;
    let state = match &update.state {
        State::Before(v) | State::After(v) => !v.is_empty(),
    };
    state
        || !update.account_data.is_empty()
        || update.timeline.events.iter().any(|e| {
            e.raw()
                .get_field::<String>("state_key")
                .ok()
                .flatten()
                .is_some()
        })
}

impl SyncState {
    fn health(&self) -> Health {
        let bad: Vec<String> = self
            .bridges
            .iter()
            .filter_map(|(p, s)| s.as_ref().err().map(|e| format!("{p} bridge: {e}")))
            .collect();
        if bad.is_empty() {
            Health::Online
        } else {
            Health::Degraded(bad.join("; "))
        }
    }
}

/// What the connector keeps in the engine's store with each sync position: the token,
/// and what it learned from rooms that an incremental sync does not repeat — which users
/// are bridge bots and what each bridge last said about its connection. Stored in the
/// same transaction as the events it covers, like the token alone was before.
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Position {
    since: Option<String>,
    #[serde(default)]
    bots: Vec<(String, String)>,
    /// Protocol → the bridge's last complaint (`None`: fine).
    #[serde(default)]
    bridges: BTreeMap<String, Option<String>>,
}

impl Position {
    fn parse(stored: Option<&str>) -> Position {
        match stored {
            None => Position::default(),
            Some(s) => serde_json::from_str(s).unwrap_or_else(|_| Position {
                // Stores written before this format hold the bare token.
                since: Some(s.to_string()),
                ..Position::default()
            }),
        }
    }

    fn of(token: &str, state: &SyncState) -> String {
        let p = Position {
            since: Some(token.to_string()),
            bots: state.bots.clone(),
            bridges: state
                .bridges
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().err()))
                .collect(),
        };
        serde_json::to_string(&p).unwrap_or_else(|_| token.to_string())
    }
}

fn sync_filter() -> Filter {
    Filter::FilterDefinition(sync_filter_definition())
}

fn sync_filter_definition() -> FilterDefinition {
    let mut timeline = RoomEventFilter::default();
    timeline.limit = Some(UInt::from(TIMELINE_LIMIT));
    let mut room = RoomFilter::default();
    room.timeline = timeline;
    room.state.lazy_load_options =
        matrix_sdk::ruma::api::client::filter::LazyLoadOptions::Enabled {
            include_redundant_members: false,
        };
    let mut def = FilterDefinition::default();
    def.room = room;
    def
}

/// The sync filter as JSON, as it goes to the homeserver (the Matrix bench fetches
/// `/sync` raw with it to measure the homeserver's own time).
pub fn sync_filter_json() -> String {
    serde_json::to_string(&sync_filter_definition()).unwrap_or_default()
}

async fn run(connector: MatrixConnector, mut io: ConnectorIo) -> Result<(), ConnectorError> {
    let account = connector.account.id().clone();
    let fail = |message: String| ConnectorError::Failed {
        account: account.clone(),
        message,
    };
    let events = io.events.clone();
    events
        .emit(ConnectorEvent::Health(Health::Connecting))
        .await;
    let mut backoff = Backoff::new();
    let mut deferred = Vec::new();
    // Sends wait for the first sync: the echo of an earlier run's attempt may be in
    // it (then that message is answered, not sent twice), and sends keep their order.
    let mut held: Vec<ConnectorCommand> = Vec::new();
    // CaughtUp is said once per run: after the first sync, or when the homeserver
    // cannot be reached (so `sync --once` does not wait for it forever).
    let mut said_caught_up = false;
    let client = loop {
        match connector.account.restore().await {
            Ok(c) => break c,
            Err(e) if e.is_permanent() => return Err(fail(e.to_string())),
            Err(e) => {
                events
                    .emit(ConnectorEvent::Health(Health::Offline(e.to_string())))
                    .await;
                if !std::mem::replace(&mut said_caught_up, true) {
                    events.emit(ConnectorEvent::CaughtUp).await;
                }
                if wait_or_stop(&mut io, backoff.step(), &mut deferred, Some(&mut held)).await {
                    return Ok(());
                }
            }
        }
    };
    let own_user = client.user_id().map(|u| u.to_string()).unwrap_or_default();
    let shared = Arc::new(Mutex::new(Shared {
        txns: std::mem::take(&mut io.outstanding)
            .into_iter()
            .map(|(m, t)| (t, m))
            .collect(),
        ..Shared::default()
    }));
    let lanes = crate::connector::SendLanes::default();
    // What the office did while the homeserver could not be reached yet.
    for cmd in deferred.drain(..) {
        match cmd {
            ConnectorCommand::Send(_) => held.push(cmd),
            other => handle_command(&client, other, &events, &shared, &lanes),
        }
    }
    let mut state = SyncState {
        selection: connector.selection.clone(),
        own_user,
        bots: Vec::new(),
        bridges: BTreeMap::new(),
        caught_up: false,
        invites_seen: Default::default(),
        direct_invites: Default::default(),
        facts: HashMap::new(),
    };
    // Invites that arrived in an earlier run are not in an incremental sync again, and
    // the engine only holds them in memory: report what matrix-sdk's store still knows.
    for room in client.invited_rooms() {
        if !report_invite(&room, &mut state, &events).await {
            return Ok(());
        }
    }
    let saved = Position::parse(io.resume.as_deref());
    state.bots = saved.bots;
    state.bridges = saved
        .bridges
        .into_iter()
        .map(|(p, e)| (p, e.map_or(Ok(()), Err)))
        .collect();
    if !state.bridges.is_empty() {
        // A bridge that said "not logged in" before the restart has not said otherwise.
        events.emit(ConnectorEvent::Health(state.health())).await;
    }
    let mut token = saved.since;
    let mut next_sync = start_sync(&client, token.clone(), !state.caught_up);
    loop {
        tokio::select! {
            cmd = io.commands.recv() => match cmd {
                None => return Ok(()),
                Some(cmd @ ConnectorCommand::Send(_)) if !state.caught_up => held.push(cmd),
                Some(cmd) => handle_command(&client, cmd, &events, &shared, &lanes),
            },
            res = &mut next_sync => {
                match res {
                    Ok(resp) => {
                        backoff.reset();
                        let since = token.clone();
                        // Which rooms are direct chats lives in global account data
                        // (m.direct, often a sync after the join): it may change any
                        // room's facts.
                        if resp.account_data.iter().any(|e| {
                            e.get_field::<String>("type").ok().flatten().as_deref() == Some("m.direct")
                        }) {
                            state.facts.clear();
                        }
                        if !process(&client, resp.rooms, &mut state, &events, &shared, &account, since.as_deref()).await {
                            return Ok(());
                        }
                        token = Some(resp.next_batch.clone());
                        let position = Position::of(&resp.next_batch, &state);
                        if !events.emit(ConnectorEvent::Checkpoint(position)).await {
                            return Ok(());
                        }
                        events.emit(ConnectorEvent::Health(state.health())).await;
                        if !state.caught_up {
                            state.caught_up = true;
                            let echoed = shared
                                .lock()
                                .map(|s| s.echoed.clone())
                                .unwrap_or_default();
                            for cmd in held.drain(..) {
                                if let ConnectorCommand::Send(out) = &cmd
                                    && echoed.contains(&out.message)
                                {
                                    continue; // went out before; its echo answered it
                                }
                                handle_command(&client, cmd, &events, &shared, &lanes);
                            }
                            // Before CaughtUp, so `sync --once` after `account recover`
                            // leaves with the history decrypted.
                            let retry = std::mem::take(&mut io.undecryptable);
                            if !retry.is_empty() {
                                redecrypt(&client, retry, &events, &account, &state.own_user).await;
                            }
                            if !std::mem::replace(&mut said_caught_up, true) {
                                events.emit(ConnectorEvent::CaughtUp).await;
                            }
                        }
                    }
                    Err(e) => {
                        if e.client_api_error_kind().is_some_and(|k| {
                            matches!(k, matrix_sdk::ruma::api::error::ErrorKind::UnknownToken { .. })
                        }) {
                            let msg = format!(
                                "the homeserver ended this session (logged out elsewhere?): \
                                 run `tresen account remove {account}`, then `tresen account add matrix --id {account} …`"
                            );
                            events.emit(ConnectorEvent::Health(Health::Offline(msg.clone()))).await;
                            return Err(fail(msg));
                        }
                        tracing::warn!(%account, error = %e, "sync failed");
                        events
                            .emit(ConnectorEvent::Health(Health::Offline(format!("sync failed: {e}"))))
                            .await;
                        if !std::mem::replace(&mut said_caught_up, true) {
                            events.emit(ConnectorEvent::CaughtUp).await;
                        }
                        let hold = (!state.caught_up).then_some(&mut held);
                        if wait_or_stop(&mut io, backoff.step(), &mut deferred, hold).await {
                            return Ok(());
                        }
                        for cmd in deferred.drain(..) {
                            handle_command(&client, cmd, &events, &shared, &lanes);
                        }
                    }
                }
                next_sync = start_sync(&client, token.clone(), !state.caught_up);
            }
        }
    }
}

type SyncFuture = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = matrix_sdk::Result<matrix_sdk::sync::SyncResponse>> + Send,
    >,
>;

fn start_sync(client: &Client, token: Option<String>, first: bool) -> SyncFuture {
    let client = client.clone();
    let settings = SyncSettings::default()
        .filter(sync_filter())
        .timeout(if first { Duration::ZERO } else { LONG_POLL })
        .token(match token {
            Some(t) => SyncToken::Specific(t),
            None => SyncToken::NoToken,
        });
    Box::pin(async move { client.sync_once(settings).await })
}

/// Tells the engine about an invite once per run. Returns false once the engine is gone.
async fn report_invite(room: &Room, state: &mut SyncState, events: &EventSink) -> bool {
    if !state.invites_seen.insert(room.room_id().to_owned()) {
        return true;
    }
    // While invited, matrix-sdk reads this from the invite's own member event.
    if room.is_direct().await.unwrap_or(false) {
        state.direct_invites.insert(room.room_id().to_owned());
    }
    let from = room
        .invite_details()
        .await
        .ok()
        .and_then(|d| d.inviter.map(|m| m.name().to_string()))
        .unwrap_or_default();
    let title = room
        .cached_display_name()
        .map(|n| n.to_string())
        .or_else(|| room.name())
        .unwrap_or_else(|| room.room_id().to_string());
    events
        .emit(ConnectorEvent::Invite(Invite {
            remote_id: room.room_id().to_string(),
            from,
            title,
        }))
        .await
}

/// Translates one sync response. Returns false once the engine is gone.
async fn process(
    client: &Client,
    rooms: matrix_sdk::sync::RoomUpdates,
    state: &mut SyncState,
    events: &EventSink,
    shared: &Arc<Mutex<Shared>>,
    account: &AccountId,
    since: Option<&str>,
) -> bool {
    for room_id in rooms.invited.keys() {
        if let Some(room) = client.get_room(room_id)
            && !report_invite(&room, state, events).await
        {
            return false;
        }
    }
    for (room_id, update) in rooms.joined {
        let Some(room) = client.get_room(&room_id) else {
            continue;
        };
        state.invites_seen.remove(&room_id);
        let accepted_here = shared
            .lock()
            .is_ok_and(|s| s.accepted.contains(room_id.as_str()));
        let cached = state
            .facts
            .get(&room_id)
            .filter(|f| !room_changed(&update) && (f.accepted || !accepted_here))
            .cloned();
        // Facts read anew: the room's state moved (a join, a new member, m.direct).
        let fresh = cached.is_none();
        let facts = match cached {
            Some(f) => f,
            None => {
                let mut f = facts(&room, &state.own_user, accepted_here).await;
                f.is_direct |= state.direct_invites.contains(&room_id);
                state.facts.insert(room_id.clone(), f.clone());
                f
            }
        };
        if let Some(b) = &facts.bridge
            && let Some(bot) = &b.bot
            && !state.bots.iter().any(|(x, _)| x == bot)
        {
            state.bots.push((bot.clone(), b.protocol.clone()));
        }
        let role = classify(&facts, &state.selection, &state.bots);
        let mut timeline: Vec<Value> = Vec::new();
        // A limited timeline after an incremental sync skipped events: fetch them.
        if update.timeline.limited
            && let (Some(since), Some(prev), RoomRole::Business { .. }) =
                (since, update.timeline.prev_batch.clone(), &role)
        {
            timeline.extend(fill_gap(&room, prev, since).await);
        }
        timeline.extend(
            update
                .timeline
                .events
                .iter()
                .filter_map(|e| serde_json::from_str::<Value>(e.raw().json().get()).ok()),
        );
        match role {
            RoomRole::Ignored => {
                tracing::debug!(room = %room_id, "not a business room; nothing stored");
            }
            RoomRole::BridgeManagement { protocol } => {
                let protocol = protocol.unwrap_or_else(|| "bridge".into());
                for ev in &timeline {
                    let sender = ev["sender"].as_str().unwrap_or_default();
                    if sender == state.own_user || ev["type"] != "m.room.message" {
                        continue;
                    }
                    if let Some(body) = ev["content"]["body"].as_str()
                        && let Some(h) = bridge_notice_health(body)
                    {
                        state.bridges.insert(protocol.clone(), h);
                    }
                }
            }
            RoomRole::Business { channel, contact } => {
                let kind = if facts.is_direct || facts.bridge.is_some() && facts.others.len() <= 2 {
                    ConversationKind::Direct
                } else {
                    ConversationKind::Group
                };
                let title = contact
                    .as_ref()
                    .map(|c| c.display_name.clone())
                    .or(facts.name.clone())
                    .unwrap_or_else(|| room_id.to_string());
                let upsert = ConversationUpsert {
                    account: account.clone(),
                    remote_id: room_id.to_string(),
                    kind,
                    channel,
                    title,
                    contact,
                    security: security(client, &room, &facts, &state.bots).await,
                };
                if !events.emit(ConnectorEvent::Conversation(upsert)).await {
                    return false;
                }
                // Two people, just joined (or changed), and neither `is_direct` nor
                // `m.direct` seen yet: whether this is a direct chat is told a sync
                // later (or never, for a group of two), and what depends on it waits
                // that long.
                if kind == ConversationKind::Group
                    && fresh
                    && facts.bridge.is_none()
                    && facts.others.len() == 1
                    && !timeline.is_empty()
                    && !events
                        .emit(ConnectorEvent::KindPending {
                            conversation_remote_id: room_id.to_string(),
                        })
                        .await
                {
                    return false;
                }
                let mut names: HashMap<String, Option<String>> = HashMap::new();
                for ev in &timeline {
                    if let Some(s) = ev["sender"].as_str()
                        && !names.contains_key(s)
                    {
                        let name = member_name(&room, s).await;
                        names.insert(s.to_string(), name);
                    }
                }
                let name_of = |u: &str| names.get(u).cloned().flatten();
                let cx = events::Context {
                    account,
                    room_id: room_id.as_str(),
                    own_user: &state.own_user,
                    name_of: &name_of,
                };
                for ev in &timeline {
                    // A read receipt goes on the customer's newest message: a bridge only
                    // passes receipts on for messages it knows (not for our own join).
                    let from_customer = ev["sender"].as_str() != Some(state.own_user.as_str())
                        && matches!(
                            ev["type"].as_str(),
                            Some("m.room.message" | "m.room.encrypted" | "m.sticker")
                        );
                    if from_customer
                        && let Some(id) = ev["event_id"]
                            .as_str()
                            .and_then(|i| OwnedEventId::try_from(i).ok())
                        && let Ok(mut s) = shared.lock()
                    {
                        s.latest.insert(room_id.to_string(), id);
                    }
                    let own_txn = ev["unsigned"]["transaction_id"].as_str().and_then(|t| {
                        let mut s = shared.lock().ok()?;
                        let m = s.txns.get(t).copied()?;
                        s.echoed.insert(m);
                        Some(m)
                    });
                    let mut out = match (own_txn, ev["event_id"].as_str()) {
                        (Some(message), Some(event_id)) => Some(ConnectorEvent::SendResult {
                            message,
                            outcome: Ok(event_id.to_string()),
                        }),
                        _ => events::translate(ev, &cx),
                    };
                    // The very first sync of an account brings the rooms' history, not
                    // messages arriving now: no automatic reply is due for them.
                    if since.is_none()
                        && let Some(ConnectorEvent::Message(m)) = &mut out
                    {
                        m.history = true;
                    }
                    if let Some(out) = out
                        && !events.emit(out).await
                    {
                        return false;
                    }
                }
                for raw in &update.ephemeral {
                    let Ok(v) = serde_json::from_str::<Value>(raw.json().get()) else {
                        continue;
                    };
                    if v["type"] == "m.typing" {
                        let mut names = Vec::new();
                        for u in v["content"]["user_ids"].as_array().into_iter().flatten() {
                            let Some(u) = u.as_str().filter(|u| *u != state.own_user) else {
                                continue;
                            };
                            let name = member_name(&room, u).await;
                            names.push(name.unwrap_or_else(|| u.to_string()));
                        }
                        if !events
                            .emit(ConnectorEvent::Typing {
                                conversation_remote_id: room_id.to_string(),
                                names,
                            })
                            .await
                        {
                            return false;
                        }
                        continue;
                    }
                    if v["type"] != "m.receipt" {
                        continue;
                    }
                    let Some(map) = v["content"].as_object() else {
                        continue;
                    };
                    for (event_id, kinds) in map {
                        let read_by_other = kinds["m.read"]
                            .as_object()
                            .is_some_and(|m| m.keys().any(|u| *u != state.own_user));
                        if read_by_other
                            && !events
                                .emit(ConnectorEvent::Receipt {
                                    remote_id: event_id.clone(),
                                    delivery: Delivery::Read,
                                })
                                .await
                        {
                            return false;
                        }
                    }
                }
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::Position;

    #[test]
    fn a_bare_token_from_an_older_store_still_resumes() {
        let p = Position::parse(Some("s72594_4483_1934"));
        assert_eq!(p.since.as_deref(), Some("s72594_4483_1934"));
        assert!(p.bots.is_empty() && p.bridges.is_empty());
        assert!(Position::parse(None).since.is_none());
        let json = r#"{"since":"s1","bots":[["@whatsappbot:l","whatsapp"]],"bridges":{"whatsapp":"not logged in"}}"#;
        let p = Position::parse(Some(json));
        assert_eq!(p.since.as_deref(), Some("s1"));
        assert_eq!(
            p.bots,
            vec![("@whatsappbot:l".to_string(), "whatsapp".to_string())]
        );
        assert_eq!(p.bridges["whatsapp"].as_deref(), Some("not logged in"));
    }
}
