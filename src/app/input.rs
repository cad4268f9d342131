//! A multi-line text buffer with a cursor, for the composer and prompts: edits step by
//! grapheme (an emoji with skin tone, a letter with a combining accent is one step),
//! lines wrap softly at the pane's width, words are motions and edits can be undone.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

use crate::domain::sanitize_for_terminal;

/// How many edits Ctrl+Z can take back.
const UNDO_DEPTH: usize = 200;

/// Text plus a cursor. The cursor is a byte offset that only ever rests on a grapheme
/// boundary, so no edit splits a character or a cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    cursor: usize,
    undo: Vec<(String, usize)>,
    redo: Vec<(String, usize)>,
    /// The last edit, so that typing a word or deleting a run is one undo step.
    last: EditKind,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum EditKind {
    #[default]
    Moved,
    Typing,
    Deleting,
    Other,
}

impl TextInput {
    pub fn with_text(text: &str) -> Self {
        Self {
            text: text.to_string(),
            cursor: text.len(),
            ..Self::default()
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text left of the cursor.
    pub fn before_cursor(&self) -> &str {
        &self.text[..self.cursor]
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The text, leaving the field empty (and its undo history with the text that went).
    pub fn take(&mut self) -> String {
        let text = std::mem::take(&mut self.text);
        *self = Self::default();
        text
    }

    pub fn set(&mut self, text: &str) {
        *self = Self::with_text(text);
    }

    /// Remembers the state before an edit. Runs of typing (up to a space) and of
    /// deleting are one step each, as in every editor people know.
    fn record(&mut self, kind: EditKind) {
        let continues = kind == self.last && matches!(kind, EditKind::Typing | EditKind::Deleting);
        if !continues {
            self.undo.push((self.text.clone(), self.cursor));
            if self.undo.len() > UNDO_DEPTH {
                self.undo.remove(0);
            }
        }
        self.redo.clear();
        self.last = kind;
    }

    pub fn insert(&mut self, c: char) {
        let kind = if c.is_whitespace() {
            EditKind::Other
        } else {
            EditKind::Typing
        };
        self.record(kind);
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
        self.snap_forward();
    }

    pub fn insert_str(&mut self, s: &str) {
        self.record(EditKind::Other);
        self.text.insert_str(self.cursor, s);
        self.cursor += s.len();
        self.snap_forward();
    }

    /// A combining mark typed after a letter joins its cluster: the cursor stays after
    /// the whole cluster.
    fn snap_forward(&mut self) {
        if !self.text.is_char_boundary(self.cursor) || !self.at_boundary(self.cursor) {
            self.cursor = self.next_boundary(self.cursor);
        }
    }

    fn at_boundary(&self, at: usize) -> bool {
        at == 0 || at == self.text.len() || self.boundaries().any(|b| b == at)
    }

    fn boundaries(&self) -> impl Iterator<Item = usize> + '_ {
        self.text.grapheme_indices(true).map(|(i, _)| i)
    }

    fn prev_boundary(&self, at: usize) -> usize {
        self.text[..at]
            .grapheme_indices(true)
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    fn next_boundary(&self, at: usize) -> usize {
        self.boundaries()
            .find(|&b| b > at)
            .unwrap_or(self.text.len())
    }

    pub fn backspace(&mut self) {
        if self.cursor == 0 {
            return;
        }
        self.record(EditKind::Deleting);
        let from = self.prev_boundary(self.cursor);
        self.text.replace_range(from..self.cursor, "");
        self.cursor = from;
    }

    pub fn delete(&mut self) {
        if self.cursor >= self.text.len() {
            return;
        }
        self.record(EditKind::Deleting);
        let to = self.next_boundary(self.cursor);
        self.text.replace_range(self.cursor..to, "");
    }

    fn moved(&mut self, to: usize) {
        self.cursor = to;
        self.last = EditKind::Moved;
    }

    pub fn left(&mut self) {
        self.moved(self.prev_boundary(self.cursor));
    }

    pub fn right(&mut self) {
        if self.cursor < self.text.len() {
            self.moved(self.next_boundary(self.cursor));
        }
    }

    /// To the start of the word left of the cursor (Strg+←).
    pub fn word_left(&mut self) {
        self.moved(self.word_start_before(self.cursor));
    }

    /// Past the end of the word right of the cursor (Strg+→).
    pub fn word_right(&mut self) {
        let rest = &self.text[self.cursor..];
        let skip_space = rest.len() - rest.trim_start().len();
        let word = rest[skip_space..]
            .find(char::is_whitespace)
            .unwrap_or(rest.len() - skip_space);
        self.moved(self.cursor + skip_space + word);
    }

    fn word_start_before(&self, at: usize) -> usize {
        let before = self.text[..at].trim_end();
        before.rfind(char::is_whitespace).map_or(0, |i| {
            i + before[i..].chars().next().map_or(1, char::len_utf8)
        })
    }

    pub fn home(&mut self) {
        let start = self.text[..self.cursor].rfind('\n').map_or(0, |i| i + 1);
        self.moved(start);
    }

    pub fn end(&mut self) {
        let end = self.text[self.cursor..]
            .find('\n')
            .map_or(self.text.len(), |i| self.cursor + i);
        self.moved(end);
    }

    /// Deletes from the start of the line to the cursor (Strg+U in shells).
    pub fn delete_to_line_start(&mut self) {
        let start = self.text[..self.cursor].rfind('\n').map_or(0, |i| i + 1);
        if start == self.cursor {
            return;
        }
        self.record(EditKind::Other);
        self.text.replace_range(start..self.cursor, "");
        self.cursor = start;
    }

    /// Deletes the word before the cursor (Strg+W in shells).
    pub fn delete_word(&mut self) {
        let from = self.word_start_before(self.cursor);
        if from == self.cursor {
            return;
        }
        self.record(EditKind::Other);
        self.text.replace_range(from..self.cursor, "");
        self.cursor = from;
    }

    /// Takes the last edit back; false when there is none.
    pub fn undo(&mut self) -> bool {
        let Some((text, cursor)) = self.undo.pop() else {
            return false;
        };
        let now = (std::mem::replace(&mut self.text, text), self.cursor);
        self.redo.push(now);
        self.cursor = cursor;
        self.last = EditKind::Moved;
        true
    }

    /// Does an undone edit again; false when there is none.
    pub fn redo(&mut self) -> bool {
        let Some((text, cursor)) = self.redo.pop() else {
            return false;
        };
        let now = (std::mem::replace(&mut self.text, text), self.cursor);
        self.undo.push(now);
        self.cursor = cursor;
        self.last = EditKind::Moved;
        true
    }

    /// The screen rows of the text at `width` columns, as byte ranges: lines break at
    /// their line breaks and softly between words; a word longer than a row is broken
    /// between graphemes. Every character of the text is in exactly one row (spaces at a
    /// soft break stay at the end of their row), so what is shown is what is sent.
    pub fn rows(&self, width: usize) -> Vec<Range<usize>> {
        soft_rows(&self.text, width)
    }

    /// The cursor's row (as in [`rows`](Self::rows)) and its column on that row.
    pub fn cursor_row_col(&self, width: usize) -> (usize, usize) {
        self.cursor_in(&self.rows(width))
    }

    /// The cursor's row and column in `rows` as [`rows`](Self::rows) laid them out
    /// (for a caller that has them already).
    pub fn cursor_in(&self, rows: &[Range<usize>]) -> (usize, usize) {
        let row = cursor_row(rows, self.cursor);
        let col = display_width(&self.text[rows[row].start..self.cursor]);
        (row, col)
    }

    /// One screen row up, to the nearest column; false on the first row.
    pub fn up(&mut self, width: usize) -> bool {
        self.vertical(width, -1)
    }

    /// One screen row down, to the nearest column; false on the last row.
    pub fn down(&mut self, width: usize) -> bool {
        self.vertical(width, 1)
    }

    fn vertical(&mut self, width: usize, by: isize) -> bool {
        let rows = self.rows(width);
        let (row, col) = self.cursor_in(&rows);
        let Some(target) = row.checked_add_signed(by).and_then(|r| rows.get(r)) else {
            return false;
        };
        // The grapheme that starts at or left of the column, as editors do.
        let mut at = target.start;
        let mut x = 0;
        for (i, g) in self.text[target.clone()].grapheme_indices(true) {
            let w = display_width(g);
            if x + w > col {
                break;
            }
            x += w;
            at = target.start + i + g.len();
        }
        // A soft row's end is the next row's start: stay on this row.
        let last_of_row = rows.get(row.wrapping_add_signed(by) + 1);
        if at == target.end && last_of_row.is_some_and(|n| n.start == at) && at > target.start {
            at = self.prev_boundary(at);
        }
        self.moved(at);
        true
    }
}

/// Columns a piece of the text takes on screen, as the renderer shows it (control
/// characters as visible pictures, bidi controls as nothing).
fn display_width(s: &str) -> usize {
    sanitize_for_terminal(s, false).width()
}

fn soft_rows(text: &str, width: usize) -> Vec<Range<usize>> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut line_start = 0;
    for line in text.split('\n') {
        wrap_line(text, line_start..line_start + line.len(), width, &mut rows);
        line_start += line.len() + 1;
    }
    rows
}

fn wrap_line(text: &str, line: Range<usize>, width: usize, rows: &mut Vec<Range<usize>>) {
    let mut start = line.start;
    let mut used = 0;
    // Where the row may break: after the last run of spaces in it.
    let mut after_space: Option<usize> = None;
    for (i, g) in text[line.clone()].grapheme_indices(true) {
        let at = line.start + i;
        let w = display_width(g);
        if g.chars().all(char::is_whitespace) {
            // Spaces hang at the end of a row rather than start the next one.
            used += w;
            after_space = Some(at + g.len());
            continue;
        }
        if used + w > width && at > start {
            let brk = after_space.filter(|&b| b > start && b <= at).unwrap_or(at);
            rows.push(start..brk);
            start = brk;
            used = display_width(&text[start..at]);
            after_space = None;
        }
        used += w;
    }
    rows.push(start..line.end);
}

/// The row the cursor is shown on: at a soft break it belongs to the next row's start.
fn cursor_row(rows: &[Range<usize>], cursor: usize) -> usize {
    rows.iter()
        .enumerate()
        .position(|(r, row)| {
            cursor >= row.start
                && (cursor < row.end
                    || cursor == row.end && rows.get(r + 1).is_none_or(|n| n.start != cursor))
        })
        .unwrap_or(rows.len().saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(t: &TextInput, width: usize) -> Vec<&str> {
        t.rows(width).into_iter().map(|r| &t.text()[r]).collect()
    }

    #[test]
    fn edits_multibyte_text() {
        let mut t = TextInput::with_text("Grüße");
        t.left();
        t.backspace();
        assert_eq!(t.text(), "Grüe");
        t.insert('ß');
        assert_eq!(t.text(), "Grüße");
        t.home();
        t.insert('>');
        assert_eq!(t.text(), ">Grüße");
    }

    #[test]
    fn one_step_per_grapheme() {
        // A thumbs-up with skin tone, a family (ZWJ sequence), an e with a combining accent.
        let mut t = TextInput::with_text("a👍🏽👨‍👩‍👧e\u{301}");
        t.backspace();
        assert_eq!(t.text(), "a👍🏽👨‍👩‍👧");
        t.left();
        t.backspace();
        assert_eq!(t.text(), "a👨‍👩‍👧");
        t.delete();
        assert_eq!(t.text(), "a");
    }

    #[test]
    fn delete_word_and_lines() {
        let mut t = TextInput::with_text("Hallo Frau Meier");
        t.delete_word();
        assert_eq!(t.text(), "Hallo Frau ");
        t.insert('\n');
        t.insert_str("zweite");
        t.home();
        assert_eq!(t.before_cursor(), "Hallo Frau \n");
        t.delete_to_line_start();
        assert_eq!(t.text(), "Hallo Frau \nzweite");
    }

    #[test]
    fn word_motions() {
        let mut t = TextInput::with_text("Guten Tag, Frau Öztürk");
        t.word_left();
        assert_eq!(t.before_cursor(), "Guten Tag, Frau ");
        t.word_left();
        t.word_left();
        assert_eq!(t.before_cursor(), "Guten ");
        t.word_right();
        assert_eq!(t.before_cursor(), "Guten Tag,");
    }

    #[test]
    fn undo_takes_back_a_word_at_a_time_and_redo_restores() {
        let mut t = TextInput::default();
        for c in "Hallo Welt".chars() {
            t.insert(c);
        }
        t.backspace();
        t.backspace();
        assert_eq!(t.text(), "Hallo We");
        assert!(t.undo());
        assert_eq!(t.text(), "Hallo Welt");
        assert!(t.undo());
        assert_eq!(t.text(), "Hallo ");
        assert!(t.undo());
        assert!(t.undo());
        assert_eq!(t.text(), "");
        assert!(!t.undo());
        assert!(t.redo());
        assert!(t.redo());
        assert_eq!(t.text(), "Hallo ");
    }

    #[test]
    fn soft_wrap_keeps_every_character_and_words_whole() {
        let t = TextInput::with_text(
            "Sehr geehrte Frau Meier, Termin am Montag.\nhttps://example.com/very/long/path ok",
        );
        let rows = shown(&t, 14);
        assert_eq!(
            rows,
            vec![
                "Sehr geehrte ",
                "Frau Meier, ",
                "Termin am ",
                "Montag.",
                "https://exampl",
                "e.com/very/lon",
                "g/path ok"
            ]
        );
        // Joined, the rows and the line breaks are the text: nothing hidden.
        let rows = t.rows(14);
        let mut joined = String::new();
        for (i, r) in rows.iter().enumerate() {
            if i > 0 && rows[i - 1].end != r.start {
                joined.push('\n');
            }
            joined.push_str(&t.text()[r.clone()]);
        }
        assert_eq!(joined, t.text());
    }

    #[test]
    fn wide_characters_wrap_by_columns() {
        let t = TextInput::with_text("日本語のテキスト");
        assert_eq!(shown(&t, 6), vec!["日本語", "のテキ", "スト"]);
    }

    #[test]
    fn up_and_down_move_between_screen_rows() {
        let mut t = TextInput::with_text("Hallo Frau Meier, wie geht es");
        // Rows at 12: "Hallo Frau " "Meier, wie " "geht es"
        assert_eq!(t.cursor_row_col(12), (2, 7));
        assert!(t.up(12));
        assert_eq!(t.cursor_row_col(12), (1, 7));
        assert_eq!(t.before_cursor(), "Hallo Frau Meier, ");
        assert!(t.up(12));
        assert!(!t.up(12));
        assert!(t.down(12));
        assert!(t.down(12));
        assert_eq!(t.cursor_row_col(12), (2, 7));
        assert!(!t.down(12));
    }

    #[test]
    fn cursor_at_a_soft_break_shows_at_the_next_row() {
        let mut t = TextInput::with_text("Hallo Frau");
        t.word_left();
        assert_eq!(t.cursor_row_col(8), (1, 0));
        t.end();
        assert_eq!(t.cursor_row_col(8), (1, 4));
    }
}
