//! The business rules every outgoing message passes (docs/compliance.md): Pflichtangaben
//! per legal form (`company`), the footer and channel budgets (`footer`), the consent
//! ledger and gate (`consent`), the first-contact notice (`notice`), staff and the
//! works-council-safe defaults (`staff`). Pure: the engine applies them, the archive
//! keeps what they decided.

pub mod audit_scope;
pub mod company;
pub mod consent;
pub mod footer;
pub mod notice;
pub mod orders;
pub mod policy;
pub mod requests;
pub mod staff;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::{Channel, Conversation, ConversationKind, Timestamp};
use company::{Company, CompanyConfig};
use consent::{ConsentConfig, ConsentRecord};
use footer::{Footer, FooterConfig};
use notice::Notice;

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The first-contact notice went to a contact (R-C8): kept in the ledger and archived
/// as the same record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstContact {
    pub account: String,
    pub channel: Channel,
    pub address: String,
    pub notice_version: String,
    /// The outgoing message that carried it (`local:<id>`).
    pub message: String,
    pub at: Timestamp,
    /// The consent question it asked, word for word: a JA answers this text.
    #[serde(default)]
    pub wording: String,
}

/// A compliance fact the inbox keeps (and the archive records): the store's ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LedgerEntry {
    Consent(ConsentRecord),
    /// The first-contact notice went to this contact (never twice, R-C8).
    FirstContact(FirstContact),
    /// An outgoing message carried footer `version` (R-A8; the policy's memory).
    Footer {
        account: String,
        conversation: String,
        version: String,
        at: Timestamp,
    },
}

impl LedgerEntry {
    /// `(channel, address)` the entry is about; a footer is about a conversation
    /// (`account/remote id`).
    pub fn key(&self) -> (Channel, String) {
        match self {
            LedgerEntry::Consent(r) => (r.channel, r.address.clone()),
            LedgerEntry::FirstContact(f) => (f.channel, f.address.clone()),
            LedgerEntry::Footer {
                account,
                conversation,
                ..
            } => (Channel::Other, footer_key(account, conversation)),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            LedgerEntry::Consent(_) => "consent",
            LedgerEntry::FirstContact(_) => "first_contact",
            LedgerEntry::Footer { .. } => "footer",
        }
    }

    pub fn at(&self) -> Timestamp {
        match self {
            LedgerEntry::Consent(r) => r.at,
            LedgerEntry::FirstContact(f) => f.at,
            LedgerEntry::Footer { at, .. } => *at,
        }
    }
}

/// The ledger address of a conversation's footer entries.
pub fn footer_key(account: &str, conversation: &str) -> String {
    format!("{account}/{conversation}")
}

/// Who a conversation's consent belongs to: the customer's address on their network
/// (phone number, handle), or the conversation itself for a group.
pub fn contact_key(c: &Conversation) -> (Channel, String) {
    (
        c.channel,
        contact_address(c.contact.as_ref(), c.kind, &c.remote_id),
    )
}

/// [`contact_key`]'s address from a conversation's parts (also as the archive holds them).
pub fn contact_address(
    contact: Option<&crate::domain::Contact>,
    kind: ConversationKind,
    remote_id: &str,
) -> String {
    match (contact, kind) {
        (Some(contact), ConversationKind::Direct) if !contact.identity.is_empty() => {
            contact.identity.clone()
        }
        _ => remote_id.to_string(),
    }
}

/// Where a conversation's contact stands, as staff see it before they write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentView {
    Granted,
    /// The customer wrote first; a reply is allowed, consent not yet given.
    Pending,
    Withdrawn,
    /// Nobody consented and the customer has not written: sending is blocked.
    Missing,
    /// The gate is switched off (`require_consent_for_outbound = false`).
    NotRequired,
}

/// What the composer shows about the next message: the consent state, the footer that
/// will be appended, and why sending would be refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outlook {
    pub consent: ConsentView,
    pub footer: Option<String>,
    pub blocked: Option<String>,
    /// The account sends without Pflichtangaben because none are configured and it is
    /// exempt (the demo network without `[company]`); real networks never are.
    #[serde(default)]
    pub exempt: bool,
}

/// The rules in force, built from the configuration once it is validated.
#[derive(Debug, Clone)]
pub struct Compliance {
    pub company: Option<Company>,
    pub footer: Option<Footer>,
    pub footer_config: FooterConfig,
    pub consent: ConsentConfig,
    /// The consent question's version and SHA-256.
    pub wording: (String, String),
    pub notice: Option<Notice>,
    /// Accounts whose sends need the footer (every real network; demo accounts only
    /// when company data exists).
    pub enforced: BTreeSet<String>,
}

