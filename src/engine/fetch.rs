//! Downloads: a file of a stored message, from the attachment store when it is there,
//! else through its account's connector; everyone waiting for the same file is answered
//! by the one download.

use super::*;

/// Who waits for which file.
#[derive(Default)]
pub(super) struct Downloads {
    waiting: HashMap<(MessageId, usize), Vec<FetchReply>>,
}

pub(super) type FetchReply = oneshot::Sender<Result<BlobId, EngineError>>;

impl Downloads {
    /// Adds a waiter (or none: a download for the archive); answers whether the file
    /// was not on its way yet.
    fn wait(&mut self, key: (MessageId, usize), reply: Option<FetchReply>) -> bool {
        let first = !self.waiting.contains_key(&key);
        let list = self.waiting.entry(key).or_default();
        list.extend(reply);
        first
    }

    pub(super) fn is_waiting(&self, key: &(MessageId, usize)) -> bool {
        self.waiting.contains_key(key)
    }

    fn answer(&mut self, key: (MessageId, usize), result: &Result<BlobId, EngineError>) {
        for reply in self.waiting.remove(&key).unwrap_or_default() {
            let r = match result {
                Ok(id) => Ok(id.clone()),
                Err(e) => Err(EngineError::Attachment(e.to_string())),
            };
            let _ = reply.send(r);
        }
    }
}

impl Engine {
    pub(super) fn answer_fetch(
        &mut self,
        key: (MessageId, usize),
        result: Result<BlobId, EngineError>,
    ) {
        self.downloads.answer(key, &result);
    }

    pub(super) fn fetch(&mut self, message: MessageId, index: usize, reply: Option<FetchReply>) {
        let key = (message, index);
        if !self.downloads.wait(key, reply) {
            return; // already on its way
        }
        match self.fetch_command(message, index) {
            Ok(None) => {}
            Ok(Some(done)) => self.answer_fetch(key, Ok(done)),
            Err(e) => {
                tracing::warn!(message = message.0, index, error = %e, "attachment not fetched");
                self.answer_fetch(key, Err(e));
            }
        }
    }

    /// `Some(blob)` if the file is here already, `None` once a connector was asked.
    pub(super) fn fetch_command(
        &mut self,
        message: MessageId,
        index: usize,
    ) -> Result<Option<BlobId>, EngineError> {
        let blobs = self.store.blobs().ok_or_else(no_blob_store)?;
        let store = self.store.lock();
        let m = store
            .message(message)?
            .ok_or(StoreError::NoMessage(message.0))?;
        let a = m.attachments.get(index).ok_or(StoreError::NoAttachment {
            message: message.0,
            index,
        })?;
        if let Some(blob) = &a.blob
            && blobs.contains(blob)
        {
            return Ok(Some(blob.clone()));
        }
        let source = a.source.clone().ok_or_else(|| {
            EngineError::Attachment(format!(
                "{} was never downloaded and the network gave no address for it",
                a.name
            ))
        })?;
        let conv = store
            .conversation(m.conversation)?
            .ok_or_else(|| StoreError::NoConversation(m.conversation.to_string()))?;
        drop(store);
        let tx = self.connectors.get(&conv.account).ok_or_else(|| {
            EngineError::Attachment(format!(
                "account {} is not connected; the file can be downloaded once it is",
                conv.account
            ))
        })?;
        tx.try_send(ConnectorCommand::Fetch {
            message,
            index,
            source,
        })
        .map_err(|_| EngineError::Attachment("the connector is busy; try again".into()))?;
        Ok(None)
    }
}
