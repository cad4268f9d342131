//! Entering and leaving the real terminal, including on panic, and running `$EDITOR`.

use std::io::{self, Write};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type RealTerminal = Terminal<CrosstermBackend<io::Stdout>>;

static ENTERED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// The window title was changed: the one before is restored on leaving.
static TITLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Restores the terminal only if this process put it into TUI mode, so error paths
/// before the TUI never emit escape sequences into a script's output.
pub fn restore_if_entered() {
    if ENTERED.swap(false, std::sync::atomic::Ordering::SeqCst) {
        restore();
    }
}

/// Puts the terminal into TUI mode and makes sure a panic restores it first, so the
/// panic message is readable and the shell is usable afterwards.
pub fn enter(mouse: bool) -> io::Result<RealTerminal> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_if_entered();
        tracing::error!(panic = %info, "panic");
        previous(info);
    }));
    enable_raw_mode()?;
    ENTERED.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut out = io::stdout();
    // Focus reports (where the terminal sends them): no desktop notification for what
    // the user already sees.
    execute!(
        out,
        EnterAlternateScreen,
        EnableBracketedPaste,
        crossterm::event::EnableFocusChange
    )?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
    }
    Terminal::new(CrosstermBackend::new(out))
}

/// Leaves TUI mode. Safe to call more than once.
pub fn restore() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableMouseCapture,
        DisableBracketedPaste,
        crossterm::event::DisableFocusChange,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    if TITLED.swap(false, std::sync::atomic::Ordering::SeqCst) {
        // xterm's title stack: back to the title saved when tresen first set its own.
        let _ = out.write_all(b"\x1b[23;0t");
    }
    let _ = out.flush();
}

/// Rings the terminal's bell (only in the real terminal, never into a test's output).
pub fn bell() {
    if ENTERED.load(std::sync::atomic::Ordering::SeqCst) {
        let mut out = io::stdout();
        let _ = out.write_all(b"\x07");
        let _ = out.flush();
    }
}

/// Puts `text` on the clipboard through the terminal (OSC 52): works over SSH, where
/// the terminal allows it (most do; some ask first or need it switched on).
pub fn copy(text: &str) {
    if !ENTERED.load(std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    let _ = out.write_all(osc52(text).as_bytes());
    let _ = out.flush();
}

/// The OSC 52 sequence that sets the clipboard to `text`: base64, so nothing in the
/// text can end the sequence early or reach the terminal as a command.
pub fn osc52(text: &str) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    format!("\x1b]52;c;{encoded}\x07")
}

/// Sets the window title to `tresen (n)` (`tresen` with nothing unread), saving the
/// title before on the terminal's title stack the first time.
pub fn title(unread: usize) {
    if !ENTERED.load(std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    if !TITLED.swap(true, std::sync::atomic::Ordering::SeqCst) {
        let _ = out.write_all(b"\x1b[22;0t");
    }
    let text = match unread {
        0 => "tresen".to_string(),
        n => format!("tresen ({n})"),
    };
    let _ = execute!(out, crossterm::terminal::SetTitle(text));
}

/// Which editor to run: config, then $VISUAL, then $EDITOR, then the system's choice
/// (Debian's `sensible-editor`, `editor`), then nano — vi only as the last resort, as
/// office staff may never have left it before.
pub fn editor_command(configured: &str) -> String {
    [
        Some(configured.to_string()),
        std::env::var("VISUAL").ok(),
        std::env::var("EDITOR").ok(),
    ]
    .into_iter()
    .flatten()
    .find(|e| !e.trim().is_empty())
    .or_else(|| {
        ["sensible-editor", "editor", "nano"]
            .into_iter()
            .find(|p| on_path(p))
            .map(str::to_string)
    })
    .unwrap_or_else(|| "vi".into())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(program).is_file()))
}

/// The editor setting as a program and its arguments, split as a shell would
/// (`code --wait`, `"/opt/My Editor/bin/edit" -n`).
pub fn editor_argv(editor: &str) -> Option<Vec<String>> {
    shlex::split(editor).filter(|v| !v.is_empty())
}

/// Suspends the TUI, lets the user edit `initial` in their editor, and returns the text.
/// The draft lives in a private temp file that is removed afterwards.
pub fn run_editor(
    editor: &str,
    initial: &str,
    mouse: bool,
    german: bool,
) -> Result<String, String> {
    let say = |de: String, en: String| if german { de } else { en };
    let Some(argv) = editor_argv(editor) else {
        return Err(say(
            format!("die Editor-Einstellung „{editor}“ ist unvollständig (Anführungszeichen?)"),
            format!("the editor setting \"{editor}\" is incomplete (a quote?)"),
        ));
    };
    let dir = tempfile::Builder::new()
        .prefix("tresen-draft")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let path = dir.path().join("antwort.txt");
    crate::fsutil::write_private(&path, initial.as_bytes()).map_err(|e| e.to_string())?;
    restore();
    let program = &argv[0];
    let status = std::process::Command::new(program)
        .args(&argv[1..])
        .arg(&path)
        .status();
    let _ = enable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(out, EnterAlternateScreen, EnableBracketedPaste);
    if mouse {
        let _ = execute!(out, EnableMouseCapture);
    }
    match status {
        Ok(s) if s.success() => std::fs::read_to_string(&path).map_err(|e| e.to_string()),
        Ok(s) => Err(say(
            format!("{program} endete mit {s}; der Entwurf ist unverändert"),
            format!("{program} exited with {s}; the draft is unchanged"),
        )),
        Err(e) => Err(say(
            format!("{program} lässt sich nicht starten: {e}"),
            format!("cannot start {program}: {e}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clipboard_sequence_carries_the_text_encoded() {
        // A customer's text with an escape sequence of its own stays inert.
        assert_eq!(osc52("Hallo\x1b]0;x\x07"), "\x1b]52;c;SGFsbG8bXTA7eAc=\x07");
    }

    #[test]
    fn the_editor_setting_is_split_as_a_shell_would() {
        assert_eq!(
            editor_argv("code --wait"),
            Some(vec!["code".to_string(), "--wait".to_string()])
        );
        assert_eq!(
            editor_argv("\"/opt/Mein Editor/edit\" -n"),
            Some(vec!["/opt/Mein Editor/edit".to_string(), "-n".to_string()])
        );
        assert_eq!(editor_argv("vi \"offen"), None);
        assert_eq!(editor_argv("  "), None);
    }
}
