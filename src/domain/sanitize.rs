use std::borrow::Cow;

/// Makes text from a customer safe to put on a terminal.
///
/// Message bodies come from strangers. A raw ESC in a cell would let them move the
/// cursor, rewrite the screen, set the window title or (on some terminals) inject input
/// through OSC sequences; bidi overrides can make a text read differently from what is
/// stored. Control characters become visible stand-ins (ESC → `␛`), so the content stays
/// recognisable instead of silently disappearing, and bidi controls are dropped.
/// Newlines survive when `keep_newlines` is set; tabs become a space.
pub fn sanitize_for_terminal(input: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !input.chars().any(|c| needs_work(c, keep_newlines)) {
        return Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '\n' if keep_newlines => out.push('\n'),
            '\n' | '\r' => out.push(' '),
            '\t' => out.push(' '),
            // C0 controls and DEL map onto the Unicode "control pictures" block.
            '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('�')),
            '\u{7f}' => out.push('␡'),
            // C1 controls: 8-bit CSI (U+009B) and friends are interpreted by some terminals.
            '\u{80}'..='\u{9f}' => out.push('�'),
            c if is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Line breaks as LF, whatever wrote them (a terminal's paste sends CR, Windows text
/// CRLF): what is sent is what the composer shows.
pub fn unix_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// A file name from the network made safe to create in a directory the user chose: no
/// path separators (a name like `../../.bashrc` stays one file in that directory), no
/// control or bidi characters (`rechnung\u{202e}fdp.exe`), no leading dot (hidden
/// files), at most 200 bytes, never empty.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | '\0' => '_',
            c if c.is_control() || is_bidi_control(c) => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let mut out = String::new();
    for c in trimmed.chars() {
        if out.len() + c.len_utf8() > 200 {
            break;
        }
        out.push(c);
    }
    if out.is_empty() { "anhang".into() } else { out }
}

fn needs_work(c: char, keep_newlines: bool) -> bool {
    match c {
        '\n' => !keep_newlines,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        c => is_bidi_control(c),
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(
            sanitize_for_terminal("Hallo, Heizung läuft wieder 👍", false),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn escape_sequences_are_neutralised() {
        let evil = "a\x1b[2J\x1b]0;pwned\x07b\u{9b}31mc";
        let clean = sanitize_for_terminal(evil, false);
        assert!(!clean.contains('\x1b'));
        assert!(!clean.contains('\x07'));
        assert!(!clean.contains('\u{9b}'));
        assert_eq!(clean, "a␛[2J␛]0;pwned␇b�31mc");
    }

    #[test]
    fn bidi_overrides_are_dropped() {
        assert_eq!(
            sanitize_for_terminal("abc\u{202e}fdp.exe", false),
            "abcfdp.exe"
        );
    }

    #[test]
    fn newlines_kept_only_when_asked() {
        assert_eq!(sanitize_for_terminal("a\nb\r\n", true), "a\nb \n");
        assert_eq!(sanitize_for_terminal("a\nb", false), "a b");
    }
}

#[cfg(test)]
mod file_name_tests {
    use super::safe_file_name;

    #[test]
    fn names_from_the_network_cannot_leave_the_directory_or_hide() {
        assert_eq!(safe_file_name("Angebot 2026.pdf"), "Angebot 2026.pdf");
        assert_eq!(safe_file_name("../../.bashrc"), "_.._.bashrc");
        assert_eq!(safe_file_name(".profile"), "profile");
        assert_eq!(
            safe_file_name("rechnung\u{202e}fdp.exe"),
            "rechnung_fdp.exe"
        );
        assert_eq!(safe_file_name("a\x1b[2Jb"), "a_[2Jb");
        assert_eq!(safe_file_name("  "), "anhang");
        assert_eq!(safe_file_name(".."), "anhang");
        assert!(safe_file_name(&"ä".repeat(300)).len() <= 200);
    }
}
