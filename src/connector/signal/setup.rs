//! The owner's setup questions ([`SetupAsk`]) answered by the running Signal connector,
//! on the one signal-cli connection it holds (a second signal-cli on the same data dir
//! would fight it for the account): the groups and contacts, which groups are business,
//! and registering the number while it is not set up yet — the state the connector
//! waits in ([`waiting`]) until the number is linked or registered.

use std::sync::Mutex;
use std::time::Duration;

use futures::FutureExt as _;
use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::connector::{Connection, subscribe};
use super::groups::{ForgetError, GroupChoice};
use super::onboarding;
use super::rpc::{CallError, RpcClient};
use crate::connector::setup::{ContactEntry, GroupEntry, SetupAnswer, SetupAsk, SetupError};
use crate::connector::{ConnectorCommand, ConnectorEvent, ConnectorIo, EventSink};
use crate::domain::{Health, LinkState};

const CALL: Duration = Duration::from_secs(60);

/// The groups of `listGroups` the number is still in, marked business by `choice`.
pub fn group_entries(answer: &Value, choice: &GroupChoice) -> Vec<GroupEntry> {
    answer
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["isMember"].as_bool().unwrap_or(true))
        .map(|g| {
            let id = g["id"].as_str().unwrap_or_default();
            GroupEntry {
                id: id.to_string(),
                name: g["name"].as_str().unwrap_or_default().to_string(),
                members: g["members"].as_array().map_or(0, Vec::len),
                business: choice.is_business(id),
            }
        })
        .collect()
}

/// The contacts of `listContacts` that are not hidden, with the name the office knows
/// them by (nickname, contact name, else their profile's).
pub fn contact_entries(answer: &Value) -> Vec<ContactEntry> {
    let given = |v: &Value| v.as_str().unwrap_or_default().trim().to_string();
    answer
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| !c["isHidden"].as_bool().unwrap_or(false))
        .map(|c| {
            let name = [&c["nickName"], &c["name"]]
                .into_iter()
                .map(given)
                .find(|n| !n.is_empty())
                .unwrap_or_else(|| {
                    format!(
                        "{} {}",
                        given(&c["profile"]["givenName"]),
                        given(&c["profile"]["familyName"])
                    )
                    .trim()
                    .to_string()
                });
            ContactEntry {
                number: c["number"].as_str().map(str::to_string),
                uuid: c["uuid"].as_str().map(str::to_string),
                name,
                blocked: c["isBlocked"].as_bool().unwrap_or(false),
            }
        })
        .collect()
}

/// The office accepted a group (an invite) as business: its waiting messages follow,
/// and the choice is stored with the position.
pub async fn choose_group(remote_id: &str, groups: &Mutex<GroupChoice>, events: &EventSink) {
    let chosen = groups.lock().ok().and_then(|mut g| g.choose(remote_id));
    if let Some((held, position)) = chosen {
        for ev in held {
            events.emit(ev).await;
        }
        events.emit(ConnectorEvent::Checkpoint(position)).await;
    }
}

/// A group chosen in the TUI stops being business; the engine stores the new position.
pub async fn forget_group(
    group: &str,
    groups: &Mutex<GroupChoice>,
    events: &EventSink,
) -> Result<SetupAnswer, SetupError> {
    let forgotten = groups
        .lock()
        .map_err(|_| SetupError::Failed("the group choice is unusable".into()))?
        .forget(group);
    match forgotten {
        Ok(position) => {
            events.emit(ConnectorEvent::Checkpoint(position)).await;
            Ok(SetupAnswer::Done)
        }
        Err(ForgetError::InConfig) => Err(SetupError::GroupInConfig),
        Err(ForgetError::NotChosen) => Err(SetupError::GroupNotChosen),
    }
}

/// Answers `ask` while the number is subscribed (set up and receiving).
pub async fn subscribed(
    client: &RpcClient,
    number: &str,
    ask: SetupAsk,
    groups: &Mutex<GroupChoice>,
    events: &EventSink,
) -> Result<SetupAnswer, SetupError> {
    let list = |method: &'static str| async move {
        client
            .call(method, json!({"account": number}), CALL)
            .await
            .map_err(|e| {
                SetupError::Failed(match e {
                    CallError::Rpc(r) => r.explain(),
                    other => other.to_string(),
                })
            })
    };
    match ask {
        SetupAsk::Groups => {
            let answer = list("listGroups").await?;
            let entries = match groups.lock() {
                Ok(choice) => group_entries(&answer, &choice),
                Err(_) => return Err(SetupError::Failed("the group choice is unusable".into())),
            };
            Ok(SetupAnswer::Groups { groups: entries })
        }
        SetupAsk::Contacts => Ok(SetupAnswer::Contacts {
            contacts: contact_entries(&list("listContacts").await?),
        }),
        SetupAsk::ForgetGroup { group } => forget_group(&group, groups, events).await,
        SetupAsk::Register { .. } | SetupAsk::Verify { .. } => Ok(SetupAnswer::AlreadySetUp),
    }
}

