//! The keyring backend against a real Secret Service: gnome-keyring-daemon on a private
//! D-Bus session bus (dbus-run-session), in a throw-away HOME. Needs the Debian packages
//! gnome-keyring and dbus-daemon; the test command in README.md installs them.

mod support;

use std::process::{Command, Output};

use support::*;

fn require(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "{tool} is not installed: this test needs a real Secret Service. \
         Install it with: apt-get install gnome-keyring dbus-daemon"
    );
}

/// Runs `script` in a fresh session bus with gnome-keyring's secret service.
fn session(p: &Profile, unlock: bool, script: &str) -> Output {
    require("dbus-run-session");
    require("gnome-keyring-daemon");
    let home = p.dir.path().join("home");
    let runtime = p.dir.path().join("run");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&runtime).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let start = if unlock {
        "printf test | gnome-keyring-daemon --unlock --components=secrets >/dev/null"
    } else {
        // Running but never unlocked: any access needs a prompt nobody can answer.
        "gnome-keyring-daemon --start --components=secrets >/dev/null"
    };
    let mut cmd = Command::new("timeout");
    cmd.args(["60", "dbus-run-session", "--", "sh", "-c"])
        .arg(format!("{start}; {script}"))
        .env("HOME", &home)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("TRESEN_BIN", env!("CARGO_BIN_EXE_tresen"))
        .env("TRESEN_CONFIG", &p.config)
        .env("TRESEN_DATA_DIR", &p.data)
        .env("LANG", "C")
        .env_remove("DBUS_SESSION_BUS_ADDRESS");
    cmd.output().unwrap()
}

fn keyring_profile() -> Profile {
    let p = Profile::new("");
    std::fs::write(
        &p.config,
        "[secrets]\nbackend = \"keyring\"\n\n[[accounts]]\nid = \"buero\"\nnetwork = \"demo\"\n",
    )
    .unwrap();
    p
}

#[test]
fn key_is_created_in_the_keyring_and_read_back() {
    let p = keyring_profile();
    let out = session(
        &p,
        true,
        r#""$TRESEN_BIN" sync --once && "$TRESEN_BIN" list --json && echo SECOND-OK &&
           secret-tool search --all service tresen 2>/dev/null | grep -c '^attribute.service = tresen' || true"#,
    );
    let so = stdout(&out);
    let se = stderr(&out);
    assert!(out.status.success(), "stdout: {so}\nstderr: {se}");
    assert!(so.contains("synced: 2 new messages"), "{so}");
    assert!(
        so.contains("SECOND-OK") && so.contains("Erika Mustermann"),
        "{so}"
    );
    // No key material on disk next to the store: it lives in the keyring.
    assert!(!p.data.join("key.json").exists());
    assert!(p.data.join("inbox.db").exists());
}

#[test]
fn a_new_keyring_without_our_key_refuses_an_existing_store() {
    let p = keyring_profile();
    let first = session(&p, true, r#""$TRESEN_BIN" sync --once"#);
    assert!(first.status.success(), "{}", stderr(&first));
    // A different session with a fresh HOME is a different, empty keyring.
    std::fs::remove_dir_all(p.dir.path().join("home")).unwrap();
    let out = session(&p, true, r#""$TRESEN_BIN" list; echo "exit=$?""#);
    let so = stdout(&out);
    let se = stderr(&out);
    assert!(so.contains("exit=2"), "{so}{se}");
    assert!(
        se.contains("system keyring has no key for this profile"),
        "{se}"
    );
}

#[test]
fn a_locked_keyring_gives_a_clear_error_fast() {
    let p = keyring_profile();
    let started = std::time::Instant::now();
    let out = session(&p, false, r#""$TRESEN_BIN" sync --once; echo "exit=$?""#);
    let so = stdout(&out);
    let se = stderr(&out);
    assert!(so.contains("exit=2"), "{so}{se}");
    assert!(
        se.contains("keyring is locked") || se.contains("keyring is not available"),
        "{se}"
    );
    assert!(
        started.elapsed().as_secs() < 50,
        "must not hang: {:?}",
        started.elapsed()
    );
    assert!(!p.data.join("inbox.db").exists(), "no store without a key");
}

#[test]
fn no_session_bus_gives_a_clear_error() {
    let p = keyring_profile();
    let out = p
        .cmd()
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", p.dir.path())
        .env("DISPLAY", "")
        .args(["sync", "--once"])
        .output()
        .unwrap();
    let se = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(se.contains("keyring is not available"), "{se}");
    assert!(se.contains("secrets.backend"), "tells the way out: {se}");
}

#[test]
fn systemd_credential_backend_reads_the_credential_directory() {
    let p = Profile::new("");
    std::fs::write(
        &p.config,
        "[secrets]\nbackend = \"systemd\"\n\n[[accounts]]\nid = \"buero\"\nnetwork = \"demo\"\n",
    )
    .unwrap();
    let creds = p.dir.path().join("creds");
    std::fs::create_dir_all(&creds).unwrap();
    let out = p
        .cmd()
        .env("CREDENTIALS_DIRECTORY", &creds)
        .args(["sync", "--once"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read"), "{}", stderr(&out));
    std::fs::write(creds.join("tresen-master-key"), "ab".repeat(32)).unwrap();
    let out = p
        .cmd()
        .env("CREDENTIALS_DIRECTORY", &creds)
        .args(["sync", "--once"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::write(creds.join("tresen-master-key"), "cd".repeat(32)).unwrap();
    let out = p
        .cmd()
        .env("CREDENTIALS_DIRECTORY", &creds)
        .args(["list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be opened with this key"),
        "{}",
        stderr(&out)
    );
}
