//! The first-contact message (R-C8): short Art. 13 notice, the link to the full one, the
//! consent question and the footer. Pure: no IO.

use super::company::Company;

/// German default. Covers the headings R-C8 names (see [`HEADINGS`]).
pub const DEFAULT_NOTICE: &str = "Guten Tag, vielen Dank für Ihre Nachricht an {{ firma }}.\n\
Datenschutz kurz: Verantwortlich ist {{ firma }}{% if address %}, {{ address }}{% endif %}. \
Zweck und Rechtsgrundlage: Bearbeitung Ihrer Anfrage (Art. 6 Abs. 1 lit. b DSGVO), weitere Nachrichten über diesen Messenger nur mit Ihrer Einwilligung (Art. 6 Abs. 1 lit. a DSGVO). \
Empfänger: der Messenger-Anbieter und ggf. unser Dienstleister für die Anbindung. \
Drittland: Der Messenger-Anbieter kann Daten auch außerhalb der EU verarbeiten. \
Speicherdauer: Geschäftsbriefe bewahren wir 6 Jahre, Buchungsbelege 8 Jahre auf (HGB, AO). \
Ihre Rechte: Auskunft, Berichtigung, Löschung, Einschränkung, Widerspruch; eine Einwilligung können Sie jederzeit widerrufen. \
Beschwerde: bei der Datenschutz-Aufsichtsbehörde.\
{% if info_url %}\nVollständige Informationen: {{ info_url }}{% endif %}";

/// What the notice must speak about, and words that show it does (any one suffices).
pub const HEADINGS: [(&str, &[&str]); 7] = [
    ("controller", &["Verantwortlich", "controller"]),
    (
        "purposes and legal bases",
        &["Rechtsgrundlage", "legal basis"],
    ),
    ("recipients", &["Empfänger", "recipient"]),
    (
        "third-country transfer",
        &["Drittland", "Drittländer", "third countr"],
    ),
    ("retention", &["Speicherdauer", "aufbewahr", "retention"]),
    ("rights incl. withdrawal", &["widerruf", "withdraw"]),
    (
        "supervisory authority",
        &["Aufsichtsbehörde", "supervisory authority"],
    ),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    #[error("first-contact text: {0}")]
    Template(String),
    #[error("the first-contact text says nothing about: {}", .0.join(", "))]
    Missing(Vec<&'static str>),
}

/// The rendered notice and its version (`n-` + 12 hex of its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub version: String,
}

impl Notice {
    pub fn render(template: &str, company: &Company) -> Result<Notice, NoticeError> {
        let template = if template.trim().is_empty() {
            DEFAULT_NOTICE
        } else {
            template
        };
        let c = &company.config;
        let firma = match c.firma.trim() {
            "" => c.owner.trim().to_string(),
            f => f.to_string(),
        };
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        let text = env
            .render_str(
                template,
                minijinja::context! {
                    firma => firma,
                    address => c.address.trim(),
                    info_url => c.info_url.trim(),
                },
            )
            .map_err(|e| NoticeError::Template(e.to_string()))?;
        lint(&text)?;
        let sha = super::sha256_hex(text.as_bytes());
        Ok(Notice {
            version: format!("n-{}", &sha[..12]),
            text,
        })
    }
}

/// Fails when a heading R-C8 requires is missing from the text.
pub fn lint(text: &str) -> Result<(), NoticeError> {
    let lower = text.to_lowercase();
    let missing: Vec<&'static str> = HEADINGS
        .iter()
        .filter(|(_, words)| !words.iter().any(|w| lower.contains(&w.to_lowercase())))
        .map(|(h, _)| *h)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(NoticeError::Missing(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::super::company::{LegalForm, fixtures::valid};
    use super::*;

    #[test]
    fn r_c8_default_notice_passes_the_linter_and_names_the_firm_and_link() {
        let company = valid(LegalForm::Gmbh).validate().unwrap();
        let n = Notice::render("", &company).unwrap();
        assert!(n.text.contains("Muster Haustechnik GmbH"));
        assert!(
            n.text
                .contains("https://muster-haustechnik.de/pflichtangaben")
        );
        assert!(n.version.starts_with("n-"));
    }

    #[test]
    fn r_c8_linter_names_what_a_custom_text_leaves_out() {
        let company = valid(LegalForm::Gmbh).validate().unwrap();
        let e =
            Notice::render("Hallo von {{ firma }}. Verantwortlich: wir.", &company).unwrap_err();
        let NoticeError::Missing(m) = e else {
            panic!("{e}")
        };
        assert!(m.contains(&"supervisory authority"), "{m:?}");
        assert!(!m.contains(&"controller"), "{m:?}");
    }
}
