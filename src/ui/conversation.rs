//! One conversation: header, timeline with day separators, composer.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::text::{clean, clean_multiline, fit, human_size_in, truncate, wrap};
use super::theme::Theme;
use crate::app::i18n::Lang;
use crate::app::{App, ComposeMode, Focus};
use crate::domain::{Delivery, Direction, Message, MessageKind};

pub fn render(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let lang = app.lang();
    let Some(open) = &app.open else {
        let hint = lang.t(
            "Eingabe öffnet eine Unterhaltung · ? zeigt alle Tasten",
            "Enter opens a conversation · ? shows every key",
        );
        frame.render_widget(Paragraph::new(Line::styled(hint, Theme::DIM)), area);
        return;
    };
    let head = app
        .conversation(open.id)
        .map(|c| super::header::header_line(app, c));
    // The header wraps rather than cut off what comes last (consent, labels): up to
    // three rows on a narrow pane.
    let head_h = head.as_ref().map_or(1, |l| {
        let w = l.width().max(1);
        w.div_ceil(usize::from(area.width).max(1)).clamp(1, 3) as u16
    });
    let composer_h = composer_height(app, area.height);
    let [header, timeline, composer] = Layout::vertical([
        Constraint::Length(head_h),
        Constraint::Min(0),
        Constraint::Length(composer_h),
    ])
    .areas(area);
    if let Some(line) = head {
        frame.render_widget(
            Paragraph::new(line).wrap(ratatui::widgets::Wrap { trim: true }),
            header,
        );
    }

    render_timeline(frame, app, timeline);
    render_composer(frame, app, composer);
}

/// Lines under a reply that show what is appended to it or why it cannot go out.
fn outgoing_preview(app: &App) -> Vec<Line<'static>> {
    let lang = app.lang();
    let Some(o) = app
        .open_outlook()
        .filter(|_| app.compose_mode == ComposeMode::Reply)
    else {
        return Vec::new();
    };
    if let Some(why) = &o.blocked {
        return vec![Line::styled(format!("⛔ {}", clean(why)), Theme::ERROR)];
    }
    if o.exempt {
        // Said, not left to be noticed: real networks never send without them.
        return vec![Line::styled(
            lang.t(
                "── ohne Pflichtangaben: Demo-Konto ohne Firmendaten ([company]) ──",
                "── without Pflichtangaben: a demo account without company data ([company]) ──",
            ),
            Theme::DIM,
        )];
    }
    let Some(footer) = &o.footer else {
        return Vec::new();
    };
    let mut lines = vec![Line::styled(
        lang.t(
            "── wird mit diesen Pflichtangaben gesendet ──",
            "── goes out with these Pflichtangaben ──",
        ),
        Theme::DIM,
    )];
    lines.extend(
        clean_multiline(footer)
            .split('\n')
            .map(|l| Line::styled(l.to_string(), Theme::DIM)),
    );
    lines
}

fn composer_height(app: &App, total: u16) -> u16 {
    if app.focus == Focus::Composer {
        let rows = app
            .composer
            .rows(usize::from(app.conversation_width()))
            .len();
        let lines = (rows + outgoing_preview(app).len()) as u16;
        (lines + 2).clamp(3, (total / 2).max(3))
    } else {
        1
    }
}

