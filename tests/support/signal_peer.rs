//! A signal-cli stand-in on a UNIX socket, for the flows that need a Signal server: it
//! checks every request's parameters as signal-cli's JSON-RPC layer does, answers with
//! signal-cli's shapes, and sends what the test tells it (messages, bad frames, death).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;
use tokio::sync::mpsc;
use tresen::connector::signal::{Endpoint, SignalConnector};
use tresen::domain::AccountId;

use super::engine::wait_until;

pub const OWN: &str = "+493012345678";
pub const CUSTOMER: &str = "+4915112345678";
pub const PHOTO: &[u8] = b"\x89PNG fake photo bytes \x00\x01\x02";

/// What the test tells the peer to do on the current connection.
pub enum Say {
    Line(String),
    Die,
}

#[derive(Default)]
pub struct Seen {
    pub requests: Vec<Value>,
    pub connections: usize,
    /// What `listIdentities` answers (signal-cli's JsonIdentity records).
    pub identities: Vec<Value>,
    /// Sends to these numbers fail as to a customer whose safety number changed.
    pub untrusted: Vec<String>,
    /// signal-cli does not hold the business number (yet).
    pub unlinked: bool,
    /// A `finishLink` waiting for the phone: the test answers it (its id).
    pub finish_link: Option<Value>,
}

