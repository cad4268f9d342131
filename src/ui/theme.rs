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
