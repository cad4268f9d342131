//! What seats and the daemon say to each other over the daemon's socket (docs/protocol.md):
//! JSON-RPC 2.0, one JSON object per line, as tresen already speaks it with signal-cli.
//! The types here are the whole vocabulary; `lines` reads a line with a size limit. Pure
//! apart from that reader: no sockets, no engine.

pub mod accounts;
pub mod books;
pub mod lines;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::app::{Loaded, Query};
use crate::compliance::consent::{Action, ConsentRecord, Method, Purpose};
use crate::compliance::staff::Identity;
use crate::domain::{AccountId, ConversationId, LocalChange, MessageId};
use crate::engine::{Notification, SendOptions};

/// Bumped on every change a seat of the older version would misread.
pub const VERSION: u32 = 2;

/// The longest line either side accepts (a message with its attachments, base64).
pub const MAX_LINE: usize = 48 * 1024 * 1024;

/// What this daemon can do beyond version 1's methods (none yet); a seat checks here
/// before it uses something newer.
pub const CAPABILITIES: &[&str] = &["query", "order", "status", "notify", "books", "account"];

/// JSON-RPC error codes (the standard ones, then ours).
pub mod code {
    pub const PARSE: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const NO_METHOD: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    /// The seat speaks another protocol version.
    pub const VERSION: i64 = -32001;
    /// The OS user has no `[[staff]]` entry.
    pub const NOT_STAFF: i64 = -32002;
    /// The seat's role may not do this.
    pub const FORBIDDEN: i64 = -32003;
    /// The engine refused or failed (the message says why, in the daemon's language).
    pub const ENGINE: i64 = -32004;
    /// `hello` must come first.
    pub const NO_HELLO: i64 = -32005;
    /// The request cannot be carried out as asked (the message says what to give
    /// instead); a command exits with 2.
    pub const REFUSED: i64 = -32006;
}

/// A request (or, without `id`, a notification) as it arrives. `params` stays raw
/// JSON until the method knows its type: no value tree of a large send in between.
#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    pub jsonrpc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Box<RawValue>>,
}

impl Request {
    pub fn new(id: u64, method: &str, params: Box<RawValue>) -> Request {
        Request {
            jsonrpc: "2.0".into(),
            id: Some(Value::from(id)),
            method: method.into(),
            params: Some(params),
        }
    }

    /// The parameters as `T` (absent parameters read as `null`).
    pub fn params<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.params.as_deref().map_or("null", RawValue::get))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

/// A response, or a message from the daemon without `id` (`notify`, `bye`). The
/// result stays raw JSON for the caller, who knows its type.
#[derive(Debug, Deserialize)]
pub struct Incoming {
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default)]
    pub result: Option<Box<RawValue>>,
    #[serde(default)]
    pub error: Option<RpcError>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub params: Option<Box<RawValue>>,
}

/// Any value as raw JSON, written once straight to text (no value tree).
pub fn raw<T: Serialize + ?Sized>(v: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(v).unwrap_or_else(|_| null())
}

/// `null` as raw JSON.
pub fn null() -> Box<RawValue> {
    serde_json::value::to_raw_value(&()).expect("unit serialises")
}

#[derive(Serialize)]
struct Outgoing<'a> {
    jsonrpc: &'static str,
    id: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a RpcError>,
}

/// One line: a response to request `id`.
pub fn response(id: &Value, result: Result<Box<RawValue>, RpcError>) -> String {
    let (result, error) = match &result {
        Ok(r) => (Some(&**r), None),
        Err(e) => (None, Some(e)),
    };
    let mut line = serde_json::to_string(&Outgoing {
        jsonrpc: "2.0",
        id,
        result,
        error,
    })
    .unwrap_or_default();
    line.push('\n');
    line
}

/// One line: a message from the daemon that answers nothing.
pub fn notification(method: &str, params: &impl Serialize) -> String {
    let mut line =
        serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params}).to_string();
    line.push('\n');
    line
}

/// Why a line is not a request; the connection that sent it is closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("not a JSON-RPC 2.0 request: {0}")]
    NotRequest(String),
}

