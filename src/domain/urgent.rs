//! Urgent messages (`[[urgent]]`): words and patterns that mark a customer's message as
//! an emergency ("Notfall", "Wasser läuft", "Gasgeruch"). The conversation is pinned at
//! the top of the inbox until the office replies or sets it to done
//! (`domain::triage`). Matching is pure and compiled once: one automaton for all words,
//! one for all patterns.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UrgentRule {
    /// Words or phrases, matched without regard to case as whole words ("Wasser läuft"
    /// also matches "wasser  LÄUFT", not "Wasserläufer").
    pub words: Vec<String>,
    /// Regular expressions (Rust's `regex` syntax), matched without regard to case.
    pub patterns: Vec<String>,
}

/// What is wrong with a rule: the config key (`urgent[1].patterns`) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct BadRule {
    pub key: String,
    pub message: String,
}

/// All rules as one matcher: the words in one Aho-Corasick automaton over the message
/// lowercased, the patterns in one regular expression.
#[derive(Debug, Clone, Default)]
pub struct UrgentRules {
    words: Option<aho_corasick::AhoCorasick>,
    patterns: Option<regex::Regex>,
}

/// The compiled automaton may not grow past this (a pattern such as `\w{1000}` would
/// otherwise cost megabytes and time at every start).
const SIZE_LIMIT: usize = 4 << 20;

/// Lowercase, every run of whitespace one space: what words are matched against.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

impl UrgentRules {
    pub fn new(rules: &[UrgentRule]) -> Result<Self, BadRule> {
        let mut words = Vec::new();
        let mut patterns = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            for w in &rule.words {
                let w = fold(w);
                if w.is_empty() {
                    return Err(BadRule {
                        key: format!("urgent[{i}].words"),
                        message: "an empty word matches every message".into(),
                    });
                }
                words.push(w);
            }
            for p in &rule.patterns {
                // Each on its own first, so the message names the one that is wrong.
                let built = regex::RegexBuilder::new(p)
                    .case_insensitive(true)
                    .size_limit(SIZE_LIMIT)
                    .build();
                match built {
                    Err(e) => {
                        return Err(BadRule {
                            key: format!("urgent[{i}].patterns"),
                            message: format!("`{p}` is not a valid pattern: {e}"),
                        });
                    }
                    Ok(r) if r.is_match("") => {
                        return Err(BadRule {
                            key: format!("urgent[{i}].patterns"),
                            message: format!("`{p}` matches every message"),
                        });
                    }
                    Ok(_) => patterns.push(format!("(?:{p})")),
                }
            }
        }
        let words = if words.is_empty() {
            None
        } else {
            Some(aho_corasick::AhoCorasick::new(&words).map_err(|e| BadRule {
                key: "urgent".into(),
                message: format!("the words together are too many: {e}"),
            })?)
        };
        let patterns = if patterns.is_empty() {
            None
        } else {
            Some(
                regex::RegexBuilder::new(&patterns.join("|"))
                    .case_insensitive(true)
                    .size_limit(SIZE_LIMIT * 4)
                    .build()
                    .map_err(|e| BadRule {
                        key: "urgent".into(),
                        message: format!("the patterns together are too large: {e}"),
                    })?,
            )
        };
        Ok(Self { words, patterns })
    }

    /// Whether a customer's message is urgent.
    pub fn matches(&self, body: &str) -> bool {
        if let Some(words) = &self.words {
            let text = fold(body);
            // A whole word: no letter or digit right before or after the match ("Notfall"
            // is not in "Notfallnummer"). Overlapping, so a part of a longer word does
            // not hide the same word standing alone later.
            let alone = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
            let whole = words.find_overlapping_iter(&text).any(|m| {
                alone(text[..m.start()].chars().next_back())
                    && alone(text[m.end()..].chars().next())
            });
            if whole {
                return true;
            }
        }
        self.patterns.as_ref().is_some_and(|r| r.is_match(body))
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_none() && self.patterns.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(words: &[&str], patterns: &[&str]) -> UrgentRules {
        UrgentRules::new(&[UrgentRule {
            words: words.iter().map(|s| s.to_string()).collect(),
            patterns: patterns.iter().map(|s| s.to_string()).collect(),
        }])
        .unwrap()
    }

    #[test]
    fn words_match_whole_words_in_any_case_and_spacing() {
        let r = rules(&["Notfall", "Wasser läuft"], &[]);
        assert!(r.matches("NOTFALL! Bitte kommen"));
        assert!(r.matches("bei uns wasser\n  LÄUFT aus dem Kessel"));
        assert!(!r.matches("Der Wasserläufer im Teich"));
        assert!(!r.matches("Notfallnummer bitte?"));
        assert!(!r.matches("Guten Tag, wann kommen Sie?"));
    }

    #[test]
    fn patterns_match_without_regard_to_case() {
        let r = rules(&[], &[r"kein(e)?\s+(heizung|warmwasser)"]);
        assert!(r.matches("Seit heute KEINE Heizung mehr"));
        assert!(!r.matches("Heizung läuft wieder"));
    }

    #[test]
    fn no_rules_mark_nothing() {
        let r = UrgentRules::new(&[]).unwrap();
        assert!(r.is_empty());
        assert!(!r.matches("Notfall"));
    }

    #[test]
    fn a_bad_or_empty_rule_names_its_key() {
        let bad = UrgentRules::new(&[
            UrgentRule::default(),
            UrgentRule {
                words: vec![],
                patterns: vec!["(unclosed".into()],
            },
        ])
        .unwrap_err();
        assert_eq!(bad.key, "urgent[1].patterns");
        assert!(bad.message.contains("(unclosed"), "{}", bad.message);
        let all = UrgentRules::new(&[UrgentRule {
            words: vec!["  ".into()],
            patterns: vec![],
        }])
        .unwrap_err();
        assert_eq!(all.key, "urgent[0].words");
        let every = UrgentRules::new(&[UrgentRule {
            words: vec![],
            patterns: vec!["x*".into()],
        }])
        .unwrap_err();
        assert!(every.message.contains("every message"));
    }
}
