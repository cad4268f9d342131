//! A desktop for tests: a private D-Bus session bus (a real dbus-daemon) with a
//! notification service that owns `org.freedesktop.Notifications` and records every
//! call, as a desktop's notification daemon would receive it.

use std::collections::HashMap;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub app_name: String,
    pub summary: String,
    pub body: String,
    pub category: Option<String>,
}

struct Recorder {
    calls: Arc<Mutex<Vec<Call>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Recorder {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        hints: HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let category = hints
            .get("category")
            .and_then(|v| String::try_from(v.clone()).ok());
        let mut calls = self.calls.lock().unwrap();
        calls.push(Call {
            app_name,
            summary,
            body,
            category,
        });
        calls.len() as u32
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "recorder".into(),
            "tresen tests".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    fn close_notification(&self, _id: u32) {}
}

pub struct Desktop {
    pub address: String,
    calls: Arc<Mutex<Vec<Call>>>,
    /// The bus this test started (none when it joined one, e.g. dbus-run-session's).
    daemon: Option<Child>,
    _service: Option<zbus::blocking::Connection>,
}

impl Desktop {
    /// A new session bus and the recording notification service on it.
    pub fn start() -> Desktop {
        let mut desk = Self::start_without_service();
        desk.serve();
        desk
    }

    /// The recording service on a session bus someone else runs.
    pub fn on_bus(address: &str) -> Desktop {
        let mut desk = Desktop {
            address: address.to_string(),
            calls: Arc::default(),
            daemon: None,
            _service: None,
        };
        desk.serve();
        desk
    }

    fn serve(&mut self) {
        let service = zbus::blocking::connection::Builder::address(self.address.as_str())
            .unwrap()
            .name("org.freedesktop.Notifications")
            .unwrap()
            .serve_at(
                "/org/freedesktop/Notifications",
                Recorder {
                    calls: self.calls.clone(),
                },
            )
            .unwrap()
            .build()
            .unwrap();
        self._service = Some(service);
    }

    /// A session bus on which nobody provides notifications.
    pub fn start_without_service() -> Desktop {
        let found = Command::new("sh")
            .args(["-c", "command -v dbus-daemon"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(
            found,
            "dbus-daemon is not installed: this test needs a real session bus. \
             Install it with: apt-get install dbus-daemon"
        );
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
            .stdout(Stdio::piped())
            // It complains about fd limits it may not raise in a container: noise.
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line.trim().to_string();
        assert!(!address.is_empty(), "dbus-daemon printed no address");
        Desktop {
            address,
            calls: Arc::default(),
            daemon: Some(daemon),
            _service: None,
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// Waits (up to 30 s) for a call that `ok` accepts.
    pub fn wait_for(&self, what: &str, ok: impl Fn(&Call) -> bool) -> Call {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(c) = self.calls().into_iter().find(|c| ok(c)) {
                return c;
            }
            assert!(
                Instant::now() < deadline,
                "no notification {what}; got {:#?}",
                self.calls()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        if let Some(d) = self.daemon.as_mut() {
            let _ = d.kill();
            let _ = d.wait();
        }
    }
}
