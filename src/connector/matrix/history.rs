//! Messages that are history, not news: older pages on request, gaps in a limited
//! sync, and messages decrypted again once their keys arrived.

use super::*;

/// Tries messages that arrived undecryptable once more (keys may have come since: from
/// the key backup after `tresen account recover`, or forwarded by another device).
/// What decrypts now is reported as a message; the store replaces its placeholder.
pub(super) async fn redecrypt(
    client: &Client,
    retry: Vec<(String, String)>,
    events: &EventSink,
    account: &AccountId,
    own_user: &str,
) {
    // Keys usually come for a whole room at once (the backup) or not at all: after this
    // many misses in a row a room is left for the next start, so a device that lost
    // its keys for good does not fetch thousands of events on every start.
    const GIVE_UP_AFTER: usize = 20;
    let mut by_room: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (room, event) in retry {
        by_room.entry(room).or_default().push(event);
    }
    let backups = client.encryption().backups();
    let use_backup = backups.are_enabled().await;
    let mut fixed = 0usize;
    for (room_id, ids) in by_room {
        let Some(room) = room(client, &room_id) else {
            continue;
        };
        let mut misses = 0;
        if use_backup && let Err(e) = backups.download_room_keys_for_room(room.room_id()).await {
            tracing::debug!(room = %room_id, error = %e, "no keys from the backup");
        }
        for id in ids {
            if misses >= GIVE_UP_AFTER {
                break;
            }
            let Ok(event_id) = OwnedEventId::try_from(id.as_str()) else {
                continue;
            };
            let Ok(ev) = room.event(&event_id, None).await else {
                misses += 1;
                continue;
            };
            let Ok(v) = serde_json::from_str::<Value>(ev.raw().json().get()) else {
                misses += 1;
                continue;
            };
            if v["type"] == "m.room.encrypted" {
                misses += 1;
                continue; // still no key
            }
            misses = 0;
            if let Some(out) = translate_in(&room, &v, account, own_user).await {
                fixed += 1;
                if !events.emit(out).await {
                    return;
                }
            }
        }
    }
    if fixed > 0 {
        tracing::info!(%account, fixed, "messages decrypted after their keys arrived");
    }
}

/// One page (up to 100 events) of history before `oldest`, oldest first. Without a
/// starting point the newest page.
pub(super) async fn older_page(room: &Room, oldest: Option<&str>) -> Vec<Value> {
    let mut opts = MessagesOptions::backward();
    opts.limit = UInt::from(100u32);
    if let Some(id) = oldest.and_then(|o| OwnedEventId::try_from(o).ok()) {
        // /context gives a pagination token right before a known event.
        match room
            .event_with_context(&id, true, UInt::from(0u32), None)
            .await
        {
            Ok(ctx) => match ctx.prev_batch_token {
                Some(t) => opts.from = Some(t),
                None => return Vec::new(),
            },
            Err(e) => {
                tracing::warn!(room = %room.room_id(), error = %e, "no history before {id}");
                return Vec::new();
            }
        }
    }
    match room.messages(opts).await {
        Ok(page) => {
            let mut out: Vec<Value> = page
                .chunk
                .iter()
                .filter_map(|e| serde_json::from_str::<Value>(e.raw().json().get()).ok())
                .collect();
            out.reverse();
            out
        }
        Err(e) => {
            tracing::warn!(room = %room.room_id(), error = %e, "loading older history failed");
            Vec::new()
        }
    }
}

/// A member's display name as matrix-sdk's store knows it (no request).
pub(super) async fn member_name(room: &Room, user: &str) -> Option<String> {
    let uid = matrix_sdk::ruma::UserId::parse(user).ok()?;
    let member = room.get_member_no_sync(&uid).await.ok()??;
    Some(member.name().to_string())
}

/// One event of `room` as a connector event, with the sender's display name.
pub(super) async fn translate_in(
    room: &Room,
    ev: &Value,
    account: &AccountId,
    own_user: &str,
) -> Option<ConnectorEvent> {
    let sender = ev["sender"].as_str().unwrap_or_default().to_string();
    let name = member_name(room, &sender).await;
    let name_of = |u: &str| (u == sender).then(|| name.clone()).flatten();
    let room_id = room.room_id().to_string();
    let cx = events::Context {
        account,
        room_id: &room_id,
        own_user,
        name_of: &name_of,
    };
    // Only history comes this way (older pages, messages decrypted again).
    let mut out = events::translate(ev, &cx)?;
    if let ConnectorEvent::Message(m) = &mut out {
        m.history = true;
    }
    Some(out)
}

/// Events between the previous sync and a limited timeline, oldest first.
pub(super) async fn fill_gap(room: &Room, from: String, to: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut from = Some(from);
    // Bounded: a gap of thousands of events is history; the UI loads it on scroll.
    for _ in 0..20 {
        let mut opts = MessagesOptions::backward();
        opts.from = from.take();
        opts.to = Some(to.to_string());
        match room.messages(opts).await {
            Ok(page) => {
                out.extend(
                    page.chunk
                        .iter()
                        .filter_map(|e| serde_json::from_str::<Value>(e.raw().json().get()).ok()),
                );
                match page.end {
                    Some(end) if !page.chunk.is_empty() => from = Some(end),
                    _ => break,
                }
            }
            Err(e) => {
                tracing::warn!(room = %room.room_id(), error = %e, "could not fill a sync gap");
                break;
            }
        }
    }
    out.reverse();
    out
}
