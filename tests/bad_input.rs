//! Every way a user can hand tresen bad input, through the binary: a clear message
//! naming what is wrong, exit code 2, and nothing written.

mod support;

use support::*;

fn check_config(name: &str, expected: &[&str]) {
    let path = fixture(&format!("bad_input/{name}.toml"));
    let p = Profile::new("");
    let out = p
        .cmd()
        .args(["config", "check"])
        .arg(&path)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{name}: {err}");
    assert!(
        err.contains(&*path.to_string_lossy()),
        "{name}: names the file: {err}"
    );
    for e in expected {
        assert!(err.contains(e), "{name}: expected {e:?} in {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    // The same file used for real stops before anything is created.
    let out = p
        .cmd()
        .env("TRESEN_CONFIG", &path)
        .args(["list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!p.data.exists(), "{name}: nothing written");
}

#[test]
fn malformed_toml() {
    check_config("malformed_toml", &[":3:9:", "invalid boolean"]);
}

#[test]
fn unknown_key() {
    check_config(
        "unknown_key",
        &[":6:1:", "secrets.bakend", "unknown field", "backend"],
    );
}

// Issue 17: an urgent pattern that does not compile is named with its file, line and
// key at load, before anything runs.
#[test]
fn urgent_pattern() {
    check_config(
        "urgent_pattern",
        &[":9:1:", "urgent[1].patterns", "kein(e? heizung"],
    );
}

// Issue 17: a schedule, Bundesland, closure or away text that cannot be right is named
// with file, line and key at load.
#[test]
fn quiet_hours() {
    check_config(
        "quiet_hours",
        &[":6:1:", "notifications.quiet_hours", "20:00-07:00"],
    );
}

#[test]
fn scheduled_max_late() {
    check_config(
        "scheduled_max_late",
        &[":5:1:", "scheduled.max_late_hours", "1..=168"],
    );
}

#[test]
fn hours_schedule() {
    check_config(
        "hours_schedule",
        &[":7:1:", "hours.wednesday", "16:30-07:00", "across midnight"],
    );
}

#[test]
fn hours_closure() {
    // The line of the bad range itself (the TOML parser's span of the array element).
    check_config(
        "hours_closure",
        &[":9:3:", "hours.closures[1]", "ends before it begins"],
    );
}

#[test]
fn hours_state() {
    check_config("hours_state", &[":6:1:", "hours.state", "Bavaria", "BY"]);
}

#[test]
fn hours_placeholder() {
    check_config(
        "hours_placeholder",
        &[":7:1:", "hours.away_text", "{naechster_tag}", "{oeffnet}"],
    );
}

/// R-C8: the first layer (text and consent question) stays short, or tresen names
/// the key, its length and where the details belong.
#[test]
fn r_c8_first_layer_too_long() {
    check_config(
        "first_layer_too_long",
        &[
            ":12:1:",
            "consent.first_contact_text",
            "characters, more than 320",
            "consent.privacy_text",
        ],
    );
}

/// R-C7: a processor says where it works, and outside the EU/EEA on which ground.
#[test]
fn r_c7_processor_without_location() {
    check_config(
        "processor_without_location",
        &[
            ":5:1:",
            "processors[0].name",
            "Hetzner Online GmbH",
            "has no location",
        ],
    );
}

#[test]
fn r_c7_processor_outside_the_eu_without_a_transfer_ground() {
    check_config(
        "processor_outside_eu",
        &[
            ":10:1:",
            "processors[1].location",
            "Backup Cloud Inc.",
            "transfer_mechanism",
            "adequacy, dpf, scc, bcr",
        ],
    );
}

/// R-C5: a bridge that uploads the business phone's address book is refused.
#[test]
fn r_c5_a_bridge_with_contact_sync_is_refused() {
    check_config(
        "bridge_contact_sync",
        &["accounts[0].bridges", "address book", "R-C5"],
    );
}

/// R-B3: a timestamp authority is reached over http:// and needs a place for anchors.
#[test]
fn r_b3_tsa_url_must_be_http_and_needs_anchor_dir() {
    check_config(
        "tsa_https",
        &[
            ":6:1:",
            "archive.tsa_url",
            "only http://",
            "zeitstempel.dfn.de",
        ],
    );
    check_config(
        "tsa_without_anchor_dir",
        &["archive.tsa_url", "set archive.anchor_dir too"],
    );
}

/// R-B8 (Z1): an auditor sees an audit period, which the config must name.
#[test]
fn r_b8_an_auditor_without_an_audit_period() {
    check_config(
        "auditor_without_period",
        &["staff[0].audit_from", "audit period", "YYYY-MM-DD"],
    );
}

#[test]
fn hooks_timeout() {
    check_config("hooks_timeout", &[":6:1:", "hooks.timeout_secs", "1..=300"]);
}

#[test]
fn wrong_type() {
    check_config(
        "wrong_type",
        &[":5:16:", "ui.history_page", "expected usize"],
    );
}

#[test]
fn bad_enum_value() {
    check_config("bad_enum_value", &[":2:12:", "ui.language", "`de`, `en`"]);
}

#[test]
fn bad_key_binding() {
    check_config(
        "bad_key_binding",
        &[":2:8:", "keymap.next[1]", "invalid key `ctrl-`"],
    );
}

#[test]
fn unknown_action() {
    check_config("unknown_action", &[":2:1:", "keymap.fly", "unknown action"]);
}

#[test]
fn value_out_of_range() {
    check_config(
        "out_of_range",
        &[":3:1:", "ui.history_page", "expected 1..=10000"],
    );
}

#[test]
fn missing_config_file() {
    let p = Profile::new("");
    let out = p
        .cmd()
        .env("TRESEN_CONFIG", p.dir.path().join("nope.toml"))
        .arg("list")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope.toml"), "{}", stderr(&out));
    assert_ne!(out.status.code(), Some(0));
}

#[cfg(unix)]
#[test]
fn data_dir_without_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let p = Profile::new("");
    std::fs::create_dir_all(&p.data).unwrap();
    std::fs::set_permissions(&p.data, std::fs::Permissions::from_mode(0o500)).unwrap();
    let out = p.run(&["list"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("0500") && err.contains("chmod 700"), "{err}");
    assert!(
        std::fs::read_dir(&p.data).unwrap().next().is_none(),
        "nothing written"
    );
}

fn created_profile() -> Profile {
    let p = Profile::with_demo_account();
    let out = p.run(&["sync", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    p
}

#[test]
fn store_opened_with_the_wrong_key() {
    let p = created_profile();
    let other = created_profile();
    // Swap in another profile's key file: the passphrase is right, the key is not.
    std::fs::copy(other.data.join("key.json"), p.data.join("key.json")).unwrap();
    let before = std::fs::read(p.data.join("inbox.db")).unwrap();
    let out = p.run(&["list"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot be opened with this key"), "{err}");
    assert_eq!(
        before,
        std::fs::read(p.data.join("inbox.db")).unwrap(),
        "store untouched"
    );
}

#[test]
fn wrong_passphrase() {
    let p = created_profile();
    std::fs::write(p.dir.path().join("pass"), "wrong\n").unwrap();
    let out = p.run(&["list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("wrong passphrase"),
        "{}",
        stderr(&out)
    );
}

/// Issue 19, item 9: a new profile's key is not wrapped with a 4-character passphrase;
/// nothing is created.
#[test]
fn a_short_passphrase_is_refused_for_a_new_profile() {
    let p = Profile::with_demo_account();
    std::fs::write(p.dir.path().join("pass"), "1234\n").unwrap();
    let out = p.run(&["list"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("at least 12 characters"),
        "{}",
        stderr(&out)
    );
    assert!(!p.data.join("key.json").exists());
    assert!(!p.data.join("inbox.db").exists());
}

#[test]
fn corrupted_store_file() {
    let p = created_profile();
    let db = p.data.join("inbox.db");
    let mut bytes = std::fs::read(&db).unwrap();
    for b in bytes.iter_mut().take(4096) {
        *b = 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();
    let out = p.run(&["list"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is damaged") && err.contains("backup"),
        "{err}"
    );
    assert_eq!(bytes, std::fs::read(&db).unwrap(), "not made worse");
    // Issue 20: the way out the message names works on a store that cannot be opened.
    assert!(err.contains("tresen store rebuild"), "{err}");
    let out = p.run(&["store", "rebuild", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = p.run(&["list", "--json"]);
    assert!(list.status.success(), "{}", stderr(&list));
    assert!(
        stdout(&list).contains("Erika Mustermann"),
        "{}",
        stdout(&list)
    );
    let kept = std::fs::read_dir(&p.data)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("inbox.db.before-rebuild-")
        })
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect::<Vec<_>>();
    assert!(
        kept.contains(&bytes),
        "the damaged store is kept beside the new one"
    );
}

#[test]
fn key_missing_for_an_existing_store() {
    let p = created_profile();
    std::fs::remove_file(p.data.join("key.json")).unwrap();
    let out = p.run(&["list"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("has no key for this profile"), "{err}");
    assert!(
        !p.data.join("key.json").exists(),
        "no new key silently created"
    );
}

#[cfg(unix)]
#[test]
fn profile_already_in_use() {
    let p = created_profile();
    let mut daemon = Daemon(
        p.cmd()
            .arg("daemon")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let daemon = &mut daemon.0;
    // Wait until the daemon holds the lock (it announces itself on stderr).
    let mut err = daemon.stderr.take().unwrap();
    let mut buf = [0u8; 256];
    let n = std::io::Read::read(&mut err, &mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("daemon running"));
    // A second writer that cannot go through the daemon is refused with its PID and
    // told how to proceed ...
    let out = p.run(&["store", "rebuild", "--yes"]);
    let msg = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{msg}");
    assert!(
        msg.contains(&format!("daemon (PID {}) owns this profile", daemon.id())),
        "{msg}"
    );
    assert!(msg.contains("systemctl stop tresen"), "{msg}");
    // ... but reading works beside the daemon, and account list shows its live health.
    let mut listed = String::new();
    for _ in 0..50 {
        let out = p.run(&["account", "list"]);
        assert!(out.status.success(), "{}", stderr(&out));
        listed = stdout(&out);
        if listed.contains("online") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(listed.contains("online (since "), "{listed}");
    assert!(
        listed.contains(&format!("tresen (PID {}) is running", daemon.id())),
        "{listed}"
    );
    let out = p.run(&["list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Erika Mustermann"),
        "{}",
        stdout(&out)
    );
    // SIGTERM stops the daemon cleanly, and the profile is free again.
    unsafe_kill(daemon.id());
    let status = daemon.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(p.run(&["sync", "--once"]).status.success());
    let after = stdout(&p.run(&["account", "list"]));
    assert!(after.contains("no tresen is running"), "{after}");
}

/// Kills the daemon if the test fails half-way, so no process outlives it.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(unix)]
fn unsafe_kill(pid: u32) {
    std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .unwrap();
}

#[test]
fn a_signal_number_not_in_international_format() {
    check_config(
        "signal_number",
        &[":6:", "accounts[0].number", "international format"],
    );
}

#[test]
fn a_signal_cli_endpoint_off_this_machine() {
    check_config(
        "signal_remote_endpoint",
        &[":3:", "signal.endpoint", "no password", "127.0.0.1"],
    );
}

// Issue 19, item 3: under a German locale the error is German, with file, line and key
// as before (the configured language cannot count: the configuration is what failed).
#[test]
fn a_config_error_reads_german_under_a_german_locale() {
    let path = fixture("bad_input/unknown_key.toml");
    let p = Profile::new("");
    let out = p
        .cmd()
        .env("LANG", "de_DE.UTF-8")
        .env("TRESEN_CONFIG", &path)
        .args(["list"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for expected in [
        ":6:1:",
        "Schlüssel `secrets.bakend`",
        "unbekannter Schlüssel",
        "backend",
    ] {
        assert!(err.contains(expected), "{expected:?} in {err}");
    }
    assert!(!err.contains("unknown field"), "{err}");
}
