//! The first-contact message (R-C8), in two layers: a short first layer (who writes,
//! why, the consent question, where the rest is) that goes before the footer, and the
//! full Art. 13 notice a customer gets by answering the privacy keyword
//! (`DATENSCHUTZ`) or reads at `info_url`. Pure: no IO.

use super::company::Company;

/// German default of the first layer: who, why, where the rest is. The consent question
/// follows it.
pub const DEFAULT_FIRST_LAYER: &str = "Guten Tag, vielen Dank für Ihre Nachricht an {{ firma }}. \
Wir bearbeiten Ihre Anfrage. \
Datenschutz: {% if info_url %}{{ info_url }} oder {% endif %}{% if keyword %}Antwort {{ keyword }}{% endif %}.";

/// Shorter first layers for when the firm's name and link make the default too long:
/// the link is in the footer anyway, the keyword answers with everything.
const SHORTER_FIRST_LAYERS: [&str; 2] = [
    "Guten Tag, vielen Dank für Ihre Nachricht an {{ firma }}. \
Wir bearbeiten Ihre Anfrage. Datenschutz: Antwort {{ keyword }}.",
    "{{ firma }}: Wir bearbeiten Ihre Anfrage. Datenschutz: Antwort {{ keyword }}.",
];

/// German default of the second layer. Together with the first it covers the headings
/// R-C8 names (see [`HEADINGS`]).
pub const DEFAULT_PRIVACY_TEXT: &str = "Datenschutzhinweise von {{ firma }}: \
Verantwortlich ist {{ firma }}{% if address %}, {{ address }}{% endif %}. \
Zweck und Rechtsgrundlage: Bearbeitung Ihrer Anfrage (Art. 6 Abs. 1 lit. b DSGVO), weitere Nachrichten über diesen Messenger nur mit Ihrer Einwilligung (Art. 6 Abs. 1 lit. a DSGVO). \
Empfänger: {{ recipients }}. \
Drittland: Der Messenger-Anbieter kann Daten auch außerhalb der EU verarbeiten. \
Speicherdauer: Geschäftsbriefe bewahren wir 6 Jahre, Buchungsbelege 8 Jahre auf (HGB, AO). \
Ihre Rechte: Auskunft, Berichtigung, Löschung, Einschränkung, Widerspruch; eine Einwilligung können Sie jederzeit widerrufen. \
Beschwerde: bei der Datenschutz-Aufsichtsbehörde.\
{% if info_url %}\nVollständige Informationen: {{ info_url }}{% endif %}";

/// Who receives the data, when no processor register says more.
pub const DEFAULT_RECIPIENTS: &str =
    "der Messenger-Anbieter und ggf. unser Dienstleister für die Anbindung";

/// The first layer's limit (notice and consent question, before the footer), in
/// characters: a customer reporting an emergency reads this before anything else.
pub const FIRST_LAYER_MAX: usize = 320;

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
    #[error("the first-contact notice (both layers) says nothing about: {}", .0.join(", "))]
    Missing(Vec<&'static str>),
    #[error(
        "the first layer of the first-contact message (text and consent question) has {chars} characters, more than {max}: move details to consent.privacy_text (sent when the customer answers the privacy keyword) or set consent.first_layer_max"
    )]
    TooLong { chars: usize, max: usize },
    #[error(
        "the first layer of the first-contact message does not say where the full notice is: name {{{{ info_url }}}} or {{{{ keyword }}}} in it"
    )]
    NoWayOn,
}

/// What the notice is made of: the templates (empty: the German defaults), the consent
/// question that follows the first layer, the privacy keyword and the recipients.
#[derive(Debug, Clone, Default)]
pub struct NoticeInput<'a> {
    pub first_layer: &'a str,
    pub privacy_text: &'a str,
    pub question: &'a str,
    pub keyword: &'a str,
    pub recipients: &'a str,
    pub max: usize,
}

/// The rendered notice and its version (`n-` + 12 hex of the SHA-256 of both layers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The first layer, sent with the consent question and the footer.
    pub text: String,
    /// The second layer, sent when the customer answers the privacy keyword.
    pub full: String,
    pub version: String,
}

impl Notice {
    pub fn render(input: &NoticeInput, company: &Company) -> Result<Notice, NoticeError> {
        let c = &company.config;
        let firma = match c.firma.trim() {
            "" => c.owner.trim().to_string(),
            f => f.to_string(),
        };
        let recipients = match input.recipients.trim() {
            "" => DEFAULT_RECIPIENTS,
            r => r,
        };
        let keyword = input.keyword.trim();
        let info_url = c.info_url.trim();
        let render = |template: &str| {
            let mut env = minijinja::Environment::new();
            env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
            env.render_str(
                template,
                minijinja::context! {
                    firma => firma.as_str(),
                    address => c.address.trim(),
                    info_url => info_url,
                    keyword => keyword,
                    recipients => recipients,
                },
            )
            .map_err(|e| NoticeError::Template(e.to_string()))
        };
        let own_first = !input.first_layer.trim().is_empty();
        let mut text = render(if own_first {
            input.first_layer
        } else {
            DEFAULT_FIRST_LAYER
        })?;
        let max = if input.max == 0 {
            FIRST_LAYER_MAX
        } else {
            input.max
        };
        let length = |text: &str| text.chars().count() + 2 + input.question.chars().count();
        if !own_first && !keyword.is_empty() {
            for shorter in SHORTER_FIRST_LAYERS {
                if length(&text) <= max {
                    break;
                }
                text = render(shorter)?;
            }
        }
        if length(&text) > max {
            return Err(NoticeError::TooLong {
                chars: length(&text),
                max,
            });
        }
        let points_on = (!info_url.is_empty() && text.contains(info_url))
            || (!keyword.is_empty() && text.contains(keyword));
        if !points_on {
            return Err(NoticeError::NoWayOn);
        }
        let full = render(match input.privacy_text.trim() {
            "" => DEFAULT_PRIVACY_TEXT,
            _ => input.privacy_text,
        })?;
        lint(&format!("{text}\n{full}"))?;
        let sha = super::sha256_hex(format!("{text}\n\n{full}").as_bytes());
        Ok(Notice {
            version: format!("n-{}", &sha[..12]),
            text,
            full,
        })
    }

