//! Key chords and the (context, chord) → action table built from defaults plus config.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::action::{Action, Context};

/// One key press with modifiers, written like `ctrl-n`, `G`, `enter`, `alt-enter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyChord {
    pub code: ChordCode,
    pub ctrl: bool,
    pub alt: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChordCode {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    F(u8),
}

const NAMED: &[(&str, ChordCode)] = &[
    ("enter", ChordCode::Enter),
    ("esc", ChordCode::Esc),
    ("tab", ChordCode::Tab),
    ("backtab", ChordCode::BackTab),
    ("backspace", ChordCode::Backspace),
    ("delete", ChordCode::Delete),
    ("up", ChordCode::Up),
    ("down", ChordCode::Down),
    ("left", ChordCode::Left),
    ("right", ChordCode::Right),
    ("home", ChordCode::Home),
    ("end", ChordCode::End),
    ("pgup", ChordCode::PageUp),
    ("pgdown", ChordCode::PageDown),
    ("space", ChordCode::Char(' ')),
];

impl std::str::FromStr for KeyChord {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let code = if let Some((_, c)) = NAMED.iter().find(|(n, _)| *n == rest) {
            *c
        } else if let Some(n) = rest.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            if !(1..=12).contains(&n) {
                return Err(format!("invalid key `{s}`: function keys are f1 to f12"));
            }
            ChordCode::F(n)
        } else {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_control() => ChordCode::Char(c),
                _ => {
                    return Err(format!(
                        "invalid key `{s}`: expected one character or a key name \
                         (enter, esc, tab, backtab, backspace, delete, up, down, left, right, \
                         home, end, pgup, pgdown, space, f1–f12), optionally after ctrl- or alt-"
                    ));
                }
            }
        };
        Ok(KeyChord { code, ctrl, alt })
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            ChordCode::Char(' ') => f.write_str("space"),
            ChordCode::Char(c) => write!(f, "{c}"),
            ChordCode::F(n) => write!(f, "f{n}"),
            other => {
                let name = NAMED
                    .iter()
                    .find(|(_, c)| *c == other)
                    .map_or("?", |(n, _)| n);
                f.write_str(name)
            }
        }
    }
}

impl Serialize for KeyChord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for KeyChord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl KeyChord {
    /// The key as the keyboard labels it, for people (the config syntax stays
    /// `ctrl-d`, `pgdown`): "Strg+D", "Bild↓", "Eingabe" in German; "Ctrl+D", "PgDn",
    /// "Enter" in English.
    pub fn label_in(&self, lang: super::i18n::Lang) -> String {
        let de = lang == super::i18n::Lang::De;
        let mut out = String::new();
        if self.ctrl {
            out.push_str(if de { "Strg+" } else { "Ctrl+" });
        }
        if self.alt {
            out.push_str("Alt+");
        }
        let named = |de_name: &str, en_name: &str| if de { de_name } else { en_name }.to_string();
        out.push_str(&match self.code {
            ChordCode::Char(' ') => named("Leertaste", "Space"),
            // A letter with a modifier is named as printed on the key.
            ChordCode::Char(c) if self.ctrl || self.alt => c.to_uppercase().to_string(),
            ChordCode::Char(c) => c.to_string(),
            ChordCode::F(n) => format!("F{n}"),
            ChordCode::Enter => named("Eingabe", "Enter"),
            ChordCode::Esc => "Esc".into(),
            ChordCode::Tab => "Tab".into(),
            ChordCode::BackTab => named("Umschalt+Tab", "Shift+Tab"),
            ChordCode::Backspace => named("Rücktaste", "Backspace"),
            ChordCode::Delete => named("Entf", "Del"),
            ChordCode::Up => "↑".into(),
            ChordCode::Down => "↓".into(),
            ChordCode::Left => "←".into(),
            ChordCode::Right => "→".into(),
            ChordCode::Home => named("Pos1", "Home"),
            ChordCode::End => named("Ende", "End"),
            ChordCode::PageUp => named("Bild↑", "PgUp"),
            ChordCode::PageDown => named("Bild↓", "PgDn"),
        });
        out
    }

