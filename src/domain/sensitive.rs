//! Messages whose content is for the owner only (R-E4, R-C14): special-category data
//! (Art. 9 GDPR) and other people's data in a customer's photos or texts.

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// Why a message's content is for the owner only (R-E4, R-C14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitive {
    /// Special-category data (Art. 9 GDPR): health, disability — a photo for an
    /// accessible bathroom, say.
    Art9,
    /// Other people than the customer: a photo showing a neighbour, a tenant.
    ThirdParty,
}

impl Sensitive {
    pub fn as_str(self) -> &'static str {
        match self {
            Sensitive::Art9 => "art9",
            Sensitive::ThirdParty => "third_party",
        }
    }

    pub fn parse(s: &str) -> Option<Sensitive> {
        match s {
            "art9" => Some(Sensitive::Art9),
            "third_party" => Some(Sensitive::ThirdParty),
            _ => None,
        }
    }

    /// As office staff read it.
    pub fn describe(self, de: bool) -> &'static str {
        match (self, de) {
            (Sensitive::Art9, true) => "besondere Kategorie (Art. 9 DSGVO)",
            (Sensitive::Art9, false) => "special category (Art. 9 GDPR)",
            (Sensitive::ThirdParty, true) => "Daten Dritter",
            (Sensitive::ThirdParty, false) => "third parties' data",
        }
    }
}

/// A mark set or lifted, as archived: in the message's conversation-year, so it goes
/// with the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensitiveMark {
    pub account: String,
    pub conversation: String,
    /// The message's archive key: the network's id, or `local:<id>` for one sent here
    /// that the network has not confirmed.
    pub message: String,
    /// `None`: the mark was lifted.
    pub mark: Option<Sensitive>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    pub by: String,
    pub at: Timestamp,
}
