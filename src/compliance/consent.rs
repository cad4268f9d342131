//! The consent ledger's records and the gate before outgoing messages (R-C1…R-C4).
//! Records are events (grant or withdraw), never edited: the state is the latest record
//! per purpose. Pure: no IO.

use serde::{Deserialize, Serialize};

use crate::domain::{Channel, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Messages about the customer's enquiry or order.
    ServiceMessaging,
    /// Maintenance reminders ("Wartung Ihrer Heizung fällig").
    Reminders,
    Marketing,
    ReviewRequest,
}

impl Purpose {
    pub const ALL: [Purpose; 4] = [
        Self::ServiceMessaging,
        Self::Reminders,
        Self::Marketing,
        Self::ReviewRequest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ServiceMessaging => "service_messaging",
            Self::Reminders => "reminders",
            Self::Marketing => "marketing",
            Self::ReviewRequest => "review_request",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Advertising-like purposes: never covered by a reply to the customer's own
    /// question (§ 7 UWG; BGH VI ZR 225/17 for satisfaction surveys).
    pub fn is_advertising(self) -> bool {
        self != Self::ServiceMessaging
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Grant,
    Withdraw,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The customer wrote a keyword (JA, STOP); the evidence is that message.
    InboundKeyword,
    WebForm,
    PaperScan,
    /// Said on the phone or at the counter and noted by the staff member in `staff`.
    Verbal,
    /// Withdrawn by a staff member on the customer's word, or by an erasure request.
    StaffAction,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InboundKeyword => "inbound_keyword",
            Self::WebForm => "web_form",
            Self::PaperScan => "paper_scan",
            Self::Verbal => "verbal",
            Self::StaffAction => "staff_action",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        [
            Self::InboundKeyword,
            Self::WebForm,
            Self::PaperScan,
            Self::Verbal,
            Self::StaffAction,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// One ledger entry (R-C1). The wording is kept with its version and hash, so `consent
/// show` reproduces exactly what the customer agreed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    /// Account the contact wrote to (`account` id of the config).
    pub account: String,
    /// The contact's display name at the time (for people reading the ledger).
    pub contact: String,
    pub channel: Channel,
    /// Phone number, Matrix ID or bridged handle: who consented.
    pub address: String,
    pub purposes: Vec<Purpose>,
    pub action: Action,
    pub wording_version: String,
    pub wording_sha256: String,
    pub wording: String,
    pub method: Method,
    /// The archived message (`account/remote id`), scan file or form reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// Who recorded it (verbal consent, staff action); empty for keywords.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub staff: String,
    pub at: Timestamp,
}

/// Where a contact stands for one purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentState {
    None,
    Granted {
        at: Timestamp,
        wording_version: String,
    },
    Withdrawn {
        at: Timestamp,
    },
}

/// The latest record about `purpose` decides (records in ledger order).
pub fn state(records: &[ConsentRecord], purpose: Purpose) -> ConsentState {
    records
        .iter()
        .rev()
        .find(|r| r.purposes.contains(&purpose))
        .map_or(ConsentState::None, |r| match r.action {
            Action::Grant => ConsentState::Granted {
                at: r.at,
                wording_version: r.wording_version.clone(),
            },
            Action::Withdraw => ConsentState::Withdrawn { at: r.at },
        })
}

/// `[consent]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsentConfig {
    /// Starting a conversation with someone who has not consented is blocked (R-C3).
    pub require_consent_for_outbound: bool,
    /// A message that is just one of these grants `service_messaging` (case and trailing
    /// punctuation ignored).
    pub grant_keywords: Vec<String>,
    /// A message that is just one of these withdraws every purpose at once (R-C2).
    pub withdraw_keywords: Vec<String>,
    /// The consent question, exactly as customers see it. Changing it is a new version.
    pub wording: String,
    /// Send the first-contact notice to a new contact's first message (R-C8).
    pub first_contact_message: bool,
    /// The first layer of the first-contact notice (minijinja; `firma`, `address`,
    /// `info_url`, `keyword`); empty: the built-in German text. With the consent
    /// question at most `first_layer_max` characters.
    pub first_contact_text: String,
    /// The second layer: the full Art. 13 notice, sent when the customer answers a
    /// privacy keyword (minijinja, also `recipients`); empty: the built-in German text.
    pub privacy_text: String,
    /// A message that is just one of these gets the second layer.
    pub privacy_keywords: Vec<String>,
    /// The first layer's limit in characters (text and consent question).
    pub first_layer_max: usize,
    /// The questions for the other purposes, as staff read them to the customer (or the
    /// form showed them) when recording a consent for that purpose.
    pub reminders_wording: String,
    pub marketing_wording: String,
    pub review_request_wording: String,
}

pub const DEFAULT_WORDING: &str = "Dürfen wir Sie zu Ihrem Anliegen über diesen Messenger kontaktieren? Antworten Sie mit JA. Mit STOP widersprechen bzw. widerrufen Sie jederzeit.";

impl Default for ConsentConfig {
    fn default() -> Self {
        Self {
            require_consent_for_outbound: true,
            grant_keywords: vec!["JA".into()],
            withdraw_keywords: vec!["STOP".into(), "STOPP".into(), "ABMELDEN".into()],
            wording: DEFAULT_WORDING.into(),
            first_contact_message: true,
            first_contact_text: String::new(),
            privacy_text: String::new(),
            privacy_keywords: vec!["DATENSCHUTZ".into()],
            first_layer_max: super::notice::FIRST_LAYER_MAX,
            reminders_wording: REMINDERS_WORDING.into(),
            marketing_wording: MARKETING_WORDING.into(),
            review_request_wording: REVIEW_REQUEST_WORDING.into(),
        }
    }
}

pub const REMINDERS_WORDING: &str = "Dürfen wir Sie über diesen Messenger an fällige Wartungen und Termine erinnern? Antworten Sie mit JA. Mit STOP widersprechen bzw. widerrufen Sie jederzeit.";
pub const MARKETING_WORDING: &str = "Dürfen wir Ihnen über diesen Messenger Angebote und Neuigkeiten unseres Betriebs schicken? Antworten Sie mit JA. Mit STOP widersprechen bzw. widerrufen Sie jederzeit.";
pub const REVIEW_REQUEST_WORDING: &str = "Dürfen wir Sie nach Abschluss des Auftrags über diesen Messenger um eine Bewertung bitten? Antworten Sie mit JA. Mit STOP widersprechen bzw. widerrufen Sie jederzeit.";

/// What a message that is only a keyword means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    Grant,
    Withdraw,
    /// The customer asks for the full privacy notice (R-C8's second layer).
    Privacy,
}