/// Answers `ask` while signal-cli does not hold the number; `true` once a verification
/// made it hold it (the caller subscribes).
pub async fn answer_unset(
    client: &RpcClient,
    number: &str,
    why: &str,
    ask: SetupAsk,
    groups: &Mutex<GroupChoice>,
    events: &EventSink,
) -> (Result<SetupAnswer, SetupError>, bool) {
    match ask {
        SetupAsk::Groups | SetupAsk::Contacts => {
            (Err(SetupError::NotSetUp(why.to_string())), false)
        }
        SetupAsk::ForgetGroup { group } => (forget_group(&group, groups, events).await, false),
        SetupAsk::Register { voice, captcha } => (
            onboarding::register(client, number, voice, captcha.as_deref())
                .await
                .map(|()| SetupAnswer::Done)
                .map_err(SetupError::Onboard),
            false,
        ),
        SetupAsk::Verify { code, pin } => {
            match onboarding::verify(client, number, &code, pin.as_deref()).await {
                Ok(()) => (Ok(SetupAnswer::Done), true),
                Err(e) => (Err(SetupError::Onboard(e)), false),
            }
        }
    }
}

pub enum SetupEnd {
    /// The number is set up now and subscribed.
    Subscribed,
    /// The engine stops.
    Stop,
    /// signal-cli went away.
    Lost,
}

/// How often to look whether the number was set up elsewhere (a signal-cli the user
/// runs, linked with its own tools).
const SETUP_RECHECK: Duration = Duration::from_secs(60);

/// signal-cli does not hold the business number yet. The office links it from the TUI
/// ([`ConnectorCommand::Link`]: QR code, then the phone confirms); meanwhile sends fail
/// with the reason and nothing is received.
pub async fn waiting(
    number: &str,
    conn: &mut Connection,
    io: &mut ConnectorIo,
    groups: &Mutex<GroupChoice>,
    caught_up: &mut bool,
) -> SetupEnd {
    let events = &io.events.clone();
    let why = format!(
        "{number} is not set up in signal-cli: link the business phone (L) or run `tresen account link signal` / `tresen account register signal`"
    );
    events.emit(ConnectorEvent::Link(LinkState::Needed)).await;
    events
        .emit(ConnectorEvent::Health(Health::Degraded(why.clone())))
        .await;
    if !*caught_up {
        *caught_up = true;
        events.emit(ConnectorEvent::CaughtUp).await;
    }
    let mut recheck = tokio::time::interval(SETUP_RECHECK);
    recheck.tick().await;
    let mut linking: Option<BoxFuture<'static, Result<String, onboarding::OnboardError>>> = None;
    loop {
        tokio::select! {
            _ = recheck.tick() => {
                if linking.is_none() && subscribe(&conn.client, number).await.is_ok() {
                    // Set up elsewhere (a signal-cli the user runs): nothing left to link.
                    events.emit(ConnectorEvent::Link(LinkState::Linked { number: number.to_string() })).await;
                    return SetupEnd::Subscribed;
                }
            }
            frame = conn.incoming.recv() => {
                if frame.is_none() {
                    return SetupEnd::Lost;
                }
            }
            done = async { linking.as_mut().expect("guarded by the select condition").await }, if linking.is_some() => {
                linking = None;
                let state = match done {
                    Ok(linked) if linked == number => {
                        match subscribe(&conn.client, number).await {
                            Ok(()) => {
                                events.emit(ConnectorEvent::Link(LinkState::Linked { number: linked })).await;
                                return SetupEnd::Subscribed;
                            }
                            Err(e) => LinkState::Failed(e.to_string()),
                        }
                    }
                    Ok(other) => LinkState::Failed(format!(
                        "the phone that scanned is {other}, but this account's number is {}: scan with the business phone, or set number = \"{other}\" in the config",
                        number
                    )),
                    Err(e) => LinkState::Failed(e.to_string()),
                };
                events.emit(ConnectorEvent::Link(state)).await;
            }
            cmd = io.commands.recv() => match cmd {
                None => return SetupEnd::Stop,
                Some(ConnectorCommand::Link { device_name }) if linking.is_none() => {
                    match onboarding::start_link(&conn.client).await {
                        Ok(uri) => {
                            events.emit(ConnectorEvent::Link(LinkState::Waiting { uri: uri.clone() })).await;
                            let client = conn.client.clone();
                            linking = Some(async move {
                                onboarding::finish_link(&client, &uri, &device_name).await
                            }.boxed());
                        }
                        Err(e) => {
                            events.emit(ConnectorEvent::Link(LinkState::Failed(e.to_string()))).await;
                        }
                    }
                }
                Some(ConnectorCommand::Send(out)) => {
                    events.emit(ConnectorEvent::SendResult {
                        message: out.message,
                        outcome: Err(why.clone()),
                    }).await;
                }
                Some(ConnectorCommand::Backfill { conversation_remote_id, .. }) => {
                    events.emit(ConnectorEvent::Backfilled { conversation_remote_id }).await;
                }
                Some(ConnectorCommand::Join { remote_id }) => {
                    choose_group(&remote_id, groups, events).await;
                }
                Some(ConnectorCommand::Setup { ask, reply }) => {
                    let (answer, set_up) = answer_unset(&conn.client, number, &why, ask, groups, events).await;
                    if set_up && let Err(e) = subscribe(&conn.client, number).await {
                        reply.send(Err(SetupError::Failed(e.to_string())));
                        continue;
                    }
                    reply.send(answer);
                    if set_up {
                        events.emit(ConnectorEvent::Link(LinkState::Linked { number: number.to_string() })).await;
                        return SetupEnd::Subscribed;
                    }
                }
                Some(_) => {}
            }
        }
    }
}
