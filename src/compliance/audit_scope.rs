//! What a tax auditor's seat may see (R-B8, Z1: "nur lesender Zugriff" on the audit's
//! data): the audit period and the tax-relevant retention classes set in their
//! `[[staff]]` entry — never all chats. Pure: the daemon applies it to every answer.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;

/// The classes an audit may cover (`keine_pflicht` and internal chats never).
pub const TAX_CLASSES: [&str; 3] = ["handelsbrief", "buchungsbeleg", "buch"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditScope {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub classes: Vec<String>,
}

impl AuditScope {
    /// From a `[[staff]]` entry's `audit_from`, `audit_to`, `audit_classes`; `Err` is
    /// (key, what to fix).
    pub fn parse(
        from: &str,
        to: &str,
        classes: &[String],
    ) -> Result<AuditScope, (&'static str, String)> {
        let day = |key: &'static str, s: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
                (
                    key,
                    if s.trim().is_empty() {
                        "an auditor sees only the audit period: set audit_from and audit_to (YYYY-MM-DD)".to_string()
                    } else {
                        format!("`{s}`: expected a day as YYYY-MM-DD")
                    },
                )
            })
        };
        let from = day("audit_from", from)?;
        let to = day("audit_to", to)?;
        if from > to {
            return Err(("audit_to", format!("{to} is before audit_from {from}")));
        }
        let classes: Vec<String> = if classes.is_empty() {
            TAX_CLASSES.iter().map(|c| c.to_string()).collect()
        } else {
            classes.iter().map(|c| c.trim().to_string()).collect()
        };
        if let Some(c) = classes.iter().find(|c| !TAX_CLASSES.contains(&c.as_str())) {
            return Err((
                "audit_classes",
                format!("`{c}` is not tax-relevant: one of handelsbrief, buchungsbeleg, buch"),
            ));
        }
        Ok(AuditScope { from, to, classes })
    }

    /// The first and last millisecond of the period (UTC, as the archive's times).
    pub fn span(&self) -> (Timestamp, Timestamp) {
        let start = self
            .from
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis());
        let end = self
            .to
            .and_hms_milli_opt(23, 59, 59, 999)
            .map(|t| t.and_utc().timestamp_millis());
        (
            Timestamp(start.unwrap_or(i64::MAX)),
            Timestamp(end.unwrap_or(i64::MIN)),
        )
    }

    /// The time lies in the period (whole days, UTC as the archive's times).
    pub fn covers(&self, at: Timestamp) -> bool {
        let day = chrono::DateTime::from_timestamp_millis(at.0).map(|t| t.date_naive());
        day.is_some_and(|d| d >= self.from && d <= self.to)
    }

    /// A conversation of this retention class is part of the audit.
    pub fn covers_class(&self, class: &str) -> bool {
        self.classes.iter().any(|c| c == class)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_b8_an_auditor_sees_a_period_of_tax_relevant_classes_only() {
        let s = AuditScope::parse("2021-01-01", "2021-12-31", &[]).unwrap();
        assert_eq!(s.classes, TAX_CLASSES);
        let ms = |d: &str| {
            Timestamp(
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .unwrap()
                    .and_hms_opt(12, 0, 0)
                    .unwrap()
                    .and_utc()
                    .timestamp_millis(),
            )
        };
        assert!(s.covers(ms("2021-01-01")) && s.covers(ms("2021-12-31")));
        assert!(!s.covers(ms("2020-12-31")) && !s.covers(ms("2022-01-01")));
        assert!(s.covers_class("buchungsbeleg") && !s.covers_class("keine_pflicht"));
        assert_eq!(
            AuditScope::parse("", "2021-12-31", &[]).unwrap_err().0,
            "audit_from"
        );
        assert_eq!(
            AuditScope::parse("2022-01-01", "2021-12-31", &[])
                .unwrap_err()
                .0,
            "audit_to"
        );
        assert_eq!(
            AuditScope::parse("2021-01-01", "2021-12-31", &["keine_pflicht".into()])
                .unwrap_err()
                .0,
            "audit_classes"
        );
    }
}
