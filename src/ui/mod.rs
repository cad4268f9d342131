//! Rendering: pure functions from `&App` to a ratatui frame. No state of their own, no IO.

mod conversation;
mod header;
pub mod hyperlink;
mod inbox;
mod overlay;
mod photo;
pub use overlay::help_lines;
pub mod text;
mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, Focus, list_width};
use crate::domain::Health;
use theme::Theme;

/// Draws the whole screen. Any terminal size is accepted; tiny ones get what fits.
pub fn render(frame: &mut Frame<'_>, app: &App) {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    if area.height < 3 || area.width < 20 {
        frame.render_widget(Paragraph::new("tresen"), area);
        return;
    }
    let [title, main, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    render_title(frame, app, title);
    if app.two_panes() {
        let lw = list_width(area.width);
        let [list, sep, conv] = Layout::horizontal([
            Constraint::Length(lw),
            Constraint::Length(1),
            Constraint::Min(1),
        ])
        .areas(main);
        inbox::render(frame, app, list);
        render_separator(frame, sep);
        conversation::render(frame, app, conv);
    } else if app.focus == Focus::Inbox || app.open.is_none() {
        inbox::render(frame, app, main);
    } else {
        conversation::render(frame, app, main);
    }
    render_status(frame, app, status);
    overlay::render(frame, app, main);
    theme::apply(frame.buffer_mut(), app.cfg.theme);
}

fn render_separator(frame: &mut Frame<'_>, area: Rect) {
    let lines: Vec<Line<'_>> = (0..area.height)
        .map(|_| Line::styled("│", Theme::DIM))
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

fn render_title(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let lang = app.lang();
    let unread = app.conversations.iter().filter(|c| c.is_unread()).count();
    let mut filter = vec![app.filter.state.label(lang).to_string()];
    if let Some(ch) = app.filter.channel {
        filter.push(ch.badge().to_string());
    }
    if app.filter.unread_only {
        filter.push(lang.t("ungelesen", "unread").to_string());
    }
    if let Some(l) = &app.filter.label {
        filter.push(format!("#{}", text::clean(l)));
    }
    if app.filter.queue {
        filter.push(
            lang.t(
                "Warteschlange: längste Wartezeit zuerst",
                "queue: longest waiting first",
            )
            .to_string(),
        );
    }
    let mut spans = vec![
        Span::styled(" tresen ", Theme::TITLE),
        Span::raw(" "),
        Span::styled(filter.join(" · "), Theme::ACCENT),
        Span::raw(format!(
            "  {}  {unread} {}",
            lang.count(
                app.visible.len() as u64,
                ("Unterhaltung", "Unterhaltungen"),
                ("conversation", "conversations")
            ),
            lang.t("ungelesen", "unread"),
        )),
    ];
    if let Some(until) = crate::app::when::closed_until(app.now, app.cfg.hours.as_ref()) {
        // In words, not colour alone: staff must not promise a call-back "now".
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            format!(
                " {} {} ",
                lang.t("geschlossen bis", "closed until"),
                crate::domain::hours::short_moment(
                    until,
                    app.now,
                    lang == crate::app::i18n::Lang::De
                )
            ),
            Theme::WARN,
        ));
    }
    if app.cfg.demo {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            lang.t(" DEMO – Beispieldaten ", " DEMO – sample data "),
            Theme::DEMO,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn render_status(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let lang = app.lang();
    let badge = lang.t("GESCHÄFTLICH", "BUSINESS");
    let mut spans = vec![
        Span::styled(format!(" {badge} "), Theme::BUSINESS),
        Span::raw(" "),
    ];
    // The profile's name, unless it only repeats the badge (the default "Geschäftlich").
    let name = text::clean(&app.cfg.profile_name);
    let repeats = ["geschäftlich", "business"].contains(&name.trim().to_lowercase().as_str());
    if !name.trim().is_empty() && !repeats {
        spans.push(Span::styled(text::truncate(&name, 24), Theme::BOLD));
        spans.push(Span::raw(" "));
    }
    match &app.seat {
        crate::app::SeatView::Own => {}
        crate::app::SeatView::Attached { pid } => spans.push(Span::styled(
            format!("⇄ {} {pid} ", lang.t("Dienst PID", "daemon PID")),
            Theme::DIM,
        )),
        crate::app::SeatView::Lost { reason } => spans.push(Span::styled(
            format!(
                "✗ {}: {} ",
                lang.t(
                    "VERBINDUNG ZUM DIENST UNTERBROCHEN – verbinde neu",
                    "CONNECTION TO THE DAEMON LOST – reconnecting"
                ),
                text::truncate(&text::clean(reason), 40)
            ),
            Theme::ERROR,
        )),
    }
    if let Some(p) = &app.archive_problem {
        // Louder than any account: while the archive refuses writes nothing new is
        // stored or sent.
        spans.push(Span::styled(
            format!(
                "✗ {}: {} ",
                lang.t("ARCHIV NICHT BESCHREIBBAR", "ARCHIVE NOT WRITABLE"),
                text::truncate(&text::clean(p), 60)
            ),
            Theme::ERROR,
        ));
    }
    if app.health.is_empty() {
        spans.push(Span::styled(
            lang.t("keine Konten", "no accounts"),
            Theme::DIM,
        ));
    }
    for (account, health) in &app.health {
        let (glyph, style, word) = match health {
            Health::Online => ("●", Theme::OK, lang.t("online", "online").to_string()),
            Health::Connecting => (
                "◌",
                Theme::DIM,
                lang.t("verbinde", "connecting").to_string(),
            ),
            Health::Degraded(d) => (
                "▲",
                Theme::WARN,
                text::clean(&crate::app::reasons::health_reason(d, lang)).into_owned(),
            ),
            Health::Offline(d) => (
                "✗",
                Theme::ERROR,
                text::clean(&crate::app::reasons::health_reason(d, lang)).into_owned(),
            ),
        };
        spans.push(Span::raw(" "));
        spans.push(Span::raw(text::clean(&account.0).into_owned()));
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!("{glyph} {word}"), style));
    }
    if !app.invites.is_empty() {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            format!(
                "✉ {} {} ({})",
                app.invites.len(),
                lang.t("Einladungen", "invites"),
                app.cfg
                    .keymap
                    .label(crate::app::action::Action::Invites, lang)
            ),
            Theme::WARN,
        ));
    }
    let right = match &app.flash {
        Some(f) => Span::styled(format!(" {} ", text::clean(f)), Theme::FLASH),
        None => Span::styled(
            format!(
                " {} {} ",
                app.cfg.keymap.label(crate::app::action::Action::Help, lang),
                lang.t("Hilfe", "help")
            ),
            Theme::DIM,
        ),
    };
    let left = Line::from(spans);
    let right_w = right.width() as u16;
    if area.width > right_w + 10 {
        let [l, r] =
            Layout::horizontal([Constraint::Min(1), Constraint::Length(right_w)]).areas(area);
        frame.render_widget(Paragraph::new(left), l);
        frame.render_widget(Paragraph::new(Line::from(right)), r);
    } else {
        frame.render_widget(Paragraph::new(left), area);
    }
}
