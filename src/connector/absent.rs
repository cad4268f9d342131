//! An account the daemon knows from its config but cannot connect yet (not logged in):
//! it says why, answers every send with that reason, and waits until the engine
//! replaces it (`tresen account add` through the daemon) or stops.

use futures::future::BoxFuture;

use super::setup::SetupError;
use super::{Connector, ConnectorCommand, ConnectorError, ConnectorEvent, ConnectorIo};
use crate::domain::{AccountId, AccountNetwork, Health};

pub struct Absent {
    account: AccountId,
    network: AccountNetwork,
    why: String,
}

impl Absent {
    pub fn new(account: AccountId, network: AccountNetwork, why: String) -> Absent {
        Absent {
            account,
            network,
            why,
        }
    }
}

impl Connector for Absent {
    fn account(&self) -> &AccountId {
        &self.account
    }

    fn network(&self) -> AccountNetwork {
        self.network
    }

    fn run(self: Box<Self>, mut io: ConnectorIo) -> BoxFuture<'static, Result<(), ConnectorError>> {
        Box::pin(async move {
            io.events
                .emit(ConnectorEvent::Health(Health::Offline(self.why.clone())))
                .await;
            io.events.emit(ConnectorEvent::CaughtUp).await;
            // What waits for an answer gets one: the reason.
            while let Some(cmd) = io.commands.recv().await {
                let answer = match cmd {
                    ConnectorCommand::Send(out) => ConnectorEvent::SendResult {
                        message: out.message,
                        outcome: Err(self.why.clone()),
                    },
                    ConnectorCommand::Fetch { message, index, .. } => ConnectorEvent::Fetched {
                        message,
                        index,
                        outcome: Err(self.why.clone()),
                    },
                    ConnectorCommand::Setup { reply, .. } => {
                        reply.send(Err(SetupError::Failed(self.why.clone())));
                        continue;
                    }
                    _ => continue,
                };
                io.events.emit(answer).await;
            }
            Ok(())
        })
    }
}
