//! signal-cli's JSON-RPC wire format, in both directions, without IO.
//!
//! Tolerant where the protocol demands it: unknown fields are ignored; a missing list
//! and an empty one mean the same (newer signal-cli omits empty lists); a sender may be
//! known by UUID only (Signal's phone-number privacy); a `receive` notification comes
//! bare (automatic receive mode) or wrapped in a subscription (manual mode); ids may be
//! numbers or strings. Anything else is a [`FrameError`] for the caller to log and skip.
//!
//! Signal has no message ids: a message is known by its author and its sent timestamp.
//! tresen's remote id for a message is therefore `author/timestamp`. The author is the
//! peer's stable account id (ACI, a UUID) whenever signal-cli gives one — a number can
//! be hidden, appear later or change — and the business number for our own messages.
//! The same key is what reactions, edits, remote deletions and receipts point at, so
//! they match whichever of number and UUID they came with ([`Peers`]). Direct
//! conversations and contacts are keyed the same way.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use crate::connector::ConnectorEvent;
use crate::domain::{
    AccountId, Attachment, Channel, Contact, ConversationKind, ConversationUpsert, Delivery,
    Direction, IncomingMessage, MessageKind, Security, Timestamp, UNDECRYPTABLE,
};

/// Longer lines are not parsed: a peer sending one is broken or hostile. signal-cli's
/// own frames stay far below this (attachments arrive as files, not inline).
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// The answer to a request, matched by `id` (replies come out of order).
    Reply {
        id: Value,
        outcome: Result<Value, RpcError>,
    },
    Notification {
        method: String,
        params: Value,
    },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("signal-cli error {code}: {message}")]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

impl RpcError {
    /// What the office should understand and do, for each code signal-cli returns.
    pub fn explain(&self) -> String {
        let what = match self.code {
            -1 => "Signal refused the request",
            -3 => "Signal's servers could not be reached or answered with an error; tresen retries",
            -4 => {
                "the customer's safety number changed (new phone or reinstall): check it with them, then trust the new key"
            }
            -5 => "Signal is rate-limiting this number; wait a while before sending more",
            -6 => "the captcha was not accepted; get a new one and try again",
            -32600 => "tresen sent a malformed request (a bug; please report it)",
            -32601 => "this signal-cli does not know the request; update signal-cli",
            -32602 => "the request named an account or parameter signal-cli does not have",
            -32603 | -32700 => "signal-cli failed internally; see its log",
            _ => "signal-cli reported an error",
        };
        format!("{what} ({})", self.message)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {0} bytes is over the {MAX_FRAME}-byte limit")]
    TooLarge(usize),
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a JSON-RPC 2.0 frame: {0}")]
    NotJsonRpc(&'static str),
}

/// One line from signal-cli.
pub fn parse(line: &str) -> Result<Frame, FrameError> {
    if line.len() > MAX_FRAME {
        return Err(FrameError::TooLarge(line.len()));
    }
    let v: Value = serde_json::from_str(line).map_err(|e| FrameError::NotJson(e.to_string()))?;
    if v["jsonrpc"] != "2.0" {
        return Err(FrameError::NotJsonRpc("no \"jsonrpc\":\"2.0\""));
    }
    if let Some(method) = v["method"].as_str() {
        if v.get("id").is_some_and(|id| !id.is_null()) {
            return Err(FrameError::NotJsonRpc("a request from the peer"));
        }
        return Ok(Frame::Notification {
            method: method.to_string(),
            params: v.get("params").cloned().unwrap_or(Value::Null),
        });
    }
    let id = v.get("id").cloned().unwrap_or(Value::Null);
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        return Ok(Frame::Reply {
            id,
            outcome: Err(RpcError {
                code: err["code"].as_i64().unwrap_or(0),
                message: err["message"].as_str().unwrap_or_default().to_string(),
            }),
        });
    }
    match v.get("result") {
        Some(result) if !id.is_null() => Ok(Frame::Reply {
            id,
            outcome: Ok(result.clone()),
        }),
        _ => Err(FrameError::NotJsonRpc("neither result, error nor method")),
    }
}

/// A request line (without the newline). `params` null is left out.
pub fn request(id: u64, method: &str, params: Value) -> String {
    let mut v = json!({"jsonrpc": "2.0", "method": method, "id": id});
    if !params.is_null() {
        v["params"] = params;
    }
    v.to_string()
}

/// The parameters of a `receive` notification, in either shape.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    pub account: Option<&'a str>,
    pub envelope: &'a Value,
    /// Set when signal-cli could not decrypt the message.
    pub exception: Option<&'a Value>,
}

