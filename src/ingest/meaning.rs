//! The fact table: what one archive record changes in the inbox store. Live ingest,
//! the replay at start and `tresen store rebuild` all go through [`Ingest::ops`].

use std::collections::HashMap;

use crate::archive::Payload;
use crate::compliance::LedgerEntry;
use crate::domain::{AccountId, Direction, MessageId};
use crate::store::{BlobStore, MessageRef, Op, SendMeta, Store, StoreError};

/// A conversation's messages of one archive year out of the store (none for the
/// conversation's own bucket, which holds no messages: the conversation goes with its
/// last message).
fn purge(account: String, conversation: String, year: i32) -> Option<Op> {
    let (from, to) = crate::archive::year_span(year)?;
    (year != crate::archive::retention::META_YEAR).then_some(Op::Purge {
        account: AccountId(account),
        remote_id: conversation,
        from,
        to,
    })
}

/// Records → store ops. Holds what a replay learns along the way.
#[derive(Debug, Default)]
pub struct Ingest {
    /// Outgoing messages' local ids in the archive → ids in this store. Empty live
    /// (the archive's ids are the store's); filled by a replay into another store.
    ids: HashMap<i64, MessageId>,
}

impl Ingest {
    fn local(&self, archived: i64) -> MessageId {
        self.ids
            .get(&archived)
            .copied()
            .unwrap_or(MessageId(archived))
    }

