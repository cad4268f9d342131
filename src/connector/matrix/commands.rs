//! What the engine asks of the Matrix account: sends (in order per room, held until
//! the first sync), read receipts, joins, reactions, typing, older history, downloads.

use super::*;

/// Sleeps, but returns true at once if the engine closes the command channel. Sends
/// that arrive meanwhile fail at once (the office sees it and can retry), unless they
/// are `held` for the first sync; other commands (read receipts, joins, downloads…)
/// are kept in `deferred` for when the homeserver is back, so nothing the office did
/// is silently dropped.
pub(super) async fn wait_or_stop(
    io: &mut ConnectorIo,
    pause: Duration,
    deferred: &mut Vec<ConnectorCommand>,
    mut held: Option<&mut Vec<ConnectorCommand>>,
) -> bool {
    let sleep = tokio::time::sleep(pause);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            _ = &mut sleep => return false,
            cmd = io.commands.recv() => match cmd {
                None => return true,
                Some(cmd @ ConnectorCommand::Send(_)) if held.is_some() => {
                    if let Some(h) = held.as_deref_mut() {
                        h.push(cmd);
                    }
                }
                Some(ConnectorCommand::Send(out)) => {
                    io.events.emit(ConnectorEvent::SendResult {
                        message: out.message,
                        outcome: Err("not connected to the homeserver".into()),
                    }).await;
                }
                // A typing notice is stale by the time the server is back.
                Some(ConnectorCommand::Typing { .. }) => {}
                Some(other) => deferred.push(other),
            }
        }
    }
}

pub(super) fn handle_command(
    client: &Client,
    cmd: ConnectorCommand,
    events: &EventSink,
    shared: &Arc<Mutex<Shared>>,
    lanes: &crate::connector::SendLanes,
) {
    let client = client.clone();
    let events = events.clone();
    let shared = shared.clone();
    // Sends run beside the sync loop (the echo of a send is recognised by its transaction
    // id, whichever arrives first), in order per room.
    if let ConnectorCommand::Send(out) = cmd {
        let room = out.conversation_remote_id.clone();
        lanes.run(&room, async move {
            let message = out.message;
            let outcome = send(&client, out, &shared).await;
            events
                .emit(ConnectorEvent::SendResult { message, outcome })
                .await;
        });
        return;
    }
    tokio::spawn(async move {
        match cmd {
            // A Matrix account logs in with a password (`tresen account add matrix`).
            ConnectorCommand::Link { .. } => {}
            ConnectorCommand::Setup { reply, .. } => {
                reply.send(Err(crate::connector::setup::SetupError::Unsupported));
            }
            ConnectorCommand::Send(_) => {}
            ConnectorCommand::MarkRead {
                conversation_remote_id,
            } => {
                let latest = shared
                    .lock()
                    .ok()
                    .and_then(|s| s.latest.get(&conversation_remote_id).cloned());
                if let (Some(room), Some(event)) = (room(&client, &conversation_remote_id), latest)
                    && let Err(e) = room
                        .send_single_receipt(ReceiptType::Read, ReceiptThread::Unthreaded, event)
                        .await
                {
                    tracing::warn!(error = %e, "read receipt failed");
                }
            }
            ConnectorCommand::React {
                conversation_remote_id,
                target,
                key,
            } => {
                use matrix_sdk::ruma::events::reaction::ReactionEventContent;
                use matrix_sdk::ruma::events::relation::Annotation;
                let (Some(room), Ok(event_id)) = (
                    room(&client, &conversation_remote_id),
                    OwnedEventId::try_from(target.as_str()),
                ) else {
                    return;
                };
                // The sync echo stores the reaction, like every other device's.
                if let Err(e) = room
                    .send(ReactionEventContent::new(Annotation::new(event_id, key)))
                    .await
                {
                    tracing::warn!(error = %e, "reaction failed");
                }
            }
            ConnectorCommand::Backfill {
                conversation_remote_id,
                oldest,
            } => {
                if let Some(room) = room(&client, &conversation_remote_id) {
                    let own = client.user_id().map(|u| u.to_string()).unwrap_or_default();
                    let account = events.account().clone();
                    for ev in older_page(&room, oldest.as_deref()).await {
                        if let Some(out) = translate_in(&room, &ev, &account, &own).await
                            && !events.emit(out).await
                        {
                            return;
                        }
                    }
                }
                events
                    .emit(ConnectorEvent::Backfilled {
                        conversation_remote_id,
                    })
                    .await;
            }
            ConnectorCommand::Typing {
                conversation_remote_id,
                typing,
            } => {
                if let Some(room) = room(&client, &conversation_remote_id)
                    && let Err(e) = room.typing_notice(typing).await
                {
                    tracing::debug!(error = %e, "typing notice failed");
                }
            }
            ConnectorCommand::Fetch {
                message,
                index,
                source,
            } => {
                let outcome = fetch(&client, &source).await.map(Arc::new);
                if let Err(e) = &outcome {
                    tracing::warn!(message = message.0, error = %e, "attachment download failed");
                }
                events
                    .emit(ConnectorEvent::Fetched {
                        message,
                        index,
                        outcome,
                    })
                    .await;
            }
            ConnectorCommand::Join { remote_id } => {
                let Ok(id) = RoomId::parse(&remote_id) else {
                    return;
                };
                if let Ok(mut s) = shared.lock() {
                    s.accepted.insert(remote_id.clone());
                }
                let joined = client.join_room_by_id(&id).await;
                if let Ok(room) = &joined {
                    use matrix_sdk::ruma::events::tag::{TagInfo, TagName};
                    let tag = TagName::from(BUSINESS_TAG);
                    if let Err(e) = room.set_tag(tag, TagInfo::new()).await {
                        tracing::warn!(room = %remote_id, error = %e, "could not tag the room as business");
                    }
                }
                if let Err(e) = joined {
                    tracing::warn!(room = %remote_id, error = %e, "joining failed");
                    events
                        .emit(ConnectorEvent::Health(Health::Degraded(format!(
                            "could not accept the invite: {e}"
                        ))))
                        .await;
                }
            }
        }
    });
}

