//! Shared fixtures for the integration tests.
#![allow(dead_code)]

pub mod daemon;
pub mod engine;
pub mod fuzz;
pub mod notifications;
pub mod signal_peer;
pub mod sshd;
pub mod tmux;
pub mod tsa;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tresen::domain::{
    AccountId, Channel, Contact, ConversationKind, ConversationUpsert, Direction, IncomingMessage,
    MessageKind, Timestamp,
};
use tresen::store::Op;

pub const T0: Timestamp = Timestamp(1_764_000_000_000);

pub fn account() -> AccountId {
    AccountId("acc".into())
}

pub fn conversation(remote: &str, title: &str, channel: Channel) -> Op {
    Op::UpsertConversation(ConversationUpsert {
        account: account(),
        remote_id: remote.into(),
        kind: ConversationKind::Direct,
        channel,
        title: title.into(),
        contact: Some(Contact {
            identity: format!("+49 170 {remote}"),
            display_name: title.into(),
            phone: None,
        }),
        security: Default::default(),
    })
}

pub fn inbound(conv: &str, remote_id: &str, body: &str, at: i64) -> Op {
    Op::Incoming(IncomingMessage {
        account: account(),
        conversation_remote_id: conv.into(),
        remote_id: remote_id.into(),
        kind: MessageKind::Chat,
        direction: Direction::Inbound,
        sender: String::new(),
        body: body.into(),
        attachments: vec![],
        sent_at: Timestamp(T0.0 + at),
        received_at: Timestamp(T0.0 + at),
        raw: None,
        history: false,
    })
}

/// A fresh profile directory with a config that uses the passphrase backend, so tests
/// never touch the developer's keyring.
pub struct Profile {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub data: PathBuf,
}

/// The firm every test profile belongs to, unless a test writes its own `[company]`:
/// without one nothing can be sent on a business account.
pub const COMPANY: &str = "\n[company]\nlegal_form = \"gmbh\"\nfirma = \"Muster Haustechnik GmbH\"\nsitz = \"Musterstadt\"\nregister_court = \"Amtsgericht Musterstadt\"\nregister_number = \"HRB 12345\"\nmanaging_directors = [\"Max Mustermann\"]\naddress = \"Musterweg 1, 12345 Musterstadt\"\ninfo_url = \"https://muster-haustechnik.example/pflichtangaben\"\nchamber = \"Handwerkskammer Musterstadt\"\n";

impl Profile {
    /// A profile with `extra_config` and, unless it has its own, the test firm's
    /// `[company]`.
    pub fn new(extra_config: &str) -> Profile {
        let company = if extra_config.contains("[company") {
            ""
        } else {
            COMPANY
        };
        Self::with_config(&format!("{extra_config}{company}"))
    }

    /// A profile with exactly `extra_config` after the secrets section.
    pub fn with_config(extra_config: &str) -> Profile {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let pass = dir.path().join("pass");
        std::fs::write(&pass, "correct horse battery staple\n").unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[secrets]\nbackend = \"passphrase\"\npassphrase_file = \"{}\"\n{extra_config}",
                pass.display()
            ),
        )
        .unwrap();
        Profile { dir, config, data }
    }

    pub fn with_demo_account() -> Profile {
        Self::new("\n[[accounts]]\nid = \"buero\"\nnetwork = \"demo\"\n")
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tresen"));
        c.env("TRESEN_CONFIG", &self.config)
            .env("TRESEN_DATA_DIR", &self.data)
            .env_remove("TRESEN_LOG")
            .env("LANG", "C");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }
}

/// The profile opened as tresen opens it (its key from the passphrase file).
pub fn open_profile(p: &Profile) -> (tresen::config::Config, tresen::profile::OpenProfile) {
    let config = tresen::config::Config::load(Some(&p.config)).unwrap();
    let paths = tresen::config::Paths {
        config_file: Some(p.config.clone()),
        data_dir: p.data.clone(),
        log_dir: p.data.join("logs"),
        socket: p.data.join("tresen.sock"),
    };
    let prompt = |_: &str, _: bool| -> Result<String, tresen::secrets::SecretsError> {
        panic!("no prompt in tests")
    };
    let profile = tresen::profile::open(&config, paths, &prompt).unwrap();
    (config, profile)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The finding `id` of a `compliance check --json` report.
pub fn finding<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id}: {v}"))
}

/// How many records of `kind` the profile's archive holds (the kind is in clear text).
pub fn archived_kind(p: &Profile, kind: &str) -> usize {
    let marker = format!("\"kind\":\"{kind}\"");
    std::fs::read_dir(p.data.join("archive"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".jsonl"))
        .map(|e| {
            std::fs::read_to_string(e.path())
                .unwrap()
                .matches(&marker)
                .count()
        })
        .sum()
}

/// The sequence numbers of the profile's archive records of `kind`, oldest first.
pub fn archived_seqs(p: &Profile, kind: &str) -> Vec<u64> {
    let marker = format!("\"kind\":\"{kind}\"");
    let mut files: Vec<_> = std::fs::read_dir(p.data.join("archive"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".jsonl"))
        .map(|e| e.path())
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .filter(|l| l.contains(&marker))
                .map(|l| {
                    serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                        .as_u64()
                        .unwrap()
                })
                .collect::<Vec<_>>()
        })
        .collect()
}
