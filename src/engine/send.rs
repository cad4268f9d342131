//! The outbound path: a send checked by the rules, stored as pending, archived, marked
//! as handed over and given to its connector; and at start, what an earlier run left
//! unanswered.

use super::*;

impl Engine {
    pub(super) fn send(
        &mut self,
        conversation: ConversationId,
        body: String,
        files: Vec<NewFile>,
        sender: String,
        reply_to: Option<MessageId>,
        options: &SendOptions,
    ) -> Result<MessageId, EngineError> {
        self.send_as(
            conversation,
            Outgoing {
                body,
                files,
                sender,
                reply_to,
                notice: None,
            },
            options,
        )
    }

    pub(super) fn send_as(
        &mut self,
        conversation: ConversationId,
        what: Outgoing,
        options: &SendOptions,
    ) -> Result<MessageId, EngineError> {
        let planned = self.plan(conversation, what, options)?;
        let mut sent = self.queue_and_hand_over(vec![planned], options)?;
        Ok(sent.remove(0))
    }

    /// Automatic messages for several conversations (the rules' answers to one batch):
    /// stored, archived and marked as handed over in one write each instead of one per
    /// message. A message the rules refuse is logged and left out.
    pub(super) fn send_automatic(&mut self, messages: Vec<(ConversationId, Outgoing)>) {
        if messages.is_empty() {
            return;
        }
        let options = SendOptions::default();
        let mut planned = Vec::with_capacity(messages.len());
        for (conversation, what) in messages {
            match self.plan(conversation, what, &options) {
                Ok(p) => planned.push(p),
                Err(e) => {
                    tracing::warn!(conversation = conversation.0, error = %e, "automatic message not sent")
                }
            }
        }
        if planned.is_empty() {
            return;
        }
        if let Err(e) = self.queue_and_hand_over(planned, &options) {
            tracing::warn!(error = %e, "automatic messages not sent");
        }
    }

    /// A send checked: the footer, consent gate and channel limits applied, its files
    /// in the attachment store. A notice still owed goes out first (R-C8).
    fn plan(
        &mut self,
        conversation: ConversationId,
        what: Outgoing,
        options: &SendOptions,
    ) -> Result<Planned, EngineError> {
        let Outgoing {
            body,
            files,
            sender,
            reply_to,
            notice,
        } = what;
        if body.trim().is_empty() && files.is_empty() {
            return Err(EngineError::Refused("the message is empty".into()));
        }
        let conv = self
            .store
            .lock()
            .conversation(conversation)?
            .ok_or_else(|| StoreError::NoConversation(conversation.to_string()))?;
        let automatic = sender == rules::AUTOMATIC;
        if !automatic
            // A notice that did not go out is still owed: it goes first (R-C8).
            && let Some(notice) = self.rules.owed_notice(&self.store, &conv)?
        {
            self.send_as(conversation, notice, &SendOptions::default())?;
        }
        let quote = reply_to;
        let reply_to = match reply_to {
            Some(id) => self
                .store
                .read(|s| s.message(id))?
                .and_then(|m| m.remote_id),
            None => None,
        };
        let outgoing: Vec<OutgoingFile> = files
            .into_iter()
            .map(|f| OutgoingFile {
                attachment: Attachment {
                    name: f.name,
                    mime: f.mime,
                    size: f.bytes.len() as u64,
                    source: None,
                    blob: None,
                },
                bytes: f.bytes,
            })
            .collect();
        // Footer, consent gate and channel limits decide what goes out; what is stored
        // as pending is exactly what will be sent.
        let (mut parts, gate) =
            self.rules
                .plan_send(&self.store, &conv, body, outgoing, options)?;
        if gate == crate::compliance::consent::Gate::ConsentPending {
            tracing::info!(
                conversation = conversation.0,
                "reply without consent on record: consent pending"
            );
        }
        // Files go to the attachment store first: a pending message never points at
        // bytes that are not there.
        if parts.iter().any(|p| !p.files.is_empty()) {
            let blobs = self.store.blobs().ok_or_else(no_blob_store)?;
            for f in parts.iter_mut().flat_map(|p| p.files.iter_mut()) {
                f.attachment.blob = Some(blobs.put(&f.bytes)?);
            }
        }
        let answered = self.store.read(|s| s.last_exchange(conversation))?.1;
        let now = not_before_answered(self.rules.now(), answered, conversation);
        let n = parts.len();
        let ops: Vec<Op> = parts
            .iter_mut()
            .enumerate()
            .map(|(i, p)| {
                p.txn = Some(new_txn());
                Op::QueueOutgoing {
                    conversation,
                    sender: sender.clone(),
                    body: p.body.clone(),
                    attachments: p.files.iter().map(|f| f.attachment.clone()).collect(),
                    at: now,
                    automatic,
                    meta: crate::store::SendMeta {
                        txn: p.txn.clone(),
                        footer: p.footer.clone(),
                        // The notice is its last part (the question and the footer).
                        notice: notice.clone().filter(|_| i + 1 == n).map(Box::new),
                        // The first part answers the quoted message.
                        quote: quote.filter(|_| i == 0),
                    },
                }
            })
            .collect();
        Ok(Planned {
            conv,
            sender,
            parts,
            ops,
            at: now,
            pending: gate == crate::compliance::consent::Gate::ConsentPending,
            reply_to,
        })
    }

