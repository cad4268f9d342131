//! `tresen man`: the manual pages. clap writes each command's page; tresen(1) gets the
//! keys of the inbox (from the live action table), the environment and the files, and
//! tresen-config(5) is made from docs/config.md, the one description of every setting.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use crate::app::i18n::Lang;

/// The settings as documented; the man page is made from the same text.
const CONFIG_DOC: &str = include_str!("../../docs/config.md");

/// `tresen man`: tresen(1) on stdout, or with `out` every page written there
/// (`tresen.1`, `tresen-send.1`, …, `tresen-config.5`).
pub(crate) fn man(cmd: clap::Command, out: Option<&std::path::Path>) -> Result<ExitCode> {
    let lang = Lang::from_locale_env();
    let Some(dir) = out else {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(&main_page(cmd, lang)?)?;
        return Ok(ExitCode::SUCCESS);
    };
    let created = !dir.exists();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    if created {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    }
    clap_mangen::generate_to(cmd.clone(), dir)
        .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
    std::fs::write(dir.join("tresen.1"), main_page(cmd, lang)?)?;
    std::fs::write(dir.join("tresen-config.5"), config_page())?;
    let pages: Vec<std::path::PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "1" || x == "5"))
        // Only tresen's own: the directory may be a shared one such as man1.
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("tresen"))
        })
        .collect();
    // Man pages are for everyone on the machine; tresen's umask (077) is for its data.
    for page in &pages {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(page, std::fs::Permissions::from_mode(0o644));
    }
    let pages = pages.len();
    match lang {
        Lang::De => crate::outln!("{pages} Handbuchseiten in {}", dir.display()),
        Lang::En => crate::outln!("{pages} man pages in {}", dir.display()),
    }
    Ok(ExitCode::SUCCESS)
}

/// tresen(1): clap's sections, then keys, environment, files and related pages.
fn main_page(cmd: clap::Command, lang: Lang) -> Result<Vec<u8>> {
    // As clap_mangen's generate_to builds it: no `help` subcommand, which has no page.
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut buf)?;
    let mut roff = String::new();
    roff.push_str(&format!(".SH {}\n", lang.t("TASTEN", "KEYS")));
    roff.push_str(&text(lang.t(
        "Im Postfach (tresen ohne Befehl). Belegung änderbar unter [keymap] in der Konfiguration; ? zeigt die geltende.",
        "In the inbox (tresen without a command). Change them under [keymap] in the configuration; ? shows the ones in force.",
    )));
    let keymap = crate::app::keymap::Keymap::new(&Default::default());
    for &action in crate::app::action::Action::ALL {
        let (de, en) = action.description();
        roff.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}",
            escape(&keymap.label(action, lang)),
            text(match lang {
                Lang::De => de,
                Lang::En => en,
            })
        ));
    }
    roff.push_str(&format!(".SH {}\n", lang.t("UMGEBUNG", "ENVIRONMENT")));
    let env: [(&str, &str, &str); 7] = [
        (
            "TRESEN_CONFIG",
            "Die Konfigurationsdatei (statt der im XDG-Verzeichnis).",
            "The configuration file (instead of the one in the XDG directory).",
        ),
        (
            "TRESEN_DATA_DIR",
            "Das Datenverzeichnis: Speicher, Archiv, Anhänge, Protokolle.",
            "The data directory: store, archive, attachments, logs.",
        ),
        (
            "TRESEN_LOG",
            "Wie viel ins Protokoll kommt (error, warn, info, debug).",
            "How much goes into the log (error, warn, info, debug).",
        ),
        (
            "LANG, LC_ALL, LC_MESSAGES",
            "Deutsch unter einer deutschen Locale, sonst Englisch ([ui] language legt es fest).",
            "German under a German locale, else English ([ui] language sets it).",
        ),
        (
            "NO_COLOR",
            "Nicht leer: keine Farben (wie [ui] theme = \"mono\").",
            "Not empty: no colours (as [ui] theme = \"mono\").",
        ),
        (
            "VISUAL, EDITOR",
            "Der Editor für Strg+E, wenn [ui] editor leer ist.",
            "The editor for Ctrl+E when [ui] editor is empty.",
        ),
        (
            "XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_STATE_HOME, XDG_RUNTIME_DIR",
            "Wo Konfiguration, Daten, Protokolle und der Socket des Dienstes liegen.",
            "Where the configuration, the data, the logs and the daemon's socket are.",
        ),
    ];
    tagged(&mut roff, "B", &env, lang);
    roff.push_str(&format!(".SH {}\n", lang.t("DATEIEN", "FILES")));
    let files: [(&str, &str, &str); 4] = [
        (
            "~/.config/tresen/config.toml",
            "Die Konfiguration, siehe tresen-config(5).",
            "The configuration, see tresen-config(5).",
        ),
        (
            "~/.local/share/tresen/",
            "Speicher (SQLCipher), Archiv, Anhänge.",
            "Store (SQLCipher), archive, attachments.",
        ),
        (
            "~/.local/state/tresen/logs/",
            "Die Protokolle (tracing).",
            "The logs (tracing).",
        ),
        (
            "$XDG_RUNTIME_DIR/tresen/tresen.sock",
            "Der Socket von tresen daemon, an den sich Arbeitsplätze hängen.",
            "The socket of tresen daemon that seats attach to.",
        ),
    ];
    tagged(&mut roff, "I", &files, lang);
    roff.push_str(&format!(
        ".SH {}\n{}\n",
        lang.t("SIEHE AUCH", "SEE ALSO"),
        escape("tresen-config(5), tresen-send(1), tresen-daemon(1), tresen-archive(1)")
    ));
    buf.extend_from_slice(roff.as_bytes());
    Ok(buf)
}

