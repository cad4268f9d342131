//! What a room is, asked of matrix-sdk: the facts the business classification needs
//! (`rooms`, pure) and the room's encryption and verification state.

use super::*;

/// Everything tresen needs to know to decide about a room.
pub(super) async fn facts(room: &Room, own_user: &str, accepted_here: bool) -> RoomFacts {
    let mut bridge = None;
    for kind in ["m.bridge", "uk.half-shot.bridge"] {
        if bridge.is_some() {
            break;
        }
        let Ok(states) = room.get_state_events(StateEventType::from(kind)).await else {
            continue;
        };
        for raw in states {
            let v: Option<Value> = match raw {
                RawAnySyncOrStrippedState::Sync(r) => r.deserialize_as_unchecked().ok(),
                RawAnySyncOrStrippedState::Stripped(r) => r.deserialize_as_unchecked().ok(),
            };
            if let Some(info) = v.and_then(|v| BridgeInfo::from_content(&v["content"])) {
                bridge = Some(info);
                break;
            }
        }
    }
    let mut spaces = Vec::new();
    if let Ok(states) = room.get_state_events(StateEventType::SpaceParent).await {
        for raw in states {
            let v: Option<Value> = match raw {
                RawAnySyncOrStrippedState::Sync(r) => r.deserialize_as_unchecked().ok(),
                RawAnySyncOrStrippedState::Stripped(r) => r.deserialize_as_unchecked().ok(),
            };
            if let Some(key) = v.as_ref().and_then(|v| v["state_key"].as_str()) {
                spaces.push(key.to_string());
            }
        }
    }
    // Members as far as the sync told them (lazy loading) plus the room summary's
    // heroes. `members()` would fetch the full list from the homeserver for every room,
    // one request each: that was most of an initial sync.
    let mut others: Vec<String> = room
        .members_no_sync(RoomMemberships::JOIN | RoomMemberships::INVITE)
        .await
        .map(|ms| ms.iter().map(|m| m.user_id().to_string()).collect())
        .unwrap_or_default();
    others.extend(room.heroes().into_iter().map(|h| h.user_id.to_string()));
    others.retain(|u| u != own_user);
    others.sort();
    others.dedup();
    let mut aliases: Vec<String> = room.alt_aliases().iter().map(|a| a.to_string()).collect();
    if let Some(a) = room.canonical_alias() {
        aliases.push(a.to_string());
    }
    RoomFacts {
        room_id: room.room_id().to_string(),
        name: room
            .cached_display_name()
            .map(|n| n.to_string())
            .or_else(|| room.name()),
        aliases,
        spaces,
        bridge,
        is_direct: room.is_direct().await.unwrap_or(false),
        others,
        accepted: accepted_here
            || room
                .tags()
                .await
                .ok()
                .flatten()
                .is_some_and(|tags| tags.keys().any(|t| t.as_ref() == BUSINESS_TAG)),
    }
}

/// Encryption and verification state of a business room. Bridge bots do not count as
/// people to verify (a portal is not end-to-end encrypted on the Matrix side anyway).
pub(super) async fn security(
    client: &Client,
    room: &Room,
    facts: &RoomFacts,
    bots: &[(String, String)],
) -> Security {
    if !room.encryption_state().is_encrypted() {
        return if facts.bridge.is_some() {
            Security::Bridged
        } else {
            Security::Unencrypted
        };
    }
    let people: Vec<&String> = facts
        .others
        .iter()
        .filter(|u| !bots.iter().any(|(b, _)| b == *u))
        .collect();
    let mut all_verified = !people.is_empty();
    for u in people {
        let Ok(uid) = matrix_sdk::ruma::UserId::parse(u.as_str()) else {
            all_verified = false;
            continue;
        };
        match client.encryption().get_user_identity(&uid).await {
            Ok(Some(identity)) => {
                if identity.has_verification_violation() {
                    return Security::IdentityChanged;
                }
                all_verified &= identity.is_verified();
            }
            _ => all_verified = false,
        }
    }
    if all_verified {
        Security::Verified
    } else {
        Security::Encrypted
    }
}
