//! Pop-ups over the main area: help, search, jump, labels, quick replies.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::text::{clean, fit, human_size_in, truncate};
use super::theme::Theme;
use crate::app::action::{Action, Context};
use crate::app::i18n::Lang;
use crate::app::input::TextInput;
use crate::app::{App, Overlay};

pub fn render(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let Some(overlay) = &app.overlay else { return };
    let lang = app.lang();
    match overlay {
        Overlay::Help { scroll } => help(frame, app, area, *scroll),
        Overlay::StaffInfo { scroll } => staff_info(frame, app, area, *scroll),
        Overlay::Policy { scroll } => policy(frame, app, area, *scroll),
        Overlay::SearchPrompt { input } => prompt(
            frame,
            area,
            lang.t(" Volltextsuche ", " Full-text search "),
            input,
            None,
        ),
        Overlay::LabelFilter { input } => {
            let offered = label_items(app);
            prompt(
                frame,
                area,
                lang.t(
                    " Nur Label zeigen (leer = alle) · Tab ergänzt ",
                    " Show only label (empty = all) · Tab completes ",
                ),
                input,
                Some((&offered, usize::MAX)),
            )
        }
        Overlay::Labels { input } => {
            let offered = label_items(app);
            prompt(
                frame,
                area,
                lang.t(
                    " Labels, durch Komma getrennt · Tab ergänzt · ein neues wird angelegt ",
                    " Labels, comma separated · Tab completes · a new one is created ",
                ),
                input,
                Some((&offered, usize::MAX)),
            )
        }
        Overlay::ContactName { input } => prompt(
            frame,
            area,
            lang.t(
                " Name berichtigen (Eingabe: speichern; das Archiv behält den alten) ",
                " Correct the name (Enter: save; the archive keeps the old one) ",
            ),
            input,
            None,
        ),
        Overlay::When {
            purpose,
            choices,
            selected,
            input,
        } => {
            let items: Vec<String> = choices.iter().map(|c| c.label.clone()).collect();
            let title = match purpose {
                crate::app::when::WhenFor::Snooze => lang.t(
                    " Zurückstellen bis … (↑↓ wählen oder tippen: „Mo 9:00“, „24.12. 10:00“) ",
                    " Snooze until … (↑↓ to pick, or type: \"Mon 9:00\", \"24.12. 10:00\") ",
                ),
                crate::app::when::WhenFor::Send => lang.t(
                    " Später senden – wann? (↑↓ wählen oder tippen: „Mo 8:00“) ",
                    " Send later – when? (↑↓ to pick, or type: \"Mon 8:00\") ",
                ),
                crate::app::when::WhenFor::FollowUp => lang.t(
                    " Wartet auf Kundschaft – nachfassen am … (↑↓ oder tippen: „Fr 8:00“) ",
                    " Waiting for the customer – follow up on … (↑↓ or type: \"Fri 8:00\") ",
                ),
            };
            prompt(frame, area, title, input, Some((&items, *selected)));
        }
        Overlay::Jump {
            input,
            matches,
            selected,
        } => {
            let items: Vec<String> = matches
                .iter()
                .map(|&i| {
                    let c = &app.conversations[i];
                    let who = c
                        .contact
                        .as_ref()
                        .map_or(c.remote_id.as_str(), |ct| ct.address());
                    format!(
                        "{:<3} {}  {}",
                        c.channel.badge(),
                        clean(&c.title),
                        clean(who)
                    )
                })
                .collect();
            prompt(
                frame,
                area,
                lang.t(" Springen zu … ", " Jump to … "),
                input,
                Some((&items, *selected)),
            );
        }
        Overlay::SearchResults { selected } => {
            let items: Vec<String> = app
                .search
                .hits
                .iter()
                .map(|h| {
                    let when = h.at.to_local().format("%d.%m.%y");
                    let kind = if h.message.is_none() {
                        lang.t("Kontakt", "contact")
                    } else {
                        ""
                    };
                    format!("{when} {} {kind} {}", clean(&h.title), clean(&h.snippet))
                })
                .collect();
            let title = format!(
                " {} „{}“: {} ",
                lang.t("Treffer für", "Results for"),
                clean(&app.search.query),
                app.search.hits.len()
            );
            list(frame, area, &title, &items, *selected);
        }
        Overlay::Link { account } => link(frame, app, area, account),
        Overlay::Invites { selected } => {
            let items: Vec<String> = app
                .invites
                .iter()
                .map(|(account, i)| {
                    format!(
                        "{} – {} {} ({})",
                        clean(&i.title),
                        lang.t("von", "from"),
                        clean(&i.from),
                        clean(&account.0)
                    )
                })
                .collect();
            let title = format!(
                " {} · {} ",
                lang.t("Einladungen", "Invites"),
                lang.t(
                    "Eingabe: als geschäftlich annehmen · x: ignorieren",
                    "Enter: accept as business · x: ignore"
                )
            );
            list(frame, area, &title, &items, *selected);
        }
        Overlay::Attachments { selected } => {
            let items: Vec<String> = app
                .attachments()
                .iter()
                .map(|(m, i)| {
                    let a = &m.attachments[*i];
                    let here = if a.blob.is_some() { "✓" } else { "↓" };
                    format!(
                        "{here} {}  {}  {}  {}",
                        m.sent_at.to_local().format("%d.%m.%y %H:%M"),
                        clean(&a.name),
                        clean(&a.mime),
                        human_size_in(a.size, lang)
                    )
                })
                .collect();
            let title = format!(
                " {} · {} ",
                lang.t("Anhänge", "Attachments"),
                lang.t(
                    "Eingabe: öffnen · s: in Downloads speichern · ↓ wird erst geladen",
                    "Enter: open · s: save to Downloads · ↓ not downloaded yet"
                )
            );
            list(frame, area, &title, &items, *selected);
        }
        Overlay::Restrict { selected, target } => {
            let target = app
                .open_message(*target)
                .map(|m| clean(m.display_body()).chars().take(40).collect::<String>())
                .unwrap_or_default();
            let items: Vec<String> = crate::app::restrict::CHOICES
                .iter()
                .map(|c| crate::app::restrict::label(*c, lang))
                .collect();
            let title = format!(
                " {} „{target}“ ",
                lang.t(
                    "Einschränken (im Archiv, mit Ihrem Namen):",
                    "Restrict (archived, with your name):"
                )
            );
            list(frame, area, &title, &items, *selected);
        }
        Overlay::OrderSteps { selected } => {
            let items: Vec<String> = crate::app::order::STEPS
                .iter()
                .map(|s| s.label(lang).to_string())
                .collect();
            let title = format!(
                " {} ",
                lang.t(
                    "Angebot und Auftrag · Eingabe: eintragen (im Archiv, mit Ihrem Namen)",
                    "Offer and order · Enter: record (in the archive, with your name)"
                )
            );
            list(frame, area, &title, &items, *selected);
        }
        Overlay::Links { selected, links } => {
            let items: Vec<String> = links.iter().map(|l| clean(l).into_owned()).collect();
            let title = format!(
                " {} ",
                lang.t("Link im Browser öffnen", "Open a link in the browser")
            );
            list(frame, area, &title, &items, *selected);
        }
        Overlay::Copy { selected, items } => {
            let items: Vec<String> = items
                .iter()
                .map(|(what, text)| format!("{what}: {}", clean(text)))
                .collect();
            let title = format!(" {} ", lang.t("Kopieren", "Copy"));
            list(frame, area, &title, &items, *selected);
        }
        Overlay::Reactions { selected, target } => {
            let target = app
                .open_message(*target)
                .map(|m| clean(m.display_body()).chars().take(40).collect::<String>())
                .unwrap_or_default();
            let items: Vec<String> = crate::domain::QUICK_REACTIONS
                .iter()
                .map(|k| k.to_string())
                .collect();
            let title = format!(" {} „{target}“ ", lang.t("Reagieren auf", "React to"));
            list(frame, area, &title, &items, *selected);
        }
        Overlay::AnsweredMeanwhile { ago_secs } => {
            let r = popup(area, 64, 6);
            frame.render_widget(Clear, r);
            let ago = match (lang, *ago_secs) {
                (Lang::De, s) if s < 90 => format!("vor {s} s"),
                (Lang::De, s) => format!("vor {} min", s / 60),
                (Lang::En, s) if s < 90 => format!("{s} s ago"),
                (Lang::En, s) => format!("{} min ago", s / 60),
            };
            let text = vec![
                Line::from(match lang {
                    Lang::De => format!("Inzwischen wurde geantwortet ({ago})."),
                    Lang::En => format!("Someone answered meanwhile ({ago})."),
                }),
                Line::from(lang.t("Trotzdem senden?", "Send anyway?")),
                Line::from(""),
                Line::from(lang.t(
                    "j / Eingabe: senden · n / Esc: nicht senden",
                    "y / Enter: send · n / Esc: do not send",
                )),
            ];
            let block = Block::default()
                .borders(Borders::ALL)
                .title(lang.t(" Schon beantwortet ", " Already answered "));
            frame.render_widget(
                Paragraph::new(text)
                    .block(block)
                    .wrap(ratatui::widgets::Wrap { trim: false }),
                r,
            );
        }
        Overlay::AttachPrompt { input, candidates } => prompt(
            frame,
            area,
            lang.t(
                " Datei anhängen: Pfad (~ geht) · Tab ergänzt ",
                " Attach a file: path (~ works) · Tab completes ",
            ),
            input,
            (!candidates.is_empty()).then_some((candidates.as_slice(), usize::MAX)),
        ),
        Overlay::QuickReplies { selected } => {
            let items: Vec<String> = app
                .cfg
                .quick_replies
                .iter()
                .map(|q| format!("{} – {}", clean(&q.name), clean(&q.text)))
                .collect();
            let first_key = |a| app.cfg.keymap.first_label(a, lang);
            use crate::app::action::Action;
            let title = format!(
                " {} · {} {} · {} {} ",
                lang.t("Textbausteine", "Canned responses"),
                first_key(Action::Open),
                lang.t("fügt ein", "inserts"),
                first_key(Action::Back),
                lang.t("schließt", "closes"),
            );
            list(frame, area, &title, &items, *selected);
        }
    }
}

