//! Archive records → inbox store, through the same fact table as live ingest
//! ([`Ingest::ops`]). The archive is the source of truth: at start the
//! engine replays whatever the archive holds beyond the store's last applied record
//! (a crash between the two writes), and `tresen store rebuild` replays everything
//! into a fresh store.

use super::Ingest;
use crate::archive::read::Record;
use crate::domain::AccountId;
use crate::store::{BlobStore, Op, Store, StoreError};

/// Records per store transaction while replaying.
const BATCH: usize = 2048;

/// The sync-position slot that holds the last archive sequence number applied to the
/// store (written in the same transaction as the events it covers). No account can
/// have this id: config ids are `[a-z0-9_-]`.
pub const POSITION: &str = "tresen:archive";

pub fn applied_seq(store: &dyn crate::store::StoreRead) -> Result<u64, StoreError> {
    Ok(store
        .sync_position(&AccountId(POSITION.into()))?
        .and_then(|s| s.parse().ok())
        .unwrap_or(0))
}

pub fn position_op(seq: u64) -> Op {
    Op::SetSyncPosition {
        account: AccountId(POSITION.into()),
        position: seq.to_string(),
    }
}

#[derive(Debug, Default)]
pub struct Replay {
    ingest: Ingest,
    pending: Vec<Op>,
    last_seq: u64,
    pub messages: u64,
    pub records: u64,
    pub shredded: u64,
}

impl Replay {
    /// Writes what is queued, with the position of the last record, in one
    /// transaction; a batch the store refuses is retried op by op so one bad record
    /// does not stop the rest (it stays in the archive either way).
    pub fn flush(&mut self, store: &mut dyn Store) -> Result<(), StoreError> {
        if self.last_seq == 0 && self.pending.is_empty() {
            return Ok(());
        }
        let mut ops = std::mem::take(&mut self.pending);
        ops.push(position_op(self.last_seq));
        if let Err(e) = store.apply(&ops) {
            tracing::warn!(error = %e, "replay batch refused; applying record by record");
            for op in &ops {
                if let Err(e) = store.apply(std::slice::from_ref(op)) {
                    tracing::warn!(error = %e, ?op, "archive record not replayed into the store");
                }
            }
        }
        Ok(())
    }

    /// Queues one record. Idempotent for everything the network identifies; outgoing
    /// messages are matched by their local id. Call [`Replay::flush`] at the end.
    pub fn apply(
        &mut self,
        store: &mut dyn Store,
        blobs: Option<&BlobStore>,
        record: Record,
    ) -> Result<(), StoreError> {
        self.records += 1;
        if self.pending.len() >= BATCH {
            self.flush(store)?;
        }
        // From here the position says this record is in the store (flushes before
        // this line say the one before it).
        let seq = record.seq;
        let Some(payload) = record.payload else {
            self.last_seq = seq;
            self.shredded += 1;
            return Ok(());
        };
        if matches!(
            payload,
            crate::archive::Payload::Message(_) | crate::archive::Payload::Outgoing { .. }
        ) {
            self.messages += 1;
        }
        if let Some(later) = self.ingest.ops(payload, blobs, &mut self.pending)? {
            // It needs the store's answer to what came before it.
            self.flush(store)?;
            self.ingest.apply_now(store, later)?;
        }
        self.last_seq = seq;
        Ok(())
    }
}
