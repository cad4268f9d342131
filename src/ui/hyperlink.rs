//! Links on screen as OSC 8 hyperlinks, so a terminal that knows them opens a link on
//! click (or Ctrl+click) like a browser would; `b` stays the keyboard way.
//!
//! A pass over the drawn buffer rather than part of the widgets: the link text is already
//! underlined there (`text::with_links`), and only the real terminal gets the sequences,
//! tests read plain cells. The target is always the text the user sees (never a hidden
//! address a customer could have chosen), and only links `domain::links` accepts.

use std::num::NonZeroU16;

use ratatui::buffer::{Buffer, CellDiffOption};
use ratatui::style::Modifier;
use unicode_width::UnicodeWidthStr;

/// Wraps every cell of each underlined link in an OSC 8 sequence naming its target.
pub fn mark(buf: &mut Buffer) {
    let area = buf.area;
    for y in area.top()..area.bottom() {
        let mut x = area.left();
        while x < area.right() {
            if !is_link_cell(buf, x, y) {
                x += 1;
                continue;
            }
            // A run of underlined cells: one word that `with_links` marked.
            let mut cells = Vec::new();
            let mut text = String::new();
            while x < area.right() && is_link_cell(buf, x, y) {
                let symbol = buf[(x, y)].symbol();
                let w = symbol.width().max(1) as u16;
                text.push_str(symbol);
                cells.push((x, w));
                x += w;
            }
            let Some(target) = crate::domain::links::find(&text).into_iter().next() else {
                continue;
            };
            if !target.bytes().all(|b| b.is_ascii_graphic()) {
                // Not a valid URI in the sequence; the link stays openable with `b`.
                continue;
            }
            for (cx, w) in cells {
                let cell = &mut buf[(cx, y)];
                let symbol = format!("\x1b]8;;{target}\x1b\\{}\x1b]8;;\x1b\\", cell.symbol());
                cell.set_symbol(&symbol);
                // The sequence is as wide on screen as the character it wraps.
                cell.set_diff_option(CellDiffOption::ForcedWidth(
                    NonZeroU16::new(w).unwrap_or(NonZeroU16::MIN),
                ));
            }
        }
    }
}

fn is_link_cell(buf: &Buffer, x: u16, y: u16) -> bool {
    let cell = &buf[(x, y)];
    cell.modifier.contains(Modifier::UNDERLINED)
        && cell.symbol() != " "
        && cell.diff_option == CellDiffOption::None
}

/// Whether the terminal can take OSC 8: the Linux console and `dumb` print it as text.
pub fn supported(term: Option<&str>) -> bool {
    !matches!(term, Some("linux" | "dumb") | None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn an_underlined_link_carries_its_own_text_as_target() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 40, 2));
        let underlined = Style::new().add_modifier(Modifier::UNDERLINED);
        buf.set_string(0, 0, "Foto: ", Style::new());
        buf.set_string(6, 0, "(www.heiz.de/a).", underlined);
        // Underlined but no link (a label, say): left alone.
        buf.set_string(0, 1, "wichtig", underlined);
        mark(&mut buf);
        let w = &buf[(7, 0)];
        assert_eq!(
            w.symbol(),
            "\x1b]8;;https://www.heiz.de/a\x1b\\w\x1b]8;;\x1b\\"
        );
        assert_eq!(w.diff_option, CellDiffOption::ForcedWidth(NonZeroU16::MIN));
        assert_eq!(buf[(4, 0)].symbol(), ":", "text before the link untouched");
        assert_eq!(buf[(0, 1)].symbol(), "w");
        // What the terminal is sent still moves the cursor one cell per character.
        let diff = Buffer::empty(buf.area).diff(&buf);
        let xs: Vec<u16> = diff
            .iter()
            .filter(|(_, y, _)| *y == 0)
            .map(|d| d.0)
            .collect();
        assert!((6..22).all(|x| xs.contains(&x)), "{xs:?}");
    }

    #[test]
    fn no_sequence_for_terminals_that_print_it() {
        assert!(!supported(Some("linux")));
        assert!(!supported(None));
        assert!(supported(Some("xterm-256color")));
        assert!(supported(Some("tmux-256color")));
    }
}
