//! A small multi-line text buffer with a cursor, for the composer and prompts.

/// Text plus a cursor position counted in characters (not bytes), so editing never
/// splits a UTF-8 sequence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    cursor: usize,
}

impl TextInput {
    pub fn with_text(text: &str) -> Self {
        Self {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn take(&mut self) -> String {
        self.cursor = 0;
        std::mem::take(&mut self.text)
    }

    pub fn set(&mut self, text: &str) {
        *self = Self::with_text(text);
    }

    fn byte_at(&self, char_idx: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_idx)
            .map_or(self.text.len(), |(b, _)| b)
    }

    pub fn insert(&mut self, c: char) {
        let b = self.byte_at(self.cursor);
        self.text.insert(b, c);
        self.cursor += 1;
    }

    pub fn insert_str(&mut self, s: &str) {
        let b = self.byte_at(self.cursor);
        self.text.insert_str(b, s);
        self.cursor += s.chars().count();
    }

    pub fn backspace(&mut self) {
        if self.cursor == 0 {
            return;
        }
        self.cursor -= 1;
        let b = self.byte_at(self.cursor);
        self.text.remove(b);
    }

    pub fn delete(&mut self) {
        if self.cursor < self.text.chars().count() {
            let b = self.byte_at(self.cursor);
            self.text.remove(b);
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.text.chars().count());
    }

    pub fn home(&mut self) {
        let before: Vec<char> = self.text.chars().take(self.cursor).collect();
        let line_start = before.iter().rposition(|c| *c == '\n').map_or(0, |p| p + 1);
        self.cursor = line_start;
    }

    pub fn end(&mut self) {
        let chars: Vec<char> = self.text.chars().collect();
        let rest = chars[self.cursor..].iter().position(|c| *c == '\n');
        self.cursor = rest.map_or(chars.len(), |p| self.cursor + p);
    }

    /// Deletes from the start of the line to the cursor (ctrl-u in shells).
    pub fn delete_to_line_start(&mut self) {
        let end = self.cursor;
        self.home();
        let (a, b) = (self.byte_at(self.cursor), self.byte_at(end));
        self.text.replace_range(a..b, "");
    }

    /// Deletes the word before the cursor (ctrl-w in shells).
    pub fn delete_word(&mut self) {
        while self.cursor > 0 && self.char_before().is_some_and(char::is_whitespace) {
            self.backspace();
        }
        while self.cursor > 0 && self.char_before().is_some_and(|c| !c.is_whitespace()) {
            self.backspace();
        }
    }

    fn char_before(&self) -> Option<char> {
        self.cursor
            .checked_sub(1)
            .and_then(|i| self.text.chars().nth(i))
    }

    /// (line, column) of the cursor, both in characters.
    pub fn cursor_line_col(&self) -> (usize, usize) {
        let before: String = self.text.chars().take(self.cursor).collect();
        let line = before.matches('\n').count();
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count());
        (line, col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn delete_word_and_lines() {
        let mut t = TextInput::with_text("Hallo Frau Meier");
        t.delete_word();
        assert_eq!(t.text(), "Hallo Frau ");
        t.insert('\n');
        t.insert_str("zweite");
        assert_eq!(t.cursor_line_col(), (1, 6));
        t.home();
        assert_eq!(t.cursor_line_col(), (1, 0));
    }
}
