//! Events taken off the queue from the connectors in batches (group commit), weighed
//! back into the queue's byte budget, and batches archived beside the store commit of
//! the one before while more are queued.

use super::*;

/// How long a burst of events may be collected before it is written.
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(20);

/// A burst has ended when no event followed for this long: a lone message (announced
/// with its conversation, two events) is then written at once instead of after the
/// whole window (Signal bench: p50 23 → 5 ms).
const BURST_GAP: std::time::Duration = std::time::Duration::from_millis(2);

/// Events the queue from the connectors holds at most, whatever their size (the
/// bytes are bounded by [`crate::connector::QUEUED_BYTES`]).
pub(super) const EVENTS_QUEUED: usize = 16_384;

/// A batch is closed at this many bytes of events: with the batch archived before it
/// and the queue, what a burst holds in memory stays bounded. 4 MiB rather than 8: the
/// Signal bench's peak went from 155–163 MB to 116–129 MB at the same rate.
const MAX_BATCH_BYTES: usize = 4 << 20;

/// Batches archived beside the store commit of the one before, in one go, before
/// the engine looks at its commands again.
const PIPELINE_ROUNDS: usize = 16;

impl Engine {
    /// While more events are queued, each next batch is archived beside the store
    /// commit of the one before; a few rounds at most, so commands are not kept
    /// waiting behind a long burst. Returns with everything archived also stored:
    /// nothing else (a command, a send, a stop) runs between a batch's archive
    /// write and its store commit.
    pub(super) async fn pipeline(&mut self) {
        let mut rounds = 0;
        while self.archived.is_some() {
            if rounds < PIPELINE_ROUNDS
                && self.archived.as_ref().is_some_and(|a| a.overlaps)
                && self.stalled.is_none()
                && self.failed.is_none()
                && !self.events.is_empty()
                && let Ok(next) = self.events.try_recv()
            {
                rounds += 1;
                let batch = self.gather(next).await;
                self.handle_events(batch);
                continue;
            }
            self.store_archived();
        }
    }

    /// An event is off the queue: its bytes may be queued again. Returns them.
    pub(super) fn taken(&self, (_, event): &(AccountId, ConnectorEvent)) -> usize {
        let weight = event.weight();
        self.budget.add_permits(weight as usize);
        weight as usize
    }

    /// Group commit: every durable commit costs an fsync, so while events keep coming we
    /// collect them for a few milliseconds (or up to `MAX_BATCH`) and write them in one
    /// transaction. A lone event is written at once.
    pub(super) async fn gather(
        &mut self,
        first: (AccountId, ConnectorEvent),
    ) -> Vec<(AccountId, ConnectorEvent)> {
        let mut bytes = self.taken(&first);
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
        while batch.len() < MAX_BATCH && bytes < MAX_BATCH_BYTES {
            match self.events.try_recv() {
                Ok(ev) => {
                    bytes += self.taken(&ev);
                    batch.push(ev);
                }
                Err(_) if batch.len() == 1 => break,
                Err(_) => match tokio::time::timeout_at(
                    deadline.min(tokio::time::Instant::now() + BURST_GAP),
                    self.events.recv(),
                )
                .await
                {
                    Ok(Some(ev)) => {
                        bytes += self.taken(&ev);
                        batch.push(ev);
                    }
                    Ok(None) | Err(_) => break,
                },
            }
        }
        batch
    }
}
