//! How the inbox reaches the engine: its own ([`EngineHandle`], when no daemon runs) or
//! the daemon's over the socket ([`remote::Remote`]). Either way it answers the app's
//! queries, takes its orders in order and passes the engine's notification tags on; the
//! TUI does not know which one it has.

pub mod accounts;
pub mod books;
pub mod remote;
pub mod scope;

use futures::future::BoxFuture;
use tokio::sync::broadcast;

use crate::app::{Loaded, Query, SeatView};
use crate::domain::{LocalChange, MessageId};
use crate::engine::{EngineCommand, EngineHandle, Notification};
use crate::protocol::{Done, Order};

pub trait Seat: Clone + Send + Sync + 'static {
    fn subscribe(&self) -> broadcast::Receiver<Notification>;

    /// Answers a query. Blocks (a store read, or a round trip): call it on a blocking
    /// thread.
    fn load(&self, query: Query) -> Loaded;

    /// Hands an order over now, in the order of calls; the future says whether the
    /// engine took it. `staff` is who works at this seat as the seat's own config says;
    /// a daemon ignores it and uses the identity of the seat's OS user.
    fn order(&self, order: Order, staff: &str) -> BoxFuture<'static, Result<Done, String>>;

    /// The name and bytes of attachment `index` of `message`, downloaded first if the
    /// attachment store does not have it.
    fn attachment(
        &self,
        message: MessageId,
        index: usize,
    ) -> BoxFuture<'static, Result<(String, Vec<u8>), String>>;
}

impl Seat for EngineHandle {
    fn subscribe(&self) -> broadcast::Receiver<Notification> {
        EngineHandle::subscribe(self)
    }

    fn load(&self, query: Query) -> Loaded {
        answer(self, query, SeatView::Own, 0)
    }

    fn order(&self, order: Order, staff: &str) -> BoxFuture<'static, Result<Done, String>> {
        let sent = order_now(self, order, staff, 0);
        Box::pin(async move { sent?.await })
    }

    fn attachment(
        &self,
        message: MessageId,
        index: usize,
    ) -> BoxFuture<'static, Result<(String, Vec<u8>), String>> {
        let engine = self.clone();
        Box::pin(async move { attachment(&engine, message, index).await })
    }
}

/// Queues `cmd` now (so orders keep their order) and returns what waits for its answer:
/// the message id for a send, the record for a consent, the engine reaching it for
/// anything else.
pub fn send_now(
    engine: &EngineHandle,
    mut cmd: crate::engine::EngineCommand,
) -> Result<BoxFuture<'static, Result<Done, String>>, String> {
    use crate::engine::EngineCommand;
    let answered = match &mut cmd {
        EngineCommand::Send { reply, .. } => Some(answering(reply, |id| Done {
            message: Some(id),
            ..Done::default()
        })),
        EngineCommand::Consent { reply, .. } => Some(answering(reply, |record| Done {
            consent: Some(record),
            ..Done::default()
        })),
        EngineCommand::Schedule { reply, .. } => Some(answering(reply, |id| Done {
            scheduled: Some(id),
            ..Done::default()
        })),
        EngineCommand::CancelScheduled { reply, .. } => {
            Some(answering(reply, |()| Done::default()))
        }
        EngineCommand::CorrectContact { reply, .. } => Some(answering(reply, |c| Done {
            correction: Some(c),
            ..Done::default()
        })),
        _ => None,
    };
    engine.try_command(cmd).map_err(|e| e.to_string())?;
    if let Some(answered) = answered {
        return Ok(answered);
    }
    // Everything else answers nothing: the barrier behind it says it was carried out.
    let (tx, rx) = tokio::sync::oneshot::channel();
    engine
        .try_command(EngineCommand::Barrier(tx))
        .map_err(|e| e.to_string())?;
    Ok(Box::pin(async move {
        rx.await
            .map_err(|_| crate::engine::EngineError::Stopped.to_string())?;
        Ok(Done::default())
    }))
}

/// Puts a reply channel into a command's `reply` slot; the future turns the engine's
/// answer into a `Done`.
fn answering<T: Send + 'static>(
    slot: &mut Option<tokio::sync::oneshot::Sender<Result<T, crate::engine::EngineError>>>,
    done: fn(T) -> Done,
) -> BoxFuture<'static, Result<Done, String>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    *slot = Some(tx);
    Box::pin(async move {
        match rx.await {
            Ok(Ok(value)) => Ok(done(value)),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(crate::engine::EngineError::Stopped.to_string()),
        }
    })
}

