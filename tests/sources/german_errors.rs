//! Every error sentence tresen writes has its German form: the sources are read for
//! `#[error("…")]`, `anyhow!("…")`, `bail!("…")` and `.context("…")` texts, each is
//! filled with sample values and put into German, and what comes out must hold no
//! English word. A new English error without German fails here, not at an office desk.

use std::path::Path;

use tresen::app::i18n::Lang;
use tresen::app::reasons::in_lang;

/// Words that give an English sentence away (German shares none of them as a word).
const ENGLISH: &[&str] = &[
    "the",
    "and",
    "is",
    "are",
    "not",
    "no",
    "cannot",
    "with",
    "without",
    "for",
    "from",
    "this",
    "that",
    "has",
    "have",
    "file",
    "files",
    "record",
    "records",
    "message",
    "messages",
    "conversation",
    "account",
    "archive",
    "store",
    "daemon",
    "answered",
    "found",
    "missing",
    "needs",
    "invalid",
    "failed",
    "unknown",
    "expected",
    "already",
    "only",
    "into",
    "must",
    "run",
    "key",
    "than",
    "or",
    "of",
    "to",
    "on",
    "at",
    "it",
    "its",
    "be",
    "by",
    "requires",
    "does",
    "every",
    "need",
];

/// Macros and calls whose first string is a sentence a user reads.
const OPENERS: &[&str] = &[
    "#[error(",
    "anyhow!(",
    "bail!(",
    ".context(",
    "with_context(|| format!(",
    "UsageError(",
    "UsageError(format!(",
    "Declined(format!(",
    "Declined(",
    "Err(format!(",
    "Corrupt(format!(",
    "Unreadable(format!(",
    "Refused(format!(",
    "Passphrase(format!(",
    "Compliance(format!(",
    "Failed(format!(",
    "Account(format!(",
    "Transport(format!(",
    "Systemd(format!(",
    "Attachment(format!(",
    "Lost(format!(",
    "Error::other(format!(",
    "fail(format!(",
    "refuse(format!(",
    "bad(format!(",
    "absent(format!(",
];

/// Where every string with a sentence in it is one a user reads: the configuration's
/// checks, which answer with the file, line and key.
const ALL_STRINGS_IN: &[&str] = &[
    "config/",
    "compliance/company.rs",
    "archive/verify.rs",
    "archive/integrity.rs",
];

/// Texts that are no sentence of tresen's: a passthrough of an inner error, a
/// protocol's own words.
fn passthrough(sample: &str) -> bool {
    let words = sample
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() > 1)
        .count();
    words < 2
}

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs")
            && let Ok(text) = std::fs::read_to_string(&p)
        {
            // Unit tests below `#[cfg(test)]` say what they like.
            let text = match text.find("#[cfg(test)]\nmod tests") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            out.push((p.display().to_string(), text));
        }
    }
}

/// Where each string literal outside comments, attributes and log lines starts (just
/// after its opening quote).
fn literals(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut offset = 0;
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        let code = line.trim_start();
        let skip = !inside
            && (code.starts_with("//") || code.starts_with("#[") || code.contains("tracing::"));
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if inside => i += 1,
                b'"' => {
                    inside = !inside;
                    if inside && !skip {
                        starts.push(offset + i + 1);
                    }
                }
                b'\'' if !inside => {
                    // A char literal such as '"' or '\\'; a lifetime has no closing quote.
                    if bytes.get(i + 2) == Some(&b'\'') {
                        i += 2;
                    } else if bytes.get(i + 1) == Some(&b'\\') && bytes.get(i + 3) == Some(&b'\'') {
                        i += 3;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        offset += line.len();
    }
    starts
}

/// The string literal that starts at `s` (just after its opening quote), unescaped,
/// with `{…}` placeholders filled with `1`.
fn sample(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('\n') => {
                    while chars.peek().is_some_and(|c| c.is_whitespace()) {
                        chars.next();
                    }
                }
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => break,
            },
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                }
                out.push('1');
            }
            other => out.push(other),
        }
    }
    out
}

fn english_words(text: &str) -> Vec<&'static str> {
    // Commands, keys and paths (`tresen archive verify`, archive.anchor_dir, unix:/run)
    // are names, not language.
    let prose: String = text
        .split('`')
        .step_by(2)
        .flat_map(|part| part.split_whitespace())
        .filter(|token| !token.contains(['.', '/', '_', ':', '=', '<', '[', '-']))
        .collect::<Vec<_>>()
        .join(" ");
    let words: Vec<&str> = prose
        .split(|c: char| !c.is_ascii_alphabetic() && c != '\'')
        .collect();
    ENGLISH
        .iter()
        .copied()
        .filter(|w| words.contains(w))
        .collect()
}

#[test]
fn every_error_sentence_reads_german() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut english = Vec::new();
    let mut seen = 0;
    for (path, text) in &files {
        let everything = ALL_STRINGS_IN
            .iter()
            .any(|dir| path.contains(&format!("/src/{dir}")));
        let starts: Vec<usize> = if everything {
            literals(text)
        } else {
            OPENERS
                .iter()
                .flat_map(|o| text.match_indices(o).map(move |(at, _)| at + o.len()))
                .filter_map(|at| {
                    let rest = &text[at..];
                    let skip = rest.len() - rest.trim_start().len();
                    rest[skip..].starts_with('"').then_some(at + skip + 1)
                })
                .collect()
        };
        for at in starts {
            {
                let en = sample(&text[at..]);
                if passthrough(&en) || (everything && en.split_whitespace().count() < 3) {
                    continue;
                }
                // An English text with its German twin written right after it.
                let after: String = text[at..].chars().take(en.chars().count() + 120).collect();
                if after.contains("message_de:") {
                    continue;
                }
                seen += 1;
                let de = in_lang(&en, Lang::De);
                let left = english_words(&de);
                if !left.is_empty() {
                    let line = text[..at].lines().count() + 1;
                    english.push(format!("{path}:{line}: {en:?} -> {de:?} {left:?}"));
                }
            }
        }
    }
    assert!(seen > 100, "the scan found only {seen} sentences");
    assert!(
        english.is_empty(),
        "{} of {seen} sentences stay English:\n{}",
        english.len(),
        english.join("\n")
    );
}

#[test]
fn the_sample_fills_placeholders_and_joins_continued_lines() {
    assert_eq!(
        sample("cannot read {}: {e}\\\n        (see docs)\" rest"),
        "cannot read 1: 1(see docs)"
    );
    assert_eq!(sample("a {{b}} c\""), "a {b} c");
}
