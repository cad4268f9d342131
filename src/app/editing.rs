//! Typing in input fields: editing keys for the composer and every prompt, labels
//! offered and completed in `t` and `T`, file paths completed in the attach prompt.

use super::*;

impl App {
    /// Every label in use, sorted: what `t` and `T` offer.
    pub fn known_labels(&self) -> Vec<String> {
        let set: std::collections::BTreeSet<&str> = self
            .conversations
            .iter()
            .flat_map(|c| c.labels.iter().map(String::as_str))
            .collect();
        set.into_iter().map(str::to_string).collect()
    }

    /// The labels that start with what is being typed in `t` or `T` (the part after
    /// the last comma).
    pub fn label_suggestions(&self) -> Vec<String> {
        let typed = match &self.overlay {
            Some(Overlay::Labels { input } | Overlay::LabelFilter { input }) => input.text(),
            _ => return Vec::new(),
        };
        let part = typed.rsplit(',').next().unwrap_or("").trim().to_lowercase();
        let chosen: Vec<String> = typed.split(',').map(|l| l.trim().to_lowercase()).collect();
        self.known_labels()
            .into_iter()
            .filter(|l| l.starts_with(&part) && (l == &part || !chosen.contains(l)))
            .collect()
    }

    /// Tab in `t` or `T`: the label being typed is completed to the first one offered.
    pub(super) fn complete_label(&mut self) -> bool {
        let Some(first) = self.label_suggestions().into_iter().next() else {
            return false;
        };
        let Some(Overlay::Labels { input } | Overlay::LabelFilter { input }) = &mut self.overlay
        else {
            return false;
        };
        let text = input.text();
        let head = match text.rfind(',') {
            Some(i) => format!("{}, ", text[..i].trim_end()),
            None => String::new(),
        };
        input.set(&format!("{head}{first}"));
        true
    }

    pub(super) fn text_input(&mut self) -> Option<&mut TextInput> {
        match &mut self.overlay {
            Some(
                Overlay::SearchPrompt { input }
                | Overlay::Jump { input, .. }
                | Overlay::Labels { input }
                | Overlay::ContactName { input }
                | Overlay::When { input, .. }
                | Overlay::LabelFilter { input }
                | Overlay::AttachPrompt { input, .. },
            ) => Some(input),
            Some(_) => None,
            None if self.focus == Focus::Composer => Some(&mut self.composer),
            None => None,
        }
    }

    /// Typing and cursor keys in an input field. `None` when the key is not an edit.
    pub(super) fn edit_text(&mut self, chord: &KeyChord) -> Option<Vec<Effect>> {
        // Up and down move between the composer's screen rows; in a prompt they pick.
        let composing = self.overlay.is_none() && self.focus == Focus::Composer;
        let width = usize::from(self.conversation_width());
        if chord.code == ChordCode::Tab && !chord.ctrl && !chord.alt {
            if let Some(Overlay::AttachPrompt { input, .. }) = &self.overlay {
                return Some(vec![Effect::CompletePath(input.text().to_string())]);
            }
            if self.complete_label() {
                return Some(vec![]);
            }
        }
        let input = self.text_input()?;
        if let Some(c) = chord.typed_char() {
            input.insert(c);
        } else if chord.ctrl || chord.alt {
            // As in a shell and in every editor people know.
            match (chord.ctrl, chord.code) {
                (true, ChordCode::Char('w')) => input.delete_word(),
                (true, ChordCode::Char('u')) => input.delete_to_line_start(),
                (true, ChordCode::Char('a')) => input.home(),
                (true, ChordCode::Char('z')) => {
                    input.undo();
                }
                (true, ChordCode::Char('y')) => {
                    input.redo();
                }
                (true, ChordCode::Left) | (false, ChordCode::Char('b')) => input.word_left(),
                (true, ChordCode::Right) | (false, ChordCode::Char('f')) => input.word_right(),
                (false, ChordCode::Backspace) => input.delete_word(),
                _ => return None,
            }
        } else {
            match chord.code {
                ChordCode::Backspace => input.backspace(),
                ChordCode::Delete => input.delete(),
                ChordCode::Left => input.left(),
                ChordCode::Right => input.right(),
                ChordCode::Up if composing => {
                    input.up(width);
                }
                ChordCode::Down if composing => {
                    input.down(width);
                }
                ChordCode::Home => input.home(),
                ChordCode::End => input.end(),
                _ => return None,
            }
        }
        self.after_edit();
        let mut effects = self.typing_effects();
        effects.extend(self.drop_tags_if_empty());
        Some(effects)
    }

    /// The folder's answer to Tab, if the path is still as it was when Tab was pressed.
    pub(super) fn path_completed(&mut self, typed: &str, completed: String, found: Vec<String>) {
        let none = self.lang().t("Keine passende Datei", "No file matches");
        let Some(Overlay::AttachPrompt { input, candidates }) = &mut self.overlay else {
            return;
        };
        if input.text() != typed {
            return;
        }
        if found.is_empty() {
            self.flash = Some(none.to_string());
        }
        input.set(&completed);
        *candidates = found;
    }
}
