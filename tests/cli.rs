//! The command line through the binary: sync, list/show --json, send, help, completions.

mod support;

use support::*;

fn synced() -> Profile {
    let p = Profile::with_demo_account();
    let out = p.run(&["sync", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("synced: 3 new messages"),
        "{}",
        stdout(&out)
    );
    p
}

#[test]
fn sync_once_then_list_and_show_as_json() {
    let p = synced();
    // A second sync is idempotent.
    let again = p.run(&["sync", "--once"]);
    assert!(
        stdout(&again).contains("synced: 0 new messages"),
        "{}",
        stdout(&again)
    );

    let out = p.run(&["list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], 1);
    let c = &v["conversations"][0];
    assert_eq!(c["title"], "Erika Mustermann");
    assert_eq!(c["network"], "signal");
    assert_eq!(c["unread"], 2);
    assert_eq!(c["state"], "open");
    assert_eq!(c["contact"]["identity"], "+49 170 5550123");
    assert_eq!(c["last_preview"], "Fehlercode F.28 im Display.");
    // She waits for an answer since her first message (the automatic notice answers
    // nobody): the queue's figure, per conversation.
    let first_sent = {
        let out = p.run(&["show", "+49 170 5550123", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["messages"][0]["sent_at"].as_str().unwrap().to_string()
    };
    assert_eq!(c["waiting_since"], first_sent.as_str());

    // Issue 19, item 5: numbers as staff copy them from caller ID find her too.
    for typed in [
        "01705550123",
        "0170 555 01 23",
        "0170/5550123",
        "+491705550123",
    ] {
        let out = p.run(&["show", typed, "--json"]);
        assert!(out.status.success(), "{typed}: {}", stderr(&out));
    }
    let out = p.run(&["show", "+49 170 5550123", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[0]["body"], "Guten Tag, die Heizung ist kalt.");
    assert_eq!(msgs[0]["direction"], "inbound");
    assert!(msgs[0]["sent_at"].as_str().unwrap().ends_with('Z'));
    // The new contact got tresen's first-contact notice (R-C8), which leaves the
    // conversation unread and its preview the customer's words (checked above).
    let notice = msgs.iter().find(|m| m["direction"] == "outbound").unwrap();
    assert_eq!(notice["sender"], "tresen (automatisch)");
    assert!(
        notice["body"]
            .as_str()
            .unwrap()
            .contains("Antworten Sie mit JA")
    );

    let text = stdout(&p.run(&["list"]));
    assert!(
        text.contains("SIG") && text.contains("Erika Mustermann"),
        "{text}"
    );
}

#[test]
fn send_reports_success_and_failure() {
    let p = synced();
    let out = p.run(&["send", "Erika Mustermann", "Wir kommen morgen um 9."]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    // The scripted network may already have confirmed delivery by the time we look.
    assert!(
        ["sent", "delivered", "read"]
            .iter()
            .any(|d| said.trim().ends_with(d)),
        "{said}"
    );
    let out = p.run(&["send", "1", "#fail bitte"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("NOT sent"), "{}", stderr(&out));
    // The network's reason, not "see the log".
    assert!(
        stderr(&out).contains("the network refused the message"),
        "{}",
        stderr(&out)
    );
    let v: serde_json::Value =
        serde_json::from_slice(&p.run(&["show", "1", "--json"]).stdout).unwrap();
    let d: Vec<&str> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["delivery"].as_str().unwrap())
        .collect();
    // The customer's two, the first-contact notice, and both of ours.
    assert_eq!(d.len(), 5, "both kept");
    assert_ne!(d[3], "failed");
    assert_ne!(d[3], "pending");
    assert_eq!(d[4], "failed", "the failure is visible");
    assert_eq!(
        v["messages"][4]["failure"], "the network refused the message",
        "and why"
    );
    assert!(stdout(&p.run(&["show", "1"])).contains("(not sent: the network refused the message)"));

    let out = p.run(&["send", "Niemand", "hallo"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no conversation `Niemand`"));
}

#[test]
fn sync_without_once_explains() {
    let p = Profile::new("");
    let out = p.run(&["sync"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("tresen daemon"), "{}", stderr(&out));
}

#[test]
fn daemon_without_accounts_refuses() {
    let p = Profile::new("");
    let out = p.run(&["daemon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no accounts configured"));
}

#[test]
fn help_teaches_and_completions_and_man_work() {
    let p = Profile::new("");
    let help = stdout(&p.run(&["--help"]));
    for s in [
        "--demo",
        "sync",
        "daemon",
        "list",
        "show",
        "send",
        "completions",
        "Exit codes",
    ] {
        assert!(help.contains(s), "{s} missing from --help:\n{help}");
    }
    let bash = p.run(&["completions", "bash"]);
    assert!(bash.status.success() && stdout(&bash).contains("_tresen"));
    let man = p.run(&["man"]);
    assert!(man.status.success() && stdout(&man).contains(".TH tresen"));
    let def = p.run(&["config", "default"]);
    assert_eq!(stdout(&def), tresen::config::DEFAULT_TOML);
}

#[test]
fn data_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let p = synced();
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&p.data), 0o700);
    for f in ["inbox.db", "key.json", "tresen.lock"] {
        assert_eq!(mode(&p.data.join(f)), 0o600, "{f}");
    }
    // The passphrase never reaches a log.
    for entry in std::fs::read_dir(p.data.join("logs")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains("correct horse"));
    }
}

/// Issue 14, item 6: `archive get` prints a record as archived: a bidi override in the
/// text is escaped (`\u202e`), not dropped, so the output is exact and terminal-safe.
#[test]
fn archive_get_prints_the_record_exactly_with_control_characters_escaped() {
    let p = synced();
    let body = "Rechnung\u{202e}fdp.exe \u{1b}[2J bezahlt";
    let out = p.run(&["send", "1", body]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut found = None;
    for seq in 1..200 {
        let out = p.run(&["archive", "get", &seq.to_string()]);
        if !out.status.success() {
            break;
        }
        let text = stdout(&out);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        if v["kind"] == "outgoing"
            && v["content"]["body"]
                .as_str()
                .unwrap_or_default()
                .starts_with("Rechnung")
        {
            found = Some((text, v));
        }
    }
    let (text, v) = found.expect("the outgoing record");
    assert_eq!(v["content"]["body"], body, "exactly as archived");
    assert!(
        text.contains("\\u202e") && text.contains("\\u001b"),
        "{text}"
    );
    assert!(
        !text.contains('\u{202e}') && !text.contains('\u{1b}'),
        "{text:?}"
    );
}

/// Issue 14, item 6: output cut off by its reader (`| head`) ends quietly: no "Broken
/// pipe", no panic, exit code 0.
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let p = synced();
    for args in [
        vec!["list", "--json"],
        vec!["list"],
        vec!["show", "1", "--json"],
        vec!["completions", "bash"],
        vec!["man"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = p.cmd().args(&args).stdout(writer).output().unwrap();
        let err = stderr(&out);
        assert!(out.status.success(), "{args:?}: {:?} {err}", out.status);
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

/// Issue 14, item 6: `dsar export` takes the conversation id from `tresen list`, as its
/// help says, and the customer's number.
#[test]
fn dsar_export_finds_the_customer_by_conversation_id_and_by_number() {
    let p = synced();
    for (key, dir) in [("1", "by-id"), ("+49 170 5550123", "by-number")] {
        let dir = p.dir.path().join(dir);
        let out = p.run(&["dsar", "export", key, "--out", dir.to_str().unwrap()]);
        assert!(out.status.success(), "{key}: {}", stderr(&out));
        let mut text = String::new();
        for f in std::fs::read_dir(&dir).unwrap().flatten() {
            text.push_str(&std::fs::read_to_string(f.path()).unwrap_or_default());
        }
        assert!(text.contains("Guten Tag, die Heizung ist kalt."), "{key}");
    }
}

/// Issue 14, item 6: `list`, `show` and `account list` never take the profile lock, so
/// a daemon starting at the same moment never finds the profile "in use". (Taking it
/// would leave the reader's PID in the lock file.)
#[test]
fn readers_never_take_the_profile_lock() {
    let p = synced();
    let lock = p.data.join("tresen.lock");
    std::fs::write(&lock, "4711").unwrap();
    for args in [
        vec!["list"],
        vec!["show", "1"],
        vec!["account", "list"],
        vec!["list", "--json"],
    ] {
        let out = p.run(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_eq!(std::fs::read_to_string(&lock).unwrap(), "4711", "{args:?}");
    }
}

/// Issue 14, item 6: every network the config accepts is documented as usable (the
/// Signal connector is no longer "reserved").
#[test]
fn the_config_documentation_describes_every_network() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/config.md")).unwrap();
    let row = doc
        .lines()
        .find(|l| l.starts_with("| `network` |"))
        .expect("the network row");
    for network in ["\"matrix\"", "\"signal\"", "\"demo\""] {
        assert!(row.contains(network), "{network} missing: {row}");
    }
    assert!(!row.contains("reserved"), "{row}");
}

/// Issue 19, item 9: `send CONV -` reads the text from standard input (a literal "-" was
/// sent before); Windows line breaks arrive as the inbox shows them.
#[test]
fn send_dash_reads_the_text_from_standard_input() {
    use std::io::Write as _;
    let p = Profile::with_demo_account();
    assert!(p.run(&["sync", "--once"]).status.success());
    let mut child = p
        .cmd()
        .args(["send", "1", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Adresse:\r\nHauptstr. 5\r\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value =
        serde_json::from_slice(&p.run(&["show", "1", "--json"]).stdout).unwrap();
    let last = v["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["body"], "Adresse:\nHauptstr. 5", "{last}");
    // Plain `show` indents the second line under the text, not at the margin.
    let text = stdout(&p.run(&["show", "1"]));
    assert!(
        text.contains(&format!("Adresse:\n{:18}Hauptstr. 5", "")),
        "{text}"
    );
}

/// Issue 19, item 9: every page `tresen man` refers to exists once written with --out.
#[test]
fn man_pages_exist_for_every_command_the_page_lists() {
    let p = Profile::with_demo_account();
    let dir = p.dir.path().join("man1");
    // A shared man1 directory: another program's page is left as it is.
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("other.1"), ".TH OTHER 1\n").unwrap();
    std::fs::set_permissions(dir.join("other.1"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = p.run(&["man", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let main = std::fs::read_to_string(dir.join("tresen.1")).unwrap();
    let referenced: Vec<String> = main
        .split("tresen\\-")
        .skip(1)
        .filter_map(|rest| rest.split_once("(1)").map(|(name, _)| name.to_string()))
        .filter(|name| !name.contains(char::is_whitespace))
        .collect();
    assert!(referenced.len() > 10, "{referenced:?}");
    // The inbox's keys, the environment and the files are in tresen(1); the settings
    // have their own page.
    for section in [".SH KEYS", ".SH ENVIRONMENT", ".SH FILES", "NO_COLOR"] {
        assert!(main.contains(section), "{section} missing from tresen(1)");
    }
    let config = std::fs::read_to_string(dir.join("tresen-config.5")).unwrap();
    assert!(config.contains("default_country"), "{config}");
    // tresen's umask keeps its data private; its man pages are for everyone.
    let mode = |f: &str| std::fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("tresen.1"), 0o644);
    assert_eq!(mode("other.1"), 0o600, "another program's page was changed");
    for name in referenced {
        assert!(
            dir.join(format!("tresen-{name}.1")).exists(),
            "tresen-{name}(1) is referenced but missing"
        );
    }
}

// Issue 19 (10): the desktop launcher opens tresen in a terminal, named in German and
// English, and starts the binary this package builds.
#[test]
fn the_desktop_launcher_starts_tresen_in_a_terminal() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/tresen.desktop"
    ))
    .expect("config/tresen.desktop");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("[Desktop Entry]"));
    let keys: std::collections::BTreeMap<&str, &str> = lines
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once('=').expect("key=value"))
        .collect();
    assert_eq!(keys.get("Type"), Some(&"Application"));
    assert_eq!(
        keys.get("Terminal"),
        Some(&"true"),
        "a TUI needs a terminal"
    );
    assert_eq!(keys.get("Exec"), Some(&env!("CARGO_PKG_NAME")));
    assert!(keys.contains_key("GenericName") && keys.contains_key("GenericName[en]"));
    assert!(keys["Categories"].ends_with(';') && keys["Keywords"].ends_with(';'));
}

// Issue 19 (3): under a German locale the command line answers in German — the list's
// headings and states, show's dates, errors and the archive check.
#[test]
fn the_command_line_speaks_german_under_a_german_locale() {
    let p = synced();
    let de = |args: &[&str]| {
        let out = p
            .cmd()
            .env("LANG", "de_DE.UTF-8")
            .args(args)
            .output()
            .unwrap();
        format!("{}{}", stdout(&out), stderr(&out))
    };
    let list = de(&["list"]);
    for word in [
        "NETZ",
        "STATUS",
        "UNGELESEN",
        "KUNDE",
        "LETZTE NACHRICHT",
        "offen",
    ] {
        assert!(list.contains(word), "{word} in:\n{list}");
    }
    assert!(!list.contains("CUSTOMER"), "{list}");
    let show = de(&["show", "1"]);
    assert!(show.contains("(offen)"), "{show}");
    // A German date: 06.12.2026 14:03.
    let dated = show.lines().nth(1).unwrap_or_default();
    assert!(
        dated.as_bytes().get(2) == Some(&b'.') && dated.as_bytes().get(5) == Some(&b'.'),
        "{show}"
    );
    assert!(de(&["show", "Niemand"]).contains("keine Unterhaltung „Niemand“"));
    assert!(de(&["archive", "verify"]).contains("Archiv unversehrt"));
    // Issue 19, item 3: the commands staff use every day, and what the engine declines.
    assert!(de(&["assign", "1", "--none"]).contains("niemandem zugewiesen"));
    let check = de(&["config", "check"]);
    assert!(
        check.contains("Datenverzeichnis") && check.contains("Konten: 1"),
        "{check}"
    );
    let consent = de(&["consent", "show", "1"]);
    assert!(
        consent.contains("keine Einwilligung verzeichnet"),
        "{consent}"
    );
    assert!(!consent.contains("none"), "{consent}");
    let gone = de(&["unschedule", "s-404"]);
    assert!(gone.contains("keine geplante Nachricht s-404"), "{gone}");
    assert!(!gone.contains("refusing to send"), "not a send: {gone}");
    assert!(de(&["attachment", "save", "1/0"]).contains("ist kein Anhang"));
    let plan = de(&["retention", "plan"]);
    assert!(
        plan.contains("Aufbewahrung, Stand") && plan.contains("behalten"),
        "{plan}"
    );
    let accounts = de(&["account", "list"]);
    assert!(!accounts.contains("stopped"), "{accounts}");
    let hold = de(&["hold", "set", "--conversation", "1", "--reason", "Prüfung"]);
    assert!(
        hold.contains("Rechtliche Löschsperre") && hold.contains("für Unterhaltung"),
        "{hold}"
    );
    let holds = de(&["hold", "list"]);
    assert!(holds.contains("gesetzt von"), "{holds}");
    let check = de(&["compliance", "check"]);
    assert!(
        check.contains("FEHLT") && check.contains("secrets.recovery_copy ist leer"),
        "{check}"
    );
    for english in [
        "MISSING",
        "WARNING",
        "is empty",
        "on record",
        "required item",
    ] {
        assert!(!check.contains(english), "{english} in\n{check}");
    }
    // Errors from below the command line (store, archive, the operating system) are put
    // into German cause by cause, and a cause is said once.
    let errors = [
        (vec!["attachment", "save", "1/9"], "Nr. 9 gibt es nicht"),
        (
            vec!["account", "remove", "nix", "--yes"],
            "kein Konto `nix` in der Konfiguration",
        ),
        (
            vec!["archive", "get", "9999"],
            "das Archiv hat keinen Eintrag 9999",
        ),
        (vec!["sync"], "braucht --once"),
        (
            vec!["archive", "verify", "--anchors", "/nicht/da"],
            "Datei oder Verzeichnis nicht gefunden",
        ),
    ];
    for (args, want) in errors {
        let said = de(&args);
        assert!(said.contains(want), "{args:?}: {said}");
        assert!(said.matches("(OS-Fehler").count() <= 1, "{said}");
        for english in [
            " the ", " no ", " not ", "cannot", "exist", "record", "config",
        ] {
            assert!(!said.contains(english), "{args:?}: {english} in {said}");
        }
    }
    let rebuilt = de(&["store", "rebuild", "--yes"]);
    assert!(rebuilt.contains("neu aufgebaut"), "{rebuilt}");
    assert!(!rebuilt.contains("rebuilt"), "{rebuilt}");
}
