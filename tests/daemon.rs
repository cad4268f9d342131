//! One engine, many seats, through the binary: a real `tresen daemon` process, commands
//! and inboxes (in tmux) attached to it, the socket spoken to directly for bad input.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::daemon::Daemon;
use support::tmux::Tmux;
use support::*;

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)))
}

/// The login the daemon will see for this test's processes.
fn login() -> String {
    let o = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn messages(p: &Profile) -> Vec<serde_json::Value> {
    let o = p.run(&["show", "1", "--json", "--limit", "500"]);
    assert!(o.status.success(), "{}", stderr(&o));
    json(&o)["messages"].as_array().cloned().unwrap_or_default()
}

#[test]
fn commands_are_seats_of_the_running_daemon() {
    let p = Profile::with_demo_account();
    let mut d = Daemon::start(&p);

    let s = json(&p.run(&["status", "--json"]));
    assert_eq!(s["daemon"], true);
    assert_eq!(s["pid"], d.pid());
    assert!(s["seats"].as_u64().unwrap() >= 1, "{s}");
    assert!(s["accounts"].get("buero").is_some(), "{s}");

    // Before this issue every one of these stopped with "profile in use by PID n".
    let o = p.run(&["send", "1", "Guten Tag, über den Dienst gesendet"]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        ["sent", "delivered", "read"]
            .iter()
            .any(|w| out.trim().ends_with(w)),
        "{out}"
    );
    let sent: Vec<_> = messages(&p)
        .into_iter()
        .filter(|m| {
            m["body"]
                .as_str()
                .is_some_and(|b| b.starts_with("Guten Tag, über den Dienst gesendet"))
        })
        .collect();
    assert_eq!(sent.len(), 1, "sent once, stored once");

    // A file goes up through the socket and comes back down byte for byte.
    let photo = p.dir.path().join("typenschild.png");
    let bytes: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&photo, &bytes).unwrap();
    let o = p
        .cmd()
        .args(["send", "1", "Foto vom Typenschild", "--attach"])
        .arg(&photo)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let id: String = stdout(&o)
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let saved = p.dir.path().join("zurueck.png");
    let o = p
        .cmd()
        .args(["attachment", "save", &format!("{id}/1"), "--out"])
        .arg(&saved)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    assert_eq!(std::fs::read(&saved).unwrap(), bytes);

    let o = p.run(&["assign", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let c = json(&p.run(&["show", "1", "--json"]));
    assert!(
        c["conversation"]["assigned"].as_str().is_some(),
        "assigned through the daemon: {c}"
    );

    // Reading the archive works beside it, and `status` reports the last full check:
    // the daemon's own at its start (R-B4), then one by hand.
    let start = std::time::Instant::now();
    while json(&p.run(&["status", "--json"]))["archive_verified"].is_null() {
        assert!(start.elapsed().as_secs() < 30, "the daemon never verified");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let o = p.run(&["archive", "verify"]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let s = json(&p.run(&["status", "--json"]));
    assert_eq!(s["archive_verified"]["ok"], true, "{s}");
    assert!(
        s["archive_verified"]["records"].as_u64().unwrap() > 0,
        "{s}"
    );

    let o = p.run(&["sync", "--once"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("continuously"), "{}", stdout(&o));

    // Staff record a consent given on the phone while the daemon runs (archive first),
    // and read it back beside it (R-C1).
    let o = p.run(&["consent", "grant", "1", "--method", "verbal"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("consent granted"), "{}", stdout(&o));
    let o = p.run(&["consent", "show", "1", "--json"]);
    let records = json(&o);
    let verbal: Vec<_> = records
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "verbal")
        .collect();
    assert_eq!(verbal.len(), 1, "{records}");
    assert_eq!(verbal[0]["staff"], login(), "{records}");

    // A customer's name corrected through the daemon: under the seat's staff name,
    // archived, read back beside it (R-C12).
    let list = json(&p.run(&["list", "--json"]));
    let direct = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "direct")
        .unwrap_or_else(|| panic!("no direct chat: {list}"))["id"]
        .to_string();
    let o = p.run(&["contact", "correct", &direct, "--name", "Erika Korrekt"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let h = json(&p.run(&["contact", "history", &direct, "--json"]));
    assert_eq!(h["name"], "Erika Korrekt", "{h}");
    assert_eq!(h["versions"][0]["new"], "Erika Korrekt", "{h}");
    assert_eq!(h["versions"][0]["by"], login(), "{h}");

    // The owner sets and releases a hold while the daemon runs (R-B7).
    let o = p.run(&[
        "hold",
        "set",
        "--global",
        "--kind",
        "tax",
        "--reason",
        "Betriebsprüfung 2026",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let holds = json(&p.run(&["hold", "list", "--json"]));
    let holds = holds.as_array().unwrap();
    assert_eq!(holds.len(), 1, "{holds:?}");
    assert_eq!(holds[0]["by"], login());
    let id = holds[0]["id"].as_str().unwrap().to_string();
    let o = p.run(&["hold", "release", &id, "--reason", "Prüfung beendet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("released"), "{}", stdout(&o));
    let o = p.run(&["hold", "release", &id, "--reason", "noch einmal"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        json(&p.run(&["hold", "list", "--json"])),
        serde_json::json!([])
    );

    // The owner seals the open segment through the daemon; the archive still verifies.
    let o = p.run(&["archive", "seal"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("sealed"), "{}", stdout(&o));
    let o = p.run(&["archive", "verify"]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("(1 sealed)"), "{}", stdout(&o));

    // A command that cannot go through the daemon says so, and how to proceed.
    let o = p.run(&["store", "rebuild", "--yes"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("daemon (PID {})", d.pid())),
        "{}",
        stderr(&o)
    );

    // SIGTERM: a clean stop, the socket removed, `status` says none runs.
    d.signal("-TERM");
    assert!(d.wait().success());
    assert!(!p.data.join("tresen.sock").exists());
    assert_eq!(p.run(&["status"]).status.code(), Some(3));
}

#[test]
fn the_os_login_decides_who_sends_and_an_auditor_changes_nothing() {
    let me = login();
    // The auditor's audit runs to today (R-B8, Z1).
    let today = chrono::Local::now().date_naive().to_string();
    let config = |name: &str, role: &str| {
        format!(
            "\n[ui]\nstaff_name = \"Falscher Name\"\n[[accounts]]\nid = \"buero\"\nnetwork = \"demo\"\n[[staff]]\nname = \"{name}\"\nlogin = \"{me}\"\nrole = \"{role}\"\naudit_from = \"2020-01-01\"\naudit_to = \"{today}\"\n[[staff]]\nname = \"Lea Sommer\"\nlogin = \"lea-gibt-es-nicht\"\n"
        )
    };
    let p = Profile::new(&config("Anna Prüfer", "auditor"));
    // As systemd runs it (Type=notify): readiness and reloads are reported.
    let notify_path = p.dir.path().join("notify.sock");
    let notify = std::os::unix::net::UnixDatagram::bind(&notify_path).unwrap();
    notify
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let said = || {
        let mut buf = [0u8; 256];
        let n = notify.recv(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    // A message a colleague sent before (the profile's own engine, no daemon yet).
    let o = p.run(&["sync", "--once"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = p.run(&["send", "1", "Vorher gesendet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = p.run(&["send", "--at", "2030-01-01 08:00", "1", "Frohes neues Jahr"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let colleague = messages(&p)
        .into_iter()
        .find(|m| {
            m["body"]
                .as_str()
                .is_some_and(|b| b.starts_with("Vorher gesendet"))
        })
        .expect("sent")["sender"]
        .as_str()
        .unwrap()
        .to_string();
    let d = Daemon::start_with(&p, &[("NOTIFY_SOCKET", &notify_path)]);
    assert_eq!(said(), "READY=1");

    // R-B8 (Z1), R-C14: an auditor's seat reads, and every change is refused.
    let o = p.run(&["send", "1", "darf nicht raus"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("read-only"), "{}", stderr(&o));
    let o = p.run(&["assign", "1", "Lea Sommer"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("read-only"), "{}", stderr(&o));
    assert!(!messages(&p).iter().any(|m| {
        m["body"]
            .as_str()
            .is_some_and(|b| b.contains("darf nicht raus"))
    }));
    assert!(p.run(&["status"]).status.success());
    // R-D3: an auditor reads who said what for the firm, and that reading is archived.
    let before = archived_kind(&p, "access");
    let o = p.run(&["export", "conversation", "1", "--format", "txt"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("{colleague}:")),
        "{colleague}: {}",
        stdout(&o)
    );
    assert_eq!(archived_kind(&p, "access"), before + 1);

    // SIGHUP reloads [[staff]]: now a staff member, named by the OS login, not by
    // ui.staff_name.
    let file = std::fs::read_to_string(&p.config).unwrap();
    std::fs::write(
        &p.config,
        file.replace("name = \"Anna Prüfer\"", "name = \"Karl Keller\"")
            .replace("role = \"auditor\"", "role = \"staff\"")
            .replace(
                &format!("audit_from = \"2020-01-01\"\naudit_to = \"{today}\"\n"),
                "",
            ),
    )
    .unwrap();
    d.signal("-HUP");
    assert_eq!(said(), "RELOADING=1");
    assert_eq!(said(), "READY=1");
    let start = Instant::now();
    let o = loop {
        let o = p.run(&["send", "1", "jetzt als Mitarbeiter"]);
        if o.status.success() || start.elapsed() > Duration::from_secs(20) {
            break o;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(o.status.success(), "{}", stderr(&o));
    let m = messages(&p)
        .into_iter()
        .find(|m| {
            m["body"]
                .as_str()
                .is_some_and(|b| b.starts_with("jetzt als Mitarbeiter"))
        })
        .expect("sent");
    assert_eq!(m["sender"], "Karl Keller", "{m}");
    // R-D3: a staff member sees their own name and "Team" for everyone else's, and
    // nothing about that reading needs recording.
    let o = p.run(&["export", "conversation", "1", "--format", "txt"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("Karl Keller:"), "{text}");
    assert!(
        text.contains("Team:") && !text.contains(&format!("{colleague}:")),
        "{text}"
    );
    assert_eq!(archived_kind(&p, "access"), before + 1);
    // … and so is a colleague's scheduled message, in what the inbox loads.
    let mut seat = Raw::connect(&p.data.join("tresen.sock"));
    seat.send(HELLO);
    seat.answer(1);
    seat.send(r#"{"jsonrpc":"2.0","id":2,"method":"query","params":{"scheduled":1}}"#);
    let loaded = seat.answer(2).to_string();
    assert!(loaded.contains("Frohes neues Jahr"), "{loaded}");
    assert!(!loaded.contains(&colleague), "{loaded}");
    assert!(loaded.contains("\"Team\""), "{loaded}");
    // R-B2: a label change through the seat is archived under the seat's staff member,
    // not under the daemon's own user.
    let mut seat = Raw::connect(&p.data.join("tresen.sock"));
    seat.send(HELLO);
    seat.answer(1);
    seat.send(r#"{"jsonrpc":"2.0","id":2,"method":"order","params":{"kind":"local","change":{"set_labels":{"conversation":1,"labels":["rechnung"],"by":"Jemand Anderes"}}}}"#);
    let done = seat.answer(2);
    assert!(done.get("error").is_none(), "{done}");
    let seq = *archived_seqs(&p, "classify")
        .last()
        .expect("a classify record");
    let o = p.run(&["archive", "get", &seq.to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Karl Keller"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("Jemand Anderes"), "{}", stdout(&o));
    // Staff may not set holds: the owner's decision (docs/daemon.md).
    let o = p.run(&["hold", "set", "--global", "--reason", "Rechtsstreit"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("only the owner"), "{}", stderr(&o));
    let o = p.run(&["archive", "seal"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("only the owner"), "{}", stderr(&o));
    // Who attached and when is not logged: no presence log (R-D1).
    let mut log = String::new();
    for e in std::fs::read_dir(p.data.join("logs")).unwrap() {
        log.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap_or_default());
    }
    assert!(log.contains("daemon started"), "the daemon's log is there");
    for name in ["Karl Keller", "Anna Prüfer"] {
        assert!(!log.contains(name), "{name} in the log:\n{log}");
    }
}

#[test]
fn a_user_without_a_staff_entry_is_refused() {
    if login() != "root" {
        eprintln!("NOT RUN: needs root to start a client as another user (setpriv); CI runs it");
        return;
    }
    // A directory others may enter, for the socket and the other user's seat.
    let open = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(open.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let socket = open.path().join("tresen").join("tresen.sock");
    let p = Profile::new(&format!(
        "\n[[accounts]]\nid = \"buero\"\nnetwork = \"demo\"\n[[staff]]\nname = \"Max Mustermann\"\nlogin = \"root\"\nrole = \"owner\"\n[daemon]\nsocket = \"{}\"\nsocket_group = \"nogroup\"\n",
        socket.display()
    ));
    let _d = Daemon::start(&p);
    let seat_config = open.path().join("seat.toml");
    std::fs::write(
        &seat_config,
        format!("[daemon]\nsocket = \"{}\"\n", socket.display()),
    )
    .unwrap();
    let seat_data = open.path().join("seat-data");
    std::fs::create_dir(&seat_data).unwrap();
    std::os::unix::fs::chown(&seat_data, Some(65534), Some(65534)).unwrap();
    let o = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_tresen"))
        .arg("status")
        .env("TRESEN_CONFIG", &seat_config)
        .env("TRESEN_DATA_DIR", &seat_data)
        .env("HOME", &seat_data)
        .env("LANG", "C")
        .env_remove("TRESEN_LOG")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}\n{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("`nobody` is not listed under [[staff]]"),
        "{}",
        stderr(&o)
    );
    // The daemon carries on for those who are.
    assert!(p.run(&["status"]).status.success());
}

/// A connection that speaks the protocol by hand.
struct Raw {
    read: BufReader<UnixStream>,
    write: UnixStream,
}

impl Raw {
    fn connect(socket: &Path) -> Raw {
        let s = UnixStream::connect(socket).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Raw {
            read: BufReader::new(s.try_clone().unwrap()),
            write: s,
        }
    }

    fn send(&mut self, line: &str) {
        self.write.write_all(line.as_bytes()).unwrap();
        self.write.write_all(b"\n").unwrap();
    }

    /// The next line, or `None` when the daemon closed the connection.
    fn line(&mut self) -> Option<serde_json::Value> {
        let mut l = String::new();
        match self.read.read_line(&mut l) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(serde_json::from_str(&l).unwrap()),
        }
    }

    /// The answer to request `id`, skipping notifications.
    fn answer(&mut self, id: u64) -> serde_json::Value {
        loop {
            let v = self.line().expect("connection closed");
            if v["id"] == id {
                return v;
            }
        }
    }
}

const HELLO: &str =
    r#"{"jsonrpc":"2.0","id":1,"method":"hello","params":{"protocol":2,"client":"test"}}"#;

/// Issue 17: a seat shows the office's hours ("geschlossen bis …"): the daemon's
/// `[hours]`, told in `hello`, not the seat's own copy.
#[test]
fn hello_tells_the_seat_the_office_hours() {
    let p = Profile::with_demo_account();
    let mut config = std::fs::read_to_string(&p.config).unwrap();
    config.push_str("\n[hours]\nmonday = \"07:00-12:00, 12:30-16:30\"\nstate = \"BY\"\n");
    std::fs::write(&p.config, config).unwrap();
    let _d = Daemon::start(&p);
    let mut seat = Raw::connect(&p.data.join("tresen.sock"));
    seat.send(HELLO);
    let hello = seat.answer(1);
    let hours = &hello["result"]["hours"];
    assert_eq!(
        hours["week"][0],
        serde_json::json!([[420, 720], [750, 990]]),
        "{hello}"
    );
    assert_eq!(hours["land"], "BY", "{hello}");
}

#[test]
fn garbage_closes_only_that_connection() {
    let p = Profile::with_demo_account();
    let _d = Daemon::start(&p);
    let socket = p.data.join("tresen.sock");
    let mut good = Raw::connect(&socket);
    good.send(HELLO);
    let hello = good.answer(1);
    assert_eq!(hello["result"]["protocol"], 2, "{hello}");
    assert_eq!(hello["result"]["identity"]["role"], "owner", "{hello}");

    // Not JSON: an error, then the connection ends.
    let mut bad = Raw::connect(&socket);
    bad.send("\u{1b}[31mthis is not json");
    assert_eq!(bad.line().unwrap()["error"]["code"], -32700);
    assert!(bad.line().is_none());

    // Anything before hello, and a wrong version.
    let mut early = Raw::connect(&socket);
    early.send(r#"{"jsonrpc":"2.0","id":7,"method":"status"}"#);
    assert_eq!(early.line().unwrap()["error"]["code"], -32005);
    assert!(early.line().is_none());
    let mut old = Raw::connect(&socket);
    old.send(r#"{"jsonrpc":"2.0","id":1,"method":"hello","params":{"protocol":99}}"#);
    assert_eq!(old.line().unwrap()["error"]["code"], -32001);

    // A line longer than any request may be (48 MiB), never ending.
    let mut huge = Raw::connect(&socket);
    let chunk = vec![b'a'; 1 << 20];
    let mut written = 0;
    for _ in 0..64 {
        if huge.write.write_all(&chunk).is_err() {
            break;
        }
        written += 1;
    }
    let closed = written < 64 || huge.line().is_none_or(|v| v["error"]["code"] == -32600);
    assert!(closed, "an oversized line is refused");

    // A flood of unknown methods is answered one by one, and harms no one else.
    let mut flood = Raw::connect(&socket);
    flood.send(HELLO);
    flood.answer(1);
    let mut writer = flood.write.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        for i in 0..2000u64 {
            let line = format!(
                "{{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"nope\"}}\n",
                i + 10
            );
            writer.write_all(line.as_bytes()).unwrap();
        }
    });
    assert_eq!(flood.answer(2009)["error"]["code"], -32601);
    sender.join().unwrap();

    // The first seat never noticed.
    good.send(r#"{"jsonrpc":"2.0","id":2,"method":"status"}"#);
    let s = good.answer(2);
    assert!(s["result"]["seats"].as_u64().unwrap() >= 1, "{s}");
    assert!(p.run(&["status"]).status.success());
}

fn seat(p: &Profile, name: &str) -> Tmux {
    let cmd = format!(
        "{} 2>{}",
        env!("CARGO_BIN_EXE_tresen"),
        p.dir.path().join(format!("{name}.stderr")).display()
    );
    Tmux::start(
        name,
        &cmd,
        &[
            ("TRESEN_CONFIG", p.config.to_str().unwrap()),
            ("TRESEN_DATA_DIR", p.data.to_str().unwrap()),
        ],
    )
}

#[test]
fn two_seats_work_one_inbox_live() {
    let p = Profile::with_demo_account();
    let d = Daemon::start(&p);
    let attached = format!("Dienst PID {}", d.pid());
    let a = seat(&p, "a");
    let b = seat(&p, "b");
    a.wait_for(&attached);
    b.wait_for(&attached);

    // A begins a reply: B sees that the conversation is being answered, not by whom.
    a.keys(&["Enter"]);
    a.keys(&["r"]);
    a.type_text("Antwort von Platz A");
    b.keys(&["Enter"]);
    let screen = b.wait_for("wird gerade beantwortet");
    assert!(
        !screen.contains("Antwort von Platz A"),
        "drafts stay on their seat"
    );
    // Leaving the composer keeps the draft — on A's seat only.
    a.keys(&["Escape"]);
    a.wait_for("Entwurf");
    b.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    let screen = b.screen();
    assert!(!screen.contains("Antwort von Platz A"), "{screen}");
    b.keys(&["Enter"]);
    a.keys(&["r"]);
    a.wait_for("Antwort von Platz A");

    // B answers first; A's timeline shows it.
    b.keys(&["r"]);
    b.type_text("Antwort von Platz B");
    b.keys(&["Enter"]);
    a.wait_for("Antwort von Platz B");

    // A sends after B answered: asked first, sent only when confirmed.
    a.keys(&["Enter"]);
    a.wait_for("Inzwischen wurde geantwortet");
    a.keys(&["j"]);
    b.wait_for("Antwort von Platz A");
    let bodies: Vec<String> = messages(&p)
        .iter()
        .filter_map(|m| m["body"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        bodies
            .iter()
            .filter(|b| b.starts_with("Antwort von Platz"))
            .count(),
        2,
        "{bodies:?}"
    );

    // A state change in B reaches A: done, so it leaves A's inbox filter. (Escape and a
    // key sent at once can reach the terminal as one Alt chord: a pause between.)
    b.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    b.keys(&["d"]);
    a.keys(&["Escape"]);
    a.wait_for("0 Unterhaltungen");
}

#[test]
fn seats_survive_a_daemon_crash() {
    let p = Profile::with_demo_account();
    let mut d = Daemon::start(&p);
    let a = seat(&p, "crash");
    a.wait_for(&format!("Dienst PID {}", d.pid()));
    a.keys(&["Enter"]);
    a.keys(&["r"]);
    a.type_text("Entwurf übersteht den Absturz");

    d.signal("-KILL");
    d.wait();
    a.wait_for("VERBINDUNG ZUM DIENST UNTERBROCHEN");
    // The stale socket of the dead daemon is replaced by the next one.
    assert!(p.data.join("tresen.sock").exists());
    let d2 = Daemon::start(&p);
    a.wait_for(&format!("Dienst PID {}", d2.pid()));
    let screen = a.screen();
    assert!(screen.contains("Entwurf übersteht den Absturz"), "{screen}");
    a.keys(&["Enter"]);
    let start = Instant::now();
    loop {
        let n = messages(&p)
            .iter()
            .filter(|m| {
                m["body"]
                    .as_str()
                    .is_some_and(|b| b.starts_with("Entwurf übersteht den Absturz"))
            })
            .count();
        if n == 1 {
            break;
        }
        assert!(
            n == 0 && start.elapsed() < Duration::from_secs(20),
            "{n} copies"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

// Issue 16: a remote desk is `ssh buero-pc tresen` — the same seat over the daemon's
// socket, through a real OpenSSH server; tresen opens no network port of its own.
#[test]
fn a_desk_over_ssh_is_a_seat_like_any_other() {
    let p = Profile::with_demo_account();
    let d = Daemon::start(&p);
    let sshd = support::sshd::Sshd::start(p.dir.path());
    let remote = |lang: &str, args: &str| {
        format!(
            "env TRESEN_CONFIG={} TRESEN_DATA_DIR={} LANG={lang} {} {args}",
            p.config.display(),
            p.data.display(),
            env!("CARGO_BIN_EXE_tresen")
        )
    };
    let o = sshd.run(&remote("C", "status"));
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains(&format!("daemon running: PID {}", d.pid())),
        "{}",
        stdout(&o)
    );
    let o = sshd.run(&remote("C", "send 1 'Grüße vom Schreibtisch zu Hause'"));
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        messages(&p).iter().any(|m| m["body"]
            .as_str()
            .is_some_and(|b| b.starts_with("Grüße vom Schreibtisch"))),
        "sent through the daemon"
    );
    // The inbox in a terminal over ssh attaches like a local one.
    let t = Tmux::start(
        "ssh",
        &sshd.command_line(true, &remote("de_DE.UTF-8", "")),
        &[],
    );
    t.wait_for(&format!("Dienst PID {}", d.pid()));
    t.keys(&["Enter"]);
    t.wait_for("Grüße vom Schreibtisch");
    t.keys(&["q"]);
}

// Issue 16: the shipped units are units systemd accepts as they are (no unknown key, no
// value it would ignore); only ExecStart points at this build. (Running them needs
// systemd as PID 1, which a test machine does not have: docs/daemon.md says so.)
#[test]
fn the_shipped_systemd_units_are_valid() {
    let dir = tempfile::tempdir().unwrap();
    for unit in ["tresen.service", "tresen-user.service"] {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("config/systemd")
                .join(unit),
        )
        .unwrap();
        let exec = text
            .lines()
            .find(|l| l.starts_with("ExecStart="))
            .expect("an ExecStart line");
        assert!(exec.ends_with("tresen daemon"), "{exec}");
        let here = text.replace(
            exec,
            &format!("ExecStart={} daemon", env!("CARGO_BIN_EXE_tresen")),
        );
        let path = dir.path().join(unit);
        std::fs::write(&path, here).unwrap();
        let o = Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(&path)
            .output()
            .expect("systemd-analyze (Debian package systemd; tests/run.sh installs it)");
        assert!(o.status.success(), "{unit}: {}", stderr(&o));
        assert_eq!(stderr(&o).trim(), "", "{unit}: systemd objects");
    }
}

/// R-F1: with a usage policy, a seat learns in `hello` that its staff member has not
/// accepted it; accepting the version in force is archived and counts from then on; a
/// stale version is refused; a changed policy must be accepted again.
#[test]
fn r_f1_the_usage_policy_is_accepted_per_version_and_archived() {
    let p = Profile::with_demo_account();
    let policy = p.dir.path().join("nutzungsrichtlinie.md");
    std::fs::write(&policy, "# Nutzungsrichtlinie\n\nNur geschäftlich.\n").unwrap();
    let mut config = std::fs::read_to_string(&p.config).unwrap();
    config.push_str(&format!("\n[policy]\nfile = \"{}\"\n", policy.display()));
    std::fs::write(&p.config, &config).unwrap();
    let mut d = Daemon::start(&p);
    let socket = p.data.join("tresen.sock");
    let hello = |seat: &mut Raw| {
        seat.send(HELLO);
        seat.answer(1)["result"]["policy"].clone()
    };
    let mut seat = Raw::connect(&socket);
    let status = hello(&mut seat);
    let version = status["policy"]["version"].as_str().unwrap().to_string();
    assert!(version.starts_with("u-"), "{status}");
    assert!(
        status["policy"]["text"]
            .as_str()
            .unwrap()
            .contains("Nur geschäftlich.")
    );
    assert!(status.get("accepted").is_none(), "{status}");
    // Not accepted yet: the command line may not work with the chats either.
    let o = p.run(&["send", "1", "vor der Richtlinie"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("not accepted the usage policy"),
        "{}",
        stderr(&o)
    );
    // A version that is not the one in force is refused.
    seat.send(r#"{"jsonrpc":"2.0","id":2,"method":"order","params":{"kind":"accept_policy","version":"u-000000000000"}}"#);
    let refused = seat.answer(2);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("usage policy changed"),
        "{refused}"
    );
    seat.send(&format!(
        r#"{{"jsonrpc":"2.0","id":3,"method":"order","params":{{"kind":"accept_policy","version":"{version}"}}}}"#
    ));
    let done = seat.answer(3);
    assert!(done.get("error").is_none(), "{done}");
    let mut again = Raw::connect(&socket);
    let status = hello(&mut again);
    assert_eq!(status["accepted"]["version"], version.as_str(), "{status}");
    let o = p.run(&["send", "1", "nach der Richtlinie"]);
    assert!(o.status.success(), "{}", stderr(&o));

    // A new version of the policy: accepted again before the next session.
    d.signal("-TERM");
    d.wait();
    std::fs::write(
        &policy,
        "# Nutzungsrichtlinie\n\nNur geschäftlich. Keine Gesundheitsdaten.\n",
    )
    .unwrap();
    let _d = Daemon::start(&p);
    let mut seat = Raw::connect(&socket);
    let status = hello(&mut seat);
    assert_ne!(status["policy"]["version"], version.as_str(), "{status}");
    assert_eq!(
        status["accepted"]["version"],
        version.as_str(),
        "the old one: {status}"
    );
    // The acceptance is in the archive.
    let archived = archived_kind(&p, "policy_accepted");
    assert_eq!(archived, 1);
    // R-F3: the documentation bundle has both versions word for word, under the names
    // staff accepted them by, in its manifest.
    let new = status["policy"]["version"].as_str().unwrap();
    seat.send(&format!(
        r#"{{"jsonrpc":"2.0","id":4,"method":"order","params":{{"kind":"accept_policy","version":"{new}"}}}}"#
    ));
    assert!(seat.answer(4).get("error").is_none());
    let out_dir = p.dir.path().join("bundle");
    let o = p.run(&["docs", "bundle", "--out", out_dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let old = std::fs::read_to_string(out_dir.join(format!("nutzungsrichtlinie/{version}.md")))
        .expect("the accepted version is in the bundle");
    assert_eq!(old, "# Nutzungsrichtlinie\n\nNur geschäftlich.\n");
    let now =
        std::fs::read_to_string(out_dir.join(format!("nutzungsrichtlinie/{new}.md"))).unwrap();
    assert!(now.contains("Keine Gesundheitsdaten."), "{now}");
    let manifest = std::fs::read_to_string(out_dir.join("manifest.sha256")).unwrap();
    assert!(
        manifest.contains(&format!("nutzungsrichtlinie/{version}.md")),
        "{manifest}"
    );
}

/// R-B8 (Z1): an auditor's seat sees the audit period and its classes, nothing else:
/// an audit of 2020 finds none of today's conversations — not in the list, not by
/// number, not as a copy.
#[test]
fn an_auditor_sees_only_the_audit() {
    let me = login();
    let p = Profile::new(&format!(
        "\n[[accounts]]\nid = \"buero\"\nnetwork = \"demo\"\n[[staff]]\nname = \"Anna Prüfer\"\nlogin = \"{me}\"\nrole = \"auditor\"\naudit_from = \"2020-01-01\"\naudit_to = \"2020-12-31\"\n[[staff]]\nname = \"Max Chef\"\nlogin = \"chef-gibt-es-nicht\"\nrole = \"owner\"\n"
    ));
    let o = p.run(&["sync", "--once"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!messages(&p).is_empty(), "the demo has today's messages");
    let _d = Daemon::start(&p);
    let mut seat = Raw::connect(&p.data.join("tresen.sock"));
    seat.send(HELLO);
    seat.answer(1);
    seat.send(r#"{"jsonrpc":"2.0","id":2,"method":"query","params":"inbox"}"#);
    let inbox = seat.answer(2);
    assert_eq!(inbox["result"]["inbox"], serde_json::json!([]), "{inbox}");
    seat.send(r#"{"jsonrpc":"2.0","id":3,"method":"query","params":{"conversation":{"id":1,"before":null,"limit":50,"focus":null}}}"#);
    let conv = seat.answer(3);
    assert_eq!(
        conv["result"]["conversation"]["messages"],
        serde_json::json!([]),
        "{conv}"
    );
    seat.send(r#"{"jsonrpc":"2.0","id":4,"method":"message","params":1}"#);
    let m = seat.answer(4);
    assert!(m["result"].is_null(), "{m}");
    seat.send(r#"{"jsonrpc":"2.0","id":5,"method":"find","params":"1"}"#);
    let f = seat.answer(5);
    assert!(f["result"].is_null(), "{f}");
    seat.send(r#"{"jsonrpc":"2.0","id":6,"method":"query","params":{"search":{"query":"Heizung","limit":50}}}"#);
    let hits = seat.answer(6);
    assert_eq!(
        hits["result"]["search"]["hits"],
        serde_json::json!([]),
        "{hits}"
    );
    let o = p.run(&["export", "conversation", "1", "--format", "txt"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
}

/// R-E4, R-C14: a message marked as special-category data is the owner's to see. A
/// staff seat gets the mark without the text — in the conversation, as a single message,
/// in search, in a readable copy — cannot download its files and cannot lift the mark.
#[test]
fn r_e4_r_c14_a_marked_message_is_withheld_from_staff() {
    let me = login();
    let p = Profile::new(&format!(
        "\n[[accounts]]\nid = \"buero\"\nnetwork = \"demo\"\n[[staff]]\nname = \"Anna Büro\"\nlogin = \"{me}\"\nrole = \"staff\"\n[[staff]]\nname = \"Max Chef\"\nlogin = \"chef-gibt-es-nicht\"\nrole = \"owner\"\n"
    ));
    let o = p.run(&["sync", "--once"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let marked = messages(&p)
        .into_iter()
        .find(|m| m["body"] == "Guten Tag, die Heizung ist kalt.")
        .unwrap();
    let id = marked["id"].as_i64().unwrap();
    // Without a daemon the profile's holder (the owner) marks it.
    let o = p.run(&[
        "restrict",
        &id.to_string(),
        "--kind",
        "art9",
        "--reason",
        "Pflegebett im Bad",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(archived_kind(&p, "sensitive"), 1);

    let _d = Daemon::start(&p);
    let mut seat = Raw::connect(&p.data.join("tresen.sock"));
    seat.send(HELLO);
    seat.answer(1);
    seat.send(r#"{"jsonrpc":"2.0","id":2,"method":"query","params":{"conversation":{"id":1,"before":null,"limit":50,"focus":null}}}"#);
    let conv = seat.answer(2);
    let shown = conv["result"]["conversation"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("{conv}"))
        .clone();
    assert_eq!(shown["sensitive"], "art9", "{shown}");
    assert_eq!(shown["body"], "", "{shown}");
    seat.send(&format!(
        r#"{{"jsonrpc":"2.0","id":3,"method":"message","params":{id}}}"#
    ));
    let one = seat.answer(3);
    assert_eq!(one["result"]["body"], "", "{one}");
    seat.send(r#"{"jsonrpc":"2.0","id":4,"method":"query","params":{"search":{"query":"kalt","limit":50}}}"#);
    let hits = seat.answer(4);
    assert_eq!(
        hits["result"]["search"]["hits"],
        serde_json::json!([]),
        "{hits}"
    );
    seat.send(&format!(
        r#"{{"jsonrpc":"2.0","id":5,"method":"fetch","params":{{"message":{id},"index":0}}}}"#
    ));
    let fetch = seat.answer(5);
    assert!(fetch["error"].is_object(), "{fetch}");
    let copy = p.run(&["export", "conversation", "1", "--format", "txt"]);
    assert!(copy.status.success(), "{}", stderr(&copy));
    let text = stdout(&copy);
    assert!(!text.contains("Heizung ist kalt"), "{text}");
    assert!(text.contains("eingeschränkt"), "{text}");
    assert!(
        text.contains("Fehlercode F.28"),
        "the rest is there: {text}"
    );
    let o = p.run(&["restrict", &id.to_string(), "--lift"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    // R-C15: the compliance check counts what is marked special-category data.
    let check = json(&p.run(&["compliance", "check", "--json"]));
    let f = finding(&check, "special_categories");
    assert_eq!(f["level"], "warning", "{f}");
    assert!(
        f["message"].as_str().unwrap().starts_with("1 message"),
        "{f}"
    );
}