/// Reads a request line. Anything but a JSON-RPC 2.0 request object is malformed.
pub fn parse_request(line: &[u8]) -> Result<Request, Malformed> {
    let req: Request = serde_json::from_slice(line).map_err(|e| {
        match serde_json::from_slice::<serde::de::IgnoredAny>(line) {
            Ok(_) => Malformed::NotRequest(e.to_string()),
            Err(e) => Malformed::Json(e.to_string()),
        }
    })?;
    if req.jsonrpc != "2.0" {
        return Err(Malformed::NotRequest(format!(
            "jsonrpc is {:?}, expected \"2.0\"",
            req.jsonrpc
        )));
    }
    Ok(req)
}

/// `hello`'s parameters: the seat's protocol version and who it is (for the log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HelloParams {
    pub protocol: u32,
    #[serde(default)]
    pub client: String,
}

/// `hello`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    pub capabilities: Vec<String>,
    /// The daemon's PID (shown in the seat's status line).
    pub pid: u32,
    /// Who this seat is, as the daemon decided from the OS login.
    pub identity: Identity,
    /// The office's business hours (`[hours]` of the daemon's config), for the seat's
    /// "closed until" line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<crate::domain::hours::Hours>,
    /// The usage policy in force and the version this staff member accepted (R-F1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<crate::compliance::policy::PolicyStatus>,
}

/// `status`'s answer (`tresen status`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub pid: u32,
    pub socket: String,
    pub uptime_secs: u64,
    /// Attached connections, this one included (never who).
    pub seats: usize,
    pub accounts: std::collections::BTreeMap<AccountId, crate::domain::Health>,
    /// Why the archive cannot be written, if it cannot.
    pub archive_problem: Option<String>,
    /// The last full `tresen archive verify`, if one was run.
    #[serde(default)]
    pub archive_verified: Option<crate::archive::checked::LastVerify>,
}

/// A file in an order: its bytes travel base64-encoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireFile {
    pub name: String,
    pub mime: String,
    #[serde(with = "base64_bytes")]
    pub data: Vec<u8>,
}

/// What a seat asks the engine to do (`order`). The daemon fills in who: a seat never
/// names the sender of a message or the author of a note itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Order {
    Send {
        conversation: ConversationId,
        body: String,
        #[serde(default)]
        files: Vec<WireFile>,
        #[serde(default)]
        reply_to: Option<MessageId>,
        #[serde(default)]
        options: SendOptions,
    },
    Local {
        change: LocalChange,
    },
    Viewed {
        conversation: ConversationId,
    },
    AcceptInvite {
        account: AccountId,
        remote_id: String,
    },
    Link {
        account: AccountId,
        /// What the phone lists this device as (default: "tresen (<host name>)").
        #[serde(default)]
        device_name: Option<String>,
    },
    React {
        message: MessageId,
        key: String,
    },
    Backfill {
        conversation: ConversationId,
    },
    Typing {
        conversation: ConversationId,
        typing: bool,
        /// Forwarded to the customer's network too (`ui.send_typing`).
        #[serde(default)]
        network: bool,
    },
    /// Keep a message to go out at `due`, under the seat's staff name (`send --at`).
    Schedule {
        conversation: ConversationId,
        body: String,
        due: crate::domain::Timestamp,
    },
    /// Withdraw a scheduled message that has not gone out.
    CancelScheduled {
        id: String,
    },
    /// Set or release a hold (owner only).
    Hold {
        change: crate::lifecycle::HoldChange,
    },
    /// Seal the archive's open segment: the next record starts a new one (owner only).
    Seal,
    /// A consent taken outside the chat, recorded under the seat's staff name.
    Consent {
        conversation: ConversationId,
        action: Action,
        purposes: Vec<Purpose>,
        method: Method,
        #[serde(default)]
        evidence: Option<String>,
    },
    /// Correct the contact's name as a new version (R-C12): archived under the seat's
    /// staff name; archived messages keep the name they were written under.
    CorrectContact {
        conversation: ConversationId,
        name: String,
        #[serde(default)]
        reason: String,
    },
    /// The staff member accepts the usage policy in this version (R-F1); archived.
    AcceptPolicy {
        version: String,
    },
    /// A step of the conversation's offer or order (R-E1, R-E2, R-E5), as the inbox's
    /// `O` takes it; archived under the seat's staff name. `german`: a refusal in German.
    OrderStep {
        conversation: ConversationId,
        change: crate::lifecycle::orders::OrderChange,
        #[serde(default)]
        german: bool,
    },
    /// Mark a message's content for the owner only (R-E4, R-C14), or (the owner) lift
    /// the mark; archived under the seat's staff name.
    MarkSensitive {
        message: MessageId,
        mark: Option<crate::domain::Sensitive>,
        #[serde(default)]
        reason: String,
        #[serde(default)]
        german: bool,
    },
    /// Decide one message's or file's retention class (R-B5, R-E3); archived under the
    /// seat's staff name.
    ClassifyItem {
        decision: crate::lifecycle::items::ItemDecision,
    },
    /// The seat read staff names or a raw record on its own (`show --staff-names`,
    /// `archive get`, with the profile's key): archived under its staff name before
    /// anything is shown (R-D3).
    Accessed {
        what: String,
        scope: String,
    },
}