fn render_timeline(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let Some(open) = &app.open else { return };
    if area.height == 0 || area.width == 0 {
        return;
    }
    let lang = app.lang();
    let width = usize::from(area.width);
    let height = usize::from(area.height);
    let contact_name = app
        .conversation(open.id)
        .map(|c| {
            c.contact
                .as_ref()
                .map_or(c.title.clone(), |ct| ct.display_name.clone())
        })
        .unwrap_or_default();
    let retry_key = app
        .cfg
        .keymap
        .label(crate::app::action::Action::Retry, lang);
    let cx = LineContext {
        contact_name: &contact_name,
        width,
        lang,
        retry_key: &retry_key,
        loaded: &open.messages,
        photos: &app.photos,
    };
    let end = open.messages.len().saturating_sub(open.scroll);
    // Build from the newest visible message upwards until the screen is full; below the
    // newest, what is scheduled to go out.
    let mut blocks: Vec<Vec<Line<'_>>> = Vec::new();
    // Per block, its photos and the line each starts at.
    let mut block_photos: Vec<Vec<(usize, crate::preview::Photo)>> = Vec::new();
    let mut used = 0;
    if open.scroll == 0 && !app.scheduled.is_empty() {
        let block = scheduled_lines(app, width);
        used += block.len();
        blocks.push(block);
        block_photos.push(Vec::new());
    }
    let mut i = end;
    while i > 0 && used < height {
        i -= 1;
        let m = &open.messages[i];
        let mut placed = Vec::new();
        let mut block = message_lines(m, &cx, open.highlight == Some(m.id), &mut placed);
        let new_day = i == 0 || day_of(&open.messages[i - 1]) != day_of(m);
        if new_day {
            for (line, _) in &mut placed {
                *line += 1;
            }
            let label = day_label(m, lang);
            let pad = width.saturating_sub(label.width() + 2) / 2;
            block.insert(
                0,
                Line::styled(
                    truncate(
                        &format!("{} {label} {}", "─".repeat(pad), "─".repeat(pad)),
                        width,
                    ),
                    Theme::DIM,
                ),
            );
        }
        used += block.len();
        blocks.push(block);
        block_photos.push(placed);
    }
    if open.messages.is_empty() {
        let t = if open.exhausted {
            lang.t("Noch keine Nachrichten.", "No messages yet.")
        } else {
            lang.t("lädt …", "loading …")
        };
        blocks.push(vec![Line::styled(t, Theme::DIM)]);
    } else if i == 0 && used < height && open.loading_older {
        blocks.push(vec![Line::styled(
            lang.t("lädt ältere …", "loading older …"),
            Theme::DIM,
        )]);
    }
    let mut placed = Vec::new();
    let mut offset = 0;
    for (block, photos) in blocks.iter().zip(&block_photos).rev() {
        placed.extend(photos.iter().map(|(l, p)| (offset + l, p.clone())));
        offset += block.len();
    }
    let mut lines: Vec<Line<'_>> = blocks.into_iter().rev().flatten().collect();
    // Screen row of the first line: bottom-aligned, what does not fit is cut at the top.
    let first_row = i32::from(area.height) - i32::try_from(lines.len()).unwrap_or(i32::MAX);
    if lines.len() > height {
        lines.drain(..lines.len() - height);
    } else {
        let mut padded = vec![Line::raw(""); height - lines.len()];
        padded.append(&mut lines);
        lines = padded;
    }
    frame.render_widget(Paragraph::new(lines), area);
    super::photo::draw(frame, area, first_row, &placed);
    if open.scroll > 0 {
        let more = format!(" ↓ {} {} ", open.scroll, lang.t("neuere", "newer"));
        let w = (more.width() as u16).min(area.width);
        let r = Rect::new(area.x + area.width - w, area.y + area.height - 1, w, 1);
        frame.render_widget(Paragraph::new(Line::styled(more, Theme::FLASH)), r);
    }
}

/// "⏱ geplant für Mo 07.12. 8:00 · Anna: …" — and what did not go out, in words.
fn scheduled_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    use crate::domain::scheduled::ScheduledState;
    let lang = app.lang();
    let german = lang == Lang::De;
    let cancel = app
        .cfg
        .keymap
        .label(crate::app::action::Action::CancelScheduled, lang);
    app.scheduled
        .iter()
        .map(|s| {
            let when = crate::app::when::moment(s.due, app.now, german);
            let (head, hint, style) = match &s.state {
                ScheduledState::Missed => (
                    format!(
                        "✗ {} {when}",
                        lang.t(
                            "NICHT gesendet (zu spät), geplant für",
                            "NOT sent (too late), scheduled for"
                        )
                    ),
                    String::new(),
                    Theme::ERROR,
                ),
                ScheduledState::Refused { reason } => (
                    format!(
                        "✗ {} {when}: {}",
                        lang.t("NICHT gesendet, geplant für", "NOT sent, scheduled for"),
                        clean(&crate::app::reasons::in_lang(reason, lang))
                    ),
                    String::new(),
                    Theme::ERROR,
                ),
                _ => (
                    format!("⏱ {} {when}", lang.t("geplant für", "scheduled for")),
                    format!(" ({cancel}: {})", lang.t("zurückziehen", "withdraw")),
                    Theme::ACCENT,
                ),
            };
            let head = format!("{head} · {}: ", clean(&s.sender));
            // The hint to withdraw stays visible; the text gives way.
            let room = width.saturating_sub(head.width() + hint.width());
            let text = format!("{head}{}{hint}", truncate(&clean(&s.body), room));
            Line::styled(truncate(&text, width), style)
        })
        .collect()
}

fn day_label(m: &Message, lang: Lang) -> String {
    use chrono::Datelike;
    let d = m.sent_at.to_local();
    let names = match lang {
        Lang::De => ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"],
        Lang::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    };
    let wd = names[d.weekday().num_days_from_monday() as usize];
    format!("{wd}, {}", d.format("%d.%m.%Y"))
}