/// A problem in the compliance sections of the config: the key and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupError {
    pub key: String,
    pub message: String,
}

impl Compliance {
    /// No rules: for engines built in tests of other layers.
    pub fn off() -> Compliance {
        let consent = ConsentConfig {
            require_consent_for_outbound: false,
            first_contact_message: false,
            grant_keywords: Vec::new(),
            withdraw_keywords: Vec::new(),
            ..Default::default()
        };
        Compliance {
            company: None,
            footer: None,
            footer_config: FooterConfig::default(),
            wording: consent.wording_version(),
            consent,
            notice: None,
            enforced: BTreeSet::new(),
        }
    }

    pub fn new(
        company: Option<&CompanyConfig>,
        footer_config: &FooterConfig,
        consent: &ConsentConfig,
        enforced: BTreeSet<String>,
        recipients: &str,
    ) -> Result<Compliance, SetupError> {
        let err = |key: String, message: String| SetupError { key, message };
        let company = company
            .map(|c| c.validate())
            .transpose()
            .map_err(|e| err(format!("company.{}", e.field()), e.to_string()))?;
        let footer = company
            .as_ref()
            .map(|c| Footer::render(c, &footer_config.template))
            .transpose()
            .map_err(|e| err("footer.template".into(), e.to_string()))?;
        let notice = company
            .as_ref()
            .map(|c| {
                Notice::render(
                    &notice::NoticeInput {
                        first_layer: &consent.first_contact_text,
                        privacy_text: &consent.privacy_text,
                        question: &consent.wording,
                        keyword: consent.privacy_keywords.first().map_or("", |k| k.trim()),
                        recipients,
                        max: consent.first_layer_max,
                    },
                    c,
                )
            })
            .transpose()
            .map_err(|e| {
                let key = match e {
                    notice::NoticeError::Missing(_) if !consent.privacy_text.trim().is_empty() => {
                        "consent.privacy_text"
                    }
                    _ => "consent.first_contact_text",
                };
                err(key.into(), e.to_string())
            })?;
        if consent.wording.trim().is_empty() {
            return Err(err(
                "consent.wording".into(),
                "the consent question must not be empty: it is what customers agree to".into(),
            ));
        }
        for (key, list) in [
            ("consent.grant_keywords", &consent.grant_keywords),
            ("consent.withdraw_keywords", &consent.withdraw_keywords),
        ] {
            if list.iter().all(|k| k.trim().is_empty()) {
                return Err(err(key.into(), "needs at least one keyword".into()));
            }
        }
        if let Some(k) = consent.grant_keywords.iter().find(|k| {
            consent
                .withdraw_keywords
                .iter()
                .any(|w| w.eq_ignore_ascii_case(k))
        }) {
            return Err(err(
                "consent.grant_keywords".into(),
                format!("`{k}` is also a withdraw keyword"),
            ));
        }
        if let Some(k) = consent.privacy_keywords.iter().find(|k| {
            consent
                .grant_keywords
                .iter()
                .chain(&consent.withdraw_keywords)
                .any(|w| w.eq_ignore_ascii_case(k))
        }) {
            return Err(err(
                "consent.privacy_keywords".into(),
                format!("`{k}` is also a consent keyword"),
            ));
        }
        if footer_config.reopen_after_days == 0 {
            return Err(err(
                "footer.reopen_after_days".into(),
                "expected at least 1".into(),
            ));
        }
        Ok(Compliance {
            company,
            footer,
            footer_config: footer_config.clone(),
            wording: consent.wording_version(),
            consent: consent.clone(),
            notice,
            enforced,
        })
    }

    /// `account` sends without any footer: no company data, and it is not a network the
    /// footer is enforced on (the demo).
    pub fn exempt(&self, account: &str) -> bool {
        self.footer.is_none() && !self.enforced.contains(account)
    }

    /// Why `account` may not send at all right now, if it may not.
    pub fn cannot_send(&self, account: &str) -> Option<String> {
        (self.footer.is_none() && self.enforced.contains(account)).then(|| {
            "no company data: add a [company] section to the configuration (legal form, Firma, register data; docs/compliance.md) so every message can carry the Pflichtangaben".to_string()
        })
    }
}