impl ConsentConfig {
    pub fn keyword(&self, body: &str) -> Option<Keyword> {
        let word = body.trim().trim_end_matches(['!', '.', ' ']).trim();
        let is = |list: &[String]| list.iter().any(|k| k.trim().eq_ignore_ascii_case(word));
        if word.is_empty() {
            None
        } else if is(&self.withdraw_keywords) {
            Some(Keyword::Withdraw)
        } else if is(&self.grant_keywords) {
            Some(Keyword::Grant)
        } else if is(&self.privacy_keywords) {
            Some(Keyword::Privacy)
        } else {
            None
        }
    }

    /// `w-` and 12 hex digits of the wording's SHA-256.
    /// The question a consent for `purposes` answers: each purpose's own, in order
    /// (the service question when none is named).
    pub fn wording_for(&self, purposes: &[Purpose]) -> String {
        let mut out: Vec<&str> = Vec::new();
        for p in purposes {
            let w = match p {
                Purpose::ServiceMessaging => &self.wording,
                Purpose::Reminders => &self.reminders_wording,
                Purpose::Marketing => &self.marketing_wording,
                Purpose::ReviewRequest => &self.review_request_wording,
            };
            if !out.contains(&w.as_str()) {
                out.push(w);
            }
        }
        if out.is_empty() {
            return self.wording.clone();
        }
        out.join("\n")
    }

    /// The question for `purposes` with its version and SHA-256, as a consent record
    /// keeps them: (wording, version, sha256).
    pub fn question(&self, purposes: &[Purpose]) -> (String, String, String) {
        let wording = self.wording_for(purposes);
        let sha = super::sha256_hex(wording.as_bytes());
        (wording, format!("w-{}", &sha[..12]), sha)
    }

    pub fn wording_version(&self) -> (String, String) {
        let sha = super::sha256_hex(self.wording.as_bytes());
        (format!("w-{}", &sha[..12]), sha)
    }
}

/// Why a message may not go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    /// Nobody consented, and the customer did not write first.
    NoConsent(Purpose),
    /// The customer withdrew (and has not written since).
    Withdrawn { purpose: Purpose, at: Timestamp },
}

impl Blocked {
    /// The explanation staff see, with what they can do instead.
    pub fn explain(&self) -> String {
        match self {
            Blocked::NoConsent(p) if p.is_advertising() => format!(
                "no consent for `{}` from this contact: reminders, offers and review requests need their own consent (§ 7 UWG). Record it with `tresen consent grant` once the customer agreed, or call or write by post.",
                p.as_str()
            ),
            Blocked::NoConsent(_) => "this contact has not consented to messenger contact and has not written to us: starting the conversation is blocked (Art. 6 GDPR). Ask by phone, by post or by e-mail, then record it with `tresen consent grant`.".into(),
            Blocked::Withdrawn { purpose, at } => format!(
                "the contact withdrew consent for `{}` on {}: no more messages of this kind on this channel. Use the phone or e-mail instead.",
                purpose.as_str(),
                at.to_local().format("%d.%m.%Y %H:%M")
            ),
        }
    }
}