fn day_of(m: &Message) -> chrono::NaiveDate {
    m.sent_at.to_local().date_naive()
}

fn delivery_mark(d: Delivery, lang: Lang, retry_key: &str) -> (String, Style) {
    match d {
        Delivery::Pending => (
            format!("◌ {}", lang.t("wird gesendet", "sending")),
            Theme::DIM,
        ),
        Delivery::Sent => (format!("✓ {}", lang.t("gesendet", "sent")), Theme::DIM),
        Delivery::Delivered => (
            format!("✓✓ {}", lang.t("zugestellt", "delivered")),
            Theme::DIM,
        ),
        Delivery::Read => (format!("✓✓ {}", lang.t("gelesen", "read")), Theme::OK),
        Delivery::Failed => (
            format!(
                "✗ {} ({retry_key}: {})",
                lang.t("NICHT gesendet", "NOT sent"),
                lang.t("erneut senden", "send again")
            ),
            Theme::ERROR,
        ),
        Delivery::Unclear => (
            format!(
                "? {} ({retry_key}: {})",
                lang.t("Zustellung unklar", "delivery unclear"),
                lang.t("nach Rückfrage erneut senden", "send again after checking")
            ),
            Theme::WARN,
        ),
    }
}

struct LineContext<'a> {
    contact_name: &'a str,
    width: usize,
    lang: Lang,
    retry_key: &'a str,
    /// The messages loaded, where a reply finds the one it quotes.
    loaded: &'a [Message],
    photos: &'a crate::app::photos::Photos,
}

