//! `[retention]`: which statutory class applies to what (docs/archive.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How long the archive keeps what (docs/archive.md). The periods themselves are law and
/// live in code (`archive::retention::RULES`); the firm chooses which class applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Class of a business conversation without a more specific label.
    pub default_class: String,
    /// Years kept for conversations of class `keine_pflicht` (the firm's deletion
    /// concept; no statutory period).
    pub no_statutory_years: i32,
    /// Months after the offer that a conversation whose offer came to nothing is kept
    /// (R-E5), unless something in it needs longer.
    pub failed_offer_months: u32,
    /// Days after which an offer nobody accepted counts as lapsed; `None`: only a
    /// decline ends an offer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer_lapse_days: Option<u32>,
    /// Conversation label → the class it selects (the strictest label wins).
    pub tags: BTreeMap<String, String>,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            default_class: "handelsbrief".into(),
            no_statutory_years: 2,
            failed_offer_months: 24,
            offer_lapse_days: None,
            tags: [
                ("angebot", "handelsbrief"),
                ("auftragsbestaetigung", "handelsbrief"),
                ("rechnung", "buchungsbeleg"),
                ("gutschrift", "buchungsbeleg"),
                ("quittung", "buchungsbeleg"),
                ("jahresabschluss", "buch"),
            ]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        }
    }
}

impl RetentionConfig {
    /// The offer settings in range: (key, what is wrong).
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if !(1..=120).contains(&self.failed_offer_months) {
            return Err((
                "retention.failed_offer_months",
                format!(
                    "expected 1..=120 months, found {}",
                    self.failed_offer_months
                ),
            ));
        }
        if let Some(days) = self.offer_lapse_days
            && !(1..=3650).contains(&days)
        {
            return Err((
                "retention.offer_lapse_days",
                format!("expected 1..=3650 days, found {days}"),
            ));
        }
        Ok(())
    }

    /// The label → class pairs.
    pub fn tag_pairs(&self) -> Vec<(String, String)> {
        self.tags
            .iter()
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    // R-E5's settings: a value out of range names file, line and key.
    #[test]
    fn offer_settings_out_of_range_name_line_and_key() {
        let text = "[retention]\nfailed_offer_months = 24\noffer_lapse_days = 0\n";
        let e = super::super::Config::parse(text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("c.toml:3:1: key `retention.offer_lapse_days`"),
            "{e}"
        );
        let e = super::super::Config::parse(
            "[retention]\nfailed_offer_months = 0\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("retention.failed_offer_months"), "{e}");
    }
}