    /// Stores the sends as pending, archives them (nothing leaves the house
    /// unrecorded), marks them handed over and gives them to their connectors: one
    /// write of each kind for all of them. Returns each send's first message.
    fn queue_and_hand_over(
        &mut self,
        planned: Vec<Planned>,
        options: &SendOptions,
    ) -> Result<Vec<MessageId>, EngineError> {
        let ops: Vec<Op> = planned.iter().flat_map(|p| p.ops.iter().cloned()).collect();
        let applied = self.apply(&ops)?;
        if applied.queued.len() != ops.len() {
            return Err(EngineError::Refused(
                "store did not queue the message".into(),
            ));
        }
        self.publish(&applied);
        let mut ids = applied.queued.iter().copied();
        let queued: Vec<Vec<MessageId>> = planned
            .iter()
            .map(|p| ids.by_ref().take(p.parts.len()).collect())
            .collect();
        // Archived before any connector sees it: nothing leaves the house unrecorded.
        let entries = planned
            .iter()
            .zip(&queued)
            .flat_map(|(p, ids)| {
                outgoing_entries(
                    &p.conv,
                    &p.sender,
                    ids,
                    &p.parts,
                    (p.at, p.pending),
                    (&options.tags, p.reply_to.as_deref()),
                )
            })
            .collect();
        let archived = match self.archive.as_mut() {
            Some(archive) => archive.append(entries).map(|head| Some(head.seq)),
            None => Ok(None),
        };
        if let Err(e) = archived {
            let reason = format!("not archived, so not sent: {e}");
            let failed: Vec<Op> = applied
                .queued
                .iter()
                .map(|&id| Op::SendResult {
                    message: id,
                    outcome: Err(reason.clone()),
                    at: Timestamp::now(),
                })
                .collect();
            let a = self.apply(&failed)?;
            self.publish(&a);
            for &id in &applied.queued {
                self.notify(Notification::Message(id));
            }
            self.set_archive_problem(Some(e.to_string()));
            return Err(EngineError::Refused(format!(
                "the archive cannot be written ({e}); nothing was sent"
            )));
        }
        crate::fault::point("after-queue");
        // One write: the store catches up with the archive (a replay at the next start
        // would find the messages there already) and the parts are marked as handed
        // over, which they are next.
        let mut ops: Vec<Op> = archived
            .ok()
            .flatten()
            .map(crate::ingest::position_op)
            .into_iter()
            .collect();
        for (p, ids) in planned.iter().zip(&queued) {
            if self.connectors.contains_key(&p.conv.account) {
                ops.extend(ids.iter().map(|&message| Op::SendAttempt { message }));
            }
        }
        if let Err(e) = self.apply(&ops) {
            tracing::warn!(error = %e, "send not marked as handed over");
        }
        crate::fault::point("after-attempt");
        let mut first = Vec::with_capacity(planned.len());
        // A send that cannot be handed over does not keep the others back.
        let mut failure = None;
        for (p, ids) in planned.into_iter().zip(queued) {
            first.push(ids[0]);
            for (&id, part) in ids.iter().zip(p.parts) {
                let out = OutgoingMessage {
                    message: id,
                    conversation_remote_id: p.conv.remote_id.clone(),
                    body: part.body,
                    files: part.files,
                    reply_to: p.reply_to.clone(),
                    txn: part.txn,
                };
                if let Err(e) = self.hand_over(&p.conv.account, out, false) {
                    // The send's later parts wait: they must not overtake this one.
                    failure.get_or_insert(e);
                    break;
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(first),
        }
    }

    /// Gives a stored, archived message to its connector, marked as attempted first
    /// (`mark`, unless the caller did): after a crash from here on, the network may
    /// have it. A connector that cannot take it makes the message fail with the reason.
    pub(super) fn hand_over(
        &mut self,
        account: &AccountId,
        out: OutgoingMessage,
        mark: bool,
    ) -> Result<(), EngineError> {
        let id = out.message;
        let refused = match self.connectors.get(account) {
            None => Some("no connector is running for this account"),
            Some(tx) => {
                let tx = tx.clone();
                if mark {
                    self.apply(&[Op::SendAttempt { message: id }])?;
                    crate::fault::point("after-attempt");
                }
                match tx.try_send(ConnectorCommand::Send(out)) {
                    Ok(()) => None,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        Some("the connector is busy; try again")
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => Some("the connector has stopped"),
                }
            }
        };
        match refused {
            None => {
                if let Ok(mut s) = self.sends.lock() {
                    // A daemon runs for months: only the recent past is reported.
                    if s.handed.len() >= HANDED_KEPT {
                        s.handed.drain(..HANDED_KEPT / 2);
                    }
                    s.handed.push(id);
                    s.in_flight.insert(id);
                }
            }
            Some(reason) => {
                let applied = self.apply(&[Op::SendResult {
                    message: id,
                    outcome: Err(reason.to_string()),
                    at: Timestamp::now(),
                }])?;
                self.publish(&applied);
                self.notify(Notification::Message(id));
            }
        }
        Ok(())
    }

    /// At start: what an earlier run stored as pending but never learned the fate of.
    /// Automatic messages (the first-contact notice) and staff messages of the last
    /// hour go out again, with the same idempotency key; older staff messages are
    /// marked failed (their text may be out of date). A staff message a network
    /// without idempotency keys (Signal) may already have is marked unclear: staff
    /// decide whether to send it again.
    /// With `only`, just that account's (its connector was started again).
    pub(super) fn recover_sends(&mut self, only: Option<&AccountId>) {
        let unsent = match self.store.read(|s| s.unsent()) {
            Ok(u) => u,
            Err(e) => {
                tracing::error!(error = %e, "cannot list unsent messages; they stay pending");
                return;
            }
        };
        let now = Timestamp::now();
        for u in unsent
            .into_iter()
            .filter(|u| only.is_none_or(|a| *a == u.account))
        {
            let id = u.message.id;
            let automatic = u.message.sender == rules::AUTOMATIC;
            let decision = if u.attempted && !automatic && !self.idempotent.contains(&u.account) {
                Some(Op::SendUnclear {
                    message: id,
                    reason: crate::domain::FAILURE_UNCLEAR.to_string(),
                })
            } else if !automatic && now.0 - u.message.sent_at.0 > RESEND_WITHIN {
                Some(Op::SendResult {
                    message: id,
                    outcome: Err(crate::domain::FAILURE_TOO_OLD.to_string()),
                    at: now,
                })
            } else {
                None
            };
            if let Some(op) = decision {
                tracing::info!(message = id.0, ?op, "unsent message from an earlier run");
                match self.apply(&[op]) {
                    Ok(a) => self.publish(&a),
                    Err(e) => {
                        tracing::warn!(message = id.0, error = %e, "unsent message left as it was")
                    }
                }
                self.notify(Notification::Message(id));
                continue;
            }
            let files = match self.stored_files(&u.message.attachments) {
                Ok(f) => f,
                Err(why) => {
                    let _ = self.apply(&[Op::SendResult {
                        message: id,
                        outcome: Err(why),
                        at: now,
                    }]);
                    self.notify(Notification::Message(id));
                    continue;
                }
            };
            tracing::info!(message = id.0, account = %u.account, "sending a message an earlier run left pending");
            let out = OutgoingMessage {
                message: id,
                conversation_remote_id: u.conversation_remote_id,
                body: u.message.body,
                files,
                reply_to: None,
                txn: u.meta.txn,
            };
            if let Err(e) = self.hand_over(&u.account, out, true) {
                tracing::warn!(message = id.0, error = %e, "unsent message not handed over");
            }
        }
    }

    /// The bytes of a stored message's files, from the attachment store.
    pub(super) fn stored_files(
        &self,
        attachments: &[Attachment],
    ) -> Result<Vec<OutgoingFile>, String> {
        if attachments.is_empty() {
            return Ok(Vec::new());
        }
        let blobs = self
            .store
            .blobs()
            .ok_or("this profile has no attachment store")?;
        attachments
            .iter()
            .map(|a| {
                let blob = a
                    .blob
                    .as_ref()
                    .ok_or_else(|| format!("{} is not in the attachment store", a.name))?;
                let bytes = blobs.get(blob).map_err(|e| format!("{}: {e}", a.name))?;
                Ok(OutgoingFile {
                    attachment: a.clone(),
                    bytes: Arc::new(bytes.to_vec()),
                })
            })
            .collect()
    }
}

/// A send as the archive keeps it: each part, and each part's files.
fn outgoing_entries(
    conv: &crate::domain::Conversation,
    staff: &str,
    ids: &[MessageId],
    parts: &[rules::Part],
    (at, consent_pending): (Timestamp, bool),
    (tags, quote): (&[String], Option<&str>),
) -> Vec<Entry> {
    let mut entries = Vec::new();
    for (&id, part) in ids.iter().zip(parts) {
        let (body, files) = (&part.body, &part.files);
        entries.push(Entry {
            scope: Scope::conversation(&conv.account.0, &conv.remote_id, at),
            payload: Payload::Outgoing {
                local_id: id.0,
                account: conv.account.0.clone(),
                conversation: conv.remote_id.clone(),
                staff: staff.to_string(),
                body: body.clone(),
                attachments: files.iter().map(|f| f.attachment.clone()).collect(),
                at,
                footer: part.footer.clone(),
                consent_pending,
                txn: part.txn.clone(),
                tags: tags.to_vec(),
                // The first part answers the quoted message.
                quote: quote.filter(|_| entries.is_empty()).map(str::to_string),
            },
        });
        for (index, f) in files.iter().enumerate() {
            entries.push(crate::ingest::attachment(
                &conv.account,
                &conv.remote_id,
                format!("local:{}", id.0),
                index,
                f.attachment.name.clone(),
                f.attachment.mime.clone(),
                &f.bytes,
                at,
            ));
        }
    }
    entries
}

/// A send checked and ready to be stored, archived and handed over.
struct Planned {
    conv: crate::domain::Conversation,
    sender: String,
    parts: Vec<rules::Part>,
    ops: Vec<Op>,
    at: Timestamp,
    /// Sent without consent on record (the consent gate said so).
    pending: bool,
    /// The remote id of the message the first part answers.
    reply_to: Option<String>,
}

/// What to send, for [`Engine::send_as`].
pub(super) struct Outgoing {
    pub body: String,
    pub files: Vec<NewFile>,
    pub sender: String,
    pub reply_to: Option<MessageId>,
    /// The first-contact notice: recorded for the contact once it is sent.
    pub notice: Option<crate::compliance::FirstContact>,
}

/// A fresh idempotency key for a send (a Matrix transaction id: unique per device).
fn new_txn() -> String {
    use rand::Rng as _;
    let bytes: [u8; 12] = rand::rng().random();
    format!("tresen-{}", hex::encode(bytes))
}

impl Engine {
    /// Records the footer version in force in the archive when it is new (R-A8).
    pub(super) fn archive_footer_version(&mut self) {
        let (Some(footer), Some(company), Some(archive)) = (
            self.rules.compliance().footer.clone(),
            self.rules.compliance().company.as_ref(),
            self.archive.as_mut(),
        ) else {
            return;
        };
        let mark = archive.dir().join("footer.version");
        if std::fs::read_to_string(&mark).ok().as_deref() == Some(footer.version.as_str()) {
            return;
        }
        let company = serde_json::to_value(&company.config).unwrap_or_default();
        let appended = archive.append(vec![Entry {
            scope: Scope::System,
            payload: Payload::FooterVersion {
                version: footer.version.clone(),
                full: footer.full.clone(),
                compact: footer.compact.clone(),
                company,
                at: Timestamp::now(),
            },
        }]);
        match appended {
            Ok(_) => {
                if let Err(e) =
                    crate::archive::write_private_nosync(&mark, footer.version.as_bytes())
                {
                    tracing::warn!(error = %e, "footer mark not written; the next start records the version again");
                }
            }
            Err(e) => tracing::error!(error = %e, "footer version not archived"),
        }
    }
}

/// How far behind the customer's newest message the clock may be for a send to be
/// dated just after it instead: a clock set back (an hour at the change of time, a
/// wrong NTP answer) or a customer's phone slightly ahead. Beyond a day the clock is
/// taken as it is: a phone set a year ahead must not date the office's letters.
const CLOCK_BEHIND_AT_MOST: i64 = Timestamp::DAY;

/// The time a send is dated: `now`, or 1 ms after the conversation's newest customer
/// message (`answered`) if the clock is behind it, by at most [`CLOCK_BEHIND_AT_MOST`].
/// Dated by a clock an hour behind, a reply would sort above the message it answers and
/// leave the conversation waiting for an answer it has. Only customers' messages count
/// (their time is their phone's or their server's): the office's own earlier sends,
/// dated by a clock that was ahead, do not drag later ones along.
pub(super) fn not_before_answered(
    now: Timestamp,
    answered: Option<Timestamp>,
    conversation: ConversationId,
) -> Timestamp {
    let Some(newest) = answered else { return now };
    let behind = newest.0.saturating_sub(now.0);
    if !(0..=CLOCK_BEHIND_AT_MOST).contains(&behind) {
        return now;
    }
    if behind > Timestamp::MINUTE {
        tracing::warn!(
            conversation = conversation.0,
            behind_ms = behind,
            "the clock is behind the customer's newest message: the send is dated just after it"
        );
    }
    newest.plus_ms(1)
}

#[cfg(test)]
mod clock_tests {
    use super::*;

    #[test]
    fn a_send_is_dated_after_the_customer_unless_her_clock_is_absurdly_ahead() {
        let conv = ConversationId(1);
        let now = Timestamp(1_000_000_000);
        // No customer message, or hers is older: the clock as it reads.
        assert_eq!(not_before_answered(now, None, conv), now);
        assert_eq!(not_before_answered(now, Some(now.plus_ms(-5)), conv), now);
        // The clock an hour behind hers: just after her message.
        let hers = now.plus_ms(Timestamp::HOUR);
        assert_eq!(not_before_answered(now, Some(hers), conv), hers.plus_ms(1));
        // Her phone a year ahead: the office's letter keeps its own date.
        let absurd = now.plus_ms(365 * Timestamp::DAY);
        assert_eq!(not_before_answered(now, Some(absurd), conv), now);
    }
}
