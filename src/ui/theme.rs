//! Styles in one place, chosen to stay readable on dark and light terminals.

use ratatui::style::{Color, Modifier, Style};

pub struct Theme;

impl Theme {
    pub const BOLD: Style = Style::new().add_modifier(Modifier::BOLD);
    pub const DIM: Style = Style::new().add_modifier(Modifier::DIM);
    pub const TITLE: Style = Style::new()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD);
    pub const ACCENT: Style = Style::new().fg(Color::Cyan);
    pub const BUSINESS: Style = Style::new()
        .fg(Color::Black)
        .bg(Color::Green)
        .add_modifier(Modifier::BOLD);
    pub const DEMO: Style = Style::new()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD);
    pub const OK: Style = Style::new().fg(Color::Green);
    pub const WARN: Style = Style::new().fg(Color::Yellow);
    pub const ERROR: Style = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
    pub const FLASH: Style = Style::new().fg(Color::Black).bg(Color::White);
    pub const SELECTED: Style = Style::new().add_modifier(Modifier::REVERSED);
    pub const UNREAD: Style = Style::new().add_modifier(Modifier::BOLD);
    pub const NOTE: Style = Style::new().fg(Color::Yellow);
    pub const NOTE_HEADER: Style = Style::new()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD);
    pub const OUTBOUND: Style = Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD);
    pub const INBOUND: Style = Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD);
    pub const SYSTEM: Style = Style::new()
        .add_modifier(Modifier::DIM)
        .add_modifier(Modifier::ITALIC);
    pub const DELETED: Style = Style::new()
        .add_modifier(Modifier::DIM)
        .add_modifier(Modifier::CROSSED_OUT);
    pub const HIGHLIGHT: Style = Style::new().fg(Color::Black).bg(Color::Cyan);
}

/// Adapts a drawn frame to the configured palette. The styles above are written for a
/// dark background; a light one gets darker text colours, `mono` none at all (what had a
/// background colour, like the selection and badges, is shown in reverse video). Black
/// and white on each other stay as they are: the Signal pairing code must scan.
pub fn apply(buf: &mut ratatui::buffer::Buffer, theme: crate::app::Palette) {
    use crate::app::Palette;
    let bw = |c: Color| matches!(c, Color::Black | Color::White);
    for cell in buf.content.iter_mut() {
        if bw(cell.fg) && bw(cell.bg) {
            continue;
        }
        // A photo in half blocks: its pixels are content, not the UI's colouring.
        if matches!(cell.fg, Color::Rgb(..)) || matches!(cell.bg, Color::Rgb(..)) {
            continue;
        }
        match theme {
            Palette::Dark => {
                // Plain blue and magenta are hard to read on dark palettes.
                cell.fg = match cell.fg {
                    Color::Blue => Color::LightBlue,
                    Color::Magenta => Color::LightMagenta,
                    c => c,
                };
            }
            Palette::Light => {
                cell.fg = match cell.fg {
                    Color::Yellow => Color::Indexed(130),
                    Color::Cyan => Color::Indexed(25),
                    Color::Green => Color::Indexed(28),
                    Color::White => Color::Black,
                    c => c,
                };
            }
            Palette::Mono => {
                if cell.bg != Color::Reset {
                    cell.modifier.insert(Modifier::REVERSED);
                }
                cell.fg = Color::Reset;
                cell.bg = Color::Reset;
                cell.underline_color = Color::Reset;
            }
        }
    }
}