pub(super) fn room(client: &Client, remote_id: &str) -> Option<Room> {
    client.get_room(&RoomId::parse(remote_id).ok()?)
}

pub(super) async fn send(
    client: &Client,
    out: OutgoingMessage,
    shared: &Arc<Mutex<Shared>>,
) -> Result<String, String> {
    let room = room(client, &out.conversation_remote_id)
        .filter(|r| r.state() == RoomState::Joined)
        .ok_or_else(|| "not a joined room of this account".to_string())?;
    if out.files.len() > 1 {
        // The engine splits messages to one file each; a Matrix event carries one.
        return Err("a Matrix message carries one file; send them one by one".into());
    }
    // The key stored with the message: a retry after a restart reuses it, so the
    // homeserver answers with the event it already has instead of a second one.
    let txn = out
        .txn
        .as_deref()
        .map(OwnedTransactionId::from)
        .unwrap_or_else(TransactionId::new);
    if let Ok(mut s) = shared.lock() {
        s.txns.insert(txn.to_string(), out.message);
    }
    // One place for the outbound text: the compliance layer (footer, consent) has
    // already shaped `out.body` in the engine; it is sent verbatim (as the caption when
    // a file goes with it).
    let result = match out.files.into_iter().next() {
        None => {
            let mut content = RoomMessageEventContent::text_plain(out.body);
            if let Some(target) = out
                .reply_to
                .as_deref()
                .and_then(|t| OwnedEventId::try_from(t).ok())
            {
                use matrix_sdk::ruma::events::relation::{InReplyTo, Reply};
                use matrix_sdk::ruma::events::room::message::Relation;
                // No quoted fallback in the body: Matrix 1.13 dropped reply fallbacks.
                content.relates_to = Some(Relation::Reply(Reply::new(InReplyTo::new(target))));
            }
            room.send(content)
                .with_transaction_id(txn.clone())
                .await
                .map(|r| r.response.event_id)
        }
        Some(file) => {
            let mime: mime::Mime = file
                .attachment
                .mime
                .parse()
                .unwrap_or(mime::APPLICATION_OCTET_STREAM);
            let caption =
                (!out.body.trim().is_empty()).then(|| TextMessageEventContent::plain(out.body));
            // matrix-sdk encrypts the upload itself when the room is encrypted.
            let config = AttachmentConfig::new().txn_id(txn.clone()).caption(caption);
            room.send_attachment(file.attachment.name, &mime, file.bytes.to_vec(), config)
                .await
                .map(|r| r.event_id)
        }
    };
    if let Ok(mut s) = shared.lock() {
        s.txns.remove(txn.as_str());
    }
    result.map(|id| id.to_string()).map_err(|e| e.to_string())
}

/// Downloads (and for encrypted rooms decrypts) one attachment. matrix-sdk's media
/// cache is bypassed: tresen keeps its own copy in the attachment store.
pub(super) async fn fetch(client: &Client, source: &str) -> Result<Vec<u8>, String> {
    let source: MediaSource = serde_json::from_str(source)
        .map_err(|e| format!("this attachment has no usable media source ({e})"))?;
    let request = MediaRequestParameters {
        source,
        format: MediaFormat::File,
    };
    client
        .media()
        .get_media_content(&request, false)
        .await
        .map_err(|e| format!("download failed: {e}"))
}
