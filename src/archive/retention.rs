//! Retention classes as data, holds, and the expiry plan (R-B5…R-B7). Pure: the plan is
//! computed from the bucket table, the archived classification and hold records, and a
//! date; `cli::archive` carries it out.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;

/// One rule: records of `class` are kept `years` full calendar years after the year
/// they were made in, for rules in force from `valid_from` (R-B5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub class: &'static str,
    pub years: i32,
    pub legal_basis: &'static str,
    pub valid_from: &'static str,
    pub title_de: &'static str,
}

/// The statutory table. Periods are those in force on the day they are evaluated: the
/// 8 years for Buchungsbelege (BEG IV) apply to every voucher whose 10 years had not
/// run out on 1 January 2025.
pub const RULES: &[Rule] = &[
    Rule {
        class: "handelsbrief",
        years: 6,
        legal_basis: "§ 257 Abs. 1 Nr. 2, 3, Abs. 4, 5 HGB; § 147 Abs. 1 Nr. 2, 3, Abs. 3 AO",
        valid_from: "1977-01-01",
        title_de: "Handels- und Geschäftsbriefe",
    },
    Rule {
        class: "buchungsbeleg",
        years: 10,
        legal_basis: "§ 257 Abs. 1 Nr. 4, Abs. 4 HGB; § 147 Abs. 1 Nr. 4, Abs. 3 AO (bis 2024)",
        valid_from: "1977-01-01",
        title_de: "Buchungsbelege",
    },
    Rule {
        class: "buchungsbeleg",
        years: 8,
        legal_basis: "§ 257 Abs. 1 Nr. 4, Abs. 4 HGB; § 147 Abs. 1 Nr. 4, Abs. 3 AO i. d. F. des BEG IV",
        valid_from: "2025-01-01",
        title_de: "Buchungsbelege",
    },
    Rule {
        class: "buch",
        years: 10,
        legal_basis: "§ 257 Abs. 1 Nr. 1, Abs. 4 HGB; § 147 Abs. 1 Nr. 1, Abs. 3 AO",
        valid_from: "1977-01-01",
        title_de: "Bücher, Jahresabschlüsse, Organisationsunterlagen",
    },
];

/// Classes that are not statutory: kept only as long as the firm configures.
pub const NO_STATUTORY: &str = "keine_pflicht";

/// Every class name `[retention]` may use, strictest last.
pub const CLASSES: &[&str] = &[NO_STATUTORY, "handelsbrief", "buchungsbeleg", "buch"];

/// The rule for `class` in force on `on`.
pub fn rule_for(class: &str, on: NaiveDate) -> Option<&'static Rule> {
    RULES
        .iter()
        .filter(|r| r.class == class)
        .filter(|r| NaiveDate::parse_from_str(r.valid_from, "%Y-%m-%d").is_ok_and(|d| d <= on))
        .max_by_key(|r| r.valid_from)
}

/// Last day a record made in `year` must be kept: 31 December of `year + years`.
pub fn retain_until(year: i32, years: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year + years, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// The class a conversation's labels select (the strictest of them wins), or `default`
/// when no label selects one. A label may select a milder class than the default: the
/// office marking a chat as not business (`privat = "keine_pflicht"`) is archived with
/// who did it.
pub fn class_for<'a>(labels: &[String], tags: &'a [(String, String)], default: &'a str) -> &'a str {
    tagged_class(labels, tags).unwrap_or(default)
}

/// The strictest class that one of `labels` selects through `tags`, if any does.
pub fn tagged_class<'a>(labels: &[String], tags: &'a [(String, String)]) -> Option<&'a str> {
    let mut best: Option<&'a str> = None;
    for l in labels {
        if let Some((_, class)) = tags.iter().find(|(tag, _)| tag.eq_ignore_ascii_case(l))
            && best.is_none_or(|b| rank(class) > rank(b))
        {
            best = Some(class);
        }
    }
    best
}

