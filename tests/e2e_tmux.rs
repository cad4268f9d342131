//! End to end: `tresen --demo` in a real terminal (tmux), typed at like a person would,
//! with the screen read back.

mod support;

use std::time::{Duration, Instant};

use support::tmux::Tmux;

#[test]
fn demo_opens_answers_and_quits_cleanly() {
    let bin = env!("CARGO_BIN_EXE_tresen");
    let marker = std::env::temp_dir().join(format!("tresen-e2e-exit-{}", std::process::id()));
    let config = std::env::temp_dir().join(format!("tresen-e2e-{}.toml", std::process::id()));
    std::fs::write(&config, "[ui]\nlanguage = \"de\"\n").unwrap();
    let t = Tmux::start(
        "e2e",
        &format!(
            "{bin} --demo --config {}; echo $? > {}; sleep 30",
            config.display(),
            marker.display()
        ),
        &[],
    );
    t.wait_for("DEMO – Beispieldaten");
    // A frame can be caught half-written: wait for each part rather than assert at once.
    t.wait_for("GESCHÄFTLICH");
    t.wait_for("WA ");
    t.wait_for("SIG");
    // The live customer message arrives a few seconds after start: an emergency by the
    // demo firm's `[[urgent]]` words, so it is pinned at the top and says so (issue 17);
    // the bell rang and the window title counts the unread conversations.
    t.wait_for("Familie Aydın");
    t.wait_until("the emergency on top", |s| {
        s.lines()
            .nth(2)
            .is_some_and(|l| l.contains("Familie Aydın") && l.contains("‼ DRINGEND"))
    });
    assert_eq!(t.format("#{window_bell_flag}"), "1", "no bell");
    let title = t.format("#{pane_title}");
    assert!(title.starts_with("tresen ("), "{title}");
    t.keys(&["f"]);
    t.wait_for("Springen zu");
    t.keys(&["Aydın", "Enter"]);
    t.wait_for("Notfall! Wasser läuft");
    t.wait_for("kessel.png");
    // The customer's photo is previewed under its file line: fetched, decoded and drawn
    // in half blocks (inside tmux nothing asks the terminal for graphics).
    t.wait_until("the photo preview", |s| {
        s.lines()
            .skip_while(|l| !l.contains("kessel.png"))
            .nth(1)
            .is_some_and(|l| l.contains('▀') || l.contains('▄'))
    });
    t.keys(&["r"]);
    t.wait_for("Antwort · Eingabe senden");
    t.keys(&["Bitte Haupthahn zudrehen, wir kommen.", "Enter"]);
    t.wait_for("Bitte Haupthahn zudrehen");
    // The scripted customer reads and answers.
    t.wait_for("✓✓ gelesen");
    // Answered: no longer pinned.
    t.wait_until("the emergency settled", |s| !s.contains("DRINGEND"));
    t.keys(&["?"]);
    t.wait_for("Tasten (Esc schließt)");
    // Separate sends with a pause: ESC followed at once by q reads as Alt-q.
    for k in ["Escape", "Escape", "q"] {
        t.keys(&[k]);
        std::thread::sleep(Duration::from_millis(300));
    }
    let start = Instant::now();
    while !marker.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "tresen did not exit:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let code = std::fs::read_to_string(&marker).unwrap();
    let _ = std::fs::remove_file(&marker);
    let _ = std::fs::remove_file(&config);
    assert_eq!(code.trim(), "0");
    // The terminal is back to normal: the shell's screen, not the TUI's.
    let s = t.screen();
    assert!(!s.contains("GESCHÄFTLICH"), "alternate screen left:\n{s}");
}
