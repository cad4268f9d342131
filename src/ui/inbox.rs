//! The conversation list.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::{clean, fit};
use super::theme::Theme;
use crate::app::{App, Focus};
use crate::domain::{Channel, Conversation, TriageState};

pub fn render(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let lang = app.lang();
    let width = usize::from(area.width);
    let mut lines = Vec::with_capacity(usize::from(area.height));
    lines.push(Line::styled(
        fit(
            &format!(
                // "#" right-aligned over the unread counts, whatever the first word's length.
                "{:<4}{:>3} {}",
                lang.t("Netz", "Net"),
                "#",
                lang.t("Kunde · letzte Nachricht", "Customer · last message")
            ),
            width,
        ),
        Theme::DIM,
    ));
    if app.visible.is_empty() {
        let msg = if !app.loaded_once {
            lang.t("lädt …", "loading …")
        } else if app.conversations.is_empty() {
            lang.t("Noch keine Unterhaltungen.", "No conversations yet.")
        } else {
            lang.t(
                "Nichts in diesem Filter (x hebt Filter auf).",
                "Nothing in this filter (x clears filters).",
            )
        };
        lines.push(Line::styled(fit(msg, width), Theme::DIM));
    }
    let rows = usize::from(area.height.saturating_sub(1));
    for (pos, &idx) in app
        .visible
        .iter()
        .enumerate()
        .skip(app.list_offset)
        .take(rows)
    {
        let c = &app.conversations[idx];
        let selected = pos == app.selected;
        lines.push(row(app, c, width, selected));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

pub fn badge_style(ch: Channel) -> Style {
    use ratatui::style::Color;
    match ch {
        Channel::Signal => Style::new().fg(Color::Blue),
        Channel::Whatsapp => Style::new().fg(Color::Green),
        Channel::Telegram => Style::new().fg(Color::Cyan),
        Channel::Matrix => Style::new().fg(Color::Magenta),
        Channel::Other => Style::new(),
    }
}

fn row<'a>(app: &App, c: &Conversation, width: usize, selected: bool) -> Line<'a> {
    let state = c.state.effective(app.now);
    let (glyph, gstyle) = match state {
        _ if c.urgent => ("‼", Theme::ERROR),
        _ if c.follow_up_due(app.now) => ("↻", Theme::WARN),
        TriageState::Open => ("●", Theme::WARN),
        TriageState::Waiting | TriageState::FollowUp(_) => ("◐", Theme::DIM),
        TriageState::Snoozed(_) => ("z", Theme::DIM),
        TriageState::Done => ("✓", Theme::OK),
    };
    let unread = if c.unread > 0 {
        format!("{:>3}", c.unread.min(999))
    } else if c.marked_unread {
        "  •".to_string()
    } else {
        "   ".to_string()
    };
    // In the queue: how long the customer has been waiting for us.
    let german = app.lang() == crate::app::i18n::Lang::De;
    let age = match (app.filter.queue, c.waiting_since) {
        (true, Some(since)) => since.age_in(app.now, german),
        _ => c.last_activity.age_in(app.now, german),
    };
    let age_w = if german {
        crate::domain::AGE_WIDTH_DE
    } else {
        3
    };
    // badge(3) + space + unread(3) + space + name + space + preview + space + glyph + space + age
    let around = 3 + 1 + 3 + 1 + 1 + 1 + 1 + 1 + age_w;
    // Name and preview share the rest evenly: a narrow list keeps room for "‼ DRINGEND"
    // in the preview; a wide one gives names their full length and the preview the rest.
    let rest = width.saturating_sub(around);
    let name_w = (rest / 2).clamp(8, 22);
    let preview_w = rest.saturating_sub(name_w);
    let name = clean(&c.title);
    let preview = match app.draft(c.id) {
        Some(d) => format!("✎ {}: {}", app.lang().t("Entwurf", "Draft"), clean(d)).into(),
        None => clean(&c.last_preview),
    };
    // Someone at another seat is answering: said before anything else, never by whom.
    let preview = if app.answering.contains(&c.id) {
        format!(
            "✎ {} · {preview}",
            app.lang().t("wird beantwortet", "being answered")
        )
        .into()
    } else {
        preview
    };
    // Who handles it, ahead of the preview so it survives narrow panes.
    let preview = match &c.assigned {
        Some(who) => format!("→{} · {preview}", clean(who)).into(),
        None => preview,
    };
    let preview = if c.follow_up_due(app.now) {
        format!("↻ {} · {preview}", app.lang().t("nachfassen", "follow up")).into()
    } else {
        preview
    };
    // Said in words first, not by colour alone (NO_COLOR, colour blindness).
    let preview = if c.urgent {
        format!("‼ {} · {preview}", app.lang().t("DRINGEND", "URGENT")).into()
    } else {
        preview
    };
    let base = if c.is_unread() || c.urgent {
        Theme::UNREAD
    } else {
        Style::new()
    };
    let sel = |s: Style| {
        if selected && app.focus == Focus::Inbox {
            s.patch(Theme::SELECTED)
        } else if selected {
            s.patch(Theme::BOLD)
                .patch(Style::new().bg(ratatui::style::Color::DarkGray))
        } else {
            s
        }
    };
    let mut spans = vec![
        Span::styled(fit(c.channel.badge(), 3), sel(badge_style(c.channel))),
        Span::styled(" ", sel(base)),
        Span::styled(unread, sel(base.patch(Theme::ACCENT))),
        Span::styled(" ", sel(base)),
        Span::styled(fit(&name, name_w), sel(base)),
        Span::styled(" ", sel(base)),
        Span::styled(fit(&preview, preview_w), sel(base.patch(Theme::DIM))),
        Span::styled(" ", sel(base)),
        Span::styled(glyph, sel(gstyle)),
        Span::styled(" ", sel(base)),
        Span::styled(format!("{age:>age_w$}"), sel(Theme::DIM)),
    ];
    // Narrow panes drop the age column rather than wrap.
    let total: usize = spans.iter().map(|s| s.width()).sum();
    if total > width {
        spans.truncate(9);
    }
    Line::from(spans)
}