pub fn received(params: &Value) -> Option<Received<'_>> {
    // Manual receive mode wraps the payload: {"subscription": n, "result": {...}}.
    let inner = if params.get("subscription").is_some() {
        &params["result"]
    } else {
        params
    };
    let envelope = inner.get("envelope").filter(|e| e.is_object())?;
    Some(Received {
        account: inner["account"].as_str(),
        envelope,
        exception: inner.get("exception").filter(|e| e.is_object()),
    })
}

fn text(v: &Value) -> Option<&str> {
    v.as_str().filter(|s| !s.is_empty())
}

/// Who is who: which number belongs to which account id (ACI), and the names people
/// go by. Learnt from every envelope and from signal-cli's contact list; pure, so the
/// keying rules are tested without a network.
#[derive(Debug, Default, Clone)]
pub struct Peers {
    /// The business number: our own messages are keyed by it.
    own: String,
    own_uuid: Option<String>,
    /// Number → ACI.
    by_number: HashMap<String, String>,
    /// ACI → number, the other way round: asked for every message (a scan of
    /// `by_number` cost 3 % of a burst's time with 1,000 customers).
    by_aci: HashMap<String, String>,
    /// Names by peer key, from the peer's own profile or the phone's contact list.
    names: HashMap<String, String>,
    /// Numbers whose move to the ACI was reported in this run.
    announced: HashSet<String>,
}

impl Peers {
    pub fn new(own: &str) -> Peers {
        Peers {
            own: own.to_string(),
            ..Peers::default()
        }
    }

    /// A contact list entry (`listContacts`): its number, ACI and name.
    pub fn learn_contact(&mut self, v: &Value, out: &mut Vec<ConnectorEvent>) {
        let Some(key) = self.key(&v["number"], &v["uuid"], &Value::Null, out) else {
            return;
        };
        let profile = [&v["profile"]["givenName"], &v["profile"]["familyName"]]
            .iter()
            .filter_map(|x| text(x))
            .collect::<Vec<_>>()
            .join(" ");
        let name = text(&v["name"])
            .map(str::to_string)
            .or_else(|| (!profile.is_empty()).then_some(profile));
        if let Some(name) = name
            && !self.names.contains_key(&key)
        {
            self.names.insert(key, name);
        }
    }

    /// The key of a peer given as number and/or UUID (and signal-cli's older single
    /// field). Learning that a number belongs to an ACI reports
    /// [`ConnectorEvent::Renamed`] once, so what is stored under the number moves.
    pub fn key(
        &mut self,
        number: &Value,
        uuid: &Value,
        legacy: &Value,
        out: &mut Vec<ConnectorEvent>,
    ) -> Option<String> {
        let (mut n, mut u) = (text(number), text(uuid));
        if let Some(l) = text(legacy) {
            if l.starts_with('+') {
                n = n.or(Some(l));
            } else {
                u = u.or(Some(l));
            }
        }
        if n == Some(self.own.as_str()) {
            if let Some(u) = u {
                self.own_uuid = Some(u.to_string());
            }
            return Some(self.own.clone());
        }
        if u.is_some() && u == self.own_uuid.as_deref() {
            return Some(self.own.clone());
        }
        match (n, u) {
            (Some(n), Some(u)) => {
                if self.by_number.get(n).map(String::as_str) != Some(u) {
                    if let Some(old) = self.by_number.insert(n.to_string(), u.to_string())
                        && self.by_aci.get(&old).map(String::as_str) == Some(n)
                    {
                        self.by_aci.remove(&old);
                    }
                    self.by_aci.insert(u.to_string(), n.to_string());
                }
                if self.announced.insert(n.to_string()) {
                    out.push(ConnectorEvent::Renamed {
                        from: n.to_string(),
                        to: u.to_string(),
                    });
                }
                Some(u.to_string())
            }
            (None, Some(u)) => Some(u.to_string()),
            (Some(n), None) => Some(
                self.by_number
                    .get(n)
                    .cloned()
                    .unwrap_or_else(|| n.to_string()),
            ),
            (None, None) => None,
        }
    }

