//! Which Matrix rooms are business conversations, and what a bridge says about them.
//!
//! Pure functions over facts the connector gathered from the room state, so the rules
//! (R-D6: nothing of a non-business room is stored) are testable without a homeserver.

use crate::connector::RoomSelection;
use crate::domain::{Channel, Contact};

/// What the `m.bridge` / `uk.half-shot.bridge` state (MSC2346) of a room says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeInfo {
    /// `protocol.id`: whatsapp, telegram, signal, …
    pub protocol: String,
    pub bot: Option<String>,
    /// `channel.id`: the remote chat, e.g. `4917612345678@s.whatsapp.net`.
    pub channel_id: Option<String>,
    pub channel_name: Option<String>,
}

impl BridgeInfo {
    /// Reads one bridge state event's content; `None` if it names no protocol.
    pub fn from_content(content: &serde_json::Value) -> Option<Self> {
        let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
        Some(Self {
            protocol: text(&content["protocol"]["id"])?.to_lowercase(),
            bot: text(&content["bridgebot"]),
            channel_id: text(&content["channel"]["id"]),
            channel_name: text(&content["channel"]["displayname"]),
        })
    }

    pub fn channel(&self) -> Channel {
        Channel::parse(&self.protocol).unwrap_or(Channel::Other)
    }

    /// The customer's identity on their network, as the office knows it: a phone
    /// number for WhatsApp and Signal (`+49…`), else the bridge's channel id.
    pub fn contact_identity(&self) -> Option<String> {
        let id = self.channel_id.as_deref()?;
        let user = id.split('@').next().unwrap_or(id);
        let is_number = !user.is_empty() && user.chars().all(|c| c.is_ascii_digit());
        Some(match self.channel() {
            Channel::Whatsapp | Channel::Signal if is_number => format!("+{user}"),
            _ => id.to_string(),
        })
    }
}

