//! Archive records → inbox store, through the same fact table as live ingest
//! ([`Ingest::ops`]). The archive is the source of truth: at start the
//! engine replays whatever the archive holds beyond the store's last applied record
//! (a crash between the two writes), and `tresen store rebuild` replays everything
//! into a fresh store.

use super::Ingest;
use crate::archive::read::Record;
use crate::archive::{Archive, ArchiveError};
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
    /// Inbox messages removed by tombstones and restrictions.
    pub purged: u64,
}

impl Replay {
    /// Writes what is queued, with the position of the last record, in one
    /// transaction; a batch the store refuses is retried op by op so one bad record
    /// does not stop the rest (it stays in the archive either way).
    pub fn flush(&mut self, store: &mut dyn Store) -> Result<(), StoreError> {
        self.flush_with(store, None)
    }

    /// [`Replay::flush`], removing the files a purge in the batch left unused.
    fn flush_with(
        &mut self,
        store: &mut dyn Store,
        blobs: Option<&BlobStore>,
    ) -> Result<(), StoreError> {
        if self.last_seq == 0 && self.pending.is_empty() {
            return Ok(());
        }
        let mut ops = std::mem::take(&mut self.pending);
        ops.push(position_op(self.last_seq));
        let mut unused = Vec::new();
        match store.apply(&ops) {
            Ok(applied) => {
                self.purged += applied.purged as u64;
                unused = applied.purged_blobs;
            }
            Err(e) => {
                tracing::warn!(error = %e, "replay batch refused; applying record by record");
                for op in &ops {
                    match store.apply(std::slice::from_ref(op)) {
                        Ok(applied) => {
                            self.purged += applied.purged as u64;
                            unused.extend(applied.purged_blobs);
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, ?op, "archive record not replayed into the store")
                        }
                    }
                }
            }
        }
        if let Some(blobs) = blobs {
            for b in &unused {
                blobs.remove(b).map_err(|e| StoreError::Io {
                    path: blobs.dir().to_path_buf(),
                    source: std::io::Error::other(e.to_string()),
                })?;
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
        if matches!(self.pending.last(), Some(Op::Purge { .. })) {
            // Now, so the files it frees go before a later record brings them back.
            self.flush_with(store, blobs)?;
        }
        Ok(())
    }
}

/// Brings `store` up to `archive`: replays every record after the last one the store
/// applied (the records a crash left unapplied at start; what a command that runs
/// without an engine just appended). `None`: the store was up to date.
pub fn catch_up<E>(
    archive: &mut Archive,
    store: &mut dyn Store,
    blobs: Option<&BlobStore>,
) -> Result<Option<Replay>, E>
where
    E: From<ArchiveError> + From<StoreError>,
{
    let applied = applied_seq(store)?;
    let head = archive.head().seq;
    if head <= applied {
        return Ok(None);
    }
    let mut replay = Replay::default();
    let dir = archive.dir().to_path_buf();
    let mut failed = None;
    crate::archive::read::for_each(&dir, archive.keys(), applied + 1, |r| {
        if failed.is_none()
            && let Err(e) = replay.apply(store, blobs, r)
        {
            failed = Some(e);
        }
        Ok(())
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    replay.flush(store)?;
    Ok(Some(replay))
}
