/// Turns what a user typed into a safe FTS5 query.
///
/// Every word is quoted so FTS5 operators and punctuation in user input (`-`, `:`, `*`,
/// `"`) can never produce a syntax error; words are ANDed; the last word matches as a
/// prefix so results appear while typing. Returns `None` for input without words.
pub fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    let (last, rest) = words.split_last()?;
    let mut q = rest.join(" ");
    if !q.is_empty() {
        q.push(' ');
    }
    q.push_str(last);
    q.push('*');
    Some(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_prefixes() {
        assert_eq!(fts_query("heizung"), Some("\"heizung\"*".into()));
        assert_eq!(
            fts_query("  Rohr-bruch  keller "),
            Some("\"Rohr\" \"bruch\" \"keller\"*".into())
        );
        // Operators are words like any other, never syntax.
        assert_eq!(fts_query("a OR b"), Some("\"a\" \"OR\" \"b\"*".into()));
        assert_eq!(fts_query("\" * :"), None);
    }
}