/// Work on the archive for a seat, run by the engine inside the single writer; the
/// outcome goes to `reply` (and to the log when it failed).
fn archive_job<T: Send + 'static>(
    work: impl FnOnce(&mut crate::archive::Archive) -> Result<T, String> + Send + 'static,
    reply: Option<tokio::sync::oneshot::Sender<Result<T, String>>>,
) -> crate::engine::ArchiveJob {
    crate::engine::ArchiveJob(Box::new(move |archive, _store| {
        let result = match archive {
            Some(archive) => work(archive),
            None => Err("this engine has no archive".to_string()),
        };
        if let Err(e) = &result {
            tracing::warn!(error = %e, "archive work for a seat failed");
        }
        if let Some(reply) = reply {
            let _ = reply.send(result);
        }
        false
    }))
}

fn hold_work(
    change: crate::lifecycle::HoldChange,
    by: String,
) -> impl FnOnce(&mut crate::archive::Archive) -> Result<crate::lifecycle::HoldDone, String> {
    move |archive| crate::lifecycle::holds::apply(archive, change, by).map_err(|e| e.to_string())
}

/// Archives that `staff` accepted the usage policy in `version` (R-F1).
fn accept_work(
    version: String,
    staff: String,
) -> impl FnOnce(&mut crate::archive::Archive) -> Result<(), String> + Send + 'static {
    move |archive| {
        let record = crate::compliance::policy::PolicyAcceptance {
            staff,
            version,
            at: crate::domain::Timestamp::now(),
        };
        archive
            .append(vec![crate::archive::Entry {
                scope: crate::archive::Scope::System,
                payload: crate::archive::Payload::PolicyAccepted(record),
            }])
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

fn accessed_work(
    what: String,
    scope: String,
    by: String,
) -> impl FnOnce(&mut crate::archive::Archive) -> Result<(), String> + Send + 'static {
    move |archive| {
        archive
            .append(vec![crate::archive::Entry::accessed(what, scope, by)])
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Work on the archive and the store together — a lifecycle use case — that the engine
/// runs for a seat; the answer goes to `reply`.
fn books_job<T: Send + 'static>(
    work: impl FnOnce(&mut crate::lifecycle::Books<'_>) -> Result<T, String> + Send + 'static,
    reply: Option<tokio::sync::oneshot::Sender<Result<T, String>>>,
) -> crate::engine::ArchiveJob {
    crate::engine::ArchiveJob(Box::new(move |archive, store| {
        let result = match archive {
            Some(archive) => {
                let mut guard = store.lock();
                let mut books = crate::lifecycle::Books {
                    archive,
                    store: guard.as_mut(),
                    blobs: store.blobs(),
                };
                work(&mut books)
            }
            None => Err("this engine has no archive".to_string()),
        };
        if let Err(e) = &result {
            tracing::warn!(error = %e, "a seat's change was refused or failed");
        }
        if let Some(reply) = reply {
            let _ = reply.send(result);
        }
        false
    }))
}

/// [`books_job`] for an order, answered with `done` of its outcome.
fn through_books<T: Send + 'static>(
    engine: &EngineHandle,
    work: impl FnOnce(&mut crate::lifecycle::Books<'_>) -> Result<T, String> + Send + 'static,
    done: fn(T) -> Done,
) -> Result<BoxFuture<'static, Result<Done, String>>, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    engine
        .try_command(crate::engine::EngineCommand::WithArchive(books_job(
            work,
            Some(tx),
        )))
        .map_err(|e| e.to_string())?;
    Ok(Box::pin(async move {
        let value = rx
            .await
            .map_err(|_| crate::engine::EngineError::Stopped.to_string())??;
        Ok(done(value))
    }))
}

/// A seat's change carried out on the books, answered as the order's outcome.
type BooksWork = Box<dyn FnOnce(&mut crate::lifecycle::Books<'_>) -> Result<Done, String> + Send>;

/// The lifecycle use case behind an order that changes one message or conversation —
/// a retention class (R-B5, R-E3), an order step (R-E1, R-E2, R-E5), a restriction
/// (R-E4) — as `who`; `None` for any other order.
fn books_work(order: Order, who: &str) -> Option<BooksWork> {
    let by = who.to_string();
    let refused = |e: crate::lifecycle::LifecycleError| e.to_string();
    Some(match order {
        Order::ClassifyItem { decision } => Box::new(move |books| {
            crate::lifecycle::items::classify(books.archive, &*books.store, decision, &by)
                .map(|c| Done {
                    item_class: Some(c),
                    ..Done::default()
                })
                .map_err(refused)
        }),
        Order::OrderStep {
            conversation,
            change,
            german,
        } => Box::new(move |books| {
            let key = conversation.0.to_string();
            crate::lifecycle::orders::change(books, &key, change, &by, german)
                .map(|v| Done {
                    order: Some(v),
                    ..Done::default()
                })
                .map_err(refused)
        }),
        Order::MarkSensitive {
            message,
            mark,
            reason,
            german,
        } => Box::new(move |books| {
            crate::lifecycle::sensitive::mark(books, message, mark, &reason, &by, german)
                .map(|m| Done {
                    sensitive: Some(m),
                    ..Done::default()
                })
                .map_err(refused)
        }),
        _ => return None,
    })
}

fn seal_work(archive: &mut crate::archive::Archive) -> Result<(), String> {
    archive.seal().map_err(|e| e.to_string())
}

/// Runs archive work through the engine and answers when it is done.
fn through_archive<T: Send + 'static>(
    engine: &EngineHandle,
    work: impl FnOnce(&mut crate::archive::Archive) -> Result<T, String> + Send + 'static,
    done: fn(T) -> Done,
) -> Result<BoxFuture<'static, Result<Done, String>>, String> {
    through_books(engine, move |books| work(books.archive), done)
}

