//! The binding usage policy (R-F1): the firm's text, its version (its hash), and where a
//! staff member stands with it. Each staff member accepts the current version before
//! their first session and again after every change; the acceptance is archived.

use serde::{Deserialize, Serialize};

/// The usage policy in force: its text and version (`u-` + 12 hex of its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub version: String,
    pub text: String,
}

impl Policy {
    pub fn of(text: &str) -> Policy {
        Policy {
            version: format!("u-{}", &super::sha256_hex(text.as_bytes())[..12]),
            text: text.to_string(),
        }
    }
}

/// A staff member and the usage policy: the version in force, and the last one they
/// accepted (and when).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyStatus {
    pub policy: Policy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<Accepted>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub version: String,
    pub at: crate::domain::Timestamp,
}

impl PolicyStatus {
    /// They accepted the version in force.
    pub fn current(&self) -> bool {
        self.accepted
            .as_ref()
            .is_some_and(|a| a.version == self.policy.version)
    }
}

/// An acceptance, as archived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyAcceptance {
    pub staff: String,
    pub version: String,
    pub at: crate::domain::Timestamp,
}