/// The lines of one message; the photos among its files go into `placed`, with the
/// line their blank rows start at.
fn message_lines<'a>(
    m: &Message,
    cx: &LineContext<'_>,
    highlight: bool,
    placed: &mut Vec<(usize, crate::preview::Photo)>,
) -> Vec<Line<'a>> {
    let LineContext {
        contact_name,
        width,
        lang,
        retry_key,
        loaded,
        photos,
    } = *cx;
    let time = m.sent_at.to_local().format("%H:%M").to_string();
    let indent = "  ";
    let body_w = width.saturating_sub(indent.len()).max(1);
    let mut lines = Vec::new();
    let mut header: Vec<Span<'a>> = vec![Span::styled(format!("{time} "), Theme::DIM)];
    match m.kind {
        MessageKind::System => {
            let text = format!("{time} — {} —", clean(&m.body));
            for l in wrap(&text, width) {
                lines.push(Line::styled(l, Theme::SYSTEM));
            }
            return lines;
        }
        MessageKind::Note => {
            header.push(Span::styled(
                format!(" {} ", lang.t("INTERNE NOTIZ", "INTERNAL NOTE")),
                Theme::NOTE_HEADER,
            ));
            header.push(Span::styled(format!(" {}", clean(&m.sender)), Theme::NOTE));
            header.push(Span::styled(
                format!(" · {}", lang.t("nie gesendet", "never sent")),
                Theme::DIM,
            ));
        }
        MessageKind::Chat => {
            let (name, style) = match m.direction {
                Direction::Inbound => {
                    let n = if m.sender.is_empty() {
                        contact_name
                    } else {
                        &m.sender
                    };
                    (clean(n).into_owned(), Theme::INBOUND)
                }
                Direction::Outbound => {
                    let who = if m.sender.is_empty() {
                        lang.t("Wir", "Us").to_string()
                    } else {
                        clean(&m.sender).into_owned()
                    };
                    (who, Theme::OUTBOUND)
                }
            };
            header.push(Span::styled(name, style));
            if m.direction == Direction::Outbound {
                let (mark, style) = delivery_mark(m.delivery, lang, retry_key);
                header.push(Span::raw(" "));
                header.push(Span::styled(mark, style));
            }
            if m.elsewhere {
                header.push(Span::styled(
                    format!(
                        " · {}",
                        lang.t(
                            "⚠ von anderem Gerät: ohne Fußzeile und Einwilligungsprüfung",
                            "⚠ from another device: no footer, no consent check",
                        )
                    ),
                    Theme::WARN,
                ));
            }
        }
    }
    if m.edit.is_some() {
        header.push(Span::styled(
            format!(" ({})", lang.t("bearbeitet", "edited")),
            Theme::DIM,
        ));
    }
    if m.deleted_at.is_some() {
        header.push(Span::styled(
            format!(
                " ({})",
                lang.t("vom Absender gelöscht", "deleted by sender")
            ),
            Theme::WARN,
        ));
    }
    let mut header = Line::from(header);
    if highlight {
        header = header.patch_style(Theme::HIGHLIGHT);
    }
    lines.push(header);
    // R-E4: marked content is the owner's; the others see that it is withheld, and why.
    if let Some(s) = m.sensitive {
        let withheld = m.body.is_empty() && m.attachments.is_empty();
        let text = match (lang, withheld) {
            (Lang::De, true) => format!(
                "⊘ eingeschränkt – {}: nur für die Inhaberin oder den Inhaber sichtbar",
                s.describe(true)
            ),
            (Lang::En, true) => format!(
                "⊘ restricted – {}: visible to the owner only",
                s.describe(false)
            ),
            (Lang::De, false) => format!(
                "⊘ eingeschränkt – {}: andere sehen nur diesen Hinweis",
                s.describe(true)
            ),
            (Lang::En, false) => format!(
                "⊘ restricted – {}: others see only this notice",
                s.describe(false)
            ),
        };
        for l in wrap(&text, body_w) {
            lines.push(Line::styled(format!("{indent}{l}"), Theme::WARN));
        }
        if withheld {
            return lines;
        }
    }

    let body_style = match (m.kind, m.deleted_at.is_some()) {
        (_, true) => Theme::DELETED,
        (MessageKind::Note, _) => Theme::NOTE,
        _ => Style::new(),
    };
    let prefix = if m.kind == MessageKind::Note {
        "┃ "
    } else {
        indent
    };
    // A quoted reply says what it answers, above its text.
    if let Some(q) = m.quote {
        let quoted = match loaded.iter().find(|o| o.id == q) {
            Some(o) if o.body.is_empty() && o.sensitive.is_some() => lang
                .t("eingeschränkte Nachricht", "restricted message")
                .to_string(),
            Some(o) => format!("„{}“", clean(o.display_body())),
            None => lang
                .t("eine ältere Nachricht", "an older message")
                .to_string(),
        };
        let text = format!("↪ {} {quoted}", lang.t("Antwort auf", "Reply to"));
        lines.push(Line::styled(
            format!("{indent}{}", truncate(&text, body_w)),
            Theme::DIM,
        ));
    }
    let body = clean_multiline(m.display_body());
    for l in wrap(&body, body_w) {
        let mut spans = vec![Span::styled(prefix.to_string(), body_style)];
        spans.extend(super::text::with_links(l, body_style));
        lines.push(Line::from(spans));
    }
    if matches!(m.delivery, Delivery::Failed | Delivery::Unclear)
        && let Some(why) = &m.failure
    {
        let why = crate::domain::failure_text(why, lang == Lang::De);
        let why = format!("{} {}", lang.t("Grund:", "Why:"), clean(why));
        for l in wrap(&why, body_w) {
            lines.push(Line::styled(format!("{indent}{l}"), Theme::WARN));
        }
    }
    if m.edit.is_some() {
        let orig = format!(
            "{}: {}",
            lang.t("ursprünglich", "originally"),
            clean(&m.body)
        );
        for l in wrap(&orig, body_w) {
            lines.push(Line::styled(format!("{indent}{l}"), Theme::DIM));
        }
    }
    for (index, a) in m.attachments.iter().enumerate() {
        let t = format!(
            "📎 {} ({}, {})",
            clean(&a.name),
            clean(&a.mime),
            human_size_in(a.size, lang)
        );
        lines.push(Line::styled(
            format!("{indent}{}", truncate(&t, body_w)),
            Theme::ACCENT,
        ));
        if let Some(photo) = super::photo::fitting(photos, m.id, index, width) {
            // Blank rows the photo is drawn over.
            lines.extend((0..photo.rows).map(|_| Line::raw("")));
            placed.push((lines.len() - usize::from(photo.rows), photo));
        }
    }
    if !m.reactions.is_empty() {
        lines.push(Line::styled(
            format!("{indent}{}", truncate(&reaction_line(m, lang), body_w)),
            Theme::DIM,
        ));
    }
    lines
}