/// Hands an order to the engine on behalf of `who` at seat `seat`.
pub fn order_now(
    engine: &EngineHandle,
    order: Order,
    who: &str,
    seat: u64,
) -> Result<BoxFuture<'static, Result<Done, String>>, String> {
    match order {
        Order::Hold { change } => {
            through_archive(engine, hold_work(change, who.to_string()), |d| Done {
                hold: Some(d),
                ..Done::default()
            })
        }
        Order::Seal => through_archive(engine, seal_work, |()| Done::default()),
        order @ (Order::ClassifyItem { .. }
        | Order::OrderStep { .. }
        | Order::MarkSensitive { .. }) => match books_work(order, who) {
            Some(work) => through_books(engine, work, |done| done),
            None => Err("not a change of the books".to_string()),
        },
        Order::AcceptPolicy { version } => {
            through_archive(engine, accept_work(version, who.to_string()), |()| {
                Done::default()
            })
        }
        Order::Accessed { what, scope } => {
            through_archive(engine, accessed_work(what, scope, who.to_string()), |()| {
                Done::default()
            })
        }
        order => send_now(engine, engine_command(order, who, seat)),
    }
}

/// The engine command, on behalf of `who` (the sender of a message, the author of
/// a note: whatever the seat said there is replaced).
pub fn engine_command(order: Order, who: &str, seat: u64) -> EngineCommand {
    match order {
        Order::Send {
            conversation,
            body,
            files,
            reply_to,
            options,
        } => EngineCommand::Send {
            conversation,
            body,
            files: files
                .into_iter()
                .map(|f| crate::engine::NewFile {
                    name: f.name,
                    mime: f.mime,
                    bytes: std::sync::Arc::new(f.data),
                })
                .collect(),
            sender: who.to_string(),
            reply_to,
            options,
            reply: None,
        },
        Order::Local {
            change:
                LocalChange::AddNote {
                    conversation,
                    body,
                    at,
                    ..
                },
        } => EngineCommand::Local(LocalChange::AddNote {
            conversation,
            author: who.to_string(),
            body,
            at,
        }),
        Order::Local {
            change:
                LocalChange::SetLabels {
                    conversation,
                    labels,
                    ..
                },
        } => EngineCommand::Local(LocalChange::SetLabels {
            conversation,
            labels,
            by: who.to_string(),
        }),
        Order::Local { change } => EngineCommand::Local(change),
        Order::Viewed { conversation } => EngineCommand::Viewed(conversation),
        Order::AcceptInvite { account, remote_id } => {
            EngineCommand::AcceptInvite { account, remote_id }
        }
        Order::Link {
            account,
            device_name,
        } => EngineCommand::Link {
            account,
            device_name,
        },
        Order::React { message, key } => EngineCommand::React { message, key },
        Order::Backfill { conversation } => EngineCommand::Backfill { conversation },
        Order::Typing {
            conversation,
            typing,
            network,
        } => EngineCommand::Typing {
            conversation,
            typing,
            network,
            seat,
        },
        Order::Hold { change } => {
            EngineCommand::WithArchive(archive_job(hold_work(change, who.to_string()), None))
        }
        Order::Seal => EngineCommand::WithArchive(archive_job(seal_work, None)),
        order @ (Order::ClassifyItem { .. }
        | Order::OrderStep { .. }
        | Order::MarkSensitive { .. }) => match books_work(order, who) {
            Some(work) => EngineCommand::WithArchive(books_job(work, None)),
            None => unreachable!("books_work takes these three"),
        },
        Order::AcceptPolicy { version } => {
            EngineCommand::WithArchive(archive_job(accept_work(version, who.to_string()), None))
        }
        Order::Accessed { what, scope } => EngineCommand::WithArchive(archive_job(
            accessed_work(what, scope, who.to_string()),
            None,
        )),
        Order::Schedule {
            conversation,
            body,
            due,
        } => EngineCommand::Schedule {
            conversation,
            body,
            sender: who.to_string(),
            due,
            reply: None,
        },
        Order::CancelScheduled { id } => EngineCommand::CancelScheduled {
            id,
            by: who.to_string(),
            reply: None,
        },
        Order::CorrectContact {
            conversation,
            name,
            reason,
        } => EngineCommand::CorrectContact {
            conversation,
            name,
            reason,
            by: who.to_string(),
            reply: None,
        },
        Order::Consent {
            conversation,
            action,
            purposes,
            method,
            evidence,
        } => EngineCommand::Consent {
            conversation,
            action,
            purposes,
            method,
            evidence,
            staff: who.to_string(),
            reply: None,
        },
    }
}

