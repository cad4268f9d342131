//! A synthetic business line for benches: conversations and messages with a German
//! vocabulary of a long tail, emitted as fast as the engine takes them.
#![allow(dead_code)]

use futures::FutureExt;
use futures::future::BoxFuture;
use tresen::connector::{Connector, ConnectorError, ConnectorEvent, ConnectorIo};
use tresen::demo::Rng;
use tresen::domain::{
    AccountId, AccountNetwork, Channel, Contact, ConversationKind, ConversationUpsert, Direction,
    IncomingMessage, MessageKind, Timestamp,
};

pub const COMMON: &[&str] = &[
    "die", "der", "und", "ist", "wir", "sie", "bitte", "heizung", "termin", "morgen", "danke",
    "wasser", "kommen", "können", "noch", "gerne", "uhr", "monteur", "rechnung", "angebot",
    "keller", "bad", "therme", "wartung", "kessel", "druck", "foto", "heute", "woche", "zeit",
];

/// A vocabulary with a long tail: common words plus generated rare ones, Zipf-like use.
pub fn word(rng: &mut Rng) -> String {
    let r = rng.next_u64() % 1000;
    if r < 700 {
        COMMON[(rng.next_u64() % COMMON.len() as u64) as usize].to_string()
    } else {
        format!("wort{}", rng.next_u64() % 20_000)
    }
}

pub fn body(rng: &mut Rng) -> String {
    let n = 4 + (rng.next_u64() % 18) as usize;
    (0..n).map(|_| word(rng)).collect::<Vec<_>>().join(" ")
}

/// Emits `conversations` conversations and `messages` messages as fast as the engine takes them.
pub struct Generator {
    pub account: AccountId,
    pub conversations: usize,
    pub messages: usize,
    /// Conversation by conversation, as a first sync backfills history; otherwise every
    /// message goes to a random conversation (live traffic, the worst case for indexes).
    pub grouped: bool,
}

impl Connector for Generator {
    fn account(&self) -> &AccountId {
        &self.account
    }
    fn network(&self) -> AccountNetwork {
        AccountNetwork::Demo
    }
    fn run(self: Box<Self>, mut io: ConnectorIo) -> BoxFuture<'static, Result<(), ConnectorError>> {
        async move {
            let mut rng = Rng(0x5eed);
            let channels = [
                Channel::Whatsapp,
                Channel::Signal,
                Channel::Telegram,
                Channel::Matrix,
            ];
            for c in 0..self.conversations {
                io.events
                    .emit(ConnectorEvent::Conversation(ConversationUpsert {
                        account: self.account.clone(),
                        remote_id: format!("c{c}"),
                        kind: ConversationKind::Direct,
                        channel: channels[c % 4],
                        title: format!("Kunde {c} {}", word(&mut rng)),
                        contact: Some(Contact {
                            identity: format!("+49 170 {c:07}"),
                            display_name: format!("Kunde {c}"),
                            phone: None,
                        }),
                        security: Default::default(),
                    }))
                    .await;
            }
            let t0 = 1_700_000_000_000i64;
            for m in 0..self.messages {
                let c = if self.grouped {
                    m * self.conversations / self.messages
                } else {
                    (rng.next_u64() % self.conversations as u64) as usize
                };
                io.events
                    .emit(ConnectorEvent::Message(IncomingMessage {
                        account: self.account.clone(),
                        conversation_remote_id: format!("c{c}"),
                        remote_id: format!("m{m}"),
                        kind: MessageKind::Chat,
                        direction: if m % 3 == 0 {
                            Direction::Outbound
                        } else {
                            Direction::Inbound
                        },
                        sender: String::new(),
                        body: body(&mut rng),
                        attachments: vec![],
                        sent_at: Timestamp(t0 + m as i64 * 1000),
                        received_at: Timestamp(t0 + m as i64 * 1000),
                        raw: None,
                        history: false,
                    }))
                    .await;
            }
            io.events.emit(ConnectorEvent::CaughtUp).await;
            // Stay connected until the engine shuts down.
            while io.commands.recv().await.is_some() {}
            Ok(())
        }
        .boxed()
    }
}