/// Tagged paragraphs: each name in `font` (B bold, I italic), its text in `lang`.
fn tagged(roff: &mut String, font: &str, items: &[(&str, &'static str, &'static str)], lang: Lang) {
    for (name, de, en) in items {
        roff.push_str(&format!(
            ".TP\n\\f{font}{}\\fR\n{}",
            escape(name),
            text(lang.t(de, en))
        ));
    }
}

/// tresen-config(5) from docs/config.md: a section per table, a tagged paragraph per
/// documented key (its default beside it), the prose in between as written.
pub fn config_page() -> String {
    let mut roff = String::from(
        ".TH tresen-config 5 \"\" \"tresen\" \"tresen\"\n.SH NAME\ntresen-config \\- the configuration file of tresen\n",
    );
    let mut in_table = false;
    let mut in_code = false;
    for line in CONFIG_DOC.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            roff.push_str(if in_code { ".nf\n" } else { ".fi\n" });
            continue;
        }
        if in_code {
            roff.push_str(&format!("{}\n", escape(line)));
            continue;
        }
        if let Some(h) = line.strip_prefix("# ") {
            roff.push_str(&format!(".SH DESCRIPTION\n{}", text(h)));
        } else if let Some(h) = line
            .strip_prefix("## ")
            .or_else(|| line.strip_prefix("### "))
        {
            roff.push_str(&format!(".SH {}\n", escape(&plain(h))));
            in_table = false;
        } else if line.starts_with('|') {
            // The header row and its underline (`|---|---|`).
            if !in_table || line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')) {
                in_table = true;
                continue;
            }
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            let (key, rest) = cells.split_first().map_or(("", &[][..]), |(k, r)| (*k, r));
            let (default, meaning) = match rest {
                [d, m, ..] => (plain(d), plain(m)),
                [m] => (String::new(), plain(m)),
                [] => (String::new(), String::new()),
            };
            let head = if default.is_empty() || default == "—" {
                format!("\\fB{}\\fR", escape(&plain(key)))
            } else {
                format!("\\fB{}\\fR = {}", escape(&plain(key)), escape(&default))
            };
            roff.push_str(&format!(".TP\n{head}\n{}", text(&meaning)));
        } else if line.trim().is_empty() {
            in_table = false;
            roff.push_str(".PP\n");
        } else if line.starts_with("- ")
            || line
                .split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        {
            // A list item starts its own line.
            roff.push_str(&format!(".br\n{}", text(line)));
        } else {
            roff.push_str(&text(line));
        }
    }
    roff.push_str(".SH SEE ALSO\ntresen(1)\n");
    roff
}

/// Markdown's marks off: code ticks, emphasis, links as "text (address)".
fn plain(s: &str) -> String {
    let mut out = s.replace('`', "").replace("**", "");
    while let (Some(a), Some(m)) = (out.find('['), out.find("](")) {
        let Some(end) = out[m..].find(')').map(|e| m + e) else {
            break;
        };
        if a > m {
            break;
        }
        let label = out[a + 1..m].to_string();
        let url = out[m + 2..end].to_string();
        out.replace_range(a..=end, &format!("{label} ({url})"));
    }
    out
}

/// A line of running text, safe for roff.
fn text(s: &str) -> String {
    format!("{}\n", escape(&plain(s)))
}

/// Backslashes escaped, and a line that starts like a roff request made plain text.
fn escape(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_page_has_every_documented_key() {
        let page = config_page();
        assert!(page.starts_with(".TH tresen-config 5"));
        for key in [
            "default_country",
            "theme",
            "history_page",
            "passphrase_file",
        ] {
            assert!(page.contains(&format!("\\fB{}\\fR", escape(key))), "{key}");
        }
        // Every documented key (a table row that starts with one) has its paragraph.
        let documented = CONFIG_DOC.lines().filter(|l| l.starts_with("| `")).count();
        assert!(page.matches(".TP\n").count() >= documented);
        assert!(!page.contains("```"));
        assert!(!page.contains("\\-\\-\\-|"), "no table underline as a key");
    }
}