/// How strict a class is: its place in [`CLASSES`] (an unknown one counts as a
/// Handelsbrief, the default).
fn rank(class: &str) -> usize {
    CLASSES.iter().position(|x| *x == class).unwrap_or(1)
}

/// Staff decided the class of one message, or of one of its files (R-B5, R-E3): it
/// replaces what the message's tags or the invoice recognition chose for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemClass {
    pub account: String,
    pub conversation: String,
    /// The archive's key of the message: the network's id, or `local:<id>` for one sent
    /// here.
    pub message: String,
    /// Which of its files (from 0); `None`: the message with all its files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    pub class: String,
    pub reason: String,
    pub by: String,
    pub at: Timestamp,
}

/// One message or file in a bucket with a class of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFact {
    /// What it is, for a listing: a file's name and why it looks like an invoice.
    pub what: String,
    /// The document tags it was sent with (they select a class through `[retention]
    /// tags`).
    pub tags: Vec<String>,
    /// The class it has of its own: recognised as an invoice, or decided by staff.
    pub class: Option<String>,
}

impl ItemFact {
    /// Its class, if it has one.
    fn class<'a>(&'a self, tags: &'a [(String, String)]) -> Option<&'a str> {
        self.class
            .as_deref()
            .or_else(|| tagged_class(&self.tags, tags))
    }
}

/// Year 0 marks a conversation's metadata bucket (its name and number): it lives as
/// long as any of the conversation's message buckets does.
pub const META_YEAR: i32 = 0;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "scope")]
pub enum HoldScope {
    Global,
    Contact {
        address: String,
    },
    Conversation {
        account: String,
        conversation: String,
    },
    Range {
        from: NaiveDate,
        to: NaiveDate,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldKind {
    /// Litigation or an authority's request (Art. 17(3)(e) GDPR).
    Legal,
    /// A tax audit announced (Ablaufhemmung, § 147 Abs. 3 S. 5 AO).
    Tax,
    /// A warranty claim is open.
    Warranty,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub id: String,
    pub kind: HoldKind,
    #[serde(flatten)]
    pub scope: HoldScope,
    pub reason: String,
    pub by: String,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
}

impl Hold {
    /// Whether this hold keeps the bucket of `conversation`'s `year`, whose
    /// participants are `contacts`.
    pub fn covers(
        &self,
        account: &str,
        conversation: &str,
        year: i32,
        contacts: &[String],
        today: NaiveDate,
    ) -> bool {
        if self.until.is_some_and(|u| u < today) {
            return false;
        }
        match &self.scope {
            HoldScope::Global => true,
            HoldScope::Contact { address } => {
                conversation == address || contacts.iter().any(|c| c == address)
            }
            HoldScope::Conversation {
                account: a,
                conversation: c,
            } => a == account && c == conversation,
            HoldScope::Range { from, to } => from.year() <= year && year <= to.year(),
        }
    }

    pub fn describe(&self) -> String {
        self.describe_in(false)
    }

    /// The same, in German with `de` (the command line).
    pub fn describe_in(&self, de: bool) -> String {
        let scope = match (&self.scope, de) {
            (HoldScope::Global, false) => "everything".to_string(),
            (HoldScope::Global, true) => "alles".to_string(),
            (HoldScope::Contact { address }, false) => format!("contact {address}"),
            (HoldScope::Contact { address }, true) => format!("Kontakt {address}"),
            (
                HoldScope::Conversation {
                    account,
                    conversation,
                },
                false,
            ) => format!("conversation {conversation} ({account})"),
            (
                HoldScope::Conversation {
                    account,
                    conversation,
                },
                true,
            ) => format!("Unterhaltung {conversation} ({account})"),
            (HoldScope::Range { from, to }, false) => format!("{from} to {to}"),
            (HoldScope::Range { from, to }, true) => format!("{from} bis {to}"),
        };
        if !de {
            return format!(
                "{} hold {} on {scope}: {}",
                kind_name(&self.kind),
                self.id,
                self.reason
            );
        }
        let kind = match self.kind {
            HoldKind::Legal => "Rechtliche Löschsperre",
            HoldKind::Tax => "Steuerliche Löschsperre",
            HoldKind::Warranty => "Gewährleistungs-Löschsperre",
        };
        format!("{kind} {} für {scope}: {}", self.id, self.reason)
    }
}

pub fn kind_name(k: &HoldKind) -> &'static str {
    match k {
        HoldKind::Legal => "legal",
        HoldKind::Tax => "tax",
        HoldKind::Warranty => "warranty",
    }
}

/// What was destroyed, under which rule; stays readable in the `sys` bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    pub bucket: String,
    pub account: String,
    pub conversation: String,
    pub year: i32,
    pub class: String,
    pub rule: String,
    pub retain_until: NaiveDate,
    pub records: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    /// "retention_expired" or "erasure_request".
    pub reason: String,
    pub by: String,
    pub at: Timestamp,
}