/// Fetches an attachment through the engine and reads it from the attachment store.
pub async fn attachment(
    engine: &EngineHandle,
    message: MessageId,
    index: usize,
) -> Result<(String, Vec<u8>), String> {
    let blob = engine
        .fetch(message, index)
        .await
        .map_err(|e| e.to_string())?;
    let engine = engine.clone();
    tokio::task::spawn_blocking(move || {
        let name = engine
            .store()
            .read(|s| s.message(message))
            .ok()
            .flatten()
            .and_then(|m| m.attachments.get(index).map(|a| a.name.clone()))
            .unwrap_or_default();
        let blobs = engine
            .store()
            .blobs()
            .ok_or_else(|| "this profile has no attachment store".to_string())?;
        let bytes = blobs.get(&blob).map_err(|e| e.to_string())?;
        Ok::<_, String>((name, bytes.to_vec()))
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Answers a query from the engine's store and memory. Errors become a flash message,
/// never a crash. `seat` is what [`Query::Seat`] answers.
pub fn answer(engine: &EngineHandle, q: Query, seat: SeatView, seat_id: u64) -> Loaded {
    engine.store().read(|store| {
        let result = match q {
            Query::Seat => Ok(Loaded::Seat(seat)),
            Query::Answering => Ok(Loaded::Answering(engine.answering(seat_id))),
            Query::Health => Ok(Loaded::Health(engine.health())),
            Query::ArchiveProblem => Ok(Loaded::ArchiveProblem(engine.archive_problem())),
            Query::Typing => Ok(Loaded::Typing(engine.typing())),
            Query::Outlook(id) => engine
                .outlook(store, id, &Default::default())
                .map(|o| Loaded::Outlook(id, o)),
            Query::OutlookTagged {
                conversation,
                tags,
                vordruck,
            } => {
                let options = crate::engine::SendOptions {
                    tags,
                    vordruck,
                    ..Default::default()
                };
                engine
                    .outlook(store, conversation, &options)
                    .map(|o| Loaded::Outlook(conversation, o))
            }
            Query::Scheduled(id) => store.scheduled(Some(id)).map(|l| Loaded::Scheduled(id, l)),
            Query::Links => Ok(Loaded::Links(engine.links())),
            Query::Invites => Ok(Loaded::Invites(
                engine
                    .invites()
                    .into_iter()
                    .flat_map(|(a, list)| list.into_iter().map(move |i| (a.clone(), i)))
                    .collect(),
            )),
            Query::Inbox => store.conversations().map(Loaded::Inbox),
            Query::Search { query, limit } => store
                .search(&query, limit)
                .map(|hits| Loaded::Search { query, hits }),
            Query::Conversation {
                id,
                before,
                limit,
                focus,
            } => {
                let mut limit = limit.max(1);
                loop {
                    match store.messages(id, before, limit) {
                        Ok(messages) => {
                            let found = focus.is_none_or(|f| messages.iter().any(|m| m.id == f));
                            // Widen the window until a search hit is inside it.
                            if found || messages.len() < limit || limit >= 100_000 {
                                break Ok(Loaded::Conversation {
                                    id,
                                    messages,
                                    older: before.is_some(),
                                    limit,
                                    focus,
                                });
                            }
                            limit *= 4;
                        }
                        Err(e) => break Err(e),
                    }
                }
            }
        };
        result.unwrap_or_else(|e| Loaded::Failed(e.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ConversationId;
    use crate::engine::EngineCommand;

    #[test]
    fn a_seat_cannot_name_the_author_of_a_note() {
        let order = Order::Local {
            change: LocalChange::AddNote {
                conversation: ConversationId(3),
                author: "Chefin".into(),
                body: "x".into(),
                at: crate::domain::Timestamp(0),
            },
        };
        let EngineCommand::Local(LocalChange::AddNote { author, .. }) =
            engine_command(order, "Lea", 1)
        else {
            panic!("not a note")
        };
        assert_eq!(author, "Lea");
    }
}
