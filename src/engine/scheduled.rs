//! Scheduled sends: a message written now to go out later is archived and kept apart
//! from the messages; when it is due, whichever engine runs (the daemon, a TUI without
//! one, `sync --once`) sends it the normal way — company data, consent gate and footer
//! are decided then, not when it was written. Overdue after a stop it goes out marked
//! late; more than `max_late` overdue it is not sent and staff are told.

use super::send::Outgoing;
use super::*;
use crate::domain::scheduled::{Scheduled, ScheduledState};

/// How often the engine looks for scheduled messages that have fallen due.
pub(super) const CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(15);

/// Sent this much after its time (a check interval and then some), it counts as late.
const LATE_AFTER: i64 = 2 * Timestamp::MINUTE;

/// The default `[scheduled] max_late`: 12 hours.
pub const DEFAULT_MAX_LATE: i64 = 12 * Timestamp::HOUR;

impl Engine {
    /// Keeps `body` to go out in `conversation` at `due`, written by `sender`.
    pub(super) fn schedule(
        &mut self,
        conversation: ConversationId,
        body: String,
        sender: String,
        due: Timestamp,
    ) -> Result<String, EngineError> {
        if body.trim().is_empty() {
            return Err(EngineError::Refused("the message is empty".into()));
        }
        let now = self.rules.now();
        if due <= now {
            return Err(EngineError::Refused(format!(
                "the time {} has already passed",
                due.rfc3339()
            )));
        }
        let conv = self
            .store
            .read(|s| s.conversation(conversation))?
            .ok_or_else(|| StoreError::NoConversation(conversation.to_string()))?;
        let id = crate::domain::scheduled::new_id();
        let payload = Payload::Scheduled {
            id: id.clone(),
            account: conv.account.0.clone(),
            conversation: conv.remote_id.clone(),
            staff: sender.clone(),
            body: body.clone(),
            due,
            at: now,
        };
        let mut ops = self.archive_scheduled(&conv, payload, now)?;
        ops.push(Op::Schedule {
            id: id.clone(),
            account: conv.account.clone(),
            remote_id: conv.remote_id.clone(),
            sender,
            body,
            due,
            at: now,
        });
        let applied = self.apply(&ops)?;
        self.publish(&applied);
        Ok(id)
    }

    /// Withdraws a scheduled message that has not gone out.
    pub(super) fn cancel_scheduled(&mut self, id: &str, by: &str) -> Result<(), EngineError> {
        let s = self
            .store
            .read(|s| s.scheduled_one(id))?
            .ok_or_else(|| EngineError::Declined(format!("no scheduled message {id}")))?;
        if s.state != ScheduledState::Waiting {
            return Err(EngineError::Declined(format!(
                "the scheduled message {id} is {} already",
                s.state.name()
            )));
        }
        self.end_scheduled(&s, ScheduledState::Cancelled, by)
    }

    /// Sends what has fallen due (called every [`CHECK_EVERY`] and at start).
    pub(super) fn send_due(&mut self) {
        let now = self.rules.now();
        let due = match self.store.read(|s| s.scheduled_due(now)) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, "cannot list scheduled messages");
                return;
            }
        };
        for s in due {
            let late = now.0 - s.due.0;
            let outcome = if late > self.max_late {
                tracing::warn!(id = %s.id, late_min = late / Timestamp::MINUTE, "scheduled message too late: not sent");
                ScheduledState::Missed
            } else {
                let what = Outgoing {
                    body: s.body.clone(),
                    files: Vec::new(),
                    sender: s.sender.clone(),
                    reply_to: None,
                    notice: None,
                };
                match self.send_as(s.conversation, what, &SendOptions::default()) {
                    Ok(message) => ScheduledState::Sent {
                        message,
                        late: late > LATE_AFTER,
                    },
                    Err(e) => {
                        tracing::warn!(id = %s.id, error = %e, "scheduled message refused");
                        ScheduledState::Refused {
                            reason: e.to_string(),
                        }
                    }
                }
            };
            if let Err(e) = self.end_scheduled(&s, outcome, AUTOMATIC) {
                tracing::error!(id = %s.id, error = %e, "what became of a scheduled message was not recorded");
            }
        }
    }

    /// Archives and stores what became of `s`; staff get a note in the conversation when
    /// it went out late or not at all (and the conversation is put in front of them).
    fn end_scheduled(
        &mut self,
        s: &Scheduled,
        state: ScheduledState,
        by: &str,
    ) -> Result<(), EngineError> {
        let now = self.rules.now();
        let conv = self
            .store
            .read(|st| st.conversation(s.conversation))?
            .ok_or_else(|| StoreError::NoConversation(s.conversation.to_string()))?;
        let (message, reason) = match &state {
            ScheduledState::Sent { message, .. } => (Some(message.0), None),
            ScheduledState::Refused { reason } => (None, Some(reason.clone())),
            _ => (None, None),
        };
        let payload = Payload::ScheduleEnded {
            id: s.id.clone(),
            account: conv.account.0.clone(),
            conversation: conv.remote_id.clone(),
            outcome: state.name().to_string(),
            message,
            reason,
            staff: by.to_string(),
            at: now,
        };
        let mut ops = match self.archive_scheduled(&conv, payload, now) {
            Ok(ops) => ops,
            // It went out: the store must know, or the next check sends it again.
            Err(e) if matches!(state, ScheduledState::Sent { .. }) => {
                tracing::error!(id = %s.id, error = %e, "sent, but not archived as ended");
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        let planned = s.due.to_local().format("%d.%m.%Y %H:%M");
        let note = match &state {
            ScheduledState::Sent { late: true, .. } => Some(format!(
                "Geplante Nachricht verspätet gesendet: geplant für {planned}, gesendet {} \
                 (tresen lief zur geplanten Zeit nicht).",
                now.to_local().format("%d.%m.%Y %H:%M")
            )),
            ScheduledState::Missed => Some(format!(
                "Geplante Nachricht NICHT gesendet: geplant für {planned}, mehr als {} Stunden \
                 überfällig, als tresen wieder lief. Bitte selbst entscheiden. Text: „{}“",
                self.max_late / Timestamp::HOUR,
                s.body
            )),
            ScheduledState::Refused { reason } => Some(format!(
                "Geplante Nachricht NICHT gesendet (geplant für {planned}): {reason}"
            )),
            _ => None,
        };
        ops.push(Op::EndScheduled {
            id: s.id.clone(),
            state: state.clone(),
        });
        if let Some(body) = note {
            ops.push(Op::AddNote {
                conversation: s.conversation,
                author: AUTOMATIC.to_string(),
                body,
                at: now,
            });
            if !matches!(state, ScheduledState::Sent { .. }) {
                // Not sent: back in front of staff, not quietly gone.
                ops.push(Op::SetState {
                    conversation: s.conversation,
                    state: crate::domain::TriageState::Open,
                });
                ops.push(Op::MarkUnread {
                    conversation: s.conversation,
                });
            }
        }
        let applied = self.apply(&ops)?;
        self.publish(&applied);
        Ok(())
    }

    /// Archives a scheduled message's record first; the store op that follows it.
    fn archive_scheduled(
        &mut self,
        conv: &crate::domain::Conversation,
        payload: Payload,
        at: Timestamp,
    ) -> Result<Vec<Op>, EngineError> {
        let Some(archive) = self.archive.as_mut() else {
            return Ok(Vec::new());
        };
        let head = archive.append(vec![Entry {
            scope: Scope::conversation(&conv.account.0, &conv.remote_id, at),
            payload,
        }])?;
        Ok(vec![crate::ingest::position_op(head.seq)])
    }
}