/// "👍 Max, Sie · ✅ Sie": each emoji once, with who put it there.
fn reaction_line(m: &crate::domain::Message, lang: crate::app::i18n::Lang) -> String {
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    for r in &m.reactions {
        let who = if r.outbound {
            lang.t("Sie", "you").to_string()
        } else if r.sender.is_empty() {
            lang.t("Kunde", "customer").to_string()
        } else {
            clean(&r.sender).into_owned()
        };
        match groups.iter_mut().find(|(k, _)| *k == r.key) {
            Some((_, names)) => names.push(who),
            None => groups.push((&r.key, vec![who])),
        }
    }
    groups
        .iter()
        .map(|(k, names)| format!("{} {}", clean(k), names.join(", ")))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn render_composer(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let lang = app.lang();
    if area.height == 0 || area.width == 0 {
        return;
    }
    if app.focus != Focus::Composer {
        let km = &app.cfg.keymap;
        use crate::app::action::Action;
        let draft = if app.composer.is_empty() {
            String::new()
        } else {
            format!(
                "{} „{}“ · ",
                lang.t("Entwurf", "Draft"),
                clean(app.composer.text())
            )
        };
        let hint = format!(
            "{draft}{} {} · {} {} · {} {} · {} {}",
            km.label(Action::Reply, lang),
            lang.t("antworten", "reply"),
            km.label(Action::Note, lang),
            lang.t("Notiz", "note"),
            km.label(Action::Done, lang),
            lang.t("erledigt", "done"),
            km.label(Action::Back, lang),
            lang.t("zurück", "back"),
        );
        frame.render_widget(
            Paragraph::new(Line::styled(
                fit(&hint, usize::from(area.width)),
                Theme::DIM,
            )),
            area,
        );
        return;
    }
    // The keys as this keymap binds them and the keyboard labels them.
    use crate::app::action::Action;
    let key = |a: Action| app.cfg.keymap.first_label(a, lang);
    let (send, cancel) = (key(Action::Send), key(Action::Cancel));
    let (title, style) = match app.compose_mode {
        ComposeMode::Reply => (
            format!(
                " {} · {send} {} · {} {} · {} {} · {cancel} ",
                lang.t("Antwort", "Reply"),
                lang.t("senden", "send"),
                key(Action::Newline),
                lang.t("neue Zeile", "new line"),
                key(Action::Editor),
                lang.t("Editor", "editor"),
            ),
            Theme::ACCENT,
        ),
        ComposeMode::Note => (
            format!(
                " {} · {send} {} · {cancel} ",
                lang.t(
                    "Interne Notiz – wird NIE gesendet",
                    "Internal note – NEVER sent"
                ),
                lang.t("speichern", "save"),
            ),
            Theme::NOTE,
        ),
    };
    let title = match (&app.quoting, app.compose_mode) {
        (Some((_, preview)), ComposeMode::Reply) => {
            format!(" ↪ „{}“ ·{title}", clean(preview))
        }
        _ => title,
    };
    let title = if app.pending_files.is_empty() || app.compose_mode == ComposeMode::Note {
        title
    } else {
        let names: Vec<String> = app
            .pending_files
            .iter()
            .map(|p| clean(p.rsplit('/').next().unwrap_or(p)).into_owned())
            .collect();
        format!(" 📎 {} ·{title}", names.join(", "))
    };
    // The quick reply's document tags go out with the message: said first in the
    // composer's title, where a long text cannot push it out of sight.
    let (tags, vordruck) = &app.compose_tags;
    let title = if app.compose_mode == ComposeMode::Note || !app.composing_tagged() {
        title
    } else {
        let mut said: Vec<String> = tags.iter().map(|t| clean(t).into_owned()).collect();
        if *vordruck {
            said.push(lang.t("Vordruck", "form (Vordruck)").to_string());
        }
        format!(
            " 🏷 {} {} ·{title}",
            lang.t("gesendet als", "sent as"),
            said.join(", ")
        )
    };
    let block = Block::default()
        .borders(Borders::TOP | Borders::BOTTOM)
        .border_style(style)
        .title(Span::styled(
            truncate(&title, usize::from(area.width)),
            style,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    // The text wraps softly at the pane's width, every character shown: what is on
    // screen is what is sent. It is the user's own but may hold pasted control
    // characters, so each row is cleaned (the wrap counts them as the cleaned width).
    let width = usize::from(inner.width);
    let text = app.composer.text();
    let rows = app.composer.rows(width);
    let (row, col) = app.composer.cursor_in(&rows);
    let first = row.saturating_sub(usize::from(inner.height) - 1);
    let mut lines: Vec<Line<'_>> = rows
        .iter()
        .skip(first)
        .take(usize::from(inner.height))
        .map(|r| Line::raw(clean(&text[r.clone()]).into_owned()))
        .collect();
    // Exactly what goes out: the footer the engine will append, or why it will refuse.
    let room = usize::from(inner.height).saturating_sub(lines.len());
    lines.extend(outgoing_preview(app).into_iter().take(room));
    frame.render_widget(Paragraph::new(lines), inner);
    // Spaces hanging at a row's end may reach past the edge: the cursor stays inside.
    let x = (col as u16).min(inner.width.saturating_sub(1));
    let y = (row - first) as u16;
    if y < inner.height {
        frame.set_cursor_position(Position::new(inner.x + x, inner.y + y));
    }
}