/// What the connector knows about a room when it decides.
#[derive(Debug, Clone, Default)]
pub struct RoomFacts {
    pub room_id: String,
    pub name: Option<String>,
    pub aliases: Vec<String>,
    /// Spaces that list this room as a child (`m.space.parent`).
    pub spaces: Vec<String>,
    pub bridge: Option<BridgeInfo>,
    pub is_direct: bool,
    /// Joined and invited members other than the account itself.
    pub others: Vec<String>,
    /// The office accepted this room's invite as business (tagged on the homeserver,
    /// so every office PC of the account knows).
    pub accepted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomRole {
    /// A customer conversation: stored, shown in the inbox.
    Business {
        channel: Channel,
        contact: Option<Contact>,
    },
    /// The DM with a bridge bot: never stored; its notices feed the account's health.
    BridgeManagement { protocol: Option<String> },
    /// Not selected: nothing about it is stored.
    Ignored,
}

/// Localparts of the bridge bots of the common mautrix bridges.
const KNOWN_BOTS: &[(&str, &str)] = &[
    ("whatsappbot", "whatsapp"),
    ("telegrambot", "telegram"),
    ("signalbot", "signal"),
    ("discordbot", "discord"),
    ("metabot", "meta"),
    ("gmessagesbot", "gmessages"),
];

fn localpart(user: &str) -> &str {
    user.trim_start_matches('@')
        .split(':')
        .next()
        .unwrap_or_default()
}

/// The protocol of a bridge bot: known from some room's bridge state, or by name.
pub fn bot_protocol(user: &str, bots_seen: &[(String, String)]) -> Option<String> {
    if let Some((_, p)) = bots_seen.iter().find(|(bot, _)| bot == user) {
        return Some(p.clone());
    }
    let lp = localpart(user);
    KNOWN_BOTS
        .iter()
        .find(|(bot, _)| *bot == lp)
        .map(|(_, p)| p.to_string())
}

fn listed(list: &[String], facts: &RoomFacts) -> bool {
    list.iter().any(|entry| {
        *entry == facts.room_id
            || facts.aliases.iter().any(|a| a == entry)
            || facts.spaces.iter().any(|s| s == entry)
    })
}

pub fn classify(
    facts: &RoomFacts,
    selection: &RoomSelection,
    bots_seen: &[(String, String)],
) -> RoomRole {
    if let Some(bridge) = &facts.bridge {
        if listed(&selection.exclude, facts) {
            return RoomRole::Ignored;
        }
        let network_wanted = selection
            .networks
            .iter()
            .any(|n| n == "all" || n.eq_ignore_ascii_case(&bridge.protocol));
        if !network_wanted && !listed(&selection.include, facts) {
            return RoomRole::Ignored;
        }
        let contact = bridge.contact_identity().map(|identity| Contact {
            display_name: bridge
                .channel_name
                .clone()
                .or_else(|| facts.name.clone())
                .unwrap_or_else(|| identity.clone()),
            identity,
            phone: None,
        });
        return RoomRole::Business {
            channel: bridge.channel(),
            contact,
        };
    }
    // A room whose only other member is a bridge bot is that bridge's control room.
    if let [only] = facts.others.as_slice()
        && let Some(protocol) = bot_protocol(only, bots_seen)
    {
        return RoomRole::BridgeManagement {
            protocol: Some(protocol),
        };
    }
    if listed(&selection.exclude, facts) {
        return RoomRole::Ignored;
    }
    let direct_wanted = facts.is_direct && selection.direct;
    if direct_wanted || facts.accepted || listed(&selection.include, facts) {
        // Two people in a room is a direct chat, whatever m.direct says (it arrives
        // in a later sync than the join).
        let contact = match facts.others.as_slice() {
            [other] => Some(Contact {
                identity: other.clone(),
                display_name: facts.name.clone().unwrap_or_else(|| other.clone()),
                phone: None,
            }),
            _ => None,
        };
        return RoomRole::Business {
            channel: Channel::Matrix,
            contact,
        };
    }
    RoomRole::Ignored
}

/// What a bridge bot's notice says about the bridge's connection to its network.
/// `None` when the notice is not about the connection.
pub fn bridge_notice_health(body: &str) -> Option<Result<(), String>> {
    let lower = body.to_lowercase();
    const BAD: &[&str] = &[
        "not logged in",
        "logged out",
        "disconnected",
        "connection failed",
        "login failed",
        "session expired",
        "you're not connected",
        "bad_credentials",
        "unknown_error",
    ];
    const GOOD: &[&str] = &["successfully logged in", "connected to", "reconnected"];
    // "Disconnected" also ends in "connected to…" phrases; test bad words first.
    if BAD.iter().any(|w| lower.contains(w)) {
        return Some(Err(body.lines().next().unwrap_or(body).trim().to_string()));
    }
    if GOOD.iter().any(|w| lower.contains(w)) {
        return Some(Ok(()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn portal(protocol: &str) -> RoomFacts {
        RoomFacts {
            room_id: "!portal".into(),
            name: Some("Max Mustermann".into()),
            bridge: BridgeInfo::from_content(&serde_json::json!({
                "bridgebot": "@whatsappbot:localhost",
                "protocol": {"id": protocol},
                "channel": {"id": "4917612345678@s.whatsapp.net", "displayname": "Max Mustermann"}
            })),
            is_direct: true,
            others: vec!["@whatsapp_4917612345678:localhost".into()],
            ..Default::default()
        }
    }

    #[test]
    fn bridged_chat_is_business_with_network_and_phone_number() {
        let role = classify(&portal("whatsapp"), &RoomSelection::default(), &[]);
        assert_eq!(
            role,
            RoomRole::Business {
                channel: Channel::Whatsapp,
                contact: Some(Contact {
                    identity: "+4917612345678".into(),
                    display_name: "Max Mustermann".into(),
                    phone: None,
                })
            }
        );
    }

    #[test]
    fn r_d6_unselected_rooms_are_ignored() {
        let only_telegram = RoomSelection {
            networks: vec!["telegram".into()],
            ..Default::default()
        };
        assert_eq!(
            classify(&portal("whatsapp"), &only_telegram, &[]),
            RoomRole::Ignored
        );
        let excluded = RoomSelection {
            exclude: vec!["!portal".into()],
            ..Default::default()
        };
        assert_eq!(
            classify(&portal("whatsapp"), &excluded, &[]),
            RoomRole::Ignored
        );
        // A plain Matrix DM (a colleague, family) is private unless direct rooms are on.
        let dm = RoomFacts {
            room_id: "!dm".into(),
            is_direct: true,
            others: vec!["@oma:example.org".into()],
            ..Default::default()
        };
        assert_eq!(
            classify(&dm, &RoomSelection::default(), &[]),
            RoomRole::Ignored
        );
        let group = RoomFacts {
            room_id: "!group".into(),
            aliases: vec!["#kunden:example.org".into()],
            others: vec!["@a:x".into(), "@b:x".into()],
            ..Default::default()
        };
        assert_eq!(
            classify(&group, &RoomSelection::default(), &[]),
            RoomRole::Ignored
        );
        let by_alias = RoomSelection {
            include: vec!["#kunden:example.org".into()],
            ..Default::default()
        };
        assert!(matches!(
            classify(&group, &by_alias, &[]),
            RoomRole::Business {
                channel: Channel::Matrix,
                ..
            }
        ));
    }

    #[test]
    fn the_dm_with_a_bridge_bot_is_management() {
        let mgmt = RoomFacts {
            room_id: "!mgmt".into(),
            is_direct: true,
            others: vec!["@whatsappbot:localhost".into()],
            ..Default::default()
        };
        assert_eq!(
            classify(&mgmt, &RoomSelection::default(), &[]),
            RoomRole::BridgeManagement {
                protocol: Some("whatsapp".into())
            }
        );
        let custom = RoomFacts {
            others: vec!["@wa:firma.de".into()],
            ..mgmt
        };
        let seen = [("@wa:firma.de".to_string(), "whatsapp".to_string())];
        assert!(matches!(
            classify(&custom, &RoomSelection::default(), &seen),
            RoomRole::BridgeManagement { .. }
        ));
    }

    #[test]
    fn bot_notices_map_to_health() {
        assert!(matches!(
            bridge_notice_health("You're not logged in to WhatsApp"),
            Some(Err(_))
        ));
        assert!(matches!(
            bridge_notice_health("Disconnected from WhatsApp: phone offline"),
            Some(Err(_))
        ));
        assert_eq!(
            bridge_notice_health("Successfully logged in as +49…"),
            Some(Ok(()))
        );
        assert_eq!(bridge_notice_health("Help: use `login` to link"), None);
    }
}