/// One bucket's fate in a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub bucket: String,
    pub account: String,
    pub conversation: String,
    pub year: i32,
    pub class: String,
    pub rule: String,
    pub retain_until: NaiveDate,
    pub records: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    /// expire | keep | held
    pub decision: std::borrow::Cow<'static, str>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holds: Vec<String>,
    /// The same holds described in German (the command line, the letter to a customer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holds_de: Vec<String>,
    /// The messages and files that made its class stricter than the conversation's
    /// (`what → class`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub because: Vec<String>,
}

impl Item {
    /// Which part of the conversation it is, for a listing: its year, or `name` for the
    /// conversation's own record (name and number), which holds no messages.
    pub fn part(&self) -> String {
        if self.year == META_YEAR {
            "name".to_string()
        } else {
            self.year.to_string()
        }
    }

    /// The same for the customer's answer, in German.
    pub fn part_de(&self) -> String {
        if self.year == META_YEAR {
            "Ihr Name und Ihre Nummer".to_string()
        } else {
            format!("Nachrichten aus {}", self.year)
        }
    }

    /// The record its destruction leaves: what was destroyed, under which `rule`, why
    /// (`reason`: "retention_expired" or "erasure_request") and by whom.
    pub fn tombstone(&self, rule: String, reason: &str, by: &str) -> Tombstone {
        Tombstone {
            bucket: self.bucket.clone(),
            account: self.account.clone(),
            conversation: self.conversation.clone(),
            year: self.year,
            class: self.class.clone(),
            rule,
            retain_until: self.retain_until,
            records: self.records,
            first_seq: self.first_seq,
            last_seq: self.last_seq,
            reason: reason.to_string(),
            by: by.to_string(),
            at: crate::domain::Timestamp::now(),
        }
    }
}

/// Input per bucket for the plan.
pub struct BucketFacts {
    pub bucket: String,
    pub account: String,
    pub conversation: String,
    pub year: i32,
    pub labels: Vec<String>,
    /// Its messages and files with a class of their own (R-B5, R-E3): the bucket is
    /// kept as long as the strictest of them needs — it is destroyed as one.
    pub items: Vec<ItemFact>,
    /// The conversation's offer and order as its records tell it (R-E5: an offer that
    /// came to nothing).
    pub order: Option<crate::compliance::orders::OrderState>,
    pub contacts: Vec<String>,
    pub records: u64,
    pub first_seq: u64,
    pub last_seq: u64,
}

pub struct Policy<'a> {
    pub default_class: &'a str,
    pub tags: &'a [(String, String)],
    /// Years for conversations of no statutory class.
    pub no_statutory_years: i32,
    /// Months after an offer that came to nothing (R-E5).
    pub failed_offer_months: u32,
    /// Days after which an offer nobody accepted lapsed (`None`: never).
    pub offer_lapse_days: Option<u32>,
}