/// Linking a Signal number: the QR code the business phone scans, drawn black on white
/// whatever the terminal's colours (phones read dark-on-light codes best).
fn link(frame: &mut Frame<'_>, app: &App, area: Rect, account: &crate::domain::AccountId) {
    use crate::domain::LinkState;
    use ratatui::style::{Color, Style};
    let lang = app.lang();
    let mut lines: Vec<Line<'_>> = Vec::new();
    let mut width = 64usize;
    match app.links.get(account) {
        None | Some(LinkState::Needed) => {
            lines.push(Line::raw(lang.t(
                "Code wird bei Signal angefordert …",
                "Asking Signal for a code …",
            )));
        }
        Some(LinkState::Waiting { uri }) => {
            lines.push(Line::raw(lang.t(
                "Am Geschäftshandy: Signal → Einstellungen → Gekoppelte Geräte → „+“, dann scannen:",
                "On the business phone: Signal → Settings → Linked devices → \"+\", then scan:",
            )));
            let qr = qrcode::QrCode::new(uri.as_bytes()).ok().map(|code| {
                code.render::<qrcode::render::unicode::Dense1x2>()
                    .quiet_zone(true)
                    .build()
            });
            let rows: Vec<String> = qr
                .as_deref()
                .map(|q| q.lines().map(str::to_string).collect())
                .unwrap_or_default();
            let qr_w = rows.first().map_or(0, |r| r.chars().count());
            let fits = !rows.is_empty()
                && qr_w + 2 <= usize::from(area.width)
                && rows.len() + 6 <= usize::from(area.height);
            if fits {
                width = width.max(qr_w + 4);
                let on_white = Style::default().fg(Color::Black).bg(Color::White);
                for r in rows {
                    lines.push(Line::styled(r, on_white).centered());
                }
            } else {
                lines.push(Line::styled(
                    lang.t(
                        "Das Fenster ist zu klein für den QR-Code: vergrößern, oder `tresen account link signal` im Terminal.",
                        "The window is too small for the QR code: enlarge it, or run `tresen account link signal` in a terminal.",
                    ),
                    Theme::WARN,
                ));
            }
            // The link in pieces of the box's width: it has no spaces to wrap at.
            lines.push(Line::raw(lang.t("Als Text:", "As text:")));
            let inner_w = width.min(usize::from(area.width)).saturating_sub(2).max(1);
            let uri: Vec<char> = clean(uri).chars().collect();
            for piece in uri.chunks(inner_w) {
                lines.push(Line::raw(piece.iter().collect::<String>()));
            }
            lines.push(Line::raw(lang.t(
                "Esc schließt; der Code bleibt gültig, L zeigt ihn wieder.",
                "Esc closes; the code stays valid, L shows it again.",
            )));
        }
        Some(LinkState::Linked { number }) => {
            lines.push(Line::raw(format!(
                "✓ {} {} {}",
                lang.t("Gekoppelt mit", "Linked to"),
                clean(number),
                lang.t(
                    "– Nachrichten kommen ab jetzt an (Signal gibt neuen Geräten keinen Verlauf).",
                    "– messages arrive from now on (Signal gives new devices no history).",
                )
            )));
        }
        Some(LinkState::Failed(reason)) => {
            lines.push(Line::styled(
                format!(
                    "{} {}",
                    lang.t("Koppeln fehlgeschlagen:", "Linking failed:"),
                    clean(&crate::app::reasons::in_lang(reason, lang))
                ),
                Theme::WARN,
            ));
            lines.push(Line::raw(lang.t(
                "Eingabe: neuen Code anfordern · Esc: schließen",
                "Enter: ask for a new code · Esc: close",
            )));
        }
    }
    let w = u16::try_from(width).unwrap_or(u16::MAX).min(area.width);
    let inner_w = usize::from(w.saturating_sub(2)).max(1);
    // Long lines wrap at words: count the rows they take (one spare for a word that
    // moves to the next row), or the last lines would be cut off.
    let rows: usize = lines
        .iter()
        .map(|l| match l.width() {
            w if w <= inner_w => 1,
            w => w.div_ceil(inner_w) + 1,
        })
        .sum();
    let height = u16::try_from(rows + 2).unwrap_or(u16::MAX);
    let r = popup(area, w, height.min(area.height));
    frame.render_widget(Clear, r);
    let title = format!(
        " {} · {} ",
        lang.t("Signal koppeln", "Link Signal"),
        clean(&account.0)
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(truncate(&title, usize::from(r.width.saturating_sub(2))));
    let paragraph = Paragraph::new(lines)
        .block(block)
        .wrap(ratatui::widgets::Wrap { trim: false });
    frame.render_widget(paragraph, r);
}

fn popup(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 3,
        w,
        h,
    )
}

