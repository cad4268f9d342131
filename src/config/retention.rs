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
    /// Conversation label → the class it selects (the strictest label wins).
    pub tags: BTreeMap<String, String>,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            default_class: "handelsbrief".into(),
            no_statutory_years: 2,
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
    /// The label → class pairs.
    pub fn tag_pairs(&self) -> Vec<(String, String)> {
        self.tags
            .iter()
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect()
    }
}