/// The gate's answer (R-C3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    Allowed,
    /// A reply to a customer who wrote first, without consent yet (Art. 6(1)(b)).
    ConsentPending,
    Blocked(Blocked),
}

/// Whether a message for `purpose` may go to a contact. `last_inbound` is the contact's
/// latest message in this conversation.
pub fn gate(
    require_consent: bool,
    purpose: Purpose,
    records: &[ConsentRecord],
    last_inbound: Option<Timestamp>,
) -> Gate {
    match state(records, purpose) {
        ConsentState::Granted { .. } => Gate::Allowed,
        ConsentState::Withdrawn { at } => {
            // Writing to us again after STOP asks for an answer; anything else stays blocked.
            if !purpose.is_advertising() && last_inbound.is_some_and(|t| t > at) {
                Gate::ConsentPending
            } else {
                Gate::Blocked(Blocked::Withdrawn { purpose, at })
            }
        }
        ConsentState::None if purpose.is_advertising() => {
            Gate::Blocked(Blocked::NoConsent(purpose))
        }
        ConsentState::None if !require_consent => Gate::Allowed,
        ConsentState::None if last_inbound.is_some() => Gate::ConsentPending,
        ConsentState::None => Gate::Blocked(Blocked::NoConsent(purpose)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(action: Action, purposes: &[Purpose], at: i64) -> ConsentRecord {
        ConsentRecord {
            account: "sig".into(),
            contact: "Anna".into(),
            channel: Channel::Signal,
            address: "+4917612345".into(),
            purposes: purposes.to_vec(),
            action,
            wording_version: "w-1".into(),
            wording_sha256: "00".into(),
            wording: DEFAULT_WORDING.into(),
            method: Method::InboundKeyword,
            evidence: None,
            staff: String::new(),
            at: Timestamp(at),
        }
    }

    #[test]
    fn keywords_are_whole_messages() {
        let c = ConsentConfig::default();
        assert_eq!(c.keyword("ja"), Some(Keyword::Grant));
        assert_eq!(c.keyword(" JA! "), Some(Keyword::Grant));
        assert_eq!(c.keyword("Stopp."), Some(Keyword::Withdraw));
        assert_eq!(c.keyword("abmelden"), Some(Keyword::Withdraw));
        assert_eq!(c.keyword("Datenschutz?"), None);
        assert_eq!(c.keyword("datenschutz"), Some(Keyword::Privacy));
        assert_eq!(c.keyword("ja, morgen passt"), None);
        assert_eq!(c.keyword("Bitte nicht stoppen"), None);
    }

    #[test]
    fn r_c3_gate_blocks_initiating_allows_replies_as_pending() {
        let svc = Purpose::ServiceMessaging;
        assert_eq!(
            gate(true, svc, &[], None),
            Gate::Blocked(Blocked::NoConsent(svc))
        );
        assert_eq!(
            gate(true, svc, &[], Some(Timestamp(5))),
            Gate::ConsentPending
        );
        assert_eq!(gate(false, svc, &[], None), Gate::Allowed);
        let granted = [record(Action::Grant, &[svc], 10)];
        assert_eq!(gate(true, svc, &granted, None), Gate::Allowed);
    }

    #[test]
    fn r_c2_stop_blocks_the_next_reminder_and_r_c4_purposes_are_separate() {
        let svc = Purpose::ServiceMessaging;
        let rem = Purpose::Reminders;
        let only_service = [record(Action::Grant, &[svc], 10)];
        assert!(matches!(
            gate(true, rem, &only_service, Some(Timestamp(20))),
            Gate::Blocked(Blocked::NoConsent(Purpose::Reminders))
        ));
        let both = [record(Action::Grant, &[svc, rem], 10)];
        assert_eq!(gate(true, rem, &both, None), Gate::Allowed);
        let stopped = [
            record(Action::Grant, &[svc, rem], 10),
            record(Action::Withdraw, &Purpose::ALL, 20),
        ];
        assert!(matches!(
            gate(true, rem, &stopped, Some(Timestamp(30))),
            Gate::Blocked(Blocked::Withdrawn { .. })
        ));
        assert!(matches!(
            gate(true, svc, &stopped, Some(Timestamp(15))),
            Gate::Blocked(Blocked::Withdrawn { .. })
        ));
        // The customer writes again after STOP: a service answer is possible, pending.
        assert_eq!(
            gate(true, svc, &stopped, Some(Timestamp(30))),
            Gate::ConsentPending
        );
        assert!(state(&stopped, svc) == ConsentState::Withdrawn { at: Timestamp(20) });
    }
}
