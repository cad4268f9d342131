//! Width-aware text helpers. All untrusted text passes through [`clean`] first.

use std::borrow::Cow;

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

use crate::domain::sanitize_for_terminal;

/// Single-line, terminal-safe version of untrusted text.
pub fn clean(s: &str) -> Cow<'_, str> {
    sanitize_for_terminal(s, false)
}

/// Multi-line, terminal-safe version of untrusted text.
pub fn clean_multiline(s: &str) -> Cow<'_, str> {
    sanitize_for_terminal(s, true)
}

/// Cuts `s` to at most `width` columns, marking a cut with `…`.
pub fn truncate(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    // By grapheme: an emoji family (ZWJ sequence) or a letter with its accents is cut
    // whole or not at all.
    let mut out = String::new();
    let mut w = 0;
    for g in s.graphemes(true) {
        let gw = g.width();
        if w + gw > width - 1 {
            break;
        }
        out.push_str(g);
        w += gw;
    }
    out.push('…');
    out
}

/// `truncate`, then pad with spaces to exactly `width` columns.
pub fn fit(s: &str, width: usize) -> String {
    let mut t = truncate(s, width);
    let w = t.width();
    t.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    t
}

/// Word-wraps to `width` columns; words longer than a line are broken.
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for para in s.split('\n') {
        let mut line = String::new();
        let mut w = 0;
        for word in para.split(' ') {
            let ww = word.width();
            if w > 0 && w + 1 + ww > width {
                lines.push(std::mem::take(&mut line));
                w = 0;
            }
            if w > 0 {
                line.push(' ');
                w += 1;
            }
            if ww > width {
                for g in word.graphemes(true) {
                    let gw = g.width();
                    if w + gw > width {
                        lines.push(std::mem::take(&mut line));
                        w = 0;
                    }
                    line.push_str(g);
                    w += gw;
                }
            } else {
                line.push_str(word);
                w += ww;
            }
        }
        lines.push(line);
    }
    lines
}

/// A file size as people read it: "2,3 MB" in German (decimal comma), "2.3 MB" in
/// English.
pub fn human_size_in(bytes: u64, lang: crate::app::i18n::Lang) -> String {
    let s = human_size(bytes);
    match lang {
        crate::app::i18n::Lang::De => s.replace('.', ","),
        crate::app::i18n::Lang::En => s,
    }
}

pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A line of a message with its web links underlined (what `b` offers to open); the
/// rest in `style`.
pub fn with_links(line: String, style: ratatui::style::Style) -> Vec<ratatui::text::Span<'static>> {
    use ratatui::text::Span;
    if crate::domain::links::find(&line).is_empty() {
        return vec![Span::styled(line, style)];
    }
    let mut spans = Vec::new();
    let mut plain = String::new();
    for (i, word) in line.split(' ').enumerate() {
        if i > 0 {
            plain.push(' ');
        }
        if crate::domain::links::find(word).is_empty() {
            plain.push_str(word);
            continue;
        }
        spans.push(Span::styled(std::mem::take(&mut plain), style));
        spans.push(Span::styled(
            word.to_string(),
            style.add_modifier(ratatui::style::Modifier::UNDERLINED),
        ));
    }
    spans.push(Span::styled(plain, style));
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_and_wraps_whole_graphemes() {
        // A family (ZWJ sequence) and an e with a combining accent are never split.
        let family = "👨\u{200d}👩\u{200d}👧";
        assert_eq!(family.width(), 2, "one emoji on screen");
        assert_eq!(
            truncate(&format!("ab{family}cd"), 5),
            format!("ab{family}…")
        );
        assert_eq!(truncate("e\u{301}e\u{301}e\u{301}", 2), "e\u{301}…");
        let lines = wrap(&format!("{family}{family}{family}"), 4);
        assert_eq!(lines, vec![format!("{family}{family}"), family.to_string()]);
    }

    #[test]
    fn sizes_in_the_reader_s_language() {
        use crate::app::i18n::Lang;
        assert_eq!(human_size_in(2_300_000, Lang::De), "2,3 MB");
        assert_eq!(human_size_in(2_300_000, Lang::En), "2.3 MB");
        assert_eq!(human_size_in(999, Lang::De), "999 B");
    }

    #[test]
    fn wraps_and_truncates_by_columns() {
        assert_eq!(wrap("aaa bbb ccc", 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        assert_eq!(truncate("Müller-Lüdenscheidt", 8), "Müller-…");
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(truncate("日本語", 4), "日…");
    }
}