/// A signal-cli stand-in. Validates parameters the way signal-cli's JSON-RPC layer does
/// (account required in multi-account mode; recipient or groupId; message text).
pub fn peer(socket: PathBuf) -> (mpsc::UnboundedSender<Say>, Arc<Mutex<Seen>>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Say>();
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let listener = UnixListener::bind(&socket).unwrap();
    let s = seen.clone();
    tokio::spawn(async move {
        let mut next_ts = 1_767_300_000_000i64;
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            s.lock().unwrap().connections += 1;
            let (r, mut w) = sock.into_split();
            let mut lines = BufReader::new(r).lines();
            loop {
                tokio::select! {
                    line = lines.next_line() => {
                        let Ok(Some(line)) = line else { break };
                        let req: Value = serde_json::from_str(&line).unwrap();
                        s.lock().unwrap().requests.push(req.clone());
                        let id = req["id"].clone();
                        let p = &req["params"];
                        let method = req["method"].as_str().unwrap_or_default();
                        // Multi-account mode: setting up a number names no account.
                        let needs_account =
                            !["version", "startLink", "finishLink"].contains(&method);
                        let reply = if needs_account && p["account"] != OWN {
                            json!({"jsonrpc":"2.0","error":{"code":-32602,"message":"Method requires valid account parameter","data":null},"id":id})
                        } else {
                            let untrusted = p["recipient"][0]
                                .as_str()
                                .is_some_and(|r| s.lock().unwrap().untrusted.iter().any(|u| u == r));
                            let unlinked = s.lock().unwrap().unlinked;
                            match method {
                                "startLink" => json!({"jsonrpc":"2.0","result":{"deviceLinkUri":"sgnl://linkdevice?uuid=Yz3k&pub_key=BXk7"},"id":id}),
                                "subscribeReceive" if unlinked => json!({"jsonrpc":"2.0","error":{"code":-32602,"message":"Specified account does not exist","data":null},"id":id}),
                                "finishLink" => {
                                    // The phone has not scanned yet: answered by the test.
                                    s.lock().unwrap().finish_link = Some(id);
                                    continue;
                                }
                                "listIdentities" => json!({"jsonrpc":"2.0","result":s.lock().unwrap().identities,"id":id}),
                                "send" if untrusted => json!({"jsonrpc":"2.0","error":{"code":-4,"message":"Failed to send message due to untrusted identities: +4915112345678","data":null},"id":id}),
                                "version" => json!({"jsonrpc":"2.0","result":{"version":"0.14.6"},"id":id}),
                                "subscribeReceive" => json!({"jsonrpc":"2.0","result":0,"id":id}),
                                "send" if (p["recipient"].is_array() || p["groupId"].is_string()) && p["message"].is_string() => {
                                    next_ts += 1000;
                                    let ts = next_ts;
                                    let reply = json!({"jsonrpc":"2.0","result":{"timestamp":ts,"results":[{"recipientAddress":{"uuid":"u1","number":CUSTOMER,"username":null},"type":"SUCCESS"}]},"id":id});
                                    // The customer's phone confirms delivery a moment later.
                                    let receipt = json!({"jsonrpc":"2.0","method":"receive","params":{"subscription":0,"result":{"account":OWN,"envelope":{"sourceNumber":CUSTOMER,"sourceUuid":"u1","sourceName":"Anna Kundin","sourceDevice":1,"timestamp":ts+10,"receiptMessage":{"when":ts+10,"isDelivery":true,"isRead":false,"isViewed":false,"timestamps":[ts]}}}}});
                                    // The client may be gone (a stopped daemon): wait for the next.
                                    if w.write_all(format!("{reply}\n{receipt}\n").as_bytes()).await.is_err() {
                                        break;
                                    }
                                    continue;
                                }
                                "getAttachment" if p["id"] == "photo-1" && p["recipient"] == "u1" => {
                                    json!({"jsonrpc":"2.0","result":{"data": base64::engine::general_purpose::STANDARD.encode(PHOTO)},"id":id})
                                }
                                "sendReceipt" | "sendTyping" | "sendReaction" => json!({"jsonrpc":"2.0","result":{"timestamp":1},"id":id}),
                                "send" | "getAttachment" => json!({"jsonrpc":"2.0","error":{"code":-1,"message":"invalid parameters","data":null},"id":id}),
                                _ => json!({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not implemented","data":null},"id":id}),
                            }
                        };
                        if w.write_all(format!("{reply}\n").as_bytes()).await.is_err() {
                            break;
                        }
                    }
                    say = rx.recv() => match say {
                        Some(Say::Line(l)) => {
                            if w.write_all(format!("{l}\n").as_bytes()).await.is_err() {
                                break;
                            }
                        }
                        Some(Say::Die) | None => {
                            // Half a frame, then gone: as a crashing JVM leaves it.
                            let _ = w.write_all(br#"{"jsonrpc":"2.0","method":"rece"#).await;
                            break;
                        }
                    }
                }
            }
        }
    });
    (tx, seen)
}

pub fn dm(ts: i64, text: &str, attachment: bool) -> String {
    let files = if attachment {
        r#","attachments":[{"contentType":"image/png","filename":"heizung.png","id":"photo-1","size":25}]"#
    } else {
        ""
    };
    format!(
        r#"{{"jsonrpc":"2.0","method":"receive","params":{{"subscription":0,"result":{{"account":"{OWN}","envelope":{{"source":"{CUSTOMER}","sourceNumber":"{CUSTOMER}","sourceUuid":"u1","sourceName":"Anna Kundin","sourceDevice":1,"timestamp":{ts},"dataMessage":{{"timestamp":{ts},"message":"{text}","expiresInSeconds":0,"viewOnce":false{files}}}}}}}}}}}"#
    )
}

pub fn group_line(group: &str, name: &str, ts: i64, text: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","method":"receive","params":{{"subscription":0,"result":{{"account":"{OWN}","envelope":{{"sourceNumber":"{CUSTOMER}","sourceUuid":"u1","sourceName":"Anna Kundin","sourceDevice":1,"timestamp":{ts},"dataMessage":{{"timestamp":{ts},"message":"{text}","groupInfo":{{"groupId":"{group}","groupName":"{name}","type":"DELIVER"}}}}}}}}}}}}"#
    )
}

pub fn sends(seen: &Arc<Mutex<Seen>>) -> Vec<Value> {
    seen.lock()
        .unwrap()
        .requests
        .iter()
        .filter(|r| r["method"] == "send")
        .cloned()
        .collect()
}

/// The whole text a Signal send delivers: the inline body, or the long-text attachment
/// that carries it complete.
pub fn delivered_text(req: &Value) -> String {
    match req["params"]["attachment"][0].as_str() {
        Some(uri) if uri.starts_with("data:text/x-signal-plain") => {
            let data = uri.split_once("base64,").unwrap().1;
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .unwrap(),
            )
            .unwrap()
        }
        _ => req["params"]["message"].as_str().unwrap().to_string(),
    }
}

pub fn signal(socket: &std::path::Path, groups: &[&str]) -> Box<dyn tresen::connector::Connector> {
    Box::new(SignalConnector::new(
        AccountId("signal-buero".into()),
        OWN.into(),
        Endpoint::Socket(socket.to_path_buf()),
        groups.iter().map(|g| g.to_string()).collect(),
    ))
}

pub fn envelope(env: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","method":"receive","params":{{"subscription":0,"result":{{"account":"{OWN}","envelope":{{{env}}}}}}}}}"#
    )
}

pub async fn subscribed(seen: &Arc<Mutex<Seen>>) {
    wait_until("the subscription", || {
        seen.lock()
            .unwrap()
            .requests
            .iter()
            .any(|r| r["method"] == "subscribeReceive")
    })
    .await;
}