impl Order {
    /// Only reads and typing change nothing a reader of the archive could see.
    pub fn changes_something(&self) -> bool {
        // Accepting the usage policy is every role's duty, auditors' too (R-F1), and so
        // is having one's reads recorded (R-D3).
        !matches!(
            self,
            Order::Typing { .. }
                | Order::Backfill { .. }
                | Order::AcceptPolicy { .. }
                | Order::Accessed { .. }
        )
    }

    /// Only the owner may do this (docs/daemon.md, the role table).
    pub fn owner_only(&self) -> bool {
        // Lifting a mark shows the content to everyone: only the owner sees it to judge.
        matches!(
            self,
            Order::Hold { .. } | Order::Seal | Order::MarkSensitive { mark: None, .. }
        )
    }
}

/// `order`'s answer: the (first) message's id for a send.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Done {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageId>,
    /// For a mark of a message's content: what was archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive: Option<crate::domain::SensitiveMark>,
    /// For an order step: the conversation's offer and order now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<crate::lifecycle::orders::OrderView>,
    /// For a retention class decision: what was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_class: Option<crate::archive::retention::ItemClass>,
    /// For a consent: what was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentRecord>,
    /// For a hold change: what it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<crate::lifecycle::HoldDone>,
    /// For a scheduled send: its id (to cancel it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled: Option<String>,
    /// For a contact correction: what was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<crate::domain::correction::ContactCorrection>,
}

/// `query`'s parameters and answer are the app's own [`Query`] and [`Loaded`].
pub type QueryParams = Query;
pub type QueryAnswer = Loaded;

/// `fetch`'s parameters: attachment `index` of `message`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FetchParams {
    pub message: MessageId,
    pub index: usize,
}

/// `bye`'s parameters: the daemon is going away, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bye {
    pub reason: String,
}

/// `notify`'s parameters.
pub type Notify = Notification;

pub(crate) mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_travel_as_json() {
        let order = Order::Send {
            conversation: ConversationId(1),
            body: "Hallo".into(),
            files: vec![WireFile {
                name: "a.pdf".into(),
                mime: "application/pdf".into(),
                data: vec![0, 159, 255],
            }],
            reply_to: None,
            options: SendOptions::default(),
        };
        let text = serde_json::to_string(&order).unwrap();
        assert_eq!(serde_json::from_str::<Order>(&text).unwrap(), order);
    }

    #[test]
    fn only_json_rpc_2_requests_are_read() {
        assert!(parse_request(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}").is_ok());
        assert!(matches!(
            parse_request(b"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"status\"}"),
            Err(Malformed::NotRequest(_))
        ));
        assert!(matches!(
            parse_request(b"\xff\xfe"),
            Err(Malformed::Json(_))
        ));
        assert!(matches!(
            parse_request(b"[1,2]"),
            Err(Malformed::NotRequest(_))
        ));
    }
}