/// A bucket's class, its rule, the day it is kept until, and the messages and files that
/// made its class stricter than its conversation's labels.
fn decide(
    b: &BucketFacts,
    policy: &Policy<'_>,
    today: NaiveDate,
) -> (String, String, NaiveDate, Vec<String>) {
    use crate::compliance::orders::OFFER_TAG;
    // An offer that came to nothing (R-E5) is treated as no Handelsbrief: the parts up to the year
    // it failed are kept the firm's months after the offer — unless a label other than
    // the offer's, a tagged message or a file in them needs a class of its own.
    let failed = b
        .order
        .as_ref()
        .and_then(|o| o.offer_failed(policy.offer_lapse_days, today));
    if let Some((offered, failed)) = failed
        && b.year <= failed.year()
    {
        let not_offer = |tags: &[String]| -> Vec<String> {
            tags.iter()
                .filter(|t| !t.eq_ignore_ascii_case(OFFER_TAG))
                .cloned()
                .collect()
        };
        let mut own = tagged_class(&not_offer(&b.labels), policy.tags);
        for item in &b.items {
            let c = item
                .class
                .as_deref()
                .or_else(|| tagged_class(&not_offer(&item.tags), policy.tags));
            if let Some(c) = c
                && own.is_none_or(|o| rank(c) > rank(o))
            {
                own = Some(c);
            }
        }
        if own.is_none() {
            let months = policy.failed_offer_months;
            let until = offered
                .checked_add_months(chrono::Months::new(months))
                .unwrap_or(NaiveDate::MAX);
            return (
                NO_STATUTORY.to_string(),
                format!(
                    "Angebot vom {} ohne Auftrag: {months} Monate nach dem Angebot (Löschkonzept)",
                    offered.format("%d.%m.%Y")
                ),
                until,
                Vec::new(),
            );
        }
    }
    let labelled = class_for(&b.labels, policy.tags, policy.default_class);
    let mut class = labelled;
    for item in &b.items {
        if let Some(own) = item.class(policy.tags)
            && rank(own) > rank(class)
        {
            class = own;
        }
    }
    let because = b
        .items
        .iter()
        .filter(|item| class != labelled && item.class(policy.tags) == Some(class))
        .map(|item| format!("{} → {class}", item.what))
        .collect();
    let (years, rule) = match rule_for(class, today) {
        Some(r) => (
            r.years,
            format!("{} {} J. ({})", r.title_de, r.years, r.legal_basis),
        ),
        None => (
            policy.no_statutory_years,
            format!(
                "keine gesetzliche Aufbewahrungspflicht: {} J. nach Löschkonzept (Art. 5 Abs. 1 lit. e DSGVO)",
                policy.no_statutory_years
            ),
        ),
    };
    (
        class.to_string(),
        rule,
        retain_until(b.year, years),
        because,
    )
}

