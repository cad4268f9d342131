//! A scripted connector for the demo profile and for app/engine tests.
//!
//! It plays a list of events, then answers commands the way a network would: a send
//! gets a remote id, later a delivered and a read receipt, and (if configured) a reply
//! from the customer. Sends whose body contains the configured failure marker fail.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::{
    Connector, ConnectorCommand, ConnectorError, ConnectorEvent, ConnectorIo, OutgoingMessage,
};
use crate::domain::{
    AccountId, AccountNetwork, Delivery, Direction, Health, IncomingMessage, MessageKind, Timestamp,
};

#[derive(Debug, Clone)]
pub enum ScriptStep {
    Emit(ConnectorEvent),
    Sleep(Duration),
}

/// What tests can observe of a running fake.
#[derive(Clone, Default)]
pub struct FakeHandle {
    sent: Arc<Mutex<Vec<OutgoingMessage>>>,
    read: Arc<Mutex<Vec<String>>>,
    reacted: Arc<Mutex<Vec<(String, String)>>>,
    typing: Arc<Mutex<Vec<(String, bool)>>>,
}

impl FakeHandle {
    pub fn sent(&self) -> Vec<OutgoingMessage> {
        self.sent.lock().map(|v| v.clone()).unwrap_or_default()
    }

    pub fn marked_read(&self) -> Vec<String> {
        self.read.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// (target message, emoji) of every reaction sent.
    pub fn reacted(&self) -> Vec<(String, String)> {
        self.reacted.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// (conversation, typing) of every typing notice.
    pub fn typing(&self) -> Vec<(String, bool)> {
        self.typing.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

pub struct FakeConnector {
    account: AccountId,
    script: Vec<ScriptStep>,
    replies: Vec<String>,
    receipt_delay: Duration,
    fail_marker: Option<String>,
    /// Older messages the network hands out on the first backfill of their conversation.
    history: Vec<IncomingMessage>,
    handle: FakeHandle,
}

impl FakeConnector {
    pub fn new(account: AccountId) -> Self {
        Self {
            account,
            script: Vec::new(),
            replies: Vec::new(),
            receipt_delay: Duration::from_millis(0),
            fail_marker: None,
            history: Vec::new(),
            handle: FakeHandle::default(),
        }
    }

    pub fn with_script(mut self, script: Vec<ScriptStep>) -> Self {
        self.script = script;
        self
    }

    /// Customer answers to outgoing messages, used in turn.
    pub fn with_replies(mut self, replies: Vec<String>) -> Self {
        self.replies = replies;
        self
    }

    /// Delay between sent → delivered → read (and the customer's reply).
    pub fn with_receipt_delay(mut self, d: Duration) -> Self {
        self.receipt_delay = d;
        self
    }

    /// Older history, served by [`ConnectorCommand::Backfill`].
    pub fn with_history(mut self, history: Vec<IncomingMessage>) -> Self {
        self.history = history;
        self
    }

    pub fn failing_on(mut self, marker: &str) -> Self {
        self.fail_marker = Some(marker.to_string());
        self
    }

    pub fn handle(&self) -> FakeHandle {
        self.handle.clone()
    }

    async fn serve(self: Box<Self>, mut io: ConnectorIo) -> Result<(), ConnectorError> {
        let sink = io.events.clone();
        if !sink.emit(ConnectorEvent::Health(Health::Online)).await {
            return Ok(());
        }
        for step in &self.script {
            match step {
                ScriptStep::Emit(ev) => {
                    if !sink.emit(ev.clone()).await {
                        return Ok(());
                    }
                }
                ScriptStep::Sleep(d) => tokio::time::sleep(*d).await,
            }
        }
        if !sink.emit(ConnectorEvent::CaughtUp).await {
            return Ok(());
        }
        let mut sent_count = 0u64;
        let mut history = self.history.clone();
        while let Some(cmd) = io.commands.recv().await {
            match cmd {
                ConnectorCommand::Send(out) => {
                    sent_count += 1;
                    if let Ok(mut v) = self.handle.sent.lock() {
                        v.push(out.clone());
                    }
                    if let Some(m) = &self.fail_marker
                        && out.body.contains(m.as_str())
                    {
                        sink.emit(ConnectorEvent::SendResult {
                            message: out.message,
                            outcome: Err("the network refused the message".into()),
                        })
                        .await;
                        continue;
                    }
                    let remote_id =
                        format!("{}-out-{}-{}", self.account, out.message.0, sent_count);
                    sink.emit(ConnectorEvent::SendResult {
                        message: out.message,
                        outcome: Ok(remote_id.clone()),
                    })
                    .await;
                    let reply = (!self.replies.is_empty()).then(|| {
                        self.replies[(sent_count as usize - 1) % self.replies.len()].clone()
                    });
                    let delay = self.receipt_delay;
                    let sink = sink.clone();
                    let account = self.account.clone();
                    // Receipts and replies arrive later, while the user keeps working.
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        sink.emit(ConnectorEvent::Receipt {
                            remote_id: remote_id.clone(),
                            delivery: Delivery::Delivered,
                        })
                        .await;
                        tokio::time::sleep(delay).await;
                        sink.emit(ConnectorEvent::Receipt {
                            remote_id: remote_id.clone(),
                            delivery: Delivery::Read,
                        })
                        .await;
                        if let Some(body) = reply {
                            tokio::time::sleep(delay).await;
                            let now = Timestamp::now();
                            sink.emit(ConnectorEvent::Message(IncomingMessage {
                                account,
                                conversation_remote_id: out.conversation_remote_id,
                                remote_id: format!("{remote_id}-reply"),
                                kind: MessageKind::Chat,
                                direction: Direction::Inbound,
                                sender: String::new(),
                                body,
                                attachments: Vec::new(),
                                sent_at: now,
                                received_at: now,
                                raw: None,
                                history: false,
                            }))
                            .await;
                        }
                    });
                }
                ConnectorCommand::MarkRead {
                    conversation_remote_id,
                } => {
                    if let Ok(mut v) = self.handle.read.lock() {
                        v.push(conversation_remote_id);
                    }
                }
                // The scripted network sends no invites and needs no linking.
                ConnectorCommand::Join { .. } | ConnectorCommand::Link { .. } => {}
                ConnectorCommand::Setup { reply, .. } => {
                    reply.send(Err(super::setup::SetupError::Unsupported));
                }
                ConnectorCommand::React { target, key, .. } => {
                    if let Ok(mut v) = self.handle.reacted.lock() {
                        v.push((target.clone(), key.clone()));
                    }
                    // The network echoes the reaction back, as Matrix does.
                    sent_count += 1;
                    sink.emit(ConnectorEvent::Reaction {
                        remote_id: format!("{}-reaction-{sent_count}", self.account),
                        target,
                        key,
                        sender: String::new(),
                        outbound: true,
                        at: Timestamp::now(),
                    })
                    .await;
                }
                ConnectorCommand::Backfill {
                    conversation_remote_id,
                    ..
                } => {
                    let (older, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut history)
                        .into_iter()
                        .partition(|m| m.conversation_remote_id == conversation_remote_id);
                    history = rest;
                    for mut m in older {
                        m.history = true;
                        sink.emit(ConnectorEvent::Message(m)).await;
                    }
                    sink.emit(ConnectorEvent::Backfilled {
                        conversation_remote_id,
                    })
                    .await;
                }
                ConnectorCommand::Typing {
                    conversation_remote_id,
                    typing,
                } => {
                    if let Ok(mut v) = self.handle.typing.lock() {
                        v.push((conversation_remote_id, typing));
                    }
                }
                // Scripted attachments carry their bytes in the source (for the demo
                // and the app tests): "inline:" followed by the content, or "base64:"
                // followed by binary content (the demo's photos).
                ConnectorCommand::Fetch {
                    message,
                    index,
                    source,
                } => {
                    let binary = source.strip_prefix("base64:").and_then(|b| {
                        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b).ok()
                    });
                    let outcome = source
                        .strip_prefix("inline:")
                        .map(|b| b.as_bytes().to_vec())
                        .or(binary)
                        .map(Arc::new)
                        .ok_or_else(|| "the scripted network has no such file".to_string());
                    sink.emit(ConnectorEvent::Fetched {
                        message,
                        index,
                        outcome,
                    })
                    .await;
                }
            }
        }
        Ok(())
    }
}

impl Connector for FakeConnector {
    fn account(&self) -> &AccountId {
        &self.account
    }

    fn network(&self) -> AccountNetwork {
        AccountNetwork::Demo
    }

    fn run(self: Box<Self>, io: ConnectorIo) -> BoxFuture<'static, Result<(), ConnectorError>> {
        self.serve(io).boxed()
    }
}
