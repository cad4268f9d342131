//! Archive records → inbox store. The archive is the source of truth: at start the
//! engine replays whatever the archive holds beyond the store's last applied record
//! (a crash between the two writes), and `tresen store rebuild` replays everything
//! into a fresh store.

use crate::compliance::LedgerEntry;
use std::collections::HashMap;

use super::payload::Payload;
use super::read::Record;
use crate::domain::{AccountId, MessageId};
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
    /// Outgoing messages' local ids in the archive → ids in this store.
    ids: HashMap<i64, MessageId>,
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
        let seq = record.seq;
        self.last_seq = seq;
        if self.pending.len() >= BATCH {
            self.flush(store)?;
        }
        let Some(payload) = record.payload else {
            self.shredded += 1;
            return Ok(());
        };
        let ops = &mut self.pending;
        match payload {
            Payload::Conversation(c) => ops.push(Op::UpsertConversation(c)),
            Payload::Message(mut m) => {
                m.raw = None;
                self.messages += 1;
                ops.push(Op::Incoming(m));
            }
            Payload::Outgoing {
                local_id,
                account,
                conversation,
                staff,
                body,
                attachments,
                at,
                footer,
                consent_pending: _,
                txn,
            } => {
                self.flush(store)?;
                // The footer counts for the policy once its send result says it went
                // out (the store records it then).
                let have = store
                    .message(MessageId(local_id))?
                    .is_some_and(|m| m.sender == staff && m.body == body);
                if !have {
                    self.flush(store)?;
                    let account = AccountId(account);
                    let Some(conv) = store.conversation_by_remote(&account, &conversation)? else {
                        tracing::warn!(seq, "outgoing message of an unknown conversation skipped");
                        return Ok(());
                    };
                    let applied = store.apply(&[Op::QueueOutgoing {
                        conversation: conv,
                        automatic: staff == crate::engine::AUTOMATIC,
                        sender: staff,
                        body,
                        attachments,
                        at,
                        meta: crate::store::SendMeta {
                            txn,
                            footer,
                            notice: None,
                        },
                    }])?;
                    if let Some(id) = applied.queued.first() {
                        self.ids.insert(local_id, *id);
                    }
                    self.messages += 1;
                }
            }
            Payload::SendResult {
                local_id,
                remote_id,
                error,
                at,
                ..
            } => ops.push(Op::SendResult {
                message: self
                    .ids
                    .get(&local_id)
                    .copied()
                    .unwrap_or(MessageId(local_id)),
                outcome: match (remote_id, error) {
                    (Some(r), _) => Ok(r),
                    (None, e) => Err(e.unwrap_or_default()),
                },
                at,
            }),
            Payload::Receipt {
                account,
                remote_id,
                delivery,
                ..
            } => ops.push(Op::Receipt {
                account: AccountId(account),
                remote_id,
                delivery,
            }),
            Payload::Edit {
                account,
                remote_id,
                body,
                at,
                ..
            } => ops.push(Op::RemoteEdit {
                account: AccountId(account),
                remote_id,
                body,
                at,
            }),
            Payload::Delete {
                account,
                remote_id,
                at,
                ..
            } => ops.push(Op::RemoteDelete {
                account: AccountId(account),
                remote_id,
                at,
            }),
            Payload::Reaction {
                account,
                remote_id,
                target,
                key,
                sender,
                direction,
                at,
                ..
            } => ops.push(Op::Reaction {
                account: AccountId(account),
                remote_id,
                target,
                key,
                sender,
                outbound: direction == crate::domain::Direction::Outbound,
                at,
            }),
            Payload::Attachment {
                account,
                message,
                index,
                data,
                ..
            } => {
                let id = match message.strip_prefix("local:") {
                    Some(l) => l
                        .parse()
                        .ok()
                        .map(|l| self.ids.get(&l).copied().unwrap_or(MessageId(l))),
                    None => {
                        // The message may still be queued in this batch.
                        let ops = std::mem::take(ops);
                        self.pending = ops;
                        self.flush(store)?;
                        store
                            .message_by_remote(&AccountId(account), &message)?
                            .map(|(id, _)| id)
                    }
                };
                if let (Some(id), Some(blobs)) = (id, blobs) {
                    use base64::Engine as _;
                    if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data) {
                        let blob = blobs.put(&bytes).map_err(|e| StoreError::Io {
                            path: blobs.dir().to_path_buf(),
                            source: std::io::Error::other(e.to_string()),
                        })?;
                        self.pending.push(Op::SetAttachmentBlob {
                            message: id,
                            index,
                            blob,
                        });
                    }
                }
            }
            // Archive-only records: nothing in the inbox store mirrors them.
            Payload::Config { .. }
            | Payload::Classify { .. }
            | Payload::Hold(_)
            | Payload::HoldRelease { .. }
            | Payload::Tombstone(_)
            | Payload::Restrict { .. }
            | Payload::Access { .. }
            | Payload::Recovery { .. }
            | Payload::FooterVersion { .. } => {}
            Payload::Consent(r) => ops.push(Op::Ledger(LedgerEntry::Consent(r))),
            // Older records name the peer by `from`: from here on the store says `to`.
            Payload::PeerRenamed {
                account, from, to, ..
            } => ops.push(Op::RenamePeer {
                account: AccountId(account),
                from,
                to,
            }),
            Payload::FirstContact(f) => {
                // The store records a notice itself when its send result arrives; the
                // archived record then repeats it.
                self.flush(store)?;
                let known = store.ledger(f.channel, &f.address)?.iter().any(|e| {
                    matches!(e, LedgerEntry::FirstContact(x) if x.message == f.message && x.account == f.account)
                });
                if !known {
                    self.pending.push(Op::Ledger(LedgerEntry::FirstContact(f)));
                }
            }
        }
        Ok(())
    }
}