    /// Appends what `payload` changes in the store to `out`. A record that names
    /// something by the store's answer to an earlier record (an outgoing message gets
    /// its inbox id when it is queued; a label change names its conversation by
    /// network id) is handed back: apply `out` first, then [`Ingest::apply_now`].
    /// `blobs` keeps a file's bytes; without it files are not kept.
    pub fn ops(
        &self,
        payload: Payload,
        blobs: Option<&BlobStore>,
        out: &mut Vec<Op>,
    ) -> Result<Option<Payload>, StoreError> {
        match payload {
            Payload::Conversation(c) => out.push(Op::UpsertConversation(c)),
            Payload::Message(mut m) => {
                // The network's own payload lives in the archive only.
                m.raw = None;
                out.push(Op::Incoming(m));
            }
            Payload::SendResult {
                local_id,
                remote_id,
                error,
                at,
                ..
            } => out.push(Op::SendResult {
                message: self.local(local_id),
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
            } => out.push(Op::Receipt {
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
            } => out.push(Op::RemoteEdit {
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
            } => out.push(Op::RemoteDelete {
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
            } => out.push(Op::Reaction {
                account: AccountId(account),
                remote_id,
                target,
                key,
                sender,
                outbound: direction == Direction::Outbound,
                at,
            }),
            Payload::Attachment {
                account,
                message,
                index,
                data,
                ..
            } => {
                let Some(blobs) = blobs else {
                    return Ok(None);
                };
                use base64::Engine as _;
                let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data) else {
                    tracing::warn!(%message, index, "archived file is not base64; not kept");
                    return Ok(None);
                };
                let blob = blobs.put(&bytes).map_err(|e| StoreError::Io {
                    path: blobs.dir().to_path_buf(),
                    source: std::io::Error::other(e.to_string()),
                })?;
                let message = match message.strip_prefix("local:").map(str::parse) {
                    Some(Ok(l)) => MessageRef::Local(self.local(l)),
                    _ => MessageRef::Remote {
                        account: AccountId(account),
                        remote_id: message,
                    },
                };
                out.push(Op::SetAttachmentBlob {
                    message,
                    index,
                    blob,
                });
            }
            Payload::Consent(r) => out.push(Op::Ledger(LedgerEntry::Consent(r))),
            // The store records a notice itself when its send result arrives and keeps
            // one per message, so this record adds it only where that did not happen
            // (a store rebuilt from the archive).
            Payload::FirstContact(f) => out.push(Op::Ledger(LedgerEntry::FirstContact(f))),
            // Older records name the peer by `from`: from here on the store says `to`.
            Payload::PeerRenamed {
                account, from, to, ..
            } => out.push(Op::RenamePeer {
                account: AccountId(account),
                from,
                to,
            }),
            // A year destroyed (its key is gone) or restricted after an erasure request
            // (Art. 18 GDPR: kept only in the archive) leaves the inbox — in a store
            // rebuilt from the archive too, not only in the one that was live then.
            Payload::Tombstone(t) => out.extend(purge(t.account, t.conversation, t.year)),
            Payload::Scheduled {
                id,
                account,
                conversation,
                staff,
                body,
                due,
                at,
            } => out.push(Op::Schedule {
                id,
                account: AccountId(account),
                remote_id: conversation,
                sender: staff,
                body,
                due,
                at,
            }),
            Payload::ScheduleEnded {
                id,
                outcome,
                message,
                reason,
                ..
            } => {
                let message = message.map(|m| self.local(m).0);
                out.push(Op::EndScheduled {
                    id,
                    state: crate::domain::scheduled::ScheduledState::parse(
                        &outcome, reason, message,
                    ),
                })
            }
            Payload::Restrict {
                account,
                conversation,
                year,
                ..
            } => out.extend(purge(account, conversation, year)),
            Payload::ContactCorrected(c) => out.push(Op::CorrectContact(c)),
            p @ (Payload::Outgoing { .. } | Payload::Classify { .. } | Payload::Sensitive(_)) => {
                return Ok(Some(p));
            }
            // Archive-only records: nothing in the inbox store mirrors them.
            Payload::Config { .. }
            | Payload::Hold(_)
            | Payload::HoldRelease { .. }
            | Payload::Access { .. }
            | Payload::Recovery { .. }
            | Payload::ClockBack { .. }
            | Payload::Integrity(_)
            | Payload::ComplianceReport { .. }
            | Payload::PolicyAccepted(_)
            | Payload::DsarRequest(_)
            | Payload::DsarClosed(_)
            | Payload::ItemClass(_)
            | Payload::Order(_)
            | Payload::FooterVersion { .. } => {}
        }
        Ok(None)
    }

    /// The records [`Ingest::ops`] handed back, against a store that has everything
    /// before them. Idempotent: an outgoing message the store has is not queued again.
    pub fn apply_now(&mut self, store: &mut dyn Store, payload: Payload) -> Result<(), StoreError> {
        match payload {
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
                tags: _,
                quote,
            } => {
                let have = store
                    .message(self.local(local_id))?
                    .is_some_and(|m| m.sender == staff && m.body == body);
                if have {
                    return Ok(());
                }
                let account = AccountId(account);
                let Some(conv) = store.conversation_by_remote(&account, &conversation)? else {
                    tracing::warn!(
                        local_id,
                        "outgoing message of an unknown conversation skipped"
                    );
                    return Ok(());
                };
                let quote = match quote {
                    Some(remote) => store
                        .message_by_remote(&account, &remote)?
                        .map(|(id, _)| id),
                    None => None,
                };
                // The footer counts for the policy once its send result says it went
                // out (the store records it then).
                let applied = store.apply(&[Op::QueueOutgoing {
                    conversation: conv,
                    automatic: staff == crate::domain::AUTOMATIC,
                    sender: staff,
                    body,
                    attachments,
                    at,
                    meta: SendMeta {
                        txn,
                        footer,
                        notice: None,
                        quote,
                    },
                }])?;
                if let Some(id) = applied.queued.first() {
                    self.ids.insert(local_id, *id);
                }
            }
            Payload::Classify {
                account,
                conversation,
                labels,
                ..
            } => {
                if let Some(conv) =
                    store.conversation_by_remote(&AccountId(account), &conversation)?
                {
                    store.apply(&[Op::SetLabels {
                        conversation: conv,
                        labels,
                    }])?;
                }
            }
            Payload::Sensitive(s) => {
                let message = match s.message.strip_prefix("local:") {
                    Some(n) => n.parse().ok().map(|n| self.local(n)),
                    None => store
                        .message_by_remote(&AccountId(s.account), &s.message)?
                        .map(|(id, _)| id),
                };
                // A message destroyed meanwhile leaves nothing to mark.
                let message = match message {
                    Some(id) if store.message(id)?.is_some() => Some(id),
                    _ => None,
                };
                match message {
                    Some(message) => {
                        store.apply(&[Op::MarkSensitive {
                            message,
                            mark: s.mark,
                        }])?;
                    }
                    None => tracing::warn!("a mark for a message the store does not have"),
                }
            }
            // `ops` hands back nothing else.
            other => tracing::warn!(kind = other.kind(), "record needs no answer of the store"),
        }
        Ok(())
    }
}
