//! A throw-away Synapse homeserver on 127.0.0.1 with an emulated WhatsApp bridge
//! registered as a real application service (tests/support/bridge_emu.py).
//!
//! Synapse comes from the venv that `tests/run.sh` installs (`TRESEN_SYNAPSE_VENV`).
//! Both processes run under a small shell watchdog that kills them when this test
//! process goes away, even if it panics or is killed: the watchdog waits on a pipe whose
//! writing end only this process holds.
#![allow(dead_code)]

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

pub const AS_TOKEN: &str = "as_token_whatsapp_test";
pub const HS_TOKEN: &str = "hs_token_whatsapp_test";

pub struct Synapse {
    pub url: String,
    pub port: u16,
    pub as_port: u16,
    dir: tempfile::TempDir,
    synapse: Option<Guarded>,
    bridge: Option<Guarded>,
}

/// A child process under the pipe watchdog.
struct Guarded {
    child: Child,
    _lifeline: ChildStdin,
}

impl Guarded {
    fn spawn(
        program: &Path,
        args: &[&str],
        cwd: &Path,
        env: &[(&str, String)],
        log: &Path,
    ) -> Self {
        let log = std::fs::File::create(log).expect("log file");
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(r#""$@" & c=$!; cat >/dev/null; kill $c 2>/dev/null; wait $c"#)
            .arg("sh")
            .arg(program)
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn under watchdog");
        let lifeline = child.stdin.take().expect("piped stdin");
        Self {
            child,
            _lifeline: lifeline,
        }
    }

    fn stop(mut self) {
        drop(self._lifeline);
        let _ = self.child.wait();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the data directory");
    for entry in std::fs::read_dir(from).expect("read the data directory") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a data file");
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn venv() -> PathBuf {
    let venv = std::env::var_os("TRESEN_SYNAPSE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-env/synapse-1.163.2")
        });
    assert!(
        venv.join("bin/python").exists(),
        "Synapse is not installed in {}: run the suite with tests/run.sh, which installs it",
        venv.display()
    );
    venv
}

fn emulator() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/bridge_emu.py")
}

impl Synapse {
    /// Starts a fresh homeserver with an empty database and waits until it answers.
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// Starts a homeserver on a copy of `data`, a data directory kept by
    /// [`Synapse::save_data`] (a benchmark's populated database, cached between runs).
    pub fn start_from(data: &Path) -> Self {
        Self::start_with(Some(data))
    }