fn list(frame: &mut Frame<'_>, area: Rect, title: &str, items: &[String], selected: usize) {
    let r = popup(
        area,
        area.width.saturating_sub(4).max(10),
        area.height.saturating_sub(2).max(3),
    );
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(truncate(title, usize::from(r.width.saturating_sub(2))));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    draw_items(frame, inner, items, selected);
}

fn draw_items(frame: &mut Frame<'_>, inner: Rect, items: &[String], selected: usize) {
    let h = usize::from(inner.height);
    if h == 0 {
        return;
    }
    // Nothing selected (usize::MAX): the list from its top.
    let offset = if selected < items.len() {
        selected.saturating_sub(h - 1)
    } else {
        0
    };
    let w = usize::from(inner.width);
    let lines: Vec<Line<'_>> = items
        .iter()
        .enumerate()
        .skip(offset)
        .take(h)
        .map(|(i, t)| {
            let s = fit(t, w);
            if i == selected {
                Line::styled(s, Theme::SELECTED)
            } else {
                Line::raw(s)
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn prompt(
    frame: &mut Frame<'_>,
    area: Rect,
    title: &str,
    input: &TextInput,
    items: Option<(&[String], usize)>,
) {
    let height = if items.is_some() {
        area.height.saturating_sub(2).max(3)
    } else {
        3
    };
    let r = popup(area, area.width.saturating_sub(4).max(10), height);
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Theme::ACCENT)
        .title(truncate(title, usize::from(r.width.saturating_sub(2))));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let text = clean(input.text());
    let w = usize::from(inner.width);
    let cursor_x = clean(input.before_cursor()).width();
    // A long entry scrolls so the cursor stays in view; wide characters count double.
    let skip = cursor_x.saturating_sub(w.saturating_sub(1));
    let mut skipped = 0;
    let shown: String = text
        .chars()
        .skip_while(|c| {
            let go = skipped < skip;
            if go {
                skipped += unicode_width::UnicodeWidthChar::width(*c).unwrap_or(0);
            }
            go
        })
        .collect();
    let line_rect = Rect::new(inner.x, inner.y, inner.width, 1);
    frame.render_widget(Paragraph::new(Line::from(Span::raw(shown))), line_rect);
    frame.set_cursor_position(Position::new(
        inner.x + cursor_x.saturating_sub(skipped).min(w.saturating_sub(1)) as u16,
        inner.y,
    ));
    if let Some((items, selected)) = items
        && inner.height > 1
    {
        let rest = Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1);
        draw_items(frame, rest, items, selected);
    }
}

/// The labels in use that fit what is typed; says so when there are none.
fn label_items(app: &App) -> Vec<String> {
    let offered = app.label_suggestions();
    if offered.is_empty() {
        vec![
            app.lang()
                .t("(kein vorhandenes Label passt)", "(no existing label fits)")
                .to_string(),
        ]
    } else {
        offered.iter().map(|l| format!("#{}", clean(l))).collect()
    }
}

/// Help is generated from the action table and the live keymap, so it always tells the
/// truth about the bindings in effect.
pub fn help_lines(app: &App) -> Vec<String> {
    let lang = app.lang();
    let mut out = Vec::new();
    let sections = crate::app::action::HELP_CONTEXTS.map(|ctx| {
        let name = match ctx {
            Context::Inbox => lang.t("Liste", "List"),
            Context::Conversation => lang.t("Unterhaltung", "Conversation"),
            Context::Composer => lang.t("Verfassen", "Composer"),
            Context::Prompt => lang.t("Eingabezeile", "Prompt"),
            Context::Picker | Context::Help => lang.t("Auswahlliste", "Picker"),
        };
        (ctx, name)
    });
    for (ctx, name) in sections {
        out.push(format!("── {name} ──"));
        for &a in Action::ALL {
            if !a.contexts().contains(&ctx) {
                continue;
            }
            let keys = app.cfg.keymap.label(a, lang);
            let keys = if keys.is_empty() {
                lang.t("(nicht belegt)", "(unbound)").to_string()
            } else {
                keys
            };
            let (de, en) = a.description();
            out.push(format!("{keys:>18}  {}", lang_pick(lang, de, en)));
        }
    }
    // Editing keys work the same in every input field; they are not in the keymap.
    out.push(format!(
        "── {} ──",
        lang.t("In jedem Eingabefeld", "In every input field")
    ));
    let chord = |k: &str| {
        k.parse::<crate::app::keymap::KeyChord>()
            .map(|c| c.label_in(lang))
            .unwrap_or_default()
    };
    let editing: [(String, &str); crate::app::action::EDITING_KEYS] = [
        (
            format!("{} / {}", chord("left"), chord("right")),
            lang.t("ein Zeichen zurück / vor", "one character back / on"),
        ),
        (
            format!("{} / {}", chord("ctrl-left"), chord("ctrl-right")),
            lang.t("ein Wort zurück / vor", "one word back / on"),
        ),
        (
            format!("{} / {}", chord("up"), chord("down")),
            lang.t(
                "im Antwortfeld: eine Bildschirmzeile hoch / runter",
                "in the composer: one screen row up / down",
            ),
        ),
        (
            format!("{} / {}", chord("home"), chord("end")),
            lang.t("Zeilenanfang / Zeilenende", "start / end of the line"),
        ),
        (
            format!("{} / {}", chord("ctrl-w"), chord("alt-backspace")),
            lang.t("Wort links löschen", "delete the word to the left"),
        ),
        (
            chord("ctrl-u"),
            lang.t(
                "bis zum Zeilenanfang löschen",
                "delete to the start of the line",
            ),
        ),
        (
            format!("{} / {}", chord("ctrl-z"), chord("ctrl-y")),
            lang.t("rückgängig / wiederholen", "undo / redo"),
        ),
    ];
    for (keys, what) in editing {
        out.push(format!("{keys:>18}  {what}"));
    }
    out.push(format!(
        "── {} ──",
        lang.t("Zeichen auf dem Bildschirm", "Signs on the screen")
    ));
    for (sign_de, sign_en, de, en) in LEGEND {
        let sign = lang_pick(lang, sign_de, sign_en);
        out.push(format!("{sign:>18}  {}", lang_pick(lang, de, en)));
    }
    out.push(String::new());
    out.push(format!(
        "{} {}",
        chord("ctrl-c"),
        lang.t("beendet immer.", "always quits.")
    ));
    out
}

/// What the signs in the conversation list mean (ui::inbox draws them): sign in German
/// and English, then the meaning.
const LEGEND: [(&str, &str, &str, &str); crate::app::action::LEGEND_SIGNS] = [
    (
        "Netz: SIG MX",
        "Net: SIG MX",
        "Signal · Matrix (dieses Konto)",
        "Signal · Matrix (this account)",
    ),
    (
        "Netz: WA TG",
        "Net: WA TG",
        "WhatsApp · Telegram, über eine Brücke nach Matrix",
        "WhatsApp · Telegram, through a bridge into Matrix",
    ),
    (
        "#",
        "#",
        "Spalte der ungelesenen Nachrichten",
        "column of unread messages",
    ),
    (
        "5 Min · 2 Tg",
        "5m · 2d",
        "seit der letzten Nachricht; in der Warteschlange: wie lange die Kundschaft auf uns wartet",
        "since the last message; in the queue: how long the customer has been waiting for us",
    ),
    (
        "‼ DRINGEND",
        "‼ URGENT",
        "eine Regel unter [[urgent]] traf zu; steht oben, bis jemand antwortet oder es erledigt",
        "a rule under [[urgent]] matched; stays on top until someone replies or sets it done",
    ),
    ("●", "●", "offen", "open"),
    (
        "◐",
        "◐",
        "wartet auf die Kundschaft",
        "waiting for the customer",
    ),
    (
        "↻",
        "↻",
        "nachfassen: der Termin (w) ist vorbei, die Kundschaft hat nicht geantwortet",
        "follow up: the date (w) has passed without an answer from the customer",
    ),
    ("z", "z", "zurückgestellt", "snoozed"),
    ("✓", "✓", "erledigt", "done"),
    (
        "3 / •",
        "3 / •",
        "ungelesen (Anzahl) / als ungelesen markiert",
        "unread (count) / marked unread",
    ),
    ("→Name", "→Name", "zugewiesen an", "assigned to"),
    (
        "✎",
        "✎",
        "Entwurf hier, oder: wird an einem anderen Platz gerade beantwortet",
        "a draft here, or: being answered at another seat",
    ),
    (
        "geschlossen bis …",
        "closed until …",
        "außerhalb der Geschäftszeiten ([hours]); Kundschaft bekommt ggf. die Abwesenheitsnotiz",
        "outside business hours ([hours]); customers may get the away reply",
    ),
    (
        "⊘",
        "⊘",
        "eingeschränkt (S): Art. 9 DSGVO oder Daten Dritter, Inhalt nur für die Inhaberin/den Inhaber",
        "restricted (S): Art. 9 GDPR or third parties' data, content for the owner only",
    ),
    (
        "#notdienst",
        "#notdienst",
        "Label der Unterhaltung (im Kopf der Unterhaltung)",
        "the conversation's label (in the conversation's header)",
    ),
    (
        "🏷 gesendet als …",
        "🏷 sent as …",
        "im Eingabefeld: die Antwort geht mit den Schlagworten des Textbausteins (z. B. Angebot, Widerrufsbelehrung)",
        "in the composer: the reply goes with the quick reply's tags (e.g. an offer, the Widerrufsbelehrung)",
    ),
];

fn lang_pick<'a>(lang: Lang, de: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

/// R-D5: what tresen stores about the person at the keyboard, wrapped to the popup.
/// The usage policy, full screen, until it is accepted (R-F1).
fn policy(frame: &mut Frame<'_>, app: &App, area: Rect, scroll: usize) {
    let lang = app.lang();
    let Some(status) = &app.cfg.policy else {
        return;
    };
    frame.render_widget(Clear, area);
    let title = match lang {
        Lang::De => format!(
            " Nutzungsrichtlinie Messenger, Version {} ",
            status.policy.version
        ),
        Lang::En => format!(
            " Messenger usage policy, version {} ",
            status.policy.version
        ),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Theme::ACCENT)
        .title(truncate(&title, usize::from(area.width.saturating_sub(2))));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width.max(1));
    let why = match (&status.accepted, lang) {
        (None, Lang::De) => "Bitte lesen Sie die Richtlinie. Der Posteingang öffnet sich, wenn Sie sie angenommen haben; Ihre Annahme wird mit Version und Zeit archiviert.".to_string(),
        (None, Lang::En) => "Please read the policy. The inbox opens once you have accepted it; your acceptance is archived with its version and time.".to_string(),
        (Some(a), Lang::De) => format!("Die Richtlinie wurde geändert, seit Sie Version {} angenommen haben. Bitte lesen und erneut annehmen.", a.version),
        (Some(a), Lang::En) => format!("The policy changed since you accepted version {}. Please read it and accept it again.", a.version),
    };
    let keys = lang.t(
        "j/k oder ↑/↓ blättern · Leertaste/Bild↓ seitenweise · a annehmen · q beenden",
        "j/k or ↑/↓ scroll · Space/PgDn page · a accept · q quit",
    );
    let height = usize::from(inner.height);
    let mut lines = vec![
        Line::styled(truncate(&clean(&why), width), Theme::ACCENT),
        Line::raw(""),
    ];
    let body = height.saturating_sub(4);
    lines.extend(
        status
            .policy
            .text
            .lines()
            .skip(scroll)
            .take(body)
            .map(|l| Line::raw(truncate(&clean(l), width))),
    );
    while lines.len() + 1 < height {
        lines.push(Line::raw(""));
    }
    let flash = app.flash.as_deref().map(clean).unwrap_or_default();
    lines.push(Line::styled(
        truncate(&format!("{keys}   {flash}"), width),
        Theme::ACCENT,
    ));
    frame.render_widget(Paragraph::new(lines), inner);
}

fn staff_info(frame: &mut Frame<'_>, app: &App, area: Rect, scroll: usize) {
    let lang = app.lang();
    let r = popup(area, 80, area.height.saturating_sub(1).max(3));
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Theme::ACCENT)
        .title(truncate(
            lang.t(
                " Über mich gespeichert (Esc schließt) ",
                " Stored about me (Esc closes) ",
            ),
            usize::from(r.width.saturating_sub(2)),
        ));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let width = usize::from(inner.width.max(1));
    let mut lines = Vec::new();
    for text in &app.cfg.staff_info {
        let mut line = String::new();
        for word in clean(text).split(' ') {
            if !line.is_empty() && line.width() + 1 + word.width() > width {
                lines.push(std::mem::take(&mut line));
                line.push_str("  ");
            } else if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    let lines: Vec<Line<'_>> = lines
        .into_iter()
        .skip(scroll)
        .take(usize::from(inner.height))
        .map(|l| Line::raw(truncate(&l, width)))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn help(frame: &mut Frame<'_>, app: &App, area: Rect, scroll: usize) {
    let lang = app.lang();
    let r = popup(area, 76, area.height.saturating_sub(1).max(3));
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Theme::ACCENT)
        .title(truncate(
            lang.t(" Tasten (Esc schließt) ", " Keys (Esc closes) "),
            usize::from(r.width.saturating_sub(2)),
        ));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let lines: Vec<Line<'_>> = help_lines(app)
        .into_iter()
        .skip(scroll)
        .take(usize::from(inner.height))
        .map(|l| Line::raw(truncate(&l, usize::from(inner.width))))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
