//! The conversation's header: who it is with, on which network, who answers, its
//! state, protection and consent, and its labels.

use ratatui::text::{Line, Span};

use super::inbox::badge_style;
use super::text::clean;
use super::theme::Theme;
use crate::app::{App, state_label};

/// The conversation's header: network, name, who answers, address, state, protection,
/// consent, typing and labels.
pub fn header_line(app: &App, c: &crate::domain::Conversation) -> Line<'static> {
    let lang = app.lang();
    let mut spans = vec![
        Span::styled(format!("[{}] ", c.channel.badge()), badge_style(c.channel)),
        Span::styled(clean(&c.title).into_owned(), Theme::BOLD),
    ];
    // Right after the name: the one thing in this line that can change while the
    // user is about to write.
    if app.answering.contains(&c.id) {
        spans.push(Span::styled(
            format!(
                " · ✎ {}",
                lang.t("wird gerade beantwortet", "being answered right now")
            ),
            Theme::WARN,
        ));
    }
    if let Some(ct) = &c.contact {
        spans.push(Span::styled(
            format!(" · {}", clean(ct.address())),
            Theme::DIM,
        ));
    }
    spans.push(Span::raw(format!(
        " · {}",
        state_label(c.state.effective(app.now), lang)
    )));
    if let Some(who) = &c.assigned {
        spans.push(Span::styled(format!(" → {}", clean(who)), Theme::ACCENT));
    }
    if let Some((text, style)) = security_badge(c.security, lang) {
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(text, style));
    }
    if let Some((text, style)) = app
        .open_outlook()
        .and_then(|o| consent_badge(o.consent, lang))
    {
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(text, style));
    }
    if let Some(names) = app.typing.get(&c.id).filter(|n| !n.is_empty()) {
        let names: Vec<String> = names.iter().map(|n| clean(n).into_owned()).collect();
        spans.push(Span::styled(
            format!(
                " · ✎ {} {}",
                names.join(", "),
                lang.t("schreibt …", "is typing …")
            ),
            Theme::ACCENT,
        ));
    }
    if !c.labels.is_empty() {
        let labels: Vec<String> = c.labels.iter().map(|l| format!("#{}", clean(l))).collect();
        spans.push(Span::styled(
            format!(" {}", labels.join(" ")),
            Theme::ACCENT,
        ));
    }
    Line::from(spans)
}

/// The header's word on encryption: what protects this chat, and whether the other
/// side was verified. Nothing while the connector has not said.
pub fn security_badge(
    security: crate::domain::Security,
    lang: crate::app::i18n::Lang,
) -> Option<(&'static str, ratatui::style::Style)> {
    use crate::domain::Security;
    Some(match security {
        Security::Unknown => return None,
        Security::Bridged => (lang.t("🔓 über Bridge", "🔓 via bridge"), Theme::DIM),
        Security::Unencrypted => (
            lang.t("🔓 unverschlüsselt", "🔓 not encrypted"),
            Theme::WARN,
        ),
        Security::Encrypted => (
            lang.t(
                "🔒 verschlüsselt, nicht verifiziert",
                "🔒 encrypted, not verified",
            ),
            Theme::ACCENT,
        ),
        Security::Verified => (
            lang.t("🔒 verschlüsselt, verifiziert", "🔒 encrypted, verified"),
            Theme::OK,
        ),
        Security::IdentityChanged => (
            lang.t(
                "⚠ Identität geändert – vor dem Senden prüfen",
                "⚠ identity changed – check before sending",
            ),
            Theme::ERROR,
        ),
    })
}

/// The contact's consent to messenger contact (R-C3), in the header.
pub fn consent_badge(
    consent: crate::compliance::ConsentView,
    lang: crate::app::i18n::Lang,
) -> Option<(&'static str, ratatui::style::Style)> {
    use crate::compliance::ConsentView;
    Some(match consent {
        ConsentView::NotRequired => return None,
        ConsentView::Granted => (lang.t("✓ Einwilligung", "✓ consent"), Theme::OK),
        ConsentView::Pending => (
            lang.t("Einwilligung ausstehend", "consent pending"),
            Theme::WARN,
        ),
        ConsentView::Withdrawn => (
            lang.t("⛔ Einwilligung widerrufen", "⛔ consent withdrawn"),
            Theme::ERROR,
        ),
        ConsentView::Missing => (
            lang.t(
                "⛔ keine Einwilligung – Senden gesperrt",
                "⛔ no consent – sending blocked",
            ),
            Theme::ERROR,
        ),
    })
}
