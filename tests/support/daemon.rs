//! A real `tresen daemon` process on a test profile.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Profile, stdout};

/// A running `tresen daemon`; killed when dropped.
pub struct Daemon {
    child: Child,
}

impl Daemon {
    pub fn start(p: &Profile) -> Daemon {
        Self::start_with(p, &[])
    }

    pub fn start_with(p: &Profile, env: &[(&str, &Path)]) -> Daemon {
        let log = std::fs::File::create(p.dir.path().join("daemon.stderr")).unwrap();
        let mut cmd = p.cmd();
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .arg("daemon")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let d = Daemon { child };
        let start = Instant::now();
        loop {
            let o = p.run(&["status"]);
            if o.status.code() == Some(0) {
                return d;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the daemon did not come up: {}\n{}",
                stdout(&o),
                std::fs::read_to_string(p.dir.path().join("daemon.stderr")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Waits for the process to end; its exit status.
    pub fn wait(&mut self) -> std::process::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the daemon did not stop"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