    fn start_with(data: Option<&Path>) -> Self {
        // Synapse's sqlite database fsyncs on every event; on tmpfs that costs nothing,
        // which makes the suite and the benchmark setup several times faster. The
        // homeserver is thrown away after the run either way.
        let builder = || {
            let mut b = tempfile::Builder::new();
            b.prefix("tresen-synapse-");
            b
        };
        let shm = Path::new("/dev/shm");
        let dir = shm
            .is_dir()
            .then(|| builder().tempdir_in(shm).ok())
            .flatten()
            .unwrap_or_else(|| builder().tempdir().expect("temp dir"));
        let port = free_port();
        let as_port = free_port();
        write_config(dir.path(), port, as_port);
        if let Some(data) = data {
            copy_dir(data, &dir.path().join("data"));
        }
        let mut s = Self {
            url: format!("http://127.0.0.1:{port}"),
            port,
            as_port,
            dir,
            synapse: None,
            bridge: None,
        };
        s.start_bridge();
        s.start_synapse();
        s
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn start_bridge(&mut self) {
        let env = self.emu_env();
        self.bridge = Some(Guarded::spawn(
            Path::new("python3"),
            &[emulator().to_str().expect("utf-8 path"), "serve", "--echo"],
            self.dir.path(),
            &env,
            &self.dir.path().join("bridge.log"),
        ));
    }

    fn start_synapse(&mut self) {
        let python = venv().join("bin/python");
        let config = self.dir.path().join("homeserver.yaml");
        self.synapse = Some(Guarded::spawn(
            &python,
            &[
                "-m",
                "synapse.app.homeserver",
                "-c",
                config.to_str().expect("utf-8 path"),
            ],
            self.dir.path(),
            &[],
            &self.dir.path().join("synapse.stdout"),
        ));
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        let addr = format!("127.0.0.1:{}", self.port);
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
                let _ = s
                    .write_all(b"GET /_matrix/client/versions HTTP/1.0\r\nHost: localhost\r\n\r\n");
                let mut buf = String::new();
                use std::io::Read;
                let _ = s.read_to_string(&mut buf);
                if buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200") {
                    return;
                }
            }
            if let Some(g) = self.synapse.as_mut()
                && let Ok(Some(status)) = g.child.try_wait()
            {
                panic!(
                    "Synapse exited ({status}) before it was ready:\n{}",
                    self.log_tail()
                );
            }
            assert!(
                Instant::now() < deadline,
                "Synapse not ready after 120 s:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the homeserver (the bridge keeps running), as an outage would.
    pub fn stop(&mut self) {
        if let Some(g) = self.synapse.take() {
            g.stop();
        }
    }

    /// Stops the homeserver (its database then whole on disk), copies its data directory
    /// to `to` (replacing what was there) and starts it again.
    pub fn save_data(&mut self, to: &Path) {
        self.stop();
        let _ = std::fs::remove_dir_all(to);
        copy_dir(&self.dir.path().join("data"), to);
        self.start_synapse();
    }

    /// Starts it again on the same port and database.
    pub fn restart(&mut self) {
        self.stop();
        self.start_synapse();
    }

    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("homeserver.log"))
            .or_else(|_| std::fs::read_to_string(self.dir.path().join("synapse.stdout")))
            .unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    fn emu_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HS", self.url.clone()),
            ("AS_PORT", self.as_port.to_string()),
            (
                "EVENTS_FILE",
                self.dir
                    .path()
                    .join("bridge_events.jsonl")
                    .display()
                    .to_string(),
            ),
        ]
    }

    /// Runs one bridge_emu.py sub-command and returns what it printed (JSON or a line).
    pub fn emu(&self, args: &[&str]) -> String {
        let out = Command::new("python3")
            .arg(emulator())
            .args(args)
            .envs(self.emu_env())
            .current_dir(self.dir.path())
            .output()
            .expect("run bridge_emu.py");
        assert!(
            out.status.success(),
            "bridge_emu.py {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log_tail()
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn emu_json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.emu(args)).expect("bridge_emu.py prints JSON")
    }

    /// Registers a user with a name unique to this test run; returns (localpart, mxid).
    pub fn user(&self, prefix: &str) -> (String, String) {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let local = format!("{prefix}{n}p{}", std::process::id());
        let mxid = self.emu(&["register", &local, &format!("{local}-pw")]);
        (local, mxid)
    }

    pub fn password(local: &str) -> String {
        format!("{local}-pw")
    }

    /// The bridge creates a WhatsApp portal for `phone` that invites `user` and sends
    /// `Hallo aus WhatsApp!` as the customer's puppet. Returns the room id.
    pub fn portal(&self, phone: &str, user: &str, name: &str) -> String {
        self.emu_json(&["portal", phone, user, name])["room_id"]
            .as_str()
            .expect("room_id")
            .to_string()
    }

    /// The customer's puppet writes into its portal.
    pub fn puppet_says(&self, room: &str, phone: &str, text: &str) -> String {
        self.emu_json(&["send", room, phone, text])["event_id"]
            .as_str()
            .expect("event_id")
            .to_string()
    }

    /// The customer's puppet sends a file (uploaded to the media repository); returns
    /// the event id.
    pub fn puppet_sends_file(&self, room: &str, phone: &str, path: &Path, mime: &str) -> String {
        let path = path.to_str().expect("utf-8 path");
        self.emu_json(&["sendfile", room, phone, path, mime])["event_id"]
            .as_str()
            .expect("event_id")
            .to_string()
    }

    /// The customer edits an earlier message of theirs.
    pub fn puppet_edits(&self, room: &str, phone: &str, event: &str, text: &str) {
        self.emu(&["edit", room, phone, event, text]);
    }

    /// The customer deletes an earlier message of theirs.
    pub fn puppet_deletes(&self, room: &str, phone: &str, event: &str) {
        self.emu(&["redact", room, phone, event]);
    }

    /// The customer reacts to `event` with `key`; returns the reaction's event id.
    pub fn puppet_reacts(&self, room: &str, phone: &str, event: &str, key: &str) -> String {
        self.emu_json(&["react", room, phone, event, key])["event_id"]
            .as_str()
            .expect("event_id")
            .to_string()
    }

    /// The customer's client says it has read up to `event`.
    pub fn puppet_reads(&self, room: &str, phone: &str, event: &str) {
        self.emu(&["receipt", room, phone, event]);
    }

    /// The customer starts (or stops) typing.
    pub fn puppet_types(&self, room: &str, phone: &str, on: bool) {
        self.emu(&["typing", room, phone, if on { "on" } else { "off" }]);
    }

    /// What the bridge gets when it downloads `mxc` (to forward it to WhatsApp).
    pub fn bridge_downloads(&self, mxc: &str) -> Vec<u8> {
        let out = self.dir.path().join(format!(
            "download-{}",
            mxc.len() ^ std::process::id() as usize
        ));
        self.emu(&["download", mxc, out.to_str().expect("utf-8 path")]);
        std::fs::read(out).expect("downloaded file")
    }

    /// The bridge bot's management room with `user`.
    pub fn management_room(&self, user: &str) -> String {
        self.emu_json(&["mgmt", user])["room_id"]
            .as_str()
            .expect("room_id")
            .to_string()
    }

    pub fn bot_notice(&self, room: &str, text: &str) {
        self.emu(&["notice", room, text]);
    }

    /// A plain Matrix user (not bridged) opens a private room with `invitee`.
    pub fn private_room(&self, local: &str, invitee: &str, name: &str, text: &str) -> String {
        self.emu_json(&[
            "userroom",
            local,
            &Self::password(local),
            invitee,
            name,
            text,
        ])["room_id"]
            .as_str()
            .expect("room_id")
            .to_string()
    }

    /// `local` opens an end-to-end encrypted DM with `invitee`; returns the room id.
    pub fn encrypted_dm(&self, local: &str, invitee: &str) -> String {
        self.emu_json(&["encdm", local, &Self::password(local), invitee])["room_id"]
            .as_str()
            .expect("room_id")
            .to_string()
    }

    /// `local` starts a direct chat with `invitee` as Element does (the invite carries
    /// `is_direct`) and writes `text` before the invitee joins; returns the room id.
    pub fn direct_chat(&self, local: &str, invitee: &str, text: &str) -> String {
        self.emu_json(&["dm", local, &Self::password(local), invitee, text])["room_id"]
            .as_str()
            .expect("room_id")
            .to_string()
    }

    /// A plain Matrix user writes into a room; returns the event id.
    pub fn user_says(&self, local: &str, room: &str, text: &str) -> String {
        self.emu_json(&["usersay", local, &Self::password(local), room, text])["event_id"]
            .as_str()
            .expect("event_id")
            .to_string()
    }

    /// The events of `room` as the homeserver holds them (newest first).
    pub fn room_events(&self, local: &str, room: &str) -> Vec<serde_json::Value> {
        self.emu_json(&["roomevents", local, &Self::password(local), room])["events"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// `local` joins `room` from another device (as if on their phone).
    pub fn join(&self, local: &str, room: &str) {
        self.emu(&["join", local, &Self::password(local), room]);
    }

    /// The read receipts the homeserver holds for `room`, as the puppet's sync shows
    /// them (`m.receipt` content: event id → receipt type → user → data).
    pub fn server_receipts(&self, room: &str, phone: &str) -> serde_json::Value {
        serde_json::from_str(&self.emu(&["receipts", room, phone])).unwrap()
    }

    /// Every event Synapse pushed to the bridge: what "reached WhatsApp".
    pub fn bridge_events(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.path().join("bridge_events.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

impl Drop for Synapse {
    fn drop(&mut self) {
        if let Some(g) = self.bridge.take() {
            g.stop();
        }
        self.stop();
    }
}

/// Test-only homeserver config: loopback, sqlite, no federation, nothing phones home,
/// every rate limit relaxed (Synapse's login limit alone would break a test suite).
fn write_config(dir: &Path, port: u16, as_port: u16) {
    let d = dir.display();
    std::fs::create_dir_all(dir.join("data")).expect("data dir");
    std::fs::write(
        dir.join("whatsapp.yaml"),
        format!(
            r#"id: whatsapp-test
url: "http://127.0.0.1:{as_port}"
as_token: "{AS_TOKEN}"
hs_token: "{HS_TOKEN}"
sender_localpart: whatsappbot
rate_limited: false
receive_ephemeral: true
namespaces:
  users:
    - exclusive: true
      regex: '@whatsapp_.*:localhost'
  aliases:
    - exclusive: true
      regex: '#whatsapp_.*:localhost'
  rooms: []
"#
        ),
    )
    .expect("appservice registration");
    let limit = "{per_second: 1000, burst_count: 10000}";
    std::fs::write(
        dir.join("homeserver.yaml"),
        format!(
            r#"server_name: "localhost"
public_baseurl: "http://127.0.0.1:{port}/"
listeners:
  - port: {port}
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{d}/data/homeserver.db"
log_config: "{d}/log.config"
media_store_path: "{d}/data/media_store"
signing_key_path: "{d}/data/localhost.signing.key"
registration_shared_secret: "test_shared_secret"
macaroon_secret_key: "test_macaroon_secret"
form_secret: "test_form_secret"
enable_registration: false
bcrypt_rounds: 4
report_stats: false
enable_metrics: false
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
url_preview_enabled: false
allow_public_rooms_over_federation: false
include_profile_data_on_invite: true
app_service_config_files:
  - "{d}/whatsapp.yaml"
rc_message: {limit}
rc_registration: {limit}
rc_login:
  address: {limit}
  account: {limit}
  failed_attempts: {limit}
rc_joins:
  local: {limit}
  remote: {limit}
rc_joins_per_room: {limit}
rc_invites:
  per_room: {limit}
  per_user: {limit}
  per_issuer: {limit}
rc_room_creation: {limit}
rc_3pid_validation: {limit}
rc_key_requests: {limit}
rc_presence:
  per_user: {limit}
rc_media_create: {limit}
rc_profile: {limit}
rc_user_directory: {limit}
rc_delayed_event_mgmt: {limit}
rc_admin_redaction: {limit}
"#
        ),
    )
    .expect("homeserver.yaml");
    std::fs::write(
        dir.join("log.config"),
        format!(
            r#"version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: "{d}/homeserver.log"
    encoding: utf8
root:
  level: INFO
  handlers: [file]
disable_existing_loggers: false
"#
        ),
    )
    .expect("log.config");
}
