//! A real terminal for end-to-end tests: a private tmux server per session, typed at
//! like a person would, with the screen read back.

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs `cmd` (a shell command line) in a 140×40 terminal with `env` set.
    pub fn start(name: &str, cmd: &str, env: &[(&str, &str)]) -> Tmux {
        let ok = Command::new("sh")
            .args(["-c", "command -v tmux"])
            .output()
            .map(|o| o.status.success());
        assert!(
            ok.unwrap_or(false),
            "tmux is not installed: apt-get install tmux"
        );
        let socket = format!("tresen-{name}-{}", std::process::id());
        let mut c = Command::new("tmux");
        c.args([
            "-L",
            &socket,
            "new-session",
            "-d",
            "-x",
            "140",
            "-y",
            "40",
            "-s",
            "t",
        ])
        .arg(cmd)
        .env("LANG", "de_DE.UTF-8")
        .env_remove("TMUX");
        for (k, v) in env {
            c.env(k, v);
        }
        assert!(c.status().unwrap().success());
        Tmux { socket }
    }

    /// Copies everything the program writes to the terminal, escape sequences and all,
    /// into `path`.
    pub fn record_output(&self, path: &std::path::Path) {
        let ok = Command::new("tmux")
            .args(["-L", &self.socket, "pipe-pane", "-o", "-t", "t"])
            .arg(format!("cat >> '{}'", path.display()))
            .status()
            .unwrap()
            .success();
        assert!(ok, "tmux pipe-pane failed");
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "send-keys", "-t", "t"])
            .args(keys);
        assert!(c.status().unwrap().success());
    }

    /// Types text literally (no key names).
    pub fn type_text(&self, text: &str) {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "send-keys", "-t", "t", "-l", text]);
        assert!(c.status().unwrap().success());
    }

    /// A tmux format for the pane, e.g. `#{pane_title}` (what the program set as the
    /// window title) or `#{window_bell_flag}` (it rang the bell).
    pub fn format(&self, format: &str) -> String {
        let o = Command::new("tmux")
            .args(["-L", &self.socket, "display", "-p", "-t", "t", format])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    pub fn screen(&self) -> String {
        let o = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "t"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(text, |s| s.contains(text))
    }

    pub fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{what:?} never appeared:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}