    /// The number of a peer key, when known.
    pub fn number_of(&self, key: &str) -> Option<String> {
        if key.starts_with('+') {
            return Some(key.to_string());
        }
        self.by_aci.get(key).cloned()
    }

    fn name_of(&self, key: &str) -> Option<&str> {
        self.names.get(key).map(String::as_str)
    }
}

/// The message key tresen uses (see the module comment).
pub fn message_key(author: &str, timestamp: i64) -> String {
    format!("{author}/{timestamp}")
}

/// The conversation id of a group (groups and people share one id space).
pub fn group_key(group_id: &str) -> String {
    format!("group:{group_id}")
}

/// What one envelope means for the inbox.
pub fn translate(account: &AccountId, peers: &mut Peers, r: &Received<'_>) -> Vec<ConnectorEvent> {
    let mut out = translate_envelope(account, peers, r);
    // The envelope as signal-cli delivered it goes to the archive as the original.
    let mut raw = None;
    for ev in &mut out {
        if let ConnectorEvent::Message(m) = ev {
            m.raw = Some(raw.get_or_insert_with(|| r.envelope.to_string()).clone());
        }
    }
    out
}

fn translate_envelope(
    account: &AccountId,
    peers: &mut Peers,
    r: &Received<'_>,
) -> Vec<ConnectorEvent> {
    let env = r.envelope;
    let mut out = Vec::new();
    let Some(sender) = peers.key(
        &env["sourceNumber"],
        &env["sourceUuid"],
        &env["source"],
        &mut out,
    ) else {
        return Vec::new();
    };
    let own = peers.own.clone();
    // The name a customer gave themselves; our own device's name is no customer's.
    let given = text(&env["sourceName"]).filter(|_| sender != own);
    if let Some(name) = given {
        peers.names.insert(sender.clone(), name.to_string());
    }
    let name = given
        .map(str::to_string)
        .or_else(|| peers.name_of(&sender).map(str::to_string))
        .unwrap_or_default();
    let ts = env["timestamp"].as_i64().unwrap_or(0);

    if r.exception.is_some() {
        // Not dropped: the office sees that a customer wrote something unreadable.
        out.push(upsert(account, peers, &sender, &name, None));
        out.push(message(
            account,
            &sender,
            &message_key(&sender, ts),
            MessageKind::System,
            Direction::Inbound,
            &name,
            UNDECRYPTABLE.to_string(),
            Vec::new(),
            ts,
        ));
        return out;
    }
    if let Some(dm) = env.get("dataMessage").filter(|d| d.is_object()) {
        let from = Author {
            key: &sender,
            name: &name,
        };
        data(
            account,
            peers,
            from,
            Direction::Inbound,
            &sender,
            dm,
            &mut out,
        );
    }
    if let Some(edit) = env.get("editMessage").filter(|d| d.is_object())
        && let (Some(target), Some(body)) = (
            edit["targetSentTimestamp"].as_i64(),
            text(&edit["dataMessage"]["message"]),
        )
    {
        out.push(ConnectorEvent::Edited {
            remote_id: message_key(&sender, target),
            body: body.to_string(),
            at: Timestamp(ts),
        });
    }
    if let Some(sent) = env["syncMessage"]
        .get("sentMessage")
        .filter(|d| d.is_object())
    {
        // Written on the business phone itself: outgoing, in the recipient's chat.
        let peer = peers.key(
            &sent["destinationNumber"],
            &sent["destinationUuid"],
            &sent["destination"],
            &mut out,
        );
        let conv_peer = peer.unwrap_or_else(|| own.clone());
        let from = Author {
            key: &own,
            name: "",
        };
        data(
            account,
            peers,
            from,
            Direction::Outbound,
            &conv_peer,
            sent,
            &mut out,
        );
    }
    if let Some(receipt) = env.get("receiptMessage").filter(|d| d.is_object()) {
        let delivery = if receipt["isRead"] == true || receipt["isViewed"] == true {
            Some(Delivery::Read)
        } else if receipt["isDelivery"] == true {
            Some(Delivery::Delivered)
        } else {
            None
        };
        if let Some(delivery) = delivery {
            for t in receipt["timestamps"].as_array().into_iter().flatten() {
                if let Some(t) = t.as_i64() {
                    out.push(ConnectorEvent::Receipt {
                        remote_id: message_key(&own, t),
                        delivery,
                    });
                }
            }
        }
    }
    if let Some(typing) = env.get("typingMessage").filter(|d| d.is_object()) {
        let conversation_remote_id = match text(&typing["groupId"]) {
            Some(g) => group_key(g),
            None => sender.clone(),
        };
        let names = if typing["action"] == "STARTED" {
            vec![if name.is_empty() {
                sender.clone()
            } else {
                name.clone()
            }]
        } else {
            Vec::new()
        };
        out.push(ConnectorEvent::Typing {
            conversation_remote_id,
            names,
        });
    }
    out
}

