//! Data-subject requests as records (R-F2; Art. 12(3) GDPR): what a customer asked for,
//! when it came in, by when the answer is due — one month — and that it was answered.
//! Pure: the archive keeps them, `lifecycle::requests` records and reads them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Art. 15: a copy of their data (`dsar export`).
    Access,
    /// Art. 16: a correction (`contact correct`).
    Rectification,
    /// Art. 17: erasure (`dsar erase`).
    Erasure,
    /// Art. 18: restriction.
    Restriction,
    /// Art. 20: their data in a machine-readable form (`dsar export`).
    Portability,
    /// Art. 21: an objection.
    Objection,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Rectification => "rectification",
            RequestKind::Erasure => "erasure",
            RequestKind::Restriction => "restriction",
            RequestKind::Portability => "portability",
            RequestKind::Objection => "objection",
        }
    }

    /// As office staff read it.
    pub fn german(self) -> &'static str {
        match self {
            RequestKind::Access => "Auskunft",
            RequestKind::Rectification => "Berichtigung",
            RequestKind::Erasure => "Löschung",
            RequestKind::Restriction => "Einschränkung",
            RequestKind::Portability => "Datenübertragung",
            RequestKind::Objection => "Widerspruch",
        }
    }

    pub fn in_lang(self, de: bool) -> &'static str {
        if de { self.german() } else { self.as_str() }
    }
}

/// A request as it came in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: String,
    /// The customer as staff named them (number, handle, conversation).
    pub contact: String,
    pub kind: RequestKind,
    pub received: NaiveDate,
    /// One month after it came in (Art. 12(3)); an extension is a new decision, not a
    /// date tresen moves.
    pub due: NaiveDate,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    pub by: String,
    pub at: Timestamp,
}

/// A request answered (or settled otherwise: `how` says).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closed {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub how: String,
    pub by: String,
    pub at: Timestamp,
}

/// When the answer to a request received on `received` is due.
pub fn due(received: NaiveDate) -> NaiveDate {
    received
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn r_f2_an_answer_is_due_a_month_after_the_request() {
        assert_eq!(due(d("2026-03-15")), d("2026-04-15"));
        // No 31 February: the month's last day.
        assert_eq!(due(d("2026-01-31")), d("2026-02-28"));
        assert_eq!(due(d("2026-12-06")), d("2027-01-06"));
    }
}
