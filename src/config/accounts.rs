//! `[[accounts]]`: the firm's messenger accounts, and what each says about its channel's
//! risk (R-C5, R-C6, R-C15): provider, kind of access, bridges carried, acknowledgement
//! and DPIA of a consumer-app bridge.

use serde::{Deserialize, Serialize};

use super::{RoomSelection, is_e164};

/// A messenger account. Only accounts listed here can be connected, and a real network
/// needs `purpose = "business"` (R-D6: a firm's inbox never carries a private account).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    pub id: String,
    pub network: crate::domain::AccountNetwork,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Which Matrix rooms are business conversations (Matrix accounts only).
    #[serde(default, skip_serializing_if = "RoomSelection::is_default")]
    pub rooms: RoomSelection,
    /// The business phone number, international format (Signal accounts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Signal groups (base64 ids) whose chats are business; other groups are never
    /// stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Who runs the service (R-C6); empty: named after the network.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provider: String,
    /// How tresen reaches it (R-C6); unset: `e2e_open_protocol` (Signal, Matrix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_type: Option<ApiType>,
    /// The firm's written acceptance of a consumer-app access's risk (R-C6).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub accepted_risk_ref: String,
    /// The data-protection impact assessment for it (R-C15).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dpia_ref: String,
    /// The networks a Matrix account reaches through bridges (WhatsApp, Telegram, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bridges: Vec<BridgeConfig>,
}

/// How an account or bridge reaches its network (R-C6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiType {
    /// The network's own business interface (e.g. WhatsApp Business Platform).
    OfficialBusinessApi,
    /// A bridge that logs in like the consumer app (mautrix-whatsapp on a phone
    /// number): high risk, needs an acknowledgement and a DPIA (R-C6, R-C15).
    ConsumerAppBridge,
    /// An open, end-to-end encrypted protocol (Signal, Matrix).
    E2eOpenProtocol,
}

impl ApiType {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiType::OfficialBusinessApi => "official_business_api",
            ApiType::ConsumerAppBridge => "consumer_app_bridge",
            ApiType::E2eOpenProtocol => "e2e_open_protocol",
        }
    }
}

/// A network a Matrix account reaches through a bridge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BridgeConfig {
    /// `whatsapp`, `telegram` or `signal`.
    pub network: String,
    /// Who runs the network (e.g. "Meta Platforms Ireland"); empty: named after it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provider: String,
    pub api_type: ApiType,
    /// The firm's written acceptance of the risk (ToS, address book, third country).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub accepted_risk_ref: String,
    /// The data-protection impact assessment for it (R-C15).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dpia_ref: String,
    /// Whether the bridge uploads the phone's address book. Must stay off (R-C5).
    #[serde(default)]
    pub contact_sync: bool,
}

pub const BRIDGED_NETWORKS: [&str; 3] = ["whatsapp", "telegram", "signal"];

impl BridgeConfig {
    pub fn provider(&self) -> String {
        match (self.provider.trim(), self.network.as_str()) {
            ("", "whatsapp") => "WhatsApp (Meta)".into(),
            ("", "telegram") => "Telegram".into(),
            ("", "signal") => "Signal".into(),
            ("", other) => other.to_string(),
            (p, _) => p.to_string(),
        }
    }
}

impl AccountConfig {
    pub fn provider(&self) -> String {
        match self.provider.trim() {
            "" => match self.network {
                crate::domain::AccountNetwork::Signal => "Signal".into(),
                crate::domain::AccountNetwork::Matrix => "Matrix".into(),
                crate::domain::AccountNetwork::Demo => "Demo".into(),
            },
            p => p.to_string(),
        }
    }

    pub fn api_type(&self) -> ApiType {
        self.api_type.unwrap_or(ApiType::E2eOpenProtocol)
    }
}

/// The accounts' own rules: ids, purpose, numbers, what applies to which network.
pub(super) fn check(accounts: &[AccountConfig]) -> Result<(), (String, String)> {
    let mut seen = std::collections::HashSet::new();
    for (i, a) in accounts.iter().enumerate() {
        if a.id.trim().is_empty() {
            return Err((format!("accounts[{i}].id"), "must not be empty".into()));
        }
        if !a
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err((
                format!("accounts[{i}].id"),
                format!(
                    "`{}`: use letters, digits, '-', '_' and '.' only (the id names files and archive records)",
                    a.id
                ),
            ));
        }
        if !seen.insert(&a.id) {
            return Err((
                format!("accounts[{i}].id"),
                format!("account id `{}` is used twice", a.id),
            ));
        }
        let real = a.network != crate::domain::AccountNetwork::Demo;
        if real && a.purpose.as_deref() != Some("business") {
            let key = if a.purpose.is_some() {
                format!("accounts[{i}].purpose")
            } else {
                format!("accounts[{i}].network")
            };
            return Err((
                key,
                format!(
                    "account `{}` needs purpose = \"business\": tresen connects only the firm's \
                     business accounts, never a private one",
                    a.id
                ),
            ));
        }
        let signal = a.network == crate::domain::AccountNetwork::Signal;
        match (&a.number, signal) {
            (None, true) => {
                return Err((
                    format!("accounts[{i}].network"),
                    format!(
                        "Signal account `{}` needs number = \"+49…\" (the business number, international format)",
                        a.id
                    ),
                ));
            }
            (Some(n), true) if !is_e164(n) => {
                return Err((
                    format!("accounts[{i}].number"),
                    format!("`{n}` is not a number in international format such as +493012345678"),
                ));
            }
            (Some(_), false) => {
                return Err((
                    format!("accounts[{i}].number"),
                    "number applies to Signal accounts only".into(),
                ));
            }
            _ => {}
        }
        if !signal && !a.groups.is_empty() {
            return Err((
                format!("accounts[{i}].groups"),
                "groups apply to Signal accounts only".into(),
            ));
        }
        if a.network != crate::domain::AccountNetwork::Matrix && !a.rooms.is_default() {
            return Err((
                format!("accounts[{i}].rooms"),
                "room selection applies to Matrix accounts only".into(),
            ));
        }
        for (j, b) in a.bridges.iter().enumerate() {
            let key = format!("accounts[{i}].bridges");
            if a.network != crate::domain::AccountNetwork::Matrix {
                return Err((key, "bridges apply to Matrix accounts only".into()));
            }
            if !BRIDGED_NETWORKS.contains(&b.network.as_str()) {
                return Err((
                    key,
                    format!(
                        "bridge {}: network `{}`; one of: {}",
                        j + 1,
                        b.network,
                        BRIDGED_NETWORKS.join(", ")
                    ),
                ));
            }
            if b.contact_sync {
                return Err((
                    key,
                    format!(
                        "bridge {} ({}): contact_sync = true uploads the business phone's address book; turn it off in the bridge and here (R-C5)",
                        j + 1,
                        b.network
                    ),
                ));
            }
        }
    }
    Ok(())
}