/// Who wrote a data message: the peer key and the name to show ("" for our own).
#[derive(Clone, Copy)]
struct Author<'a> {
    key: &'a str,
    name: &'a str,
}

/// A data message (received, or the sync copy of one sent from the phone).
fn data(
    account: &AccountId,
    peers: &mut Peers,
    author: Author<'_>,
    direction: Direction,
    peer: &str,
    dm: &Value,
    out: &mut Vec<ConnectorEvent>,
) {
    let ts = dm["timestamp"].as_i64().unwrap_or(0);
    let group = text(&dm["groupInfo"]["groupId"]);
    let conversation = match group {
        Some(g) => group_key(g),
        None => peer.to_string(),
    };
    let key = message_key(author.key, ts);
    if let Some(reaction) = dm.get("reaction").filter(|r| r.is_object()) {
        let Some(target_author) = peers.key(
            &reaction["targetAuthorNumber"],
            &reaction["targetAuthorUuid"],
            &reaction["targetAuthor"],
            out,
        ) else {
            return;
        };
        let target = message_key(
            &target_author,
            reaction["targetSentTimestamp"].as_i64().unwrap_or(0),
        );
        let emoji = reaction["emoji"].as_str().unwrap_or_default();
        // One reaction per person and message: its id names both, so a removal finds it.
        let remote_id = format!("{target}/reaction/{}", author.key);
        out.push(if reaction["isRemove"] == true {
            ConnectorEvent::Deleted {
                remote_id,
                at: Timestamp(ts),
            }
        } else {
            ConnectorEvent::Reaction {
                remote_id,
                target,
                key: emoji.to_string(),
                sender: author.name.to_string(),
                outbound: direction == Direction::Outbound,
                at: Timestamp(ts),
            }
        });
        return;
    }
    if let Some(target) = dm["remoteDelete"]["timestamp"].as_i64() {
        out.push(ConnectorEvent::Deleted {
            remote_id: message_key(author.key, target),
            at: Timestamp(ts),
        });
        return;
    }
    let mut body = dm["message"].as_str().unwrap_or_default().to_string();
    if dm.get("quote").is_some_and(|q| q.is_object()) {
        body = format!("↪ {body}");
    }
    let attachments: Vec<Attachment> = dm["attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| {
            let id = text(&a["id"])?;
            let source = match group {
                Some(g) => json!({"id": id, "groupId": g}),
                None => json!({"id": id, "recipient": if direction == Direction::Inbound { author.key } else { peer }}),
            };
            Some(Attachment {
                name: text(&a["filename"]).unwrap_or(id).to_string(),
                mime: text(&a["contentType"])
                    .unwrap_or("application/octet-stream")
                    .to_string(),
                size: a["size"].as_u64().unwrap_or(0),
                source: Some(source.to_string()),
                blob: None,
            })
        })
        .collect();
    if body.is_empty() && attachments.is_empty() {
        return; // profile key updates, expiry timer changes, group updates…
    }
    out.push(match group {
        Some(_) => ConnectorEvent::Conversation(ConversationUpsert {
            account: account.clone(),
            remote_id: conversation.clone(),
            kind: ConversationKind::Group,
            channel: Channel::Signal,
            title: text(&dm["groupInfo"]["groupName"])
                .unwrap_or("Signal-Gruppe")
                .to_string(),
            contact: None,
            security: Security::Encrypted,
        }),
        // A message from our own phone says nothing about the customer's name: the
        // one known (their profile, the contact list) or none, never the number.
        None => {
            let name = match direction {
                Direction::Inbound => author.name.to_string(),
                Direction::Outbound => peers.name_of(peer).unwrap_or_default().to_string(),
            };
            upsert(account, peers, peer, &name, None)
        }
    });
    out.push(message(
        account,
        &conversation,
        &key,
        MessageKind::Chat,
        direction,
        author.name,
        body,
        attachments,
        ts,
    ));
}

