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
