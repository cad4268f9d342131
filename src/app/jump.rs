//! Fuzzy matching of conversations by customer name, number or handle.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::domain::Conversation;

/// Indices into `conversations` that match `query`, best first; ties keep recency order.
/// An empty query lists everything in the given order.
pub fn fuzzy_matches(
    conversations: &[Conversation],
    query: &str,
    country: &str,
    limit: usize,
) -> Vec<usize> {
    if query.trim().is_empty() {
        return (0..conversations.len().min(limit)).collect();
    }
    // A number as caller ID shows it (0157 …, with spaces) is looked for as the
    // networks store it, digit for digit.
    if let Some(number) = crate::domain::phone::international(query, country) {
        let hits: Vec<usize> = conversations
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                let contact = c.contact.as_ref();
                [
                    Some(c.remote_id.as_str()),
                    contact.map(|ct| ct.identity.as_str()),
                    contact.and_then(|ct| ct.phone.as_deref()),
                ]
                .into_iter()
                .flatten()
                .filter_map(|id| crate::domain::phone::international(id, country))
                .any(|id| id.starts_with(&number))
            })
            .map(|(i, _)| i)
            .take(limit)
            .collect();
        if !hits.is_empty() {
            return hits;
        }
    }
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = conversations
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let hay = match &c.contact {
                Some(ct) => format!(
                    "{} {} {} {}",
                    c.title,
                    ct.display_name,
                    ct.identity,
                    ct.phone.as_deref().unwrap_or_default()
                ),
                None => format!("{} {}", c.title, c.remote_id),
            };
            pattern
                .score(Utf32Str::new(&hay, &mut buf), &mut matcher)
                .map(|s| (s, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(limit).map(|(_, i)| i).collect()
}
