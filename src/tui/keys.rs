//! Key macros such as `"jjr Hallo<enter><wait:200>q"`, turned into terminal events.
//! Used by tests and benchmarks to drive the real event loop.

use std::io;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::Stream;

#[derive(Debug, Clone, PartialEq)]
pub enum MacroStep {
    Key(KeyEvent),
    Wait(Duration),
}

/// Parses a macro. Plain characters are keys; `<…>` names a special key (`<enter>`,
/// `<esc>`, `<tab>`, `<bs>`, `<up>`, `<down>`, `<left>`, `<right>`, `<pgup>`, `<pgdown>`,
/// `<home>`, `<end>`, `<space>`, `<lt>`), a chord (`<c-n>`, `<a-enter>`) or a pause
/// (`<wait:250>` milliseconds).
pub fn parse_macro(s: &str) -> Result<Vec<MacroStep>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '<' {
            out.push(MacroStep::Key(KeyEvent::new(
                KeyCode::Char(c),
                KeyModifiers::NONE,
            )));
            continue;
        }
        let name: String = chars.by_ref().take_while(|&c| c != '>').collect();
        if let Some(ms) = name.strip_prefix("wait:") {
            let ms: u64 = ms.parse().map_err(|_| format!("bad wait `{name}`"))?;
            out.push(MacroStep::Wait(Duration::from_millis(ms)));
            continue;
        }
        let (mods, key) = if let Some(k) = name.strip_prefix("c-") {
            (KeyModifiers::CONTROL, k)
        } else if let Some(k) = name.strip_prefix("a-") {
            (KeyModifiers::ALT, k)
        } else {
            (KeyModifiers::NONE, name.as_str())
        };
        let code = match key {
            "enter" | "ret" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "bs" => KeyCode::Backspace,
            "del" => KeyCode::Delete,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" => KeyCode::PageUp,
            "pgdown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "space" => KeyCode::Char(' '),
            "lt" => KeyCode::Char('<'),
            k if k.chars().count() == 1 => KeyCode::Char(k.chars().next().unwrap_or(' ')),
            _ => return Err(format!("unknown key `<{name}>`")),
        };
        out.push(MacroStep::Key(KeyEvent::new(code, mods)));
    }
    Ok(out)
}

/// A terminal event stream that plays the macro, pausing where it says so, then ends.
pub fn macro_stream(steps: Vec<MacroStep>) -> impl Stream<Item = io::Result<Event>> + Unpin {
    Box::pin(futures::stream::unfold(
        steps.into_iter(),
        |mut it| async move {
            loop {
                match it.next()? {
                    MacroStep::Wait(d) => tokio::time::sleep(d).await,
                    MacroStep::Key(k) => {
                        // Let the engine and the loop catch up between keys, as a human would.
                        tokio::task::yield_now().await;
                        return Some((Ok(Event::Key(k)), it));
                    }
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specials() {
        let s = parse_macro("a<c-n><enter><wait:5><lt>").unwrap();
        assert_eq!(s.len(), 5);
        assert_eq!(
            s[1],
            MacroStep::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL))
        );
        assert_eq!(s[3], MacroStep::Wait(Duration::from_millis(5)));
        assert!(parse_macro("<bogus>").is_err());
    }
}