/// A direct conversation with `peer`. An empty `name` leaves the stored one alone.
fn upsert(
    account: &AccountId,
    peers: &Peers,
    peer: &str,
    name: &str,
    security: Option<Security>,
) -> ConnectorEvent {
    ConnectorEvent::Conversation(ConversationUpsert {
        account: account.clone(),
        remote_id: peer.to_string(),
        kind: ConversationKind::Direct,
        channel: Channel::Signal,
        title: name.to_string(),
        contact: Some(Contact {
            identity: peer.to_string(),
            display_name: name.to_string(),
            phone: peers.number_of(peer).filter(|n| n != peer),
        }),
        // Signal is always end-to-end encrypted; whether the safety number was
        // verified comes from the identity list, not from a message.
        security: security.unwrap_or(Security::Encrypted),
    })
}

#[allow(clippy::too_many_arguments)]
fn message(
    account: &AccountId,
    conversation: &str,
    key: &str,
    kind: MessageKind,
    direction: Direction,
    sender: &str,
    body: String,
    attachments: Vec<Attachment>,
    ts: i64,
) -> ConnectorEvent {
    ConnectorEvent::Message(IncomingMessage {
        account: account.clone(),
        conversation_remote_id: conversation.to_string(),
        remote_id: key.to_string(),
        kind,
        direction,
        sender: sender.to_string(),
        body,
        attachments,
        sent_at: Timestamp(ts),
        received_at: Timestamp::now(),
        raw: None,
        history: false,
    })
}

/// Official Signal clients silently drop inline bodies over 2 KiB (UTF-8) while the
/// delivery receipt still arrives. Longer text goes, as Signal's own clients send it, as
/// a `text/x-signal-plain` attachment with the start of the text inline.
pub const INLINE_LIMIT: usize = 2048;

/// The `send` parameters for a message to `conversation` (a number, a UUID, or a
/// [`group_key`]). `attachments` are file paths or data URIs. Nothing of `body` is ever
/// cut off: what does not fit inline travels complete as a text attachment.
pub fn send_params(
    account: &str,
    conversation: &str,
    body: &str,
    mut attachments: Vec<String>,
    quote: Option<(&str, i64)>,
) -> Value {
    let mut p = json!({"account": account});
    match conversation.strip_prefix("group:") {
        Some(g) => p["groupId"] = json!(g),
        None => p["recipient"] = json!([conversation]),
    }
    let inline = if body.len() > INLINE_LIMIT {
        use base64::Engine as _;
        let data = base64::engine::general_purpose::STANDARD.encode(body.as_bytes());
        attachments.insert(
            0,
            format!("data:text/x-signal-plain;filename=nachricht.txt;base64,{data}"),
        );
        let mut cut = INLINE_LIMIT;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        &body[..cut]
    } else {
        body
    };
    p["message"] = json!(inline);
    if !attachments.is_empty() {
        p["attachment"] = json!(attachments);
    }
    if let Some((author, ts)) = quote {
        p["quoteAuthor"] = json!(author);
        p["quoteTimestamp"] = json!(ts);
    }
    p
}

/// signal-cli's `listIdentities` answer as the security of each direct conversation,
/// keyed by number and by UUID (a conversation is keyed by whichever the sender showed).
/// signal-cli trusts a new key of an unverified contact on first use; a verified
/// contact's new key stays UNTRUSTED until someone compares safety numbers again.
pub fn identities(v: &Value) -> Vec<(String, Security)> {
    let mut out = Vec::new();
    for id in v.as_array().into_iter().flatten() {
        let security = match id["trustLevel"].as_str() {
            Some("TRUSTED_VERIFIED") => Security::Verified,
            Some("UNTRUSTED") => Security::IdentityChanged,
            Some("TRUSTED_UNVERIFIED") => Security::Encrypted,
            _ => continue,
        };
        for key in [&id["number"], &id["uuid"]] {
            if let Some(k) = text(key) {
                out.push((k.to_string(), security));
            }
        }
    }
    out
}
