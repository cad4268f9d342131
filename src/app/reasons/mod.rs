//! Why something is not as asked — an account not online, an order the engine declined
//! — in the UI language. The engine and the connectors say it in English (the log and
//! the daemon's protocol carry it that way, and a seat may speak another language than
//! the daemon), so the screen and the command line put the sentences tresen itself
//! writes into German here, and the operating system's file and socket errors inside
//! them; any other library's own words stay as they came.

use std::sync::LazyLock;

use regex::Regex;

use super::i18n::Lang;

mod accounts;
mod cli;
mod config;
mod engine;
mod files;
mod store;

/// What a refused send says before its reason.
const NOT_SENT: (&str, &str) = ("refusing to send: ", "nicht gesendet: ");

/// A configuration error: `file:line:column: key `k`: why` (config::ConfigError).
static AT_KEY: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?s)^(.+?): key `([^`]*)`: (.*)$").ok());

/// Catalogues of sentences written as the English text with `{1}`, `{2}` … where
/// something is named (in that order), and the German with the same marks.
const TEMPLATES: &[&[(&str, &str)]] = &[
    store::TEMPLATES,
    accounts::TEMPLATES,
    config::TEMPLATES,
    cli::TEMPLATES,
];

/// Every sentence as a regular expression with its German (`$1` for the first thing
/// named): the engine's first, then the templates, the general file sentences last (the
/// first that matches is taken).
static COMPILED: LazyLock<Vec<(Regex, String)>> = LazyLock::new(|| {
    let regexes = engine::SENTENCES
        .iter()
        .map(|(en, de)| (en.to_string(), de.to_string()));
    let templates = TEMPLATES
        .iter()
        .flat_map(|c| c.iter())
        .map(|(en, de)| (template_regex(en), template_german(de)));
    let general = files::SENTENCES
        .iter()
        .map(|(en, de)| (en.to_string(), de.to_string()));
    regexes
        .chain(templates)
        .chain(general)
        .filter_map(|(en, de)| Regex::new(&en).ok().map(|r| (r, de)))
        .collect()
});

/// All of them at once: one pass over a text finds the first sentence that matches
/// (the status bar asks on every frame while an account is offline).
static SET: LazyLock<Option<regex::RegexSet>> =
    LazyLock::new(|| regex::RegexSet::new(COMPILED.iter().map(|(re, _)| re.as_str())).ok());

/// Builds the catalogue now (≈ 40 ms in a release build, ≈ 0.5 s unoptimised), so that
/// the first reason shown does not wait for it: the inbox calls it on a thread of its
/// own at start.
pub fn warm_up() {
    LazyLock::force(&SET);
}

/// How many sentences the catalogues hold.
#[cfg(test)]
fn catalogued() -> usize {
    engine::SENTENCES.len()
        + TEMPLATES.iter().map(|c| c.len()).sum::<usize>()
        + files::SENTENCES.len()
}

/// `{N}` marks in a template, in the order they come.
fn marks(template: &str) -> Vec<(usize, usize, usize)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = template[from..].find('{').map(|i| from + i) {
        let digits = template[at + 1..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let end = at + 1 + digits;
        if digits > 0 && template[end..].starts_with('}') {
            if let Ok(n) = template[at + 1..end].parse() {
                found.push((at, end + 1, n));
            }
            from = end + 1;
        } else {
            from = at + 1;
        }
    }
    found
}

/// The English template as an anchored expression: literal text, `{N}` any text.
fn template_regex(en: &str) -> String {
    let mut re = String::from("(?s)^");
    let mut last = 0;
    for (start, end, _) in marks(en) {
        re.push_str(&regex::escape(&en[last..start]));
        re.push_str("(.*?)");
        last = end;
    }
    re.push_str(&regex::escape(&en[last..]));
    re.push('$');
    re
}

/// The German template with `$N` for `{N}`.
fn template_german(de: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (start, end, n) in marks(de) {
        out.push_str(&de[last..start]);
        out.push_str(&format!("${n}"));
        last = end;
    }
    out.push_str(&de[last..]);
    out
}

/// An error or refusal in `lang`: German for the sentences tresen writes, unchanged
/// otherwise.
pub fn in_lang(text: &str, lang: Lang) -> String {
    match lang {
        Lang::En => text.to_string(),
        Lang::De => {
            if let Some(why) = text.strip_prefix(NOT_SENT.0) {
                return format!("{}{}", NOT_SENT.1, in_lang(why, lang));
            }
            if let Some(c) = AT_KEY.as_ref().and_then(|re| re.captures(text)) {
                return format!("{}: Schlüssel `{}`: {}", &c[1], &c[2], in_lang(&c[3], lang));
            }
            sentence(text).unwrap_or_else(|| text.to_string())
        }
    }
}

/// `reason` in `lang`: German for the sentences tresen writes, unchanged otherwise.
/// Several reasons joined with "; " (a Matrix account's bridges) are put one by one.
pub fn health_reason(reason: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return reason.to_string();
    }
    if let Some(de) = sentence(reason) {
        return de;
    }
    reason
        .split("; ")
        .map(|part| sentence(part).unwrap_or_else(|| bridge(part)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// An error and its causes (outermost first) in `lang`, joined with ": " as anyhow's
/// `{:#}` joins them. A cause whose text its error already ends with is said once.
pub fn causes_in_lang<I: IntoIterator<Item = String>>(causes: I, lang: Lang) -> String {
    let mut said: Vec<String> = Vec::new();
    for cause in causes {
        if said.last().is_some_and(|outer| outer.ends_with(&cause)) {
            continue;
        }
        said.push(cause);
    }
    said.iter()
        .map(|c| in_lang(c, lang))
        .collect::<Vec<_>>()
        .join(": ")
}

/// The German of the first sentence that matches; what it leaves open (an inner error,
/// a path) is put into German in turn, so `cannot read X: No such file…` reads German
/// to the end.
fn sentence(text: &str) -> Option<String> {
    let (re, de) = match SET.as_ref() {
        Some(set) => &COMPILED[set.matches(text).iter().next()?],
        None => COMPILED.iter().find(|(re, _)| re.is_match(text))?,
    };
    let caps = re.captures(text)?;
    let mut out = String::with_capacity(de.len() + text.len());
    let mut rest = de.as_str();
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let digits = rest[at + 1..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let group = rest[at + 1..at + 1 + digits].parse::<usize>().ok();
        match group.and_then(|g| caps.get(g)) {
            Some(m) => out.push_str(&in_lang(m.as_str(), Lang::De)),
            None => out.push('$'),
        }
        rest = &rest[at + 1 + digits..];
    }
    out.push_str(rest);
    Some(out)
}

/// "whatsapp bridge: …" — the bridge bot's own words stay as the bridge wrote them.
fn bridge(part: &str) -> String {
    match part.split_once(" bridge: ") {
        Some((network, said)) => format!("Bridge {network}: {said}"),
        None => part.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_finds_what_the_sentences_find() {
        let set = SET.as_ref().expect("the catalogue compiles as one set");
        assert_eq!(set.len(), COMPILED.len());
        // The first match wins, as in the catalogue's order: "record 7: x (content)" is
        // the archived outcome, not the general "record {1}: {2}".
        assert_eq!(
            in_lang(
                "record 7: the manifest describes x (manifest_segment)",
                Lang::De
            ),
            "Eintrag 7: das Manifest beschreibt x (manifest_segment)"
        );
    }

    #[test]
    fn every_sentence_compiles() {
        assert_eq!(COMPILED.len(), catalogued());
    }

    #[test]
    fn the_consent_gate_refuses_in_german() {
        use crate::compliance::consent::{Blocked, Purpose};
        for blocked in [
            Blocked::NoConsent(Purpose::ServiceMessaging),
            Blocked::NoConsent(Purpose::Marketing),
            Blocked::Withdrawn {
                purpose: Purpose::Reminders,
                at: crate::domain::Timestamp(1_764_000_000_000),
            },
        ] {
            let en = format!("refusing to send: {}", blocked.explain());
            let de = in_lang(&en, Lang::De);
            assert!(de.starts_with("nicht gesendet: "), "{de}");
            for word in [
                "consented",
                "consent for",
                "this contact",
                "phone",
                "blocked",
                "withdrew",
            ] {
                assert!(!de.contains(word), "{word} in {de}");
            }
        }
    }

    #[test]
    fn every_signal_cli_error_code_reads_german() {
        use crate::connector::signal::frames::RpcError;
        for code in [
            -1, -3, -4, -5, -6, -32600, -32601, -32602, -32603, -32700, 7,
        ] {
            let en = RpcError {
                code,
                message: "x".into(),
            }
            .explain();
            let de = in_lang(&en, Lang::De);
            assert!(de.ends_with("(x)"), "{de}");
            for word in [" the ", " not ", " this ", "request", "error", "Signal's"] {
                assert!(!de.contains(word), "{code}: {word} in {de}");
            }
        }
    }

    #[test]
    fn reasons_read_german_with_the_details_kept() {
        let de = |s: &str| health_reason(s, Lang::De);
        assert_eq!(de("stopped"), "beendet");
        assert_eq!(
            de("sync failed: connection refused (os error 111)"),
            "Abgleich fehlgeschlagen: connection refused (os error 111)"
        );
        assert_eq!(
            de("cannot connect to signal-cli at /run/x.sock: No such file"),
            "keine Verbindung zu signal-cli unter /run/x.sock: No such file"
        );
        assert_eq!(
            de("whatsapp bridge: not logged in; telegram bridge: ok?"),
            "Bridge whatsapp: not logged in; Bridge telegram: ok?"
        );
        assert_eq!(health_reason("stopped", Lang::En), "stopped");
        assert_eq!(
            in_lang("the scheduled message s-3 is cancelled already", Lang::De),
            "die geplante Nachricht s-3 ist schon zurückgezogen"
        );
        assert_eq!(
            in_lang(
                "/etc/tresen.toml:3:1: key `ui.foo`: unknown field `foo`, expected one of `language`, `mouse`",
                Lang::De
            ),
            "/etc/tresen.toml:3:1: Schlüssel `ui.foo`: unbekannter Schlüssel `foo`; möglich sind `language`, `mouse`"
        );
        // Not tresen's sentence: left as it is.
        assert_eq!(de("stoppedx"), "stoppedx");
    }
}
