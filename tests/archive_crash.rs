//! SIGKILL at random points while 10,000 messages stream in, 30 times: afterwards the
//! archive verifies and no message the connector was told is kept (its stored position)
//! is missing or archived twice.
//!
//! The writer is this test binary itself, started again as a child process with
//! `TRESEN_CRASH_CHILD` set (see `child_writer`); the parent kills it with SIGKILL.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use futures::future::BoxFuture;
use tresen::archive::{Archive, Payload, keys::Keys, read, verify};
use tresen::connector::{Connector, ConnectorError, ConnectorEvent, ConnectorIo};
use tresen::domain::*;
use tresen::engine::{Engine, EngineOptions};
use tresen::secrets::MasterKey;
use tresen::store::{SqliteStore, StoreRead};

const TOTAL: u64 = 10_000;
const ACCOUNT: &str = "strom";

fn key() -> MasterKey {
    MasterKey::from_bytes(&[7u8; 32]).unwrap()
}

/// Streams messages m00001…m10000 from where the stored position says, with a
/// checkpoint every 7 messages.
struct Stream;

impl Connector for Stream {
    fn account(&self) -> &AccountId {
        static A: std::sync::OnceLock<AccountId> = std::sync::OnceLock::new();
        A.get_or_init(|| AccountId(ACCOUNT.into()))
    }

    fn network(&self) -> AccountNetwork {
        AccountNetwork::Demo
    }

    fn run(self: Box<Self>, mut io: ConnectorIo) -> BoxFuture<'static, Result<(), ConnectorError>> {
        Box::pin(async move {
            let start: u64 = io
                .resume
                .as_deref()
                .and_then(|r| r.parse().ok())
                .unwrap_or(0);
            let sink = io.events.clone();
            let account = AccountId(ACCOUNT.into());
            sink.emit(ConnectorEvent::Conversation(ConversationUpsert {
                account: account.clone(),
                remote_id: "kunde".into(),
                kind: ConversationKind::Direct,
                channel: Channel::Signal,
                title: "Kunde".into(),
                contact: None,
                security: Security::Encrypted,
            }))
            .await;
            for i in start + 1..=TOTAL {
                let m = IncomingMessage {
                    account: account.clone(),
                    conversation_remote_id: "kunde".into(),
                    remote_id: format!("m{i:05}"),
                    kind: MessageKind::Chat,
                    direction: Direction::Inbound,
                    sender: "Kunde".into(),
                    body: format!("Nachricht {i}"),
                    attachments: Vec::new(),
                    sent_at: Timestamp(1_760_000_000_000 + i as i64),
                    received_at: Timestamp::now(),
                    raw: Some(format!("{{\"n\":{i}}}")),
                    history: false,
                };
                if !sink.emit(ConnectorEvent::Message(m)).await {
                    return Ok(());
                }
                if i % 7 == 0 || i == TOTAL {
                    sink.emit(ConnectorEvent::Checkpoint(i.to_string())).await;
                }
                if i % 5 == 0 {
                    // Spread the stream over ~8 s, so the kills land all along it.
                    tokio::time::sleep(Duration::from_millis(4)).await;
                }
            }
            sink.emit(ConnectorEvent::CaughtUp).await;
            while io.commands.recv().await.is_some() {}
            Ok(())
        })
    }
}

/// The child: runs the engine on `dir` until killed.
#[test]
fn child_writer() {
    let Ok(dir) = std::env::var("TRESEN_CRASH_CHILD") else {
        return; // only runs as the child of the test below
    };
    let dir = PathBuf::from(dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = SqliteStore::open(&dir.join("store.db"), Some(&key().store_key())).unwrap();
        let (archive, _) = Archive::open(&dir.join("archive"), &key()).unwrap();
        let shared = tresen::profile::shared(store, None).unwrap();
        let (engine, _handle) =
            Engine::start(shared, vec![Box::new(Stream)], EngineOptions::default());
        let engine = engine.with_archive(archive, None, "crash".into()).unwrap();
        println!("ready");
        engine.run().await.unwrap();
    });
}

fn spawn(dir: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env("TRESEN_CRASH_CHILD", dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// What survived: the stored position, and the message ids in the archive.
fn check(dir: &Path, round: usize) -> (u64, BTreeSet<String>) {
    // Opening repairs a torn tail, as every start does.
    drop(Archive::open(&dir.join("archive"), &key()).unwrap());
    let report = verify::verify(
        &dir.join("archive"),
        &key(),
        &verify::Options::default(),
        &mut |_, _| {},
    )
    .unwrap();
    assert!(report.ok, "round {round}: {:?}", report.problem);
    let mut keys = Keys::load(&dir.join("archive"), &key(), true).unwrap();
    let mut ids = Vec::new();
    read::for_each(&dir.join("archive"), &mut keys, 1, |r| {
        if let Some(Payload::Message(m)) = r.payload {
            assert_eq!(
                m.raw.as_deref(),
                Some(format!("{{\"n\":{}}}", &m.remote_id[1..].trim_start_matches('0')).as_str())
            );
            ids.push(m.remote_id);
        }
        Ok(())
    })
    .unwrap();
    let set: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(
        set.len(),
        ids.len(),
        "round {round}: a message was archived twice"
    );
    let store =
        SqliteStore::open_read_only(&dir.join("store.db"), Some(&key().store_key())).unwrap();
    let position: u64 = store
        .sync_position(&AccountId(ACCOUNT.into()))
        .unwrap()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    for i in 1..=position {
        let id = format!("m{i:05}");
        assert!(
            set.contains(&id),
            "round {round}: {id} was acknowledged (position {position}) but is not archived"
        );
        assert!(
            store
                .message_by_remote(&AccountId(ACCOUNT.into()), &id)
                .unwrap()
                .is_some(),
            "round {round}: {id} acknowledged but not in the inbox store"
        );
    }
    (position, set)
}

#[test]
fn sigkill_at_random_points_loses_and_duplicates_nothing() {
    if std::env::var("TRESEN_CRASH_CHILD").is_ok() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut seed: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("seed {seed}");
    let mut rand = move |lo: u64, hi: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        lo + seed % (hi - lo)
    };
    let mut last = 0;
    for round in 0..30 {
        let mut child = spawn(dir);
        // The child needs a moment to start; kills land before, during and after
        // its batches.
        std::thread::sleep(Duration::from_millis(rand(50, 600)));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let (position, _) = check(dir, round);
        assert!(position >= last, "round {round}: the position went back");
        last = position;
        eprintln!("round {round}: position {position}");
    }
    // Then let it finish: everything exactly once.
    let mut child = spawn(dir);
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let store =
            SqliteStore::open_read_only(&dir.join("store.db"), Some(&key().store_key())).unwrap();
        let done = store
            .sync_position(&AccountId(ACCOUNT.into()))
            .unwrap()
            .as_deref()
            == Some("10000");
        drop(store);
        if done || std::time::Instant::now() > deadline {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let (position, set) = check(dir, 30);
    assert_eq!(position, TOTAL);
    assert_eq!(
        set.len() as u64,
        TOTAL,
        "every message archived exactly once"
    );
}
