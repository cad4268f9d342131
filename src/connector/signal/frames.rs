//! signal-cli's JSON-RPC wire format, in both directions, without IO.
//!
//! Tolerant where the protocol demands it: unknown fields are ignored; a missing list
//! and an empty one mean the same (newer signal-cli omits empty lists); a sender may be
//! known by UUID only (Signal's phone-number privacy); a `receive` notification comes
//! bare (automatic receive mode) or wrapped in a subscription (manual mode); ids may be
//! numbers or strings. Anything else is a [`FrameError`] for the caller to log and skip.
//!
//! Signal has no message ids: a message is known by its author and its sent timestamp.
//! tresen's remote id for a message is therefore `author/timestamp`, where the author
//! is the phone number if known, else the UUID — the same key reactions, edits, remote
//! deletions and receipts point at.

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

/// A peer's address: the phone number when signal-cli knows it, else the UUID.
fn address<'a>(number: &'a Value, uuid: &'a Value) -> Option<&'a str> {
    text(number).or_else(|| text(uuid))
}

/// The message key tresen uses (see the module comment).
pub fn message_key(author: &str, timestamp: i64) -> String {
    format!("{author}/{timestamp}")
}

/// The conversation id of a group (groups and people share one id space).
pub fn group_key(group_id: &str) -> String {
    format!("group:{group_id}")
}

/// What one envelope means for the inbox. `own` is the account's own number.
pub fn translate(account: &AccountId, own: &str, r: &Received<'_>) -> Vec<ConnectorEvent> {
    let mut out = translate_envelope(account, own, r);
    // The envelope as signal-cli delivered it goes to the archive as the original.
    let mut raw = None;
    for ev in &mut out {
        if let ConnectorEvent::Message(m) = ev {
            m.raw = Some(raw.get_or_insert_with(|| r.envelope.to_string()).clone());
        }
    }
    out
}

fn translate_envelope(account: &AccountId, own: &str, r: &Received<'_>) -> Vec<ConnectorEvent> {
    let env = r.envelope;
    let Some(sender) =
        address(&env["sourceNumber"], &env["sourceUuid"]).or_else(|| text(&env["source"]))
    else {
        return Vec::new();
    };
    let name = text(&env["sourceName"]).unwrap_or(sender);
    let ts = env["timestamp"].as_i64().unwrap_or(0);
    let mut out = Vec::new();

    if r.exception.is_some() {
        // Not dropped: the office sees that a customer wrote something unreadable.
        out.push(upsert(account, sender, name, None));
        out.push(message(
            account,
            sender,
            &message_key(sender, ts),
            MessageKind::System,
            Direction::Inbound,
            name,
            UNDECRYPTABLE.to_string(),
            Vec::new(),
            ts,
        ));
        return out;
    }
    if let Some(dm) = env.get("dataMessage").filter(|d| d.is_object()) {
        data(
            account,
            sender,
            name,
            Direction::Inbound,
            sender,
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
            remote_id: message_key(sender, target),
            body: body.to_string(),
            at: Timestamp(ts),
        });
    }
    if let Some(sent) = env["syncMessage"]
        .get("sentMessage")
        .filter(|d| d.is_object())
    {
        // Written on the business phone itself: outgoing, in the recipient's chat.
        let peer = address(&sent["destinationNumber"], &sent["destinationUuid"])
            .or_else(|| text(&sent["destination"]));
        let conv_peer = peer.unwrap_or(own);
        data(
            account,
            own,
            name,
            Direction::Outbound,
            conv_peer,
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
                        remote_id: message_key(own, t),
                        delivery,
                    });
                }
            }
        }
    }
    if let Some(typing) = env.get("typingMessage").filter(|d| d.is_object()) {
        let conversation_remote_id = match text(&typing["groupId"]) {
            Some(g) => group_key(g),
            None => sender.to_string(),
        };
        let names = if typing["action"] == "STARTED" {
            vec![name.to_string()]
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

/// A data message (received, or the sync copy of one sent from the phone).
#[allow(clippy::too_many_arguments)]
fn data(
    account: &AccountId,
    author: &str,
    name: &str,
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
    let key = message_key(author, ts);
    if let Some(reaction) = dm.get("reaction").filter(|r| r.is_object()) {
        let Some(target_author) = address(
            &reaction["targetAuthorNumber"],
            &reaction["targetAuthorUuid"],
        )
        .or_else(|| text(&reaction["targetAuthor"])) else {
            return;
        };
        let target = message_key(
            target_author,
            reaction["targetSentTimestamp"].as_i64().unwrap_or(0),
        );
        let emoji = reaction["emoji"].as_str().unwrap_or_default();
        // One reaction per person and message: its id names both, so a removal finds it.
        let remote_id = format!("{target}/reaction/{author}");
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
                sender: name.to_string(),
                outbound: direction == Direction::Outbound,
                at: Timestamp(ts),
            }
        });
        return;
    }
    if let Some(target) = dm["remoteDelete"]["timestamp"].as_i64() {
        out.push(ConnectorEvent::Deleted {
            remote_id: message_key(author, target),
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
                None => json!({"id": id, "recipient": if direction == Direction::Inbound { author } else { peer }}),
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
    let title = match group {
        Some(_) => text(&dm["groupInfo"]["groupName"]).unwrap_or("Signal-Gruppe"),
        None if direction == Direction::Inbound => name,
        None => peer,
    };
    out.push(if group.is_some() {
        ConnectorEvent::Conversation(ConversationUpsert {
            account: account.clone(),
            remote_id: conversation.clone(),
            kind: ConversationKind::Group,
            channel: Channel::Signal,
            title: title.to_string(),
            contact: None,
            security: Security::Encrypted,
        })
    } else {
        upsert(account, peer, title, None)
    });
    out.push(message(
        account,
        &conversation,
        &key,
        MessageKind::Chat,
        direction,
        name,
        body,
        attachments,
        ts,
    ));
}

fn upsert(
    account: &AccountId,
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