    /// What the customer reads first: the first layer and the consent question.
    pub fn first_message(&self, question: &str) -> String {
        format!("{}\n\n{question}", self.text)
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
    use super::super::consent::DEFAULT_WORDING;
    use super::*;

    fn input<'a>() -> NoticeInput<'a> {
        NoticeInput {
            question: DEFAULT_WORDING,
            keyword: "DATENSCHUTZ",
            ..Default::default()
        }
    }

    #[test]
    fn r_c8_the_first_layer_is_short_and_says_where_the_rest_is() {
        let company = valid(LegalForm::Gmbh).validate().unwrap();
        let n = Notice::render(&input(), &company).unwrap();
        let first = n.first_message(DEFAULT_WORDING);
        assert!(first.chars().count() <= FIRST_LAYER_MAX, "{first}");
        assert!(first.contains("Muster Haustechnik GmbH"), "{first}");
        assert!(first.contains("Wir bearbeiten Ihre Anfrage"), "{first}");
        assert!(first.contains("DATENSCHUTZ"), "{first}");
        assert!(first.ends_with(DEFAULT_WORDING), "{first}");
        // The second layer carries what Art. 13 asks for.
        assert!(lint(&n.full).is_ok(), "{}", n.full);
        assert!(n.full.contains(DEFAULT_RECIPIENTS), "{}", n.full);
        assert!(n.version.starts_with("n-"));
    }

    #[test]
    fn r_c7_the_full_notice_names_the_recipients_of_the_register() {
        let company = valid(LegalForm::Gmbh).validate().unwrap();
        let n = Notice::render(
            &NoticeInput {
                recipients: "Hetzner Online GmbH (Betreiber des Matrix-Servers, Standort DE)",
                ..input()
            },
            &company,
        )
        .unwrap();
        assert!(
            n.full.contains(
                "Empfänger: Hetzner Online GmbH (Betreiber des Matrix-Servers, Standort DE)."
            ),
            "{}",
            n.full
        );
        assert!(!n.full.contains(DEFAULT_RECIPIENTS), "{}", n.full);
    }

    #[test]
    fn r_c8_a_long_firm_name_drops_the_link_from_the_first_layer_not_the_keyword() {
        let mut c = valid(LegalForm::Gmbh);
        c.firma = format!("{} GmbH", "Heizung Sanitär Klima Lüftung Solar ".repeat(2));
        let company = c.validate().unwrap();
        let n = Notice::render(&input(), &company).unwrap();
        let first = n.first_message(DEFAULT_WORDING);
        assert!(first.chars().count() <= FIRST_LAYER_MAX, "{first}");
        assert!(!first.contains("https://"), "{first}");
        assert!(first.starts_with(&company.config.firma), "{first}");
        assert!(first.contains("Antwort DATENSCHUTZ"), "{first}");
    }

    #[test]
    fn r_c8_a_custom_first_layer_over_the_limit_is_refused_with_its_length() {
        let company = valid(LegalForm::Gmbh).validate().unwrap();
        let long = format!(
            "{{{{ firma }}}}: {} Antwort {{{{ keyword }}}}.",
            "x".repeat(300)
        );
        let e = Notice::render(
            &NoticeInput {
                first_layer: &long,
                ..input()
            },
            &company,
        )
        .unwrap_err();
        assert!(matches!(e, NoticeError::TooLong { max: 320, .. }), "{e}");
        assert!(e.to_string().contains("consent.privacy_text"), "{e}");
        // A first layer that does not say where the rest is.
        let e = Notice::render(
            &NoticeInput {
                first_layer: "Danke, {{ firma }}.",
                ..input()
            },
            &company,
        )
        .unwrap_err();
        assert_eq!(e, NoticeError::NoWayOn);
    }

    #[test]
    fn r_c8_linter_reads_both_layers_and_names_what_they_leave_out() {
        let company = valid(LegalForm::Gmbh).validate().unwrap();
        let e = Notice::render(
            &NoticeInput {
                privacy_text: "Hallo von {{ firma }}. Verantwortlich: wir.",
                ..input()
            },
            &company,
        )
        .unwrap_err();
        let NoticeError::Missing(m) = e else {
            panic!("{e}")
        };
        assert!(m.contains(&"supervisory authority"), "{m:?}");
        assert!(!m.contains(&"controller"), "{m:?}");
        // A heading the first layer covers counts for both.
        let ok = Notice::render(
            &NoticeInput {
                first_layer: "{{ firma }} (verantwortlich) beantwortet Ihre Anfrage. Mehr: Antwort {{ keyword }}.",
                privacy_text: "Rechtsgrundlage, Empfänger, Drittland, Speicherdauer, Widerruf, Aufsichtsbehörde: siehe {{ info_url }}",
                ..input()
            },
            &company,
        );
        assert!(ok.is_ok(), "{ok:?}");
    }
}