/// Decides every bucket. Nothing expires while a hold covers it; a conversation's
/// metadata bucket expires with the last of its message buckets.
pub fn plan(
    buckets: &[BucketFacts],
    holds: &[Hold],
    policy: &Policy<'_>,
    today: NaiveDate,
) -> Vec<Item> {
    let mut items: Vec<Item> = buckets
        .iter()
        .filter(|b| b.year != META_YEAR)
        .map(|b| {
            let (class, rule, until, because) = decide(b, policy, today);
            let covering: Vec<&Hold> = holds
                .iter()
                .filter(|h| h.covers(&b.account, &b.conversation, b.year, &b.contacts, today))
                .collect();
            let held: Vec<String> = covering.iter().map(|h| h.describe()).collect();
            let held_de: Vec<String> = covering.iter().map(|h| h.describe_in(true)).collect();
            let decision = if today <= until {
                "keep"
            } else if held.is_empty() {
                "expire"
            } else {
                "held"
            };
            Item {
                bucket: b.bucket.clone(),
                account: b.account.clone(),
                conversation: b.conversation.clone(),
                year: b.year,
                class,
                rule,
                retain_until: until,
                records: b.records,
                first_seq: b.first_seq,
                last_seq: b.last_seq,
                decision: decision.into(),
                holds: held,
                holds_de: held_de,
                because,
            }
        })
        .collect();
    for b in buckets.iter().filter(|b| b.year == META_YEAR) {
        let mine: Vec<&Item> = items
            .iter()
            .filter(|i| i.account == b.account && i.conversation == b.conversation)
            .collect();
        let all_go = mine.iter().all(|i| i.decision == "expire");
        let class = mine
            .first()
            .map_or(policy.default_class.to_string(), |i| i.class.clone());
        let until = mine.iter().map(|i| i.retain_until).max().unwrap_or(today);
        let holds: Vec<String> = mine.iter().flat_map(|i| i.holds.clone()).collect();
        let holds_de: Vec<String> = mine.iter().flat_map(|i| i.holds_de.clone()).collect();
        items.push(Item {
            bucket: b.bucket.clone(),
            account: b.account.clone(),
            conversation: b.conversation.clone(),
            year: META_YEAR,
            class,
            rule: "Gesprächsdaten (Name, Nummer): so lange wie die Nachrichten des Gesprächs"
                .into(),
            retain_until: until,
            records: b.records,
            first_seq: b.first_seq,
            last_seq: b.last_seq,
            decision: if all_go {
                "expire"
            } else if holds.is_empty() {
                "keep"
            } else {
                "held"
            }
            .into(),
            holds,
            holds_de,
            because: Vec::new(),
        });
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    // R-B5: the three examples of the requirement.
    #[test]
    fn periods_run_to_the_end_of_the_calendar_year() {
        let hb = rule_for("handelsbrief", d("2025-03-10")).unwrap();
        assert_eq!(retain_until(2025, hb.years), d("2031-12-31"));
        let bb = rule_for("buchungsbeleg", d("2025-06-01")).unwrap();
        assert_eq!(retain_until(2025, bb.years), d("2033-12-31"));
        // A 2016 voucher: 10 years before BEG IV, 8 once it is in force → expired.
        assert_eq!(
            rule_for("buchungsbeleg", d("2024-12-31")).unwrap().years,
            10
        );
        let on = d("2025-01-01");
        let r = rule_for("buchungsbeleg", on).unwrap();
        assert!(retain_until(2016, r.years) < on);
    }

    #[test]
    fn the_strictest_tagged_class_wins() {
        let tags = vec![
            ("angebot".to_string(), "handelsbrief".to_string()),
            ("rechnung".to_string(), "buchungsbeleg".to_string()),
        ];
        assert_eq!(
            class_for(
                &["Rechnung".into(), "angebot".into()],
                &tags,
                "handelsbrief"
            ),
            "buchungsbeleg"
        );
        assert_eq!(class_for(&[], &tags, "handelsbrief"), "handelsbrief");
    }

    #[test]
    fn a_hold_keeps_what_would_expire() {
        let facts = vec![BucketFacts {
            bucket: "b1".into(),
            account: "sig".into(),
            conversation: "+4930".into(),
            year: 2016,
            labels: vec![],
            items: vec![],
            order: None,
            contacts: vec!["+4930".into()],
            records: 3,
            first_seq: 1,
            last_seq: 3,
        }];
        let policy = Policy {
            default_class: "handelsbrief",
            tags: &[],
            no_statutory_years: 2,
            failed_offer_months: 24,
            offer_lapse_days: None,
        };
        let today = d("2026-11-27");
        assert_eq!(plan(&facts, &[], &policy, today)[0].decision, "expire");
        let hold = Hold {
            id: "h1".into(),
            kind: HoldKind::Legal,
            scope: HoldScope::Contact {
                address: "+4930".into(),
            },
            reason: "Rechtsstreit".into(),
            by: "anna".into(),
            at: Timestamp(0),
            until: None,
        };
        assert_eq!(plan(&facts, &[hold], &policy, today)[0].decision, "held");
    }
}