    pub fn from_event(ev: &KeyEvent) -> Option<KeyChord> {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        let code = match ev.code {
            // Shift is already folded into the character ('G'), so it is not a modifier here.
            KeyCode::Char(c) => ChordCode::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            KeyCode::Enter => ChordCode::Enter,
            KeyCode::Esc => ChordCode::Esc,
            KeyCode::Tab => ChordCode::Tab,
            KeyCode::BackTab => ChordCode::BackTab,
            KeyCode::Backspace => ChordCode::Backspace,
            KeyCode::Delete => ChordCode::Delete,
            KeyCode::Up => ChordCode::Up,
            KeyCode::Down => ChordCode::Down,
            KeyCode::Left => ChordCode::Left,
            KeyCode::Right => ChordCode::Right,
            KeyCode::Home => ChordCode::Home,
            KeyCode::End => ChordCode::End,
            KeyCode::PageUp => ChordCode::PageUp,
            KeyCode::PageDown => ChordCode::PageDown,
            KeyCode::F(n) => ChordCode::F(n),
            _ => return None,
        };
        Some(KeyChord { code, ctrl, alt })
    }

    /// A key that types text in an input field rather than triggering an action.
    pub fn typed_char(&self) -> Option<char> {
        match self.code {
            ChordCode::Char(c) if !self.ctrl && !self.alt => Some(c),
            _ => None,
        }
    }
}

/// The bindings in effect.
#[derive(Debug, Clone)]
pub struct Keymap {
    map: HashMap<(Context, KeyChord), Action>,
    keys: BTreeMap<Action, Vec<KeyChord>>,
}

impl Default for Keymap {
    fn default() -> Self {
        Self::new(&BTreeMap::new())
    }
}

impl Keymap {
    /// Defaults, with each action listed in `overrides` rebound to exactly those keys.
    pub fn new(overrides: &BTreeMap<Action, Vec<KeyChord>>) -> Self {
        let mut keys = BTreeMap::new();
        for &a in Action::ALL {
            let chords = match overrides.get(&a) {
                Some(k) => k.clone(),
                None => a
                    .default_keys()
                    .iter()
                    .filter_map(|k| k.parse().ok())
                    .collect(),
            };
            keys.insert(a, chords);
        }
        let mut map = HashMap::new();
        // Overridden actions go last so that a user's binding wins over a default one.
        let order = keys
            .keys()
            .filter(|a| !overrides.contains_key(*a))
            .chain(keys.keys().filter(|a| overrides.contains_key(*a)));
        for a in order {
            for &ctx in a.contexts() {
                for k in &keys[a] {
                    map.insert((ctx, *k), *a);
                }
            }
        }
        Keymap { map, keys }
    }

    pub fn action(&self, ctx: Context, chord: &KeyChord) -> Option<Action> {
        self.map.get(&(ctx, *chord)).copied()
    }

    pub fn keys_for(&self, action: Action) -> &[KeyChord] {
        self.keys.get(&action).map_or(&[], Vec::as_slice)
    }

    /// "j/↓" style label for help and hints, with the keys named as the keyboard
    /// labels them in `lang`.
    /// The first key bound to `action`, as the keyboard labels it (empty if unbound):
    /// for hints where one key is enough.
    pub fn first_label(&self, action: Action, lang: super::i18n::Lang) -> String {
        self.keys_for(action)
            .first()
            .map(|k| k.label_in(lang))
            .unwrap_or_default()
    }

    pub fn label(&self, action: Action, lang: super::i18n::Lang) -> String {
        self.keys_for(action)
            .iter()
            .map(|k| k.label_in(lang))
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_key_parses_and_round_trips() {
        for a in Action::ALL {
            for k in a.default_keys() {
                let chord: KeyChord = k.parse().unwrap_or_else(|e| panic!("{a:?}: {e}"));
                assert_eq!(chord.to_string(), *k);
            }
        }
    }

    #[test]
    fn no_default_conflicts_within_a_context() {
        let mut seen: HashMap<(Context, KeyChord), Action> = HashMap::new();
        for &a in Action::ALL {
            for &ctx in a.contexts() {
                for k in a.default_keys() {
                    let chord: KeyChord = k.parse().unwrap();
                    if let Some(prev) = seen.insert((ctx, chord), a) {
                        panic!("{k} bound to {prev:?} and {a:?} in {ctx:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn override_replaces_defaults() {
        let mut o = BTreeMap::new();
        o.insert(Action::Next, vec!["ctrl-n".parse().unwrap()]);
        let km = Keymap::new(&o);
        let j: KeyChord = "j".parse().unwrap();
        assert_eq!(km.action(Context::Inbox, &j), None);
        assert_eq!(
            km.action(Context::Inbox, &"ctrl-n".parse().unwrap()),
            Some(Action::Next)
        );
    }

    #[test]
    fn bad_keys_are_explained() {
        assert!(
            "ctrl-"
                .parse::<KeyChord>()
                .unwrap_err()
                .contains("invalid key")
        );
        assert!("f13".parse::<KeyChord>().is_err());
        assert!("jj".parse::<KeyChord>().is_err());
    }
}
