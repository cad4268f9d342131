//! Web links in message text, as staff may open them: only `http`, `https` and `www.`
//! addresses (a customer's text must not start other programs through `file:` or a
//! custom scheme), without the punctuation a sentence puts after them.

/// The links in `text`, in order, each once; `www.` ones get `https://`.
pub fn find(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || c.is_control()) {
        // Links in quotes or brackets: «https://…», (https://…), „https://…“.
        let word = word.trim_start_matches(['(', '<', '[', '"', '\'', '„', '“', '«', '‚']);
        let lower = word.to_ascii_lowercase();
        let link = if lower.starts_with("https://") || lower.starts_with("http://") {
            word.to_string()
        } else if lower.starts_with("www.") {
            format!("https://{word}")
        } else {
            continue;
        };
        let link = link
            .trim_end_matches([
                '.', ',', ';', ':', '!', '?', ')', '>', ']', '"', '\'', '“', '»', '‘',
            ])
            .to_string();
        // A scheme alone is no link.
        let host = link.split_once("://").map_or("", |(_, rest)| rest);
        if host.is_empty() || out.contains(&link) {
            continue;
        }
        out.push(link);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_web_links_without_trailing_punctuation() {
        assert_eq!(
            find("Siehe https://example.com/termin?id=4711. Oder (www.heizung.de), danke!"),
            vec![
                "https://example.com/termin?id=4711",
                "https://www.heizung.de"
            ]
        );
        assert_eq!(
            find("„https://a.example/x“ und https://a.example/x nochmal"),
            vec!["https://a.example/x"]
        );
    }

    #[test]
    fn other_schemes_are_not_links() {
        assert!(find("file:///etc/passwd javascript:alert(1) ssh://x tel:+49 https://").is_empty());
    }
}
